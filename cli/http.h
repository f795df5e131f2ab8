/*
 * The service over HTTP, with libcurl: HOURGLASS_URL, the bearer token,
 * plain requests and SSE streams. One struct http per process; not for
 * threads (the CLI has none).
 */
#ifndef HG_CLI_HTTP_H
#define HG_CLI_HTTP_H

#include <stddef.h>

#include "buf.h"

/* Bytes of an answer kept: a list of 500 tasks, each with a result of
 * up to 64 KiB, fits. More is an error, not a cut answer. */
#define HTTP_BODY_MAX	(64 * 1024 * 1024)
/* Bytes of a non-200 answer to a stream request (an error object). */
#define HTTP_ERR_BODY_MAX	65536
/* An answer must start within this; a stream sends a ping every 15 s,
 * so one silent for HTTP_STALL_S is dead. */
#define HTTP_CONNECT_S	5
#define HTTP_TIMEOUT_S	30
#define HTTP_STALL_S	45

struct http;

struct http_resp {
	long		 status;	/* 0 when there was no answer */
	struct buf	 body;
	long		 retry_after;	/* Retry-After in s, or -1 */
};

/*
 * url: "http://host:port" (a trailing slash is dropped); token: NULL or
 * the bearer token. Returns a handle, or NULL with err set (a URL that
 * is no http(s) URL, or no memory). Free with http_close().
 */
struct http	*http_open(const char *url, const char *token, char *err,
		    size_t errlen);
void		 http_close(struct http *h);
/* The base URL, as messages quote it. */
const char	*http_base(const struct http *h);

/*
 * method path, with a JSON body if body is not NULL and an
 * Idempotency-Key if key is not NULL. Returns 0 with r filled (any
 * status), or -1 if no answer came (err says why: the service could
 * not be reached). r's body is the caller's to free (http_resp_free).
 */
int	http_request(struct http *h, const char *method, const char *path,
	    const char *body, const char *key, struct http_resp *r,
	    char *err, size_t errlen);

/* Bytes of a 200 stream as they come; return 0, or -1 to stop. */
typedef int	(*http_chunk_fn)(void *arg, const char *p, size_t n);
/* Called at least about once a second while a stream is open (for a
 * redraw, or to see a flag a signal set); return 0, or -1 to stop. */
typedef int	(*http_tick_fn)(void *arg);

/*
 * GET path as an SSE stream, with Last-Event-ID: last_id unless it is
 * NULL. A 200's body goes to fn; any other status's body to r->body.
 * Returns 0 when an answer came and ended (or fn stopped it), -1 when
 * none came or it broke off (err says why); r->status is set either
 * way if the answer started.
 */
int	http_stream(struct http *h, const char *path, const char *last_id,
	    http_chunk_fn fn, http_tick_fn tick, void *arg,
	    struct http_resp *r, char *err, size_t errlen);

void	http_resp_free(struct http_resp *r);

/* Appends "?name=value" to path, or "&name=value" once it has a query,
 * value percent-encoded. Returns 0, or -1 if out of memory. */
int	http_query(struct buf *path, const char *name, const char *value);

#endif
