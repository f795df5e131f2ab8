/*
 * External tasks: the work runs elsewhere and reports here, with a
 * token of the task's own.
 */
#ifndef HG_REPORT_H
#define HG_REPORT_H

#include <stddef.h>
#include <stdint.h>

#include "http.h"

/* Makes a new report token (64 hex digits and a NUL, into token of len
 * bytes) and its SHA-256 (STORE_HASH_LEN bytes). Returns -1 if no
 * randomness could be had. */
int	 report_token_new(char *token, size_t len, unsigned char *hash);
/* POST /api/tasks/{id}/report, with the task's own token. */
void	 report_serve(struct req *r, int64_t id);

#endif
