/* Strict, padded base64 (RFC 4648 §4) for DSSE payloads and signatures.
 * Decoding accepts exactly one spelling of each byte string, so that an
 * envelope cannot be altered without changing its text. */
#include <stdint.h>
#include <string.h>

#include "referee/error.h"
#include "referee/sign.h"

static const char alphabet[] =
	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

int rf_base64_encode(rf_buf *out, const void *data, size_t len)
{
	const unsigned char *p = data;
	size_t olen;
	char *o;
	int rc;
	if (len > (SIZE_MAX / 4) * 3 - 3)
		return rf_error_set(RF_ELIMIT, "base64 input too large");
	olen = (len + 2) / 3 * 4;
	if ((rc = rf_buf_grow(out, olen)) != 0)
		return rc;
	o = out->data + out->len;
	for (size_t i = 0; i < len; i += 3) {
		uint32_t v = (uint32_t)p[i] << 16;
		size_t left = len - i;
		if (left > 1)
			v |= (uint32_t)p[i + 1] << 8;
		if (left > 2)
			v |= p[i + 2];
		*o++ = alphabet[(v >> 18) & 63];
		*o++ = alphabet[(v >> 12) & 63];
		*o++ = left > 1 ? alphabet[(v >> 6) & 63] : '=';
		*o++ = left > 2 ? alphabet[v & 63] : '=';
	}
	out->len += olen;
	out->data[out->len] = '\0';
	return 0;
}

static int value_of(unsigned char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

int rf_base64_decode(rf_buf *out, const char *s, size_t len, const char *what)
{
	size_t start = out->len, pad = 0;
	int rc;
	what = what ? what : "base64";
	if (len % 4)
		return rf_error_set(RF_EFORMAT,
				    "%s: base64 length %zu is not a multiple of 4",
				    what, len);
	if (len && s[len - 1] == '=')
		pad = (len >= 2 && s[len - 2] == '=') ? 2 : 1;
	if ((rc = rf_buf_grow(out, len / 4 * 3)) != 0)
		return rc;
	for (size_t i = 0; i < len; i += 4) {
		int v[4];
		int last = i + 4 == len;
		for (int k = 0; k < 4; k++) {
			size_t at = i + (size_t)k;
			if (last && (size_t)k >= 4 - pad) {
				v[k] = 0;
				continue;
			}
			v[k] = value_of((unsigned char)s[at]);
			if (v[k] < 0) {
				rf_error_set(RF_EFORMAT,
					     "%s: invalid base64 character at offset %zu",
					     what, at);
				goto bad;
			}
		}
		uint32_t w = (uint32_t)v[0] << 18 | (uint32_t)v[1] << 12 |
			     (uint32_t)v[2] << 6 | (uint32_t)v[3];
		unsigned char b[3] = {(unsigned char)(w >> 16),
				      (unsigned char)(w >> 8), (unsigned char)w};
		size_t nb = last ? 3 - pad : 3;
		/* Bits below the last byte must be zero: one spelling only. */
		if (last && pad == 1 && (v[2] & 3)) {
			rf_error_set(RF_EFORMAT, "%s: non-canonical base64 padding", what);
			goto bad;
		}
		if (last && pad == 2 && (v[1] & 15)) {
			rf_error_set(RF_EFORMAT, "%s: non-canonical base64 padding", what);
			goto bad;
		}
		memcpy(out->data + out->len, b, nb);
		out->len += nb;
	}
	out->data[out->len] = '\0';
	return 0;
bad:
	out->len = start;
	out->data[out->len] = '\0';
	return RF_EFORMAT;
}
