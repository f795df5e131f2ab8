/*
 * Loading kinds.json: each kind and parameter checked once at start, a
 * refusal naming the file, the kind and the field; and the kinds' life
 * after that (find, free).
 */
#include <sys/stat.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "json.h"
#include "kinds_int.h"

static const char *const type_names[] = {
	"integer", "number", "string", "boolean"
};

/* Keys a parameter of each type may declare. */
static const char *const param_keys[][8] = {
	{ "type", "description", "default", "min", "max", NULL },
	{ "type", "description", "default", "min", "max", NULL },
	{ "type", "description", "default", "pattern", "max_length", "enum",
	    NULL },
	{ "type", "description", "default", NULL },
};

static const char *const kind_keys[] = {
	"name", "description", "builtin", "params", "command", "cwd", "env",
	"timeout_s", "grace_s", "max_running", "progress_regex",
	"while_watched_s", "external", "heartbeat_s", "retries",
	"retry_delay_s", "retry_delay_max_s", "retry_on", "slurm", NULL
};

/* The error codes a kind may retry (SPEC, Retries). */
static const char *const retry_codes[] = {
	"exit_code", "signal", "timeout", "lost", "exec_failed", "slurm",
	NULL
};

/* sbatch options Hourglass sets itself for every job (the job's name,
 * output, folder, time limit, no requeue, the id it reads back): a kind
 * may not set them. */
static const char *const slurm_own[] = {
	"job-name", "output", "error", "chdir", "time", "requeue",
	"no-requeue", "parsable", "wrap", "wait", "array", "input",
	"open-mode", NULL
};

/* The option of slurm_own that name is or abbreviates (sbatch takes any
 * prefix that names one option), or NULL. */
static const char *
slurm_own_named(const char *name)
{
	const char *const	*o;

	for (o = slurm_own; *o != NULL; o++)
		if (strcmp(name, *o) == 0)
			return *o;
	for (o = slurm_own; *o != NULL; o++)
		if (strncmp(name, *o, strlen(name)) == 0)
			return *o;
	return NULL;
}

static int
in_list(const char *s, const char *const *list)
{
	for (; *list != NULL; list++)
		if (strcmp(s, *list) == 0)
			return 1;
	return 0;
}

/* A name usable in {name} substitution and in an environment variable. */
static int
ident_ok(const char *s, int allow_dot_dash)
{
	size_t	 i;

	if (s[0] == '\0' || strlen(s) > HG_KIND_NAME_MAX ||
	    !(isalnum((unsigned char)s[0]) || s[0] == '_'))
		return 0;
	for (i = 1; s[i] != '\0'; i++)
		if (!(isalnum((unsigned char)s[i]) || s[i] == '_' ||
		    (allow_dot_dash && (s[i] == '-' || s[i] == '.'))))
			return 0;
	return 1;
}

/* Loader errors: "file: kind "x": field: rule". */
struct kload {
	const char	*path;
	char		*err;
	size_t		 errlen;
};

static int
kerr(struct kload *l, const char *kind, const char *field, const char *fmt,
    ...) __attribute__((format(printf, 4, 5)));

static int
kerr(struct kload *l, const char *kind, const char *field, const char *fmt,
    ...)
{
	char	 rule[HG_KIND_RULE_MAX + 128];	/* a default's refusal too */
	va_list	 ap;

	va_start(ap, fmt);
	vsnprintf(rule, sizeof(rule), fmt, ap);
	va_end(ap);
	if (kind != NULL)
		snprintf(l->err, l->errlen, "%s: kind \"%.64s\": %s: %s",
		    l->path, kind, field, rule);
	else
		snprintf(l->err, l->errlen, "%s: %s: %s", l->path, field,
		    rule);
	return -1;
}

static int
load_bound(struct kload *l, const char *kind, const char *pname,
    const cJSON *decl, const char *key, enum param_type t, int *has,
    double *out)
{
	const cJSON	*v;
	int64_t		 i;
	char		 field[100];

	if ((v = cJSON_GetObjectItemCaseSensitive(decl, key)) == NULL)
		return 0;
	snprintf(field, sizeof(field), "params.%s.%s", pname, key);
	if (t == PARAM_INTEGER ? json_int(v, &i) == -1 :
	    !cJSON_IsNumber(v) || !isfinite(v->valuedouble))
		return kerr(l, kind, field, "must be %s", t == PARAM_INTEGER ?
		    "an integer" : "a number");
	*has = 1;
	*out = v->valuedouble;
	return 0;
}

/* A command reads each parameter as HOURGLASS_PARAM_<NAME>, in upper
 * case: two names alike but for case would be one variable, set twice. */
static int
params_unlike(struct kload *l, const struct kind *k)
{
	char	 field[100], up[HG_KIND_NAME_MAX + 1];
	size_t	 i, j, n;

	for (i = 0; i < k->nparams; i++)
		for (j = 0; j < i; j++) {
			if (strcasecmp(k->params[i].name,
			    k->params[j].name) != 0)
				continue;
			snprintf(field, sizeof(field), "params.%s",
			    k->params[i].name);
			snprintf(up, sizeof(up), "%s", k->params[i].name);
			for (n = 0; up[n] != '\0'; n++)
				up[n] = (char)toupper((unsigned char)up[n]);
			return kerr(l, k->name, field, "differs from "
			    "params.%s only in case: a command would read "
			    "both as one variable, HOURGLASS_PARAM_%s",
			    k->params[j].name, up);
		}
	return 0;
}

static int
load_param(struct kload *l, const char *kind, const cJSON *decl,
    struct param *p)
{
	const cJSON	*v, *c, *d;
	char		 field[100], msg[HG_KIND_RULE_MAX + 1];
	int64_t		 n;
	size_t		 t, rule;

	p->name = decl->string;
	snprintf(field, sizeof(field), "params.%s", p->name);
	if (!ident_ok(p->name, 0))
		return kerr(l, kind, field, "a parameter name is letters, "
		    "digits and _, at most %d", HG_KIND_NAME_MAX);
	if (!cJSON_IsObject(decl))
		return kerr(l, kind, field, "must be an object");
	v = cJSON_GetObjectItemCaseSensitive(decl, "type");
	snprintf(field, sizeof(field), "params.%s.type", p->name);
	if (!cJSON_IsString(v))
		return kerr(l, kind, field, "must be one of integer, number, "
		    "string, boolean");
	for (t = 0; t < 4; t++)
		if (strcmp(v->valuestring, type_names[t]) == 0)
			break;
	if (t == 4)
		return kerr(l, kind, field, "unknown type \"%.32s\"; must be "
		    "one of integer, number, string, boolean",
		    v->valuestring);
	p->type = (enum param_type)t;
	cJSON_ArrayForEach(c, decl)
		if (!in_list(c->string, param_keys[t])) {
			snprintf(field, sizeof(field), "params.%s.%.32s",
			    p->name, c->string);
			return kerr(l, kind, field, "unknown field for a "
			    "parameter of type %s", type_names[t]);
		}
	if ((v = cJSON_GetObjectItemCaseSensitive(decl, "description")) !=
	    NULL && !cJSON_IsString(v)) {
		snprintf(field, sizeof(field), "params.%s.description",
		    p->name);
		return kerr(l, kind, field, "must be a string");
	}
	if (load_bound(l, kind, p->name, decl, "min", p->type, &p->has_min,
	    &p->min) == -1 || load_bound(l, kind, p->name, decl, "max",
	    p->type, &p->has_max, &p->max) == -1)
		return -1;
	if (p->has_min && p->has_max && p->min > p->max) {
		snprintf(field, sizeof(field), "params.%s.min", p->name);
		return kerr(l, kind, field, "must not be above max");
	}
	if ((v = cJSON_GetObjectItemCaseSensitive(decl, "max_length")) !=
	    NULL) {
		snprintf(field, sizeof(field), "params.%s.max_length",
		    p->name);
		if (json_int(v, &n) == -1 || n < 1)
			return kerr(l, kind, field, "must be a positive "
			    "integer");
		p->max_length = (size_t)n;
	}
	if ((v = cJSON_GetObjectItemCaseSensitive(decl, "enum")) != NULL) {
		snprintf(field, sizeof(field), "params.%s.enum", p->name);
		if (!cJSON_IsArray(v) || cJSON_GetArraySize(v) == 0)
			return kerr(l, kind, field, "must be a non-empty "
			    "array of strings");
		cJSON_ArrayForEach(c, v) {
			if (!cJSON_IsString(c))
				return kerr(l, kind, field, "must be a "
				    "non-empty array of strings");
			for (d = v->child; d != c; d = d->next)
				if (strcmp(d->valuestring, c->valuestring) ==
				    0)
					return kerr(l, kind, field, "\"%.64s\" "
					    "appears twice", c->valuestring);
		}
		if ((rule = kinds__enum_rule(v, NULL, 0)) > HG_KIND_RULE_MAX)
			return kerr(l, kind, field, "the choices take %zu "
			    "bytes listed in a refusal; at most %d", rule,
			    HG_KIND_RULE_MAX);
		p->enums = v;
	}
	if ((v = cJSON_GetObjectItemCaseSensitive(decl, "pattern")) != NULL) {
		int	 rc;

		snprintf(field, sizeof(field), "params.%s.pattern", p->name);
		if (!cJSON_IsString(v))
			return kerr(l, kind, field, "must be a string");
		if ((rule = kinds__pattern_rule(v->valuestring, NULL, 0)) >
		    HG_KIND_RULE_MAX)
			return kerr(l, kind, field, "too long to quote whole "
			    "in a refusal; at most %zu bytes",
			    HG_KIND_RULE_MAX - (rule - strlen(v->valuestring)));
		if ((rc = regcomp(&p->re, v->valuestring,
		    REG_EXTENDED | REG_NOSUB)) != 0) {
			regerror(rc, &p->re, msg, sizeof(msg));
			return kerr(l, kind, field, "not a POSIX extended "
			    "regular expression: %s", msg);
		}
		p->pattern = v->valuestring;
	}
	if ((p->def = cJSON_GetObjectItemCaseSensitive(decl, "default")) !=
	    NULL && kinds__value_check(p, p->def, msg, sizeof(msg)) == -1) {
		snprintf(field, sizeof(field), "params.%s.default", p->name);
		return kerr(l, kind, field, "%s", msg);
	}
	return 0;
}

/* The builtin count reads these two integers. */
static int
load_builtin(struct kload *l, struct kind *k, const cJSON *v)
{
	static const char *const need[] = { "total", "delay_ms" };
	const struct param	*p;
	char			 field[64];
	size_t			 i;

	if (!cJSON_IsString(v) || strcmp(v->valuestring, "count") != 0)
		return kerr(l, k->name, "builtin", "unknown builtin; the "
		    "builtins are: count");
	k->builtin = BUILTIN_COUNT;
	for (i = 0; i < 2; i++) {
		p = kind_param(k, need[i]);
		snprintf(field, sizeof(field), "params.%s", need[i]);
		if (p == NULL || p->type != PARAM_INTEGER ||
		    !p->has_min || p->min < (i == 0 ? 1 : 0))
			return kerr(l, k->name, field, "builtin count needs "
			    "an integer parameter %s with min at least %d",
			    need[i], i == 0 ? 1 : 0);
	}
	return 0;
}

/* A number of seconds from min (exclusive when open) to max. */
static int
load_seconds(struct kload *l, struct kind *k, const cJSON *decl,
    const char *field, double min, int open, double max, double *out)
{
	const cJSON	*v;

	if ((v = cJSON_GetObjectItemCaseSensitive(decl, field)) == NULL)
		return 0;
	if (!cJSON_IsNumber(v) || !isfinite(v->valuedouble) ||
	    (open ? v->valuedouble <= min : v->valuedouble < min) ||
	    v->valuedouble > max)
		return kerr(l, k->name, field, "must be a number of seconds "
		    "%s %g to %g", open ? "above" : "from", min, max);
	*out = v->valuedouble;
	return 0;
}

/* timeout_s, grace_s, max_running and while_watched_s: for every kind
 * (external kinds refuse some, below). */
static int
load_limits(struct kload *l, struct kind *k, const cJSON *decl)
{
	const cJSON	*v;
	int64_t		 n;

	k->grace_s = KINDS_GRACE_DEFAULT;
	k->heartbeat_s = KINDS_HEARTBEAT_DEFAULT;
	if (load_seconds(l, k, decl, "while_watched_s", 0, 1,
	    HG_KIND_WATCH_MAX_S, &k->while_watched_s) == -1)
		return -1;
	if (load_seconds(l, k, decl, "timeout_s", 0, 1, HG_KIND_TIMEOUT_MAX_S,
	    &k->timeout_s) == -1 || load_seconds(l, k, decl, "grace_s", 0, 0,
	    HG_KIND_GRACE_MAX_S, &k->grace_s) == -1)
		return -1;
	if ((v = cJSON_GetObjectItemCaseSensitive(decl, "max_running")) !=
	    NULL) {
		if (json_int(v, &n) == -1 || n < 1 ||
		    n > HG_KIND_RUNNING_MAX)
			return kerr(l, k->name, "max_running", "must be an "
			    "integer of at least 1 and at most %d",
			    HG_KIND_RUNNING_MAX);
		k->max_running = (int)n;
	}
	return 0;
}

/* retry_on: distinct codes of retry_codes, kept as "a,b" text. */
static int
load_retry_on(struct kload *l, struct kind *k, const cJSON *v)
{
	const cJSON	*c, *d;
	size_t		 len = 0;

	if (!cJSON_IsArray(v))
		return kerr(l, k->name, "retry_on", "must be a list of error "
		    "codes from exit_code, signal, timeout, lost, "
		    "exec_failed, slurm");
	k->retry_on[0] = '\0';
	cJSON_ArrayForEach(c, v) {
		if (!cJSON_IsString(c) || !in_list(c->valuestring,
		    retry_codes))
			return kerr(l, k->name, "retry_on", "\"%.32s\" is not "
			    "one of exit_code, signal, timeout, lost, "
			    "exec_failed, slurm", cJSON_IsString(c) ?
			    c->valuestring : "(not a string)");
		for (d = v->child; d != c; d = d->next)
			if (strcmp(d->valuestring, c->valuestring) == 0)
				return kerr(l, k->name, "retry_on", "\"%s\" "
				    "appears twice", c->valuestring);
		/* Each code at most once: it fits (KINDS_RETRY_ON_MAX). */
		len += (size_t)snprintf(k->retry_on + len,
		    sizeof(k->retry_on) - len, "%s%s", len > 0 ? "," : "",
		    c->valuestring);
	}
	return 0;
}

/* retries, retry_delay_s, retry_delay_max_s and retry_on. */
static int
load_retries(struct kload *l, struct kind *k, const cJSON *decl)
{
	const cJSON	*v;
	int64_t		 n;

	k->retry_delay_s = KINDS_RETRY_DELAY_DEFAULT;
	k->retry_delay_max_s = KINDS_RETRY_DELAY_MAX_DEFAULT;
	snprintf(k->retry_on, sizeof(k->retry_on), "%s",
	    KINDS_RETRY_ON_DEFAULT);
	if ((v = cJSON_GetObjectItemCaseSensitive(decl, "retries")) != NULL) {
		if (json_int(v, &n) == -1 || n < 0 || n > HG_KIND_RETRIES_MAX)
			return kerr(l, k->name, "retries", "must be an "
			    "integer from 0 to %d", HG_KIND_RETRIES_MAX);
		k->retries = (int)n;
	}
	if (load_seconds(l, k, decl, "retry_delay_s", 0, 1,
	    HG_KIND_RETRY_DELAY_MAX_S, &k->retry_delay_s) == -1 ||
	    load_seconds(l, k, decl, "retry_delay_max_s", 0, 1,
	    HG_KIND_RETRY_DELAY_MAX_S, &k->retry_delay_max_s) == -1)
		return -1;
	if (k->retry_delay_max_s < k->retry_delay_s) {
		if (cJSON_GetObjectItemCaseSensitive(decl,
		    "retry_delay_max_s") != NULL)
			return kerr(l, k->name, "retry_delay_max_s", "must be "
			    "at least retry_delay_s (%g)", k->retry_delay_s);
		return kerr(l, k->name, "retry_delay_s", "must be at most "
		    "retry_delay_max_s (%g by default)", k->retry_delay_max_s);
	}
	if ((v = cJSON_GetObjectItemCaseSensitive(decl, "retry_on")) != NULL)
		return load_retry_on(l, k, v);
	return 0;
}

/* Checks the {name} placeholders of one argv element. */
static int
load_placeholders(struct kload *l, struct kind *k, const char *arg,
    const char *field)
{
	const char	*p = arg, *open, *close;
	char		 name[HG_KIND_NAME_MAX + 1];
	size_t		 n;

	while ((open = strchr(p, '{')) != NULL) {
		if ((close = strchr(open, '}')) == NULL)
			return kerr(l, k->name, field, "\"{\" without \"}\" "
			    "in \"%.64s\"", arg);
		n = (size_t)(close - open - 1);
		if (n == 0 || n > HG_KIND_NAME_MAX)
			return kerr(l, k->name, field, "an empty or too long "
			    "placeholder in \"%.64s\"", arg);
		memcpy(name, open + 1, n);
		name[n] = '\0';
		if (kind_param(k, name) == NULL)
			return kerr(l, k->name, field, "placeholder {%s} "
			    "names no parameter", name);
		p = close + 1;
	}
	if (strchr(p, '}') != NULL)
		return kerr(l, k->name, field, "\"}\" without \"{\" in "
		    "\"%.64s\"", arg);
	return 0;
}

/* progress_regex: POSIX extended, one group around the percent. */
static int
load_regex(struct kload *l, struct kind *k, const cJSON *decl)
{
	const cJSON	*v;
	char		 msg[256];
	int		 rc;

	if ((v = cJSON_GetObjectItemCaseSensitive(decl, "progress_regex")) ==
	    NULL)
		return 0;
	if (!cJSON_IsString(v))
		return kerr(l, k->name, "progress_regex", "must be a string");
	if ((rc = regcomp(&k->progress_re, v->valuestring, REG_EXTENDED)) !=
	    0) {
		regerror(rc, &k->progress_re, msg, sizeof(msg));
		return kerr(l, k->name, "progress_regex", "not a POSIX "
		    "extended regular expression: %s", msg);
	}
	k->has_regex = 1;
	if (k->progress_re.re_nsub < 1)
		return kerr(l, k->name, "progress_regex", "needs a group, "
		    "( ), around the percent");
	return 0;
}

static int
load_command(struct kload *l, struct kind *k, const cJSON *decl,
    const cJSON *cmd)
{
	const cJSON	*v, *c;
	char		 field[48];
	size_t		 i, n;

	if (!cJSON_IsArray(cmd) || cJSON_GetArraySize(cmd) == 0)
		return kerr(l, k->name, "command", "must be a non-empty array "
		    "of strings: the program and its arguments");
	k->argc = (size_t)cJSON_GetArraySize(cmd);
	if ((k->argv = calloc(k->argc + 1, sizeof(*k->argv))) == NULL)
		return kerr(l, k->name, "command", "out of memory");
	i = 0;
	cJSON_ArrayForEach(c, cmd) {
		snprintf(field, sizeof(field), "command[%zu]", i);
		if (!cJSON_IsString(c) || (i == 0 && c->valuestring[0] == '\0'))
			return kerr(l, k->name, field, i == 0 ? "the program "
			    "must be a non-empty string" : "must be a string");
		if (load_placeholders(l, k, c->valuestring, field) == -1)
			return -1;
		if (i == 0 && strchr(c->valuestring, '{') != NULL)
			return kerr(l, k->name, field, "the program may not "
			    "come from a parameter");
		k->argv[i++] = c->valuestring;
	}
	if ((v = cJSON_GetObjectItemCaseSensitive(decl, "cwd")) != NULL) {
		if (!cJSON_IsString(v) || v->valuestring[0] == '\0')
			return kerr(l, k->name, "cwd", "must be a path: "
			    "absolute, or relative to the data folder");
		k->cwd = v->valuestring;
	}
	k->path = KINDS_PATH_DEFAULT;
	if ((v = cJSON_GetObjectItemCaseSensitive(decl, "env")) != NULL) {
		if (!cJSON_IsObject(v))
			return kerr(l, k->name, "env", "must be an object of "
			    "strings");
		n = (size_t)cJSON_GetArraySize(v);
		if ((k->env = calloc(n + 1, sizeof(*k->env))) == NULL)
			return kerr(l, k->name, "env", "out of memory");
		i = 0;
		cJSON_ArrayForEach(c, v) {
			snprintf(field, sizeof(field), "env.%.32s", c->string);
			if (!ident_ok(c->string, 0) || isdigit(
			    (unsigned char)c->string[0]))
				return kerr(l, k->name, field, "not a valid "
				    "variable name");
			if (strncmp(c->string, "HOURGLASS_", 10) == 0)
				return kerr(l, k->name, field, "HOURGLASS_* "
				    "variables are set by Hourglass");
			if (!cJSON_IsString(c))
				return kerr(l, k->name, field, "must be a "
				    "string");
			if (asprintf(&k->env[i], "%s=%s", c->string,
			    c->valuestring) == -1) {
				k->env[i] = NULL;
				return kerr(l, k->name, field, "out of "
				    "memory");
			}
			i++;
			if (strcmp(c->string, "PATH") == 0) {
				k->path = c->valuestring;
				k->env_path = 1;
			}
		}
	}
	return load_regex(l, k, decl);
}

/* "slurm": {"options": ["--partition=batch", "--cpus-per-task={cpus}"]}:
 * each option one argv element of sbatch, "--name" or "--name=value",
 * with {name} placeholders as in the command. */
static int
load_slurm(struct kload *l, struct kind *k, const cJSON *v)
{
	const cJSON	*opts, *c;
	char		 field[48], name[40];
	const char	*own;
	const char	*s;
	size_t		 i, n;

	if (!cJSON_IsObject(v))
		return kerr(l, k->name, "slurm", "must be an object: "
		    "{\"options\": [\"--partition=batch\", ...]}");
	cJSON_ArrayForEach(c, v)
		if (strcmp(c->string, "options") != 0) {
			snprintf(field, sizeof(field), "slurm.%.32s",
			    c->string);
			return kerr(l, k->name, field, "unknown field");
		}
	k->slurm = 1;
	if ((opts = cJSON_GetObjectItemCaseSensitive(v, "options")) == NULL)
		return 0;
	if (!cJSON_IsArray(opts) || cJSON_GetArraySize(opts) >
	    HG_KIND_SLURM_OPTS_MAX)
		return kerr(l, k->name, "slurm.options", "must be an array "
		    "of at most %d strings", HG_KIND_SLURM_OPTS_MAX);
	k->slurm_nopts = (size_t)cJSON_GetArraySize(opts);
	if ((k->slurm_opts = calloc(k->slurm_nopts + 1,
	    sizeof(*k->slurm_opts))) == NULL)
		return kerr(l, k->name, "slurm.options", "out of memory");
	i = 0;
	cJSON_ArrayForEach(c, opts) {
		snprintf(field, sizeof(field), "slurm.options[%zu]", i);
		if (!cJSON_IsString(c))
			return kerr(l, k->name, field, "must be a string");
		s = c->valuestring;
		if (strlen(s) > HG_KIND_SLURM_OPT_MAX)
			return kerr(l, k->name, field, "longer than %d bytes",
			    HG_KIND_SLURM_OPT_MAX);
		n = strcspn(s + (s[0] == '-' && s[1] == '-' ? 2 : 0), "=");
		if (s[0] != '-' || s[1] != '-' || n == 0 ||
		    n >= sizeof(name) || strspn(s + 2,
		    "abcdefghijklmnopqrstuvwxyz0123456789-") != n)
			return kerr(l, k->name, field, "must be one sbatch "
			    "option, \"--name\" or \"--name=value\" (name: "
			    "a-z, 0-9, -), not \"%.64s\"", s);
		memcpy(name, s + 2, n);
		name[n] = '\0';
		if ((own = slurm_own_named(name)) != NULL && strcmp(own,
		    name) != 0)
			return kerr(l, k->name, field, "Hourglass sets --%s "
			    "itself (sbatch may read --%s as --%s)", own, name,
			    own);
		if (own != NULL)
			return kerr(l, k->name, field, "Hourglass sets "
			    "--%s itself%s", name, strcmp(name, "time") == 0 ?
			    " (from timeout_s)" : "");
		if (strpbrk(s, "\n\r") != NULL)
			return kerr(l, k->name, field, "must be one line");
		if (load_placeholders(l, k, s, field) == -1)
			return -1;
		k->slurm_opts[i++] = s;
	}
	return 0;
}

/* An external kind runs nothing here: no program, no slot, no timeout;
 * its reports may still use progress_regex. */
static int
load_external(struct kload *l, struct kind *k, const cJSON *decl)
{
	static const char *const none[] = { "builtin", "command", "cwd",
	    "env", "timeout_s", "max_running", "retries", "retry_delay_s",
	    "retry_delay_max_s", "retry_on", "slurm", NULL };
	size_t		 i;

	k->external = 1;
	for (i = 0; none[i] != NULL; i++)
		if (cJSON_GetObjectItemCaseSensitive(decl, none[i]) != NULL)
			return kerr(l, k->name, none[i], "an external kind "
			    "runs nothing here, so has no %s", none[i]);
	if (load_seconds(l, k, decl, "heartbeat_s", 0, 1,
	    HG_KIND_HEARTBEAT_MAX_S, &k->heartbeat_s) == -1)
		return -1;
	return load_regex(l, k, decl);
}

static int
load_kind(struct kload *l, const cJSON *decl, struct kinds *ks, size_t idx)
{
	struct kind	*k = &ks->v[idx];
	const cJSON	*v, *c, *x;
	char		 field[48];
	size_t		 i;

	snprintf(field, sizeof(field), "kinds[%zu]", idx);
	if (!cJSON_IsObject(decl))
		return kerr(l, NULL, field, "must be an object");
	v = cJSON_GetObjectItemCaseSensitive(decl, "name");
	if (!cJSON_IsString(v) || !ident_ok(v->valuestring, 1))
		return kerr(l, NULL, field, "needs a \"name\": letters, "
		    "digits, _ . -, at most %d", HG_KIND_NAME_MAX);
	k->name = v->valuestring;
	for (i = 0; i < idx; i++)
		if (strcmp(ks->v[i].name, k->name) == 0)
			return kerr(l, k->name, "name", "declared twice");
	cJSON_ArrayForEach(c, decl)
		if (!in_list(c->string, kind_keys))
			return kerr(l, k->name, c->string, "unknown field");
	v = cJSON_GetObjectItemCaseSensitive(decl, "description");
	if (v != NULL && !cJSON_IsString(v))
		return kerr(l, k->name, "description", "must be a string");
	k->description = v != NULL ? v->valuestring : "";
	v = cJSON_GetObjectItemCaseSensitive(decl, "params");
	if (v != NULL && !cJSON_IsObject(v))
		return kerr(l, k->name, "params", "must be an object");
	if (v != NULL && cJSON_GetArraySize(v) > 0) {
		/* nparams only once params exists: kinds_free walks it. */
		if ((k->params = calloc((size_t)cJSON_GetArraySize(v),
		    sizeof(*k->params))) == NULL)
			return kerr(l, k->name, "params", "out of memory");
		k->nparams = (size_t)cJSON_GetArraySize(v);
		i = 0;
		cJSON_ArrayForEach(c, v)
			if (load_param(l, k->name, c, &k->params[i++]) == -1)
				return -1;
		if (params_unlike(l, k) == -1)
			return -1;
	}
	if (load_limits(l, k, decl) == -1)
		return -1;
	v = cJSON_GetObjectItemCaseSensitive(decl, "builtin");
	c = cJSON_GetObjectItemCaseSensitive(decl, "command");
	if ((x = cJSON_GetObjectItemCaseSensitive(decl, "external")) != NULL &&
	    !cJSON_IsBool(x))
		return kerr(l, k->name, "external", "must be true or false");
	if (cJSON_IsTrue(x))
		return load_external(l, k, decl);
	if (cJSON_GetObjectItemCaseSensitive(decl, "heartbeat_s") != NULL)
		return kerr(l, k->name, "heartbeat_s", "only an external kind "
		    "has this");
	if ((x = cJSON_GetObjectItemCaseSensitive(decl, "slurm")) != NULL) {
		if (v != NULL)
			return kerr(l, k->name, "slurm", "only a command kind "
			    "runs as a Slurm job, not a builtin");
		if (c == NULL)
			return kerr(l, k->name, "slurm", "a Slurm kind needs "
			    "\"command\": the program its job runs");
		if (load_slurm(l, k, x) == -1)
			return -1;
	}
	if (load_retries(l, k, decl) == -1)
		return -1;
	if (v == NULL && c == NULL)
		return kerr(l, k->name, "command", "a kind needs \"command\" "
		    "(a program to run), \"builtin\" or \"external\": true");
	if (v != NULL && c != NULL)
		return kerr(l, k->name, "builtin", "a kind has \"builtin\" or "
		    "\"command\", not both");
	if (v != NULL) {
		static const char *const cmd_only[] = { "cwd", "env",
		    "progress_regex", NULL };

		for (i = 0; cmd_only[i] != NULL; i++)
			if (cJSON_GetObjectItemCaseSensitive(decl,
			    cmd_only[i]) != NULL)
				return kerr(l, k->name, cmd_only[i], "only a "
				    "command kind has this");
		return load_builtin(l, k, v);
	}
	return load_command(l, k, decl, c);
}

/*
 * Reads the whole of f, path's, and closes it, into a buffer that grows
 * with what it holds. Not one of HG_KINDS_FILE_MAX at once: glibc maps a
 * block that large on its own, and freeing it raises the size below
 * which blocks come from the heap to 4 MiB, for good. Every runner reads
 * this file, and its heap then kept the pages of each freed block under
 * that size (SQLite's, a task's lines) until it was trimmed.
 */
static char *
slurp(FILE *f, const char *path, size_t *len, char *err, size_t errlen)
{
	struct buf	 b = { NULL, 0, 0, 0 };
	size_t		 n;

	do {
		if (buf_room(&b, BUFSIZ) == -1) {
			snprintf(err, errlen, "%s: out of memory", path);
			goto fail;
		}
		n = fread(b.p + b.len, 1, b.cap - b.len - 1, f);
		b.len += n;
	} while (n > 0 && b.len <= HG_KINDS_FILE_MAX);
	if (ferror(f)) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		goto fail;
	}
	if (b.len > HG_KINDS_FILE_MAX) {
		snprintf(err, errlen, "%s: larger than %d MiB", path,
		    HG_KINDS_FILE_MAX / (1024 * 1024));
		goto fail;
	}
	fclose(f);
	*len = b.len;
	return b.p;
fail:
	fclose(f);
	buf_free(&b);
	return NULL;
}

struct kinds *
kinds_parse(const char *name, const char *buf, size_t len, char *err,
    size_t errlen)
{
	struct kload	 l = { name, err, errlen };
	struct kinds	*ks = NULL;
	struct hg_err	 e;
	const cJSON	*arr, *c;
	size_t		 i;

	if ((ks = calloc(1, sizeof(*ks))) == NULL) {
		kerr(&l, NULL, "kinds", "out of memory");
		goto fail;
	}
	if ((ks->doc = json_parse(buf, len, &e)) == NULL) {
		kerr(&l, NULL, "JSON", "%s", e.msg);
		goto fail;
	}
	arr = cJSON_GetObjectItemCaseSensitive(ks->doc, "kinds");
	if (!cJSON_IsObject(ks->doc) || !cJSON_IsArray(arr) ||
	    cJSON_GetArraySize(arr) == 0) {
		kerr(&l, NULL, "kinds", "the file must be an object with a "
		    "non-empty array \"kinds\"");
		goto fail;
	}
	cJSON_ArrayForEach(c, ks->doc)
		if (strcmp(c->string, "kinds") != 0) {
			kerr(&l, NULL, c->string, "unknown field");
			goto fail;
		}
	ks->n = (size_t)cJSON_GetArraySize(arr);
	if ((ks->v = calloc(ks->n, sizeof(*ks->v))) == NULL) {
		kerr(&l, NULL, "kinds", "out of memory");
		goto fail;
	}
	i = 0;
	cJSON_ArrayForEach(c, arr)
		if (load_kind(&l, c, ks, i++) == -1)
			goto fail;
	if (kinds__render(ks) == -1) {
		kerr(&l, NULL, "kinds", "out of memory");
		goto fail;
	}
	return ks;
fail:
	kinds_free(ks);
	return NULL;
}

/* Reads and checks f, path's, and closes it; as kinds_load(). */
static struct kinds *
load_stream(FILE *f, const char *path, char *err, size_t errlen)
{
	struct kinds	*ks;
	char		*buf;
	size_t		 len;

	if ((buf = slurp(f, path, &len, err, errlen)) == NULL)
		return NULL;
	ks = kinds_parse(path, buf, len, err, errlen);
	free(buf);
	return ks;
}

struct kinds *
kinds_load(const char *path, char *err, size_t errlen)
{
	FILE	*f;

	if ((f = fopen(path, "re")) == NULL) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return NULL;
	}
	return load_stream(f, path, err, errlen);
}

/* The same file, unchanged since st was taken: the same inode, size and
 * times, to the nanosecond the file system keeps. */
static int
same_file(const struct stat *a, const struct stat *b)
{
	return a->st_dev == b->st_dev && a->st_ino == b->st_ino &&
	    a->st_size == b->st_size &&
	    a->st_mtim.tv_sec == b->st_mtim.tv_sec &&
	    a->st_mtim.tv_nsec == b->st_mtim.tv_nsec &&
	    a->st_ctim.tv_sec == b->st_ctim.tv_sec &&
	    a->st_ctim.tv_nsec == b->st_ctim.tv_nsec;
}

/* Whether t is at least ms before now. */
static int
settled(const struct timespec *t, const struct timespec *now, int64_t ms)
{
	return (int64_t)(now->tv_sec - t->tv_sec) * 1000000000 +
	    (now->tv_nsec - t->tv_nsec) >= ms * 1000000;
}

const struct kinds *
kinds_cached(struct kinds_cache *c, const char *path, char *err,
    size_t errlen)
{
	struct kinds	*ks;
	struct timespec	 now;
	struct stat	 st;
	FILE		*f;
	int64_t		 ms = c->settle_ms > 0 ? c->settle_ms : KINDS_SETTLE_MS;
	int		 fd;

	/* open, not stat: on NFS an open checks the file with the server
	 * (close-to-open), where a stat may answer from the attribute
	 * cache for up to a minute. */
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1 ||
	    fstat(fd, &st) == -1) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		if (fd != -1)
			close(fd);
		kinds_cache_free(c);
		return NULL;
	}
	clock_gettime(CLOCK_REALTIME, &now);
	/* Settled still: a clock stepped back since the read ends trust. */
	if (c->ks != NULL && c->trusted && same_file(&st, &c->st) &&
	    settled(&st.st_mtim, &now, ms) && settled(&st.st_ctim, &now, ms)) {
		close(fd);
		return c->ks;
	}
	if ((f = fdopen(fd, "r")) == NULL) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		close(fd);
		kinds_cache_free(c);
		return NULL;
	}
	ks = load_stream(f, path, err, errlen);
	kinds_cache_free(c);
	if (ks == NULL)
		return NULL;
	c->ks = ks;
	c->st = st;
	/* A write in the same step of the file system's times as the last
	 * one, after our read, would leave them as they are (a step is a
	 * clock tick here, a second or two on some file systems, and the
	 * kernel's clock for them lags CLOCK_REALTIME by up to a tick):
	 * trust them only once they are older than the read by a margin
	 * larger than any of those. */
	c->trusted = settled(&st.st_mtim, &now, ms) &&
	    settled(&st.st_ctim, &now, ms);
	c->loads++;
	return ks;
}

void
kinds_cache_free(struct kinds_cache *c)
{
	kinds_free(c->ks);
	c->ks = NULL;
	c->trusted = 0;
}

void
kinds_free(struct kinds *ks)
{
	size_t	 i, j;

	if (ks == NULL)
		return;
	for (i = 0; ks->v != NULL && i < ks->n; i++) {
		for (j = 0; j < ks->v[i].nparams; j++)
			if (ks->v[i].params[j].pattern != NULL)
				regfree(&ks->v[i].params[j].re);
		free(ks->v[i].params);
		free(ks->v[i].argv);
		free(ks->v[i].slurm_opts);
		for (j = 0; ks->v[i].env != NULL && ks->v[i].env[j] != NULL;
		    j++)
			free(ks->v[i].env[j]);
		free(ks->v[i].env);
		if (ks->v[i].has_regex)
			regfree(&ks->v[i].progress_re);
	}
	free(ks->v);
	free(ks->public_json);
	cJSON_Delete(ks->doc);
	free(ks);
}

const struct kind *
kinds_find(const struct kinds *ks, const char *name)
{
	size_t	 i;

	for (i = 0; i < ks->n; i++)
		if (strcmp(ks->v[i].name, name) == 0)
			return &ks->v[i];
	return NULL;
}
