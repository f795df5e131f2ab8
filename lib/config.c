#include <errno.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
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

int
config_load(struct config *c, char *err, size_t errlen)
{
	const char	*data = env_or("HOURGLASS_DATA", "data");
	const char	*runner = getenv("HOURGLASS_RUNNER");
	char		 self[PATH_MAX];
	ssize_t		 n;

	memset(c, 0, sizeof(*c));
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
	    config_token(c, err, errlen) == -1)
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
