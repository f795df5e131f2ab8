/*
 * Settings from the environment, each with a default. Read once at
 * start; read-only after.
 */
#ifndef HG_CONFIG_H
#define HG_CONFIG_H

#include <limits.h>
#include <stddef.h>

#include "hg.h"

struct config {
	char	data[PATH_MAX];		/* HOURGLASS_DATA, absolute */
	char	kinds[PATH_MAX];	/* HOURGLASS_KINDS */
	char	db[PATH_MAX];		/* <data>/hourglass.db */
	char	sock[108];		/* <data>/fcgi.sock, for nginx */
	char	notify[108];		/* <data>/notify.sock, runners -> us */
	char	host[108];		/* <data>/runner.sock, -> runner host */
	char	runner[PATH_MAX];	/* the hourglass-runner binary */
	long long log_max;		/* HOURGLASS_LOG_MAX, bytes per task */
	long long runner_log_max;	/* HOURGLASS_RUNNER_LOG_MAX, bytes */
	long long data_max;		/* HOURGLASS_DATA_MAX, bytes per task */
	int	max_running;		/* HOURGLASS_MAX_RUNNING, default cores */
	int	max_queued;		/* HOURGLASS_MAX_QUEUED */
	int	retain_days;		/* HOURGLASS_RETAIN_DAYS */
	char	token[256];		/* HOURGLASS_TOKEN; "" when none */
	/* HOURGLASS_CORS_ORIGINS checked, as "origin,origin" without
	 * spaces; "" when none. */
	char	cors[HG_CORS_MAX];
	/* HOURGLASS_WEBHOOK_URL, http:// or https://; "" when none. */
	char	hook_url[HG_HOOK_URL_MAX];
	char	hook_secret[HG_HOOK_SECRET_MAX];	/* HOURGLASS_WEBHOOK_SECRET */
	/* Not a setting: the descriptor that is the server's stderr in this
	 * process, which launch.c hands each runner as HG_SERVER_ERR_FD: 2 in
	 * the server, HG_SERVER_ERR_FD in a runner given one, -1 (what
	 * config_load sets) for none. */
	int	server_err;
};

#define CONFIG_LOG_MAX_DEFAULT	(10LL * 1024 * 1024)
#define CONFIG_DATA_MAX_DEFAULT	(10LL * 1024 * 1024)
#define CONFIG_MAX_QUEUED_DEFAULT	10000

/*
 * Fills c from HOURGLASS_DATA (default "data", created if missing) and
 * HOURGLASS_KINDS (default "kinds.json"), HOURGLASS_RUNNER (default:
 * hourglass-runner beside this program), HOURGLASS_LOG_MAX (bytes, default
 * 10 MiB), HOURGLASS_RUNNER_LOG_MAX (bytes of runner.log before it is
 * rotated, default HG_RUNNER_LOG_MAX), HOURGLASS_DATA_MAX (bytes of a
 * task's data items, default 10 MiB), HOURGLASS_TOKEN (at most 255
 * bytes, printable ASCII), HOURGLASS_CORS_ORIGINS (comma-separated
 * origins, each scheme://host[:port] as a browser sends it in Origin),
 * HOURGLASS_WEBHOOK_URL (http:// or https://, a host, printable ASCII
 * without spaces) and HOURGLASS_WEBHOOK_SECRET.
 * Creates <data>/logs and <data>/tasks. Returns 0, or -1 with
 * the reason in err.
 */
int	config_load(struct config *c, char *err, size_t errlen);
/* Is origin (borrowed; NULL is no) one of HOURGLASS_CORS_ORIGINS,
 * byte for byte? Can't fail. */
int	config_cors_allowed(const struct config *c, const char *origin);

#endif
