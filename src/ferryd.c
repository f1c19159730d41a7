/*
 * ferryd: the ferry daemon.  One libevent loop drives the API, the Redis
 * store, libvirt's events and every migration; blocking hypervisor calls
 * run on a few worker threads.
 */

#include <sys/types.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include <curl/curl.h>
#include <errno.h>
#include <event2/event.h>
#include <event2/thread.h>
#include <getopt.h>
#include <hiredis/hiredis.h>
#include <libvirt/libvirt.h>
#include <libxml/parser.h>
#include <netdb.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <yajl/yajl_version.h>

#include "ferry/api.h"
#include "ferry/config.h"
#include "ferry/coord.h"
#include "ferry/evac.h"
#include "ferry/hv.h"
#include "ferry/log.h"
#include "ferry/mig.h"
#include "ferry/mig-json.h"
#include "ferry/notify.h"
#include "ferry/queue.h"
#include "ferry/store.h"
#include "ferry/virt-event.h"
#include "ferry/watch.h"
#include "ferry/worker.h"
#include "ferry/xmalloc.h"

#define FERRYD_CLAIM_EVERY_MS	200	/* look for a dead replica's work */

#ifndef SYSCONFDIR
#define SYSCONFDIR "/etc"
#endif

/* Everything the daemon owns. */
struct ferryd {
	struct event_base	*base;		/* the loop */
	struct config		*boot_cfg;	/* config the nodes were made from */
	struct config		*cfg;		/* current config (may be boot_cfg) */
	struct workers		*workers;	/* hypervisor calls */
	struct store		*store;		/* Redis */
	char			*redis_addr;	/* redis_host, resolved at start */
	struct coord		*coord;		/* leases and slots across replicas */
	char			*replica_id;	/* this replica's name */
	struct mig_mgr		*mgr;		/* migrations */
	struct queue		*queue;		/* migrations to drive */
	struct queue		*requests;	/* drains from external tools */
	struct evac_mgr		*evac;		/* drains and evacuations */
	struct api		*api;		/* HTTP */
	struct watch		*watch;		/* GET /v1/watch */
	struct notify		*notify;	/* webhooks, NULL when none */
	struct event		*sig_hup;	/* reload */
	struct event		*sig_term;	/* stop */
	struct event		*sig_int;	/* stop */
};

/* Print usage and exit. */
static void __attribute__((noreturn))
ferryd_usage(int status)
{
	fprintf(status == 0 ? stdout : stderr,
	    "usage: ferryd [-c FILE] [--check-config FILE] [--dump-config] "
	    "[--man-config] [-V]\n"
	    "  -c, --config FILE      configuration (default %s/ferryd.conf)\n"
	    "  --check-config FILE    validate FILE and exit (0 if valid)\n"
	    "  --dump-config          print the commented default "
	    "configuration\n"
	    "  --man-config           print the ferryd.conf(5) manual page "
	    "(roff)\n"
	    "  -V, --version          print the version\n", SYSCONFDIR);
	exit(status);
}

/* Route libevent's own messages into our log. */
static void
ferryd_event_log_cb(int severity, const char *msg)
{
	if (severity >= EVENT_LOG_ERR)
		log_error("libevent: %s", msg);
	else if (severity == EVENT_LOG_WARN)
		log_warn("libevent: %s", msg);
	else
		log_debug("libevent: %s", msg);
}

/* Apply the log settings of CFG. */
static void
ferryd_log_setup(const struct config *cfg, int reopen)
{
	enum log_level	level = LOG_LEVEL_INFO;
	enum log_format	format = LOG_FORMAT_AUTO;

	log_level_parse(cfg->log_level, &level);
	log_format_parse(cfg->log_format, &format);
	if (reopen)
		log_open(stderr, level, format);
	else
		log_set_level(level);
}

/* Log the versions of what we run on (tmux does the same). */
static void
ferryd_log_versions(struct event_base *base)
{
	unsigned long	lv = 0;

	virGetVersion(&lv, NULL, NULL);
	log_info("ferryd %s starting (libevent %s/%s, libvirt %lu.%lu.%lu, "
	    "hiredis %d.%d.%d, yajl %d, %s)", PACKAGE_VERSION,
	    event_get_version(), event_base_get_method(base), lv / 1000000,
	    lv / 1000 % 1000, lv % 1000, HIREDIS_MAJOR, HIREDIS_MINOR,
	    HIREDIS_PATCH, YAJL_VERSION, curl_version());
}

/*
 * Read the API token from PATH into *TOKEN (NULL when PATH is empty): one
 * line, 16 to 4096 bytes, no spaces.  0, or -1 with *CAUSE.
 */
static int
ferryd_read_token(const char *path, char **token, char **cause)
{
	struct stat	 st;
	FILE		*f;
	char		 buf[4098];
	size_t		 n;

	*token = NULL;
	if (path == NULL || *path == '\0')
		return (0);
	if ((f = fopen(path, "r")) == NULL) {
		xasprintf(cause, "api_token_file '%s': %s", path,
		    strerror(errno));
		return (-1);
	}
	n = fread(buf, 1, sizeof buf - 1, f);
	if (fstat(fileno(f), &st) == 0 && (st.st_mode & 0077) != 0)
		log_warn("api_token_file '%s' can be read by other users",
		    path);
	fclose(f);
	buf[n] = '\0';
	while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == '\r'))
		buf[--n] = '\0';
	if (n < 16 || n > 4096 || strcspn(buf, " \t\r\n") != n) {
		xasprintf(cause, "api_token_file '%s': the token must be one "
		    "line of 16 to 4096 bytes without spaces", path);
		return (-1);
	}
	*token = xstrdup(buf);
	return (0);
}

/* Give the API the token of CFG; -1 with *CAUSE if it cannot be read. */
static int
ferryd_api_token(struct ferryd *fd, const struct config *cfg, char **cause)
{
	char	*token;

	if (ferryd_read_token(cfg->api_token_file, &token, cause) != 0)
		return (-1);
	if (token == NULL && strcmp(cfg->listen_address, "127.0.0.1") != 0 &&
	    strcmp(cfg->listen_address, "::1") != 0)
		log_warn("the API listens on '%s' without api_token_file: "
		    "anyone who reaches it may migrate and drain",
		    cfg->listen_address);
	api_set_token(fd->api, token, cfg->api_open_health);
	free(token);
	return (0);
}

/* A migration this replica drives changed state: post it to the webhooks. */
static void
ferryd_mig_notify_cb(const struct mig_record *rec, int final, void *arg)
{
	struct ferryd	*fd = arg;
	char		*json;

	if (fd->notify == NULL)
		return;
	json = mig_json_encode(rec);
	notify_event(fd->notify, "migration", json, final);
	free(json);
}

/*
 * Start, change or stop the webhooks to match CFG.  0, or -1 with *CAUSE
 * (the webhooks stay as they were).
 */
static int
ferryd_notify_setup(struct ferryd *fd, const struct config *cfg,
    char **cause)
{
	struct notify_opts	opts;

	if (cfg->webhook_url.n == 0) {
		if (fd->notify != NULL)
			log_info("webhooks off");
		notify_free(fd->notify);
		fd->notify = NULL;
		return (0);
	}
	memset(&opts, 0, sizeof opts);
	opts.urls = (const char *const *)cfg->webhook_url.v;
	opts.nurls = cfg->webhook_url.n;
	opts.all = (strcmp(cfg->webhook_events, "all") == 0);
	opts.timeout_ms = cfg->webhook_timeout;
	opts.retries = cfg->webhook_retries;
	opts.queue_max = cfg->webhook_queue;
	opts.replica = fd->replica_id;
	if (fd->notify == NULL)
		fd->notify = notify_create(fd->base, &opts, cause);
	else if (notify_set_opts(fd->notify, &opts, cause) != 0)
		return (-1);
	if (fd->notify == NULL)
		return (-1);
	log_info("webhooks: %zu URLs, %s events", opts.nurls,
	    cfg->webhook_events);
	return (0);
}

/* SIGHUP: parse, validate, swap; say what needs a restart. */
static void
ferryd_reload(struct ferryd *fd)
{
	struct config	*cfg = NULL;
	char		*cause = NULL, *restart;

	if (config_load(fd->cfg->path, &cfg, &cause) != 0) {
		log_error("reload failed, keeping the running configuration: "
		    "%s", cause);
		free(cause);
		return;
	}
	if ((restart = config_restart_needed(fd->cfg, cfg)) != NULL) {
		log_warn("reload: changes to %s need a restart; they are "
		    "ignored until then", restart);
		free(restart);
		config_keep_restart_options(cfg, fd->cfg);
	}
	ferryd_log_setup(cfg, 0);
	if (ferryd_api_token(fd, cfg, &cause) != 0) {
		log_error("reload: %s; keeping the previous token", cause);
		free(cause);
		cause = NULL;
	}
	mig_mgr_reload(fd->mgr, cfg);
	evac_reload(fd->evac, cfg);
	if (ferryd_notify_setup(fd, cfg, &cause) != 0) {
		log_error("reload: %s; webhooks unchanged", cause);
		free(cause);
		cause = NULL;
	}
	if (fd->cfg != fd->boot_cfg)
		config_free(fd->cfg);
	fd->cfg = cfg;
	log_info("configuration reloaded from '%s'", cfg->path);
}

/* One handler for every signal (tmux server_signal). */
static void
ferryd_signal_cb(evutil_socket_t sig, short events, void *arg)
{
	struct ferryd	*fd = arg;

	switch (sig) {
	case SIGHUP:
		ferryd_reload(fd);
		break;
	case SIGTERM:
	case SIGINT:
		log_info("signal %d: stopping", (int)sig);
		event_base_loopexit(fd->base, NULL);
		break;
	}
}

/* Redis went up or down. */
static void
ferryd_store_cb(int up, void *arg)
{
	struct ferryd	*fd = arg;

	if (up)
		log_info("redis is reachable");
	if (fd->mgr != NULL)
		mig_mgr_store_changed(fd->mgr, up);
}

/* This replica's name: replica_id, or HOSTNAME-PID. */
static char *
ferryd_replica_id(const struct config *cfg)
{
	char	 host[256], *id;

	if (cfg->replica_id != NULL && cfg->replica_id[0] != '\0')
		return (xstrdup(cfg->replica_id));
	if (gethostname(host, sizeof host) != 0)
		snprintf(host, sizeof host, "ferryd");
	host[sizeof host - 1] = '\0';
	xasprintf(&id, "%s-%ld", host, (long)getpid());
	return (id);
}

/* Leadership changed (the evacuation controller runs on the leader). */
static void
ferryd_leader_cb(int leader, void *arg)
{
	struct ferryd	*fd = arg;

	log_info("this replica %s the leader", leader ? "is now" : "is no "
	    "longer");
	if (fd->evac != NULL)
		evac_set_leader(fd->evac, leader);
}

/* An entry of the requests stream: a drain or uncordon from a tool. */
static void
ferryd_request_cb(const char *id, const char *const *kv, size_t nkv,
    int claimed, void *arg)
{
	struct ferryd	*fd = arg;

	evac_request(fd->evac, id, kv, nkv);
	queue_ack(fd->requests, id);
}

/*
 * HOST as a numeric address, resolved once before the loop runs: hiredis
 * resolves names with a blocking getaddrinfo() on every connection
 * attempt, which must not happen on the loop.  NULL with *CAUSE.
 */
static char *
ferryd_resolve(const char *host, char **cause)
{
	struct addrinfo	 hints, *res;
	char		 buf[NI_MAXHOST];
	int		 rc;

	/* IPv4 first, as hiredis itself does with a name. */
	memset(&hints, 0, sizeof hints);
	hints.ai_family = AF_INET;
	hints.ai_socktype = SOCK_STREAM;
	if (getaddrinfo(host, NULL, &hints, &res) == 0)
		rc = 0;
	else {
		hints.ai_family = AF_INET6;
		rc = getaddrinfo(host, NULL, &hints, &res);
	}
	if (rc != 0) {
		xasprintf(cause, "cannot resolve redis_host '%s': %s", host,
		    gai_strerror(rc));
		return (NULL);
	}
	rc = getnameinfo(res->ai_addr, res->ai_addrlen, buf, sizeof buf, NULL,
	    0, NI_NUMERICHOST);
	freeaddrinfo(res);
	if (rc != 0) {
		xasprintf(cause, "cannot resolve redis_host '%s': %s", host,
		    gai_strerror(rc));
		return (NULL);
	}
	return (xstrdup(buf));
}

/* A queue on Redis stream STREAM, read by this replica. */
static struct queue *
ferryd_queue(struct ferryd *fd, const char *stream, queue_entry_cb cb,
    void *arg)
{
	struct queue_params	p;

	memset(&p, 0, sizeof p);
	p.host = fd->redis_addr;
	p.port = fd->cfg->redis_port;
	p.prefix = fd->cfg->redis_prefix;
	p.stream = stream;
	p.group = "ferryd";
	p.consumer = fd->replica_id;
	/* A live replica refreshes its entries every third of this. */
	p.claim_idle_ms = fd->cfg->lease_timeout;
	p.claim_every_ms = FERRYD_CLAIM_EVERY_MS;
	return (queue_create(fd->base, &p, cb, arg));
}

/* Validate FILE, print what is wrong, and exit. */
static void __attribute__((noreturn))
ferryd_check_config(const char *path)
{
	struct config	*cfg;
	char		*cause = NULL;

	if (config_load(path, &cfg, &cause) != 0) {
		fprintf(stderr, "%s\n", cause);
		free(cause);
		exit(1);
	}
	printf("%s: ok (%zu nodes)\n", path, cfg->nnodes);
	config_free(cfg);
	exit(0);
}

/* Parse the command line, set everything up, run the loop, tear down. */
int
main(int argc, char **argv)
{
	static const struct option	 longopts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "check-config", required_argument, NULL, 'C' },
		{ "dump-config", no_argument, NULL, 'D' },
		{ "man-config", no_argument, NULL, 'M' },
		{ "version", no_argument, NULL, 'V' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	struct ferryd			 fd;
	struct store_cbs		 scb;
	struct coord_cbs		 ccb = { ferryd_leader_cb, NULL };
	const char			*path = SYSCONFDIR "/ferryd.conf";
	char				*cause = NULL;
	struct timeval			 tv;
	int				 ch, busy;

	memset(&fd, 0, sizeof fd);
	while ((ch = getopt_long(argc, argv, "c:Vh", longopts, NULL)) != -1) {
		switch (ch) {
		case 'c':
			path = optarg;
			break;
		case 'C':
			ferryd_check_config(optarg);
		case 'D':
			config_write_default(stdout);
			exit(0);
		case 'M':
			config_write_man(stdout);
			exit(0);
		case 'V':
			printf("ferryd %s\n", PACKAGE_VERSION);
			exit(0);
		case 'h':
			ferryd_usage(0);
		default:
			ferryd_usage(2);
		}
	}
	if (optind != argc)
		ferryd_usage(2);

	if (config_load(path, &fd.boot_cfg, &cause) != 0) {
		fprintf(stderr, "ferryd: %s\n", cause);
		exit(1);
	}
	fd.cfg = fd.boot_cfg;
	ferryd_log_setup(fd.cfg, 1);
	signal(SIGPIPE, SIG_IGN);

	/* libxml2's first initialisation is not thread-safe: do it here. */
	xmlInitParser();
	/* Nor is libcurl's, and webhooks may start on a reload. */
	curl_global_init(CURL_GLOBAL_DEFAULT);
	evthread_use_pthreads();
	event_set_log_callback(ferryd_event_log_cb);
	if ((fd.base = event_base_new()) == NULL) {
		log_error("cannot create the event loop");
		exit(1);
	}
	ferryd_log_versions(fd.base);
	if (virt_event_register(fd.base) != 0) {
		log_error("cannot register libvirt's event implementation");
		exit(1);
	}

	if ((fd.redis_addr = ferryd_resolve(fd.cfg->redis_host,
	    &cause)) == NULL) {
		log_error("%s", cause);
		exit(1);
	}
	fd.workers = workers_create(fd.base, fd.cfg->workers);
	scb.up_cb = ferryd_store_cb;
	scb.arg = &fd;
	fd.store = store_create(fd.base, fd.redis_addr,
	    fd.cfg->redis_port, fd.cfg->redis_prefix, &scb);
	fd.replica_id = ferryd_replica_id(fd.cfg);
	ccb.arg = &fd;
	fd.coord = coord_create(fd.base, fd.store, fd.replica_id,
	    fd.cfg->lease_timeout, &ccb);
	fd.mgr = mig_mgr_create(fd.base, fd.cfg, fd.store, fd.workers,
	    &hv_libvirt_ops);
	mig_mgr_set_coord(fd.mgr, fd.coord);
	if (ferryd_notify_setup(&fd, fd.cfg, &cause) != 0) {
		log_error("%s", cause);
		exit(1);
	}
	mig_mgr_set_notify(fd.mgr, ferryd_mig_notify_cb, &fd, NULL);
	fd.queue = ferryd_queue(&fd, "queue", mig_mgr_queue_entry, fd.mgr);
	if (fd.queue == NULL) {
		log_error("cannot create the work queue");
		exit(1);
	}
	mig_mgr_set_queue(fd.mgr, fd.queue);
	fd.evac = evac_create(fd.base, fd.cfg, fd.store, fd.coord, fd.mgr);
	fd.requests = ferryd_queue(&fd, "requests", ferryd_request_cb, &fd);
	if (fd.requests == NULL) {
		log_error("cannot create the requests queue");
		exit(1);
	}
	log_info("replica '%s'", fd.replica_id);
	fd.api = api_create(fd.base, fd.cfg->listen_address,
	    fd.cfg->listen_port, fd.mgr, fd.evac, fd.store, &cause);
	if (fd.api == NULL || ferryd_api_token(&fd, fd.cfg, &cause) != 0) {
		log_error("%s", cause);
		exit(1);
	}
	fd.watch = watch_create(fd.base, fd.redis_addr,
	    fd.cfg->redis_port, store_prefix(fd.store));
	api_set_watch(fd.api, fd.watch);

	fd.sig_hup = evsignal_new(fd.base, SIGHUP, ferryd_signal_cb, &fd);
	fd.sig_term = evsignal_new(fd.base, SIGTERM, ferryd_signal_cb, &fd);
	fd.sig_int = evsignal_new(fd.base, SIGINT, ferryd_signal_cb, &fd);
	evsignal_add(fd.sig_hup, NULL);
	evsignal_add(fd.sig_term, NULL);
	evsignal_add(fd.sig_int, NULL);

	log_info("ferryd ready: %zu nodes, redis %s:%d", fd.cfg->nnodes,
	    fd.cfg->redis_host, fd.cfg->redis_port);
	event_base_dispatch(fd.base);

	api_free(fd.api);
	watch_free(fd.watch);
	busy = workers_busy(fd.workers);
	if (busy > 0) {
		/*
		 * A migration call blocks its worker for the whole migration;
		 * peer-to-peer jobs go on in the source daemon without us and
		 * are adopted on restart, so do not wait for them.
		 */
		log_info("stopped with %d hypervisor calls in flight; their "
		    "migrations continue on the hosts", busy);
		/* Let the last records and claim releases reach Redis. */
		tv.tv_sec = 1;
		tv.tv_usec = 0;
		event_base_loopexit(fd.base, &tv);
		event_base_dispatch(fd.base);
		notify_free(fd.notify);
		exit(0);
	}
	event_free(fd.sig_hup);
	event_free(fd.sig_term);
	event_free(fd.sig_int);
	queue_free(fd.requests);
	evac_free(fd.evac);
	/* Nodes hand their connections to the workers to close: free first. */
	mig_mgr_free(fd.mgr);
	queue_free(fd.queue);
	workers_free(fd.workers);
	coord_free(fd.coord);
	store_free(fd.store);
	free(fd.replica_id);
	free(fd.redis_addr);
	/* Let the store's last writes (and webhooks) go out. */
	tv.tv_sec = 1;
	tv.tv_usec = 0;
	event_base_loopexit(fd.base, &tv);
	event_base_dispatch(fd.base);
	notify_free(fd.notify);
	if (fd.cfg != fd.boot_cfg)
		config_free(fd.cfg);
	config_free(fd.boot_cfg);
	event_base_free(fd.base);
	curl_global_cleanup();
	log_info("stopped");
	return (0);
}
