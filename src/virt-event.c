/* virt-event.c: not written yet. */
