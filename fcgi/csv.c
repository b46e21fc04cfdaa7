/* csv.c -- see csv.h. */
#include "csv.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void put(struct csv_buf *b, const char *s, size_t n)
{
	if (b->failed)
		return;
	if (b->len + n + 1 > b->cap) {
		size_t cap = b->cap ? b->cap : 256;
		while (cap < b->len + n + 1)
			cap *= 2;
		char *grown = realloc(b->data, cap);
		if (grown == NULL) {
			b->failed = 1;
			return;
		}
		b->data = grown;
		b->cap = cap;
	}
	memcpy(b->data + b->len, s, n);
	b->len += n;
	b->data[b->len] = '\0';
}

void csv_field(struct csv_buf *b, const char *text, int first_in_row)
{
	const char *s = text ? text : "";
	int quote = strpbrk(s, "\",\r\n") != NULL;

	if (!first_in_row)
		put(b, ",", 1);
	if (quote)
		put(b, "\"", 1);
	if (s[0] != '\0' && strchr("=+-@\t\r", s[0]) != NULL)
		put(b, "'", 1);
	for (; *s; s++) {
		put(b, s, 1);
		if (*s == '"')
			put(b, "\"", 1);   /* a quote inside is doubled */
	}
	if (quote)
		put(b, "\"", 1);
}

void csv_int(struct csv_buf *b, long long value, int first_in_row)
{
	char text[24];
	int n = snprintf(text, sizeof text, "%lld", value);

	if (!first_in_row)
		put(b, ",", 1);
	put(b, text, (size_t)n);
}

void csv_end_row(struct csv_buf *b)
{
	put(b, "\r\n", 2);
}
