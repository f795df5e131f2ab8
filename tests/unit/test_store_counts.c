/*
 * sql/018: the tasks held by kind and state, kept by triggers as tasks
 * change, read by /api/metrics instead of counting every task. Each
 * test compares what store_metrics() reports with a count of the tasks
 * themselves. Helpers: store_test.h.
 */
#include <sqlite3.h>

#include "store_test.h"
#include "store/store_int.h"

#define COUNTS_MAX	64

struct counts {
	int	 n;
	char	 text[COUNTS_MAX][64];	/* "kind state n", in order */
};

static void
metric_row(void *arg, const char *name, const char *kind, const char *state,
    int64_t v)
{
	struct counts	*c = arg;

	if (strcmp(name, "tasks") != 0 || c->n == COUNTS_MAX)
		return;
	snprintf(c->text[c->n++], sizeof(c->text[0]), "%s %s %lld", kind,
	    state, (long long)v);
}

/* What /api/metrics reports of the tasks, as one line. */
static void
metric_counts(struct store *st, char *out, size_t len)
{
	struct counts	 c;
	struct hg_err	 e;
	size_t		 at = 0;
	int		 i;

	memset(&c, 0, sizeof(c));
	CHECK_INT(store_metrics(st, metric_row, &c, &e), 0);
	out[0] = '\0';
	for (i = 0; i < c.n && at < len; i++)
		at += (size_t)snprintf(out + at, len - at, "%s|", c.text[i]);
}

/* The same, counted from the tasks themselves. */
static void
true_counts(sqlite3 *db, char *out, size_t len)
{
	sqlite3_stmt	*s;
	size_t		 at = 0;

	out[0] = '\0';
	CHECK_INT(sqlite3_prepare_v2(db, "SELECT kind, state, count(*) FROM "
	    "tasks GROUP BY kind, state ORDER BY kind, state", -1, &s, NULL),
	    SQLITE_OK);
	while (sqlite3_step(s) == SQLITE_ROW && at < len)
		at += (size_t)snprintf(out + at, len - at, "%s %s %lld|",
		    (const char *)sqlite3_column_text(s, 0),
		    (const char *)sqlite3_column_text(s, 1),
		    (long long)sqlite3_column_int64(s, 2));
	sqlite3_finalize(s);
}

static void
check_counts(struct store *st, sqlite3 *db, int line)
{
	char	 got[4096], want[4096];

	metric_counts(st, got, sizeof(got));
	true_counts(db, want, sizeof(want));
	if (strcmp(got, want) != 0) {
		char	 msg[8300];

		snprintf(msg, sizeof(msg), "metrics say %s, the tasks %s",
		    got, want);
		unit_fail(__FILE__, line, msg);
	}
}

extern const char *const store_migrations[];

/* A database of version 17 with tasks in it: the migration counts them. */
static void
migration_18_counts_the_tasks_already_held(void)
{
	struct store	*st;
	sqlite3		*db;
	char		 err[512] = "";
	int		 i;

	CHECK_INT(sqlite3_open(db_path(), &db), SQLITE_OK);
	for (i = 0; i < 17; i++)
		CHECK_INT(sqlite3_exec(db, store_migrations[i], NULL, NULL,
		    NULL), SQLITE_OK);
	CHECK_INT(sqlite3_exec(db,
	    "PRAGMA user_version = 17;"
	    "INSERT INTO tasks (kind, params, state, created_at) VALUES "
	    "('count', '{}', 'queued', 1), ('count', '{}', 'queued', 2),"
	    "('count', '{}', 'succeeded', 3), ('sleep', '{}', 'failed', 4),"
	    "('sleep', '{}', 'running', 5);", NULL, NULL, NULL), SQLITE_OK);
	st = store_open(db_path(), 1, err, sizeof(err));
	CHECK(st != NULL);
	CHECK_STR(err, "");
	check_counts(st, db, __LINE__);
	{
		char	 got[4096];

		metric_counts(st, got, sizeof(got));
		CHECK_STR(got, "count queued 2|count succeeded 1|"
		    "sleep failed 1|sleep running 1|");
	}
	store_close(st);
	sqlite3_close(db);
}

/*
 * Creates, claims, ends, stops and deletes through the store, and
 * writes by another connection that knows nothing of the counts (an
 * older binary, the sqlite3 shell): the counts follow every one.
 */
static void
counts_follow_every_writer(void)
{
	static const char *const kinds[] = { "count", "sleep", "other" };
	static const char *const states[] = { "succeeded", "failed",
	    "canceled", "lost" };
	struct store	*st = open_db();
	struct runner_ref ref;
	struct hg_err	 e;
	sqlite3		*db;
	char		 sql[256];
	cJSON		*t;
	int64_t		 id, n = 0;
	unsigned	 seed = 7;
	int		 i;

	CHECK_INT(sqlite3_open(db_path(), &db), SQLITE_OK);
	sqlite3_busy_timeout(db, 5000);
	check_counts(st, db, __LINE__);
	for (i = 0; i < 600; i++) {
		seed = seed * 1103515245u + 12345u;
		switch ((seed >> 16) % 6) {
		case 0:
		case 1:
			n = create(st, kinds[(seed >> 8) % 3], NULL);
			break;
		case 2:
			if (n > 0 && strcmp(state_of(st, n), "queued") == 0)
				claim(st, n, 100 + n);
			break;
		case 3:
			id = 1 + (int64_t)((seed >> 4) % (uint64_t)(n + 1));
			(void)finish(st, id, states[(seed >> 9) % 4]);
			break;
		case 4:
			id = 1 + (int64_t)((seed >> 4) % (uint64_t)(n + 1));
			t = NULL;
			if (store_task_stop(st, id, &t, &ref, &e) == 0)
				cJSON_Delete(t);
			(void)store_task_delete(st, id, &e);
			break;
		default:
			/* Another writer: a kind renamed, a state set, a
			 * task deleted, straight in SQL. */
			id = 1 + (int64_t)((seed >> 4) % (uint64_t)(n + 1));
			snprintf(sql, sizeof(sql), (seed >> 12) % 3 == 0 ?
			    "UPDATE tasks SET kind = 'renamed' WHERE id = %lld" :
			    (seed >> 12) % 3 == 1 ?
			    "UPDATE tasks SET state = 'lost' WHERE id = %lld" :
			    "DELETE FROM tasks WHERE id = %lld", (long long)id);
			CHECK_INT(sqlite3_exec(db, sql, NULL, NULL, NULL),
			    SQLITE_OK);
		}
		if (i % 50 == 49)
			check_counts(st, db, __LINE__);
	}
	check_counts(st, db, __LINE__);
	sqlite3_close(db);
	store_close(st);
}

/* A kind and state whose tasks are all gone is left out, as before. */
static void
counts_at_zero_are_left_out(void)
{
	struct store	*st = open_db();
	struct hg_err	 e;
	char		 got[4096];

	create(st, "count", NULL);
	create(st, "sleep", NULL);
	CHECK_INT(finish(st, 1, "succeeded"), 0);
	CHECK_INT(store_task_delete(st, 1, &e), 0);
	metric_counts(st, got, sizeof(got));
	CHECK_STR(got, "sleep queued 1|");
	store_close(st);
}

static int64_t	 vm_steps;	/* of the statements run since zeroed */

static int
count_steps(unsigned type, void *arg, void *p, void *x)
{
	(void)arg;
	(void)x;
	if (type == SQLITE_TRACE_PROFILE)
		vm_steps += sqlite3_stmt_status(p, SQLITE_STMTSTATUS_VM_STEP, 1);
	return 0;
}

/* The virtual machine's steps of one create under a queue limit. */
static int64_t
create_steps(struct store *st)
{
	struct create_opts	 o = { .max_queued = 100000 };

	vm_steps = 0;
	create_with(st, "count", NULL, &o);
	return vm_steps;
}

/* A create under HOURGLASS_MAX_QUEUED reads the counts, not the queue:
 * it takes as many steps behind 2,000 waiting tasks as behind 10. */
static void
queue_limit_costs_the_same_however_long_the_queue(void)
{
	struct store	*st = open_db();
	int64_t		 few, many;
	int		 i;

	for (i = 0; i < 10; i++)
		create(st, i % 2 ? "count" : "sleep", NULL);
	CHECK_INT(sqlite3_trace_v2(st->db, SQLITE_TRACE_PROFILE, count_steps,
	    NULL), SQLITE_OK);
	(void)create_steps(st);		/* statements prepared */
	few = create_steps(st);
	for (i = 0; i < 2000; i++)
		create(st, i % 2 ? "count" : "sleep", NULL);
	many = create_steps(st);
	CHECK(few > 0);
	CHECK(many - few < 50);
	store_close(st);
}

static const struct unit_test tests[] = {
	UNIT(migration_18_counts_the_tasks_already_held),
	UNIT(counts_follow_every_writer),
	UNIT(counts_at_zero_are_left_out),
	UNIT(queue_limit_costs_the_same_however_long_the_queue),
};

int
main(int argc, char **argv)
{
	UNIT_MAIN(tests, argc, argv);
}
