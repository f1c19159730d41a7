/* ferryd.c: not written yet. */
