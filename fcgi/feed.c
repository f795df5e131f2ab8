/*
 * The event feed: one thread reads new events from SQLite, once, when a
 * runner or a handler nudges it (or every HG_FEED_POLL_MS), keeps the
 * newest HG_FEED_RING of them (at most HG_FEED_RING_BYTES of frames) in
 * memory as ready SSE frames, and wakes the stream loops (sse.c). A
 * stream that needs older events (a resume from far back) reads those
 * from SQLite, and then follows the ring.
 */
#include <errno.h>
#include <malloc.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "feed.h"
#include "json.h"
#include "notify.h"
#include "pool.h"
#include "server.h"

/* Eventfds of the stream loops (sse.c): one each. */
#define FEED_WAKE_MAX	HG_SSE_LOOPS

/* How many streams watch one task, and when the last one left. */
struct watch {
	int64_t	 task;
	int	 n;
	int64_t	 left_at;	/* ms since the epoch; while n is 0 */
};

struct fev {
	int64_t	 id;
	int64_t	 task;
	int	 final;		/* a task's stream ends with it: a state
				 * event into an ended state, or the
				 * task's deletion */
	int	 deletion;	/* the deleted event: outlives the task */
	char	*frame;		/* "id: N\nevent: T\ndata: {...}\n\n";
				 * NULL once its task is deleted */
	size_t	 len;
};

static struct {
	pthread_mutex_t	 mu;	/* guards the fields below */
	int		 wake[FEED_WAKE_MAX];	/* told when last grows, or
						 * on stop (eventfds) */
	int		 nwake;
	struct fev	 ring[HG_FEED_RING];
	size_t		 head;	/* index of the oldest */
	size_t		 count;
	size_t		 bytes;	/* of the frames in ring */
	int64_t		 floor;	/* events floor < id <= last are in ring */
	int64_t		 last;	/* the newest event read */
	int		 stopping;
	/* Who watches: streams of every task, and of one task each. */
	int		 all_watchers;
	int64_t		 all_left_at;	/* when the last of those left */
	struct watch	*watched;
	size_t		 nwatched, capwatched;
} feed = { .mu = PTHREAD_MUTEX_INITIALIZER };

static int		 kick_fd = -1;
static int		 notify_fd = -1;
static struct store	*feed_st;
static pthread_t	 feed_thread;
/* Set before the feed thread starts, read only by it. */
static feed_final_fn	 on_final;
static void		*on_final_arg;

static int
ended(enum task_state state)
{
	return state_final(state);
}

/* Formats ev as an SSE frame. Returns 0, or -1 without memory. */
static int
frame_make(const struct event *ev, struct fev *f)
{
	int	 n;

	f->id = ev->id;
	f->task = ev->task;
	/* A task deleted as it ended may take its final state event
	 * with it before the feed reads it: its stream ends at the
	 * deletion then, or it would wait for good. */
	f->deletion = strcmp(ev->type, "deleted") == 0;
	f->final = (strcmp(ev->type, "state") == 0 && ended(ev->state)) ||
	    f->deletion;
	n = asprintf(&f->frame, "id: %lld\nevent: %s\ndata: %s\n\n",
	    (long long)ev->id, ev->type, ev->data);
	if (n < 0) {
		f->frame = NULL;
		return -1;
	}
	f->len = (size_t)n;
	return 0;
}

struct batch {
	struct fev	 v[HG_FEED_BATCH];
	size_t		 n;
};

static int
batch_add(void *arg, const struct event *ev)
{
	struct batch	*b = arg;

	if (frame_make(ev, &b->v[b->n]) == -1)
		return -1;
	/* A retrying task freed its slot too, and has a retry_at for the
	 * janitor's clock. */
	if (strcmp(ev->type, "state") == 0 && (ended(ev->state) ||
	    ev->state == TASK_RETRYING) && on_final != NULL)
		on_final(on_final_arg, ev->task);
	b->n++;
	return 0;
}

/* Under feed.mu: wakes every stream loop. An eventfd's count only
 * grows, so a write never blocks while the loop is busy. */
static void
wake_all(void)
{
	uint64_t	 one = 1;
	int		 i;

	for (i = 0; i < feed.nwake; i++)
		(void)write(feed.wake[i], &one, sizeof(one));
}

int
feed_subscribe(int efd)
{
	int	 rc = -1;

	pthread_mutex_lock(&feed.mu);
	if (feed.nwake < FEED_WAKE_MAX) {
		feed.wake[feed.nwake++] = efd;
		rc = 0;
	}
	pthread_mutex_unlock(&feed.mu);
	return rc;
}

/* Moves a batch into the ring, dropping the oldest frames as needed. */
static void
ring_push(struct batch *b)
{
	struct fev	*slot;
	size_t		 i;

	pthread_mutex_lock(&feed.mu);
	for (i = 0; i < b->n; i++) {
		while (feed.count == HG_FEED_RING || (feed.count > 0 &&
		    feed.bytes + b->v[i].len > HG_FEED_RING_BYTES)) {
			slot = &feed.ring[feed.head];
			feed.floor = slot->id;
			feed.bytes -= slot->len;
			free(slot->frame);
			feed.head = (feed.head + 1) % HG_FEED_RING;
			feed.count--;
		}
		feed.ring[(feed.head + feed.count) % HG_FEED_RING] = b->v[i];
		feed.bytes += b->v[i].len;
		feed.count++;
		feed.last = b->v[i].id;
	}
	wake_all();
	pthread_mutex_unlock(&feed.mu);
	b->n = 0;
}

/* Reads every event newer than the last one read. Only this thread
 * writes feed.last, so it may read it without the lock. */
static void
feed_read(void)
{
	static struct batch	 b;
	int			 n;

	do {
		b.n = 0;
		n = store_events_read(feed_st, feed.last, 0, 0,
		    HG_FEED_BATCH, batch_add, &b);
		if (b.n > 0)
			ring_push(&b);
	} while (n == HG_FEED_BATCH);
}

/* Idle: the ring keeps its newest HG_FEED_RING_IDLE events, and what
 * the rest took goes back to the system, with what other threads asked
 * to give back (feed_trim_later). A stream that wants the older events
 * reads them from SQLite, as past HG_FEED_RING. */
static atomic_int	 trim_wanted;

void
feed_trim_later(void)
{
	atomic_store(&trim_wanted, 1);
}

static void
ring_idle(void)
{
	int64_t	 upto = 0;

	pthread_mutex_lock(&feed.mu);
	if (feed.count > HG_FEED_RING_IDLE)
		upto = feed.ring[(feed.head + feed.count - HG_FEED_RING_IDLE -
		    1) % HG_FEED_RING].id;
	pthread_mutex_unlock(&feed.mu);
	if (upto > 0)
		feed_truncate(upto);
	if (atomic_exchange(&trim_wanted, 0) || upto > 0)
		(void)malloc_trim(0);
}

static void *
feed_main(void *arg)
{
	struct pollfd	 pfd[2];
	uint64_t	 v;
	int		 stop;

	(void)arg;
	pfd[0].fd = notify_fd;
	pfd[1].fd = kick_fd;
	pfd[0].events = pfd[1].events = POLLIN;
	for (;;) {
		feed_read();
		if (poll(pfd, 2, HG_FEED_POLL_MS) == 0)
			ring_idle();
		notify_drain(notify_fd);
		(void)read(kick_fd, &v, sizeof(v));
		pthread_mutex_lock(&feed.mu);
		stop = feed.stopping;
		pthread_mutex_unlock(&feed.mu);
		if (stop)
			return NULL;
	}
}

int
feed_start(int nfd, feed_final_fn fn, void *arg, char *err, size_t errlen)
{
	on_final = fn;
	on_final_arg = arg;
	notify_fd = nfd;
	if ((feed_st = store_open(srv.cfg.db, 0, err, errlen)) == NULL)
		return -1;
	if ((kick_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)) == -1) {
		snprintf(err, errlen, "eventfd: %s", strerror(errno));
		return -1;
	}
	/* Older events are read from SQLite by the streams that need
	 * them; the ring starts at the newest. */
	if (store_event_last(feed_st, &feed.last) == -1) {
		snprintf(err, errlen, "reading the newest event failed");
		return -1;
	}
	feed.floor = feed.last;
	if ((errno = pthread_create(&feed_thread, NULL, feed_main, NULL)) !=
	    0) {
		snprintf(err, errlen, "pthread_create: %s", strerror(errno));
		return -1;
	}
	return 0;
}

void
feed_forget(int64_t task)
{
	struct fev	*f;
	size_t		 i;

	pthread_mutex_lock(&feed.mu);
	for (i = 0; i < feed.count; i++) {
		f = &feed.ring[(feed.head + i) % HG_FEED_RING];
		/* The deletion, read already, is what streams are told. */
		if (f->task == task && !f->deletion) {
			free(f->frame);
			f->frame = NULL;
			feed.bytes -= f->len;
			f->len = 0;
		}
	}
	pthread_mutex_unlock(&feed.mu);
}

void
feed_truncate(int64_t upto)
{
	struct fev	*f;

	pthread_mutex_lock(&feed.mu);
	while (feed.count > 0 && (f = &feed.ring[feed.head])->id <= upto) {
		feed.bytes -= f->len;
		free(f->frame);
		feed.head = (feed.head + 1) % HG_FEED_RING;
		feed.count--;
	}
	if (upto > feed.floor)
		feed.floor = upto < feed.last ? upto : feed.last;
	pthread_mutex_unlock(&feed.mu);
}

void
feed_kick(void)
{
	uint64_t	 one = 1;

	(void)write(kick_fd, &one, sizeof(one));
}

void
feed_stop(void)
{
	pthread_mutex_lock(&feed.mu);
	feed.stopping = 1;
	wake_all();
	pthread_mutex_unlock(&feed.mu);
	feed_kick();
	pthread_join(feed_thread, NULL);
}

void
feed_free(void)
{
	size_t	 i;

	for (i = 0; i < feed.count; i++)
		free(feed.ring[(feed.head + i) % HG_FEED_RING].frame);
	feed.count = 0;
	feed.bytes = 0;
	free(feed.watched);
	feed.watched = NULL;
	feed.nwatched = feed.capwatched = 0;
	store_close(feed_st);
	/* Last: a feed_kick() after this would write into whatever file
	 * took the descriptor's number next. */
	close(kick_fd);
	kick_fd = -1;
}

/* Under feed.mu: counts a stream of task (0: every task) in or out.
 * Returns -1 when memory runs out. */
static int
watch_add(int64_t task, int delta)
{
	struct watch	*w;
	size_t		 i, cap;

	int64_t		 now = hg_now_ms();

	if (task == 0) {
		if ((feed.all_watchers += delta) == 0)
			feed.all_left_at = now;
		return 0;
	}
	for (i = 0; i < feed.nwatched; i++)
		if (feed.watched[i].task == task)
			break;
	if (i == feed.nwatched) {
		if (delta < 0)
			return 0;
		/* Forgets streams that left long ago, to make room. */
		for (i = 0; i < feed.nwatched; i++)
			if (feed.watched[i].n == 0 && now -
			    feed.watched[i].left_at > HG_WATCH_KEEP_MS)
				feed.watched[i--] = feed.watched[--feed.nwatched];
		if (feed.nwatched == feed.capwatched) {
			cap = feed.capwatched > 0 ? feed.capwatched * 2 : 16;
			if ((w = reallocarray(feed.watched, cap,
			    sizeof(*w))) == NULL)
				return -1;
			feed.watched = w;
			feed.capwatched = cap;
		}
		feed.watched[feed.nwatched].task = task;
		feed.watched[feed.nwatched++].n = 0;
	}
	if ((feed.watched[i].n += delta) == 0)
		feed.watched[i].left_at = now;
	return 0;
}

int64_t
feed_watched(int64_t task)
{
	size_t	 i;
	int64_t	 at;

	pthread_mutex_lock(&feed.mu);
	at = feed.all_watchers > 0 ? -1 : feed.all_left_at;
	for (i = 0; at != -1 && i < feed.nwatched; i++)
		if (feed.watched[i].task == task)
			at = feed.watched[i].n > 0 ? -1 :
			    feed.watched[i].left_at > at ?
			    feed.watched[i].left_at : at;
	pthread_mutex_unlock(&feed.mu);
	return at;
}

static int
catchup_add(void *arg, const struct event *ev)
{
	struct cursor	*c = arg;
	struct fev	 f;
	int		 rc;

	if (frame_make(ev, &f) == -1)
		return -1;
	rc = buf_add(&c->out, f.frame, f.len);
	free(f.frame);
	if (rc == -1)
		return -1;
	c->after = ev->id;
	if (c->task > 0 && f.final) {
		c->final = 1;
		return -1;
	}
	return 0;
}

int
feed_catchup(struct cursor *c, int64_t upto)
{
	struct store	*st;
	struct hg_err	 e;
	int		 n;

	if ((st = pool_get(&e)) == NULL)
		return -1;
	n = store_events_read(st, c->after, upto, c->task, HG_CATCHUP_BATCH,
	    catchup_add, c);
	pool_put(st);
	if (n < 0 && !c->final)
		return -1;
	if (n < HG_CATCHUP_BATCH && !c->final)
		c->after = upto;
	return 0;
}

/* Under feed.mu: copies ring frames after c->after into c->out. */
static void
ring_copy(struct cursor *c)
{
	struct fev	*f;
	size_t		 lo = 0, hi = feed.count, mid;

	/* Ids grow along the ring: find the first one after c->after. */
	while (lo < hi) {
		mid = (lo + hi) / 2;
		if (feed.ring[(feed.head + mid) % HG_FEED_RING].id <= c->after)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (; lo < feed.count; lo++) {
		f = &feed.ring[(feed.head + lo) % HG_FEED_RING];
		if ((c->task > 0 && f->task != c->task) || f->frame == NULL)
			continue;
		if (buf_add(&c->out, f->frame, f->len) == -1)
			return;		/* resent on the next round */
		c->after = f->id;
		if (c->task > 0 && f->final) {
			c->final = 1;
			return;
		}
		if (c->out.len >= HG_STREAM_CHUNK)
			return;
	}
	c->after = feed.last;
}

/* Where a stream starts: Last-Event-ID (what EventSource sends on a
 * reconnect) wins over ?after=, which given must not be empty. Returns 1
 * if one was given, 0 if not, -1 if malformed. */
static int
start_cursor(struct req *r, int64_t *after)
{
	const char	*v = req_param(r, "HTTP_LAST_EVENT_ID");
	char		 buf[32];
	int		 rc;

	if (v == NULL || v[0] == '\0') {
		if ((rc = req_arg(r, "after", buf, sizeof(buf))) == -1)
			return -1;
		v = rc == 1 ? buf : NULL;
		if (v != NULL && v[0] == '\0')
			return -1;
	}
	if (v == NULL || v[0] == '\0')
		return 0;
	if (strcmp(v, "0") == 0) {
		*after = 0;
		return 1;
	}
	return hg_parse_id(v, strlen(v), after) == 0 ? 1 : -1;
}

/* Opens a task's stream: 404, 204 when it has ended and nothing is left
 * to send, or the snapshot state event when no cursor was given. */
static int
task_start(struct req *r, struct cursor *c, int has_after)
{
	struct store	*st;
	struct hg_err	 e;
	cJSON		*task = NULL;
	const cJSON	*state;
	enum task_state	 ts;
	char		*data = NULL;
	int64_t		 newest, last;
	int		 rc = -1;

	if ((st = pool_get(&e)) == NULL) {
		reply_err(r, NULL, &e);
		return -1;
	}
	if (store_task_head(st, c->task, &task, &newest, &e) == -1) {
		pool_put(st);
		reply_err(r, NULL, &e);
		return -1;
	}
	/* An id past the newest event names none that anyone has seen:
	 * the stream goes on from the newest, or it would skip the task's
	 * end and never close. The newest as the database has it: the feed
	 * may not have read the last ones yet, and the client may have. */
	if (has_after && c->after > newest &&
	    store_event_last(st, &last) == 0 && c->after > last)
		c->after = last;
	pool_put(st);
	state = cJSON_GetObjectItemCaseSensitive(task, "state");
	ts = (enum task_state)state_parse(state->valuestring);
	if (ended(ts) && (!has_after || c->after >= newest)) {
		reply(r, 204, NULL, NULL, NULL, 0);
		goto out;
	}
	if (!has_after) {
		struct event	 ev = { newest, c->task, "state", ts, NULL,
		    0 };
		struct fev	 f;

		if ((data = json_print(task)) == NULL)
			goto nomem;
		ev.data = data;
		ev.len = strlen(data);
		if (frame_make(&ev, &f) == -1)
			goto nomem;
		rc = buf_add(&c->out, f.frame, f.len);
		free(f.frame);
		if (rc == -1)
			goto nomem;
		c->after = newest;
	}
	rc = 0;
	goto out;
nomem:
	rc = -1;
	reply_errf(r, 503, "unavailable", "out of memory");
out:
	free(data);
	cJSON_Delete(task);
	return rc;
}

int
feed_open(struct req *r, struct cursor *c)
{
	struct store	*st;
	struct hg_err	 e;
	int64_t		 last;
	int		 has_after, rc;

	if ((has_after = start_cursor(r, &c->after)) == -1) {
		reply_errf(r, 400, "invalid_request", "Last-Event-ID or after "
		    "must be an event id (0 or a positive integer)");
		return -1;
	}
	if (c->task > 0)
		return task_start(r, c, has_after) == -1 || r->replied ?
		    -1 : 0;
	/* /api/events without a cursor is live only. One past the newest
	 * event names none anyone has seen (a database made anew, say):
	 * it goes on from the newest, not silent until ids reach it. */
	if ((st = pool_get(&e)) == NULL) {
		reply_err(r, NULL, &e);
		return -1;
	}
	rc = store_event_last(st, &last);
	pool_put(st);
	if (rc == -1) {
		reply_errf(r, 503, "unavailable", "database error");
		return -1;
	}
	if (!has_after || c->after > last)
		c->after = last;
	return 0;
}

int
feed_fill(struct cursor *c, int64_t *upto)
{
	int	 stop;

	*upto = 0;
	pthread_mutex_lock(&feed.mu);
	stop = feed.stopping;
	c->newest = feed.last;
	if (!stop && feed.last > c->after) {
		if (c->after < feed.floor)
			*upto = feed.floor;
		else
			ring_copy(c);
	}
	pthread_mutex_unlock(&feed.mu);
	return stop ? -1 : 0;
}

int
feed_watch(int64_t task, int delta)
{
	int	 rc;

	pthread_mutex_lock(&feed.mu);
	rc = watch_add(task, delta);
	pthread_mutex_unlock(&feed.mu);
	return rc;
}
