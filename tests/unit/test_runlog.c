/*
 * lib/runlog: runner.log kept under its cap, one old file kept, and a
 * process whose stderr is a rotated file following to the new one. Each
 * test points fd 2 where a runner's would be, and puts it back.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config.h"
#include "hg.h"
#include "runlog.h"
#include "unit.h"

#define CAP	4096

static struct config	 cfg;
static int		 saved = -1;	/* the test's own stderr */

/* The path of name in the data folder. */
static const char *
path(const char *name)
{
	static char	 p[2][PATH_MAX + 32];
	static int	 i;

	i = !i;
	snprintf(p[i], sizeof(p[i]), "%s/%s", unit_dir, name);
	return p[i];
}

/* A data folder; fd 2 on name in it, as launch.c opens runner.log. */
static void
setup(const char *name)
{
	int	 fd;

	memset(&cfg, 0, sizeof(cfg));
	snprintf(cfg.data, sizeof(cfg.data), "%s", unit_dir);
	cfg.runner_log_max = CAP;
	saved = dup(2);
	fd = open(path(name), O_WRONLY | O_APPEND | O_CREAT, 0600);
	CHECK(fd != -1);
	dup2(fd, 2);
	close(fd);
}

static void
teardown(void)
{
	dup2(saved, 2);
	close(saved);
}

/* Bytes in name; -1 if there is no such file. */
static long long
size_of(const char *name)
{
	struct stat	 st;

	return stat(path(name), &st) == 0 ? (long long)st.st_size : -1;
}

static const char *
text_of(const char *name)
{
	static char	 text[16384];
	ssize_t		 n = -1;
	int		 fd;

	if ((fd = open(path(name), O_RDONLY)) != -1) {
		n = read(fd, text, sizeof(text) - 1);
		close(fd);
	}
	text[n > 0 ? n : 0] = '\0';
	return text;
}

static void
a_log_past_its_cap_becomes_runner_log_1(void)
{
	int	 i;

	setup("runner.log");
	runlog_open(&cfg);
	/* 200 lines of about 60 bytes: three files' worth. */
	for (i = 0; i < 200; i++)
		runlog_printf("hourglass-runner[task %d]: something to say, "
		    "line %03d", i, i);
	teardown();
	CHECK(size_of("runner.log") > 0);
	CHECK(size_of("runner.log") <= CAP);
	CHECK(size_of("runner.log.1") > CAP - 100);
	CHECK(size_of("runner.log.1") <= CAP);
	CHECK_HAS(text_of("runner.log"), "line 199\n");
	/* Whole lines in each: a rotation never splits one. */
	CHECK_PREFIX(text_of("runner.log"), "hourglass-runner[task ");
	CHECK_PREFIX(text_of("runner.log.1"), "hourglass-runner[task ");
	CHECK(strstr(text_of("runner.log.1"), "line 199") == NULL);
	/* Only one old file is kept. */
	CHECK_INT(size_of("runner.log.2"), -1);
}

static void
a_process_left_on_the_rotated_file_follows_to_the_new_one(void)
{
	setup("runner.log");
	runlog_open(&cfg);
	runlog_printf("before");
	/* Another runner rotated it: this one's fd 2 is runner.log.1. */
	CHECK(rename(path("runner.log"), path("runner.log.1")) == 0);
	runlog_printf("after");
	teardown();
	CHECK_STR(text_of("runner.log.1"), "before\n");
	CHECK_STR(text_of("runner.log"), "after\n");
}

static void
a_runner_started_on_a_file_just_rotated_is_still_kept(void)
{
	setup("runner.log");
	CHECK(rename(path("runner.log"), path("runner.log.1")) == 0);
	runlog_open(&cfg);
	runlog_printf("mine");
	teardown();
	CHECK_STR(text_of("runner.log"), "mine\n");
	CHECK_STR(text_of("runner.log.1"), "");
}

/* Rotated twice between the spawn and the runner's start: its fd 2 is a
 * file with no name left. It is still runner.log's, and the runner
 * writes to the current one. */
static void
a_runner_started_on_a_file_rotated_away_is_still_kept(void)
{
	setup("runner.log");
	CHECK(unlink(path("runner.log")) == 0);
	runlog_open(&cfg);
	runlog_printf("mine");
	teardown();
	CHECK_STR(text_of("runner.log"), "mine\n");
}

static void
a_long_line_is_cut_and_marked(void)
{
	char	 big[3 * HG_RUNNER_LOG_LINE];
	const char *t;

	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	setup("runner.log");
	runlog_open(&cfg);
	runlog_printf("%s", big);
	teardown();
	t = text_of("runner.log");
	CHECK_INT(strlen(t), HG_RUNNER_LOG_LINE - 1);
	CHECK(strcmp(t + strlen(t) - 4, "...\n") == 0);
}

static void
stderr_that_is_not_runner_log_is_left_alone(void)
{
	int	 i;

	setup("terminal");
	runlog_open(&cfg);
	for (i = 0; i < 200; i++)
		runlog_printf("line %03d of a runner run by hand, say", i);
	teardown();
	CHECK(size_of("terminal") > CAP);
	CHECK_INT(size_of("runner.log"), -1);
	CHECK_INT(size_of("runner.log.1"), -1);
}

static void
before_a_spawn_a_full_log_is_rotated(void)
{
	char	 block[CAP];
	int	 fd;

	memset(&cfg, 0, sizeof(cfg));
	snprintf(cfg.data, sizeof(cfg.data), "%s", unit_dir);
	cfg.runner_log_max = CAP;
	memset(block, 'y', sizeof(block));
	fd = open(path("runner.log"), O_WRONLY | O_CREAT, 0600);
	CHECK(write(fd, block, CAP - 1) == CAP - 1);
	runlog_rotate(&cfg);
	CHECK_INT(size_of("runner.log"), CAP - 1);	/* not full yet */
	CHECK(write(fd, block, 1) == 1);
	close(fd);
	runlog_rotate(&cfg);
	CHECK_INT(size_of("runner.log"), -1);
	CHECK_INT(size_of("runner.log.1"), CAP);
}

static const struct unit_test tests[] = {
	UNIT(a_log_past_its_cap_becomes_runner_log_1),
	UNIT(a_process_left_on_the_rotated_file_follows_to_the_new_one),
	UNIT(a_runner_started_on_a_file_just_rotated_is_still_kept),
	UNIT(a_runner_started_on_a_file_rotated_away_is_still_kept),
	UNIT(a_long_line_is_cut_and_marked),
	UNIT(stderr_that_is_not_runner_log_is_left_alone),
	UNIT(before_a_spawn_a_full_log_is_rotated),
};

int
main(int argc, char **argv)
{
	UNIT_MAIN(tests, argc, argv);
}
