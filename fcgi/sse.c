/*
 * SSE streams on event loops.
 *
 * A stream's connection from nginx carries one FastCGI request (the
 * streams' upstream is never kept: nginx.conf). The connection thread
 * checks the request, sends the head and what the stream starts with
 * through libfcgi, reads the request's input to its end, and hands the
 * socket to a loop. From then on the loop writes the rest itself:
 * FCGI_STDOUT records, and at the end an empty one and FCGI_END_REQUEST
 * (the FastCGI specification, sections 3.3, 5.3 and 5.5), then closes
 * the socket. nginx sends nothing more on that connection and closes it
 * when its client leaves, so the socket turning readable or hung up
 * means gone: epoll tells, and no idle stream is ever woken to look.
 *
 * Each loop keeps its streams in a list by the time of their last
 * write, oldest first, so the next ping is due at the head: an idle
 * loop sleeps until then, or until the feed has events.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/resource.h>
#include <unistd.h>

#include "feed.h"
#include "record.h"
#include "server.h"
#include "sse.h"
#include "tally.h"

#define SSE_EVENTS		256	/* epoll events taken at once */

struct stream {
	int		 fd;
	int		 reqid;		/* its FastCGI request id */
	struct cursor	 c;
	struct buf	 pend;		/* records not yet written */
	size_t		 sent;		/* bytes of pend written */
	int64_t		 wrote_at;	/* hg_mono_ms() of the last write */
	unsigned	 gen;		/* the loop's round that last filled it */
	int		 ending;	/* the end records are in pend */
	int		 counted;	/* in the tally (stream_count) */
	int		 out_armed;	/* EPOLLOUT asked for */
	struct stream	*prev, *next;	/* the loop's, oldest write first */
};

/*
 * What the round's first stream at a place in the feed was sent. The
 * streams after it in the same round at the same place, after the same
 * task (or every one) and with the same request id (nginx gives the only
 * request on each connection id 1), are sent the very bytes, without the
 * feed's lock or a copy: at 10,000 watchers of /api/events, one fill and
 * one framing for each event, not 10,000. Only a fill that reached the
 * feed's newest event and did not end its stream is shared.
 */
struct share {
	unsigned	 gen;		/* the round it holds for */
	int64_t		 from;		/* the cursor before */
	int64_t		 to;		/* and after */
	int64_t		 task;
	int		 reqid;
	struct buf	 rec;		/* the records */
};

struct loop {
	pthread_t	 thread;
	int		 epfd;
	int		 efd;		/* the feed's and adopt()'s wake-up */
	pthread_mutex_t	 mu;		/* guards incoming and stopping */
	struct stream	*incoming;	/* handed over, not yet taken in */
	int		 stopping;
	struct stream	 list;		/* sentinel of the streams taken in */
	unsigned	 gen;
	struct share	 sh;
};

static struct loop	 loops[HG_SSE_LOOPS];
static int		 nloops;
static atomic_int	 nstreams;	/* open, in every loop */
static atomic_uint	 next_loop;

/* Appends n bytes of p as records of type for request id (one empty
 * record when n is 0). Returns 0, or -1 without memory. */
static int
rec_add(struct buf *b, int type, int id, const char *p, size_t n)
{
	unsigned char	 h[FCGI_HEADER_LEN];
	size_t		 k;

	do {
		k = n < FCGI_CONTENT_MAX ? n : FCGI_CONTENT_MAX;
		record_head(h, type, id, k);
		if (buf_add(b, h, sizeof(h)) == -1 ||
		    (k > 0 && buf_add(b, p, k) == -1))
			return -1;
		p += k;
		n -= k;
	} while (n > 0);
	return 0;
}

/* Counts s's request as answered, 200, and s out of the open streams:
 * once, before its end records are queued, so that a client that has
 * the end finds it counted, or as it is closed. */
static void
stream_count(struct stream *s)
{
	if (s->counted)
		return;
	s->counted = 1;
	tally_sse(-1);
	tally_request(200);
}

/* The end of the response (record_end). */
static int
end_add(struct stream *s)
{
	unsigned char	 e[FCGI_END_LEN];

	stream_count(s);
	record_end(e, s->reqid);
	if (buf_add(&s->pend, e, sizeof(e)) == -1)
		return -1;
	s->ending = 1;
	return 0;
}

static void
list_unlink(struct stream *s)
{
	s->prev->next = s->next;
	s->next->prev = s->prev;
}

/* Puts s last in l's list (s in no list). */
static void
list_append(struct loop *l, struct stream *s)
{
	s->prev = l->list.prev;
	s->next = &l->list;
	l->list.prev->next = s;
	l->list.prev = s;
}

/* s wrote (or tried to, for a ping) now: its next ping is the last. */
static void
touch(struct loop *l, struct stream *s)
{
	s->wrote_at = hg_mono_ms();
	list_unlink(s);
	list_append(l, s);
}

static void
want_out(struct loop *l, struct stream *s, int on)
{
	struct epoll_event	 ev;

	if (s->out_armed == on)
		return;
	memset(&ev, 0, sizeof(ev));
	ev.events = EPOLLIN | EPOLLRDHUP | (on ? EPOLLOUT : 0);
	ev.data.ptr = s;
	if (epoll_ctl(l->epfd, EPOLL_CTL_MOD, s->fd, &ev) == 0)
		s->out_armed = on;
}

/* Closes s and forgets it, counted if it was not. */
static void
stream_end(struct stream *s)
{
	stream_count(s);
	list_unlink(s);
	close(s->fd);
	(void)feed_watch(s->c.task, -1);
	atomic_fetch_sub(&nstreams, 1);
	buf_free(&s->c.out);
	buf_free(&s->pend);
	free(s);
}

/* Writes what s's socket takes of p[0..n) now. Returns the bytes
 * written (0 when the socket is full), or -1 once the client left. */
static ssize_t
write_some(struct stream *s, const char *p, size_t n)
{
	ssize_t	 w;

	do
		w = write(s->fd, p, n);
	while (w == -1 && errno == EINTR);
	if (w > 0)
		return w;
	if (w == -1 && (errno == EAGAIN || errno == EWOULDBLOCK))
		return 0;
	return -1;
}

/* Writes what s has pending, as far as the socket takes it. Returns -1
 * once s is to end: the client left, or its end records went out. */
static int
flush(struct loop *l, struct stream *s)
{
	ssize_t	 n;
	size_t	 left;
	int	 wrote = 0;

	while ((left = s->pend.len - s->sent) > 0) {
		if ((n = write_some(s, s->pend.p + s->sent, left)) == -1)
			return -1;
		if (n == 0)
			break;
		s->sent += (size_t)n;
		wrote = 1;
	}
	if (wrote)
		touch(l, s);
	if (left > 0) {
		want_out(l, s, 1);
		return 0;
	}
	s->sent = 0;
	buf_reset(&s->pend);
	/* A catch-up can grow it; an idle stream keeps none. */
	if (s->pend.cap > HG_STREAM_CHUNK * 2)
		buf_free(&s->pend);
	want_out(l, s, 0);
	return s->ending ? -1 : 0;
}

/* Keeps what s, which was at from, was just sent (all of s->pend) for
 * the streams after it in this round. */
static void
share_keep(struct loop *l, struct stream *s, int64_t from)
{
	struct share	*sh = &l->sh;

	buf_reset(&sh->rec);
	if (buf_add(&sh->rec, s->pend.p, s->pend.len) == -1) {
		sh->gen = l->gen - 1;	/* none this round */
		return;
	}
	sh->gen = l->gen;
	sh->from = from;
	sh->to = s->c.after;
	sh->task = s->c.task;
	sh->reqid = s->reqid;
}

/* Sends s (nothing pending) the round's shared records if they are what
 * it is due. Returns 1 if so (s then has what the feed had when the
 * round began: newer events wake the loop for another), 0 if not, -1
 * once s is to end. */
static int
share_take(struct loop *l, struct stream *s)
{
	struct share	*sh = &l->sh;
	ssize_t		 n;

	if (sh->gen != l->gen || sh->rec.len == 0 ||
	    s->c.after != sh->from || s->c.final ||
	    s->c.task != sh->task || s->reqid != sh->reqid)
		return 0;
	s->c.after = sh->to;
	if ((n = write_some(s, sh->rec.p, sh->rec.len)) == -1)
		return -1;
	if (n > 0)
		touch(l, s);
	if ((size_t)n < sh->rec.len) {
		if (buf_add(&s->pend, sh->rec.p + n, sh->rec.len -
		    (size_t)n) == -1)
			return -1;
		s->sent = 0;
		want_out(l, s, 1);
	}
	return 1;
}

/* Sends s what the feed has for it, until it has nothing more or its
 * socket is full (then EPOLLOUT brings it back). Returns -1 once s is
 * to end. */
static int
pump(struct loop *l, struct stream *s)
{
	int64_t	 upto, from;
	int	 rc;

	while (!s->ending && s->pend.len == 0) {
		if ((rc = share_take(l, s)) != 0)
			return rc == 1 ? 0 : -1;
		from = s->c.after;
		if (feed_fill(&s->c, &upto) == -1)
			return -1;
		if (upto > 0 && feed_catchup(&s->c, upto) == -1)
			return -1;
		if (s->c.out.len == 0 && !s->c.final) {
			if (upto > 0)
				continue;	/* none of its own in there */
			return 0;
		}
		if (s->c.out.len > 0 && rec_add(&s->pend, FCGI_STDOUT,
		    s->reqid, s->c.out.p, s->c.out.len) == -1)
			return -1;
		if (upto == 0 && !s->c.final && s->c.out.len > 0 &&
		    s->c.after == s->c.newest)
			share_keep(l, s, from);
		buf_reset(&s->c.out);
		if (s->c.out.cap > HG_STREAM_CHUNK * 2)
			buf_free(&s->c.out);
		if (s->c.final && end_add(s) == -1)
			return -1;
		if (flush(l, s) == -1)
			return -1;
	}
	return 0;
}

/* A comment keeps an idle stream open through proxies. A stream whose
 * socket is full gets none; it counts as pinged all the same. */
static int
ping(struct loop *l, struct stream *s)
{
	if (s->pend.len > 0) {
		touch(l, s);
		return 0;
	}
	if (rec_add(&s->pend, FCGI_STDOUT, s->reqid, ": ping\n\n", 8) == -1)
		return -1;
	touch(l, s);
	return flush(l, s);
}

/* Takes in the streams handed over since the last round. */
static void
intake(struct loop *l, struct stream *in)
{
	struct epoll_event	 ev;
	struct stream		*s;
	int			 fl;

	while ((s = in) != NULL) {
		in = s->next;
		list_append(l, s);
		memset(&ev, 0, sizeof(ev));
		ev.events = EPOLLIN | EPOLLRDHUP;
		ev.data.ptr = s;
		if ((fl = fcntl(s->fd, F_GETFL)) == -1 ||
		    fcntl(s->fd, F_SETFL, fl | O_NONBLOCK) == -1 ||
		    epoll_ctl(l->epfd, EPOLL_CTL_ADD, s->fd, &ev) == -1) {
			stream_end(s);
			continue;
		}
		s->gen = l->gen;
		if (pump(l, s) == -1)
			stream_end(s);
	}
}

/* At stop: each stream gets its end records if the socket takes them
 * now, and is closed. */
static void
end_all(struct loop *l)
{
	struct stream	*s;

	while ((s = l->list.next) != &l->list) {
		if (!s->ending && s->pend.len == 0 && end_add(s) == 0)
			(void)flush(l, s);
		stream_end(s);
	}
	buf_free(&l->sh.rec);
}

static void *
loop_main(void *arg)
{
	struct loop		*l = arg;
	struct epoll_event	 ev[SSE_EVENTS];
	struct stream		*s, *next, *in;
	uint64_t		 v;
	int64_t			 now, d;
	int			 i, n, woke, stop, timeout;

	/* Named, so that top -H and /proc tell the loops apart. */
	(void)pthread_setname_np(pthread_self(), "hg-sse");
	for (;;) {
		timeout = -1;
		if ((s = l->list.next) != &l->list) {
			d = s->wrote_at + HG_PING_MS - hg_mono_ms();
			timeout = d > 0 ? (int)d : 0;
		}
		n = epoll_wait(l->epfd, ev, SSE_EVENTS, timeout);
		woke = 0;
		for (i = 0; i < n; i++) {
			if ((s = ev[i].data.ptr) == NULL) {
				(void)read(l->efd, &v, sizeof(v));
				woke = 1;
			} else if (ev[i].events & (EPOLLIN | EPOLLRDHUP |
			    EPOLLHUP | EPOLLERR))
				stream_end(s);	/* the client left */
			else if ((ev[i].events & EPOLLOUT) &&
			    (flush(l, s) == -1 || pump(l, s) == -1))
				stream_end(s);
		}
		pthread_mutex_lock(&l->mu);
		stop = l->stopping;
		in = l->incoming;
		l->incoming = NULL;
		pthread_mutex_unlock(&l->mu);
		l->gen++;
		intake(l, in);
		if (stop)
			break;
		/* Each stream once: one that writes moves to the tail. */
		for (s = l->list.next; woke && s != &l->list; s = next) {
			next = s->next;
			if (s->gen == l->gen)
				continue;
			s->gen = l->gen;
			if (pump(l, s) == -1)
				stream_end(s);
		}
		now = hg_mono_ms();
		while ((s = l->list.next) != &l->list &&
		    s->wrote_at + HG_PING_MS <= now)
			if (ping(l, s) == -1)
				stream_end(s);
	}
	end_all(l);
	return NULL;
}

/* Hands s to a loop. Returns 0, or -1 once the loops are stopping. */
static int
adopt(struct stream *s)
{
	struct loop	*l;
	uint64_t	 one = 1;
	int		 stop;

	l = &loops[atomic_fetch_add(&next_loop, 1) % (unsigned)nloops];
	pthread_mutex_lock(&l->mu);
	if (!(stop = l->stopping)) {
		s->next = l->incoming;
		l->incoming = s;
	}
	pthread_mutex_unlock(&l->mu);
	if (stop)
		return -1;
	(void)write(l->efd, &one, sizeof(one));
	return 0;
}

long
sse_fd_reserve(void)
{
	long	 cores = sysconf(_SC_NPROCESSORS_ONLN);

	/* Up to HG_FD_CORES: on a host of 64 cores a limit of 4,096
	 * would otherwise leave no stream at all. */
	if (cores < 1)
		cores = 1;
	return HG_FD_RESERVE + HG_FD_PER_CORE * (cores < HG_FD_CORES ?
	    cores : HG_FD_CORES);
}

/* How many streams may be open: what the descriptor limit leaves past
 * sse_fd_reserve(), read each time (prlimit(1) may change it while we
 * run), and never past HG_STREAMS_MAX. */
static long
room(void)
{
	struct rlimit	 rl;
	long		 cap = HG_STREAMS_MAX, keep = sse_fd_reserve();

	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur !=
	    RLIM_INFINITY && (long)rl.rlim_cur - keep < cap)
		cap = (long)rl.rlim_cur - keep;
	return cap;
}

/* Reads the request's input to its end (a GET's is empty), so that
 * anything the socket says after it means the client left. Returns 0,
 * or -1 if the connection failed. */
static int
input_end(struct req *r)
{
	while (FCGX_GetChar(r->fcgi.in) != EOF)
		;
	return FCGX_GetError(r->fcgi.in) == 0 ? 0 : -1;
}

void
stream_serve(struct req *r, int64_t task)
{
	struct cursor	 c = { .task = task };
	struct stream	*s = NULL;
	struct hg_err	 e;
	char		 head[64];
	long		 cap;

	if (feed_open(r, &c) == -1)
		goto out;
	/* A HEAD of a stream is its head; nothing follows. */
	if (r->head) {
		reply_stream(r, "");
		goto out;
	}
	if (atomic_load(&nstreams) >= (cap = room())) {
		snprintf(head, sizeof(head), "Retry-After: %d\r\n",
		    HG_STREAMS_RETRY_S);
		hg_err_set(&e, 503, "unavailable", "%ld streams are open, as "
		    "many as this server's descriptors allow; try again later",
		    cap > 0 ? cap : 0);
		reply_err(r, head, &e);
		goto out;
	}
	if ((s = calloc(1, sizeof(*s))) == NULL ||
	    feed_watch(task, 1) == -1) {
		reply_errf(r, 503, "unavailable", "out of memory");
		goto out;
	}
	atomic_fetch_add(&nstreams, 1);
	tally_sse(1);
	snprintf(head, sizeof(head), "retry: %d\n\n", HG_RETRY_MS);
	reply_stream(r, head);
	if (r->broken || (c.out.len > 0 && FCGX_PutStr(c.out.p, (int)c.out.len,
	    r->fcgi.out) != (int)c.out.len) || FCGX_FFlush(r->fcgi.out) ==
	    -1 || input_end(r) == -1)
		goto gone;
	buf_reset(&c.out);
	s->fd = r->fcgi.ipcFd;
	s->reqid = r->fcgi.requestId;
	s->c = c;
	memset(&c.out, 0, sizeof(c.out));
	s->wrote_at = hg_mono_ms();
	r->adopted = 1;
	if (adopt(s) == 0)
		return;
	r->adopted = 0;
	c.out = s->c.out;
gone:
	/* The request ends as any does, counted there. */
	(void)feed_watch(task, -1);
	tally_sse(-1);
	atomic_fetch_sub(&nstreams, 1);
out:
	free(s);
	buf_free(&c.out);
}

int
sse_start(char *err, size_t errlen)
{
	struct epoll_event	 ev;
	struct loop		*l;
	int			 i;

	for (i = 0; i < HG_SSE_LOOPS; i++) {
		l = &loops[i];
		pthread_mutex_init(&l->mu, NULL);
		l->list.next = l->list.prev = &l->list;
		if ((l->epfd = epoll_create1(EPOLL_CLOEXEC)) == -1 ||
		    (l->efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)) == -1) {
			snprintf(err, errlen, "stream loop: %s",
			    strerror(errno));
			return -1;
		}
		memset(&ev, 0, sizeof(ev));
		ev.events = EPOLLIN;
		ev.data.ptr = NULL;
		if (epoll_ctl(l->epfd, EPOLL_CTL_ADD, l->efd, &ev) == -1 ||
		    feed_subscribe(l->efd) == -1) {
			snprintf(err, errlen, "stream loop: %s",
			    strerror(errno));
			return -1;
		}
		if ((errno = pthread_create(&l->thread, NULL, loop_main,
		    l)) != 0) {
			snprintf(err, errlen, "pthread_create: %s",
			    strerror(errno));
			return -1;
		}
		nloops++;
	}
	return 0;
}

void
sse_stop(void)
{
	uint64_t	 one = 1;
	int		 i;

	for (i = 0; i < nloops; i++) {
		pthread_mutex_lock(&loops[i].mu);
		loops[i].stopping = 1;
		pthread_mutex_unlock(&loops[i].mu);
		(void)write(loops[i].efd, &one, sizeof(one));
	}
	for (i = 0; i < nloops; i++)
		pthread_join(loops[i].thread, NULL);
}

void
sse_free(void)
{
	int	 i;

	for (i = 0; i < nloops; i++) {
		close(loops[i].epfd);
		close(loops[i].efd);
		pthread_mutex_destroy(&loops[i].mu);
	}
	nloops = 0;
}
