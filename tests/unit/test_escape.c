/* rf_escape (lib/core/escape.c) and every report printer that uses it
 * (lib/report): a hostile string (an escape sequence, a carriage return, a
 * bidi override, bytes that are not UTF-8, markup) reaches no terminal, page
 * or JUnit file raw.  Issue 11: claim ids from manifests reached the text
 * table raw ("\e" and "\r" pass lint); before the fix these tests fail. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "referee/referee.h"

static char *esc(const char *s, rf_escape_mode m)
{
	rf_buf b = RF_BUF_INIT;
	assert_int_equal(rf_escape(&b, s, m), 0);
	return b.data ? rf_buf_detach(&b) : strdup("");
}

static void expect(const char *in, rf_escape_mode m, const char *want)
{
	char *got = esc(in, m);
	assert_string_equal(got, want);
	free(got);
}

/* No byte that a terminal or a parser treats specially survives. */
static void assert_inert(const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];
		assert_false(c < 0x20 && c != '\n' && c != '\t');
		assert_false(c == 0x7f);
	}
	assert_null(strstr(s, "\xe2\x80\xae")); /* U+202E */
	assert_null(strstr(s, "\xc2\x9b"));     /* CSI (C1) */
}

static void test_terminal(void **state)
{
	(void)state;
	expect("plain ascii, ünïcödé, 中文", RF_ESCAPE_TERMINAL, "plain ascii, ünïcödé, 中文");
	expect("a\x1b[2Kb", RF_ESCAPE_TERMINAL, "a\\x1b[2Kb");
	expect("line\rfake", RF_ESCAPE_TERMINAL, "line\\x0dfake");
	expect("two\nlines\ttab", RF_ESCAPE_TERMINAL, "two\\x0alines\\x09tab");
	expect("del\x7f", RF_ESCAPE_TERMINAL, "del\\x7f");
	expect("csi\xc2\x9b", RF_ESCAPE_TERMINAL, "csi\\x9b");
	expect("rtl\xe2\x80\xae" "evil", RF_ESCAPE_TERMINAL, "rtl\\u202eevil");
	expect("iso\xe2\x81\xa6x", RF_ESCAPE_TERMINAL, "iso\\u2066x");
	expect("bad\xff\xc3", RF_ESCAPE_TERMINAL, "bad\\xff\\xc3");
	expect("overlong\xc0\xaf", RF_ESCAPE_TERMINAL, "overlong\\xc0\\xaf");
	expect("surrogate\xed\xa0\x80", RF_ESCAPE_TERMINAL, "surrogate\\xed\\xa0\\x80");
	expect("<b>&\"'", RF_ESCAPE_TERMINAL, "<b>&\"'");
	expect(NULL, RF_ESCAPE_TERMINAL, "");
	/* idempotent: escaping twice changes nothing more */
	expect("a\\x1b[2Kb", RF_ESCAPE_TERMINAL, "a\\x1b[2Kb");
	assert_true(rf_escape_is_clean("ok — fine"));
	assert_false(rf_escape_is_clean("no\x1b"));
	assert_false(rf_escape_is_clean("no\xe2\x80\xae"));
	{
		rf_buf b = RF_BUF_INIT;
		assert_int_equal(rf_escape_n(&b, "a\0b", 3, RF_ESCAPE_TERMINAL), 0);
		assert_string_equal(b.data, "a\\x00b");
		assert_int_equal(rf_escape(&b, "x", (rf_escape_mode)99), RF_EINVAL);
		rf_buf_free(&b);
	}
}

static void test_html_markdown(void **state)
{
	(void)state;
	expect("<script>alert('x')</script> & \"q\"", RF_ESCAPE_HTML,
	       "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; &quot;q&quot;");
	expect("a\x1b b\x01", RF_ESCAPE_HTML, "a\\x1b b\\x01");
	expect("| *bold* [link](javascript:x) `code` <i>", RF_ESCAPE_MARKDOWN,
	       "\\| \\*bold\\* \\[link\\]\\(javascript:x\\) \\`code\\` &lt;i&gt;");
	expect("row\nbreak", RF_ESCAPE_MARKDOWN, "row\\x0abreak");
}

static const char hostile[] = "id\x1b[1A\x1b[2K\r<script>\xe2\x80\xae" "&\xff";

static rf_report *hostile_report(void)
{
	rf_report *r = NULL;
	const char *cols[] = {"claim", "value"};
	const char *cells[] = {hostile, hostile};
	assert_int_equal(rf_report_new(&r, hostile, cols, 2), 0);
	assert_int_equal(rf_report_add_row(r, cells, RF_REPORT_FAIL, hostile,
					   "detail\n\x1b]0;title\x07", NULL), 0);
	assert_int_equal(rf_report_set_header(r, hostile), 0);
	assert_int_equal(rf_report_set_summary(r, hostile), 0);
	return r;
}

static void test_report_text(void **state)
{
	(void)state;
	rf_report *r = hostile_report();
	rf_buf b = RF_BUF_INIT;
	assert_int_equal(rf_report_render_text(&b, r, 1), 0);
	assert_inert(b.data, b.len);
	assert_non_null(strstr(b.data, "id\\x1b[1A"));
	assert_non_null(strstr(b.data, "\\x0d<script>\\u202e&\\xff"));
	rf_buf_free(&b);
	rf_report_free(r);
}

static void test_report_html_junit(void **state)
{
	(void)state;
	rf_report *r = hostile_report();
	rf_buf b = RF_BUF_INIT;
	assert_int_equal(rf_report_render_html(&b, r), 0);
	assert_inert(b.data, b.len);
	assert_null(strstr(b.data, "<script>"));
	assert_non_null(strstr(b.data, "&lt;script&gt;"));
	rf_buf_clear(&b);
	assert_int_equal(rf_report_render_junit(&b, r), 0);
	assert_inert(b.data, b.len);
	assert_null(strstr(b.data, "<script>"));
	assert_non_null(strstr(b.data, "<property name=\"header\" value=\"id\\x1b"));
	rf_buf_free(&b);
	rf_report_free(r);
}

static void test_report_json(void **state)
{
	(void)state;
	rf_report *r = hostile_report();
	rf_buf b = RF_BUF_INIT;
	assert_int_equal(rf_report_render_json(&b, r), 0);
	/* JSON escapes control characters itself (\u001b) */
	for (size_t i = 0; i < b.len; i++)
		assert_false((unsigned char)b.data[i] == 0x1b);
	rf_buf_free(&b);
	rf_report_free(r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_terminal),
		cmocka_unit_test(test_html_markdown),
		cmocka_unit_test(test_report_text),
		cmocka_unit_test(test_report_html_junit),
		cmocka_unit_test(test_report_json),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
