/*
 * bench/tasks PORT N CLIENTS BODY: the end-to-end step's client. It
 * opens one event stream (GET /api/events), then CLIENTS connections
 * POST BODY to /api/tasks, N in all, each connection one request at a
 * time and kept alive; it waits until every created task's terminal
 * state event has arrived on the stream. Eight Python threads took
 * about a fifth of the machine's CPU per task, so the rate they
 * measured was partly their own.
 *
 * Prints one line:
 *	tps <tasks/s> create_s <s> total_s <s> failed <n> cpu_s <s>
 * tps is N over the time from the first POST to the last end; failed
 * counts the tasks that ended other than succeeded; cpu_s is this
 * process's user + system time. Exits 1, saying why on stderr, if a
 * create is refused or the tasks do not all end within 300 s.
 */
#define _GNU_SOURCE		/* strcasestr */
#include <sys/resource.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define ENDS_WAIT_S	300
#define BUF_MAX		(64 * 1024)

struct end {
	int64_t		 id;
	int64_t		 ns;
	int		 ok;
};

static int		 port;
static const char	*body;
static int		 per_client;
static int64_t		*created;	/* per_client ids a client, in turn */

static pthread_mutex_t	 mu = PTHREAD_MUTEX_INITIALIZER;
static struct end	*ends;		/* terminal state events, in order */
static size_t		 nends, capends;
static int		 stream_fd;

static int64_t
now_ns(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static void
die(const char *what)
{
	fprintf(stderr, "bench/tasks: %s\n", what);
	exit(1);
}

static int
dial(void)
{
	struct sockaddr_in	 a;
	int			 fd, one = 1;

	memset(&a, 0, sizeof(a));
	a.sin_family = AF_INET;
	a.sin_port = htons((uint16_t)port);
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if ((fd = socket(AF_INET, SOCK_STREAM, 0)) == -1 ||
	    connect(fd, (struct sockaddr *)&a, sizeof(a)) == -1)
		die("cannot connect");
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	return fd;
}

static void
send_all(int fd, const char *p, size_t n)
{
	ssize_t	 w;

	while (n > 0) {
		if ((w = write(fd, p, n)) == -1) {
			if (errno == EINTR)
				continue;
			die("write failed");
		}
		p += w;
		n -= (size_t)w;
	}
}

/*
 * One answer on a kept connection: reads its head and its
 * Content-Length body into buf (NUL-terminated). Returns the status.
 */
static int
read_answer(int fd, char *buf, size_t cap, char **bodyp)
{
	size_t	 have = 0, need = 0;
	ssize_t	 r;
	char	*eoh = NULL, *cl;
	int	 status;

	for (;;) {
		if (have + 1 >= cap)
			die("an answer larger than the buffer");
		if ((r = read(fd, buf + have, cap - 1 - have)) <= 0)
			die("the server closed a create's connection");
		have += (size_t)r;
		buf[have] = '\0';
		if (eoh == NULL && (eoh = strstr(buf, "\r\n\r\n")) != NULL) {
			*eoh = '\0';
			if ((cl = strcasestr(buf, "\r\nContent-Length:")) ==
			    NULL)
				die("an answer without Content-Length");
			need = (size_t)(eoh + 4 - buf) +
			    strtoul(cl + 17, NULL, 10);
			*eoh = '\r';
		}
		if (eoh != NULL && have >= need)
			break;
	}
	if (have != need)
		die("bytes after an answer");
	if (sscanf(buf, "HTTP/1.%*d %d", &status) != 1)
		die("an answer without a status line");
	*bodyp = eoh + 4;
	return status;
}

static void *
client(void *arg)
{
	char		 req[BUF_MAX], ans[BUF_MAX], *b;
	int64_t		*mine = arg;
	long long	 id;
	int		 fd, i, n, status;

	fd = dial();
	n = snprintf(req, sizeof(req), "POST /api/tasks HTTP/1.1\r\n"
	    "Host: 127.0.0.1:%d\r\nContent-Type: application/json\r\n"
	    "Content-Length: %zu\r\n\r\n%s", port, strlen(body), body);
	if (n < 0 || (size_t)n >= sizeof(req))
		die("BODY too long");
	for (i = 0; i < per_client; i++) {
		send_all(fd, req, (size_t)n);
		if ((status = read_answer(fd, ans, sizeof(ans), &b)) != 201) {
			fprintf(stderr, "bench/tasks: create answered %d: %s\n",
			    status, b);
			exit(1);
		}
		if (sscanf(b, "{\"id\":%lld", &id) != 1)
			die("a created task's answer does not begin with its id");
		mine[i] = id;
	}
	close(fd);
	return NULL;
}

static void
end_add(int64_t id, int ok, int64_t ns)
{
	pthread_mutex_lock(&mu);
	if (nends == capends) {
		capends = capends ? capends * 2 : 4096;
		if ((ends = realloc(ends, capends * sizeof(*ends))) == NULL)
			die("out of memory");
	}
	ends[nends].id = id;
	ends[nends].ns = ns;
	ends[nends].ok = ok;
	nends++;
	pthread_mutex_unlock(&mu);
}

/* A frame's lines, "event: state" with a terminal state in its data. */
static void
frame(char *f, int64_t ns)
{
	char		*d, *st;
	long long	 id;

	if (strncmp(f, "event: state\n", 13) != 0 &&
	    strstr(f, "\nevent: state\n") == NULL)
		return;
	if ((d = strstr(f, "data: {\"id\":")) == NULL ||
	    sscanf(d + 12, "%lld", &id) != 1 ||
	    (st = strstr(d, "\"state\":\"")) == NULL)
		return;
	st += 9;
	if (strncmp(st, "succeeded\"", 10) == 0)
		end_add(id, 1, ns);
	else if (strncmp(st, "failed\"", 7) == 0 ||
	    strncmp(st, "canceled\"", 9) == 0 || strncmp(st, "lost\"", 5) == 0)
		end_add(id, 0, ns);
}

/*
 * The stream, asked for over HTTP/1.0 so that its body comes as it is,
 * without chunks, until the connection closes.
 */
static void *
reader(void *arg)
{
	static char	 buf[4 * BUF_MAX];
	size_t		 have = 0;
	ssize_t		 r;
	char		*p, *e;
	int64_t		 ns;

	(void)arg;
	for (;;) {
		if (have + 1 >= sizeof(buf))
			die("an event larger than the buffer");
		if ((r = read(stream_fd, buf + have, sizeof(buf) - 1 - have))
		    <= 0)
			return NULL;
		ns = now_ns();
		have += (size_t)r;
		buf[have] = '\0';
		p = buf;
		while ((e = strstr(p, "\n\n")) != NULL) {
			e[1] = '\0';
			frame(p, ns);
			p = e + 2;
		}
		have -= (size_t)(p - buf);
		memmove(buf, p, have);
	}
}

static int
cmp_id(const void *a, const void *b)
{
	int64_t	 x = *(const int64_t *)a, y = *(const int64_t *)b;

	return (x > y) - (x < y);
}

int
main(int argc, char **argv)
{
	pthread_t	*th, rd;
	struct rusage	 ru;
	char		 head[BUF_MAX];
	int64_t		 t0, t_created, t_end = 0, *hit;
	unsigned char	*marked;
	size_t		 have = 0, seen = 0;
	ssize_t		 r;
	int		 n, clients, c, done = 0, failed = 0;

	if (argc != 5)
		die("usage: bench/tasks PORT N CLIENTS BODY");
	port = atoi(argv[1]);
	n = atoi(argv[2]);
	clients = atoi(argv[3]);
	body = argv[4];
	if (port <= 0 || n <= 0 || clients <= 0 || n % clients != 0)
		die("PORT, N and CLIENTS must be positive, N a multiple of "
		    "CLIENTS");
	per_client = n / clients;
	if ((created = calloc((size_t)n, sizeof(*created))) == NULL ||
	    (marked = calloc((size_t)n, 1)) == NULL ||
	    (th = calloc((size_t)clients, sizeof(*th))) == NULL)
		die("out of memory");

	stream_fd = dial();
	snprintf(head, sizeof(head), "GET /api/events HTTP/1.0\r\n"
	    "Host: 127.0.0.1:%d\r\nAccept: text/event-stream\r\n\r\n", port);
	send_all(stream_fd, head, strlen(head));
	/* The head, a byte at a time: what follows it is the reader's. */
	while (have < 4 || memcmp(head + have - 4, "\r\n\r\n", 4) != 0) {
		if (have + 1 >= sizeof(head) ||
		    (r = read(stream_fd, head + have, 1)) <= 0)
			die("the event stream did not open");
		have += (size_t)r;
	}
	head[have] = '\0';
	if (strncmp(head + 8, " 200", 4) != 0)
		die("the event stream was refused");
	if (pthread_create(&rd, NULL, reader, NULL) != 0)
		die("pthread_create");

	t0 = now_ns();
	for (c = 0; c < clients; c++)
		if (pthread_create(&th[c], NULL, client,
		    created + (size_t)c * (size_t)per_client) != 0)
			die("pthread_create");
	for (c = 0; c < clients; c++)
		pthread_join(th[c], NULL);
	t_created = now_ns();

	/* Each terminal event of a created task counts once. */
	qsort(created, (size_t)n, sizeof(*created), cmp_id);
	while (done < n) {
		pthread_mutex_lock(&mu);
		for (; seen < nends; seen++) {
			hit = bsearch(&ends[seen].id, created, (size_t)n,
			    sizeof(*created), cmp_id);
			if (hit == NULL || marked[hit - created])
				continue;
			marked[hit - created] = 1;
			done++;
			failed += !ends[seen].ok;
			if (ends[seen].ns > t_end)
				t_end = ends[seen].ns;
		}
		pthread_mutex_unlock(&mu);
		if (done < n && now_ns() - t_created >
		    (int64_t)ENDS_WAIT_S * 1000000000) {
			fprintf(stderr, "bench/tasks: %d of %d tasks ended in "
			    "%d s\n", done, n, ENDS_WAIT_S);
			return 1;
		}
		if (done < n)
			usleep(5000);
	}
	shutdown(stream_fd, SHUT_RDWR);
	pthread_join(rd, NULL);
	getrusage(RUSAGE_SELF, &ru);
	printf("tps %.1f create_s %.3f total_s %.3f failed %d cpu_s %.3f\n",
	    n / ((t_end - t0) / 1e9), (t_created - t0) / 1e9,
	    (t_end - t0) / 1e9, failed,
	    ru.ru_utime.tv_sec + ru.ru_stime.tv_sec +
	    (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6);
	free(th);
	free(marked);
	free(created);
	free(ends);
	return 0;
}
