/*
 * lib/store/queue.c: which queued tasks start, in all and per kind. Helpers: store_test.h.
 */
#include "store_test.h"

/* A create may take queued tasks to start in its own transaction, under
 * the same limits as store_sched_take, oldest first. */
static void
create_with_sched_takes_under_the_limit(void)
{
	struct store		*st = open_db();
	struct hg_err		 e;
	struct create_opts	 o = { .idem_key = "k1" };
	struct sched		 sc = { 1, NULL, NULL, NULL, 4, 7, 0 };
	int64_t			 ids[4], again[4];
	struct sched		 sc_again = { 4, NULL, NULL, again, 4, 0, 0 };
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
	struct sched	 sc = { 1000, limit_one_for_k, NULL, ids, 64, 0, 0 };

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
	struct sched	 sc = { 1000, limit_one_for_k, NULL, ids, 300, 0, 0 };
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
	struct sched	 sc = { 4, limit_one_for_k, NULL, ids, 3, 0, 0 };

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


static const struct unit_test tests[] = {
	UNIT(create_with_sched_takes_under_the_limit),
	UNIT(sched_takes_a_kind_behind_1100_tasks_of_a_blocked_kind),
	UNIT(sched_takes_a_task_of_each_of_300_kinds),
	UNIT(sched_takes_oldest_first_under_every_limit),
};

int
main(int argc, char **argv)
{
	UNIT_MAIN(tests, argc, argv);
}
