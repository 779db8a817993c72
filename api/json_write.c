/* SPDX-License-Identifier: ISC */
/*
 * A compact JSON encoder for answer lines. It writes exactly what
 * jansson's json_dumps(JSON_COMPACT) writes (a unit test and the fuzz
 * target compare them byte for byte) at a fraction of the cost: one
 * growing buffer, a fast path for plain ASCII in strings, no callbacks.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jsonrpc.h"

struct out {
	char *buf;
	size_t len;
	size_t cap;
	bool failed;
};

static bool reserve(struct out *o, size_t n)
{
	size_t cap;
	char *nb;

	if (o->failed)
		return false;
	if (o->len + n <= o->cap)
		return true;
	cap = o->cap ? o->cap : 512;
	while (cap < o->len + n)
		cap *= 2;
	nb = realloc(o->buf, cap);
	if (!nb) {
		o->failed = true;
		return false;
	}
	o->buf = nb;
	o->cap = cap;
	return true;
}

static void put(struct out *o, const char *s, size_t n)
{
	if (reserve(o, n)) {
		memcpy(o->buf + o->len, s, n);
		o->len += n;
	}
}

static void put_string(struct out *o, const char *s, size_t n)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t i, run = 0;
	unsigned char c;
	char esc[6];

	put(o, "\"", 1);
	for (i = 0; i < n; i++) {
		c = (unsigned char)s[i];
		if (c >= 0x20 && c != '"' && c != '\\')
			continue;
		put(o, s + run, i - run);
		run = i + 1;
		esc[0] = '\\';
		switch (c) {
		case '"': case '\\':
			esc[1] = c;
			put(o, esc, 2);
			break;
		case '\b': put(o, "\\b", 2); break;
		case '\f': put(o, "\\f", 2); break;
		case '\n': put(o, "\\n", 2); break;
		case '\r': put(o, "\\r", 2); break;
		case '\t': put(o, "\\t", 2); break;
		default:
			memcpy(esc + 1, "u00", 3);
			esc[4] = hex[c >> 4];
			esc[5] = hex[c & 15];
			put(o, esc, 6);
		}
	}
	put(o, s + run, n - run);
	put(o, "\"", 1);
}

/* As jansson: %.17g, a ".0" when it would read back as an integer, and
 * no '+' or leading zeros in the exponent. */
static void put_real(struct out *o, double d)
{
	char b[64], *e, *start, *end;
	int n = snprintf(b, sizeof(b) - 2, "%.17g", d);

	if (n < 0)
		return;
	if (!strchr(b, '.') && !strchr(b, 'e')) {
		strcpy(b + n, ".0");
		n += 2;
	}
	e = strchr(b, 'e');
	if (e) {
		start = e + 1;
		end = start + 1;
		if (*start == '-')
			start++;
		while (*end == '0')
			end++;
		if (end != start) {
			memmove(start, end, strlen(end) + 1);
			n = strlen(b);
		}
	}
	put(o, b, n);
}

/* Decimal by hand: snprintf costs more than the rest of a small value. */
static void put_integer(struct out *o, json_int_t v)
{
	unsigned long long u = v < 0 ? 0ull - (unsigned long long)v :
			       (unsigned long long)v;
	char b[24], *p = b + sizeof(b);

	do {
		*--p = (char)('0' + u % 10);
		u /= 10;
	} while (u);
	if (v < 0)
		*--p = '-';
	put(o, p, b + sizeof(b) - p);
}

static void put_value(struct out *o, json_t *v, int depth)
{
	const char *key;
	json_t *e;
	size_t i;
	bool first = true;

	if (depth > 2048) {
		o->failed = true;
		return;
	}
	switch (json_typeof(v)) {
	case JSON_OBJECT:
		put(o, "{", 1);
		json_object_foreach(v, key, e) {
			if (!first)
				put(o, ",", 1);
			first = false;
			put_string(o, key, strlen(key));
			put(o, ":", 1);
			put_value(o, e, depth + 1);
		}
		put(o, "}", 1);
		break;
	case JSON_ARRAY:
		put(o, "[", 1);
		json_array_foreach(v, i, e) {
			if (i)
				put(o, ",", 1);
			put_value(o, e, depth + 1);
		}
		put(o, "]", 1);
		break;
	case JSON_STRING:
		put_string(o, json_string_value(v), json_string_length(v));
		break;
	case JSON_INTEGER:
		put_integer(o, json_integer_value(v));
		break;
	case JSON_REAL:
		put_real(o, json_real_value(v));
		break;
	case JSON_TRUE:
		put(o, "true", 4);
		break;
	case JSON_FALSE:
		put(o, "false", 5);
		break;
	case JSON_NULL:
		put(o, "null", 4);
		break;
	}
}

char *jsonrpc_dump_line(json_t *v, size_t *len)
{
	struct out o = { 0 };

	if (!v)
		return NULL;
	put_value(&o, v, 0);
	put(&o, "\n", 2);
	if (o.failed) {
		free(o.buf);
		return NULL;
	}
	if (len)
		*len = o.len - 1;
	return o.buf;
}
