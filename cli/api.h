/*
 * The API's answers as the CLI uses them: JSON parsed, and an error
 * told on stderr as the contract spells it ("hourglass: not_found: no
 * such task") with the exit status a script can act on.
 */
#ifndef HG_CLI_API_H
#define HG_CLI_API_H

#include <cjson/cJSON.h>

#include "http.h"

#define EXIT_USAGE	2
#define EXIT_REFUSED	5	/* the service answered with an error */
#define EXIT_UNREACHABLE	69	/* EX_UNAVAILABLE: no answer */
#define EXIT_OUTPUT	74	/* EX_IOERR: stdout could not be written */

/* Prints "hourglass: " and the message on stderr. */
void	api_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/*
 * Tells r, an answer that is no success, on stderr. Returns
 * EXIT_REFUSED for the contract's error object, EXIT_UNREACHABLE for
 * anything else (nginx's own 502 page while the server is down).
 */
int	api_refused(const struct http *h, const struct http_resp *r);

/* 1 if r says the service is down or busy for now (502, 504, 503 with
 * any body): worth trying again. */
int	api_transient(const struct http_resp *r);

/*
 * method path with body (NULL: none) and an Idempotency-Key (NULL:
 * none). On a 2xx returns 0 and sets *doc to the parsed answer (NULL
 * for an empty one), which the caller frees with cJSON_Delete(). Else
 * tells the error and returns its exit status.
 */
int	api_call(struct http *h, const char *method, const char *path,
	    const cJSON *body, const char *key, cJSON **doc);

/* Prints doc as one line of JSON on stdout, flushed. Returns 0,
 * EXIT_OUTPUT as api_flush() does, or 1 if out of memory. */
int	api_print(const cJSON *doc);

/*
 * Flushes stdout. Returns 0, or EXIT_OUTPUT once a write to it has
 * failed, told on stderr the first time with the reason; quietly for
 * EPIPE (a reader that went away, as with | head, has what it wanted).
 * Call it after printing, with nothing but free() between: the reason
 * of a write that failed inside the print is read from errno. Flush
 * stdout through this alone: glibc's fflush gives a failed write's
 * errno once, then drops the buffer and succeeds.
 */
int	api_flush(void);

/* Parses len bytes of JSON; NULL if it is none. Caller frees. */
cJSON	*api_parse(const char *p, size_t len);

#endif
