/*
 * ctl-util.h: ferryctl's terminal helpers: aligned tables, a progress
 * line redrawn in place, and the pauses of a --wait that Ctrl-C cuts
 * short.
 */
#ifndef FERRY_CTL_UTIL_H
#define FERRY_CTL_UTIL_H

#include <signal.h>
#include <stddef.h>
#include <stdint.h>

#include <yajl/yajl_tree.h>

/* Fill a table row (allocated cells) from object V; NOW is wall ms. */
typedef void (*ctl_util_row_cb)(yajl_val, uint64_t, char **);

/* A column of a table. */
struct ctl_util_column {
	const char	*name;		/* header */
	int		 wide;		/* shown with -o wide only */
};

void	 ctl_util_sigint_start(struct sigaction *);
void	 ctl_util_sigint_stop(const struct sigaction *);
void	 ctl_util_sleep_ms(unsigned);
size_t	 ctl_util_tty_width(void);
void	 ctl_util_line_clear(size_t *);
void	 ctl_util_line_draw(size_t *, char *);
void	 ctl_util_cells_print(char **, size_t, size_t, int, int);
void	 ctl_util_table(yajl_val *, size_t, const struct ctl_util_column *,
	     size_t, int, ctl_util_row_cb);
void	 ctl_util_duration(uint64_t, char *, size_t);
char	*ctl_util_count(yajl_val, const char *, const char *);
char	*ctl_util_list(yajl_val);

#endif
