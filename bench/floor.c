/*
 * bench/floor: the memory a runner cannot go below, measured beside it.
 * Built twice by bench/run:
 *
 *     floor-libc        libc alone: prints its RSS having done nothing
 *     floor DB          linked with libsqlite3, as a runner is: opens DB
 *                       in WAL mode, writes one row in a transaction and
 *                       reads it back, then prints its RSS
 *
 * Either prints one line: "<VmRSS kB> <VmHWM kB>".
 */
#include <stdio.h>
#include <string.h>

#ifndef LIBC_ONLY
#include <sqlite3.h>
#endif

static long
status_kb(const char *key)
{
	FILE	*f;
	char	 line[256];
	long	 kb = -1;
	size_t	 n = strlen(key);

	if ((f = fopen("/proc/self/status", "r")) == NULL)
		return -1;
	while (fgets(line, sizeof(line), f) != NULL)
		if (strncmp(line, key, n) == 0 && line[n] == ':')
			sscanf(line + n + 1, "%ld", &kb);
	fclose(f);
	return kb;
}

#ifdef LIBC_ONLY
int
main(void)
{
	printf("%ld %ld\n", status_kb("VmRSS"), status_kb("VmHWM"));
	return 0;
}
#else
int
main(int argc, char **argv)
{
	sqlite3		*db;
	sqlite3_stmt	*st;

	if (argc != 2) {
		fprintf(stderr, "usage: floor DB\n");
		return 2;
	}
	if (sqlite3_open(argv[1], &db) != SQLITE_OK ||
	    sqlite3_exec(db, "PRAGMA journal_mode=WAL;"
	    "PRAGMA synchronous=NORMAL;"
	    "CREATE TABLE IF NOT EXISTS t (id INTEGER PRIMARY KEY, v TEXT);"
	    "BEGIN IMMEDIATE; INSERT INTO t (v) VALUES ('x'); COMMIT;",
	    NULL, NULL, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(db, "SELECT v FROM t WHERE id = ?", -1, &st,
	    NULL) != SQLITE_OK) {
		fprintf(stderr, "floor: %s\n", sqlite3_errmsg(db));
		return 1;
	}
	sqlite3_bind_int64(st, 1, sqlite3_last_insert_rowid(db));
	if (sqlite3_step(st) != SQLITE_ROW) {
		fprintf(stderr, "floor: the row is not there\n");
		return 1;
	}
	sqlite3_finalize(st);
	printf("%ld %ld\n", status_kb("VmRSS"), status_kb("VmHWM"));
	sqlite3_close(db);
	return 0;
}
#endif
