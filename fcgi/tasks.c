/*
 * The tasks' handlers: create, rerun, list, get, stop, delete and the
 * log.
 * Each validates everything the client sent before it touches the
 * store; every refusal is a JSON error that names the input and the
 * rule.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "batch.h"
#include "feed.h"
#include "forget.h"
#include "janitor.h"
#include "json.h"
#include "launch.h"
#include "listcache.h"
#include "pool.h"
#include "progress.h"
#include "report.h"
#include "runners.h"
#include "server.h"
#include "taskfiles.h"
#include "tasks.h"

/*
 * Reads "after" (v, or NULL when absent): 1 to HG_AFTER_MAX distinct task
 * ids, a whole number from 1 each, into ids; sets *n (0 when absent).
 * Whether each task exists is the store's to say, in the create's own
 * transaction.
 */
static int
after_read(const cJSON *v, int64_t *ids, int *n, struct hg_err *e)
{
	const cJSON	*c;
	int64_t		 id;
	int		 i;

	*n = 0;
	if (v == NULL)
		return 0;
	if (!cJSON_IsArray(v) || cJSON_GetArraySize(v) < 1 ||
	    cJSON_GetArraySize(v) > HG_AFTER_MAX)
		return hg_err_set(e, 400, "invalid_request", "after: must be "
		    "a list of 1 to %d task ids", HG_AFTER_MAX);
	cJSON_ArrayForEach(c, v) {
		if (!cJSON_IsNumber(c) || json_int(c, &id) == -1 || id < 1)
			return hg_err_set(e, 400, "invalid_request",
			    "after[%d]: must be a task id, a whole number "
			    "from 1", *n);
		for (i = 0; i < *n; i++)
			if (ids[i] == id)
				return hg_err_set(e, 400, "invalid_request",
				    "after: task %lld is named twice; each id "
				    "must appear once", (long long)id);
		ids[(*n)++] = id;
	}
	return 0;
}

/* Checks the create body's shape. On success sets the three fields
 * (borrowed from doc; params and name may be NULL). */
static int
create_fields(const cJSON *doc, const char **kind, const cJSON **params,
    const char **name, struct hg_err *e)
{
	const cJSON	*c, *v;

	if (!cJSON_IsObject(doc))
		return hg_err_set(e, 400, "invalid_request",
		    "the body must be a JSON object");
	cJSON_ArrayForEach(c, doc)
		if (strcmp(c->string, "kind") != 0 &&
		    strcmp(c->string, "params") != 0 &&
		    strcmp(c->string, "name") != 0 &&
		    strcmp(c->string, "after") != 0)
			return hg_err_set(e, 400, "invalid_request",
			    "unknown field \"%.64s\"; the fields are kind, "
			    "params, name and after", c->string);
	v = cJSON_GetObjectItemCaseSensitive(doc, "kind");
	if (!cJSON_IsString(v))
		return hg_err_set(e, 400, "invalid_request",
		    "kind: required, a string");
	*kind = v->valuestring;
	*params = cJSON_GetObjectItemCaseSensitive(doc, "params");
	v = cJSON_GetObjectItemCaseSensitive(doc, "name");
	*name = NULL;
	if (v != NULL && !cJSON_IsNull(v)) {
		if (!cJSON_IsString(v) || strlen(v->valuestring) > HG_NAME_MAX)
			return hg_err_set(e, 400, "invalid_request",
			    "name: must be a string of at most %d bytes, "
			    "or null", HG_NAME_MAX);
		*name = v->valuestring;
	}
	return 0;
}

/* The Idempotency-Key header: up to HG_IDEM_KEY_MAX printable ASCII
 * characters. */
static int
idem_key(struct req *r, const char **key, struct hg_err *e)
{
	const char	*v = req_param(r, "HTTP_IDEMPOTENCY_KEY");
	size_t		 i;

	*key = NULL;
	if (v == NULL)
		return 0;
	for (i = 0; v[i] != '\0'; i++)
		if (v[i] < 0x20 || v[i] > 0x7e)
			break;
	if (i == 0 || v[i] != '\0' || i > HG_IDEM_KEY_MAX)
		return hg_err_set(e, 400, "invalid_request", "Idempotency-Key: "
		    "must be 1 to %d printable ASCII characters",
		    HG_IDEM_KEY_MAX);
	*key = v;
	return 0;
}

/* What a create asks for, read from the request and checked; each
 * pointer is owned here and freed by create_free(). */
struct create {
	const struct kind	*kind;
	const char		*name;		/* in doc, or NULL */
	char			*body;
	cJSON			*doc;
	cJSON			*old;		/* a rerun's task */
	cJSON			*checked;	/* params, defaults in */
	char			*ptext;		/* checked, printed */
	struct create_opts	 opts;
	char			 token[80];	/* an external task's */
	unsigned char		 hash[STORE_HASH_LEN];
	struct sched		 sc;		/* an internal task's start */
	int64_t			 ids[LAUNCH_BATCH];
	/* The ids of "after", which opts.after points to. */
	int64_t			 after[HG_AFTER_MAX];
};

static void
create_free(struct create *c)
{
	free(c->ptext);
	cJSON_Delete(c->checked);
	cJSON_Delete(c->doc);
	cJSON_Delete(c->old);
	free(c->body);
}

/* Reads and checks the body and the Idempotency-Key, in the order the
 * errors are told: media type, body's size, key, JSON, fields, kind,
 * params. c->opts.idem_key is set once the key is read: an error after
 * it is the body's, which a repeat does not look at (tasks_create). */
static int
create_read(struct req *r, struct create *c, struct hg_err *e)
{
	const cJSON	*params = NULL;
	const char	*kind = NULL;
	size_t		 len;

	if (!req_type_is(r, "application/json"))
		return hg_err_set(e, 415, "unsupported_media_type", "the body "
		    "must be application/json, in UTF-8");
	if ((c->body = req_body(r, HG_BODY_MAX, &len, e)) == NULL ||
	    idem_key(r, &c->opts.idem_key, e) == -1 ||
	    (c->doc = json_parse(c->body, len, e)) == NULL ||
	    create_fields(c->doc, &kind, &params, &c->name, e) == -1 ||
	    after_read(cJSON_GetObjectItemCaseSensitive(c->doc, "after"),
	    c->after, &c->opts.nafter, e) == -1)
		return -1;
	c->opts.after = c->after;
	if ((c->kind = kinds_find(srv.kinds, kind)) == NULL)
		return hg_err_set(e, 422, "unknown_kind", strlen(kind) <= 64 ?
		    "unknown kind \"%s\"; GET /api/kinds lists them" :
		    "unknown kind%.0s; GET /api/kinds lists them", kind);
	if ((c->checked = kinds_params_check(c->kind, params, e)) == NULL)
		return -1;
	if ((c->ptext = json_print(c->checked)) == NULL)
		return hg_err_set(e, 503, "unavailable", "out of memory");
	return 0;
}

/* The store's options: the kind's retries, an external task's token, or
 * the schedule that takes a free slot in the create's own transaction. */
static int
create_opts_set(struct create *c, struct hg_err *e)
{
	const struct kind	*k = c->kind;

	c->opts.max_queued = srv.cfg.max_queued;
	c->opts.watch_ms = (int64_t)(k->while_watched_s * 1000);
	/* The retry policy as the kinds file says now; the task keeps it. */
	c->opts.attempts = 1 + k->retries;
	c->opts.retry_on = k->retry_on;
	c->opts.retry_delay_ms = (int64_t)(k->retry_delay_s * 1000);
	c->opts.retry_delay_max_ms = (int64_t)(k->retry_delay_max_s * 1000);
	if (!k->external) {
		launch_sched_init(&c->sc, &srv.cfg, srv.kinds, c->ids);
		c->opts.sched = &c->sc;
		return 0;
	}
	if (report_token_new(c->token, sizeof(c->token), c->hash) == -1)
		return hg_err_set(e, 503, "unavailable", "no randomness for "
		    "the report token");
	c->opts.external = 1;
	c->opts.report_hash = c->hash;
	c->opts.heartbeat_ms = (int64_t)(k->heartbeat_s * 1000);
	c->opts.grace_ms = (int64_t)(k->grace_s * 1000);
	return 0;
}

/* A new task, id: an external one is told its report URL and token,
 * once (only the hash is kept); an internal one's runner starts. */
static int
create_started(struct store *st, struct create *c, int64_t id, cJSON *task,
    struct hg_err *e)
{
	cJSON	*rep;
	char	 url[64];

	if (c->kind->external) {
		snprintf(url, sizeof(url), "/api/tasks/%lld/report",
		    (long long)id);
		if ((rep = cJSON_AddObjectToObject(task, "report")) == NULL ||
		    cJSON_AddStringToObject(rep, "url", url) == NULL ||
		    cJSON_AddStringToObject(rep, "token", c->token) == NULL)
			return hg_err_set(e, 503, "unavailable",
			    "out of memory");
		return 0;
	}
	/* Taken in the create's transaction if a slot was free; else a
	 * task's end or the janitor starts it. A full batch may have left
	 * more behind. */
	(void)launch_taken(st, &srv.cfg, c->ids, c->sc.n);
	if (c->sc.n == LAUNCH_BATCH &&
	    launch_queued(st, &srv.cfg, srv.kinds) == -1)
		janitor_kick();
	return 0;
}

/* A new task's id: a raw number in the object (json_add_int), read
 * from its text. */
static int64_t
task_id(const cJSON *task)
{
	return strtoll(cJSON_GetObjectItemCaseSensitive(task, "id")->
	    valuestring, NULL, 10);
}

/* Stores c's task (borrowing st) and answers: 201 with the task, 200
 * with the first task for a retried Idempotency-Key, or the error. */
static void
create_answer(struct req *r, struct create *c, struct store *st)
{
	struct create_item it;
	struct hg_err	 e;
	cJSON		*task = NULL;
	char		 loc[64];
	int64_t		 id;
	int		 created;

	if (create_opts_set(c, &e) == -1)
		goto fail;
	it.kind = c->kind->name;
	it.name = c->name;
	it.params = c->ptext;
	it.opts = &c->opts;
	created = batch_create(st, &it);
	task = it.task;
	if (created == -1) {
		e = it.e;
		goto fail;
	}
	if (created == 1) {
		/* A retried create: the task the key's first create made. */
		reply_json(r, 200, NULL, task);
		goto out;
	}
	feed_kick();
	id = task_id(task);
	if (create_started(st, c, id, task, &e) == -1)
		goto fail;
	snprintf(loc, sizeof(loc), "Location: /api/tasks/%lld\r\n",
	    (long long)id);
	reply_json(r, 201, loc, task);
	goto out;
fail:
	reply_err(r, e.status == 429 ? "Retry-After: 5\r\n" : NULL, &e);
out:
	cJSON_Delete(task);
}

/* A request refused with e: answered 200 with the task its key named,
 * if that names one (a repeat answers whatever its body), else with e;
 * with the lookup's own error (a 503 to tell) if the key cannot be
 * looked up. */
static void
refused(struct req *r, struct store *st, const char *key,
    struct hg_err *e)
{
	struct hg_err	 le;
	cJSON		*task = NULL;
	int		 rc = 0;

	if (key != NULL && st != NULL &&
	    (rc = store_idem_task(st, key, &task, &le)) == 1)
		reply_json(r, 200, NULL, task);
	else
		reply_err(r, NULL, rc == -1 ? &le : e);
	cJSON_Delete(task);
}

void
tasks_create(struct req *r)
{
	struct create	 c;
	struct store	*st = NULL;
	struct hg_err	 e, le;

	memset(&c, 0, sizeof(c));
	if (create_read(r, &c, &e) == -1) {
		/* A repeat answers with the key's task whatever its body:
		 * the kinds file may have changed since the first. */
		if (c.opts.idem_key != NULL && (st = pool_get(&le)) == NULL)
			reply_err(r, NULL, &le);
		else
			refused(r, st, c.opts.idem_key, &e);
	} else if ((st = pool_get(&e)) == NULL)
		reply_err(r, NULL, &e);
	else
		create_answer(r, &c, st);
	if (st != NULL)
		pool_put(st);
	create_free(&c);
}

int
tasks_create_scheduled(struct store *st, const struct schedule *sc,
    int64_t due, int64_t next, cJSON **task, struct hg_err *e)
{
	struct create	 c;
	int64_t		 id;
	int		 rc = -1;

	memset(&c, 0, sizeof(c));
	*task = NULL;
	if ((c.kind = kinds_find(srv.kinds, sc->kind)) == NULL) {
		hg_err_set(e, 422, "unknown_kind", "schedule %lld's kind is no "
		    "longer in the kinds file", (long long)sc->id);
		goto out;
	}
	if (c.kind->external) {
		hg_err_set(e, 422, "invalid_schedule", "kind: \"%s\" is now "
		    "external; a schedule cannot hand its tasks their report "
		    "token", c.kind->name);
		goto out;
	}
	if ((c.doc = json_parse(sc->params, strlen(sc->params), e)) ==
	    NULL || (c.checked = kinds_params_check(c.kind, c.doc, e)) ==
	    NULL)
		goto out;
	if ((c.ptext = json_print(c.checked)) == NULL) {
		hg_err_set(e, 503, "unavailable", "out of memory");
		goto out;
	}
	c.name = sc->name;
	c.opts.schedule = sc->id;
	c.opts.schedule_due = due;
	c.opts.schedule_next = next;
	if (create_opts_set(&c, e) == -1 || store_task_create_opts(st,
	    c.kind->name, c.name, c.ptext, &c.opts, task, e) == -1)
		goto out;
	feed_kick();
	id = task_id(*task);
	rc = create_started(st, &c, id, *task, e);
out:
	if (rc == -1) {
		cJSON_Delete(*task);
		*task = NULL;
	}
	create_free(&c);
	return rc;
}

/*
 * What a rerun of task id asks for, read into c: the Idempotency-Key
 * first (c->opts.idem_key, as a create reads it), then the task's kind,
 * params and name, checked against the kinds file as it is now (the
 * kind may have left it, or its parameters changed).
 */
static int
rerun_read(struct req *r, struct store *st, int64_t id, struct create *c,
    struct hg_err *e)
{
	const cJSON	*v, *params;
	int		 state;

	if (idem_key(r, &c->opts.idem_key, e) == -1 ||
	    store_task_get(st, id, &c->old, e) == -1)
		return -1;
	v = cJSON_GetObjectItemCaseSensitive(c->old, "state");
	state = cJSON_IsString(v) ? state_parse(v->valuestring) : -1;
	if (state == -1 || state_active((enum task_state)state))
		return hg_err_set(e, 409, "still_active", "task %lld is still "
		    "active; rerun it once it has finished", (long long)id);
	v = cJSON_GetObjectItemCaseSensitive(c->old, "kind");
	if (!cJSON_IsString(v) ||
	    (c->kind = kinds_find(srv.kinds, v->valuestring)) == NULL)
		return hg_err_set(e, 422, "unknown_kind", "task %lld's kind "
		    "is no longer in the kinds file; GET /api/kinds lists "
		    "them", (long long)id);
	v = cJSON_GetObjectItemCaseSensitive(c->old, "name");
	c->name = cJSON_IsString(v) ? v->valuestring : NULL;
	/* Stored as our own text, so the tree holds it raw. */
	params = cJSON_GetObjectItemCaseSensitive(c->old, "params");
	if (!cJSON_IsRaw(params) || (c->doc = json_parse(params->valuestring,
	    strlen(params->valuestring), e)) == NULL)
		return hg_err_set(e, 503, "unavailable", "task %lld's params "
		    "cannot be read", (long long)id);
	if ((c->checked = kinds_params_check(c->kind, c->doc, e)) == NULL)
		return -1;
	if ((c->ptext = json_print(c->checked)) == NULL)
		return hg_err_set(e, 503, "unavailable", "out of memory");
	c->opts.rerun_of = id;
	return 0;
}

void
tasks_rerun(struct req *r, int64_t id)
{
	struct create	 c;
	struct store	*st;
	struct hg_err	 e;

	memset(&c, 0, sizeof(c));
	if ((st = pool_get(&e)) == NULL) {
		reply_err(r, NULL, &e);
		return;
	}
	if (rerun_read(r, st, id, &c, &e) == -1)
		refused(r, st, c.opts.idem_key, &e);
	else
		create_answer(r, &c, st);
	pool_put(st);
	create_free(&c);
}

void
tasks_list(struct req *r)
{
	struct task_filter	 f = { 0, NULL, 0, HG_LIST_DEFAULT, 0 };
	struct store		*st;
	struct hg_err		 e;
	char			 state[32], kind[HG_KIND_NAME_MAX + 1], num[32];
	char			 key[160];
	struct listcache_body	*kept = NULL;
	char			*body = NULL;
	int64_t			 n, last;
	uint64_t		 gen;
	size_t			 len;
	int			 rc, v;

	/* A value that cannot be read (too long, a NUL in it) is refused
	 * like a wrong one, never taken for none: that would widen the
	 * list. */
	if ((rc = req_arg(r, "state", state, sizeof(state))) != 0) {
		if (rc == -1 || (v = state_parse(state)) == -1) {
			reply_errf(r, 400, "invalid_request", "state: must be "
			    "one of queued, running, stopping, retrying, "
			    "succeeded, failed, canceled, lost");
			return;
		}
		f.state = (enum task_state)v;
	}
	if ((rc = req_arg(r, "kind", kind, sizeof(kind))) != 0) {
		if (rc == -1 || kind[0] == '\0') {
			reply_errf(r, 400, "invalid_request", "kind: must be "
			    "a kind's name, at most %d bytes",
			    HG_KIND_NAME_MAX);
			return;
		}
		f.kind = kind;
	}
	if ((rc = req_arg(r, "limit", num, sizeof(num))) != 0) {
		if (rc == -1 || hg_parse_id(num, strlen(num), &n) == -1 ||
		    n > HG_LIST_MAX) {
			reply_errf(r, 400, "invalid_request", "limit: must be "
			    "an integer from 1 to %d", HG_LIST_MAX);
			return;
		}
		f.limit = (int)n;
	}
	if ((rc = req_arg(r, "before", num, sizeof(num))) != 0 &&
	    (rc == -1 || hg_parse_id(num, strlen(num), &f.before) == -1)) {
		reply_errf(r, 400, "invalid_request", "before: must be a "
		    "task id");
		return;
	}
	if ((st = pool_get(&e)) == NULL) {
		reply_err(r, NULL, &e);
		return;
	}
	/* A kind's name is never empty, but its place says "none" apart
	 * from any name all the same. */
	snprintf(key, sizeof(key), "%s|%c%s|%lld|%d", f.state != 0 ?
	    state : "", f.kind != NULL ? '=' : '-', f.kind != NULL ?
	    f.kind : "", (long long)f.before, f.limit);
	/* One read transaction: the newest event id, and the list only if
	 * the kept answer is not current. */
	kept = listcache_find(key, &f.unless, &gen);
	rc = store_task_list(st, &f, &body, &len, &last, &e);
	if (rc == 1 && listcache_gen() != gen) {
		/* A task was forgotten meanwhile. */
		listcache_release(kept);
		kept = NULL;
		f.unless = 0;
		gen = listcache_gen();
		rc = store_task_list(st, &f, &body, &len, &last, &e);
	}
	pool_put(st);
	if (rc == 1) {
		const char	*p = listcache_body(kept, &len);

		reply(r, 200, NULL, JSON_TYPE, p, len);
		listcache_release(kept);
		return;
	}
	listcache_release(kept);
	if (rc == -1) {
		reply_err(r, NULL, &e);
		return;
	}
	reply(r, 200, NULL, JSON_TYPE, body, len);
	listcache_put(key, last, gen, body, len);
}

/*
 * Sends bytes off to size of the log fd, as the body of an answer of
 * that length. Not inlined: its buffer must not share the stack with
 * taskfiles_log_tail()'s block, which with a sanitizer's frames (both
 * were 64 KiB then) overflowed a request thread's HG_THREAD_STACK.
 */
static void __attribute__((noinline))
log_send(struct req *r, int fd, off_t off, off_t size)
{
	char	 buf[HG_LOG_CHUNK];
	ssize_t	 got;

	if (r->head)
		return;
	/* A read that fails leaves the answer short of its length, which
	 * nginx reports as the error it is. */
	while (off < size && (got = pread(fd, buf, (size_t)(size - off) <
	    sizeof(buf) ? (size_t)(size - off) : sizeof(buf), off)) > 0) {
		if (FCGX_PutStr(buf, (int)got, r->fcgi.out) != (int)got)
			break;
		off += got;
	}
}

/* GET /api/tasks/{id}/log: the file as it is now, streamed; never the
 * whole of it in memory. */
void
tasks_log(struct req *r, int64_t id)
{
	struct store	*st;
	struct hg_err	 e;
	struct stat	 sb;
	cJSON		*task = NULL;
	char		 num[32];
	int64_t		 tail = 0;
	off_t		 off = 0;
	int		 fd, rc;

	if ((rc = req_arg(r, "tail", num, sizeof(num))) != 0 &&
	    (rc == -1 || hg_parse_id(num, strlen(num), &tail) == -1 ||
	    tail > HG_TAIL_MAX)) {
		reply_errf(r, 400, "invalid_request", "tail: must be an "
		    "integer from 1 to %d", HG_TAIL_MAX);
		return;
	}
	if ((st = pool_get(&e)) == NULL) {
		reply_err(r, NULL, &e);
		return;
	}
	rc = store_task_get(st, id, &task, &e);
	pool_put(st);
	cJSON_Delete(task);
	if (rc == -1) {
		reply_err(r, NULL, &e);
		return;
	}
	if ((fd = taskfiles_log_read(&srv.cfg, id)) == -1) {
		/* A task that has not started has no log yet. */
		reply(r, 200, NULL, "text/plain; charset=utf-8", NULL, 0);
		return;
	}
	if (fstat(fd, &sb) == -1)
		sb.st_size = 0;
	/* A tail that cannot be read sends the whole log. */
	if (tail > 0 && (off = taskfiles_log_tail(fd, sb.st_size,
	    (long)tail)) == -1)
		off = 0;
	/* Up to the size seen now: a running task's log keeps growing,
	 * and the file is only appended to (a removed one stays open). */
	reply_head(r, 200, NULL, "text/plain; charset=utf-8",
	    (size_t)(sb.st_size - off));
	log_send(r, fd, off, sb.st_size);
	close(fd);
}
/* GET /api/tasks/{id}/data?after=&name=&limit=: a page of its items. */
void
tasks_data(struct req *r, int64_t id)
{
	struct store	*st;
	struct hg_err	 e;
	char		 num[32], name[HG_DATA_NAME_MAX + 2], *body = NULL;
	int64_t		 after = 0, limit = HG_DATA_PAGE_DEFAULT;
	size_t		 len;
	int		 has_name, rc;

	if ((rc = req_arg(r, "after", num, sizeof(num))) != 0 &&
	    (rc == -1 || (strcmp(num, "0") != 0 &&
	    hg_parse_id(num, strlen(num), &after) == -1))) {
		reply_errf(r, 400, "invalid_request", "after: must be an "
		    "event id, an integer from 0");
		return;
	}
	if ((has_name = req_arg(r, "name", name, sizeof(name))) == -1 ||
	    (has_name == 1 && !pline_name_ok(name))) {
		reply_errf(r, 400, "invalid_request", "name: must match "
		    "^[A-Za-z][A-Za-z0-9_.-]{0,63}$");
		return;
	}
	if ((rc = req_arg(r, "limit", num, sizeof(num))) != 0 &&
	    (rc == -1 || hg_parse_id(num, strlen(num), &limit) == -1 ||
	    limit > HG_DATA_PAGE_MAX)) {
		reply_errf(r, 400, "invalid_request", "limit: must be an "
		    "integer from 1 to %d", HG_DATA_PAGE_MAX);
		return;
	}
	if ((st = pool_get(&e)) == NULL) {
		reply_err(r, NULL, &e);
		return;
	}
	rc = store_task_data(st, id, after, has_name == 1 ? name : NULL,
	    (int)limit, &body, &len, &e);
	pool_put(st);
	if (rc == -1)
		reply_err(r, NULL, &e);
	else
		reply(r, 200, NULL, JSON_TYPE, body, len);
	free(body);
}

enum task_op { OP_GET, OP_STOP, OP_DELETE };

/* The three that take a store for one call and answer the task, or
 * nothing. */

static void
task_op(struct req *r, int64_t id, enum task_op op)
{
	struct store		*st;
	struct hg_err		 e;
	struct runner_ref	 ref;
	cJSON			*task = NULL;
	int			 rc;

	if ((st = pool_get(&e)) == NULL) {
		reply_err(r, NULL, &e);
		return;
	}
	switch (op) {
	case OP_GET:
		if ((rc = store_task_get(st, id, &task, &e)) == 0)
			reply_json(r, 200, NULL, task);
		break;
	case OP_STOP:
		if ((rc = store_task_stop(st, id, &task, &ref, &e)) == 0) {
			feed_kick();
			runner_signal(&ref, id);
			reply_json(r, 202, NULL, task);
		}
		break;
	case OP_DELETE:
		if ((rc = store_task_delete(st, id, &e)) == 0) {
			task_forget(id);
			reply(r, 204, NULL, NULL, NULL, 0);
		}
		break;
	}
	if (rc == -1)
		reply_err(r, NULL, &e);
	pool_put(st);
	cJSON_Delete(task);
}

void
tasks_get(struct req *r, int64_t id)
{
	task_op(r, id, OP_GET);
}

void
tasks_stop(struct req *r, int64_t id)
{
	task_op(r, id, OP_STOP);
}

void
tasks_delete(struct req *r, int64_t id)
{
	task_op(r, id, OP_DELETE);
}
