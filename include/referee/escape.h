/* referee — the one escaping function for every string that comes from a
 * bag, a manifest, a log or a model output on its way to a terminal, an
 * HTML page, a JUnit file or Markdown.  Such a string is hostile: an escape
 * sequence in a keyid could repaint a terminal line, a "<script>" in a
 * claim id could run in a reviewer's browser. */
#ifndef REFEREE_ESCAPE_H
#define REFEREE_ESCAPE_H

#include "buf.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Where the escaped text goes. */
typedef enum rf_escape_mode {
	/** A terminal or a plain-text file: control characters (C0, DEL, C1),
	 *  bidirectional overrides and isolates (U+202A-U+202E,
	 *  U+2066-U+2069), line and paragraph separators and bytes that are
	 *  not UTF-8 become visible escapes (`\x1b`, `\u202e`); everything
	 *  else, backslashes included, is kept. */
	RF_ESCAPE_TERMINAL = 1,
	/** HTML or XML text and attribute values (JUnit): as TERMINAL, then
	 *  `& < > " '` as entities, so the result is valid XML 1.0. */
	RF_ESCAPE_HTML,
	/** A Markdown table cell or paragraph: as HTML, plus a backslash
	 *  before each Markdown metacharacter (`\ ` * _ [ ] | # ...`). */
	RF_ESCAPE_MARKDOWN
} rf_escape_mode;

/** Append `s` (NUL-terminated; NULL is "") escaped for `mode` to `out`.
 *  0 or RF_ENOMEM / RF_EINVAL. */
int rf_escape(rf_buf *out, const char *s, rf_escape_mode mode);

/** The same for `len` bytes (which may hold NUL bytes, shown as `\x00`). */
int rf_escape_n(rf_buf *out, const char *s, size_t len, rf_escape_mode mode);

/** 1 when the `len` bytes at `s` are valid UTF-8 (no overlong forms, no
 *  surrogates, nothing above U+10FFFF), else 0. */
int rf_utf8_valid(const char *s, size_t len);

/** 1 when `s` needs no escaping at all for a terminal (printable UTF-8
 *  without the characters above), else 0. */
int rf_escape_is_clean(const char *s);

#ifdef __cplusplus
}
#endif
#endif
