/*
 * Settings from the environment, each with a default. Read once at
 * start; read-only after.
 */
#ifndef HG_CONFIG_H
#define HG_CONFIG_H

#include <limits.h>
#include <stddef.h>

struct config {
	char	data[PATH_MAX];		/* HOURGLASS_DATA, absolute */
	char	kinds[PATH_MAX];	/* HOURGLASS_KINDS */
	char	db[PATH_MAX];		/* <data>/hourglass.db */
	char	sock[108];		/* <data>/fcgi.sock, for nginx */
	char	notify[108];		/* <data>/notify.sock, runners -> us */
	char	runner[PATH_MAX];	/* the hourglass-runner binary */
};

/*
 * Fills c from HOURGLASS_DATA (default "data", created if missing) and
 * HOURGLASS_KINDS (default "kinds.json"), HOURGLASS_RUNNER (default:
 * hourglass-runner beside this program). Returns 0, or -1 with the
 * reason in err.
 */
int	config_load(struct config *c, char *err, size_t errlen);

#endif
