/*
 * The event feed and the SSE streams on it. One thread reads new events
 * from SQLite and wakes every stream that waits.
 */
#ifndef HG_FEED_H
#define HG_FEED_H

#include <stddef.h>
#include <stdint.h>

#include "http.h"

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
/* Serves an SSE stream of every task (task 0) or one task. */
void		 stream_serve(struct req *r, int64_t task);

#endif
