/*
 * Calls and their errors; the contract is in api.h.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api.h"
#include "json.h"

void
api_warn(const char *fmt, ...)
{
	va_list	ap;

	fputs("hourglass: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

static const char *const exact[] = { "data", "result", NULL };

cJSON *
api_parse(const char *p, size_t len)
{
	const char	*end;
	cJSON		*doc;

	if (p == NULL || len == 0)
		return NULL;
	/* Not require_null_terminated: cJSON 1.7.15 then wants the NUL
	 * inside len, and fails every exact length. Trailing bytes other
	 * than white space make it no JSON, as they would with it. */
	if ((doc = cJSON_ParseWithLengthOpts(p, len, &end, 0)) == NULL)
		return NULL;
	while (end < p + len && strchr(" \t\r\n", *end) != NULL && *end)
		end++;
	/* Data items and results as the server keeps them: a number past
	 * what a double holds goes out as it came. */
	if (end != p + len ||
	    json_keep_digits(doc, exact, p, len) == -1) {
		cJSON_Delete(doc);
		return NULL;
	}
	return doc;
}

int
api_transient(const struct http_resp *r)
{
	return r->status == 502 || r->status == 503 || r->status == 504;
}

int
api_refused(const struct http *h, const struct http_resp *r)
{
	cJSON		*doc;
	const cJSON	*e, *code, *msg;
	int		 rc = EXIT_UNREACHABLE;

	doc = api_parse(r->body.p, r->body.len);
	e = cJSON_GetObjectItemCaseSensitive(doc, "error");
	code = cJSON_GetObjectItemCaseSensitive(e, "code");
	msg = cJSON_GetObjectItemCaseSensitive(e, "message");
	if (cJSON_IsString(code) && cJSON_IsString(msg)) {
		api_warn("%s: %s", code->valuestring, msg->valuestring);
		rc = EXIT_REFUSED;
	} else
		api_warn("%s answered HTTP %ld, not the API's error: is "
		    "the service running?", http_base(h), r->status);
	cJSON_Delete(doc);
	return rc;
}

int
api_call(struct http *h, const char *method, const char *path,
    const cJSON *body, const char *key, cJSON **doc)
{
	struct http_resp	 r = { 0, { NULL, 0, 0, 0 }, -1 };
	char			 err[512], *text = NULL;
	int			 rc;

	*doc = NULL;
	if (body != NULL && (text = json_print(body)) == NULL) {
		api_warn("out of memory");
		return EXIT_UNREACHABLE;
	}
	if (http_request(h, method, path, text, key, &r, err,
	    sizeof(err)) == -1) {
		api_warn("%s", err);
		rc = EXIT_UNREACHABLE;
	} else if (r.status < 200 || r.status > 299)
		rc = api_refused(h, &r);
	else if (r.body.len > 0 && (*doc = api_parse(r.body.p,
	    r.body.len)) == NULL) {
		api_warn("%s%s: the answer is not JSON", http_base(h), path);
		rc = EXIT_UNREACHABLE;
	} else
		rc = 0;
	free(text);
	http_resp_free(&r);
	return rc;
}

int
api_print(const cJSON *doc)
{
	char	*s;

	if ((s = json_print(doc)) == NULL) {
		api_warn("out of memory");
		return 1;
	}
	printf("%s\n", s);
	free(s);
	return api_flush();
}

int
api_flush(void)
{
	static int	 failed;
	int		 e;

	if (failed)
		return EXIT_OUTPUT;
	/* A write of more than the buffer goes straight out, and fails
	 * in the printf, leaving nothing for fflush to retry: the reason
	 * is then the errno that printf left, since the CLI calls nothing
	 * but free() (which keeps errno) between a print and this. */
	e = errno;
	if (fflush(stdout) == EOF)
		e = errno;
	else if (!ferror(stdout))
		return 0;
	failed = 1;
	if (e == 0)
		e = EIO;
	if (e != EPIPE)
		api_warn("could not write the output: %s", strerror(e));
	return EXIT_OUTPUT;
}
