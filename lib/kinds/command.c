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
	char	 buf[32];
	int64_t	 i;

	if (cJSON_IsString(v))
		return strdup(v->valuestring);
	if (cJSON_IsBool(v))
		return strdup(cJSON_IsTrue(v) ? "true" : "false");
	if (json_int(v, &i) == 0)
		snprintf(buf, sizeof(buf), "%lld", (long long)i);
	else if (cJSON_IsNumber(v)) {
		/* 0.1, not 0.10000000000000001: the shortest that reads
		 * back the same. */
		snprintf(buf, sizeof(buf), "%.15g", v->valuedouble);
		if (strtod(buf, NULL) != v->valuedouble)
			snprintf(buf, sizeof(buf), "%.17g", v->valuedouble);
	} else
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

char **
kinds_argv(const struct kind *k, const cJSON *params)
{
	char		**argv, name[HG_KIND_NAME_MAX + 1], *val;
	const char	 *p, *open, *close;
	struct buf	  out;
	size_t		  i, n;

	if ((argv = calloc(k->argc + 1, sizeof(*argv))) == NULL)
		return NULL;
	for (i = 0; i < k->argc; i++) {
		memset(&out, 0, sizeof(out));
		(void)buf_add(&out, "", 0);
		/* Placeholders were checked at load: each names a param. */
		for (p = k->argv[i]; (open = strchr(p, '{')) != NULL;
		    p = close + 1) {
			close = strchr(open, '}');
			n = (size_t)(close - open - 1);
			memcpy(name, open + 1, n);
			name[n] = '\0';
			if ((val = kinds_value_text(
			    cJSON_GetObjectItemCaseSensitive(params, name))) ==
			    NULL)
				goto fail;
			(void)buf_add(&out, p, (size_t)(open - p));
			(void)buf_add(&out, val, strlen(val));
			free(val);
		}
		/* A failed allocation on the way is remembered (nomem). */
		if (buf_add(&out, p, strlen(p)) == -1)
			goto fail;
		argv[i] = out.p;
	}
	return argv;
fail:
	buf_free(&out);
	kinds_argv_free(argv);
	return NULL;
}

int
kinds_resolve(const struct kind *k, char *buf, size_t len)
{
	const char	*prog = k->argv[0], *p = k->path, *end;
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
