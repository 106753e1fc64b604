/* The one escaping function for hostile strings (see escape.h).  UTF-8 is
 * decoded strictly (no overlong forms, no surrogates, nothing above
 * U+10FFFF): whatever does not decode is shown byte by byte. */
#include <string.h>

#include "referee/error.h"
#include "referee/escape.h"

/* Length of the valid UTF-8 sequence at s (1-4) and its code point, or 0. */
static size_t utf8_decode(const unsigned char *s, size_t n, unsigned *cp)
{
	unsigned c = s[0];
	size_t len;
	unsigned min;
	if (c < 0x80) {
		*cp = c;
		return 1;
	}
	if (c >= 0xc2 && c <= 0xdf) {
		len = 2;
		min = 0x80;
		c &= 0x1f;
	} else if (c >= 0xe0 && c <= 0xef) {
		len = 3;
		min = 0x800;
		c &= 0x0f;
	} else if (c >= 0xf0 && c <= 0xf4) {
		len = 4;
		min = 0x10000;
		c &= 0x07;
	} else {
		return 0;
	}
	if (n < len)
		return 0;
	for (size_t i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		c = (c << 6) | (s[i] & 0x3f);
	}
	if (c < min || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
		return 0;
	*cp = c;
	return len;
}

/* Characters that change how a terminal or a text shows what follows. */
static int is_unsafe(unsigned cp)
{
	return cp < 0x20 || cp == 0x7f || (cp >= 0x80 && cp <= 0x9f) ||
	       (cp >= 0x202a && cp <= 0x202e) || (cp >= 0x2066 && cp <= 0x2069) ||
	       cp == 0x2028 || cp == 0x2029 || cp == 0x200e || cp == 0x200f ||
	       cp == 0x061c;
}

static int put_special(rf_buf *out, unsigned char c, rf_escape_mode mode)
{
	if (mode == RF_ESCAPE_TERMINAL)
		return rf_buf_append(out, (const char *)&c, 1);
	switch (c) {
	case '&': return rf_buf_puts(out, "&amp;");
	case '<': return rf_buf_puts(out, "&lt;");
	case '>': return rf_buf_puts(out, "&gt;");
	case '"': return rf_buf_puts(out, "&quot;");
	case '\'': return rf_buf_puts(out, "&#39;");
	default: break;
	}
	if (mode == RF_ESCAPE_MARKDOWN && strchr("\\`*_{}[]()#+-.!|~", c)) {
		char two[2] = {'\\', (char)c};
		return rf_buf_append(out, two, 2);
	}
	return rf_buf_append(out, (const char *)&c, 1);
}

int rf_escape_n(rf_buf *out, const char *s, size_t len, rf_escape_mode mode)
{
	const unsigned char *p = (const unsigned char *)(s ? s : "");
	size_t i = 0;
	int rc = 0;
	if (mode != RF_ESCAPE_TERMINAL && mode != RF_ESCAPE_HTML && mode != RF_ESCAPE_MARKDOWN)
		return rf_error_set(RF_EINVAL, "unknown escape mode %d", (int)mode);
	if (!s)
		len = 0;
	if ((rc = rf_buf_grow(out, len + 1)) != 0)
		return rc;
	out->data[out->len] = '\0'; /* "" is a string too */
	while (!rc && i < len) {
		unsigned cp;
		size_t n = utf8_decode(p + i, len - i, &cp);
		if (n == 0) {
			rc = rf_buf_printf(out, "\\x%02x", p[i]);
			i++;
		} else if (is_unsafe(cp)) {
			rc = cp < 0x100 ? rf_buf_printf(out, "\\x%02x", cp)
					: rf_buf_printf(out, "\\u%04x", cp);
			i += n;
		} else if (n == 1) {
			rc = put_special(out, p[i], mode);
			i++;
		} else {
			rc = rf_buf_append(out, (const char *)p + i, n);
			i += n;
		}
	}
	return rc;
}

int rf_escape(rf_buf *out, const char *s, rf_escape_mode mode)
{
	return rf_escape_n(out, s, s ? strlen(s) : 0, mode);
}

int rf_escape_is_clean(const char *s)
{
	const unsigned char *p = (const unsigned char *)(s ? s : "");
	size_t len = strlen((const char *)p), i = 0;
	while (i < len) {
		unsigned cp;
		size_t n = utf8_decode(p + i, len - i, &cp);
		if (n == 0 || is_unsafe(cp))
			return 0;
		i += n;
	}
	return 1;
}

int rf_utf8_valid(const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0;
	while (i < len) {
		unsigned cp;
		size_t n = utf8_decode(p + i, len - i, &cp);
		if (n == 0)
			return 0;
		i += n;
	}
	return 1;
}
