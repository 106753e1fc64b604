/* Reports: a titled table of rows with a status each, rendered into a buffer
 * as aligned text, JSON (jansson), JUnit XML or HTML.  Nothing here prints. */
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "referee/error.h"
#include "referee/escape.h"
#include "referee/report.h"

#define MAX_COLS 16

struct row {
	char *cells[MAX_COLS];
	rf_report_status status;
	char *reason, *details;
	json_t *extra;
};

struct rf_report {
	char *title, *summary, *header;
	char *cols[MAX_COLS];
	size_t ncols;
	struct row *rows;
	size_t nrows, cap;
};

static char *dup_or_null(const char *s)
{
	return s ? strdup(s) : NULL;
}

int rf_report_new(rf_report **out, const char *title, const char *const *columns,
		  size_t ncols)
{
	rf_report *r;
	*out = NULL;
	if (ncols == 0 || ncols > MAX_COLS)
		return rf_error_set(RF_EINVAL, "a report has 1 to %d columns", MAX_COLS);
	r = calloc(1, sizeof *r);
	if (!r)
		return rf_error_set(RF_ENOMEM, "out of memory");
	r->title = strdup(title ? title : "");
	r->ncols = ncols;
	for (size_t i = 0; i < ncols; i++)
		r->cols[i] = strdup(columns[i] ? columns[i] : "");
	*out = r;
	return 0;
}

void rf_report_free(rf_report *r)
{
	if (!r)
		return;
	for (size_t i = 0; i < r->nrows; i++) {
		for (size_t j = 0; j < r->ncols; j++)
			free(r->rows[i].cells[j]);
		free(r->rows[i].reason);
		free(r->rows[i].details);
		json_decref(r->rows[i].extra);
	}
	for (size_t j = 0; j < r->ncols; j++)
		free(r->cols[j]);
	free(r->rows);
	free(r->title);
	free(r->summary);
	free(r->header);
	free(r);
}

int rf_report_add_row(rf_report *r, const char *const *cells, rf_report_status status,
		      const char *reason, const char *details, const char *json)
{
	struct row *row;
	json_t *extra = NULL;
	if (json) {
		json_error_t err;
		extra = json_loads(json, JSON_REJECT_DUPLICATES, &err);
		if (!extra || !json_is_object(extra)) {
			json_decref(extra);
			return rf_error_set(RF_EINVAL, "report row: extra JSON is not an object");
		}
	}
	if (r->nrows == r->cap) {
		size_t cap = r->cap ? r->cap * 2 : 16;
		struct row *rows = realloc(r->rows, cap * sizeof *rows);
		if (!rows) {
			json_decref(extra);
			return rf_error_set(RF_ENOMEM, "out of memory");
		}
		r->rows = rows;
		r->cap = cap;
	}
	row = &r->rows[r->nrows++];
	memset(row, 0, sizeof *row);
	for (size_t j = 0; j < r->ncols; j++)
		row->cells[j] = strdup(cells[j] ? cells[j] : "");
	row->status = status;
	row->reason = dup_or_null(reason);
	row->details = dup_or_null(details);
	row->extra = extra;
	return 0;
}

int rf_report_set_summary(rf_report *r, const char *summary)
{
	free(r->summary);
	r->summary = dup_or_null(summary);
	return 0;
}

int rf_report_set_header(rf_report *r, const char *header)
{
	free(r->header);
	r->header = dup_or_null(header);
	return header && !r->header ? rf_error_set(RF_ENOMEM, "out of memory") : 0;
}

size_t rf_report_count(const rf_report *r, rf_report_status status)
{
	size_t n = 0;
	for (size_t i = 0; i < r->nrows; i++)
		n += r->rows[i].status == status;
	return n;
}

static const char *status_name(rf_report_status s)
{
	switch (s) {
	case RF_REPORT_PASS:
		return "pass";
	case RF_REPORT_FAIL:
		return "fail";
	case RF_REPORT_WARN:
		return "warn";
	case RF_REPORT_SKIP:
		return "skip";
	}
	return "?";
}

/* Display width: UTF-8 continuation bytes take no column. */
static size_t width(const char *s)
{
	size_t w = 0;
	for (; *s; s++)
		w += ((unsigned char)*s & 0xc0) != 0x80;
	return w;
}

static int pad(rf_buf *out, const char *s, size_t w, int last)
{
	int rc = rf_buf_puts(out, s);
	if (last)
		return rc;
	for (size_t i = width(s); i < w + 2 && !rc; i++)
		rc = rf_buf_puts(out, " ");
	return rc;
}

/* Every string of a report may come from a manifest, a bag or a log: each
 * line is escaped for the terminal (rf_escape) before it is laid out. */
static int put_tty(rf_buf *out, const char *s, size_t n)
{
	return rf_escape_n(out, s, n, RF_ESCAPE_TERMINAL);
}

static int indent_lines(rf_buf *out, const char *text, const char *prefix)
{
	int rc = 0;
	while (*text && !rc) {
		size_t n = strcspn(text, "\n");
		rc = rf_buf_puts(out, prefix);
		if (!rc)
			rc = put_tty(out, text, n);
		if (!rc)
			rc = rf_buf_puts(out, "\n");
		text += n + (text[n] == '\n');
	}
	return rc;
}

static void free_cells(char **cells, size_t n)
{
	for (size_t i = 0; cells && i < n; i++)
		free(cells[i]);
	free(cells);
}

/* The table's cells (header row first), each escaped as one line. */
static int escaped_cells(char ***out, const rf_report *r)
{
	size_t n = (r->nrows + 1) * r->ncols;
	char **c = calloc(n ? n : 1, sizeof *c);
	rf_buf b = RF_BUF_INIT;
	int rc = c ? 0 : rf_error_set(RF_ENOMEM, "out of memory");
	for (size_t i = 0; !rc && i <= r->nrows; i++)
		for (size_t j = 0; !rc && j < r->ncols; j++) {
			const char *s = i ? r->rows[i - 1].cells[j] : r->cols[j];
			rf_buf_clear(&b);
			rc = rf_escape(&b, s, RF_ESCAPE_TERMINAL);
			if (!rc && !(c[i * r->ncols + j] = strdup(b.data ? b.data : "")))
				rc = rf_error_set(RF_ENOMEM, "out of memory");
		}
	rf_buf_free(&b);
	if (rc) {
		free_cells(c, n);
		return rc;
	}
	*out = c;
	return 0;
}

int rf_report_render_text(rf_buf *out, const rf_report *r, int details)
{
	size_t w[MAX_COLS];
	char **cells = NULL;
	int rc = escaped_cells(&cells, r);
	if (rc)
		return rc;
	for (size_t j = 0; j < r->ncols; j++) {
		w[j] = 0;
		for (size_t i = 0; i <= r->nrows; i++)
			if (width(cells[i * r->ncols + j]) > w[j])
				w[j] = width(cells[i * r->ncols + j]);
	}
	if (r->title && r->title[0]) {
		rc = indent_lines(out, r->title, "");
		if (!rc && !r->header)
			rc = rf_buf_puts(out, "\n");
	}
	if (!rc && r->header) {
		rc = indent_lines(out, r->header, "");
		if (!rc)
			rc = rf_buf_puts(out, "\n");
	}
	for (size_t i = 0; i <= r->nrows && !rc; i++) {
		const struct row *row = i ? &r->rows[i - 1] : NULL;
		for (size_t j = 0; j < r->ncols && !rc; j++)
			rc = pad(out, cells[i * r->ncols + j], w[j], j + 1 == r->ncols);
		if (!rc)
			rc = rf_buf_puts(out, "\n");
		if (details && !rc && row && row->reason && row->reason[0])
			rc = indent_lines(out, row->reason, "    why: ");
		if (details && !rc && row && row->details && row->details[0])
			rc = indent_lines(out, row->details, "      ");
	}
	if (!rc && r->summary) {
		rc = rf_buf_puts(out, "\n");
		if (!rc)
			rc = indent_lines(out, r->summary, "");
	}
	free_cells(cells, (r->nrows + 1) * r->ncols);
	return rc;
}

static json_t *counts_json(const rf_report *r)
{
	json_t *c = json_object();
	for (int s = RF_REPORT_PASS; s <= RF_REPORT_SKIP; s++)
		json_object_set_new(c, status_name((rf_report_status)s),
				    json_integer((json_int_t)rf_report_count(r, (rf_report_status)s)));
	return c;
}

int rf_report_render_json(rf_buf *out, const rf_report *r)
{
	json_t *root = json_object(), *cols = json_array(), *rows = json_array();
	char *text;
	int rc;
	if (!root || !cols || !rows) {
		json_decref(root);
		json_decref(cols);
		json_decref(rows);
		return rf_error_set(RF_ENOMEM, "out of memory");
	}
	json_object_set_new(root, "title", json_string(r->title));
	if (r->header)
		json_object_set_new(root, "header", json_string(r->header));
	for (size_t j = 0; j < r->ncols; j++)
		json_array_append_new(cols, json_string(r->cols[j]));
	json_object_set_new(root, "columns", cols);
	for (size_t i = 0; i < r->nrows; i++) {
		const struct row *row = &r->rows[i];
		json_t *o = json_object();
		for (size_t j = 0; j < r->ncols; j++)
			json_object_set_new(o, r->cols[j], json_string(row->cells[j]));
		json_object_set_new(o, "status", json_string(status_name(row->status)));
		if (row->reason)
			json_object_set_new(o, "reason", json_string(row->reason));
		if (row->details)
			json_object_set_new(o, "details", json_string(row->details));
		if (row->extra)
			json_object_update(o, row->extra);
		json_array_append_new(rows, o);
	}
	json_object_set_new(root, "rows", rows);
	if (r->summary)
		json_object_set_new(root, "summary", json_string(r->summary));
	json_object_set_new(root, "counts", counts_json(r));
	text = json_dumps(root, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	json_decref(root);
	if (!text)
		return rf_error_set(RF_ENOMEM, "cannot encode the report as JSON");
	rc = rf_buf_puts(out, text);
	if (!rc)
		rc = rf_buf_puts(out, "\n");
	free(text);
	return rc;
}

/* HTML/XML text through the one escaping function; multi-line text (a
 * <pre>, a JUnit message body) keeps its line breaks and tabs, each line
 * escaped on its own. */
static int xml_escape(rf_buf *out, const char *s)
{
	int rc = 0;
	while (!rc) {
		size_t n = strcspn(s, "\n\t");
		rc = rf_escape_n(out, s, n, RF_ESCAPE_HTML);
		if (rc || !s[n])
			break;
		rc = rf_buf_append(out, s + n, 1);
		s += n + 1;
	}
	return rc;
}

/* An attribute value: one line, everything escaped. */
static int xml_attr(rf_buf *out, const char *s)
{
	return rf_escape(out, s, RF_ESCAPE_HTML);
}

/* A row as text lines (JUnit bodies): each cell on one line, escaped. */
static int row_text(rf_buf *out, const rf_report *r, const struct row *row)
{
	int rc = 0;
	for (size_t j = 1; j < r->ncols && !rc; j++) {
		rc = rf_escape(out, r->cols[j], RF_ESCAPE_TERMINAL);
		if (!rc)
			rc = rf_buf_puts(out, ": ");
		if (!rc)
			rc = rf_escape(out, row->cells[j], RF_ESCAPE_TERMINAL);
		if (!rc)
			rc = rf_buf_puts(out, "\n");
	}
	if (!rc && row->reason)
		rc = indent_lines(out, row->reason, "why: ");
	if (!rc && row->details)
		rc = indent_lines(out, row->details, "");
	return rc;
}

int rf_report_render_junit(rf_buf *out, const rf_report *r)
{
	rf_buf t = RF_BUF_INIT;
	int rc = rf_buf_puts(out, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites>\n"
				  "  <testsuite name=\"");
	if (!rc)
		rc = xml_attr(out, r->title);
	if (!rc)
		rc = rf_buf_printf(out, "\" tests=\"%zu\" failures=\"%zu\" errors=\"0\" skipped=\"%zu\">\n",
				   r->nrows, rf_report_count(r, RF_REPORT_FAIL),
				   rf_report_count(r, RF_REPORT_SKIP));
	if (!rc && r->header) {
		rc = rf_buf_puts(out, "    <properties><property name=\"header\" value=\"");
		if (!rc)
			rc = xml_attr(out, r->header);
		if (!rc)
			rc = rf_buf_puts(out, "\"/></properties>\n");
	}
	for (size_t i = 0; i < r->nrows && !rc; i++) {
		const struct row *row = &r->rows[i];
		rf_buf_clear(&t);
		rc = row_text(&t, r, row);
		if (!rc)
			rc = rf_buf_puts(out, "    <testcase classname=\"");
		if (!rc)
			rc = xml_attr(out, r->title);
		if (!rc)
			rc = rf_buf_puts(out, "\" name=\"");
		if (!rc)
			rc = xml_attr(out, row->cells[0]);
		if (!rc)
			rc = rf_buf_puts(out, "\">\n");
		if (!rc && (row->status == RF_REPORT_FAIL || row->status == RF_REPORT_SKIP)) {
			const char *tag = row->status == RF_REPORT_FAIL ? "failure" : "skipped";
			rc = rf_buf_printf(out, "      <%s message=\"", tag);
			if (!rc)
				rc = xml_attr(out, row->reason ? row->reason : status_name(row->status));
			if (!rc)
				rc = rf_buf_puts(out, "\">");
			if (!rc)
				rc = xml_escape(out, t.data ? t.data : "");
			if (!rc)
				rc = rf_buf_printf(out, "</%s>\n", tag);
		}
		if (!rc) {
			rc = rf_buf_puts(out, "      <system-out>");
			if (!rc)
				rc = xml_escape(out, t.data ? t.data : "");
			if (!rc)
				rc = rf_buf_puts(out, "</system-out>\n    </testcase>\n");
		}
	}
	rf_buf_free(&t);
	if (!rc)
		rc = rf_buf_puts(out, "  </testsuite>\n</testsuites>\n");
	return rc;
}

int rf_report_render_html(rf_buf *out, const rf_report *r)
{
	static const char *const css =
		"body{font-family:sans-serif;margin:2em}table{border-collapse:collapse}"
		"td,th{border:1px solid #ccc;padding:.3em .6em;text-align:left;vertical-align:top}"
		".pass{background:#e6f4e6}.fail{background:#f8dddd}.warn{background:#fff3cd}"
		".skip{background:#eee}pre{margin:0;white-space:pre-wrap}";
	int rc = rf_buf_puts(out, "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>");
	if (!rc)
		rc = xml_attr(out, r->title);
	if (!rc)
		rc = rf_buf_printf(out, "</title><style>%s</style></head><body>\n<h1>", css);
	if (!rc)
		rc = xml_attr(out, r->title);
	if (!rc)
		rc = rf_buf_puts(out, "</h1>\n");
	if (!rc && r->header) {
		rc = rf_buf_puts(out, "<p class=\"header\">");
		if (!rc)
			rc = xml_attr(out, r->header);
		if (!rc)
			rc = rf_buf_puts(out, "</p>\n");
	}
	if (!rc)
		rc = rf_buf_puts(out, "<table>\n<tr>");
	for (size_t j = 0; j < r->ncols && !rc; j++) {
		rc = rf_buf_puts(out, "<th>");
		if (!rc)
			rc = xml_attr(out, r->cols[j]);
		if (!rc)
			rc = rf_buf_puts(out, "</th>");
	}
	if (!rc)
		rc = rf_buf_puts(out, "<th>details</th></tr>\n");
	for (size_t i = 0; i < r->nrows && !rc; i++) {
		const struct row *row = &r->rows[i];
		rc = rf_buf_printf(out, "<tr class=\"%s\">", status_name(row->status));
		for (size_t j = 0; j < r->ncols && !rc; j++) {
			rc = rf_buf_puts(out, "<td>");
			if (!rc)
				rc = xml_attr(out, row->cells[j]);
			if (!rc)
				rc = rf_buf_puts(out, "</td>");
		}
		if (!rc)
			rc = rf_buf_puts(out, "<td><pre>");
		if (!rc && row->reason)
			rc = xml_escape(out, row->reason);
		if (!rc && row->details) {
			rc = rf_buf_puts(out, "\n");
			if (!rc)
				rc = xml_escape(out, row->details);
		}
		if (!rc)
			rc = rf_buf_puts(out, "</pre></td></tr>\n");
	}
	if (!rc)
		rc = rf_buf_puts(out, "</table>\n");
	if (!rc && r->summary) {
		rc = rf_buf_puts(out, "<p>");
		if (!rc)
			rc = xml_attr(out, r->summary);
		if (!rc)
			rc = rf_buf_puts(out, "</p>\n");
	}
	if (!rc)
		rc = rf_buf_puts(out, "</body></html>\n");
	return rc;
}
