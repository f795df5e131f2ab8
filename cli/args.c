/*
 * Reading the command line; the contract is in args.h. Options may come
 * before or after the operands, as "--opt value" or "--opt=value"; "--"
 * ends them. Each command takes the options of its own line in the
 * usage and no other, so a typo is a usage error, not a silent no-op.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "args.h"
#include "state.h"

const char	args_usage[] =
"usage: hourglass [--json] COMMAND ...\n"
"  kinds\n"
"  start KIND [name=value ...] [--name LABEL] [--after ID,...]\n"
"        [--key IDEMPOTENCY-KEY] [--follow]\n"
"  ls [--state S] [--kind K] [--limit N]\n"
"  show ID | watch ID | stop ID | rerun ID | result ID\n"
"  data ID [--name N]\n"
"  logs ID [--follow]\n"
"  schedules [add KIND CRON [name=value ...] [--name LABEL]\n"
"            [--timezone TZ] [--overlap skip|allow]\n"
"            | rm ID | pause ID | resume ID | run ID]\n"
"environment: HOURGLASS_URL (default http://127.0.0.1:8080),\n"
"  HOURGLASS_TOKEN, HOURGLASS_RETRY_S (how long watch keeps trying to\n"
"  reach the service, default 60)\n"
"exit status: 0 done (watch: succeeded), 1 failed, 3 canceled, 4 lost,\n"
"  2 usage error, 5 refused by the service, 69 service unreachable,\n"
"  74 output could not be written, 130 a watch ended by Ctrl-C\n";

enum {
	O_JSON = 1 << 0,
	O_HELP = 1 << 1,
	O_NAME = 1 << 2,
	O_AFTER = 1 << 3,
	O_KEY = 1 << 4,
	O_FOLLOW = 1 << 5,
	O_STATE = 1 << 6,
	O_KIND = 1 << 7,
	O_LIMIT = 1 << 8,
	O_TZ = 1 << 9,
	O_OVERLAP = 1 << 10
};

static const struct opt {
	const char	*name;
	int		 bit;
	int		 takes;		/* takes a value */
} opts[] = {
	{ "json", O_JSON, 0 },
	{ "help", O_HELP, 0 },
	{ "name", O_NAME, 1 },
	{ "after", O_AFTER, 1 },
	{ "key", O_KEY, 1 },
	{ "follow", O_FOLLOW, 0 },
	{ "state", O_STATE, 1 },
	{ "kind", O_KIND, 1 },
	{ "limit", O_LIMIT, 1 },
	{ "timezone", O_TZ, 1 },
	{ "overlap", O_OVERLAP, 1 },
};

/* Operands: NONE, an ID, or KIND (and CRON) then name=value pairs. */
enum shape { NONE, ID, KIND, KIND_CRON };

static const struct command {
	const char	*name;
	enum cmd	 cmd;
	enum shape	 shape;
	int		 opts;		/* besides --json and --help */
} commands[] = {
	{ "kinds", CMD_KINDS, NONE, 0 },
	{ "start", CMD_START, KIND, O_NAME | O_AFTER | O_KEY | O_FOLLOW },
	{ "ls", CMD_LS, NONE, O_STATE | O_KIND | O_LIMIT },
	{ "show", CMD_SHOW, ID, 0 },
	{ "watch", CMD_WATCH, ID, 0 },
	{ "stop", CMD_STOP, ID, 0 },
	{ "rerun", CMD_RERUN, ID, 0 },
	{ "result", CMD_RESULT, ID, 0 },
	{ "data", CMD_DATA, ID, O_NAME },
	{ "logs", CMD_LOGS, ID, O_FOLLOW },
	{ "schedules", CMD_SCHEDULES, NONE, 0 },
	{ "schedules add", CMD_SCHED_ADD, KIND_CRON,
	    O_NAME | O_TZ | O_OVERLAP },
	{ "schedules rm", CMD_SCHED_RM, ID, 0 },
	{ "schedules pause", CMD_SCHED_PAUSE, ID, 0 },
	{ "schedules resume", CMD_SCHED_RESUME, ID, 0 },
	{ "schedules run", CMD_SCHED_RUN, ID, 0 },
};

static int
fail(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int
fail(char *err, size_t errlen, const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return -1;
}

static int
parse_id(const char *what, const char *s, int64_t *id, char *err,
    size_t errlen)
{
	if (hg_parse_id(s, strlen(s), id) == -1)
		return fail(err, errlen, "%s \"%s\": must be a whole number "
		    "from 1, as the service gives it", what, s);
	return 0;
}

/* --after 3,4,5: 1 to HG_AFTER_MAX ids, no empty one. */
static int
parse_after(const char *s, struct args *a, char *err, size_t errlen)
{
	const char	*p = s, *comma;
	char		 one[32];
	size_t		 n;

	for (;;) {
		comma = strchr(p, ',');
		n = comma != NULL ? (size_t)(comma - p) : strlen(p);
		if (a->nafter == HG_AFTER_MAX)
			return fail(err, errlen, "--after: at most %d ids",
			    HG_AFTER_MAX);
		if (n == 0 || n >= sizeof(one) || hg_parse_id(p, n,
		    &a->after[a->nafter]) == -1)
			return fail(err, errlen, "--after \"%s\": must be "
			    "task ids separated by commas", s);
		a->nafter++;
		if (comma == NULL)
			return 0;
		p = comma + 1;
	}
}

/* Checks one option's value and stores it. */
static int
take_opt(struct args *a, int bit, const char *v, char *err, size_t errlen)
{
	size_t	i;
	char	*end;
	long	n;

	switch (bit) {
	case O_JSON:
		a->json = 1;
		return 0;
	case O_HELP:
		a->help = 1;
		return 0;
	case O_FOLLOW:
		a->follow = 1;
		return 0;
	case O_NAME:
		a->name = v;
		return 0;
	case O_AFTER:
		return parse_after(v, a, err, errlen);
	case O_KEY:
		if (*v == '\0' || strlen(v) > HG_IDEM_KEY_MAX)
			return fail(err, errlen, "--key: must be 1 to %d "
			    "printable characters", HG_IDEM_KEY_MAX);
		for (i = 0; v[i] != '\0'; i++)
			if (v[i] < 0x21 || v[i] > 0x7e)
				return fail(err, errlen, "--key: must be "
				    "printable ASCII, without spaces");
		a->key = v;
		return 0;
	case O_STATE:
		if (state_parse(v) != -1) {
			a->state = v;
			return 0;
		}
		return fail(err, errlen, "--state \"%s\": must be one of "
		    "queued, running, stopping, retrying, succeeded, failed, "
		    "canceled, lost", v);
	case O_KIND:
		a->kindf = v;
		return 0;
	case O_LIMIT:
		n = strtol(v, &end, 10);
		if (*v < '0' || *v > '9' || *end != '\0' || n < 1 ||
		    n > HG_LIST_MAX)
			return fail(err, errlen, "--limit \"%s\": must be a "
			    "whole number from 1 to %d", v, HG_LIST_MAX);
		a->limit = (int)n;
		return 0;
	case O_TZ:
		a->timezone = v;
		return 0;
	case O_OVERLAP:
		if (strcmp(v, "skip") != 0 && strcmp(v, "allow") != 0)
			return fail(err, errlen, "--overlap \"%s\": must be "
			    "skip or allow", v);
		a->overlap = v;
		return 0;
	}
	return fail(err, errlen, "unknown option");
}

/* Reads argv[*i], an option; a value may follow in argv[*i + 1].
 * Adds its bit to *seen. */
static int
read_opt(int argc, char **argv, int *i, int *seen, struct args *a,
    char *err, size_t errlen)
{
	const char	*arg = argv[*i] + 2, *eq, *v = NULL;
	size_t		 n, k;

	eq = strchr(arg, '=');
	n = eq != NULL ? (size_t)(eq - arg) : strlen(arg);
	for (k = 0; k < sizeof(opts) / sizeof(opts[0]); k++)
		if (strlen(opts[k].name) == n &&
		    strncmp(opts[k].name, arg, n) == 0)
			break;
	if (k == sizeof(opts) / sizeof(opts[0]))
		return fail(err, errlen, "unknown option \"%s\"", argv[*i]);
	if (*seen & opts[k].bit)
		return fail(err, errlen, "--%s given twice", opts[k].name);
	*seen |= opts[k].bit;
	if (opts[k].takes) {
		if (eq != NULL)
			v = eq + 1;
		else if (*i + 1 < argc)
			v = argv[++*i];
		else
			return fail(err, errlen, "--%s needs a value",
			    opts[k].name);
	} else if (eq != NULL)
		return fail(err, errlen, "--%s takes no value", opts[k].name);
	return take_opt(a, opts[k].bit, v, err, errlen);
}

/* Which command pos[] names; *used is how many words its name took. */
static const struct command *
find_command(const char **pos, size_t npos, size_t *used)
{
	char	 name[64];
	size_t	 k;

	if (npos >= 2 && strcmp(pos[0], "schedules") == 0) {
		snprintf(name, sizeof(name), "schedules %s", pos[1]);
		for (k = 0; k < sizeof(commands) / sizeof(commands[0]); k++)
			if (strcmp(commands[k].name, name) == 0) {
				*used = 2;
				return &commands[k];
			}
	}
	for (k = 0; k < sizeof(commands) / sizeof(commands[0]); k++)
		if (strcmp(commands[k].name, pos[0]) == 0) {
			*used = 1;
			return &commands[k];
		}
	return NULL;
}

/* The first option of seen that c does not take, or NULL. */
static const char *
stray_opt(const struct command *c, int seen)
{
	size_t	k;

	for (k = 0; k < sizeof(opts) / sizeof(opts[0]); k++)
		if ((seen & opts[k].bit) && !((c->opts | O_JSON | O_HELP) &
		    opts[k].bit))
			return opts[k].name;
	return NULL;
}

/* The operands after the command's name, by its shape. */
static int
take_operands(const struct command *c, const char **pos, size_t npos,
    struct args *a, char *err, size_t errlen)
{
	size_t	 i, first = 0;

	switch (c->shape) {
	case NONE:
		if (npos > 0)
			return fail(err, errlen, "%s: unexpected \"%s\"",
			    c->name, pos[0]);
		return 0;
	case ID:
		if (npos != 1)
			return fail(err, errlen, "%s: needs one ID", c->name);
		return parse_id("ID", pos[0], &a->id, err, errlen);
	case KIND_CRON:
		if (npos < 2)
			return fail(err, errlen, "%s: needs KIND and CRON",
			    c->name);
		a->cron = pos[1];
		first = 2;
		break;
	case KIND:
		if (npos < 1)
			return fail(err, errlen, "%s: needs KIND", c->name);
		first = 1;
		break;
	}
	a->kind = pos[0];
	for (i = first; i < npos; i++) {
		if (strchr(pos[i], '=') == NULL || pos[i][0] == '=')
			return fail(err, errlen, "\"%s\": a parameter must be "
			    "name=value", pos[i]);
		a->params[a->nparams++] = pos[i];
	}
	return 0;
}

int
args_parse(int argc, char **argv, struct args *a, char *err, size_t errlen)
{
	const struct command	*c;
	const char		*pos[ARGS_POS_MAX + 3], *bad;
	size_t			 npos = 0, used;
	int			 i, seen = 0, dashes = 0;

	memset(a, 0, sizeof(*a));
	for (i = 1; i < argc; i++) {
		if (!dashes && strcmp(argv[i], "--") == 0)
			dashes = 1;
		else if (!dashes && strncmp(argv[i], "--", 2) == 0) {
			if (read_opt(argc, argv, &i, &seen, a, err,
			    errlen) == -1)
				return -1;
		} else if (!dashes && argv[i][0] == '-' &&
		    argv[i][1] != '\0')
			return fail(err, errlen, "unknown option \"%s\"",
			    argv[i]);
		else if (npos == sizeof(pos) / sizeof(pos[0]))
			return fail(err, errlen, "too many arguments (at "
			    "most %d parameters)", ARGS_POS_MAX);
		else
			pos[npos++] = argv[i];
	}
	if (npos == 0) {
		if (a->help) {
			a->cmd = CMD_HELP;
			return 0;
		}
		return fail(err, errlen, "a command is needed");
	}
	if ((c = find_command(pos, npos, &used)) == NULL)
		return fail(err, errlen, "unknown command \"%s\"", pos[0]);
	a->cmd = c->cmd;
	a->cmdname = c->name;
	if (a->help)
		return 0;
	if ((bad = stray_opt(c, seen)) != NULL)
		return fail(err, errlen, "%s: takes no --%s", c->name, bad);
	return take_operands(c, pos + used, npos - used, a, err, errlen);
}
