/* csv.h -- RFC 4180 CSV for the payout export, safe to open in a
 * spreadsheet. Pure. */
#ifndef REFUNDD_CSV_H
#define REFUNDD_CSV_H

#include <stddef.h>

struct csv_buf {
	char  *data;   /* heap, NUL-terminated; owned by the caller (free) */
	size_t len;
	size_t cap;
	int    failed; /* out of memory: everything after is dropped */
};

/* Appends one field (with a ',' before it unless first_in_row). Quotes it
 * when it holds '"', ',', CR or LF (RFC 4180 §2.6-2.7). A field starting
 * with '=', '+', '-', '@', TAB or CR gets a leading "'" so a spreadsheet
 * shows it as text instead of running it as a formula (OWASP CSV injection). */
void csv_field(struct csv_buf *b, const char *text, int first_in_row);
/* Appends an integer as a field: a number is never a formula, so a
 * negative one keeps its sign instead of getting the "'" of csv_field. */
void csv_int(struct csv_buf *b, long long value, int first_in_row);
/* Ends a row with CRLF (RFC 4180 §2.1). */
void csv_end_row(struct csv_buf *b);

#endif
