/*
 * mig-req.c: a migrate request, from the API to a new migration: check the
 * cluster, find where the VM runs (asking every node), claim the VM in
 * Redis so that it has one active migration cluster-wide, then create the
 * migration and answer.
 */

#include <event2/event.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "ferry/config.h"
#include "ferry/coord.h"
#include "ferry/mig-json.h"
#include "ferry/mig-priv.h"
#include "ferry/queue.h"
#include "ferry/store.h"
#include "ferry/util.h"
#include "ferry/xmalloc.h"

/* A migrate request between its checks. */
struct mig_req {
	struct mig_mgr	*mgr;		/* the manager */
	char		*vm;		/* VM to move */
	char		*target;	/* node name, or NULL: ferry picks */
	char		*name;		/* migration name, once chosen */
	char		*source;	/* where it runs, once found */
	char		*evac;		/* evacuation id, or NULL: manual */
	struct mig_record rec;		/* the record, once written */
	char		*json;		/* ... as JSON */
	int		 found;		/* nodes running it */
	int		 waiting;	/* dom_state answers outstanding */
	int		 down;		/* nodes that could not answer */
	int		 paused;	/* nodes where it is paused */
	int		 refreshed;	/* the source's inventory was reread */
	int		 inv_waiting;	/* node inventories still being read */
	int		 inv_waited;	/* waited for every node's inventory */
	mig_reply_cb	 cb;		/* the answer goes here */
	void		*arg;		/* for cb */
};

/* One node's part of locating a VM. */
struct mig_req_probe {
	struct mig_req	*req;		/* the request */
	struct mig_node	*node;		/* the node asked */
};

/* Free a migrate request. */
static void
mig_req_free(struct mig_req *req)
{
	free(req->vm);
	free(req->target);
	free(req->name);
	free(req->source);
	free(req->evac);
	free(req->json);
	mig_record_clear(&req->rec);
	free(req);
}

/* Finish a request with an error STATUS and message. */
static void __attribute__((format(printf, 3, 4)))
mig_req_fail(struct mig_req *req, int status, const char *fmt, ...)
{
	va_list	 ap;
	char	*msg;

	va_start(ap, fmt);
	xvasprintf(&msg, fmt, ap);
	va_end(ap);
	req->cb(status, NULL, msg, NULL, 0, req->arg);
	free(msg);
	mig_req_free(req);
}

/* The entry is queued (or not): answer. */
static void
mig_req_queued(const char *id, const char *err, void *arg)
{
	struct mig_req		*req = arg;
	struct mig_mgr		*mgr = req->mgr;
	struct mig_record	*r = &req->rec;
	char			*json;

	if (id == NULL) {
		/* Nobody will drive it: end the record, free the VM. */
		log_error("migration '%s' could not be queued: %s", r->name,
		    err);
		r->state = MIG_FAILED;
		r->reason = MIG_REASON_MIGRATION_ERROR;
		r->ended = util_wall_ms();
		free(r->message);
		xasprintf(&r->message, "could not be queued: %s", err);
		json = mig_json_encode(r);
		coord_mig_write(mgr->coord, r->name, "", 0, json, r->vm,
		    mig_state_name(r->state), r->created, NULL, NULL);
		free(json);
		store_vm_release(mgr->store, r->vm, r->name);
		/* No replica will own it: its end is reported from here. */
		mig_notify(mgr, r, 1);
		mig_req_fail(req, 503, "cannot queue migration '%s': %s",
		    r->name, err);
		return;
	}
	log_fields(LOG_LEVEL_INFO, (struct log_field[]){
	    LOG_STR("migration", r->name), LOG_STR("vm", r->vm),
	    LOG_STR("source", r->source), LOG_STR("target", r->target),
	    LOG_STR("trigger", r->trigger), LOG_STR("to", "pending"),
	    LOG_STR("entry", id) }, 7, "migration created");
	req->cb(201, r, NULL, NULL, 0, req->arg);
	mig_req_free(req);
}

/* The new record is written (or not): queue it for a replica to drive. */
static void
mig_req_written(int rc, const char *owner, long long epoch, const char *err,
    void *arg)
{
	struct mig_req		*req = arg;
	struct mig_mgr		*mgr = req->mgr;
	const char		*kv[4];

	if (rc != 1) {
		store_vm_release(mgr->store, req->rec.vm, req->rec.name);
		if (rc == 0)
			mig_req_fail(req, 409, "migration '%s' exists already",
			    req->rec.name);
		else
			mig_req_fail(req, 503, "cannot write migration '%s': "
			    "%s", req->rec.name, err);
		return;
	}
	kv[0] = "name";
	kv[1] = req->rec.name;
	kv[2] = "vm";
	kv[3] = req->rec.vm;
	queue_add(mgr->queue, kv, nitems(kv), mig_req_queued, req);
}

/*
 * The VM is claimed (or not): write the record, unowned at epoch 0, and
 * queue it; whichever replica reads the entry takes and drives it.
 */
static void
mig_req_claimed(int rc, const char *holder, const char *err, void *arg)
{
	struct mig_req		*req = arg;
	struct mig_mgr		*mgr = req->mgr;
	struct mig_record	*r = &req->rec;
	char			 uid[37];

	if (rc < 0) {
		/* The SET may have landed before the link broke. */
		store_vm_release(mgr->store, req->vm, req->name);
		mig_req_fail(req, 503, "cannot claim VM '%s': %s", req->vm,
		    err);
		return;
	}
	if (rc == 0) {
		mig_req_fail(req, 409, "VM '%s' already has an active "
		    "migration '%s'", req->vm, holder);
		return;
	}
	util_uuid(uid);
	r->name = req->name;
	req->name = NULL;
	r->uid = xstrdup(uid);
	r->vm = xstrdup(req->vm);
	r->source = xstrdup(req->source);
	r->target = xstrdup(req->target != NULL ? req->target : "");
	r->trigger = xstrdup(req->evac != NULL ? "evacuation" : "manual");
	r->evacuation = req->evac != NULL ? xstrdup(req->evac) : NULL;
	r->state = MIG_PENDING;
	r->created = util_wall_ms();
	r->transitions[0].state = MIG_PENDING;
	r->transitions[0].time = r->created;
	r->ntransitions = 1;
	req->json = mig_json_encode(r);
	coord_mig_write(mgr->coord, r->name, "", 0, req->json, r->vm,
	    mig_state_name(r->state), r->created, mig_req_written, req);
}

/* Finish a request with 422 or 409 and every reason as "CODE: text". */
static void
mig_req_refuse(struct mig_req *req, int status, const char *error,
    const struct rules_reasons *why)
{
	const char	**reasons;
	char		**texts;
	size_t		  i;

	texts = xcalloc(why->n, sizeof *texts);
	reasons = xcalloc(why->n, sizeof *reasons);
	for (i = 0; i < why->n; i++) {
		xasprintf(&texts[i], "%s: %s", why->v[i].code,
		    why->v[i].message);
		reasons[i] = texts[i];
	}
	req->cb(status, NULL, error, reasons, why->n, req->arg);
	for (i = 0; i < why->n; i++)
		free(texts[i]);
	free(texts);
	free(reasons);
	mig_req_free(req);
}

/*
 * The seed's refusals: VM V not live-migratable (422, every reason), or
 * an explicit target failing a filter (409, that filter's reason).  0 if
 * the request may go on; else it has been answered and freed.
 */
static int
mig_req_check_rules(struct mig_req *req, struct mig_node *src,
    const struct mig_vm *v)
{
	struct mig_cluster	 c;
	struct rules_reasons	 why = { 0 };
	struct rules_reason	 r = { 0 };
	char			*error = NULL;
	int			 rc = 0;

	mig_cluster_build(req->mgr, NULL, &c);
	if (rules_migratable(&c.c, v->info, src->name, &why) > 0) {
		xasprintf(&error, "VM '%s' is not live-migratable", req->vm);
		mig_req_refuse(req, 422, error, &why);
		rc = -1;
	} else if (req->target != NULL && !rules_target_fits(&c.c, v->info,
	    src->name, mig_cluster_node(&c, req->target), &r)) {
		xasprintf(&error, "node '%s' cannot take VM '%s'", req->target,
		    req->vm);
		why.v = xcalloc(1, sizeof *why.v);
		why.v[0] = r;
		why.n = 1;
		memset(&r, 0, sizeof r);
		mig_req_refuse(req, 409, error, &why);
		rc = -1;
	}
	free(error);
	rules_reasons_clear(&why);
	mig_cluster_free(&c);
	return (rc);
}

static void	mig_req_located(struct mig_req *);

/* The source's inventory was reread: look again. */
static void
mig_req_inv_done(void *arg)
{
	mig_req_located(arg);
}

/* One node's inventory, waited for, is read. */
static void
mig_req_inv_node_done(void *arg)
{
	struct mig_req	*req = arg;

	if (--req->inv_waiting == 0)
		mig_req_located(req);
}

/*
 * The rules need every connected node's labels and VMs: wait for nodes
 * whose first inventory is still being read.  1 if waiting.
 */
static int
mig_req_wait_inventory(struct mig_req *req)
{
	struct mig_node	*n;
	size_t		 i;

	req->inv_waited = 1;
	req->inv_waiting = 1;
	for (i = 0; i < req->mgr->nnodes; i++) {
		n = &req->mgr->nodes[i];
		if (n->up && (!n->have_caps || !n->have_vms)) {
			req->inv_waiting++;
			mig_inv_refresh(n, mig_req_inv_node_done, req);
		}
	}
	return (--req->inv_waiting > 0);
}

/* Every node has said whether it runs the VM. */
static void
mig_req_located(struct mig_req *req)
{
	struct mig_mgr		*mgr = req->mgr;
	struct mig_node		*src;
	const struct mig_vm	*v;
	char			 suffix[6];

	if (req->found == 0) {
		if (req->paused > 0)
			mig_req_fail(req, 409, "VM '%s' is paused: only "
			    "running VMs are live-migrated", req->vm);
		else if (req->down > 0)
			mig_req_fail(req, 503, "VM '%s' was not found on any "
			    "reachable node (%d unreachable)", req->vm,
			    req->down);
		else
			mig_req_fail(req, 404, "VM '%s' not found", req->vm);
		return;
	}
	if (req->found > 1) {
		mig_req_fail(req, 409, "VM '%s' runs on %d nodes", req->vm,
		    req->found);
		return;
	}
	if (req->target != NULL && strcmp(req->source, req->target) == 0) {
		mig_req_fail(req, 409, "VM '%s' already runs on node '%s'",
		    req->vm, req->target);
		return;
	}
	src = mig_node_find(mgr, req->source);
	if (src == NULL || !src->up) {
		mig_req_fail(req, 503, "source node '%s' is not connected",
		    req->source);
		return;
	}
	if (!store_is_up(mgr->store)) {
		mig_req_fail(req, 503, "redis is unreachable");
		return;
	}
	if (!req->inv_waited && mig_req_wait_inventory(req))
		return;
	v = mig_inv_vm(src, req->vm);
	if (v == NULL && !req->refreshed) {
		/* Started since the last listing: read the node again. */
		req->refreshed = 1;
		mig_inv_refresh(src, mig_req_inv_done, req);
		return;
	}
	if (v == NULL || !src->have_caps) {
		mig_req_fail(req, 503, "node '%s' has not listed VM '%s' yet",
		    src->name, req->vm);
		return;
	}
	if (v->info == NULL) {
		mig_req_fail(req, 422, "VM '%s' has domain XML ferry cannot "
		    "read: %s", req->vm, v->error);
		return;
	}
	if (mig_req_check_rules(req, src, v) != 0)
		return;
	util_random_suffix(suffix, sizeof suffix);
	xasprintf(&req->name, "%s-%s", req->evac != NULL ?
	    mgr->cfg->evacuation_migration_prefix : req->vm, suffix);
	store_vm_claim(mgr->store, req->vm, req->name, mig_req_claimed, req);
}

/* A node answered whether it runs the VM. */
static void
mig_req_state_done(int rc, enum hv_dom_state st, const char *err, void *arg)
{
	struct mig_req_probe	*p = arg;
	struct mig_req		*req = p->req;

	if (rc != 0) {
		log_warn("cannot ask node '%s' about VM '%s': %s",
		    p->node->name, req->vm, err);
		req->down++;
	} else if (st == HV_DOM_RUNNING) {
		req->found++;
		free(req->source);
		req->source = xstrdup(p->node->name);
	} else if (st == HV_DOM_PAUSED)
		req->paused++;
	free(p);
	if (--req->waiting == 0)
		mig_req_located(req);
}

/* Start migrating VM (for evacuation EVAC, or NULL) to TARGET. */
static void
mig_req_start(struct mig_mgr *mgr, const char *vm, const char *target,
    const char *evac, mig_reply_cb cb, void *arg)
{
	struct mig_req		*req = xcalloc(1, sizeof *req);
	struct mig_req_probe	*p;
	struct mig_node		*dst = NULL;
	struct mig		*m;
	size_t			 i;

	req->mgr = mgr;
	req->vm = xstrdup(vm);
	req->target = target != NULL ? xstrdup(target) : NULL;
	req->evac = evac != NULL ? xstrdup(evac) : NULL;
	req->cb = cb;
	req->arg = arg;

	if (mgr->nnodes < 2) {
		mig_req_fail(req, 409, "the cluster has only one node");
		return;
	}
	if (target != NULL && (dst = mig_node_find(mgr, target)) == NULL) {
		mig_req_fail(req, 400, "unknown target node '%s'", target);
		return;
	}
	if (target != NULL && !dst->up) {
		mig_req_fail(req, 503, "target node '%s' is not connected",
		    target);
		return;
	}
	if (!store_is_up(mgr->store)) {
		mig_req_fail(req, 503, "redis is unreachable");
		return;
	}
	if (mgr->coord == NULL || mgr->queue == NULL) {
		mig_req_fail(req, 503, "ferryd is not ready: no work queue");
		return;
	}
	if ((m = mig_find_active(mgr, vm)) != NULL) {
		mig_req_fail(req, 409, "VM '%s' already has an active "
		    "migration '%s' (%s)", vm, m->rec.name,
		    mig_state_name(m->rec.state));
		return;
	}
	req->waiting = 1;	/* held until every probe is out */
	for (i = 0; i < mgr->nnodes; i++) {
		if (!mgr->nodes[i].up) {
			req->down++;
			continue;
		}
		p = xcalloc(1, sizeof *p);
		p->req = req;
		p->node = &mgr->nodes[i];
		req->waiting++;
		hv_dom_state(mgr->nodes[i].hv, vm, mig_req_state_done, p);
	}
	if (--req->waiting == 0)
		mig_req_located(req);
}

/* Start migrating VM to TARGET; CB answers (maybe before this returns). */
void
mig_mgr_migrate(struct mig_mgr *mgr, const char *vm, const char *target,
    mig_reply_cb cb, void *arg)
{
	mig_req_start(mgr, vm, target, NULL, cb, arg);
}

/* Start an evacuation migration of VM for evacuation EVAC. */
void
mig_mgr_evacuate(struct mig_mgr *mgr, const char *vm, const char *evac,
    mig_reply_cb cb, void *arg)
{
	mig_req_start(mgr, vm, NULL, evac, cb, arg);
}
