/*
 * The API's routes: the token, the method, and which handler answers.
 * The handlers never call back up here.
 */
#include <assert.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "about.h"
#include "deliveries.h"
#include "feed.h"
#include "metrics.h"
#include "report.h"
#include "route.h"
#include "schedules.h"
#include "server.h"
#include "sse.h"
#include "tasks.h"

/* One route: a method and a path after "/api/", whose "{id}" segment
 * is an id, handed to serve_id; a route without one has serve. */
struct route {
	const char	*method;
	const char	*path;
	void		(*serve)(struct req *);
	void		(*serve_id)(struct req *, int64_t);
};

static void
schedule_pause(struct req *r, int64_t id)
{
	schedules_pause(r, id, 1);
}

static void
schedule_resume(struct req *r, int64_t id)
{
	schedules_pause(r, id, 0);
}

/*
 * Every route, in one table that `hourglass-fcgi --routes` prints, so
 * that a test can hold docs/openapi.json to it. The methods of one path
 * are its Allow header, in this order. /api/events is the stream of
 * every task: stream_serve() with task 0.
 */
static const struct route routes[] = {
	{ "GET",	"health",		about_health, NULL },
	{ "GET",	"openapi.json",		about_openapi, NULL },
	{ "GET",	"kinds",		about_kinds, NULL },
	{ "GET",	"metrics",		metrics_serve, NULL },
	{ "GET",	"webhooks/deliveries",	deliveries_serve, NULL },
	{ "GET",	"events",		NULL, stream_serve },
	{ "GET",	"tasks",		tasks_list, NULL },
	{ "POST",	"tasks",		tasks_create, NULL },
	{ "GET",	"tasks/{id}",		NULL, tasks_get },
	{ "DELETE",	"tasks/{id}",		NULL, tasks_delete },
	{ "POST",	"tasks/{id}/stop",	NULL, tasks_stop },
	{ "POST",	"tasks/{id}/rerun",	NULL, tasks_rerun },
	{ "GET",	"tasks/{id}/events",	NULL, stream_serve },
	{ "GET",	"tasks/{id}/log",	NULL, tasks_log },
	{ "GET",	"tasks/{id}/data",	NULL, tasks_data },
	{ "POST",	"tasks/{id}/report",	NULL, report_serve },
	{ "GET",	"schedules",		schedules_list, NULL },
	{ "POST",	"schedules",		schedules_create, NULL },
	{ "GET",	"schedules/preview",	schedules_preview, NULL },
	{ "GET",	"schedules/{id}",	NULL, schedules_get },
	{ "DELETE",	"schedules/{id}",	NULL, schedules_delete },
	{ "POST",	"schedules/{id}/pause",	NULL, schedule_pause },
	{ "POST",	"schedules/{id}/resume", NULL, schedule_resume },
	{ "POST",	"schedules/{id}/run",	NULL, schedules_run },
};
#define NROUTES	(sizeof(routes) / sizeof(routes[0]))

/*
 * Does the path p (n bytes, after "/api/") match pat? Segments are
 * compared whole; "{id}" takes a canonical id (hg_parse_id), read into
 * *id.
 */
static int
route_match(const char *pat, const char *p, size_t n, int64_t *id)
{
	const char	*slash;
	size_t		 plen, slen;

	for (;;) {
		plen = strcspn(pat, "/");
		slash = memchr(p, '/', n);
		slen = slash != NULL ? (size_t)(slash - p) : n;
		if (plen == 4 && memcmp(pat, "{id}", 4) == 0) {
			if (hg_parse_id(p, slen, id) == -1)
				return 0;
		} else if (plen != slen || memcmp(pat, p, slen) != 0)
			return 0;
		pat += plen;
		p += slen;
		n -= slen;
		if (*pat == '\0' || n == 0)
			return *pat == '\0' && n == 0;
		/* Both stand on a '/'. */
		pat++;
		p++;
		n--;
	}
}

/* Appends ", method" (or the first) to allow, len bytes; the table's
 * methods of one path fit. */
static void
allow_add(char *allow, size_t len, const char *method)
{
	size_t	 at = strlen(allow);
	int	 n;

	n = snprintf(allow + at, len - at, "%s%s", at > 0 ? ", " : "",
	    method);
	assert(n > 0 && (size_t)n < len - at);
}

/* Is the segment after prefix, which p starts with, no id? */
static int
bad_id_after(const char *prefix, const char *p, size_t n)
{
	const char	*slash;
	size_t		 k = strlen(prefix), seg;
	int64_t		 id;

	if (n <= k || memcmp(p, prefix, k) != 0)
		return 0;
	slash = memchr(p + k, '/', n - k);
	seg = slash != NULL ? (size_t)(slash - p - k) : n - k;
	return hg_parse_id(p + k, seg, &id) == -1;
}

/* 404 for a path no route has; an id that is no id says so. */
static void
reply_notfound(struct req *r, const char *p, size_t n)
{
	if (bad_id_after("tasks/", p, n))
		reply_errf(r, 404, "not_found", "no such task: a task id is "
		    "a positive decimal integer");
	else if (bad_id_after("schedules/", p, n))
		reply_errf(r, 404, "not_found", "no such schedule: a "
		    "schedule id is a positive decimal integer");
	else
		reply_errf(r, 404, "not_found", "no such resource");
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
	if (h != NULL && strncasecmp(h, "Bearer ", 7) == 0)
		return is_token(h + 7);
	if (strcmp(r->method, "GET") == 0 &&
	    req_arg(r, "access_token", q, sizeof(q)) == 1)
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

/* Calls the handler of the route of r's path and method. A path that
 * some route has, with another method, is 405 with Allow: the methods
 * of its routes; a CORS preflight is answered with those. */
static void
route_dispatch(struct req *r, const char *p, size_t n)
{
	const struct route	*rt, *hit = NULL;
	struct hg_err		 e;
	char			 allow[64] = "", hdr[96];
	int64_t			 id, hit_id = 0;
	size_t			 i;

	for (i = 0; i < NROUTES; i++) {
		rt = &routes[i];
		id = 0;
		if (!route_match(rt->path, p, n, &id))
			continue;
		allow_add(allow, sizeof(allow), rt->method);
		if (hit == NULL && strcmp(rt->method, r->method) == 0) {
			hit = rt;
			hit_id = id;
		}
	}
	if (allow[0] == '\0')
		reply_notfound(r, p, n);
	else if (req_is_preflight(r))
		reply_preflight(r, allow);
	else if (hit == NULL) {
		snprintf(hdr, sizeof(hdr), "Allow: %s\r\n", allow);
		hg_err_set(&e, 405, "method_not_allowed", "this method is "
		    "not allowed here; use %s", allow);
		reply_err(r, hdr, &e);
	} else if (req_arg_twice(r, hdr, 48))
		reply_errf(r, 400, "invalid_request", "%s: given more than "
		    "once; give it once", hdr);
	else if (hit->serve != NULL)
		hit->serve(r);
	else
		hit->serve_id(r, hit_id);
}

void
route_request(struct req *r)
{
	const char	*p = r->path;
	size_t		 n = r->pathlen;

	if (n < 5 || memcmp(p, "/api/", 5) != 0) {
		reply_errf(r, 404, "not_found", "no such resource");
		return;
	}
	p += 5;
	n -= 5;
	/* A report carries its task's own token instead; a browser sends
	 * a preflight without the headers it asks about, the token's too. */
	if (!(n == 6 && memcmp(p, "health", 6) == 0) && !is_report(p, n) &&
	    !req_is_preflight(r) && !authorized(r)) {
		struct hg_err	 e;

		hg_err_set(&e, 401, "unauthorized", "this API needs its "
		    "token: Authorization: Bearer <token>, or ?access_token= "
		    "on a GET");
		reply_err(r, "WWW-Authenticate: Bearer\r\n", &e);
		return;
	}
	route_dispatch(r, p, n);
}

/* HEAD is answered on every GET route, as the GET (req_parse() in
 * main.c), so it is listed after each. */
void
route_list(FILE *f)
{
	size_t	 i;

	for (i = 0; i < NROUTES; i++) {
		fprintf(f, "%s /api/%s\n", routes[i].method, routes[i].path);
		if (strcmp(routes[i].method, "GET") == 0)
			fprintf(f, "HEAD /api/%s\n", routes[i].path);
	}
}
