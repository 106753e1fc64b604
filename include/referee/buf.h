/* referee — growable byte buffers. */
#ifndef REFEREE_BUF_H
#define REFEREE_BUF_H

#include <stdarg.h>
#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/** A growable byte buffer; `data` is always NUL-terminated when non-NULL.
 *  Initialise with RF_BUF_INIT; release with rf_buf_free(). */
typedef struct rf_buf {
	char *data;
	size_t len;
	size_t cap;
} rf_buf;

#define RF_BUF_INIT {NULL, 0, 0}

/** Ensure room for `extra` more bytes plus the NUL. 0 or RF_ENOMEM. */
int rf_buf_grow(rf_buf *b, size_t extra);
/** Append `n` bytes. */
int rf_buf_append(rf_buf *b, const void *data, size_t n);
/** Append a NUL-terminated string. */
int rf_buf_puts(rf_buf *b, const char *s);
/** Append formatted text. */
int rf_buf_printf(rf_buf *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
int rf_buf_vprintf(rf_buf *b, const char *fmt, va_list ap);
/** Empty the buffer, keeping its memory. */
void rf_buf_clear(rf_buf *b);
/** Take ownership of the bytes (caller frees with free()); leaves `b` empty.
 *  Returns "" (allocated) for an empty buffer, NULL only on ENOMEM. */
char *rf_buf_detach(rf_buf *b);
/** Release the memory; NULL-safe, leaves `b` as RF_BUF_INIT. */
void rf_buf_free(rf_buf *b);
/** Overwrite the contents with zeros, then free (for secrets). */
void rf_buf_wipe(rf_buf *b);

#ifdef __cplusplus
}
#endif
#endif
