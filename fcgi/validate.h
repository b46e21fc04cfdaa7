/* validate.h -- table-driven validation of JSON request bodies and query
 * values. Each endpoint declares its fields in a static table (kcgi's
 * struct kvalid, STYLE.md item 2); handlers then see only parsed values.
 * Pure: no I/O. */
#ifndef REFUNDD_VALIDATE_H
#define REFUNDD_VALIDATE_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum field_type {
	FIELD_STRING,   /* UTF-8 text, min..max characters (not bytes) */
	FIELD_CODE,     /* [a-z0-9_]{1,max_len} */
	FIELD_ID,       /* [A-Za-z0-9_.:-]{1,max_len} */
	FIELD_INT,      /* JSON integer in [min, max]; floats and strings refused */
	FIELD_BOOL,
	FIELD_TIME,     /* RFC 3339 string -> unix seconds */
	FIELD_ENUM,     /* one of choices (NULL-terminated) */
	FIELD_ARRAY,    /* any JSON array; its items are checked by the caller */
	FIELD_OBJECT,   /* any JSON object; its members are checked by the caller */
};

struct field_spec {
	const char        *name;
	enum field_type    type;
	bool               required;
	bool               nullable;    /* JSON null accepted (value then absent) */
	int64_t            min, max;    /* FIELD_INT range; FIELD_STRING min/max bytes */
	const char *const *choices;     /* FIELD_ENUM */
};

struct field_value {
	bool        present;            /* given and not null */
	const char *str;                /* STRING, CODE, ID, ENUM (points into the json) */
	int64_t     num;                /* INT, TIME (unix s), BOOL (0/1) */
	json_t     *json;               /* ARRAY, OBJECT (borrowed) */
};

enum validate_err {
	VALIDATE_OK = 0,
	VALIDATE_UNKNOWN_FIELD,
	VALIDATE_MISSING_FIELD,
	VALIDATE_WRONG_TYPE,
	VALIDATE_TOO_LONG,
	VALIDATE_OUT_OF_RANGE,
	VALIDATE_INVALID_VALUE,
	VALIDATE__MAX
};

struct validate_error {
	enum validate_err err;
	char field[64];
};

/* Every field table registers itself where it is declared, with
 * FIELD_TABLE(table); on the line after it (file or function scope), so
 * tests/fuzz/fuzz_validate.c reaches every table without a copy of any.
 * The registry is a linker set (FreeBSD's SET_DECLARE): each registration
 * puts one pointer into the ELF section refundd_field_tables, and the
 * linker brackets that section with __start_/__stop_ symbols. A pointer,
 * not the struct, goes into the section so that no alignment padding can
 * appear between entries. tests/fuzz/run.sh checks that every
 * `struct field_spec name[]` in fcgi/ is registered. */
struct field_table {
	const char              *where;   /* __FILE__:__LINE__ of the registration */
	const struct field_spec *specs;
	size_t                   n;
};

#define FIELD_TABLE_STR_(x) #x
#define FIELD_TABLE_STR(x) FIELD_TABLE_STR_(x)
#define FIELD_TABLE(table)                                                     \
	static const struct field_table field_table_##table = {                \
		__FILE__ ":" FIELD_TABLE_STR(__LINE__), table,                 \
		sizeof(table) / sizeof(table)[0] };                            \
	static const struct field_table *const field_table_ptr_##table         \
		__attribute__((used, section("refundd_field_tables"))) =       \
		&field_table_##table

/* The tables registered by the objects linked into this program (a table
 * counts only if its object file is linked); *n of them, in link order. */
const struct field_table *const *validate_tables(size_t *n);

/* Checks obj against n specs; out has n slots, in the same order.
 * Unknown members are refused: a typo must not be silently ignored. */
enum validate_err validate_object(const json_t *obj, const struct field_spec *specs,
                                  size_t n, struct field_value *out,
                                  struct validate_error *err);
/* One value outside an object (query strings): text checked as spec. */
enum validate_err validate_text(const char *text, const struct field_spec *spec,
                                struct field_value *out);
const char *validate_err_code(enum validate_err err);

/* RFC 3339 ("2026-11-25T08:00:00Z", "...+08:00", optional fraction,
 * which is dropped) to unix seconds; 0 or -1. */
int  validate_parse_time(const char *s, int64_t *out);
/* Unix seconds to "YYYY-MM-DDTHH:MM:SSZ" (buf >= 21 bytes). */
void validate_format_time(int64_t t, char *buf, size_t len);

#endif
