/*
 * The API's routes and handlers. Each handler validates everything the
 * client sent before it touches the store; every refusal is a JSON error
 * that names the input and the rule.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "api.h"
#include "feed.h"
#include "forget.h"
#include "janitor.h"
#include "json.h"
#include "launch.h"
#include "listcache.h"
#include "metrics.h"
#include "pool.h"
#include "report.h"
#include "runners.h"
#include "server.h"
#include "taskfiles.h"

#define JSON_TYPE	"application/json; charset=utf-8"


static void
health(struct req *r)
{
	struct store	*st;
	struct hg_err	 e;
	static const char ok[] = "{\"status\":\"ok\"}";

	if ((st = pool_get(&e)) == NULL) {
		reply_err(r, NULL, &e);
		return;
	}
	if (store_ping(st) == -1)
		reply_errf(r, 503, "unavailable", "the database is not "
		    "usable");
	else
		reply(r, 200, NULL, JSON_TYPE, ok, sizeof(ok) - 1);
	pool_put(st);
}

static void
kinds_list(struct req *r)
{
	reply(r, 200, NULL, JSON_TYPE, srv.kinds->public_json,
	    srv.kinds->public_len);
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
		    strcmp(c->string, "name") != 0)
			return hg_err_set(e, 400, "invalid_request",
			    "unknown field \"%.64s\"; the fields are kind, "
			    "params and name", c->string);
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

/* The Idempotency-Key header: up to 200 printable ASCII characters. */
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
	if (i == 0 || v[i] != '\0' || i > 200)
		return hg_err_set(e, 400, "invalid_request", "Idempotency-Key: "
		    "must be 1 to 200 printable ASCII characters");
	*key = v;
	return 0;
}

static void
task_create(struct req *r)
{
	struct store		*st = NULL;
	struct hg_err		 e;
	const struct kind	*k;
	const cJSON		*params = NULL;
	const char		*kind = NULL, *name = NULL;
	cJSON			*doc = NULL, *checked = NULL, *task = NULL;
	char			*body = NULL, *ptext = NULL, loc[64];
	char			 token[80], url[64];
	unsigned char		 hash[STORE_HASH_LEN];
	struct create_opts	 opts = { .idem_key = NULL };
	struct sched		 sc;
	int64_t			 ids[LAUNCH_BATCH];
	cJSON			*rep;
	size_t			 len;
	int64_t			 id;
	int			 created;

	if (!req_type_is(r, "application/json")) {
		hg_err_set(&e, 415, "unsupported_media_type", "the body must "
		    "be application/json");
		goto fail;
	}
	if ((body = req_body(r, &len, &e)) == NULL ||
	    (doc = json_parse(body, len, &e)) == NULL ||
	    create_fields(doc, &kind, &params, &name, &e) == -1)
		goto fail;
	if ((k = kinds_find(srv.kinds, kind)) == NULL) {
		hg_err_set(&e, 422, "unknown_kind", strlen(kind) <= 64 ?
		    "unknown kind \"%s\"; GET /api/kinds lists them" :
		    "unknown kind%.0s; GET /api/kinds lists them", kind);
		goto fail;
	}
	if ((checked = kinds_params_check(k, params, &e)) == NULL)
		goto fail;
	if ((ptext = json_print(checked)) == NULL) {
		hg_err_set(&e, 503, "unavailable", "out of memory");
		goto fail;
	}
	if (idem_key(r, &opts.idem_key, &e) == -1)
		goto fail;
	opts.max_queued = srv.cfg.max_queued;
	opts.watch_ms = (int64_t)(k->while_watched_s * 1000);
	if (k->external) {
		if (report_token_new(token, sizeof(token), hash) == -1) {
			hg_err_set(&e, 503, "unavailable", "no randomness for "
			    "the report token");
			goto fail;
		}
		opts.external = 1;
		opts.report_hash = hash;
		opts.heartbeat_ms = (int64_t)(k->heartbeat_s * 1000);
		opts.grace_ms = (int64_t)(k->grace_s * 1000);
	} else {
		launch_sched_init(&sc, &srv.cfg, srv.kinds, ids);
		opts.sched = &sc;
	}
	if ((st = pool_get(&e)) == NULL || (created = store_task_create_opts(st,
	    k->name, name, ptext, &opts, &task, &e)) == -1)
		goto fail;
	if (created == 1) {
		/* A retried create: the task the key's first create made. */
		reply_json(r, 200, NULL, task);
		goto out;
	}
	feed_kick();
	/* The id is a raw number (json_add_int): read its text. */
	id = strtoll(cJSON_GetObjectItemCaseSensitive(task, "id")->valuestring,
	    NULL, 10);
	if (k->external) {
		/* The token, once: only its hash is kept. */
		snprintf(url, sizeof(url), "/api/tasks/%lld/report",
		    (long long)id);
		if ((rep = cJSON_AddObjectToObject(task, "report")) == NULL ||
		    cJSON_AddStringToObject(rep, "url", url) == NULL ||
		    cJSON_AddStringToObject(rep, "token", token) == NULL) {
			hg_err_set(&e, 503, "unavailable", "out of memory");
			goto fail;
		}
	} else {
		/* Taken in the create's transaction if a slot was free; else
		 * a task's end or the janitor starts it. A full batch may
		 * have left more behind. */
		(void)launch_taken(st, &srv.cfg, ids, sc.n);
		if (sc.n == LAUNCH_BATCH &&
		    launch_queued(st, &srv.cfg, srv.kinds) == -1)
			janitor_kick();
	}
	snprintf(loc, sizeof(loc), "Location: /api/tasks/%lld\r\n",
	    (long long)id);
	reply_json(r, 201, loc, task);
	goto out;
fail:
	reply_err(r, e.status == 429 ? "Retry-After: 5\r\n" : NULL, &e);
out:
	if (st != NULL)
		pool_put(st);
	cJSON_Delete(task);
	free(ptext);
	cJSON_Delete(checked);
	cJSON_Delete(doc);
	free(body);
}

static void
task_list(struct req *r)
{
	struct task_filter	 f = { 0, NULL, 0, HG_LIST_DEFAULT, 0 };
	struct store		*st;
	struct hg_err		 e;
	char			 state[32], kind[128], num[32], key[160];
	char			*body = NULL;
	int64_t			 n, last;
	uint64_t		 gen;
	size_t			 len;
	int			 rc, v;

	if (req_query(r, "state", state, sizeof(state)) != NULL) {
		if ((v = state_parse(state)) == -1) {
			reply_errf(r, 400, "invalid_request", "state: must be "
			    "one of queued, running, stopping, succeeded, "
			    "failed, canceled, lost");
			return;
		}
		f.state = (enum task_state)v;
	}
	if (req_query(r, "kind", kind, sizeof(kind)) != NULL)
		f.kind = kind;
	if (req_query(r, "limit", num, sizeof(num)) != NULL) {
		if (hg_parse_id(num, strlen(num), &n) == -1 ||
		    n > HG_LIST_MAX) {
			reply_errf(r, 400, "invalid_request", "limit: must be "
			    "an integer from 1 to %d", HG_LIST_MAX);
			return;
		}
		f.limit = (int)n;
	}
	if (req_query(r, "before", num, sizeof(num)) != NULL) {
		if (hg_parse_id(num, strlen(num), &f.before) == -1) {
			reply_errf(r, 400, "invalid_request", "before: must be "
			    "a task id");
			return;
		}
	}
	if ((st = pool_get(&e)) == NULL) {
		reply_err(r, NULL, &e);
		return;
	}
	snprintf(key, sizeof(key), "%s|%s|%lld|%d", f.state != 0 ?
	    state : "", f.kind != NULL ? f.kind : "", (long long)f.before,
	    f.limit);
	/* One read transaction: the newest event id, and the list only if
	 * the kept answer is not current. */
	gen = listcache_gen();
	f.unless = listcache_event(key);
	rc = store_task_list(st, &f, &body, &len, &last, &e);
	if (rc == 1 && (body = listcache_get(key, last, &len)) == NULL) {
		/* Put out of the cache meanwhile. */
		f.unless = 0;
		rc = store_task_list(st, &f, &body, &len, &last, &e);
	}
	pool_put(st);
	if (rc == -1) {
		reply_err(r, NULL, &e);
		return;
	}
	if (rc == 0)
		listcache_put(key, last, gen, body, len);
	reply(r, 200, NULL, JSON_TYPE, body, len);
	free(body);
}

/* GET /api/tasks/{id}/log: the file as it is now, streamed; never the
 * whole of it in memory. */
static void
task_log(struct req *r, int64_t id)
{
	struct store	*st;
	struct hg_err	 e;
	struct stat	 sb;
	cJSON		*task = NULL;
	char		 num[32], buf[65536];
	int64_t		 tail = 0;
	off_t		 off = 0;
	ssize_t		 got;
	int		 fd, rc;

	if (req_query(r, "tail", num, sizeof(num)) != NULL &&
	    (hg_parse_id(num, strlen(num), &tail) == -1 ||
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
	if (tail > 0)
		off = taskfiles_log_tail(fd, sb.st_size, (long)tail);
	/* Up to the size seen now: a running task's log keeps growing,
	 * and the file is only appended to (a removed one stays open). A
	 * read that fails leaves the answer short of its length, which
	 * nginx reports as the error it is. */
	reply_head(r, 200, NULL, "text/plain; charset=utf-8",
	    (size_t)(sb.st_size - off));
	while (off < sb.st_size && (got = pread(fd, buf, (size_t)(sb.st_size -
	    off) < sizeof(buf) ? (size_t)(sb.st_size - off) : sizeof(buf),
	    off)) > 0) {
		if (FCGX_PutStr(buf, (int)got, r->fcgi.out) != (int)got)
			break;
		off += got;
	}
	close(fd);
}

enum task_op { OP_GET, OP_STOP, OP_DELETE };

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

/* Does the path, after "/api/", equal s? */
static int
route_is(const char *p, size_t n, const char *s)
{
	return strlen(s) == n && memcmp(p, s, n) == 0;
}

/* 405 with Allow unless the method is one of allow ("GET, POST"). */
static int
method_ok(struct req *r, const char *allow)
{
	struct hg_err	 e;
	char		 hdr[64];
	const char	*m = r->method, *p = allow;
	size_t		 n = strlen(m), len;

	while (*p != '\0') {
		len = strcspn(p, ",");
		if (len == n && n > 0 && memcmp(p, m, n) == 0)
			return 1;
		p += len;
		p += strspn(p, ", ");
	}
	snprintf(hdr, sizeof(hdr), "Allow: %s\r\n", allow);
	hg_err_set(&e, 405, "method_not_allowed", "this method is not "
	    "allowed here; use %s", allow);
	reply_err(r, hdr, &e);
	return 0;
}

/*
 * Is given the token? Both are compared whole as the token's array,
 * NUL-padded (config_load() zeroes it), so the time depends neither on
 * where they differ nor on the token's length; a given that cannot fit
 * is longer than any token.
 */
static int
is_token(const char *given)
{
	char	 pad[sizeof(srv.cfg.token)];
	size_t	 n = strlen(given);

	if (n >= sizeof(pad))
		return 0;
	memset(pad, 0, sizeof(pad));
	memcpy(pad, given, n);
	return hg_ct_equal(pad, srv.cfg.token, sizeof(pad));
}

/*
 * With HOURGLASS_TOKEN set, every request but /api/health needs it:
 * "Authorization: Bearer <token>", or ?access_token= on a GET (an
 * EventSource cannot send headers).
 */
static int
authorized(struct req *r)
{
	const char	*h = req_param(r, "HTTP_AUTHORIZATION");
	char		 q[sizeof(srv.cfg.token) + 1];

	if (srv.cfg.token[0] == '\0')
		return 1;
	if (h != NULL && strncmp(h, "Bearer ", 7) == 0)
		return is_token(h + 7);
	if (strcmp(r->method, "GET") == 0 &&
	    req_query(r, "access_token", q, sizeof(q)) != NULL)
		return is_token(q);
	return 0;
}

/* tasks/{anything}/report, after "/api/". */
static int
is_report(const char *p, size_t n)
{
	return n > 13 && memcmp(p, "tasks/", 6) == 0 &&
	    memcmp(p + n - 7, "/report", 7) == 0;
}

void
api_handle(struct req *r)
{
	const char	*p = r->path, *slash;
	size_t		 n = r->pathlen, seg;
	int64_t		 id;

	if (n < 5 || memcmp(p, "/api/", 5) != 0)
		goto notfound;
	p += 5;
	n -= 5;
	/* A report carries its task's own token instead. */
	if (!route_is(p, n, "health") && !is_report(p, n) && !authorized(r)) {
		struct hg_err	 e;

		hg_err_set(&e, 401, "unauthorized", "this API needs its token: "
		    "Authorization: Bearer <token>, or ?access_token= on a GET");
		reply_err(r, "WWW-Authenticate: Bearer\r\n", &e);
		return;
	}
	if (route_is(p, n, "health")) {
		if (method_ok(r, "GET"))
			health(r);
	} else if (route_is(p, n, "kinds")) {
		if (method_ok(r, "GET"))
			kinds_list(r);
	} else if (route_is(p, n, "metrics")) {
		if (method_ok(r, "GET"))
			metrics_serve(r);
	} else if (route_is(p, n, "events")) {
		if (method_ok(r, "GET"))
			stream_serve(r, 0);
	} else if (route_is(p, n, "tasks")) {
		if (!method_ok(r, "GET, POST"))
			return;
		if (strcmp(r->method, "POST") == 0)
			task_create(r);
		else
			task_list(r);
	} else if (n > 6 && memcmp(p, "tasks/", 6) == 0) {
		p += 6;
		n -= 6;
		slash = memchr(p, '/', n);
		seg = slash != NULL ? (size_t)(slash - p) : n;
		if (hg_parse_id(p, seg, &id) == -1)
			goto notask;
		p += seg;
		n -= seg;
		if (n == 0) {
			if (!method_ok(r, "GET, DELETE"))
				return;
			task_op(r, id, strcmp(r->method, "GET") == 0 ?
			    OP_GET : OP_DELETE);
		} else if (route_is(p, n, "/stop")) {
			if (method_ok(r, "POST"))
				task_op(r, id, OP_STOP);
		} else if (route_is(p, n, "/events")) {
			if (method_ok(r, "GET"))
				stream_serve(r, id);
		} else if (route_is(p, n, "/log")) {
			if (method_ok(r, "GET"))
				task_log(r, id);
		} else if (route_is(p, n, "/report")) {
			if (method_ok(r, "POST"))
				report_serve(r, id);
		} else
			goto notfound;
	} else
		goto notfound;
	return;
notask:
	reply_errf(r, 404, "not_found", "no such task: a task id is a "
	    "positive decimal integer");
	return;
notfound:
	reply_errf(r, 404, "not_found", "no such resource");
}
