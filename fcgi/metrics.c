/*
 * GET /api/metrics in Prometheus's text format. Task counts and the
 * durable counters come from SQLite in one snapshot; SSE clients and
 * requests by status are this process's own (a restart resets them,
 * which Prometheus expects of a counter).
 */
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "server.h"

#define CODES	600

static atomic_long	 requests[CODES];	/* by HTTP status */
static atomic_long	 sse_clients;

void
metrics_request(int status)
{
	if (status >= 100 && status < CODES)
		atomic_fetch_add(&requests[status], 1);
}

void
metrics_sse(int delta)
{
	atomic_fetch_add(&sse_clients, delta);
}

struct out {
	char	*p;
	size_t	 len, cap;
	int	 nomem;
};

/* The families read from SQLite, each gathered apart: rows come in the
 * database's order, and a family's HELP and TYPE come once. */
struct families {
	struct out	 tasks, started, finished;
	int64_t		 queued, start_failed;
};

static void
outf(struct out *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void
outf(struct out *o, const char *fmt, ...)
{
	va_list	 ap;
	int	 n;
	char	*np;

	for (;;) {
		va_start(ap, fmt);
		n = vsnprintf(o->p + o->len, o->cap - o->len, fmt, ap);
		va_end(ap);
		if (n < 0) {
			o->nomem = 1;
			return;
		}
		if ((size_t)n < o->cap - o->len) {
			o->len += (size_t)n;
			return;
		}
		if ((np = realloc(o->p, o->cap * 2 + (size_t)n)) == NULL) {
			o->nomem = 1;
			return;
		}
		o->p = np;
		o->cap = o->cap * 2 + (size_t)n;
	}
}

static void
header(struct out *o, const char *name, const char *type, const char *help)
{
	outf(o, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

static void
row(void *arg, const char *name, const char *kind, const char *state,
    int64_t v)
{
	struct families	*f = arg;

	if (strcmp(name, "tasks") == 0) {
		outf(&f->tasks, "hourglass_tasks{kind=\"%s\",state=\"%s\"} "
		    "%lld\n", kind, state, (long long)v);
		if (state_parse(state) == TASK_QUEUED)
			f->queued += v;
	} else if (strcmp(name, "started") == 0)
		outf(&f->started, "hourglass_tasks_started_total{kind=\"%s\"} "
		    "%lld\n", kind, (long long)v);
	else if (strcmp(name, "finished") == 0)
		outf(&f->finished, "hourglass_tasks_finished_total{kind=\"%s\","
		    "state=\"%s\"} %lld\n", kind, state, (long long)v);
	else if (strcmp(name, "start_failed") == 0)
		f->start_failed = v;
}

static void
family(struct out *o, const char *name, const char *type, const char *help,
    struct out *rows)
{
	header(o, name, type, help);
	if (rows->len > 0)
		outf(o, "%s", rows->p);
}

static int
out_init(struct out *o)
{
	memset(o, 0, sizeof(*o));
	o->cap = 1024;
	if ((o->p = malloc(o->cap)) == NULL)
		return -1;
	o->p[0] = '\0';
	return 0;
}

void
metrics_serve(struct req *r)
{
	struct families	 f;
	struct out	 o;
	struct store	*st;
	struct hg_err	 e;
	int		 i, rc = -1;

	memset(&f, 0, sizeof(f));
	if (out_init(&o) == -1 || out_init(&f.tasks) == -1 ||
	    out_init(&f.started) == -1 || out_init(&f.finished) == -1) {
		hg_err_set(&e, 503, "unavailable", "out of memory");
		goto fail;
	}
	if ((st = pool_get(&e)) == NULL)
		goto fail;
	rc = store_metrics(st, row, &f, &e);
	pool_put(st);
	if (rc == -1)
		goto fail;
	family(&o, "hourglass_tasks", "gauge",
	    "Tasks held, by state and kind.", &f.tasks);
	family(&o, "hourglass_tasks_started_total", "counter",
	    "Tasks whose runner started them, by kind.", &f.started);
	family(&o, "hourglass_tasks_finished_total", "counter",
	    "Tasks that ended, by kind and final state.", &f.finished);
	header(&o, "hourglass_queue_length", "gauge",
	    "Tasks waiting to start.");
	outf(&o, "hourglass_queue_length %lld\n", (long long)f.queued);
	header(&o, "hourglass_sse_clients", "gauge",
	    "Server-Sent Events streams open now.");
	outf(&o, "hourglass_sse_clients %ld\n", atomic_load(&sse_clients));
	header(&o, "hourglass_runner_start_failures_total", "counter",
	    "Runners that could not be started.");
	outf(&o, "hourglass_runner_start_failures_total %lld\n",
	    (long long)f.start_failed);
	header(&o, "hourglass_http_requests_total", "counter",
	    "API requests answered by this server process, by status.");
	/* This request is answered 200; count it as such. */
	for (i = 100; i < CODES; i++) {
		long	 n = atomic_load(&requests[i]) + (i == 200);

		if (n > 0)
			outf(&o, "hourglass_http_requests_total{code=\"%d\"} "
			    "%ld\n", i, n);
	}
	if (o.nomem || f.tasks.nomem || f.started.nomem || f.finished.nomem)
		hg_err_set(&e, 503, "unavailable", "out of memory");
	else {
		reply(r, 200, NULL, "text/plain; version=0.0.4; charset=utf-8",
		    o.p, o.len);
		rc = 0;
	}
fail:
	if (rc == -1)
		reply_err(r, NULL, &e);
	free(o.p);
	free(f.tasks.p);
	free(f.started.p);
	free(f.finished.p);
}
