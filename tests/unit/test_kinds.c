/*
 * lib/kinds: loading kinds files written into the test's folder, the
 * loader's refusals (each naming file, kind and field), and the check of
 * a client's params against a kind.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"
#include "kinds.h"
#include "kinds/kinds_int.h"
#include "unit.h"

/* The spec's reference kind, as kinds.json ships it. */
#define COUNT_KIND							\
	"{\"name\": \"count\", \"builtin\": \"count\",\n"		\
	" \"description\": \"Counts from 1 to total, one step every "	\
	"delay_ms\",\n"							\
	" \"params\": {\"total\": {\"type\": \"integer\", \"min\": 1, "	\
	"\"max\": 1000000, \"default\": 150},\n"			\
	"  \"delay_ms\": {\"type\": \"integer\", \"min\": 0, "		\
	"\"max\": 60000, \"default\": 50}}}"

/* One of each parameter type and rule. */
#define MIXED_KIND							\
	"{\"name\": \"mixed.kind-1\", \"builtin\": \"count\",\n"	\
	" \"description\": \"every rule\",\n"				\
	" \"params\": {\n"						\
	"  \"total\": {\"type\": \"integer\", \"min\": 1, \"max\": 10, "	\
	"\"default\": 3},\n"						\
	"  \"delay_ms\": {\"type\": \"integer\", \"min\": 0, "		\
	"\"default\": 0},\n"						\
	"  \"file\": {\"type\": \"string\", \"description\": \"a name\", " \
	"\"pattern\": \"^[a-z]+$\", \"max_length\": 5},\n"		\
	"  \"color\": {\"type\": \"string\", \"enum\": [\"red\", "	\
	"\"green\"], \"default\": \"red\"},\n"				\
	"  \"label\": {\"type\": \"string\", \"max_length\": 3, "	\
	"\"default\": \"ab\"},\n"					\
	"  \"ratio\": {\"type\": \"number\", \"min\": 0.5, \"max\": 2.5, "	\
	"\"default\": 1},\n"						\
	"  \"loud\": {\"type\": \"boolean\", \"default\": false}}}"

#define GOOD_FILE	"{\"kinds\": [" COUNT_KIND ",\n" MIXED_KIND "]}\n"

/*
 * A kind "k" that would load, with one more parameter declared as decl
 * ("\"x\": {...}"), to try the loader's rules for parameters.
 */
#define WITH_PARAM(decl)						\
	"{\"kinds\": [{\"name\": \"k\", \"builtin\": \"count\", "	\
	"\"params\": {\"total\": {\"type\": \"integer\", \"min\": 1, "	\
	"\"default\": 1}, \"delay_ms\": {\"type\": \"integer\", "	\
	"\"min\": 0, \"default\": 0}, " decl "}}]}"

static struct kinds *
load_text(const char *text, char *err, size_t errlen)
{
	err[0] = '\0';
	return kinds_load(unit_write_kinds(text), err, errlen);
}

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

static struct kinds *
load_good(void)
{
	char		 err[1024];
	struct kinds	*ks;

	if ((ks = load_text(GOOD_FILE, err, sizeof(err))) == NULL) {
		unit_fail(__FILE__, __LINE__, err);
		exit(1);
	}
	return ks;
}

static cJSON *
parse(const char *s)
{
	struct hg_err	 e;
	cJSON		*d;

	if ((d = json_parse(s, strlen(s), &e)) == NULL) {
		unit_fail(__FILE__, __LINE__, e.msg);
		exit(1);
	}
	return d;
}

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
public_json_lists_name_description_params(void)
{
	struct kinds	*ks = load_good();
	cJSON		*d = parse(ks->public_json), *arr, *k;
	const cJSON	*total;
	int		 i = 0;

	CHECK_INT(ks->public_len, strlen(ks->public_json));
	arr = cJSON_GetObjectItemCaseSensitive(d, "kinds");
	CHECK(cJSON_IsArray(arr) && cJSON_GetArraySize(arr) == 2);
	cJSON_ArrayForEach(k, arr) {
		CHECK_INT(cJSON_GetArraySize(k), 3);
		CHECK_STR(cJSON_GetStringValue(
		    cJSON_GetObjectItemCaseSensitive(k, "name")),
		    ks->v[i].name);
		CHECK_STR(cJSON_GetStringValue(
		    cJSON_GetObjectItemCaseSensitive(k, "description")),
		    ks->v[i].description);
		CHECK(cJSON_IsObject(cJSON_GetObjectItemCaseSensitive(k,
		    "params")));
		i++;
	}
	k = cJSON_GetArrayItem(arr, 0);
	total = cJSON_GetObjectItemCaseSensitive(
	    cJSON_GetObjectItemCaseSensitive(k, "params"), "total");
	CHECK_STR(cJSON_GetStringValue(
	    cJSON_GetObjectItemCaseSensitive(total, "type")), "integer");
	CHECK(cJSON_GetNumberValue(
	    cJSON_GetObjectItemCaseSensitive(total, "default")) == 150);
	/* Nothing but name, description and params: "builtin" stays in. */
	CHECK(strstr(ks->public_json, "builtin") == NULL);
	cJSON_Delete(d);
	kinds_free(ks);
}

static void
public_json_gives_empty_description_and_params_when_absent(void)
{
	char		 err[1024];
	struct kinds	*ks;

	/* A builtin count needs its params, so only description may go. */
	ks = load_text("{\"kinds\": [{\"name\": \"bare\", \"builtin\": "
	    "\"count\", \"params\": {\"total\": {\"type\": \"integer\", "
	    "\"min\": 1}, \"delay_ms\": {\"type\": \"integer\", \"min\": 0}}"
	    "}]}", err, sizeof(err));
	CHECK(ks != NULL);
	if (ks == NULL) {
		unit_fail(__FILE__, __LINE__, err);
		return;
	}
	CHECK_STR(ks->v[0].description, "");
	CHECK_HAS(ks->public_json, "\"description\":\"\"");
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

/* ---- kinds_params_check ---- */

/*
 * Checks that params (JSON text, or NULL to leave them out) are refused
 * for kind with 422 invalid_params and exactly the message want.
 */
#define PARAMS_REFUSED(ks, kind, text, want) do {			\
	struct hg_err	 e_;						\
	const char	*t_ = (text);					\
	cJSON		*in_ = t_ != NULL ? parse(t_) : NULL;		\
	cJSON		*out_;						\
									\
	memset(&e_, 0, sizeof(e_));					\
	out_ = kinds_params_check(kinds_find((ks), (kind)), in_, &e_);	\
	CHECK(out_ == NULL);						\
	CHECK_INT(e_.status, 422);					\
	CHECK_STR(e_.code, "invalid_params");				\
	CHECK_STR(e_.msg, (want));					\
	cJSON_Delete(out_);						\
	cJSON_Delete(in_);						\
} while (0)

/*
 * Checks params for kind; returns the printed result (caller frees), or
 * NULL after recording a failure.
 */
static char *
params_ok(const struct kinds *ks, const char *kind, const char *text)
{
	struct hg_err	 e;
	cJSON		*in = text != NULL ? parse(text) : NULL, *out;
	char		*s = NULL;

	memset(&e, 0, sizeof(e));
	out = kinds_params_check(kinds_find(ks, kind), in, &e);
	if (out == NULL)
		unit_fail(__FILE__, __LINE__, e.msg);
	else
		s = json_print(out);
	cJSON_Delete(out);
	cJSON_Delete(in);
	return s;
}

#define PARAMS_GIVE(ks, kind, text, want) do {				\
	char	*s_ = params_ok((ks), (kind), (text));			\
									\
	CHECK_STR(s_, (want));						\
	free(s_);							\
} while (0)

static void
params_fills_defaults(void)
{
	struct kinds	*ks = load_good();

	PARAMS_GIVE(ks, "count", "{}", "{\"total\":150,\"delay_ms\":50}");
	PARAMS_GIVE(ks, "count", "{\"delay_ms\":7}",
	    "{\"total\":150,\"delay_ms\":7}");
	kinds_free(ks);
}

static void
params_output_is_in_declaration_order(void)
{
	struct kinds	*ks = load_good();

	PARAMS_GIVE(ks, "mixed.kind-1", "{\"loud\":true,\"file\":\"abc\","
	    "\"total\":2}", "{\"total\":2,\"delay_ms\":0,\"file\":\"abc\","
	    "\"color\":\"red\",\"label\":\"ab\",\"ratio\":1,\"loud\":true}");
	kinds_free(ks);
}

static void
params_null_pointer_is_empty_object(void)
{
	struct kinds	*ks = load_good();

	PARAMS_GIVE(ks, "count", NULL, "{\"total\":150,\"delay_ms\":50}");
	PARAMS_REFUSED(ks, "mixed.kind-1", NULL, "params.file: required");
	kinds_free(ks);
}

static void
params_json_null_is_empty_object(void)
{
	struct kinds	*ks = load_good();

	PARAMS_GIVE(ks, "count", "null", "{\"total\":150,\"delay_ms\":50}");
	PARAMS_REFUSED(ks, "mixed.kind-1", "null", "params.file: required");
	kinds_free(ks);
}

static void
params_output_outlives_input(void)
{
	struct kinds	*ks = load_good();
	struct hg_err	 e;
	cJSON		*in = parse("{\"file\":\"abc\",\"color\":\"green\"}");
	cJSON		*out;
	char		*s;

	out = kinds_params_check(kinds_find(ks, "mixed.kind-1"), in, &e);
	cJSON_Delete(in);
	CHECK(out != NULL);
	s = json_print(out);
	CHECK_HAS(s, "\"file\":\"abc\",\"color\":\"green\"");
	free(s);
	cJSON_Delete(out);
	kinds_free(ks);
}

static void
params_not_an_object_is_422(void)
{
	struct kinds	*ks = load_good();

	PARAMS_REFUSED(ks, "count", "[]", "params: must be an object");
	PARAMS_REFUSED(ks, "count", "\"total=5\"", "params: must be an object");
	PARAMS_REFUSED(ks, "count", "5", "params: must be an object");
	PARAMS_REFUSED(ks, "count", "false", "params: must be an object");
	kinds_free(ks);
}

static void
params_unknown_param_is_422(void)
{
	struct kinds	*ks = load_good();

	PARAMS_REFUSED(ks, "count", "{\"total\":5,\"bogus\":1}",
	    "params.bogus: unknown parameter of kind count");
	/* Names are case-sensitive. */
	PARAMS_REFUSED(ks, "count", "{\"Total\":5}",
	    "params.Total: unknown parameter of kind count");
	kinds_free(ks);
}

static void
params_missing_required_is_422(void)
{
	struct kinds	*ks = load_good();

	PARAMS_REFUSED(ks, "mixed.kind-1", "{\"total\":2}",
	    "params.file: required");
	kinds_free(ks);
}

static void
params_integer_refuses_1_5(void)
{
	struct kinds	*ks = load_good();

	PARAMS_REFUSED(ks, "count", "{\"total\":1.5}",
	    "params.total: must be an integer from 1 to 1000000");
	kinds_free(ks);
}

static void
params_integer_refuses_string_5(void)
{
	struct kinds	*ks = load_good();

	PARAMS_REFUSED(ks, "count", "{\"total\":\"5\"}",
	    "params.total: must be an integer from 1 to 1000000");
	kinds_free(ks);
}

static void
params_integer_refuses_true(void)
{
	struct kinds	*ks = load_good();

	PARAMS_REFUSED(ks, "count", "{\"total\":true}",
	    "params.total: must be an integer from 1 to 1000000");
	kinds_free(ks);
}

static void
params_integer_refuses_1e300(void)
{
	struct kinds	*ks = load_good();

	PARAMS_REFUSED(ks, "count", "{\"total\":1e300}",
	    "params.total: must be an integer from 1 to 1000000");
	PARAMS_REFUSED(ks, "count", "{\"total\":1e400}",
	    "params.total: must be an integer from 1 to 1000000");
	kinds_free(ks);
}

static void
params_integer_refuses_null(void)
{
	struct kinds	*ks = load_good();

	/* An explicit null is a value, not "left out". */
	PARAMS_REFUSED(ks, "count", "{\"total\":null}",
	    "params.total: must be an integer from 1 to 1000000");
	kinds_free(ks);
}

static void
params_integer_below_min_is_422(void)
{
	struct kinds	*ks = load_good();

	PARAMS_REFUSED(ks, "count", "{\"total\":0}",
	    "params.total: must be an integer from 1 to 1000000");
	PARAMS_REFUSED(ks, "count", "{\"total\":-5}",
	    "params.total: must be an integer from 1 to 1000000");
	kinds_free(ks);
}

static void
params_integer_above_max_is_422(void)
{
	struct kinds	*ks = load_good();

	PARAMS_REFUSED(ks, "count", "{\"total\":1000001}",
	    "params.total: must be an integer from 1 to 1000000");
	kinds_free(ks);
}

static void
params_integer_accepts_bounds(void)
{
	struct kinds	*ks = load_good();

	PARAMS_GIVE(ks, "count", "{\"total\":1,\"delay_ms\":0}",
	    "{\"total\":1,\"delay_ms\":0}");
	PARAMS_GIVE(ks, "count", "{\"total\":1000000,\"delay_ms\":60000}",
	    "{\"total\":1000000,\"delay_ms\":60000}");
	kinds_free(ks);
}

static void
params_integer_with_min_only_names_min(void)
{
	struct kinds	*ks = load_good();

	PARAMS_REFUSED(ks, "mixed.kind-1", "{\"file\":\"a\",\"delay_ms\":-1}",
	    "params.delay_ms: must be an integer of at least 0");
	kinds_free(ks);
}

static void
params_number_refuses_string(void)
{
	struct kinds	*ks = load_good();

	PARAMS_REFUSED(ks, "mixed.kind-1", "{\"file\":\"a\",\"ratio\":\"1\"}",
	    "params.ratio: must be a number from 0.5 to 2.5");
	kinds_free(ks);
}

static void
params_number_out_of_range_is_422(void)
{
	struct kinds	*ks = load_good();

	PARAMS_REFUSED(ks, "mixed.kind-1", "{\"file\":\"a\",\"ratio\":2.51}",
	    "params.ratio: must be a number from 0.5 to 2.5");
	PARAMS_REFUSED(ks, "mixed.kind-1", "{\"file\":\"a\",\"ratio\":0.4}",
	    "params.ratio: must be a number from 0.5 to 2.5");
	PARAMS_REFUSED(ks, "mixed.kind-1", "{\"file\":\"a\",\"ratio\":1e400}",
	    "params.ratio: must be a number from 0.5 to 2.5");
	kinds_free(ks);
}

static void
params_number_accepts_fractions_within_range(void)
{
	struct kinds	*ks = load_good();
	char		*s;

	s = params_ok(ks, "mixed.kind-1", "{\"file\":\"a\",\"ratio\":0.5}");
	CHECK_HAS(s, "\"ratio\":0.5");
	free(s);
	s = params_ok(ks, "mixed.kind-1", "{\"file\":\"a\",\"ratio\":2.5}");
	CHECK_HAS(s, "\"ratio\":2.5");
	free(s);
	kinds_free(ks);
}

static void
params_string_not_matching_pattern_is_422(void)
{
	struct kinds	*ks = load_good();

	PARAMS_REFUSED(ks, "mixed.kind-1", "{\"file\":\"ABC\"}",
	    "params.file: must match ^[a-z]+$");
	PARAMS_REFUSED(ks, "mixed.kind-1", "{\"file\":\"\"}",
	    "params.file: must match ^[a-z]+$");
	PARAMS_REFUSED(ks, "mixed.kind-1", "{\"file\":\"ab/c\"}",
	    "params.file: must match ^[a-z]+$");
	kinds_free(ks);
}

static void
params_string_refuses_non_string(void)
{
	struct kinds	*ks = load_good();

	PARAMS_REFUSED(ks, "mixed.kind-1", "{\"file\":5}",
	    "params.file: must be a string");
	kinds_free(ks);
}

static void
params_string_too_long_is_422(void)
{
	struct kinds	*ks = load_good();

	PARAMS_REFUSED(ks, "mixed.kind-1", "{\"file\":\"abcdef\"}",
	    "params.file: must be at most 5 characters");
	PARAMS_REFUSED(ks, "mixed.kind-1", "{\"file\":\"a\",\"label\":"
	    "\"abcd\"}", "params.label: must be at most 3 characters");
	kinds_free(ks);
}

static void
params_string_length_counts_code_points(void)
{
	struct kinds	*ks = load_good();
	char		*s;

	/* 3 code points in 9 bytes, with max_length 3. */
	s = params_ok(ks, "mixed.kind-1", "{\"file\":\"a\",\"label\":"
	    "\"\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\"}");
	CHECK_HAS(s, "\"label\":\"\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\"");
	free(s);
	PARAMS_REFUSED(ks, "mixed.kind-1", "{\"file\":\"a\",\"label\":"
	    "\"\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80z\"}",
	    "params.label: must be at most 3 characters");
	kinds_free(ks);
}

static void
params_enum_miss_lists_choices(void)
{
	struct kinds	*ks = load_good();

	PARAMS_REFUSED(ks, "mixed.kind-1", "{\"file\":\"a\",\"color\":"
	    "\"blue\"}", "params.color: must be one of \"red\", \"green\"");
	PARAMS_REFUSED(ks, "mixed.kind-1", "{\"file\":\"a\",\"color\":"
	    "\"Red\"}", "params.color: must be one of \"red\", \"green\"");
	kinds_free(ks);
}

static void
params_enum_accepts_each_choice(void)
{
	struct kinds	*ks = load_good();
	char		*s;

	s = params_ok(ks, "mixed.kind-1", "{\"file\":\"a\",\"color\":"
	    "\"green\"}");
	CHECK_HAS(s, "\"color\":\"green\"");
	free(s);
	kinds_free(ks);
}

static void
params_boolean_refuses_1(void)
{
	struct kinds	*ks = load_good();

	PARAMS_REFUSED(ks, "mixed.kind-1", "{\"file\":\"a\",\"loud\":1}",
	    "params.loud: must be true or false");
	PARAMS_REFUSED(ks, "mixed.kind-1", "{\"file\":\"a\",\"loud\":"
	    "\"true\"}", "params.loud: must be true or false");
	kinds_free(ks);
}

static const struct unit_test tests[] = {
	UNIT(load_accepts_spec_count_kind_and_mixed_kind),
	UNIT(load_reads_count_kind_as_declared),
	UNIT(load_reads_each_param_type_and_rule),
	UNIT(find_returns_kind_by_exact_name),
	UNIT(kind_param_returns_null_for_undeclared),
	UNIT(public_json_lists_name_description_params),
	UNIT(public_json_gives_empty_description_and_params_when_absent),
	UNIT(free_accepts_null),
	UNIT(load_refuses_missing_file),
	UNIT(load_refuses_text_that_is_not_json),
	UNIT(load_refuses_top_level_not_an_object),
	UNIT(load_refuses_file_without_kinds_array),
	UNIT(load_refuses_empty_kinds_array),
	UNIT(load_refuses_unknown_top_level_field),
	UNIT(load_refuses_kind_without_name),
	UNIT(load_refuses_kind_name_with_bad_characters),
	UNIT(load_refuses_kind_that_is_not_an_object),
	UNIT(load_refuses_duplicate_kind_name),
	UNIT(load_refuses_unknown_field_on_kind),
	UNIT(load_refuses_kind_without_builtin),
	UNIT(load_refuses_unknown_builtin),
	UNIT(load_reads_external_and_while_watched),
	UNIT(load_refuses_bad_external_kinds),
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
	UNIT(load_refuses_bad_param_name),
	UNIT(load_refuses_builtin_count_without_integer_total),
	UNIT(load_refuses_duplicate_param_names),
	UNIT(params_fills_defaults),
	UNIT(params_output_is_in_declaration_order),
	UNIT(params_null_pointer_is_empty_object),
	UNIT(params_json_null_is_empty_object),
	UNIT(params_output_outlives_input),
	UNIT(params_not_an_object_is_422),
	UNIT(params_unknown_param_is_422),
	UNIT(params_missing_required_is_422),
	UNIT(params_integer_refuses_1_5),
	UNIT(params_integer_refuses_string_5),
	UNIT(params_integer_refuses_true),
	UNIT(params_integer_refuses_1e300),
	UNIT(params_integer_refuses_null),
	UNIT(params_integer_below_min_is_422),
	UNIT(params_integer_above_max_is_422),
	UNIT(params_integer_accepts_bounds),
	UNIT(params_integer_with_min_only_names_min),
	UNIT(params_number_refuses_string),
	UNIT(params_number_out_of_range_is_422),
	UNIT(params_number_accepts_fractions_within_range),
	UNIT(params_string_not_matching_pattern_is_422),
	UNIT(params_string_refuses_non_string),
	UNIT(params_string_too_long_is_422),
	UNIT(params_string_length_counts_code_points),
	UNIT(params_enum_miss_lists_choices),
	UNIT(params_enum_accepts_each_choice),
	UNIT(params_boolean_refuses_1),
};

int
main(int argc, char **argv)
{
	UNIT_MAIN(tests, argc, argv);
}
