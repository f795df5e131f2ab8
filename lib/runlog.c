#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config.h"
#include "hg.h"
#include "runlog.h"

/* runner.log, the file rotated from it, and the lock of both. */
struct runlog_paths {
	char	 log[PATH_MAX + 16];
	char	 old[PATH_MAX + 16];
	char	 lock[PATH_MAX + 16];
};

/* Set by runlog_open(); the runner has one thread. */
static struct {
	int			 ours;	/* fd 2 is runner.log or .1 */
	long long		 max;
	struct runlog_paths	 p;
} rl;

/* Fills p for the data folder of c. Returns 0, or -1 if a path does
 * not fit (the data folder is near PATH_MAX). */
static int
runlog_paths(const struct config *c, struct runlog_paths *p)
{
	int	 a, b, d;

	a = snprintf(p->log, sizeof(p->log), "%s/runner.log", c->data);
	b = snprintf(p->old, sizeof(p->old), "%s/runner.log.1", c->data);
	d = snprintf(p->lock, sizeof(p->lock), "%s/runner.log.lock", c->data);
	if (a < 0 || b < 0 || d < 0 || (size_t)a >= sizeof(p->log) ||
	    (size_t)b >= sizeof(p->old) || (size_t)d >= sizeof(p->lock))
		return -1;
	return 0;
}

/* Takes the lock. Returns its fd (closing it lets go), or -1: then the
 * caller goes on without it, as a log line is worth more than order. */
static int
runlog_lock(const struct runlog_paths *p)
{
	int	 fd;

	if ((fd = open(p->lock, O_RDWR | O_CREAT | O_CLOEXEC, 0600)) == -1)
		return -1;
	while (flock(fd, LOCK_EX) == -1)
		if (errno != EINTR) {
			close(fd);
			return -1;
		}
	return fd;
}

static int
same_file(const struct stat *a, const struct stat *b)
{
	return a->st_dev == b->st_dev && a->st_ino == b->st_ino;
}

/* With the lock: makes fd 2 runner.log again if it is a file rotated
 * away (or runner.log is gone), so the next line goes to the new one. */
static void
runlog_reopen(const struct runlog_paths *p)
{
	struct stat	 cur, two;
	int		 fd;

	if (stat(p->log, &cur) == 0 && fstat(2, &two) == 0 &&
	    same_file(&cur, &two))
		return;
	if ((fd = open(p->log, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC,
	    0600)) == -1)
		return;
	(void)dup2(fd, 2);	/* fd 2 is not close-on-exec */
	close(fd);
}

/* With the lock: renames runner.log to runner.log.1 if it has bytes and
 * len more would take it past max. Returns 1 if it did. */
static int
runlog_turn(const struct runlog_paths *p, long long max, size_t len)
{
	struct stat	 st;

	if (stat(p->log, &st) == -1 || st.st_size == 0 ||
	    st.st_size + (long long)len <= max)
		return 0;
	return rename(p->log, p->old) == 0;
}

void
runlog_open(const struct config *c)
{
	struct stat	 two, st;

	memset(&rl, 0, sizeof(rl));
	if (runlog_paths(c, &rl.p) == -1 || fstat(2, &two) == -1)
		return;
	rl.max = c->runner_log_max;
	/* The .1 too: runner.log may have been rotated between the spawn
	 * that opened it and now; and, rotated twice, the file is gone
	 * (no link left), yet was opened for appending, as spawn() opens
	 * runner.log and no terminal is. */
	rl.ours = (stat(rl.p.log, &st) == 0 && same_file(&st, &two)) ||
	    (stat(rl.p.old, &st) == 0 && same_file(&st, &two)) ||
	    (S_ISREG(two.st_mode) && two.st_nlink == 0 &&
	    (fcntl(2, F_GETFL) & O_APPEND) != 0);
}

int
runlog_vprintf(const char *fmt, va_list ap)
{
	char	 line[HG_RUNNER_LOG_LINE];
	size_t	 len;
	ssize_t	 w;
	int	 n, fd;

	/* Room for the '\n'. */
	if ((n = vsnprintf(line, sizeof(line) - 1, fmt, ap)) < 0)
		return -1;
	len = (size_t)n;
	if (len >= sizeof(line) - 1) {
		/* Cut at a character, and say so. */
		len = sizeof(line) - 5;
		while (len > 0 && ((unsigned char)line[len] & 0xc0) == 0x80)
			len--;
		memcpy(line + len, "...", 3);
		len += 3;
	}
	line[len++] = '\n';
	if (!rl.ours)
		return write(2, line, len) == (ssize_t)len ? 0 : -1;
	fd = runlog_lock(&rl.p);
	runlog_reopen(&rl.p);
	if (runlog_turn(&rl.p, rl.max, len))
		runlog_reopen(&rl.p);
	w = write(2, line, len);
	if (fd != -1)
		close(fd);
	return w == (ssize_t)len ? 0 : -1;
}

int
runlog_printf(const char *fmt, ...)
{
	va_list	 ap;
	int	 rc;

	va_start(ap, fmt);
	rc = runlog_vprintf(fmt, ap);
	va_end(ap);
	return rc;
}

void
runlog_rotate(const struct config *c)
{
	struct runlog_paths	 p;
	struct stat		 st;
	int			 fd;

	/* Most calls find it small: no lock taken for them. */
	if (runlog_paths(c, &p) == -1 || stat(p.log, &st) == -1 ||
	    st.st_size < c->runner_log_max)
		return;
	fd = runlog_lock(&p);
	/* As if for a byte more: the runner about to start appends. */
	(void)runlog_turn(&p, c->runner_log_max, 1);
	if (fd != -1)
		close(fd);
}
