/*
 * cli/args and cli/params: the command line read and checked before
 * anything is sent, and name=value typed by a kind's declaration as
 * GET /api/kinds gives it. Each bad input has its own message naming
 * the argument.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "args.h"
#include "json.h"
#include "params.h"
#include "unit.h"

static struct args	a;
static char		err[512];

/* Parses the words of line (split at spaces) as argv[1..]. */
static int
parse(const char *line)
{
	static char	 copy[4096];
	char		*argv[128], *w, *save;
	int		 argc = 0;

	snprintf(copy, sizeof(copy), "%s", line);
	argv[argc++] = "hourglass";
	for (w = strtok_r(copy, " ", &save); w != NULL; w = strtok_r(NULL,
	    " ", &save))
		argv[argc++] = w;
	argv[argc] = NULL;
	err[0] = '\0';
	return args_parse(argc, argv, &a, err, sizeof(err));
}

/* line must be refused with a message holding want. */
static void
refused(const char *line, const char *want)
{
	if (parse(line) != -1) {
		printf("  accepted: %s\n", line);
		CHECK(0);
		return;
	}
	CHECK_HAS(err, want);
}

static void
commands_and_their_ids(void)
{
	CHECK_INT(parse("kinds"), 0);
	CHECK_INT(a.cmd, CMD_KINDS);
	CHECK_INT(parse("watch 17"), 0);
	CHECK_INT(a.cmd, CMD_WATCH);
	CHECK_INT(a.id, 17);
	CHECK_INT(parse("show 9007199254740993"), 0);
	CHECK_INT(a.id, 9007199254740993LL);
	CHECK_INT(parse("stop 1"), 0);
	CHECK_INT(a.cmd, CMD_STOP);
	CHECK_INT(parse("rerun 2"), 0);
	CHECK_INT(parse("result 3"), 0);
	CHECK_INT(a.cmd, CMD_RESULT);
	CHECK_INT(parse("logs 4 --follow"), 0);
	CHECK(a.cmd == CMD_LOGS && a.follow);
	CHECK_INT(parse("data 5 --name row"), 0);
	CHECK_STR(a.name, "row");
}

static void
bad_ids_are_usage_errors(void)
{
	refused("watch abc", "ID \"abc\"");
	refused("watch 0", "ID \"0\"");
	refused("watch -1", "unknown option \"-1\"");
	refused("show 99999999999999999999", "ID \"99999999999999999999\"");
	refused("show 017", "ID \"017\"");
	refused("show", "show: needs one ID");
	refused("show 1 2", "show: needs one ID");
}

static void
start_takes_kind_params_and_options(void)
{
	CHECK_INT(parse("start count total=50 delay_ms=0 --name nightly "
	    "--after 3,4 --key k-1 --follow"), 0);
	CHECK_INT(a.cmd, CMD_START);
	CHECK_STR(a.kind, "count");
	CHECK_INT(a.nparams, 2);
	CHECK_STR(a.params[0], "total=50");
	CHECK_STR(a.params[1], "delay_ms=0");
	CHECK_STR(a.name, "nightly");
	CHECK_INT(a.nafter, 2);
	CHECK_INT(a.after[1], 4);
	CHECK_STR(a.key, "k-1");
	CHECK(a.follow);
	/* Options first, and --opt=value. */
	CHECK_INT(parse("--json start --name=x count"), 0);
	CHECK(a.json);
	CHECK_STR(a.name, "x");
	CHECK_STR(a.kind, "count");
	/* A value may hold '=' itself. */
	CHECK_INT(parse("start checksum file=a=b"), 0);
	CHECK_STR(a.params[0], "file=a=b");
}

static void
start_refuses_what_it_cannot_send(void)
{
	refused("start", "start: needs KIND");
	refused("start count total", "\"total\": a parameter must be "
	    "name=value");
	refused("start count =5", "\"=5\"");
	refused("start count --after 1,,2", "--after \"1,,2\"");
	refused("start count --after x", "--after \"x\"");
	refused("start count --after", "--after needs a value");
	refused("start count --key", "--key needs a value");
	refused("start count --key=", "--key: must be 1 to 200");
	refused("start count --follow=yes", "--follow takes no value");
	refused("start count --name a --name b", "--name given twice");
}

static void
after_takes_at_most_32_ids(void)
{
	char	line[512];
	size_t	at;
	int	i;

	at = (size_t)snprintf(line, sizeof(line), "start count --after 1");
	for (i = 2; i <= 32; i++)
		at += (size_t)snprintf(line + at, sizeof(line) - at, ",%d", i);
	CHECK_INT(parse(line), 0);
	CHECK_INT(a.nafter, 32);
	snprintf(line + at, sizeof(line) - at, ",33");
	refused(line, "--after: at most 32 ids");
}

static void
key_must_be_printable_without_spaces(void)
{
	char	line[300] = "start count --key ";

	refused("start count --key=a\tb", "--key: must be printable ASCII");
	memset(line + strlen(line), 'k', 201);
	refused(line, "--key: must be 1 to 200");
}

static void
ls_filters_are_checked(void)
{
	CHECK_INT(parse("ls --state running --kind count --limit 500"), 0);
	CHECK_STR(a.state, "running");
	CHECK_STR(a.kindf, "count");
	CHECK_INT(a.limit, 500);
	refused("ls --state done", "--state \"done\": must be one of");
	refused("ls --limit 0", "--limit \"0\"");
	refused("ls --limit 501", "--limit \"501\"");
	refused("ls --limit 5x", "--limit \"5x\"");
	refused("ls --limit -3", "--limit \"-3\"");
	refused("ls extra", "ls: unexpected \"extra\"");
}

static void
options_belong_to_their_commands(void)
{
	refused("ls --follow", "ls: takes no --follow");
	refused("watch 1 --name x", "watch: takes no --name");
	refused("kinds --limit 3", "kinds: takes no --limit");
	refused("start count --overlap skip", "start: takes no --overlap");
	refused("watch 1 --bogus", "unknown option \"--bogus\"");
	refused("watch 1 -x", "unknown option \"-x\"");
	/* --json and --help go with any command. */
	CHECK_INT(parse("watch 1 --json"), 0);
	CHECK(a.json);
}

static void
unknown_or_missing_command(void)
{
	refused("", "a command is needed");
	refused("frobnicate", "unknown command \"frobnicate\"");
	refused("--json", "a command is needed");
	CHECK_INT(parse("--help"), 0);
	CHECK_INT(a.cmd, CMD_HELP);
	CHECK_INT(parse("watch --help"), 0);
	CHECK(a.help);
}

static void
double_dash_ends_options(void)
{
	CHECK_INT(parse("start count -- msg=--follow"), 0);
	CHECK(!a.follow);
	CHECK_STR(a.params[0], "msg=--follow");
}

static void
schedules_and_their_subcommands(void)
{
	CHECK_INT(parse("schedules"), 0);
	CHECK_INT(a.cmd, CMD_SCHEDULES);
	CHECK_INT(parse("schedules add count */5 total=3 --timezone "
	    "Europe/Paris --overlap allow --name five"), 0);
	CHECK_INT(a.cmd, CMD_SCHED_ADD);
	CHECK_STR(a.kind, "count");
	CHECK_STR(a.cron, "*/5");
	CHECK_STR(a.params[0], "total=3");
	CHECK_STR(a.timezone, "Europe/Paris");
	CHECK_STR(a.overlap, "allow");
	CHECK_INT(parse("schedules rm 3"), 0);
	CHECK_INT(a.cmd, CMD_SCHED_RM);
	CHECK_INT(parse("schedules pause 3"), 0);
	CHECK_INT(a.cmd, CMD_SCHED_PAUSE);
	CHECK_INT(parse("schedules resume 3"), 0);
	CHECK_INT(a.cmd, CMD_SCHED_RESUME);
	CHECK_INT(parse("schedules run 3"), 0);
	CHECK_INT(a.cmd, CMD_SCHED_RUN);
	refused("schedules add count", "needs KIND and CRON");
	refused("schedules add count @daily --overlap sometimes",
	    "--overlap \"sometimes\"");
	refused("schedules rm x", "ID \"x\"");
	refused("schedules frob 1", "schedules: unexpected \"frob\"");
	refused("schedules --timezone UTC", "schedules: takes no --timezone");
}

/* The kinds as GET /api/kinds gives them. */
static const char	kinds_json[] =
"{\"kinds\":[{\"name\":\"count\",\"description\":\"d\",\"params\":{"
"\"total\":{\"type\":\"integer\",\"min\":1,\"max\":1000000,\"default\":150},"
"\"delay_ms\":{\"type\":\"integer\",\"min\":0,\"max\":60000}}},"
"{\"name\":\"mix\",\"description\":\"d\",\"params\":{"
"\"ratio\":{\"type\":\"number\"},\"dry\":{\"type\":\"boolean\"},"
"\"mode\":{\"type\":\"string\",\"enum\":[\"fast\",\"slow\"]},"
"\"file\":{\"type\":\"string\",\"pattern\":\"^[a-z]+$\"}}},"
"{\"name\":\"bare\",\"description\":\"d\",\"params\":{}}]}";

/* Types pairs (space-separated) for kind; the result printed, or NULL
 * with err set. Caller frees. */
static char *
typed(const char *kind, const char *line)
{
	static char	 copy[1024];
	const char	*pairs[32];
	char		*w, *save, *out = NULL;
	size_t		 n = 0;
	cJSON		*kinds, *p;

	snprintf(copy, sizeof(copy), "%s", line);
	for (w = strtok_r(copy, " ", &save); w != NULL; w = strtok_r(NULL,
	    " ", &save))
		pairs[n++] = w;
	kinds = cJSON_Parse(kinds_json);
	CHECK(kinds != NULL);
	err[0] = '\0';
	if ((p = params_type(kinds, kind, pairs, n, err, sizeof(err))) !=
	    NULL)
		out = json_print(p);
	cJSON_Delete(p);
	cJSON_Delete(kinds);
	return out;
}

static void
check_typed(const char *kind, const char *line, const char *want)
{
	char	*got = typed(kind, line);

	CHECK_STR(got, want);
	if (got == NULL)
		printf("  err: %s\n", err);
	free(got);
}

static void
check_untyped(const char *kind, const char *line, const char *want)
{
	char	*got = typed(kind, line);

	CHECK(got == NULL);
	free(got);
	CHECK_HAS(err, want);
}

static void
values_take_their_declared_types(void)
{
	check_typed("count", "total=50 delay_ms=0",
	    "{\"total\":50,\"delay_ms\":0}");
	check_typed("count", "", "{}");
	check_typed("count", "total=-7", "{\"total\":-7}");
	/* Sent as typed: cJSON's printer made these 9e+15 and 0.3. */
	check_typed("count", "total=9000000000000001",
	    "{\"total\":9000000000000001}");
	check_typed("count", "total=-9007199254740991",
	    "{\"total\":-9007199254740991}");
	check_typed("mix", "ratio=0.30000000000000004",
	    "{\"ratio\":0.30000000000000004}");
	check_typed("mix", "ratio=0.25 dry=true mode=fast file=abc",
	    "{\"ratio\":0.25,\"dry\":true,\"mode\":\"fast\",\"file\":\"abc\"}");
	check_typed("mix", "ratio=1e3 dry=no",
	    "{\"ratio\":1000,\"dry\":false}");
	check_typed("mix", "dry=1", "{\"dry\":true}");
	check_typed("mix", "dry=off", "{\"dry\":false}");
	/* A string is a string, even when it looks like a number; its
	 * pattern is the service's to check. */
	check_typed("mix", "file=42", "{\"file\":\"42\"}");
	check_typed("mix", "file=", "{\"file\":\"\"}");
}

static void
values_not_of_their_type_are_refused(void)
{
	check_untyped("count", "total=abc", "total=abc: must be an integer");
	check_untyped("count", "total=1.5", "total=1.5: must be an integer");
	check_untyped("count", "total=1e3", "total=1e3: must be an integer");
	check_untyped("count", "total=", "total=: must be an integer");
	check_untyped("count", "total=0x10", "must be an integer");
	/* 2^53 + 1 reads as 2^53: neither is sent. */
	check_untyped("count", "total=9007199254740993", "must be an integer");
	check_untyped("count", "total=9007199254740992", "must be an integer");
	check_untyped("count", "total=99999999999999999999",
	    "must be an integer");
	check_untyped("mix", "ratio=inf", "ratio=inf: must be a number");
	check_untyped("mix", "ratio=nan", "ratio=nan: must be a number");
	check_untyped("mix", "ratio=1e999", "ratio=1e999: must be a number");
	check_untyped("mix", "ratio=1..2", "must be a number");
	check_untyped("mix", "dry=maybe", "dry=maybe: must be true or false");
	check_untyped("mix", "mode=medium",
	    "mode=medium: must be one of [\"fast\",\"slow\"]");
}

/* The service refuses a kind it does not offer (unknown_kind): the
 * values go to it as they were given. */
static void
an_unknown_kinds_values_go_as_strings(void)
{
	check_typed("nosuch", "", "{}");
	check_typed("nosuch", "total=50 on=yes", "{\"total\":\"50\","
	    "\"on\":\"yes\"}");
	check_untyped("nosuch", "total=1 total=2", "total: given twice");
	check_untyped("nosuch", "=1", "a parameter must be name=value");
}

static void
unknown_and_repeated_parameters_are_refused(void)
{
	check_untyped("count", "totl=5",
	    "totl: no such parameter of count (it takes total, delay_ms)");
	check_untyped("bare", "x=1", "x: no such parameter of bare (it "
	    "takes none)");
	check_untyped("count", "total=1 total=2", "total: given twice");
	check_untyped("count", "=1", "a parameter must be name=value");
}

static const struct unit_test tests[] = {
	UNIT(commands_and_their_ids),
	UNIT(bad_ids_are_usage_errors),
	UNIT(start_takes_kind_params_and_options),
	UNIT(start_refuses_what_it_cannot_send),
	UNIT(after_takes_at_most_32_ids),
	UNIT(key_must_be_printable_without_spaces),
	UNIT(ls_filters_are_checked),
	UNIT(options_belong_to_their_commands),
	UNIT(unknown_or_missing_command),
	UNIT(double_dash_ends_options),
	UNIT(schedules_and_their_subcommands),
	UNIT(values_take_their_declared_types),
	UNIT(values_not_of_their_type_are_refused),
	UNIT(an_unknown_kinds_values_go_as_strings),
	UNIT(unknown_and_repeated_parameters_are_refused),
};

int
main(int argc, char **argv)
{
	UNIT_MAIN(tests, argc, argv);
}
