/*
 * Typing name=value by a kind's declaration; the contract is in
 * params.h. Booleans take true/false, yes/no, on/off and 1/0, as
 * people write them on a command line; numbers are plain decimals (no
 * hex, infinities or NaN, which JSON cannot carry).
 */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"
#include "params.h"

static void
say(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
say(char *err, size_t errlen, const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

/* Writes the names of the kind's parameters, comma-separated. */
static void
list_names(const cJSON *decl, char *out, size_t len)
{
	const cJSON	*p;
	size_t		 at = 0;
	int		 w;

	out[0] = '\0';
	cJSON_ArrayForEach(p, decl) {
		w = snprintf(out + at, len - at, "%s%s", at > 0 ? ", " : "",
		    p->string);
		if (w < 0 || (size_t)w >= len - at)
			return;
		at += w;
	}
}

static const cJSON *
find_kind(const cJSON *kinds, const char *kind)
{
	const cJSON	*k, *name;

	cJSON_ArrayForEach(k, cJSON_GetObjectItemCaseSensitive(kinds,
	    "kinds")) {
		name = cJSON_GetObjectItemCaseSensitive(k, "name");
		if (cJSON_IsString(name) && strcmp(name->valuestring,
		    kind) == 0)
			return k;
	}
	return NULL;
}

/* Only digits, a sign, a point and an exponent: strtod would also take
 * "inf", "nan" and hex. */
static int
is_decimal(const char *v)
{
	return *v != '\0' && strspn(v, "0123456789+-.eE") == strlen(v);
}

static cJSON *
type_number(const char *v, int whole)
{
	char	*end;
	double	 d;

	if (!is_decimal(v))
		return NULL;
	d = strtod(v, &end);
	if (*end != '\0' || !isfinite(d))
		return NULL;
	if (whole && (strpbrk(v, ".eE") != NULL || fabs(d) >
	    JSON_INT_SAFE))
		return NULL;
	return cJSON_CreateNumber(d);
}

static cJSON *
type_bool(const char *v)
{
	static const char	*yes[] = { "true", "yes", "on", "1", NULL };
	static const char	*no[] = { "false", "no", "off", "0", NULL };
	size_t			 i;

	for (i = 0; yes[i] != NULL; i++)
		if (strcmp(v, yes[i]) == 0)
			return cJSON_CreateTrue();
	for (i = 0; no[i] != NULL; i++)
		if (strcmp(v, no[i]) == 0)
			return cJSON_CreateFalse();
	return NULL;
}

/* A string, one of "enum" when the declaration has one. */
static cJSON *
type_string(const cJSON *spec, const char *v)
{
	const cJSON	*choices, *c;

	choices = cJSON_GetObjectItemCaseSensitive(spec, "enum");
	if (!cJSON_IsArray(choices))
		return cJSON_CreateString(v);
	cJSON_ArrayForEach(c, choices)
		if (cJSON_IsString(c) && strcmp(c->valuestring, v) == 0)
			return cJSON_CreateString(v);
	return NULL;
}

/* Types one value; NULL with err set if it is not of its type. */
static cJSON *
type_one(const char *name, const cJSON *spec, const char *v, char *err,
    size_t errlen)
{
	const cJSON	*t = cJSON_GetObjectItemCaseSensitive(spec, "type");
	const char	*type = cJSON_IsString(t) ? t->valuestring : "";
	char		*choices;
	cJSON		*out = NULL;

	if (strcmp(type, "integer") == 0 && (out = type_number(v, 1)) ==
	    NULL)
		say(err, errlen, "%s=%s: must be an integer", name, v);
	else if (strcmp(type, "number") == 0 && (out = type_number(v,
	    0)) == NULL)
		say(err, errlen, "%s=%s: must be a number", name, v);
	else if (strcmp(type, "boolean") == 0 && (out = type_bool(v)) ==
	    NULL)
		say(err, errlen, "%s=%s: must be true or false", name, v);
	else if (strcmp(type, "string") == 0 && (out = type_string(spec,
	    v)) == NULL) {
		choices = json_print(
		    cJSON_GetObjectItemCaseSensitive(spec, "enum"));
		say(err, errlen, "%s=%s: must be one of %s", name, v,
		    choices != NULL ? choices : "its choices");
		free(choices);
	} else if (out == NULL && strcmp(type, "integer") != 0 &&
	    strcmp(type, "number") != 0 && strcmp(type, "boolean") != 0 &&
	    strcmp(type, "string") != 0)
		say(err, errlen, "%s: the service declares an unknown type "
		    "\"%s\"", name, type);
	return out;
}

cJSON *
params_type(const cJSON *kinds, const char *kind, const char *const *pairs,
    size_t n, char *err, size_t errlen)
{
	const cJSON	*k, *decl, *spec;
	cJSON		*out, *v;
	char		 name[256], names[512];
	const char	*eq;
	size_t		 i, len;

	/* A kind the service does not offer is its to refuse (422
	 * unknown_kind): with no declaration, the values go as strings. */
	k = find_kind(kinds, kind);
	decl = cJSON_GetObjectItemCaseSensitive(k, "params");
	if ((out = cJSON_CreateObject()) == NULL) {
		say(err, errlen, "out of memory");
		return NULL;
	}
	for (i = 0; i < n; i++) {
		if ((eq = strchr(pairs[i], '=')) == NULL || eq == pairs[i]) {
			say(err, errlen, "\"%s\": a parameter must be "
			    "name=value", pairs[i]);
			goto fail;
		}
		len = eq - pairs[i];
		if (len >= sizeof(name)) {
			say(err, errlen, "\"%.40s...\": no such parameter of "
			    "%s", pairs[i], kind);
			goto fail;
		}
		memcpy(name, pairs[i], len);
		name[len] = '\0';
		if (k != NULL && (spec = cJSON_GetObjectItemCaseSensitive(
		    decl, name)) == NULL) {
			list_names(decl, names, sizeof(names));
			say(err, errlen, "%s: no such parameter of %s (it "
			    "takes %s)", name, kind, names[0] != '\0' ? names :
			    "none");
			goto fail;
		}
		if (cJSON_GetObjectItemCaseSensitive(out, name) != NULL) {
			say(err, errlen, "%s: given twice", name);
			goto fail;
		}
		if (k == NULL) {
			if ((v = cJSON_CreateString(eq + 1)) == NULL) {
				say(err, errlen, "out of memory");
				goto fail;
			}
		} else if ((v = type_one(name, spec, eq + 1, err, errlen)) ==
		    NULL)
			goto fail;
		if (!cJSON_AddItemToObject(out, name, v)) {
			cJSON_Delete(v);
			say(err, errlen, "out of memory");
			goto fail;
		}
	}
	return out;
fail:
	cJSON_Delete(out);
	return NULL;
}
