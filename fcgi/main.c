/*
 * hourglass-fcgi: the API server. nginx speaks FastCGI to it on a unix
 * socket in the data folder.
 *
 * Threads: main (start-up, then waits for SIGTERM/SIGINT), a thread per
 * connection from nginx (conn_thread; nginx keeps a few open and sends
 * request after request on them), HG_SSE_LOOPS threads that serve every
 * open SSE stream (sse.c), and the feed, janitor, scheduler and webhook
 * threads. The connection threads have small stacks.
 */
#include <errno.h>
#include <fcntl.h>
#include <malloc.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/queue.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "buf.h"
#include "feed.h"
#include "janitor.h"
#include "listcache.h"
#include "objcache.h"
#include "notify.h"
#include "pool.h"
#include "route.h"
#include "runners.h"
#include "schedules.h"
#include "server.h"
#include "sse.h"
#include "webhook.h"

/* Limits (HG_CONN_*, HG_DRAIN_MS, ...) are in hg.h with their reasons. */

/*
 * Requests in flight. A request counts itself, then looks at stopping;
 * quit() sets stopping, then waits for none in flight: so one of the
 * two always sees the other. The lock is only for that wait.
 */
static struct {
	pthread_mutex_t	 mu;
	pthread_cond_t	 cv;	/* signalled when the last one ends */
	atomic_int	 inflight;
	atomic_int	 stopping;
} reqs = { PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, 0, 0 };

/* A kept connection its thread waits on, between two requests; on
 * that thread's stack. */
struct idle {
	int		 fd;
	LIST_ENTRY(idle) link;
};

/* The connection threads (conn_thread). */
static struct {
	pthread_mutex_t	 mu;
	pthread_cond_t	 cv;		/* signalled when n drops */
	int		 n;		/* running */
	int		 waiting;	/* in accept(), or about to be */
	/* Kept connections waited on. Doubly linked: each thread leaves
	 * it as a request comes, and walking it from the head to find its
	 * own, over other threads' stacks, with the lock held, was 5% of
	 * the server's time on list pages (perf). */
	LIST_HEAD(, idle) idle;
	int		 closing;	/* at shutdown: keep none */
} conns = { PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, 0, 0,
    LIST_HEAD_INITIALIZER(conns.idle), 0 };

static pthread_attr_t	 thread_attr;	/* small stacks, detached */
/* Set by each answered request; the first thread to go idle after
 * some trims what they left (idle_release). */
static atomic_int	 trim_due;
static int	 listen_fd = -1;
/* A descriptor kept for when there is none: accept fails with EMFILE
 * at once, again and again while nginx's connection waits. Let go, it
 * makes room to take that connection and answer it 503 (out_of_fds). */
static struct {
	pthread_mutex_t	 mu;
	int		 fd;
} spare = { PTHREAD_MUTEX_INITIALIZER, -1 };

static void	*conn_thread(void *);

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

/* Ends r's request, counting it by the status its answer had if that
 * was not done as it went out (answer_count). With keep, the connection stays
 * open if nginx asked to keep it and the request was read to its end;
 * else it is closed. */
static void
req_end(struct req *r, int keep)
{
	/* An answer sent whole read the body first (reply). */
	int	 close_it = !keep || r->broken || (!r->whole &&
		    req_drain(r) == -1);

	answer_count(r);
	atomic_store(&trim_due, 1);
	/* An answer sent whole (reply) left libfcgi's streams empty: they
	 * are freed unwritten, or closing them would end the request a
	 * second time. FCGX_Finish_r then keeps the connection or closes
	 * it, as nginx asked. */
	if (r->whole)
		FCGX_Free(&r->fcgi, 0);
	FCGX_Finish_r(&r->fcgi);
	if (close_it)
		FCGX_Free(&r->fcgi, 1);
}

static void
req_parse(struct req *r)
{
	const char	*uri;

	if ((r->method = req_param(r, "REQUEST_METHOD")) == NULL)
		r->method = "";
	/* HEAD is answered as GET is, with the same head and no body:
	 * every route, handler and check sees a GET. */
	r->head = strcmp(r->method, "HEAD") == 0;
	if (r->head)
		r->method = "GET";
	if ((uri = req_param(r, "REQUEST_URI")) == NULL)
		uri = "";
	r->path = uri;
	r->pathlen = strcspn(uri, "?");
	r->query = uri[r->pathlen] == '?' ? uri + r->pathlen + 1 : "";
	r->replied = 0;
	r->status = 0;
	r->counted = 0;
	r->adopted = 0;
	r->whole = 0;
	r->broken = 0;
}

static void
answer(struct req *r)
{
	route_request(r);
	if (!r->replied)
		reply_errf(r, 503, "unavailable", "no answer");
}

static void
inflight_done(void)
{
	if (atomic_fetch_sub(&reqs.inflight, 1) == 1 &&
	    atomic_load(&reqs.stopping)) {
		pthread_mutex_lock(&reqs.mu);
		pthread_cond_signal(&reqs.cv);
		pthread_mutex_unlock(&reqs.mu);
	}
}

/*
 * Gives back the pages this thread touched of its stack below where it
 * is now (SQLite's deeper frames, a handler's buffers), and, once after
 * requests, the pooled connections (pool_release_memory) and the heap's
 * free pages.
 * The kernel hands the stack pages back zeroed if they are touched
 * again. A page under the current frame is kept (the red zone).
 */
static void
idle_release(void)
{
	pthread_attr_t	 a;
	void		*lo;
	size_t		 size, page = (size_t)sysconf(_SC_PAGESIZE);
	uintptr_t	 here = (uintptr_t)&a, end;

	/* First, as opening a connection goes deeper into the stack. */
	if (atomic_exchange(&trim_due, 0)) {
		pool_release_memory();
		(void)malloc_trim(0);
	}
	if (pthread_getattr_np(pthread_self(), &a) == 0) {
		if (pthread_attr_getstack(&a, &lo, &size) == 0) {
			end = (here & ~(uintptr_t)(page - 1)) - page;
			if (end > (uintptr_t)lo && end - (uintptr_t)lo <
			    size)
				(void)madvise(lo, end - (uintptr_t)lo,
				    MADV_DONTNEED);
		}
		pthread_attr_destroy(&a);
	}
}

/*
 * Waits until nginx sends the next request on a kept connection, or
 * closes it: 1 if a request comes, 0 if the connection is gone. (Left to
 * FCGX_Accept_r, a closed connection would send the thread into accept()
 * unseen by the count of threads waiting there.)
 */
static int
kept_open(int fd)
{
	struct idle	 me = { .fd = fd };
	struct pollfd	 pfd = { fd, POLLIN | POLLRDHUP, 0 };
	int		 rc;

	/* Listed, so that shutdown can wake us (conns_close). */
	pthread_mutex_lock(&conns.mu);
	if (conns.closing) {
		pthread_mutex_unlock(&conns.mu);
		return 0;
	}
	LIST_INSERT_HEAD(&conns.idle, &me, link);
	pthread_mutex_unlock(&conns.mu);
	/* Idle for a while: give back what a burst took. */
	if ((rc = poll(&pfd, 1, HG_IDLE_RELEASE_MS)) == 0)
		idle_release();
	while (rc == 0 || (rc == -1 && errno == EINTR))
		rc = poll(&pfd, 1, -1);
	pthread_mutex_lock(&conns.mu);
	LIST_REMOVE(&me, link);
	pthread_mutex_unlock(&conns.mu);
	/* A request's bytes, and not the end: nginx closing the connection
	 * (or shutdown, conns_close) hangs it up, whatever is unread. */
	return rc == 1 && !(pfd.revents & (POLLRDHUP | POLLHUP | POLLERR |
	    POLLNVAL));
}

/*
 * At shutdown, once no request is in flight: wakes the threads waiting
 * on kept connections and waits (at most timeout_ms) until every
 * connection thread has ended, so that none is still running, holding
 * what it allocated, when the process exits and the leak check runs.
 */
static void
conns_close(int timeout_ms)
{
	struct timespec	 ts;
	struct idle	*i;

	hg_deadline(&ts, CLOCK_REALTIME, timeout_ms);
	pthread_mutex_lock(&conns.mu);
	conns.closing = 1;
	LIST_FOREACH(i, &conns.idle, link)
		shutdown(i->fd, SHUT_RDWR);
	while (conns.n > 0)
		if (pthread_cond_timedwait(&conns.cv, &conns.mu, &ts) != 0)
			break;
	pthread_mutex_unlock(&conns.mu);
}

/* With conns.mu held: one more connection thread, if the cap allows. */
static void
conn_spawn(void)
{
	pthread_t	 t;

	if (conns.n >= HG_CONN_THREADS_MAX)
		return;
	if (pthread_create(&t, &thread_attr, conn_thread, NULL) == 0) {
		conns.n++;
		conns.waiting++;
	}
}

static int
spare_open(void)
{
	return open("/dev/null", O_RDONLY | O_CLOEXEC);
}

/*
 * An accept into r failed for want of a descriptor: takes the next
 * connection with the spare one, answers it 503 with Retry-After and
 * closes it, then opens the spare again, all under the spare's lock. A
 * thread that finds the spare in use, or none, waits HG_FD_WAIT_MS:
 * never a spin.
 */
static void
out_of_fds(struct req *r)
{
	struct hg_err	 e;
	int		 rc;

	if (pthread_mutex_trylock(&spare.mu) != 0) {
		hg_sleep_ms(HG_FD_WAIT_MS);
		return;
	}
	if (spare.fd < 0 && (spare.fd = spare_open()) < 0) {
		pthread_mutex_unlock(&spare.mu);
		hg_sleep_ms(HG_FD_WAIT_MS);
		return;
	}
	close(spare.fd);
	if ((rc = FCGX_Accept_r(&r->fcgi)) == 0) {
		req_parse(r);
		r->method = "";
		hg_err_set(&e, 503, "unavailable", "the server has no file "
		    "descriptor free; try again");
		reply_err(r, "Retry-After: 1\r\n", &e);
		req_end(r, 0);
	}
	/* The connection's descriptor, closed, is the spare again (unless
	 * another thread took it meanwhile: then the next try opens it). */
	spare.fd = spare_open();
	pthread_mutex_unlock(&spare.mu);
	if (rc < 0)
		hg_sleep_ms(HG_FD_WAIT_MS);
}

/*
 * A connection thread: accepts a connection from nginx and answers its
 * requests one after another, for as long as nginx keeps it open
 * (fastcgi_keep_conn); then accepts the next. While it answers or waits
 * on a kept connection, another thread waits in accept(): one is
 * started whenever none is left, and a thread that would make more than
 * HG_CONN_SPARE waiters ends.
 */
static void *
conn_thread(void *arg)
{
	struct req	*r = NULL;
	int		 waiting = 1, busy, stop, rc;

	(void)arg;
	for (;;) {
		if (r == NULL) {
			if ((r = calloc(1, sizeof(*r))) == NULL) {
				sleep(1);
				continue;
			}
			FCGX_InitRequest(&r->fcgi, listen_fd, 0);
		}
		/* libfcgi keeps the open connection in ipcFd. */
		if (r->fcgi.ipcFd >= 0 && !kept_open(r->fcgi.ipcFd))
			FCGX_Free(&r->fcgi, 1);
		if (r->fcgi.ipcFd < 0 && !waiting) {
			pthread_mutex_lock(&conns.mu);
			if (conns.waiting >= HG_CONN_SPARE) {
				pthread_mutex_unlock(&conns.mu);
				break;
			}
			conns.waiting++;
			pthread_mutex_unlock(&conns.mu);
			waiting = 1;
		}
		rc = FCGX_Accept_r(&r->fcgi);
		if (waiting) {
			pthread_mutex_lock(&conns.mu);
			conns.waiting--;
			if (rc == 0 && conns.waiting == 0)
				conn_spawn();
			pthread_mutex_unlock(&conns.mu);
			waiting = 0;
		}
		stop = busy = 0;
		if (rc == 0) {
			busy = atomic_fetch_add(&reqs.inflight, 1) >=
			    HG_REQUESTS_MAX;
			stop = atomic_load(&reqs.stopping);
			if (stop || busy)
				inflight_done();
		} else
			stop = atomic_load(&reqs.stopping);
		if (rc < 0) {
			if (stop)
				break;
			if (rc == -EMFILE || rc == -ENFILE)
				out_of_fds(r);
			continue;
		}
		req_parse(r);
		if (stop || busy) {
			r->method = "";
			reply_errf(r, 503, "unavailable", stop ? "the server "
			    "is stopping; try again" : "too many requests "
			    "at once; try again");
			req_end(r, 0);
			if (stop)
				break;
			continue;
		}
		answer(r);
		if (r->adopted) {
			/* A stream: its loop writes and closes the
			 * connection from now on, and counts it. */
			FCGX_Free(&r->fcgi, 0);
			r->fcgi.ipcFd = -1;
		} else
			req_end(r, 1);
		inflight_done();
	}
	if (r != NULL) {
		FCGX_Free(&r->fcgi, 1);
		free(r);
	}
	/* A connection nginx let go, idle (nginx.conf): what the burst
	 * that opened it took goes back once all is quiet. */
	feed_trim_later();
	pthread_mutex_lock(&conns.mu);
	conns.n--;
	pthread_cond_signal(&conns.cv);
	pthread_mutex_unlock(&conns.mu);
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
	if (chmod(tmp, 0660) == -1 || listen(fd, HG_LISTEN_BACKLOG) == -1)
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
 * lets us, since the soft limit is often 1024, and say so when that is
 * fewer than HG_STREAMS_WANT streams (past it a stream is refused with
 * 503; sse.c). */
static void
raise_nofile(void)
{
	struct rlimit	 rl;
	long long	 keep;

	if (getrlimit(RLIMIT_NOFILE, &rl) == -1)
		return;
	if (rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		(void)setrlimit(RLIMIT_NOFILE, &rl);
		(void)getrlimit(RLIMIT_NOFILE, &rl);
	}
	keep = sse_fd_reserve();
	if (rl.rlim_cur != RLIM_INFINITY &&
	    (long long)rl.rlim_cur < HG_STREAMS_WANT + keep)
		fprintf(stderr, "hourglass-fcgi: warning: the limit on open "
		    "files is %llu, so at most %lld streams can be open at "
		    "once; %d streams need %lld: raise the hard limit "
		    "(ulimit -Hn, or ulimits: nofile in docker-compose.yml)\n",
		    (unsigned long long)rl.rlim_cur,
		    (long long)rl.rlim_cur > keep ?
		    (long long)rl.rlim_cur - keep : 0,
		    HG_STREAMS_WANT, HG_STREAMS_WANT + keep);
}

/* A program that is missing now may be installed later: say so, but
 * start; its tasks fail with exec_failed until it is there. A Slurm
 * kind's program lives on the compute nodes; here it needs sbatch, and
 * one warning names every kind that a missing sbatch affects. */
static void
warn_commands(void)
{
	const struct kind	*k;
	char			 why[PATH_MAX + 64];
	struct buf		 names;
	size_t			 i;

	memset(&names, 0, sizeof(names));
	for (i = 0; i < srv.kinds->n; i++) {
		k = &srv.kinds->v[i];
		if (k->slurm) {
			if (kinds_resolve_prog(k, "sbatch", why,
			    sizeof(why)) == -1)
				(void)buf_printf(&names, "%s\"%s\"",
				    names.len > 0 ? ", " : "", k->name);
		} else if (k->argv != NULL &&
		    kinds_resolve(k, why, sizeof(why)) == -1)
			fprintf(stderr, "hourglass-fcgi: warning: %s: kind "
			    "\"%s\": %s\n", srv.cfg.kinds, k->name, why);
	}
	if (names.len > 0)
		fprintf(stderr, "hourglass-fcgi: warning: %s: sbatch is not "
		    "in PATH; the Slurm kinds %.*s cannot start jobs until "
		    "it is\n", srv.cfg.kinds, (int)names.len, names.p);
	buf_free(&names);
}

/* The feed read that a task ended, or is to be retried: its slot is
 * free for a queued one, and the janitor's clock may have a new retry
 * to wake for; an end has its webhook delivery to send. Before
 * janitor_start() the kick waits for the first pass. */
static void
task_ended(void *arg, int64_t task)
{
	(void)arg;
	(void)task;
	janitor_kick();
	webhook_kick();
}

/* Waits up to HG_DRAIN_MS for the requests in flight to end. Returns 0
 * once none is, or -1 if some still run. */
static int
drain(void)
{
	struct timespec	 ts;
	int		 left;

	hg_deadline(&ts, CLOCK_REALTIME, HG_DRAIN_MS);
	pthread_mutex_lock(&reqs.mu);
	while (atomic_load(&reqs.inflight) > 0)
		if (pthread_cond_timedwait(&reqs.cv, &reqs.mu, &ts) != 0)
			break;
	left = atomic_load(&reqs.inflight);
	pthread_mutex_unlock(&reqs.mu);
	return left > 0 ? -1 : 0;
}

/*
 * At SIGTERM: no new request is taken, the janitor, the runner host
 * and the feed stop, and what requests share is freed once none runs.
 */
static void
quit(int nfd)
{
	int	 stuck;

	unlink(srv.cfg.sock);
	atomic_store(&reqs.stopping, 1);
	/* Wakes the threads out of accept(); the socket stays open (a
	 * thread whose kept connection ends accepts on it, and fails). A
	 * request that comes on a kept connection from now on is
	 * answered 503 without a store. */
	shutdown(listen_fd, SHUT_RDWR);
	janitor_stop();
	schedules_stop();
	webhook_stop();
	host_stop();
	/* The streams end first: their loops read the feed. The other
	 * requests still in flight may kick the feed, forget a task in
	 * it, take a store, read the list cache and the kinds: all of
	 * those are freed only once drain() saw the last of them end. */
	sse_stop();
	feed_stop();
	close(nfd);
	unlink(srv.cfg.notify);
	stuck = drain();
	conns_close(HG_DRAIN_MS);
	if (stuck == -1) {
		/* They may still use it all; exit leaves it to the kernel. */
		fprintf(stderr, "hourglass-fcgi: requests still running "
		    "after %d ms; exiting\n", HG_DRAIN_MS);
		return;
	}
	feed_free();
	sse_free();
	pool_fini();
	listcache_free();
	objcache_free(srv.objs);
	kinds_free(srv.kinds);
}

int
main(int argc, char *argv[])
{
	struct store	*st;
	sigset_t	 set;
	char		 err[1024], tmp[sizeof(srv.cfg.sock) + 8];
	int		 nfd, sig, i, n;

	/* A connection thread allocates little: a few malloc arenas serve
	 * all threads, instead of glibc's eight per core. */
	mallopt(M_ARENA_MAX, 2);
	hg_malloc_keep();
	/* --routes: what the router answers, for a test to hold the
	 * OpenAPI document to; it reads no setting and opens nothing. */
	if (argc == 2 && strcmp(argv[1], "--routes") == 0) {
		route_list(stdout);
		return fflush(stdout) == 0 ? 0 : 1;
	}
	if (argc != 1) {
		fprintf(stderr, "usage: hourglass-fcgi (configured by "
		    "HOURGLASS_* environment variables)\n"
		    "       hourglass-fcgi --routes\n");
		return 2;
	}
	(void)hg_std_fds(O_RDWR);
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
	srv.cfg.server_err = 2;		/* runners get it too (launch.c) */
	lock_data();
	if ((srv.kinds = kinds_load(srv.cfg.kinds, err, sizeof(err))) == NULL)
		die("%s", err);
	warn_commands();
	if ((st = store_open(srv.cfg.db, 1, err, sizeof(err))) == NULL)
		die("%s", err);
	store_close(st);
	if ((srv.objs = objcache_new()) == NULL)
		die("out of memory");
	if (pool_init(err, sizeof(err)) == -1)
		die("%s", err);
	if ((nfd = notify_listen(srv.cfg.notify)) == -1)
		die("%s: %s", srv.cfg.notify, strerror(errno));
	if (feed_start(nfd, task_ended, NULL, err, sizeof(err)) == -1)
		die("%s", err);
	if (sse_start(err, sizeof(err)) == -1)
		die("%s", err);
	host_tend();
	/* Before the janitor's first pass and the first request, either of
	 * which may end a task: whether its delivery is written is settled
	 * by then. */
	if (webhook_start(err, sizeof(err)) == -1)
		die("%s", err);
	/* Its first pass finds what died while the server was down. */
	if (janitor_start(err, sizeof(err)) == -1)
		die("%s", err);
	if (schedules_start(err, sizeof(err)) == -1)
		die("%s", err);
	if (FCGX_Init() != 0)
		die("FCGX_Init failed");
	if (snprintf(tmp, sizeof(tmp), "%s~", srv.cfg.sock) >=
	    (int)sizeof(tmp))
		die("%s: path too long", srv.cfg.sock);
	listen_fd = listen_unix(srv.cfg.sock, tmp);
	spare.fd = spare_open();
	pthread_attr_init(&thread_attr);
	pthread_attr_setstacksize(&thread_attr, HG_THREAD_STACK);
	pthread_attr_setdetachstate(&thread_attr, PTHREAD_CREATE_DETACHED);
	pthread_mutex_lock(&conns.mu);
	for (i = 0; i < HG_CONN_SPARE; i++)
		conn_spawn();
	n = conns.n;
	pthread_mutex_unlock(&conns.mu);
	if (n == 0)
		die("pthread_create: cannot start a connection thread");
	if (rename(tmp, srv.cfg.sock) == -1)
		die("rename %s: %s", tmp, strerror(errno));
	fprintf(stderr, "hourglass-fcgi: serving on %s\n", srv.cfg.sock);

	do
		if (sigwait(&set, &sig) != 0)
			sig = SIGTERM;
	while (sig == SIGHUP);

	quit(nfd);
	return 0;
}
