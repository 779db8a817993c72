/* SPDX-License-Identifier: ISC */
/*
 * The C string functions the compiler may call on its own (memset,
 * memcpy, ...) plus the few the SDK and guests use.
 */
#include "sdk_internal.h"

/*
 * memset and memcpy are string instructions, a quadword at a time then
 * the tail bytes: fast on any x86, and on the nested-virtualization hosts
 * we test on, where guest instructions can be emulated one by one (and a
 * `rep` one iteration at a time), a third of the work of a word loop.
 */
void *memset(void *dst, int c, size_t n)
{
	uint64_t v = 0x0101010101010101ULL * (unsigned char)c;
	size_t words = n / 8, tail = n % 8;
	void *d = dst;

	__asm__ __volatile__("rep stosq\n\tmovq %[tail], %%rcx\n\trep stosb"
			     : "+D"(d), "+c"(words)
			     : "a"(v), [tail] "r"(tail)
			     : "memory");
	return dst;
}

void *memcpy(void *dst, const void *src, size_t n)
{
	size_t words = n / 8, tail = n % 8;
	void *d = dst;

	__asm__ __volatile__("rep movsq\n\tmovq %[tail], %%rcx\n\trep movsb"
			     : "+D"(d), "+S"(src), "+c"(words)
			     : [tail] "r"(tail)
			     : "memory");
	return dst;
}

/* Word-at-a-time compare: x86 allows unaligned 8-byte loads. */
static inline uint64_t load64(const unsigned char *p)
{
	uint64_t v;

	__builtin_memcpy(&v, p, sizeof(v));
	return v;
}

void *memmove(void *dst, const void *src, size_t n)
{
	unsigned char *d = dst;
	const unsigned char *s = src;

	if (d <= s || d >= s + n)
		return memcpy(dst, src, n);
	while (n--)
		d[n] = s[n];
	return dst;
}

int memcmp(const void *a, const void *b, size_t n)
{
	const unsigned char *x = a, *y = b;

	for (; n >= 8 && load64(x) == load64(y); n -= 8, x += 8, y += 8)
		;
	for (; n; n--, x++, y++)
		if (*x != *y)
			return *x - *y;
	return 0;
}

size_t strlen(const char *s)
{
	size_t n = 0;

	while (s[n])
		n++;
	return n;
}

int strcmp(const char *a, const char *b)
{
	while (*a && *a == *b) {
		a++;
		b++;
	}
	return (unsigned char)*a - (unsigned char)*b;
}

static int digit_value(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return 99;
}

bool skiff_parse_u64(const char *s, uint64_t *out)
{
	unsigned int base = 10;
	uint64_t v = 0;
	int d;

	if (!s || !*s)
		return false;
	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		base = 16;
		s += 2;
		if (!*s)
			return false;
	}
	for (; *s; s++) {
		d = digit_value(*s);
		if (d >= (int)base || v > (UINT64_MAX - (uint64_t)d) / base)
			return false;
		v = v * base + (uint64_t)d;
	}
	*out = v;
	return true;
}
