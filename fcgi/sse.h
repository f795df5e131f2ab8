/*
 * Server-Sent Events streams: opened on a connection thread, then served
 * by a few event-loop threads, each an epoll over its share of the open
 * streams. A stream costs its socket and a cursor, not a thread.
 */
#ifndef HG_SSE_H
#define HG_SSE_H

#include <stddef.h>
#include <stdint.h>

#include "http.h"

/* Starts the loop threads, each subscribed to the feed (feed_start()
 * first). Returns 0, or -1 with the reason in err. */
int	 sse_start(char *err, size_t errlen);
/* Serves an SSE stream of every task (task 0) or one task. Errors and
 * a HEAD are answered on r as any request is; an open stream is handed
 * to a loop, and r->adopted set: its connection is the loop's now. */
void	 stream_serve(struct req *r, int64_t task);
/* Descriptors kept for all but streams: HG_FD_RESERVE, and
 * HG_FD_PER_CORE for each core online, up to HG_FD_CORES of them. */
long	 sse_fd_reserve(void);
/* Ends every stream (its end records sent where the socket takes
 * them) and the loop threads. Before feed_stop(). */
void	 sse_stop(void);
/* Closes the loops' descriptors: after feed_free(), which may wake them
 * until then. */
void	 sse_free(void);

#endif
