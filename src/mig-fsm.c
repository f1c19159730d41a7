/* mig-fsm.c: not written yet. */
