/*
 * hourglass-fcgi: the API server. nginx speaks FastCGI to it on a unix
 * socket in the data folder.
 *
 * Threads: main (start-up, then waits for SIGTERM/SIGINT), the acceptor
 * (FCGX_Accept_r in one thread, as fcgi2's threaded example serialises
 * it), a few workers that answer requests, a thread of its own (small
 * stack) for each SSE stream, which may stay open for hours, and the
 * feed and janitor threads.
 */
#include <errno.h>
#include <fcntl.h>
#include <malloc.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "notify.h"
#include "server.h"

#define THREAD_STACK	(256 * 1024)	/* SQLite needs well under this */
#define WORKERS		HG_POOL_MAX	/* one per SQLite connection */
#define LISTEN_BACKLOG	1024
#define DRAIN_MS	5000		/* wait for requests at shutdown */

struct server	 srv;

static struct {
	pthread_mutex_t	 mu;	/* guards inflight, stopping */
	pthread_cond_t	 cv;	/* signalled when inflight drops */
	int		 inflight;
	int		 stopping;
} reqs = { PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, 0, 0 };

/* Requests waiting for a worker, oldest first. */
struct queued {
	struct req	*r;
	struct queued	*next;
};

static struct {
	pthread_mutex_t	 mu;
	pthread_cond_t	 cv;
	struct queued	*head, *tail;
	int		 stopping;
} work = { PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, NULL, NULL,
    0 };

static int	 listen_fd = -1;

static void
die(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));

static void
die(const char *fmt, ...)
{
	va_list	 ap;

	fprintf(stderr, "hourglass-fcgi: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(1);
}

static void
req_done(struct req *r)
{
	FCGX_Finish_r(&r->fcgi);
	free(r);
	pthread_mutex_lock(&reqs.mu);
	reqs.inflight--;
	pthread_cond_signal(&reqs.cv);
	pthread_mutex_unlock(&reqs.mu);
}

static void
req_parse(struct req *r)
{
	const char	*uri;

	if ((r->method = req_param(r, "REQUEST_METHOD")) == NULL)
		r->method = "";
	if ((uri = req_param(r, "REQUEST_URI")) == NULL)
		uri = "";
	r->path = uri;
	r->pathlen = strcspn(uri, "?");
	r->query = uri[r->pathlen] == '?' ? uri + r->pathlen + 1 : "";
}

static void *
handler(void *arg)
{
	struct req	*r = arg;

	api_handle(r);
	if (!r->replied)
		reply_errf(r, 503, "unavailable", "no answer");
	req_done(r);
	return NULL;
}

/* A worker: answers queued requests, one at a time, until shutdown. */
static void *
worker(void *arg)
{
	struct queued	*q;

	(void)arg;
	for (;;) {
		pthread_mutex_lock(&work.mu);
		while (work.head == NULL && !work.stopping)
			pthread_cond_wait(&work.cv, &work.mu);
		if ((q = work.head) == NULL) {
			pthread_mutex_unlock(&work.mu);
			return NULL;
		}
		if ((work.head = q->next) == NULL)
			work.tail = NULL;
		pthread_mutex_unlock(&work.mu);
		handler(q->r);
		free(q);
	}
}

/* A stream's path ends in /events; it gets a thread of its own. */
static int
is_stream(const struct req *r)
{
	return r->pathlen >= 7 &&
	    memcmp(r->path + r->pathlen - 7, "/events", 7) == 0;
}

/* Hands r to a worker, or to a thread of its own. */
static int
dispatch(struct req *r, pthread_attr_t *at)
{
	struct queued	*q;
	pthread_t	 t;

	req_parse(r);
	if (is_stream(r))
		return pthread_create(&t, at, handler, r) == 0 ? 0 : -1;
	if ((q = malloc(sizeof(*q))) == NULL)
		return -1;
	q->r = r;
	q->next = NULL;
	pthread_mutex_lock(&work.mu);
	if (work.tail != NULL)
		work.tail->next = q;
	else
		work.head = q;
	work.tail = q;
	pthread_cond_signal(&work.cv);
	pthread_mutex_unlock(&work.mu);
	return 0;
}

static void *
acceptor(void *arg)
{
	pthread_attr_t	 at;
	pthread_t	 t;
	struct req	*r;
	int		 busy, stop, i;

	(void)arg;
	pthread_attr_init(&at);
	pthread_attr_setstacksize(&at, THREAD_STACK);
	pthread_attr_setdetachstate(&at, PTHREAD_CREATE_DETACHED);
	for (i = 0; i < WORKERS; i++)
		if (pthread_create(&t, &at, worker, NULL) != 0)
			die("pthread_create: cannot start the workers");
	for (;;) {
		if ((r = calloc(1, sizeof(*r))) == NULL) {
			sleep(1);
			continue;
		}
		FCGX_InitRequest(&r->fcgi, listen_fd, 0);
		if (FCGX_Accept_r(&r->fcgi) < 0) {
			FCGX_Free(&r->fcgi, 1);
			free(r);
			pthread_mutex_lock(&reqs.mu);
			stop = reqs.stopping;
			pthread_mutex_unlock(&reqs.mu);
			if (stop)
				break;
			continue;
		}
		pthread_mutex_lock(&reqs.mu);
		busy = reqs.inflight >= HG_REQUESTS_MAX;
		reqs.inflight++;
		pthread_mutex_unlock(&reqs.mu);
		if (busy || dispatch(r, &at) == -1) {
			r->method = "";
			reply_errf(r, 503, "unavailable", "too many requests "
			    "at once; try again");
			req_done(r);
		}
	}
	pthread_attr_destroy(&at);
	return NULL;
}

/*
 * Binds the FastCGI socket under a temporary name and renames it into
 * place only when called with rename_now, after start-up is complete:
 * whoever waits for the socket to appear (scripts/serve, before starting
 * nginx) then never reaches a server that cannot answer yet.
 */
static int
listen_unix(const char *path, const char *tmp)
{
	struct sockaddr_un	 sa;
	int			 fd;

	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	if (snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", tmp) >=
	    (int)sizeof(sa.sun_path))
		die("%s: path too long for a unix socket", path);
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1)
		die("socket: %s", strerror(errno));
	unlink(tmp);
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) == -1)
		die("bind %s: %s", tmp, strerror(errno));
	if (chmod(tmp, 0660) == -1 || listen(fd, LISTEN_BACKLOG) == -1)
		die("%s: %s", tmp, strerror(errno));
	return fd;
}

/* Only one server per data folder: two would both claim the socket. */
static void
lock_data(void)
{
	char	 path[PATH_MAX + 16];
	int	 fd;

	snprintf(path, sizeof(path), "%s/fcgi.lock", srv.cfg.data);
	if ((fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600)) == -1)
		die("%s: %s", path, strerror(errno));
	if (flock(fd, LOCK_EX | LOCK_NB) == -1)
		die("another hourglass-fcgi is serving %s", srv.cfg.data);
	/* fd stays open, holding the lock, until exit. */
}

/* Each SSE watcher holds a descriptor: allow as many as the hard limit
 * lets us, since the soft limit is often 1024. */
static void
raise_nofile(void)
{
	struct rlimit	 rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		(void)setrlimit(RLIMIT_NOFILE, &rl);
	}
}

/* A program that is missing now may be installed later: say so, but
 * start; its tasks fail with exec_failed until it is there. */
static void
warn_commands(void)
{
	char	 why[PATH_MAX + 64];
	size_t	 i;

	for (i = 0; i < srv.kinds->n; i++)
		if (srv.kinds->v[i].argv != NULL &&
		    kinds_resolve(&srv.kinds->v[i], why, sizeof(why)) == -1)
			fprintf(stderr, "hourglass-fcgi: warning: %s: kind "
			    "\"%s\": %s\n", srv.cfg.kinds,
			    srv.kinds->v[i].name, why);
}

static void
drain(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += DRAIN_MS / 1000;
	pthread_mutex_lock(&reqs.mu);
	while (reqs.inflight > 0)
		if (pthread_cond_timedwait(&reqs.cv, &reqs.mu, &ts) != 0)
			break;
	pthread_mutex_unlock(&reqs.mu);
}

int
main(int argc, char *argv[])
{
	struct store	*st;
	pthread_t	 acc;
	sigset_t	 set;
	char		 err[1024], tmp[sizeof(srv.cfg.sock) + 8];
	int		 nfd, sig;

	(void)argv;
	/* A stream thread allocates little: a few malloc arenas serve all
	 * threads, instead of glibc's eight per core. */
	mallopt(M_ARENA_MAX, 2);
	if (argc != 1) {
		fprintf(stderr, "usage: hourglass-fcgi (configured by "
		    "HOURGLASS_* environment variables)\n");
		return 2;
	}
	hg_std_fds();
	raise_nofile();
	/* Every thread inherits this mask; main takes them by sigwait. */
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);
	/* Runners are reaped by the kernel; we never wait for them. */
	signal(SIGCHLD, SIG_IGN);

	if (config_load(&srv.cfg, err, sizeof(err)) == -1)
		die("%s", err);
	lock_data();
	if ((srv.kinds = kinds_load(srv.cfg.kinds, err, sizeof(err))) == NULL)
		die("%s", err);
	warn_commands();
	if ((st = store_open(srv.cfg.db, 1, err, sizeof(err))) == NULL)
		die("%s", err);
	store_close(st);
	if (pool_init(err, sizeof(err)) == -1)
		die("%s", err);
	if ((nfd = notify_listen(srv.cfg.notify)) == -1)
		die("%s: %s", srv.cfg.notify, strerror(errno));
	if (feed_start(nfd, err, sizeof(err)) == -1)
		die("%s", err);
	host_tend();
	/* Its first pass finds what died while the server was down. */
	if (janitor_start(err, sizeof(err)) == -1)
		die("%s", err);
	if (FCGX_Init() != 0)
		die("FCGX_Init failed");
	if (snprintf(tmp, sizeof(tmp), "%s~", srv.cfg.sock) >=
	    (int)sizeof(tmp))
		die("%s: path too long", srv.cfg.sock);
	listen_fd = listen_unix(srv.cfg.sock, tmp);
	if ((errno = pthread_create(&acc, NULL, acceptor, NULL)) != 0)
		die("pthread_create: %s", strerror(errno));
	if (rename(tmp, srv.cfg.sock) == -1)
		die("rename %s: %s", tmp, strerror(errno));
	fprintf(stderr, "hourglass-fcgi: serving on %s\n", srv.cfg.sock);

	do
		if (sigwait(&set, &sig) != 0)
			sig = SIGTERM;
	while (sig == SIGHUP);

	unlink(srv.cfg.sock);
	pthread_mutex_lock(&reqs.mu);
	reqs.stopping = 1;
	pthread_mutex_unlock(&reqs.mu);
	/* Wakes the acceptor out of accept(). */
	shutdown(listen_fd, SHUT_RDWR);
	pthread_join(acc, NULL);
	janitor_stop();
	host_stop();
	feed_stop();
	drain();
	pthread_mutex_lock(&work.mu);
	work.stopping = 1;
	pthread_cond_broadcast(&work.cv);
	pthread_mutex_unlock(&work.mu);
	close(listen_fd);
	close(nfd);
	unlink(srv.cfg.notify);
	pool_fini();
	listcache_free();
	kinds_free(srv.kinds);
	return 0;
}
