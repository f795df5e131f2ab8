#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "store_int.h"
#include "walvfs.h"

/* The files of sql/, in order (build/gen/migrations.c). */
extern const char *const store_migrations[];
extern const size_t store_nmigrations;

/* The process's last lasting failure (store_failing): when
 * (hg_mono_ms; 0: none since the last write committed) and why. */
static _Atomic int64_t	 failed_at;
static pthread_mutex_t	 failed_mu = PTHREAD_MUTEX_INITIALIZER;
static char		 failed_msg[160];

/* SQLite's words for the connection's last error, and the system's
 * where it has them: "disk I/O error" alone does not say the disk is
 * full. */
static void
errmsg(struct store *st, char *msg, size_t len)
{
	int	 code = sqlite3_extended_errcode(st->db), en = 0;

	/* The system's errno is kept from the last error that had one:
	 * only an error of the system's own is said with it. */
	if ((code & 0xff) == SQLITE_IOERR || (code & 0xff) == SQLITE_CANTOPEN ||
	    (code & 0xff) == SQLITE_FULL)
		en = sqlite3_system_errno(st->db);
	if (en == 0 && code == SQLITE_IOERR_WRITE)
		en = walvfs_errno(st->db);
	if (en != 0)
		snprintf(msg, len, "%s (%s)", sqlite3_errmsg(st->db),
		    strerror(en));
	else
		snprintf(msg, len, "%s", sqlite3_errmsg(st->db));
}

static void
failed(struct store *st, int rc)
{
	switch (rc & 0xff) {
	case SQLITE_FULL:
	case SQLITE_IOERR:
	case SQLITE_READONLY:
	case SQLITE_CANTOPEN:
	case SQLITE_PERM:
	case SQLITE_CORRUPT:
	case SQLITE_NOTADB:
		pthread_mutex_lock(&failed_mu);
		errmsg(st, failed_msg, sizeof(failed_msg));
		failed_at = hg_mono_ms();
		pthread_mutex_unlock(&failed_mu);
		break;
	}
}

int
store_failing(char *msg, size_t len)
{
	int64_t	 at;
	int	 rc;

	if (atomic_load(&failed_at) == 0)
		return 0;
	pthread_mutex_lock(&failed_mu);
	at = failed_at;
	if ((rc = at != 0 && hg_mono_ms() - at < HG_DB_FAILING_MS))
		snprintf(msg, len, "%s", failed_msg);
	pthread_mutex_unlock(&failed_mu);
	return rc;
}

/* Maps a failed SQLite call to the client's error. */
int
store__err(struct store *st, int rc, struct hg_err *e)
{
	char	 msg[sizeof(failed_msg)];

	failed(st, rc);
	if (rc == SQLITE_BUSY || rc == SQLITE_LOCKED)
		return hg_err_set(e, 503, "unavailable",
		    "the database is busy; try again");
	if (rc == SQLITE_NOMEM)
		return hg_err_set(e, 503, "unavailable", "out of memory");
	errmsg(st, msg, sizeof(msg));
	return hg_err_set(e, 503, "unavailable", "database error: %s", msg);
}

/* Returns the statement, prepared once and reset for use, or NULL. */
sqlite3_stmt *
store__stmt(struct store *st, const struct store_sql *q)
{
	sqlite3_stmt	*s = st->stmt[q->slot];

	if (s == NULL) {
		if (sqlite3_prepare_v3(st->db, q->text, -1,
		    SQLITE_PREPARE_PERSISTENT, &st->stmt[q->slot], NULL) !=
		    SQLITE_OK)
			return NULL;
		return st->stmt[q->slot];
	}
	sqlite3_reset(s);
	sqlite3_clear_bindings(s);
	return s;
}

/* Steps a statement that returns no row and resets it. Returns 0, or
 * -1 with e set. */
int
store__step_done(struct store *st, sqlite3_stmt *s, struct hg_err *e)
{
	int	 rc = sqlite3_step(s);

	sqlite3_reset(s);
	return rc == SQLITE_DONE ? 0 : store__err(st, rc, e);
}

/* Runs a statement that returns no row. */
int
store__exec(struct store *st, const struct store_sql *q, struct hg_err *e)
{
	sqlite3_stmt	*s;

	if ((s = store__stmt(st, q)) == NULL)
		return store__err(st, sqlite3_errcode(st->db), e);
	return store__step_done(st, s, e);
}

/* Runs a statement whose one parameter (?1) is an integer. */
int
store__exec_id(struct store *st, const struct store_sql *q, int64_t id,
    struct hg_err *e)
{
	sqlite3_stmt	*s;

	if ((s = store__stmt(st, q)) == NULL)
		return store__err(st, sqlite3_errcode(st->db), e);
	sqlite3_bind_int64(s, 1, id);
	return store__step_done(st, s, e);
}

/* Lets the write gate go, if held: the transaction has ended. */
static void
ungate(struct store *st)
{
	if (st->gated) {
		gate_leave(st->gate);
		st->gated = 0;
	}
}

static const struct store_sql q_begin = { S_BEGIN, "BEGIN" };
/* IMMEDIATE: a deferred read-then-write gets SQLITE_BUSY at
 * once; sqlite.h.in says the busy handler is skipped there. */
static const struct store_sql q_begin_imm = { S_BEGIN_IMM,
    "BEGIN IMMEDIATE" };
static const struct store_sql q_commit = { S_COMMIT, "COMMIT" };
static const struct store_sql q_rollback = { S_ROLLBACK, "ROLLBACK" };
static const struct store_sql q_savepoint = { S_SAVEPOINT, "SAVEPOINT one" };
static const struct store_sql q_release = { S_RELEASE, "RELEASE one" };
static const struct store_sql q_rollback_to = { S_ROLLBACK_TO,
    "ROLLBACK TO one" };

int
store__savepoint(struct store *st, struct hg_err *e)
{
	return store__exec(st, &q_savepoint, e);
}

/* Ends the savepoint, keeping what it did (keep) or undoing it. */
int
store__release(struct store *st, int keep, struct hg_err *e)
{
	if (!keep && store__exec(st, &q_rollback_to, e) == -1)
		return -1;
	return store__exec(st, &q_release, e);
}

/* A write transaction waits for the gate first (gate.h); past its
 * timeout it goes on without, to SQLite's busy handler. */
int
store__begin(struct store *st, int write, struct hg_err *e)
{
	if (write && st->gate != NULL && !st->gated)
		st->gated = gate_enter(st->gate, HG_BUSY_MS) == 0;
	if (store__exec(st, write ? &q_begin_imm : &q_begin, e) == 0) {
		st->changes = sqlite3_total_changes64(st->db);
		return 0;
	}
	ungate(st);
	return -1;
}

int
store__commit(struct store *st, struct hg_err *e)
{
	int	 rc = 0, wrote;

	/* Rows changed: a transaction BEGIN IMMEDIATE made is a write one
	 * whether it writes or not. */
	wrote = sqlite3_total_changes64(st->db) != st->changes;
	if (store__exec(st, &q_commit, e) == -1) {
		store__exec(st, &q_rollback, NULL);
		rc = -1;
	} else if (wrote && atomic_load(&failed_at) != 0) {
		/* Written: whatever failed before is mended. */
		pthread_mutex_lock(&failed_mu);
		failed_at = 0;
		pthread_mutex_unlock(&failed_mu);
	}
	ungate(st);
	return rc;
}

/* Commits a transaction that made *task; on failure frees it. */
int
store__commit_task(struct store *st, cJSON **task, struct hg_err *e)
{
	if (store__commit(st, e) == 0)
		return 0;
	cJSON_Delete(*task);
	*task = NULL;
	return -1;
}

void
store__rollback(struct store *st)
{
	if (!sqlite3_get_autocommit(st->db))
		store__exec(st, &q_rollback, NULL);
	ungate(st);
}

void
store__bind_text(sqlite3_stmt *s, int i, const char *t)
{
	if (t == NULL)
		sqlite3_bind_null(s, i);
	else
		sqlite3_bind_text(s, i, t, -1, SQLITE_TRANSIENT);
}

/* Reads the integer a pragma answers into *v (dflt if none). Returns 0,
 * or -1 (the error is the connection's). */
static int
pragma_int(sqlite3 *db, const char *sql, int64_t dflt, int64_t *v)
{
	sqlite3_stmt	*s;

	*v = dflt;
	if (sqlite3_prepare_v2(db, sql, -1, &s, NULL) != SQLITE_OK)
		return -1;
	if (sqlite3_step(s) == SQLITE_ROW)
		*v = sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	return 0;
}

static int
apply_migrations(struct store *st, char *err, size_t errlen)
{
	struct hg_err	 e;
	int64_t		 version;
	size_t		 i = 0;
	char		 sql[64];

	if (store__begin(st, 1, &e) == -1)
		goto fail;
	if (pragma_int(st->db, "PRAGMA user_version", 0, &version) == -1)
		goto dbfail;
	if (version > (int64_t)store_nmigrations) {
		snprintf(err, errlen, "the database has schema version %lld, "
		    "newer than this build's %zu", (long long)version,
		    store_nmigrations);
		store__rollback(st);
		return -1;
	}
	for (i = (size_t)version; i < store_nmigrations; i++) {
		if (sqlite3_exec(st->db, store_migrations[i], NULL, NULL,
		    NULL) != SQLITE_OK)
			goto dbfail;
		snprintf(sql, sizeof(sql), "PRAGMA user_version = %zu", i + 1);
		if (sqlite3_exec(st->db, sql, NULL, NULL, NULL) != SQLITE_OK)
			goto dbfail;
	}
	if (store__commit(st, &e) == -1)
		goto fail;
	return 0;
dbfail:
	snprintf(err, errlen, "migration %zu: %s", i + 1,
	    sqlite3_errmsg(st->db));
	store__rollback(st);
	return -1;
fail:
	snprintf(err, errlen, "%s", e.msg);
	return -1;
}

static int
check_version(struct store *st, char *err, size_t errlen)
{
	int64_t		 version;

	if (pragma_int(st->db, "PRAGMA user_version", -1, &version) == -1) {
		snprintf(err, errlen, "%s", sqlite3_errmsg(st->db));
		return -1;
	}
	if (version != (int64_t)store_nmigrations) {
		snprintf(err, errlen, "the database has schema version %lld; "
		    "this build needs %zu", (long long)version,
		    store_nmigrations);
		return -1;
	}
	return 0;
}

/* The log a commit checkpoints past, whatever the page size. */
#define AUTOCHECKPOINT_BYTES	(16 * 1024 * 1024)

/*
 * Waits for another connection's write lock, for up to HG_BUSY_MS.
 * SQLite's own busy timeout sleeps 1, 2, 5, 10 ... 100 ms between tries,
 * longer each time, while a write here holds the lock for well under a
 * millisecond: with a runner per task and a thread per request taking
 * turns, most of the time would go to sleeping. This tries again after
 * 50 us, backing off to 1 ms.
 */
static int
busy_wait(void *arg, int count)
{
	struct store	*st = arg;
	struct timespec	 ts = { 0, 0 };
	int64_t		 now = hg_mono_ms();

	if (count == 0)
		st->busy_since = now;
	else if (now - st->busy_since >= HG_BUSY_MS)
		return 0;
	ts.tv_nsec = count < 20 ? 50000L : count < 200 ? 250000L : 1000000L;
	nanosleep(&ts, NULL);
	return 1;
}

struct store *
store_open(const char *path, int migrate, char *err, size_t errlen)
{
	/*
	 * A new database has pages of 1 KiB, not SQLite's 4: each of the
	 * server and the runners writes, and a transaction begun after
	 * another process's commit finds its page cache dropped, so it
	 * reads again every page it touches (a dozen B-tree paths for a
	 * task's state) and the commit writes each it changed. Smaller
	 * pages copy a quarter of the bytes each way: 1.18x the builtin
	 * tasks a second end to end, for 9% more file at a million tasks
	 * (bench/report-2026-12-06.md). A database made before keeps its
	 * own.
	 */
	static const char pragmas[] =
	    "PRAGMA page_size = 1024;"
	    "PRAGMA journal_mode = WAL;"
	    "PRAGMA synchronous = NORMAL;"
	    "PRAGMA foreign_keys = ON;";
	struct store	*st;
	char		 gpath[PATH_MAX], sql[128];
	int64_t		 page = 0;
	int		 rc, fd;

	if ((st = calloc(1, sizeof(*st))) == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	st->clock = (struct taskjson_clock)TASKJSON_CLOCK_INIT;
	/* A new database is made for its owner alone, as the task logs
	 * are (every log line is in it too); its -wal and -shm take its
	 * mode (SQLite's unix VFS). One made before keeps its own. */
	if (migrate && (fd = open(path, O_WRONLY | O_CREAT | O_EXCL |
	    O_CLOEXEC, 0600)) != -1)
		close(fd);
	rc = sqlite3_open_v2(path, &st->db, SQLITE_OPEN_READWRITE |
	    SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, walvfs_name());
	if (rc != SQLITE_OK) {
		snprintf(err, errlen, "%s: %s", path, st->db != NULL ?
		    sqlite3_errmsg(st->db) : sqlite3_errstr(rc));
		goto fail;
	}
	sqlite3_busy_handler(st->db, busy_wait, st);
	/* Beside the database, as its -wal and -shm are. */
	if ((size_t)snprintf(gpath, sizeof(gpath), "%s-gate", path) <
	    sizeof(gpath))
		st->gate = gate_open(gpath);
	if (sqlite3_exec(st->db, pragmas, NULL, NULL, NULL) != SQLITE_OK ||
	    pragma_int(st->db, "PRAGMA page_size", 0, &page) == -1)
		goto dbfail;
	/* The server checkpoints once a second (store_checkpoint), off
	 * the path of any request or task; a commit does it itself only
	 * past 16 MiB of log, as when no server runs. */
	/* And a log that grew past that once (a burst the checkpoints
	 * could not keep up with) goes back to it when it begins again,
	 * not kept at its peak on the disk. */
	snprintf(sql, sizeof(sql), "PRAGMA wal_autocheckpoint = %lld;"
	    "PRAGMA journal_size_limit = %lld",
	    (long long)(AUTOCHECKPOINT_BYTES / (page > 0 ? page : 1024)),
	    (long long)AUTOCHECKPOINT_BYTES);
	if (sqlite3_exec(st->db, sql, NULL, NULL, NULL) != SQLITE_OK)
		goto dbfail;
	if ((migrate ? apply_migrations(st, err, errlen) :
	    check_version(st, err, errlen)) == -1)
		goto fail;
	/* Prepared now, not on first use: a ROLLBACK that cannot be
	 * prepared when memory runs out would leave the connection inside
	 * its transaction, holding the write lock. */
	if (store__stmt(st, &q_begin) == NULL ||
	    store__stmt(st, &q_begin_imm) == NULL ||
	    store__stmt(st, &q_commit) == NULL ||
	    store__stmt(st, &q_rollback) == NULL)
		goto dbfail;
	return st;
dbfail:
	snprintf(err, errlen, "%s: %s", path, sqlite3_errmsg(st->db));
fail:
	store_close(st);
	return NULL;
}

void
store_close(struct store *st)
{
	size_t	 i;

	if (st == NULL)
		return;
	for (i = 0; i < S_MAX; i++)
		sqlite3_finalize(st->stmt[i]);
	sqlite3_close(st->db);
	ungate(st);
	gate_close(st->gate);
	free(st);
}

/* Runs a statement that returns one integer into *v (0 if no row). */
int
store__query_int(struct store *st, const struct store_sql *q,
    const char *text, int64_t arg, int64_t *v, struct hg_err *e)
{
	sqlite3_stmt	*s;
	int		 rc;

	if ((s = store__stmt(st, q)) == NULL)
		return store__err(st, sqlite3_errcode(st->db), e);
	if (text != NULL)
		sqlite3_bind_text(s, 1, text, -1, SQLITE_STATIC);
	if (arg != 0)
		sqlite3_bind_int64(s, text != NULL ? 2 : 1, arg);
	*v = 0;
	if ((rc = sqlite3_step(s)) == SQLITE_ROW)
		*v = sqlite3_column_int64(s, 0);
	sqlite3_reset(s);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return store__err(st, rc, e);
	return 0;
}

int
store__query_true(struct store *st, const struct store_sql *q, int64_t id,
    struct hg_err *e)
{
	int64_t	 v;

	if (store__query_int(st, q, NULL, id, &v, e) == -1)
		return -1;
	return v != 0;
}

int
store__buf_take(struct json_buf *b, char **out, size_t *len,
    struct hg_err *e)
{
	if (b->oom) {
		free(b->p);
		b->p = NULL;
		return hg_err_set(e, 503, "unavailable", "out of memory");
	}
	*out = b->p;
	*len = b->len;
	return 0;
}

void
store_release_memory(struct store *st)
{
	(void)sqlite3_db_release_memory(st->db);
}

void
store_keep_objects(struct store *st, struct objcache *c)
{
	st->objs = c;
}
