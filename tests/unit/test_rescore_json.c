/* Unit tests for lib/rescore/json_scan.c, the fast JSON reader of the
 * re-score hot path: it must read every line jansson reads to the same
 * tree, and decline (leaving the verdict and the message to jansson)
 * whatever it does not accept at once: bad escapes, lone surrogates, NUL,
 * invalid UTF-8, duplicate keys, numbers that do not fit, deep nesting. */
#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "rescore/json_scan.h"

static char *dump(json_t *j)
{
	return json_dumps(j, JSON_COMPACT | JSON_PRESERVE_ORDER |
				 JSON_ENCODE_ANY | JSON_REAL_PRECISION(17));
}

/* The invariant, for any bytes: what the scanner accepts, jansson accepts
 * (with JSON_REJECT_DUPLICATES) to the same tree, key order and number
 * types included.  Returns 1 when the scanner accepted. */
static int agrees(const char *text, size_t len)
{
	json_error_t err;
	json_t *fast = rs_json_scan(text, len);
	json_t *ref = json_loadb(text, len, JSON_REJECT_DUPLICATES, &err);
	int accepted = fast != NULL;
	if (fast) {
		char *a, *b;
		if (!ref)
			fail_msg("scanner accepted what jansson rejects (%s): "
				 "%.*s",
				 err.text, (int)(len > 200 ? 200 : len), text);
		assert_true(json_equal(fast, ref));
		a = dump(fast);
		b = dump(ref);
		assert_non_null(a);
		assert_non_null(b);
		assert_string_equal(a, b);
		free(a);
		free(b);
	}
	json_decref(fast);
	json_decref(ref);
	return accepted;
}

/* Declined by the scanner; rs_json_loadb() then gives jansson's answer:
 * rejected with jansson's message when `bad`, else jansson's tree. */
static void declined(const char *text, size_t len, int bad)
{
	json_error_t e1, e2;
	json_t *fast = rs_json_scan(text, len);
	json_t *v, *ref;
	assert_null(fast);
	memset(&e1, 0, sizeof e1);
	memset(&e2, 0, sizeof e2);
	v = rs_json_loadb(text, len, &e1);
	ref = json_loadb(text, len, JSON_REJECT_DUPLICATES, &e2);
	if (bad) {
		assert_null(v);
		assert_null(ref);
		assert_string_equal(e1.text, e2.text);
		assert_int_equal(e1.column, e2.column);
	} else {
		assert_non_null(v);
		assert_true(json_equal(v, ref));
	}
	json_decref(v);
	json_decref(ref);
}

#define DECLINED_BAD(s) declined(s, sizeof(s) - 1, 1)

static void test_strings_and_escapes(void **state)
{
	static const char *const ok[] = {
	    "{}",
	    "[]",
	    " \t\r\n{ \"a\" : [ 1 , -0 , 2.5e-3 , 1E+2 , true , false , null ] "
	    "} \n",
	    "{\"s\":\"plain \\u00e9 caf\xc3\xa9 \\\"q\\\" \\\\ \\/ \\b\\f\\n\\r\\t"
	    "\"}",
	    "{\"emoji\":\"\\ud83d\\ude00 \xf0\x9f\x98\x80\",\"max\":\"\\uDBFF"
	    "\\uDFFF \xf4\x8f\xbf\xbf\"}",
	    "{\"k\xc3\xa9y\":\"\\u0001\\u001f\\u007F\\u0800\\uFFFF\"}",
	    "{\"big\":9223372036854775807,\"small\":-9223372036854775808,"
	    "\"r\":1e308,\"tiny\":1e-400,\"z\":-0.0}",
	    "[[[[[[[[[[{\"a\":[{}]}]]]]]]]]]]",
	    "{\"\":\"empty key\",\"a\":{\"a\":{\"a\":1}}}",
	};
	char long_key[400];
	(void)state;
	for (size_t i = 0; i < sizeof ok / sizeof *ok; i++)
		assert_int_equal(agrees(ok[i], strlen(ok[i])), 1);
	/* a key longer than the scanner's stack copy */
	memset(long_key, 'k', sizeof long_key);
	memcpy(long_key, "{\"", 2);
	memcpy(long_key + sizeof long_key - 8, "\":\"v\"}", 6);
	assert_int_equal(agrees(long_key, sizeof long_key - 2), 1);
	/* the decoded text is exact */
	{
		const char *t = "{\"s\":\"a\\u00e9\\ud83d\\ude00\\n\"}";
		json_t *j = rs_json_scan(t, strlen(t));
		json_t *s = json_object_get(j, "s");
		assert_non_null(s);
		assert_int_equal(json_string_length(s), 1 + 2 + 4 + 1);
		assert_memory_equal(json_string_value(s),
				    "a\xc3\xa9\xf0\x9f\x98\x80\n", 8);
		json_decref(j);
	}
}

static void test_hostile(void **state)
{
	char deep[3 * 2100 + 8];
	size_t n = 0;
	(void)state;
	/* bad escapes */
	DECLINED_BAD("{\"a\":\"\\x41\"}");
	DECLINED_BAD("{\"a\":\"\\u12\"}");
	DECLINED_BAD("{\"a\":\"\\u12G4\"}");
	DECLINED_BAD("{\"a\":\"\\");
	DECLINED_BAD("{\"a\":\"\\'\"}");
	/* lone and mismatched surrogates */
	DECLINED_BAD("{\"a\":\"\\ud83d\"}");
	DECLINED_BAD("{\"a\":\"\\ud83dx\"}");
	DECLINED_BAD("{\"a\":\"\\ude00\"}");
	DECLINED_BAD("{\"a\":\"\\ud83d\\ud83d\"}");
	DECLINED_BAD("{\"a\":\"\\ud83d\\u0041\"}");
	/* NUL: escaped, raw in a string, raw outside, in a key */
	DECLINED_BAD("{\"a\":\"\\u0000\"}");
	declined("{\"a\":\"x\0y\"}", 11, 1);
	declined("{\"a\":1}\0", 8, 1);
	DECLINED_BAD("{\"\\u0000\":1}");
	/* control bytes, invalid UTF-8 */
	DECLINED_BAD("{\"a\":\"tab\there\"}");
	DECLINED_BAD("{\"a\":\"\x80\"}");
	DECLINED_BAD("{\"a\":\"\xc0\xaf\"}");	     /* overlong '/' */
	DECLINED_BAD("{\"a\":\"\xe0\x80\xaf\"}");     /* overlong */
	DECLINED_BAD("{\"a\":\"\xed\xa0\x80\"}");     /* encoded surrogate */
	DECLINED_BAD("{\"a\":\"\xf4\x90\x80\x80\"}"); /* above U+10FFFF */
	DECLINED_BAD("{\"a\":\"\xf8\x88\x80\x80\x80\"}");
	DECLINED_BAD("{\"a\":\"\xc3\"}"); /* cut in a sequence */
	DECLINED_BAD("{\"\xff\":1}");
	/* duplicate keys: rejected (as with JSON_REJECT_DUPLICATES) */
	DECLINED_BAD("{\"a\":1,\"a\":1}");
	DECLINED_BAD("{\"a\":1,\"b\":{},\"\\u0061\":2}");
	/* numbers that do not fit */
	DECLINED_BAD("{\"n\":9223372036854775808}");
	DECLINED_BAD("{\"n\":-9223372036854775809}");
	DECLINED_BAD("{\"n\":1e400}");
	DECLINED_BAD("{\"n\":-1e400}");
	/* long numbers are left to jansson, which reads them */
	declined("{\"n\":0.1000000000000000000000000000000000000000000000000"
		 "000000000000000001}",
		 strlen("{\"n\":0.10000000000000000000000000000000000000000000"
			"00000000000000000000001}"),
		 0);
	/* malformed numbers and literals */
	DECLINED_BAD("{\"n\":01}");
	DECLINED_BAD("{\"n\":1.}");
	DECLINED_BAD("{\"n\":.5}");
	DECLINED_BAD("{\"n\":1e}");
	DECLINED_BAD("{\"n\":+1}");
	DECLINED_BAD("{\"n\":-}");
	DECLINED_BAD("{\"n\":NaN}");
	DECLINED_BAD("{\"n\":truex}");
	DECLINED_BAD("{\"n\":nul}");
	/* syntax */
	DECLINED_BAD("");
	DECLINED_BAD("   ");
	DECLINED_BAD("\"just a string\"");
	DECLINED_BAD("42");
	DECLINED_BAD("{\"a\":1,}");
	DECLINED_BAD("[1,]");
	DECLINED_BAD("{\"a\" 1}");
	DECLINED_BAD("{a:1}");
	DECLINED_BAD("{\"a\":1} x");
	DECLINED_BAD("{\"a\":1}{}");
	DECLINED_BAD("{\"a\":[1,2}");
	DECLINED_BAD("\xef\xbb\xbf{}"); /* a byte-order mark */
	/* deep nesting: past the scanner's limit jansson decides, both
	 * below its own limit (read) and above it (rejected) */
	for (int i = 0; i < RS_JSON_SCAN_DEPTH + 1; i++)
		deep[n++] = '[';
	for (int i = 0; i < RS_JSON_SCAN_DEPTH + 1; i++)
		deep[n++] = ']';
	declined(deep, n, 0);
	n = 0;
	for (int i = 0; i < 2100; i++)
		deep[n++] = '[';
	for (int i = 0; i < 2100; i++)
		deep[n++] = ']';
	declined(deep, n, 1);
	n = 0;
	for (int i = 0; i < RS_JSON_SCAN_DEPTH; i++)
		deep[n++] = '[';
	for (int i = 0; i < RS_JSON_SCAN_DEPTH; i++)
		deep[n++] = ']';
	assert_int_equal(agrees(deep, n), 1);
}

/* Every truncation of a line, and every position of it overwritten with
 * bytes that matter to a JSON reader: the scanner never accepts what
 * jansson rejects, nor reads anything differently. */
static void mutate(const char *line, size_t len)
{
	static const char subst[] = {'"', '\\', '{', '}', '[', ']', ',', ':',
				     '0', 'u', 'e', '-', ' ', '\x00', '\x1f',
				     '\x80', '\xc3', '\xed', '\xf4'};
	char *m = malloc(len ? len : 1);
	assert_non_null(m);
	for (size_t cut = 0; cut <= len; cut++)
		agrees(line, cut);
	for (size_t i = 0; i < len; i++)
		for (size_t k = 0; k < sizeof subst; k++) {
			memcpy(m, line, len);
			m[i] = subst[k];
			agrees(m, len);
		}
	free(m);
}

static void test_mutations(void **state)
{
	static const char *const seeds[] = {
	    "{\"idx\":3,\"answer\":\"\\\\frac{1}{2}\",\"code\":[\"a \\u00e9\","
	    "\"\\ud83d\\ude00 x\",\"\\\\boxed{2}\"],\"r\":-1.5e2,\"t\":true}",
	    "{\"choices\":[{\"message\":{\"content\":\"caf\xc3\xa9\"},"
	    "\"finish_reason\":\"length\"}],\"n\":[0,1,null]}",
	};
	(void)state;
	for (size_t i = 0; i < sizeof seeds / sizeof *seeds; i++)
		mutate(seeds[i], strlen(seeds[i]));
}

/* Strings are scanned eight bytes at a time: a special byte at every
 * offset of strings of every length around the word size, each read (or
 * declined) exactly as jansson reads it. */
static void test_word_boundaries(void **state)
{
	static const char *const special[] = {"\\n",	   "\\\\",	"\\u00e9",
					      "\xc3\xa9", "\xe2\x82\xac", "\x01",
					      "\x7f",	   "\x80",	"\"",
					      "\\"};
	char text[128];
	size_t accepted = 0;
	(void)state;
	for (size_t len = 0; len <= 26; len++)
		for (size_t pos = 0; pos <= len; pos++)
			for (size_t k = 0; k < sizeof special / sizeof *special;
			     k++) {
				size_t n = 0, m = strlen(special[k]);
				memcpy(text + n, "[\"", 2);
				n += 2;
				for (size_t i = 0; i < pos; i++)
					text[n++] = (char)('a' + i % 26);
				memcpy(text + n, special[k], m);
				n += m;
				for (size_t i = pos; i < len; i++)
					text[n++] = (char)('A' + i % 26);
				memcpy(text + n, "\"]", 2);
				n += 2;
				accepted += (size_t)agrees(text, n);
			}
	/* the six readable specials, at every place */
	assert_int_equal(accepted, 6 * (27 * 28 / 2));
}

/* Every line of the test data the re-score tests read: the same fields as
 * jansson, and nearly all of them read by the scanner itself. */
static void cross_check_file(const char *path, size_t *lines,
			     size_t *accepted)
{
	FILE *f = fopen(path, "rb");
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;
	assert_non_null(f);
	while ((n = getline(&line, &cap, f)) > 0) {
		size_t len = (size_t)n;
		while (len && (line[len - 1] == '\n' || line[len - 1] == '\r'))
			len--;
		if (!len)
			continue;
		(*lines)++;
		*accepted += (size_t)agrees(line, len);
	}
	free(line);
	fclose(f);
}

static void cross_check_dir(const char *dir, int recurse, size_t *lines,
			    size_t *accepted)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	char path[4096];
	assert_non_null(d);
	while ((e = readdir(d))) {
		size_t nl = strlen(e->d_name);
		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
		if (recurse && e->d_type == DT_DIR)
			cross_check_dir(path, 1, lines, accepted);
		else if (nl > 6 && !strcmp(e->d_name + nl - 6, ".jsonl"))
			cross_check_file(path, lines, accepted);
	}
	closedir(d);
}

static void test_cross_check_data(void **state)
{
	size_t lines = 0, accepted = 0;
	(void)state;
	cross_check_dir(RF_TEST_DATA, 0, &lines, &accepted);
	cross_check_dir(RF_TEST_DATA "/formats", 1, &lines, &accepted);
	print_message("cross-checked %zu lines, %zu read by the scanner\n",
		      lines, accepted);
	assert_true(lines >= 100);
	/* the data's lines are valid JSON without duplicate keys or huge
	 * numbers: the scanner reads them all itself */
	assert_int_equal(accepted, lines);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_strings_and_escapes),
	    cmocka_unit_test(test_hostile),
	    cmocka_unit_test(test_mutations),
	    cmocka_unit_test(test_word_boundaries),
	    cmocka_unit_test(test_cross_check_data),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
