/* A JSON Lines reader for the corpus side: walks one line, checks its
 * syntax and hands the selected string values (decoded to UTF-8) to a
 * callback.  A general JSON library would build every value of a
 * multi-gigabyte corpus only to throw most of it away. */
#include <string.h>

#include "contam_internal.h"
#include "referee/error.h"

#define MAX_DEPTH 128

typedef struct js {
	const char *s;
	size_t len, i;
	const char *const *fields;
	size_t nfields;
	rf_buf *scratch;
	contam_str_fn fn;
	void *ctx;
} js;

static int bad(const js *j, const char *what)
{
	return rf_error_set(RF_EFORMAT, "column %zu: %s", j->i + 1, what);
}

static void ws(js *j)
{
	while (j->i < j->len && (j->s[j->i] == ' ' || j->s[j->i] == '\t' ||
				 j->s[j->i] == '\r' || j->s[j->i] == '\n'))
		j->i++;
}

static int hex4(const js *j, size_t at, unsigned *out)
{
	unsigned v = 0;
	if (at + 4 > j->len)
		return -1;
	for (size_t k = at; k < at + 4; k++) {
		char c = j->s[k];
		v <<= 4;
		if (c >= '0' && c <= '9')
			v |= (unsigned)(c - '0');
		else if (c >= 'a' && c <= 'f')
			v |= (unsigned)(c - 'a' + 10);
		else if (c >= 'A' && c <= 'F')
			v |= (unsigned)(c - 'A' + 10);
		else
			return -1;
	}
	*out = v;
	return 0;
}

static void put_utf8(rf_buf *b, unsigned c)
{
	char u[4];
	size_t n;
	if (c < 0x80) {
		u[0] = (char)c;
		n = 1;
	} else if (c < 0x800) {
		u[0] = (char)(0xc0 | (c >> 6));
		u[1] = (char)(0x80 | (c & 0x3f));
		n = 2;
	} else if (c < 0x10000) {
		u[0] = (char)(0xe0 | (c >> 12));
		u[1] = (char)(0x80 | ((c >> 6) & 0x3f));
		u[2] = (char)(0x80 | (c & 0x3f));
		n = 3;
	} else {
		u[0] = (char)(0xf0 | (c >> 18));
		u[1] = (char)(0x80 | ((c >> 12) & 0x3f));
		u[2] = (char)(0x80 | ((c >> 6) & 0x3f));
		u[3] = (char)(0x80 | (c & 0x3f));
		n = 4;
	}
	memcpy(b->data + b->len, u, n);
	b->len += n;
}

/* A string at j->i (the opening quote).  With `out`, its decoded bytes;
 * *direct is set when the raw bytes needed no decoding (then *p, *n point
 * into the line). */
/* bytes that end a run of plain string characters */
static const unsigned char stop[256] = {
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    ['"'] = 1, ['\\'] = 1};

static int string(js *j, rf_buf *out, const char **p, size_t *n)
{
	size_t start = ++j->i;
	int esc = 0;
	while (j->i < j->len) {
		unsigned char c = (unsigned char)j->s[j->i];
		if (!stop[c]) {
			j->i++;
			continue;
		}
		if (c == '"')
			break;
		if (c < 0x20)
			return bad(j, "control character in string");
		if (c == '\\') {
			esc = 1;
			j->i += 2;
			continue;
		}
		j->i++;
	}
	if (j->i >= j->len)
		return bad(j, "unterminated string");
	j->i++; /* closing quote */
	if (!out)
		return 0;
	if (!esc) {
		*p = j->s + start;
		*n = j->i - 1 - start;
		return 0;
	}
	rf_buf_clear(out);
	if (rf_buf_grow(out, j->i - start))
		return rf_error_set(RF_ENOMEM, "out of memory");
	for (size_t k = start; k < j->i - 1; k++) {
		char c = j->s[k];
		unsigned u, lo;
		if (c != '\\') {
			/* copy up to the next escape in one go */
			const char *e = memchr(j->s + k, '\\', j->i - 1 - k);
			size_t m = (e ? (size_t)(e - j->s) : j->i - 1) - k;
			memcpy(out->data + out->len, j->s + k, m);
			out->len += m;
			k += m - 1;
			continue;
		}
		c = j->s[++k];
		switch (c) {
		case '"': case '\\': case '/':
			out->data[out->len++] = c;
			break;
		case 'b': out->data[out->len++] = '\b'; break;
		case 'f': out->data[out->len++] = '\f'; break;
		case 'n': out->data[out->len++] = '\n'; break;
		case 'r': out->data[out->len++] = '\r'; break;
		case 't': out->data[out->len++] = '\t'; break;
		case 'u':
			if (hex4(j, k + 1, &u)) {
				j->i = k;
				return bad(j, "bad \\u escape");
			}
			k += 4;
			if (u >= 0xd800 && u < 0xdc00 && k + 6 < j->i &&
			    j->s[k + 1] == '\\' && j->s[k + 2] == 'u' &&
			    !hex4(j, k + 3, &lo) && lo >= 0xdc00 &&
			    lo < 0xe000) {
				u = 0x10000 + ((u - 0xd800) << 10) + (lo - 0xdc00);
				k += 6;
			} else if (u >= 0xd800 && u < 0xe000) {
				u = 0xfffd; /* lone surrogate */
			}
			put_utf8(out, u);
			break;
		default:
			j->i = k;
			return bad(j, "bad escape in string");
		}
	}
	out->data[out->len] = 0;
	*p = out->data;
	*n = out->len;
	return 0;
}

static int value(js *j, int depth, int selected);

static int key_selected(js *j, const char *k, size_t n)
{
	for (size_t f = 0; f < j->nfields; f++)
		if (strlen(j->fields[f]) == n && !memcmp(j->fields[f], k, n))
			return 1;
	return 0;
}

static int object(js *j, int depth, int selected)
{
	int rc;
	j->i++;
	ws(j);
	if (j->i < j->len && j->s[j->i] == '}') {
		j->i++;
		return 0;
	}
	for (;;) {
		const char *k = NULL;
		size_t kn = 0;
		int sel = selected;
		ws(j);
		if (j->i >= j->len || j->s[j->i] != '"')
			return bad(j, "expected a string key");
		/* top-level keys pick the fields; keys are never text */
		if (depth == 0 && j->fields) {
			if ((rc = string(j, j->scratch, &k, &kn)))
				return rc;
			sel = key_selected(j, k, kn);
		} else if ((rc = string(j, NULL, NULL, NULL))) {
			return rc;
		}
		ws(j);
		if (j->i >= j->len || j->s[j->i] != ':')
			return bad(j, "expected ':'");
		j->i++;
		if ((rc = value(j, depth + 1, sel)))
			return rc;
		ws(j);
		if (j->i < j->len && j->s[j->i] == ',') {
			j->i++;
			continue;
		}
		if (j->i < j->len && j->s[j->i] == '}') {
			j->i++;
			return 0;
		}
		return bad(j, "expected ',' or '}'");
	}
}

static int array(js *j, int depth, int selected)
{
	int rc;
	j->i++;
	ws(j);
	if (j->i < j->len && j->s[j->i] == ']') {
		j->i++;
		return 0;
	}
	for (;;) {
		if ((rc = value(j, depth + 1, selected)))
			return rc;
		ws(j);
		if (j->i < j->len && j->s[j->i] == ',') {
			j->i++;
			continue;
		}
		if (j->i < j->len && j->s[j->i] == ']') {
			j->i++;
			return 0;
		}
		return bad(j, "expected ',' or ']'");
	}
}

static int number(js *j)
{
	size_t s = j->i;
	if (j->i < j->len && j->s[j->i] == '-')
		j->i++;
	if (j->i >= j->len || j->s[j->i] < '0' || j->s[j->i] > '9')
		return bad(j, "unexpected character");
	while (j->i < j->len &&
	       ((j->s[j->i] >= '0' && j->s[j->i] <= '9') || j->s[j->i] == '.' ||
		j->s[j->i] == 'e' || j->s[j->i] == 'E' || j->s[j->i] == '+' ||
		j->s[j->i] == '-'))
		j->i++;
	(void)s;
	return 0;
}

static int literal(js *j, const char *w)
{
	size_t n = strlen(w);
	if (j->len - j->i < n || memcmp(j->s + j->i, w, n))
		return bad(j, "unexpected character");
	j->i += n;
	return 0;
}

static int value(js *j, int depth, int selected)
{
	int rc;
	if (depth > MAX_DEPTH)
		return bad(j, "nested too deeply");
	ws(j);
	if (j->i >= j->len)
		return bad(j, "expected a value");
	switch (j->s[j->i]) {
	case '{':
		return object(j, depth, selected);
	case '[':
		return array(j, depth, selected);
	case '"':
		if (selected) {
			const char *p;
			size_t n;
			if ((rc = string(j, j->scratch, &p, &n)))
				return rc;
			return j->fn(j->ctx, p, n);
		}
		return string(j, NULL, NULL, NULL);
	case 't':
		return literal(j, "true");
	case 'f':
		return literal(j, "false");
	case 'n':
		return literal(j, "null");
	default:
		return number(j);
	}
}

int contam_json_strings(const char *line, size_t len,
			const char *const *fields, size_t nfields,
			rf_buf *scratch, contam_str_fn fn, void *ctx)
{
	js j = {line, len, 0, fields, nfields, scratch, fn, ctx};
	int rc = value(&j, 0, fields == NULL);
	if (rc)
		return rc;
	ws(&j);
	if (j.i != j.len)
		return bad(&j, "trailing characters after the JSON value");
	return 0;
}
