#include <errno.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config.h"
#include "hg.h"

static const char *
env_or(const char *name, const char *def)
{
	const char	*v = getenv(name);

	return v != NULL && v[0] != '\0' ? v : def;
}

/* snprintf that reports truncation, as slowcgi does for its socket. */
static int
join(char *buf, size_t len, const char *dir, const char *file)
{
	int	 n = snprintf(buf, len, "%s/%s", dir, file);

	return n < 0 || (size_t)n >= len ? -1 : 0;
}

/* A number of bytes, at least min, from the environment, or def. */
static int
env_bytes(const char *name, long long def, long long min, long long *out,
    char *err, size_t errlen)
{
	const char	*v = getenv(name);
	char		*end;

	*out = def;
	if (v == NULL || v[0] == '\0')
		return 0;
	errno = 0;
	*out = strtoll(v, &end, 10);
	if (errno != 0 || *end != '\0' || *out < min ||
	    strspn(v, "0123456789") != strlen(v)) {
		snprintf(err, errlen, "%s %s: must be a number of bytes, at "
		    "least %lld", name, v, min);
		return -1;
	}
	return 0;
}

static int
config_logs(struct config *c, char *err, size_t errlen)
{
	char		 dir[PATH_MAX + 8];
	const char	*sub[] = { "logs", "tasks" };
	size_t		 i;

	if (env_bytes("HOURGLASS_LOG_MAX", CONFIG_LOG_MAX_DEFAULT, 1024,
	    &c->log_max, err, errlen) == -1 ||
	    env_bytes("HOURGLASS_RUNNER_LOG_MAX", HG_RUNNER_LOG_MAX,
	    HG_RUNNER_LOG_LINE, &c->runner_log_max, err, errlen) == -1 ||
	    env_bytes("HOURGLASS_DATA_MAX", CONFIG_DATA_MAX_DEFAULT, 0,
	    &c->data_max, err, errlen) == -1)
		return -1;
	for (i = 0; i < 2; i++) {
		if (join(dir, sizeof(dir), c->data, sub[i]) == -1 ||
		    (mkdir(dir, 0700) == -1 && errno != EEXIST)) {
			snprintf(err, errlen, "%s/%s: %s", c->data, sub[i],
			    strerror(errno));
			return -1;
		}
	}
	return 0;
}

/* A whole number in 1..100000 from the environment, or def. */
static int
env_count(const char *name, int def, int *out, char *err, size_t errlen)
{
	const char	*v = getenv(name);
	long		 n;
	char		*end;

	*out = def;
	if (v == NULL || v[0] == '\0')
		return 0;
	errno = 0;
	n = strtol(v, &end, 10);
	if (errno != 0 || *end != '\0' || n < 1 || n > 100000 ||
	    strspn(v, "0123456789") != strlen(v)) {
		snprintf(err, errlen, "%s %s: must be an integer from 1 to "
		    "100000", name, v);
		return -1;
	}
	*out = (int)n;
	return 0;
}

static int
config_limits(struct config *c, char *err, size_t errlen)
{
	long	 cores = sysconf(_SC_NPROCESSORS_ONLN);

	if (env_count("HOURGLASS_MAX_RUNNING", cores > 0 ? (int)cores : 1,
	    &c->max_running, err, errlen) == -1)
		return -1;
	if (env_count("HOURGLASS_RETAIN_DAYS", 30, &c->retain_days, err,
	    errlen) == -1)
		return -1;
	return env_count("HOURGLASS_MAX_QUEUED", CONFIG_MAX_QUEUED_DEFAULT,
	    &c->max_queued, err, errlen);
}

static int
config_token(struct config *c, char *err, size_t errlen)
{
	const char	*v = getenv("HOURGLASS_TOKEN");
	size_t		 i;

	if (v == NULL || v[0] == '\0')
		return 0;
	/* It travels in a header and a query string: keep it plain. */
	for (i = 0; v[i] != '\0'; i++)
		if (v[i] <= 0x20 || v[i] > 0x7e || v[i] == '&' || v[i] == '%' ||
		    v[i] == '+' || v[i] == '#')
			break;
	if (v[i] != '\0' || i >= sizeof(c->token)) {
		/* Never the token itself in a message. */
		snprintf(err, errlen, "HOURGLASS_TOKEN: must be 1 to %zu "
		    "printable ASCII characters without spaces, &, %%, + or #",
		    sizeof(c->token) - 1);
		return -1;
	}
	memcpy(c->token, v, i + 1);
	return 0;
}

/*
 * One origin as a browser writes it in the Origin header: http or
 * https, "://", a host in lower case (a name, an IPv4 address or an
 * IPv6 one in brackets) and a port unless it is the scheme's default.
 * Anything else would never equal an Origin header ("http://x/", upper
 * case, ":80"), or would allow more than one origin ("*").
 * Returns NULL if o (len bytes, inside a NUL-terminated string) is one,
 * else what is wrong with it.
 */
static const char *
origin_check(const char *o, size_t len)
{
	const char	*p, *host, *end = o + len;
	unsigned long	 port;
	size_t		 n;
	int		 https = len > 8 && memcmp(o, "https://", 8) == 0;

	if (len == 1 && o[0] == '*')
		return "a wildcard is not allowed: list each origin";
	if (!https && !(len > 7 && memcmp(o, "http://", 7) == 0))
		return "must start with http:// or https://";
	host = p = o + (https ? 8 : 7);
	if (*p == '[') {
		p += 1 + strspn(p + 1, "0123456789abcdef:.");
		if (p >= end || *p != ']' || p == host + 1)
			return "an IPv6 address must be in brackets, in lower "
			    "case";
		p++;
	} else
		p += strspn(p, "abcdefghijklmnopqrstuvwxyz0123456789.-");
	if (p < end && *p >= 'A' && *p <= 'Z')
		return "the host must be in lower case, as a browser sends it";
	if (p == host)
		return "has no host";
	if (p < end && *p == ':') {
		n = strspn(++p, "0123456789");
		port = n > 0 && n <= 5 && *p != '0' ? strtoul(p, NULL, 10) : 0;
		if (port < 1 || port > 65535 || p + n > end)
			return "the port must be a number from 1 to 65535";
		if (port == (https ? 443UL : 80UL))
			return "leave out the scheme's default port, as a "
			    "browser does";
		p += n;
	}
	if (p != end)
		return "must be scheme://host[:port] in lower case, with "
		    "nothing after it: no path and no trailing slash";
	return NULL;
}

/*
 * HOURGLASS_WEBHOOK_URL and _SECRET. The URL must be http:// or https://
 * with a host, printable ASCII without spaces; libcurl, which sends it,
 * parses the rest when the server starts (webhook.c). Refused at start
 * rather than failing each delivery for a day.
 */
static int
config_hook(struct config *c, char *err, size_t errlen)
{
	const char	*u = getenv("HOURGLASS_WEBHOOK_URL");
	const char	*k = getenv("HOURGLASS_WEBHOOK_SECRET");
	size_t		 i, skip;

	if (u != NULL && u[0] != '\0') {
		skip = strncasecmp(u, "https://", 8) == 0 ? 8 :
		    strncasecmp(u, "http://", 7) == 0 ? 7 : 0;
		for (i = 0; u[i] > 0x20 && u[i] < 0x7f; i++)
			;
		if (skip == 0 || u[i] != '\0' || i >= sizeof(c->hook_url) ||
		    u[skip] == '\0' || u[skip] == '/') {
			snprintf(err, errlen, "HOURGLASS_WEBHOOK_URL %.64s%s: "
			    "must be an http:// or https:// URL with a host, "
			    "at most %zu printable ASCII characters without "
			    "spaces", u, strlen(u) > 64 ? "..." : "",
			    sizeof(c->hook_url) - 1);
			return -1;
		}
		memcpy(c->hook_url, u, i + 1);
	}
	if (k != NULL && strlen(k) >= sizeof(c->hook_secret)) {
		/* Never the secret itself in a message. */
		snprintf(err, errlen, "HOURGLASS_WEBHOOK_SECRET: longer than "
		    "%zu bytes", sizeof(c->hook_secret) - 1);
		return -1;
	}
	if (k != NULL)
		snprintf(c->hook_secret, sizeof(c->hook_secret), "%s", k);
	return 0;
}

/* HOURGLASS_CORS_ORIGINS into c->cors, each origin checked. */
static int
config_cors(struct config *c, char *err, size_t errlen)
{
	const char	*v = getenv("HOURGLASS_CORS_ORIGINS"), *p, *why;
	size_t		 len, o = 0;

	if (v == NULL || v[0] == '\0')
		return 0;
	if (strlen(v) >= sizeof(c->cors)) {
		snprintf(err, errlen, "HOURGLASS_CORS_ORIGINS: longer than "
		    "%zu bytes", sizeof(c->cors) - 1);
		return -1;
	}
	for (p = v;; p++) {
		p += strspn(p, " \t");
		len = strcspn(p, ",");
		while (len > 0 && (p[len - 1] == ' ' || p[len - 1] == '\t'))
			len--;
		if (len == 0) {
			snprintf(err, errlen, "HOURGLASS_CORS_ORIGINS %s: an "
			    "empty origin; separate origins with one comma",
			    v);
			return -1;
		}
		if ((why = origin_check(p, len)) != NULL) {
			snprintf(err, errlen, "HOURGLASS_CORS_ORIGINS: "
			    "\"%.*s\": %s", (int)len, p, why);
			return -1;
		}
		if (o > 0)
			c->cors[o++] = ',';
		memcpy(c->cors + o, p, len);
		o += len;
		p += strcspn(p, ",");
		if (*p == '\0')
			break;
	}
	c->cors[o] = '\0';
	return 0;
}

int
config_cors_allowed(const struct config *c, const char *origin)
{
	const char	*p = c->cors;
	size_t		 n, len;

	if (origin == NULL || *p == '\0')
		return 0;
	n = strlen(origin);
	for (;;) {
		len = strcspn(p, ",");
		if (len == n && memcmp(p, origin, n) == 0)
			return 1;
		if (p[len] == '\0')
			return 0;
		p += len + 1;
	}
}

int
config_load(struct config *c, char *err, size_t errlen)
{
	const char	*data = env_or("HOURGLASS_DATA", "data");
	const char	*runner = getenv("HOURGLASS_RUNNER");
	char		 self[PATH_MAX];
	ssize_t		 n;

	memset(c, 0, sizeof(*c));
	c->server_err = -1;
	if (mkdir(data, 0700) == -1 && errno != EEXIST) {
		snprintf(err, errlen, "HOURGLASS_DATA %s: %s", data,
		    strerror(errno));
		return -1;
	}
	if (realpath(data, c->data) == NULL) {
		snprintf(err, errlen, "HOURGLASS_DATA %s: %s", data,
		    strerror(errno));
		return -1;
	}
	if (join(c->db, sizeof(c->db), c->data, "hourglass.db") == -1 ||
	    join(c->sock, sizeof(c->sock), c->data, "fcgi.sock") == -1 ||
	    join(c->notify, sizeof(c->notify), c->data, "notify.sock") == -1 ||
	    join(c->host, sizeof(c->host), c->data, "runner.sock") == -1) {
		snprintf(err, errlen, "HOURGLASS_DATA %s: the path is too "
		    "long for a unix socket (at most %zu bytes)", c->data,
		    sizeof(c->sock) - 13);
		return -1;
	}
	snprintf(c->kinds, sizeof(c->kinds), "%s",
	    env_or("HOURGLASS_KINDS", "kinds.json"));
	if (config_logs(c, err, errlen) == -1 ||
	    config_limits(c, err, errlen) == -1 ||
	    config_token(c, err, errlen) == -1 ||
	    config_cors(c, err, errlen) == -1 ||
	    config_hook(c, err, errlen) == -1)
		return -1;
	if (runner != NULL && runner[0] != '\0') {
		snprintf(c->runner, sizeof(c->runner), "%s", runner);
		return 0;
	}
	if ((n = readlink("/proc/self/exe", self, sizeof(self) - 1)) == -1) {
		snprintf(err, errlen, "/proc/self/exe: %s", strerror(errno));
		return -1;
	}
	self[n] = '\0';
	if (join(c->runner, sizeof(c->runner), dirname(self),
	    "hourglass-runner") == -1) {
		snprintf(err, errlen, "%s: path too long", self);
		return -1;
	}
	return 0;
}
