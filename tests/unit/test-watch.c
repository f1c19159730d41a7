/*
 * test-watch.c: the pure half of GET /v1/watch (watch-event.c): records
 * read from the events channel, their lines, the query's filters and
 * the match.
 */

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <yajl/yajl_tree.h>

#include "ferry/util.h"
#include "ferry/watch.h"
#include "ferry/watch-priv.h"
#include "ferry/xmalloc.h"

/* A migration record as coord.c publishes it (the fields the watch reads). */
#define T_MIG(name, vm, src, dst, evac)					\
	"{\"apiVersion\":\"ferry.io/v1\","				\
	"\"kind\":\"VirtualMachineInstanceMigration\","			\
	"\"metadata\":{\"name\":\"" name "\",\"uid\":\"u-1\"},"		\
	"\"spec\":{\"vmiName\":\"" vm "\",\"targetNode\":\"" dst "\"},"	\
	"\"status\":{\"phase\":\"copying\",\"sourceNode\":\"" src "\","	\
	"\"targetNode\":\"" dst "\",\"evacuation\":" evac "}}"

/* An evacuation record as evac-ctl.c publishes it. */
#define T_EVAC(id, node)						\
	"{\"apiVersion\":\"ferry.io/v1\",\"kind\":\"Evacuation\","	\
	"\"metadata\":{\"name\":\"" id "\"},"				\
	"\"spec\":{\"node\":\"" node "\",\"requestedBy\":\"api\"},"	\
	"\"status\":{\"phase\":\"running\",\"vms\":[]}}"

/* Parse the C string S into EV; the rc. */
static int
parse(const char *s, struct watch_event *ev, char **cause)
{
	return (watch_event_parse(s, strlen(s), ev, cause));
}

/* A migration: its fields, and its line wraps the bytes as they came. */
static void
watch_event_parse__migration__fields_and_line(void **state)
{
	const char		*rec = T_MIG("vm1-abcde", "vm1", "node-a",
				    "node-b", "\"node-a-drain-x1y2z\"");
	struct watch_event	 ev;
	char			*cause = NULL, *want;
	yajl_val		 v;

	assert_int_equal(parse(rec, &ev, &cause), 0);
	assert_int_equal(ev.kind, WATCH_KIND_MIGRATION);
	assert_string_equal(ev.name, "vm1-abcde");
	assert_string_equal(ev.vm, "vm1");
	assert_string_equal(ev.source, "node-a");
	assert_string_equal(ev.target, "node-b");
	assert_string_equal(ev.evacuation, "node-a-drain-x1y2z");
	xasprintf(&want, "{\"type\":\"migration\",\"object\":%s}\n", rec);
	assert_string_equal(ev.line, want);
	assert_int_equal(ev.len, strlen(want));
	v = yajl_tree_parse(ev.line, NULL, 0);
	assert_non_null(v);
	yajl_tree_free(v);
	free(want);
	watch_event_clear(&ev);

	/* Pending: no target yet, no evacuation. */
	assert_int_equal(parse(T_MIG("vm2-fghij", "vm2", "node-a", "",
	    "null"), &ev, &cause), 0);
	assert_string_equal(ev.target, "");
	assert_null(ev.evacuation);
	watch_event_clear(&ev);
}

/* An evacuation: its node as source, its id as evacuation. */
static void
watch_event_parse__evacuation__fields(void **state)
{
	struct watch_event	 ev;
	char			*cause = NULL;

	assert_int_equal(parse(T_EVAC("node-a-drain-x1y2z", "node-a"), &ev,
	    &cause), 0);
	assert_int_equal(ev.kind, WATCH_KIND_EVACUATION);
	assert_string_equal(ev.name, "node-a-drain-x1y2z");
	assert_null(ev.vm);
	assert_string_equal(ev.source, "node-a");
	assert_null(ev.target);
	assert_string_equal(ev.evacuation, "node-a-drain-x1y2z");
	assert_true(strncmp(ev.line, "{\"type\":\"evacuation\",\"object\":{",
	    31) == 0);
	watch_event_clear(&ev);
}

/* Pretty-printed JSON becomes one line: newlines were whitespace. */
static void
watch_event_parse__newlines__one_line(void **state)
{
	const char		*rec = "{\n  \"kind\": \"Evacuation\",\r\n"
				    "  \"metadata\": {\"name\": \"e-1\"},\n"
				    "  \"spec\": {\"node\": \"n1\"}\n}\n";
	struct watch_event	 ev;
	char			*cause = NULL;
	yajl_val		 v;

	assert_int_equal(parse(rec, &ev, &cause), 0);
	assert_ptr_equal(strchr(ev.line, '\n'), ev.line + ev.len - 1);
	assert_null(strchr(ev.line, '\r'));
	v = yajl_tree_parse(ev.line, NULL, 0);
	assert_non_null(v);
	yajl_tree_free(v);
	watch_event_clear(&ev);
}

/* Anything else on the channel is refused with a reason, never a crash. */
static void
watch_event_parse__bad__refused(void **state)
{
	const char		*bad[] = {
		"",
		"garbage",
		"[1,2]",
		"{\"kind\":\"Pod\",\"metadata\":{\"name\":\"p\"}}",
		"{\"kind\":42}",
		"{\"metadata\":{\"name\":\"x\"}}",
		"{\"kind\":\"Evacuation\",\"metadata\":{\"name\":\"e\"}}",
		"{\"kind\":\"VirtualMachineInstanceMigration\","
		    "\"metadata\":{\"name\":\"m\"},\"spec\":{\"vmiName\":1}}",
		T_MIG("m", "v", "a", "b", "7"),
		"{\"kind\":\"Evacuation\",\"metadata\":{\"name\":\"e\"},"
		    "\"spec\":{\"node\":\"n\"},\"x\":\"a\nb\"}",
		"{\"kind\":\"Evacuation\",\"metadata\":{\"name\":\"e\xff\"},"
		    "\"spec\":{\"node\":\"n\"}}",
	};
	struct watch_event	 ev;
	char			*cause, *deep, nul[] = "{\"kind\":\0}";
	size_t			 i, n = 100000;

	for (i = 0; i < nitems(bad); i++) {
		cause = NULL;
		if (parse(bad[i], &ev, &cause) == 0)
			fail_msg("accepted: %s", bad[i]);
		assert_non_null(cause);
		assert_null(ev.line);
		free(cause);
	}

	cause = NULL;
	assert_int_equal(watch_event_parse(nul, sizeof nul - 1, &ev, &cause),
	    -1);
	assert_non_null(strstr(cause, "NUL"));
	free(cause);

	/* Deep nesting is refused before yajl (its tree frees recursively). */
	deep = xmalloc(n + 1);
	memset(deep, '[', n);
	deep[n] = '\0';
	cause = NULL;
	assert_int_equal(parse(deep, &ev, &cause), -1);
	assert_non_null(strstr(cause, "nested"));
	free(cause);
	free(deep);

	deep = xmalloc(WATCH_PAYLOAD_MAX + 2);
	memset(deep, ' ', WATCH_PAYLOAD_MAX + 1);
	deep[WATCH_PAYLOAD_MAX + 1] = '\0';
	cause = NULL;
	assert_int_equal(parse(deep, &ev, &cause), -1);
	assert_non_null(strstr(cause, "larger"));
	free(cause);
	free(deep);
}

/* The query: the four keys, each once, with names; anything else is 400. */
static void
watch_filter_parse__cases__checked(void **state)
{
	struct watch_filter	 f;
	char			*cause = NULL, *text;
	const char		*bad[] = {
		"bogus=1",
		"vm=a&vm=b",
		"vm=",
		"vm=a%20b",
		"node=a/b",
		"migration=",
		"evacuation=%00",
		"vm=aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
		    "aaaaaaa",
	};
	size_t			 i;

	assert_int_equal(watch_filter_parse(NULL, &f, &cause), 0);
	text = watch_filter_text(&f);
	assert_string_equal(text, "all");
	free(text);
	watch_filter_clear(&f);
	assert_int_equal(watch_filter_parse("", &f, &cause), 0);
	watch_filter_clear(&f);

	assert_int_equal(watch_filter_parse("vm=vm1&node=node-a&migration="
	    "kubevirt-evacuation-aaaaa-but-longer-than-sixty-four-bytes-"
	    "yes-really&evacuation=node-a-drain-x1y2z", &f, &cause), 0);
	assert_string_equal(f.vm, "vm1");
	assert_string_equal(f.node, "node-a");
	assert_string_equal(f.evacuation, "node-a-drain-x1y2z");
	text = watch_filter_text(&f);
	assert_string_equal(text, "vm=vm1 node=node-a migration=kubevirt-"
	    "evacuation-aaaaa-but-longer-than-sixty-four-bytes-yes-really "
	    "evacuation=node-a-drain-x1y2z");
	free(text);
	watch_filter_clear(&f);

	for (i = 0; i < nitems(bad); i++) {
		cause = NULL;
		if (watch_filter_parse(bad[i], &f, &cause) == 0)
			fail_msg("accepted: %s", bad[i]);
		assert_non_null(cause);
		assert_null(f.vm);
		free(cause);
	}
}

/* Which events each filter lets through. */
static void
watch_filter_match__table__and_of_filters(void **state)
{
	static const struct {
		const char	*query;
		int		 mig;	/* the migration matches */
		int		 other;	/* the other one matches */
		int		 evac;	/* the evacuation matches */
	} rows[] = {
		{ "", 1, 1, 1 },
		{ "vm=vm1", 1, 0, 0 },
		{ "vm=vm3", 0, 0, 0 },
		{ "migration=vm1-abcde", 1, 0, 0 },
		{ "node=node-a", 1, 0, 1 },
		{ "node=node-b", 1, 1, 0 },
		{ "node=node-c", 0, 1, 0 },
		{ "evacuation=node-a-drain-x1y2z", 1, 0, 1 },
		{ "evacuation=node-c-drain-zzzzz", 0, 0, 0 },
		{ "vm=vm1&node=node-b", 1, 0, 0 },
		{ "vm=vm1&node=node-c", 0, 0, 0 },
		{ "node=node-a&evacuation=node-a-drain-x1y2z", 1, 0, 1 },
	};
	struct watch_event	 mig, other, evac;
	struct watch_filter	 f;
	char			*cause = NULL;
	size_t			 i;

	assert_int_equal(parse(T_MIG("vm1-abcde", "vm1", "node-a", "node-b",
	    "\"node-a-drain-x1y2z\""), &mig, &cause), 0);
	assert_int_equal(parse(T_MIG("vm2-fghij", "vm2", "node-c", "node-b",
	    "null"), &other, &cause), 0);
	assert_int_equal(parse(T_EVAC("node-a-drain-x1y2z", "node-a"), &evac,
	    &cause), 0);
	for (i = 0; i < nitems(rows); i++) {
		assert_int_equal(watch_filter_parse(rows[i].query, &f,
		    &cause), 0);
		if (watch_filter_match(&f, &mig) != rows[i].mig ||
		    watch_filter_match(&f, &other) != rows[i].other ||
		    watch_filter_match(&f, &evac) != rows[i].evac)
			fail_msg("row %zu (%s): %d %d %d", i, rows[i].query,
			    watch_filter_match(&f, &mig),
			    watch_filter_match(&f, &other),
			    watch_filter_match(&f, &evac));
		watch_filter_clear(&f);
	}
	watch_event_clear(&mig);
	watch_event_clear(&other);
	watch_event_clear(&evac);
}

/* Heartbeat, error and resumed lines: one JSON object and a newline. */
static void
watch_event_notice__types__one_json_line(void **state)
{
	char		*line;
	yajl_val	 v;
	const char	*path[] = { "reasons", NULL };

	line = watch_event_notice("heartbeat", 1795000000123ULL, NULL, NULL);
	assert_string_equal(line, "{\"type\":\"heartbeat\",\"time\":"
	    "\"2026-11-18T11:06:40.123Z\"}\n");
	free(line);
	line = watch_event_notice("error", 1, "redis connection lost",
	    "events \"missed\"");
	assert_ptr_equal(strchr(line, '\n'), line + strlen(line) - 1);
	v = yajl_tree_parse(line, NULL, 0);
	assert_non_null(v);
	assert_non_null(yajl_tree_get(v, path, yajl_t_array));
	yajl_tree_free(v);
	free(line);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(watch_event_parse__migration__fields_and_line),
		cmocka_unit_test(watch_event_parse__evacuation__fields),
		cmocka_unit_test(watch_event_parse__newlines__one_line),
		cmocka_unit_test(watch_event_parse__bad__refused),
		cmocka_unit_test(watch_filter_parse__cases__checked),
		cmocka_unit_test(watch_filter_match__table__and_of_filters),
		cmocka_unit_test(watch_event_notice__types__one_json_line),
	};

	return (cmocka_run_group_tests_name("watch", tests, NULL, NULL));
}
