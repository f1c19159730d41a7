/*
 * test-evac.c: the evacuation record: names, VM outcomes, counts, the
 * phase judgement, the status message and the JSON codecs.
 */

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <yajl/yajl_tree.h>

#include "ferry/evac.h"
#include "ferry/evac-priv.h"
#include "ferry/util.h"
#include "ferry/xmalloc.h"

/* Fill V as VM NAME with MIGRATION, PHASE, REASON and N reasons. */
static void
vm_fill(struct evac_vm *v, const char *name, const char *migration,
    const char *phase, const char *reason, const char *const *reasons,
    size_t n)
{
	size_t	i;

	memset(v, 0, sizeof *v);
	v->vm = xstrdup(name);
	v->migration = migration != NULL ? xstrdup(migration) : NULL;
	v->phase = phase != NULL ? xstrdup(phase) : NULL;
	v->reason = xstrdup(reason);
	v->reasons = xcalloc(n + 1, sizeof *v->reasons);
	for (i = 0; i < n; i++)
		v->reasons[v->nreasons++] = xstrdup(reasons[i]);
}

/* A failed evacuation with one VM of every kind. */
static void
fill(struct evac_record *r)
{
	const char	*why[] = { "NotMigratable: hostdev 'gpu0' attached",
			    "NotMigratable: \"local\" disk" };

	memset(r, 0, sizeof *r);
	r->id = xstrdup("node-a-drain-x1y2z");
	r->node = xstrdup("node-a");
	r->by = xstrdup("ops \"on call\"");
	r->phase = EVAC_FAILED;
	r->reason = EVAC_REASON_VMS_REMAIN;
	r->message = xstrdup("2 of 5 VMs remain\non node 'node-a'");
	r->created = 1795000000123ULL;
	r->ended = 1795000009999ULL;
	r->vms = xcalloc(5, sizeof *r->vms);
	vm_fill(&r->vms[0], "vm-moved", "kubevirt-evacuation-aaaaa",
	    "succeeded", "", NULL, 0);
	vm_fill(&r->vms[1], "vm-failed", "kubevirt-evacuation-bbbbb",
	    "failed", "Unschedulable: no node fits", NULL, 0);
	vm_fill(&r->vms[2], "vm-pinned", NULL, NULL, "VM 'vm-pinned' is not "
	    "live-migratable", why, 2);
	vm_fill(&r->vms[3], "vm-gone", NULL, NULL, EVAC_VM_GONE_CODE ": VM "
	    "'vm-gone' no longer runs on node 'node-a'", NULL, 0);
	vm_fill(&r->vms[4], "vm-running", "kubevirt-evacuation-ccccc",
	    "copying", "", NULL, 0);
	r->nvms = 5;
}

/* Every phase has its name; an unknown one reads "unknown". */
static void
evac_phase_name__every_phase__named(void **state)
{
	enum evac_phase	p;

	assert_string_equal(evac_phase_name(EVAC_RUNNING), "running");
	assert_string_equal(evac_phase_name(EVAC_COMPLETED), "completed");
	assert_string_equal(evac_phase_name(EVAC_FAILED), "failed");
	assert_string_equal(evac_phase_name(EVAC_CANCELLED), "cancelled");
	assert_string_equal(evac_phase_name((enum evac_phase)42), "unknown");
	assert_int_equal(evac_phase_parse("cancelled", &p), 0);
	assert_int_equal(p, EVAC_CANCELLED);
	assert_int_equal(evac_phase_parse("Running", &p), -1);
	assert_int_equal(evac_phase_parse(NULL, &p), -1);
}

/* Reasons have their API names; "" is none. */
static void
evac_reason_name__every_reason__named(void **state)
{
	enum evac_reason	r;

	assert_string_equal(evac_reason_name(EVAC_REASON_NONE), "");
	assert_string_equal(evac_reason_name(EVAC_REASON_VMS_REMAIN),
	    "VMsRemain");
	assert_string_equal(evac_reason_name(EVAC_REASON_TIMEOUT),
	    "EvacuationTimeout");
	assert_string_equal(evac_reason_name(EVAC_REASON_CANCELLED),
	    "EvacuationCancelled");
	assert_int_equal(evac_reason_parse("", &r), 0);
	assert_int_equal(r, EVAC_REASON_NONE);
	assert_int_equal(evac_reason_parse("EvacuationTimeout", &r), 0);
	assert_int_equal(r, EVAC_REASON_TIMEOUT);
	assert_int_equal(evac_reason_parse("Timeout", &r), -1);
}

/* Ids: name characters, up to EVAC_ID_MAX. */
static void
evac_record_id_valid__cases__checked(void **state)
{
	char	long_id[EVAC_ID_MAX + 2];

	assert_true(evac_record_id_valid("node-a-drain-x1y2z"));
	assert_true(evac_record_id_valid("a.b_c-9"));
	assert_false(evac_record_id_valid(""));
	assert_false(evac_record_id_valid(NULL));
	assert_false(evac_record_id_valid("a b"));
	assert_false(evac_record_id_valid("a/../b"));
	assert_false(evac_record_id_valid("x\n"));
	memset(long_id, 'a', sizeof long_id);
	long_id[EVAC_ID_MAX] = '\0';
	assert_true(evac_record_id_valid(long_id));
	long_id[EVAC_ID_MAX] = 'a';
	long_id[EVAC_ID_MAX + 1] = '\0';
	assert_false(evac_record_id_valid(long_id));
}

/* Each VM's outcome follows from its entry. */
static void
evac_record_vm_outcome__each_kind__derived(void **state)
{
	struct evac_record	r;
	struct evac_vm		v;

	fill(&r);
	assert_int_equal(evac_record_vm_outcome(&r.vms[0]), EVAC_VM_MOVED);
	assert_int_equal(evac_record_vm_outcome(&r.vms[1]), EVAC_VM_REMAINS);
	assert_int_equal(evac_record_vm_outcome(&r.vms[2]),
	    EVAC_VM_CANNOT_MOVE);
	assert_int_equal(evac_record_vm_outcome(&r.vms[3]), EVAC_VM_GONE);
	assert_int_equal(evac_record_vm_outcome(&r.vms[4]),
	    EVAC_VM_MIGRATING);
	evac_record_clear(&r);

	/* No migration yet, even with a reason (a retry): waiting. */
	vm_fill(&v, "vm", NULL, NULL, "redis is unreachable", NULL, 0);
	assert_int_equal(evac_record_vm_outcome(&v), EVAC_VM_WAITING);
	evac_record_vm_clear(&v);
	/* A migration whose phase is not read yet, or unknown: migrating. */
	vm_fill(&v, "vm", "m-1", NULL, "", NULL, 0);
	assert_int_equal(evac_record_vm_outcome(&v), EVAC_VM_MIGRATING);
	evac_record_vm_clear(&v);
	vm_fill(&v, "vm", "m-1", "bogus", "", NULL, 0);
	assert_int_equal(evac_record_vm_outcome(&v), EVAC_VM_MIGRATING);
	evac_record_vm_clear(&v);
	vm_fill(&v, "vm", "m-1", "aborted", "EvacuationCancelled", NULL, 0);
	assert_int_equal(evac_record_vm_outcome(&v), EVAC_VM_REMAINS);
	evac_record_vm_clear(&v);
}

/* Counts: done = every VM not active; failed = VMs that remain. */
static void
evac_record_count__mixed__counted(void **state)
{
	struct evac_record	r;
	struct evac_counts	c;

	fill(&r);
	evac_record_count(&r, &c);
	assert_int_equal(c.total, 5);
	assert_int_equal(c.succeeded, 1);
	assert_int_equal(c.failed, 2);
	assert_int_equal(c.active, 1);
	assert_int_equal(c.done, 4);
	evac_record_clear(&r);
}

/* One row of the judgement table. */
struct judge_row {
	size_t			 active, failed;	/* counts */
	int			 listed, cancelled, timed_out;
	enum evac_phase		 phase;			/* expected */
	enum evac_reason	 reason;
};

/* The phase from the counts, the cancel and the timeout. */
static void
evac_record_judge__table__phase_and_reason(void **state)
{
	static const struct judge_row	rows[] = {
		/* Not listed yet: running, even with nothing counted. */
		{ 0, 0, 0, 0, 0, EVAC_RUNNING, EVAC_REASON_NONE },
		{ 2, 0, 1, 0, 0, EVAC_RUNNING, EVAC_REASON_NONE },
		{ 0, 0, 1, 0, 0, EVAC_COMPLETED, EVAC_REASON_NONE },
		{ 0, 1, 1, 0, 0, EVAC_FAILED, EVAC_REASON_VMS_REMAIN },
		/* Something still to do: remaining VMs are not an end yet. */
		{ 1, 1, 1, 0, 0, EVAC_RUNNING, EVAC_REASON_NONE },
		{ 1, 0, 1, 1, 0, EVAC_CANCELLED, EVAC_REASON_CANCELLED },
		{ 0, 0, 0, 1, 0, EVAC_CANCELLED, EVAC_REASON_CANCELLED },
		{ 1, 0, 1, 0, 1, EVAC_FAILED, EVAC_REASON_TIMEOUT },
		{ 0, 0, 0, 0, 1, EVAC_FAILED, EVAC_REASON_TIMEOUT },
		/* Cancel and timeout at once: cancelled. */
		{ 1, 0, 1, 1, 1, EVAC_CANCELLED, EVAC_REASON_CANCELLED },
		/* Every VM done: how it ended beats cancel and timeout. */
		{ 0, 0, 1, 1, 1, EVAC_COMPLETED, EVAC_REASON_NONE },
		{ 0, 2, 1, 1, 0, EVAC_FAILED, EVAC_REASON_VMS_REMAIN },
		{ 0, 2, 1, 0, 1, EVAC_FAILED, EVAC_REASON_VMS_REMAIN },
	};
	struct evac_counts	c;
	enum evac_reason	reason;
	size_t			i;

	for (i = 0; i < nitems(rows); i++) {
		memset(&c, 0, sizeof c);
		c.active = rows[i].active;
		c.failed = rows[i].failed;
		c.total = c.active + c.failed + 1;
		c.done = c.total - c.active;
		c.succeeded = 1;
		reason = (enum evac_reason)99;
		assert_int_equal(evac_record_judge(&c, rows[i].listed,
		    rows[i].cancelled, rows[i].timed_out, &reason),
		    rows[i].phase);
		assert_int_equal(reason, rows[i].reason);
	}
}

/* The message lists the VMs that remain, each with why. */
static void
evac_record_message__remaining__each_with_why(void **state)
{
	struct evac_record	 r;
	struct evac_counts	 c;
	char			*m;

	fill(&r);
	evac_record_count(&r, &c);
	m = evac_record_message(&r, &c, "evacuation_timeout (60 s) passed");
	assert_string_equal(m, "evacuation_timeout (60 s) passed; 3 of 5 VMs "
	    "remain on node 'node-a': vm-failed (migration "
	    "'kubevirt-evacuation-bbbbb' failed: Unschedulable: no node "
	    "fits); vm-pinned (cannot move: NotMigratable: hostdev 'gpu0' "
	    "attached, NotMigratable: \"local\" disk); vm-running (migration "
	    "'kubevirt-evacuation-ccccc' copying)");
	free(m);
	evac_record_clear(&r);
}

/* Nothing left: how many moved, or that there was nothing to move. */
static void
evac_record_message__all_done__summary(void **state)
{
	struct evac_record	 r;
	struct evac_counts	 c;
	char			*m;

	memset(&r, 0, sizeof r);
	r.node = xstrdup("n1");
	evac_record_count(&r, &c);
	m = evac_record_message(&r, &c, NULL);
	assert_string_equal(m, "node 'n1' had no VMs to move");
	free(m);

	r.vms = xcalloc(2, sizeof *r.vms);
	vm_fill(&r.vms[0], "a", "m-a", "succeeded", "", NULL, 0);
	vm_fill(&r.vms[1], "b", "m-b", "succeeded", "", NULL, 0);
	r.nvms = 2;
	evac_record_count(&r, &c);
	m = evac_record_message(&r, &c, "");
	assert_string_equal(m, "all 2 VMs moved off node 'n1'");
	free(m);

	evac_record_vm_clear(&r.vms[1]);
	vm_fill(&r.vms[1], "b", NULL, NULL, EVAC_VM_GONE_CODE ": gone", NULL,
	    0);
	evac_record_count(&r, &c);
	m = evac_record_message(&r, &c, NULL);
	assert_string_equal(m, "1 of 2 VMs moved off node 'n1', 1 stopped "
	    "running first");
	free(m);

	evac_record_vm_clear(&r.vms[1]);
	vm_fill(&r.vms[1], "b", NULL, NULL, "retrying", NULL, 0);
	evac_record_count(&r, &c);
	m = evac_record_message(&r, &c, NULL);
	assert_string_equal(m, "1 of 2 VMs remain on node 'n1': b (no "
	    "migration yet: retrying)");
	free(m);
	evac_record_clear(&r);
}

/* Encode then decode gives back every field, and the same JSON. */
static void
evac_record_decode__encoded__round_trips(void **state)
{
	struct evac_record	 a, b;
	char			*j1, *j2, *cause = NULL;
	size_t			 i, k;

	fill(&a);
	j1 = evac_record_encode(&a);
	assert_int_equal(evac_record_decode(j1, &b, &cause), 0);
	assert_null(cause);
	assert_string_equal(b.id, a.id);
	assert_string_equal(b.node, a.node);
	assert_string_equal(b.by, a.by);
	assert_int_equal(b.phase, a.phase);
	assert_int_equal(b.reason, a.reason);
	assert_string_equal(b.message, a.message);
	assert_int_equal(b.created, a.created);
	assert_int_equal(b.ended, a.ended);
	assert_int_equal(b.nvms, a.nvms);
	for (i = 0; i < a.nvms; i++) {
		assert_string_equal(b.vms[i].vm, a.vms[i].vm);
		if (a.vms[i].migration == NULL)
			assert_null(b.vms[i].migration);
		else
			assert_string_equal(b.vms[i].migration,
			    a.vms[i].migration);
		if (a.vms[i].phase == NULL)
			assert_null(b.vms[i].phase);
		else
			assert_string_equal(b.vms[i].phase, a.vms[i].phase);
		assert_string_equal(b.vms[i].reason, a.vms[i].reason);
		assert_int_equal(b.vms[i].nreasons, a.vms[i].nreasons);
		for (k = 0; k < a.vms[i].nreasons; k++)
			assert_string_equal(b.vms[i].reasons[k],
			    a.vms[i].reasons[k]);
	}
	j2 = evac_record_encode(&b);
	assert_string_equal(j1, j2);
	free(j1);
	free(j2);
	evac_record_clear(&a);
	evac_record_clear(&b);

	/* A running one, no VMs yet, no end. */
	memset(&a, 0, sizeof a);
	a.id = xstrdup("n-drain-00000");
	a.node = xstrdup("n");
	a.phase = EVAC_RUNNING;
	a.created = 1;
	j1 = evac_record_encode(&a);
	assert_int_equal(evac_record_decode(j1, &b, &cause), 0);
	assert_string_equal(b.by, "");
	assert_string_equal(b.message, "");
	assert_int_equal(b.nvms, 0);
	assert_int_equal(b.ended, 0);
	j2 = evac_record_encode(&b);
	assert_string_equal(j1, j2);
	free(j1);
	free(j2);
	evac_record_clear(&a);
	evac_record_clear(&b);
}

/* The object has the documented shape, counts and times. */
static void
evac_record_encode__record__api_shape(void **state)
{
	static const char	*total[] = { "status", "total", NULL };
	static const char	*done[] = { "status", "done", NULL };
	static const char	*succ[] = { "status", "succeeded", NULL };
	static const char	*failed[] = { "status", "failed", NULL };
	static const char	*kind[] = { "kind", NULL };
	static const char	*created[] = { "metadata", "creationTimestamp",
				    NULL };
	static const char	*end[] = { "status", "endTimestamp", NULL };
	static const char	*vms[] = { "status", "vms", NULL };
	struct evac_record	 r;
	yajl_val		 v, a, m;
	char			*j;

	fill(&r);
	j = evac_record_encode(&r);
	v = yajl_tree_parse(j, NULL, 0);
	assert_non_null(v);
	assert_string_equal(YAJL_GET_STRING(yajl_tree_get(v, kind,
	    yajl_t_string)), "Evacuation");
	assert_int_equal(YAJL_GET_INTEGER(yajl_tree_get(v, total,
	    yajl_t_number)), 5);
	assert_int_equal(YAJL_GET_INTEGER(yajl_tree_get(v, done,
	    yajl_t_number)), 4);
	assert_int_equal(YAJL_GET_INTEGER(yajl_tree_get(v, succ,
	    yajl_t_number)), 1);
	assert_int_equal(YAJL_GET_INTEGER(yajl_tree_get(v, failed,
	    yajl_t_number)), 2);
	assert_string_equal(YAJL_GET_STRING(yajl_tree_get(v, created,
	    yajl_t_string)), "2026-11-18T11:06:40.123Z");
	assert_string_equal(YAJL_GET_STRING(yajl_tree_get(v, end,
	    yajl_t_string)), "2026-11-18T11:06:49.999Z");
	a = yajl_tree_get(v, vms, yajl_t_array);
	assert_non_null(a);
	assert_int_equal(YAJL_GET_ARRAY(a)->len, 5);
	/* A VM without a migration: null, not "". */
	m = YAJL_GET_ARRAY(a)->values[2];
	{
		const char	*mig[] = { "migration", NULL };
		const char	*ph[] = { "phase", NULL };

		assert_true(YAJL_IS_NULL(yajl_tree_get(m, mig, yajl_t_any)));
		assert_true(YAJL_IS_NULL(yajl_tree_get(m, ph, yajl_t_any)));
	}
	yajl_tree_free(v);
	free(j);

	/* Running: endTimestamp null. */
	r.ended = 0;
	j = evac_record_encode(&r);
	v = yajl_tree_parse(j, NULL, 0);
	assert_true(YAJL_IS_NULL(yajl_tree_get(v, end, yajl_t_any)));
	yajl_tree_free(v);
	free(j);
	evac_record_clear(&r);
}

/* Records that are not what evac_record_encode writes are refused. */
static void
evac_record_decode__bad_input__refused(void **state)
{
	static const char *const bad[] = {
		NULL,
		"",
		"[1]",
		"{\"kind\": \"Evacuation\"",
		"{\"kind\": \"VirtualMachineInstanceMigration\"}",
		/* Missing metadata.name. */
		"{\"kind\":\"Evacuation\",\"metadata\":{},\"spec\":{\"node\":"
		"\"n\",\"requestedBy\":\"\"},\"status\":{\"phase\":\"running\","
		"\"reason\":\"\",\"message\":\"\",\"createdMs\":1,"
		"\"endedMs\":0,\"vms\":[]}}",
		/* An id with a slash. */
		"{\"kind\":\"Evacuation\",\"metadata\":{\"name\":\"a/b\"},"
		"\"spec\":{\"node\":\"n\",\"requestedBy\":\"\"},\"status\":{"
		"\"phase\":\"running\",\"reason\":\"\",\"message\":\"\","
		"\"createdMs\":1,\"endedMs\":0,\"vms\":[]}}",
		/* A node that is not a name. */
		"{\"kind\":\"Evacuation\",\"metadata\":{\"name\":\"a\"},"
		"\"spec\":{\"node\":\"n n\",\"requestedBy\":\"\"},\"status\":{"
		"\"phase\":\"running\",\"reason\":\"\",\"message\":\"\","
		"\"createdMs\":1,\"endedMs\":0,\"vms\":[]}}",
		/* Unknown phase. */
		"{\"kind\":\"Evacuation\",\"metadata\":{\"name\":\"a\"},"
		"\"spec\":{\"node\":\"n\",\"requestedBy\":\"\"},\"status\":{"
		"\"phase\":\"done\",\"reason\":\"\",\"message\":\"\","
		"\"createdMs\":1,\"endedMs\":0,\"vms\":[]}}",
		/* Unknown reason. */
		"{\"kind\":\"Evacuation\",\"metadata\":{\"name\":\"a\"},"
		"\"spec\":{\"node\":\"n\",\"requestedBy\":\"\"},\"status\":{"
		"\"phase\":\"failed\",\"reason\":\"Oops\",\"message\":\"\","
		"\"createdMs\":1,\"endedMs\":0,\"vms\":[]}}",
		/* Negative time. */
		"{\"kind\":\"Evacuation\",\"metadata\":{\"name\":\"a\"},"
		"\"spec\":{\"node\":\"n\",\"requestedBy\":\"\"},\"status\":{"
		"\"phase\":\"running\",\"reason\":\"\",\"message\":\"\","
		"\"createdMs\":-1,\"endedMs\":0,\"vms\":[]}}",
		/* vms not an array. */
		"{\"kind\":\"Evacuation\",\"metadata\":{\"name\":\"a\"},"
		"\"spec\":{\"node\":\"n\",\"requestedBy\":\"\"},\"status\":{"
		"\"phase\":\"running\",\"reason\":\"\",\"message\":\"\","
		"\"createdMs\":1,\"endedMs\":0,\"vms\":{}}}",
		/* A VM item that is a string. */
		"{\"kind\":\"Evacuation\",\"metadata\":{\"name\":\"a\"},"
		"\"spec\":{\"node\":\"n\",\"requestedBy\":\"\"},\"status\":{"
		"\"phase\":\"running\",\"reason\":\"\",\"message\":\"\","
		"\"createdMs\":1,\"endedMs\":0,\"vms\":[\"vm\"]}}",
		/* A VM whose migration is a number. */
		"{\"kind\":\"Evacuation\",\"metadata\":{\"name\":\"a\"},"
		"\"spec\":{\"node\":\"n\",\"requestedBy\":\"\"},\"status\":{"
		"\"phase\":\"running\",\"reason\":\"\",\"message\":\"\","
		"\"createdMs\":1,\"endedMs\":0,\"vms\":[{\"vm\":\"v\","
		"\"migration\":3,\"phase\":null,\"reason\":\"\","
		"\"reasons\":[]}]}}",
		/* A VM with a reason that is not a string. */
		"{\"kind\":\"Evacuation\",\"metadata\":{\"name\":\"a\"},"
		"\"spec\":{\"node\":\"n\",\"requestedBy\":\"\"},\"status\":{"
		"\"phase\":\"running\",\"reason\":\"\",\"message\":\"\","
		"\"createdMs\":1,\"endedMs\":0,\"vms\":[{\"vm\":\"v\","
		"\"migration\":null,\"phase\":null,\"reason\":\"\","
		"\"reasons\":[\"ok\", 7]}]}}",
	};
	struct evac_record	 r;
	char			*cause;
	size_t			 i;

	for (i = 0; i < nitems(bad); i++) {
		cause = NULL;
		assert_int_equal(evac_record_decode(bad[i], &r, &cause), -1);
		assert_non_null(cause);
		assert_null(r.id);
		assert_null(r.vms);
		free(cause);
	}
}

/* The list holds every item in order; the node object its state. */
static void
evac_record_list__two__items_in_order(void **state)
{
	static const char	*items[] = { "items", NULL };
	static const char	*name[] = { "metadata", "name", NULL };
	struct evac_record	 r[2];
	yajl_val		 v, a;
	char			*j;

	fill(&r[0]);
	fill(&r[1]);
	free(r[1].id);
	r[1].id = xstrdup("node-a-drain-second");
	j = evac_record_list(r, 2);
	v = yajl_tree_parse(j, NULL, 0);
	assert_non_null(v);
	a = yajl_tree_get(v, items, yajl_t_array);
	assert_int_equal(YAJL_GET_ARRAY(a)->len, 2);
	assert_string_equal(YAJL_GET_STRING(yajl_tree_get(
	    YAJL_GET_ARRAY(a)->values[1], name, yajl_t_string)),
	    "node-a-drain-second");
	yajl_tree_free(v);
	free(j);
	evac_record_clear(&r[0]);
	evac_record_clear(&r[1]);

	j = evac_record_list(NULL, 0);
	assert_string_equal(j, "{\"apiVersion\":\"ferry.io/v1\",\"kind\":"
	    "\"EvacuationList\",\"items\":[]}");
	free(j);

	j = evac_record_node("n1", 1, "kubevirt.io/drain:NoSchedule", NULL);
	assert_string_equal(j, "{\"node\":\"n1\",\"cordoned\":true,\"taint\":"
	    "\"kubevirt.io/drain:NoSchedule\",\"evacuation\":null}");
	free(j);
	j = evac_record_node("n1", 0, NULL, "n1-drain-abcde");
	assert_string_equal(j, "{\"node\":\"n1\",\"cordoned\":false,\"taint\":"
	    "\"\",\"evacuation\":\"n1-drain-abcde\"}");
	free(j);
}

/* A rejected entry's fields are kept escaped, cut short, as valid JSON. */
static void
evac_record_request_error__hostile_fields__escaped_and_cut(void **state)
{
	static const char	*fields[] = { "fields", NULL };
	static const char	*err[] = { "error", NULL };
	char			 big[1000];
	const char		*kv[5];
	yajl_val		 v, a;
	char			*j;
	const char		*s;

	memset(big, 'x', sizeof big - 1);
	big[sizeof big - 1] = '\0';
	kv[0] = "op";
	kv[1] = "dr\xffin\n";
	kv[2] = big;
	kv[3] = NULL;
	kv[4] = "tail";
	j = evac_record_request_error("1700000000000-0", "unknown op 'x'", kv,
	    5, 1795000000123ULL);
	v = yajl_tree_parse(j, NULL, 0);
	assert_non_null(v);
	assert_string_equal(YAJL_GET_STRING(yajl_tree_get(v, err,
	    yajl_t_string)), "unknown op 'x'");
	a = yajl_tree_get(v, fields, yajl_t_array);
	assert_int_equal(YAJL_GET_ARRAY(a)->len, 5);
	assert_string_equal(YAJL_GET_STRING(YAJL_GET_ARRAY(a)->values[1]),
	    "dr\\xffin\\x0a");
	s = YAJL_GET_STRING(YAJL_GET_ARRAY(a)->values[2]);
	assert_int_equal(strlen(s), 256 + 3);
	assert_string_equal(s + 256, "...");
	assert_true(YAJL_IS_NULL(YAJL_GET_ARRAY(a)->values[3]));
	yajl_tree_free(v);
	free(j);

	j = evac_record_request_error(NULL, "odd", NULL, 0, 1);
	assert_non_null(strstr(j, "\"id\":null"));
	assert_non_null(strstr(j, "\"fields\":[]"));
	free(j);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(evac_phase_name__every_phase__named),
		cmocka_unit_test(evac_reason_name__every_reason__named),
		cmocka_unit_test(evac_record_id_valid__cases__checked),
		cmocka_unit_test(evac_record_vm_outcome__each_kind__derived),
		cmocka_unit_test(evac_record_count__mixed__counted),
		cmocka_unit_test(evac_record_judge__table__phase_and_reason),
		cmocka_unit_test(
		    evac_record_message__remaining__each_with_why),
		cmocka_unit_test(evac_record_message__all_done__summary),
		cmocka_unit_test(evac_record_decode__encoded__round_trips),
		cmocka_unit_test(evac_record_encode__record__api_shape),
		cmocka_unit_test(evac_record_decode__bad_input__refused),
		cmocka_unit_test(evac_record_list__two__items_in_order),
		cmocka_unit_test(
		    evac_record_request_error__hostile_fields__escaped_and_cut),
	};

	return (cmocka_run_group_tests_name("evac", tests, NULL, NULL));
}
