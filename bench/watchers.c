/*
 * bench/watchers PORT PATH N [HEADER ...]: N event-stream clients on
 * 127.0.0.1:PORT in one epoll loop, for the many-watchers step. A Python
 * asyncio client used more CPU than nginx and hourglass-fcgi together at
 * 10,000 streams, so the delays it measured were mostly its own.
 *
 * Each client sends the request of tests/pylib/sse.py's request() (plus
 * any HEADER lines, "Name: value"), reads the response head, a chunked,
 * Content-Length or until-close body, and the text/event-stream in it.
 * Every frame with an id, event or data line is kept in memory as
 * (watcher, id, type, receive time, stamp): the receive time is
 * CLOCK_REALTIME just after the read that completed the frame, and the
 * stamp is the digits of "message":"<ns>" in a progress event's data.
 * Frames are written out only at stop, so that no write competes with
 * the reads being timed.
 *
 * Lines on stdout, in answer to lines on stdin:
 *
 *	opened <200s> <failed> <seconds> <cpu s>
 *		once, when every connection has its status or has failed
 *	wait <id> <ms>	-> have <got> <of>
 *		when every stream still open (of) has an event id >= id,
 *		or ms later
 *	stop (or EOF)	-> stopped <cpu s>, then one line a frame,
 *		e <watcher> <id> <type> <recv ns> <stamp>
 *		one a connection (lost: closed by the peer after its head),
 *		w <watcher> <status> <lost>
 *		and done.
 *
 * The cpu figures are this process's user + system time so far.
 */
#define _GNU_SOURCE		/* memmem */
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#define INFLIGHT_MAX	200		/* connections opening at once */
#define OPEN_WAIT_MS	60000		/* for a head, after the last one */
#define READ_MAX	(256 * 1024)	/* one read, whichever connection */
#define CARRY_MAX	(64 * 1024)	/* an unfinished head or frame */
#define REQ_MAX		8192
#define EVENTS_MAX	1024		/* epoll events a wait */
#define RECS_PER	32		/* frames a watcher, allocated at start */
#define TYPES_MAX	16		/* event type names told apart */
#define TYPE_LEN	32
#define WAIT_SCAN_MS	10		/* between checks of a pending wait */

enum { S_CONNECTING, S_HEAD, S_BODY, S_CLOSED };
enum { B_CHUNKED, B_LENGTH, B_CLOSE };
enum { K_SIZE, K_EXT, K_DATA, K_CRLF, K_END };

/* Small, because there are tens of thousands: the one read buffer is
 * shared, and only a head or frame cut by a read is kept here. */
struct conn {
	char		*carry;		/* head bytes, or body bytes of a frame */
	int64_t		 last_id;	/* the largest event id received */
	uint64_t	 left;		/* of the chunk, or of Content-Length */
	int		 fd;
	uint32_t	 carrylen;
	uint16_t	 status;
	uint16_t	 sent;		/* request bytes written */
	uint8_t		 state;		/* S_ */
	uint8_t		 body;		/* B_ */
	uint8_t		 chunk;		/* K_, for B_CHUNKED */
	uint8_t		 lost;
};

struct rec {
	int64_t		 id;
	int64_t		 recv_ns;
	int64_t		 stamp;
	uint32_t	 w;
	uint32_t	 type;
};

/* Index 0 is the type of a frame without an event line. */
static char		 types[TYPES_MAX][TYPE_LEN] = { "message", "progress",
			    "other" };
static unsigned		 ntypes = 3;
#define T_MESSAGE	0
#define T_PROGRESS	1
#define T_OTHER		2

static struct conn	*conns;
static uint32_t		 nconn;
static struct rec	*recs;
static size_t		 nrecs, caprecs;
static int		 epfd;
static struct sockaddr_in sin_srv;
static char		 req[REQ_MAX];
static size_t		 reqlen;
static char		 rbuf[CARRY_MAX + READ_MAX];

static uint32_t		 next_conn, inflight, settled, ok200, failed;
static int64_t		 last_settle_ms;

static int64_t
now_ns(clockid_t clk)
{
	struct timespec	 ts;

	clock_gettime(clk, &ts);
	return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static int64_t
mono_ms(void)
{
	return now_ns(CLOCK_MONOTONIC) / 1000000;
}

static double
cpu_s(void)
{
	struct rusage	 ru;

	getrusage(RUSAGE_SELF, &ru);
	return ru.ru_utime.tv_sec + ru.ru_stime.tv_sec +
	    (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

static void
fatal(const char *what)
{
	fprintf(stderr, "watchers: %s: %s\n", what, strerror(errno));
	exit(1);
}

/* A connection has its status, or never will: it opened or failed. */
static void
conn_settle(void)
{
	inflight--;
	settled++;
	last_settle_ms = mono_ms();
}

/* Closes c. Before its head that is a failure to open; after it, the
 * stream was lost, unless we close it ourselves (lost = 0). */
static void
conn_close(struct conn *c, int lost)
{
	if (c->state == S_CLOSED)
		return;
	if (c->fd != -1)
		close(c->fd);	/* leaves the epoll set too: never dup'd */
	c->fd = -1;
	free(c->carry);
	c->carry = NULL;
	c->carrylen = 0;
	if (c->state == S_CONNECTING || c->state == S_HEAD) {
		failed++;
		conn_settle();
	} else
		c->lost = lost;
	c->state = S_CLOSED;
}

static void
conn_start(uint32_t i)
{
	struct conn		*c = &conns[i];
	struct epoll_event	 ev;

	c->state = S_CONNECTING;
	c->last_id = -1;
	inflight++;
	c->fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
	    0);
	if (c->fd == -1) {
		conn_close(c, 0);
		return;
	}
	if (connect(c->fd, (struct sockaddr *)&sin_srv, sizeof(sin_srv)) == -1
	    && errno != EINPROGRESS) {
		conn_close(c, 0);
		return;
	}
	/* Writable once connected; the request then goes in one send. */
	ev.events = EPOLLIN | EPOLLOUT;
	ev.data.u32 = i;
	if (epoll_ctl(epfd, EPOLL_CTL_ADD, c->fd, &ev) == -1)
		fatal("epoll_ctl");
}

static void
conn_send(uint32_t i)
{
	struct conn		*c = &conns[i];
	struct epoll_event	 ev;
	socklen_t		 len = sizeof(int);
	ssize_t			 r;
	int			 err = 0;

	if (getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &len) == -1 ||
	    err != 0) {
		conn_close(c, 0);
		return;
	}
	r = send(c->fd, req + c->sent, reqlen - c->sent, MSG_NOSIGNAL);
	if (r == -1) {
		if (errno != EAGAIN && errno != EWOULDBLOCK)
			conn_close(c, 0);
		return;
	}
	c->sent += r;
	if (c->sent < reqlen)
		return;
	c->state = S_HEAD;
	ev.events = EPOLLIN;
	ev.data.u32 = i;
	if (epoll_ctl(epfd, EPOLL_CTL_MOD, c->fd, &ev) == -1)
		fatal("epoll_ctl");
}

static int64_t
digits(const char *p, const char *end)
{
	int64_t	 v = 0;

	if (p == end || *p < '0' || *p > '9')
		return -1;
	for (; p < end && *p >= '0' && *p <= '9'; p++)
		v = v * 10 + (*p - '0');
	return v;
}

/* Whether the header line p (len bytes) names name, case aside. */
static int
hdr_is(const char *p, size_t len, const char *name)
{
	size_t	 n = strlen(name);

	return len > n && p[n] == ':' && strncasecmp(p, name, n) == 0;
}

/* Whether word occurs in p (len bytes), case aside. */
static int
has_word(const char *p, size_t len, const char *word)
{
	size_t	 n = strlen(word), i;

	for (i = 0; i + n <= len; i++)
		if (strncasecmp(p + i, word, n) == 0)
			return 1;
	return 0;
}

/*
 * Parses the head in p (len bytes, up to and without the blank line):
 * the status, and how the body is framed. Returns -1 if it is not a
 * status line.
 */
static int
head_parse(struct conn *c, const char *p, size_t len)
{
	const char	*eol, *v, *end = p + len;
	size_t		 ll;
	int64_t		 cl;

	if (len < 12 || strncmp(p, "HTTP/1.", 7) != 0 || p[8] != ' ' ||
	    p[9] < '1' || p[9] > '5' || p[10] < '0' || p[10] > '9' ||
	    p[11] < '0' || p[11] > '9')
		return -1;
	c->status = (p[9] - '0') * 100 + (p[10] - '0') * 10 + (p[11] - '0');
	c->body = B_CLOSE;
	while ((eol = memchr(p, '\n', end - p)) != NULL) {
		p = eol + 1;
		eol = memchr(p, '\r', end - p);
		ll = (eol ? eol : end) - p;
		if (hdr_is(p, ll, "transfer-encoding") &&
		    has_word(p, ll, "chunked")) {
			c->body = B_CHUNKED;
			c->chunk = K_SIZE;
			c->left = 0;
		} else if (hdr_is(p, ll, "content-length") &&
		    c->body != B_CHUNKED) {
			for (v = p + 15; v < p + ll && *v == ' '; v++)
				;
			if ((cl = digits(v, p + ll)) == -1)
				return -1;
			c->body = B_LENGTH;
			c->left = cl;
		}
	}
	return 0;
}

/*
 * Decodes len body bytes at in to out, which may be in itself or before
 * it (never after). Returns the bytes written; sets *ended at the end of
 * the body or at a malformed chunk line.
 */
static size_t
body_decode(struct conn *c, const char *in, size_t len, char *out,
    int *ended)
{
	size_t		 i = 0, o = 0, take;
	int		 ch, v;

	*ended = 0;
	if (c->body == B_CLOSE) {
		memmove(out, in, len);
		return len;
	}
	if (c->body == B_LENGTH) {
		take = len < c->left ? len : c->left;
		memmove(out, in, take);
		c->left -= take;
		*ended = c->left == 0;
		return take;
	}
	while (i < len) {
		switch (c->chunk) {
		case K_SIZE:
			ch = (unsigned char)in[i];
			if (ch >= '0' && ch <= '9')
				v = ch - '0';
			else if ((ch | 0x20) >= 'a' && (ch | 0x20) <= 'f')
				v = (ch | 0x20) - 'a' + 10;
			else {
				c->chunk = K_EXT;	/* ";ext" or CRLF */
				continue;
			}
			if (c->left > (1ULL << 32)) {
				*ended = 1;
				return o;
			}
			c->left = c->left * 16 + v;
			i++;
			break;
		case K_EXT:
			if (in[i++] != '\n')
				break;
			if (c->left == 0) {
				c->chunk = K_END;	/* trailers: not ours */
				*ended = 1;
				return o;
			}
			c->chunk = K_DATA;
			break;
		case K_DATA:
			take = len - i < c->left ? len - i : c->left;
			memmove(out + o, in + i, take);
			o += take;
			i += take;
			c->left -= take;
			if (c->left == 0)
				c->chunk = K_CRLF;
			break;
		case K_CRLF:
			if (in[i++] == '\n')
				c->chunk = K_SIZE;
			break;
		default:
			*ended = 1;
			return o;
		}
	}
	return o;
}

static unsigned
type_find(const char *p, size_t len)
{
	unsigned	 i;

	for (i = 0; i < ntypes; i++)
		if (strncmp(types[i], p, len) == 0 && types[i][len] == '\0')
			return i;
	if (ntypes == TYPES_MAX || len >= TYPE_LEN)
		return T_OTHER;
	memcpy(types[ntypes], p, len);
	types[ntypes][len] = '\0';
	return ntypes++;
}

static void
rec_add(uint32_t w, int64_t id, unsigned type, int64_t t, int64_t stamp)
{
	struct rec	*r;

	if (nrecs == caprecs) {
		caprecs *= 2;
		if ((recs = realloc(recs, caprecs * sizeof(*recs))) == NULL)
			fatal("realloc");
	}
	r = &recs[nrecs++];
	r->w = w;
	r->id = id;
	r->type = type;
	r->recv_ns = t;
	r->stamp = type == T_PROGRESS && stamp > 0 ? stamp : 0;
	if (id > conns[w].last_id)
		conns[w].last_id = id;
}

/*
 * Records the complete frames of the event stream in d (len bytes),
 * received at t. Lines end at \n (a \r before it is dropped; our server
 * and nginx never end one at a lone \r). Returns the bytes up to the
 * end of the last complete frame: the rest is read again with the
 * bytes that complete it.
 */
static size_t
frames_parse(uint32_t w, const char *d, size_t len, int64_t t)
{
	static const char	 msg[] = "\"message\":\"";
	const char		*line, *eol, *v, *end, *s;
	size_t			 pos = 0, done = 0, ll, nl;
	int64_t			 id = -1, stamp = 0;
	unsigned		 type = T_MESSAGE;
	int			 any = 0;

	while (pos < len && (eol = memchr(d + pos, '\n', len - pos)) != NULL) {
		line = d + pos;
		ll = eol - line;
		pos += ll + 1;
		if (ll > 0 && line[ll - 1] == '\r')
			ll--;
		if (ll == 0) {
			if (any)
				rec_add(w, id, type, t, stamp);
			id = -1;
			stamp = 0;
			type = T_MESSAGE;
			any = 0;
			done = pos;
			continue;
		}
		if (line[0] == ':')		/* a comment: the pings */
			continue;
		end = line + ll;
		if ((v = memchr(line, ':', ll)) == NULL)
			v = end;
		nl = v - line;
		if (v < end && ++v < end && *v == ' ')
			v++;
		if (nl == 2 && memcmp(line, "id", 2) == 0) {
			id = digits(v, end);
			any = 1;
		} else if (nl == 5 && memcmp(line, "event", 5) == 0) {
			type = type_find(v, end - v);
			any = 1;
		} else if (nl == 4 && memcmp(line, "data", 4) == 0) {
			any = 1;
			s = memmem(v, end - v, msg, sizeof(msg) - 1);
			if (s != NULL)
				stamp = digits(s + sizeof(msg) - 1, end);
		}
	}
	return done;
}

/* Keeps d (len bytes) for the next read of c; -1 if it is too long. */
static int
carry_keep(struct conn *c, const char *d, size_t len)
{
	if (len > CARRY_MAX)
		return -1;
	if (len > 0) {
		if ((c->carry = malloc(len)) == NULL)
			fatal("malloc");
		memcpy(c->carry, d, len);
	}
	c->carrylen = len;
	return 0;
}

static void
conn_read(uint32_t i)
{
	struct conn	*c = &conns[i];
	const char	*hend;
	size_t		 off = c->carrylen, body, dlen, used;
	ssize_t		 r;
	int64_t		 t;
	int		 ended;

	/* What the last read left goes first, in the shared buffer. */
	if (off > 0)
		memcpy(rbuf, c->carry, off);
	r = read(c->fd, rbuf + off, READ_MAX);
	t = now_ns(CLOCK_REALTIME);
	if (r == -1 && (errno == EAGAIN || errno == EWOULDBLOCK ||
	    errno == EINTR))
		return;
	if (r <= 0) {
		conn_close(c, 1);
		return;
	}
	free(c->carry);
	c->carry = NULL;
	c->carrylen = 0;
	if (c->state == S_HEAD) {
		hend = memmem(rbuf, off + r, "\r\n\r\n", 4);
		if (hend == NULL) {
			if (carry_keep(c, rbuf, off + r) == -1)
				conn_close(c, 0);
			return;
		}
		if (head_parse(c, rbuf, hend - rbuf) == -1) {
			conn_close(c, 0);
			return;
		}
		c->state = S_BODY;
		conn_settle();
		if (c->status != 200) {
			conn_close(c, 0);
			return;
		}
		ok200++;
		body = hend + 4 - rbuf;
		dlen = body_decode(c, rbuf + body, off + r - body, rbuf, &ended);
	} else
		dlen = off + body_decode(c, rbuf + off, r, rbuf + off, &ended);
	used = frames_parse(i, rbuf, dlen, t);
	if (ended)
		conn_close(c, 1);
	else if (carry_keep(c, rbuf + used, dlen - used) == -1)
		conn_close(c, 0);
}

/* Streams still open, and how many of them have an event >= id. */
static void
wait_count(int64_t id, uint32_t *got, uint32_t *of)
{
	uint32_t	 i;

	*got = *of = 0;
	for (i = 0; i < nconn; i++) {
		if (conns[i].state != S_BODY)
			continue;
		(*of)++;
		if (conns[i].last_id >= id)
			(*got)++;
	}
}

static void
report(void)
{
	struct rec	*r;
	size_t		 k;
	uint32_t	 i;

	printf("stopped %.3f\n", cpu_s());
	for (k = 0; k < nrecs; k++) {
		r = &recs[k];
		printf("e %u %lld %s %lld %lld\n", r->w, (long long)r->id,
		    types[r->type], (long long)r->recv_ns,
		    (long long)r->stamp);
	}
	for (i = 0; i < nconn; i++)
		printf("w %u %u %d\n", i, conns[i].status, conns[i].lost);
	printf("done\n");
	if (fflush(stdout) == EOF)
		fatal("stdout");
}

/* The request of tests/pylib/sse.py's request(), with extra header
 * lines; -1 if it does not fit in req. */
static int
req_build(const char *path, long port, char **hdr, int nhdr)
{
	int	 len, i;

	len = snprintf(req, sizeof(req), "GET %s HTTP/1.1\r\n"
	    "Host: 127.0.0.1:%ld\r\nAccept: text/event-stream\r\n"
	    "Cache-Control: no-cache\r\n", path, port);
	for (i = 0; i < nhdr && len >= 0 && (size_t)len < sizeof(req); i++)
		len += snprintf(req + len, sizeof(req) - len, "%s\r\n",
		    hdr[i]);
	if (len >= 0 && (size_t)len < sizeof(req))
		len += snprintf(req + len, sizeof(req) - len, "\r\n");
	if (len < 0 || (size_t)len >= sizeof(req))
		return -1;
	reqlen = len;
	return 0;
}

/* A pending "wait": the id, and when to answer anyway (monotonic ms). */
static int		 waiting;
static int64_t		 wait_id, wait_until, wait_scan;

/* Reads commands from stdin; returns 1 at stop or EOF. */
static int
cmd_read(void)
{
	static char	 line[256];
	static size_t	 linelen;
	long long	 id;
	ssize_t		 r;
	char		*nl;
	int		 ms, stop = 0;

	r = read(0, line + linelen, sizeof(line) - 1 - linelen);
	if (r == -1 && errno == EINTR)
		return 0;
	if (r <= 0)
		return 1;
	linelen += r;
	line[linelen] = '\0';
	while ((nl = strchr(line, '\n')) != NULL) {
		*nl = '\0';
		if (strcmp(line, "stop") == 0)
			stop = 1;
		else if (sscanf(line, "wait %lld %d", &id, &ms) == 2) {
			waiting = 1;
			wait_id = id;
			wait_until = mono_ms() + ms;
			wait_scan = 0;
		} else
			fprintf(stderr, "watchers: unknown command \"%s\"\n",
			    line);
		linelen -= nl + 1 - line;
		memmove(line, nl + 1, linelen + 1);
	}
	if (linelen == sizeof(line) - 1)
		linelen = 0;		/* no command is this long */
	return stop;
}

/* Answers a pending wait when it is met or due; the epoll timeout. */
static int
wait_check(int64_t now)
{
	uint32_t	 got, of;

	if (now < wait_scan)
		return wait_scan - now;
	wait_count(wait_id, &got, &of);
	if (got == of || now >= wait_until) {
		printf("have %u %u\n", got, of);
		fflush(stdout);
		waiting = 0;
		return -1;
	}
	/* Scanned every WAIT_SCAN_MS, not at every frame. */
	wait_scan = now + WAIT_SCAN_MS;
	return WAIT_SCAN_MS;
}

int
main(int argc, char *argv[])
{
	struct epoll_event	 ev, evs[EVENTS_MAX];
	struct rlimit		 rl;
	int64_t			 t_open, now;
	uint32_t		 i;
	long			 port, n;
	int			 k, j, timeout, announced = 0, stop = 0;

	if (argc < 4 || (port = strtol(argv[1], NULL, 10)) < 1 ||
	    port > 65535 || (n = strtol(argv[3], NULL, 10)) < 1 ||
	    n > 1000000) {
		fprintf(stderr, "usage: watchers PORT PATH N [HEADER ...]\n");
		return 2;
	}
	if (req_build(argv[2], port, argv + 4, argc - 4) == -1) {
		fprintf(stderr, "watchers: request longer than %d bytes\n",
		    REQ_MAX);
		return 2;
	}
	signal(SIGPIPE, SIG_IGN);
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
	nconn = n;
	if ((conns = calloc(nconn, sizeof(*conns))) == NULL)
		fatal("calloc");
	caprecs = (size_t)nconn * RECS_PER;
	if ((recs = malloc(caprecs * sizeof(*recs))) == NULL)
		fatal("malloc");
	for (i = 0; i < nconn; i++)
		conns[i].fd = -1;
	sin_srv.sin_family = AF_INET;
	sin_srv.sin_port = htons(port);
	sin_srv.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if ((epfd = epoll_create1(EPOLL_CLOEXEC)) == -1)
		fatal("epoll_create1");
	ev.events = EPOLLIN;
	ev.data.u32 = nconn;		/* stdin */
	if (epoll_ctl(epfd, EPOLL_CTL_ADD, 0, &ev) == -1)
		fatal("epoll_ctl stdin");

	t_open = now_ns(CLOCK_MONOTONIC);
	last_settle_ms = mono_ms();
	while (!stop) {
		while (next_conn < nconn && inflight < INFLIGHT_MAX)
			conn_start(next_conn++);
		now = mono_ms();
		timeout = -1;
		if (!announced && settled < nconn) {
			timeout = last_settle_ms + OPEN_WAIT_MS - now;
			if (timeout <= 0) {
				/* No head for a while: those opening failed. */
				for (i = 0; i < next_conn; i++)
					if (conns[i].state == S_CONNECTING ||
					    conns[i].state == S_HEAD)
						conn_close(&conns[i], 0);
				continue;
			}
		}
		if (!announced && settled == nconn) {
			printf("opened %u %u %.3f %.3f\n", ok200, failed,
			    (now_ns(CLOCK_MONOTONIC) - t_open) / 1e9, cpu_s());
			fflush(stdout);
			announced = 1;
		}
		if (waiting)
			timeout = wait_check(now);
		if ((k = epoll_wait(epfd, evs, EVENTS_MAX, timeout)) == -1) {
			if (errno == EINTR)
				continue;
			fatal("epoll_wait");
		}
		for (j = 0; j < k; j++) {
			i = evs[j].data.u32;
			if (i == nconn)
				stop |= cmd_read();
			else if (conns[i].state == S_CONNECTING)
				conn_send(i);
			else if (conns[i].state != S_CLOSED)
				conn_read(i);
		}
	}
	report();
	for (i = 0; i < nconn; i++)
		if (conns[i].fd != -1)
			close(conns[i].fd);
	return 0;
}
