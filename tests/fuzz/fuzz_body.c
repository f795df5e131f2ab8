/*
 * The request body, as POST /api/tasks reads it: json_parse, then the
 * parameter check against a kind with every parameter type. Any input
 * must end in a tree or a clean error, never a crash or a leak.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"
#include "kinds.h"

static const char kinds_text[] =
    "{\"kinds\":[{\"name\":\"k\",\"builtin\":\"count\",\"params\":{"
    "\"total\":{\"type\":\"integer\",\"min\":1,\"max\":1000,\"default\":5},"
    "\"delay_ms\":{\"type\":\"integer\",\"min\":0,\"max\":10},"
    "\"ratio\":{\"type\":\"number\",\"min\":-1.5,\"max\":2.5,\"default\":1},"
    "\"name\":{\"type\":\"string\",\"pattern\":\"^[a-z]+$\","
    "\"max_length\":8,\"default\":\"a\"},"
    "\"mode\":{\"type\":\"string\",\"enum\":[\"x\",\"y\"],\"default\":\"x\"},"
    "\"flag\":{\"type\":\"boolean\",\"default\":false}}}]}";

static struct kinds	*kinds;

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct hg_err	 e;
	cJSON		*doc, *out;
	char		 err[512];

	if (kinds == NULL &&
	    (kinds = kinds_parse("fuzz", kinds_text, sizeof(kinds_text) - 1,
	    err, sizeof(err))) == NULL)
		abort();
	if ((doc = json_parse((const char *)data, size, &e)) == NULL) {
		if (e.status != 400 && e.status != 503)
			abort();
		return 0;
	}
	/* The body itself, or its "params" member, as the params. */
	out = kinds_params_check(&kinds->v[0], cJSON_IsObject(doc) &&
	    cJSON_GetObjectItemCaseSensitive(doc, "params") != NULL ?
	    cJSON_GetObjectItemCaseSensitive(doc, "params") : doc, &e);
	if (out == NULL && e.status != 422 && e.status != 503)
		abort();
	cJSON_Delete(out);
	cJSON_Delete(doc);
	return 0;
}
