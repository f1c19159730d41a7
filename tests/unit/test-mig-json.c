/* test-mig-json.c: migration records, request bodies and error bodies. */

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <yajl/yajl_tree.h>

#include "ferry/mig.h"
#include "ferry/mig-json.h"
#include "ferry/xmalloc.h"

/* A record with every field set. */
static void
fill(struct mig_record *r)
{
	memset(r, 0, sizeof *r);
	r->name = xstrdup("vm1-a3d1f");
	r->uid = xstrdup("6f1c0000-0000-4000-8000-000000000001");
	r->vm = xstrdup("vm1");
	r->source = xstrdup("node-a");
	r->target = xstrdup("node-b");
	r->trigger = xstrdup("manual");
	r->state = MIG_FAILED;
	r->reason = MIG_REASON_PROGRESS_TIMEOUT;
	r->message = xstrdup("operation aborted: \"job\" canceled\n");
	r->abort_requested = 1;
	r->created = 1795000000123ULL;
	r->started = 1795000001000ULL;
	r->ended = 1795000009999ULL;
	r->stats.data_total = 134742016;
	r->stats.data_processed = 12018000;
	r->stats.data_remaining = 113715000;
	r->stats.memory_bps = 21012000;
	r->stats.dirty_rate = 1826;
	r->stats.iteration = 7;
	r->stats.elapsed_ms = 1007;
	r->stats.downtime_ms = 19;
	r->transitions[0].state = MIG_PENDING;
	r->transitions[0].time = r->created;
	r->transitions[1].state = MIG_COPYING;
	r->transitions[1].time = r->started;
	r->transitions[2].state = MIG_FAILED;
	r->transitions[2].time = r->ended;
	r->ntransitions = 3;
}

/* A message that is not UTF-8 still gives a record that reads back. */
static void
mig_json_encode__bad_utf8__readable(void **state)
{
	struct mig_record	 a, b;
	char			*json, *cause = NULL;

	fill(&a);
	free(a.message);
	/* Stray bytes, a cut sequence, then a valid e-acute and a euro sign. */
	a.message = xstrdup("\xff\xfe lost \xe2\x82 x \xc3\xa9 \xe2\x82\xac");
	a.stats.stalled_since = 1795000005000ULL;
	json = mig_json_encode(&a);
	if (mig_json_decode(json, &b, &cause) != 0)
		fail_msg("decode: %s\n%s", cause, json);
	assert_string_equal(b.message, "?? lost ?? x \xc3\xa9 \xe2\x82\xac");
	assert_int_equal(b.stats.stalled_since, a.stats.stalled_since);
	assert_non_null(strstr(json, "\"stalled\":true"));
	free(json);
	mig_record_clear(&a);
	mig_record_clear(&b);
}

/* Encode then decode gives back every field. */
static void
mig_json_decode__encoded_record__round_trips(void **state)
{
	struct mig_record	 a, b;
	char			*json, *cause = NULL;

	fill(&a);
	json = mig_json_encode(&a);
	assert_int_equal(mig_json_decode(json, &b, &cause), 0);
	assert_string_equal(b.name, a.name);
	assert_string_equal(b.uid, a.uid);
	assert_string_equal(b.vm, a.vm);
	assert_string_equal(b.source, a.source);
	assert_string_equal(b.target, a.target);
	assert_string_equal(b.trigger, a.trigger);
	assert_string_equal(b.message, a.message);
	assert_int_equal(b.state, a.state);
	assert_int_equal(b.reason, a.reason);
	assert_int_equal(b.abort_requested, 1);
	assert_int_equal(b.created, a.created);
	assert_int_equal(b.started, a.started);
	assert_int_equal(b.ended, a.ended);
	assert_memory_equal(&b.stats, &a.stats, sizeof a.stats);
	assert_int_equal(b.ntransitions, 3);
	assert_int_equal(b.transitions[1].state, MIG_COPYING);
	assert_int_equal(b.transitions[2].time, a.ended);
	free(json);
	mig_record_clear(&a);
	mig_record_clear(&b);
}

/* The object has KubeVirt's shape: metadata, spec.vmiName, status.phase. */
static void
mig_json_encode__record__kubevirt_shape(void **state)
{
	struct mig_record	 a;
	char			*json, err[128];
	yajl_val		 v, s;
	const char		*p_name[] = { "metadata", "name", NULL };
	const char		*p_vmi[] = { "spec", "vmiName", NULL };
	const char		*p_phase[] = { "status", "phase", NULL };
	const char		*p_reason[] = { "status", "reason", NULL };
	const char		*p_rem[] = { "status", "progress",
				    "dataRemaining", NULL };
	const char		*p_end[] = { "status", "endTimestamp", NULL };

	fill(&a);
	json = mig_json_encode(&a);
	assert_non_null(v = yajl_tree_parse(json, err, sizeof err));
	s = yajl_tree_get(v, p_name, yajl_t_string);
	assert_string_equal(YAJL_GET_STRING(s), "vm1-a3d1f");
	s = yajl_tree_get(v, p_vmi, yajl_t_string);
	assert_string_equal(YAJL_GET_STRING(s), "vm1");
	s = yajl_tree_get(v, p_phase, yajl_t_string);
	assert_string_equal(YAJL_GET_STRING(s), "failed");
	s = yajl_tree_get(v, p_reason, yajl_t_string);
	assert_string_equal(YAJL_GET_STRING(s), "ProgressTimeout");
	s = yajl_tree_get(v, p_rem, yajl_t_number);
	assert_int_equal(YAJL_GET_INTEGER(s), 113715000);
	s = yajl_tree_get(v, p_end, yajl_t_string);
	assert_string_equal(YAJL_GET_STRING(s), "2026-11-18T11:06:49.999Z");
	yajl_tree_free(v);
	free(json);
	mig_record_clear(&a);
}

/* Broken or incomplete records are refused with a cause, never a crash. */
static void
mig_json_decode__bad_input__refused(void **state)
{
	static const char *bad[] = {
		"",
		"[]",
		"{\"metadata\":{\"name\":\"x\"}}",
		"{\"metadata\":{\"name\":1,\"uid\":\"u\"}}",
		"{\"metadata\":{\"name\":\"x\",\"uid\":\"u\"},\"spec\":"
		    "{\"vmiName\":\"v\"},\"status\":{\"sourceNode\":\"a\","
		    "\"targetNode\":\"b\",\"trigger\":\"manual\",\"phase\":"
		    "\"flying\",\"reason\":\"\"}}",
		"{\"metadata\":{\"name\":\"x\",\"uid\":\"u\"},\"spec\":"
		    "{\"vmiName\":\"v\"},\"status\":{\"sourceNode\":\"a\","
		    "\"targetNode\":\"b\",\"trigger\":\"manual\",\"phase\":"
		    "\"failed\",\"reason\":\"Gremlins\"}}",
		"{\"metadata\":{\"name\":\"x\",\"uid\":\"u\"},\"spec\":"
		    "{\"vmiName\":\"v\"},\"status\":{\"sourceNode\":\"a\","
		    "\"targetNode\":\"b\",\"trigger\":\"manual\",\"phase\":"
		    "\"failed\",\"reason\":\"\",\"phaseTransitions\":"
		    "[{\"phase\":7}]}}",
		"{\"metadata\":",
	};
	struct mig_record	 r;
	char			*cause;
	size_t			 i;

	for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		cause = NULL;
		assert_int_equal(mig_json_decode(bad[i], &r, &cause), -1);
		assert_non_null(cause);
		assert_null(r.name);
		free(cause);
	}
}

/* Good and bad migrate bodies. */
static void
mig_json_migrate_body__cases__parsed_or_refused(void **state)
{
	static const struct {
		const char	*body;
		const char	*target;	/* NULL: refused */
		const char	*cause;		/* substring of the cause */
	} cases[] = {
		{ "{\"targetNode\":\"node-b\"}", "node-b", NULL },
		{ " { \"targetNode\" : \"n1\" } ", "n1", NULL },
		{ "", NULL, "not valid JSON" },
		{ "{", NULL, "not valid JSON" },
		{ "[\"node-b\"]", NULL, "JSON object" },
		{ "{}", "", NULL },		/* no target: ferry picks */
		{ "{\"targetNode\":null}", "", NULL },
		{ "{\"targetNode\":5}", NULL, "node name" },
		{ "{\"targetNode\":\"a b\"}", NULL, "node name" },
		{ "{\"targetNode\":\"\"}", NULL, "node name" },
		{ "{\"targetNode\":\"b\",\"x\":1}", NULL, "unknown field 'x'" },
		/* Brackets in strings are not nesting. */
		{ "{\"targetNode\":\"" "[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[["
		  "[[[[[[[[[[[[[[[[[[[[[\"}", NULL, "node name" },
	};
	char	*target, *cause;
	size_t	 i;

	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		target = cause = NULL;
		if (cases[i].target != NULL) {
			assert_int_equal(mig_json_migrate_body(cases[i].body,
			    strlen(cases[i].body), &target, &cause), 0);
			if (cases[i].target[0] == '\0')
				assert_null(target);
			else
				assert_string_equal(target, cases[i].target);
		} else {
			assert_int_equal(mig_json_migrate_body(cases[i].body,
			    strlen(cases[i].body), &target, &cause), -1);
			assert_null(target);
			if (strstr(cause, cases[i].cause) == NULL)
				fail_msg("case %zu: cause '%s'", i, cause);
		}
		free(target);
		free(cause);
	}
	/* An embedded NUL is refused. */
	cause = NULL;
	assert_int_equal(mig_json_migrate_body("{\"targetNode\":\"b\"}\0x",
	    21, &target, &cause), -1);
	free(cause);
}

/* Error bodies escape what they carry. */

/* A body nested DEPTH deep: the object, then DEPTH - 1 arrays in "x". */
static char *
t_nested_body(int depth)
{
	char	*s = NULL, *t;
	int	 i;

	xasprintf(&s, "%s", "0");
	for (i = 1; i < depth; i++) {
		xasprintf(&t, "[%s]", s);
		free(s);
		s = t;
	}
	xasprintf(&t, "{\"targetNode\":\"b\",\"x\":%s}", s);
	free(s);
	return (t);
}

/* 64 levels are parsed (and refused for the field); 65 before parsing. */
static void
mig_json_migrate_body__nesting__bounded_at_64(void **state)
{
	char	*body, *target = NULL, *cause = NULL;

	body = t_nested_body(64);
	assert_int_equal(mig_json_migrate_body(body, strlen(body), &target,
	    &cause), -1);
	assert_non_null(strstr(cause, "unknown field 'x'"));
	free(cause);
	free(body);

	cause = NULL;
	body = t_nested_body(65);
	assert_int_equal(mig_json_migrate_body(body, strlen(body), &target,
	    &cause), -1);
	assert_string_equal(cause, "request body is nested deeper than 64");
	assert_null(target);
	free(cause);
	free(body);
}
static void
mig_json_error__quotes__escaped(void **state)
{
	const char	*reasons[] = { "a \"b\"", "c" };
	char		*s = mig_json_error("bad \"x\"", reasons, 2);

	assert_string_equal(s, "{\"error\":\"bad \\\"x\\\"\",\"reasons\":"
	    "[\"a \\\"b\\\"\",\"c\"]}");
	free(s);
	s = mig_json_error("none", NULL, 0);
	assert_string_equal(s, "{\"error\":\"none\",\"reasons\":[]}");
	free(s);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(mig_json_decode__encoded_record__round_trips),
		cmocka_unit_test(mig_json_encode__record__kubevirt_shape),
		cmocka_unit_test(mig_json_encode__bad_utf8__readable),
		cmocka_unit_test(mig_json_decode__bad_input__refused),
		cmocka_unit_test(
		    mig_json_migrate_body__cases__parsed_or_refused),
		cmocka_unit_test(mig_json_migrate_body__nesting__bounded_at_64),
		cmocka_unit_test(mig_json_error__quotes__escaped),
	};

	return (cmocka_run_group_tests_name("mig-json", tests, NULL, NULL));
}
