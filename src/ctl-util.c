/*
 * ctl-util.c: what ferryctl's commands print and how they wait, written
 * once for migrations, inventory and evacuations: tables with aligned
 * columns, a progress line redrawn with \r on a terminal, and a SIGINT
 * handler and sleep so that Ctrl-C ends a --wait at once.
 */

#include <sys/ioctl.h>

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <yajl/yajl_tree.h>

#include "ferry/ctl-api.h"
#include "ferry/ctl-util.h"
#include "ferry/util.h"
#include "ferry/xmalloc.h"

#define CTL_UTIL_TABLE_GAP	3	/* spaces between table columns */
#define CTL_UTIL_TTY_WIDTH	80	/* terminal width when unknown */
#define CTL_UTIL_TTY_MIN	20	/* narrower widths are not believed */

/* SIGINT while waiting: stop waiting at the next chance. */
static void
ctl_util_sigint_handler(int sig)
{
	ctl_api_interrupt();
}

/* Catch SIGINT for a --wait; the handler it replaces goes into *OLD. */
void
ctl_util_sigint_start(struct sigaction *old)
{
	struct sigaction	sa;

	/* No SA_RESTART: Ctrl-C cuts the sleep short. */
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = ctl_util_sigint_handler;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, old);
}

/* Put back the SIGINT handler ctl_util_sigint_start saved in OLD. */
void
ctl_util_sigint_stop(const struct sigaction *old)
{
	sigaction(SIGINT, old, NULL);
}

/* Sleep MS milliseconds, or less if a signal arrives. */
void
ctl_util_sleep_ms(unsigned ms)
{
	struct timespec	ts = { .tv_sec = ms / 1000,
			       .tv_nsec = (long)(ms % 1000) * 1000000 };

	nanosleep(&ts, NULL);
}

/* Width of the terminal on stdout, CTL_UTIL_TTY_WIDTH if unknown. */
size_t
ctl_util_tty_width(void)
{
	struct winsize	ws;

	if (ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 &&
	    ws.ws_col > CTL_UTIL_TTY_MIN)
		return (ws.ws_col);
	return (CTL_UTIL_TTY_WIDTH);
}

/* Erase the progress line of *LEN columns on screen, if there is one. */
void
ctl_util_line_clear(size_t *len)
{
	if (*len == 0)
		return;
	printf("\r%*s\r", (int)*len, "");
	fflush(stdout);
	*len = 0;
}

/*
 * Redraw the progress line, *LEN columns on screen, as LINE (cut to the
 * terminal's width) and set *LEN to its new length.
 */
void
ctl_util_line_draw(size_t *len, char *line)
{
	size_t	cols = ctl_util_tty_width(), n = strlen(line);

	if (n >= cols)	/* a wrapped line cannot be redrawn with \r */
		line[n = cols - 1] = '\0';
	printf("\r%s", line);
	if (*len > n)
		printf("%*s", (int)(*len - n), "");
	fflush(stdout);
	*len = n;
}

/*
 * Print NROWS rows of NCOLS CELLS in aligned columns, INDENT spaces before
 * each row and GAP spaces between columns, then free the cells.
 */
void
ctl_util_cells_print(char **cells, size_t nrows, size_t ncols, int indent,
    int gap)
{
	size_t	*widths, r, c, n;
	char	*cell;

	widths = xcalloc(ncols, sizeof *widths);
	for (r = 0; r < nrows; r++) {
		for (c = 0; c < ncols; c++) {
			n = strlen(cells[r * ncols + c]);
			if (n > widths[c])
				widths[c] = n;
		}
	}
	for (r = 0; r < nrows; r++) {
		printf("%*s", indent, "");
		for (c = 0; c < ncols; c++) {
			cell = cells[r * ncols + c];
			if (c == ncols - 1)
				printf("%s\n", cell);
			else
				printf("%-*s%*s", (int)widths[c], cell, gap,
				    "");
			free(cell);
			cells[r * ncols + c] = NULL;
		}
	}
	free(widths);
}

/*
 * Print the N objects of ITEMS as a table on stdout: a header of the NCOLS
 * COLUMNS, then a row each filled by ROW.
 */
void
ctl_util_table(yajl_val *items, size_t n, const char **columns,
    size_t ncols, ctl_util_row_cb row)
{
	char		**cells;
	uint64_t	  now = util_wall_ms();
	size_t		  i, c;

	cells = xcalloc((n + 1) * ncols, sizeof *cells);
	for (c = 0; c < ncols; c++)
		cells[c] = xstrdup(columns[c]);
	for (i = 0; i < n; i++)
		row(items[i], now, &cells[(i + 1) * ncols]);
	ctl_util_cells_print(cells, n + 1, ncols, 0, CTL_UTIL_TABLE_GAP);
	free(cells);
}
