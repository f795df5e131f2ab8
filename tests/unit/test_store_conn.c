/*
 * lib/store/conn.c: opening (with and without migrations), closing, and what
 * a second connection to the same file sees. Helpers: store_test.h.
 */
#include <sqlite3.h>

#include "store_test.h"

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

static const struct unit_test tests[] = {
	UNIT(migration_9_keeps_events_and_their_sequence),
	UNIT(open_with_migrate_gives_working_store),
	UNIT(open_without_migrate_refuses_unmigrated_db),
	UNIT(open_without_migrate_accepts_migrated_db),
	UNIT(open_with_migrate_twice_keeps_tasks),
	UNIT(close_accepts_null),
	UNIT(second_connection_sees_first_ones_writes),
};

int
main(int argc, char **argv)
{
	UNIT_MAIN(tests, argc, argv);
}
