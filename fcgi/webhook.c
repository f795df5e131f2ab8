/*
 * The webhook sender. It wakes when a task ends (the feed reads the
 * final state event, whoever wrote it: a runner, a report, the server),
 * at the earliest next_attempt_at, and every HG_HOOK_POLL_MS; it reads
 * the due deliveries, earliest first, and tries each in turn. Every
 * delivery lives in SQLite from the end of its task, so a restart of
 * any part loses none: the first look after a start takes them all.
 *
 * One attempt at a time on one curl handle (kept, so that a receiver's
 * connection is reused): a dead receiver makes the queue wait up to
 * HG_HOOK_TIMEOUT_MS a delivery, but never the API or the runners.
 */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include "hooksign.h"
#include "libcurl.h"
#include "server.h"
#include "store.h"
#include "webhook.h"

static struct {
	pthread_mutex_t	 mu;	/* guards kicked, stopping */
	pthread_cond_t	 cv;
	int		 kicked;
	int		 stopping;
} hook = { PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, 0, 0 };

/* Read by curl's progress callback, which must not take hook.mu. */
static atomic_int	 hook_abort;
static pthread_t	 hook_thread;
static int		 hook_running;	/* main's: set and read by main only */
static struct store	*hook_st;
static CURL		*hook_curl;

/* Drops the receiver's answer; only its status matters. */
static size_t
discard(char *p, size_t size, size_t n, void *arg)
{
	(void)p;
	(void)arg;
	return size * n;
}

/* Non-zero aborts the transfer: the server is stopping. */
static int
progress(void *arg, curl_off_t a, curl_off_t b, curl_off_t c, curl_off_t d)
{
	(void)arg;
	(void)a;
	(void)b;
	(void)c;
	(void)d;
	return atomic_load(&hook_abort);
}

static uint64_t
random64(void)
{
	uint64_t	 r;

	if (getrandom(&r, sizeof(r), GRND_NONBLOCK) != (ssize_t)sizeof(r))
		r = (uint64_t)hg_mono_ms() * 0x9e3779b97f4a7c15ULL;
	return r;
}

/*
 * POSTs d once. Returns 0 with *status (0: no answer) and, unless it was
 * 2xx, why in why; -1 if the attempt was abandoned (stopping, or no
 * memory), which is then not recorded.
 */
static int
post(const struct hook_due *d, long *status, char *why, size_t whylen)
{
	struct curl_slist	*h;
	char			 sig[HOOK_SIG_MAX], line[HOOK_SIG_MAX + 64];
	char			 cerr[CURL_ERROR_SIZE];
	CURLcode		 rc;
	int			 ok = -1;

	*status = 0;
	/* t is this attempt's, so a receiver can refuse an old replay. */
	if (hook_sign(srv.cfg.hook_secret, (int64_t)time(NULL), d->payload,
	    d->len, sig) == -1)
		return -1;
	if ((h = lc.slist_append(NULL, "Content-Type: application/json")) ==
	    NULL)
		return -1;
	snprintf(line, sizeof(line), "Hourglass-Delivery: %.*s",
	    HOOK_ID_LEN, d->id);
	if (lc.slist_append(h, line) == NULL)
		goto out;
	snprintf(line, sizeof(line), "Hourglass-Signature: %s", sig);
	if (lc.slist_append(h, line) == NULL)
		goto out;
	/* No "Expect: 100-continue" wait before a larger body. */
	if (lc.slist_append(h, "Expect:") == NULL)
		goto out;
	lc.easy_reset(hook_curl);
	cerr[0] = '\0';
	lc.easy_setopt(hook_curl, CURLOPT_URL, srv.cfg.hook_url);
	lc.easy_setopt(hook_curl, CURLOPT_PROTOCOLS_STR, "http,https");
	lc.easy_setopt(hook_curl, CURLOPT_POST, 1L);
	lc.easy_setopt(hook_curl, CURLOPT_POSTFIELDS, d->payload);
	lc.easy_setopt(hook_curl, CURLOPT_POSTFIELDSIZE_LARGE,
	    (curl_off_t)d->len);
	lc.easy_setopt(hook_curl, CURLOPT_HTTPHEADER, h);
	lc.easy_setopt(hook_curl, CURLOPT_USERAGENT, "hourglass");
	lc.easy_setopt(hook_curl, CURLOPT_TIMEOUT_MS,
	    (long)HG_HOOK_TIMEOUT_MS);
	/* A 3xx is a failed attempt: the receiver's URL is the one set. */
	lc.easy_setopt(hook_curl, CURLOPT_FOLLOWLOCATION, 0L);
	lc.easy_setopt(hook_curl, CURLOPT_SSL_VERIFYPEER, 1L);
	lc.easy_setopt(hook_curl, CURLOPT_SSL_VERIFYHOST, 2L);
	/* No SIGALRM for DNS timeouts in a threaded server. */
	lc.easy_setopt(hook_curl, CURLOPT_NOSIGNAL, 1L);
	lc.easy_setopt(hook_curl, CURLOPT_WRITEFUNCTION, discard);
	lc.easy_setopt(hook_curl, CURLOPT_NOPROGRESS, 0L);
	lc.easy_setopt(hook_curl, CURLOPT_XFERINFOFUNCTION, progress);
	lc.easy_setopt(hook_curl, CURLOPT_ERRORBUFFER, cerr);
	rc = lc.easy_perform(hook_curl);
	lc.easy_setopt(hook_curl, CURLOPT_ERRORBUFFER, NULL);
	if (rc == CURLE_ABORTED_BY_CALLBACK || rc == CURLE_OUT_OF_MEMORY)
		goto out;
	lc.easy_getinfo(hook_curl, CURLINFO_RESPONSE_CODE, status);
	why[0] = '\0';
	if (rc != CURLE_OK)
		snprintf(why, whylen, "%s", cerr[0] != '\0' ? cerr :
		    lc.easy_strerror(rc));
	else if (*status >= 300 && *status < 400)
		snprintf(why, whylen, "HTTP %ld: redirects are not followed",
		    *status);
	else if (*status < 200 || *status >= 300)
		snprintf(why, whylen, "HTTP %ld", *status);
	ok = 0;
out:
	lc.slist_free_all(h);
	return ok;
}

/* One attempt of d, and what it came to, recorded. Returns -1 if that
 * could not be written (the caller waits before the next look, lest it
 * POST the same delivery again and again at once), else 0. */
static int
attempt(const struct hook_due *d)
{
	struct hook_try	 t = { HOOK_DELIVERED, 0, NULL, 0 };
	struct hg_err	 e;
	char		 why[CURL_ERROR_SIZE + 64];
	int64_t		 now, end = d->created_at + HG_HOOK_GIVEUP_MS;
	long		 status;

	if (post(d, &status, why, sizeof(why)) == -1)
		return 0;
	t.status = (int)status;
	if (why[0] != '\0') {
		/* Retried until a day after its creation, the last try at
		 * that very time; a delivery found older (the server was
		 * down) is tried once. */
		now = hg_now_ms();
		t.error = why;
		if (now >= end)
			t.state = HOOK_FAILED;
		else {
			t.state = HOOK_PENDING;
			t.next_at = now + hook_backoff_ms(d->attempts + 1,
			    random64());
			if (t.next_at > end)
				t.next_at = end;
		}
	}
	if (store_hook_tried(hook_st, d->id, &t, &e) == 0)
		return 0;
	fprintf(stderr, "hourglass-fcgi: webhook delivery %s: %s\n", d->id,
	    e.msg);
	return -1;
}

/* Tries what is due. Returns 1 if a full batch was read (more may be
 * due at once), 0 if not, -1 if the database failed. */
static int
pass(void)
{
	struct hook_due	 v[HG_HOOK_BATCH];
	struct hg_err	 e;
	int		 n, i, rc = 0;

	if ((n = store_hook_due(hook_st, hg_now_ms(), v, HG_HOOK_BATCH,
	    &e)) <= 0)
		return n;
	for (i = 0; i < n && rc == 0 && !atomic_load(&hook_abort); i++)
		rc = attempt(&v[i]);
	store_hook_due_free(v, n);
	return rc == -1 ? -1 : n == HG_HOOK_BATCH;
}

/* How long to sleep: until the earliest retry, at most HG_HOOK_POLL_MS. */
static int64_t
pass_wait(void)
{
	struct hg_err	 e;
	int64_t		 at;

	if (store_hook_next(hook_st, &at, &e) == -1)
		at = 0;
	return hg_wait_until(at, HG_HOOK_POLL_MS);
}

static void *
webhook_main(void *arg)
{
	struct timespec	 ts;
	int64_t		 wait;
	int		 more, stop;

	(void)arg;
	for (;;) {
		more = pass();
		wait = more == 1 ? 0 : more == -1 ? HG_HOOK_POLL_MS :
		    pass_wait();
		pthread_mutex_lock(&hook.mu);
		if (!hook.kicked && !hook.stopping && wait > 0) {
			hg_deadline(&ts, CLOCK_REALTIME, wait);
			pthread_cond_timedwait(&hook.cv, &hook.mu, &ts);
		}
		hook.kicked = 0;
		stop = hook.stopping;
		pthread_mutex_unlock(&hook.mu);
		if (stop)
			break;
	}
	libcurl_thread_stop();
	return NULL;
}

/* Can libcurl send to the URL? Returns 0, or -1 with err set. */
static int
url_check(char *err, size_t errlen)
{
	CURLU		*u;
	CURLUcode	 rc;
	char		*scheme = NULL;

	if ((u = lc.url()) == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	if ((rc = lc.url_set(u, CURLUPART_URL, srv.cfg.hook_url, 0)) ==
	    CURLUE_OK)
		rc = lc.url_get(u, CURLUPART_SCHEME, &scheme, 0);
	if (rc == CURLUE_OK && strcmp(scheme, "http") != 0 &&
	    strcmp(scheme, "https") != 0)
		rc = CURLUE_UNSUPPORTED_SCHEME;
	if (rc != CURLUE_OK)
		snprintf(err, errlen, "HOURGLASS_WEBHOOK_URL %.64s: %s; it "
		    "must be an http:// or https:// URL", srv.cfg.hook_url,
		    lc.url_strerror(rc));
	lc.free(scheme);
	lc.url_cleanup(u);
	return rc == CURLUE_OK ? 0 : -1;
}

int
webhook_start(char *err, size_t errlen)
{
	struct hg_err	 e;
	int		 on = srv.cfg.hook_url[0] != '\0';

	if (on && (libcurl_load(err, errlen) == -1 ||
	    url_check(err, errlen) == -1))
		return -1;
	if ((hook_st = store_open(srv.cfg.db, 0, err, errlen)) == NULL)
		return -1;
	if (store_hook_enable(hook_st, on, &e) == -1) {
		snprintf(err, errlen, "%s: %s", srv.cfg.db, e.msg);
		goto fail;
	}
	if (!on)
		goto off;
	if (srv.cfg.hook_secret[0] == '\0')
		fprintf(stderr, "hourglass-fcgi: warning: "
		    "HOURGLASS_WEBHOOK_SECRET is not set: webhooks are signed "
		    "with an empty key, which proves nothing to a receiver\n");
	if (lc.global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK ||
	    (hook_curl = lc.easy_init()) == NULL) {
		snprintf(err, errlen, "libcurl could not start");
		goto fail;
	}
	if ((errno = pthread_create(&hook_thread, NULL, webhook_main,
	    NULL)) != 0) {
		snprintf(err, errlen, "pthread_create: %s", strerror(errno));
		goto fail;
	}
	hook_running = 1;
	return 0;
off:
	store_close(hook_st);
	hook_st = NULL;
	return 0;
fail:
	if (hook_curl != NULL)
		lc.easy_cleanup(hook_curl);
	hook_curl = NULL;
	store_close(hook_st);
	hook_st = NULL;
	return -1;
}

void
webhook_kick(void)
{
	pthread_mutex_lock(&hook.mu);
	hook.kicked = 1;
	pthread_cond_signal(&hook.cv);
	pthread_mutex_unlock(&hook.mu);
}

void
webhook_stop(void)
{
	if (!hook_running)
		return;
	atomic_store(&hook_abort, 1);
	pthread_mutex_lock(&hook.mu);
	hook.stopping = 1;
	pthread_cond_signal(&hook.cv);
	pthread_mutex_unlock(&hook.mu);
	pthread_join(hook_thread, NULL);
	hook_running = 0;
	lc.easy_cleanup(hook_curl);
	hook_curl = NULL;
	lc.global_cleanup();
	store_close(hook_st);
	hook_st = NULL;
}
