/*
 * lib/kinds, command kinds: each mistake in command, cwd, env, timeout_s,
 * grace_s, max_running and progress_regex refused with a message that
 * names the file, the kind and the field; a good command kind read as
 * declared; and what it runs: the argv (placeholders, values taken
 * literally) and how its program is found.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sys/stat.h>

#include "buf.h"
#include "json.h"
#include "kinds.h"
#include "unit.h"
#include "kinds_unit.h"

/* One parameter p, a string, for placeholders to name. */
#define PARAMS							\
	"\"params\": {\"p\": {\"type\": \"string\", \"default\": \"v\"}}"

/* A command kind "cmd" with params p and the given fields ("...", ...). */
#define CMD_KIND(fields)						\
	"{\"kinds\": [{\"name\": \"cmd\", " PARAMS ", " fields "}]}"

/* The same with a good command and more fields. */
#define WITH(fields)						\
	CMD_KIND("\"command\": [\"/bin/echo\", \"{p}\"], " fields)

/* A builtin count kind "cnt" with more fields. */
#define BUILTIN_WITH(fields)						\
	"{\"kinds\": [{\"name\": \"cnt\", \"builtin\": \"count\", "	\
	"\"params\": {\"total\": {\"type\": \"integer\", \"min\": 1, "	\
	"\"default\": 1}, \"delay_ms\": {\"type\": \"integer\", "	\
	"\"min\": 0, \"default\": 0}}, " fields "}]}"

/*
 * Checks that text is refused with a message holding the file's path,
 * kind "name", the field and the rule. A macro, so a failure points at
 * the test's line.
 */
#define REFUSED(text, kind, field, rule) do {				\
	char		 err_[1024], kq_[128];				\
	struct kinds	*ks_;						\
									\
	memset(err_, 0, sizeof(err_));					\
	ks_ = kinds_load(unit_write_kinds(text), err_, sizeof(err_));	\
	CHECK(ks_ == NULL);						\
	kinds_free(ks_);						\
	CHECK_HAS(err_, unit_kinds_path);						\
	snprintf(kq_, sizeof(kq_), "kind \"%s\"", (kind));		\
	CHECK_HAS(err_, kq_);						\
	CHECK_HAS(err_, (field));					\
	CHECK_HAS(err_, (rule));					\
} while (0)

#define CMD_REFUSED(fields, field, rule)				\
	REFUSED(CMD_KIND(fields), "cmd", (field), (rule))

/* ---- command ---- */

static void
command_empty_array_is_refused(void)
{
	CMD_REFUSED("\"command\": []", "command", "non-empty array");
}

static void
command_not_an_array_is_refused(void)
{
	CMD_REFUSED("\"command\": \"/bin/echo hello\"", "command",
	    "non-empty array");
	CMD_REFUSED("\"command\": {\"0\": \"/bin/echo\"}", "command",
	    "non-empty array");
	CMD_REFUSED("\"command\": null", "command", "non-empty array");
}

static void
command_with_non_string_element_is_refused(void)
{
	CMD_REFUSED("\"command\": [\"/bin/echo\", 5]", "command[1]",
	    "must be a string");
	CMD_REFUSED("\"command\": [\"/bin/echo\", \"a\", null]", "command[2]",
	    "must be a string");
	CMD_REFUSED("\"command\": [\"/bin/echo\", [\"a\"]]", "command[1]",
	    "must be a string");
	CMD_REFUSED("\"command\": [true]", "command[0]",
	    "non-empty string");
}

static void
command_with_empty_program_is_refused(void)
{
	CMD_REFUSED("\"command\": [\"\"]", "command[0]", "non-empty string");
	CMD_REFUSED("\"command\": [\"\", \"x\"]", "command[0]",
	    "non-empty string");
}

static void
command_program_from_a_placeholder_is_refused(void)
{
	CMD_REFUSED("\"command\": [\"{p}\"]", "command[0]",
	    "may not come from a parameter");
	CMD_REFUSED("\"command\": [\"/usr/bin/{p}\", \"x\"]", "command[0]",
	    "may not come from a parameter");
}

static void
command_placeholder_naming_no_parameter_is_refused(void)
{
	CMD_REFUSED("\"command\": [\"/bin/echo\", \"{nope}\"]", "command[1]",
	    "placeholder {nope} names no parameter");
	CMD_REFUSED("\"command\": [\"/bin/echo\", \"{p}\", \"--x={P}\"]",
	    "command[2]", "placeholder {P} names no parameter");
	CMD_REFUSED("\"command\": [\"/bin/echo\", \"{p}{q}\"]", "command[1]",
	    "placeholder {q} names no parameter");
}

static void
command_placeholder_in_kind_without_params_is_refused(void)
{
	REFUSED("{\"kinds\": [{\"name\": \"bare\", \"command\": "
	    "[\"/bin/echo\", \"{p}\"]}]}", "bare", "command[1]",
	    "placeholder {p} names no parameter");
}

static void
command_unclosed_brace_is_refused(void)
{
	CMD_REFUSED("\"command\": [\"/bin/echo\", \"{p\"]", "command[1]",
	    "\"{\" without \"}\"");
	CMD_REFUSED("\"command\": [\"/bin/echo\", \"{p}-{\"]", "command[1]",
	    "\"{\" without \"}\"");
}

static void
command_stray_closing_brace_is_refused(void)
{
	CMD_REFUSED("\"command\": [\"/bin/echo\", \"p}\"]", "command[1]",
	    "\"}\" without \"{\"");
	CMD_REFUSED("\"command\": [\"/bin/echo\", \"{p}}\"]", "command[1]",
	    "\"}\" without \"{\"");
}

static void
command_empty_placeholder_is_refused(void)
{
	CMD_REFUSED("\"command\": [\"/bin/echo\", \"{}\"]", "command[1]",
	    "empty or too long placeholder");
}

/* ---- cwd, env ---- */

/* A relative cwd is the data folder's (taskrunner's command_cwd); an
 * empty one is no folder at all. */
static void
cwd_empty_is_refused_and_relative_is_kept(void)
{
	char		 err[1024];
	struct kinds	*ks;

	CMD_REFUSED("\"command\": [\"/bin/true\"], \"cwd\": \"\"", "cwd",
	    "absolute, or relative to the data folder");
	ks = kinds_load(unit_write_kinds(CMD_KIND("\"command\": "
	    "[\"/bin/true\"], \"cwd\": \"files/in\"")), err, sizeof(err));
	CHECK(ks != NULL);
	if (ks != NULL)
		CHECK_STR(kinds_find(ks, "cmd")->cwd, "files/in");
	kinds_free(ks);
}

static void
cwd_not_a_string_is_refused(void)
{
	CMD_REFUSED("\"command\": [\"/bin/true\"], \"cwd\": 5", "cwd",
	    "absolute, or relative to the data folder");
}

static void
env_not_an_object_is_refused(void)
{
	CMD_REFUSED("\"command\": [\"/bin/true\"], \"env\": [\"A=b\"]", "env",
	    "object of strings");
	CMD_REFUSED("\"command\": [\"/bin/true\"], \"env\": \"A=b\"", "env",
	    "object of strings");
}

static void
env_bad_name_is_refused(void)
{
	CMD_REFUSED("\"command\": [\"/bin/true\"], \"env\": {\"1A\": \"x\"}",
	    "env.1A", "not a valid variable name");
	CMD_REFUSED("\"command\": [\"/bin/true\"], \"env\": {\"A-B\": \"x\"}",
	    "env.A-B", "not a valid variable name");
	CMD_REFUSED("\"command\": [\"/bin/true\"], \"env\": {\"A=B\": \"x\"}",
	    "env.A=B", "not a valid variable name");
	CMD_REFUSED("\"command\": [\"/bin/true\"], \"env\": {\"\": \"x\"}",
	    "env.", "not a valid variable name");
}

static void
env_hourglass_name_is_refused(void)
{
	CMD_REFUSED("\"command\": [\"/bin/true\"], \"env\": "
	    "{\"HOURGLASS_X\": \"y\"}", "env.HOURGLASS_X", "set by Hourglass");
	CMD_REFUSED("\"command\": [\"/bin/true\"], \"env\": "
	    "{\"HOURGLASS_TASK_ID\": \"1\"}", "env.HOURGLASS_TASK_ID",
	    "set by Hourglass");
}

static void
env_non_string_value_is_refused(void)
{
	CMD_REFUSED("\"command\": [\"/bin/true\"], \"env\": {\"A\": 5}",
	    "env.A", "must be a string");
	CMD_REFUSED("\"command\": [\"/bin/true\"], \"env\": {\"A\": \"x\", "
	    "\"B\": null}", "env.B", "must be a string");
}

/* ---- limits ---- */

static void
timeout_zero_negative_or_string_is_refused(void)
{
	CMD_REFUSED("\"command\": [\"/bin/true\"], \"timeout_s\": 0",
	    "timeout_s", "above 0");
	CMD_REFUSED("\"command\": [\"/bin/true\"], \"timeout_s\": -5",
	    "timeout_s", "above 0");
	CMD_REFUSED("\"command\": [\"/bin/true\"], \"timeout_s\": \"5\"",
	    "timeout_s", "above 0");
	CMD_REFUSED("\"command\": [\"/bin/true\"], \"timeout_s\": null",
	    "timeout_s", "above 0");
}

static void
grace_negative_is_refused(void)
{
	CMD_REFUSED("\"command\": [\"/bin/true\"], \"grace_s\": -1",
	    "grace_s", "seconds");
	CMD_REFUSED("\"command\": [\"/bin/true\"], \"grace_s\": \"1\"",
	    "grace_s", "seconds");
}

static void
max_running_zero_or_fraction_is_refused(void)
{
	CMD_REFUSED("\"command\": [\"/bin/true\"], \"max_running\": 0",
	    "max_running", "integer of at least 1");
	CMD_REFUSED("\"command\": [\"/bin/true\"], \"max_running\": 1.5",
	    "max_running", "integer of at least 1");
	CMD_REFUSED("\"command\": [\"/bin/true\"], \"max_running\": -1",
	    "max_running", "integer of at least 1");
	CMD_REFUSED("\"command\": [\"/bin/true\"], \"max_running\": \"2\"",
	    "max_running", "integer of at least 1");
}

/* Each limit of hg.h loads at its edge and is refused, naming it, past. */
static void
timeout_above_max_is_refused_naming_max(void)
{
	kinds_free(kinds_unit_load(WITH("\"timeout_s\": 1e9")));
	CMD_REFUSED("\"command\": [\"/bin/true\"], \"timeout_s\": "
	    "1000000001", "timeout_s", "above 0 to 1e+09");
}

static void
grace_above_max_is_refused_naming_max(void)
{
	kinds_free(kinds_unit_load(WITH("\"grace_s\": 3600")));
	CMD_REFUSED("\"command\": [\"/bin/true\"], \"grace_s\": 3600.5",
	    "grace_s", "from 0 to 3600");
}

static void
max_running_above_max_is_refused_naming_max(void)
{
	kinds_free(kinds_unit_load(WITH("\"max_running\": 1000000")));
	CMD_REFUSED("\"command\": [\"/bin/true\"], \"max_running\": "
	    "1000001", "max_running", "at least 1 and at most 1000000");
}

/* ---- progress_regex ---- */

static void
progress_regex_not_compiling_is_refused(void)
{
	CMD_REFUSED("\"command\": [\"/bin/true\"], \"progress_regex\": "
	    "\"([0-9]+\"", "progress_regex", "regular expression");
	CMD_REFUSED("\"command\": [\"/bin/true\"], \"progress_regex\": "
	    "\"([0-9]+)[\"", "progress_regex", "regular expression");
}

static void
progress_regex_without_group_is_refused(void)
{
	CMD_REFUSED("\"command\": [\"/bin/true\"], \"progress_regex\": "
	    "\"[0-9]+% done\"", "progress_regex", "group");
}

static void
progress_regex_not_a_string_is_refused(void)
{
	CMD_REFUSED("\"command\": [\"/bin/true\"], \"progress_regex\": 5",
	    "progress_regex", "must be a string");
}

/* ---- builtin or command ---- */

static void
both_builtin_and_command_is_refused(void)
{
	REFUSED(BUILTIN_WITH("\"command\": [\"/bin/true\"]"), "cnt",
	    "builtin", "not both");
}

static void
neither_builtin_nor_command_is_refused(void)
{
	REFUSED("{\"kinds\": [{\"name\": \"idle\", \"description\": \"x\"}]}",
	    "idle", "command", "\"builtin\"");
}

static void
command_fields_on_builtin_are_refused(void)
{
	REFUSED(BUILTIN_WITH("\"cwd\": \"/tmp\""), "cnt", "cwd",
	    "only a command kind");
	REFUSED(BUILTIN_WITH("\"env\": {\"A\": \"b\"}"), "cnt", "env",
	    "only a command kind");
	REFUSED(BUILTIN_WITH("\"progress_regex\": \"([0-9]+)%\""), "cnt",
	    "progress_regex", "only a command kind");
}

static void
mistake_in_second_kind_names_that_kind(void)
{
	REFUSED("{\"kinds\": [{\"name\": \"fine\", \"command\": "
	    "[\"/bin/true\"]}, {\"name\": \"broken\", \"command\": "
	    "[\"/bin/echo\", \"{x}\"]}]}", "broken", "command[1]",
	    "placeholder {x} names no parameter");
}

/* ---- a good command kind ---- */

#define GOOD_COMMAND							\
	"{\"kinds\": [{\"name\": \"checksum\",\n"			\
	" \"description\": \"SHA-256 of a file\",\n"			\
	" \"command\": [\"sha256sum\", \"--\", \"{file}\", "		\
	"\"--n={n}/{file}\"],\n"					\
	" \"cwd\": \"/srv/files\",\n"					\
	" \"env\": {\"LC_ALL\": \"C\", \"TZ\": \"UTC\"},\n"		\
	" \"params\": {\"file\": {\"type\": \"string\", \"pattern\": "	\
	"\"^[A-Za-z0-9_][A-Za-z0-9._-]*$\", \"max_length\": 255},\n"	\
	"  \"n\": {\"type\": \"integer\", \"default\": 1}},\n"		\
	" \"timeout_s\": 600, \"grace_s\": 2.5, \"max_running\": 2,\n"	\
	" \"progress_regex\": \"([0-9.]+)% done\"},\n"			\
	" {\"name\": \"plain\", \"command\": [\"/bin/true\"]}]}"

static struct kinds *
load_good_command(void)
{
	return kinds_unit_load(GOOD_COMMAND);
}

static void
good_command_kind_loads_with_all_fields(void)
{
	struct kinds		*ks = load_good_command();
	const struct kind	*k = kinds_find(ks, "checksum");
	regmatch_t		 m[2];

	CHECK(k != NULL);
	if (k == NULL)
		goto out;
	CHECK(k->builtin == BUILTIN_NONE);
	CHECK_STR(k->description, "SHA-256 of a file");
	CHECK_INT(k->argc, 4);
	CHECK_STR(k->argv[0], "sha256sum");
	CHECK_STR(k->argv[1], "--");
	CHECK_STR(k->argv[2], "{file}");
	CHECK_STR(k->argv[3], "--n={n}/{file}");
	CHECK(k->argv[4] == NULL);
	CHECK_STR(k->cwd, "/srv/files");
	CHECK(k->env != NULL);
	if (k->env != NULL) {
		CHECK_STR(k->env[0], "LC_ALL=C");
		CHECK_STR(k->env[1], "TZ=UTC");
		CHECK(k->env[2] == NULL);
	}
	CHECK_STR(k->path, KINDS_PATH_DEFAULT);
	CHECK(k->timeout_s == 600);
	CHECK(k->grace_s == 2.5);
	CHECK_INT(k->max_running, 2);
	CHECK_INT(k->nparams, 2);
	CHECK(k->has_regex);
	if (k->has_regex) {
		int rc = regexec(&k->progress_re, "hashing 42.5% done", 2, m,
		    0);

		CHECK_INT(rc, 0);
		CHECK_INT(m[1].rm_eo - m[1].rm_so, 4);
	}
out:
	kinds_free(ks);
}

static void
command_kind_defaults(void)
{
	struct kinds		*ks = load_good_command();
	const struct kind	*k = kinds_find(ks, "plain");

	CHECK(k != NULL);
	if (k == NULL)
		goto out;
	CHECK(k->builtin == BUILTIN_NONE);
	CHECK_STR(k->description, "");
	CHECK_INT(k->argc, 1);
	CHECK(k->cwd == NULL);
	CHECK(k->env == NULL);
	CHECK_STR(k->path, KINDS_PATH_DEFAULT);
	CHECK(k->timeout_s == 0);
	CHECK(k->grace_s == KINDS_GRACE_DEFAULT);
	CHECK_INT(k->max_running, 0);
	CHECK(!k->has_regex);
out:
	kinds_free(ks);
}

static void
command_kind_env_path_replaces_default(void)
{
	char		 err[1024];
	struct kinds	*ks;

	ks = kinds_load(unit_write_kinds(WITH("\"env\": {\"PATH\": "
	    "\"/opt/tools/bin:/bin\"}, \"grace_s\": 0")), err, sizeof(err));
	CHECK(ks != NULL);
	if (ks == NULL) {
		unit_fail(__FILE__, __LINE__, err);
		return;
	}
	CHECK_STR(ks->v[0].path, "/opt/tools/bin:/bin");
	CHECK_STR(ks->v[0].env[0], "PATH=/opt/tools/bin:/bin");
	CHECK(ks->v[0].grace_s == 0);
	kinds_free(ks);
}

static void
command_kind_public_json_hides_command(void)
{
	struct kinds	*ks = load_good_command();

	/* Clients see name, description and params; never the program,
	 * its folder or its environment. */
	CHECK(strstr(ks->public_json, "sha256sum") == NULL);
	CHECK(strstr(ks->public_json, "/srv/files") == NULL);
	CHECK(strstr(ks->public_json, "LC_ALL") == NULL);
	CHECK(strstr(ks->public_json, "progress_regex") == NULL);
	CHECK_HAS(ks->public_json, "\"name\":\"checksum\"");
	kinds_free(ks);
}

/* ---- what a command kind runs: kinds_argv and kinds_resolve ---- */

/* Checks params (JSON text) for kind k; exits on a refusal. */
static cJSON *
checked(const struct kind *k, const char *text)
{
	struct hg_err	 e;
	cJSON		*in, *out;

	memset(&e, 0, sizeof(e));
	if ((in = json_parse(text, strlen(text), &e)) == NULL) {
		unit_fail(__FILE__, __LINE__, e.msg);
		exit(1);
	}
	out = kinds_params_check(k, in, &e);
	cJSON_Delete(in);
	if (out == NULL) {
		unit_fail(__FILE__, __LINE__, e.msg);
		exit(1);
	}
	return out;
}

#define ARGV_KIND							\
	"{\"kinds\": [{\"name\": \"k\",\n"				\
	" \"command\": [\"/bin/echo\", \"{s}\", \"pre-{n}-post\", "	\
	"\"{x}{b}\", \"--\", \"{s}={n}\"],\n"				\
	" \"params\": {\"s\": {\"type\": \"string\"},\n"		\
	"  \"n\": {\"type\": \"integer\", \"default\": 42},\n"		\
	"  \"x\": {\"type\": \"number\", \"default\": 2.5},\n"		\
	"  \"b\": {\"type\": \"boolean\", \"default\": true}}}]}"

static void
argv_replaces_placeholders_per_element(void)
{
	struct kinds	*ks = kinds_unit_load(ARGV_KIND);
	cJSON		*p = checked(&ks->v[0], "{\"s\": \"hello\"}");
	char		**argv = kinds_argv(&ks->v[0], p);

	CHECK(argv != NULL);
	if (argv != NULL) {
		CHECK_STR(argv[0], "/bin/echo");
		CHECK_STR(argv[1], "hello");
		CHECK_STR(argv[2], "pre-42-post");
		CHECK_STR(argv[3], "2.5true");
		CHECK_STR(argv[4], "--");
		CHECK_STR(argv[5], "hello=42");
		CHECK(argv[6] == NULL);
	}
	kinds_argv_free(argv);
	cJSON_Delete(p);
	kinds_free(ks);
}

/* Fails the nth allocation a buffer makes, and every one after. */
static long	 argv_fault_n, argv_fault_calls;

static void *
argv_fault_realloc(void *p, size_t n)
{
	if (++argv_fault_calls >= argv_fault_n)
		return NULL;
	return realloc(p, n);
}

/* Each allocation of the strings failing in turn: NULL, and nothing
 * leaks (ASan); once none fails, the whole argv. */
static void
argv_out_of_memory_is_null_and_frees_all(void)
{
	struct kinds	*ks = kinds_unit_load(ARGV_KIND);
	cJSON		*p = checked(&ks->v[0], "{\"s\": \"hello\"}");
	char		**argv = NULL;
	long		 n;

	for (n = 1; n < 100; n++) {
		argv_fault_n = n;
		argv_fault_calls = 0;
		buf_set_realloc(argv_fault_realloc);
		argv = kinds_argv(&ks->v[0], p);
		buf_set_realloc(NULL);
		if (argv != NULL)
			break;
	}
	CHECK(n > 1 && n < 100);
	CHECK(argv != NULL && argv[5] != NULL);
	if (argv != NULL && argv[5] != NULL)
		CHECK_STR(argv[5], "hello=42");
	kinds_argv_free(argv);
	cJSON_Delete(p);
	kinds_free(ks);
}

static void
argv_keeps_shell_metacharacters_literally(void)
{
	static const char *const hostile[] = {
		"x; touch PWNED $(touch PWNED2) `touch PWNED3`",
		"a | b && c || d > e < f 2>&1 &",
		"'\"\\ * ? [a-z] ~ # !",
		"line1\nline2\rline3\ttab",
		"{n}",			/* not expanded a second time */
		"-rf /",
		"",
	};
	struct kinds	*ks = kinds_unit_load(ARGV_KIND);
	cJSON		*p, *s;
	char		**argv, want[256];
	size_t		 i;

	for (i = 0; i < sizeof(hostile) / sizeof(hostile[0]); i++) {
		p = checked(&ks->v[0], "{\"s\": \"\"}");
		s = cJSON_CreateString(hostile[i]);
		CHECK(s != NULL && cJSON_ReplaceItemInObjectCaseSensitive(p,
		    "s", s));
		argv = kinds_argv(&ks->v[0], p);
		CHECK(argv != NULL);
		if (argv != NULL) {
			CHECK_STR(argv[1], hostile[i]);
			snprintf(want, sizeof(want), "%s=42", hostile[i]);
			CHECK_STR(argv[5], want);
			CHECK(argv[6] == NULL);
		}
		kinds_argv_free(argv);
		cJSON_Delete(p);
	}
	kinds_free(ks);
}

static void
argv_writes_numbers_and_booleans_as_text(void)
{
	struct kinds	*ks = kinds_unit_load(ARGV_KIND);
	cJSON		*p;
	char		**argv;

	p = checked(&ks->v[0], "{\"s\": \"v\", \"n\": -7, \"x\": 3, "
	    "\"b\": false}");
	argv = kinds_argv(&ks->v[0], p);
	CHECK(argv != NULL);
	if (argv != NULL) {
		CHECK_STR(argv[2], "pre--7-post");
		CHECK_STR(argv[3], "3false");
	}
	kinds_argv_free(argv);
	cJSON_Delete(p);
	p = checked(&ks->v[0], "{\"s\": \"v\", \"n\": 9007199254740991, "
	    "\"x\": -0.5}");
	argv = kinds_argv(&ks->v[0], p);
	CHECK(argv != NULL);
	if (argv != NULL) {
		CHECK_STR(argv[2], "pre-9007199254740991-post");
		CHECK_STR(argv[3], "-0.5true");
	}
	kinds_argv_free(argv);
	cJSON_Delete(p);
	kinds_free(ks);
}

static void
argv_keeps_long_values_whole(void)
{
	struct kinds	*ks = kinds_unit_load(ARGV_KIND);
	cJSON		*p, *s;
	char		**argv, *v, *want;
	size_t		 i;

	/* 6000 bytes of "é": past any fixed buffer of 4 KiB, and a cut
	 * there would also split a character. */
	if ((v = malloc(6001)) == NULL || (want = malloc(6010)) == NULL)
		abort();
	for (i = 0; i < 6000; i += 2)
		memcpy(v + i, "\xc3\xa9", 2);
	v[6000] = '\0';
	p = checked(&ks->v[0], "{\"s\": \"\"}");
	s = cJSON_CreateString(v);
	CHECK(s != NULL && cJSON_ReplaceItemInObjectCaseSensitive(p, "s", s));
	argv = kinds_argv(&ks->v[0], p);
	CHECK(argv != NULL);
	if (argv != NULL) {
		CHECK_INT(strlen(argv[1]), 6000);
		CHECK(strcmp(argv[1], v) == 0);
		snprintf(want, 6010, "%s=42", v);
		CHECK(strcmp(argv[5], want) == 0);
	}
	kinds_argv_free(argv);
	cJSON_Delete(p);
	kinds_free(ks);
	free(v);
	free(want);
}

static void
argv_without_placeholders_is_copied(void)
{
	struct kinds	*ks = kinds_unit_load("{\"kinds\": [{\"name\": \"k\", "
	    "\"command\": [\"/bin/true\", \"a b\", \"\"]}]}");
	cJSON		*p = checked(&ks->v[0], "{}");
	char		**argv = kinds_argv(&ks->v[0], p);

	CHECK(argv != NULL);
	if (argv != NULL) {
		CHECK_STR(argv[0], "/bin/true");
		CHECK_STR(argv[1], "a b");
		CHECK_STR(argv[2], "");
		CHECK(argv[3] == NULL);
	}
	kinds_argv_free(argv);
	cJSON_Delete(p);
	kinds_free(ks);
}

/* Loads a kind whose command is prog, with env PATH path (or none). */
static struct kinds *
load_prog(const char *prog, const char *path)
{
	char	 text[20000];

	if (path != NULL)
		snprintf(text, sizeof(text), "{\"kinds\": [{\"name\": \"k\", "
		    "\"command\": [\"%s\"], \"env\": {\"PATH\": \"%s\"}}]}",
		    prog, path);
	else
		snprintf(text, sizeof(text), "{\"kinds\": [{\"name\": \"k\", "
		    "\"command\": [\"%s\"]}]}", prog);
	return kinds_unit_load(text);
}

/* Writes a file in the test's folder with mode; returns its path. */
static const char *
make_file(const char *name, mode_t mode, char *buf, size_t len)
{
	FILE	*f;

	snprintf(buf, len, "%s/%s", unit_dir, name);
	if ((f = fopen(buf, "w")) == NULL) {
		perror(buf);
		abort();
	}
	fputs("#!/bin/sh\nexit 0\n", f);
	fclose(f);
	CHECK_INT(chmod(buf, mode), 0);
	return buf;
}

static void
resolve_absolute_executable(void)
{
	char		 prog[4200], buf[4200];
	struct kinds	*ks;

	make_file("tool", 0755, prog, sizeof(prog));
	ks = load_prog(prog, NULL);
	CHECK_INT(kinds_resolve(&ks->v[0], buf, sizeof(buf)), 0);
	CHECK_STR(buf, prog);
	kinds_free(ks);
}

static void
resolve_absolute_not_executable(void)
{
	char		 prog[4200], buf[4200];
	struct kinds	*ks;

	make_file("plain", 0644, prog, sizeof(prog));
	ks = load_prog(prog, NULL);
	CHECK_INT(kinds_resolve(&ks->v[0], buf, sizeof(buf)), -1);
	CHECK_HAS(buf, prog);
	CHECK_HAS(buf, "Permission denied");
	kinds_free(ks);
}

static void
resolve_absolute_missing(void)
{
	char		 prog[4200], buf[4200];
	struct kinds	*ks;

	snprintf(prog, sizeof(prog), "%s/nope/tool", unit_dir);
	ks = load_prog(prog, NULL);
	CHECK_INT(kinds_resolve(&ks->v[0], buf, sizeof(buf)), -1);
	CHECK_HAS(buf, prog);
	CHECK_HAS(buf, "No such file");
	kinds_free(ks);
}

static void
resolve_bare_name_in_default_path(void)
{
	char		 buf[4200];
	struct kinds	*ks = load_prog("sh", NULL);

	CHECK_STR(ks->v[0].path, KINDS_PATH_DEFAULT);
	CHECK_INT(kinds_resolve(&ks->v[0], buf, sizeof(buf)), 0);
	CHECK(buf[0] == '/');
	CHECK(strlen(buf) > 3 && strcmp(buf + strlen(buf) - 3, "/sh") == 0);
	CHECK_INT(access(buf, X_OK), 0);
	kinds_free(ks);
}

static void
resolve_bare_name_in_kind_path_skips_non_executables(void)
{
	char		 dir1[4200], dir2[4200], path[12800], buf[4200];
	char		 want[4300];
	struct kinds	*ks;

	/* dir1/mytool is not executable, dir2/mytool is: dir2's wins. */
	snprintf(dir1, sizeof(dir1), "%s/d1", unit_dir);
	snprintf(dir2, sizeof(dir2), "%s/d2", unit_dir);
	CHECK_INT(mkdir(dir1, 0700), 0);
	CHECK_INT(mkdir(dir2, 0700), 0);
	make_file("d1/mytool", 0644, buf, sizeof(buf));
	make_file("d2/mytool", 0755, want, sizeof(want));
	snprintf(path, sizeof(path), "%s/none::%s:%s", unit_dir, dir1, dir2);
	ks = load_prog("mytool", path);
	CHECK_STR(ks->v[0].path, path);
	CHECK_INT(kinds_resolve(&ks->v[0], buf, sizeof(buf)), 0);
	CHECK_STR(buf, want);
	kinds_free(ks);
}

static void
resolve_bare_name_not_found(void)
{
	char		 buf[4200];
	struct kinds	*ks = load_prog("hourglass-no-such-program", NULL);

	CHECK_INT(kinds_resolve(&ks->v[0], buf, sizeof(buf)), -1);
	CHECK_HAS(buf, "hourglass-no-such-program");
	CHECK_HAS(buf, "not found");
	kinds_free(ks);
}

static const struct unit_test tests[] = {
	UNIT(command_empty_array_is_refused),
	UNIT(command_not_an_array_is_refused),
	UNIT(command_with_non_string_element_is_refused),
	UNIT(command_with_empty_program_is_refused),
	UNIT(command_program_from_a_placeholder_is_refused),
	UNIT(command_placeholder_naming_no_parameter_is_refused),
	UNIT(command_placeholder_in_kind_without_params_is_refused),
	UNIT(command_unclosed_brace_is_refused),
	UNIT(command_stray_closing_brace_is_refused),
	UNIT(command_empty_placeholder_is_refused),
	UNIT(cwd_empty_is_refused_and_relative_is_kept),
	UNIT(cwd_not_a_string_is_refused),
	UNIT(env_not_an_object_is_refused),
	UNIT(env_bad_name_is_refused),
	UNIT(env_hourglass_name_is_refused),
	UNIT(env_non_string_value_is_refused),
	UNIT(timeout_zero_negative_or_string_is_refused),
	UNIT(grace_negative_is_refused),
	UNIT(max_running_zero_or_fraction_is_refused),
	UNIT(timeout_above_max_is_refused_naming_max),
	UNIT(grace_above_max_is_refused_naming_max),
	UNIT(max_running_above_max_is_refused_naming_max),
	UNIT(progress_regex_not_compiling_is_refused),
	UNIT(progress_regex_without_group_is_refused),
	UNIT(progress_regex_not_a_string_is_refused),
	UNIT(both_builtin_and_command_is_refused),
	UNIT(neither_builtin_nor_command_is_refused),
	UNIT(command_fields_on_builtin_are_refused),
	UNIT(mistake_in_second_kind_names_that_kind),
	UNIT(good_command_kind_loads_with_all_fields),
	UNIT(command_kind_defaults),
	UNIT(command_kind_env_path_replaces_default),
	UNIT(command_kind_public_json_hides_command),
	UNIT(argv_replaces_placeholders_per_element),
	UNIT(argv_out_of_memory_is_null_and_frees_all),
	UNIT(argv_keeps_shell_metacharacters_literally),
	UNIT(argv_writes_numbers_and_booleans_as_text),
	UNIT(argv_keeps_long_values_whole),
	UNIT(argv_without_placeholders_is_copied),
	UNIT(resolve_absolute_executable),
	UNIT(resolve_absolute_not_executable),
	UNIT(resolve_absolute_missing),
	UNIT(resolve_bare_name_in_default_path),
	UNIT(resolve_bare_name_in_kind_path_skips_non_executables),
	UNIT(resolve_bare_name_not_found),
};

int
main(int argc, char **argv)
{
	UNIT_MAIN(tests, argc, argv);
}
