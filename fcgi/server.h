/*
 * The pieces of hourglass-fcgi and how they meet. A thread per request
 * (small stack): the acceptor hands each accepted FastCGI request to a
 * new thread, so that thousands of open SSE streams never starve the
 * API. One feed thread reads new events from SQLite and wakes every
 * stream that waits; streams never poll SQLite themselves.
 */
#ifndef HG_SERVER_H
#define HG_SERVER_H

#include <pthread.h>
#include <stdint.h>

#include <fcgiapp.h>

#include "config.h"
#include "hg.h"
#include "kinds.h"
#include "store.h"

/* Read-only after start. */
struct server {
	struct config	 cfg;
	struct kinds	*kinds;
};
extern struct server	 srv;

/* One request, owned by its thread. */
struct req {
	FCGX_Request	 fcgi;
	const char	*method;
	const char	*path;		/* the raw path, before '?' */
	size_t		 pathlen;
	const char	*query;		/* "" when none */
	int		 replied;
};

/* pool.c: SQLite connections lent to requests. */
int		 pool_init(char *err, size_t errlen);
/* Returns a store, waiting while all HG_POOL_MAX are lent; NULL with e
 * set (503) if none can be opened. Give it back with pool_put(). */
struct store	*pool_get(struct hg_err *e);
void		 pool_put(struct store *st);
void		 pool_fini(void);

/* http.c: reading requests and writing answers. */
const char	*req_param(struct req *r, const char *name);
/* Finds name=value in the query string, percent-decoded into buf.
 * Returns buf, or NULL if name is absent or its value too long. */
const char	*req_query(struct req *r, const char *name, char *buf,
		    size_t len);
/* Is Content-Type the media type type (with parameters or not)? */
int		 req_type_is(struct req *r, const char *type);
/* Reads the body, at most HG_BODY_MAX bytes. Returns a malloc'd buffer
 * (NUL-terminated, caller frees) with *len set, or NULL with e set:
 * 413 too_large, 400 for a bad Content-Length. */
char		*req_body(struct req *r, size_t *len, struct hg_err *e);
void		 reply(struct req *r, int status, const char *headers,
		    const char *ctype, const char *body, size_t len);
/* The status and headers of an answer whose len bytes of body the
 * caller writes next, all of them. */
void		 reply_head(struct req *r, int status, const char *headers,
		    const char *ctype, size_t len);
/* Prints obj (borrowed) as the JSON body. */
void		 reply_json(struct req *r, int status, const char *headers,
		    const cJSON *obj);
/* Answers {"error":{"code","message"}} with e's status; headers are
 * extra header lines ("Allow: GET\r\n") or NULL. */
void		 reply_err(struct req *r, const char *headers,
		    const struct hg_err *e);
void		 reply_errf(struct req *r, int status, const char *code,
		    const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/* api.c */
void		 api_handle(struct req *r);

/* feed.c: the event feed and the SSE streams on it. */
int		 feed_start(int notify_fd, char *err, size_t errlen);
/* Wakes the feed to read new events now (after our own writes). */
void		 feed_kick(void);
/* Drops a deleted task's events from memory, so that no replay sends
 * them again. */
void		 feed_forget(int64_t task);
/* Drops every event up to id upto from memory: streams read those from
 * SQLite, after the store changed them (thinning). */
void		 feed_truncate(int64_t upto);
/* Ends every stream and the feed thread. */
void		 feed_stop(void);
/* Whether streams watch task: -1 if one of it, or of every task, is
 * open now; else when the last of them left (ms since the epoch; 0 if
 * none did since start, or it was long ago). */
int64_t		 feed_watched(int64_t task);
/* Serves an SSE stream of every task (task 0) or one task. */
void		 stream_serve(struct req *r, int64_t task);

/* metrics.c: GET /api/metrics, and what only this process counts. */
void		 metrics_serve(struct req *r);
void		 metrics_request(int status);
void		 metrics_sse(int delta);

/* janitor.c: lost runners, and starting queued tasks. */
int		 janitor_start(char *err, size_t errlen);
/* Asks for a pass now (a task ended: a slot is free). */
void		 janitor_kick(void);
void		 janitor_stop(void);

/* report.c: external tasks. Makes a new report token (64 hex digits
 * and a NUL, into token of len bytes) and its SHA-256 (STORE_HASH_LEN
 * bytes). Returns -1 if no randomness could be had. */
int		 report_token_new(char *token, size_t len,
		    unsigned char *hash);
/* POST /api/tasks/{id}/report, with the task's own token. */
void		 report_serve(struct req *r, int64_t id);

/* listcache.c: GET /api/tasks answers, kept while current. The
 * generation changes when a task is forgotten; read it before the
 * snapshot an answer is made from. get returns a malloc'd copy of the
 * answer kept for key at event, or NULL. */
uint64_t	 listcache_gen(void);
void		 listcache_forget(void);
/* The newest event id of the answer kept for key, 0 if none. */
int64_t		 listcache_event(const char *key);
char		*listcache_get(const char *key, int64_t event, size_t *len);
void		 listcache_put(const char *key, int64_t event, uint64_t gen,
		    const char *body, size_t len);
void		 listcache_free(void);

/* spawn.c: tells a runner to stop, if ref still names a live runner. */
void		 runner_signal(const struct runner_ref *ref, int64_t id);
/* spawn.c: the runner host (see launch.h). host_tend() starts it if it
 * is not running; host_stop() lets it end. Only main, and the janitor
 * between its start and stop, call them. */
void		 host_tend(void);
void		 host_stop(void);

#endif
