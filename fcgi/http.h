/*
 * Reading a FastCGI request and writing its answer. A leaf of fcgi/:
 * it calls nothing else of it but record.c (the answer's framing), and
 * reads only srv's settings. The answer's status is recorded in the
 * request, and whoever ends the request counts it (main.c).
 */
#ifndef HG_HTTP_H
#define HG_HTTP_H

#include <stddef.h>

#include <cjson/cJSON.h>
#include <fcgiapp.h>

#include "hg.h"

#define JSON_TYPE	"application/json; charset=utf-8"

/* One request, owned by its thread. */
struct req {
	FCGX_Request	 fcgi;
	const char	*method;
	const char	*path;		/* the raw path, before '?' */
	size_t		 pathlen;
	const char	*query;		/* "" when none */
	int		 head;		/* HEAD: the answer's head only */
	int		 replied;	/* the status line went out */
	int		 status;	/* ... with this status */
	int		 counted;	/* ... in the tally (answer_count) */
	int		 adopted;	/* a stream loop has its connection */
	int		 whole;		/* the answer went out whole (reply) */
	int		 broken;	/* the answer failed: close */
};

/* Counts r's answer by its status (tally.h), once: before its last
 * byte goes out, so that a client that has it sees it counted. */
void		 answer_count(struct req *r);
/* The FastCGI parameter name, borrowed from the request, or NULL. */
const char	*req_param(struct req *r, const char *name);
/* Finds key=value in the query string, percent-decoded into buf.
 * Returns 1 if given, 0 if not, -1 if given but longer than buf holds or
 * holding a NUL (%00). A value that cannot be read is refused, never
 * taken for one not given. */
int		 req_arg(struct req *r, const char *key, char *buf,
		    size_t len);
/* Whether a key that some route reads is given twice in the query
 * string (a value apiece would leave which one was meant to a guess):
 * 1 with the key in key; else 0. Others are ignored, as they are once. */
int		 req_arg_twice(struct req *r, char *key, size_t len);
/* Reads what is left of the request's body, as a kept connection must
 * be read up to the next request. Returns 0 at its end, -1 if it goes
 * on past any body nginx lets through (a report's is the largest), or
 * cannot be read. */
int		 req_drain(struct req *r);
/* Is Content-Type the media type type (with parameters or not), with no
 * charset but UTF-8? */
int		 req_type_is(struct req *r, const char *type);
/* Reads the body, at most max bytes (HG_BODY_MAX; a report's
 * HG_REPORT_BODY_MAX). Returns a malloc'd buffer (NUL-terminated, caller
 * frees) with *len set, or NULL with e set: 413 too_large, 400 for a bad
 * Content-Length. */
char		*req_body(struct req *r, size_t max, size_t *len,
		    struct hg_err *e);

/* Is r a CORS preflight (OPTIONS with Access-Control-Request-Method)
 * while HOURGLASS_CORS_ORIGINS is set? Without it, OPTIONS is a method
 * like any other. */
int		 req_is_preflight(struct req *r);

/* Answers a preflight 204; a listed Origin is allowed methods ("GET,
 * POST") and the headers the API reads, another nothing. */
void		 reply_preflight(struct req *r, const char *methods);
/* Each answer below, the streams' too, carries the CORS headers that
 * HOURGLASS_CORS_ORIGINS calls for (cors_head in http.c). */
void		 reply(struct req *r, int status, const char *headers,
		    const char *ctype, const char *body, size_t len);
/* The status and headers of an answer whose len bytes of body the
 * caller writes next, all of them. */
void		 reply_head(struct req *r, int status, const char *headers,
		    const char *ctype, size_t len);
/* The head of an SSE stream (200, unbuffered by nginx), then text; the
 * caller writes the events and flushes, unless r->broken is set (no
 * memory for the head: the connection is to be closed). */
void		 reply_stream(struct req *r, const char *text);
/* Prints obj (borrowed) as the JSON body. */
void		 reply_json(struct req *r, int status, const char *headers,
		    const cJSON *obj);
/* Answers {"error":{"code","message"}} with e's status; headers are
 * extra header lines ("Allow: GET\r\n") or NULL. */
void		 reply_err(struct req *r, const char *headers,
		    const struct hg_err *e);
void		 reply_errf(struct req *r, int status, const char *code,
		    const char *fmt, ...) __attribute__((format(printf, 4, 5)));

#endif
