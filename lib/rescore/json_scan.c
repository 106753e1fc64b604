/* A fast, strict JSON reader that declines instead of failing (see
 * rescore/json_scan.h): RFC 8259 objects and arrays, strings decoded with
 * their escapes and UTF-16 surrogate pairs, UTF-8 checked as jansson
 * checks it (no overlong forms, no encoded surrogates, nothing above
 * U+10FFFF), integers and reals converted as jansson converts them. */
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "rescore/json_scan.h"

struct scan {
	const unsigned char *p, *end;
	char *buf; /* decoded strings that had escapes, and keys */
	size_t cap;
	int depth;
};

static json_t *scan_value(struct scan *s);

static void skip_ws(struct scan *s)
{
	while (s->p < s->end &&
	       (*s->p == ' ' || *s->p == '\n' || *s->p == '\r' || *s->p == '\t'))
		s->p++;
}

static int reserve(struct scan *s, size_t n)
{
	char *nb;
	size_t cap = s->cap ? s->cap : 256;
	if (n <= s->cap)
		return 0;
	while (cap < n) {
		if (cap > SIZE_MAX / 2)
			return -1;
		cap *= 2;
	}
	if (!(nb = realloc(s->buf, cap)))
		return -1;
	s->buf = nb;
	s->cap = cap;
	return 0;
}

/* Length of the valid UTF-8 sequence of 2 to 4 bytes at p (p[0] >= 0x80),
 * or 0: invalid. */
static size_t utf8_len(const unsigned char *p, const unsigned char *end)
{
	unsigned c = p[0];
	size_t n = end - p;
	if (c >= 0xC2 && c <= 0xDF)
		return n >= 2 && (p[1] & 0xC0) == 0x80 ? 2 : 0;
	if (c >= 0xE0 && c <= 0xEF) {
		if (n < 3 || (p[1] & 0xC0) != 0x80 || (p[2] & 0xC0) != 0x80)
			return 0;
		if (c == 0xE0 && p[1] < 0xA0) /* overlong */
			return 0;
		if (c == 0xED && p[1] >= 0xA0) /* a surrogate */
			return 0;
		return 3;
	}
	if (c >= 0xF0 && c <= 0xF4) {
		if (n < 4 || (p[1] & 0xC0) != 0x80 || (p[2] & 0xC0) != 0x80 ||
		    (p[3] & 0xC0) != 0x80)
			return 0;
		if (c == 0xF0 && p[1] < 0x90) /* overlong */
			return 0;
		if (c == 0xF4 && p[1] >= 0x90) /* above U+10FFFF */
			return 0;
		return 4;
	}
	return 0;
}

/* The first byte at or after p that is not a plain string byte (a quote,
 * a backslash, a control byte or a non-ASCII byte), or end: eight bytes at
 * a time.  Per byte b of a word x, with L = 0x01 in every byte and
 * H = 0x80: (b - 0x20) & ~b & H flags b < 0x20, (b ^ '"') - 1 & ~(b ^ '"')
 * & H flags b == '"' (likewise '\\'), and b & H flags b >= 0x80 -- exact
 * for "some byte is flagged", which is all this asks before it looks at
 * the word a byte at a time. */
static const unsigned char *plain_run(const unsigned char *p,
				      const unsigned char *end)
{
	const uint64_t L = 0x0101010101010101ULL, H = 0x8080808080808080ULL;
	while (end - p >= 8) {
		uint64_t x, q, b;
		memcpy(&x, p, 8);
		q = x ^ (L * '"');
		b = x ^ (L * '\\');
		if ((((x - L * 0x20) & ~x) | ((q - L) & ~q) | ((b - L) & ~b) |
		     x) &
		    H)
			break;
		p += 8;
	}
	while (p < end && *p >= 0x20 && *p < 0x80 && *p != '"' && *p != '\\')
		p++;
	return p;
}

static int hex4(const unsigned char *p, const unsigned char *end,
		unsigned *out)
{
	unsigned v = 0;
	if (end - p < 4)
		return -1;
	for (int i = 0; i < 4; i++) {
		unsigned c = p[i], d;
		if (c >= '0' && c <= '9')
			d = c - '0';
		else if (c >= 'a' && c <= 'f')
			d = c - 'a' + 10;
		else if (c >= 'A' && c <= 'F')
			d = c - 'A' + 10;
		else
			return -1;
		v = v << 4 | d;
	}
	*out = v;
	return 0;
}

static size_t put_utf8(char *o, unsigned cp)
{
	if (cp < 0x80) {
		o[0] = (char)cp;
		return 1;
	}
	if (cp < 0x800) {
		o[0] = (char)(0xC0 | cp >> 6);
		o[1] = (char)(0x80 | (cp & 0x3F));
		return 2;
	}
	if (cp < 0x10000) {
		o[0] = (char)(0xE0 | cp >> 12);
		o[1] = (char)(0x80 | (cp >> 6 & 0x3F));
		o[2] = (char)(0x80 | (cp & 0x3F));
		return 3;
	}
	o[0] = (char)(0xF0 | cp >> 18);
	o[1] = (char)(0x80 | (cp >> 12 & 0x3F));
	o[2] = (char)(0x80 | (cp >> 6 & 0x3F));
	o[3] = (char)(0x80 | (cp & 0x3F));
	return 4;
}

/* The string at s->p (just after its opening quote): *out and *len point
 * either into the input (no escapes) or into s->buf, NUL-terminated when
 * `terminate`; s->p ends after the closing quote.  -1: declined. */
static int scan_string(struct scan *s, const char **out, size_t *len,
		       int terminate)
{
	const unsigned char *p = s->p, *start = p, *end = s->end;
	size_t n = 0;
	/* the common case: plain bytes up to the closing quote */
	for (;;) {
		p = plain_run(p, end);
		if (p < end && *p >= 0x80) {
			size_t k = utf8_len(p, end);
			if (!k)
				return -1;
			p += k;
			continue;
		}
		break;
	}
	if (p >= end || *p < 0x20)
		return -1;
	if (*p == '"' && !terminate) {
		*out = (const char *)start;
		*len = (size_t)(p - start);
		s->p = p + 1;
		return 0;
	}
	/* escapes (or a key): decode into s->buf; each escape decodes to no
	 * more bytes than it takes, so the rest of the input bounds it */
	if (reserve(s, (size_t)(end - start) + 1))
		return -1;
	n = (size_t)(p - start);
	memcpy(s->buf, start, n);
	while (p < end && *p != '"') {
		unsigned c = *p, cp, lo;
		if (c < 0x20)
			return -1;
		if (c >= 0x80) {
			size_t k = utf8_len(p, end);
			if (!k)
				return -1;
			memcpy(s->buf + n, p, k);
			n += k;
			p += k;
			continue;
		}
		if (c != '\\') {
			const unsigned char *q = plain_run(p + 1, end);
			memcpy(s->buf + n, p, (size_t)(q - p));
			n += (size_t)(q - p);
			p = q;
			continue;
		}
		if (++p >= end)
			return -1;
		switch (*p++) {
		case '"': s->buf[n++] = '"'; break;
		case '\\': s->buf[n++] = '\\'; break;
		case '/': s->buf[n++] = '/'; break;
		case 'b': s->buf[n++] = '\b'; break;
		case 'f': s->buf[n++] = '\f'; break;
		case 'n': s->buf[n++] = '\n'; break;
		case 'r': s->buf[n++] = '\r'; break;
		case 't': s->buf[n++] = '\t'; break;
		case 'u':
			if (hex4(p, end, &cp))
				return -1;
			p += 4;
			if (cp == 0 || (cp >= 0xDC00 && cp <= 0xDFFF))
				return -1; /* NUL, or a lone low surrogate */
			if (cp >= 0xD800 && cp <= 0xDBFF) {
				if (end - p < 6 || p[0] != '\\' || p[1] != 'u' ||
				    hex4(p + 2, end, &lo) || lo < 0xDC00 ||
				    lo > 0xDFFF)
					return -1; /* a lone high surrogate */
				p += 6;
				cp = 0x10000 + ((cp - 0xD800) << 10) +
				     (lo - 0xDC00);
			}
			n += put_utf8(s->buf + n, cp);
			break;
		default:
			return -1;
		}
	}
	if (p >= end)
		return -1;
	s->buf[n] = '\0';
	*out = s->buf;
	*len = n;
	s->p = p + 1;
	return 0;
}

/* A number as jansson's lexer reads one: -?(0|[1-9][0-9]*)(.[0-9]+)?
 * ([eE][+-]?[0-9]+)?, an integer when it has neither fraction nor
 * exponent. */
static json_t *scan_number(struct scan *s)
{
	const unsigned char *p = s->p, *end = s->end, *start = p;
	char tok[64], *e;
	int real = 0;
	size_t n;
	if (p < end && *p == '-')
		p++;
	if (p >= end || *p < '0' || *p > '9')
		return NULL;
	if (*p == '0') {
		p++;
		if (p < end && *p >= '0' && *p <= '9')
			return NULL;
	} else
		while (p < end && *p >= '0' && *p <= '9')
			p++;
	if (p < end && *p == '.') {
		real = 1;
		if (++p >= end || *p < '0' || *p > '9')
			return NULL;
		while (p < end && *p >= '0' && *p <= '9')
			p++;
	}
	if (p < end && (*p == 'e' || *p == 'E')) {
		real = 1;
		if (++p < end && (*p == '+' || *p == '-'))
			p++;
		if (p >= end || *p < '0' || *p > '9')
			return NULL;
		while (p < end && *p >= '0' && *p <= '9')
			p++;
	}
	n = (size_t)(p - start);
	if (n >= sizeof tok)
		return NULL; /* long numbers: jansson's to convert */
	memcpy(tok, start, n);
	tok[n] = '\0';
	errno = 0;
	s->p = p;
	if (!real) {
		long long v = strtoll(tok, &e, 10);
		if (errno == ERANGE || *e)
			return NULL;
		return json_integer((json_int_t)v);
	}
	{
		double d = strtod(tok, &e);
		if (*e || ((d == HUGE_VAL || d == -HUGE_VAL) && errno == ERANGE))
			return NULL;
		return json_real(d);
	}
}

static int literal(struct scan *s, const char *word, size_t n)
{
	if ((size_t)(s->end - s->p) < n || memcmp(s->p, word, n))
		return -1;
	s->p += n;
	return 0;
}

static json_t *scan_object(struct scan *s)
{
	json_t *obj = json_object(), *v;
	const char *key;
	char kb[128], *k;
	size_t klen;
	if (!obj)
		return NULL;
	skip_ws(s);
	if (s->p < s->end && *s->p == '}') {
		s->p++;
		return obj;
	}
	for (;;) {
		skip_ws(s);
		if (s->p >= s->end || *s->p != '"')
			break;
		s->p++;
		if (scan_string(s, &key, &klen, 1) || json_object_get(obj, key))
			break; /* declined, or a duplicate key */
		/* the value's strings may reuse s->buf: keep the key apart */
		k = klen < sizeof kb ? memcpy(kb, key, klen + 1)
				     : strndup(key, klen);
		if (!k)
			break;
		skip_ws(s);
		v = NULL;
		if (s->p < s->end && *s->p == ':') {
			s->p++;
			v = scan_value(s);
		}
		if (!v || json_object_set_new_nocheck(obj, k, v)) {
			if (k != kb)
				free(k);
			break;
		}
		if (k != kb)
			free(k);
		skip_ws(s);
		if (s->p < s->end && *s->p == ',') {
			s->p++;
			continue;
		}
		if (s->p < s->end && *s->p == '}') {
			s->p++;
			return obj;
		}
		break;
	}
	json_decref(obj);
	return NULL;
}

static json_t *scan_array(struct scan *s)
{
	json_t *arr = json_array(), *v;
	if (!arr)
		return NULL;
	skip_ws(s);
	if (s->p < s->end && *s->p == ']') {
		s->p++;
		return arr;
	}
	for (;;) {
		if (!(v = scan_value(s)) || json_array_append_new(arr, v))
			break;
		skip_ws(s);
		if (s->p < s->end && *s->p == ',') {
			s->p++;
			continue;
		}
		if (s->p < s->end && *s->p == ']') {
			s->p++;
			return arr;
		}
		break;
	}
	json_decref(arr);
	return NULL;
}

static json_t *scan_value(struct scan *s)
{
	const char *str;
	size_t len;
	json_t *v = NULL;
	skip_ws(s);
	if (s->p >= s->end)
		return NULL;
	switch (*s->p) {
	case '{':
	case '[':
		if (s->depth >= RS_JSON_SCAN_DEPTH)
			return NULL;
		s->depth++;
		v = *s->p++ == '{' ? scan_object(s) : scan_array(s);
		s->depth--;
		return v;
	case '"':
		s->p++;
		if (scan_string(s, &str, &len, 0))
			return NULL;
		return json_stringn_nocheck(str, len);
	case 't':
		return literal(s, "true", 4) ? NULL : json_true();
	case 'f':
		return literal(s, "false", 5) ? NULL : json_false();
	case 'n':
		return literal(s, "null", 4) ? NULL : json_null();
	default:
		return scan_number(s);
	}
}

json_t *rs_json_scan(const char *text, size_t len)
{
	struct scan s = {(const unsigned char *)text,
			 (const unsigned char *)text + len, NULL, 0, 0};
	json_t *v = NULL;
	if (!text)
		return NULL;
	skip_ws(&s);
	/* like json_loadb() without JSON_DECODE_ANY: an object or an array */
	if (s.p < s.end && (*s.p == '{' || *s.p == '['))
		v = scan_value(&s);
	free(s.buf);
	if (v) {
		skip_ws(&s);
		if (s.p != s.end) {
			json_decref(v);
			v = NULL;
		}
	}
	return v;
}

json_t *rs_json_loadb(const char *text, size_t len, json_error_t *err)
{
	json_t *v = rs_json_scan(text, len);
	if (v)
		return v;
	return json_loadb(text ? text : "", text ? len : 0,
			  JSON_REJECT_DUPLICATES, err);
}
