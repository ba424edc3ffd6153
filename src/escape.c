/* Text from the state file made safe to print: control bytes escaped, UTF-8 checked. */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "escape.h"

/* The length of the valid UTF-8 sequence at p (at most n bytes), or 0; its
 * code point in *cp. */
static size_t utf8_seq(const unsigned char *p, size_t n, uint32_t *cp)
{
	size_t len;
	uint32_t c, min;

	if (p[0] < 0x80) {
		*cp = p[0];
		return 1;
	}
	if (p[0] >= 0xc2 && p[0] <= 0xdf) {
		len = 2, c = p[0] & 0x1f, min = 0x80;
	} else if (p[0] >= 0xe0 && p[0] <= 0xef) {
		len = 3, c = p[0] & 0x0f, min = 0x800;
	} else if (p[0] >= 0xf0 && p[0] <= 0xf4) {
		len = 4, c = p[0] & 0x07, min = 0x10000;
	} else {
		return 0;
	}
	if (len > n)
		return 0;
	for (size_t i = 1; i < len; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return 0;
		c = c << 6 | (p[i] & 0x3f);
	}
	if (c < min || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
		return 0;
	*cp = c;
	return len;
}

static bool is_control(uint32_t c)
{
	return c < 0x20 || c == 0x7f || (c >= 0x80 && c <= 0x9f);
}

bool text_utf8_valid(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t n = strlen(s), len;
	uint32_t c;

	for (size_t i = 0; i < n; i += len)
		if (!(len = utf8_seq(p + i, n - i, &c)))
			return false;
	return true;
}

bool text_has_control(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t n = strlen(s), len;
	uint32_t c;

	for (size_t i = 0; i < n; i += len) {
		if (!(len = utf8_seq(p + i, n - i, &c)))
			len = 1, c = p[i];
		if (is_control(c))
			return true;
	}
	return false;
}

char *escape_text(const char *in, char *out, size_t outlen)
{
	static const char letters[] = "\aa\bb\tt\nn\vv\ff\rr";
	const unsigned char *p = (const unsigned char *)in;
	size_t n = strlen(in), o = 0, len;
	uint32_t c;

	if (!outlen)
		return out;
	for (size_t i = 0; i < n; i += len) {
		char piece[16 * 4 + 1];
		const char *l;

		len = utf8_seq(p + i, n - i, &c);
		if (len && c == '\\') {
			snprintf(piece, sizeof(piece), "\\\\");
		} else if (len && !is_control(c)) {
			memcpy(piece, p + i, len);
			piece[len] = '\0';
		} else if (len == 1 && c && (l = strchr(letters, (int)c)) &&
			   (l - letters) % 2 == 0) {
			snprintf(piece, sizeof(piece), "\\%c", l[1]);
		} else {
			/* each byte of a C1 control or of bytes that are not UTF-8 */
			size_t k = len ? len : 1, w = 0;

			for (size_t j = 0; j < k; j++)
				w += (size_t)snprintf(piece + w, sizeof(piece) - w, "\\%03o",
						      p[i + j]);
			len = k;
		}
		if (o + strlen(piece) >= outlen)
			break;
		memcpy(out + o, piece, strlen(piece));
		o += strlen(piece);
	}
	out[o] = '\0';
	return out;
}

size_t text_utf8_repair(const char *in, size_t len, char *out)
{
	const unsigned char *p = (const unsigned char *)in;
	size_t o = 0, k;
	uint32_t c;

	for (size_t i = 0; i < len; i += k) {
		if ((k = utf8_seq(p + i, len - i, &c))) {
			memcpy(out + o, p + i, k);
			o += k;
		} else {
			memcpy(out + o, "\xef\xbf\xbd", 3);
			o += 3;
			k = 1;
		}
	}
	out[o] = '\0';
	return o;
}
