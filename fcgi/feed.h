/*
 * The event feed, and where a stream is in it. One thread reads new
 * events from SQLite into a ring of ready SSE frames and wakes the
 * stream loops (sse.h), which copy from it what each stream is after.
 */
#ifndef HG_FEED_H
#define HG_FEED_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "http.h"

/* What a stream is after, and where it is. */
struct cursor {
	int64_t		 after;	/* the last event sent */
	int64_t		 task;	/* 0: every task */
	int64_t		 newest; /* the feed's newest event at the last fill */
	int		 final;	/* the task's final state was sent */
	struct buf	 out;	/* frames to send */
};

/* Called on the feed's thread for each event that ends a task, or an
 * attempt of one (a state event into retrying). */
typedef void	(*feed_final_fn)(void *arg, int64_t task);

/* Starts the feed thread, woken by datagrams on notify_fd (borrowed:
 * the caller closes it after feed_stop()). Returns 0, or -1 with the
 * reason in err. */
int		 feed_start(int notify_fd, feed_final_fn on_final, void *arg,
		    char *err, size_t errlen);
/* Wakes the feed to read new events now (after our own writes). */
void		 feed_kick(void);
/* Drops a deleted task's events from memory, so that no replay sends
 * them again. */
void		 feed_forget(int64_t task);
/* Drops every event up to id upto from memory: streams read those from
 * SQLite, after the store changed them (thinning). */
void		 feed_truncate(int64_t upto);
/* Asks the feed thread to give the heap's free pages back to the system
 * once no event has come for HG_FEED_POLL_MS: for a thread that ends
 * after a burst, whose memory no later idle_release() would trim. */
void		 feed_trim_later(void);
/* Ends every stream and the feed thread. feed_kick(), feed_forget(),
 * feed_truncate() and feed_watched() may still be called, until
 * feed_free(). */
void		 feed_stop(void);
/* Frees what the feed shares and closes its kick descriptor: only after
 * feed_stop(), once no other thread can call the feed. */
void		 feed_free(void);
/* Whether streams watch task: -1 if one of it, or of every task, is
 * open now; else when the last of them left (ms since the epoch; 0 if
 * none did since start, or it was long ago). */
int64_t		 feed_watched(int64_t task);
/* Tells eventfd efd (borrowed) each time events come, and at
 * feed_stop(). Returns 0, or -1 past HG_SSE_LOOPS of them. */
int		 feed_subscribe(int efd);
/* Where stream r starts, in c (c->task set): the cursor it was given
 * (Last-Event-ID, ?after=), a task's snapshot state event (in c->out),
 * or the newest event for a live-only /api/events. Returns 0, or -1
 * once it has answered r (400, 404, 204 for an ended task with nothing
 * left to send, 503). */
int		 feed_open(struct req *r, struct cursor *c);
/* Copies into c->out the ring's frames after c->after (up to
 * HG_STREAM_CHUNK bytes; the rest on the next call), moving c->after
 * (to c->newest once it has all there is) and setting c->final at the
 * task's final state; or, when the ring no
 * longer holds c->after's successors, sets *upto for feed_catchup()
 * (else 0). Returns -1 once the feed is stopping. */
int		 feed_fill(struct cursor *c, int64_t *upto);
/* Reads events after c->after up to upto from SQLite into c->out (at
 * most HG_CATCHUP_BATCH; c->after moves to upto once all are read).
 * Returns -1 if the database fails. */
int		 feed_catchup(struct cursor *c, int64_t upto);
/* Counts a stream of task (0: every task) in (1) or out (-1), for
 * feed_watched(). Returns -1 without memory. */
int		 feed_watch(int64_t task, int delta);

#endif
