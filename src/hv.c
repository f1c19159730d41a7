/* hv.c: not written yet. */
