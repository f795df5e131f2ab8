/*
 * libcurl under the CLI; the contract is in http.h. Redirects are not
 * followed (the API gives none), signals are left alone (CURLOPT_
 * NOSIGNAL: no alarm() for DNS), and the token never reaches a log.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <curl/curl.h>

#include "hg.h"
#include "http.h"

#define HTTP_URL_MAX	2048
#define HTTP_TOKEN_MAX	1024

struct http {
	CURL	*curl;
	char	 base[HTTP_URL_MAX];
	char	 auth[HTTP_TOKEN_MAX + 32];	/* the header, or "" */
};

/* What a transfer's callbacks share. */
struct xfer {
	struct http_resp	*r;
	CURL			*curl;
	http_chunk_fn		 fn;
	http_tick_fn		 tick;
	void			*arg;
	size_t			 max;		/* bytes of r->body kept */
	int			 stopped;	/* fn or tick asked to stop */
	int			 toolong;
};

struct http *
http_open(const char *url, const char *token, char *err, size_t errlen)
{
	struct http	*h;
	size_t		 n = strlen(url);
	int		 w;

	if (strncmp(url, "http://", 7) != 0 && strncmp(url, "https://",
	    8) != 0) {
		snprintf(err, errlen, "HOURGLASS_URL \"%s\": must start with "
		    "http:// or https://", url);
		return NULL;
	}
	while (n > 0 && url[n - 1] == '/')
		n--;
	if (n >= HTTP_URL_MAX || (token != NULL && strlen(token) >
	    HTTP_TOKEN_MAX)) {
		snprintf(err, errlen, "HOURGLASS_URL or HOURGLASS_TOKEN: "
		    "too long");
		return NULL;
	}
	if (token != NULL && strpbrk(token, "\r\n") != NULL) {
		snprintf(err, errlen, "HOURGLASS_TOKEN: holds a line break");
		return NULL;
	}
	if ((h = calloc(1, sizeof(*h))) == NULL || (h->curl =
	    curl_easy_init()) == NULL) {
		free(h);
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	memcpy(h->base, url, n);
	h->base[n] = '\0';
	if (token != NULL && *token != '\0') {
		w = snprintf(h->auth, sizeof(h->auth),
		    "Authorization: Bearer %s", token);
		if (w < 0 || (size_t)w >= sizeof(h->auth))
			h->auth[0] = '\0';
	}
	return h;
}

void
http_close(struct http *h)
{
	if (h == NULL)
		return;
	curl_easy_cleanup(h->curl);
	explicit_bzero(h->auth, sizeof(h->auth));
	free(h);
}

const char *
http_base(const struct http *h)
{
	return h->base;
}

void
http_resp_free(struct http_resp *r)
{
	if (r != NULL)
		buf_free(&r->body);
}

static size_t
on_body(char *p, size_t size, size_t n, void *arg)
{
	struct xfer	*x = arg;

	n *= size;
	if (x->r->status == 0)
		curl_easy_getinfo(x->curl, CURLINFO_RESPONSE_CODE,
		    &x->r->status);
	if (x->fn != NULL && x->r->status == 200) {
		if (x->fn(x->arg, p, n) == -1) {
			x->stopped = 1;
			return 0;
		}
		return n;
	}
	if (x->r->body.len + n > x->max) {
		x->toolong = 1;
		return 0;
	}
	if (buf_add(&x->r->body, p, n) == -1)
		return 0;
	return n;
}

static size_t
on_header(char *p, size_t size, size_t n, void *arg)
{
	struct xfer	*x = arg;
	static const char	 ra[] = "retry-after:";

	n *= size;
	if (n > sizeof(ra) && strncasecmp(p, ra, sizeof(ra) - 1) == 0)
		x->r->retry_after = strtol(p + sizeof(ra) - 1, NULL, 10);
	return n;
}

static int
on_progress(void *arg, curl_off_t a, curl_off_t b, curl_off_t c,
    curl_off_t d)
{
	struct xfer	*x = arg;

	(void)a, (void)b, (void)c, (void)d;
	if (x->tick != NULL && x->tick(x->arg) == -1) {
		x->stopped = 1;
		return 1;	/* CURLE_ABORTED_BY_CALLBACK */
	}
	return 0;
}

/* Runs one transfer set up by the caller; headers are added here. */
static int
perform(struct http *h, const char *method, const char *path,
    struct curl_slist *hdrs, struct xfer *x, char *err, size_t errlen)
{
	CURL		*c = h->curl;
	char		 url[HTTP_URL_MAX + 1024];
	CURLcode	 cc;
	int		 w, rc = -1;

	w = snprintf(url, sizeof(url), "%s%s", h->base, path);
	if (w < 0 || (size_t)w >= sizeof(url)) {
		snprintf(err, errlen, "%s: the URL is too long", path);
		return -1;
	}
	x->r->status = 0;
	x->r->retry_after = -1;
	buf_reset(&x->r->body);
	x->curl = c;
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdrs);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, (long)HTTP_CONNECT_S);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, x);
	curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(c, CURLOPT_HEADERDATA, x);
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
	cc = curl_easy_perform(c);
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &x->r->status);
	if (x->stopped)
		rc = 0;
	else if (x->toolong)
		snprintf(err, errlen, "%s: the answer is over %zu bytes",
		    path, x->max);
	else if (cc != CURLE_OK)
		snprintf(err, errlen, "%s: %s", h->base,
		    curl_easy_strerror(cc));
	else
		rc = 0;
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, NULL);
	return rc;
}

/* The headers every request sends; NULL if out of memory. */
static struct curl_slist *
base_headers(struct http *h, const char *extra1, const char *extra2)
{
	struct curl_slist	*l = NULL, *t;
	const char		*add[4] = { h->auth, extra1, extra2,
	    "Expect:" };
	size_t			 i;

	for (i = 0; i < 4; i++) {
		if (add[i] == NULL || add[i][0] == '\0')
			continue;
		if ((t = curl_slist_append(l, add[i])) == NULL) {
			curl_slist_free_all(l);
			return NULL;
		}
		l = t;
	}
	return l;
}

int
http_request(struct http *h, const char *method, const char *path,
    const char *body, const char *key, struct http_resp *r, char *err,
    size_t errlen)
{
	struct xfer		 x = { r, NULL, NULL, NULL, NULL,
	    HTTP_BODY_MAX, 0, 0 };
	struct curl_slist	*hdrs;
	char			 idem[HG_IDEM_KEY_MAX + 32];
	int			 rc;

	if (key != NULL)
		snprintf(idem, sizeof(idem), "Idempotency-Key: %s", key);
	/* "Content-Type:" alone drops the form type libcurl would send
	 * with an empty POST (a stop, a rerun: they take no body). */
	if ((hdrs = base_headers(h, body != NULL ? "Content-Type: "
	    "application/json" : "Content-Type:", key != NULL ? idem :
	    NULL)) == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	curl_easy_reset(h->curl);
	curl_easy_setopt(h->curl, CURLOPT_TIMEOUT, (long)HTTP_TIMEOUT_S);
	if (body != NULL) {
		curl_easy_setopt(h->curl, CURLOPT_POSTFIELDS, body);
		curl_easy_setopt(h->curl, CURLOPT_POSTFIELDSIZE,
		    (long)strlen(body));
	} else if (strcmp(method, "POST") == 0) {
		/* An empty body of its own: without POSTFIELDS, libcurl
		 * would read the body from stdin. */
		curl_easy_setopt(h->curl, CURLOPT_POSTFIELDS, "");
		curl_easy_setopt(h->curl, CURLOPT_POSTFIELDSIZE, 0L);
	}
	if (strcmp(method, "POST") == 0)
		curl_easy_setopt(h->curl, CURLOPT_POST, 1L);
	rc = perform(h, method, path, hdrs, &x, err, errlen);
	curl_slist_free_all(hdrs);
	return rc;
}

int
http_stream(struct http *h, const char *path, const char *last_id,
    http_chunk_fn fn, http_tick_fn tick, void *arg, struct http_resp *r,
    char *err, size_t errlen)
{
	struct xfer		 x = { r, NULL, fn, tick, arg,
	    HTTP_ERR_BODY_MAX, 0, 0 };
	struct curl_slist	*hdrs;
	char			 lei[64];
	int			 rc;

	if (last_id != NULL)
		snprintf(lei, sizeof(lei), "Last-Event-ID: %s", last_id);
	hdrs = base_headers(h, "Accept: text/event-stream", last_id !=
	    NULL ? lei : NULL);
	if (hdrs == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	curl_easy_reset(h->curl);
	/* No overall timeout: a watch lasts as long as its task. A
	 * stream that sends nothing, not even the 15 s ping, is dead. */
	curl_easy_setopt(h->curl, CURLOPT_LOW_SPEED_LIMIT, 1L);
	curl_easy_setopt(h->curl, CURLOPT_LOW_SPEED_TIME,
	    (long)HTTP_STALL_S);
	curl_easy_setopt(h->curl, CURLOPT_NOPROGRESS, 0L);
	curl_easy_setopt(h->curl, CURLOPT_XFERINFOFUNCTION, on_progress);
	curl_easy_setopt(h->curl, CURLOPT_XFERINFODATA, &x);
	rc = perform(h, "GET", path, hdrs, &x, err, errlen);
	curl_slist_free_all(hdrs);
	return rc;
}

int
http_query(struct buf *path, const char *name, const char *value)
{
	char	*v;
	int	 rc;

	if ((v = curl_easy_escape(NULL, value, 0)) == NULL)
		return -1;
	rc = buf_printf(path, "%c%s=%s", path->p != NULL && strchr(path->p,
	    '?') != NULL ? '&' : '?', name, v);
	curl_free(v);
	return rc;
}
