#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <nettle/hmac.h>

#include "hg.h"
#include "hooksign.h"

void
hook_hmac_hex(const void *key, size_t keylen, const void *msg, size_t len,
    char *hex)
{
	static const char	 digits[] = "0123456789abcdef";
	struct hmac_sha256_ctx	 c;
	uint8_t			 md[SHA256_DIGEST_SIZE];
	size_t			 i;

	hmac_sha256_set_key(&c, keylen, key);
	hmac_sha256_update(&c, len, msg);
	hmac_sha256_digest(&c, sizeof(md), md);
	for (i = 0; i < sizeof(md); i++) {
		hex[2 * i] = digits[md[i] >> 4];
		hex[2 * i + 1] = digits[md[i] & 15];
	}
	hex[2 * sizeof(md)] = '\0';
}

int
hook_sign(const char *secret, int64_t t, const char *body, size_t len,
    char *out)
{
	char	 pre[24], hex[65], *msg;
	int	 n;

	n = snprintf(pre, sizeof(pre), "%lld.", (long long)t);
	if ((msg = malloc((size_t)n + len + 1)) == NULL)
		return -1;
	memcpy(msg, pre, (size_t)n);
	memcpy(msg + n, body, len);
	hook_hmac_hex(secret, strlen(secret), msg, (size_t)n + len, hex);
	free(msg);
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
