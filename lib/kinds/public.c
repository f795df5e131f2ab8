/*
 * The kinds as clients see them (GET /api/kinds): rendered once at
 * load, since kinds never change after start.
 */
#include <string.h>

#include "json.h"
#include "kinds_int.h"

/* Adds item to o, or frees it; 0, or -1 if it could not be added. */
static int
add_or_free(cJSON *o, const char *name, cJSON *item)
{
	if (item != NULL && cJSON_AddItemToObject(o, name, item))
		return 0;
	cJSON_Delete(item);
	return -1;
}

/* The public view of the kinds: name, description, params as declared,
 * and what a client must know to use a kind. The contract is in
 * kinds_int.h. */
int
kinds__render(struct kinds *ks)
{
	cJSON		*root, *arr, *o;
	const cJSON	*kd, *p;
	size_t		 i;
	int		 rc = -1;

	if ((root = cJSON_CreateObject()) == NULL)
		return -1;
	if ((arr = cJSON_AddArrayToObject(root, "kinds")) == NULL)
		goto out;
	kd = cJSON_GetObjectItemCaseSensitive(ks->doc, "kinds")->child;
	for (i = 0; i < ks->n; i++, kd = kd->next) {
		if ((o = cJSON_CreateObject()) == NULL)
			goto out;
		if (!cJSON_AddItemToArray(arr, o)) {
			cJSON_Delete(o);
			goto out;
		}
		p = cJSON_GetObjectItemCaseSensitive(kd, "params");
		if (add_or_free(o, "name",
		    cJSON_CreateString(ks->v[i].name)) == -1 ||
		    add_or_free(o, "description",
		    cJSON_CreateString(ks->v[i].description)) == -1 ||
		    add_or_free(o, "params", p != NULL ?
		    cJSON_Duplicate(p, 1) : cJSON_CreateObject()) == -1)
			goto out;
		/* What a client must know to use the kind. */
		if ((ks->v[i].external && add_or_free(o, "external",
		    cJSON_CreateTrue()) == -1) || (ks->v[i].while_watched_s >
		    0 && add_or_free(o, "while_watched_s", cJSON_CreateNumber(
		    ks->v[i].while_watched_s)) == -1))
			goto out;
	}
	if ((ks->public_json = json_print(root)) == NULL)
		goto out;
	ks->public_len = strlen(ks->public_json);
	rc = 0;
out:
	cJSON_Delete(root);
	return rc;
}
