/* review: the document rendered for a terminal, CI (JUnit), a pull request
 * or job summary (Markdown), and machines (JSON).  Every string that came
 * from the bundle is escaped for where it goes. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "referee/error.h"
#include "referee/escape.h"
#include "review_internal.h"

/* ---------------------------------------------------------- escaping */

/* Thin names for rf_escape(), the one escaping function: the renderers
 * read better with the target in the name. */
/* Multi-line text (a derivation, a hardware capture) keeps its line
 * breaks: each line is escaped on its own. */
static int esc_lines(rf_buf *out, const char *s, rf_escape_mode mode)
{
	int rc = 0;
	while (s && !rc) {
		const char *nl = strchr(s, '\n');
		if (!nl)
			return rf_escape(out, s, mode);
		rc = rf_escape_n(out, s, (size_t)(nl - s), mode);
		if (!rc)
			rc = rf_buf_puts(out, "\n");
		s = nl + 1;
	}
	return rc;
}

int review_esc_html(rf_buf *out, const char *s)
{
	return esc_lines(out, s, RF_ESCAPE_HTML);
}

int review_esc_xml(rf_buf *out, const char *s)
{
	return esc_lines(out, s, RF_ESCAPE_HTML);
}

int review_esc_text(rf_buf *out, const char *s)
{
	return esc_lines(out, s, RF_ESCAPE_TERMINAL);
}

/* A Markdown table cell is one line: line breaks become spaces first. */
int review_esc_md(rf_buf *out, const char *s)
{
	rf_buf one = RF_BUF_INIT;
	int rc = rf_buf_puts(&one, s ? s : "");
	for (size_t i = 0; !rc && i < one.len; i++)
		if (one.data[i] == '\n' || one.data[i] == '\r' || one.data[i] == '\t')
			one.data[i] = ' ';
	if (!rc)
		rc = rf_escape(out, one.data, RF_ESCAPE_MARKDOWN);
	rf_buf_free(&one);
	return rc;
}

/* -------------------------------------------------------------- text */

const char *review_label(const char *status)
{
	if (!strcmp(status, "pass"))
		return "PASS";
	if (!strcmp(status, "fail"))
		return "FAIL";
	if (!strcmp(status, "error"))
		return "ERROR";
	if (!strcmp(status, "not run"))
		return "NOT RUN";
	if (!strcmp(status, "warn"))
		return "WARN";
	return "SKIPPED";
}

/* "replay DIR: FAIL: why" for each item of `list` that did not pass. */
static void text_items(rf_buf *out, const json_t *list, const char *what, const char *key,
		       int *first);

/* One blank line between the table and the list of what failed. */
static const char *sep(int *first)
{
	if (!*first)
		return "";
	*first = 0;
	return "\n";
}

static void text_items(rf_buf *out, const json_t *list, const char *what, const char *key,
		       int *first)
{
	size_t i;
	json_t *e;
	json_array_foreach(list, i, e)
	{
		if (!strcmp(review_str(e, "status"), "pass"))
			continue;
		rf_buf_printf(out, "%s%s ", sep(first), what);
		review_esc_text(out, review_str(e, key));
		rf_buf_printf(out, ": %s: ", review_label(review_str(e, "status")));
		review_esc_text(out, review_str(e, "reason"));
		rf_buf_puts(out, "\n");
	}
}

static int render_text(rf_buf *out, const rf_review *r)
{
	const json_t *d = r->doc;
	json_t *s, *e, *c;
	size_t i, j;
	int first = 1;
	rf_buf_puts(out, "referee review ");
	review_esc_text(out, review_str(d, "path"));
	rf_buf_printf(out, "\n\n%-11s %-8s %s\n", "stage", "verdict", "what was found");
	json_array_foreach(json_object_get(d, "stages"), i, s)
	{
		rf_buf_printf(out, "%-11s %-8s ", review_str(s, "name"), review_label(review_str(s, "status")));
		review_esc_text(out, review_str(s, "summary"));
		rf_buf_puts(out, "\n");
	}
	/* what failed, one line each */
	json_array_foreach(json_object_get(d, "claims"), i, e)
	{
		if (json_object_get(e, "error")) {
			rf_buf_puts(out, sep(&first));
			rf_buf_puts(out, "claims ");
			review_esc_text(out, review_str(e, "folder"));
			rf_buf_puts(out, ": ");
			review_esc_text(out, review_str(e, "error"));
			rf_buf_puts(out, "\n");
		}
		json_array_foreach(json_object_get(e, "claims"), j, c)
		{
			if (strcmp(review_str(c, "status"), "fail"))
				continue;
			rf_buf_puts(out, sep(&first));
			rf_buf_puts(out, "claim ");
			review_esc_text(out, review_str(c, "claim"));
			rf_buf_puts(out, " (");
			review_esc_text(out, review_str(e, "folder"));
			rf_buf_printf(out, "): %s: ", review_str(c, "verdict"));
			review_esc_text(out, review_str(c, "reason"));
			rf_buf_puts(out, "\n");
		}
	}
	text_items(out, json_object_get(d, "replays"), "replay", "dir", &first);
	text_items(out, json_object_get(d, "audits"), "audit", "file", &first);
	json_array_foreach(json_object_get(d, "not_manifests"), i, e)
	{
		rf_buf_puts(out, sep(&first));
		rf_buf_puts(out, "not a manifest: '");
		review_esc_text(out, json_string_value(e));
		rf_buf_puts(out, "' (YAML without a referee kind:), packed but not checked\n");
	}
	return rf_buf_printf(out, "\nreview: %s (exit %d)\n", review_str(d, "verdict"), r->exit);
}

/* ---------------------------------------------------------- markdown */

static const char *icon(const char *status)
{
	if (!strcmp(status, "pass"))
		return "\xe2\x9c\x85";         /* check mark */
	if (!strcmp(status, "fail"))
		return "\xe2\x9d\x8c";         /* cross */
	if (!strcmp(status, "error"))
		return "\xe2\x9a\xa0\xef\xb8\x8f"; /* warning */
	return "\xe2\x9e\x96";                 /* minus: skipped, not run */
}

/* One table row per replay or audit: "| replay DIR | icon VERDICT | why |". */
static void md_items(rf_buf *out, const json_t *list, const char *what, const char *key)
{
	size_t i;
	json_t *e;
	json_array_foreach(list, i, e)
	{
		rf_buf_printf(out, "| %s ", what);
		review_esc_md(out, review_str(e, key));
		rf_buf_printf(out, " | %s %s | ", icon(review_str(e, "status")),
			      review_label(review_str(e, "status")));
		review_esc_md(out, review_str(e, "reason"));
		rf_buf_puts(out, " |\n");
	}
}

static int render_markdown(rf_buf *out, const rf_review *r)
{
	const json_t *d = r->doc;
	json_t *s, *e, *c;
	size_t i, j;
	rf_buf_printf(out, "## referee review: %s %s\n\n", icon(r->exit == 0 ? "pass" : r->exit == 1 ? "fail" : "error"),
		      review_str(d, "verdict"));
	rf_buf_puts(out, "Bundle: `");
	/* a code span cannot hold a backtick: it becomes a quote */
	for (const char *p = review_str(d, "path"); *p; p++)
		rf_buf_append(out, *p == '`' || (unsigned char)*p < 0x20 ? "'" : p, 1);
	rf_buf_printf(out, "` · exit %d · referee %s\n\n", r->exit, review_str(d, "referee_version"));
	if (!json_is_null(json_object_get(d, "error"))) {
		rf_buf_puts(out, "**Error:** ");
		review_esc_md(out, review_str(d, "error"));
		rf_buf_puts(out, "\n\n");
	}
	rf_buf_puts(out, "| stage | verdict | what was found |\n| --- | --- | --- |\n");
	json_array_foreach(json_object_get(d, "stages"), i, s)
	{
		rf_buf_printf(out, "| %s | %s %s | ", review_str(s, "name"), icon(review_str(s, "status")),
			      review_label(review_str(s, "status")));
		review_esc_md(out, review_str(s, "summary"));
		rf_buf_puts(out, " |\n");
	}
	if (json_array_size(json_object_get(d, "claims"))) {
		rf_buf_puts(out, "\n### Claims\n\n| claim | claimed | derived | verdict |\n"
				 "| --- | --- | --- | --- |\n");
		json_array_foreach(json_object_get(d, "claims"), i, e)
		{
			if (json_object_get(e, "error")) {
				rf_buf_puts(out, "| ");
				review_esc_md(out, review_str(e, "folder"));
				rf_buf_printf(out, " | | | %s ERROR: ", icon("error"));
				review_esc_md(out, review_str(e, "error"));
				rf_buf_puts(out, " |\n");
			}
			json_array_foreach(json_object_get(e, "claims"), j, c)
			{
				rf_buf_puts(out, "| ");
				review_esc_md(out, review_str(c, "claim"));
				rf_buf_puts(out, " | ");
				review_esc_md(out, review_str(c, "claimed"));
				rf_buf_puts(out, " | ");
				review_esc_md(out, review_str(c, "derived"));
				rf_buf_printf(out, " | %s %s |\n", icon(review_str(c, "status")),
					      review_str(c, "verdict"));
			}
		}
	}
	if (json_array_size(json_object_get(d, "replays")) + json_array_size(json_object_get(d, "audits"))) {
		rf_buf_puts(out, "\n### Replays and audits\n\n| item | verdict | why |\n| --- | --- | --- |\n");
		md_items(out, json_object_get(d, "replays"), "replay", "dir");
		md_items(out, json_object_get(d, "audits"), "audit", "file");
	}
	if (json_array_size(json_object_get(d, "not_manifests"))) {
		rf_buf_puts(out, "\nNot manifests (YAML without a referee `kind:`, packed but not checked): ");
		json_array_foreach(json_object_get(d, "not_manifests"), i, e)
		{
			rf_buf_puts(out, i ? ", " : "");
			review_esc_md(out, json_string_value(e));
		}
		rf_buf_puts(out, "\n");
	}
	return rf_buf_puts(out, "\n");
}

/* ------------------------------------------------------------- junit */

static void testcase(rf_buf *out, const char *suite, const char *name, const char *status,
		     const char *message)
{
	rf_buf_puts(out, "    <testcase classname=\"referee.review.");
	review_esc_xml(out, suite);
	rf_buf_puts(out, "\" name=\"");
	review_esc_xml(out, name);
	rf_buf_puts(out, "\">");
	if (!strcmp(status, "fail") || !strcmp(status, "error")) {
		rf_buf_printf(out, "<%s message=\"", !strcmp(status, "fail") ? "failure" : "error");
		review_esc_xml(out, message);
		rf_buf_puts(out, "\">");
		review_esc_xml(out, message);
		rf_buf_printf(out, "</%s>", !strcmp(status, "fail") ? "failure" : "error");
	} else if (strcmp(status, "pass")) {
		rf_buf_puts(out, "<skipped message=\"");
		review_esc_xml(out, message);
		rf_buf_puts(out, "\"/>");
	} else if (message && *message) {
		rf_buf_puts(out, "<system-out>");
		review_esc_xml(out, message);
		rf_buf_puts(out, "</system-out>");
	}
	rf_buf_puts(out, "</testcase>\n");
}

static int render_junit(rf_buf *out, const rf_review *r)
{
	const json_t *d = r->doc;
	json_t *s, *e, *c;
	size_t i, j;
	rf_buf_puts(out, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites name=\"referee review\">\n"
			 "  <testsuite name=\"");
	review_esc_xml(out, review_str(d, "path"));
	rf_buf_puts(out, "\">\n");
	json_array_foreach(json_object_get(d, "stages"), i, s)
	{
		const char *name = review_str(s, "name");
		/* the stages with items give one case per item below */
		if ((!strcmp(name, "claims") || !strcmp(name, "replays") || !strcmp(name, "audits")) &&
		    (!strcmp(review_str(s, "status"), "pass") || !strcmp(review_str(s, "status"), "fail")))
			continue;
		testcase(out, "stage", name, review_str(s, "status"), review_str(s, "summary"));
	}
	json_array_foreach(json_object_get(d, "claims"), i, e)
	{
		if (json_object_get(e, "error"))
			testcase(out, "claims", review_str(e, "folder"), review_str(e, "status"),
				 review_str(e, "error"));
		json_array_foreach(json_object_get(e, "claims"), j, c)
		{
			rf_buf name = RF_BUF_INIT, msg = RF_BUF_INIT;
			const char *st = review_str(c, "status");
			rf_buf_printf(&name, "%s: %s", review_str(e, "folder"), review_str(c, "claim"));
			rf_buf_printf(&msg, "%s: claimed %s, derived %s: %s", review_str(c, "verdict"),
				      review_str(c, "claimed"), review_str(c, "derived"),
				      review_str(c, "reason"));
			testcase(out, "claims", name.data, !strcmp(st, "warn") ? "pass" : st, msg.data);
			rf_buf_free(&name);
			rf_buf_free(&msg);
		}
	}
	json_array_foreach(json_object_get(d, "replays"), i, e)
		testcase(out, "replays", review_str(e, "dir"), review_str(e, "status"), review_str(e, "reason"));
	json_array_foreach(json_object_get(d, "audits"), i, e)
		testcase(out, "audits", review_str(e, "file"), review_str(e, "status"), review_str(e, "reason"));
	return rf_buf_puts(out, "  </testsuite>\n</testsuites>\n");
}

/* -------------------------------------------------------------- json */

static int render_json(rf_buf *out, const rf_review *r)
{
	char *s = json_dumps(r->doc, JSON_INDENT(2) | JSON_ENSURE_ASCII);
	int rc;
	if (!s)
		return rf_error_set(RF_ENOMEM, "out of memory");
	rc = rf_buf_puts(out, s);
	if (!rc)
		rc = rf_buf_puts(out, "\n");
	free(s);
	return rc;
}

int rf_review_render(rf_buf *out, const rf_review *r, rf_review_format format)
{
	if (!r)
		return rf_error_set(RF_EINVAL, "no review");
	switch (format) {
	case RF_REVIEW_TEXT: return render_text(out, r);
	case RF_REVIEW_JSON: return render_json(out, r);
	case RF_REVIEW_HTML: return review_render_html(out, r);
	case RF_REVIEW_JUNIT: return render_junit(out, r);
	case RF_REVIEW_MARKDOWN: return render_markdown(out, r);
	}
	return rf_error_set(RF_EINVAL, "unknown report format %d", (int)format);
}
