/*
 * The check of a client's params against a kind's declarations; the
 * loader uses the same check on each declared default.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "json.h"
#include "kinds_int.h"

/* A refusal is "params.<name>: <rule>" in struct hg_err's msg; the
 * loader keeps every rule within HG_KIND_RULE_MAX, so it fits whole. */
_Static_assert(sizeof("params.: ") - 1 + HG_KIND_NAME_MAX +
    HG_KIND_RULE_MAX < sizeof(((struct hg_err *)0)->msg),
    "a refusal of a parameter must fit in struct hg_err's msg");

/* The contract is in kinds_int.h. */
size_t
kinds__enum_rule(const cJSON *enums, char *msg, size_t len)
{
	const cJSON	*c;
	size_t		 off;

	/* snprintf's count goes on past len: the whole text's length. */
	off = (size_t)snprintf(msg, len, "must be one of");
	cJSON_ArrayForEach(c, enums)
		off += (size_t)snprintf(off < len ? msg + off : NULL,
		    off < len ? len - off : 0, "%s \"%s\"",
		    c == enums->child ? "" : ",", c->valuestring);
	return off;
}

/* The contract is in kinds_int.h. */
size_t
kinds__pattern_rule(const char *pattern, char *msg, size_t len)
{
	return (size_t)snprintf(msg, len, "must match %s", pattern);
}

/* The contract is in kinds_int.h. */
int
kinds__value_check(const struct param *p, const cJSON *v, char *msg,
    size_t len)
{
	const cJSON	*c;
	int64_t		 i;
	double		 d;
	int		 range;

	range = p->has_min || p->has_max;
	switch (p->type) {
	case PARAM_INTEGER:
	case PARAM_NUMBER:
		if (p->type == PARAM_INTEGER ? json_int(v, &i) == -1 :
		    !cJSON_IsNumber(v) || !isfinite(v->valuedouble)) {
			if (p->has_min && p->has_max)
				snprintf(msg, len, "must be %s from %.15g "
				    "to %.15g", p->type == PARAM_INTEGER ?
				    "an integer" : "a number", p->min, p->max);
			else
				snprintf(msg, len, "must be %s",
				    p->type == PARAM_INTEGER ?
				    "an integer" : "a number");
			return -1;
		}
		d = v->valuedouble;
		if (range && ((p->has_min && d < p->min) ||
		    (p->has_max && d > p->max))) {
			const char *t = p->type == PARAM_INTEGER ?
			    "an integer" : "a number";

			if (p->has_min && p->has_max)
				snprintf(msg, len, "must be %s from %.15g to "
				    "%.15g", t, p->min, p->max);
			else if (p->has_min)
				snprintf(msg, len, "must be %s of at least "
				    "%.15g", t, p->min);
			else
				snprintf(msg, len, "must be %s of at most "
				    "%.15g", t, p->max);
			return -1;
		}
		return 0;
	case PARAM_STRING:
		if (!cJSON_IsString(v)) {
			snprintf(msg, len, "must be a string");
			return -1;
		}
		if (p->max_length > 0 &&
		    json_utf8_len(v->valuestring) > p->max_length) {
			snprintf(msg, len, "must be at most %zu characters",
			    p->max_length);
			return -1;
		}
		if (p->enums != NULL) {
			cJSON_ArrayForEach(c, p->enums)
				if (strcmp(c->valuestring, v->valuestring) == 0)
					break;
			if (c == NULL) {
				kinds__enum_rule(p->enums, msg, len);
				return -1;
			}
		}
		if (p->pattern != NULL &&
		    regexec(&p->re, v->valuestring, 0, NULL, 0) != 0) {
			kinds__pattern_rule(p->pattern, msg, len);
			return -1;
		}
		return 0;
	case PARAM_BOOLEAN:
		if (!cJSON_IsBool(v)) {
			snprintf(msg, len, "must be true or false");
			return -1;
		}
		return 0;
	}
	return -1;
}

const struct param *
kind_param(const struct kind *k, const char *name)
{
	size_t	 i;

	for (i = 0; i < k->nparams; i++)
		if (strcmp(k->params[i].name, name) == 0)
			return &k->params[i];
	return NULL;
}

cJSON *
kinds_params_check(const struct kind *k, const cJSON *params,
    struct hg_err *e)
{
	const cJSON		*c, *v;
	const struct param	*p;
	cJSON			*out;
	char			 msg[HG_KIND_RULE_MAX + 1];
	size_t			 i;

	if (params != NULL && !cJSON_IsNull(params) &&
	    !cJSON_IsObject(params)) {
		hg_err_set(e, 422, "invalid_params",
		    "params: must be an object");
		return NULL;
	}
	if (params != NULL && cJSON_IsObject(params))
		cJSON_ArrayForEach(c, params)
			if (kind_param(k, c->string) == NULL) {
				hg_err_set(e, 422, "invalid_params",
				    "params.%.64s: unknown parameter of kind "
				    "%s", c->string, k->name);
				return NULL;
			}
	if ((out = cJSON_CreateObject()) == NULL)
		goto nomem;
	for (i = 0; i < k->nparams; i++) {
		p = &k->params[i];
		v = params != NULL && cJSON_IsObject(params) ?
		    cJSON_GetObjectItemCaseSensitive(params, p->name) : NULL;
		if (v == NULL)
			v = p->def;
		if (v == NULL) {
			hg_err_set(e, 422, "invalid_params",
			    "params.%s: required", p->name);
			goto fail;
		}
		if (kinds__value_check(p, v, msg, sizeof(msg)) == -1) {
			hg_err_set(e, 422, "invalid_params", "params.%s: %s",
			    p->name, msg);
			goto fail;
		}
		if ((c = cJSON_Duplicate(v, 1)) == NULL)
			goto nomem;
		if (!cJSON_AddItemToObject(out, p->name, (cJSON *)c)) {
			cJSON_Delete((cJSON *)c);
			goto nomem;
		}
	}
	return out;
nomem:
	hg_err_set(e, 503, "unavailable", "out of memory");
fail:
	cJSON_Delete(out);
	return NULL;
}
