/* config-table.c: not written yet. */
