/*
 * lib/kinds, the kinds as clients see them: the body of GET /api/kinds
 * rendered at load.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"
#include "kinds.h"
#include "unit.h"
#include "kinds_unit.h"

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

static const struct unit_test tests[] = {
	UNIT(public_json_lists_name_description_params),
	UNIT(public_json_gives_empty_description_and_params_when_absent),
};

int
main(int argc, char **argv)
{
	UNIT_MAIN(tests, argc, argv);
}
