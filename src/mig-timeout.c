/* mig-timeout.c: not written yet. */
