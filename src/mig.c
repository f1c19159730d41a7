/* mig.c: not written yet. */
