/*
 * The commands on kinds and tasks; the contract is in tasks.h. With
 * --json each prints the API's answer as it came, one a line (data an
 * answer per page; result and logs print the same either way, README
 * says why); without, what a person reads: tables, fields, an id.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "api.h"
#include "json.h"
#include "params.h"
#include "table.h"
#include "tasks.h"
#include "watch.h"

static const char *
str(const cJSON *o, const char *name)
{
	const cJSON	*v = cJSON_GetObjectItemCaseSensitive(o, name);

	return cJSON_IsString(v) ? v->valuestring : NULL;
}

/* A value as a person reads it: a string as it is, null as "-", the
 * rest as compact JSON. Returns a malloc'd string. */
static char *
show_value(const cJSON *v)
{
	if (cJSON_IsString(v))
		return strdup(v->valuestring);
	if (v == NULL || cJSON_IsNull(v))
		return strdup("-");
	return json_print(v);
}

/* "42/150 28%" and the message, or "-" before any progress. */
static void
show_progress(const cJSON *p, char *out, size_t len)
{
	const cJSON	*v = cJSON_GetObjectItemCaseSensitive(p, "value");
	const cJSON	*t = cJSON_GetObjectItemCaseSensitive(p, "total");
	const cJSON	*pc = cJSON_GetObjectItemCaseSensitive(p, "percent");
	const char	*m = str(p, "message");

	if (!cJSON_IsNumber(pc)) {
		snprintf(out, len, "-");
		return;
	}
	snprintf(out, len, "%.15g/%.15g %.0f%%%s%s", cJSON_IsNumber(v) ?
	    v->valuedouble : 0, cJSON_IsNumber(t) ? t->valuedouble : 0,
	    pc->valuedouble, m != NULL ? " " : "", m != NULL ? m : "");
}

static int
print_or(const struct args *a, const cJSON *doc, const char *text)
{
	if (a->json)
		return api_print(doc);
	printf("%s\n", text);
	return 0;
}

/* An external task's report URL and token come in its create's answer
 * alone: told on stderr, so that `id=$(hourglass start ...)` still
 * reads the id alone. */
static void
report_note(const cJSON *task)
{
	const cJSON	*rep = cJSON_GetObjectItemCaseSensitive(task, "report");
	const cJSON	*url = cJSON_GetObjectItemCaseSensitive(rep, "url");
	const cJSON	*tok = cJSON_GetObjectItemCaseSensitive(rep, "token");

	if (cJSON_IsString(url) && cJSON_IsString(tok))
		api_warn("its worker reports with POST %s and "
		    "\"Authorization: Bearer %s\"; the token is shown only "
		    "now", url->valuestring, tok->valuestring);
}

static int
print_id(const struct args *a, const cJSON *task)
{
	char	*id = show_value(cJSON_GetObjectItemCaseSensitive(task, "id"));
	int	 rc;

	/* With --json the answer is printed whole, its report with it. */
	if (!a->json)
		report_note(task);
	rc = print_or(a, task, id != NULL ? id : "?");
	free(id);
	return rc;
}

static int
cmd_kinds(struct http *h, const struct args *a)
{
	struct table	 t = { 3, NULL, 0, 0 };
	const cJSON	*k, *p, *d;
	const char	*row[3];
	cJSON		*doc;
	struct buf	 ps = { NULL, 0, 0, 0 };
	char		 num[JSON_NUM_MAX];
	int		 rc;

	if ((rc = api_call(h, "GET", "/api/kinds", NULL, NULL, &doc)) != 0)
		return rc;
	if (a->json) {
		rc = api_print(doc);
		goto out;
	}
	row[0] = "KIND", row[1] = "PARAMETERS", row[2] = "DESCRIPTION";
	table_add(&t, row);
	cJSON_ArrayForEach(k, cJSON_GetObjectItemCaseSensitive(doc, "kinds")) {
		buf_reset(&ps);
		cJSON_ArrayForEach(p, cJSON_GetObjectItemCaseSensitive(k,
		    "params")) {
			d = cJSON_GetObjectItemCaseSensitive(p, "default");
			buf_printf(&ps, "%s%s:%s", ps.len ? " " : "",
			    p->string, str(p, "type") ? str(p, "type") : "?");
			if (cJSON_IsNumber(d)) {
				json_num_text(d->valuedouble, num);
				buf_printf(&ps, "=%s", num);
			} else if (cJSON_IsRaw(d))	/* digits kept */
				buf_printf(&ps, "=%s", d->valuestring);
			else if (cJSON_IsString(d))
				buf_printf(&ps, "=%s", d->valuestring);
			else if (cJSON_IsBool(d))
				buf_printf(&ps, "=%s", cJSON_IsTrue(d) ?
				    "true" : "false");
		}
		row[0] = str(k, "name");
		row[1] = ps.len ? ps.p : "-";
		row[2] = str(k, "description");
		if (table_add(&t, row) == -1)
			break;
	}
	table_print(&t, stdout);
out:
	buf_free(&ps);
	table_free(&t);
	cJSON_Delete(doc);
	return rc;
}

int
tasks_params(struct http *h, const char *kind, const char *const *pairs,
    size_t n, cJSON **params)
{
	cJSON	*kinds;
	char	 err[512];
	int	 rc;

	if ((rc = api_call(h, "GET", "/api/kinds", NULL, NULL, &kinds)) != 0)
		return rc;
	if ((*params = params_type(kinds, kind, pairs, n, err,
	    sizeof(err))) == NULL) {
		api_warn("%s", err);
		rc = EXIT_USAGE;
	}
	cJSON_Delete(kinds);
	return rc;
}

static enum watch_mode
watch_mode(const struct args *a)
{
	return a->json || !isatty(STDOUT_FILENO) ? WATCH_JSON : WATCH_BAR;
}

static int
cmd_start(struct http *h, const struct args *a, int64_t giveup_s)
{
	cJSON		*body = NULL, *params, *task = NULL, *after;
	const cJSON	*id;
	int64_t		 tid;
	size_t		 i;
	int		 rc;

	if ((rc = tasks_params(h, a->kind, a->params, a->nparams,
	    &params)) != 0)
		return rc;
	rc = 1;
	if ((body = cJSON_CreateObject()) == NULL ||
	    cJSON_AddStringToObject(body, "kind", a->kind) == NULL ||
	    !cJSON_AddItemToObject(body, "params", params)) {
		cJSON_Delete(params);
		goto out;
	}
	if (a->name != NULL && cJSON_AddStringToObject(body, "name",
	    a->name) == NULL)
		goto out;
	if (a->nafter > 0) {
		if ((after = cJSON_AddArrayToObject(body, "after")) == NULL)
			goto out;
		for (i = 0; i < a->nafter; i++)
			if (!cJSON_AddItemToArray(after, cJSON_CreateNumber(
			    (double)a->after[i])))
				goto out;
	}
	if ((rc = api_call(h, "POST", "/api/tasks", body, a->key,
	    &task)) != 0)
		goto out;
	id = cJSON_GetObjectItemCaseSensitive(task, "id");
	if (a->follow && json_int(id, &tid) == 0) {
		report_note(task);
		rc = watch_run(h, tid, watch_mode(a), giveup_s);
	} else
		rc = print_id(a, task);
out:
	if (rc == 1 && task == NULL)
		api_warn("out of memory");
	cJSON_Delete(task);
	cJSON_Delete(body);
	return rc;
}

static int
cmd_ls(struct http *h, const struct args *a)
{
	struct table	 t = { 6, NULL, 0, 0 };
	struct buf	 path = { NULL, 0, 0, 0 };
	char		 lim[16], prog[BUFSIZ], *id;
	const char	*row[6];
	const cJSON	*k;
	cJSON		*doc = NULL;
	int		 rc = 1;

	buf_printf(&path, "/api/tasks");
	snprintf(lim, sizeof(lim), "%d", a->limit);
	if ((a->state != NULL && http_query(&path, "state", a->state) ==
	    -1) || (a->kindf != NULL && http_query(&path, "kind",
	    a->kindf) == -1) || (a->limit > 0 && http_query(&path, "limit",
	    lim) == -1) || path.nomem)
		goto out;
	if ((rc = api_call(h, "GET", path.p, NULL, NULL, &doc)) != 0)
		goto out;
	if (a->json) {
		rc = api_print(doc);
		goto out;
	}
	row[0] = "ID", row[1] = "KIND", row[2] = "STATE";
	row[3] = "PROGRESS", row[4] = "CREATED", row[5] = "NAME";
	table_add(&t, row);
	cJSON_ArrayForEach(k, cJSON_GetObjectItemCaseSensitive(doc, "tasks")) {
		id = show_value(cJSON_GetObjectItemCaseSensitive(k, "id"));
		show_progress(cJSON_GetObjectItemCaseSensitive(k, "progress"),
		    prog, sizeof(prog));
		row[0] = id, row[1] = str(k, "kind"), row[2] = str(k, "state");
		row[3] = prog, row[4] = str(k, "created_at");
		row[5] = str(k, "name");
		rc = table_add(&t, row) == -1;
		free(id);
		if (rc)
			goto out;
	}
	table_print(&t, stdout);
out:
	if (path.nomem)
		api_warn("out of memory");
	buf_free(&path);
	table_free(&t);
	cJSON_Delete(doc);
	return rc;
}

/* A field of show as a person reads it: progress and an error summed
 * up, the rest by show_value(). Returns a malloc'd string, or NULL if
 * out of memory. */
static char *
show_field(const cJSON *f)
{
	struct buf	 b = { NULL, 0, 0, 0 };
	char		 prog[BUFSIZ];

	if (strcmp(f->string, "progress") == 0) {
		show_progress(f, prog, sizeof(prog));
		return strdup(prog);
	}
	if (!cJSON_IsObject(f) || strcmp(f->string, "error") != 0 ||
	    str(f, "code") == NULL)
		return show_value(f);
	if (buf_printf(&b, "%s: %s", str(f, "code"), str(f, "message") ?
	    str(f, "message") : "") == -1) {
		buf_free(&b);
		return NULL;
	}
	return b.p;
}

/* Every field of the task, one a line, in the API's order. Whoever
 * could create the task chose its name and params, and its command its
 * messages: the rows go through table_add(), as ls's do, so that none
 * reaches the terminal as an escape sequence or a line break. */
static int
show_task(const cJSON *task)
{
	struct table	 t = { 2, NULL, 0, 0 };
	const cJSON	*f;
	const char	*row[2];
	char		*v;
	int		 rc = 0;

	cJSON_ArrayForEach(f, task) {
		row[0] = f->string;
		row[1] = v = show_field(f);
		if (v == NULL || table_add(&t, row) == -1) {
			free(v);
			api_warn("out of memory");
			rc = 1;
			goto out;
		}
		free(v);
	}
	table_print(&t, stdout);
out:
	table_free(&t);
	return rc;
}

/* GET, POST or DELETE of /api/tasks/ID + suffix; prints the answer. */
static int
on_task(struct http *h, const struct args *a, const char *method,
    const char *suffix)
{
	char		 path[96], line[128];
	const cJSON	*r;
	cJSON		*doc;
	int		 rc;

	snprintf(path, sizeof(path), "/api/tasks/%lld%s", (long long)a->id,
	    suffix);
	if ((rc = api_call(h, method, path, NULL, NULL, &doc)) != 0)
		return rc;
	switch (a->cmd) {
	case CMD_SHOW:
		rc = a->json ? api_print(doc) : show_task(doc);
		break;
	case CMD_RESULT:
		/* The result as JSON, or null, whatever --json says. */
		r = cJSON_GetObjectItemCaseSensitive(doc, "result");
		if (r == NULL)
			printf("null\n");
		else
			rc = api_print(r);
		break;
	case CMD_STOP:
		snprintf(line, sizeof(line), "%lld %s", (long long)a->id,
		    str(doc, "state") ? str(doc, "state") : "?");
		rc = print_or(a, doc, line);
		break;
	default:	/* rerun: the new task */
		rc = print_id(a, doc);
		break;
	}
	cJSON_Delete(doc);
	return rc;
}

/* A page of data items as text, one a line: "ID  NAME  VALUE". */
static void
data_lines(const cJSON *page)
{
	const cJSON	*it;
	char		*v, *id;

	cJSON_ArrayForEach(it, cJSON_GetObjectItemCaseSensitive(page,
	    "items")) {
		id = show_value(cJSON_GetObjectItemCaseSensitive(it, "id"));
		v = json_print(cJSON_GetObjectItemCaseSensitive(it, "data"));
		printf("%s  %s  %s\n", id ? id : "?", str(it, "name") ?
		    str(it, "name") : "-", v ? v : "?");
		free(v);
		free(id);
	}
}

/* Data items, page after page to the last: as text, or with --json each
 * page's answer as it came, one a line. */
static int
cmd_data(struct http *h, const struct args *a)
{
	struct buf	 path = { NULL, 0, 0, 0 };
	const cJSON	*next;
	cJSON		*doc = NULL;
	char		 after[32] = "0";
	int		 rc = 0;

	for (;;) {
		buf_reset(&path);
		buf_printf(&path, "/api/tasks/%lld/data", (long long)a->id);
		if (http_query(&path, "after", after) == -1 || (a->name !=
		    NULL && http_query(&path, "name", a->name) == -1) ||
		    http_query(&path, "limit", "1000") == -1) {
			api_warn("out of memory");
			rc = 1;
			break;
		}
		if ((rc = api_call(h, "GET", path.p, NULL, NULL, &doc)) != 0)
			break;
		if (a->json)
			rc = api_print(doc);
		else {
			data_lines(doc);
			/* Page by page: a reader gone stops the paging. */
			rc = api_flush();
		}
		next = cJSON_GetObjectItemCaseSensitive(doc, "next");
		if (rc != 0 || !cJSON_IsNumber(next))
			break;
		snprintf(after, sizeof(after), "%.0f", next->valuedouble);
		cJSON_Delete(doc);
		doc = NULL;
	}
	cJSON_Delete(doc);
	buf_free(&path);
	return rc;
}

/* The log as text; with --follow, its lines as they come, to the end. */
static int
cmd_logs(struct http *h, const struct args *a, int64_t giveup_s)
{
	struct http_resp	 r = { 0, { NULL, 0, 0, 0 }, -1 };
	char			 path[96], err[512];
	int			 rc = 0;

	if (a->follow)
		return watch_run(h, a->id, a->json ? WATCH_LOGS_JSON :
		    WATCH_LOGS, giveup_s);
	snprintf(path, sizeof(path), "/api/tasks/%lld/log", (long long)a->id);
	if (http_request(h, "GET", path, NULL, NULL, &r, err,
	    sizeof(err)) == -1) {
		api_warn("%s", err);
		rc = EXIT_UNREACHABLE;
	} else if (r.status != 200)
		rc = api_refused(h, &r);
	else if (r.body.len > 0)
		fwrite(r.body.p, 1, r.body.len, stdout);
	http_resp_free(&r);
	return rc;
}

int
tasks_run(struct http *h, const struct args *a, int64_t giveup_s)
{
	switch (a->cmd) {
	case CMD_KINDS:
		return cmd_kinds(h, a);
	case CMD_START:
		return cmd_start(h, a, giveup_s);
	case CMD_LS:
		return cmd_ls(h, a);
	case CMD_WATCH:
		return watch_run(h, a->id, watch_mode(a), giveup_s);
	case CMD_SHOW:
	case CMD_RESULT:
		return on_task(h, a, "GET", "");
	case CMD_STOP:
		return on_task(h, a, "POST", "/stop");
	case CMD_RERUN:
		return on_task(h, a, "POST", "/rerun");
	case CMD_DATA:
		return cmd_data(h, a);
	case CMD_LOGS:
		return cmd_logs(h, a, giveup_s);
	default:
		return EXIT_USAGE;
	}
}
