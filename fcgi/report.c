/*
 * External tasks: the work runs elsewhere and reports here, over HTTP,
 * with a token of the task's own. Only the token's SHA-256 is kept, so
 * the database alone opens nothing. A report is what a command would
 * have printed: progress lines in the command protocol, or one JSON
 * object of it, and log lines for the rest.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>
#include <unistd.h>

#include <nettle/sha2.h>

#include "feed.h"
#include "janitor.h"
#include "json.h"
#include "lines.h"
#include "pool.h"
#include "progress.h"
#include "report.h"
#include "server.h"
#include "taskfiles.h"

#define TOKEN_BYTES	32	/* of randomness: 64 hex digits */

/* Sets hash (SHA256_DIGEST_SIZE = STORE_HASH_LEN bytes) to the SHA-256
 * of the text. */
static void
token_hash(const char *text, unsigned char *hash)
{
	struct sha256_ctx	 c;

	sha256_init(&c);
	sha256_update(&c, strlen(text), (const uint8_t *)text);
	sha256_digest(&c, SHA256_DIGEST_SIZE, hash);
}

int
report_token_new(char *token, size_t len, unsigned char *hash)
{
	unsigned char	 raw[TOKEN_BYTES];
	size_t		 got = 0, i;
	ssize_t		 n;

	if (len < TOKEN_BYTES * 2 + 1)
		return -1;
	while (got < sizeof(raw)) {
		if ((n = getrandom(raw + got, sizeof(raw) - got, 0)) == -1) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		got += (size_t)n;
	}
	for (i = 0; i < sizeof(raw); i++)
		snprintf(token + i * 2, 3, "%02x", raw[i]);
	token_hash(token, hash);
	return 0;
}

/* What one report says, once its lines are read. */
struct report {
	const struct kind *kind;	/* NULL: the kind left the file */
	struct logline	*lines;		/* log lines and data items, in
					 * order, each malloc'd */
	size_t		 nlines;
	int		 has_progress;	/* only the last value is kept */
	struct pline	 progress;
	char		*result;	/* the last result, malloc'd */
	int		 complete;
	struct pline	 done;		/* the complete line */
};

/* Takes line (malloc'd) as the next log line. */
static void
report_log(struct report *rp, char *line, const char *stream)
{
	rp->lines[rp->nlines].stream = stream;
	rp->lines[rp->nlines].line = line;
	rp->lines[rp->nlines].name = NULL;
	rp->lines[rp->nlines++].len = 0;
}

/* A line refused by the parser: itself, as it came, then why. */
static void
report_refused(struct report *rp, char *line, const char *why)
{
	char	*w;

	report_log(rp, line, "stdout");
	if ((w = strdup(why)) != NULL)
		report_log(rp, w, "stderr");
}

/* Takes pl's value as a data item named as pl says. */
static void
report_data(struct report *rp, struct pline *pl)
{
	size_t	 nl = strlen(pl->name);
	char	*p;

	if ((p = malloc(nl + 1 + pl->json_len + 1)) == NULL)
		return;
	memcpy(p, pl->name, nl + 1);
	memcpy(p + nl + 1, pl->json, pl->json_len + 1);
	rp->lines[rp->nlines].stream = "stdout";
	rp->lines[rp->nlines].line = p + nl + 1;
	rp->lines[rp->nlines].name = p;
	rp->lines[rp->nlines++].len = pl->json_len;
}

/* Takes pl's value as the result: the last one wins. */
static void
report_result(struct report *rp, struct pline *pl)
{
	free(rp->result);
	rp->result = pl->json;
	pl->json = NULL;
}

/* One line of a report, len bytes at raw; each line adds at most two
 * entries to rp->lines. */
static void
report_line(void *arg, const char *raw, size_t len)
{
	struct report	*rp = arg;
	struct pline	 pl;
	char		*clean;
	size_t		 n;

	if ((clean = malloc(len * 3 + 4)) == NULL)
		return;
	n = hg_utf8_clean(raw, len, clean, len * 3 + 4);
	switch (progress_parse(clean, n, rp->kind != NULL &&
	    rp->kind->has_regex ? &rp->kind->progress_re : NULL, &pl)) {
	case PLINE_PROGRESS:
		rp->progress = pl;
		rp->has_progress = 1;
		break;
	case PLINE_DATA:
		report_data(rp, &pl);
		break;
	case PLINE_RESULT:
		report_result(rp, &pl);
		break;
	case PLINE_COMPLETE:
		if (pl.json != NULL)
			report_result(rp, &pl);
		if (pl.why[0] != '\0') {
			report_refused(rp, clean, pl.why);
			clean = NULL;
		}
		rp->done = pl;
		rp->complete = 1;
		break;
	case PLINE_LOG:
		if (pl.why[0] != '\0')
			report_refused(rp, clean, pl.why);
		else
			report_log(rp, clean, "stdout");
		clean = NULL;
		break;
	}
	pline_free(&pl);
	free(clean);
}

/*
 * Splits body into lines as a command's output is split (lines.h); a
 * JSON body is one line, whole, however long (a refused one is cut to
 * HG_JSON_LINE_MAX in the log). -1 without memory.
 */
static int
report_read(struct report *rp, const char *body, size_t len, int json)
{
	size_t	 i, max = 1;

	/* Each line ending ends a line at most; a line is two entries at
	 * most (a refused line and why). */
	for (i = 0; i < len; i++)
		max += body[i] == '\n' || body[i] == '\r';
	if ((rp->lines = calloc(max * 2, sizeof(*rp->lines))) == NULL)
		return -1;
	if (json)
		report_line(rp, body, len);
	else
		lines_split(body, len, HG_LINE_MAX, HG_JSON_LINE_MAX,
		    report_line, rp);
	return 0;
}

/*
 * Appends the log lines to the task's log file lg (open and locked),
 * capped at HOURGLASS_LOG_MAX as a runner caps it: past the cap, one
 * marker line and nothing more. Lines that did not go in are dropped
 * from rp too, so that the log events say what the file says; data
 * items stay, in their place.
 */
static void
report_log_file(struct report *rp, struct taskfiles_log *lg)
{
	enum taskfiles_put	 put = TASKFILES_PUT;
	struct logline		*l;
	size_t			 i, keep = 0, n;

	/* Without the file its size is unknown: the lines go uncapped. */
	if (lg->fd == -1)
		return;
	for (i = 0; i < rp->nlines; i++) {
		l = &rp->lines[i];
		if (l->name == NULL) {
			/* A JSON body's refused line is cut as a '{' line
			 * of a command's output would be. */
			if ((n = strlen(l->line)) > HG_JSON_LINE_MAX) {
				n = HG_JSON_LINE_MAX;
				while (n > 0 && ((unsigned char)l->line[n] &
				    0xc0) == 0x80)
					n--;
				((char *)l->line)[n] = '\0';
			}
			if (put != TASKFILES_PUT)
				put = TASKFILES_FULL;
			else if ((put = taskfiles_log_append(lg, l->line,
			    n)) == TASKFILES_CUT) {
				free((char *)l->line);
				/* The marker takes the line's place. */
				l->line = strdup(lg->marker);
				l->stream = "stderr";
			}
			if (put == TASKFILES_FULL || l->line == NULL) {
				free((char *)l->line);
				continue;
			}
		}
		rp->lines[keep++] = *l;
	}
	rp->nlines = keep;
}

/* Frees entry l of a report: a data item is one allocation, at name. */
static void
entry_free(struct logline *l)
{
	free((char *)(l->name != NULL ? l->name : l->line));
}

static void
report_free(struct report *rp)
{
	size_t	 i;

	for (i = 0; i < rp->nlines; i++)
		entry_free(&rp->lines[i]);
	free(rp->lines);
	free(rp->result);
	pline_free(&rp->done);
}

/* The task's progress now, for a complete line that brings a message
 * but no value. */
static int
current_progress(struct store *st, int64_t id, struct progress *p)
{
	struct hg_err	 e;
	const cJSON	*pr, *v, *t;
	cJSON		*task;

	if (store_task_get(st, id, &task, &e) == -1)
		return -1;
	pr = cJSON_GetObjectItemCaseSensitive(task, "progress");
	v = cJSON_GetObjectItemCaseSensitive(pr, "value");
	t = cJSON_GetObjectItemCaseSensitive(pr, "total");
	p->value = cJSON_IsNumber(v) ? v->valuedouble : 0;
	p->total = cJSON_IsNumber(t) ? t->valuedouble : -1;
	cJSON_Delete(task);
	return 0;
}

/* The one log line of a task whose items reached HOURGLASS_DATA_MAX,
 * in the file lg (open and locked, or fd -1) and as an event. */
static int
report_data_full(struct store *st, int64_t id, struct taskfiles_log *lg,
    struct hg_err *e)
{
	struct logline		 l = { "stderr", NULL, NULL, 0 };
	char			 cut[128];
	int			 put = -1;

	snprintf(cut, sizeof(cut), HG_DATA_CUT, srv.cfg.data_max);
	if (lg->fd != -1)
		put = taskfiles_log_append(lg, cut, strlen(cut));
	if (put == TASKFILES_FULL)
		return 0;
	l.line = put == TASKFILES_CUT ? lg->marker : cut;
	return store_task_log(st, id, &l, 1, e);
}

/* Records what rp says: log lines and data items (then *written is
 * set), then the last progress, then the end if a complete line came,
 * with the result. Returns 0; 1 if the task was not active, and nothing
 * was recorded; or -1 with e set. */
static int
report_apply(struct store *st, int64_t id, struct report *rp,
    struct taskfiles_log *lg, int *written, struct hg_err *e)
{
	struct progress	 p = { 0, -1, NULL };
	struct outcome	 o = { TASK_SUCCEEDED, 0, 0, NULL, NULL, 1, NULL,
	    NULL, NULL, NULL, NULL };
	struct task_output out = { .v = rp->lines, .n = rp->nlines,
	    .data_max = srv.cfg.data_max };
	int		 has_p = rp->has_progress;

	/* A result goes with the end, if one comes. */
	if (rp->complete)
		o.result = rp->result;
	else
		out.result = rp->result;
	*written = 0;
	if (store_task_output(st, id, &out, e) == -1)
		return -1;
	if (out.inactive)
		return 1;
	*written = 1;
	if (out.data_full && report_data_full(st, id, lg, e) == -1)
		return -1;
	if (has_p) {
		p.value = rp->progress.value;
		p.total = rp->progress.total;
		p.message = rp->progress.has_message ?
		    rp->progress.message : NULL;
	}
	if (!rp->complete)
		return has_p ? store_task_progress(st, id, &p, e) : 0;
	if (rp->done.code == 0) {
		/* The code is the task's exit code, as a command's exit
		 * status is; its description becomes the progress message. */
		o.has_exit_code = 1;
		o.exit_code = 0;
		if (rp->done.has_message) {
			if (!has_p && current_progress(st, id, &p) == -1)
				return hg_err_set(e, 503, "unavailable",
				    "reading the task failed");
			p.message = rp->done.message;
			has_p = 1;
		}
	} else {
		o.state = TASK_FAILED;
		o.has_exit_code = 1;
		o.exit_code = rp->done.code;
		o.error_code = "exit_code";
		o.error_message = rp->done.has_message ? rp->done.message :
		    "reported failure";
	}
	return store_task_finish(st, id, has_p ? &p : NULL, &o, e) == -1 ?
	    -1 : 0;
}

void
report_serve(struct req *r, int64_t id)
{
	static const char stop_yes[] = "{\"stop\":true}";
	static const char stop_no[] = "{\"stop\":false}";
	struct report	 rp;
	struct taskfiles_log lg = { .fd = -1 };
	struct store	*st = NULL;
	struct hg_err	 e;
	char		 path[PATH_MAX];
	long long	 start;
	int		 written;
	unsigned char	 hash[SHA256_DIGEST_SIZE];
	const char	*auth = req_param(r, "HTTP_AUTHORIZATION");
	const char	*text;
	char		*body = NULL, *line = NULL, kind[128];
	cJSON		*doc = NULL;
	size_t		 len;
	int		 stop, rc;

	memset(&rp, 0, sizeof(rp));
	if (auth == NULL || strncasecmp(auth, "Bearer ", 7) != 0) {
		hg_err_set(&e, 401, "unauthorized", "a report needs its task's "
		    "token: Authorization: Bearer <token>");
		goto fail;
	}
	token_hash(auth + 7, hash);
	/* The token first, so that nothing else is told to a stranger. */
	if ((st = pool_get(&e)) == NULL ||
	    store_report(st, id, hash, 0, kind, sizeof(kind), &stop, &e) ==
	    -1)
		goto fail;
	if (!req_type_is(r, "text/plain") &&
	    !req_type_is(r, "application/json")) {
		hg_err_set(&e, 415, "unsupported_media_type", "a report is "
		    "text/plain (progress and log lines) or application/json "
		    "(one object), in UTF-8");
		goto fail;
	}
	if ((body = req_body(r, HG_REPORT_BODY_MAX, &len, &e)) == NULL)
		goto fail;
	text = body;
	if (req_type_is(r, "application/json")) {
		if ((doc = json_parse(body, len, &e)) == NULL)
			goto fail;
		if (!cJSON_IsObject(doc)) {
			hg_err_set(&e, 400, "invalid_request", "a JSON report "
			    "is one object, as a progress line would be");
			goto fail;
		}
		/* One line of the protocol, as a command would print it,
		 * its numbers as they came. */
		if (json_keep_digits(doc, NULL, body, len) == -1 ||
		    (line = json_print(doc)) == NULL) {
			hg_err_set(&e, 503, "unavailable", "out of memory");
			goto fail;
		}
		text = line;
		len = strlen(line);
	}
	rp.kind = kinds_find(srv.kinds, kind);
	if (report_read(&rp, text, len, doc != NULL) == -1) {
		hg_err_set(&e, 503, "unavailable", "out of memory");
		goto fail;
	}
	if (store_report(st, id, hash, 1, kind, sizeof(kind), &stop, &e) ==
	    -1)
		goto fail;
	/* The file stays locked until the lines are events as well, or
	 * are taken back out of it: a report that loses the race with the
	 * one that ends the task (or with its delete) leaves no line in the
	 * file that the events lack. */
	(void)taskfiles_log_open(&lg, &srv.cfg, id, 1, NULL, 0);
	start = lg.end;
	report_log_file(&rp, &lg);
	if ((rc = report_apply(st, id, &rp, &lg, &written, &e)) != 0 &&
	    !written) {
		taskfiles_log_takeback(&lg, start);
		/* A file this report made for a task that is gone. */
		if (lg.fd != -1 && start == 0 && (rc == 1 ||
		    e.status == 404) && taskfiles_log_path(&srv.cfg, id,
		    path, sizeof(path)) == 0)
			(void)unlink(path);
		if (rc == 1) {
			hg_err_set(&e, 409, "not_active", "task %lld has "
			    "already ended", (long long)id);
			rc = -1;
		}
	}
	taskfiles_log_close(&lg);
	feed_kick();
	/* Its end may have released tasks that waited for it. */
	if (rp.complete)
		janitor_kick();
	if (rc == -1)
		goto fail;
	reply(r, 200, NULL, JSON_TYPE,
	    stop ? stop_yes : stop_no, stop ? sizeof(stop_yes) - 1 :
	    sizeof(stop_no) - 1);
	goto out;
fail:
	reply_err(r, e.status == 401 ? "WWW-Authenticate: Bearer\r\n" : NULL,
	    &e);
out:
	if (st != NULL)
		pool_put(st);
	report_free(&rp);
	cJSON_Delete(doc);
	free(line);
	free(body);
}
