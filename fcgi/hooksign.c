#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "hg.h"
#include "hooksign.h"

int
hook_hmac_hex(const void *key, size_t keylen, const void *msg, size_t len,
    char *hex)
{
	static const char	 digits[] = "0123456789abcdef";
	unsigned char		 md[EVP_MAX_MD_SIZE];
	unsigned int		 mdlen = 0, i;

	hex[0] = '\0';
	/* A NULL key means "reuse the last one" to HMAC(): never pass it. */
	if (HMAC(EVP_sha256(), keylen > 0 ? key : "", (int)keylen, msg, len,
	    md, &mdlen) == NULL || mdlen != 32)
		return -1;
	for (i = 0; i < mdlen; i++) {
		hex[2 * i] = digits[md[i] >> 4];
		hex[2 * i + 1] = digits[md[i] & 15];
	}
	hex[2 * mdlen] = '\0';
	return 0;
}

int
hook_sign(const char *secret, int64_t t, const char *body, size_t len,
    char *out)
{
	char	 pre[24], hex[65], *msg;
	int	 n, rc;

	n = snprintf(pre, sizeof(pre), "%lld.", (long long)t);
	if ((msg = malloc((size_t)n + len + 1)) == NULL)
		return -1;
	memcpy(msg, pre, (size_t)n);
	memcpy(msg + n, body, len);
	rc = hook_hmac_hex(secret, strlen(secret), msg, (size_t)n + len, hex);
	free(msg);
	if (rc == -1)
		return -1;
	snprintf(out, HOOK_SIG_MAX, "t=%lld,v1=%s", (long long)t, hex);
	return 0;
}

int64_t
hook_backoff_ms(int64_t n, uint64_t r)
{
	int64_t	 full = HG_HOOK_BACKOFF_MAX_MS, half;

	/* 2^(n-1) s, until it passes the cap (2^10 s does). */
	if (n < 1)
		n = 1;
	if (n <= 10 && (1000LL << (n - 1)) < full)
		full = 1000LL << (n - 1);
	half = full / 2;
	return half + (int64_t)(r % (uint64_t)(full - half + 1));
}
