/*
 * Rows of text printed as aligned columns, for ls, show, kinds and
 * schedules.
 */
#ifndef HG_CLI_TABLE_H
#define HG_CLI_TABLE_H

#include <stddef.h>
#include <stdio.h>

#define TABLE_COLS_MAX	8

struct table {
	size_t	  ncol;
	char	**cells;	/* n rows of ncol malloc'd strings */
	size_t	  n, cap;
};

/* Makes s safe to print as one line, in place: each control character
 * (C0, DEL, and C1 as UTF-8) becomes one space. */
void	table_clean(char *s);
/* Start from { ncol, NULL, 0, 0 }. Copies the ncol strings of row
 * (NULL prints as "-"; made safe by table_clean, so that a row stays
 * one line). Returns 0, or -1 if out of memory. */
int	table_add(struct table *t, const char *const *row);
/* Prints every row, columns two spaces apart, the last unpadded. */
void	table_print(const struct table *t, FILE *f);
void	table_free(struct table *t);

#endif
