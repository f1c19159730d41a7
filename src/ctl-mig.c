/*
 * ctl-mig.c: ferryctl's view of a migration object: the fields it shows,
 * the table of 'get migrations', ages the way kubectl prints them, and the
 * numbers of a progress line.  The object comes from the network: a missing
 * or mistyped field is an error or a "-", never a crash.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <yajl/yajl_tree.h>

#include "ferry/ctl-json.h"
#include "ferry/ctl-mig.h"
#include "ferry/ctl-util.h"
#include "ferry/util.h"
#include "ferry/xmalloc.h"

#define CTL_MIG_NCOLS	13	/* columns of the table, wide ones too */

static const struct {
	const char		*name;	/* phase as the API spells it */
	enum ctl_mig_kind	 kind;	/* whether and how it ends a wait */
} ctl_mig_phases[] = {
	{ .name = "pending", .kind = CTL_MIG_ACTIVE },
	{ .name = "scheduling", .kind = CTL_MIG_ACTIVE },
	{ .name = "copying", .kind = CTL_MIG_ACTIVE },
	{ .name = "completing", .kind = CTL_MIG_ACTIVE },
	{ .name = "succeeded", .kind = CTL_MIG_SUCCEEDED },
	{ .name = "failed", .kind = CTL_MIG_FAILED },
	{ .name = "aborted", .kind = CTL_MIG_ABORTED },
};

static const struct ctl_util_column ctl_mig_columns[CTL_MIG_NCOLS] = {
	{ .name = "NAME" },
	{ .name = "VM" },
	{ .name = "SOURCE" },
	{ .name = "TARGET" },
	{ .name = "PHASE" },
	{ .name = "REASON" },
	{ .name = "PROGRESS" },
	{ .name = "AGE" },
	{ .name = "DATA", .wide = 1 },		/* processed/total MiB */
	{ .name = "RATE", .wide = 1 },		/* memory copy rate */
	{ .name = "ELAPSED", .wide = 1 },	/* start to end, or now */
	{ .name = "EVACUATION", .wide = 1 },	/* the one that made it */
	{ .name = "MESSAGE", .wide = 1 },	/* the detail of REASON */
};

/* How PHASE ends a wait. */
static enum ctl_mig_kind
ctl_mig_phase_kind(const char *phase)
{
	size_t	i;

	for (i = 0; i < nitems(ctl_mig_phases); i++) {
		if (strcmp(ctl_mig_phases[i].name, phase) == 0)
			return (ctl_mig_phases[i].kind);
	}
	return (CTL_MIG_ACTIVE);
}

/* Fill M from migration object V; -1 if fields ferryctl needs are missing. */
int
ctl_mig_parse(yajl_val v, struct ctl_mig *m, char **cause)
{
	const char	*s;

	memset(m, 0, sizeof *m);
	if (!YAJL_IS_OBJECT(v)) {
		*cause = xstrdup(
		    "bad response from server: a migration is not an object");
		return (-1);
	}
	m->name = ctl_json_string(v, "metadata.name");
	m->phase = ctl_json_string(v, "status.phase");
	if (m->name == NULL || !util_name_valid(m->name)) {
		xasprintf(cause,
		    "bad response from server: invalid migration name '%s'",
		    m->name != NULL ? m->name : "");
		return (-1);
	}
	if (m->phase == NULL || *m->phase == '\0') {
		xasprintf(cause,
		    "bad response from server: migration '%s' without 'status.phase'",
		    m->name);
		return (-1);
	}
	m->kind = ctl_mig_phase_kind(m->phase);
	m->vm = (s = ctl_json_string(v, "spec.vmiName")) ? s : "-";
	m->source = (s = ctl_json_string(v, "status.sourceNode")) && *s ? s :
	    "-";
	m->target = (s = ctl_json_string(v, "status.targetNode")) && *s ? s :
	    (s = ctl_json_string(v, "spec.targetNode")) && *s ? s : "-";
	m->reason = (s = ctl_json_string(v, "status.reason")) ? s : "";
	m->message = (s = ctl_json_string(v, "status.message")) ? s : "";
	m->evacuation = (s = ctl_json_string(v, "status.evacuation")) ? s :
	    "";
	m->created = ctl_json_string(v, "metadata.creationTimestamp");
	m->started = ctl_json_string(v, "status.startTimestamp");
	m->ended = ctl_json_string(v, "status.endTimestamp");
	m->transitions = ctl_json_get(v, "status.phaseTransitions",
	    yajl_t_array);
	if (ctl_json_number(v, "status.progress.dataTotal", &m->total) == 0 &&
	    m->total > 0) {
		m->has_progress = 1;
		if (ctl_json_number(v, "status.progress.dataProcessed",
		    &m->processed) != 0 || m->processed < 0)
			m->processed = 0;
		if (ctl_json_number(v, "status.progress.dataRemaining",
		    &m->remaining) != 0 || m->remaining < 0)
			m->remaining = m->total > m->processed ?
			    m->total - m->processed : 0;
		if (ctl_json_number(v, "status.progress.memoryBps",
		    &m->bps) != 0 || m->bps < 0)
			m->bps = 0;
	}
	return (0);
}

/* Parse RFC 3339 text S into ms since the epoch. */
int
ctl_mig_time_parse(const char *s, uint64_t *ms)
{
	struct tm	 tm;
	const char	*p;
	int		 n = 0, frac = 0, digits = 0, oh, om, off = 0;
	time_t		 t;

	memset(&tm, 0, sizeof tm);
	if (s == NULL || sscanf(s, "%4d-%2d-%2d%*1[Tt ]%2d:%2d:%2d%n",
	    &tm.tm_year, &tm.tm_mon, &tm.tm_mday, &tm.tm_hour, &tm.tm_min,
	    &tm.tm_sec, &n) != 6 || n == 0)
		return (-1);
	p = s + n;
	if (*p == '.') {
		for (p++; *p >= '0' && *p <= '9'; p++, digits++) {
			if (digits < 3)
				frac = frac * 10 + (*p - '0');
		}
		for (; digits < 3; digits++)
			frac *= 10;
	}
	if (*p == 'Z' || *p == 'z')
		p++;
	else if ((*p == '+' || *p == '-') &&
	    sscanf(p + 1, "%2d:%2d%n", &oh, &om, &n) == 2 && n == 5) {
		off = (oh * 60 + om) * 60 * (*p == '-' ? -1 : 1);
		p += 6;
	} else
		return (-1);
	if (*p != '\0')
		return (-1);
	tm.tm_year -= 1900;
	tm.tm_mon -= 1;
	if ((t = timegm(&tm)) == (time_t)-1 || t - off < 0)
		return (-1);
	*ms = (uint64_t)(t - off) * 1000 + (uint64_t)frac;
	return (0);
}

/* Format the age of timestamp TS at wall time NOW the way kubectl does. */
void
ctl_mig_age(const char *ts, uint64_t now, char *buf, size_t len)
{
	uint64_t	then, s;

	if (ctl_mig_time_parse(ts, &then) != 0) {
		snprintf(buf, len, "-");
		return;
	}
	s = now > then ? (now - then) / 1000 : 0;	/* clock skew: 0s */
	if (s < 60)
		snprintf(buf, len, "%us", (unsigned)s);
	else if (s < 3600)
		snprintf(buf, len, "%um", (unsigned)(s / 60));
	else if (s < 86400)
		snprintf(buf, len, "%uh", (unsigned)(s / 3600));
	else if (s < 365 * 86400)
		snprintf(buf, len, "%ud", (unsigned)(s / 86400));
	else
		snprintf(buf, len, "%uy", (unsigned)(s / (365 * 86400)));
}

/*
 * Percent of M's data no longer remaining, rounded; 100 only once nothing
 * remains.  Processed bytes undercount: zero pages are sent as markers.
 */
int
ctl_mig_percent(const struct ctl_mig *m)
{
	double	pct = (m->total - m->remaining) * 100.0 / m->total + 0.5;

	if (m->remaining > 0 && pct >= 100)
		return (99);
	return (pct < 0 ? 0 : pct > 100 ? 100 : (int)pct);
}

/* Estimate the time M needs to finish: "6s left". */
void
ctl_mig_eta(const struct ctl_mig *m, char *buf, size_t len)
{
	double	secs;

	if (m->bps <= 0) {
		snprintf(buf, len, "? left");
		return;
	}
	secs = m->remaining / m->bps + 0.5;
	if (secs < 60)
		snprintf(buf, len, "%ds left", (int)secs);
	else if (secs < 3600)
		snprintf(buf, len, "%dm%02ds left", (int)secs / 60,
		    (int)secs % 60);
	else
		snprintf(buf, len, ">1h left");
}

/* Describe M's progress: "56.2/128.5 MiB, 20.0 MiB/s, 6s left". */
void
ctl_mig_progress(const struct ctl_mig *m, char *buf, size_t len)
{
	char	eta[32];

	ctl_mig_eta(m, eta, sizeof eta);
	snprintf(buf, len, "%.1f/%.1f MiB, %.1f MiB/s, %s",
	    m->processed / 1048576.0, m->total / 1048576.0,
	    m->bps / 1048576.0, eta);
}

/* How long M has run, or ran, into BUF: "5m3s", or "-" if unknown. */
static void
ctl_mig_elapsed(const struct ctl_mig *m, uint64_t now, char *buf,
    size_t len)
{
	uint64_t	start, end;

	if (ctl_mig_time_parse(m->started, &start) != 0 &&
	    ctl_mig_time_parse(m->created, &start) != 0) {
		snprintf(buf, len, "-");
		return;
	}
	if (m->kind == CTL_MIG_ACTIVE || ctl_mig_time_parse(m->ended,
	    &end) != 0)
		end = now;
	ctl_util_duration(end > start ? end - start : 0, buf, len);
}

/* Fill ROW with the table cells of migration object V (allocated). */
static void
ctl_mig_row(yajl_val v, uint64_t now, char **row)
{
	struct ctl_mig	 m;
	char		 age[16], elapsed[32], *cause = NULL;
	size_t		 c;

	/* ctl_mig_table checked every object already. */
	if (ctl_mig_parse(v, &m, &cause) != 0) {
		for (c = 0; c < CTL_MIG_NCOLS; c++)
			row[c] = xstrdup("-");
		free(cause);
		return;
	}
	ctl_mig_age(m.created, now, age, sizeof age);
	ctl_mig_elapsed(&m, now, elapsed, sizeof elapsed);
	row[0] = xstrdup(m.name);
	row[1] = xstrdup(m.vm);
	row[2] = xstrdup(m.source);
	row[3] = xstrdup(m.target);
	row[4] = xstrdup(m.phase);
	row[5] = xstrdup(*m.reason != '\0' ? m.reason : "-");
	if (m.has_progress) {
		xasprintf(&row[6], "%d%%", ctl_mig_percent(&m));
		xasprintf(&row[8], "%.1f/%.1fMiB", m.processed / 1048576.0,
		    m.total / 1048576.0);
		xasprintf(&row[9], "%.1fMiB/s", m.bps / 1048576.0);
	} else {
		row[6] = xstrdup("-");
		row[8] = xstrdup("-");
		row[9] = xstrdup("-");
	}
	row[7] = xstrdup(age);
	row[10] = xstrdup(elapsed);
	row[11] = xstrdup(*m.evacuation != '\0' ? m.evacuation : "-");
	row[12] = xstrdup(*m.message != '\0' ? m.message : "-");
}

/*
 * Print the N migration objects of ITEMS as a table on stdout, with more
 * columns if WIDE; -1 if one of them lacks what ferryctl needs.
 */
int
ctl_mig_table(yajl_val *items, size_t n, int wide, char **cause)
{
	struct ctl_mig	m;
	size_t		i;

	for (i = 0; i < n; i++) {
		if (ctl_mig_parse(items[i], &m, cause) != 0)
			return (-1);
	}
	ctl_util_table(items, n, ctl_mig_columns, CTL_MIG_NCOLS, wide,
	    ctl_mig_row);
	return (0);
}
