/* Growable byte buffers: the one way the library builds strings and files. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "referee/buf.h"
#include "referee/error.h"

int rf_buf_grow(rf_buf *b, size_t extra)
{
	size_t need, cap;
	char *p;
	if (extra > SIZE_MAX - b->len - 1)
		return rf_error_set(RF_ENOMEM, "buffer size overflow");
	need = b->len + extra + 1;
	if (need <= b->cap)
		return 0;
	cap = b->cap ? b->cap : 64;
	while (cap < need)
		cap = cap > SIZE_MAX / 2 ? need : cap * 2;
	p = realloc(b->data, cap);
	if (!p)
		return rf_error_set(RF_ENOMEM, "out of memory (%zu bytes)", cap);
	b->data = p;
	b->cap = cap;
	return 0;
}

int rf_buf_append(rf_buf *b, const void *data, size_t n)
{
	int rc = rf_buf_grow(b, n);
	if (rc)
		return rc;
	if (n)
		memcpy(b->data + b->len, data, n);
	b->len += n;
	b->data[b->len] = '\0';
	return 0;
}

int rf_buf_puts(rf_buf *b, const char *s)
{
	return rf_buf_append(b, s, strlen(s));
}

int rf_buf_vprintf(rf_buf *b, const char *fmt, va_list ap)
{
	va_list cp;
	int n, rc;
	va_copy(cp, ap);
	n = vsnprintf(NULL, 0, fmt, cp);
	va_end(cp);
	if (n < 0)
		return rf_error_set(RF_EINTERNAL, "bad format string");
	if ((rc = rf_buf_grow(b, (size_t)n)) != 0)
		return rc;
	vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
	b->len += (size_t)n;
	return 0;
}

int rf_buf_printf(rf_buf *b, const char *fmt, ...)
{
	va_list ap;
	int rc;
	va_start(ap, fmt);
	rc = rf_buf_vprintf(b, fmt, ap);
	va_end(ap);
	return rc;
}

void rf_buf_clear(rf_buf *b)
{
	b->len = 0;
	if (b->data)
		b->data[0] = '\0';
}

char *rf_buf_detach(rf_buf *b)
{
	char *p;
	if (!b->data) {
		if (rf_buf_grow(b, 0))
			return NULL;
		b->data[0] = '\0';
	}
	p = b->data;
	b->data = NULL;
	b->len = b->cap = 0;
	return p;
}

void rf_buf_free(rf_buf *b)
{
	if (!b)
		return;
	free(b->data);
	b->data = NULL;
	b->len = b->cap = 0;
}

void rf_buf_wipe(rf_buf *b)
{
	if (!b)
		return;
	if (b->data)
		OPENSSL_cleanse(b->data, b->cap);
	rf_buf_free(b);
}
