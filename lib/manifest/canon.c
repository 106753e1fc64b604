/* Canonical form of a manifest: RFC 8785 (JSON Canonicalization Scheme) of
 * the parsed document, and its SHA-256.  Comments, key order, quoting style
 * and indentation do not survive parsing, so they cannot change the digest;
 * any value change does. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "internal.h"
#include "referee/error.h"
#include "referee/file.h"

/* Next UTF-16 code unit of a UTF-8 string (libyaml has checked the
 * encoding); *pend carries the low surrogate of a supplementary character. */
static unsigned next_unit(const unsigned char **p, const unsigned char *end,
			  unsigned *pend)
{
	unsigned c;
	const unsigned char *s = *p;
	if (*pend) {
		c = *pend;
		*pend = 0;
		return c;
	}
	if (s[0] < 0x80) {
		c = s[0];
		*p = s + 1;
	} else if ((s[0] & 0xe0) == 0xc0 && s + 1 < end) {
		c = (s[0] & 0x1fu) << 6 | (s[1] & 0x3fu);
		*p = s + 2;
	} else if ((s[0] & 0xf0) == 0xe0 && s + 2 < end) {
		c = (s[0] & 0x0fu) << 12 | (s[1] & 0x3fu) << 6 | (s[2] & 0x3fu);
		*p = s + 3;
	} else if ((s[0] & 0xf8) == 0xf0 && s + 3 < end) {
		c = (s[0] & 0x07u) << 18 | (s[1] & 0x3fu) << 12 |
		    (s[2] & 0x3fu) << 6 | (s[3] & 0x3fu);
		*p = s + 4;
		c -= 0x10000;
		*pend = 0xdc00 + (c & 0x3ff);
		return 0xd800 + (c >> 10);
	} else {
		c = s[0]; /* not reached for valid UTF-8 */
		*p = s + 1;
	}
	return c;
}

/* RFC 8785 §3.2.3: member names sorted by their UTF-16 code units. */
static int utf16_cmp(const struct rf_node *a, const struct rf_node *b)
{
	const unsigned char *p = (const unsigned char *)a->text, *pe = p + a->len;
	const unsigned char *q = (const unsigned char *)b->text, *qe = q + b->len;
	unsigned pa = 0, pb = 0;
	while ((p < pe || pa) && (q < qe || pb)) {
		unsigned x = next_unit(&p, pe, &pa), y = next_unit(&q, qe, &pb);
		if (x != y)
			return x < y ? -1 : 1;
	}
	if (p < pe || pa)
		return 1;
	if (q < qe || pb)
		return -1;
	return 0;
}

static int entry_cmp(const void *x, const void *y)
{
	const struct rf_node *const *a = x, *const *b = y;
	return utf16_cmp(a[0], b[0]);
}

static int put_string(rf_buf *out, const char *s, size_t len)
{
	int rc = rf_buf_puts(out, "\"");
	for (size_t i = 0; i < len && !rc; i++) {
		unsigned char c = (unsigned char)s[i];
		switch (c) {
		case '"':
			rc = rf_buf_puts(out, "\\\"");
			break;
		case '\\':
			rc = rf_buf_puts(out, "\\\\");
			break;
		case '\b':
			rc = rf_buf_puts(out, "\\b");
			break;
		case '\f':
			rc = rf_buf_puts(out, "\\f");
			break;
		case '\n':
			rc = rf_buf_puts(out, "\\n");
			break;
		case '\r':
			rc = rf_buf_puts(out, "\\r");
			break;
		case '\t':
			rc = rf_buf_puts(out, "\\t");
			break;
		default:
			if (c < 0x20)
				rc = rf_buf_printf(out, "\\u%04x", c);
			else
				rc = rf_buf_append(out, &s[i], 1);
		}
	}
	return rc ? rc : rf_buf_puts(out, "\"");
}

/* ECMAScript Number.prototype.toString (RFC 8785 §3.2.2.3): the shortest
 * digits that read back as the same double, placed by the exponent. */
int rf_json_number(rf_buf *out, double x)
{
	char tmp[40], digits[24];
	int k = 0, n, prec;
	if (isnan(x) || isinf(x))
		return rf_error_set(RF_EFORMAT, "JSON cannot hold %s", isnan(x) ? "NaN" : "infinity");
	if (x == 0)
		return rf_buf_puts(out, "0");
	if (x < 0) {
		int rc = rf_buf_puts(out, "-");
		if (rc)
			return rc;
		x = -x;
	}
	for (prec = 1; prec <= 17; prec++) {
		snprintf(tmp, sizeof tmp, "%.*e", prec - 1, x);
		if (strtod(tmp, NULL) == x)
			break;
	}
	/* tmp is d[.ddd]e±XX */
	for (const char *p = tmp; *p && *p != 'e'; p++)
		if (*p != '.')
			digits[k++] = *p;
	digits[k] = '\0';
	while (k > 1 && digits[k - 1] == '0')
		digits[--k] = '\0';
	n = atoi(strchr(tmp, 'e') + 1) + 1; /* x = 0.digits × 10^n */
	if (k <= n && n <= 21) {
		int rc = rf_buf_puts(out, digits);
		for (int i = 0; i < n - k && !rc; i++)
			rc = rf_buf_puts(out, "0");
		return rc;
	}
	if (0 < n && n <= 21)
		return rf_buf_printf(out, "%.*s.%s", n, digits, digits + n);
	if (-6 < n && n <= 0) {
		int rc = rf_buf_puts(out, "0.");
		for (int i = 0; i < -n && !rc; i++)
			rc = rf_buf_puts(out, "0");
		return rc ? rc : rf_buf_puts(out, digits);
	}
	if (k == 1)
		return rf_buf_printf(out, "%se%c%d", digits, n - 1 < 0 ? '-' : '+',
				     abs(n - 1));
	return rf_buf_printf(out, "%c.%se%c%d", digits[0], digits + 1,
			     n - 1 < 0 ? '-' : '+', abs(n - 1));
}

static int put_node(rf_buf *out, const struct rf_node *n)
{
	int rc = 0;
	switch (n->type) {
	case RF_NODE_SCALAR:
		switch (n->stype) {
		case RF_SCALAR_NULL:
			return rf_buf_puts(out, "null");
		case RF_SCALAR_BOOL:
			return rf_buf_puts(out, n->text[0] == 't' || n->text[0] == 'T'
							? "true" : "false");
		case RF_SCALAR_INT: {
			long long v;
			const char *s = n->text;
			if (s[0] == '0' && n->len > 2 && (s[1] == 'x' || s[1] == 'o'))
				v = strtoll(s + 2, NULL, s[1] == 'x' ? 16 : 8);
			else
				v = strtoll(s, NULL, 10);
			/* integers are written exactly (beyond 2^53 this is
			 * stricter than ECMAScript, which would round) */
			return rf_buf_printf(out, "%lld", v);
		}
		case RF_SCALAR_FLOAT:
			if ((rc = rf_json_number(out, rf_node_float_value(n))))
				return rf_node_error(rc, n, NULL, "%s", rf_error_last());
			return 0;
		default:
			return put_string(out, n->text, n->len);
		}
	case RF_NODE_LIST:
		rc = rf_buf_puts(out, "[");
		for (size_t i = 0; i < n->n && !rc; i++) {
			if (i)
				rc = rf_buf_puts(out, ",");
			if (!rc)
				rc = put_node(out, n->vals[i]);
		}
		return rc ? rc : rf_buf_puts(out, "]");
	case RF_NODE_MAP: {
		/* pairs of (key, value) pointers, sorted by key */
		const struct rf_node **e = malloc(n->n * 2 * sizeof *e + 1);
		if (!e)
			return rf_error_set(RF_ENOMEM, "out of memory");
		for (size_t i = 0; i < n->n; i++) {
			e[2 * i] = n->keys[i];
			e[2 * i + 1] = n->vals[i];
		}
		qsort(e, n->n, 2 * sizeof *e, entry_cmp);
		rc = rf_buf_puts(out, "{");
		for (size_t i = 0; i < n->n && !rc; i++) {
			if (i)
				rc = rf_buf_puts(out, ",");
			if (!rc)
				rc = put_string(out, e[2 * i]->text, e[2 * i]->len);
			if (!rc)
				rc = rf_buf_puts(out, ":");
			if (!rc)
				rc = put_node(out, e[2 * i + 1]);
		}
		free(e);
		return rc ? rc : rf_buf_puts(out, "}");
	}
	}
	return rf_error_set(RF_EINTERNAL, "unknown node type");
}

int rf_manifest_canonical_json(rf_buf *out, const rf_manifest *m)
{
	return put_node(out, m->root);
}

int rf_manifest_digest(char hex[65], const rf_manifest *m)
{
	rf_buf b = RF_BUF_INIT;
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int len = 0;
	int rc = rf_manifest_canonical_json(&b, m);
	if (!rc && !EVP_Digest(b.data ? b.data : "", b.len, md, &len, EVP_sha256(), NULL))
		rc = rf_error_openssl(RF_ELIB, "sha-256 of '%s'", m->file);
	rf_buf_free(&b);
	if (rc)
		return rc;
	for (unsigned i = 0; i < len && i < 32; i++)
		snprintf(hex + 2 * i, 3, "%02x", md[i]);
	hex[64] = '\0';
	return 0;
}

int rf_manifest_digest_file(char hex[65], const char *path)
{
	rf_buf b = RF_BUF_INIT;
	rf_manifest *m = NULL;
	int rc = rf_file_read(&b, path, RF_YAML_DEFAULT_MAX_BYTES);
	if (!rc)
		rc = rf_manifest_parse(&m, path, b.data ? b.data : "", b.len, NULL);
	rf_buf_free(&b);
	if (!rc)
		rc = rf_manifest_digest(hex, m);
	rf_manifest_free(m);
	return rc;
}
