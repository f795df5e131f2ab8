/*
 * What a webhook delivery's attempt computes, apart from sending it: its
 * Hourglass-Signature and the wait before the next retry. A leaf: it
 * calls nothing of fcgi/ (tests/unit/test_hooksign.c links it alone).
 */
#ifndef HG_HOOKSIGN_H
#define HG_HOOKSIGN_H

#include <stddef.h>
#include <stdint.h>

/* "t=<20 digits at most>,v1=<64 hex>" and its NUL. */
#define HOOK_SIG_MAX	(2 + 20 + 4 + 64 + 1)

/*
 * Writes into hex (65 bytes) the lower-case hex HMAC-SHA256 of the len
 * bytes of msg with the keylen bytes of key (Nettle's). Can't fail.
 */
void	hook_hmac_hex(const void *key, size_t keylen, const void *msg,
	    size_t len, char *hex);

/*
 * Writes "t=<t>,v1=<hex HMAC-SHA256 of "<t>.<body>" with secret>" into
 * out (HOOK_SIG_MAX bytes). Returns 0, or -1 without memory.
 */
int	hook_sign(const char *secret, int64_t t, const char *body,
	    size_t len, char *out);

/*
 * The wait before retry n (n from 1: the first retry follows the first
 * attempt), in ms: between half and all of min(600, 2^(n-1)) seconds,
 * r (any random number) picking where. Can't fail.
 */
int64_t	hook_backoff_ms(int64_t n, uint64_t r);

#endif
