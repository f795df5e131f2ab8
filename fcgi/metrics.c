/*
 * GET /api/metrics in Prometheus's text format. Task counts and the
 * durable counters come from SQLite in one snapshot; SSE clients and
 * requests by status are this process's own (a restart resets them,
 * which Prometheus expects of a counter).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "metrics.h"
#include "pool.h"
#include "tally.h"

/* The families read from SQLite, each gathered apart: rows come in the
 * database's order, and a family's HELP and TYPE come once. */
struct families {
	struct buf	 tasks, started, finished, retries;
	int64_t		 queued, start_failed;
	int64_t		 hook[3];	/* delivered, retried, failed */
};

static const char *const hook_outcomes[3] = { "delivered", "retried",
    "failed" };

static void
header(struct buf *o, const char *name, const char *type, const char *help)
{
	buf_printf(o, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

static void
row(void *arg, const char *name, const char *kind, const char *state,
    int64_t v)
{
	struct families	*f = arg;
	int		 i;

	if (strcmp(name, "tasks") == 0) {
		buf_printf(&f->tasks, "hourglass_tasks{kind=\"%s\","
		    "state=\"%s\"} %lld\n", kind, state, (long long)v);
		/* A retrying task waits for its next attempt: it counts
		 * against HOURGLASS_MAX_QUEUED as a queued one does. */
		if (state_parse(state) == TASK_QUEUED ||
		    state_parse(state) == TASK_RETRYING)
			f->queued += v;
	} else if (strcmp(name, "started") == 0)
		buf_printf(&f->started, "hourglass_tasks_started_total"
		    "{kind=\"%s\"} %lld\n", kind, (long long)v);
	else if (strcmp(name, "finished") == 0)
		buf_printf(&f->finished, "hourglass_tasks_finished_total"
		    "{kind=\"%s\",state=\"%s\"} %lld\n", kind, state,
		    (long long)v);
	else if (strcmp(name, "retries") == 0)
		buf_printf(&f->retries, "hourglass_task_retries_total"
		    "{kind=\"%s\"} %lld\n", kind, (long long)v);
	else if (strcmp(name, "start_failed") == 0)
		f->start_failed = v;
	else if (strcmp(name, "webhook") == 0) {
		for (i = 0; i < 3; i++)
			if (strcmp(state, hook_outcomes[i]) == 0)
				f->hook[i] = v;
	}
}

static void
family(struct buf *o, const char *name, const char *type, const char *help,
    struct buf *rows)
{
	header(o, name, type, help);
	buf_add(o, rows->p, rows->len);
}

void
metrics_serve(struct req *r)
{
	struct families	 f;
	struct buf	 o;
	struct store	*st;
	struct hg_err	 e;
	int		 i, rc = -1;

	memset(&f, 0, sizeof(f));
	memset(&o, 0, sizeof(o));
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
	family(&o, "hourglass_task_retries_total", "counter",
	    "Attempts that failed and were retried, by kind.", &f.retries);
	header(&o, "hourglass_queue_length", "gauge",
	    "Tasks waiting to start: queued, or retrying (waiting for "
	    "their next attempt).");
	buf_printf(&o, "hourglass_queue_length %lld\n", (long long)f.queued);
	header(&o, "hourglass_sse_clients", "gauge",
	    "Server-Sent Events streams open now.");
	buf_printf(&o, "hourglass_sse_clients %ld\n", tally_sse_clients());
	header(&o, "hourglass_runner_start_failures_total", "counter",
	    "Runners that could not be started.");
	buf_printf(&o, "hourglass_runner_start_failures_total %lld\n",
	    (long long)f.start_failed);
	/* Every outcome, 0 too, so that a rate can be taken at once. */
	header(&o, "hourglass_webhook_deliveries_total", "counter",
	    "Webhook delivery attempts, by outcome: delivered, retried (a "
	    "failed attempt with another to come), failed (given up).");
	for (i = 0; i < 3; i++)
		buf_printf(&o, "hourglass_webhook_deliveries_total"
		    "{outcome=\"%s\"} %lld\n", hook_outcomes[i],
		    (long long)f.hook[i]);
	header(&o, "hourglass_http_requests_total", "counter",
	    "API requests answered by this server process, by status.");
	/* This request is answered 200; count it as such. */
	for (i = 100; i < TALLY_CODES; i++) {
		long	 n = tally_requests(i) + (i == 200);

		if (n > 0)
			buf_printf(&o, "hourglass_http_requests_total"
			    "{code=\"%d\"} %ld\n", i, n);
	}
	if (o.nomem || f.tasks.nomem || f.started.nomem || f.finished.nomem ||
	    f.retries.nomem)
		hg_err_set(&e, 503, "unavailable", "out of memory");
	else {
		reply(r, 200, NULL, "text/plain; version=0.0.4; charset=utf-8",
		    o.p, o.len);
		rc = 0;
	}
fail:
	if (rc == -1)
		reply_err(r, NULL, &e);
	buf_free(&o);
	buf_free(&f.tasks);
	buf_free(&f.started);
	buf_free(&f.finished);
	buf_free(&f.retries);
}
