/* Unit tests for lib/manifest: YAML tree with positions, limits (the YAML
 * bomb), schema errors with file:line:column, getters, canonical digest. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "referee/referee.h"

static rf_manifest *parse_ok(const char *text)
{
	rf_manifest *m = NULL;
	int rc = rf_manifest_parse(&m, "t.yaml", text, strlen(text), NULL);
	if (rc)
		fail_msg("parse failed: %s", rf_error_last());
	return m;
}

/* Parse + validate must fail with `code` and a message containing `msg`. */
static void expect_fail(const char *text, int code, const char *msg)
{
	rf_manifest *m = NULL;
	int rc = rf_manifest_load_buffer(&m, "t.yaml", text, strlen(text));
	if (rc != code || !strstr(rf_error_last(), msg))
		fail_msg("expected %s with '%s', got %s: '%s'", rf_error_name(code), msg,
			 rf_error_name(rc), rf_error_last());
	assert_null(m);
}

static void test_tree_and_positions(void **state)
{
	(void)state;
	rf_manifest *m = parse_ok("# comment\n"
				  "a: 1\n"
				  "b:\n"
				  "  - x: \"q\"\n"
				  "    y: [1, 2.5, true, null, ~, text]\n"
				  "  - {z: 3}\n");
	const rf_node *r = rf_manifest_root(m), *n;
	long long i;
	double d;
	int b;
	const char *s;
	assert_int_equal(rf_node_kind(r), RF_NODE_MAP);
	assert_int_equal(rf_node_size(r), 2);
	n = rf_node_path(r, "b[0].y[1]");
	assert_non_null(n);
	assert_int_equal(rf_node_line(n), 5);
	assert_int_equal(rf_node_column(n), 12);
	assert_int_equal(rf_node_scalar_type(n), RF_SCALAR_FLOAT);
	assert_int_equal(rf_node_get_int(&i, r, "b[1].z"), 0);
	assert_int_equal(i, 3);
	assert_int_equal(rf_node_get_float(&d, r, "b[0].y[1]"), 0);
	assert_true(d == 2.5);
	assert_int_equal(rf_node_get_bool(&b, r, "b[0].y[2]"), 1 - 1);
	assert_int_equal(b, 1);
	assert_int_equal(rf_node_scalar_type(rf_node_path(r, "b[0].y[3]")), RF_SCALAR_NULL);
	assert_int_equal(rf_node_scalar_type(rf_node_path(r, "b[0].y[4]")), RF_SCALAR_NULL);
	assert_int_equal(rf_node_get_string(&s, r, "b[0].x"), 0);
	assert_string_equal(s, "q");
	assert_int_equal(rf_node_scalar_type(rf_node_path(r, "b[0].x")), RF_SCALAR_STRING);
	assert_int_equal(rf_node_get_int(&i, r, "b[9].z"), RF_ENOTFOUND);
	assert_int_equal(rf_node_get_int(&i, r, "b[0].y[5]"), RF_EFORMAT);
	assert_string_equal(rf_error_last(),
			    "t.yaml:5:32: b[0].y[5]: expected an integer, got \"text\"");
	assert_int_equal(rf_node_get_int(&i, r, "b"), RF_EFORMAT);
	assert_non_null(strstr(rf_error_last(), "got a list"));
	assert_null(rf_node_path(r, "a.b"));
	assert_null(rf_node_path(r, "b[x]"));
	rf_manifest_free(m);
	rf_manifest_free(NULL);
}

/* rf_node_error names the field once, even when the message it is given
 * already starts with it (a helper told the field path as its subject, as
 * rf_path_check_relative(rel, "from.rollouts") is). */
static void test_node_error_names_field_once(void **state)
{
	(void)state;
	rf_manifest *m = parse_ok("from: {rollouts: ../x.jsonl}\n");
	const rf_node *n = rf_node_path(rf_manifest_root(m), "from.rollouts");
	assert_non_null(n);
	assert_int_equal(rf_path_check_relative(rf_node_text(n), "from.rollouts"), RF_EUNSAFE);
	assert_int_equal(rf_node_error(RF_EFORMAT, n, "from.rollouts", "%s", rf_error_last()),
			 RF_EFORMAT);
	assert_string_equal(rf_error_last(), "t.yaml:1:18: from.rollouts: '..' component in "
					     "'../x.jsonl' refused");
	/* a message about another field, or one that only starts alike, keeps
	 * its own words */
	rf_node_error(RF_EFORMAT, n, "from.rollouts", "from.rollouts2: x");
	assert_string_equal(rf_error_last(), "t.yaml:1:18: from.rollouts: from.rollouts2: x");
	rf_node_error(RF_EFORMAT, n, "from", "from.rollouts: y");
	assert_string_equal(rf_error_last(), "t.yaml:1:18: from: from.rollouts: y");
	rf_node_error(RF_EFORMAT, n, NULL, "from.rollouts: z");
	assert_string_equal(rf_error_last(), "t.yaml:1:18: from.rollouts: z");
	rf_manifest_free(m);
}

static void test_yaml_errors(void **state)
{
	(void)state;
	rf_manifest *m = NULL;
	/* duplicate key: reported at the second one, naming the first */
	assert_int_equal(rf_manifest_parse(&m, "d.yaml", "a: 1\nb: 2\na: 3\n", 14, NULL),
			 RF_EFORMAT);
	assert_string_equal(rf_error_last(),
			    "d.yaml:3:1: duplicate key 'a' (first at line 1, column 1)");
	/* syntax error with a position */
	assert_int_equal(rf_manifest_parse(&m, "s.yaml", "a: [1, 2\nb: 3\n", 14, NULL),
			 RF_EFORMAT);
	assert_non_null(strstr(rf_error_last(), "s.yaml:2:"));
	assert_int_equal(rf_manifest_parse(&m, "e.yaml", "", 0, NULL), RF_EFORMAT);
	assert_string_equal(rf_error_last(), "e.yaml:1:1: empty document");
	assert_int_equal(rf_manifest_parse(&m, "m.yaml", "a: 1\n---\nb: 2\n", 14, NULL),
			 RF_EFORMAT);
	assert_non_null(strstr(rf_error_last(), "more than one YAML document"));
	assert_int_equal(rf_manifest_parse(&m, "t.yaml", "a: !!python/object 1\n", 21, NULL),
			 RF_EFORMAT);
	assert_non_null(strstr(rf_error_last(), "t.yaml:1:4: tag"));
	assert_int_equal(rf_manifest_parse(&m, "k.yaml", "? [1]\n: 2\n", 10, NULL),
			 RF_EFORMAT);
	assert_non_null(strstr(rf_error_last(), "map keys must be scalars"));
	assert_int_equal(rf_manifest_parse(&m, "u.yaml", "a: *nope\n", 9, NULL), RF_EFORMAT);
	assert_non_null(strstr(rf_error_last(), "unknown alias"));
	/* invalid UTF-8 is refused by the reader */
	assert_int_equal(rf_manifest_parse(&m, "x.yaml", "a: \xff\xfe\n", 6, NULL), RF_EFORMAT);
	assert_null(m);
	/* !!str forces a string; plain 0x10 is an integer */
	m = parse_ok("a: !!str 12\nb: 0x10\n");
	assert_int_equal(rf_node_scalar_type(rf_node_get(rf_manifest_root(m), "a")),
			 RF_SCALAR_STRING);
	{
		long long v;
		assert_int_equal(rf_node_get_int(&v, rf_manifest_root(m), "b"), 0);
		assert_int_equal(v, 16);
	}
	rf_manifest_free(m);
}

static void test_limits_and_bomb(void **state)
{
	(void)state;
	rf_manifest *m = NULL;
	rf_buf b = RF_BUF_INIT;
	rf_yaml_limits small = {0};
	clock_t t0;
	/* the classic billion laughs, nine levels deep */
	rf_buf_puts(&b, "a: &a [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]\n");
	for (char c = 'b'; c <= 'i'; c++)
		rf_buf_printf(&b, "%c: &%c [*%c,*%c,*%c,*%c,*%c,*%c,*%c,*%c,*%c]\n", c, c,
			      c - 1, c - 1, c - 1, c - 1, c - 1, c - 1, c - 1, c - 1, c - 1);
	t0 = clock();
	/* a limit, like size and depth: bad input (exit 2), not a failed check */
	assert_int_equal(rf_manifest_parse(&m, "bomb.yaml", b.data, b.len, NULL), RF_ELIMIT);
	assert_int_equal(rf_error_exit_status(RF_ELIMIT), 2);
	assert_true((double)(clock() - t0) / CLOCKS_PER_SEC < 1.0);
	assert_non_null(strstr(rf_error_last(), "bomb.yaml:4:"));
	assert_non_null(strstr(rf_error_last(), "aliases expand to more than 1000 nodes"));
	assert_null(m);
	rf_buf_clear(&b);
	/* a small alias is fine, and is copied */
	m = parse_ok("base: &b {lr: 3e-6}\nother: *b\n");
	assert_non_null(rf_node_path(rf_manifest_root(m), "other.lr"));
	assert_int_equal(rf_node_line(rf_node_get(rf_manifest_root(m), "other")), 2);
	rf_manifest_free(m);
	/* recursive alias */
	assert_int_equal(rf_manifest_parse(&m, "r.yaml", "a: &a [1, *a]\n", 14, NULL),
			 RF_EFORMAT);
	assert_non_null(strstr(rf_error_last(), "refers to a node that contains it"));
	/* depth */
	for (int i = 0; i < 100; i++)
		rf_buf_puts(&b, "[");
	for (int i = 0; i < 100; i++)
		rf_buf_puts(&b, "]");
	assert_int_equal(rf_manifest_parse(&m, "deep.yaml", b.data, b.len, NULL), RF_ELIMIT);
	assert_non_null(strstr(rf_error_last(), "nesting deeper than 64"));
	/* node count, scalar length, size */
	small.max_nodes = 10;
	assert_int_equal(rf_manifest_parse(&m, "n.yaml", "[1,2,3,4,5,6,7,8,9,10,11]", 25,
					   &small), RF_ELIMIT);
	assert_non_null(strstr(rf_error_last(), "more than 10 nodes"));
	small.max_nodes = 0;
	small.max_scalar = 4;
	assert_int_equal(rf_manifest_parse(&m, "s.yaml", "a: abcdef\n", 10, &small), RF_ELIMIT);
	small.max_scalar = 0;
	small.max_bytes = 5;
	assert_int_equal(rf_manifest_parse(&m, "b.yaml", "a: abcdef\n", 10, &small), RF_ELIMIT);
	rf_buf_free(&b);
}

/* Issue 11: nine anchored items inside an anchored list reallocate the
 * anchors array before the list closes; the frame kept a pointer into the
 * old array and wrote through it (heap use-after-free, found by libFuzzer).
 * Before the fix ASan aborts here, and without ASan the outer anchor stays
 * unresolved, so the alias to it fails. */
static void test_anchor_realloc_in_open_collection(void **state)
{
	(void)state;
	rf_buf b = RF_BUF_INIT;
	rf_manifest *m;
	const rf_node *list;
	rf_buf_puts(&b, "outer: &outer\n");
	for (int i = 0; i < 20; i++)
		rf_buf_printf(&b, "  - &a%d %d\n", i, i);
	rf_buf_puts(&b, "copy: *outer\nlast: *a19\n");
	m = parse_ok(b.data);
	list = rf_node_get(rf_manifest_root(m), "copy");
	assert_non_null(list);
	assert_int_equal(rf_node_size(list), 20);
	assert_non_null(rf_node_get(rf_manifest_root(m), "last"));
	rf_manifest_free(m);
	rf_buf_free(&b);
}

static void test_schema_errors(void **state)
{
	(void)state;
	const char *head = "kind: cost-ledger\nschema: 1\ncurrency: USD\n"
			   "rates:\n  H800: $2/GPU-hour\n";
	char buf[1024];
	rf_manifest *m = NULL;
	snprintf(buf, sizeof buf, "%sstages:\n  - id: a\n    accelerator: H800\n"
		 "    gpus: 512\n    hours: ~198 h\n", head);
	assert_int_equal(rf_manifest_load_buffer(&m, "ok.yaml", buf, strlen(buf)), 0);
	assert_string_equal(rf_manifest_kind_name(m), "cost-ledger");
	rf_manifest_free(m);

	snprintf(buf, sizeof buf, "%sstages:\n  - id: a\n    accelerator: H800\n"
		 "    gpus: 512x\n", head);
	expect_fail(buf, RF_EFORMAT,
		    "t.yaml:9:11: stages[0].gpus: expected a positive integer, got \"512x\"");
	snprintf(buf, sizeof buf, "%sstages:\n  - id: a\n    accelerator: H800\n"
		 "    gpus: 0\n", head);
	expect_fail(buf, RF_EFORMAT, "t.yaml:9:11: stages[0].gpus: expected a positive integer");
	snprintf(buf, sizeof buf, "%sstages:\n  - id: a\n    accelerator: H800\n"
		 "    gpu: 512\n", head);
	expect_fail(buf, RF_EFORMAT, "t.yaml:9:5: stages[0].gpu: unknown key (allowed: id,");
	snprintf(buf, sizeof buf, "%sstages:\n  - id: a\n    accelerator: H800\n"
		 "    gpus: 8\n    hours: 3 parsecs\n", head);
	expect_fail(buf, RF_EFORMAT, "t.yaml:10:12: stages[0].hours: \"3 parsecs\": unknown unit");
	snprintf(buf, sizeof buf, "%sstages:\n  - id: a\n    accelerator: H800\n"
		 "    gpus: 8\n    hours: 3 GPU-hours\n", head);
	expect_fail(buf, RF_EFORMAT, "stages[0].hours: expected a figure in h, got \"3 GPU-hours\"");
	/* rates are optional (issue 10): a cost with no rate is UNVERIFIABLE
	 * in the check, not a malformed ledger; power-is is tdp or average */
	snprintf(buf, sizeof buf, "%sstages:\n  - id: a\n    accelerator: A100\n    power-is: peak\n",
		 head);
	expect_fail(buf, RF_EFORMAT, "t.yaml:9:15: stages[0].power-is: expected tdp or average");
	snprintf(buf, sizeof buf, "%sstages:\n  - accelerator: H800\n", head);
	expect_fail(buf, RF_EFORMAT, "t.yaml:7:5: stages[0].id: required but missing");
	snprintf(buf, sizeof buf, "%s", head);
	expect_fail(buf, RF_EFORMAT, "t.yaml:1:1: stages: required but missing");
	snprintf(buf, sizeof buf, "%sstages:\n  - {id: a, accelerator: H800}\n"
		 "  - {id: b, accelerator: H800}\n  - {id: a, accelerator: H800}\n", head);
	expect_fail(buf, RF_EFORMAT, "t.yaml:9:10: stages[2].id: duplicate stage id \"a\"");
	expect_fail("kind: claims\nschema: 1\nclaims:\n  - {id: x, claimed: 1, from: {source: a}}\n"
		    "  - {id: x, claimed: 2, from: {source: a}}\n",
		    RF_EFORMAT, "t.yaml:5:10: claims[1].id: duplicate claim id \"x\"");
	expect_fail("kind: claims\nschema: 1\nclaims:\n  - {id: x, claimed: 1, from: {}}\n",
		    RF_EFORMAT, "t.yaml:4:31: claims[0].from.source: required but missing");
	expect_fail("kind: ledger\nschema: 1\n", RF_EFORMAT,
		    "t.yaml:1:7: kind: unknown kind \"ledger\" (known: training-config,");
	expect_fail("kind: claims\nschema: 2\nclaims: []\n", RF_EFORMAT,
		    "t.yaml:2:9: schema: claims schema 2 is not supported");
	expect_fail("schema: 1\n", RF_EFORMAT, "kind: required but missing");
	expect_fail("- 1\n", RF_EFORMAT, "t.yaml:1:1: expected a map with kind:");
	expect_fail("kind: training-config\nschema: 1\nmodel:\n  total-params: 671B\n"
		    "algorithm:\n  name: grpo\n  learning-rate: -3e-6\n",
		    RF_EFORMAT, "t.yaml:7:18: algorithm.learning-rate: expected a positive number");
	expect_fail("kind: training-config\nschema: 1\nmodel:\n  total-params: 671B tokens\n",
		    RF_EFORMAT, "model.total-params: expected a figure in params");
	expect_fail("kind: hardware-manifest\nschema: 1\naccelerators:\n  - model: H800\n"
		    "    count: 8\n    peak:\n      bf16: 989 TB/s\n",
		    RF_EFORMAT, "t.yaml:7:13: accelerators[0].peak.bf16:");
}

static void test_kinds_registry(void **state)
{
	(void)state;
	const char *names[] = {"training-config", "hardware-manifest", "cost-ledger", "claims"};
	for (size_t i = 0; i < 4; i++) {
		const rf_manifest_kind *k = rf_manifest_kind_find(names[i]);
		assert_non_null(k);
		assert_int_equal(k->schema, 1);
		assert_non_null(k->summary);
	}
	assert_null(rf_manifest_kind_find("nope"));
	assert_non_null(rf_manifest_kind_at(0));
}

static void digest_of(char hex[65], const char *text)
{
	rf_manifest *m = parse_ok(text);
	assert_int_equal(rf_manifest_digest(hex, m), 0);
	rf_manifest_free(m);
}

static void canonical_is(const char *yaml, const char *json)
{
	rf_buf b = RF_BUF_INIT;
	rf_manifest *m = parse_ok(yaml);
	assert_int_equal(rf_manifest_canonical_json(&b, m), 0);
	assert_string_equal(b.data, json);
	rf_buf_free(&b);
	rf_manifest_free(m);
}

static void test_digest(void **state)
{
	(void)state;
	char a[65], b[65], c[65], d[65];
	digest_of(a, "# R1 ledger\nkind: x\nlist: [1, 2]\nmap: {b: 2, a: \"1\"}\n");
	digest_of(b, "map:\n  a: '1'   # quoted differently\n  b: 2\nlist:\n- 1\n- 2\nkind: x\n");
	digest_of(c, "kind: x\nlist: [1, 2]\nmap: {b: 2, a: 1}\n"); /* "1" → 1 */
	digest_of(d, "kind: x\nlist: [2, 1]\nmap: {b: 2, a: \"1\"}\n"); /* order in list */
	assert_string_equal(a, b);
	assert_string_not_equal(a, c);
	assert_string_not_equal(a, d);
	assert_int_equal(strlen(a), 64);
	/* the empty object has a known SHA-256 ("{}") */
	digest_of(a, "{}\n");
	assert_string_equal(a, "44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a");

	/* RFC 8785 details: key order by UTF-16 units, escapes, numbers */
	canonical_is("b: 1\na: 2\n\"\\u20ac\": 3\n\"\\U0001F600\": 4\n\"\\uFB33\": 5\n",
		     "{\"a\":2,\"b\":1,\"\xe2\x82\xac\":3,\"\xf0\x9f\x98\x80\":4,\"\xef\xac\xb3\":5}");
	canonical_is("s: \"a\\\"b\\\\c\\n\\u0001\\u007f\"\n",
		     "{\"s\":\"a\\\"b\\\\c\\n\\u0001\x7f\"}");
}

static void test_json_numbers(void **state)
{
	(void)state;
	canonical_is("[1.0, 1e21, 1e20, 1e-7, 0.000001, 123.456, -0.0, 3e-6, 0.1, 5e-324]",
		     "[1,1e+21,100000000000000000000,1e-7,0.000001,123.456,0,0.000003,0.1,5e-324]");
	canonical_is("[1.7976931348623157e308, 333333333.33333329, 4.5e15, -1.5e-8, 9007199254740993]",
		     "[1.7976931348623157e+308,333333333.3333333,4500000000000000,-1.5e-8,9007199254740993]");
	canonical_is("[~, true, false, 0x1F, 0o17, +5, -0]", "[null,true,false,31,15,5,0]");
}

static void test_inf_refused(void **state)
{
	(void)state;
	rf_buf b = RF_BUF_INIT;
	rf_manifest *m = parse_ok("a: .inf\n");
	assert_int_equal(rf_manifest_canonical_json(&b, m), RF_EFORMAT);
	assert_non_null(strstr(rf_error_last(), "t.yaml:1:4"));
	rf_buf_free(&b);
	rf_manifest_free(m);
}

/* Hostile input: the R1 ledger with random bytes changed, inserted or cut
 * (fixed seed).  Every variant must parse or fail cleanly — never crash,
 * hang or leak (the suite also runs under ASan/UBSan). */
static void test_mutations(void **state)
{
	(void)state;
	rf_buf orig = RF_BUF_INIT;
	unsigned long long x = 0x9e3779b97f4a7c15ULL;
	size_t parsed = 0, refused = 0;
	assert_int_equal(rf_file_read(&orig, RF_TEST_DATA "/../../manifests/deepseek-r1/ledger.yaml",
				      1 << 20), 0);
	for (int round = 0; round < 3000; round++) {
		rf_buf b = RF_BUF_INIT;
		rf_manifest *m = NULL;
		char hex[65];
		int edits = 1 + round % 4;
		rf_buf_append(&b, orig.data, orig.len);
		for (int e = 0; e < edits; e++) {
			size_t pos;
			x ^= x << 13, x ^= x >> 7, x ^= x << 17;
			pos = (size_t)(x >> 8) % (b.len ? b.len : 1);
			switch (x % 3) {
			case 0:
				b.data[pos] = (char)(x >> 32);
				break;
			case 1:
				if (b.len > 1) {
					memmove(b.data + pos, b.data + pos + 1, b.len - pos - 1);
					b.len--;
				}
				break;
			default: {
				static const char ins[] = ":-[]{}&*!|>'\"#\n\t ";
				rf_buf_append(&b, "x", 1);
				memmove(b.data + pos + 1, b.data + pos, b.len - pos - 1);
				b.data[pos] = ins[(x >> 40) % (sizeof ins - 1)];
			}
			}
		}
		if (rf_manifest_load_buffer(&m, "mut.yaml", b.data, b.len) == 0) {
			parsed++;
			assert_int_equal(rf_manifest_digest(hex, m), 0);
			rf_manifest_free(m);
		} else {
			refused++;
			assert_true(strlen(rf_error_last()) > 0);
		}
		rf_buf_free(&b);
	}
	assert_true(parsed > 0 && refused > 0);
	rf_buf_free(&orig);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_tree_and_positions),
		cmocka_unit_test(test_node_error_names_field_once),
		cmocka_unit_test(test_yaml_errors),
		cmocka_unit_test(test_limits_and_bomb),
		cmocka_unit_test(test_schema_errors),
		cmocka_unit_test(test_kinds_registry),
		cmocka_unit_test(test_digest),
		cmocka_unit_test(test_json_numbers),
		cmocka_unit_test(test_inf_refused),
		cmocka_unit_test(test_mutations),
		cmocka_unit_test(test_anchor_realloc_in_open_collection),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
