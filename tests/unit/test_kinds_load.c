/*
 * lib/kinds, loading: kinds files written into the test's folder read
 * as declared, and the loader's refusals, each naming file, kind and
 * field.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "json.h"
#include "kinds.h"
#include "kinds/kinds_int.h"
#include "unit.h"
#include "kinds_unit.h"

/*
 * A kind "k" that would load, with one more parameter declared as decl
 * ("\"x\": {...}"), to try the loader's rules for parameters.
 */
#define WITH_PARAM(decl)						\
	"{\"kinds\": [{\"name\": \"k\", \"builtin\": \"count\", "	\
	"\"params\": {\"total\": {\"type\": \"integer\", \"min\": 1, "	\
	"\"default\": 1}, \"delay_ms\": {\"type\": \"integer\", "	\
	"\"min\": 0, \"default\": 0}, " decl "}}]}"

/*
 * Checks that text is refused with a message holding the file's path,
 * the kind as kind "name" (unless kind is NULL), the field and the
 * rule.
 */
#define LOAD_REFUSED(text, kind, field, rule) do {			\
	char		 err_[1024], kq_[128];				\
	const char	*k_ = (kind);					\
	struct kinds	*ks_ = load_text((text), err_, sizeof(err_));	\
									\
	CHECK(ks_ == NULL);						\
	kinds_free(ks_);						\
	CHECK_HAS(err_, unit_kinds_path);						\
	if (k_ != NULL) {						\
		snprintf(kq_, sizeof(kq_), "kind \"%s\"", k_);	\
		CHECK_HAS(err_, kq_);					\
	}								\
	CHECK_HAS(err_, (field));					\
	CHECK_HAS(err_, (rule));					\
} while (0)

/* ---- loading ---- */

static void
load_accepts_spec_count_kind_and_mixed_kind(void)
{
	struct kinds	*ks = load_good();

	CHECK_INT(ks->n, 2);
	CHECK_STR(ks->v[0].name, "count");
	CHECK_STR(ks->v[1].name, "mixed.kind-1");
	kinds_free(ks);
}

static void
load_reads_count_kind_as_declared(void)
{
	struct kinds		*ks = load_good();
	const struct kind	*k = kinds_find(ks, "count");
	const struct param	*p;

	CHECK(k != NULL);
	if (k == NULL)
		goto out;
	CHECK(k->builtin == BUILTIN_COUNT);
	CHECK_STR(k->description,
	    "Counts from 1 to total, one step every delay_ms");
	CHECK_INT(k->nparams, 2);
	CHECK_STR(k->params[0].name, "total");
	CHECK_STR(k->params[1].name, "delay_ms");
	p = &k->params[0];
	CHECK(p->type == PARAM_INTEGER);
	CHECK(p->has_min && p->min == 1);
	CHECK(p->has_max && p->max == 1000000);
	CHECK(cJSON_IsNumber(p->def) && p->def->valuedouble == 150);
out:
	kinds_free(ks);
}

static void
load_reads_each_param_type_and_rule(void)
{
	struct kinds		*ks = load_good();
	const struct kind	*k = kinds_find(ks, "mixed.kind-1");
	const struct param	*p;

	CHECK(k != NULL);
	if (k == NULL)
		goto out;
	CHECK_INT(k->nparams, 7);
	p = kind_param(k, "file");
	CHECK(p != NULL && p->type == PARAM_STRING && p->def == NULL &&
	    p->max_length == 5 && p->pattern != NULL &&
	    strcmp(p->pattern, "^[a-z]+$") == 0);
	p = kind_param(k, "color");
	CHECK(p != NULL && p->type == PARAM_STRING &&
	    cJSON_GetArraySize(p->enums) == 2);
	p = kind_param(k, "ratio");
	CHECK(p != NULL && p->type == PARAM_NUMBER && p->min == 0.5 &&
	    p->max == 2.5);
	p = kind_param(k, "loud");
	CHECK(p != NULL && p->type == PARAM_BOOLEAN && cJSON_IsFalse(p->def));
	p = kind_param(k, "delay_ms");
	CHECK(p != NULL && p->has_min && !p->has_max);
out:
	kinds_free(ks);
}

static void
find_returns_kind_by_exact_name(void)
{
	struct kinds	*ks = load_good();

	CHECK(kinds_find(ks, "count") == &ks->v[0]);
	CHECK(kinds_find(ks, "mixed.kind-1") == &ks->v[1]);
	CHECK(kinds_find(ks, "Count") == NULL);
	CHECK(kinds_find(ks, "coun") == NULL);
	CHECK(kinds_find(ks, "") == NULL);
	kinds_free(ks);
}

static void
kind_param_returns_null_for_undeclared(void)
{
	struct kinds	*ks = load_good();

	CHECK(kind_param(&ks->v[0], "total") == &ks->v[0].params[0]);
	CHECK(kind_param(&ks->v[0], "file") == NULL);
	kinds_free(ks);
}

static void
free_accepts_null(void)
{
	kinds_free(NULL);
	CHECK(1);
}

/* ---- the loader's refusals ---- */

static void
load_refuses_missing_file(void)
{
	char		 err[1024], path[4200];
	struct kinds	*ks;

	snprintf(path, sizeof(path), "%s/nope.json", unit_dir);
	ks = kinds_load(path, err, sizeof(err));
	CHECK(ks == NULL);
	kinds_free(ks);
	CHECK_HAS(err, path);
}

/* Writes GOOD_FILE padded with blanks to len bytes; returns its path. */
static const char *
write_padded(size_t len)
{
	char	*text;

	if ((text = malloc(len + 1)) == NULL)
		abort();
	memset(text, ' ', len);
	memcpy(text, GOOD_FILE, strlen(GOOD_FILE));
	text[len] = '\0';
	unit_write_kinds(text);
	free(text);
	return unit_kinds_path;
}

static void
load_takes_a_file_of_4_mib_and_refuses_one_byte_more(void)
{
	char		 err[1024];
	struct kinds	*ks;

	ks = kinds_load(write_padded(HG_KINDS_FILE_MAX), err, sizeof(err));
	CHECK(ks != NULL);
	kinds_free(ks);
	ks = kinds_load(write_padded(HG_KINDS_FILE_MAX + 1), err,
	    sizeof(err));
	CHECK(ks == NULL);
	kinds_free(ks);
	CHECK_HAS(err, unit_kinds_path);
	CHECK_HAS(err, "larger than 4 MiB");
}

static void
load_refuses_text_that_is_not_json(void)
{
	LOAD_REFUSED("{\"kinds\": [", NULL, "JSON", "malformed");
	LOAD_REFUSED("kinds: []", NULL, "JSON", "malformed");
}

static void
load_refuses_top_level_not_an_object(void)
{
	LOAD_REFUSED("[" COUNT_KIND "]", NULL, "kinds", "must be an object");
}

static void
load_refuses_file_without_kinds_array(void)
{
	LOAD_REFUSED("{}", NULL, "kinds", "non-empty array");
	LOAD_REFUSED("{\"kinds\": {}}", NULL, "kinds", "non-empty array");
}

static void
load_refuses_empty_kinds_array(void)
{
	LOAD_REFUSED("{\"kinds\": []}", NULL, "kinds", "non-empty array");
}

static void
load_refuses_unknown_top_level_field(void)
{
	LOAD_REFUSED("{\"kinds\": [" COUNT_KIND "], \"kind\": 1}", NULL,
	    "kind", "unknown field");
}

static void
load_refuses_kind_without_name(void)
{
	LOAD_REFUSED("{\"kinds\": [" COUNT_KIND ", {\"builtin\": \"count\"}]}",
	    NULL, "kinds[1]", "\"name\"");
}

static void
load_refuses_kind_name_with_bad_characters(void)
{
	LOAD_REFUSED("{\"kinds\": [{\"name\": \"a b\", \"builtin\": "
	    "\"count\"}]}", NULL, "kinds[0]", "\"name\"");
}

static void
load_refuses_kind_that_is_not_an_object(void)
{
	LOAD_REFUSED("{\"kinds\": [\"count\"]}", NULL, "kinds[0]",
	    "must be an object");
}

static void
load_refuses_duplicate_kind_name(void)
{
	LOAD_REFUSED("{\"kinds\": [" COUNT_KIND ", " COUNT_KIND "]}",
	    "count", "name", "declared twice");
}

static void
load_refuses_params_alike_but_for_case(void)
{
	/* A command would get HOURGLASS_PARAM_X twice. */
	LOAD_REFUSED("{\"kinds\": [{\"name\": \"k\", \"command\": "
	    "[\"true\"], \"params\": {\"x\": {\"type\": \"string\"}, "
	    "\"X\": {\"type\": \"string\"}}}]}", "k", "params.X",
	    "differs from params.x only in case: a command would read both "
	    "as one variable, HOURGLASS_PARAM_X");
}

static void
load_refuses_unknown_field_on_kind(void)
{
	LOAD_REFUSED("{\"kinds\": [{\"name\": \"k\", \"builtin\": \"count\", "
	    "\"timeout\": 5}]}", "k", "timeout", "unknown field");
}

static void
load_refuses_kind_without_builtin(void)
{
	LOAD_REFUSED("{\"kinds\": [{\"name\": \"k\", \"params\": {}}]}", "k",
	    "command", "needs");
}

/* The two task shapes that a kind may declare besides what it runs. */
#define EXTERNAL_FILE							\
	"{\"kinds\": [{\"name\": \"far\", \"external\": true, "	\
	"\"heartbeat_s\": 12.5, \"grace_s\": 2, \"while_watched_s\": 30, "	\
	"\"progress_regex\": \"^([0-9]+)%$\"},\n"			\
	" {\"name\": \"near\", \"external\": false, "			\
	"\"builtin\": \"count\", \"params\": {\"total\": {\"type\": "	\
	"\"integer\", \"min\": 1, \"default\": 1}, \"delay_ms\": "	\
	"{\"type\": \"integer\", \"min\": 0, \"default\": 0}}}]}"

static void
load_reads_external_and_while_watched(void)
{
	char			 err[1024];
	struct kinds		*ks = load_text(EXTERNAL_FILE, err,
				    sizeof(err));
	const struct kind	*far, *near;

	CHECK(ks != NULL);
	if (ks == NULL) {
		unit_fail(__FILE__, __LINE__, err);
		return;
	}
	far = kinds_find(ks, "far");
	near = kinds_find(ks, "near");
	CHECK(far->external && far->argv == NULL && far->has_regex);
	CHECK(far->heartbeat_s == 12.5 && far->grace_s == 2);
	CHECK(far->while_watched_s == 30);
	CHECK(!near->external && near->while_watched_s == 0);
	CHECK(near->heartbeat_s == KINDS_HEARTBEAT_DEFAULT);
	/* Clients see both, and only where declared. */
	CHECK_HAS(ks->public_json, "\"name\":\"far\",\"description\":\"\","
	    "\"params\":{},\"external\":true,\"while_watched_s\":30}");
	CHECK_HAS(ks->public_json, "\"name\":\"near\",\"description\":\"\","
	    "\"params\":{\"total\"");
	CHECK(strstr(strstr(ks->public_json, "near"), "external") == NULL);
	kinds_free(ks);
}

static void
load_refuses_bad_external_kinds(void)
{
	LOAD_REFUSED("{\"kinds\": [{\"name\": \"k\", \"external\": 1}]}",
	    "k", "external", "true or false");
	LOAD_REFUSED("{\"kinds\": [{\"name\": \"k\", \"external\": true, "
	    "\"command\": [\"true\"]}]}", "k", "command", "runs nothing");
	LOAD_REFUSED("{\"kinds\": [{\"name\": \"k\", \"external\": true, "
	    "\"timeout_s\": 5}]}", "k", "timeout_s", "runs nothing");
	LOAD_REFUSED("{\"kinds\": [{\"name\": \"k\", \"external\": true, "
	    "\"heartbeat_s\": 0}]}", "k", "heartbeat_s", "above 0");
	LOAD_REFUSED("{\"kinds\": [{\"name\": \"k\", \"builtin\": \"count\", "
	    "\"heartbeat_s\": 5}]}", "k", "heartbeat_s", "only an external");
	LOAD_REFUSED("{\"kinds\": [{\"name\": \"k\", \"external\": true, "
	    "\"while_watched_s\": -1}]}", "k", "while_watched_s", "above 0");
	LOAD_REFUSED("{\"kinds\": [{\"name\": \"k\", \"external\": true, "
	    "\"progress_regex\": \"[0-9]+\"}]}", "k", "progress_regex",
	    "group");
}

/* A count kind "k" with the retry fields given as extra. */
#define WITH_RETRY(extra)						\
	"{\"kinds\": [{\"name\": \"k\", \"builtin\": \"count\", "	\
	"\"params\": {\"total\": {\"type\": \"integer\", \"min\": 1, "	\
	"\"default\": 1}, \"delay_ms\": {\"type\": \"integer\", "	\
	"\"min\": 0, \"default\": 0}}, " extra "}]}"

static void
load_reads_retries_and_their_defaults(void)
{
	struct kinds		*ks;
	const struct kind	*k;

	ks = kinds_unit_load(WITH_RETRY("\"retries\": 3, "
	    "\"retry_delay_s\": 0.25, \"retry_delay_max_s\": 2, "
	    "\"retry_on\": [\"timeout\", \"exec_failed\", \"slurm\"]"));
	k = kinds_find(ks, "k");
	CHECK_INT(k->retries, 3);
	CHECK(k->retry_delay_s == 0.25 && k->retry_delay_max_s == 2);
	CHECK_STR(k->retry_on, "timeout,exec_failed,slurm");
	kinds_free(ks);
	/* Left out: none, 1 s doubling up to 300 s, the usual failures. */
	ks = load_good();
	k = kinds_find(ks, "count");
	CHECK_INT(k->retries, 0);
	CHECK(k->retry_delay_s == 1 && k->retry_delay_max_s == 300);
	CHECK_STR(k->retry_on, "exit_code,signal,timeout,lost");
	kinds_free(ks);
	/* Every code once, and none at all. */
	ks = kinds_unit_load(WITH_RETRY("\"retries\": 100, \"retry_on\": "
	    "[\"exit_code\", \"signal\", \"timeout\", \"lost\", "
	    "\"exec_failed\", \"slurm\"]"));
	CHECK_STR(kinds_find(ks, "k")->retry_on,
	    "exit_code,signal,timeout,lost,exec_failed,slurm");
	kinds_free(ks);
	ks = kinds_unit_load(WITH_RETRY("\"retries\": 0, \"retry_on\": []"));
	CHECK_STR(kinds_find(ks, "k")->retry_on, "");
	kinds_free(ks);
}

static void
load_refuses_bad_retry_fields(void)
{
	LOAD_REFUSED(WITH_RETRY("\"retries\": -1"), "k", "retries",
	    "from 0 to 100");
	LOAD_REFUSED(WITH_RETRY("\"retries\": 101"), "k", "retries",
	    "from 0 to 100");
	LOAD_REFUSED(WITH_RETRY("\"retries\": 1.5"), "k", "retries",
	    "integer");
	LOAD_REFUSED(WITH_RETRY("\"retries\": \"2\""), "k", "retries",
	    "integer");
	LOAD_REFUSED(WITH_RETRY("\"retry_delay_s\": 0"), "k",
	    "retry_delay_s", "above 0");
	LOAD_REFUSED(WITH_RETRY("\"retry_delay_s\": \"1\""), "k",
	    "retry_delay_s", "number of seconds");
	LOAD_REFUSED(WITH_RETRY("\"retry_delay_max_s\": -5"), "k",
	    "retry_delay_max_s", "above 0");
	LOAD_REFUSED(WITH_RETRY("\"retry_delay_s\": 5, "
	    "\"retry_delay_max_s\": 4"), "k", "retry_delay_max_s",
	    "at least retry_delay_s");
	/* Only the delay given: it is what goes past the default cap. */
	LOAD_REFUSED(WITH_RETRY("\"retry_delay_s\": 301"), "k",
	    "retry_delay_s", "at most retry_delay_max_s");
	LOAD_REFUSED(WITH_RETRY("\"retry_on\": \"timeout\""), "k",
	    "retry_on", "must be a list");
	LOAD_REFUSED(WITH_RETRY("\"retry_on\": [\"stop\"]"), "k",
	    "retry_on", "\"stop\" is not one of");
	LOAD_REFUSED(WITH_RETRY("\"retry_on\": [\"unwatched\"]"), "k",
	    "retry_on", "is not one of");
	LOAD_REFUSED(WITH_RETRY("\"retry_on\": [1]"), "k", "retry_on",
	    "is not one of");
	LOAD_REFUSED(WITH_RETRY("\"retry_on\": [\"lost\", \"lost\"]"),
	    "k", "retry_on", "\"lost\" appears twice");
	/* An external task is retried by its worker, never here. */
	LOAD_REFUSED("{\"kinds\": [{\"name\": \"k\", \"external\": true, "
	    "\"retries\": 2}]}", "k", "retries", "runs nothing");
	LOAD_REFUSED("{\"kinds\": [{\"name\": \"k\", \"external\": true, "
	    "\"retry_on\": [\"lost\"]}]}", "k", "retry_on", "runs nothing");
}

static void
load_refuses_unknown_builtin(void)
{
	LOAD_REFUSED("{\"kinds\": [{\"name\": \"k\", \"builtin\": \"sleep\"}]}",
	    "k", "builtin", "unknown builtin");
	LOAD_REFUSED("{\"kinds\": [{\"name\": \"k\", \"builtin\": true}]}",
	    "k", "builtin", "unknown builtin");
}

static void
load_refuses_param_with_unknown_type(void)
{
	LOAD_REFUSED(WITH_PARAM("\"x\": {\"type\": \"float\"}"), "k",
	    "params.x.type", "unknown type \"float\"");
	LOAD_REFUSED(WITH_PARAM("\"x\": {\"min\": 1}"), "k",
	    "params.x.type", "must be one of");
}

static void
load_refuses_param_that_is_not_an_object(void)
{
	LOAD_REFUSED(WITH_PARAM("\"x\": 5"), "k", "params.x",
	    "must be an object");
}

static void
load_refuses_unknown_field_on_param(void)
{
	LOAD_REFUSED(WITH_PARAM("\"x\": {\"type\": \"integer\", "
	    "\"pattern\": \"a\"}"), "k", "params.x.pattern", "unknown field");
}

static void
load_refuses_min_above_max(void)
{
	LOAD_REFUSED(WITH_PARAM("\"x\": {\"type\": \"integer\", \"min\": 5, "
	    "\"max\": 1}"), "k", "params.x.min", "above max");
	LOAD_REFUSED(WITH_PARAM("\"x\": {\"type\": \"number\", \"min\": 0.6, "
	    "\"max\": 0.5}"), "k", "params.x.min", "above max");
}

static void
load_refuses_min_that_is_not_a_number(void)
{
	LOAD_REFUSED(WITH_PARAM("\"x\": {\"type\": \"number\", "
	    "\"min\": \"1\"}"), "k", "params.x.min", "must be a number");
	LOAD_REFUSED(WITH_PARAM("\"x\": {\"type\": \"integer\", "
	    "\"max\": null}"), "k", "params.x.max", "must be an integer");
}

static void
load_refuses_integer_min_of_1_5(void)
{
	LOAD_REFUSED(WITH_PARAM("\"x\": {\"type\": \"integer\", "
	    "\"min\": 1.5}"), "k", "params.x.min", "must be an integer");
}

static void
load_refuses_default_out_of_range(void)
{
	LOAD_REFUSED(WITH_PARAM("\"x\": {\"type\": \"integer\", \"min\": 1, "
	    "\"max\": 5, \"default\": 9}"), "k", "params.x.default",
	    "from 1 to 5");
	LOAD_REFUSED(WITH_PARAM("\"x\": {\"type\": \"number\", \"min\": 1, "
	    "\"default\": 0.5}"), "k", "params.x.default", "at least 1");
}

static void
load_refuses_default_of_wrong_type(void)
{
	LOAD_REFUSED(WITH_PARAM("\"x\": {\"type\": \"boolean\", "
	    "\"default\": \"yes\"}"), "k", "params.x.default",
	    "true or false");
	LOAD_REFUSED(WITH_PARAM("\"x\": {\"type\": \"integer\", "
	    "\"default\": \"5\"}"), "k", "params.x.default",
	    "must be an integer");
	LOAD_REFUSED(WITH_PARAM("\"x\": {\"type\": \"string\", "
	    "\"default\": 5}"), "k", "params.x.default", "must be a string");
}

static void
load_refuses_default_breaking_string_rules(void)
{
	LOAD_REFUSED(WITH_PARAM("\"x\": {\"type\": \"string\", \"pattern\": "
	    "\"^a+$\", \"default\": \"b\"}"), "k", "params.x.default",
	    "must match ^a+$");
	LOAD_REFUSED(WITH_PARAM("\"x\": {\"type\": \"string\", \"enum\": "
	    "[\"a\"], \"default\": \"b\"}"), "k", "params.x.default",
	    "must be one of");
}

static void
load_refuses_bad_regex_pattern(void)
{
	LOAD_REFUSED(WITH_PARAM("\"x\": {\"type\": \"string\", "
	    "\"pattern\": \"([a-z\"}"), "k", "params.x.pattern",
	    "regular expression");
	LOAD_REFUSED(WITH_PARAM("\"x\": {\"type\": \"string\", "
	    "\"pattern\": 5}"), "k", "params.x.pattern", "must be a string");
}

static void
load_refuses_empty_enum(void)
{
	LOAD_REFUSED(WITH_PARAM("\"x\": {\"type\": \"string\", \"enum\": []}"),
	    "k", "params.x.enum", "non-empty array of strings");
}

static void
load_refuses_enum_of_non_strings(void)
{
	LOAD_REFUSED(WITH_PARAM("\"x\": {\"type\": \"string\", \"enum\": "
	    "[\"a\", 1]}"), "k", "params.x.enum", "array of strings");
	LOAD_REFUSED(WITH_PARAM("\"x\": {\"type\": \"string\", \"enum\": "
	    "\"a\"}"), "k", "params.x.enum", "array of strings");
}

static void
load_refuses_enum_with_duplicate_entries(void)
{
	LOAD_REFUSED(WITH_PARAM("\"x\": {\"type\": \"string\", \"enum\": "
	    "[\"a\", \"b\", \"a\"]}"), "k", "params.x.enum",
	    "\"a\" appears twice");
}

static void
load_refuses_max_length_0(void)
{
	LOAD_REFUSED(WITH_PARAM("\"x\": {\"type\": \"string\", "
	    "\"max_length\": 0}"), "k", "params.x.max_length",
	    "positive integer");
	LOAD_REFUSED(WITH_PARAM("\"x\": {\"type\": \"string\", "
	    "\"max_length\": 2.5}"), "k", "params.x.max_length",
	    "positive integer");
}

/*
 * Writes into buf a kind "k" whose string parameter x has key ("enum" or
 * "pattern") of n "a"s: one choice, or the pattern itself. Returns buf.
 */
static const char *
with_long_rule(const char *key, size_t n, char *buf, size_t len)
{
	char	 a[1024];
	int	 choice = strcmp(key, "enum") == 0;

	memset(a, 'a', n);
	a[n] = '\0';
	snprintf(buf, len, WITH_PARAM("\"x\": {\"type\": \"string\", "
	    "\"%s\": %s\"%s\"%s}"), key, choice ? "[" : "", a,
	    choice ? "]" : "");
	return buf;
}

static void
load_refuses_enum_whose_refusal_would_be_cut(void)
{
	char	 text[2048];

	/* "must be one of \"a...\"": 17 bytes and the choice. */
	kinds_free(kinds_unit_load(with_long_rule("enum",
	    HG_KIND_RULE_MAX - 17, text, sizeof(text))));
	LOAD_REFUSED(with_long_rule("enum", HG_KIND_RULE_MAX - 16, text,
	    sizeof(text)), "k", "params.x.enum", "the choices take 385 bytes "
	    "listed in a refusal; at most 384");
}

static void
load_refuses_pattern_whose_refusal_would_be_cut(void)
{
	char	 text[2048];

	/* "must match a...": 11 bytes and the pattern. */
	kinds_free(kinds_unit_load(with_long_rule("pattern",
	    HG_KIND_RULE_MAX - 11, text, sizeof(text))));
	LOAD_REFUSED(with_long_rule("pattern", HG_KIND_RULE_MAX - 10, text,
	    sizeof(text)), "k", "params.x.pattern", "at most 373 bytes");
}

static void
load_refuses_bad_param_name(void)
{
	LOAD_REFUSED(WITH_PARAM("\"a-b\": {\"type\": \"string\"}"), "k",
	    "params.a-b", "letters, digits and _");
	LOAD_REFUSED(WITH_PARAM("\"\": {\"type\": \"string\"}"), "k",
	    "params.", "letters, digits and _");
}

static void
load_refuses_builtin_count_without_integer_total(void)
{
	LOAD_REFUSED("{\"kinds\": [{\"name\": \"k\", \"builtin\": \"count\", "
	    "\"params\": {\"delay_ms\": {\"type\": \"integer\", \"min\": 0}}}"
	    "]}", "k", "params.total", "integer parameter total");
	LOAD_REFUSED("{\"kinds\": [{\"name\": \"k\", \"builtin\": \"count\", "
	    "\"params\": {\"total\": {\"type\": \"number\", \"min\": 1}, "
	    "\"delay_ms\": {\"type\": \"integer\", \"min\": 0}}}]}", "k",
	    "params.total", "integer parameter total");
}

static void
load_refuses_duplicate_param_names(void)
{
	LOAD_REFUSED(WITH_PARAM("\"x\": {\"type\": \"string\"}, "
	    "\"x\": {\"type\": \"boolean\"}"), NULL, "JSON",
	    "duplicate key \"x\"");
}

/* A command kind "k" with a parameter cpus and slurm as given. */
#define SLURM_KIND(slurm)						\
	"{\"kinds\": [{\"name\": \"k\", \"command\": [\"hostname\"], "	\
	"\"params\": {\"cpus\": {\"type\": \"integer\", \"min\": 1, "	\
	"\"default\": 1}}, \"slurm\": " slurm "}]}"

static void
load_reads_slurm_options(void)
{
	struct kinds	*ks = kinds_unit_load(SLURM_KIND("{\"options\": "
	    "[\"--partition=batch\", \"--cpus-per-task={cpus}\", "
	    "\"--exclusive\", \"--time-min=5\"]}"));
	const struct kind *k;
	cJSON		*params = cJSON_Parse("{\"cpus\": 4}");
	char		**opts;

	CHECK(ks != NULL && params != NULL);
	if (ks == NULL || params == NULL)
		goto out;
	k = kinds_find(ks, "k");
	CHECK(k->slurm);
	/* --time-min is an option of its own, not --time cut short. */
	CHECK_INT(k->slurm_nopts, 4);
	opts = kinds_slurm_options(k, params);
	CHECK(opts != NULL);
	if (opts != NULL) {
		CHECK_STR(opts[0], "--partition=batch");
		CHECK_STR(opts[1], "--cpus-per-task=4");
		CHECK_STR(opts[2], "--exclusive");
		CHECK_STR(opts[3], "--time-min=5");
		CHECK(opts[4] == NULL);
	}
	kinds_argv_free(opts);
out:
	cJSON_Delete(params);
	kinds_free(ks);
}

static void
load_reads_slurm_without_options(void)
{
	struct kinds	*ks = kinds_unit_load(SLURM_KIND("{}"));

	CHECK(ks != NULL);
	if (ks != NULL) {
		CHECK(ks->v[0].slurm);
		CHECK_INT(ks->v[0].slurm_nopts, 0);
		CHECK(!ks->v[0].external);
	}
	kinds_free(ks);
}

static void
load_refuses_slurm_kind_without_command(void)
{
	LOAD_REFUSED("{\"kinds\": [{\"name\": \"k\", \"slurm\": "
	    "{\"options\": []}}]}", "k", "slurm", "needs \"command\"");
	LOAD_REFUSED("{\"kinds\": [{\"name\": \"k\", \"builtin\": "
	    "\"count\", \"params\": {\"total\": {\"type\": \"integer\", "
	    "\"min\": 1, \"default\": 1}, \"delay_ms\": {\"type\": "
	    "\"integer\", \"min\": 0, \"default\": 0}}, \"slurm\": {}}]}",
	    "k", "slurm", "not a builtin");
	LOAD_REFUSED("{\"kinds\": [{\"name\": \"k\", \"external\": true, "
	    "\"slurm\": {}}]}", "k", "slurm", "external kind");
}

static void
load_refuses_malformed_slurm_options(void)
{
	LOAD_REFUSED(SLURM_KIND("[\"--partition=batch\"]"), "k", "slurm",
	    "must be an object");
	LOAD_REFUSED(SLURM_KIND("{\"opts\": []}"), "k", "slurm.opts",
	    "unknown field");
	LOAD_REFUSED(SLURM_KIND("{\"options\": \"--exclusive\"}"), "k",
	    "slurm.options", "must be an array");
	LOAD_REFUSED(SLURM_KIND("{\"options\": [\"--exclusive\", 4]}"),
	    "k", "slurm.options[1]", "must be a string");
	LOAD_REFUSED(SLURM_KIND("{\"options\": [\"-p\", \"batch\"]}"),
	    "k", "slurm.options[0]", "\"--name\" or \"--name=value\"");
	LOAD_REFUSED(SLURM_KIND("{\"options\": [\"--partition\", "
	    "\"batch\"]}"), "k", "slurm.options[1]", "not \"batch\"");
	LOAD_REFUSED(SLURM_KIND("{\"options\": [\"--\"]}"), "k",
	    "slurm.options[0]", "one sbatch option");
	LOAD_REFUSED(SLURM_KIND("{\"options\": [\"--Partition=x\"]}"), "k",
	    "slurm.options[0]", "one sbatch option");
	LOAD_REFUSED(SLURM_KIND("{\"options\": [\"--comment=a\\nb\"]}"),
	    "k", "slurm.options[0]", "one line");
	LOAD_REFUSED(SLURM_KIND("{\"options\": [\"--mem={memory}\"]}"),
	    "k", "slurm.options[0]", "placeholder {memory} names no "
	    "parameter");
	LOAD_REFUSED(SLURM_KIND("{\"options\": [\"--mem={cpus\"]}"),
	    "k", "slurm.options[0]", "\"{\" without \"}\"");
	LOAD_REFUSED(SLURM_KIND("{\"options\": [\"--time=10\"]}"), "k",
	    "slurm.options[0]", "sets --time itself (from timeout_s)");
	LOAD_REFUSED(SLURM_KIND("{\"options\": [\"--output=/tmp/x\"]}"),
	    "k", "slurm.options[0]", "sets --output itself");
	LOAD_REFUSED(SLURM_KIND("{\"options\": [\"--job-name=x\"]}"), "k",
	    "slurm.options[0]", "sets --job-name itself");
	/* sbatch takes any prefix that names one option. */
	LOAD_REFUSED(SLURM_KIND("{\"options\": [\"--outp=/tmp/x\"]}"),
	    "k", "slurm.options[0]", "sets --output itself (sbatch may read "
	    "--outp as --output)");
	LOAD_REFUSED(SLURM_KIND("{\"options\": [\"--job-nam=x\"]}"), "k",
	    "slurm.options[0]", "sets --job-name itself");
	LOAD_REFUSED(SLURM_KIND("{\"options\": [\"--tim=1\"]}"), "k",
	    "slurm.options[0]", "sets --time itself");
	LOAD_REFUSED(SLURM_KIND("{\"options\": [\"--wra=id\"]}"), "k",
	    "slurm.options[0]", "sets --wrap itself");
}

/* ---- kept between loads ---- */

/* Rewrites the test's kinds file as a new file renamed over it. */
static void
replace_kinds(const char *text)
{
	char	 tmp[sizeof(unit_kinds_path) + 8];
	FILE	*f;

	snprintf(tmp, sizeof(tmp), "%s.new", unit_kinds_path);
	if ((f = fopen(tmp, "w")) == NULL || fputs(text, f) < 0 ||
	    fclose(f) != 0 || rename(tmp, unit_kinds_path) != 0) {
		perror(tmp);
		abort();
	}
}

static void
pause_ms(long ms)
{
	struct timespec	 ts = { ms / 1000, (ms % 1000) * 1000000 };

	while (nanosleep(&ts, &ts) == -1)
		;
}

static void
cached_reads_the_file_again_only_when_it_changed(void)
{
	struct kinds_cache	 c;
	const struct kinds	*ks, *again;
	char			 err[1024], text[sizeof(GOOD_FILE)], *p;

	memset(&c, 0, sizeof(c));
	unit_write_kinds(GOOD_FILE);
	/* Written less than settle_ms before the read: another write in
	 * the same step of the file's times would leave them as they are,
	 * so it is read again. */
	c.settle_ms = 60000;
	CHECK((ks = kinds_cached(&c, unit_kinds_path, err, sizeof(err))) !=
	    NULL);
	CHECK_INT(c.loads, 1);
	CHECK(kinds_cached(&c, unit_kinds_path, err, sizeof(err)) != NULL);
	CHECK_INT(c.loads, 2);
	/* Older than settle_ms at the read: kept from then on. */
	c.settle_ms = 1;
	pause_ms(20);
	CHECK((ks = kinds_cached(&c, unit_kinds_path, err, sizeof(err))) !=
	    NULL);
	CHECK_INT(c.loads, 3);
	/* Settled and unchanged: kept. */
	CHECK((again = kinds_cached(&c, unit_kinds_path, err, sizeof(err))) ==
	    ks);
	CHECK_INT(c.loads, 3);

	/* Rewritten in place, the same size: its times moved. */
	snprintf(text, sizeof(text), "%s", GOOD_FILE);
	CHECK((p = strstr(text, "mixed.kind-1")) != NULL);
	if (p != NULL)
		p[11] = '2';
	unit_write_kinds(text);
	CHECK((ks = kinds_cached(&c, unit_kinds_path, err, sizeof(err))) !=
	    NULL);
	CHECK_INT(c.loads, 4);
	CHECK(ks != NULL && kinds_find(ks, "mixed.kind-2") != NULL);
	CHECK(ks != NULL && kinds_find(ks, "mixed.kind-1") == NULL);

	/* Replaced by another file (an editor's save, a deploy): another
	 * inode, read again whether or not the last read was trusted. */
	replace_kinds(GOOD_FILE);
	CHECK((ks = kinds_cached(&c, unit_kinds_path, err, sizeof(err))) !=
	    NULL);
	CHECK_INT(c.loads, 5);
	CHECK(ks != NULL && kinds_find(ks, "mixed.kind-1") != NULL);

	/* Gone: the error kinds_load gives, and nothing kept. */
	CHECK(unlink(unit_kinds_path) == 0);
	CHECK(kinds_cached(&c, unit_kinds_path, err, sizeof(err)) == NULL);
	CHECK_HAS(err, unit_kinds_path);
	CHECK_HAS(err, "No such file");
	CHECK(c.ks == NULL);
	unit_write_kinds(GOOD_FILE);
	CHECK(kinds_cached(&c, unit_kinds_path, err, sizeof(err)) != NULL);
	CHECK_INT(c.loads, 6);
	kinds_cache_free(&c);
	CHECK(c.ks == NULL);
}

static void
cached_refuses_a_bad_file_as_load_does(void)
{
	struct kinds_cache	 c;
	char			 err[1024];

	memset(&c, 0, sizeof(c));
	unit_write_kinds(GOOD_FILE);
	CHECK(kinds_cached(&c, unit_kinds_path, err, sizeof(err)) != NULL);
	unit_write_kinds(WITH_PARAM("\"x\": {\"type\": \"integer\", "
	    "\"min\": 5, \"max\": 1}"));
	CHECK(kinds_cached(&c, unit_kinds_path, err, sizeof(err)) == NULL);
	CHECK_HAS(err, unit_kinds_path);
	CHECK_HAS(err, "kind \"k\"");
	CHECK_HAS(err, "params.x");
	CHECK(c.ks == NULL);
	kinds_cache_free(&c);
}

static const struct unit_test tests[] = {
	UNIT(load_accepts_spec_count_kind_and_mixed_kind),
	UNIT(load_reads_count_kind_as_declared),
	UNIT(load_reads_each_param_type_and_rule),
	UNIT(find_returns_kind_by_exact_name),
	UNIT(kind_param_returns_null_for_undeclared),
	UNIT(free_accepts_null),
	UNIT(load_refuses_missing_file),
	UNIT(load_takes_a_file_of_4_mib_and_refuses_one_byte_more),
	UNIT(load_refuses_text_that_is_not_json),
	UNIT(load_refuses_top_level_not_an_object),
	UNIT(load_refuses_file_without_kinds_array),
	UNIT(load_refuses_empty_kinds_array),
	UNIT(load_refuses_unknown_top_level_field),
	UNIT(load_refuses_kind_without_name),
	UNIT(load_refuses_kind_name_with_bad_characters),
	UNIT(load_refuses_kind_that_is_not_an_object),
	UNIT(load_refuses_duplicate_kind_name),
	UNIT(load_refuses_params_alike_but_for_case),
	UNIT(load_refuses_unknown_field_on_kind),
	UNIT(load_refuses_kind_without_builtin),
	UNIT(load_refuses_unknown_builtin),
	UNIT(load_reads_external_and_while_watched),
	UNIT(load_refuses_bad_external_kinds),
	UNIT(load_reads_retries_and_their_defaults),
	UNIT(load_refuses_bad_retry_fields),
	UNIT(load_refuses_param_with_unknown_type),
	UNIT(load_refuses_param_that_is_not_an_object),
	UNIT(load_refuses_unknown_field_on_param),
	UNIT(load_refuses_min_above_max),
	UNIT(load_refuses_min_that_is_not_a_number),
	UNIT(load_refuses_integer_min_of_1_5),
	UNIT(load_refuses_default_out_of_range),
	UNIT(load_refuses_default_of_wrong_type),
	UNIT(load_refuses_default_breaking_string_rules),
	UNIT(load_refuses_bad_regex_pattern),
	UNIT(load_refuses_empty_enum),
	UNIT(load_refuses_enum_of_non_strings),
	UNIT(load_refuses_enum_with_duplicate_entries),
	UNIT(load_refuses_max_length_0),
	UNIT(load_refuses_enum_whose_refusal_would_be_cut),
	UNIT(load_refuses_pattern_whose_refusal_would_be_cut),
	UNIT(load_refuses_bad_param_name),
	UNIT(load_refuses_builtin_count_without_integer_total),
	UNIT(load_refuses_duplicate_param_names),
	UNIT(load_reads_slurm_options),
	UNIT(load_reads_slurm_without_options),
	UNIT(load_refuses_slurm_kind_without_command),
	UNIT(load_refuses_malformed_slurm_options),
	UNIT(cached_reads_the_file_again_only_when_it_changed),
	UNIT(cached_refuses_a_bad_file_as_load_does),
};

int
main(int argc, char **argv)
{
	UNIT_MAIN(tests, argc, argv);
}
