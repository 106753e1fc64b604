/* referee review, inside the library: the review is one JSON document
 * (jansson), built by the stages (review.c, review_scan.c) and read by every
 * renderer (review_render.c, review_html.c), so that all formats say the
 * same thing. */
#ifndef REFEREE_REVIEW_INTERNAL_H
#define REFEREE_REVIEW_INTERNAL_H

#include <jansson.h>

#include "referee/review.h"

struct rf_review {
	json_t *doc; /* the --json document */
	int exit;    /* worst of the parts */
};

/* What the walk of a payload found (paths are full, sorted). */
typedef struct review_scan {
	char **folders;  /* folders holding referee manifests */
	size_t nfolders;
	char **replays;  /* folders holding recipe.yaml + log.jsonl + summary.json */
	size_t nreplays;
	char **batches;  /* JSON Lines files whose first line is a grpo_batch header */
	size_t nbatches;
} review_scan;

/* Walk `root` (no symlinks followed, bounded depth and count). */
int review_scan_run(review_scan *s, const char *root);
void review_scan_free(review_scan *s);

/* Strings of the document, never NULL ("" when absent). */
const char *review_str(const json_t *o, const char *key);

/* Append `s` escaped for HTML text and attributes. */
int review_esc_html(rf_buf *out, const char *s);
/* Append `s` escaped for XML (JUnit). */
int review_esc_xml(rf_buf *out, const char *s);
/* Append `s` escaped for a Markdown table cell (one line). */
int review_esc_md(rf_buf *out, const char *s);
/* Append `s` with control characters shown as \xNN (a terminal). */
int review_esc_text(rf_buf *out, const char *s);

/* "PASS", "FAIL", "ERROR", "NOT RUN", "WARN" or "SKIPPED" for a status. */
const char *review_label(const char *status);

int review_render_html(rf_buf *out, const rf_review *r);

#endif
