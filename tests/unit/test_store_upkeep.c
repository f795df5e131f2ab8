/*
 * lib/store/upkeep.c: what the server does on its own. Helpers:
 * store_test.h.
 */
#include "store/store_int.h"
#include "store_test.h"

#define RUNNERS_N	1100

struct seen {
	int	 n;
	int	 twice;
	char	 by_id[RUNNERS_N + 8];	/* 1 once task id was seen */
};

static void
runner_seen(void *arg, int64_t id, const struct runner_seen *ref)
{
	struct seen	*s = arg;

	s->n++;
	if (id < 1 || id >= (int64_t)sizeof(s->by_id) ||
	    ref->ref.pid != 100 + id || ref->ref.start != 1100 + id ||
	    ref->slurm_job != -1) {
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

struct kinds_seen {
	char	 kind[4][HG_KIND_NAME_MAX + 1];
};

static void
kind_seen(void *arg, int64_t id, const struct runner_seen *ref)
{
	struct kinds_seen	*g = arg;

	if (id < 1 || id > 3)
		return;
	memcpy(g->kind[id], ref->kind, sizeof(g->kind[id]));
}

/* The lost-runner check reads each running task's kind (its grace_s is
 * what the server gives the runner's session to end); an ended task is
 * not read. */
static void
active_runners_read_the_kind(void)
{
	struct store		*st = open_db();
	struct kinds_seen	 g;

	memset(&g, 0, sizeof(g));
	create(st, "count", NULL);
	create(st, "count", NULL);
	create(st, "count", NULL);
	claim(st, 1, 101);
	claim(st, 2, 102);
	claim(st, 3, 103);
	CHECK_INT(finish(st, 3, "succeeded"), 0);
	CHECK_INT(store_active_runners(st, kind_seen, &g), 2);
	CHECK_STR(g.kind[1], "count");
	CHECK_STR(g.kind[2], "count");
	CHECK_STR(g.kind[3], "");
	store_close(st);
}

static void
count_seen(void *arg, int64_t id, const struct runner_seen *ref)
{
	(void)id;
	(void)ref;
	(*(int *)arg)++;
}

/* The virtual machine steps statement i took since the last call. */
static int
steps(struct store *st, int i)
{
	return st->stmt[i] == NULL ? -1 :
	    sqlite3_stmt_status(st->stmt[i], SQLITE_STMTSTATUS_VM_STEP, 1);
}

/* Whether a statement that ran took few steps of SQLite's machine: a
 * read by the right index, not through a whole table or index. */
static int
few_steps(int n)
{
	return n >= 0 && n < 500;
}

/*
 * The janitor reads the runners of running, then of stopping tasks, at
 * each pass. With one statement for both, the state bound, SQLite
 * compiled it again at each change of the value (twice a pass): its
 * planner had looked at the bound value to tell whether a partial index
 * fits. A pass after the first compiles nothing.
 */
static void
janitor_pass_compiles_no_statement_again(void)
{
	struct store		*st = open_db();
	struct runner_ref	 ref;
	struct hg_err		 e;
	cJSON			*t = NULL;
	int			 seen = 0;

	create(st, "count", NULL);
	create(st, "count", NULL);
	claim(st, 1, 101);
	claim(st, 2, 102);
	CHECK_INT(store_task_stop(st, 2, &t, &ref, &e), 0);
	cJSON_Delete(t);
	CHECK_INT(store_active_runners(st, count_seen, &seen), 2);
	(void)recompiled(st);
	CHECK_INT(store_active_runners(st, count_seen, &seen), 2);
	CHECK_INT(store_active_runners(st, count_seen, &seen), 2);
	CHECK_INT(recompiled(st), 0);
	CHECK_INT(seen, 6);
	store_close(st);
}

/*
 * What the janitor and each end of a task read does not grow with the
 * queue: 3,000 queued tasks (waiting for another), 2,000 retrying later,
 * and among them two watched and one Slurm task whose runner follows its
 * pending job. Each read goes by its own index, a few steps of SQLite's
 * machine for what it finds; by tasks_state it read every queued or
 * retrying task, tens of thousands of steps.
 */
static void
janitor_reads_do_not_grow_with_the_queue(void)
{
	static const char fill[] =
	    "WITH RECURSIVE n(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM n "
	    "WHERE x < 5000) INSERT INTO tasks (kind, params, state, "
	    "created_at, waiting_for, retry_at) SELECT 'count', '{}', CASE "
	    "WHEN x <= 3000 THEN 'queued' ELSE 'retrying' END, 1, CASE WHEN "
	    "x <= 3000 THEN '[1]' END, CASE WHEN x > 3000 THEN "
	    "9000000000000 + x END FROM n;"
	    "UPDATE tasks SET state = 'running', watch_ms = 5000, "
	    "watched_at = 1, waiting_for = NULL, runner_pid = 7, "
	    "runner_start = 8 WHERE id IN (1500, 2500);"
	    "UPDATE tasks SET slurm_job = 42, runner_pid = 9, runner_start "
	    "= 10, launched_at = 1, waiting_for = NULL WHERE id = 2000;";
	struct store	*st = open_db();
	struct tended	 v[8];
	struct hg_err	 e;
	int64_t		 ids[8], at = 0;
	struct sched	 sc = { 4, NULL, NULL, ids, 8, 0, 0, NULL };
	int		 seen = 0;

	CHECK_INT(sqlite3_exec(st->db, fill, NULL, NULL, NULL), SQLITE_OK);

	/* Each once to prepare it, then counted. */
	CHECK_INT(store_tended(st, 0, v, 8), 2);
	(void)steps(st, S_TENDED);
	CHECK_INT(store_tended(st, 0, v, 8), 2);
	CHECK(few_steps(steps(st, S_TENDED)));

	CHECK_INT(store_active_runners(st, count_seen, &seen), 3);
	(void)steps(st, S_PENDING_RUNNERS);
	CHECK_INT(store_active_runners(st, count_seen, &seen), 3);
	CHECK(few_steps(steps(st, S_PENDING_RUNNERS)));

	CHECK_INT(store_retry_next(st, &at, &e), 0);
	(void)steps(st, S_RETRY_NEXT);
	CHECK_INT(store_retry_next(st, &at, &e), 0);
	CHECK(at == 9000000000000 + 3001);
	CHECK(few_steps(steps(st, S_RETRY_NEXT)));

	/* Nothing waits for a slot, and no retry is due. */
	CHECK_INT(store_sched_take(st, &sc, &e), 0);
	(void)steps(st, S_ANY_WAITING);
	CHECK_INT(store_sched_take(st, &sc, &e), 0);
	CHECK(few_steps(steps(st, S_ANY_WAITING)));
	CHECK_INT(sc.n + sc.promoted, 0);

	/* One retry due: it alone is queued again, and starts. */
	CHECK_INT(sqlite3_exec(st->db, "UPDATE tasks SET retry_at = 5 "
	    "WHERE id = 4000", NULL, NULL, NULL), SQLITE_OK);
	(void)steps(st, S_RETRY_DUE);
	CHECK_INT(store_sched_take(st, &sc, &e), 1);
	CHECK_INT(sc.promoted, 1);
	CHECK_INT(sc.n, 1);
	CHECK(sc.n == 1 && ids[0] == 4000);
	CHECK(few_steps(steps(st, S_RETRY_DUE)));
	store_close(st);
}

static const struct unit_test tests[] = {
	UNIT(janitor_pass_compiles_no_statement_again),
	UNIT(active_runners_sees_each_of_1100_running_tasks),
	UNIT(active_runners_read_the_kind),
	UNIT(janitor_reads_do_not_grow_with_the_queue),
};

int
main(int argc, char **argv)
{
	UNIT_MAIN(tests, argc, argv);
}
