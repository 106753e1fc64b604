/* referee — reports: a titled table of rows, each with a status and
 * details, rendered into an rf_buf as aligned text, JSON, JUnit XML (for CI)
 * or a standalone HTML page.  The library renders; the CLI prints. */
#ifndef REFEREE_REPORT_H
#define REFEREE_REPORT_H

#include <stddef.h>

#include "buf.h"

#ifdef __cplusplus
extern "C" {
#endif

/** A report; opaque.  Free with rf_report_free(). */
typedef struct rf_report rf_report;

/** A row's outcome, as CI sees it. */
typedef enum rf_report_status {
	RF_REPORT_PASS = 1, /**< holds */
	RF_REPORT_FAIL,     /**< a check failed (JUnit <failure>) */
	RF_REPORT_WARN,     /**< holds, with a warning (passes in JUnit) */
	RF_REPORT_SKIP      /**< could not be checked (JUnit <skipped>) */
} rf_report_status;

/** New report with `ncols` column titles (copied; at most 16).  The first
 *  column names the row (JUnit test case name).  *out is the caller's. */
int rf_report_new(rf_report **out, const char *title,
		  const char *const *columns, size_t ncols);

/** Free a report; NULL-safe. */
void rf_report_free(rf_report *r);

/** Add a row: `ncols` cells (copied; NULL is empty), its status, a short
 *  reason (may be NULL), multi-line details (may be NULL), and `json`: a
 *  JSON object text whose members are added to the row's JSON form (may
 *  be NULL; RF_EINVAL when it is not an object). */
int rf_report_add_row(rf_report *r, const char *const *cells,
		      rf_report_status status, const char *reason,
		      const char *details, const char *json);

/** Set a summary line shown under the text table and in JSON/JUnit. */
int rf_report_set_summary(rf_report *r, const char *summary);

/** Set a header line shown under the title (text, HTML), as "header" in
 *  JSON and as a <property name="header"> in JUnit: e.g. the verdict of
 *  the bag the rows come from ("bundle: VERIFIED; UNSIGNED ..."). */
int rf_report_set_header(rf_report *r, const char *header);

/** Number of rows with `status`. */
size_t rf_report_count(const rf_report *r, rf_report_status status);

/** Append the aligned text table; with `details`, each row's reason and
 *  details follow it, indented. */
int rf_report_render_text(rf_buf *out, const rf_report *r, int details);

/** Append JSON: {"title", "columns", "rows": [{column: cell, ...,
 *  "status", "reason", "details", extra members}], "summary",
 *  "counts"}. */
int rf_report_render_json(rf_buf *out, const rf_report *r);

/** Append JUnit XML: one <testsuite> with one <testcase> per row. */
int rf_report_render_junit(rf_buf *out, const rf_report *r);

/** Append a standalone HTML page with the table (text is escaped). */
int rf_report_render_html(rf_buf *out, const rf_report *r);

#ifdef __cplusplus
}
#endif
#endif
