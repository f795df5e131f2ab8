/*
 * A nudge from a runner to the server: "the database changed, read the
 * new events". A datagram on a unix socket in the data folder; it
 * carries nothing, so a lost nudge costs only latency (the server also
 * reads every HG_FEED_POLL_MS).
 */
#ifndef HG_NOTIFY_H
#define HG_NOTIFY_H

#include <stddef.h>

/* Binds the server's end at path (replacing a stale file). Returns a
 * non-blocking, close-on-exec fd, or -1 with errno set. */
int	notify_listen(const char *path);
/* Drains every pending datagram from fd. */
void	notify_drain(int fd);
/* Returns a close-on-exec, non-blocking fd to send with, or -1. */
int	notify_open(void);
/* Sends one nudge to path. Never blocks; errors (no server) are
 * ignored, as the server re-reads the database when it comes back. */
void	notify_send(int fd, const char *path);
/* Sends buf as one datagram to path, with flags for sendto(). Returns 0,
 * or -1 with errno set (ECONNREFUSED: nobody bound there). */
int	notify_sendbuf(int fd, const char *path, const void *buf,
	    size_t len, int flags);

#endif
