/*
 * fcgi/hooksign: the webhook's signature against known HMAC-SHA256
 * vectors (RFC 4231 and one made with Python's hmac module), and the
 * bounds of the retries' backoff.
 */
#include <stdint.h>
#include <string.h>

#include "../../fcgi/hooksign.h"
#include "unit.h"

static void
hmac_matches_rfc4231_case_2(void)
{
	char	 hex[65];

	hook_hmac_hex("Jefe", 4, "what do ya want for nothing?", 28, hex);
	CHECK_STR(hex, "5bdcc146bf60754e6a042426089575c75a003f089d273983"
	    "9dec58b964ec3843");
}

/* A key longer than SHA-256's block is hashed first. */
static void
hmac_matches_rfc4231_case_6(void)
{
	char	 key[131], hex[65];
	const char *msg = "Test Using Larger Than Block-Size Key - Hash Key "
	    "First";

	memset(key, 0xaa, sizeof(key));
	hook_hmac_hex(key, sizeof(key), msg, strlen(msg), hex);
	CHECK_STR(hex, "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c514"
	    "0546040f0ee37f54");
}

static void
sign_covers_time_dot_body(void)
{
	const char	*body = "{\"type\":\"task.finished\"}";
	char		 sig[HOOK_SIG_MAX];

	/* python3: hmac.new(b"whsec_test", b"1700000000." + body,
	 * hashlib.sha256).hexdigest() */
	CHECK_INT(hook_sign("whsec_test", 1700000000, body, strlen(body),
	    sig), 0);
	CHECK_STR(sig, "t=1700000000,v1=175186cec6fa0ac05d7cbc6d94859486a6fe"
	    "08ff5e84e2ce0a0e99b573d281f7");
}

static void
sign_with_empty_secret_still_signs(void)
{
	char	 sig[HOOK_SIG_MAX];

	CHECK_INT(hook_sign("", 1, "x", 1, sig), 0);
	CHECK_STR(sig, "t=1,v1=d356c76f2be16120eca994746a279fd612267e791d24"
	    "5c4745ebbf0f98fc31f2");
}

static void
sign_fits_the_largest_time(void)
{
	char	 sig[HOOK_SIG_MAX];

	CHECK_INT(hook_sign("k", INT64_MAX, "", 0, sig), 0);
	CHECK_INT(strlen(sig), HOOK_SIG_MAX - 2);	/* 19 digits */
}

static void
backoff_is_half_to_all_of_two_to_the_n_minus_one(void)
{
	static const int64_t	 full[] = { 1000, 2000, 4000, 8000, 16000,
	    32000, 64000, 128000, 256000, 512000, 600000, 600000 };
	uint64_t		 r;
	size_t			 i;

	for (i = 0; i < sizeof(full) / sizeof(full[0]); i++) {
		CHECK_INT(hook_backoff_ms((int64_t)i + 1, 0), full[i] / 2);
		CHECK_INT(hook_backoff_ms((int64_t)i + 1, full[i] / 2),
		    full[i]);
		for (r = 1; r < 5000000; r += 99991) {
			int64_t	 w = hook_backoff_ms((int64_t)i + 1, r * 7919);

			CHECK(w >= full[i] / 2 && w <= full[i]);
		}
	}
}

static void
backoff_is_capped_for_any_n(void)
{
	CHECK_INT(hook_backoff_ms(11, UINT64_MAX - 1) <= 600000, 1);
	CHECK_INT(hook_backoff_ms(64, 0), 300000);
	CHECK_INT(hook_backoff_ms(INT64_MAX, 12345) >= 300000, 1);
	CHECK_INT(hook_backoff_ms(INT64_MAX, 12345) <= 600000, 1);
	/* Nonsense n is read as the first retry. */
	CHECK_INT(hook_backoff_ms(0, 0), 500);
	CHECK_INT(hook_backoff_ms(-3, 500), 1000);
}

static const struct unit_test tests[] = {
	UNIT(hmac_matches_rfc4231_case_2),
	UNIT(hmac_matches_rfc4231_case_6),
	UNIT(sign_covers_time_dot_body),
	UNIT(sign_with_empty_secret_still_signs),
	UNIT(sign_fits_the_largest_time),
	UNIT(backoff_is_half_to_all_of_two_to_the_n_minus_one),
	UNIT(backoff_is_capped_for_any_n),
};

int
main(int argc, char **argv)
{
	UNIT_MAIN(tests, argc, argv);
}
