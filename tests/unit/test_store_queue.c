/*
 * lib/store/queue.c: which queued tasks start, in all and per kind. Helpers: store_test.h.
 */
#include <sqlite3.h>
#include <unistd.h>

#include "config.h"
#include "launch.h"
#include "store_test.h"

/* A create may take queued tasks to start in its own transaction, under
 * the same limits as store_sched_take, oldest first. */
static void
create_with_sched_takes_under_the_limit(void)
{
	struct store		*st = open_db();
	struct hg_err		 e;
	struct create_opts	 o = { .idem_key = "k1" };
	struct sched		 sc = { 1, NULL, NULL, NULL, 4, 7, 0, NULL };
	int64_t			 ids[4], again[4];
	struct sched		 sc_again = { 4, NULL, NULL, again, 4, 0, 0,
	    NULL };
	cJSON			*t = NULL;

	sc.ids = ids;
	o.sched = &sc;
	CHECK_INT(store_task_create_opts(st, "count", NULL, PARAMS, &o, &t,
	    &e), 0);
	CHECK_INT(sc.n, 1);
	CHECK_INT(ids[0], 1);
	cJSON_Delete(t);
	/* Taken: marked launched, so nothing is left for the scheduler. */
	CHECK_INT(store_sched_take(st, &sc_again, &e), 0);
	/* The same key again: the first task, and nothing taken. */
	sc.n = 7;
	t = NULL;
	CHECK_INT(store_task_create_opts(st, "count", NULL, PARAMS, &o, &t,
	    &e), 1);
	CHECK_INT(sc.n, 0);
	cJSON_Delete(t);
	/* A second task: max_running 1 is taken by the first. */
	o.idem_key = NULL;
	t = NULL;
	CHECK_INT(store_task_create_opts(st, "count", NULL, PARAMS, &o, &t,
	    &e), 0);
	CHECK_INT(sc.n, 0);
	cJSON_Delete(t);
	/* With room for two, a third create takes the second and itself,
	 * oldest first. */
	sc.max_running = 3;
	t = NULL;
	CHECK_INT(store_task_create_opts(st, "count", NULL, PARAMS, &o, &t,
	    &e), 0);
	CHECK_INT(sc.n, 2);
	if (sc.n == 2) {
		CHECK_INT(ids[0], 2);
		CHECK_INT(ids[1], 3);
	}
	cJSON_Delete(t);
	store_close(st);
}

/* Creates made in one transaction: each as it would be alone, a refused
 * one undone alone, a key's second create finding the first's task, and
 * each its own pick of the queue. */
static void
create_many_makes_each_as_alone(void)
{
	struct store		*st = open_db();
	struct create_opts	 keyed = { .idem_key = "k1" };
	struct create_opts	 plain = { .max_queued = 3 };
	struct create_opts	 full = { .max_queued = 2 };
	struct create_opts	 picks = { .max_queued = 3 };
	struct create_opts	 orphan = { .nafter = 1 };
	int64_t			 ids[4], got[6], none = 999;
	struct sched		 sc = { 1, NULL, NULL, ids, 4, 0, 0, NULL };
	struct create_item	 v[6], *pv[6];
	struct evs		 l;
	cJSON			*t;
	size_t			 i;

	picks.sched = &sc;
	orphan.after = &none;
	memset(v, 0, sizeof(v));
	for (i = 0; i < 6; i++) {
		v[i].kind = "count";
		v[i].params = PARAMS;
		v[i].opts = &plain;
		pv[i] = &v[i];
	}
	v[0].opts = &keyed;
	v[1].opts = &keyed;		/* the same key: task 1 again */
	v[2].opts = &picks;		/* takes the one slot: task 1 */
	v[3].opts = &full;		/* 2 wait already: refused */
	v[4].name = "fourth";		/* made, as if 3 had not come */
	v[5].opts = &orphan;		/* refused once inserted: undone */
	CHECK_INT(store_task_create_many(st, pv, 6), 0);
	for (i = 0; i < 6; i++) {
		t = client_view(v[i].task);
		got[i] = int_of(t, "id");
		cJSON_Delete(t);
	}
	CHECK_INT(v[0].rc, 0);
	CHECK_INT(got[0], 1);
	CHECK_INT(v[1].rc, 1);
	CHECK_INT(got[1], 1);
	CHECK_INT(v[2].rc, 0);
	CHECK_INT(got[2], 2);
	CHECK_INT(sc.n, 1);
	if (sc.n == 1)
		CHECK_INT(ids[0], 1);
	CHECK_INT(v[3].rc, -1);
	CHECK_INT(v[3].e.status, 429);
	CHECK_STR(v[3].e.code, "queue_full");
	CHECK_INT(v[3].task == NULL, 1);
	CHECK_INT(v[4].rc, 0);
	CHECK_INT(got[4], 3);
	CHECK_INT(v[5].rc, -1);
	CHECK_INT(v[5].e.status, 422);
	CHECK_INT(v[5].task == NULL, 1);
	/* Three tasks and their three events: nothing of the refused. */
	CHECK_STR(list_ids(st, NULL, NULL, 0, 10), "3,2,1");
	CHECK_INT(evs_read(st, 0, 0, &l), 3);
	evs_free(&l);
	CHECK_INT(create(st, "count", NULL), 4);
	store_close(st);
}

/* A task's end takes the slot it frees for the next queued task, in its
 * own transaction, as a create does; an end left alone takes none. */
static void
finish_with_sched_takes_the_slot_it_frees(void)
{
	struct store	*st = open_db();
	struct hg_err	 e;
	int64_t		 ids[4], again[4], a, b;
	struct sched	 sc = { 1, NULL, NULL, ids, 4, 7, 7, NULL };
	struct sched	 sc_again = { 4, NULL, NULL, again, 4, 0, 0, NULL };
	struct outcome	 o = { TASK_SUCCEEDED, 1, 0, NULL, NULL, 0, NULL, NULL,
	    NULL, NULL, NULL };

	a = create(st, "count", NULL);
	b = create(st, "count", NULL);
	claim(st, a, 42);
	o.sched = &sc;
	CHECK_INT(store_task_finish(st, a, NULL, &o, &e), 0);
	CHECK_STR(state_of(st, a), "succeeded");
	CHECK_INT(sc.n, 1);
	CHECK_INT(sc.promoted, 0);
	if (sc.n == 1)
		CHECK_INT(ids[0], b);
	/* Taken: marked launched, so nothing is left for the scheduler. */
	CHECK_INT(store_sched_take(st, &sc_again, &e), 0);
	/* The same end again is left alone, and takes nothing. */
	sc.n = sc.promoted = 7;
	CHECK_INT(store_task_finish(st, a, NULL, &o, &e), 1);
	CHECK_INT(sc.n, 0);
	CHECK_INT(sc.promoted, 0);
	store_close(st);
}

/* An end may also take the oldest task it takes for its own runner to
 * run next: running under that runner, with its running event, in the
 * same transaction, and left out of the ids handed to the host. */
static void
finish_with_next_takes_the_oldest_for_its_runner(void)
{
	struct store		*st = open_db();
	struct hg_err		 e;
	int64_t			 ids[4], a, b, c, d, f, after;
	struct sched		 sc = { 2, NULL, NULL, ids, 4, 0, 0, NULL };
	struct runner_ref	 self = { 42, 4242 }, ref;
	struct claim		 next = { 0, NULL, NULL, 0, 0 };
	struct outcome		 o = { TASK_SUCCEEDED, 1, 0, NULL, NULL, 0,
	    NULL, NULL, NULL, NULL, NULL };
	struct evs		 l;
	cJSON			*t = NULL;

	a = create(st, "count", NULL);
	b = create(st, "count", NULL);
	c = create(st, "count", NULL);
	claim(st, a, 42);
	after = event_last(st);
	o.sched = &sc;
	o.next_runner = &self;
	o.next = &next;
	CHECK_INT(store_task_finish(st, a, NULL, &o, &e), 0);
	CHECK_STR(state_of(st, a), "succeeded");
	CHECK_INT(next.id, b);
	CHECK_STR(next.kind != NULL ? next.kind : "(null)", "count");
	CHECK_STR(next.params != NULL ? next.params : "(null)", PARAMS);
	CHECK_INT(next.attempt, 1);
	CHECK_INT(next.attempts, 1);
	CHECK_STR(state_of(st, b), "running");
	/* Two slots free: b is the runner's, c the host's to start. */
	CHECK_INT(sc.n, 1);
	if (sc.n == 1)
		CHECK_INT(ids[0], c);
	CHECK_STR(state_of(st, c), "queued");
	/* a's end, then b's start, as one commit's events. */
	CHECK_INT(evs_read(st, after, 0, &l), 2);
	if (l.n == 2) {
		CHECK_INT(l.v[0].task, a);
		CHECK_STR(l.v[0].state, "succeeded");
		CHECK_INT(l.v[1].task, b);
		CHECK_STR(l.v[1].state, "running");
	}
	evs_free(&l);
	/* A stop of b reaches the runner that took it. */
	CHECK_INT(store_task_stop(st, b, &t, &ref, &e), 0);
	CHECK_INT(ref.pid, 42);
	CHECK_INT(ref.start, 4242);
	CHECK_STR(str_of(t, "state"), "stopping");
	cJSON_Delete(t);
	claim_free(&next);
	CHECK_INT(next.id, 0);
	/* Nothing left to take: nothing taken. */
	claim(st, c, 43);
	CHECK_INT(store_task_finish(st, c, NULL, &o, &e), 0);
	CHECK_INT(next.id, 0);
	CHECK_INT(sc.n, 0);
	/* An end left alone takes nothing, though a task waits. */
	d = create(st, "count", NULL);
	CHECK_INT(store_task_finish(st, a, NULL, &o, &e), 1);
	CHECK_INT(next.id, 0);
	CHECK_INT(sc.n, 0);
	/* The end of a task asked to stop hands the next to the host: a
	 * late stop signal for it must not meet the next task's. */
	f = create(st, "count", NULL);
	claim(st, f, 44);
	t = NULL;
	CHECK_INT(store_task_stop(st, f, &t, &ref, &e), 0);
	cJSON_Delete(t);
	CHECK_INT(store_task_finish(st, f, NULL, &o, &e), 0);
	CHECK_STR(state_of(st, f), "canceled");
	CHECK_INT(next.id, 0);
	CHECK_INT(sc.n, 1);
	if (sc.n == 1)
		CHECK_INT(ids[0], d);
	CHECK_STR(state_of(st, d), "queued");
	store_close(st);
}

/* Kind "k<n>" has max_running 1; any other kind has no limit of its
 * own. */
static int
limit_one_for_k(void *arg, const char *kind)
{
	(void)arg;
	return kind[0] == 'k' ? 1 : 0;
}

/* Creates n tasks of kind in one transaction each, or ends the test. */
static void
create_n(struct store *st, const char *kind, int n)
{
	int	 i;

	for (i = 0; i < n; i++)
		create(st, kind, NULL);
}

/*
 * The picker looked at the 1,024 oldest queued tasks: 1,100 tasks of a
 * kind at its own limit ahead of one of another kind kept that one
 * waiting for as long as they waited.
 */
static void
sched_takes_a_kind_behind_1100_tasks_of_a_blocked_kind(void)
{
	struct store	*st = open_db();
	struct hg_err	 e;
	int64_t		 ids[64];
	struct sched	 sc = { 1000, limit_one_for_k, NULL, ids, 64, 0, 0, NULL };

	create(st, "kblocked", NULL);
	claim(st, 1, 100);		/* kblocked is at its limit of 1 */
	create_n(st, "kblocked", 1100);
	CHECK_INT(create(st, "other", NULL), 1102);
	CHECK_INT(store_sched_take(st, &sc, &e), 1);
	CHECK_INT(sc.n, 1);
	CHECK_INT(ids[0], 1102);
	/* Taken: marked launched; the blocked kind still waits. */
	CHECK_INT(store_sched_take(st, &sc, &e), 0);
	store_close(st);
}

/* It counted 256 kinds a pass and skipped the tasks of any other. */
static void
sched_takes_a_task_of_each_of_300_kinds(void)
{
	struct store	*st = open_db();
	struct hg_err	 e;
	int64_t		 ids[300];
	struct sched	 sc = { 1000, limit_one_for_k, NULL, ids, 300, 0, 0, NULL };
	char		 kind[16];
	int		 i;

	for (i = 0; i < 300; i++) {
		snprintf(kind, sizeof(kind), "k%03d", i);
		create(st, kind, NULL);
		create(st, kind, NULL);	/* over its limit: stays */
	}
	CHECK_INT(store_sched_take(st, &sc, &e), 300);
	for (i = 0; i < sc.n; i++)
		CHECK_INT(ids[i], 2 * i + 1);	/* each kind's oldest */
	store_close(st);
}

/* Oldest first across kinds, each kind under its own limit, and no
 * more than max_running in all or cap at once. */
static void
sched_takes_oldest_first_under_every_limit(void)
{
	struct store	*st = open_db();
	struct hg_err	 e;
	int64_t		 ids[3];
	struct sched	 sc = { 4, limit_one_for_k, NULL, ids, 3, 0, 0, NULL };

	create(st, "ka", NULL);		/* 1 */
	create(st, "ka", NULL);		/* 2: ka's limit is 1 */
	create(st, "free", NULL);	/* 3 */
	create(st, "kb", NULL);		/* 4 */
	create(st, "free", NULL);	/* 5: past cap 3 */
	create(st, "free", NULL);	/* 6 */
	CHECK_INT(store_sched_take(st, &sc, &e), 3);
	CHECK_INT(ids[0], 1);
	CHECK_INT(ids[1], 3);
	CHECK_INT(ids[2], 4);
	/* One slot left of max_running 4: the oldest that may go. */
	CHECK_INT(store_sched_take(st, &sc, &e), 1);
	CHECK_INT(ids[0], 5);
	CHECK_INT(store_sched_take(st, &sc, &e), 0);
	store_close(st);
}


/* Kinds named "s..." run as Slurm jobs; "s1" has max_running 1. */
static int
slurm_kind(void *arg, const char *kind)
{
	(void)arg;
	return kind[0] == 's';
}

static int
limit_one_for_s1(void *arg, const char *kind)
{
	(void)arg;
	return strcmp(kind, "s1") == 0 ? 1 : 0;
}

/*
 * Slurm tasks hold no slot of max_running: with the one slot taken by
 * a local task they still start, up to their kind's own max_running,
 * which counts a claimed task still queued (its job pending); and a
 * claimed Slurm task stays queued and is never taken back.
 */
static void
sched_starts_slurm_tasks_without_a_slot(void)
{
	struct store	*st = open_db();
	struct hg_err	 e;
	int64_t		 ids[8];
	struct sched	 sc = { 1, limit_one_for_s1, NULL, ids, 8, 0, 0,
	    slurm_kind };
	cJSON		*t = NULL;

	create(st, "local", NULL);			/* 1 */
	CHECK_INT(store_sched_take(st, &sc, &e), 1);
	claim(st, 1, 100);				/* holds the slot */
	create(st, "local", NULL);			/* 2: waits */
	create(st, "s1", NULL);				/* 3 */
	create(st, "s1", NULL);				/* 4: s1 is full */
	create(st, "sfree", NULL);			/* 5 */
	create(st, "sfree", NULL);			/* 6 */
	CHECK_INT(store_sched_take(st, &sc, &e), 3);
	CHECK_INT(ids[0], 3);
	CHECK_INT(ids[1], 5);
	CHECK_INT(ids[2], 6);
	claim(st, 3, 101);
	CHECK(store_task_get(st, 3, &t, &e) == 0);
	CHECK_STR(cJSON_GetStringValue(cJSON_GetObjectItem(t, "state")),
	    "queued");
	cJSON_Delete(t);
	/* Task 3 is taken: never launched again, and s1 stays full. */
	CHECK_INT(store_sched_unlaunch(st, hg_now_ms() + 1000), 2);
	CHECK_INT(store_sched_take(st, &sc, &e), 2);
	CHECK_INT(ids[0], 5);
	CHECK_INT(ids[1], 6);
	store_close(st);
}

static void
seen_slurm(void *arg, int64_t id, const struct runner_seen *r)
{
	int64_t	*jobs = arg;

	if (id <= 3)
		jobs[id] = r->slurm_job;
}

/*
 * A Slurm task stays queued once claimed, and no second runner takes
 * it. The lost-runner check sees it with its job (0: not submitted);
 * one whose runner died before it submitted goes back to the queue.
 */
static void
slurm_task_is_claimed_once_and_unclaimed_before_its_job(void)
{
	struct store	*st = open_db();
	struct hg_err	 e;
	int64_t		 ids[8], jobs[4] = { 0, 7, 7, 7 };
	struct sched	 sc = { 4, NULL, NULL, ids, 8, 0, 0, slurm_kind };
	char		*kind = NULL, *params = NULL;

	create(st, "local", NULL);			/* 1 */
	create(st, "sjob", NULL);			/* 2 */
	create(st, "sjob", NULL);			/* 3 */
	CHECK_INT(store_sched_take(st, &sc, &e), 3);
	claim(st, 1, 100);
	claim(st, 2, 101);
	claim(st, 3, 102);
	CHECK_INT(store_task_claim(st, 3, 103, 1103, &kind, &params, NULL,
	    NULL, &e), 1);
	CHECK(store_task_slurm(st, 2, 42, "PENDING", "Priority", 0, &e) ==
	    0);
	CHECK(store_active_runners(st, seen_slurm, jobs) == 3);
	CHECK_INT(jobs[1], -1);
	CHECK_INT(jobs[2], 42);
	CHECK_INT(jobs[3], 0);
	/* A job may run: never given back. */
	CHECK_INT(store_slurm_unclaim(st, 2, &e), 0);
	CHECK_INT(store_slurm_unclaim(st, 3, &e), 1);
	CHECK_INT(store_sched_take(st, &sc, &e), 1);
	CHECK_INT(ids[0], 3);
	claim(st, 3, 104);
	store_close(st);
}

/*
 * While tasks are launched faster than their runners come for them, an
 * end that launches none takes one of them for its own runner: the one
 * launched last, never a Slurm task (its runner follows its job). The
 * runner it was handed to takes nothing, and a read (outside the write
 * gate) tells it that there is no job to follow either.
 */
static void
finish_with_next_takes_a_launched_task_no_runner_took(void)
{
	struct store		*st = open_db();
	struct hg_err		 e;
	int64_t			 ids[8], a, b, c, j;
	struct sched		 all = { 8, NULL, NULL, ids, 8, 0, 0,
				    slurm_kind };
	struct sched		 sc = { 8, NULL, NULL, ids, 8, 0, 0, NULL };
	struct runner_ref	 self = { 42, 4242 }, ref;
	struct claim		 next = { 0, NULL, NULL, 0, 0 };
	struct outcome		 o = { TASK_SUCCEEDED, 1, 0, NULL, NULL, 0,
	    NULL, NULL, NULL, NULL, NULL };
	char			*kind = NULL, *params = NULL;
	cJSON			*t = NULL;

	a = create(st, "count", NULL);
	b = create(st, "count", NULL);
	c = create(st, "count", NULL);
	j = create(st, "sjob", NULL);
	CHECK_INT(store_sched_take(st, &all, &e), 4);
	claim(st, a, 41);
	CHECK_INT(store_task_claimable(st, a, &e), 0);
	CHECK_INT(store_task_claimable(st, c, &e), 1);
	o.sched = &sc;
	o.next_runner = &self;
	o.next = &next;
	CHECK_INT(store_task_finish(st, a, NULL, &o, &e), 0);
	CHECK_INT(sc.n, 0);
	/* c, not the Slurm task j launched after it. */
	CHECK_INT(next.id, c);
	CHECK_STR(next.kind != NULL ? next.kind : "(null)", "count");
	CHECK_STR(state_of(st, c), "running");
	CHECK_STR(state_of(st, j), "queued");
	CHECK_INT(store_task_claimable(st, c, &e), 0);
	CHECK_INT(store_task_claimable(st, b, &e), 1);
	CHECK_INT(store_task_claimable(st, j, &e), 1);
	CHECK_INT(store_task_claim(st, c, 43, 4343, &kind, &params, NULL,
	    NULL, &e), 1);
	CHECK(kind == NULL && params == NULL);
	/* A stop of c reaches the runner that took it. */
	CHECK_INT(store_task_stop(st, c, &t, &ref, &e), 0);
	CHECK_INT(ref.pid, 42);
	cJSON_Delete(t);
	claim_free(&next);
	/* With only the Slurm task left unclaimed, nothing is taken. */
	claim(st, b, 44);
	CHECK_INT(store_task_finish(st, b, NULL, &o, &e), 0);
	CHECK_INT(next.id, 0);
	CHECK_STR(state_of(st, j), "queued");
	CHECK_INT(store_task_claimable(st, 999, &e), 0);
	store_close(st);
}

/*
 * That look is bounded: behind 8 Slurm tasks launched last (their jobs
 * pending, say), a local task launched before them is not taken, and
 * thousands of such Slurm tasks are never read at each end.
 */
static void
finish_looks_at_the_8_tasks_launched_last_only(void)
{
	struct store		*st = open_db();
	struct hg_err		 e;
	int64_t			 ids[16], a, b;
	struct sched		 all = { 16, NULL, NULL, ids, 16, 0, 0,
				    slurm_kind };
	struct sched		 sc = { 16, NULL, NULL, ids, 16, 0, 0, NULL };
	struct runner_ref	 self = { 42, 4242 };
	struct claim		 next = { 0, NULL, NULL, 0, 0 };
	struct outcome		 o = { TASK_SUCCEEDED, 1, 0, NULL, NULL, 0,
	    NULL, NULL, NULL, NULL, NULL };
	int			 i;

	a = create(st, "count", NULL);
	b = create(st, "count", NULL);
	CHECK_INT(store_sched_take(st, &all, &e), 2);
	for (i = 0; i < 8; i++)
		create(st, "sjob", NULL);
	/* Launched after b, at a later millisecond. */
	usleep(2000);
	CHECK_INT(store_sched_take(st, &all, &e), 8);
	claim(st, a, 41);
	o.sched = &sc;
	o.next_runner = &self;
	o.next = &next;
	CHECK_INT(store_task_finish(st, a, NULL, &o, &e), 0);
	CHECK_INT(next.id, 0);
	CHECK_STR(state_of(st, b), "queued");
	store_close(st);
}

/*
 * A task launched, then taken by the end of another runner's task before
 * its own runner could be started: when that start fails (no host, no
 * runner program), the task is left to the runner that has it, not
 * ended failed under it. One no runner has ends failed, as before.
 */
static void
failed_start_leaves_a_task_another_runner_took(void)
{
	struct store	*st = open_db();
	struct config	 c;
	struct hg_err	 e;
	int64_t		 ids[4], a, b;
	struct sched	 sc = { 4, NULL, NULL, ids, 4, 0, 0, NULL };

	memset(&c, 0, sizeof(c));
	CHECK(snprintf(c.data, sizeof(c.data), "%s", unit_dir) <
	    (int)sizeof(c.data));
	CHECK(snprintf(c.host, sizeof(c.host), "%s/no-host.sock", unit_dir) <
	    (int)sizeof(c.host));
	CHECK(snprintf(c.runner, sizeof(c.runner), "%s/no-such-runner",
	    unit_dir) < (int)sizeof(c.runner));
	c.server_err = -1;
	c.runner_log_max = 1 << 20;
	a = create(st, "count", NULL);
	b = create(st, "count", NULL);
	CHECK_INT(store_sched_take(st, &sc, &e), 2);
	claim(st, a, 42);
	CHECK_INT(launch_taken(st, &c, ids, sc.n), 0);
	CHECK_STR(state_of(st, a), "running");
	CHECK_STR(state_of(st, b), "failed");
	store_close(st);
}

/* Index entries of name, by SQLite's dbstat. */
static int64_t
index_entries(const char *name)
{
	sqlite3		*db;
	sqlite3_stmt	*s;
	int64_t		 n = -1;

	if (sqlite3_open(db_path(), &db) != SQLITE_OK ||
	    sqlite3_prepare_v2(db, "SELECT coalesce(sum(ncell), 0) FROM "
	    "dbstat WHERE name = ?1 AND pagetype = 'leaf'", -1, &s,
	    NULL) != SQLITE_OK) {
		sqlite3_close(db);
		return -1;
	}
	sqlite3_bind_text(s, 1, name, -1, SQLITE_STATIC);
	if (sqlite3_step(s) == SQLITE_ROW)
		n = sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	sqlite3_close(db);
	return n;
}

/* tasks_waiting holds the queued tasks only (sql/019): a claim and an
 * end write no page of it but the claim's one. */
static void
waiting_index_holds_only_queued_tasks(void)
{
	struct store	*st = open_db();
	int64_t		 a, b;

	a = create(st, "count", NULL);
	b = create(st, "count", NULL);
	CHECK_INT(index_entries("tasks_waiting"), 2);
	claim(st, a, 100);
	CHECK_INT(index_entries("tasks_waiting"), 1);
	CHECK_INT(finish(st, a, "succeeded"), 0);
	CHECK_INT(index_entries("tasks_waiting"), 1);
	claim(st, b, 101);
	CHECK_INT(finish(st, b, "failed"), 0);
	CHECK_INT(index_entries("tasks_waiting"), 0);
	/* Every task is still in the index of states. */
	CHECK_INT(index_entries("tasks_state"), 2);
	store_close(st);
}

static const struct unit_test tests[] = {
	UNIT(create_with_sched_takes_under_the_limit),
	UNIT(finish_with_sched_takes_the_slot_it_frees),
	UNIT(sched_takes_a_kind_behind_1100_tasks_of_a_blocked_kind),
	UNIT(sched_takes_a_task_of_each_of_300_kinds),
	UNIT(sched_takes_oldest_first_under_every_limit),
	UNIT(sched_starts_slurm_tasks_without_a_slot),
	UNIT(slurm_task_is_claimed_once_and_unclaimed_before_its_job),
	UNIT(waiting_index_holds_only_queued_tasks),
	UNIT(finish_with_next_takes_the_oldest_for_its_runner),
	UNIT(finish_with_next_takes_a_launched_task_no_runner_took),
	UNIT(finish_looks_at_the_8_tasks_launched_last_only),
	UNIT(failed_start_leaves_a_task_another_runner_took),
	UNIT(create_many_makes_each_as_alone),
};

int
main(int argc, char **argv)
{
	UNIT_MAIN(tests, argc, argv);
}
