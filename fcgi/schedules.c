/*
 * Schedules: the handlers of /api/schedules, and the runs that come due
 * (the scheduler's thread, schedules_start). A schedule's expression
 * and zone are parsed again wherever its next time is worked out; they
 * were checked when it was made, so a failure then only stops that
 * schedule.
 */
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cron.h"
#include "json.h"
#include "pool.h"
#include "schedules.h"
#include "server.h"
#include "taskjson.h"
#include "tasks.h"
#include "tz.h"

#define MINUTE_MS	60000LL
/* A run missed (the server was down) is made at start only if it was
 * due within this long. */
#define CATCH_UP_MS	(3600LL * 1000)
#define CRON_MAX	HG_CRON_MAX
#define TZ_NAME_MAX	HG_TZ_NAME_MAX
#define FIRE_BATCH	32	/* due schedules read at once */
#define FIRE_PASSES	8	/* batches in one look */
#define PREVIEW_RUNS	3

static struct {
	pthread_mutex_t	 mu;	/* guards kicked, stopping */
	pthread_cond_t	 cv;
	int		 kicked;
	int		 stopping;
} sch = { PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, 0, 0 };

static pthread_t	 sch_thread;
static struct store	*sch_st;

/* A schedule was made or resumed: its next run may be the earliest. */
static void
schedules_kick(void)
{
	pthread_mutex_lock(&sch.mu);
	sch.kicked = 1;
	pthread_cond_signal(&sch.cv);
	pthread_mutex_unlock(&sch.mu);
}

/* A line on the server's stderr about schedule id. */
static void
say(int64_t id, const char *fmt, ...)
{
	va_list	 ap;

	fprintf(stderr, "hourglass-fcgi: schedule %lld: ", (long long)id);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

/*
 * The first run of cron in zone after ms (whole seconds; a run is at a
 * minute's start), in ms: TASK_TIME_NONE when it never comes again.
 * Returns 0, or -1 with e set (422 invalid_schedule naming the field).
 */
static int
next_run(const char *cron, const char *zone, int64_t after, int64_t *next,
    struct hg_err *e)
{
	struct cron	 c;
	struct tz	*z;
	char		 err[160];
	int64_t		 s;

	if (cron_parse(cron, &c, err, sizeof(err)) == -1)
		return hg_err_set(e, 422, "invalid_schedule", "cron: %s", err);
	if ((z = tz_load(zone, err, sizeof(err))) == NULL)
		return hg_err_set(e, 422, "invalid_schedule", "timezone: %s",
		    err);
	s = cron_next(&c, z, after / 1000);
	tz_free(z);
	*next = s < 0 ? TASK_TIME_NONE : s * 1000;
	return 0;
}

/* The first run of cron in zone from now, as next_run(); one that never
 * comes is a mistake, as a schedule's or a preview's: 422, as is a zone
 * not named as the database names it. */
static int
first_run(const char *cron, const char *zone, int64_t *at, struct hg_err *e)
{
	char	 err[160];

	if (next_run(cron, zone, hg_now_ms(), at, e) == -1)
		return -1;
	if (tz_name_canonical(zone, err, sizeof(err)) == -1)
		return hg_err_set(e, 422, "invalid_schedule", "timezone: %s",
		    err);
	if (*at == TASK_TIME_NONE)
		return hg_err_set(e, 422, "invalid_schedule", "cron: \"%s\" "
		    "never matches a date in the next five years", cron);
	return 0;
}

/* Adds a time as the API writes it, or null. */
static int
add_time(cJSON *o, const char *name, int64_t ms)
{
	char	 buf[40];

	if (ms == TASK_TIME_NONE)
		return cJSON_AddNullToObject(o, name) != NULL ? 0 : -1;
	hg_iso8601(ms, buf, sizeof(buf));
	return cJSON_AddStringToObject(o, name, buf) != NULL ? 0 : -1;
}

/* The schedule's object, or NULL without memory. */
static cJSON *
schedule_json(const struct schedule *s)
{
	cJSON	*o;
	int	 ok;

	if ((o = cJSON_CreateObject()) == NULL)
		return NULL;
	ok = json_add_int(o, "id", s->id) != NULL &&
	    cJSON_AddStringToObject(o, "kind", s->kind) != NULL &&
	    cJSON_AddRawToObject(o, "params", s->params) != NULL &&
	    (s->name != NULL ? cJSON_AddStringToObject(o, "name", s->name) :
	    cJSON_AddNullToObject(o, "name")) != NULL &&
	    cJSON_AddStringToObject(o, "cron", s->cron) != NULL &&
	    cJSON_AddStringToObject(o, "timezone", s->timezone) != NULL &&
	    cJSON_AddStringToObject(o, "overlap", s->overlap_allow ?
	    "allow" : "skip") != NULL &&
	    cJSON_AddBoolToObject(o, "paused", s->paused) != NULL &&
	    add_time(o, "next_run_at", s->next_run_at) == 0 &&
	    (s->last_task_id > 0 ? json_add_int(o, "last_task_id",
	    s->last_task_id) : cJSON_AddNullToObject(o, "last_task_id")) !=
	    NULL && add_time(o, "created_at", s->created_at) == 0;
	if (!ok) {
		cJSON_Delete(o);
		return NULL;
	}
	return o;
}

/* Collects each schedule's object into the array arg. */
static int
collect(void *arg, const struct schedule *s)
{
	cJSON	*o;

	if ((o = schedule_json(s)) == NULL)
		return -1;
	cJSON_AddItemToArray(arg, o);
	return 0;
}

/* Answers status with schedule id as it now is. */
static void
answer(struct req *r, struct store *st, int64_t id, int status,
    const char *headers)
{
	struct hg_err	 e;
	cJSON		*list;

	if ((list = cJSON_CreateArray()) == NULL) {
		reply_errf(r, 503, "unavailable", "out of memory");
		return;
	}
	if (store_schedule_each(st, id, 0, collect, list, &e) == -1)
		reply_err(r, NULL, &e);
	else if (cJSON_GetArraySize(list) != 1)
		reply_errf(r, 503, "unavailable", "out of memory");
	else
		reply_json(r, status, headers, cJSON_GetArrayItem(list, 0));
	cJSON_Delete(list);
}

/* A string field of the body: NULL when absent (or null, if nullable);
 * 400 when it is not a string of at most max bytes. */
static int
str_field(const cJSON *doc, const char *name, size_t max, int nullable,
    const char **v, struct hg_err *e)
{
	const cJSON	*c = cJSON_GetObjectItemCaseSensitive(doc, name);

	*v = NULL;
	if (c == NULL || (nullable && cJSON_IsNull(c)))
		return 0;
	if (!cJSON_IsString(c) || strlen(c->valuestring) > max)
		return hg_err_set(e, 400, "invalid_request", "%s: must be a "
		    "string of at most %zu bytes%s", name, max, nullable ?
		    ", or null" : "");
	*v = c->valuestring;
	return 0;
}

/* A cron or a time zone too long is a mistake in the schedule, 422 as
 * any other; a wrong type is the body's, 400 as for a task. */
static int
too_long(const cJSON *doc, const char *name, size_t max, struct hg_err *e)
{
	const cJSON	*c = cJSON_GetObjectItemCaseSensitive(doc, name);

	if (cJSON_IsString(c) && strlen(c->valuestring) > max)
		return hg_err_set(e, 422, "invalid_schedule", "%s: must be "
		    "at most %zu bytes", name, max);
	return 0;
}

/* What a create asks for; every pointer owned by it. */
struct sched_new {
	char		*body;
	cJSON		*doc;
	cJSON		*checked;
	char		*ptext;
	struct schedule	 s;
};

static int
new_read(struct req *r, struct sched_new *n, struct hg_err *e)
{
	static const char *const fields[] = { "kind", "params", "name",
	    "cron", "timezone", "overlap", NULL };
	const struct kind	*k;
	const cJSON		*c;
	const char		*overlap;
	size_t			 len, i;

	if (!req_type_is(r, "application/json"))
		return hg_err_set(e, 415, "unsupported_media_type", "the body "
		    "must be application/json, in UTF-8");
	if ((n->body = req_body(r, HG_BODY_MAX, &len, e)) == NULL ||
	    (n->doc = json_parse(n->body, len, e)) == NULL)
		return -1;
	if (!cJSON_IsObject(n->doc))
		return hg_err_set(e, 400, "invalid_request", "the body must "
		    "be a JSON object");
	cJSON_ArrayForEach(c, n->doc) {
		for (i = 0; fields[i] != NULL; i++)
			if (strcmp(c->string, fields[i]) == 0)
				break;
		if (fields[i] == NULL)
			return hg_err_set(e, 400, "invalid_request", "unknown "
			    "field \"%.64s\"; the fields are kind, params, "
			    "name, cron, timezone and overlap", c->string);
	}
	if (too_long(n->doc, "cron", CRON_MAX, e) == -1 ||
	    too_long(n->doc, "timezone", TZ_NAME_MAX, e) == -1)
		return -1;
	if (str_field(n->doc, "kind", 128, 0, &n->s.kind, e) == -1 ||
	    str_field(n->doc, "name", HG_NAME_MAX, 1, &n->s.name, e) == -1 ||
	    str_field(n->doc, "cron", CRON_MAX, 0, &n->s.cron, e) == -1 ||
	    str_field(n->doc, "timezone", TZ_NAME_MAX, 1, &n->s.timezone,
	    e) == -1 || str_field(n->doc, "overlap", 16, 1, &overlap, e) ==
	    -1)
		return -1;
	if (n->s.kind == NULL)
		return hg_err_set(e, 400, "invalid_request", "kind: required, "
		    "a string");
	if (n->s.cron == NULL)
		return hg_err_set(e, 400, "invalid_request", "cron: required, "
		    "a string such as \"0 3 * * *\"");
	if ((k = kinds_find(srv.kinds, n->s.kind)) == NULL)
		return hg_err_set(e, 422, "unknown_kind", "unknown kind "
		    "\"%s\"; GET /api/kinds lists them", n->s.kind);
	if (k->external)
		return hg_err_set(e, 422, "invalid_schedule", "kind: \"%s\" is "
		    "external; a schedule cannot hand its tasks their report "
		    "token", k->name);
	if ((n->checked = kinds_params_check(k, cJSON_GetObjectItemCaseSensitive(
	    n->doc, "params"), e)) == NULL)
		return -1;
	if ((n->ptext = json_print(n->checked)) == NULL)
		return hg_err_set(e, 503, "unavailable", "out of memory");
	n->s.params = n->ptext;
	if (n->s.timezone == NULL)
		n->s.timezone = "UTC";
	if (overlap != NULL && strcmp(overlap, "skip") != 0 &&
	    strcmp(overlap, "allow") != 0)
		return hg_err_set(e, 422, "invalid_schedule", "overlap: must "
		    "be \"skip\" or \"allow\"");
	n->s.overlap_allow = overlap != NULL && strcmp(overlap, "allow") == 0;
	return first_run(n->s.cron, n->s.timezone, &n->s.next_run_at, e);
}

void
schedules_create(struct req *r)
{
	struct sched_new	 n;
	struct store		*st = NULL;
	struct hg_err		 e;
	char			 loc[64];
	int64_t			 id;

	memset(&n, 0, sizeof(n));
	if (new_read(r, &n, &e) == -1 || (st = pool_get(&e)) == NULL ||
	    store_schedule_create(st, &n.s, &id, &e) == -1)
		reply_err(r, NULL, &e);
	else {
		schedules_kick();
		snprintf(loc, sizeof(loc), "Location: /api/schedules/%lld\r\n",
		    (long long)id);
		answer(r, st, id, 201, loc);
	}
	if (st != NULL)
		pool_put(st);
	free(n.ptext);
	cJSON_Delete(n.checked);
	cJSON_Delete(n.doc);
	free(n.body);
}

void
schedules_list(struct req *r)
{
	struct store	*st;
	struct hg_err	 e;
	cJSON		*o, *list;

	if ((st = pool_get(&e)) == NULL) {
		reply_err(r, NULL, &e);
		return;
	}
	if ((o = cJSON_CreateObject()) == NULL ||
	    (list = cJSON_AddArrayToObject(o, "schedules")) == NULL)
		reply_errf(r, 503, "unavailable", "out of memory");
	else if (store_schedule_each(st, 0, 0, collect, list, &e) == -1)
		reply_err(r, NULL, &e);
	else
		reply_json(r, 200, NULL, o);
	cJSON_Delete(o);
	pool_put(st);
}

void
schedules_get(struct req *r, int64_t id)
{
	struct store	*st;
	struct hg_err	 e;

	if ((st = pool_get(&e)) == NULL) {
		reply_err(r, NULL, &e);
		return;
	}
	answer(r, st, id, 200, NULL);
	pool_put(st);
}

void
schedules_delete(struct req *r, int64_t id)
{
	struct store	*st;
	struct hg_err	 e;

	if ((st = pool_get(&e)) == NULL || store_schedule_delete(st, id,
	    &e) == -1)
		reply_err(r, NULL, &e);
	else
		reply(r, 204, NULL, NULL, NULL, 0);
	if (st != NULL)
		pool_put(st);
}

/* A copy of a schedule's row, kept past the store's call. */
struct sched_copy {
	struct schedule	 s;
	char		 kind[128];
	char		*params;
	char		 name[HG_NAME_MAX + 1];
	char		 cron[CRON_MAX + 1];
	char		 tz[TZ_NAME_MAX + 1];
	int		 ok;
};

static int
copy_one(void *arg, const struct schedule *s)
{
	struct sched_copy	*c = arg;

	c->s = *s;
	snprintf(c->kind, sizeof(c->kind), "%s", s->kind);
	snprintf(c->name, sizeof(c->name), "%s", s->name != NULL ? s->name :
	    "");
	snprintf(c->cron, sizeof(c->cron), "%s", s->cron);
	snprintf(c->tz, sizeof(c->tz), "%s", s->timezone);
	c->s.kind = c->kind;
	c->s.name = s->name != NULL ? c->name : NULL;
	c->s.cron = c->cron;
	c->s.timezone = c->tz;
	c->s.params = c->params = strdup(s->params);
	c->ok = c->params != NULL;
	return 0;
}

/* Reads schedule id into c (c->params freed by the caller). */
static int
read_copy(struct store *st, int64_t id, struct sched_copy *c,
    struct hg_err *e)
{
	memset(c, 0, sizeof(*c));
	if (store_schedule_each(st, id, 0, copy_one, c, e) == -1)
		return -1;
	if (!c->ok)
		return hg_err_set(e, 503, "unavailable", "out of memory");
	return 0;
}

void
schedules_pause(struct req *r, int64_t id, int paused)
{
	struct sched_copy	 c;
	struct store		*st;
	struct hg_err		 e;
	int64_t			 next = TASK_TIME_NONE;

	if ((st = pool_get(&e)) == NULL) {
		reply_err(r, NULL, &e);
		return;
	}
	/* A resume catches nothing up: the next run from now. */
	if (read_copy(st, id, &c, &e) == -1 || (!paused && next_run(c.cron,
	    c.tz, hg_now_ms(), &next, &e) == -1) ||
	    store_schedule_pause(st, id, paused, next, &e) == -1)
		reply_err(r, NULL, &e);
	else {
		schedules_kick();
		answer(r, st, id, 200, NULL);
	}
	free(c.params);
	pool_put(st);
}

void
schedules_run(struct req *r, int64_t id)
{
	struct sched_copy	 c;
	struct store		*st;
	struct hg_err		 e;
	cJSON			*task = NULL;
	char			 loc[64];

	if ((st = pool_get(&e)) == NULL) {
		reply_err(r, NULL, &e);
		return;
	}
	if (read_copy(st, id, &c, &e) == -1 || tasks_create_scheduled(st,
	    &c.s, 0, 0, &task, &e) == -1)
		reply_err(r, e.status == 429 ? "Retry-After: 5\r\n" : NULL, &e);
	else {
		snprintf(loc, sizeof(loc), "Location: /api/tasks/%s\r\n",
		    cJSON_GetObjectItemCaseSensitive(task, "id")->valuestring);
		reply_json(r, 201, loc, task);
	}
	cJSON_Delete(task);
	free(c.params);
	pool_put(st);
}

void
schedules_preview(struct req *r)
{
	struct hg_err	 e;
	char		 cron[CRON_MAX + 1], zone[TZ_NAME_MAX + 1], when[40];
	cJSON		*o, *list;
	int64_t		 at;
	int		 i, rc;

	if ((rc = req_arg(r, "cron", cron, sizeof(cron))) == 0) {
		reply_errf(r, 400, "invalid_request", "cron: required, such "
		    "as ?cron=0+3+*+*+*");
		return;
	}
	if (rc == -1) {
		reply_errf(r, 422, "invalid_schedule", "cron: must be at most "
		    "%d bytes, with no NUL", CRON_MAX);
		return;
	}
	if ((rc = req_arg(r, "timezone", zone, sizeof(zone))) == -1) {
		reply_errf(r, 422, "invalid_schedule", "timezone: must be 1 "
		    "to %d bytes, with no NUL", TZ_NAME_MAX);
		return;
	}
	if (rc == 0)
		snprintf(zone, sizeof(zone), "UTC");
	if ((o = cJSON_CreateObject()) == NULL ||
	    (list = cJSON_AddArrayToObject(o, "next_runs")) == NULL) {
		reply_errf(r, 503, "unavailable", "out of memory");
		cJSON_Delete(o);
		return;
	}
	for (i = 0; i < PREVIEW_RUNS; i++) {
		if ((i == 0 ? first_run(cron, zone, &at, &e) :
		    next_run(cron, zone, at, &at, &e)) == -1) {
			reply_err(r, NULL, &e);
			cJSON_Delete(o);
			return;
		}
		if (at == TASK_TIME_NONE)
			break;
		hg_iso8601(at, when, sizeof(when));
		cJSON_AddItemToArray(list, cJSON_CreateString(when));
	}
	reply_json(r, 200, NULL, o);
	cJSON_Delete(o);
}

/* ---- the runs that come due ---- */

struct due {
	struct sched_copy	 v[FIRE_BATCH];
	int			 n;
};

static int
due_one(void *arg, const struct schedule *s)
{
	struct due	*d = arg;

	copy_one(&d->v[d->n++], s);
	return d->n == FIRE_BATCH;
}

/* Whether a run of c came due within the hour before now: the stored
 * one is the oldest missed, and a later one may be recent. */
static int
due_lately(const struct sched_copy *c, int64_t now)
{
	struct hg_err	 e;
	int64_t		 at;

	return next_run(c->cron, c->tz, now - CATCH_UP_MS, &at, &e) == 0 &&
	    at != TASK_TIME_NONE && at <= now;
}

/* Makes the run of c that was due (or skips it, saying why); returns 1
 * if it made a task. */
static int
fire(struct store *st, struct sched_copy *c, int64_t now)
{
	struct hg_err	 e;
	cJSON		*task = NULL;
	int64_t		 due = c->s.next_run_at, next;
	const char	*skip = NULL;

	if (next_run(c->cron, c->tz, now > due ? now : due, &next, &e) ==
	    -1) {
		/* Checked at create: the zone left tzdata since. Stops. */
		say(c->s.id, "%s; it is paused", e.msg);
		(void)store_schedule_pause(st, c->s.id, 1, TASK_TIME_NONE, &e);
		return 0;
	}
	if (!c->ok)
		skip = "out of memory";
	else if (now - due > CATCH_UP_MS && !due_lately(c, now))
		skip = "missed by more than an hour";
	else if (!c->s.overlap_allow && store_schedule_last_active(st,
	    c->s.id, &e) > 0)
		skip = "its last task is still active (overlap \"skip\")";
	if (skip == NULL) {
		if (tasks_create_scheduled(st, &c->s, due, next, &task,
		    &e) == 0) {
			cJSON_Delete(task);
			return 1;
		}
		if (e.status == 409)
			return 0;	/* paused or deleted meanwhile */
		say(c->s.id, "the run due at %lld made no task: %s",
		    (long long)due, e.msg);
	}
	(void)store_schedule_advance(st, c->s.id, due, next, &e);
	return 0;
}

static int
fire_due(struct store *st, int64_t now)
{
	struct hg_err	 e;
	static struct due d;	/* the scheduler's, one thread */
	int		 i, made = 0, pass = 0;

	do {
		d.n = 0;
		if (store_schedule_each(st, 0, now, due_one, &d, &e) == -1)
			return made;
		for (i = 0; i < d.n; i++) {
			made += fire(st, &d.v[i], now);
			free(d.v[i].params);
		}
	} while (d.n == FIRE_BATCH && ++pass < FIRE_PASSES);
	return made;
}

static void *
schedules_main(void *arg)
{
	struct timespec	 ts;
	struct hg_err	 e;
	int64_t		 at;
	int		 stop;

	(void)arg;
	for (;;) {
		(void)fire_due(sch_st, hg_now_ms());
		/* A run is made at its minute, never before: the wait ends
		 * at the earliest next run, a second at most. */
		if (store_schedule_earliest(sch_st, &at, &e) == -1 ||
		    at == INT64_MAX)
			at = 0;
		pthread_mutex_lock(&sch.mu);
		if (!sch.kicked && !sch.stopping) {
			hg_deadline(&ts, CLOCK_REALTIME, hg_wait_until(at,
			    HG_JANITOR_MS));
			pthread_cond_timedwait(&sch.cv, &sch.mu, &ts);
		}
		sch.kicked = 0;
		stop = sch.stopping;
		pthread_mutex_unlock(&sch.mu);
		if (stop)
			return NULL;
	}
}

int
schedules_start(char *err, size_t errlen)
{
	if ((sch_st = store_open(srv.cfg.db, 0, err, errlen)) == NULL)
		return -1;
	if ((errno = pthread_create(&sch_thread, NULL, schedules_main,
	    NULL)) != 0) {
		snprintf(err, errlen, "pthread_create: %s", strerror(errno));
		store_close(sch_st);
		return -1;
	}
	return 0;
}

void
schedules_stop(void)
{
	pthread_mutex_lock(&sch.mu);
	sch.stopping = 1;
	pthread_cond_signal(&sch.cv);
	pthread_mutex_unlock(&sch.mu);
	pthread_join(sch_thread, NULL);
	store_close(sch_st);
}
