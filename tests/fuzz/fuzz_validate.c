/* fuzz_validate.c -- libFuzzer target for the request validators over every
 * field table the handlers register (validate.h FIELD_TABLE), so a table
 * added later is fuzzed without touching this file.
 *
 * Input: byte 0 picks the table; byte 1 the mode. Even: the rest is a
 * request body, parsed as server.c parses one (json_loadb with
 * JSON_REJECT_DUPLICATES) and checked by validate_object. Odd: the rest is
 * one query value, checked by validate_text against spec (byte 1 / 2) % n.
 *
 * Invariants (abort on violation): a value accepted respects its spec --
 * integers in [min, max], strings within their byte bounds and alphabet,
 * enums one of their choices, times >= 0 and stable through format/parse,
 * arrays arrays, booleans 0 or 1, no embedded NUL nor other control
 * character (tab, LF, CR aside); an accepted body has
 * every required field and no member outside the table, and a member given
 * (not a null the spec allows) is present; a refusal names a known code. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "app.h"
#include "validate.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const struct field_table *const *tables;
static size_t ntables;

#define CHECK(cond) do { if (!(cond)) { \
	fprintf(stderr, "fuzz_validate: %s failed at line %d\n", #cond, __LINE__); \
	abort(); } } while (0)

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	/* The handlers' objects hold the tables: reaching the route table links
	 * every one of them in, as it does in refundd. */
	static const void *volatile keep;
	keep = app_routes;
	(void)keep;
	(void)argc;
	(void)argv;
	tables = validate_tables(&ntables);
	if (ntables == 0) {
		fprintf(stderr, "fuzz_validate: no field table registered\n");
		abort();
	}
	/* FUZZ_VALIDATE_LIST=1: which table each first byte picks (for seeds) */
	for (size_t i = 0; i < ntables; i++) {
		CHECK(tables[i]->n > 0 && tables[i]->specs != NULL);
		if (getenv("FUZZ_VALIDATE_LIST") != NULL)
			fprintf(stderr, "%zu %s %s\n", i, tables[i]->where, tables[i]->specs[0].name);
	}
	return 0;
}

static bool all_in(const char *s, const char *allowed)
{
	return *s != '\0' && strspn(s, allowed) == strlen(s);
}

/* Characters, stepping by each sequence's lead byte (the validator counts
 * the bytes that are not continuation bytes: two ways to the same number
 * only for valid UTF-8, which every accepted string must be). */
static int64_t chars_by_lead(const unsigned char *s)
{
	int64_t n = 0;

	while (*s) {
		size_t step = *s < 0x80 ? 1 : *s >= 0xF0 ? 4 : *s >= 0xE0 ? 3 : 2;
		for (size_t i = 1; i < step; i++)
			CHECK((s[i] & 0xC0) == 0x80);
		s += step, n++;
	}
	return n;
}

static void check_text(const struct field_spec *spec, const char *s, size_t json_len)
{
	size_t len = strlen(s);
	int64_t max = spec->max > 0 ? spec->max : 64;
	int64_t count = spec->type == FIELD_STRING ? chars_by_lead((const unsigned char *)s)
	                                           : (int64_t)len;

	CHECK(json_len == (size_t)-1 || json_len == len);   /* no embedded NUL */
	/* no control character but tab, LF, CR: no C0, DEL, or C1 (U+0080..U+009F) */
	for (size_t i = 0; i < len; i++) {
		unsigned char ch = (unsigned char)s[i];
		CHECK(ch >= 0x20 || ch == '\t' || ch == '\n' || ch == '\r');
		CHECK(ch != 0x7f);
		CHECK(!(ch == 0xc2 && i + 1 < len && (unsigned char)s[i + 1] <= 0x9f));
	}
	CHECK(count <= max);
	CHECK((int64_t)len <= 4 * max);
	switch (spec->type) {
	case FIELD_STRING:
		CHECK(count >= (spec->min > 0 ? spec->min : 0));
		break;
	case FIELD_CODE:
		CHECK(all_in(s, "abcdefghijklmnopqrstuvwxyz0123456789_"));
		break;
	case FIELD_ID:
		CHECK(all_in(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.:-"));
		break;
	case FIELD_ENUM: {
		bool found = false;
		for (const char *const *c = spec->choices; c && *c && !found; c++)
			found = strcmp(*c, s) == 0;
		CHECK(found);
		break;
	}
	default:
		CHECK(!"not a text type");
	}
}

/* raw: the JSON value given (object mode), or NULL (query mode). */
static void check_accepted(const struct field_spec *spec, const struct field_value *v,
                           const json_t *raw)
{
	char buf[32];
	int64_t again;

	CHECK(v->present);
	switch (spec->type) {
	case FIELD_INT:
		CHECK(v->num >= spec->min && v->num <= spec->max);
		break;
	case FIELD_BOOL:
		CHECK(v->num == 0 || v->num == 1);
		break;
	case FIELD_ARRAY:
		CHECK(raw == NULL || (v->json == raw && json_is_array(v->json)));
		break;
	case FIELD_TIME:
		CHECK(v->str != NULL && v->num >= 0);
		CHECK(raw == NULL || json_string_length(raw) == strlen(v->str));
		validate_format_time(v->num, buf, sizeof buf);
		CHECK(validate_parse_time(buf, &again) == 0 && again == v->num);
		break;
	default:
		CHECK(v->str != NULL);
		check_text(spec, v->str, raw ? json_string_length(raw) : (size_t)-1);
	}
}

static void check_refusal(enum validate_err e)
{
	CHECK(e > VALIDATE_OK && e < VALIDATE__MAX);
	CHECK(validate_err_code(e) != NULL && strcmp(validate_err_code(e), "ok") != 0);
}

static void fuzz_object(const struct field_table *t, const uint8_t *data, size_t size)
{
	struct field_value *out = calloc(t->n, sizeof *out);
	struct validate_error verr;
	json_error_t jerr;
	json_t *obj = json_loadb((const char *)data, size, JSON_REJECT_DUPLICATES, &jerr);
	enum validate_err e;

	CHECK(out != NULL);
	if (obj == NULL) {
		free(out);
		return;
	}
	e = validate_object(obj, t->specs, t->n, out, &verr);
	CHECK(memchr(verr.field, '\0', sizeof verr.field) != NULL);
	if (e != VALIDATE_OK) {
		check_refusal(e);
		CHECK(verr.err == e);
	} else {
		const char *key;
		json_t *member;
		json_object_foreach(obj, key, member) {
			bool known = false;
			for (size_t i = 0; i < t->n && !known; i++)
				known = strcmp(t->specs[i].name, key) == 0;
			CHECK(known);
		}
		for (size_t i = 0; i < t->n; i++) {
			const struct field_spec *s = &t->specs[i];
			json_t *raw = json_object_get(obj, s->name);
			bool given = raw != NULL && !(json_is_null(raw) && s->nullable);
			CHECK(out[i].present == given);
			CHECK(given || !s->required);
			if (given)
				check_accepted(s, &out[i], raw);
		}
	}
	json_decref(obj);
	free(out);
}

static void fuzz_text(const struct field_spec *spec, const uint8_t *data, size_t size)
{
	char *text = malloc(size + 1);
	struct field_value v;
	enum validate_err e;

	CHECK(text != NULL);
	memcpy(text, data, size);
	text[size] = '\0';
	e = validate_text(text, spec, &v);
	if (e == VALIDATE_OK) {
		/* validate_text points str at the caller's text, for every type */
		CHECK(v.str == text && v.json == NULL);
		check_accepted(spec, &v, NULL);
	} else {
		check_refusal(e);
		CHECK(!v.present);
	}
	free(text);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 2)
		return 0;
	const struct field_table *t = tables[data[0] % ntables];
	if (data[1] % 2 == 0)
		fuzz_object(t, data + 2, size - 2);
	else
		fuzz_text(&t->specs[(data[1] / 2) % t->n], data + 2, size - 2);
	return 0;
}
