/* SPDX-License-Identifier: ISC */
/*
 * A small printf: %d %i %u %x %X %o %p %s %c %%, flags '-' and '0', a
 * width, a precision for %s, and the h/l/ll/z length modifiers. Output
 * goes through a sink that either fills a buffer (snprintf) or flushes
 * to the console in chunks (printf), so long output is never truncated.
 */
#include "sdk_internal.h"

struct sink {
	char *buf;
	size_t size;
	size_t pos;
	size_t total;
	bool console;	/* flush to the console when full */
};

struct spec {
	bool left;
	char pad;
	unsigned int width;
	int precision;	/* -1: none */
	int length;	/* 0 int, 1 long, 2 long long, 3 size_t */
};

static void sink_flush(struct sink *s)
{
	if (s->console && s->pos)
		skiff_console_write(s->buf, s->pos);
	s->pos = 0;
}

static void sink_put(struct sink *s, char c)
{
	s->total++;
	if (s->console) {
		if (s->pos == s->size)
			sink_flush(s);
		s->buf[s->pos++] = c;
	} else if (s->pos + 1 < s->size) {
		s->buf[s->pos++] = c;
	}
}

static void put_padded(struct sink *s, const char *str, size_t len,
		       const struct spec *sp)
{
	size_t pad = sp->width > len ? sp->width - len : 0;
	size_t i;

	if (!sp->left)
		for (i = 0; i < pad; i++)
			sink_put(s, sp->pad);
	for (i = 0; i < len; i++)
		sink_put(s, str[i]);
	if (sp->left)
		for (i = 0; i < pad; i++)
			sink_put(s, ' ');
}

static void put_number(struct sink *s, uint64_t v, bool negative,
		       unsigned int base, bool upper, const struct spec *sp)
{
	const char *digits = upper ? "0123456789ABCDEF" : "0123456789abcdef";
	char tmp[24];
	size_t n = sizeof(tmp);
	struct spec num = *sp;

	do {
		tmp[--n] = digits[v % base];
		v /= base;
	} while (v);
	if (negative) {
		if (sp->pad == '0' && !sp->left) {
			/* The sign goes before the zero padding. */
			sink_put(s, '-');
			if (num.width)
				num.width--;
		} else {
			tmp[--n] = '-';
		}
	}
	put_padded(s, tmp + n, sizeof(tmp) - n, &num);
}

static uint64_t arg_unsigned(va_list *ap, int length)
{
	switch (length) {
	case 0:
		return va_arg(*ap, unsigned int);
	case 1:
		return va_arg(*ap, unsigned long);
	case 2:
		return va_arg(*ap, unsigned long long);
	default:
		return va_arg(*ap, size_t);
	}
}

static int64_t arg_signed(va_list *ap, int length)
{
	switch (length) {
	case 0:
		return va_arg(*ap, int);
	case 1:
		return va_arg(*ap, long);
	case 2:
		return va_arg(*ap, long long);
	default:
		return (int64_t)va_arg(*ap, size_t);
	}
}

static const char *parse_spec(const char *f, struct spec *sp, va_list *ap)
{
	sp->left = false;
	sp->pad = ' ';
	sp->width = 0;
	sp->precision = -1;
	sp->length = 0;
	for (;; f++) {
		if (*f == '-')
			sp->left = true;
		else if (*f == '0')
			sp->pad = '0';
		else
			break;
	}
	if (*f == '*') {
		sp->width = va_arg(*ap, int);
		f++;
	}
	while (*f >= '0' && *f <= '9')
		sp->width = sp->width * 10 + (unsigned int)(*f++ - '0');
	if (*f == '.') {
		sp->precision = 0;
		for (f++; *f >= '0' && *f <= '9'; f++)
			sp->precision = sp->precision * 10 + (*f - '0');
	}
	for (;; f++) {
		if (*f == 'l')
			sp->length++;
		else if (*f == 'z')
			sp->length = 3;
		else if (*f != 'h')
			break;
	}
	return f;
}

static void format_one(struct sink *s, char conv, struct spec *sp,
		       va_list *ap)
{
	const char *str;
	size_t len;
	int64_t sv;
	char c;

	switch (conv) {
	case 'd':
	case 'i':
		sv = arg_signed(ap, sp->length);
		put_number(s, sv < 0 ? -(uint64_t)sv : (uint64_t)sv, sv < 0,
			   10, false, sp);
		break;
	case 'u':
		put_number(s, arg_unsigned(ap, sp->length), false, 10, false, sp);
		break;
	case 'x':
	case 'X':
		put_number(s, arg_unsigned(ap, sp->length), false, 16,
			   conv == 'X', sp);
		break;
	case 'o':
		put_number(s, arg_unsigned(ap, sp->length), false, 8, false, sp);
		break;
	case 'p':
		sink_put(s, '0');
		sink_put(s, 'x');
		put_number(s, (uintptr_t)va_arg(*ap, void *), false, 16, false, sp);
		break;
	case 's':
		str = va_arg(*ap, const char *);
		if (!str)
			str = "(null)";
		for (len = 0; str[len] && (sp->precision < 0 ||
					   len < (size_t)sp->precision); len++)
			;
		put_padded(s, str, len, sp);
		break;
	case 'c':
		c = (char)va_arg(*ap, int);
		put_padded(s, &c, 1, sp);
		break;
	default:
		/* %% and unknown conversions print themselves. */
		sink_put(s, conv);
		break;
	}
}

static void format(struct sink *s, const char *fmt, va_list ap)
{
	struct spec sp;
	va_list args;

	va_copy(args, ap);
	while (*fmt) {
		if (*fmt != '%') {
			sink_put(s, *fmt++);
			continue;
		}
		fmt = parse_spec(fmt + 1, &sp, &args);
		if (!*fmt)
			break;
		format_one(s, *fmt++, &sp, &args);
	}
	va_end(args);
}

int skiff_vsnprintf(char *buf, size_t size, const char *fmt, va_list ap)
{
	struct sink s = { .buf = buf, .size = size };

	format(&s, fmt, ap);
	if (size)
		buf[s.pos] = '\0';
	return (int)s.total;
}

int skiff_snprintf(char *buf, size_t size, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = skiff_vsnprintf(buf, size, fmt, ap);
	va_end(ap);
	return n;
}

int skiff_vprintf(const char *fmt, va_list ap)
{
	char buf[256];
	struct sink s = { .buf = buf, .size = sizeof(buf), .console = true };

	format(&s, fmt, ap);
	sink_flush(&s);
	return (int)s.total;
}

int skiff_printf(const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = skiff_vprintf(fmt, ap);
	va_end(ap);
	return n;
}
