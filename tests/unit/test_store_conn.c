/*
 * lib/store/conn.c: opening (with and without migrations), closing, and what
 * a second connection to the same file sees. Helpers: store_test.h.
 */
#include <sys/stat.h>

#include <limits.h>
#include <stdio.h>

#include <sqlite3.h>

#include "store/store_int.h"
#include "store_test.h"
#include "walvfs.h"

static void
open_with_migrate_gives_working_store(void)
{
	struct store	*st;
	char		 err[512] = "";

	st = store_open(db_path(), 1, err, sizeof(err));
	CHECK(st != NULL);
	CHECK_STR(err, "");
	CHECK_INT(store_ping(st), 0);
	CHECK_INT(event_last(st), 0);
	CHECK_STR(list_ids(st, NULL, NULL, 0, 50), "");
	store_close(st);
}

static void
open_without_migrate_refuses_unmigrated_db(void)
{
	struct store	*st;
	char		 err[512] = "";

	st = store_open(db_path(), 0, err, sizeof(err));
	CHECK(st == NULL);
	CHECK(err[0] != '\0');
	store_close(st);
}

static void
open_without_migrate_accepts_migrated_db(void)
{
	struct store	*st = open_db(), *st2;
	char		 err[512] = "";

	store_close(st);
	st2 = store_open(db_path(), 0, err, sizeof(err));
	CHECK(st2 != NULL);
	CHECK_STR(err, "");
	CHECK_INT(store_ping(st2), 0);
	store_close(st2);
}

static void
open_with_migrate_twice_keeps_tasks(void)
{
	struct store	*st = open_db();

	CHECK_INT(create(st, "count", "a"), 1);
	store_close(st);
	st = open_db();
	CHECK_STR(state_of(st, 1), "queued");
	store_close(st);
}

static void
close_accepts_null(void)
{
	store_close(NULL);
}

/* ---- create and get ---- */

static void
second_connection_sees_first_ones_writes(void)
{
	struct store	*st = open_db(), *st2;
	struct progress	 p = { 3, 6, "half" };
	struct hg_err	 e;
	char		 err[512] = "";
	cJSON		*t = NULL;

	st2 = store_open(db_path(), 0, err, sizeof(err));
	CHECK(st2 != NULL);
	if (st2 == NULL) {
		store_close(st);
		return;
	}
	/* Read first, so that a snapshot held open would show. */
	CHECK_INT(store_task_get(st2, 1, &t, &e), -1);
	CHECK_INT(event_last(st2), 0);
	create(st, "count", "x");
	CHECK_STR(state_of(st2, 1), "queued");
	claim(st, 1, 100);
	CHECK_INT(store_task_progress(st, 1, &p, &e), 0);
	CHECK_STR(state_of(st2, 1), "running");
	CHECK_INT(event_last(st2), event_last(st));
	CHECK_STR(list_ids(st2, "running", NULL, 0, 50), "1");
	/* And the other way round. */
	CHECK_INT(finish(st2, 1, "succeeded"), 0);
	CHECK_STR(state_of(st, 1), "succeeded");
	store_close(st2);
	store_close(st);
}

extern const char *const store_migrations[];

/*
 * Migration 9 rebuilds the events table: every event stays as it was,
 * and the sequence goes on from where it was, even past events that
 * were deleted, so that no event id is ever given twice.
 */
static void
migration_9_keeps_events_and_their_sequence(void)
{
	struct store	*st;
	struct evs	 l;
	sqlite3		*db;
	char		 err[512] = "";
	int		 i;

	CHECK_INT(sqlite3_open(db_path(), &db), SQLITE_OK);
	for (i = 0; i < 8; i++)
		CHECK_INT(sqlite3_exec(db, store_migrations[i], NULL, NULL,
		    NULL), SQLITE_OK);
	CHECK_INT(sqlite3_exec(db,
	    "PRAGMA user_version = 8;"
	    "INSERT INTO tasks (kind, params, state, created_at) "
	    "VALUES ('count', '{}', 'queued', 1);"
	    "INSERT INTO events (task_id, type, state, data, at) VALUES "
	    "(1, 'state', 'queued', '{\"id\":1}', 1),"
	    "(1, 'log', NULL, '{\"task\":1}', 2),"
	    "(1, 'log', NULL, '{\"task\":1}', 3);"
	    "DELETE FROM events WHERE id = 3;", NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);

	st = store_open(db_path(), 1, err, sizeof(err));
	CHECK(st != NULL);
	CHECK_STR(err, "");
	CHECK_INT(event_last(st), 3);
	CHECK_INT(evs_read(st, 0, 0, &l), 2);
	CHECK_INT(l.v[0].id, 1);
	CHECK_STR(l.v[0].type, "state");
	CHECK_STR(l.v[1].data, "{\"task\":1}");
	evs_free(&l);
	create(st, "count", "after");
	CHECK_INT(evs_read(st, 2, 0, &l), 1);
	CHECK_INT(l.v[0].id, 4);
	evs_free(&l);
	store_close(st);
}

/* Every column of sql/001 to sql/010, of every task, as one text. */
#define OLD_COLUMNS							\
	"SELECT group_concat(quote(id) || quote(kind) || quote(name) || "	\
	"quote(params) || quote(state) || quote(value) || quote(total) || "	\
	"quote(message) || quote(created_at) || quote(started_at) || "	\
	"quote(finished_at) || quote(exit_code) || quote(error_code) || "	\
	"quote(error_message) || quote(stop_requested) || "		\
	"quote(runner_pid) || quote(runner_start) || quote(launched_at) || " \
	"quote(thinned) || quote(watch_ms) || quote(watched_at) || "	\
	"quote(external) || quote(report_hash) || quote(heartbeat_ms) || " \
	"quote(grace_ms) || quote(reported_at) || quote(stop_code) || "	\
	"quote(stop_message) || quote(stop_at) || quote(data_count) || "	\
	"quote(data_bytes) || quote(data_full) || quote(result) || "	\
	"quote(rerun_of), '|') FROM (SELECT * FROM tasks ORDER BY id)"

/* The text of the first column of sql's one row, malloc'd, or NULL. */
static char *
db_text(sqlite3 *db, const char *sql)
{
	sqlite3_stmt	*s;
	char		*v = NULL;

	if (sqlite3_prepare_v2(db, sql, -1, &s, NULL) != SQLITE_OK)
		return NULL;
	if (sqlite3_step(s) == SQLITE_ROW && sqlite3_column_text(s, 0) != NULL)
		v = strdup((const char *)sqlite3_column_text(s, 0));
	sqlite3_finalize(s);
	return v;
}

/*
 * Migration 11 rebuilds the tasks table so that its CHECK admits
 * retrying: every task keeps every column, the indexes are all there,
 * the idempotency keys (ON DELETE CASCADE from tasks) stay, and the id
 * sequence goes on past a task that was deleted.
 */
static void
migration_11_keeps_tasks_keys_indexes_and_their_sequence(void)
{
	struct store	*st;
	struct create_opts o = { .idem_key = "key-1" };
	struct hg_err	 e;
	sqlite3		*db;
	cJSON		*t = NULL;
	char		 err[512] = "", *before, *after, *idx;
	int		 i, rc;

	CHECK_INT(sqlite3_open(db_path(), &db), SQLITE_OK);
	for (i = 0; i < 10; i++)
		CHECK_INT(sqlite3_exec(db, store_migrations[i], NULL, NULL,
		    NULL), SQLITE_OK);
	rc = sqlite3_exec(db,
	    "PRAGMA user_version = 10;"
	    "PRAGMA foreign_keys = ON;"
	    "INSERT INTO tasks (kind, name, params, state, value, total, "
	    "message, created_at, started_at, finished_at, exit_code, "
	    "error_code, error_message, stop_requested, runner_pid, "
	    "runner_start, thinned, data_count, data_bytes, data_full, "
	    "result, rerun_of) VALUES ('count', 'old', '{\"total\":3}', "
	    "'failed', 2, 3, 'two', 10, 11, 12, 3, 'exit_code', 'exit 3', 1, "
	    "77, 78, 1, 2, 40, 0, '{\"r\":[1,2]}', NULL);"
	    "INSERT INTO tasks (kind, params, state, created_at, launched_at, "
	    "watch_ms, watched_at, external, report_hash, heartbeat_ms, "
	    "grace_ms, reported_at, stop_code, stop_message, stop_at, "
	    "rerun_of) VALUES ('far', '{}', 'running', 20, 21, 5000, 22, 1, "
	    "x'00ff', 60000, 5000, 23, 'unwatched', 'nobody', 24, 1);"
	    "INSERT INTO tasks (kind, params, state, created_at) "
	    "VALUES ('count', '{}', 'queued', 30);"
	    "INSERT INTO idempotency (key, task_id, created_at) "
	    "VALUES ('key-1', 2, 9000000000000);"
	    "INSERT INTO events (task_id, type, state, data, at) VALUES "
	    "(1, 'state', 'failed', '{\"id\":1}', 12);"
	    "DELETE FROM tasks WHERE id = 3;", NULL, NULL, NULL);
	CHECK_INT(rc, SQLITE_OK);
	before = db_text(db, OLD_COLUMNS);
	sqlite3_close(db);
	CHECK(before != NULL);

	st = store_open(db_path(), 1, err, sizeof(err));
	CHECK(st != NULL);
	CHECK_STR(err, "");
	if (st == NULL) {
		free(before);
		return;
	}
	CHECK_INT(sqlite3_open(db_path(), &db), SQLITE_OK);
	after = db_text(db, OLD_COLUMNS);
	CHECK_STR(after, before);
	/* The new columns: one attempt each, nothing to retry. */
	free(after);
	after = db_text(db, "SELECT group_concat(attempt || '/' || attempts "
	    "|| '/' || quote(retry_at) || '/' || quote(retry_on), ' ') "
	    "FROM tasks");
	CHECK_STR(after, "1/1/NULL/NULL 1/1/NULL/NULL");
	idx = db_text(db, "SELECT group_concat(name, ' ') FROM (SELECT name "
	    "FROM sqlite_schema WHERE type = 'index' AND tbl_name = 'tasks' "
	    "AND sql IS NOT NULL ORDER BY name)");
	CHECK_STR(idx, "tasks_busy_kind tasks_finished tasks_kind "
	    "tasks_retrying tasks_slurm_pending tasks_state tasks_tended "
	    "tasks_unthinned tasks_waiting tasks_waiting_kind");
	free(idx);
	idx = db_text(db, "SELECT group_concat(name, ' ') FROM (SELECT name "
	    "FROM sqlite_schema WHERE name LIKE '%new' OR name LIKE "
	    "'%kept')");
	CHECK(idx == NULL);
	free(idx);
	/* The CHECK admits retrying now. */
	CHECK_INT(sqlite3_exec(db, "UPDATE tasks SET state = 'retrying' "
	    "WHERE id = 2; UPDATE tasks SET state = 'running' WHERE id = 2",
	    NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);
	/* The key still names task 2; the next task is 4, not 3. */
	CHECK_INT(store_task_create_opts(st, "count", NULL, PARAMS, &o, &t,
	    &e), 1);
	t = client_view(t);
	CHECK_INT(int_of(t, "id"), 2);
	cJSON_Delete(t);
	CHECK_INT(create(st, "count", "new"), 4);
	CHECK_INT(event_last(st), 2);
	free(before);
	free(after);
	store_close(st);
}

/* Checks st's page size and the log, in pages, a commit checkpoints
 * past. */
static void
check_pages(struct store *st, const char *size, const char *autocheckpoint)
{
	char	*v;

	v = db_text(st->db, "PRAGMA page_size");
	CHECK_STR(v, size);
	free(v);
	v = db_text(st->db, "PRAGMA wal_autocheckpoint");
	CHECK_STR(v, autocheckpoint);
	free(v);
}

/*
 * A new database has pages of 1 KiB (conn.c says why); one made before,
 * with SQLite's 4 KiB, keeps them. Either checkpoints in a commit only
 * past 16 MiB of log.
 */
static void
new_database_has_small_pages_an_old_one_keeps_its_own(void)
{
	struct store	*st = open_db();
	sqlite3		*db;
	char		 err[512] = "";

	check_pages(st, "1024", "16384");
	store_close(st);

	snprintf(dbpath, sizeof(dbpath), "%s/old.db", unit_dir);
	CHECK_INT(sqlite3_open(dbpath, &db), SQLITE_OK);
	CHECK_INT(sqlite3_exec(db, "PRAGMA page_size = 4096;"
	    "PRAGMA journal_mode = WAL; CREATE TABLE kept (x);", NULL, NULL,
	    NULL), SQLITE_OK);
	sqlite3_close(db);
	st = store_open(dbpath, 1, err, sizeof(err));
	CHECK_STR(err, "");
	if (st == NULL)
		return;
	check_pages(st, "4096", "4096");
	CHECK_INT(create(st, "count", "in old pages"), 1);
	store_close(st);
}

/* A create's commit (its task, its event, their indexes: a dozen
 * frames) reaches the log in one write (lib/walvfs.c). */
static void
a_commit_is_one_write_to_the_log(void)
{
	struct store	*st = open_db();
	sqlite3_file	*f = NULL;
	int		 before;

	CHECK_INT(create(st, "count", "a"), 1);
	CHECK_INT(sqlite3_file_control(st->db, "main",
	    SQLITE_FCNTL_JOURNAL_POINTER, &f), SQLITE_OK);
	before = f != NULL ? walvfs_writes(f) : -1;
	CHECK(before >= 1);
	CHECK_INT(create(st, "count", "b"), 2);
	if (f != NULL)
		CHECK_INT(walvfs_writes(f) - before, 1);
	store_close(st);
}

/* A write that fails for want of room is what /api/health reports,
 * with the system's reason, until a write that changes rows commits: a
 * transaction that changes none says nothing of the disk. */
static void
a_write_failure_is_told_until_a_write_commits(void)
{
	struct store		*st = open_db();
	struct create_opts	 o = { .idem_key = NULL };
	struct hg_err		 e;
	cJSON			*t = NULL;
	char			 why[160];

	CHECK_INT(store_failing(why, sizeof(why)), 0);
	walvfs_fail_next_flush(SQLITE_FULL);
	CHECK_INT(store_task_create_opts(st, "count", "a", PARAMS, &o, &t,
	    &e), -1);
	CHECK(t == NULL);
	walvfs_fail_next_flush(SQLITE_OK);
	CHECK_INT(store_failing(why, sizeof(why)), 1);
	CHECK_HAS(why, "full");
	CHECK_INT(store__begin(st, 1, &e), 0);
	CHECK_INT(store__commit(st, &e), 0);
	CHECK_INT(store_failing(why, sizeof(why)), 1);
	CHECK(create(st, "count", "b") > 0);
	CHECK_INT(store_failing(why, sizeof(why)), 0);
	store_close(st);
}

/* A log that a burst made larger than 16 MiB goes back to 16 MiB once
 * it is checkpointed and begins again, rather than keep its peak. */
static void
a_grown_log_goes_back_to_its_limit(void)
{
	struct store	*st = open_db();
	struct stat	 sb;
	char		 wal[PATH_MAX + 256];
	int		 i;

	snprintf(wal, sizeof(wal), "%s-wal", db_path());
	CHECK_INT(sqlite3_exec(st->db, "CREATE TABLE scratch (b BLOB)", NULL,
	    NULL, NULL), SQLITE_OK);
	CHECK_INT(sqlite3_exec(st->db, "BEGIN", NULL, NULL, NULL), SQLITE_OK);
	for (i = 0; i < 24; i++)
		CHECK_INT(sqlite3_exec(st->db, "INSERT INTO scratch VALUES "
		    "(randomblob(1048576))", NULL, NULL, NULL), SQLITE_OK);
	CHECK_INT(sqlite3_exec(st->db, "COMMIT", NULL, NULL, NULL), SQLITE_OK);
	CHECK(stat(wal, &sb) == 0 && sb.st_size > 24 * 1048576);
	CHECK_INT(store_checkpoint(st), 0);
	/* The next commit, a small one, begins the log again. */
	CHECK_INT(sqlite3_exec(st->db, "INSERT INTO scratch VALUES (1)", NULL,
	    NULL, NULL), SQLITE_OK);
	CHECK(stat(wal, &sb) == 0);
	CHECK(sb.st_size <= 16 * 1048576);
	store_close(st);
}

static const struct unit_test tests[] = {
	UNIT(a_grown_log_goes_back_to_its_limit),
	UNIT(a_write_failure_is_told_until_a_write_commits),
	UNIT(migration_9_keeps_events_and_their_sequence),
	UNIT(migration_11_keeps_tasks_keys_indexes_and_their_sequence),
	UNIT(open_with_migrate_gives_working_store),
	UNIT(open_without_migrate_refuses_unmigrated_db),
	UNIT(open_without_migrate_accepts_migrated_db),
	UNIT(open_with_migrate_twice_keeps_tasks),
	UNIT(close_accepts_null),
	UNIT(second_connection_sees_first_ones_writes),
	UNIT(new_database_has_small_pages_an_old_one_keeps_its_own),
	UNIT(a_commit_is_one_write_to_the_log),
};

int
main(int argc, char **argv)
{
	UNIT_MAIN(tests, argc, argv);
}
