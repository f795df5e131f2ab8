/*
 * A header-only unit test harness.
 *
 * A test is a static void function of no arguments, listed by name in a
 * table that main() hands to unit_main():
 *
 *	static void
 *	parse_refuses_nul(void)
 *	{
 *		CHECK(json_parse("\0", 1, &e) == NULL);
 *	}
 *
 *	static const struct unit_test tests[] = {
 *		UNIT(parse_refuses_nul),
 *	};
 *	int main(int argc, char **argv) { UNIT_MAIN(tests, argc, argv); }
 *
 * A test left out of the table is an unused static function, which
 * -Wall -Werror turns into a build error, so none is forgotten.
 *
 * CHECK(cond) records a failure with file:line and the expression and
 * goes on. Each test runs in a child process of its own, so a crash, a
 * sanitizer report or a leak (LeakSanitizer runs when the child exits)
 * fails that test alone and the summary is still printed. Each child
 * gets a fresh empty folder, unit_dir, removed after it ends, and an
 * alarm of UNIT_TIMEOUT_S seconds against a hang.
 *
 * Output: one "ok <name>" or "FAIL <name>" per test, and as the last line
 * "N passed, N failed". Exit status 1 if any failed. Arguments, if any,
 * pick the tests whose names contain one of them. UNIT_NOFORK=1 runs
 * the tests in one process, for a debugger.
 */
#ifndef UNIT_H
#define UNIT_H

#include <ftw.h>
#include <inttypes.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define UNIT_TIMEOUT_S	60

struct unit_test {
	const char	*name;
	void		(*fn)(void);
};

#define UNIT(fn)	{ #fn, fn }

static int	unit_failures;		/* CHECKs failed in this test */
static char	unit_dir[4096];		/* this test's own empty folder */
static char	unit_kinds_path[4200];	/* the kinds file of this test */

/* Writes text to kinds.json in the test's folder; returns its path. */
__attribute__((unused)) static const char *
unit_write_kinds(const char *text)
{
	FILE	*f;

	snprintf(unit_kinds_path, sizeof(unit_kinds_path), "%s/kinds.json",
	    unit_dir);
	if ((f = fopen(unit_kinds_path, "w")) == NULL) {
		perror(unit_kinds_path);
		abort();
	}
	fputs(text, f);
	fclose(f);
	return unit_kinds_path;
}

static void
unit_fail(const char *file, int line, const char *what)
{
	unit_failures++;
	printf("  %s:%d: %s\n", file, line, what);
	fflush(stdout);
}

#define CHECK(cond) do {						\
	if (!(cond))							\
		unit_fail(__FILE__, __LINE__, "CHECK(" #cond ")");	\
} while (0)

/* Like CHECK, with both values printed when they differ. */
#define CHECK_INT(a, b) do {						\
	intmax_t unit_a_ = (intmax_t)(a), unit_b_ = (intmax_t)(b);	\
	if (unit_a_ != unit_b_) {					\
		char unit_m_[512];					\
		snprintf(unit_m_, sizeof(unit_m_), "CHECK_INT(" #a	\
		    ", " #b "): %jd != %jd", unit_a_, unit_b_);	\
		unit_fail(__FILE__, __LINE__, unit_m_);		\
	}								\
} while (0)

#define CHECK_STR(a, b) do {						\
	const char *unit_a_ = (a), *unit_b_ = (b);			\
	if (unit_a_ == NULL || unit_b_ == NULL ||			\
	    strcmp(unit_a_, unit_b_) != 0) {				\
		char unit_m_[2048];					\
		snprintf(unit_m_, sizeof(unit_m_), "CHECK_STR(" #a	\
		    ", " #b "): \"%.900s\" != \"%.900s\"",		\
		    unit_a_ ? unit_a_ : "(null)",			\
		    unit_b_ ? unit_b_ : "(null)");			\
		unit_fail(__FILE__, __LINE__, unit_m_);		\
	}								\
} while (0)

/* Checks that string s holds sub. */
#define CHECK_HAS(s, sub) do {						\
	const char *unit_a_ = (s), *unit_b_ = (sub);			\
	if (unit_a_ == NULL || strstr(unit_a_, unit_b_) == NULL) {	\
		char unit_m_[2048];					\
		snprintf(unit_m_, sizeof(unit_m_), "CHECK_HAS(" #s	\
		    ", " #sub "): \"%.900s\" lacks \"%.900s\"",		\
		    unit_a_ ? unit_a_ : "(null)", unit_b_);		\
		unit_fail(__FILE__, __LINE__, unit_m_);		\
	}								\
} while (0)

/* Checks that string s starts with prefix. */
#define CHECK_PREFIX(s, prefix) do {					\
	const char *unit_a_ = (s), *unit_b_ = (prefix);		\
	if (unit_a_ == NULL ||						\
	    strncmp(unit_a_, unit_b_, strlen(unit_b_)) != 0) {		\
		char unit_m_[2048];					\
		snprintf(unit_m_, sizeof(unit_m_), "CHECK_PREFIX(" #s	\
		    ", " #prefix "): \"%.900s\" does not start with "	\
		    "\"%.900s\"", unit_a_ ? unit_a_ : "(null)", unit_b_); \
		unit_fail(__FILE__, __LINE__, unit_m_);		\
	}								\
} while (0)

static int
unit_rm(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb;
	(void)flag;
	(void)ftw;
	remove(path);
	return 0;
}

/* Runs t in a child (unless nofork); returns 0 if it passed. */
static int
unit_run1(const struct unit_test *t, int nofork)
{
	const char	*tmp;
	char		 why[64] = "";
	pid_t		 pid;
	int		 status, failed;

	if ((tmp = getenv("TMPDIR")) == NULL || *tmp == '\0')
		tmp = "/tmp";
	snprintf(unit_dir, sizeof(unit_dir), "%s/unit.XXXXXX", tmp);
	if (mkdtemp(unit_dir) == NULL) {
		perror("mkdtemp");
		printf("FAIL %s (no temporary folder)\n", t->name);
		return -1;
	}
	unit_failures = 0;
	fflush(stdout);
	fflush(stderr);
	if (nofork) {
		t->fn();
		failed = unit_failures > 0;
	} else if ((pid = fork()) == -1) {
		perror("fork");
		failed = 1;
		snprintf(why, sizeof(why), " (fork failed)");
	} else if (pid == 0) {
		alarm(UNIT_TIMEOUT_S);
		t->fn();
		fflush(stdout);
		/* exit(), not _exit(): LeakSanitizer checks at exit. */
		exit(unit_failures > 0 ? 1 : 0);
	} else {
		while (waitpid(pid, &status, 0) == -1)
			;
		failed = !WIFEXITED(status) || WEXITSTATUS(status) != 0;
		if (WIFSIGNALED(status))
			snprintf(why, sizeof(why), " (killed by signal %d%s)",
			    WTERMSIG(status), WTERMSIG(status) == SIGALRM ?
			    ", timed out" : "");
		else if (failed && WEXITSTATUS(status) != 1)
			snprintf(why, sizeof(why), " (exit status %d)",
			    WEXITSTATUS(status));
		else if (failed)
			snprintf(why, sizeof(why), " (checks failed or a "
			    "sanitizer report)");
	}
	nftw(unit_dir, unit_rm, 16, FTW_DEPTH | FTW_PHYS);
	printf("%s %s%s\n", failed ? "FAIL" : "ok", t->name, why);
	fflush(stdout);
	return failed ? -1 : 0;
}

static int
unit_main(const struct unit_test *tests, size_t n, int argc, char **argv)
{
	const char	*nf = getenv("UNIT_NOFORK");
	size_t		 i, passed = 0, failed = 0;
	int		 a, pick;

	/* Lines in order even when stdout is a pipe shared with children. */
	setvbuf(stdout, NULL, _IOLBF, 0);
	for (i = 0; i < n; i++) {
		pick = argc < 2;
		for (a = 1; a < argc && !pick; a++)
			pick = strstr(tests[i].name, argv[a]) != NULL;
		if (!pick)
			continue;
		if (unit_run1(&tests[i], nf != NULL && *nf == '1') == 0)
			passed++;
		else
			failed++;
	}
	printf("%zu passed, %zu failed\n", passed, failed);
	return failed > 0 ? 1 : 0;
}

#define UNIT_MAIN(tests, argc, argv)					\
	return unit_main((tests), sizeof(tests) / sizeof((tests)[0]),	\
	    (argc), (argv))

#endif
