/*
 * A kinds file: loaded, or refused with a message naming the file. A
 * loaded one must give a public description that is valid JSON.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"
#include "kinds.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct kinds	*ks;
	struct hg_err	 e;
	cJSON		*pub;
	char		 err[1024];

	err[0] = '\0';
	if ((ks = kinds_parse("fuzz.json", (const char *)data, size, err,
	    sizeof(err))) == NULL) {
		if (strncmp(err, "fuzz.json: ", 11) != 0)
			abort();
		return 0;
	}
	if ((pub = json_parse(ks->public_json, ks->public_len, &e)) == NULL &&
	    e.status != 503)
		abort();
	cJSON_Delete(pub);
	kinds_free(ks);
	return 0;
}
