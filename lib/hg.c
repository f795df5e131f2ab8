#include <errno.h>
#include <fcntl.h>
#include <malloc.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <stdlib.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include "hg.h"

int
hg_err_set(struct hg_err *e, int status, const char *code, const char *fmt,
    ...)
{
	va_list	 ap;

	if (e == NULL)
		return -1;
	e->status = status;
	snprintf(e->code, sizeof(e->code), "%s", code);
	va_start(ap, fmt);
	vsnprintf(e->msg, sizeof(e->msg), fmt, ap);
	va_end(ap);
	return -1;
}

static int64_t
clock_ms(clockid_t id)
{
	struct timespec	 ts;

	clock_gettime(id, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void
hg_deadline(struct timespec *ts, clockid_t clock, int64_t ms)
{
	clock_gettime(clock, ts);
	ts->tv_sec += ms / 1000;
	ts->tv_nsec += (long)(ms % 1000) * 1000000;
	if (ts->tv_nsec >= 1000000000) {
		ts->tv_sec++;
		ts->tv_nsec -= 1000000000;
	}
}

int64_t
hg_wait_until(int64_t at, int64_t max)
{
	if (at > 0 && (at -= hg_now_ms()) < max)
		return at > 0 ? at : 0;
	return max;
}

int64_t
hg_now_ms(void)
{
	return clock_ms(CLOCK_REALTIME);
}

int64_t
hg_mono_ms(void)
{
	return clock_ms(CLOCK_MONOTONIC);
}

void
hg_sleep_ms(int64_t ms)
{
	struct timespec	 ts;

	ts.tv_sec = (time_t)(ms / 1000);
	ts.tv_nsec = (long)(ms % 1000) * 1000000;
	while (nanosleep(&ts, &ts) == -1 && errno == EINTR)
		;
}

void
hg_iso8601(int64_t ms, char *buf, size_t len)
{
	time_t		 t = (time_t)(ms / 1000);
	struct tm	 tm;

	gmtime_r(&t, &tm);
	snprintf(buf, len, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ",
	    tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
	    tm.tm_min, tm.tm_sec, (int)(ms % 1000));
}

int
hg_parse_id(const char *s, size_t len, int64_t *id)
{
	uint64_t	 v = 0;
	size_t		 i;

	if (len == 0 || len > 19 || s[0] == '0')
		return -1;
	for (i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (uint64_t)(s[i] - '0');
	}
	if (v > (uint64_t)HG_ID_MAX)
		return -1;
	*id = (int64_t)v;
	return 0;
}

int
hg_proc_read(long pid, struct hg_proc *p)
{
	char	 path[64], buf[1024], *s, *end;
	int64_t	 v;
	FILE	*f;
	size_t	 n;
	int	 field;

	snprintf(path, sizeof(path), "/proc/%ld/stat", pid);
	if ((f = fopen(path, "re")) == NULL)
		return -1;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	/* The command name (field 2) may hold spaces and parentheses: count
	 * fields from the last ')'. */
	if ((s = strrchr(buf, ')')) == NULL || s[1] != ' ' || s[2] == '\0')
		return -1;
	p->state = s[2];
	s += 3;
	for (field = 4; field <= 22; field++) {
		v = strtoll(s, &end, 10);
		if (end == s)
			return -1;
		if (field == 5)
			p->pgrp = v;
		else if (field == 6)
			p->session = v;
		else if (field == 22)
			p->start = v;
		s = end;
	}
	return 0;
}

int64_t
hg_proc_start(long pid)
{
	struct hg_proc	 p;

	return hg_proc_read(pid, &p) == -1 ? -1 : p.start;
}

void
hg_iov_advance(struct iovec **iov, int *cnt, size_t n)
{
	struct iovec	*p = *iov;

	for (; *cnt > 0 && n >= p->iov_len; p++, (*cnt)--)
		n -= p->iov_len;
	if (*cnt > 0) {
		p->iov_base = (char *)p->iov_base + n;
		p->iov_len -= n;
	}
	*iov = p;
}

int
hg_std_fds(int flags)
{
	int	 fd;

	while ((fd = open("/dev/null", flags)) != -1 && fd <= 2)
		;
	if (fd == -1)
		return -1;
	close(fd);
	return 0;
}

int
hg_ct_equal(const void *a, const void *b, size_t n)
{
	const unsigned char	*x = a, *y = b;
	volatile unsigned char	 d = 0;
	size_t			 i;

	for (i = 0; i < n; i++)
		d |= x[i] ^ y[i];
	return d == 0;
}

void
hg_malloc_keep(void)
{
	(void)mallopt(M_MMAP_THRESHOLD, HG_MALLOC_MAP_MIN);
	(void)mallopt(M_TRIM_THRESHOLD, HG_MALLOC_TRIM_MIN);
}
