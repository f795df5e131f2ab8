/*
 * lib/json: what json_parse() lets through and what it refuses, the
 * UTF-8 helpers, and exact integers in and out.
 */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"
#include "unit.h"

#define nitems(a)	(sizeof(a) / sizeof((a)[0]))

/* Parses the first len bytes of s, with e cleared first. */
static cJSON *
parse_n(const char *s, size_t len, struct hg_err *e)
{
	memset(e, 0, sizeof(*e));
	return json_parse(s, len, e);
}

/*
 * Checks that json_parse refuses the len bytes at s with 400
 * invalid_json and a message holding why. A macro, so a failure points
 * at the test's line.
 */
#define REFUSED(s, len, why) do {					\
	struct hg_err	 e_;						\
	cJSON		*d_ = parse_n((s), (len), &e_);		\
									\
	CHECK(d_ == NULL);						\
	cJSON_Delete(d_);						\
	CHECK_INT(e_.status, 400);					\
	CHECK_STR(e_.code, "invalid_json");				\
	CHECK_HAS(e_.msg, (why));					\
} while (0)

#define REFUSED_STR(s, why)	REFUSED((s), strlen(s), (why))

/* "[[...[1]...]]" with depth brackets, or the same with objects. */
static char *
nested(int depth, int objects)
{
	char	*s, *p;
	int	 i;

	if ((s = malloc((size_t)depth * 6 + 2)) == NULL)
		abort();
	p = s;
	for (i = 0; i < depth; i++)
		p += objects ? (memcpy(p, "{\"a\":", 5), 5) :
		    (*p = '[', 1);
	*p++ = '1';
	for (i = 0; i < depth; i++)
		*p++ = objects ? '}' : ']';
	*p = '\0';
	return s;
}

static void
parse_accepts_object_with_trailing_whitespace(void)
{
	const char	*s = "{\"a\": [1, 2, {\"b\": null}], \"c\": \"x\"} \t\r\n";
	struct hg_err	 e;
	cJSON		*d;
	char		*out;

	d = parse_n(s, strlen(s), &e);
	CHECK(d != NULL);
	out = json_print(d);
	CHECK_STR(out, "{\"a\":[1,2,{\"b\":null}],\"c\":\"x\"}");
	free(out);
	cJSON_Delete(d);
}

static void
parse_accepts_leading_whitespace_and_scalars(void)
{
	struct hg_err	 e;
	cJSON		*d;

	d = parse_n(" \n42", 4, &e);
	CHECK(cJSON_IsNumber(d) && d->valuedouble == 42);
	cJSON_Delete(d);
	d = parse_n("\"x\"", 3, &e);
	CHECK(cJSON_IsString(d) && strcmp(d->valuestring, "x") == 0);
	cJSON_Delete(d);
	d = parse_n("null", 4, &e);
	CHECK(cJSON_IsNull(d));
	cJSON_Delete(d);
}

static void
parse_reads_exactly_len_bytes(void)
{
	/* What follows len is not the body's: a NUL and garbage there are
	 * ignored, and a value cut by len is malformed. */
	const char	 buf[] = "{\"a\":1}\0garbage";
	struct hg_err	 e;
	cJSON		*d;

	d = parse_n(buf, 7, &e);
	CHECK(d != NULL);
	CHECK(cJSON_GetObjectItemCaseSensitive(d, "a") != NULL);
	cJSON_Delete(d);
	REFUSED(buf, 6, "malformed");
}

static void
parse_refuses_malformed_text(void)
{
	REFUSED_STR("{\"a\":}", "malformed");
	REFUSED_STR("{\"a\" 1}", "malformed");
	REFUSED_STR("[1,2", "malformed");
	REFUSED_STR("tru", "malformed");
	REFUSED_STR("{'a':1}", "malformed");
}

static void
parse_refuses_empty_and_blank_bodies(void)
{
	REFUSED("", 0, "malformed");
	REFUSED_STR("   \n", "malformed");
}

static void
parse_refuses_trailing_garbage(void)
{
	REFUSED_STR("{} x", "after the JSON value");
	REFUSED_STR("{\"a\":1}{}", "after the JSON value");
	REFUSED_STR("[1] ,", "after the JSON value");
}

static void
parse_refuses_control_character_as_whitespace(void)
{
	/* JSON's whitespace is space, tab, CR and LF (RFC 8259 section 2);
	 * json_parse already refuses other bytes after the value, so it
	 * must refuse them before it and between tokens too. */
	REFUSED_STR("\x01[1]", "");
	REFUSED_STR("[1,\x0b" "2]", "");
	REFUSED_STR("[1]\x0c", "control character");
}

static void
parse_refuses_raw_nul_byte_inside_len(void)
{
	const char	 s[] = "{\"a\":\"b\0c\"}";

	REFUSED(s, sizeof(s) - 1, "NUL");
	REFUSED("{}\0", 3, "NUL");
}

static void
parse_refuses_escaped_nul(void)
{
	REFUSED_STR("\"\\u0000\"", "\\u0000");
	REFUSED_STR("{\"k\\u0000\":1}", "\\u0000");
	REFUSED_STR("[\"ab\\u0000cd\"]", "\\u0000");
	/* After an escaped quote the string goes on. */
	REFUSED_STR("[\"\\\"\\u0000\"]", "\\u0000");
}

static void
parse_accepts_escaped_backslash_then_u0000_text(void)
{
	/* The JSON text "\\u0000": a backslash, then the letters u0000. */
	const char	*s = "\"\\\\u0000\"";
	struct hg_err	 e;
	cJSON		*d;

	d = parse_n(s, strlen(s), &e);
	CHECK(cJSON_IsString(d));
	if (cJSON_IsString(d))
		CHECK_STR(d->valuestring, "\\u0000");
	cJSON_Delete(d);
}

static void
parse_accepts_other_unicode_escapes(void)
{
	const char	*s = "\"\\u0041\\u00e9\\u0001\"";
	struct hg_err	 e;
	cJSON		*d;

	d = parse_n(s, strlen(s), &e);
	CHECK(cJSON_IsString(d));
	if (cJSON_IsString(d))
		CHECK_STR(d->valuestring, "A\xc3\xa9\x01");
	cJSON_Delete(d);
}

static void
parse_accepts_arrays_nested_32_deep(void)
{
	char		*s = nested(32, 0);
	struct hg_err	 e;
	cJSON		*d;

	d = parse_n(s, strlen(s), &e);
	CHECK(cJSON_IsArray(d));
	cJSON_Delete(d);
	free(s);
}

static void
parse_refuses_arrays_nested_33_deep(void)
{
	char	*s = nested(33, 0);

	REFUSED_STR(s, "nested deeper than 32");
	free(s);
}

static void
parse_accepts_objects_nested_32_deep(void)
{
	char		*s = nested(32, 1);
	struct hg_err	 e;
	cJSON		*d;

	d = parse_n(s, strlen(s), &e);
	CHECK(cJSON_IsObject(d));
	cJSON_Delete(d);
	free(s);
}

static void
parse_refuses_objects_nested_33_deep(void)
{
	char	*s = nested(33, 1);

	REFUSED_STR(s, "nested deeper than 32");
	free(s);
}

static void
parse_refuses_33_deep_mixed_arrays_and_objects(void)
{
	char	 s[200];
	int	 i, n = 0;

	for (i = 0; i < 33; i++)
		n += snprintf(s + n, sizeof(s) - (size_t)n, "%s",
		    i % 2 ? "{\"a\":" : "[");
	s[n++] = '1';
	for (i = 32; i >= 0; i--)
		s[n++] = i % 2 ? '}' : ']';
	s[n] = '\0';
	REFUSED_STR(s, "nested deeper than 32");
}

static void
parse_does_not_count_brackets_inside_strings(void)
{
	const char	*s = "[\"[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[\", "
	    "{\"{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{\": \"]]]]\"}]";
	struct hg_err	 e;
	cJSON		*d;

	d = parse_n(s, strlen(s), &e);
	CHECK(cJSON_IsArray(d));
	cJSON_Delete(d);
}

static void
parse_refuses_utf8_bad_continuation(void)
{
	REFUSED_STR("\"\xc3\x28\"", "UTF-8");
	REFUSED_STR("\"\xe2\x82\x28\"", "UTF-8");
	REFUSED_STR("\"\x80\"", "UTF-8");
}

static void
parse_refuses_utf8_overlong(void)
{
	REFUSED_STR("\"\xc0\xaf\"", "UTF-8");
	REFUSED_STR("\"\xe0\x80\xaf\"", "UTF-8");
}

static void
parse_refuses_utf8_encoded_surrogate(void)
{
	REFUSED_STR("\"\xed\xa0\x80\"", "UTF-8");
	REFUSED_STR("\"\xed\xbf\xbf\"", "UTF-8");
}

static void
parse_refuses_utf8_above_10ffff(void)
{
	REFUSED_STR("\"\xf4\x90\x80\x80\"", "UTF-8");
	REFUSED_STR("\"\xf8\x88\x80\x80\x80\"", "UTF-8");
}

static void
parse_refuses_utf8_truncated_at_end(void)
{
	REFUSED_STR("\"ab\xe2\x82", "UTF-8");
	REFUSED_STR("\"ab\xf0\x9f\x98", "UTF-8");
	REFUSED_STR("\"ab\xc3", "UTF-8");
}

static void
parse_accepts_multibyte_utf8(void)
{
	/* h, e acute, euro sign, U+1F600, U+10FFFF */
	const char	*s = "\"h\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80"
	    "\xf4\x8f\xbf\xbf\"";
	struct hg_err	 e;
	cJSON		*d;

	d = parse_n(s, strlen(s), &e);
	CHECK(cJSON_IsString(d));
	if (cJSON_IsString(d))
		CHECK_INT(json_utf8_len(d->valuestring), 5);
	cJSON_Delete(d);
}

static void
parse_refuses_duplicate_key_at_top_level(void)
{
	REFUSED_STR("{\"a\":1,\"b\":2,\"a\":3}", "duplicate key \"a\"");
}

static void
parse_refuses_duplicate_key_nested(void)
{
	REFUSED_STR("{\"x\":[1,{\"k\":1,\"z\":2,\"k\":3}]}",
	    "duplicate key \"k\"");
	REFUSED_STR("[{\"p\":{\"q\":{\"r\":1,\"r\":1}}}]",
	    "duplicate key \"r\"");
}

/* A double holds no more: read as infinity, it would go out as null. */
static void
parse_refuses_a_number_past_a_double(void)
{
	struct hg_err	 e;
	cJSON		*d;

	REFUSED_STR("1e400", "a number is too large for a double (about "
	    "1.8e308 at most)");
	REFUSED_STR("{\"x\":[1,-1e400]}", "a number is too large for a "
	    "double (about 1.8e308 at most)");
	CHECK((d = json_parse("1.7e308", 7, &e)) != NULL);
	cJSON_Delete(d);
}

static void
parse_accepts_same_key_in_different_objects(void)
{
	const char	*s = "{\"a\":{\"a\":{\"a\":1}},\"b\":[{\"a\":1},{\"a\":2}]}";
	struct hg_err	 e;
	cJSON		*d;

	d = parse_n(s, strlen(s), &e);
	CHECK(cJSON_IsObject(d));
	cJSON_Delete(d);
}

static void
parse_keys_differing_in_case_are_not_duplicates(void)
{
	struct hg_err	 e;
	cJSON		*d;

	d = parse_n("{\"a\":1,\"A\":2}", 13, &e);
	CHECK(cJSON_IsObject(d));
	cJSON_Delete(d);
}

static void
utf8_valid_accepts_ascii_and_multibyte(void)
{
	const char	*s = "a\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80"
	    "\xf4\x8f\xbf\xbf";

	CHECK_INT(json_utf8_valid("", 0), 0);
	CHECK_INT(json_utf8_valid("plain", 5), 0);
	CHECK_INT(json_utf8_valid(s, strlen(s)), 0);
	/* Smallest of each length, and the last before the surrogates. */
	CHECK_INT(json_utf8_valid("\xc2\x80", 2), 0);
	CHECK_INT(json_utf8_valid("\xe0\xa0\x80", 3), 0);
	CHECK_INT(json_utf8_valid("\xf0\x90\x80\x80", 4), 0);
	CHECK_INT(json_utf8_valid("\xed\x9f\xbf", 3), 0);
	CHECK_INT(json_utf8_valid("\xee\x80\x80", 3), 0);
}

static void
utf8_valid_refuses_each_kind_of_mistake(void)
{
	CHECK_INT(json_utf8_valid("\xc3\x28", 2), -1);	/* continuation */
	CHECK_INT(json_utf8_valid("\x80", 1), -1);	/* lone continuation */
	CHECK_INT(json_utf8_valid("\xc0\xaf", 2), -1);	/* overlong */
	CHECK_INT(json_utf8_valid("\xc1\xbf", 2), -1);	/* overlong */
	CHECK_INT(json_utf8_valid("\xe0\x9f\xbf", 3), -1);
	CHECK_INT(json_utf8_valid("\xf0\x8f\xbf\xbf", 4), -1);
	CHECK_INT(json_utf8_valid("\xed\xa0\x80", 3), -1);	/* D800 */
	CHECK_INT(json_utf8_valid("\xed\xbf\xbf", 3), -1);	/* DFFF */
	CHECK_INT(json_utf8_valid("\xf4\x90\x80\x80", 4), -1);	/* 110000 */
	CHECK_INT(json_utf8_valid("\xf5\x80\x80\x80", 4), -1);
	CHECK_INT(json_utf8_valid("\xff", 1), -1);
	CHECK_INT(json_utf8_valid("ab\xe2\x82", 4), -1);	/* truncated */
	CHECK_INT(json_utf8_valid("ab\xf0\x9f\x98", 5), -1);
}

static void
utf8_valid_reads_only_len_bytes(void)
{
	/* A sequence cut by len is truncated, whatever follows in memory. */
	CHECK_INT(json_utf8_valid("\xe2\x82\xac", 2), -1);
	CHECK_INT(json_utf8_valid("a\xff", 1), 0);
}

static void
utf8_len_counts_code_points(void)
{
	CHECK_INT(json_utf8_len(""), 0);
	CHECK_INT(json_utf8_len("abc"), 3);
	CHECK_INT(json_utf8_len("\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80"), 3);
	CHECK_INT(json_utf8_len("a\xc3\xa9z"), 3);
}

/* Parses s (which must be good JSON) for json_int. */
static int
int_of(const char *s, int64_t *v)
{
	struct hg_err	 e;
	cJSON		*d;
	int		 rc;

	if ((d = parse_n(s, strlen(s), &e)) == NULL) {
		unit_fail(__FILE__, __LINE__, e.msg);
		return -2;
	}
	rc = json_int(d, v);
	cJSON_Delete(d);
	return rc;
}

static void
int_accepts_whole_numbers(void)
{
	int64_t	 v;

	CHECK_INT(int_of("0", &v), 0);
	CHECK_INT(v, 0);
	CHECK_INT(int_of("150", &v), 0);
	CHECK_INT(v, 150);
	CHECK_INT(int_of("-7", &v), 0);
	CHECK_INT(v, -7);
	CHECK_INT(int_of("5.0", &v), 0);
	CHECK_INT(v, 5);
	CHECK_INT(int_of("1e3", &v), 0);
	CHECK_INT(v, 1000);
}

static void
int_accepts_plus_and_minus_2_pow_53_less_1(void)
{
	int64_t	 v = 0;

	CHECK_INT(int_of("9007199254740991", &v), 0);
	CHECK_INT(v, INT64_C(9007199254740991));
	CHECK_INT(int_of("-9007199254740991", &v), 0);
	CHECK_INT(v, -INT64_C(9007199254740991));
}

/* 2^53 + 1 reads as the double 2^53: neither can be told apart. */
static void
int_refuses_from_2_pow_53(void)
{
	int64_t	 v;

	CHECK_INT(int_of("9007199254740992", &v), -1);
	CHECK_INT(int_of("9007199254740993", &v), -1);
	CHECK_INT(int_of("-9007199254740993", &v), -1);
	CHECK_INT(int_of("9007199254740994", &v), -1);
	CHECK_INT(int_of("-9007199254740994", &v), -1);
	CHECK_INT(int_of("9223372036854775807", &v), -1);
}

static void
int_refuses_fraction(void)
{
	int64_t	 v;

	CHECK_INT(int_of("1.5", &v), -1);
	CHECK_INT(int_of("-0.5", &v), -1);
	CHECK_INT(int_of("1e-1", &v), -1);
}

static void
int_refuses_1e300(void)
{
	int64_t	 v;

	CHECK_INT(int_of("1e300", &v), -1);
	CHECK_INT(int_of("-1e300", &v), -1);
}

static void
int_refuses_infinity(void)
{
	cJSON		*d;
	int64_t		 v;

	/* json_parse refuses 1e400 (above); a tree made otherwise may
	 * still hold an infinity. */
	CHECK((d = cJSON_CreateNumber(-INFINITY)) != NULL);
	CHECK_INT(json_int(d, &v), -1);
	cJSON_Delete(d);
}

static void
int_refuses_nan(void)
{
	cJSON	*n = cJSON_CreateNumber(0.0);
	int64_t	 v;

	n->valuedouble = NAN;
	CHECK_INT(json_int(n, &v), -1);
	cJSON_Delete(n);
}

static void
int_refuses_non_numbers(void)
{
	int64_t	 v;

	CHECK_INT(int_of("\"5\"", &v), -1);
	CHECK_INT(int_of("true", &v), -1);
	CHECK_INT(int_of("null", &v), -1);
	CHECK_INT(int_of("[5]", &v), -1);
	CHECK_INT(json_int(NULL, &v), -1);
}

static void
add_int_prints_exact_int64(void)
{
	cJSON	*o = cJSON_CreateObject();
	char	*s;

	CHECK(json_add_int(o, "a", INT64_C(9007199254740993)) != NULL);
	CHECK(json_add_int(o, "max", INT64_MAX) != NULL);
	CHECK(json_add_int(o, "min", INT64_MIN) != NULL);
	CHECK(json_add_int(o, "zero", 0) != NULL);
	s = json_print(o);
	CHECK_STR(s, "{\"a\":9007199254740993,\"max\":9223372036854775807,"
	    "\"min\":-9223372036854775808,\"zero\":0}");
	free(s);
	cJSON_Delete(o);
}

static void
add_str_or_null_writes_null_for_null(void)
{
	cJSON	*o = cJSON_CreateObject();
	char	*s;

	CHECK(json_add_str_or_null(o, "a", NULL) != NULL);
	CHECK(json_add_str_or_null(o, "b", "x\"y") != NULL);
	s = json_print(o);
	CHECK_STR(s, "{\"a\":null,\"b\":\"x\\\"y\"}");
	free(s);
	cJSON_Delete(o);
}

/* What a client sent is printed back as it came: numbers exactly,
 * everything else as cJSON prints it. */
static void
print_keeps_numbers_and_writes_the_rest_as_cjson(void)
{
	static const char *const exact[] = {
		"[9000000000000001,9007199254740991,-9007199254740991,"
		"0.30000000000000004,123456789.12345679,1.2345678901234568e+18,"
		"0.1,28,-0,1e+300,1.5e-300,0.3333333333333333]",
		"{\"n\":{\"a\":[[],{}],\"b\":null},\"t\":true,\"f\":false}",
	};
	static const char *const same[] = {
		"{\"k\\\"\\u0001\u00e9\":\"\\b\\f\\n\\r\\t\\u001f/\",\"\":\"\"}",
		"[\"\",[[[\"x\"]]],{\"a\":{\"b\":{}}},null,true,false]",
		"\"a string alone\"", "null", "[]", "{}",
	};
	cJSON		*t, *raw;
	char		*s, *want;
	size_t		 i;

	for (i = 0; i < nitems(exact); i++) {
		t = cJSON_Parse(exact[i]);
		s = json_print(t);
		CHECK_STR(s, exact[i]);
		free(s);
		cJSON_Delete(t);
	}
	for (i = 0; i < nitems(same); i++) {
		t = cJSON_Parse(same[i]);
		s = json_print(t);
		want = cJSON_PrintUnformatted(t);
		CHECK_STR(s, want);
		free(s);
		free(want);
		cJSON_Delete(t);
	}
	/* Raw text goes out as it is; raw text of none cannot. */
	t = cJSON_CreateObject();
	CHECK(cJSON_AddRawToObject(t, "r", "{\"x\":1}") != NULL);
	s = json_print(t);
	CHECK_STR(s, "{\"r\":{\"x\":1}}");
	free(s);
	raw = cJSON_GetObjectItem(t, "r");
	free(raw->valuestring);
	raw->valuestring = NULL;
	CHECK(json_print(t) == NULL);
	cJSON_Delete(t);
	CHECK(json_print(NULL) == NULL);
}

static void
keep_digits_keeps_long_numbers_within_as_they_came(void)
{
	static const char *const names[] = { "data", NULL };
	static const char text[] = "{\"n\": 12345678901234567890, "
	    "\"data\": {\"s\": \"9\\\"1 -2\", \"big\": 9007199254740993, "
	    "\"small\": 1.25, \"ns\": [1733600000123456789, true, null], "
	    "\"f\": -0.1000000000000000055511151231257827, "
	    "\"e\": 1.2345678901234567890E+5, \"z\": 0.000012345}, "
	    "\"m\": 98765432109876543210}";
	struct hg_err	 e;
	cJSON		*doc, *d;
	char		*out;

	doc = json_parse(text, strlen(text), &e);
	CHECK(doc != NULL);
	d = cJSON_GetObjectItemCaseSensitive(doc, "data");
	CHECK_INT(json_keep_digits(doc, names, text, strlen(text)), 0);
	out = json_print(d);
	CHECK_STR(out, "{\"s\":\"9\\\"1 -2\",\"big\":9007199254740993,"
	    "\"small\":1.25,\"ns\":[1733600000123456789,true,null],"
	    "\"f\":-0.1000000000000000055511151231257827,"
	    "\"e\":1.2345678901234567890E+5,\"z\":1.2345e-05}");
	free(out);
	/* Outside it, numbers stay numbers. */
	CHECK(cJSON_IsNumber(cJSON_GetObjectItemCaseSensitive(doc, "n")));
	CHECK(cJSON_IsNumber(cJSON_GetObjectItemCaseSensitive(doc, "m")));
	cJSON_Delete(doc);
}

static void
keep_digits_named_keeps_them_within_members_so_named(void)
{
	static const char *const names[] = { "data", "result", NULL };
	static const char text[] = "{\"items\": [{\"id\": 1234567890123456, "
	    "\"data\": 12345678901234567}], \"result\": {\"x\": "
	    "1.00000000000000001}, \"value\": 0.3333333333333333}";
	struct hg_err	 e;
	cJSON		*doc;
	char		*out;

	doc = json_parse(text, strlen(text), &e);
	CHECK(doc != NULL);
	CHECK_INT(json_keep_digits(doc, names, text, strlen(text)), 0);
	out = json_print(doc);
	CHECK_STR(out, "{\"items\":[{\"id\":1234567890123456,"
	    "\"data\":12345678901234567}],\"result\":{\"x\":"
	    "1.00000000000000001},\"value\":0.3333333333333333}");
	free(out);
	CHECK(cJSON_IsNumber(cJSON_GetObjectItemCaseSensitive(doc, "value")));
	CHECK(cJSON_IsNumber(cJSON_GetObjectItemCaseSensitive(
	    cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(doc, "items"),
	    0), "id")));
	cJSON_Delete(doc);
}

static const struct unit_test tests[] = {
	UNIT(keep_digits_named_keeps_them_within_members_so_named),
	UNIT(keep_digits_keeps_long_numbers_within_as_they_came),
	UNIT(print_keeps_numbers_and_writes_the_rest_as_cjson),
	UNIT(parse_accepts_object_with_trailing_whitespace),
	UNIT(parse_accepts_leading_whitespace_and_scalars),
	UNIT(parse_reads_exactly_len_bytes),
	UNIT(parse_refuses_malformed_text),
	UNIT(parse_refuses_empty_and_blank_bodies),
	UNIT(parse_refuses_trailing_garbage),
	UNIT(parse_refuses_control_character_as_whitespace),
	UNIT(parse_refuses_raw_nul_byte_inside_len),
	UNIT(parse_refuses_escaped_nul),
	UNIT(parse_accepts_escaped_backslash_then_u0000_text),
	UNIT(parse_accepts_other_unicode_escapes),
	UNIT(parse_accepts_arrays_nested_32_deep),
	UNIT(parse_refuses_arrays_nested_33_deep),
	UNIT(parse_accepts_objects_nested_32_deep),
	UNIT(parse_refuses_objects_nested_33_deep),
	UNIT(parse_refuses_33_deep_mixed_arrays_and_objects),
	UNIT(parse_does_not_count_brackets_inside_strings),
	UNIT(parse_refuses_utf8_bad_continuation),
	UNIT(parse_refuses_utf8_overlong),
	UNIT(parse_refuses_utf8_encoded_surrogate),
	UNIT(parse_refuses_utf8_above_10ffff),
	UNIT(parse_refuses_utf8_truncated_at_end),
	UNIT(parse_accepts_multibyte_utf8),
	UNIT(parse_refuses_duplicate_key_at_top_level),
	UNIT(parse_refuses_duplicate_key_nested),
	UNIT(parse_refuses_a_number_past_a_double),
	UNIT(parse_accepts_same_key_in_different_objects),
	UNIT(parse_keys_differing_in_case_are_not_duplicates),
	UNIT(utf8_valid_accepts_ascii_and_multibyte),
	UNIT(utf8_valid_refuses_each_kind_of_mistake),
	UNIT(utf8_valid_reads_only_len_bytes),
	UNIT(utf8_len_counts_code_points),
	UNIT(int_accepts_whole_numbers),
	UNIT(int_accepts_plus_and_minus_2_pow_53_less_1),
	UNIT(int_refuses_from_2_pow_53),
	UNIT(int_refuses_fraction),
	UNIT(int_refuses_1e300),
	UNIT(int_refuses_infinity),
	UNIT(int_refuses_nan),
	UNIT(int_refuses_non_numbers),
	UNIT(add_int_prints_exact_int64),
	UNIT(add_str_or_null_writes_null_for_null),
};

int
main(int argc, char **argv)
{
	UNIT_MAIN(tests, argc, argv);
}
