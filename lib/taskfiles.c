#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include "hg.h"
#include "taskfiles.h"

/* The block read backwards by taskfiles_log_tail. It runs on a request
 * thread's small stack (HG_THREAD_STACK): 64 KiB here beside the log
 * handler's 64 KiB overflowed it under ThreadSanitizer. */
#define TAIL_BLOCK	8192

static int
task_path(char *buf, size_t len, const char *fmt, const struct config *c,
    int64_t id)
{
	int	 n = snprintf(buf, len, fmt, c->data, (long long)id);

	return n < 0 || (size_t)n >= len ? -1 : 0;
}

int
taskfiles_log_path(const struct config *c, int64_t id, char *buf, size_t len)
{
	return task_path(buf, len, "%s/logs/%lld.log", c, id);
}

int
taskfiles_dir_path(const struct config *c, int64_t id, char *buf, size_t len)
{
	return task_path(buf, len, "%s/tasks/%lld", c, id);
}

static int
spare_path(const struct config *c, long pid, char *buf, size_t len)
{
	return task_path(buf, len, "%s/tasks/" TASKFILES_SPARES "/%lld", c,
	    pid);
}

int
taskfiles_dir_make(const struct config *c, int64_t id, char *buf, size_t len)
{
	char	 spare[PATH_MAX];

	if (taskfiles_dir_path(c, id, buf, len) == -1) {
		errno = ENAMETOOLONG;
		return -1;
	}
	/* Never over a folder that is there: an earlier attempt's. */
	if (spare_path(c, (long)getpid(), spare, sizeof(spare)) == 0 &&
	    renameat2(AT_FDCWD, spare, AT_FDCWD, buf, RENAME_NOREPLACE) == 0)
		return 0;
	return mkdir(buf, 0700) == -1 && errno != EEXIST ? -1 : 0;
}

int
taskfiles_spare_make(const struct config *c)
{
	char	 path[PATH_MAX], *slash;

	if (spare_path(c, (long)getpid(), path, sizeof(path)) == -1) {
		errno = ENAMETOOLONG;
		return -1;
	}
	if (mkdir(path, 0700) == 0 || errno == EEXIST)
		return 0;
	if (errno != ENOENT || (slash = strrchr(path, '/')) == NULL)
		return -1;
	/* The first spare makes their folder. */
	*slash = '\0';
	if (mkdir(path, 0700) == -1 && errno != EEXIST)
		return -1;
	*slash = '/';
	return mkdir(path, 0700) == -1 && errno != EEXIST ? -1 : 0;
}

void
taskfiles_spare_remove(const struct config *c)
{
	char	 path[PATH_MAX];

	if (spare_path(c, (long)getpid(), path, sizeof(path)) == 0)
		(void)rmdir(path);
}

void
taskfiles_spares_sweep(const struct config *c)
{
	char		 path[PATH_MAX];
	struct dirent	*de;
	DIR		*d;
	const char	*p;
	long		 pid;

	if (snprintf(path, sizeof(path), "%s/tasks/" TASKFILES_SPARES,
	    c->data) >= (int)sizeof(path) || (d = opendir(path)) == NULL)
		return;
	while ((de = readdir(d)) != NULL) {
		/* A pid as a runner writes it, and nothing else. */
		pid = 0;
		for (p = de->d_name; *p >= '0' && *p <= '9' && pid <= INT_MAX;
		    p++)
			pid = pid * 10 + (*p - '0');
		if (*p != '\0' || de->d_name[0] == '0' || pid <= 0 ||
		    pid > INT_MAX || kill((pid_t)pid, 0) == 0 ||
		    errno != ESRCH)
			continue;
		(void)unlinkat(dirfd(d), de->d_name, AT_REMOVEDIR);
	}
	closedir(d);
}

/*
 * A writer killed in the middle of a write leaves part of a line at the
 * end: it is taken back, as a failed write is (taskfiles_log_write), so
 * that the next line, an attempt's first included, is a line of its own.
 */
static void
whole_lines(struct taskfiles_log *lg)
{
	char	 last;
	off_t	 keep;

	if (lg->size == 0 || pread(lg->fd, &last, 1, (off_t)(lg->size - 1)) !=
	    1 || last == '\n')
		return;
	/* The part is the file's last line: where it begins. */
	if ((keep = taskfiles_log_tail(lg->fd, (off_t)lg->size, 1)) != -1 &&
	    ftruncate(lg->fd, keep) == 0)
		lg->size = lg->end = (long long)keep;
}

int
taskfiles_log_open(struct taskfiles_log *lg, const struct config *c,
    int64_t id, int lock, char *err, size_t errlen)
{
	char		 path[PATH_MAX], tail[sizeof(lg->marker)];
	struct stat	 sb;
	ssize_t		 got;

	memset(lg, 0, sizeof(*lg));
	lg->fd = -1;
	lg->max = c->log_max;
	lg->mlen = (size_t)snprintf(lg->marker, sizeof(lg->marker), HG_LOG_CUT,
	    c->log_max);
	if (taskfiles_log_path(c, id, path, sizeof(path)) == -1) {
		snprintf(err, errlen, "the log of task %lld: path too long",
		    (long long)id);
		return -1;
	}
	if ((lg->fd = open(path, O_RDWR | O_CREAT | O_APPEND | O_CLOEXEC,
	    0600)) == -1) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	if (lock)
		lg->locked = flock(lg->fd, LOCK_EX) == 0;
	lg->size = fstat(lg->fd, &sb) == 0 ? (long long)sb.st_size : 0;
	lg->end = lg->size;
	whole_lines(lg);
	/* A cut log ends with the marker, and nothing follows it. */
	if (lg->size > (long long)lg->mlen) {
		got = pread(lg->fd, tail, lg->mlen + 1,
		    (off_t)(lg->size - (long long)lg->mlen - 1));
		lg->cut = got == (ssize_t)lg->mlen + 1 && memcmp(tail,
		    lg->marker, lg->mlen) == 0 && tail[lg->mlen] == '\n';
	}
	return 0;
}

enum taskfiles_put
taskfiles_log_admit(struct taskfiles_log *lg, size_t len)
{
	if (lg->cut)
		return TASKFILES_FULL;
	if (lg->size + (long long)len + 1 > lg->max) {
		lg->cut = 1;
		lg->size += (long long)lg->mlen + 1;
		return TASKFILES_CUT;
	}
	lg->size += (long long)len + 1;
	return TASKFILES_PUT;
}

enum taskfiles_put
taskfiles_log_append(struct taskfiles_log *lg, const char *line, size_t len)
{
	enum taskfiles_put	 put = taskfiles_log_admit(lg, len);

	if (put == TASKFILES_CUT)
		line = lg->marker;
	if (put != TASKFILES_FULL)
		(void)taskfiles_log_write(lg, &line, 1);
	return put;
}

/* Lines written by one writev(), two iovecs each: 2 KiB of stack, for
 * the server's threads too (a report). */
#define LOG_WRITE_LINES	64

int
taskfiles_log_write(struct taskfiles_log *lg, const char *const *v, size_t n)
{
	struct iovec	 iov[LOG_WRITE_LINES * 2], *p;
	long long	 start = lg->end;
	size_t		 i, k;
	ssize_t		 w;
	int		 cnt, saved;

	if (lg->fd == -1)
		return 0;
	for (i = 0; i < n; i += k) {
		for (k = 0; k < LOG_WRITE_LINES && i + k < n; k++) {
			iov[2 * k].iov_base = (void *)v[i + k];
			iov[2 * k].iov_len = strlen(v[i + k]);
			iov[2 * k + 1].iov_base = "\n";
			iov[2 * k + 1].iov_len = 1;
		}
		/* A short write goes on from where it stopped. */
		for (p = iov, cnt = (int)(2 * k); cnt > 0; ) {
			if ((w = writev(lg->fd, p, cnt)) == -1) {
				if (errno == EINTR)
					continue;
				goto fail;
			}
			lg->end += w;
			hg_iov_advance(&p, &cnt, (size_t)w);
		}
	}
	return 0;
fail:
	saved = errno;
	if (ftruncate(lg->fd, (off_t)start) == 0)
		lg->end = start;
	errno = saved;
	return -1;
}

void
taskfiles_log_takeback(struct taskfiles_log *lg, long long to)
{
	if (lg->fd != -1 && to < lg->end && ftruncate(lg->fd, (off_t)to) ==
	    0) {
		lg->size = lg->end = to;
		lg->cut = 0;
	}
}

void
taskfiles_log_close(struct taskfiles_log *lg)
{
	if (lg->fd == -1)
		return;
	if (lg->locked)
		(void)flock(lg->fd, LOCK_UN);
	close(lg->fd);
	lg->fd = -1;
	lg->locked = 0;
}

int
taskfiles_log_read(const struct config *c, int64_t id)
{
	char	 path[PATH_MAX];

	if (taskfiles_log_path(c, id, path, sizeof(path)) == -1)
		return -1;
	return open(path, O_RDONLY | O_CLOEXEC);
}

off_t
taskfiles_log_tail(int fd, off_t size, long n)
{
	char	 buf[TAIL_BLOCK];
	off_t	 pos = size, start;
	ssize_t	 got, i;
	long	 seen = 0;

	/* The last byte ends the last line; it starts no line. */
	if (size > 0)
		pos--;
	while (pos > 0) {
		start = pos > (off_t)sizeof(buf) ? pos - (off_t)sizeof(buf) : 0;
		if ((got = pread(fd, buf, (size_t)(pos - start), start)) <= 0)
			return -1;
		for (i = got - 1; i >= 0; i--)
			if (buf[i] == '\n' && ++seen == n)
				return start + i + 1;
		pos = start;
	}
	return 0;
}

static int
remove_entry(const char *path, const struct stat *sb, int flag,
    struct FTW *ftw)
{
	(void)sb;
	(void)ftw;
	if (flag == FTW_DP)
		(void)rmdir(path);
	else
		(void)unlink(path);
	return 0;
}

void
taskfiles_remove(const struct config *c, int64_t id)
{
	char	 path[PATH_MAX];

	if (taskfiles_log_path(c, id, path, sizeof(path)) == 0)
		(void)unlink(path);
	if (taskfiles_dir_path(c, id, path, sizeof(path)) == 0)
		(void)nftw(path, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
}
