/*
 * The task kinds of kinds.json: loaded and checked once at start, then
 * read-only, so every thread may share one struct kinds. The module's
 * files are in lib/kinds/ (load, params, public, command); this is its
 * only public header.
 */
#ifndef HG_KINDS_H
#define HG_KINDS_H

#include <sys/stat.h>
#include <regex.h>
#include <stddef.h>

#include <cjson/cJSON.h>

#include "hg.h"

/* Bytes of a kind's retry_on as text: every code once, commas, NUL. */
#define KINDS_RETRY_ON_MAX	64

/* A declared parameter; its fields are lib/kinds/'s own. */
struct param;

enum builtin {
	BUILTIN_NONE,
	BUILTIN_COUNT
};

struct kind {
	const char	*name;
	const char	*description;	/* "" when not given */
	enum builtin	 builtin;	/* BUILTIN_NONE: a command or external */
	struct param	*params;	/* nparams, as declared */
	size_t		 nparams;
	/* Command kinds only; the strings are borrowed from the document. */
	const char	**argv;		/* NULL-terminated, with {name}s */
	size_t		 argc;
	const char	*cwd;		/* NULL: the task's own folder */
	char		**env;		/* "NAME=value", NULL-terminated */
	int		 env_path;	/* env sets PATH itself */
	const char	*path;		/* PATH for the command */
	double		 timeout_s;	/* 0: none */
	double		 grace_s;	/* SIGTERM to SIGKILL */
	int		 max_running;	/* 0: no limit of its own */
	int		 has_regex;
	regex_t		 progress_re;	/* progress_regex, group 1 a percent */
	double		 while_watched_s; /* 0: runs whether watched or not */
	/* External kinds: the work runs elsewhere and reports over HTTP. */
	int		 external;
	double		 heartbeat_s;	/* silence until a task is lost */
	/* Slurm kinds: a command kind run as a Slurm batch job. */
	int		 slurm;
	const char	**slurm_opts;	/* "--x[=y]" with {name}s, borrowed */
	size_t		 slurm_nopts;
	/* Retries: attempts after the first, the wait before attempt k+1
	 * (a random time between half and all of min(retry_delay_max_s,
	 * retry_delay_s x 2^(k-1))), and the error codes retried, as
	 * "exit_code,signal" (what the store keeps with each task). */
	int		 retries;	/* 0: none */
	double		 retry_delay_s;
	double		 retry_delay_max_s;
	char		 retry_on[KINDS_RETRY_ON_MAX];
};

#define KINDS_PATH_DEFAULT	"/usr/local/bin:/usr/bin:/bin"
#define KINDS_GRACE_DEFAULT	5.0
#define KINDS_HEARTBEAT_DEFAULT	60.0
#define KINDS_RETRY_DELAY_DEFAULT	1.0
#define KINDS_RETRY_DELAY_MAX_DEFAULT	300.0
#define KINDS_RETRY_ON_DEFAULT	"exit_code,signal,timeout,lost"

struct kinds {
	cJSON		*doc;		/* owns every string above */
	struct kind	*v;
	size_t		 n;
	char		*public_json;	/* the body of GET /api/kinds */
	size_t		 public_len;
};

/*
 * Loads and checks path. On error returns NULL and writes to err a
 * message that names the file, the kind and the field:
 *   kinds.json: kind "count": params.total.min: must be a number
 * Free with kinds_free().
 */
struct kinds	*kinds_load(const char *path, char *err, size_t errlen);
/* The same for the len bytes at buf, named name in messages. */
struct kinds	*kinds_parse(const char *name, const char *buf, size_t len,
		    char *err, size_t errlen);
/* Frees k and all it owns; NULL is fine. */
void		 kinds_free(struct kinds *k);

/*
 * The kinds of one file kept between loads, for a runner that takes
 * task after task: the file is opened and its fstat compared each time,
 * and read and checked again only when its inode, size or times changed,
 * or when they were less than settle_ms old at the last read (a write
 * within the same step of the file system's times would not change
 * them). Zero it to begin.
 */
#define KINDS_SETTLE_MS	2000

struct kinds_cache {
	struct kinds	*ks;
	struct stat	 st;		/* the file's, as ks was read */
	int		 trusted;	/* st was settle_ms old at the read */
	int64_t		 settle_ms;	/* 0: KINDS_SETTLE_MS */
	unsigned long	 loads;		/* reads so far, for tests */
};

/*
 * The kinds of path, from c if the file is unchanged, else loaded as by
 * kinds_load() and kept in c. Borrowed from c: valid until the next
 * call with c or kinds_cache_free(). NULL with err set as kinds_load()
 * sets it (and c emptied) if the file cannot be read or is refused.
 */
const struct kinds *kinds_cached(struct kinds_cache *c, const char *path,
		    char *err, size_t errlen);
/* Frees what c keeps; c may be used again. */
void		 kinds_cache_free(struct kinds_cache *c);
/* Returns the kind called name (borrowed from k) or NULL. */
const struct kind *kinds_find(const struct kinds *k, const char *name);
/* Returns the declared parameter called name, or NULL. */
const struct param *kind_param(const struct kind *k, const char *name);

/*
 * Builds the argv of a command kind for checked params (as made by
 * kinds_params_check): each {name} replaced by that parameter's value.
 * Returns a malloc'd NULL-terminated array of malloc'd strings (free
 * with kinds_argv_free), or NULL when memory runs out.
 */
char		**kinds_argv(const struct kind *k, const cJSON *params);
/* The same for the sbatch options of Slurm kind k (slurm_nopts of
 * them). */
char		**kinds_slurm_options(const struct kind *k,
		    const cJSON *params);
void		  kinds_argv_free(char **argv);
/*
 * Finds the program prog in the kind's PATH (kinds_resolve_prog), or the
 * program of command kind k (kinds_resolve): argv[0] itself if it holds a '/',
 * else the first executable of that name in the kind's PATH. Writes the
 * path to buf and returns 0, or -1 with the reason in buf.
 */
int		  kinds_resolve(const struct kind *k, char *buf, size_t len);
int		  kinds_resolve_prog(const struct kind *k, const char *prog,
		    char *buf, size_t len);
/* The text of a parameter's value as a command and the environment see
 * it: strings whole as they are, numbers in their shortest decimal that
 * reads back the same, true/false. Returns a malloc'd string (caller
 * frees), or NULL when memory runs out. */
char		 *kinds_value_text(const cJSON *v);

/*
 * Checks a client's params (an object, or NULL/null when left out)
 * against k. Returns a new object holding every declared parameter in
 * declaration order, defaults filled in (caller frees), or NULL with e
 * set: 422 invalid_params, "params.total: must be an integer from 1 to
 * 1000000"; 503 on allocation failure.
 */
cJSON		*kinds_params_check(const struct kind *k, const cJSON *params,
		    struct hg_err *e);

#endif
