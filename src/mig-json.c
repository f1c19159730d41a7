/* mig-json.c: not written yet. */
