/*
 * The schedules commands; the contract is in schedules.h. add sends
 * what POST /api/schedules takes (fcgi/schedules.c): kind, params,
 * name, cron, timezone and overlap; the service checks the cron line
 * and the zone, and its 422 names the field.
 */
#include <stdio.h>
#include <string.h>

#include "api.h"
#include "schedules.h"
#include "table.h"
#include "tasks.h"

static const char *
str(const cJSON *o, const char *name)
{
	const cJSON	*v = cJSON_GetObjectItemCaseSensitive(o, name);

	return cJSON_IsString(v) ? v->valuestring : NULL;
}

/* A number field as text into out, or "-". */
static const char *
num(const cJSON *o, const char *name, char *out, size_t len)
{
	const cJSON	*v = cJSON_GetObjectItemCaseSensitive(o, name);

	if (!cJSON_IsNumber(v))
		return "-";
	snprintf(out, len, "%.0f", v->valuedouble);
	return out;
}

static int
list(struct http *h, const struct args *a)
{
	struct table	 t = { 7, NULL, 0, 0 };
	const cJSON	*s;
	const char	*row[7];
	char		 id[32], last[32];
	cJSON		*doc;
	int		 rc;

	if ((rc = api_call(h, "GET", "/api/schedules", NULL, NULL,
	    &doc)) != 0)
		return rc;
	if (a->json) {
		rc = api_print(doc);
		goto out;
	}
	row[0] = "ID", row[1] = "KIND", row[2] = "CRON", row[3] = "TIMEZONE";
	row[4] = "NEXT RUN", row[5] = "LAST TASK", row[6] = "NAME";
	table_add(&t, row);
	cJSON_ArrayForEach(s, cJSON_GetObjectItemCaseSensitive(doc,
	    "schedules")) {
		row[0] = num(s, "id", id, sizeof(id));
		row[1] = str(s, "kind");
		row[2] = str(s, "cron");
		row[3] = str(s, "timezone");
		row[4] = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(s,
		    "paused")) ? "paused" : str(s, "next_run_at");
		row[5] = num(s, "last_task_id", last, sizeof(last));
		row[6] = str(s, "name");
		if (table_add(&t, row) == -1) {
			rc = 1;
			goto out;
		}
	}
	table_print(&t, stdout);
out:
	table_free(&t);
	cJSON_Delete(doc);
	return rc;
}

static int
add(struct http *h, const struct args *a)
{
	cJSON	*body = NULL, *params, *doc = NULL;
	char	 id[32];
	int	 rc;

	if ((rc = tasks_params(h, a->kind, a->params, a->nparams,
	    &params)) != 0)
		return rc;
	if ((body = cJSON_CreateObject()) == NULL ||
	    !cJSON_AddItemToObject(body, "params", params)) {
		cJSON_Delete(params);
		goto nomem;
	}
	if (cJSON_AddStringToObject(body, "kind", a->kind) == NULL ||
	    cJSON_AddStringToObject(body, "cron", a->cron) == NULL ||
	    (a->name != NULL && cJSON_AddStringToObject(body, "name",
	    a->name) == NULL) || (a->timezone != NULL &&
	    cJSON_AddStringToObject(body, "timezone", a->timezone) ==
	    NULL) || (a->overlap != NULL && cJSON_AddStringToObject(body,
	    "overlap", a->overlap) == NULL))
		goto nomem;
	if ((rc = api_call(h, "POST", "/api/schedules", body, NULL,
	    &doc)) == 0 && a->json)
		rc = api_print(doc);
	else if (rc == 0)
		printf("%s\n", num(doc, "id", id, sizeof(id)));
	cJSON_Delete(doc);
	cJSON_Delete(body);
	return rc;
nomem:
	cJSON_Delete(body);
	api_warn("out of memory");
	return 1;
}

/* rm, pause, resume, run: one call on /api/schedules/ID. */
static int
on_schedule(struct http *h, const struct args *a)
{
	const char	*method = "POST", *suffix = "", *what = NULL;
	char		 path[96], id[32];
	cJSON		*doc;
	int		 rc;

	switch (a->cmd) {
	case CMD_SCHED_RM:
		method = "DELETE";
		what = "deleted";
		break;
	case CMD_SCHED_PAUSE:
		suffix = "/pause";
		what = "paused";
		break;
	case CMD_SCHED_RESUME:
		suffix = "/resume";
		what = "resumed";
		break;
	default:	/* run: the task it made */
		suffix = "/run";
		break;
	}
	snprintf(path, sizeof(path), "/api/schedules/%lld%s",
	    (long long)a->id, suffix);
	if ((rc = api_call(h, method, path, NULL, NULL, &doc)) != 0)
		return rc;
	/* As it came: the 204 of a DELETE has no body, so rm --json
	 * prints nothing, and its exit status says it was done. */
	if (a->json)
		rc = doc != NULL ? api_print(doc) : 0;
	else if (what != NULL)
		printf("schedule %lld %s\n", (long long)a->id, what);
	else
		printf("%s\n", num(doc, "id", id, sizeof(id)));
	cJSON_Delete(doc);
	return rc;
}

int
schedules_run(struct http *h, const struct args *a)
{
	switch (a->cmd) {
	case CMD_SCHEDULES:
		return list(h, a);
	case CMD_SCHED_ADD:
		return add(h, a);
	default:
		return on_schedule(h, a);
	}
}
