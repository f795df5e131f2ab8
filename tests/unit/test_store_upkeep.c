/*
 * lib/store/upkeep.c: what the server does on its own. Helpers:
 * store_test.h.
 */
#include "store_test.h"

#define RUNNERS_N	1100

struct seen {
	int	 n;
	int	 twice;
	char	 by_id[RUNNERS_N + 8];	/* 1 once task id was seen */
};

static void
runner_seen(void *arg, int64_t id, const struct runner_ref *ref)
{
	struct seen	*s = arg;

	s->n++;
	if (id < 1 || id >= (int64_t)sizeof(s->by_id) ||
	    ref->pid != 100 + id || ref->start != 1100 + id) {
		s->twice++;	/* counted as wrong */
		return;
	}
	if (s->by_id[id]++)
		s->twice++;
}

/*
 * The lost-runner check read at most 1,024 running tasks and never
 * looked at the rest: with more running, a runner that died was never
 * found. Every one of 1,100 running and stopping tasks is seen, once.
 */
static void
active_runners_sees_each_of_1100_running_tasks(void)
{
	struct store		*st = open_db();
	struct runner_ref	 ref;
	struct hg_err		 e;
	struct seen		 s;
	cJSON			*t = NULL;
	int64_t			 id;

	memset(&s, 0, sizeof(s));
	for (id = 1; id <= RUNNERS_N; id++) {
		create(st, "count", NULL);
		claim(st, id, 100 + id);
	}
	/* Some stopping, among them the last. */
	for (id = 7; id <= RUNNERS_N; id += 100) {
		CHECK_INT(store_task_stop(st, id, &t, &ref, &e), 0);
		cJSON_Delete(t);
		t = NULL;
	}
	CHECK_INT(store_task_stop(st, RUNNERS_N, &t, &ref, &e), 0);
	cJSON_Delete(t);
	/* Neither queued nor ended tasks have a runner to check. */
	create(st, "count", NULL);
	CHECK_INT(finish(st, 3, "succeeded"), 0);
	CHECK_INT(store_active_runners(st, runner_seen, &s), RUNNERS_N - 1);
	CHECK_INT(s.n, RUNNERS_N - 1);
	CHECK_INT(s.twice, 0);
	CHECK_INT(s.by_id[3], 0);
	CHECK_INT(s.by_id[RUNNERS_N], 1);
	CHECK_INT(s.by_id[RUNNERS_N + 1], 0);
	store_close(st);
}

static const struct unit_test tests[] = {
	UNIT(active_runners_sees_each_of_1100_running_tasks),
};

int
main(int argc, char **argv)
{
	UNIT_MAIN(tests, argc, argv);
}
