/*
 * The API's routes: the token, the method, and which handler answers.
 * The handlers never call back up here.
 */
#include <stdio.h>
#include <string.h>

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

/* Does the path, after "/api/", equal s? */
static int
route_is(const char *p, size_t n, const char *s)
{
	return strlen(s) == n && memcmp(p, s, n) == 0;
}

/* 405 with Allow unless the method is one of allow ("GET, POST"); a
 * CORS preflight is answered here, with those methods. */
static int
method_ok(struct req *r, const char *allow)
{
	struct hg_err	 e;
	char		 hdr[64];
	const char	*m = r->method, *p = allow;
	size_t		 n = strlen(m), len;

	if (req_is_preflight(r)) {
		reply_preflight(r, allow);
		return 0;
	}
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

/* Reads the id that *p (*n bytes) starts with, up to a '/', and moves
 * *p and *n past it. Returns 0, or -1 when it is no id. */
static int
id_segment(const char **p, size_t *n, int64_t *id)
{
	const char	*slash = memchr(*p, '/', *n);
	size_t		 seg = slash != NULL ? (size_t)(slash - *p) : *n;

	if (hg_parse_id(*p, seg, id) == -1)
		return -1;
	*p += seg;
	*n -= seg;
	return 0;
}

/* schedules/{id}[/pause|/resume|/run], after "schedules/". */
static void
schedule_route(struct req *r, const char *p, size_t n)
{
	int64_t		 id;

	if (id_segment(&p, &n, &id) == -1) {
		reply_errf(r, 404, "not_found", "no such schedule: a schedule "
		    "id is a positive decimal integer");
		return;
	}
	if (n == 0) {
		if (!method_ok(r, "GET, DELETE"))
			return;
		if (strcmp(r->method, "GET") == 0)
			schedules_get(r, id);
		else
			schedules_delete(r, id);
	} else if (route_is(p, n, "/pause")) {
		if (method_ok(r, "POST"))
			schedules_pause(r, id, 1);
	} else if (route_is(p, n, "/resume")) {
		if (method_ok(r, "POST"))
			schedules_pause(r, id, 0);
	} else if (route_is(p, n, "/run")) {
		if (method_ok(r, "POST"))
			schedules_run(r, id);
	} else
		reply_errf(r, 404, "not_found", "no such resource");
}

void
route_request(struct req *r)
{
	const char	*p = r->path;
	size_t		 n = r->pathlen;
	int64_t		 id;

	if (n < 5 || memcmp(p, "/api/", 5) != 0)
		goto notfound;
	p += 5;
	n -= 5;
	/* A report carries its task's own token instead; a browser sends
	 * a preflight without the headers it asks about, the token's too. */
	if (!route_is(p, n, "health") && !is_report(p, n) &&
	    !req_is_preflight(r) && !authorized(r)) {
		struct hg_err	 e;

		hg_err_set(&e, 401, "unauthorized", "this API needs its "
		    "token: Authorization: Bearer <token>, or ?access_token= "
		    "on a GET");
		reply_err(r, "WWW-Authenticate: Bearer\r\n", &e);
		return;
	}
	if (route_is(p, n, "health")) {
		if (method_ok(r, "GET"))
			about_health(r);
	} else if (route_is(p, n, "kinds")) {
		if (method_ok(r, "GET"))
			about_kinds(r);
	} else if (route_is(p, n, "metrics")) {
		if (method_ok(r, "GET"))
			metrics_serve(r);
	} else if (route_is(p, n, "webhooks/deliveries")) {
		if (method_ok(r, "GET"))
			deliveries_serve(r);
	} else if (route_is(p, n, "events")) {
		if (method_ok(r, "GET"))
			stream_serve(r, 0);
	} else if (route_is(p, n, "tasks")) {
		if (!method_ok(r, "GET, POST"))
			return;
		if (strcmp(r->method, "POST") == 0)
			tasks_create(r);
		else
			tasks_list(r);
	} else if (n > 6 && memcmp(p, "tasks/", 6) == 0) {
		p += 6;
		n -= 6;
		if (id_segment(&p, &n, &id) == -1)
			goto notask;
		if (n == 0) {
			if (!method_ok(r, "GET, DELETE"))
				return;
			if (strcmp(r->method, "GET") == 0)
				tasks_get(r, id);
			else
				tasks_delete(r, id);
		} else if (route_is(p, n, "/stop")) {
			if (method_ok(r, "POST"))
				tasks_stop(r, id);
		} else if (route_is(p, n, "/rerun")) {
			if (method_ok(r, "POST"))
				tasks_rerun(r, id);
		} else if (route_is(p, n, "/events")) {
			if (method_ok(r, "GET"))
				stream_serve(r, id);
		} else if (route_is(p, n, "/log")) {
			if (method_ok(r, "GET"))
				tasks_log(r, id);
		} else if (route_is(p, n, "/data")) {
			if (method_ok(r, "GET"))
				tasks_data(r, id);
		} else if (route_is(p, n, "/report")) {
			if (method_ok(r, "POST"))
				report_serve(r, id);
		} else
			goto notfound;
	} else if (route_is(p, n, "schedules")) {
		if (!method_ok(r, "GET, POST"))
			return;
		if (strcmp(r->method, "POST") == 0)
			schedules_create(r);
		else
			schedules_list(r);
	} else if (route_is(p, n, "schedules/preview")) {
		if (method_ok(r, "GET"))
			schedules_preview(r);
	} else if (n > 10 && memcmp(p, "schedules/", 10) == 0) {
		schedule_route(r, p + 10, n - 10);
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
