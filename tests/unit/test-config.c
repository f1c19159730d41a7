/*
 * test-config.c: unit tests of the configuration module: parsing good and
 * bad files, lists, booleans, labels and storage sections, defaults, the
 * default file and conf/ferryd.conf, and which changes need a restart.
 */

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ferry/config.h"
#include "ferry/config-priv.h"
#include "ferry/util.h"
#include "ferry/xmalloc.h"

/* One config_load() run on a temporary file. */
struct run {
	char		*path;		/* the file, already removed */
	struct config	*config;	/* the result on success, else NULL */
	char		*cause;		/* the errors on failure, else NULL */
	int		 rv;		/* what config_load() returned */
};

/* Options that need a restart, as the design lists them. */
static const char *const restart_options[] = {
	"listen_address", "listen_port", "workers", "log_format",
	"replica_id", "lease_timeout", "call_timeout", "reconnect_max",
	"redis_host",
	"redis_port", "redis_prefix", "keepalive_interval", "keepalive_count"
};

/* Write LEN bytes of TEXT to a new temporary file; return its path. */
static char *
write_temp(const char *text, size_t len)
{
	const char	*dir = getenv("TMPDIR");
	char		*path;
	int		 fd;

	xasprintf(&path, "%s/ferry-test-config.XXXXXX",
	    dir != NULL && *dir != '\0' ? dir : "/tmp");
	fd = mkstemp(path);
	assert_true(fd != -1);
	assert_int_equal(write(fd, text, len), (ssize_t)len);
	close(fd);
	return (path);
}

/* Load LEN bytes of TEXT through a temporary file into R. */
static void
run_load_len(struct run *r, const char *text, size_t len)
{
	r->path = write_temp(text, len);
	r->config = NULL;
	r->cause = NULL;
	r->rv = config_load(r->path, &r->config, &r->cause);
	unlink(r->path);
	if (r->rv == 0) {
		assert_non_null(r->config);
		assert_null(r->cause);
	} else {
		assert_int_equal(r->rv, -1);
		assert_null(r->config);
		assert_non_null(r->cause);
	}
}

/* Load the string TEXT into R. */
static void
run_load(struct run *r, const char *text)
{
	run_load_len(r, text, strlen(text));
}

/* Free what R holds. */
static void
run_free(struct run *r)
{
	config_free(r->config);
	free(r->cause);
	free(r->path);
}

/* Load TEXT and assert that it is accepted. */
static void
run_good(struct run *r, const char *text)
{
	run_load(r, text);
	if (r->rv != 0)
		fail_msg("unexpected errors:\n%s", r->cause);
}

/* Load TEXT and assert that it is refused. */
static void
run_bad(struct run *r, const char *text)
{
	run_load(r, text);
	if (r->rv == 0)
		fail_msg("accepted a bad file:\n%s", text);
}

/* Number of lines in the cause S. */
static size_t
count_lines(const char *s)
{
	size_t	n = 1;

	for (; *s != '\0'; s++) {
		if (*s == '\n')
			n++;
	}
	return (n);
}

/*
 * Assert that line number INDEX (from 0) of CAUSE is exactly
 * "PATH:LINE: option 'NAME': MSG" (or "PATH:LINE: MSG" if NAME is NULL).
 */
static void
assert_error_at(const char *cause, size_t index, const char *path,
    unsigned line, const char *name, const char *msg)
{
	const char	*s = cause, *end;
	char		*want;
	size_t		 i;

	if (name != NULL)
		xasprintf(&want, "%s:%u: option '%s': %s", path, line, name, msg);
	else
		xasprintf(&want, "%s:%u: %s", path, line, msg);
	for (i = 0; i < index && s != NULL; i++) {
		if ((s = strchr(s, '\n')) != NULL)
			s++;
	}
	if (s == NULL)
		fail_msg("no line %zu in cause:\n%s", index, cause);
	end = s + strcspn(s, "\n");
	if ((size_t)(end - s) != strlen(want) ||
	    strncmp(s, want, strlen(want)) != 0)
		fail_msg("line %zu of cause is not\n%s\ncause:\n%s", index, want,
		    cause);
	free(want);
}

/* Assert that R failed with exactly one error, the one given. */
static void
assert_only_error(const struct run *r, unsigned line, const char *name,
    const char *msg)
{
	assert_int_equal(r->rv, -1);
	if (count_lines(r->cause) != 1)
		fail_msg("expected one error, got:\n%s", r->cause);
	assert_error_at(r->cause, 0, r->path, line, name, msg);
}

/* Assert that C holds the defaults config.h documents, no nodes or storage. */
static void
assert_defaults(const struct config *c)
{
	assert_string_equal(c->listen_address, "127.0.0.1");
	assert_int_equal(c->listen_port, 8470);
	assert_int_equal(c->workers, 4);
	assert_string_equal(c->log_level, "info");
	assert_string_equal(c->log_format, "auto");
	assert_string_equal(c->replica_id, "");
	assert_int_equal(c->call_timeout, 30);
	assert_int_equal(c->reconnect_max, 30);
	assert_int_equal(c->inventory_interval, 30);
	assert_string_equal(c->redis_host, "127.0.0.1");
	assert_int_equal(c->redis_port, 6379);
	assert_string_equal(c->redis_prefix, "ferry:");
	assert_int_equal(c->completion_timeout_per_gib, 800);
	assert_int_equal(c->progress_timeout, 150);
	assert_int_equal(c->keepalive_interval, 5);
	assert_int_equal(c->keepalive_count, 5);
	assert_int_equal(c->bandwidth_per_migration, 0);
	assert_int_equal(c->job_stats_interval, 1000);
	assert_int_equal(c->unreachable_timeout, 300);
	assert_int_equal(c->finished_retention, 600);
	assert_string_equal(c->cpu_model, "");
	assert_int_equal(c->memory_headroom, 256);
	assert_int_equal(c->unschedulable_timeout, 300);
	assert_int_equal(c->parallel_migrations_per_cluster, 5);
	assert_int_equal(c->parallel_outbound_migrations_per_node, 2);
	assert_int_equal(c->webhook_url.n, 0);
	assert_null(c->webhook_url.v);
	assert_string_equal(c->webhook_events, "final");
	assert_int_equal(c->webhook_timeout, 5000);
	assert_int_equal(c->webhook_retries, 5);
	assert_int_equal(c->webhook_queue, 1000);
	assert_null(c->nodes);
	assert_int_equal(c->nnodes, 0);
	assert_null(c->storage);
	assert_int_equal(c->nstorage, 0);
}

/* Assert that list L holds exactly the N strings that follow, in order. */
static void
assert_list(const struct config_list *l, size_t n, ...)
{
	va_list	 ap;
	size_t	 i;

	assert_int_equal(l->n, n);
	if (n == 0)
		assert_null(l->v);
	va_start(ap, n);
	for (i = 0; i < n; i++)
		assert_string_equal(l->v[i], va_arg(ap, const char *));
	va_end(ap);
}

/* Is option O in a section that takes a NAME ([node NAME], [storage NAME])? */
static int
option_named(const struct config_option *o)
{
	return (config_sections[o->section].named);
}

/* Path of FILE under the source tree, found from $top_srcdir or nearby. */
static char *
srcdir_path(const char *file)
{
	static const char *const	 tries[] = { "..", ".", "../.." };
	const char			*top = getenv("top_srcdir");
	char				*path;
	size_t				 i;

	if (top != NULL && *top != '\0') {
		xasprintf(&path, "%s/%s", top, file);
		return (path);
	}
	for (i = 0; i < nitems(tries); i++) {
		xasprintf(&path, "%s/%s", tries[i], file);
		if (access(path, R_OK) == 0)
			return (path);
		free(path);
	}
	fail_msg("cannot find '%s': set top_srcdir", file);
	return (NULL);
}

/* Read all of PATH into a new string; *LEN is its length. */
static char *
read_all(const char *path, size_t *len)
{
	FILE	*f;
	char	*buf;
	long	 size;

	if ((f = fopen(path, "r")) == NULL)
		fail_msg("cannot open '%s': %s", path, strerror(errno));
	assert_int_equal(fseek(f, 0, SEEK_END), 0);
	size = ftell(f);
	assert_true(size >= 0);
	rewind(f);
	buf = xmalloc((size_t)size + 1);
	assert_int_equal(fread(buf, 1, (size_t)size, f), (size_t)size);
	buf[size] = '\0';
	fclose(f);
	*len = (size_t)size;
	return (buf);
}

/* What config_write_default() writes, as a string. */
static char *
default_text(size_t *len)
{
	FILE	*f;
	char	*buf = NULL;

	f = open_memstream(&buf, len);
	assert_non_null(f);
	config_write_default(f);
	assert_int_equal(fclose(f), 0);
	return (buf);
}

/* config_default() holds what config.h documents. */
static void
config_default__called__documented_defaults(void **state)
{
	struct config	*c = config_default();

	assert_defaults(c);
	assert_null(c->path);
	config_free(c);
}

/* config_free() accepts NULL, as every _free does. */
static void
config_free__null__returns(void **state)
{
	config_free(NULL);
}

/* An empty file is all defaults, with the path recorded. */
static void
config_load__empty_file__defaults(void **state)
{
	struct run	r;

	run_good(&r, "");
	assert_defaults(r.config);
	assert_string_equal(r.config->path, r.path);
	run_free(&r);
}

/*
 * Comments of both kinds, blank and whitespace-only lines, CRLF line ends,
 * a byte order mark and a missing final newline change nothing.
 */
static void
config_load__comments_and_blanks__defaults(void **state)
{
	struct run	r;

	run_good(&r, "\xef\xbb\xbf# hash comment\n"
	    "; semicolon comment\n"
	    "\n"
	    "   \t  \n"
	    "\t# indented = comment\r\n"
	    "[ferryd]\r\n"
	    "  ; listen_port = 1\n"
	    "#workers = 9\n"
	    "[redis]\n"
	    "[migration]");
	assert_defaults(r.config);
	run_free(&r);
}

/* The full fixture sets every option; each value is read as written. */
static void
config_load__every_option_set__values_read(void **state)
{
	struct run		 r = { 0 };
	const struct config	*c;
	size_t			 i, nglobal = 0;

	/* The fixture must grow with the table: count global options. */
	for (i = 0; i < config_table_size; i++) {
		if (!option_named(&config_table[i]))
			nglobal++;
	}
	assert_int_equal(nglobal, 36);

	r.path = srcdir_path("tests/unit/fixtures/config-full.conf");
	r.rv = config_load(r.path, &r.config, &r.cause);
	if (r.rv != 0)
		fail_msg("unexpected errors:\n%s", r.cause);
	c = r.config;

	assert_string_equal(c->listen_address, "0.0.0.0");
	assert_int_equal(c->listen_port, 9000);
	assert_string_equal(c->api_token_file, "/etc/ferry/token");
	assert_int_equal(c->api_open_health, 0);
	assert_int_equal(c->workers, 64);
	assert_string_equal(c->log_level, "debug");
	assert_string_equal(c->log_format, "json");
	assert_string_equal(c->replica_id, "ferry-1.example");
	assert_int_equal(c->call_timeout, 3600);
	assert_int_equal(c->reconnect_max, 1);
	assert_int_equal(c->lease_timeout, 60000);
	assert_int_equal(c->inventory_interval, 3600);
	assert_string_equal(c->redis_host, "redis.example.com");
	assert_int_equal(c->redis_port, 6380);
	assert_string_equal(c->redis_prefix, "ferry test:");
	assert_int_equal(c->completion_timeout_per_gib, 86400);
	assert_int_equal(c->progress_timeout, 1);
	assert_int_equal(c->keepalive_interval, 0);
	assert_int_equal(c->keepalive_count, 100);
	assert_int_equal(c->bandwidth_per_migration, 1048576);
	assert_int_equal(c->job_stats_interval, 50);
	assert_int_equal(c->unreachable_timeout, 86400);
	assert_int_equal(c->finished_retention, 0);
	assert_string_equal(c->cpu_model, "Skylake-Client-IBRS");
	assert_int_equal(c->memory_headroom, 0);
	assert_int_equal(c->unschedulable_timeout, 1);
	assert_string_equal(c->evacuation_taint, "example.com/maintenance");
	assert_string_equal(c->evacuation_migration_prefix, "evac");
	assert_int_equal(c->evacuation_timeout, 604800);
	assert_int_equal(c->parallel_migrations_per_cluster, 1000);
	assert_int_equal(c->parallel_outbound_migrations_per_node, 100);
	/* '#' and ';' inside a URL are not comments either. */
	assert_list(&c->webhook_url, 2, "http://127.0.0.1:9999/hook",
	    "https://u:pw@hooks.example.com/f?t=a;b#c");
	assert_string_equal(c->webhook_events, "all");
	assert_int_equal(c->webhook_timeout, 600000);
	assert_int_equal(c->webhook_retries, 0);
	assert_int_equal(c->webhook_queue, 100000);

	assert_int_equal(c->nnodes, 2);
	assert_string_equal(c->nodes[0].name, "node-a");
	assert_string_equal(c->nodes[0].uri,
	    "qemu+tls://node-a.example.com/system");
	/* '#' and ';' inside a value are not comments. */
	assert_string_equal(c->nodes[0].migration_uri,
	    "qemu+ssh://root@node-a.mgmt/system?keyfile=/k#x;y");
	assert_string_equal(c->nodes[0].migration_address, "10.10.0.11");
	assert_list(&c->nodes[0].labels, 4, "topology.example.com/rack=r12",
	    "ssd=", "zone=east", "gpu.vendor=nvidia");
	assert_list(&c->nodes[0].networks, 2, "mgmt", "vlan100");
	assert_int_equal(c->nodes[0].cpu_manager, 1);
	assert_int_equal(c->nodes[0].schedulable, 0);
	assert_int_equal(c->nodes[0].line, 50);
	assert_string_equal(c->nodes[1].name, "node_b.2");
	assert_string_equal(c->nodes[1].uri, "qemu:///system");
	assert_string_equal(c->nodes[1].migration_uri, "qemu:///system");
	assert_null(c->nodes[1].migration_address);
	assert_list(&c->nodes[1].labels, 0);
	assert_list(&c->nodes[1].networks, 0);
	assert_int_equal(c->nodes[1].cpu_manager, 0);
	assert_int_equal(c->nodes[1].schedulable, 1);
	assert_int_equal(c->nodes[1].line, 59);

	assert_int_equal(c->nstorage, 2);
	assert_string_equal(c->storage[0].name, "shared-nfs");
	assert_list(&c->storage[0].paths, 2, "/srv/nfs/vms", "/mnt/nfs/");
	assert_list(&c->storage[0].pools, 1, "nfs-vms");
	assert_string_equal(c->storage[0].access_mode, "ReadWriteMany");
	assert_int_equal(c->storage[0].replicas, 64);
	assert_string_equal(c->storage[0].kind, "volume");
	assert_int_equal(c->storage[0].line, 62);
	assert_string_equal(c->storage[1].name, "container-disks");
	assert_list(&c->storage[1].paths, 0);
	assert_list(&c->storage[1].pools, 1, "cd");
	assert_string_equal(c->storage[1].access_mode, "ReadWriteOnce");
	assert_int_equal(c->storage[1].replicas, 1);
	assert_string_equal(c->storage[1].kind, "containerDisk");
	assert_int_equal(c->storage[1].line, 69);
	assert_ptr_equal(config_storage_find(c, "container-disks"),
	    &c->storage[1]);
	run_free(&r);
}

/* Quotes are removed once; what is inside them is kept as is. */
static void
config_load__quoted_values__inside_kept(void **state)
{
	struct run	r;

	run_good(&r, "[ferryd]\n"
	    "listen_address = \" ::1 \"  \n"
	    "listen_port = \"8471\"\n"
	    "replica_id = \"\"\n"
	    "[redis]\n"
	    "redis_host = \"a\"b\"\n"
	    "redis_prefix = pre\"fix\n");
	assert_string_equal(r.config->listen_address, " ::1 ");
	assert_int_equal(r.config->listen_port, 8471);
	assert_string_equal(r.config->replica_id, "");
	assert_string_equal(r.config->redis_host, "a\"b");
	assert_string_equal(r.config->redis_prefix, "pre\"fix");
	run_free(&r);
}

/* Both ends of a range are accepted, as are explicit signs. */
static void
config_load__range_edges__accepted(void **state)
{
	struct run	r;

	run_good(&r, "[ferryd]\nlisten_port = 65535\nworkers = +1\n"
	    "[redis]\nredis_port = 1\n"
	    "[migration]\nkeepalive_interval = 0\nkeepalive_count = -0\n");
	assert_int_equal(r.config->listen_port, 65535);
	assert_int_equal(r.config->workers, 1);
	assert_int_equal(r.config->redis_port, 1);
	assert_int_equal(r.config->keepalive_interval, 0);
	assert_int_equal(r.config->keepalive_count, 0);
	run_free(&r);
}

/* Nodes keep file order; config_node_find() finds them by name only. */
static void
config_load__several_nodes__file_order(void **state)
{
	struct run			 r;
	const struct config_node	*n;

	run_good(&r, "[node c]\nuri = qemu+tcp://c/system\n"
	    "[ferryd]\nworkers = 2\n"
	    "[node a]\nuri = qemu+tcp://a/system\nmigration_address = 10.0.0.1\n"
	    "[node b]\nuri = qemu+tcp://b/system\n"
	    "migration_uri = qemu+tcp://b-mig/system\n");
	assert_int_equal(r.config->workers, 2);
	assert_int_equal(r.config->nnodes, 3);
	assert_string_equal(r.config->nodes[0].name, "c");
	assert_string_equal(r.config->nodes[1].name, "a");
	assert_string_equal(r.config->nodes[2].name, "b");
	assert_int_equal(r.config->nodes[1].line, 5);

	n = config_node_find(r.config, "b");
	assert_ptr_equal(n, &r.config->nodes[2]);
	assert_string_equal(n->uri, "qemu+tcp://b/system");
	assert_string_equal(n->migration_uri, "qemu+tcp://b-mig/system");
	assert_null(n->migration_address);
	n = config_node_find(r.config, "a");
	assert_string_equal(n->migration_address, "10.0.0.1");
	assert_string_equal(n->migration_uri, "qemu+tcp://a/system");
	assert_null(config_node_find(r.config, "d"));
	assert_null(config_node_find(r.config, "B"));
	run_free(&r);
}

/* Exactly CONFIG_NODES_MAX nodes are accepted. */
static void
config_load__256_nodes__accepted(void **state)
{
	struct run	 r;
	char		*text = xstrdup(""), *next;
	int		 i;

	for (i = 0; i < 256; i++) {
		xasprintf(&next, "%s[node n%d]\nuri = qemu+tcp://n%d/system\n",
		    text, i, i);
		free(text);
		text = next;
	}
	run_good(&r, text);
	assert_int_equal(r.config->nnodes, 256);
	assert_string_equal(r.config->nodes[255].name, "n255");
	run_free(&r);
	free(text);
}

/* A line of exactly CONFIG_LINE_MAX bytes is read whole. */
static void
config_load__line_at_limit__accepted(void **state)
{
	struct run	 r;
	char		*text;
	size_t		 prefix = strlen("[redis]\nredis_prefix = ");

	text = xmalloc(prefix + CONFIG_LINE_MAX + 2);
	memcpy(text, "[redis]\nredis_prefix = ", prefix);
	memset(text + prefix, 'p', CONFIG_LINE_MAX - 15);
	strcpy(text + prefix + CONFIG_LINE_MAX - 15, "\n");
	run_good(&r, text);
	assert_int_equal(strlen(r.config->redis_prefix), CONFIG_LINE_MAX - 15);
	run_free(&r);
	free(text);
}

/* A file that does not exist: "cannot open", with the system's reason. */
static void
config_load__missing_file__cannot_open(void **state)
{
	struct config	*c = (struct config *)1;
	char		*cause = NULL;

	assert_int_equal(config_load("/nonexistent/ferryd.conf", &c, &cause),
	    -1);
	assert_null(c);
	assert_string_equal(cause, "cannot open '/nonexistent/ferryd.conf': "
	    "No such file or directory");
	free(cause);
}

/* A directory opens but cannot be read: an error, not defaults. */
static void
config_load__directory__read_error(void **state)
{
	struct config	*c = NULL;
	char		*cause = NULL;

	assert_int_equal(config_load("/", &c, &cause), -1);
	assert_null(c);
	assert_string_equal(cause, "/: read error: Is a directory");
	free(cause);
}

/* An unknown section is one error; its options are not reported too. */
static void
config_load__unknown_section__error(void **state)
{
	struct run	r;

	run_bad(&r, "[ferryd]\nworkers = 2\n[logging]\nlevel = 1\nx = 2\n");
	assert_only_error(&r, 3, NULL, "unknown section 'logging'");
	run_free(&r);
}

/* An unknown option names the section it was looked for in. */
static void
config_load__unknown_option__error(void **state)
{
	struct run	r;

	run_bad(&r, "[ferryd]\nworkers = 2\nlisten_prot = 1\n");
	assert_only_error(&r, 3, "listen_prot", "unknown option in [ferryd]");
	run_free(&r);

	run_bad(&r, "[node a]\nuri = x\nworkers = 2\n");
	assert_only_error(&r, 3, "workers",
	    "unknown in [node], it belongs in [ferryd]");
	run_free(&r);
}

/* An option in the wrong section says where it belongs. */
static void
config_load__option_in_wrong_section__error(void **state)
{
	struct run	r;

	run_bad(&r, "[ferryd]\nredis_port = 6380\n");
	assert_only_error(&r, 2, "redis_port",
	    "unknown in [ferryd], it belongs in [redis]");
	run_free(&r);
}

/* A line that is neither comment, section nor option. */
static void
config_load__missing_equals__error(void **state)
{
	struct run	r;

	run_bad(&r, "[ferryd]\n\nlisten_port 8470\n");
	assert_only_error(&r, 3, NULL,
	    "missing '=' in 'listen_port 8470', expected 'name = value'");
	run_free(&r);

	run_bad(&r, "[ferryd]\n = 8470\n");
	assert_only_error(&r, 2, NULL, "missing option name before '='");
	run_free(&r);
}

/* An integer option needs a value. */
static void
config_load__empty_int__error(void **state)
{
	struct run	r;

	run_bad(&r, "[ferryd]\nlisten_port =\n");
	assert_only_error(&r, 2, "listen_port",
	    "empty value, must be between 1 and 65535");
	run_free(&r);

	run_bad(&r, "[migration]\nprogress_timeout = \"\"\n");
	assert_only_error(&r, 2, "progress_timeout",
	    "empty value, must be between 1 and 86400");
	run_free(&r);
}

/* Text that is not a decimal integer is refused, whatever its start. */
static void
config_load__not_integer__error(void **state)
{
	static const char *const	 values[] = {
		"four", "4x", "0x4", "4.0", "4 4", "--4", "+", "\" 4\""
	};
	struct run			 r;
	char				*text, *want;
	size_t				 i, len;

	for (i = 0; i < nitems(values); i++) {
		xasprintf(&text, "[ferryd]\nworkers = %s\n", values[i]);
		run_bad(&r, text);
		len = strlen(values[i]);
		if (values[i][0] == '"')
			xasprintf(&want, "'%.*s' is not an integer, must be "
			    "between 1 and 64", (int)len - 2, values[i] + 1);
		else
			xasprintf(&want, "'%s' is not an integer, must be "
			    "between 1 and 64", values[i]);
		assert_only_error(&r, 2, "workers", want);
		run_free(&r);
		free(want);
		free(text);
	}
}

/* Integers outside the range, including past long long, are refused. */
static void
config_load__out_of_range__error(void **state)
{
	static const char *const	 values[] = {
		"0", "65536", "-1", "99999999999999999999999", "-9223372036854775809",
		"4294975766"
	};
	struct run			 r;
	char				*text, *want;
	size_t				 i;

	for (i = 0; i < nitems(values); i++) {
		xasprintf(&text, "[ferryd]\nlisten_port = %s\n", values[i]);
		run_bad(&r, text);
		xasprintf(&want, "'%s' is out of range, must be between 1 and "
		    "65535", values[i]);
		assert_only_error(&r, 2, "listen_port", want);
		run_free(&r);
		free(want);
		free(text);
	}

	run_bad(&r, "[migration]\njob_stats_interval = 49\n");
	assert_only_error(&r, 2, "job_stats_interval",
	    "'49' is out of range, must be between 50 and 60000");
	run_free(&r);
}

/* log_level and log_format take only their words, in lower case. */
static void
config_load__value_not_allowed__error(void **state)
{
	struct run	r;

	run_bad(&r, "[ferryd]\nlog_level = verbose\n");
	assert_only_error(&r, 2, "log_level",
	    "'verbose' is not one of debug, info, warn, error");
	run_free(&r);

	run_bad(&r, "[ferryd]\nlog_format = JSON\n");
	assert_only_error(&r, 2, "log_format",
	    "'JSON' is not one of auto, json, text");
	run_free(&r);

	run_bad(&r, "[ferryd]\nlog_format =\n");
	assert_only_error(&r, 2, "log_format",
	    "'' is not one of auto, json, text");
	run_free(&r);
}

/* Strings that must not be empty, and names that must be names. */
static void
config_load__bad_string__error(void **state)
{
	struct run	r;

	run_bad(&r, "[redis]\nredis_host = \"\"\n");
	assert_only_error(&r, 2, "redis_host", "must not be empty");
	run_free(&r);

	run_bad(&r, "[node a]\nuri =\n");
	assert_only_error(&r, 2, "uri", "must not be empty");
	run_free(&r);

	run_bad(&r, "[ferryd]\nreplica_id = two words\n");
	assert_only_error(&r, 2, "replica_id", "'two words' is not a valid "
	    "name (1 to 64 letters, digits, '_', '.' or '-')");
	run_free(&r);
}

/* An opening quote needs a closing one. */
static void
config_load__unterminated_quote__error(void **state)
{
	struct run	r;

	run_bad(&r, "[ferryd]\nlisten_address = \"127.0.0.1\n");
	assert_only_error(&r, 2, "listen_address", "missing closing '\"'");
	run_free(&r);

	run_bad(&r, "[ferryd]\nlisten_address = \"\n");
	assert_only_error(&r, 2, "listen_address", "missing closing '\"'");
	run_free(&r);
}

/* An option set twice is an error, also across repeated sections. */
static void
config_load__duplicate_option__error(void **state)
{
	struct run	r;

	run_bad(&r, "[ferryd]\nworkers = 2\nworkers = 2\n");
	assert_only_error(&r, 3, "workers",
	    "set twice in one section, first at line 2");
	run_free(&r);

	run_bad(&r, "[ferryd]\nworkers = 2\n[redis]\n[ferryd]\nworkers = 3\n");
	assert_only_error(&r, 5, "workers",
	    "set twice in one section, first at line 2");
	run_free(&r);

	run_bad(&r, "[node a]\nuri = x\nuri = y\n");
	assert_only_error(&r, 3, "uri",
	    "set twice in one section, first at line 2");
	run_free(&r);

	/* The same node option in two nodes is fine. */
	run_good(&r, "[node a]\nuri = x\n[node b]\nuri = y\n");
	run_free(&r);
}

/* Options need a section above them. */
static void
config_load__option_before_section__error(void **state)
{
	struct run	r;

	run_bad(&r, "# header\nworkers = 2\n[ferryd]\n");
	assert_only_error(&r, 2, "workers", "appears before any [section]");
	run_free(&r);
}

/* Malformed section headers. */
static void
config_load__bad_section_header__error(void **state)
{
	struct run	r;

	run_bad(&r, "[ferryd\n");
	assert_only_error(&r, 1, NULL, "missing ']' after '['");
	run_free(&r);

	run_bad(&r, "[ferryd] x\n");
	assert_only_error(&r, 1, NULL, "unexpected ' x' after ']'");
	run_free(&r);

	run_bad(&r, "[redis main]\n");
	assert_only_error(&r, 1, NULL, "section [redis] takes no name");
	run_free(&r);

	run_bad(&r, "[]\n");
	assert_only_error(&r, 1, NULL, "unknown section ''");
	run_free(&r);
}

/* Node names are unique. */
static void
config_load__duplicate_node__error(void **state)
{
	struct run	r;

	run_bad(&r, "[node a]\nuri = x\n[node b]\nuri = y\n[node a]\nuri = z\n");
	assert_only_error(&r, 5, NULL, "duplicate node 'a', first at line 1");
	run_free(&r);
}

/* Node names are util_name_valid() names, and present. */
static void
config_load__invalid_node_name__error(void **state)
{
	struct run	 r;
	char		 long_name[66];
	char		*text, *want;

	run_bad(&r, "[node a b]\nuri = x\n");
	assert_only_error(&r, 1, NULL, "invalid node name 'a b' (1 to 64 "
	    "letters, digits, '_', '.' or '-')");
	run_free(&r);

	run_bad(&r, "[node a/b]\nuri = x\n");
	assert_only_error(&r, 1, NULL, "invalid node name 'a/b' (1 to 64 "
	    "letters, digits, '_', '.' or '-')");
	run_free(&r);

	run_bad(&r, "[node]\nuri = x\n");
	assert_only_error(&r, 1, NULL,
	    "section [node] needs a name: [node NAME]");
	run_free(&r);

	memset(long_name, 'n', 65);
	long_name[65] = '\0';
	xasprintf(&text, "[node %s]\nuri = x\n", long_name);
	xasprintf(&want, "invalid node name '%.64s...' (1 to 64 letters, "
	    "digits, '_', '.' or '-')", long_name);
	run_bad(&r, text);
	assert_only_error(&r, 1, NULL, want);
	run_free(&r);
	free(want);
	free(text);
}

/* A node without uri is reported at its header, also the last node. */
static void
config_load__node_without_uri__error(void **state)
{
	struct run	r;

	run_bad(&r, "[node a]\nmigration_address = 10.0.0.1\n"
	    "[node b]\nuri = x\n"
	    "\n[node c]\n");
	assert_int_equal(count_lines(r.cause), 2);
	assert_error_at(r.cause, 0, r.path, 1, "uri", "missing in [node a]");
	assert_error_at(r.cause, 1, r.path, 6, "uri", "missing in [node c]");
	run_free(&r);
}

/* More than CONFIG_NODES_MAX nodes: one error, at the first too many. */
static void
config_load__too_many_nodes__error(void **state)
{
	struct run	 r;
	char		*text = xstrdup(""), *next;
	int		 i;

	for (i = 0; i < 258; i++) {
		xasprintf(&next, "%s[node n%d]\nuri = qemu+tcp://n%d/system\n",
		    text, i, i);
		free(text);
		text = next;
	}
	run_bad(&r, text);
	assert_only_error(&r, 513, NULL, "more than 256 nodes");
	run_free(&r);
	free(text);
}

/* A 10000-byte line is one error; the lines after it are still read. */
static void
config_load__long_line__error_and_continues(void **state)
{
	struct run	 r;
	char		*text;
	size_t		 len = 10000;

	text = xmalloc(len + 64);
	strcpy(text, "[ferryd]\nlisten_address = ");
	memset(text + strlen(text), 'a', len - strlen(text) + 9);
	strcpy(text + len + 9, "\nworkers = 0\n");
	assert_int_equal(strchr(text + 9, '\n') - (text + 9), (long)len);

	run_bad(&r, text);
	assert_int_equal(count_lines(r.cause), 2);
	assert_error_at(r.cause, 0, r.path, 2, NULL,
	    "line is longer than 4096 bytes");
	assert_error_at(r.cause, 1, r.path, 3, "workers",
	    "'0' is out of range, must be between 1 and 64");
	run_free(&r);
	free(text);
}

/* A NUL byte inside a line is an error, not a silently cut line. */
static void
config_load__nul_byte__error(void **state)
{
	static const char	text[] = "[ferryd]\nworkers = 2\0junk\n";
	struct run		r;

	run_load_len(&r, text, sizeof text - 1);
	assert_only_error(&r, 2, NULL, "line contains a NUL byte");
	run_free(&r);
}

/* Control bytes from the file are escaped in messages. */
static void
config_load__control_bytes__escaped(void **state)
{
	struct run	r;

	run_bad(&r, "[ferryd]\n\x1b[2J\\ = 1\n");
	assert_only_error(&r, 2, "\\x1b[2J\\x5c", "unknown option in [ferryd]");
	assert_null(strchr(r.cause, '\x1b'));
	run_free(&r);
}

/* Build "[node a]\nuri = x\nOPTION = " followed by N items "PREFIX<i>". */
static char *
node_with_items(const char *option, const char *prefix, int n)
{
	char	*text, *next;
	int	 i;

	xasprintf(&text, "[node a]\nuri = x\n%s = ", option);
	for (i = 0; i < n; i++) {
		xasprintf(&next, "%s%s%s%d", text, i == 0 ? "" : ",", prefix, i);
		free(text);
		text = next;
	}
	xasprintf(&next, "%s\n", text);
	free(text);
	return (next);
}

/* A node that sets only uri has empty lists, no CPU manager, schedulable. */
static void
config_load__node_new_options_unset__defaults(void **state)
{
	struct run	r;

	run_good(&r, "[node a]\nuri = x\n");
	assert_list(&r.config->nodes[0].labels, 0);
	assert_list(&r.config->nodes[0].networks, 0);
	assert_int_equal(r.config->nodes[0].cpu_manager, 0);
	assert_int_equal(r.config->nodes[0].schedulable, 1);
	run_free(&r);
}

/*
 * Lists: items trimmed of spaces and tabs, quotes around the whole value
 * removed, a blank value (quoted or not) is the empty list.
 */
static void
config_load__list_spacing_and_quotes__items_trimmed(void **state)
{
	struct run	r;

	run_good(&r, "[node a]\nuri = x\nnetworks =  mgmt ,vlan100,\t x-1\t\n"
	    "[node b]\nuri = y\nnetworks = \" mgmt , b \"\n"
	    "[node c]\nuri = z\nnetworks = solo\n"
	    "[node d]\nuri = w\nnetworks =\nlabels = \" \"\n"
	    "[node e]\nuri = v\nnetworks = \"\"\n");
	assert_list(&r.config->nodes[0].networks, 3, "mgmt", "vlan100", "x-1");
	assert_list(&r.config->nodes[1].networks, 2, "mgmt", "b");
	assert_list(&r.config->nodes[2].networks, 1, "solo");
	assert_list(&r.config->nodes[3].networks, 0);
	assert_list(&r.config->nodes[3].labels, 0);
	assert_list(&r.config->nodes[4].networks, 0);
	assert_true(config_list_has(&r.config->nodes[0].networks, "vlan100"));
	assert_false(config_list_has(&r.config->nodes[0].networks, "vlan10"));
	assert_false(config_list_has(&r.config->nodes[3].networks, ""));
	run_free(&r);
}

/* Exactly CONFIG_LIST_MAX items, and an item of CONFIG_ITEM_MAX bytes. */
static void
config_load__list_at_limits__accepted(void **state)
{
	struct run	 r;
	char		*text, item[CONFIG_ITEM_MAX + 1];

	text = node_with_items("networks", "n", CONFIG_LIST_MAX);
	run_good(&r, text);
	assert_int_equal(r.config->nodes[0].networks.n, CONFIG_LIST_MAX);
	assert_string_equal(r.config->nodes[0].networks.v[63], "n63");
	run_free(&r);
	free(text);

	memset(item, 'k', CONFIG_ITEM_MAX - 2);
	memcpy(item + CONFIG_ITEM_MAX - 2, "=v", 3);
	xasprintf(&text, "[node a]\nuri = x\nlabels = a=b, %s\n", item);
	run_good(&r, text);
	assert_list(&r.config->nodes[0].labels, 2, "a=b", item);
	run_free(&r);
	free(text);
}

/* Empty items: a trailing, leading or doubled comma, or only commas. */
static void
config_load__list_empty_item__error(void **state)
{
	struct run	r;

	run_bad(&r, "[node a]\nuri = x\nnetworks = mgmt, vlan100,\n");
	assert_only_error(&r, 3, "networks", "item 3 is empty");
	run_free(&r);

	run_bad(&r, "[node a]\nuri = x\nnetworks = ,mgmt\n");
	assert_only_error(&r, 3, "networks", "item 1 is empty");
	run_free(&r);

	run_bad(&r, "[node a]\nuri = x\nnetworks = a, ,b\n");
	assert_only_error(&r, 3, "networks", "item 2 is empty");
	run_free(&r);

	run_bad(&r, "[node a]\nuri = x\nlabels = \" , \"\n");
	assert_int_equal(count_lines(r.cause), 2);
	assert_error_at(r.cause, 0, r.path, 3, "labels", "item 1 is empty");
	assert_error_at(r.cause, 1, r.path, 3, "labels", "item 2 is empty");
	run_free(&r);
}

/* More than CONFIG_LIST_MAX items, or an item over CONFIG_ITEM_MAX bytes. */
static void
config_load__list_too_big__error(void **state)
{
	struct run	 r;
	char		*text, item[CONFIG_ITEM_MAX + 2];

	text = node_with_items("networks", "n", CONFIG_LIST_MAX + 1);
	run_bad(&r, text);
	assert_only_error(&r, 3, "networks", "more than 64 items");
	run_free(&r);
	free(text);

	/* 65 empty items: one error, not 65. */
	xasprintf(&text, "[node a]\nuri = x\nnetworks = %.64s\n",
	    ",,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,");
	run_bad(&r, text);
	assert_only_error(&r, 3, "networks", "more than 64 items");
	run_free(&r);
	free(text);

	memset(item, 'k', CONFIG_ITEM_MAX - 1);
	memcpy(item + CONFIG_ITEM_MAX - 1, "=v", 3);
	xasprintf(&text, "[node a]\nuri = x\nlabels = a=b, %s\n", item);
	run_bad(&r, text);
	assert_only_error(&r, 3, "labels", "item 2 is longer than 256 bytes");
	run_free(&r);
	free(text);
}

/* Network items are names; each bad one is reported; none given twice. */
static void
config_load__list_bad_items__each_reported(void **state)
{
	struct run	r;

	run_bad(&r, "[node a]\nuri = x\nnetworks = ok, two words, a/b, ok2\n");
	assert_int_equal(count_lines(r.cause), 2);
	assert_error_at(r.cause, 0, r.path, 3, "networks", "item 'two words' "
	    "is not a valid name (1 to 64 letters, digits, '_', '.' or '-')");
	assert_error_at(r.cause, 1, r.path, 3, "networks", "item 'a/b' "
	    "is not a valid name (1 to 64 letters, digits, '_', '.' or '-')");
	run_free(&r);

	/* Quotes around each item are not list syntax: they stay. */
	run_bad(&r, "[node a]\nuri = x\nnetworks = \"a\", \"b\"\n");
	assert_int_equal(count_lines(r.cause), 2);
	assert_error_at(r.cause, 0, r.path, 3, "networks", "item 'a\"' "
	    "is not a valid name (1 to 64 letters, digits, '_', '.' or '-')");
	assert_error_at(r.cause, 1, r.path, 3, "networks", "item '\"b' "
	    "is not a valid name (1 to 64 letters, digits, '_', '.' or '-')");
	run_free(&r);

	run_bad(&r, "[node a]\nuri = x\nnetworks = mgmt, vlan100, mgmt\n");
	assert_only_error(&r, 3, "networks", "item 'mgmt' is given twice");
	run_free(&r);

	run_bad(&r, "[node a]\nuri = x\nnetworks = a\nnetworks = b\n");
	assert_only_error(&r, 4, "networks",
	    "set twice in one section, first at line 3");
	run_free(&r);
}

/* Every boolean word, for both boolean node options. */
static void
config_load__bool_words__accepted(void **state)
{
	static const struct {
		const char	*word;
		int		 value;
	} words[] = {
		{ "true", 1 }, { "false", 0 }, { "yes", 1 }, { "no", 0 },
		{ "on", 1 }, { "off", 0 }, { "1", 1 }, { "0", 0 },
		{ "\"yes\"", 1 }
	};
	struct run	 r;
	char		*text;
	size_t		 i;

	for (i = 0; i < nitems(words); i++) {
		xasprintf(&text, "[node a]\nuri = x\ncpu_manager = %s\n"
		    "schedulable = %s\n", words[i].word, words[i].word);
		run_good(&r, text);
		assert_int_equal(r.config->nodes[0].cpu_manager, words[i].value);
		assert_int_equal(r.config->nodes[0].schedulable, words[i].value);
		run_free(&r);
		free(text);
	}
}

/* Other words, other cases, numbers and blanks are not booleans. */
static void
config_load__bool_bad_word__error(void **state)
{
	static const char *const	 words[] = {
		"True", "YES", "2", "01", "y", "enabled", "", "on off"
	};
	struct run			 r;
	char				*text, *want;
	size_t				 i;

	for (i = 0; i < nitems(words); i++) {
		xasprintf(&text, "[node a]\nuri = x\nschedulable = %s\n",
		    words[i]);
		xasprintf(&want, "'%s' is not a boolean: true, false, yes, no, "
		    "on, off, 1 or 0", words[i]);
		run_bad(&r, text);
		assert_only_error(&r, 3, "schedulable", want);
		run_free(&r);
		free(want);
		free(text);
	}
}

/* Labels: keys with '/', empty values; config_labels_get() finds them. */
static void
config_load__labels__stored_and_found(void **state)
{
	struct run			 r;
	const struct config_list	*l;

	run_good(&r, "[node a]\nuri = x\nlabels = "
	    "cpu-model.node.kubevirt.io/Skylake=true, empty=, A_b.C-9=x.Y_z-0\n");
	l = &r.config->nodes[0].labels;
	assert_list(l, 3, "cpu-model.node.kubevirt.io/Skylake=true", "empty=",
	    "A_b.C-9=x.Y_z-0");
	assert_string_equal(config_labels_get(l,
	    "cpu-model.node.kubevirt.io/Skylake"), "true");
	assert_string_equal(config_labels_get(l, "empty"), "");
	assert_string_equal(config_labels_get(l, "A_b.C-9"), "x.Y_z-0");
	assert_null(config_labels_get(l, "A_b.C"));
	assert_null(config_labels_get(l, "a_b.c-9"));
	assert_null(config_labels_get(l, "x.Y_z-0"));
	assert_null(config_labels_get(l, ""));
	run_free(&r);
}

/* Label syntax errors, each at its line and naming the option. */
static void
config_load__labels_bad__error(void **state)
{
	static const struct {
		const char	*value;
		const char	*msg;
	} cases[] = {
		{ "ssd", "label 'ssd' is not key=value" },
		{ "=east", "label '=east' has an empty key" },
		{ "=", "label '=' has an empty key" },
		{ "zone = east", "label 'zone = east' has an invalid key "
		    "(letters, digits, '.', '_', '/' or '-')" },
		{ "zo:ne=east", "label 'zo:ne=east' has an invalid key "
		    "(letters, digits, '.', '_', '/' or '-')" },
		{ "zone=ea st", "label 'zone=ea st' has an invalid value "
		    "(letters, digits, '.', '_', '/' or '-', or empty)" },
		{ "zone=a=b", "label 'zone=a=b' has an invalid value "
		    "(letters, digits, '.', '_', '/' or '-', or empty)" },
		{ "zone=east, rack=1, zone=west",
		    "label key 'zone' is given twice" },
		{ "zone=east, zone=east", "label key 'zone' is given twice" },
	};
	struct run	 r;
	char		*text;
	size_t		 i;

	for (i = 0; i < nitems(cases); i++) {
		xasprintf(&text, "[node a]\nuri = x\n\nlabels = %s\n",
		    cases[i].value);
		run_bad(&r, text);
		assert_only_error(&r, 4, "labels", cases[i].msg);
		run_free(&r);
		free(text);
	}
}

/* A storage section with its defaults; pools alone or paths alone do. */
static void
config_load__storage__defaults_and_find(void **state)
{
	struct run			 r;
	const struct config_storage	*st;

	run_good(&r, "[storage local]\npaths = /var/lib/libvirt/images\n"
	    "[node a]\nuri = x\n"
	    "[storage pooled]\npools = default, ceph-rbd\n");
	assert_int_equal(r.config->nstorage, 2);
	st = config_storage_find(r.config, "local");
	assert_ptr_equal(st, &r.config->storage[0]);
	assert_string_equal(st->name, "local");
	assert_list(&st->paths, 1, "/var/lib/libvirt/images");
	assert_list(&st->pools, 0);
	assert_string_equal(st->access_mode, "ReadWriteOnce");
	assert_int_equal(st->replicas, 1);
	assert_string_equal(st->kind, "volume");
	assert_int_equal(st->line, 1);
	st = config_storage_find(r.config, "pooled");
	assert_list(&st->pools, 2, "default", "ceph-rbd");
	assert_int_equal(st->line, 5);
	assert_null(config_storage_find(r.config, "a"));
	assert_null(config_storage_find(r.config, "LOCAL"));
	/* Nodes and storage are apart. */
	assert_null(config_node_find(r.config, "local"));
	assert_int_equal(r.config->nnodes, 1);
	run_free(&r);

	/* A node and a storage class may share a name. */
	run_good(&r, "[node x]\nuri = x\n[storage x]\npaths = /x\n");
	run_free(&r);
}

/* Storage without paths or pools: an error at its header, also at EOF. */
static void
config_load__storage_without_paths_or_pools__error(void **state)
{
	struct run	r;

	run_bad(&r, "[storage a]\nreplicas = 3\n[storage b]\npaths = /b\n"
	    "[storage c]\npaths =\npools = \"\"\n"
	    "[ferryd]\n"
	    "\n[storage d]\n");
	assert_int_equal(count_lines(r.cause), 3);
	assert_error_at(r.cause, 0, r.path, 1, NULL,
	    "[storage a] needs paths or pools");
	assert_error_at(r.cause, 1, r.path, 5, NULL,
	    "[storage c] needs paths or pools");
	assert_error_at(r.cause, 2, r.path, 10, NULL,
	    "[storage d] needs paths or pools");
	run_free(&r);

	/* A refused value was reported: not also "needs paths or pools". */
	run_bad(&r, "[storage a]\npaths = relative\n");
	assert_only_error(&r, 2, "paths", "item 'relative' is not an absolute "
	    "path");
	run_free(&r);

	run_bad(&r, "[storage a]\npools = \"x\n");
	assert_only_error(&r, 2, "pools", "missing closing '\"'");
	run_free(&r);
}

/* Storage names are unique, valid and present; at most 256 sections. */
static void
config_load__storage_bad_names__error(void **state)
{
	struct run	 r;
	char		*text = xstrdup(""), *next;
	int		 i;

	run_bad(&r, "[storage a]\npaths = /a\n[storage b]\npaths = /b\n"
	    "[storage a]\npaths = /c\n");
	assert_only_error(&r, 5, NULL, "duplicate storage 'a', first at line 1");
	run_free(&r);

	run_bad(&r, "[storage nfs/1]\npaths = /a\n");
	assert_only_error(&r, 1, NULL, "invalid storage name 'nfs/1' (1 to 64 "
	    "letters, digits, '_', '.' or '-')");
	run_free(&r);

	run_bad(&r, "[storage]\npaths = /a\n");
	assert_only_error(&r, 1, NULL,
	    "section [storage] needs a name: [storage NAME]");
	run_free(&r);

	for (i = 0; i < 256; i++) {
		xasprintf(&next, "%s[storage s%d]\npaths = /s%d\n", text, i, i);
		free(text);
		text = next;
	}
	run_good(&r, text);
	assert_int_equal(r.config->nstorage, 256);
	run_free(&r);

	xasprintf(&next, "%s[storage s256]\npaths = /x\n[storage s257]\n", text);
	run_bad(&r, next);
	assert_only_error(&r, 513, NULL, "more than 256 storage sections");
	run_free(&r);
	free(next);
	free(text);
}

/* Storage options: paths absolute, access_mode and kind words, replicas. */
static void
config_load__storage_bad_values__error(void **state)
{
	struct run	r;

	run_bad(&r, "[storage a]\npaths = /ok, srv/nfs\n");
	assert_only_error(&r, 2, "paths",
	    "item 'srv/nfs' is not an absolute path");
	run_free(&r);

	run_bad(&r, "[storage a]\npaths = /a, /a\n");
	assert_only_error(&r, 2, "paths", "item '/a' is given twice");
	run_free(&r);

	run_bad(&r, "[storage a]\npaths = /a\naccess_mode = ReadWriteOncePod\n");
	assert_only_error(&r, 3, "access_mode",
	    "'ReadWriteOncePod' is not one of ReadWriteMany, ReadWriteOnce");
	run_free(&r);

	run_bad(&r, "[storage a]\npaths = /a\naccess_mode = readwritemany\n");
	assert_only_error(&r, 3, "access_mode",
	    "'readwritemany' is not one of ReadWriteMany, ReadWriteOnce");
	run_free(&r);

	run_bad(&r, "[storage a]\npaths = /a\nkind = containerdisk\n");
	assert_only_error(&r, 3, "kind",
	    "'containerdisk' is not one of volume, containerDisk");
	run_free(&r);

	run_bad(&r, "[storage a]\npaths = /a\nreplicas = 0\n");
	assert_only_error(&r, 3, "replicas",
	    "'0' is out of range, must be between 1 and 64");
	run_free(&r);

	run_bad(&r, "[storage a]\npaths = /a\nreplicas = 65\n");
	assert_only_error(&r, 3, "replicas",
	    "'65' is out of range, must be between 1 and 64");
	run_free(&r);

	run_bad(&r, "[storage a]\npaths = /a\nuri = x\n");
	assert_only_error(&r, 3, "uri", "unknown in [storage], it belongs in "
	    "[node]");
	run_free(&r);

	run_bad(&r, "[migration]\npaths = /a\n");
	assert_only_error(&r, 2, "paths", "unknown in [migration], it belongs "
	    "in [storage]");
	run_free(&r);
}

/* The new global options: their edges accepted, past them refused. */
static void
config_load__new_global_options__ranges(void **state)
{
	struct run	r;

	run_good(&r, "[ferryd]\ninventory_interval = 1\n"
	    "[migration]\nmemory_headroom = 1048576\n"
	    "unschedulable_timeout = 86400\ncpu_model = \"\"\n");
	assert_int_equal(r.config->inventory_interval, 1);
	assert_int_equal(r.config->memory_headroom, 1048576);
	assert_int_equal(r.config->unschedulable_timeout, 86400);
	assert_string_equal(r.config->cpu_model, "");
	run_free(&r);

	run_bad(&r, "[ferryd]\ninventory_interval = 3601\n");
	assert_only_error(&r, 2, "inventory_interval",
	    "'3601' is out of range, must be between 1 and 3600");
	run_free(&r);

	run_bad(&r, "[ferryd]\ninventory_interval = 0\n");
	assert_only_error(&r, 2, "inventory_interval",
	    "'0' is out of range, must be between 1 and 3600");
	run_free(&r);

	run_bad(&r, "[migration]\nmemory_headroom = -1\n");
	assert_only_error(&r, 2, "memory_headroom",
	    "'-1' is out of range, must be between 0 and 1048576");
	run_free(&r);

	run_bad(&r, "[migration]\nunschedulable_timeout = 0\n");
	assert_only_error(&r, 2, "unschedulable_timeout",
	    "'0' is out of range, must be between 1 and 86400");
	run_free(&r);

	run_bad(&r, "[migration]\ncpu_model = Skylake Client\n");
	assert_only_error(&r, 2, "cpu_model", "'Skylake Client' is not a valid "
	    "name (1 to 64 letters, digits, '_', '.' or '-')");
	run_free(&r);
}

/* Webhook URLs: http or https with a host, up to 2048 bytes, each once. */
static void
config_load__webhook_url__accepted(void **state)
{
	struct run	 r;
	char		*text, *url;

	run_good(&r, "[notify]\nwebhook_url = HTTPS://[::1]:8443/x, "
	    "http://u:p@h:1/, http://h?q=1, http://h.example.com:65535\n"
	    "webhook_events = final\nwebhook_timeout = 100\n"
	    "webhook_retries = 100\nwebhook_queue = 1\n");
	assert_list(&r.config->webhook_url, 4, "HTTPS://[::1]:8443/x",
	    "http://u:p@h:1/", "http://h?q=1", "http://h.example.com:65535");
	assert_int_equal(r.config->webhook_timeout, 100);
	assert_int_equal(r.config->webhook_retries, 100);
	assert_int_equal(r.config->webhook_queue, 1);
	run_free(&r);

	/* Longer than a list item may be: a URL may be 2048 bytes. */
	url = xmalloc(2049);
	memcpy(url, "http://h/", 9);
	memset(url + 9, 'a', 2048 - 9);
	url[2048] = '\0';
	xasprintf(&text, "[notify]\nwebhook_url = %s\n", url);
	run_good(&r, text);
	assert_list(&r.config->webhook_url, 1, url);
	run_free(&r);
	free(text);
	url[2047] = '\0';
	xasprintf(&text, "[notify]\nwebhook_url = %sbb, http://h/\n", url);
	run_bad(&r, text);
	assert_only_error(&r, 2, "webhook_url", "item 1 is longer than 2048 "
	    "bytes");
	run_free(&r);
	free(text);
	free(url);
}

/* Bad webhook URLs and values, each at its line and naming the option. */
static void
config_load__webhook_url_bad__error(void **state)
{
	static const struct {
		const char	*value;
		const char	*msg;
	} cases[] = {
		{ "ftp://h/x", "item 'ftp://h/...' is not http:// or https://" },
		{ "h.example.com/x",
		    "item 'h.example.com/...' is not http:// or https://" },
		{ "file:///etc/passwd",
		    "item 'file:///...' is not http:// or https://" },
		{ "http://", "item 'http://' has no host" },
		{ "http:///x", "item 'http:///...' has no host" },
		{ "http://u@/x", "item 'http:///...' has no host" },
		{ "http://:80/", "item 'http://:80/' has no host" },
		{ "http://h:0/", "item 'http://h:0/' has a bad port" },
		{ "http://h:65536", "item 'http://h:65536' has a bad port" },
		{ "http://h:/", "item 'http://h:/' has a bad port" },
		{ "http://h:8x/", "item 'http://h:8x/' has a bad port" },
		{ "http://[::1/", "item 'http://[::1/' has a bad IPv6 address" },
		{ "http://[]/", "item 'http://[]/' has a bad IPv6 address" },
		{ "http://[::1]x/",
		    "item 'http://[::1]x/' has a bad IPv6 address" },
		/* The path (a chat webhook's secret) is never shown. */
		{ "http://h/a b",
		    "item 'http://h/...' has a space or a control character" },
		{ "http://h\tb/", "item 'http://h\\x09b/' has a space or a "
		    "control character" },
		{ "http://h/, http://h/", "item 'http://h/' is given twice" },
		{ "http://h/,", "item 2 is empty" },
	};
	struct run	 r;
	char		*text;
	size_t		 i;

	for (i = 0; i < nitems(cases); i++) {
		xasprintf(&text, "[notify]\n\nwebhook_url = %s\n",
		    cases[i].value);
		run_bad(&r, text);
		assert_only_error(&r, 3, "webhook_url", cases[i].msg);
		run_free(&r);
		free(text);
	}

	run_bad(&r, "[notify]\nwebhook_events = every\n");
	assert_only_error(&r, 2, "webhook_events",
	    "'every' is not one of final, all");
	run_free(&r);

	run_bad(&r, "[notify]\nwebhook_timeout = 99\n");
	assert_only_error(&r, 2, "webhook_timeout",
	    "'99' is out of range, must be between 100 and 600000");
	run_free(&r);

	run_bad(&r, "[notify]\nwebhook_queue = 0\n");
	assert_only_error(&r, 2, "webhook_queue",
	    "'0' is out of range, must be between 1 and 100000");
	run_free(&r);

	run_bad(&r, "[migration]\nwebhook_url = http://h/\n");
	assert_only_error(&r, 2, "webhook_url", "unknown in [migration], it "
	    "belongs in [notify]");
	run_free(&r);

	run_bad(&r, "[notify hooks]\nwebhook_url = http://h/\n");
	assert_only_error(&r, 1, NULL, "section [notify] takes no name");
	run_free(&r);
}

/* The bad fixture: every error is collected, in line order. */
static void
config_load__many_errors__all_collected(void **state)
{
	struct run	 r = { 0 };
	const char	*p;

	r.path = srcdir_path("tests/unit/fixtures/config-bad.conf");
	r.rv = config_load(r.path, &r.config, &r.cause);
	assert_int_equal(r.rv, -1);
	assert_null(r.config);
	p = r.path;
	if (count_lines(r.cause) != 17)
		fail_msg("expected 17 errors, got:\n%s", r.cause);
	assert_error_at(r.cause, 0, p, 1, "listen_port",
	    "appears before any [section]");
	assert_error_at(r.cause, 1, p, 3, "listen_port",
	    "'65536' is out of range, must be between 1 and 65535");
	assert_error_at(r.cause, 2, p, 4, "workers",
	    "'four' is not an integer, must be between 1 and 64");
	assert_error_at(r.cause, 3, p, 5, "log_level",
	    "'verbose' is not one of debug, info, warn, error");
	assert_error_at(r.cause, 4, p, 6, "bogus", "unknown option in [ferryd]");
	assert_error_at(r.cause, 5, p, 7, "redis_port",
	    "unknown in [ferryd], it belongs in [redis]");
	assert_error_at(r.cause, 6, p, 8, NULL,
	    "missing '=' in 'workers', expected 'name = value'");
	assert_error_at(r.cause, 7, p, 9, NULL, "unknown section 'bogus'");
	assert_error_at(r.cause, 8, p, 13, "redis_port",
	    "set twice in one section, first at line 12");
	assert_error_at(r.cause, 9, p, 14, NULL, "invalid node name 'a b' (1 "
	    "to 64 letters, digits, '_', '.' or '-')");
	assert_error_at(r.cause, 10, p, 16, "uri", "missing in [node ok]");
	assert_error_at(r.cause, 11, p, 18, NULL,
	    "duplicate node 'ok', first at line 16");
	assert_error_at(r.cause, 12, p, 19, NULL,
	    "[storage s1] needs paths or pools");
	assert_error_at(r.cause, 13, p, 22, "paths",
	    "item 'relative/x' is not an absolute path");
	assert_error_at(r.cause, 14, p, 23, "access_mode",
	    "'RWX' is not one of ReadWriteMany, ReadWriteOnce");
	assert_error_at(r.cause, 15, p, 24, NULL,
	    "duplicate storage 's2', first at line 21");
	assert_error_at(r.cause, 16, p, 27, "labels",
	    "label '=c' has an empty key");
	run_free(&r);
}

/* Past CONFIG_ERRORS_MAX errors the rest are counted, not listed. */
static void
config_load__too_many_errors__counted(void **state)
{
	struct run	 r;
	char		*text = xstrdup("[ferryd]\n"), *next;
	int		 i;

	for (i = 0; i < CONFIG_ERRORS_MAX + 10; i++) {
		xasprintf(&next, "%sbad%d = 1\n", text, i);
		free(text);
		text = next;
	}
	run_bad(&r, text);
	assert_int_equal(count_lines(r.cause), CONFIG_ERRORS_MAX + 1);
	assert_error_at(r.cause, CONFIG_ERRORS_MAX - 1, r.path,
	    CONFIG_ERRORS_MAX + 1, "bad49", "unknown option in [ferryd]");
	xasprintf(&next, "\n%s: 10 more errors not shown", r.path);
	assert_non_null(strstr(r.cause, next));
	assert_string_equal(strstr(r.cause, next), next);
	free(next);
	run_free(&r);
	free(text);
}

/* The table is sane: defaults in range and allowed, names unique. */
static void
config_table__rows__consistent(void **state)
{
	const struct config_option	*o, *o2;
	size_t				 i, j, k;
	int				 found;

	for (i = 0; i < config_table_size; i++) {
		o = &config_table[i];
		assert_non_null(o->name);
		assert_non_null(o->help);
		assert_true(o->section < config_sections_size);
		for (j = i + 1; j < config_table_size; j++) {
			o2 = &config_table[j];
			if (strcmp(o->name, o2->name) == 0)
				fail_msg("option '%s' is in the table twice",
				    o->name);
		}
		/* Named sections show a sample value in the default file. */
		if (option_named(o))
			assert_non_null(o->example);
		switch (o->type) {
		case CONFIG_INT:
			assert_true(o->min <= o->default_num);
			assert_true(o->default_num <= o->max);
			break;
		case CONFIG_BOOL:
			assert_true(o->default_num == 0 || o->default_num == 1);
			break;
		case CONFIG_LIST:
			assert_null(o->default_str);
			break;
		case CONFIG_CHOICE:
			assert_non_null(o->choices);
			found = 0;
			for (k = 0; o->choices[k] != NULL; k++)
				found |= strcmp(o->choices[k], o->default_str) == 0;
			assert_true(found);
			break;
		case CONFIG_STRING:
			if (o->section == CONFIG_SECTION_NODE) {
				assert_null(o->default_str);
				assert_non_null(o->example);
			} else
				assert_non_null(o->default_str);
			break;
		}
		/* Node changes always need a restart; storage never. */
		if (o->section == CONFIG_SECTION_NODE)
			assert_false(o->flags & CONFIG_RELOAD);
		if (o->section == CONFIG_SECTION_STORAGE)
			assert_true(o->flags & CONFIG_RELOAD);
		/* Item rules are for lists; name rules for strings and lists. */
		if (o->flags & (CONFIG_LABEL|CONFIG_PATH|CONFIG_URL))
			assert_int_equal(o->type, CONFIG_LIST);
	}
	for (i = 0; i < config_sections_size; i++) {
		assert_non_null(config_sections[i].name);
		assert_int_equal(config_sections[i].named,
		    i == CONFIG_SECTION_NODE || i == CONFIG_SECTION_STORAGE);
	}
}

/*
 * Reloadable are the [migration] options but keepalive_*, the [notify]
 * options, log_level and inventory_interval, nothing else (named
 * sections: see above).
 */
static void
config_table__reloadable__as_designed(void **state)
{
	const struct config_option	*o;
	size_t				 i, j;
	int				 restart;

	for (i = 0; i < config_table_size; i++) {
		o = &config_table[i];
		if (option_named(o))
			continue;
		restart = 0;
		for (j = 0; j < nitems(restart_options); j++)
			restart |= strcmp(restart_options[j], o->name) == 0;
		if (restart == ((o->flags & CONFIG_RELOAD) != 0))
			fail_msg("option '%s' has the wrong reload flag", o->name);
		if ((o->section == CONFIG_SECTION_MIGRATION &&
		    strncmp(o->name, "keepalive_", 10) != 0) ||
		    o->section == CONFIG_SECTION_NOTIFY ||
		    strcmp(o->name, "log_level") == 0 ||
		    strcmp(o->name, "inventory_interval") == 0)
			assert_true(o->flags & CONFIG_RELOAD);
	}
}

/* The default file documents every option and fits 80 columns. */
static void
config_write_default__output__documents_every_option(void **state)
{
	const struct config_option	*o;
	char				*text, *want;
	const char			*line;
	size_t				 len, i;

	text = default_text(&len);
	assert_int_equal(strlen(text), len);
	assert_true(len > 0 && text[len - 1] == '\n');
	for (i = 0; i < config_table_size; i++) {
		o = &config_table[i];
		xasprintf(&want, "\n#%s = ", o->name);
		if (strstr(text, want) == NULL)
			fail_msg("option '%s' is not in the default file", o->name);
		free(want);
	}
	assert_non_null(strstr(text, "\n[ferryd]\n"));
	assert_non_null(strstr(text, "\n[redis]\n"));
	assert_non_null(strstr(text, "\n[migration]\n"));
	assert_non_null(strstr(text, "\n#[node node-a]\n"));
	assert_non_null(strstr(text, "\n#[storage shared-nfs]\n"));
	assert_non_null(strstr(text, "\n#access_mode = ReadWriteMany\n"));
	assert_non_null(strstr(text, "\n#replicas = 3\n"));
	assert_non_null(strstr(text, "\n#[storage container-disks]\n"
	    "#paths = /var/lib/ferry/container-disks\n"
	    "#kind = containerDisk\n"));
	assert_non_null(strstr(text, "# (default true)\n#schedulable = false\n"));
	assert_non_null(strstr(text, "# TCP port the HTTP API listens on.\n"
	    "# (default 8470, range 1-65535, needs restart)\n"
	    "#listen_port = 8470\n"));
	assert_non_null(strstr(text, "# (default info, one of "
	    "debug|info|warn|error, reloadable)\n#log_level = info\n"));
	assert_non_null(strstr(text, "#replica_id = \"\"\n"));
	for (line = text; *line != '\0'; line += strcspn(line, "\n") + 1) {
		if (strcspn(line, "\n") > 78)
			fail_msg("line too wide: %.*s", (int)strcspn(line, "\n"),
			    line);
		if (*line != '#' && *line != '[' && *line != '\n')
			fail_msg("line neither comment nor section: %.*s",
			    (int)strcspn(line, "\n"), line);
	}
	free(text);
}

/* The default file parses back to exactly the defaults. */
static void
config_write_default__output__parses_to_defaults(void **state)
{
	struct run	 r;
	char		*text;
	size_t		 len;

	text = default_text(&len);
	run_load_len(&r, text, len);
	if (r.rv != 0)
		fail_msg("default file refused:\n%s", r.cause);
	assert_defaults(r.config);
	run_free(&r);
	free(text);
}

/* Is the line at S "#NAME = ..." for an option of a named section? */
static int
line_is_named_option(const char *s)
{
	size_t	i, len;

	for (i = 0; i < config_table_size; i++) {
		len = strlen(config_table[i].name);
		if (option_named(&config_table[i]) &&
		    strncmp(s + 1, config_table[i].name, len) == 0 &&
		    strncmp(s + 1 + len, " = ", 3) == 0)
			return (1);
	}
	return (0);
}

/*
 * Uncommenting every option of the default file still gives defaults (the
 * examples of named sections stay commented, as their headers do).
 */
static void
config_write_default__uncommented__parses_to_defaults(void **state)
{
	struct run	 r;
	char		*text, *out, *s, *d;
	size_t		 len;

	text = default_text(&len);
	out = xmalloc(len + 1);
	/* Drop the '#' of every "#name = value" line. */
	for (s = text, d = out; *s != '\0';) {
		if (s[0] == '#' && s[1] >= 'a' && s[1] <= 'z' &&
		    !line_is_named_option(s))
			s++;
		while (*s != '\0' && *s != '\n')
			*d++ = *s++;
		if (*s == '\n')
			*d++ = *s++;
	}
	*d = '\0';
	assert_non_null(strstr(out, "\nlisten_port = 8470\n"));
	assert_non_null(strstr(out, "\nreplica_id = \"\"\n"));
	assert_non_null(strstr(out, "\ncpu_model = \"\"\n"));
	assert_non_null(strstr(out, "\n#labels = "));

	run_good(&r, out);
	assert_defaults(r.config);
	run_free(&r);
	free(out);
	free(text);
}

/* conf/ferryd.conf is what config_write_default() writes, byte for byte. */
static void
conf_ferryd_conf__file__equals_write_default(void **state)
{
	char	*path, *file, *text;
	size_t	 flen, tlen;

	path = srcdir_path("conf/ferryd.conf");
	file = read_all(path, &flen);
	text = default_text(&tlen);
	if (flen != tlen || memcmp(file, text, tlen) != 0)
		fail_msg("'%s' differs from config_write_default(); regenerate "
		    "it from the option table", path);
	free(text);
	free(file);
	free(path);
}

/* conf/ferryd.conf loads to the defaults. */
static void
conf_ferryd_conf__file__parses_to_defaults(void **state)
{
	struct run	r = { 0 };

	r.path = srcdir_path("conf/ferryd.conf");
	r.rv = config_load(r.path, &r.config, &r.cause);
	if (r.rv != 0)
		fail_msg("'%s' refused:\n%s", r.path, r.cause);
	assert_defaults(r.config);
	assert_string_equal(r.config->path, r.path);
	run_free(&r);
}

/* Nothing changed, or only reloadable options: no restart. */
static void
config_restart_needed__reloadable_changes__null(void **state)
{
	struct config	*a = config_default(), *b = config_default();

	assert_null(config_restart_needed(a, b));

	free(b->log_level);
	b->log_level = xstrdup("debug");
	b->completion_timeout_per_gib = 1;
	b->progress_timeout = 2;
	b->bandwidth_per_migration = 100;
	b->unreachable_timeout = 9;
	b->job_stats_interval = 50;
	b->webhook_url.v = xcalloc(1, sizeof *b->webhook_url.v);
	b->webhook_url.v[0] = xstrdup("http://127.0.0.1/hook");
	b->webhook_url.n = 1;
	free(b->webhook_events);
	b->webhook_events = xstrdup("all");
	b->webhook_timeout = 100;
	b->webhook_retries = 0;
	b->webhook_queue = 1;
	b->path = xstrdup("/elsewhere.conf");
	assert_null(config_restart_needed(a, b));
	assert_null(config_restart_needed(b, a));

	config_free(b);
	config_free(a);
}

/* Every option that is not reloadable is named, in table order. */
static void
config_restart_needed__restart_options__named(void **state)
{
	struct config	*a = config_default(), *b = config_default();
	char		*s;

	b->listen_port = 1;
	free(b->redis_host);
	b->redis_host = xstrdup("redis.example.com");
	free(b->log_format);
	b->log_format = xstrdup("json");
	s = config_restart_needed(a, b);
	assert_string_equal(s, "listen_port, log_format, redis_host");
	free(s);

	config_free(b);
	b = config_default();
	free(b->listen_address);
	b->listen_address = xstrdup("::1");
	b->workers = 5;
	free(b->replica_id);
	b->replica_id = xstrdup("r1");
	b->call_timeout = 1;
	b->reconnect_max = 2;
	b->redis_port = 1;
	free(b->redis_prefix);
	b->redis_prefix = xstrdup("x:");
	s = config_restart_needed(a, b);
	assert_string_equal(s, "listen_address, workers, replica_id, "
	    "call_timeout, reconnect_max, redis_port, redis_prefix");
	free(s);

	config_free(b);
	config_free(a);
}

/* After a reload, restart-only options keep their running values. */
static void
config_keep_restart_options__mixed_changes__only_reloadable_taken(void **state)
{
	struct config	*old = config_default(), *new = config_default();

	new->listen_port = 1;
	free(new->redis_prefix);
	new->redis_prefix = xstrdup("other:");
	new->progress_timeout = 7;
	free(new->log_level);
	new->log_level = xstrdup("debug");
	config_keep_restart_options(new, old);
	assert_int_equal(new->listen_port, old->listen_port);
	assert_string_equal(new->redis_prefix, old->redis_prefix);
	assert_int_equal(new->progress_timeout, 7);
	assert_string_equal(new->log_level, "debug");
	assert_null(config_restart_needed(old, new));

	config_free(new);
	config_free(old);
}

/* Added, removed and changed nodes are each "node NAME". */
static void
config_restart_needed__node_changes__named(void **state)
{
	struct run	 a, b;
	char		*s;

	run_good(&a, "[node a]\nuri = qemu:///a\n"
	    "[node b]\nuri = qemu:///b\n"
	    "[node c]\nuri = qemu:///c\n"
	    "[node e]\nuri = qemu:///e\n");
	run_good(&b, "[migration]\nprogress_timeout = 9\n"
	    "[node e]\nuri = qemu:///e\nmigration_address = 10.0.0.5\n"
	    "[node d]\nuri = qemu:///d\n"
	    "[node b]\nuri = qemu:///b2\n"
	    "[node a]\nuri = qemu:///a\n");
	s = config_restart_needed(a.config, b.config);
	assert_string_equal(s, "node b, node c, node e, node d");
	free(s);

	/* The same nodes in another order and at other lines: no restart. */
	run_free(&b);
	run_good(&b, "\n\n[node e]\nuri = qemu:///e\n"
	    "[node c]\nuri = qemu:///c\n"
	    "[node b]\nuri = qemu:///b\nmigration_uri = qemu:///b\n"
	    "[node a]\nuri = qemu:///a\n");
	assert_null(config_restart_needed(a.config, b.config));

	/* An option and a node together. */
	b.config->workers = 7;
	b.config->nodes[0].migration_uri[0] = 'Q';
	s = config_restart_needed(a.config, b.config);
	assert_string_equal(s, "workers, node e");
	free(s);

	run_free(&b);
	run_free(&a);
}

/* Storage sections are reloadable: adding, removing, changing: no restart. */
static void
config_restart_needed__storage_changes__null(void **state)
{
	struct run	a, b;

	run_good(&a, "[node a]\nuri = x\n"
	    "[storage s1]\npaths = /s1\n[storage s2]\npools = p\n");
	run_good(&b, "[node a]\nuri = x\n"
	    "[storage s2]\npools = p, q\naccess_mode = ReadWriteMany\n"
	    "replicas = 3\nkind = containerDisk\n"
	    "[storage s3]\npaths = /s3\n");
	assert_null(config_restart_needed(a.config, b.config));
	assert_null(config_restart_needed(b.config, a.config));
	run_free(&b);
	run_good(&b, "[node a]\nuri = x\n");
	assert_null(config_restart_needed(a.config, b.config));
	run_free(&b);
	run_free(&a);
}

/*
 * Node labels, networks, cpu_manager and schedulable are node changes;
 * the same items in another order are not.
 */
static void
config_restart_needed__node_new_options__named(void **state)
{
	struct run	 a, b;
	char		*s;

	run_good(&a, "[node a]\nuri = x\nlabels = k=v, ssd=\n"
	    "networks = m, n\n"
	    "[node b]\nuri = y\n"
	    "[node c]\nuri = z\n"
	    "[node d]\nuri = w\nnetworks = m\n"
	    "[node e]\nuri = v\nlabels = k=1\n");
	run_good(&b, "[node a]\nuri = x\nlabels = ssd=, k=v\n"
	    "networks = n, m\n"
	    "[node b]\nuri = y\ncpu_manager = true\n"
	    "[node c]\nuri = z\nschedulable = no\n"
	    "[node d]\nuri = w\nnetworks = m, n\n"
	    "[node e]\nuri = v\nlabels = k=2\n");
	s = config_restart_needed(a.config, b.config);
	assert_string_equal(s, "node b, node c, node d, node e");
	free(s);
	run_free(&b);

	/* Explicit defaults are no change. */
	run_good(&b, "[node a]\nuri = x\nlabels = k=v, ssd=\n"
	    "networks = m, n\nschedulable = true\ncpu_manager = 0\n"
	    "[node b]\nuri = y\nlabels =\n"
	    "[node c]\nuri = z\n"
	    "[node d]\nuri = w\nnetworks = m\n"
	    "[node e]\nuri = v\nlabels = k=1\n");
	assert_null(config_restart_needed(a.config, b.config));
	run_free(&b);

	/* A label dropped. */
	run_good(&b, "[node a]\nuri = x\nlabels = k=v\nnetworks = m, n\n"
	    "[node b]\nuri = y\n[node c]\nuri = z\n"
	    "[node d]\nuri = w\nnetworks = m\n"
	    "[node e]\nuri = v\nlabels = k=1\n");
	s = config_restart_needed(a.config, b.config);
	assert_string_equal(s, "node a");
	free(s);
	run_free(&b);
	run_free(&a);
}

/* A reload keeps NEW's storage, nodes aside, and its reloadable options. */
static void
config_keep_restart_options__storage__left_alone(void **state)
{
	struct run			 a, b;
	const struct config_storage	*st;
	struct config_storage		*before;

	run_good(&a, "[ferryd]\nworkers = 2\n"
	    "[storage s1]\npaths = /s1\n");
	run_good(&b, "[ferryd]\nworkers = 3\ninventory_interval = 7\n"
	    "[migration]\ncpu_model = EPYC\nmemory_headroom = 1\n"
	    "unschedulable_timeout = 2\n"
	    "[storage s2]\npools = p\nreplicas = 2\n"
	    "[storage s1]\npaths = /other\n");
	before = b.config->storage;
	config_keep_restart_options(b.config, a.config);
	assert_int_equal(b.config->workers, 2);
	assert_int_equal(b.config->inventory_interval, 7);
	assert_string_equal(b.config->cpu_model, "EPYC");
	assert_int_equal(b.config->memory_headroom, 1);
	assert_int_equal(b.config->unschedulable_timeout, 2);
	assert_ptr_equal(b.config->storage, before);
	assert_int_equal(b.config->nstorage, 2);
	st = config_storage_find(b.config, "s1");
	assert_list(&st->paths, 1, "/other");
	st = config_storage_find(b.config, "s2");
	assert_list(&st->pools, 1, "p");
	assert_int_equal(st->replicas, 2);
	assert_null(config_restart_needed(a.config, b.config));
	/* The old config still holds its own storage. */
	assert_list(&config_storage_find(a.config, "s1")->paths, 1, "/s1");
	run_free(&b);
	run_free(&a);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(config_default__called__documented_defaults),
		cmocka_unit_test(config_free__null__returns),
		cmocka_unit_test(config_load__empty_file__defaults),
		cmocka_unit_test(config_load__comments_and_blanks__defaults),
		cmocka_unit_test(config_load__every_option_set__values_read),
		cmocka_unit_test(config_load__quoted_values__inside_kept),
		cmocka_unit_test(config_load__range_edges__accepted),
		cmocka_unit_test(config_load__several_nodes__file_order),
		cmocka_unit_test(config_load__256_nodes__accepted),
		cmocka_unit_test(config_load__line_at_limit__accepted),
		cmocka_unit_test(config_load__missing_file__cannot_open),
		cmocka_unit_test(config_load__directory__read_error),
		cmocka_unit_test(config_load__unknown_section__error),
		cmocka_unit_test(config_load__unknown_option__error),
		cmocka_unit_test(config_load__option_in_wrong_section__error),
		cmocka_unit_test(config_load__missing_equals__error),
		cmocka_unit_test(config_load__empty_int__error),
		cmocka_unit_test(config_load__not_integer__error),
		cmocka_unit_test(config_load__out_of_range__error),
		cmocka_unit_test(config_load__value_not_allowed__error),
		cmocka_unit_test(config_load__bad_string__error),
		cmocka_unit_test(config_load__unterminated_quote__error),
		cmocka_unit_test(config_load__duplicate_option__error),
		cmocka_unit_test(config_load__option_before_section__error),
		cmocka_unit_test(config_load__bad_section_header__error),
		cmocka_unit_test(config_load__duplicate_node__error),
		cmocka_unit_test(config_load__invalid_node_name__error),
		cmocka_unit_test(config_load__node_without_uri__error),
		cmocka_unit_test(config_load__too_many_nodes__error),
		cmocka_unit_test(config_load__long_line__error_and_continues),
		cmocka_unit_test(config_load__nul_byte__error),
		cmocka_unit_test(config_load__control_bytes__escaped),
		cmocka_unit_test(config_load__node_new_options_unset__defaults),
		cmocka_unit_test(
		    config_load__list_spacing_and_quotes__items_trimmed),
		cmocka_unit_test(config_load__list_at_limits__accepted),
		cmocka_unit_test(config_load__list_empty_item__error),
		cmocka_unit_test(config_load__list_too_big__error),
		cmocka_unit_test(config_load__list_bad_items__each_reported),
		cmocka_unit_test(config_load__bool_words__accepted),
		cmocka_unit_test(config_load__bool_bad_word__error),
		cmocka_unit_test(config_load__labels__stored_and_found),
		cmocka_unit_test(config_load__labels_bad__error),
		cmocka_unit_test(config_load__storage__defaults_and_find),
		cmocka_unit_test(
		    config_load__storage_without_paths_or_pools__error),
		cmocka_unit_test(config_load__storage_bad_names__error),
		cmocka_unit_test(config_load__storage_bad_values__error),
		cmocka_unit_test(config_load__new_global_options__ranges),
		cmocka_unit_test(config_load__webhook_url__accepted),
		cmocka_unit_test(config_load__webhook_url_bad__error),
		cmocka_unit_test(config_load__many_errors__all_collected),
		cmocka_unit_test(config_load__too_many_errors__counted),
		cmocka_unit_test(config_table__rows__consistent),
		cmocka_unit_test(config_table__reloadable__as_designed),
		cmocka_unit_test(config_write_default__output__documents_every_option),
		cmocka_unit_test(config_write_default__output__parses_to_defaults),
		cmocka_unit_test(config_write_default__uncommented__parses_to_defaults),
		cmocka_unit_test(conf_ferryd_conf__file__equals_write_default),
		cmocka_unit_test(conf_ferryd_conf__file__parses_to_defaults),
		cmocka_unit_test(config_restart_needed__reloadable_changes__null),
		cmocka_unit_test(config_restart_needed__restart_options__named),
		cmocka_unit_test(
		    config_keep_restart_options__mixed_changes__only_reloadable_taken),
		cmocka_unit_test(config_restart_needed__node_changes__named),
		cmocka_unit_test(config_restart_needed__storage_changes__null),
		cmocka_unit_test(config_restart_needed__node_new_options__named),
		cmocka_unit_test(config_keep_restart_options__storage__left_alone),
	};

	return (cmocka_run_group_tests_name("config", tests, NULL, NULL));
}
