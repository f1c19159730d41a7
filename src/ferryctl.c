/* ferryctl.c: not written yet. */
