/*
 * The watch loop; the contract is in watch.h. Every event has a global,
 * strictly increasing id, so a reconnect sends the newest id printed as
 * Last-Event-ID and drops whatever comes again at or below it: no event
 * printed twice, none missed (the service replays from that id).
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#include "api.h"
#include "bar.h"
#include "json.h"
#include "sse.h"
#include "state.h"
#include "watch.h"

/* Set by SIGINT: the watch ends at once, leaving the bar's line whole
 * (a newline after it) rather than the shell's prompt glued to it. */
static volatile sig_atomic_t	interrupted;

struct watch {
	struct http	*h;
	int64_t		 id;
	enum watch_mode	 mode;
	struct sse	 sse;
	struct bar	 bar;
	int64_t		 last;		/* newest event id printed; 0: none */
	int		 ended;		/* the final state was seen */
	int		 broken;	/* stdout failed (or no memory): stop */
	int		 offline;	/* between connections */
	long		 retry_ms;	/* the stream's "retry:", or -1 */
	int		 drawn;		/* the final line is out */
	int64_t		 drawn_at;	/* when the bar was last drawn */
	/* Reading an ended task's events unprinted, for the id of its
	 * final state event (final_event_id). */
	int		 replaying;
	int64_t		 final_id;	/* 0 unless the last was of an end */
};

static size_t
term_width(void)
{
	struct winsize	ws;

	if (ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 1)
		return ws.ws_col - 1;
	return 79;
}

/* Redraws the bar in place: carriage return, erase the line, the line;
 * with final, a newline after it, so that it stays. */
static void
draw(struct watch *w, int final)
{
	static const char	more[] = "  (reconnecting)";
	char			line[1024];
	size_t			width = term_width();

	/* Nothing is known before the first event: an error then (no
	 * such task) is told alone, with no empty bar above it. */
	if (w->mode != WATCH_BAR || w->drawn || (w->bar.state[0] ==
	    '\0' && (final || !w->offline)))
		return;
	/* libcurl's progress callback may tick once more after the final
	 * event: the line then stays as it was. */
	w->drawn = final;
	w->drawn_at = hg_mono_ms();
	bar_format(&w->bar, hg_now_ms(), width, line, sizeof(line));
	/* Only where it fits: the terminal may be wider than line. */
	if (w->offline && !final && strlen(line) + strlen(more) < width &&
	    strlen(line) + sizeof(more) <= sizeof(line))
		strcat(line, more);
	printf("\r\033[K%s%s", line, final ? "\n" : "");
	if (api_flush() != 0)
		w->broken = 1;
}

/* The elapsed time and the estimate move without events: a redraw a
 * second. */
static int
on_tick(void *arg)
{
	struct watch	*w = arg;

	if (interrupted)
		return -1;
	if (hg_mono_ms() - w->drawn_at >= 1000)
		draw(w, 0);
	return 0;
}

static void
on_sigint(int sig)
{
	(void)sig;
	interrupted = 1;
}

/* One event as a JSON line: {"id": N, "event": "...", "data": ...};
 * data that is no JSON goes as a string. id 0 prints null. */
static void
print_json(struct watch *w, int64_t id, const char *type, const cJSON *data,
    const char *raw)
{
	cJSON	*o;
	char	*s = NULL;

	if ((o = cJSON_CreateObject()) != NULL &&
	    (id > 0 ? json_add_int(o, "id", id) : cJSON_AddNullToObject(o,
	    "id")) != NULL && cJSON_AddStringToObject(o, "event", type) !=
	    NULL && cJSON_AddItemToObject(o, "data", data != NULL ?
	    cJSON_Duplicate(data, 1) : cJSON_CreateString(raw)))
		s = json_print(o);
	if (s == NULL)
		api_warn("out of memory");
	else
		printf("%s\n", s);
	if (s == NULL || api_flush() != 0)
		w->broken = 1;
	free(s);
	cJSON_Delete(o);
}

static void
print_event(struct watch *w, int64_t id, const char *type,
    const cJSON *data, const char *raw)
{
	const cJSON	*line;
	int		 log = strcmp(type, "log") == 0;

	switch (w->mode) {
	case WATCH_JSON:
		print_json(w, id, type, data, raw);
		break;
	case WATCH_LOGS_JSON:
		if (log)
			print_json(w, id, type, data, raw);
		break;
	case WATCH_LOGS:
		line = cJSON_GetObjectItemCaseSensitive(data, "line");
		if (log && cJSON_IsString(line)) {
			printf("%s\n", line->valuestring);
			if (api_flush() != 0)
				w->broken = 1;
		}
		break;
	case WATCH_BAR:
		break;
	}
}

static int
on_event(void *arg, const struct sse_event *ev)
{
	struct watch	*w = arg;
	cJSON		*data;
	int64_t		 n = 0;

	if (ev->id[0] != '\0' && hg_parse_id(ev->id, strlen(ev->id),
	    &n) == -1)
		n = 0;
	if (w->replaying) {
		/* The stream ends after the final state event; one cut
		 * short before it gives no id. */
		if (strcmp(ev->type, "state") == 0) {
			data = api_parse(ev->data, ev->data_len);
			w->final_id = state_final((enum task_state)state_parse(
			    cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(
			    data, "state")))) ? n : 0;
			cJSON_Delete(data);
		}
		return 0;
	}
	if (n > 0 && n <= w->last)
		return 0;		/* seen before the reconnect */
	if (ev->truncated) {
		api_warn("event %s of task %lld was too long to read; "
		    "skipped", ev->id, (long long)w->id);
		w->last = n > 0 ? n : w->last;
		return 0;
	}
	data = api_parse(ev->data, ev->data_len);
	print_event(w, n, ev->type, data, ev->data);
	if (strcmp(ev->type, "state") == 0 && cJSON_IsObject(data)) {
		bar_task(&w->bar, data);
		w->ended = bar_ended(&w->bar);
	} else if (strcmp(ev->type, "progress") == 0)
		bar_progress(&w->bar, data);
	else if (strcmp(ev->type, "data") == 0)
		bar_data(&w->bar, data);
	cJSON_Delete(data);
	if (n > 0)
		w->last = n;
	draw(w, w->ended);
	/* The service ends the stream after the final state; stopping
	 * here saves waiting for it. */
	return w->ended || w->broken ? -1 : 0;
}

static int
on_chunk(void *arg, const char *p, size_t n)
{
	struct watch	*w = arg;

	w->offline = 0;
	return sse_feed(&w->sse, p, n, on_event, w);
}

static int
exit_by_state(const struct bar *b)
{
	switch (state_parse(b->state)) {
	case TASK_SUCCEEDED:
		return 0;
	case TASK_FAILED:
		return 1;
	case TASK_CANCELED:
		return 3;
	default:
		return 4;
	}
}

/*
 * The id of an ended task's final state event, for a JSON line: the
 * stream of an ended task opened without an id answers 204, so its
 * events are read from the first, unprinted, up to that one (the last
 * the stream sends). Returns 0 if it could not be read.
 */
static int64_t
final_event_id(struct watch *w)
{
	struct http_resp r = { 0, { NULL, 0, 0, 0 }, -1 };
	char		 path[64], err[512];

	snprintf(path, sizeof(path), "/api/tasks/%lld/events",
	    (long long)w->id);
	sse_free(&w->sse);
	w->replaying = 1;
	w->final_id = 0;
	/* Read to its end: a stream cut short may not have reached it. */
	if (http_stream(w->h, path, "0", on_chunk, on_tick, w, &r, err,
	    sizeof(err)) == -1 || r.status != 200)
		w->final_id = 0;
	w->replaying = 0;
	sse_free(&w->sse);
	http_resp_free(&r);
	return w->final_id;
}

/* A 204: nothing left to stream, so the task has ended; its final
 * state is read as it is now. Returns 1 if it has ended, 0 if not (a
 * race: try the stream again), or -(exit status) on an error. */
static int
read_final(struct watch *w)
{
	char	 path[64];
	cJSON	*t;
	int64_t	 n;
	int	 rc;

	snprintf(path, sizeof(path), "/api/tasks/%lld", (long long)w->id);
	if ((rc = api_call(w->h, "GET", path, NULL, NULL, &t)) != 0)
		return -rc;
	bar_task(&w->bar, t);
	if (bar_ended(&w->bar)) {
		n = w->mode == WATCH_JSON ? final_event_id(w) : 0;
		/* Ctrl-C in the reading: told at the watch's top. */
		if (interrupted) {
			cJSON_Delete(t);
			return 0;
		}
		print_event(w, n, "state", t, NULL);
		w->ended = 1;
		draw(w, 1);
	}
	cJSON_Delete(t);
	return w->ended;
}

static void
sleep_ms(int64_t ms)
{
	struct timespec	ts = { ms / 1000, (ms % 1000) * 1000000 };

	while (!interrupted && nanosleep(&ts, &ts) == -1 && errno == EINTR)
		;
}

int
watch_run(struct http *h, int64_t id, enum watch_mode mode,
    int64_t giveup_s)
{
	struct watch		 w;
	struct http_resp	 r = { 0, { NULL, 0, 0, 0 }, -1 };
	char			 path[64], last[32], err[512];
	const char		*from;
	int64_t			 reached = hg_mono_ms(), cap;
	int64_t			 delay = WATCH_BACKOFF_MS;
	int			 rc, got;
	struct sigaction	 sa;

	/* No SA_RESTART: the backoff's nanosleep ends at once. */
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_sigint;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	memset(&w, 0, sizeof(w));
	w.h = h;
	w.id = id;
	w.mode = mode;
	bar_init(&w.bar, id);
	sse_init(&w.sse);
	snprintf(path, sizeof(path), "/api/tasks/%lld/events", (long long)id);
	draw(&w, 0);
	for (;;) {
		if (interrupted) {
			if (w.mode == WATCH_BAR && w.drawn_at > 0 && !w.drawn)
				putchar('\n');
			rc = WATCH_INTERRUPTED;
			break;
		}
		/* A new connection starts a new parse: an event cut off by
		 * the drop comes again whole after Last-Event-ID. */
		sse_free(&w.sse);
		snprintf(last, sizeof(last), "%lld", (long long)w.last);
		/* Logs start from the first event; a watch from the task
		 * as it is now (the stream's opening state event). */
		from = w.last > 0 || mode == WATCH_LOGS || mode ==
		    WATCH_LOGS_JSON ? last : NULL;
		got = http_stream(h, path, from, on_chunk, on_tick, &w, &r,
		    err, sizeof(err));
		if (w.sse.retry_ms > 0)
			w.retry_ms = w.sse.retry_ms;
		if (interrupted)
			continue;	/* told at the top */
		if (w.broken) {
			/* 1 for no memory, as elsewhere in the CLI. */
			rc = api_flush() != 0 ? EXIT_OUTPUT : 1;
			break;
		}
		if (w.ended) {
			rc = exit_by_state(&w.bar);
			break;
		}
		if (r.status == 200 || r.status == 204)
			reached = hg_mono_ms();
		if (r.status == 204 && (rc = read_final(&w)) != 0) {
			rc = rc > 0 ? exit_by_state(&w.bar) : -rc;
			break;
		}
		if (r.status != 0 && r.status != 200 && r.status != 204 &&
		    !api_transient(&r)) {
			if (mode == WATCH_BAR)
				draw(&w, 1);
			rc = api_refused(h, &r);
			break;
		}
		if (r.status == 200)
			delay = WATCH_BACKOFF_MS;
		if (hg_mono_ms() - reached >= giveup_s * 1000) {
			if (mode == WATCH_BAR)
				draw(&w, 1);
			api_warn("gave up after %lld s without an answer: %s",
			    (long long)giveup_s, got == -1 ? err :
			    "the service is unavailable");
			rc = EXIT_UNREACHABLE;
			break;
		}
		w.offline = 1;
		draw(&w, 0);
		sleep_ms(delay);
		cap = w.retry_ms > 0 && w.retry_ms < WATCH_BACKOFF_MAX_MS ?
		    w.retry_ms : WATCH_BACKOFF_MAX_MS;
		delay = delay * 2 > cap ? cap : delay * 2;
	}
	sse_free(&w.sse);
	http_resp_free(&r);
	return rc;
}
