/*
 * lib/walvfs.c: a transaction's frames reach the log in one write, and
 * what is committed is there, whole, for every other connection (of
 * this VFS or SQLite's own) at once; a failed write fails its commit.
 * A real SQLite file in the test's folder.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>

#include <sqlite3.h>

#include "unit.h"
#include "walvfs.h"

#define PAGE		1024
#define FRAME		(PAGE + 24)

static char	 path[4200];

/* A connection to the test's database, by this VFS (or the default's
 * if ours is 0), in WAL mode with pages of 1 KiB. */
static sqlite3 *
open_db(int ours)
{
	sqlite3	*db = NULL;

	snprintf(path, sizeof(path), "%s/w.db", unit_dir);
	CHECK_INT(sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE |
	    SQLITE_OPEN_CREATE, ours ? walvfs_name() : NULL), SQLITE_OK);
	CHECK_INT(sqlite3_exec(db, "PRAGMA page_size = 1024;"
	    "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL;"
	    "CREATE TABLE IF NOT EXISTS t (k INTEGER PRIMARY KEY, v BLOB);",
	    NULL, NULL, NULL), SQLITE_OK);
	return db;
}

static long long
one_int(sqlite3 *db, const char *sql)
{
	sqlite3_stmt	*s = NULL;
	long long	 v = -1;

	CHECK_INT(sqlite3_prepare_v2(db, sql, -1, &s, NULL), SQLITE_OK);
	if (s != NULL && sqlite3_step(s) == SQLITE_ROW)
		v = sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	return v;
}

static const char *
one_text(sqlite3 *db, const char *sql, char *buf, size_t len)
{
	sqlite3_stmt	*s = NULL;

	snprintf(buf, len, "(none)");
	CHECK_INT(sqlite3_prepare_v2(db, sql, -1, &s, NULL), SQLITE_OK);
	if (s != NULL && sqlite3_step(s) == SQLITE_ROW)
		snprintf(buf, len, "%s", sqlite3_column_text(s, 0));
	sqlite3_finalize(s);
	return buf;
}

/* The writes db's log file has made, as the VFS counts them. */
static int
log_writes(sqlite3 *db)
{
	sqlite3_file	*f = NULL;

	CHECK_INT(sqlite3_file_control(db, "main",
	    SQLITE_FCNTL_JOURNAL_POINTER, &f), SQLITE_OK);
	return f != NULL ? walvfs_writes(f) : -1;
}

static long long
log_size(void)
{
	struct stat	 sb;
	char		 wal[4300];

	snprintf(wal, sizeof(wal), "%s-wal", path);
	return stat(wal, &sb) == 0 ? (long long)sb.st_size : -1;
}

static void
a_commit_goes_to_the_log_in_one_write(void)
{
	sqlite3		*db = open_db(1);
	long long	 size;
	int		 before;

	before = log_writes(db);
	CHECK(before >= 0);
	size = log_size();
	/* A row over six pages: six frames and more, one write. */
	CHECK_INT(sqlite3_exec(db, "INSERT INTO t VALUES (1, "
	    "zeroblob(6000))", NULL, NULL, NULL), SQLITE_OK);
	CHECK(log_size() - size >= 6 * FRAME);
	CHECK_INT(log_writes(db) - before, 1);
	sqlite3_close(db);
}

static void
a_commit_is_seen_whole_by_others_at_once(void)
{
	sqlite3		*a = open_db(1), *b = open_db(1), *plain = open_db(0);
	char		 buf[64], want[64];

	CHECK_INT(one_int(b, "SELECT count(*) FROM t"), 0);
	CHECK_INT(sqlite3_exec(a, "INSERT INTO t VALUES (1, "
	    "randomblob(5000)); INSERT INTO t VALUES (2, 'two')", NULL, NULL,
	    NULL), SQLITE_OK);
	CHECK_STR(one_text(b, "SELECT group_concat(k) FROM t", buf,
	    sizeof(buf)), "1,2");
	one_text(a, "SELECT hex(substr(v, 4990)) FROM t WHERE k = 1", want,
	    sizeof(want));
	CHECK_STR(one_text(plain, "SELECT hex(substr(v, 4990)) FROM t "
	    "WHERE k = 1", buf, sizeof(buf)), want);
	CHECK_INT(one_int(plain, "SELECT length(v) FROM t WHERE k = 1"), 5000);
	/* And the other way: ours reads what SQLite's own wrote. */
	CHECK_INT(sqlite3_exec(plain, "INSERT INTO t VALUES (3, 'three')",
	    NULL, NULL, NULL), SQLITE_OK);
	CHECK_INT(one_int(a, "SELECT count(*) FROM t"), 3);
	sqlite3_close(a);
	sqlite3_close(b);
	sqlite3_close(plain);
}

static void
a_transaction_past_the_buffer_goes_in_pieces(void)
{
	sqlite3		*a = open_db(1), *b = open_db(0);
	char		 buf[64], want[64];
	int		 before, made;

	before = log_writes(a);
	CHECK_INT(sqlite3_exec(a, "INSERT INTO t VALUES (1, "
	    "randomblob(100000))", NULL, NULL, NULL), SQLITE_OK);
	made = log_writes(a) - before;
	/* About 100 frames, 32 KiB at a time: 4 writes, not 200. */
	CHECK(made >= 3 && made <= 6);
	one_text(a, "SELECT hex(substr(v, 99990)) FROM t", want, sizeof(want));
	CHECK_STR(one_text(b, "SELECT hex(substr(v, 99990)) FROM t", buf,
	    sizeof(buf)), want);
	CHECK_STR(one_text(b, "PRAGMA integrity_check", buf, sizeof(buf)),
	    "ok");
	sqlite3_close(a);
	sqlite3_close(b);
}

/*
 * A transaction larger than the page cache writes frames before its
 * commit; rolled back, the next one writes over them. What another
 * connection reads, and what a new one finds from the file alone (the
 * log read again from disk), is only what was committed.
 */
static void
a_rolled_back_spill_leaves_only_what_was_committed(void)
{
	sqlite3		*a = open_db(1), *b;
	char		 buf[64];
	long long	 size;

	CHECK_INT(sqlite3_exec(a, "PRAGMA cache_size = 4;"
	    "INSERT INTO t VALUES (1, 'kept')", NULL, NULL, NULL), SQLITE_OK);
	size = log_size();
	CHECK_INT(sqlite3_exec(a, "BEGIN IMMEDIATE;"
	    "WITH RECURSIVE n(i) AS (SELECT 2 UNION ALL SELECT i + 1 FROM n "
	    "WHERE i < 200) INSERT INTO t SELECT i, randomblob(900) FROM n",
	    NULL, NULL, NULL), SQLITE_OK);
	/* Written before the commit: the cache spilled into the log. */
	CHECK(log_size() > size);
	CHECK_INT(sqlite3_exec(a, "ROLLBACK; INSERT INTO t VALUES (2, 'also')",
	    NULL, NULL, NULL), SQLITE_OK);
	b = open_db(0);
	CHECK_STR(one_text(b, "SELECT group_concat(v) FROM t", buf,
	    sizeof(buf)), "kept,also");
	sqlite3_close(b);
	sqlite3_close(a);
	/* Every connection closed but this new one: it reads the log
	 * from the file, as after a crash. */
	b = open_db(1);
	CHECK_STR(one_text(b, "SELECT group_concat(v) FROM t", buf,
	    sizeof(buf)), "kept,also");
	CHECK_STR(one_text(b, "PRAGMA integrity_check", buf, sizeof(buf)),
	    "ok");
	sqlite3_close(b);
}

/* A disk that will take no more (here: the file size limit) fails the
 * commit whose frames do not fit, and leaves the last one as it was. */
static void
a_write_that_fails_fails_its_commit(void)
{
	sqlite3		*a = open_db(1), *b = open_db(0);
	struct rlimit	 was, lim;
	char		 buf[64];
	int		 rc;

	CHECK_INT(sqlite3_exec(a, "INSERT INTO t VALUES (1, 'kept');"
	    "PRAGMA wal_checkpoint(TRUNCATE)", NULL, NULL, NULL), SQLITE_OK);
	CHECK_INT(log_size(), 0);
	signal(SIGXFSZ, SIG_IGN);
	CHECK_INT(getrlimit(RLIMIT_FSIZE, &was), 0);
	lim = was;
	lim.rlim_cur = 64 * 1024;
	CHECK_INT(setrlimit(RLIMIT_FSIZE, &lim), 0);
	rc = sqlite3_exec(a, "INSERT INTO t VALUES (2, randomblob(20000));"
	    "INSERT INTO t VALUES (3, randomblob(90000))", NULL, NULL, NULL);
	CHECK_INT(setrlimit(RLIMIT_FSIZE, &was), 0);
	signal(SIGXFSZ, SIG_DFL);
	CHECK(rc != SQLITE_OK);
	/* The first insert fit, and stays; the second is not there. */
	CHECK_STR(one_text(b, "SELECT group_concat(k) FROM t", buf,
	    sizeof(buf)), "1,2");
	CHECK_INT(sqlite3_exec(a, "INSERT INTO t VALUES (4, 'after')", NULL,
	    NULL, NULL), SQLITE_OK);
	CHECK_STR(one_text(b, "SELECT group_concat(k) FROM t", buf,
	    sizeof(buf)), "1,2,4");
	CHECK_STR(one_text(b, "PRAGMA integrity_check", buf, sizeof(buf)),
	    "ok");
	sqlite3_close(a);
	sqlite3_close(b);
}

/* Row k's value as hex, from db (sqlite3_free it), or NULL. */
static char *
value_hex(sqlite3 *db, int k)
{
	sqlite3_stmt	*s = NULL;
	char		*v = NULL;

	CHECK_INT(sqlite3_prepare_v2(db, "SELECT hex(v) FROM t WHERE k = ?1",
	    -1, &s, NULL), SQLITE_OK);
	sqlite3_bind_int(s, 1, k);
	if (s != NULL && sqlite3_step(s) == SQLITE_ROW)
		v = sqlite3_mprintf("%s", sqlite3_column_text(s, 0));
	sqlite3_finalize(s);
	return v;
}

/*
 * A transaction whose cache spilled frames into the log, rolled back,
 * may leave some of them held; another process then commits frames at
 * the same places. What was held must never reach the file after that
 * (when the first connection next reads, or closes): it would write
 * over the other's commit.
 */
static void
a_rolled_back_spill_never_overwrites_another_commit(void)
{
	sqlite3		*a = open_db(1), *b = open_db(0);
	char		 buf[64], *want, *got;
	long long	 size;

	/* The log empty: the rollback reads nothing back from it, which
	 * would have sent what a held while it could still be written. */
	CHECK_INT(sqlite3_exec(a, "PRAGMA cache_size = 4;"
	    "INSERT INTO t VALUES (1, 'kept');"
	    "PRAGMA wal_checkpoint(TRUNCATE)", NULL, NULL, NULL), SQLITE_OK);
	size = log_size();
	/* More frames than a's buffer holds: the first written, the
	 * rest held. */
	CHECK_INT(sqlite3_exec(a, "BEGIN IMMEDIATE; INSERT INTO t VALUES (2, "
	    "randomblob(40000))", NULL, NULL, NULL), SQLITE_OK);
	CHECK(log_size() > size);
	CHECK_INT(sqlite3_exec(a, "ROLLBACK", NULL, NULL, NULL), SQLITE_OK);
	/* The other writes over all of a's frames. */
	CHECK_INT(sqlite3_exec(b, "INSERT INTO t VALUES (4, "
	    "randomblob(60000))", NULL, NULL, NULL), SQLITE_OK);
	want = value_hex(b, 4);
	CHECK(want != NULL && strlen(want) == 120000);
	CHECK_STR(one_text(a, "SELECT group_concat(k) FROM t", buf,
	    sizeof(buf)), "1,4");
	sqlite3_close(a);
	got = value_hex(b, 4);
	CHECK(got != NULL && want != NULL && strcmp(got, want) == 0);
	sqlite3_free(got);
	CHECK_STR(one_text(b, "PRAGMA integrity_check", buf, sizeof(buf)),
	    "ok");
	sqlite3_close(b);
	/* From the file alone. */
	b = open_db(0);
	got = value_hex(b, 4);
	CHECK(got != NULL && want != NULL && strcmp(got, want) == 0);
	sqlite3_free(got);
	sqlite3_free(want);
	sqlite3_close(b);
}

/*
 * Copies the database and its log, as they are in the files now, to
 * <dir>/copy.db (what a crash of every process would leave) and opens
 * the copy, which reads the log again from the file alone; checks that
 * it is sound.
 */
static sqlite3 *
crash_copy(void)
{
	static const char *const ext[] = { "", "-wal" };
	sqlite3		*c = NULL;
	char		 from[4300], to[4300], buf[8192];
	FILE		*in, *out;
	size_t		 i, n;

	for (i = 0; i < 2; i++) {
		snprintf(from, sizeof(from), "%s%s", path, ext[i]);
		snprintf(to, sizeof(to), "%s/copy.db%s", unit_dir, ext[i]);
		in = fopen(from, "rb");
		out = fopen(to, "wb");
		CHECK(in != NULL && out != NULL);
		while (in != NULL && out != NULL &&
		    (n = fread(buf, 1, sizeof(buf), in)) > 0)
			CHECK_INT((int)fwrite(buf, 1, n, out), (int)n);
		if (in != NULL)
			fclose(in);
		if (out != NULL)
			fclose(out);
	}
	snprintf(to, sizeof(to), "%s/copy.db", unit_dir);
	CHECK_INT(sqlite3_open_v2(to, &c, SQLITE_OPEN_READWRITE, NULL),
	    SQLITE_OK);
	CHECK_STR(one_text(c, "PRAGMA integrity_check", buf, sizeof(buf)),
	    "ok");
	return c;
}

/*
 * A commit that changes again pages its cache spilled rewrites their
 * frames in place and then the checksums of every frame after them,
 * the commit frame's header last. All of it must be in the file once
 * the commit returns: a crash then, the log read again from the file,
 * keeps the commit and every one after it.
 */
static void
a_commit_that_rewrites_spilled_frames_is_whole_in_the_file(void)
{
	sqlite3		*a = open_db(1), *c;

	CHECK_INT(sqlite3_exec(a, "PRAGMA cache_size = 4;"
	    "INSERT INTO t VALUES (1, 'kept');"
	    "BEGIN IMMEDIATE;"
	    "WITH RECURSIVE n(i) AS (SELECT 2 UNION ALL SELECT i + 1 FROM n "
	    "WHERE i < 60) INSERT INTO t SELECT i, randomblob(900) FROM n;"
	    "UPDATE t SET v = 'again' WHERE k < 60;"
	    "COMMIT", NULL, NULL, NULL), SQLITE_OK);
	/* At once: a's next read would send what it holds. */
	c = crash_copy();
	CHECK_INT(one_int(a, "SELECT count(*) FROM t WHERE v = 'again'"), 59);
	CHECK_INT(one_int(c, "SELECT count(*) FROM t WHERE v = 'again'"), 59);
	CHECK_INT(one_int(c, "SELECT count(*) FROM t"), 60);
	sqlite3_close(c);
	sqlite3_close(a);
}

/* Under synchronous FULL each commit syncs the log: what was held goes
 * first, and the commit is whole in the file when it returns. */
static void
a_synced_commit_is_whole_in_the_file(void)
{
	sqlite3		*a = open_db(1), *c;

	CHECK_INT(sqlite3_exec(a, "PRAGMA synchronous = FULL;"
	    "INSERT INTO t VALUES (1, randomblob(5000));"
	    "INSERT INTO t VALUES (2, randomblob(5000))", NULL, NULL, NULL),
	    SQLITE_OK);
	c = crash_copy();
	CHECK_INT(one_int(c, "SELECT count(*) FROM t"), 2);
	sqlite3_close(c);
	sqlite3_close(a);
}

/*
 * A full disk met by the write of frames that a read sends first (the
 * transaction's cache spilled them, and they were held). At a full
 * disk SQLite undoes only the statement and the transaction goes on,
 * to a commit that would make frames seen that are not in the file.
 * The failure is told as a write's, and SQLite undoes the whole
 * transaction: none of it is there, in the files or after a crash.
 */
static void
a_write_a_read_sends_that_fails_fails_the_transaction(void)
{
	sqlite3		*a = open_db(1), *b, *c;
	char		 buf[64];

	CHECK_INT(sqlite3_exec(a, "CREATE TABLE u (k INTEGER PRIMARY KEY, "
	    "v TEXT UNIQUE);"
	    "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n "
	    "WHERE i < 60) INSERT INTO u SELECT i, hex(randomblob(400)) FROM n;"
	    "PRAGMA cache_size = 4;"
	    "BEGIN IMMEDIATE;"
	    "UPDATE u SET v = 'x' || v WHERE k <= 40", NULL, NULL, NULL),
	    SQLITE_OK);
	walvfs_fail_next_flush(SQLITE_FULL);
	CHECK(sqlite3_exec(a, "UPDATE u SET v = 'y' || v WHERE k > 40", NULL,
	    NULL, NULL) != SQLITE_OK);
	/* Undone whole, not the statement alone: nothing to commit. */
	CHECK_INT(sqlite3_get_autocommit(a), 1);
	/* SQLite is told of an I/O error; what it was is kept. */
	CHECK_INT(sqlite3_extended_errcode(a), SQLITE_IOERR_WRITE);
	CHECK_INT(walvfs_errno(a), ENOSPC);
	CHECK(sqlite3_exec(a, "COMMIT", NULL, NULL, NULL) != SQLITE_OK);
	walvfs_fail_next_flush(SQLITE_OK);
	/* The next write transaction starts with none. */
	CHECK_INT(sqlite3_exec(a, "BEGIN IMMEDIATE; UPDATE u SET v = v "
	    "WHERE k = 1; COMMIT", NULL, NULL, NULL), SQLITE_OK);
	CHECK_INT(walvfs_errno(a), 0);
	b = open_db(0);
	CHECK_STR(one_text(b, "PRAGMA integrity_check", buf, sizeof(buf)),
	    "ok");
	CHECK_INT(one_int(b, "SELECT count(*) FROM u"), 60);
	CHECK_INT(one_int(b, "SELECT count(*) FROM u WHERE v GLOB 'x*'"), 0);
	sqlite3_close(b);
	c = crash_copy();
	CHECK_INT(one_int(c, "SELECT count(*) FROM u"), 60);
	sqlite3_close(c);
	sqlite3_close(a);
}

/* The log's writes are counted; the database file's are SQLite's own. */
static void
only_the_log_is_held(void)
{
	sqlite3		*db = open_db(1);
	sqlite3_file	*f = NULL;

	CHECK_INT(sqlite3_file_control(db, "main", SQLITE_FCNTL_FILE_POINTER,
	    &f), SQLITE_OK);
	CHECK(f != NULL);
	if (f != NULL)
		CHECK_INT(walvfs_writes(f), -1);
	CHECK_STR(walvfs_name(), WALVFS_NAME);
	sqlite3_close(db);
}

static const struct unit_test tests[] = {
	UNIT(a_commit_goes_to_the_log_in_one_write),
	UNIT(a_commit_is_seen_whole_by_others_at_once),
	UNIT(a_transaction_past_the_buffer_goes_in_pieces),
	UNIT(a_rolled_back_spill_leaves_only_what_was_committed),
	UNIT(a_write_that_fails_fails_its_commit),
	UNIT(a_rolled_back_spill_never_overwrites_another_commit),
	UNIT(a_commit_that_rewrites_spilled_frames_is_whole_in_the_file),
	UNIT(a_synced_commit_is_whole_in_the_file),
	UNIT(a_write_a_read_sends_that_fails_fails_the_transaction),
	UNIT(only_the_log_is_held),
};

int
main(int argc, char **argv)
{
	UNIT_MAIN(tests, argc, argv);
}
