/* SPDX-License-Identifier: ISC */
/*
 * Bytes from outside (a guest's console, a message naming an operator's
 * path) as a JSON string: valid UTF-8 is kept, every byte of an invalid
 * sequence, an overlong, a surrogate or a NUL becomes U+FFFD, so the
 * result always encodes.
 */
#include <stdlib.h>
#include <string.h>

#include "jsonrpc.h"

/* Length of a valid UTF-8 sequence at @s (at most @n bytes), or 0. */
static size_t utf8_seq(const unsigned char *s, size_t n)
{
	size_t len, i;
	unsigned int cp;

	if (s[0] < 0x80)
		return 1;
	if ((s[0] & 0xe0) == 0xc0)
		len = 2, cp = s[0] & 0x1f;
	else if ((s[0] & 0xf0) == 0xe0)
		len = 3, cp = s[0] & 0x0f;
	else if ((s[0] & 0xf8) == 0xf0)
		len = 4, cp = s[0] & 0x07;
	else
		return 0;
	if (len > n)
		return 0;
	for (i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (s[i] & 0x3f);
	}
	if ((len == 2 && cp < 0x80) || (len == 3 && cp < 0x800) ||
	    (len == 4 && (cp < 0x10000 || cp > 0x10ffff)) ||
	    (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return len;
}

json_t *jsonrpc_text(const char *buf, size_t len)
{
	const unsigned char *s = (const unsigned char *)buf;
	char *out = malloc(len * 3 + 1), *o = out;
	size_t i = 0, k;
	json_t *j;

	if (!out)
		return json_string("");
	while (i < len) {
		k = utf8_seq(s + i, len - i);
		if (k && s[i] != 0) {
			memcpy(o, s + i, k);
			o += k;
			i += k;
		} else {
			memcpy(o, "\xef\xbf\xbd", 3);
			o += 3;
			i++;
		}
	}
	j = json_stringn(out, o - out);
	free(out);
	return j ? j : json_string("");
}
