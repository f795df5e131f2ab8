/*
 * fcgi/record: an answer sent whole is read back record by record, as
 * nginx reads it: FCGI_STDOUT records of at most 65535 bytes that hold
 * the head and the body in order, the empty one that ends the stream,
 * FCGI_END_REQUEST, and nothing after. Sizes at and past a record's
 * limit, a head that spans records, more records than one sendmsg takes,
 * and a peer that has gone.
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "../../fcgi/record.h"
#include "unit.h"

/* What the other end of the socket read, to its end. */
struct sink {
	int		 fd;
	unsigned char	*p;
	size_t		 len;
};

static void *
drain(void *arg)
{
	struct sink	*s = arg;
	size_t		 cap = 1 << 16;
	ssize_t		 got;

	s->p = malloc(cap);
	for (;;) {
		if (s->len == cap && (s->p = realloc(s->p, cap *= 2)) == NULL)
			abort();
		if ((got = read(s->fd, s->p + s->len, cap - s->len)) <= 0)
			break;
		s->len += (size_t)got;
	}
	return NULL;
}

/*
 * Sends head and body through record_answer to a reader thread and
 * checks what it read: records of request id, their content head then
 * body, each but the last full, then the two end records. Returns the
 * number of FCGI_STDOUT records with content.
 */
static int
answer_reads_back(int id, const char *head, size_t hlen, const char *body,
    size_t blen)
{
	struct sink	 s = { -1, NULL, 0 };
	pthread_t	 t;
	unsigned char	*q, *end;
	size_t		 n, want = hlen + blen, got = 0, off;
	int		 sv[2], nrec = 0;

	CHECK_INT(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	s.fd = sv[1];
	CHECK_INT(pthread_create(&t, NULL, drain, &s), 0);
	CHECK_INT(record_answer(sv[0], id, head, hlen, body, blen), 0);
	close(sv[0]);
	pthread_join(t, NULL);
	close(sv[1]);

	q = s.p;
	end = s.p + s.len;
	for (;;) {
		CHECK(end - q >= FCGI_HEADER_LEN);
		if (end - q < FCGI_HEADER_LEN)
			break;
		CHECK_INT(q[0], FCGI_VERSION_1);
		CHECK_INT(q[2] << 8 | q[3], id);
		CHECK_INT(q[6], 0);	/* no padding */
		n = (size_t)(q[4] << 8 | q[5]);
		q += FCGI_HEADER_LEN;
		if (q[-7] != FCGI_STDOUT || n == 0)
			break;
		CHECK((size_t)(end - q) >= n);
		/* Each record is full but the last. */
		CHECK(n == FCGI_CONTENT_MAX || got + n == want);
		for (off = 0; off < n && (size_t)(end - q) >= n; off++) {
			unsigned char	 c = got + off < hlen ?
			    (unsigned char)head[got + off] :
			    (unsigned char)body[got + off - hlen];

			if (q[off] != c) {
				CHECK(q[off] == c);
				break;
			}
		}
		got += n;
		q += n;
		nrec++;
	}
	CHECK(got == want);
	/* The stream's end, then FCGI_END_REQUEST: status 0, complete. */
	CHECK_INT(q[-7], FCGI_STDOUT);
	CHECK(end - q == 2 * FCGI_HEADER_LEN);
	if (end - q == 2 * FCGI_HEADER_LEN) {
		static const unsigned char zero[8];

		CHECK_INT(q[0], FCGI_VERSION_1);
		CHECK_INT(q[1], FCGI_END_REQUEST);
		CHECK_INT(q[2] << 8 | q[3], id);
		CHECK_INT(q[4] << 8 | q[5], 8);
		CHECK(memcmp(q + FCGI_HEADER_LEN, zero, 8) == 0);
	}
	free(s.p);
	return nrec;
}

/* A buffer of n bytes that tell their places apart. */
static char *
pattern(size_t n, unsigned seed)
{
	char	*p = malloc(n + 1);
	size_t	 i;

	for (i = 0; i < n; i++)
		p[i] = (char)('a' + (i * 7 + seed) % 26);
	return p;
}

static void
small_answer_is_one_record(void)
{
	const char	*head = "Status: 200 OK\r\nContent-Length: 2\r\n\r\n";

	CHECK_INT(answer_reads_back(1, head, strlen(head), "{}", 2), 1);
}

/* A 204, or the answer to HEAD: the head and no body. */
static void
head_alone_is_one_record(void)
{
	const char	*head = "Status: 204 No Content\r\n\r\n";

	CHECK_INT(answer_reads_back(1, head, strlen(head), NULL, 0), 1);
}

static void
records_split_at_their_limit(void)
{
	const char	*head = "Status: 200 OK\r\n\r\n";
	size_t		 hlen = strlen(head);
	char		*body = pattern(3 * FCGI_CONTENT_MAX, 1);

	CHECK_INT(answer_reads_back(1, head, hlen, body,
	    FCGI_CONTENT_MAX - hlen), 1);
	CHECK_INT(answer_reads_back(1, head, hlen, body,
	    FCGI_CONTENT_MAX - hlen + 1), 2);
	CHECK_INT(answer_reads_back(1, head, hlen, body,
	    2 * FCGI_CONTENT_MAX - hlen), 2);
	CHECK_INT(answer_reads_back(1, head, hlen, body,
	    3 * FCGI_CONTENT_MAX), 4);
	free(body);
}

/* The request id is two bytes, high first. */
static void
request_id_is_written_whole(void)
{
	CHECK_INT(answer_reads_back(0x1234, "x", 1, "y", 1), 1);
}

static void
head_may_span_records(void)
{
	char	*head = pattern(FCGI_CONTENT_MAX + 100, 2);
	char	*body = pattern(10, 3);

	CHECK_INT(answer_reads_back(1, head, FCGI_CONTENT_MAX + 100, body, 10),
	    2);
	free(head);
	free(body);
}

/* Past IOV_MAX (1024) pieces, the answer takes more than one sendmsg,
 * and more than the socket's buffer. */
static void
largest_answers_take_several_calls(void)
{
	size_t	 n = (size_t)600 * FCGI_CONTENT_MAX;
	char	*body = pattern(n, 4);

	CHECK_INT(answer_reads_back(1, "h", 1, body, n), 601);
	free(body);
}

/* EPIPE, not SIGPIPE: the test's process keeps the default action,
 * which would end it. */
static void
gone_peer_fails(void)
{
	int	 sv[2];

	CHECK_INT(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	close(sv[1]);
	errno = 0;
	CHECK_INT(record_answer(sv[0], 1, "h", 1, "b", 1), -1);
	CHECK_INT(errno, EPIPE);
	close(sv[0]);
}

static const struct unit_test tests[] = {
	UNIT(small_answer_is_one_record),
	UNIT(head_alone_is_one_record),
	UNIT(records_split_at_their_limit),
	UNIT(request_id_is_written_whole),
	UNIT(head_may_span_records),
	UNIT(largest_answers_take_several_calls),
	UNIT(gone_peer_fails),
};

int
main(int argc, char **argv)
{
	UNIT_MAIN(tests, argc, argv);
}
