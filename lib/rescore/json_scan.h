/* referee — internal to lib/rescore: a fast, strict JSON reader for the
 * re-score hot path.  It builds the same jansson tree json_loadb() builds
 * with JSON_REJECT_DUPLICATES, but scans strings a run of plain bytes at a
 * time instead of a byte at a time through jansson's lexer (the lexer was
 * more than half of `rescore --reward math`'s time).
 *
 * It never decides that a line is bad: anything it does not accept at
 * once (an escape it does not know, \u0000, a lone surrogate, invalid
 * UTF-8, a control byte in a string, a duplicate key, a number that does
 * not fit, nesting deeper than RS_JSON_SCAN_DEPTH, any syntax error) makes
 * it decline, and rs_json_loadb() then asks jansson, whose verdict and
 * error message stand.  So a line it accepts is one jansson accepts, read
 * to the same values; a line jansson rejects is rejected with jansson's
 * message. */
#ifndef REFEREE_RESCORE_JSON_SCAN_H
#define REFEREE_RESCORE_JSON_SCAN_H

#include <stddef.h>

#include <jansson.h>

#define RS_JSON_SCAN_DEPTH 256

/* The tree of the object or array in text[0..len), or NULL: declined (the
 * text may still be valid JSON that jansson reads). */
json_t *rs_json_scan(const char *text, size_t len);

/* rs_json_scan(), else json_loadb(text, len, JSON_REJECT_DUPLICATES, err):
 * NULL with `err` filled when the text is not JSON jansson accepts. */
json_t *rs_json_loadb(const char *text, size_t len, json_error_t *err);

#endif
