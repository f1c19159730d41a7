/*
 * fuzz-watch-event.c: libFuzzer target for what GET /v1/watch takes from
 * the Redis events channel (anything another process may PUBLISH there)
 * and from its query string: watch_event_parse, then the filters.  The
 * first byte splits the input: that many bytes (mod 64) of query, the
 * rest payload.  Build as fuzz-domain-xml.c says; run:
 *
 *	tests/fuzz/fuzz-watch-event -max_total_time=60 corpus/
 */

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <yajl/yajl_tree.h>

#include "ferry/log.h"
#include "ferry/watch-priv.h"
#include "ferry/xmalloc.h"

int	LLVMFuzzerInitialize(int *, char ***);
int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

/* Quiet: bad input is logged, and the fuzzer makes a lot of it. */
int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	log_open(NULL, LOG_LEVEL_ERROR, LOG_FORMAT_TEXT);
	return (0);
}

/* One input: a good event gives a line that is itself valid JSON. */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct watch_event	 ev;
	struct watch_filter	 f;
	yajl_val		 v;
	char			*query, *cause = NULL, *line, err[128];
	size_t			 qlen;

	if (size == 0)
		return (0);
	qlen = data[0] % 64;
	if (qlen > size - 1)
		qlen = size - 1;
	query = xstrndup((const char *)data + 1, qlen);
	memset(&f, 0, sizeof f);
	if (watch_filter_parse(query, &f, &cause) != 0) {
		free(cause);
		cause = NULL;
		memset(&f, 0, sizeof f);
	}
	if (watch_event_parse((const char *)data + 1 + qlen, size - 1 - qlen,
	    &ev, &cause) == 0) {
		if (ev.line == NULL || ev.len == 0 || ev.line[ev.len - 1] != '\n')
			abort();
		line = xstrndup(ev.line, ev.len);
		if ((v = yajl_tree_parse(line, err, sizeof err)) == NULL)
			abort();
		yajl_tree_free(v);
		free(line);
		(void)watch_filter_match(&f, &ev);
		watch_event_clear(&ev);
	} else
		free(cause);
	watch_filter_clear(&f);
	free(query);
	return (0);
}
