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
	struct sched		 sc = { 1, NULL, NULL, NULL, 4, 7 };
	int64_t			 ids[4], again[4];
	struct sched		 sc_again = { 4, NULL, NULL, again, 4, 0 };
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

static const struct unit_test tests[] = {
	UNIT(create_with_sched_takes_under_the_limit),
};

int
main(int argc, char **argv)
{
	UNIT_MAIN(tests, argc, argv);
}
