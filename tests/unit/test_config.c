/*
 * lib/config: HOURGLASS_CORS_ORIGINS, checked once at start and matched
 * byte for byte against an Origin header.
 */
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "unit.h"

static struct config	 cfg;
static char		 err[1024];

/* config_load() with HOURGLASS_CORS_ORIGINS set to v (NULL: unset). */
static int
load(const char *v)
{
	setenv("HOURGLASS_DATA", unit_dir, 1);
	setenv("HOURGLASS_RUNNER", "/bin/true", 1);
	if (v != NULL)
		setenv("HOURGLASS_CORS_ORIGINS", v, 1);
	else
		unsetenv("HOURGLASS_CORS_ORIGINS");
	err[0] = '\0';
	return config_load(&cfg, err, sizeof(err));
}

static void
cors_unset_allows_none(void)
{
	CHECK_INT(load(NULL), 0);
	CHECK_STR(cfg.cors, "");
	CHECK(!config_cors_allowed(&cfg, "http://127.0.0.1:9000"));
	CHECK(!config_cors_allowed(&cfg, ""));
	CHECK(!config_cors_allowed(&cfg, NULL));
	CHECK_INT(load(""), 0);
	CHECK_STR(cfg.cors, "");
}

static void
cors_list_is_kept_without_spaces(void)
{
	CHECK_INT(load(" http://127.0.0.1:9000 ,\thttps://app.example.com,"
	    "http://[::1]:8000"), 0);
	CHECK_STR(cfg.cors, "http://127.0.0.1:9000,https://app.example.com,"
	    "http://[::1]:8000");
}

static void
cors_allows_listed_origins_exactly(void)
{
	CHECK_INT(load("http://127.0.0.1:9000,https://app.example.com"), 0);
	CHECK(config_cors_allowed(&cfg, "http://127.0.0.1:9000"));
	CHECK(config_cors_allowed(&cfg, "https://app.example.com"));
	CHECK(!config_cors_allowed(&cfg, "http://127.0.0.1:900"));
	CHECK(!config_cors_allowed(&cfg, "http://127.0.0.1:90000"));
	CHECK(!config_cors_allowed(&cfg, "http://127.0.0.1:9000/"));
	CHECK(!config_cors_allowed(&cfg, "HTTPS://app.example.com"));
	CHECK(!config_cors_allowed(&cfg, "https://app.example.co"));
	CHECK(!config_cors_allowed(&cfg, "http://127.0.0.1:9000,"
	    "https://app.example.com"));
	CHECK(!config_cors_allowed(&cfg, ""));
	CHECK(!config_cors_allowed(&cfg, "null"));
	CHECK(!config_cors_allowed(&cfg, NULL));
}

static void
cors_refuses_what_is_no_origin(void)
{
	const char	*bad[] = { "*", "null", "x.example", "ftp://x.example",
	    "http://", "https://", "http://x.example/", "http://x.example/a",
	    "http://x.example?q", "http://x.example#f", "http://X.example",
	    "http://user@x.example", "http://x.example:", "http://x.example:0",
	    "http://x.example:08", "http://x.example:65536",
	    "http://x.example:123456", "http://[::1", "http://[]",
	    "http://[::G]", "http://x.example,", ",http://x.example",
	    "http://x.example,,http://y.example", " , ", "http://x .example",
	    "http://x.example,*" };
	size_t		 i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		CHECK_INT(load(bad[i]), -1);
		CHECK_PREFIX(err, "HOURGLASS_CORS_ORIGINS");
	}
	CHECK_INT(load("http://x.example,*"), -1);
	CHECK_HAS(err, "\"*\"");
	CHECK_HAS(err, "wildcard");
	CHECK_INT(load("http://x.example/"), -1);
	CHECK_HAS(err, "\"http://x.example/\"");
	CHECK_HAS(err, "trailing slash");
	CHECK_INT(load("http://A.example"), -1);
	CHECK_HAS(err, "lower case");
	CHECK_INT(load("https://x.Example"), -1);
	CHECK_HAS(err, "lower case");
}

static void
cors_refuses_a_default_port(void)
{
	CHECK_INT(load("http://x.example:80"), -1);
	CHECK_HAS(err, "default port");
	CHECK_INT(load("https://x.example:443"), -1);
	CHECK_HAS(err, "default port");
	CHECK_INT(load("http://x.example:443,https://x.example:80"), 0);
}

static void
cors_refuses_a_list_too_long(void)
{
	char	 v[HG_CORS_MAX + 32];
	size_t	 o = 0;

	while (o + 24 < sizeof(v))
		o += (size_t)snprintf(v + o, sizeof(v) - o,
		    "%shttp://a.example", o > 0 ? "," : "");
	CHECK_INT(load(v), -1);
	CHECK_HAS(err, "longer than");
}

/* config_load() with HOURGLASS_WEBHOOK_URL set to url (CORS unset). */
static int
load_hook(const char *url)
{
	setenv("HOURGLASS_WEBHOOK_URL", url, 1);
	setenv("HOURGLASS_WEBHOOK_SECRET", "s3cret", 1);
	return load(NULL);
}

static void
hook_url_http_or_https_is_kept(void)
{
	CHECK_INT(load_hook("http://127.0.0.1:9000/hook"), 0);
	CHECK_STR(cfg.hook_url, "http://127.0.0.1:9000/hook");
	CHECK_STR(cfg.hook_secret, "s3cret");
	CHECK_INT(load_hook("HTTPS://hooks.example.com/x?y=1"), 0);
	CHECK_INT(load_hook(""), 0);
	CHECK_STR(cfg.hook_url, "");
}

static void
hook_url_of_another_kind_is_refused(void)
{
	static const char *const bad[] = { "ftp://example.com/",
	    "example.com/hook", "http://", "http:///hook", "file:///etc/x",
	    "https://exa mple.com/", "http://example.com/\x7f" };
	char	 longer[HG_HOOK_URL_MAX + 16];
	size_t	 i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		CHECK_INT(load_hook(bad[i]), -1);
		CHECK_PREFIX(err, "HOURGLASS_WEBHOOK_URL");
	}
	memcpy(longer, "http://x/", 9);
	memset(longer + 9, 'a', sizeof(longer) - 10);
	longer[sizeof(longer) - 1] = '\0';
	CHECK_INT(load_hook(longer), -1);
	CHECK_HAS(err, "at most 2047");
}

static const struct unit_test tests[] = {
	UNIT(hook_url_http_or_https_is_kept),
	UNIT(hook_url_of_another_kind_is_refused),
	UNIT(cors_unset_allows_none),
	UNIT(cors_list_is_kept_without_spaces),
	UNIT(cors_allows_listed_origins_exactly),
	UNIT(cors_refuses_what_is_no_origin),
	UNIT(cors_refuses_a_default_port),
	UNIT(cors_refuses_a_list_too_long),
};

int
main(int argc, char **argv)
{
	UNIT_MAIN(tests, argc, argv);
}
