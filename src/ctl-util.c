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
#include "ferry/ctl-json.h"
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
 * COLUMNS, then a row each filled by ROW.  Without WIDE the columns marked
 * wide are left out.
 */
void
ctl_util_table(yajl_val *items, size_t n,
    const struct ctl_util_column *columns, size_t ncols, int wide,
    ctl_util_row_cb row)
{
	char		**cells;
	uint64_t	  now = util_wall_ms();
	size_t		  i, c, shown = 0, to = 0;

	cells = xcalloc((n + 1) * ncols, sizeof *cells);
	for (c = 0; c < ncols; c++)
		cells[c] = xstrdup(columns[c].name);
	for (i = 0; i < n; i++)
		row(items[i], now, &cells[(i + 1) * ncols]);
	for (c = 0; c < ncols; c++) {
		if (wide || !columns[c].wide)
			shown++;
	}
	/* Squeeze the shown cells to the front: each moves down, never up. */
	for (i = 0; i < (n + 1) * ncols; i++) {
		c = i % ncols;
		if (wide || !columns[c].wide)
			cells[to++] = cells[i];
		else
			free(cells[i]);
	}
	ctl_util_cells_print(cells, n + 1, shown, 0, CTL_UTIL_TABLE_GAP);
	free(cells);
}

/* Format a duration of MS the way kubectl prints ages: "42s", "5m3s". */
void
ctl_util_duration(uint64_t ms, char *buf, size_t len)
{
	uint64_t	s = ms / 1000;

	if (s < 60)
		snprintf(buf, len, "%us", (unsigned)s);
	else if (s < 3600)
		snprintf(buf, len, "%um%us", (unsigned)(s / 60),
		    (unsigned)(s % 60));
	else if (s < 86400)
		snprintf(buf, len, "%uh%um", (unsigned)(s / 3600),
		    (unsigned)(s % 3600 / 60));
	else
		snprintf(buf, len, "%ud%uh", (unsigned)(s / 86400),
		    (unsigned)(s % 86400 / 3600));
}

/* The count at PATH under V as text (allocated), or DEF. */
char *
ctl_util_count(yajl_val v, const char *path, const char *def)
{
	uint64_t	 n;
	char		*s = NULL;

	if (ctl_json_count(v, path, &n) != 0)
		return (xstrdup(def));
	xasprintf(&s, "%llu", (unsigned long long)n);
	return (s);
}

/*
 * The non-empty strings of array V joined by commas, cleaned for
 * printing: allocated, or NULL if there are none.
 */
char *
ctl_util_list(yajl_val v)
{
	yajl_val	 item;
	char		*list = NULL, *next;
	size_t		 i;

	for (i = 0; YAJL_IS_ARRAY(v) && i < v->u.array.len; i++) {
		item = v->u.array.values[i];
		if (!YAJL_IS_STRING(item) || *item->u.string == '\0')
			continue;
		ctl_json_clean(item->u.string);
		if (list == NULL)
			list = xstrdup(item->u.string);
		else {
			xasprintf(&next, "%s,%s", list, item->u.string);
			free(list);
			list = next;
		}
	}
	return (list);
}
