/*
 * Aligned columns; the contract is in table.h. Widths count UTF-8 code
 * points (json_utf8_len: the service sends valid UTF-8 only), so a name
 * with accents lines up as a terminal shows it.
 */
#include <stdlib.h>
#include <string.h>

#include "json.h"
#include "table.h"

void
table_clean(char *s)
{
	const unsigned char	*p = (const unsigned char *)s;
	char			*q = s;

	for (; *p != '\0'; p++)
		if (*p < 0x20 || *p == 0x7f)
			*q++ = ' ';
		else if (p[0] == 0xc2 && p[1] >= 0x80 && p[1] <= 0x9f) {
			/* C1: U+009B is CSI to some terminals. */
			*q++ = ' ';
			p++;
		} else
			*q++ = (char)*p;
	*q = '\0';
}

int
table_add(struct table *t, const char *const *row)
{
	char	**cells, *cell;
	size_t	  i, cap;

	if (t->n == t->cap) {
		cap = t->cap ? t->cap * 2 : 16;
		if ((cells = reallocarray(t->cells, cap, t->ncol *
		    sizeof(*cells))) == NULL)
			return -1;
		t->cells = cells;
		t->cap = cap;
	}
	for (i = 0; i < t->ncol; i++) {
		if ((cell = strdup(row[i] != NULL ? row[i] : "-")) == NULL) {
			while (i-- > 0)
				free(t->cells[t->n * t->ncol + i]);
			return -1;
		}
		/* A name with a line break would break the row. */
		table_clean(cell);
		t->cells[t->n * t->ncol + i] = cell;
	}
	t->n++;
	return 0;
}

void
table_print(const struct table *t, FILE *f)
{
	size_t		 w[TABLE_COLS_MAX] = { 0 }, r, c, k;
	const char	*cell;

	for (r = 0; r < t->n; r++)
		for (c = 0; c < t->ncol && c < TABLE_COLS_MAX; c++) {
			cell = t->cells[r * t->ncol + c];
			if (json_utf8_len(cell) > w[c])
				w[c] = json_utf8_len(cell);
		}
	for (r = 0; r < t->n; r++) {
		for (c = 0; c < t->ncol; c++) {
			cell = t->cells[r * t->ncol + c];
			fputs(cell, f);
			if (c + 1 == t->ncol)
				break;
			for (k = json_utf8_len(cell); k < w[c] + 2; k++)
				fputc(' ', f);
		}
		fputc('\n', f);
	}
}

void
table_free(struct table *t)
{
	size_t	i;

	if (t == NULL)
		return;
	for (i = 0; i < t->n * t->ncol; i++)
		free(t->cells[i]);
	free(t->cells);
	t->cells = NULL;
	t->n = t->cap = 0;
}
