/*
 * lib/taskfiles: a task's log, capped with one marker line, as a runner
 * writes it and as reports of an external task add to it; its tail; and
 * removing a task's files. Each test has a data folder of its own.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/file.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "hg.h"
#include "taskfiles.h"
#include "unit.h"

static struct config	 cfg;

/* A data folder with logs/ and tasks/, as config_load() makes it. */
static void
setup(long long log_max)
{
	char	 dir[PATH_MAX + 16];

	memset(&cfg, 0, sizeof(cfg));
	snprintf(cfg.data, sizeof(cfg.data), "%s", unit_dir);
	cfg.log_max = log_max;
	snprintf(dir, sizeof(dir), "%s/logs", unit_dir);
	CHECK(mkdir(dir, 0700) == 0);
	snprintf(dir, sizeof(dir), "%s/tasks", unit_dir);
	CHECK(mkdir(dir, 0700) == 0);
}

/* Task id's log as it is now; "" if there is none. */
static const char *
log_text(int64_t id)
{
	static char	 text[8192];
	ssize_t		 n;
	int		 fd;

	text[0] = '\0';
	if ((fd = taskfiles_log_read(&cfg, id)) == -1)
		return text;
	n = read(fd, text, sizeof(text) - 1);
	text[n > 0 ? n : 0] = '\0';
	close(fd);
	return text;
}

static enum taskfiles_put
put(struct taskfiles_log *lg, const char *line)
{
	return taskfiles_log_append(lg, line, strlen(line));
}

static void
paths_name_the_task(void)
{
	char	 p[PATH_MAX + 32], want[PATH_MAX + 32];

	setup(1024);
	CHECK_INT(taskfiles_log_path(&cfg, 7, p, sizeof(p)), 0);
	snprintf(want, sizeof(want), "%s/logs/7.log", unit_dir);
	CHECK_STR(p, want);
	CHECK_INT(taskfiles_dir_path(&cfg, 7, p, sizeof(p)), 0);
	snprintf(want, sizeof(want), "%s/tasks/7", unit_dir);
	CHECK_STR(p, want);
	CHECK_INT(taskfiles_log_path(&cfg, 7, p, 8), -1);
}

static void
dir_make_is_idempotent(void)
{
	char		 p[PATH_MAX];
	struct stat	 sb;

	setup(1024);
	CHECK_INT(taskfiles_dir_make(&cfg, 3, p, sizeof(p)), 0);
	CHECK_INT(taskfiles_dir_make(&cfg, 3, p, sizeof(p)), 0);
	CHECK(stat(p, &sb) == 0 && S_ISDIR(sb.st_mode));
	CHECK_INT(taskfiles_dir_make(&cfg, 3, p, 4), -1);
	CHECK_INT(errno, ENAMETOOLONG);
}

/* The path of pid's spare folder. */
static const char *
spare_of(long pid)
{
	static char	 p[PATH_MAX + 32];

	snprintf(p, sizeof(p), "%s/tasks/" TASKFILES_SPARES "/%ld", unit_dir,
	    pid);
	return p;
}

/* Whether this file system renames without replacing; where it does
 * not, a task's folder is made, not renamed. */
static int
renames_noreplace(void)
{
	char	 a[PATH_MAX + 8], b[PATH_MAX + 8];
	int	 rc;

	snprintf(a, sizeof(a), "%s/a", unit_dir);
	snprintf(b, sizeof(b), "%s/b", unit_dir);
	CHECK(mkdir(a, 0700) == 0);
	rc = renameat2(AT_FDCWD, a, AT_FDCWD, b, RENAME_NOREPLACE);
	(void)rmdir(rc == 0 ? b : a);
	return rc == 0;
}

static void
a_spare_folder_becomes_the_tasks_own(void)
{
	char		 p[PATH_MAX];
	struct stat	 spare, sb;
	int		 renames = renames_noreplace();

	setup(1024);
	CHECK_INT(taskfiles_spare_make(&cfg), 0);
	CHECK_INT(taskfiles_spare_make(&cfg), 0);	/* there already */
	CHECK(stat(spare_of((long)getpid()), &spare) == 0 &&
	    S_ISDIR(spare.st_mode));
	CHECK_INT((int)(spare.st_mode & 0777), 0700);
	CHECK_INT(taskfiles_dir_make(&cfg, 9, p, sizeof(p)), 0);
	CHECK(stat(p, &sb) == 0 && S_ISDIR(sb.st_mode));
	if (renames) {
		/* The same folder, renamed: the spare is gone. */
		CHECK(sb.st_ino == spare.st_ino);
		CHECK(stat(spare_of((long)getpid()), &sb) == -1 &&
		    errno == ENOENT);
	} else
		fprintf(stderr, "no RENAME_NOREPLACE here: a folder was "
		    "made\n");
	/* With none, a folder is made. */
	CHECK_INT(taskfiles_dir_make(&cfg, 10, p, sizeof(p)), 0);
	CHECK(stat(p, &sb) == 0 && S_ISDIR(sb.st_mode));
}

static void
a_spare_never_takes_the_place_of_a_folder_there(void)
{
	char		 p[PATH_MAX], f[PATH_MAX + 8];
	struct stat	 before, spare, sb;

	setup(1024);
	/* An earlier attempt's folder, empty or not, stays as it was, and
	 * the spare waits for the next task. */
	CHECK_INT(taskfiles_dir_make(&cfg, 4, p, sizeof(p)), 0);
	CHECK(stat(p, &before) == 0);
	CHECK_INT(taskfiles_spare_make(&cfg), 0);
	CHECK(stat(spare_of((long)getpid()), &spare) == 0);
	CHECK_INT(taskfiles_dir_make(&cfg, 4, p, sizeof(p)), 0);
	CHECK(stat(p, &sb) == 0 && sb.st_ino == before.st_ino);
	snprintf(f, sizeof(f), "%s/left", p);
	CHECK(mkdir(f, 0700) == 0);
	CHECK_INT(taskfiles_dir_make(&cfg, 4, p, sizeof(p)), 0);
	CHECK(stat(f, &sb) == 0);
	CHECK(stat(spare_of((long)getpid()), &sb) == 0 &&
	    sb.st_ino == spare.st_ino);
	taskfiles_spare_remove(&cfg);
	CHECK(stat(spare_of((long)getpid()), &sb) == -1 && errno == ENOENT);
	taskfiles_spare_remove(&cfg);	/* none: nothing to do */
}

static void
the_sweep_takes_only_spares_of_processes_gone(void)
{
	static const char *const others[] = { "x", "+%ld", "0%ld", " %ld",
	    "%ld0000000000", "%ldx" };
	char		 p[PATH_MAX + 128], name[64];
	struct stat	 sb;
	pid_t		 gone;
	size_t		 i;
	int		 status;

	setup(1024);
	/* None yet, nor their folder: nothing to do. */
	taskfiles_spares_sweep(&cfg);
	/* A pid that was and is no more: a child, reaped. */
	if ((gone = fork()) == 0)
		_exit(0);
	CHECK(gone > 0 && waitpid(gone, &status, 0) == gone);
	CHECK_INT(taskfiles_spare_make(&cfg), 0);
	CHECK(mkdir(spare_of((long)gone), 0700) == 0);
	/* Not a runner's name, however like the gone one's: left alone. */
	for (i = 0; i < sizeof(others) / sizeof(others[0]); i++) {
		snprintf(name, sizeof(name), others[i], (long)gone);
		snprintf(p, sizeof(p), "%s/tasks/" TASKFILES_SPARES "/%s",
		    unit_dir, name);
		CHECK(mkdir(p, 0700) == 0);
	}
	taskfiles_spares_sweep(&cfg);
	CHECK(stat(spare_of((long)gone), &sb) == -1 && errno == ENOENT);
	CHECK(stat(spare_of((long)getpid()), &sb) == 0);
	for (i = 0; i < sizeof(others) / sizeof(others[0]); i++) {
		snprintf(name, sizeof(name), others[i], (long)gone);
		snprintf(p, sizeof(p), "%s/tasks/" TASKFILES_SPARES "/%s",
		    unit_dir, name);
		CHECK(stat(p, &sb) == 0);
	}
}

static void
no_log_before_the_first_line(void)
{
	setup(1024);
	CHECK_INT(taskfiles_log_read(&cfg, 1), -1);
	CHECK_STR(log_text(1), "");
}

static void
lines_go_in_with_a_newline(void)
{
	struct taskfiles_log	 lg;

	setup(1024);
	CHECK_INT(taskfiles_log_open(&lg, &cfg, 1, 0, NULL, 0), 0);
	CHECK_INT(put(&lg, "one"), TASKFILES_PUT);
	CHECK_INT(put(&lg, ""), TASKFILES_PUT);
	CHECK_INT(put(&lg, "three"), TASKFILES_PUT);
	taskfiles_log_close(&lg);
	CHECK_STR(log_text(1), "one\n\nthree\n");
}

/*
 * A write the file cannot take (here past RLIMIT_FSIZE, as a full disk
 * refuses one) leaves no part of a line: the file goes back to where the
 * write began, and the same lines go in whole once they can.
 */
static void
a_failed_write_leaves_no_part_of_a_line(void)
{
	struct taskfiles_log	 lg;
	struct rlimit		 rl;
	const char		*v[] = { "abc", "defghijk", "l" };

	setup(1024);
	CHECK_INT(taskfiles_log_open(&lg, &cfg, 1, 0, NULL, 0), 0);
	CHECK_INT(taskfiles_log_write(&lg, v, 1), 0);
	CHECK(getrlimit(RLIMIT_FSIZE, &rl) == 0);
	rl.rlim_cur = 10;
	signal(SIGXFSZ, SIG_IGN);
	CHECK(setrlimit(RLIMIT_FSIZE, &rl) == 0);
	/* "defghijk\n" takes the file past 10 bytes, in its middle. */
	errno = 0;
	CHECK_INT(taskfiles_log_write(&lg, v + 1, 2), -1);
	CHECK_INT(errno, EFBIG);
	CHECK_STR(log_text(1), "abc\n");
	rl.rlim_cur = rl.rlim_max;
	CHECK(setrlimit(RLIMIT_FSIZE, &rl) == 0);
	CHECK_INT(taskfiles_log_write(&lg, v + 1, 2), 0);
	taskfiles_log_close(&lg);
	CHECK_STR(log_text(1), "abc\ndefghijk\nl\n");
}

/* Task 1's log as a killed writer left it (text, len bytes), then
 * opened again and line put: the size it was opened at. */
static long long
left_then_put(const char *text, size_t len, const char *line)
{
	struct taskfiles_log	 lg;
	char			 path[PATH_MAX];
	long long		 size;
	int			 fd;

	CHECK_INT(taskfiles_log_path(&cfg, 1, path, sizeof(path)), 0);
	CHECK((fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600)) >= 0);
	CHECK(write(fd, text, len) == (ssize_t)len);
	close(fd);
	CHECK_INT(taskfiles_log_open(&lg, &cfg, 1, 0, NULL, 0), 0);
	size = lg.size;
	CHECK_INT(put(&lg, line), TASKFILES_PUT);
	taskfiles_log_close(&lg);
	return size;
}

/* What a writer killed in a write left of a line is taken back when
 * the log is opened again: the next line is a line of its own. */
static void
part_of_a_line_left_is_taken_back(void)
{
	char	 big[10000];

	setup(1 << 20);
	CHECK_INT(left_then_put("one\ntwo\nthr", 11, "[attempt 2]"), 8);
	CHECK_STR(log_text(1), "one\ntwo\n[attempt 2]\n");
	/* A part longer than a read, and no newline before it at all. */
	memset(big, 'x', sizeof(big));
	CHECK_INT(left_then_put(big, sizeof(big), "next"), 0);
	CHECK_STR(log_text(1), "next\n");
	/* Whole lines stay as they are. */
	CHECK_INT(left_then_put("a\nb\n", 4, "c"), 4);
	CHECK_STR(log_text(1), "a\nb\nc\n");
}

/* Past the cap: the marker in the line's place, then nothing. */
static void
past_the_cap_one_marker_and_nothing_more(void)
{
	struct taskfiles_log	 lg;
	char			 line[100], want[8192];
	int			 i;

	setup(1024);
	memset(line, 'x', 99);
	line[99] = '\0';
	CHECK_INT(taskfiles_log_open(&lg, &cfg, 1, 0, NULL, 0), 0);
	/* Ten lines of 100 bytes fit in 1024; the eleventh does not. */
	for (i = 0; i < 10; i++)
		CHECK_INT(put(&lg, line), TASKFILES_PUT);
	CHECK_INT(put(&lg, line), TASKFILES_CUT);
	CHECK_STR(lg.marker, "[hourglass: the log reached 1024 bytes; the "
	    "rest is dropped]");
	CHECK_INT(put(&lg, "short"), TASKFILES_FULL);
	taskfiles_log_close(&lg);
	want[0] = '\0';
	for (i = 0; i < 10; i++)
		snprintf(want + strlen(want), sizeof(want) - strlen(want),
		    "%s\n", line);
	snprintf(want + strlen(want), sizeof(want) - strlen(want),
	    HG_LOG_CUT "\n", 1024LL);
	CHECK_STR(log_text(1), want);
}

/* A line that fills the log to the cap exactly still goes in. */
static void
a_line_up_to_the_cap_fits(void)
{
	struct taskfiles_log	 lg;
	char			 line[1024];

	setup(1024);
	memset(line, 'y', 1023);
	line[1023] = '\0';
	CHECK_INT(taskfiles_log_open(&lg, &cfg, 1, 0, NULL, 0), 0);
	CHECK_INT(put(&lg, line), TASKFILES_PUT);
	CHECK_INT(put(&lg, ""), TASKFILES_CUT);
	taskfiles_log_close(&lg);
}

/* A later writer (the next report) sees the cap and the marker. */
static void
a_reopened_log_keeps_its_cap_and_its_cut(void)
{
	struct taskfiles_log	 lg;
	char			 line[600];

	setup(1024);
	memset(line, 'z', 599);
	line[599] = '\0';
	CHECK_INT(taskfiles_log_open(&lg, &cfg, 1, 1, NULL, 0), 0);
	CHECK_INT(put(&lg, line), TASKFILES_PUT);
	taskfiles_log_close(&lg);
	CHECK_INT(taskfiles_log_open(&lg, &cfg, 1, 1, NULL, 0), 0);
	CHECK_INT(lg.size, 600);
	CHECK(!lg.cut);
	CHECK_INT(put(&lg, line), TASKFILES_CUT);
	taskfiles_log_close(&lg);
	CHECK_INT(taskfiles_log_open(&lg, &cfg, 1, 1, NULL, 0), 0);
	CHECK(lg.cut);
	CHECK_INT(put(&lg, "a"), TASKFILES_FULL);
	taskfiles_log_close(&lg);
	CHECK_INT(strlen(log_text(1)), 600 + strlen(lg.marker) + 1);
}

/* A log whose last line only looks like the start of a marker, or has
 * text after one, is not cut. */
static void
only_a_marker_at_the_end_is_a_cut(void)
{
	struct taskfiles_log	 lg;
	char			 marker[128];

	setup(4096);
	snprintf(marker, sizeof(marker), HG_LOG_CUT, 4096LL);
	CHECK_INT(taskfiles_log_open(&lg, &cfg, 1, 0, NULL, 0), 0);
	CHECK_INT(put(&lg, marker), TASKFILES_PUT);
	CHECK_INT(put(&lg, "after"), TASKFILES_PUT);
	taskfiles_log_close(&lg);
	CHECK_INT(taskfiles_log_open(&lg, &cfg, 1, 0, NULL, 0), 0);
	CHECK(!lg.cut);
	CHECK_INT(put(&lg, marker), TASKFILES_PUT);
	taskfiles_log_close(&lg);
	CHECK_INT(taskfiles_log_open(&lg, &cfg, 1, 0, NULL, 0), 0);
	CHECK(lg.cut);
	taskfiles_log_close(&lg);
}

/* With lock, a second writer waits until the first closes. */
static void
lock_holds_other_writers_off(void)
{
	struct taskfiles_log	 lg;
	char			 path[PATH_MAX];
	int			 fd;

	setup(1024);
	CHECK_INT(taskfiles_log_open(&lg, &cfg, 1, 1, NULL, 0), 0);
	CHECK_INT(taskfiles_log_path(&cfg, 1, path, sizeof(path)), 0);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	CHECK(fd != -1);
	CHECK(flock(fd, LOCK_EX | LOCK_NB) == -1 && errno == EWOULDBLOCK);
	taskfiles_log_close(&lg);
	CHECK(flock(fd, LOCK_EX | LOCK_NB) == 0);
	close(fd);
}

/* Without the file, lines are counted and capped all the same. */
static void
without_the_file_the_cap_still_counts(void)
{
	struct taskfiles_log	 lg;
	char			 err[256], line[600];

	setup(1024);
	CHECK(strlen(unit_dir) + 9 < sizeof(cfg.data));
	memcpy(cfg.data + strlen(unit_dir), "/missing", 9);
	memset(line, 'w', 599);
	line[599] = '\0';
	CHECK_INT(taskfiles_log_open(&lg, &cfg, 1, 0, err, sizeof(err)), -1);
	CHECK_HAS(err, "/missing/logs/1.log: ");
	CHECK_INT(put(&lg, line), TASKFILES_PUT);
	CHECK_INT(put(&lg, line), TASKFILES_CUT);
	CHECK_INT(put(&lg, line), TASKFILES_FULL);
	taskfiles_log_close(&lg);
}

static off_t
tail_of(const char *text, long n)
{
	struct taskfiles_log	 lg;
	off_t			 off;
	int			 fd;

	CHECK_INT(taskfiles_log_open(&lg, &cfg, 9, 0, NULL, 0), 0);
	CHECK(ftruncate(lg.fd, 0) == 0);
	CHECK(write(lg.fd, text, strlen(text)) == (ssize_t)strlen(text));
	taskfiles_log_close(&lg);
	fd = taskfiles_log_read(&cfg, 9);
	off = taskfiles_log_tail(fd, (off_t)strlen(text), n);
	close(fd);
	return off;
}

static void
tail_finds_the_last_lines(void)
{
	setup(1 << 20);
	CHECK_INT(tail_of("l1\nl2\nl3\nl4\n", 1), 9);
	CHECK_INT(tail_of("l1\nl2\nl3\nl4\n", 2), 6);
	CHECK_INT(tail_of("l1\nl2\nl3\nl4\n", 4), 0);
	CHECK_INT(tail_of("l1\nl2\nl3\nl4\n", 10000), 0);
	CHECK_INT(tail_of("\n\n\n", 2), 1);
	/* A cut last line is a line; a read that fails says so. */
	CHECK_INT(tail_of("l1\nl2\nl", 1), 6);
	CHECK_INT(taskfiles_log_tail(-1, 10, 1), -1);
	CHECK_INT(tail_of("", 3), 0);
}

/* Lines across the blocks it reads backwards (8 KiB each). */
static void
tail_across_blocks(void)
{
	static char	 text[300001];
	size_t		 i;

	setup(1 << 20);
	for (i = 0; i < 299999; i++)
		text[i] = i % 1000 == 999 ? '\n' : 'a';
	text[299999] = '\n';
	CHECK_INT(tail_of(text, 1), 299000);
	CHECK_INT(tail_of(text, 100), 200000);
	CHECK_INT(tail_of(text, 299), 1000);
	CHECK_INT(tail_of(text, 300), 0);
}

static void
remove_takes_the_log_and_the_folder(void)
{
	struct taskfiles_log	 lg;
	char			 dir[PATH_MAX], p[PATH_MAX + 32];
	struct stat		 sb;
	FILE			*f;

	setup(1024);
	CHECK_INT(taskfiles_log_open(&lg, &cfg, 5, 0, NULL, 0), 0);
	CHECK_INT(put(&lg, "x"), TASKFILES_PUT);
	taskfiles_log_close(&lg);
	CHECK_INT(taskfiles_dir_make(&cfg, 5, dir, sizeof(dir)), 0);
	snprintf(p, sizeof(p), "%s/sub", dir);
	CHECK(mkdir(p, 0700) == 0);
	snprintf(p, sizeof(p), "%s/sub/file", dir);
	CHECK((f = fopen(p, "w")) != NULL);
	if (f != NULL)
		fclose(f);
	/* A link is removed, not followed. */
	snprintf(p, sizeof(p), "%s/up", dir);
	CHECK(symlink(unit_dir, p) == 0);
	taskfiles_remove(&cfg, 5);
	CHECK_INT(taskfiles_log_read(&cfg, 5), -1);
	CHECK(stat(dir, &sb) == -1 && errno == ENOENT);
	CHECK(stat(unit_dir, &sb) == 0);
	/* Nothing there: nothing to do. */
	taskfiles_remove(&cfg, 6);
}

static const struct unit_test tests[] = {
	UNIT(a_failed_write_leaves_no_part_of_a_line),
	UNIT(part_of_a_line_left_is_taken_back),
	UNIT(paths_name_the_task),
	UNIT(dir_make_is_idempotent),
	UNIT(a_spare_folder_becomes_the_tasks_own),
	UNIT(a_spare_never_takes_the_place_of_a_folder_there),
	UNIT(the_sweep_takes_only_spares_of_processes_gone),
	UNIT(no_log_before_the_first_line),
	UNIT(lines_go_in_with_a_newline),
	UNIT(past_the_cap_one_marker_and_nothing_more),
	UNIT(a_line_up_to_the_cap_fits),
	UNIT(a_reopened_log_keeps_its_cap_and_its_cut),
	UNIT(only_a_marker_at_the_end_is_a_cut),
	UNIT(lock_holds_other_writers_off),
	UNIT(without_the_file_the_cap_still_counts),
	UNIT(tail_finds_the_last_lines),
	UNIT(tail_across_blocks),
	UNIT(remove_takes_the_log_and_the_folder),
};

int
main(int argc, char **argv)
{
	UNIT_MAIN(tests, argc, argv);
}
