/*
 * The bar's state and its line; the contract is in bar.h.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bar.h"
#include "json.h"
#include "state.h"
#include "table.h"

void
bar_init(struct bar *b, int64_t id)
{
	memset(b, 0, sizeof(*b));
	b->id = id;
	b->percent = -1;
}

static void
copy(char *dst, size_t len, const char *s)
{
	snprintf(dst, len, "%s", s != NULL ? s : "");
}

static const char *
str(const cJSON *o, const char *name)
{
	const cJSON	*v = cJSON_GetObjectItemCaseSensitive(o, name);

	return cJSON_IsString(v) ? v->valuestring : NULL;
}

int64_t
bar_time(const char *s)
{
	struct tm	 tm;
	int		 ms, n = 0;
	time_t		 t;

	if (s == NULL)
		return 0;
	memset(&tm, 0, sizeof(tm));
	if (sscanf(s, "%4d-%2d-%2dT%2d:%2d:%2d.%3dZ%n", &tm.tm_year,
	    &tm.tm_mon, &tm.tm_mday, &tm.tm_hour, &tm.tm_min, &tm.tm_sec,
	    &ms, &n) != 7 || n == 0 || s[n] != '\0')
		return 0;
	tm.tm_year -= 1900;
	tm.tm_mon -= 1;
	if ((t = timegm(&tm)) == (time_t)-1)
		return 0;
	return (int64_t)t * 1000 + ms;
}

void
bar_progress(struct bar *b, const cJSON *p)
{
	const cJSON	*pct = cJSON_GetObjectItemCaseSensitive(p, "percent");

	if (cJSON_IsNumber(pct))
		b->percent = pct->valuedouble;
	copy(b->message, sizeof(b->message), str(p, "message"));
}

void
bar_task(struct bar *b, const cJSON *task)
{
	const cJSON	*err;

	copy(b->state, sizeof(b->state), str(task, "state"));
	b->started_ms = bar_time(str(task, "started_at"));
	b->finished_ms = bar_time(str(task, "finished_at"));
	bar_progress(b, cJSON_GetObjectItemCaseSensitive(task, "progress"));
	err = cJSON_GetObjectItemCaseSensitive(task, "error");
	if (cJSON_IsObject(err))
		snprintf(b->error, sizeof(b->error), "%s: %s",
		    str(err, "code") ? str(err, "code") : "error",
		    str(err, "message") ? str(err, "message") : "");
	else
		b->error[0] = '\0';
}

void
bar_data(struct bar *b, const cJSON *d)
{
	char	*v;

	v = json_print(cJSON_GetObjectItemCaseSensitive(d,
	    "data"));
	snprintf(b->data, sizeof(b->data), "%s: %s",
	    str(d, "name") ? str(d, "name") : "data", v != NULL ? v : "?");
	free(v);
}

int
bar_ended(const struct bar *b)
{
	int	 s = state_parse(b->state);

	return s != -1 && state_final((enum task_state)s);
}

/* "1:02:03" or "02:03". */
static void
duration(int64_t ms, char *out, size_t len)
{
	int64_t	s = ms > 0 ? ms / 1000 : 0;

	if (s >= 3600)
		snprintf(out, len, "%lld:%02lld:%02lld", (long long)(s / 3600),
		    (long long)(s / 60 % 60), (long long)(s % 60));
	else
		snprintf(out, len, "%02lld:%02lld", (long long)(s / 60),
		    (long long)(s % 60));
}

/* Cuts s to at most width characters (UTF-8 code points; SIZE_MAX: no
 * cut), and control characters to spaces, so that the line stays one
 * line. */
static void
fit(char *s, size_t width)
{
	size_t	chars = 0;
	char	*p;

	table_clean(s);
	for (p = s; *p != '\0'; p++) {
		if (((unsigned char)*p & 0xc0) != 0x80 && chars++ == width) {
			*p = '\0';
			return;
		}
	}
}

/* n cells of the bar at p percent, and a NUL, into cells. */
static void
fill(char *cells, size_t n, double p)
{
	size_t	i, full = (size_t)(p * n / 100);

	for (i = 0; i < n; i++)
		cells[i] = i < full ? '#' : '-';
	cells[n] = '\0';
}

/*
 * The line of an ended task, which stays: its state and its error (or
 * message) are never cut. Where the line is wider than width, its bar
 * gives way first, down to none; a line still too wide is left whole,
 * for the terminal to wrap, since it is never redrawn.
 */
static void
end_line(const struct bar *b, double p, const char *pct, const char *el,
    size_t width, char *out, size_t len)
{
	char	 head[64], tail[BAR_TEXT_MAX + 64], cells[BAR_CELLS + 1];
	size_t	 rest, n = 0;

	snprintf(head, sizeof(head), "#%lld %s ", (long long)b->id,
	    b->state);
	snprintf(tail, sizeof(tail), "%s %s%s%s", pct, el, b->error[0] ||
	    b->message[0] ? "  " : "", b->error[0] ? b->error : b->message);
	rest = json_utf8_len(head) + json_utf8_len(tail) + strlen("[] ");
	if (width > rest)
		n = width - rest < BAR_CELLS ? width - rest : BAR_CELLS;
	fill(cells, n, p);
	snprintf(out, len, "%s%s%s%s%s", head, n > 0 ? "[" : "", cells,
	    n > 0 ? "] " : "", tail);
	fit(out, SIZE_MAX);
}

void
bar_format(const struct bar *b, int64_t now_ms, size_t width, char *out,
    size_t len)
{
	char	 cells[BAR_CELLS + 1], pct[16], el[32], left[48];
	double	 p = b->percent < 0 ? 0 : b->percent > 100 ? 100 : b->percent;
	int64_t	 end = b->finished_ms ? b->finished_ms : now_ms;
	int64_t	 spent = b->started_ms ? end - b->started_ms : 0;

	fill(cells, BAR_CELLS, p);
	if (b->percent < 0)
		snprintf(pct, sizeof(pct), "  -%%");
	else
		snprintf(pct, sizeof(pct), "%3.0f%%", p);
	duration(spent, el, sizeof(el));
	left[0] = '\0';
	if (strcmp(b->state, "running") == 0 && p > 0 && p < 100 &&
	    spent > 0) {
		duration((int64_t)(spent * (100 - p) / p), left + 1,
		    sizeof(left) - 1);
		left[0] = '~';
		strncat(left, " left", sizeof(left) - strlen(left) - 1);
	}
	if (bar_ended(b)) {
		end_line(b, p, pct, el, width, out, len);
		return;
	}
	snprintf(out, len, "#%lld %s [%s] %s %s%s%s%s%s%s%s",
	    (long long)b->id, b->state[0] ? b->state : "...", cells, pct, el,
	    left[0] ? " " : "", left, b->message[0] ? "  " : "", b->message,
	    b->data[0] ? "  | " : "", b->data);
	fit(out, width);
}
