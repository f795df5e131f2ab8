/*
 * What a command kind runs: its argv for checked params, the text of a
 * value as the command sees it, and where its program is.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "json.h"
#include "kinds.h"

char *
kinds_value_text(const cJSON *v)
{
	char	 buf[JSON_NUM_MAX];
	int64_t	 i;

	if (cJSON_IsString(v))
		return strdup(v->valuestring);
	if (cJSON_IsBool(v))
		return strdup(cJSON_IsTrue(v) ? "true" : "false");
	if (json_int(v, &i) == 0)
		snprintf(buf, sizeof(buf), "%lld", (long long)i);
	else if (cJSON_IsNumber(v))
		(void)json_num_text(v->valuedouble, buf);
	else
		buf[0] = '\0';
	return strdup(buf);
}

void
kinds_argv_free(char **argv)
{
	size_t	 i;

	for (i = 0; argv != NULL && argv[i] != NULL; i++)
		free(argv[i]);
	free(argv);
}

/* tmpl with each {name} replaced by that parameter's text: a malloc'd
 * string, or NULL when memory runs out. Placeholders were checked at
 * load: each names a param. */
static char *
subst(const char *tmpl, const cJSON *params)
{
	char		 name[HG_KIND_NAME_MAX + 1], *val;
	const char	*p, *open, *close;
	struct buf	 out;
	size_t		 n;

	memset(&out, 0, sizeof(out));
	(void)buf_add(&out, "", 0);
	for (p = tmpl; (open = strchr(p, '{')) != NULL; p = close + 1) {
		close = strchr(open, '}');
		n = (size_t)(close - open - 1);
		memcpy(name, open + 1, n);
		name[n] = '\0';
		if ((val = kinds_value_text(cJSON_GetObjectItemCaseSensitive(
		    params, name))) == NULL) {
			buf_free(&out);
			return NULL;
		}
		(void)buf_add(&out, p, (size_t)(open - p));
		(void)buf_add(&out, val, strlen(val));
		free(val);
	}
	/* A failed allocation on the way is remembered (nomem). */
	if (buf_add(&out, p, strlen(p)) == -1) {
		buf_free(&out);
		return NULL;
	}
	return out.p;
}

static char **
subst_all(const char **tmpl, size_t n, const cJSON *params)
{
	char	**v;
	size_t	  i;

	if ((v = calloc(n + 1, sizeof(*v))) == NULL)
		return NULL;
	for (i = 0; i < n; i++)
		if ((v[i] = subst(tmpl[i], params)) == NULL) {
			kinds_argv_free(v);
			return NULL;
		}
	return v;
}

char **
kinds_argv(const struct kind *k, const cJSON *params)
{
	return subst_all(k->argv, k->argc, params);
}

char **
kinds_slurm_options(const struct kind *k, const cJSON *params)
{
	return subst_all(k->slurm_opts, k->slurm_nopts, params);
}

int
kinds_resolve(const struct kind *k, char *buf, size_t len)
{
	return kinds_resolve_prog(k, k->argv[0], buf, len);
}

int
kinds_resolve_prog(const struct kind *k, const char *prog, char *buf,
    size_t len)
{
	const char	*p = k->path, *end;
	size_t		 n;

	if (strchr(prog, '/') != NULL) {
		snprintf(buf, len, "%s", prog);
		if (access(prog, X_OK) == 0)
			return 0;
		snprintf(buf, len, "%s: %s", prog, strerror(errno));
		return -1;
	}
	for (; *p != '\0'; p = *end == ':' ? end + 1 : end) {
		end = p + strcspn(p, ":");
		n = (size_t)(end - p);
		if (n == 0)
			continue;
		if ((size_t)snprintf(buf, len, "%.*s/%s", (int)n, p, prog) >=
		    len)
			continue;
		if (access(buf, X_OK) == 0)
			return 0;
	}
	snprintf(buf, len, "%s: not found in PATH %s", prog, k->path);
	return -1;
}
