/* hv-libvirt.c: not written yet. */
