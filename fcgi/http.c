#include <assert.h>
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "buf.h"
#include "http.h"
#include "json.h"
#include "record.h"
#include "server.h"
#include "tally.h"

/* The answer when there is no memory to make another. */
static const char	 nomem_body[] = "{\"error\":{\"code\":\"unavailable\","
			    "\"message\":\"out of memory\"}}";

const char *
req_param(struct req *r, const char *name)
{
	return FCGX_GetParam(name, r->fcgi.envp);
}

static int
hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = tolower(c);
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

int
req_arg(struct req *r, const char *key, char *buf, size_t len)
{
	const char	*q = r->query, *end;
	size_t		 nlen = strlen(key), o;
	int		 hi, lo;

	while (*q != '\0') {
		end = q + strcspn(q, "&");
		if ((size_t)(end - q) >= nlen && strncmp(q, key, nlen) == 0 &&
		    (q[nlen] == '=' || q + nlen == end)) {
			q += nlen + (q[nlen] == '=');
			for (o = 0; q < end; q++) {
				if (o + 1 >= len)
					return -1;
				if (*q == '%' && end - q >= 3 &&
				    (hi = hexval(q[1])) >= 0 &&
				    (lo = hexval(q[2])) >= 0) {
					/* A NUL would end the value early:
					 * "kind=ok%00x" is not kind "ok". */
					if (hi == 0 && lo == 0)
						return -1;
					buf[o++] = (char)(hi * 16 + lo);
					q += 2;
				} else
					buf[o++] = *q == '+' ? ' ' : *q;
			}
			buf[o] = '\0';
			return 1;
		}
		q = *end == '&' ? end + 1 : end;
	}
	return 0;
}

/* Every key a route reads (req_arg): one given twice is refused. */
static const char *const query_keys[] = {
	"access_token", "after", "before", "cron", "kind", "limit", "name",
	"state", "tail", "timezone",
};

int
req_arg_twice(struct req *r, char *key, size_t len)
{
	const char	*q = r->query, *end;
	size_t		 n, i;
	unsigned	 seen = 0;

	for (; *q != '\0'; q = *end == '&' ? end + 1 : end) {
		end = q + strcspn(q, "&");
		n = strcspn(q, "=&");
		for (i = 0; i < sizeof(query_keys) / sizeof(query_keys[0]);
		    i++) {
			if (strncmp(q, query_keys[i], n) != 0 ||
			    query_keys[i][n] != '\0')
				continue;
			if (seen & 1u << i) {
				snprintf(key, len, "%s", query_keys[i]);
				return 1;
			}
			seen |= 1u << i;
		}
	}
	return 0;
}

int
req_drain(struct req *r)
{
	char	 buf[4096];
	int	 got, total = 0;

	while ((got = FCGX_GetStr(buf, sizeof(buf), r->fcgi.in)) > 0)
		if ((total += got) > HG_REPORT_BODY_MAX)
			return -1;
	return got == 0 && FCGX_GetError(r->fcgi.in) == 0 ? 0 : -1;
}

/* Whether the parameters after a media type ("; charset=utf-8") name
 * no charset but UTF-8, the only one a body is read in. */
static int
charset_ok(const char *p)
{
	size_t	 n;

	while ((p = strchr(p, ';')) != NULL) {
		p += 1 + strspn(p + 1, " \t");
		if (strncasecmp(p, "charset=", 8) != 0)
			continue;
		p += 8;
		n = *p == '"' ? 1 : 0;
		if (strncasecmp(p + n, "utf-8", 5) != 0)
			return 0;
		p += n + 5;
		if (n == 1 && *p++ != '"')
			return 0;
		if (*p != '\0' && *p != ';' && *p != ' ' && *p != '\t')
			return 0;
	}
	return 1;
}

int
req_type_is(struct req *r, const char *type)
{
	const char	*ct = req_param(r, "CONTENT_TYPE");
	size_t		 n = strlen(type);

	if (ct == NULL || strncasecmp(ct, type, n) != 0)
		return 0;
	return (ct[n] == '\0' || ct[n] == ';' || ct[n] == ' ') &&
	    charset_ok(ct + n);
}

char *
req_body(struct req *r, size_t max, size_t *len, struct hg_err *e)
{
	const char	*cl = req_param(r, "CONTENT_LENGTH");
	char		*buf, *endp;
	unsigned long	 n = 0;
	int		 got;

	if (cl != NULL && cl[0] != '\0') {
		/* Digits only: strtoul alone would take "-1" or " 5". */
		if (strspn(cl, "0123456789") != strlen(cl) ||
		    strlen(cl) > 12) {
			hg_err_set(e, 400, "invalid_request",
			    "bad Content-Length");
			return NULL;
		}
		n = strtoul(cl, &endp, 10);
	}
	if (n > max) {
		hg_err_set(e, 413, "too_large", "the body is %lu bytes; the "
		    "limit is %zu", n, max);
		return NULL;
	}
	if ((buf = malloc(n + 1)) == NULL) {
		hg_err_set(e, 503, "unavailable", "out of memory");
		return NULL;
	}
	got = n > 0 ? FCGX_GetStr(buf, (int)n, r->fcgi.in) : 0;
	if (got < 0 || (unsigned long)got != n) {
		free(buf);
		hg_err_set(e, 400, "invalid_request", "the body ended after "
		    "%d of %lu bytes", got < 0 ? 0 : got, n);
		return NULL;
	}
	buf[n] = '\0';
	*len = n;
	return buf;
}

static const char *
status_text(int status)
{
	switch (status) {
	case 200: return "OK";
	case 201: return "Created";
	case 202: return "Accepted";
	case 204: return "No Content";
	case 400: return "Bad Request";
	case 401: return "Unauthorized";
	case 404: return "Not Found";
	case 405: return "Method Not Allowed";
	case 409: return "Conflict";
	case 413: return "Content Too Large";
	case 415: return "Unsupported Media Type";
	case 422: return "Unprocessable Content";
	case 429: return "Too Many Requests";
	case 503: return "Service Unavailable";
	default: return "Internal Server Error";
	}
}

/* The request's Origin if HOURGLASS_CORS_ORIGINS lists it, else NULL.
 * Borrowed from the request. */
static const char *
cors_origin(struct req *r)
{
	const char	*o = req_param(r, "HTTP_ORIGIN");

	return config_cors_allowed(&srv.cfg, o) ? o : NULL;
}

/*
 * With HOURGLASS_CORS_ORIGINS set, every answer varies by Origin, so
 * that no cache hands one origin's answer to another; a listed origin
 * may read it and the headers a script needs (never with credentials:
 * the token is a header the page sends, not a cookie). The origin is
 * printed only when it equals a checked one: no CR or LF gets through.
 */
static void
cors_head(struct req *r, struct buf *b)
{
	const char	*o;

	if (srv.cfg.cors[0] == '\0')
		return;
	buf_printf(b, "Vary: Origin\r\n");
	if ((o = cors_origin(r)) != NULL)
		buf_printf(b, "Access-Control-Allow-Origin: %s\r\n"
		    "Access-Control-Expose-Headers: Location, Retry-After\r\n",
		    o);
}

int
req_is_preflight(struct req *r)
{
	return srv.cfg.cors[0] != '\0' && strcmp(r->method, "OPTIONS") == 0 &&
	    req_param(r, "HTTP_ACCESS_CONTROL_REQUEST_METHOD") != NULL;
}

void
reply_preflight(struct req *r, const char *methods)
{
	char	 hdr[256];
	int	 n;

	n = snprintf(hdr, sizeof(hdr), "Access-Control-Allow-Methods: %s\r\n"
	    "Access-Control-Allow-Headers: Authorization, Content-Type, "
	    "Idempotency-Key, Last-Event-ID\r\n"
	    "Access-Control-Max-Age: %d\r\n", methods, HG_CORS_MAX_AGE_S);
	assert(n > 0 && (size_t)n < sizeof(hdr));
	reply(r, 204, cors_origin(r) != NULL ? hdr : NULL, NULL, NULL, 0);
}

void
answer_count(struct req *r)
{
	if (r->replied && !r->counted) {
		r->counted = 1;
		tally_request(r->status);
	}
}

/* The head of an answer, as reply_head and reply write it. */
static void
head_print(struct req *r, struct buf *b, int status, const char *headers,
    const char *ctype, size_t len)
{
	r->replied = 1;
	r->status = status;
	buf_printf(b, "Status: %d %s\r\n%s", status, status_text(status),
	    headers != NULL ? headers : "");
	cors_head(r, b);
	if (ctype != NULL)
		buf_printf(b, "Content-Type: %s\r\n", ctype);
	/* With its length nginx need not send the answer in chunks, which
	 * costs it a write of its own for the last one. A 204 has none. */
	if (status != 204)
		buf_printf(b, "Content-Length: %lu\r\n", (unsigned long)len);
	buf_printf(b, "Cache-Control: no-store\r\n\r\n");
}

/*
 * Puts head b, and frees it, where the caller's body follows through
 * libfcgi's out stream. Without memory for the head, none goes, so no
 * body may either (it would be read as the head): r->head and r->broken
 * say so, and nginx answers 502 for the closed connection.
 */
static void
head_put(struct req *r, struct buf *b)
{
	if (!b->nomem)
		FCGX_PutStr(b->p, (int)b->len, r->fcgi.out);
	else {
		r->head = 1;
		r->broken = 1;
	}
	buf_free(b);
}

void
reply_head(struct req *r, int status, const char *headers, const char *ctype,
    size_t len)
{
	struct buf	 b = { NULL, 0, 0, 0 };

	head_print(r, &b, status, headers, ctype, len);
	answer_count(r);
	head_put(r, &b);
}

void
reply_stream(struct req *r, const char *text)
{
	struct buf	 b = { NULL, 0, 0, 0 };

	r->replied = 1;
	r->status = 200;
	buf_printf(&b, "Status: 200 OK\r\n");
	cors_head(r, &b);
	buf_printf(&b, "Content-Type: text/event-stream\r\n"
	    "Cache-Control: no-store\r\n"
	    "X-Accel-Buffering: no\r\n\r\n%s", text);
	head_put(r, &b);
}

/*
 * The answer goes out whole, in one write (record.h), rather than
 * through libfcgi's out stream: libfcgi writes in records of its 8 KB
 * buffer (a size fixed in FCGX_Accept_r), a system call each and a read
 * each for nginx, three for a 50-task list page. req_end then frees the
 * stream unwritten (r->whole), and closes a connection that failed.
 */
void
reply(struct req *r, int status, const char *headers, const char *ctype,
    const char *body, size_t len)
{
	struct buf	 b = { NULL, 0, 0, 0 };
	int		 drained;

	head_print(r, &b, status, headers, ctype, len);
	if (r->head)
		len = 0;
	r->whole = 1;
	/* The request is read to its end first: nginx takes
	 * FCGI_END_REQUEST for the end of the exchange, and a body still
	 * on its way after it would spoil the kept connection. One that
	 * cannot be read to its end is answered all the same, then the
	 * connection closed. */
	drained = req_drain(r) == 0;
	if (b.nomem) {
		/* Without memory for the head: a 503 from the stack. */
		char	 h[160];
		int	 n = snprintf(h, sizeof(h), "Status: 503 Service "
		    "Unavailable\r\nContent-Type: %s\r\nContent-Length: %zu"
		    "\r\nCache-Control: no-store\r\n\r\n", JSON_TYPE,
		    sizeof(nomem_body) - 1);

		assert(n > 0 && (size_t)n < sizeof(h));
		r->status = 503;
		answer_count(r);
		(void)record_answer(r->fcgi.ipcFd, r->fcgi.requestId, h,
		    (size_t)n, nomem_body, r->head ? 0 : sizeof(nomem_body) - 1);
		r->broken = 1;
	} else {
		answer_count(r);
		if (record_answer(r->fcgi.ipcFd, r->fcgi.requestId, b.p,
		    b.len, body, len) == -1 || !drained)
			r->broken = 1;
	}
	buf_free(&b);
}

void
reply_json(struct req *r, int status, const char *headers, const cJSON *obj)
{
	char	*s;

	if ((s = json_print(obj)) == NULL) {
		reply_errf(r, 503, "unavailable", "out of memory");
		return;
	}
	reply(r, status, headers, JSON_TYPE, s,
	    strlen(s));
	free(s);
}

void
reply_err(struct req *r, const char *headers, const struct hg_err *e)
{
	cJSON	*root, *err;
	char	*s = NULL;

	if ((root = cJSON_CreateObject()) != NULL &&
	    (err = cJSON_AddObjectToObject(root, "error")) != NULL) {
		cJSON_AddStringToObject(err, "code", e->code);
		cJSON_AddStringToObject(err, "message", e->msg);
		s = json_print(root);
	}
	cJSON_Delete(root);
	if (s == NULL) {
		reply(r, 503, NULL, JSON_TYPE, nomem_body,
		    sizeof(nomem_body) - 1);
		return;
	}
	reply(r, e->status, headers, JSON_TYPE, s,
	    strlen(s));
	free(s);
}

void
reply_errf(struct req *r, int status, const char *code, const char *fmt, ...)
{
	struct hg_err	 e;
	va_list		 ap;

	e.status = status;
	snprintf(e.code, sizeof(e.code), "%s", code);
	va_start(ap, fmt);
	vsnprintf(e.msg, sizeof(e.msg), fmt, ap);
	va_end(ap);
	reply_err(r, NULL, &e);
}
