/*
 * lib/store/after.c: a task made "after" others waits for them, holds no
 * slot, is released when they have succeeded, and is canceled down the
 * chain when one ends otherwise. Helpers: store_test.h.
 */
#include "store_test.h"

/* Creates a task after the n ids of after. Returns what the create
 * returned; *t is the task as a client reads it (caller frees). */
static int
create_after(struct store *st, const int64_t *after, int n, cJSON **t,
    struct hg_err *e)
{
	struct create_opts	 o = { .idem_key = NULL };
	int			 rc;

	o.after = after;
	o.nafter = n;
	*t = NULL;
	rc = store_task_create_opts(st, "count", NULL, PARAMS, &o, t, e);
	*t = client_view(*t);
	return rc;
}

/* Creates a task after the n ids, and returns its id, or ends the test. */
static int64_t
after_ok(struct store *st, const int64_t *after, int n)
{
	struct hg_err	 e;
	cJSON		*t;
	int64_t		 id;

	if (create_after(st, after, n, &t, &e) != 0) {
		unit_fail(__FILE__, __LINE__, e.msg);
		exit(1);
	}
	id = int_of(t, "id");
	cJSON_Delete(t);
	return id;
}

/* Task id's waiting_for printed ("[1,2]"), or "" when it has none. */
static const char *
waiting_of(struct store *st, int64_t id)
{
	static char	 buf[256];
	cJSON		*t = get(st, id);
	const cJSON	*w = field(t, "waiting_for");
	char		*s = w != NULL ? json_print(w) : NULL;

	snprintf(buf, sizeof(buf), "%s", s != NULL ? s : "");
	free(s);
	cJSON_Delete(t);
	return buf;
}

/* Task id's error message, in a static buffer; "" for none. */
static const char *
error_of(struct store *st, int64_t id, const char *what)
{
	static char	 buf[256];
	cJSON		*t = get(st, id);
	const char	*s = str_of(field(t, "error"), what);

	snprintf(buf, sizeof(buf), "%s", s != NULL ? s : "");
	cJSON_Delete(t);
	return buf;
}

/* Takes up to 8 tasks to start, with room for 8; returns how many. */
static int
take(struct store *st, int64_t *ids)
{
	struct sched	 sc = { 8, NULL, NULL, NULL, 8, 0, 0, NULL };
	struct hg_err	 e;

	sc.ids = ids;
	return store_sched_take(st, &sc, &e);
}

static void
create_after_running_task_waits_for_it(void)
{
	struct store	*st = open_db();
	int64_t		 a = create(st, "count", NULL), b;
	int64_t		 p[1];

	claim(st, a, 4242);
	p[0] = a;
	b = after_ok(st, p, 1);
	CHECK_STR(state_of(st, b), "queued");
	CHECK_STR(waiting_of(st, b), "[1]");
	store_close(st);
}

static void
create_after_missing_task_is_422_and_creates_nothing(void)
{
	struct store	*st = open_db();
	struct hg_err	 e;
	cJSON		*t;
	int64_t		 p[2];

	p[0] = create(st, "count", NULL);
	p[1] = 99;
	CHECK_INT(create_after(st, p, 2, &t, &e), -1);
	CHECK_INT(e.status, 422);
	CHECK_STR(e.code, "unknown_task");
	CHECK_HAS(e.msg, "99");
	CHECK_HAS(e.msg, "after");
	CHECK(t == NULL);
	/* Rolled back: no task 2, and the next create is task 2. */
	CHECK_STR(state_of(st, 2), "(none)");
	CHECK_INT(create(st, "count", NULL), 2);
	store_close(st);
}

static void
create_after_failed_task_ends_canceled_at_once(void)
{
	struct store	*st = open_db();
	int64_t		 a = create(st, "count", NULL), b;
	int64_t		 p[1];

	claim(st, a, 4242);
	CHECK_INT(finish(st, a, "failed"), 0);
	p[0] = a;
	b = after_ok(st, p, 1);
	CHECK_STR(state_of(st, b), "canceled");
	CHECK_STR(error_of(st, b, "code"), "dependency_failed");
	CHECK_STR(error_of(st, b, "message"), "task 1 ended failed");
	CHECK_STR(waiting_of(st, b), "");
	store_close(st);
}

static void
create_after_succeeded_task_does_not_wait(void)
{
	struct store	*st = open_db();
	int64_t		 a = create(st, "count", NULL), b, c, ids[8];
	int64_t		 p[2];

	claim(st, a, 4242);
	CHECK_INT(finish(st, a, "succeeded"), 0);
	p[0] = a;
	b = after_ok(st, p, 1);
	CHECK_STR(waiting_of(st, b), "");
	/* After one that succeeded and one still queued: waits for the
	 * second only. */
	p[1] = b;
	c = after_ok(st, p, 2);
	CHECK_STR(waiting_of(st, c), "[2]");
	CHECK_INT(take(st, ids), 1);
	CHECK_INT(ids[0], b);
	store_close(st);
}

static void
queue_skips_a_waiting_task(void)
{
	struct store	*st = open_db();
	int64_t		 a = create(st, "count", NULL), b, c, ids[8];
	int64_t		 p[1];

	p[0] = a;
	b = after_ok(st, p, 1);
	c = create(st, "count", NULL);
	/* a and c start; b, older than c, waits. */
	CHECK_INT(take(st, ids), 2);
	CHECK_INT(ids[0], a);
	CHECK_INT(ids[1], c);
	CHECK_INT(take(st, ids), 0);
	claim(st, a, 4242);
	CHECK_INT(finish(st, a, "succeeded"), 0);
	/* Released: it queues as usual now. */
	CHECK_INT(take(st, ids), 1);
	CHECK_INT(ids[0], b);
	store_close(st);
}

static void
success_releases_only_once_every_parent_succeeded(void)
{
	struct store	*st = open_db();
	int64_t		 a = create(st, "count", NULL);
	int64_t		 b = create(st, "count", NULL), c, ids[8];
	int64_t		 p[2];
	struct evs	 l;
	int64_t		 last;

	p[0] = b;
	p[1] = a;
	c = after_ok(st, p, 2);
	CHECK_STR(waiting_of(st, c), "[2,1]");
	claim(st, a, 4242);
	claim(st, b, 4243);
	last = event_last(st);
	CHECK_INT(finish(st, a, "succeeded"), 0);
	CHECK_STR(waiting_of(st, c), "[2]");
	/* a's end, then c's state event with what it still waits for. */
	CHECK_INT(evs_read(st, last, 0, &l), 2);
	CHECK_INT(l.v[0].task, a);
	CHECK_INT(l.v[1].task, c);
	CHECK_STR(l.v[1].state, "queued");
	CHECK_HAS(l.v[1].data, "\"waiting_for\":[2]");
	evs_free(&l);
	CHECK_INT(take(st, ids), 0);
	CHECK_INT(finish(st, b, "succeeded"), 0);
	CHECK_STR(state_of(st, c), "queued");
	CHECK_STR(waiting_of(st, c), "");
	CHECK_INT(take(st, ids), 1);
	CHECK_INT(ids[0], c);
	store_close(st);
}

static void
failure_cancels_two_levels_down(void)
{
	struct store	*st = open_db();
	int64_t		 a = create(st, "count", NULL), b, c, d, last;
	int64_t		 p[1];
	struct evs	 l;

	p[0] = a;
	b = after_ok(st, p, 1);
	p[0] = b;
	c = after_ok(st, p, 1);
	d = create(st, "count", NULL);	/* independent: untouched */
	claim(st, a, 4242);
	last = event_last(st);
	CHECK_INT(finish(st, a, "failed"), 0);
	CHECK_STR(state_of(st, b), "canceled");
	CHECK_STR(error_of(st, b, "code"), "dependency_failed");
	CHECK_STR(error_of(st, b, "message"), "task 1 ended failed");
	CHECK_STR(state_of(st, c), "canceled");
	CHECK_STR(error_of(st, c, "message"), "task 2 ended canceled");
	CHECK_STR(waiting_of(st, c), "");
	CHECK_STR(state_of(st, d), "queued");
	/* One state event each, parent first. */
	CHECK_INT(evs_read(st, last, 0, &l), 3);
	CHECK_INT(l.v[0].task, a);
	CHECK_INT(l.v[1].task, b);
	CHECK_STR(l.v[1].state, "canceled");
	CHECK_INT(l.v[2].task, c);
	CHECK_STR(l.v[2].state, "canceled");
	evs_free(&l);
	store_close(st);
}

static void
stop_of_waiting_task_cancels_it_and_its_dependents(void)
{
	struct store		*st = open_db();
	struct runner_ref	 ref;
	struct hg_err		 e;
	cJSON			*t = NULL;
	int64_t			 a = create(st, "count", NULL), b, c;
	int64_t			 p[1];

	p[0] = a;
	b = after_ok(st, p, 1);
	p[0] = b;
	c = after_ok(st, p, 1);
	CHECK_INT(store_task_stop(st, b, &t, &ref, &e), 0);
	t = client_view(t);
	CHECK_STR(str_of(t, "state"), "canceled");
	CHECK(is_null(t, "error"));
	CHECK(field(t, "waiting_for") == NULL);
	cJSON_Delete(t);
	CHECK_STR(state_of(st, c), "canceled");
	CHECK_STR(error_of(st, c, "message"), "task 2 ended canceled");
	/* The parent goes on, and its end touches b no more. */
	CHECK_STR(state_of(st, a), "queued");
	claim(st, a, 4242);
	CHECK_INT(finish(st, a, "succeeded"), 0);
	CHECK_STR(state_of(st, b), "canceled");
	CHECK_STR(error_of(st, b, "code"), "");
	store_close(st);
}

/* A chain longer than any stack would like is walked, not recursed. */
static void
failure_cancels_a_long_chain(void)
{
	struct store	*st = open_db();
	int64_t		 p[1], first, id = 0;
	int		 i;

	first = p[0] = create(st, "count", NULL);
	for (i = 0; i < 300; i++)
		p[0] = id = after_ok(st, p, 1);
	claim(st, first, 4242);
	CHECK_INT(finish(st, first, "lost"), 0);
	CHECK_STR(state_of(st, id), "canceled");
	CHECK_STR(error_of(st, id, "code"), "dependency_failed");
	CHECK_STR(state_of(st, 2), "canceled");
	CHECK_STR(error_of(st, 2, "message"), "task 1 ended lost");
	store_close(st);
}

static void
get_and_list_show_waiting_for_alike(void)
{
	struct store		*st = open_db();
	struct task_filter	 f = { 0, NULL, 0, 10, 0 };
	struct hg_err		 e;
	cJSON			*t = NULL;
	char			*list = NULL, *one;
	size_t			 len;
	int64_t			 p[2], ev;

	p[0] = create(st, "count", NULL);
	p[1] = create(st, "count", NULL);
	after_ok(st, p, 2);
	CHECK_INT(store_task_get(st, 3, &t, &e), 0);
	one = json_print(t);
	CHECK_HAS(one, "\"retry_at\":null,\"waiting_for\":[1,2]}");
	CHECK_INT(store_task_list(st, &f, &list, &len, &ev, &e), 0);
	CHECK(list != NULL && one != NULL && strncmp(list + 10, one,
	    strlen(one)) == 0);
	free(one);
	free(list);
	cJSON_Delete(t);
	store_close(st);
}

static const struct unit_test tests[] = {
	UNIT(create_after_running_task_waits_for_it),
	UNIT(create_after_missing_task_is_422_and_creates_nothing),
	UNIT(create_after_failed_task_ends_canceled_at_once),
	UNIT(create_after_succeeded_task_does_not_wait),
	UNIT(queue_skips_a_waiting_task),
	UNIT(success_releases_only_once_every_parent_succeeded),
	UNIT(failure_cancels_two_levels_down),
	UNIT(stop_of_waiting_task_cancels_it_and_its_dependents),
	UNIT(failure_cancels_a_long_chain),
	UNIT(get_and_list_show_waiting_for_alike),
};

int
main(int argc, char **argv)
{
	UNIT_MAIN(tests, argc, argv);
}
