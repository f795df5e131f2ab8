/*
 * lib/kinds, the check of a client's params against a kind: defaults,
 * order, and each rule's refusal with 422 invalid_params and a message
 * naming the parameter and the rule.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"
#include "kinds.h"
#include "unit.h"
#include "kinds_unit.h"


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

	/* 1e400, past a double, json_parse refuses (test_json). */
	PARAMS_REFUSED(ks, "count", "{\"total\":1e300}",
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
	PARAMS_REFUSED(ks, "mixed.kind-1", "{\"file\":\"a\",\"ratio\":1e300}",
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

/* At HG_KIND_RULE_MAX, a refusal still states the whole rule. */
static void
params_longest_rule_is_stated_whole(void)
{
	char		 a[HG_KIND_RULE_MAX], text[2048], want[1024], in[1024];
	struct kinds	*ks;

	/* One choice: "must be one of \"a...\"" is 17 bytes more. */
	memset(a, 'a', HG_KIND_RULE_MAX - 17);
	a[HG_KIND_RULE_MAX - 17] = '\0';
	snprintf(text, sizeof(text), "{\"kinds\": [{\"name\": \"k\", "
	    "\"command\": [\"/bin/true\"], \"params\": {\"x\": {\"type\": "
	    "\"string\", \"enum\": [\"%s\"]}, \"y\": {\"type\": "
	    "\"string\", \"pattern\": \"%s%s\", \"default\": \"%s%s\"}}}]}",
	    a, a, "aaaaaa", a, "aaaaaa");
	ks = kinds_unit_load(text);
	snprintf(want, sizeof(want), "params.x: must be one of \"%s\"", a);
	CHECK_INT(strlen(want) - strlen("params.x: "), HG_KIND_RULE_MAX);
	PARAMS_REFUSED(ks, "k", "{\"x\": \"b\"}", want);
	/* "must match a...": 11 bytes more. */
	snprintf(want, sizeof(want), "params.y: must match %s%s", a,
	    "aaaaaa");
	CHECK_INT(strlen(want) - strlen("params.y: "), HG_KIND_RULE_MAX);
	snprintf(in, sizeof(in), "{\"x\": \"%s\", \"y\": \"b\"}", a);
	PARAMS_REFUSED(ks, "k", in, want);
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
	UNIT(params_longest_rule_is_stated_whole),
};

int
main(int argc, char **argv)
{
	UNIT_MAIN(tests, argc, argv);
}
