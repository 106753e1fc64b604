/* Unit tests for lib/contam: the normalisation, n-gram matching with a
 * forged hash collision (never reported), spans across block seams, and
 * the export/import that MPI ranks use (order-free merge, tampered bytes
 * refused). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "contam/contam_internal.h"
#include "referee/referee.h"

static void norm(const char *in, const char *want)
{
	rf_buf b = RF_BUF_INIT;
	assert_int_equal(rf_contam_normalize(&b, in, strlen(in)), 0);
	assert_string_equal(b.data ? b.data : "", want);
	rf_buf_free(&b);
}

static void test_normalize(void **state)
{
	(void)state;
	norm("Hello,   World!", "hello world");
	norm("$x\\,dx$ and $x\\;dx$ and $x\\quad dx$ and $x~dx$", "x dx and x dx and x dx and x dx");
	norm("a\\hspace{2em}b \\hspace*{1pt}c", "a b c");
	norm("\\quadratic \\frac{1}{2}", "quadratic frac 1 2");
	norm("\xef\xbc\xa1\xef\xbc\xa2\xef\xbc\xa3\xef\xbc\x91", "abc1"); /* ＡＢＣ１ */
	norm("Stra\xc3\x9f" "e \xef\xac\x81nance", "strasse finance");     /* ß, ﬁ */
	norm("caf\x65\xcc\x81 caf\xc3\xa9", "caf\xc3\xa9 caf\xc3\xa9");     /* NFC forms agree */
	norm("a\xe2\x80\x94" "b \xe2\x80\x9cq\xe2\x80\x9d", "a b q");        /* dash, quotes */
	norm("ab\xff" "cd", "ab cd");                                       /* invalid UTF-8 */
	norm("", "");
	norm("\\", "");
}

static rf_contam_index *index_of(int n, const char *const *texts, size_t k)
{
	rf_contam_index *ix;
	assert_int_equal(rf_contam_index_new(&ix, n), 0);
	for (size_t i = 0; i < k; i++) {
		char id[16];
		snprintf(id, sizeof id, "%zu", i);
		assert_int_equal(rf_contam_index_add(ix, "b", id, texts[i],
						     strlen(texts[i])),
				 0);
	}
	assert_int_equal(rf_contam_index_finish(ix), 0);
	return ix;
}

static const char *const items[] = {
    "one two three four five six seven eight nine ten",
    "alpha beta gamma delta epsilon zeta eta theta iota kappa",
    "too short"};

static void scan_text(const rf_contam_index *ix, rf_contam_scan **out,
		      const char *text, size_t block, int threads)
{
	rf_contam_opts o = {.threads = threads, .block_size = block,
			    .format = RF_CONTAM_TEXT};
	assert_int_equal(rf_contam_scan_new(out, ix, &o), 0);
	assert_int_equal(
	    rf_contam_scan_buffer(*out, "mem.txt", text, strlen(text), 0), 0);
}

/* A corpus n-gram whose hash we plant in the index in place of an item's:
 * the lookup hits, the word-by-word check refuses it. */
static void test_collision_never_reported(void **state)
{
	const char *corpus = "xx yy zz ww vv uu\n";
	rf_contam_index *ix = index_of(4, items, 2);
	rf_contam_scan *s;
	rf_contam_item it;
	ctoks t = {0};
	uint32_t line = 0;
	uint64_t h = 0;
	(void)state;
	/* the hash of the corpus's first 4-gram */
	assert_int_equal(contam_tokenize(&t, corpus, strlen(corpus), &line), 0);
	for (int k = 0; k < 4; k++)
		h = h * CONTAM_B + t.v[k].hash;
	ctoks_free(&t);
	/* forge: item 0's n-gram at position 0 now has that hash */
	for (size_t i = 0; i < ix->npost; i++)
		if (ix->post[i].item == 0 && ix->post[i].pos == 0) {
			ix->post[i].h = h;
			memset(ix->table, 0, (ix->mask + 1) * sizeof *ix->table);
			ix->table[contam_mix(h) & ix->mask] =
			    (cslot){h, (uint32_t)i, 1};
		}
	assert_int_equal(contam_lookup(ix, h)->count, 1);
	scan_text(ix, &s, corpus, 0, 1);
	rf_contam_scan_item(s, 0, &it);
	assert_int_equal(it.found, 0);
	assert_int_equal(it.longest, 0);
	assert_int_equal(rf_contam_scan_overlapping(s, NULL), 0);
	rf_contam_scan_free(s);
	rf_contam_index_free(ix);
}

/* An item wrapped over many lines, cut into 64-byte blocks: found whole. */
static void test_span_across_blocks(void **state)
{
	const char *corpus =
	    "filler words here and there and everywhere we go\n"
	    "ONE two\nthree, four\n\n five six seven\neight nine\n"
	    "more filler that is not in the benchmark at all\n"
	    "alpha beta gamma delta\n";
	rf_contam_index *ix = index_of(4, items, 3);
	(void)state;
	for (int threads = 1; threads <= 3; threads++)
		for (size_t block = 64; block <= 4096; block *= 4) {
			rf_contam_scan *s;
			rf_contam_item it;
			scan_text(ix, &s, corpus, block, threads);
			rf_contam_scan_item(s, 0, &it);
			assert_int_equal(it.words, 10);
			assert_int_equal(it.ngrams, 7);
			assert_int_equal(it.found, 6);   /* "ten" is missing */
			assert_int_equal(it.longest, 9);
			assert_int_equal(it.line, 2);
			rf_contam_scan_item(s, 1, &it);
			assert_int_equal(it.found, 1);
			assert_int_equal(it.longest, 4);
			assert_int_equal(it.line, 8);
			rf_contam_scan_item(s, 2, &it);
			assert_int_equal(it.ngrams, 0);
			assert_int_equal(it.longest, 0);
			rf_contam_scan_free(s);
		}
	rf_contam_index_free(ix);
}

static void test_export_merge(void **state)
{
	rf_contam_index *ix = index_of(4, items, 3);
	rf_contam_scan *a, *b, *m1, *m2;
	rf_buf ea = RF_BUF_INIT, eb = RF_BUF_INIT, r1 = RF_BUF_INIT,
	       r2 = RF_BUF_INIT;
	const char *files[] = {"f0", "f1"};
	rf_contam_opts o = {.threads = 1, .format = RF_CONTAM_TEXT};
	const char *t0 = "one two three four five\n";
	const char *t1 = "x\nalpha beta gamma delta epsilon zeta\none two three four five six\n";
	(void)state;
	assert_int_equal(rf_contam_scan_new(&a, ix, &o), 0);
	assert_int_equal(rf_contam_scan_new(&b, ix, &o), 0);
	assert_int_equal(rf_contam_scan_buffer(a, "f0", t0, strlen(t0), 0), 0);
	assert_int_equal(rf_contam_scan_buffer(b, "f1", t1, strlen(t1), 1), 0);
	assert_int_equal(rf_contam_scan_export(&ea, a), 0);
	assert_int_equal(rf_contam_scan_export(&eb, b), 0);
	/* merged in either order: the same report */
	assert_int_equal(rf_contam_scan_new(&m1, ix, &o), 0);
	assert_int_equal(rf_contam_scan_new(&m2, ix, &o), 0);
	assert_int_equal(rf_contam_scan_import(m1, ea.data, ea.len), 0);
	assert_int_equal(rf_contam_scan_import(m1, eb.data, eb.len), 0);
	assert_int_equal(rf_contam_scan_import(m2, eb.data, eb.len), 0);
	assert_int_equal(rf_contam_scan_merge(m2, a), 0);
	assert_int_equal(rf_contam_report(&r1, m1, files, 2, RF_CONTAM_REPORT_JSON), 0);
	assert_int_equal(rf_contam_report(&r2, m2, files, 2, RF_CONTAM_REPORT_JSON), 0);
	assert_string_equal(r1.data, r2.data);
	{
		rf_contam_item it;
		rf_contam_scan_item(m1, 0, &it);
		assert_int_equal(it.longest, 6); /* f1 has the longer span */
		assert_int_equal(it.file_index, 1);
		assert_int_equal(it.line, 3);
	}
	/* tampered or foreign bytes are refused */
	assert_int_equal(rf_contam_scan_import(m1, ea.data, ea.len - 1), RF_EFORMAT);
	ea.data[0] = 'X';
	assert_int_equal(rf_contam_scan_import(m1, ea.data, ea.len), RF_EFORMAT);
	ea.data[0] = 'R';
	/* a span longer than its item */
	{
		size_t at = 10 + 32 + 8 * 1; /* magic, header, 1 word of bits */
		eb.data[at] = 100;
		assert_int_equal(rf_contam_scan_import(m1, eb.data, eb.len), RF_EFORMAT);
	}
	rf_buf_free(&ea);
	rf_buf_free(&eb);
	rf_buf_free(&r1);
	rf_buf_free(&r2);
	rf_contam_scan_free(a);
	rf_contam_scan_free(b);
	rf_contam_scan_free(m1);
	rf_contam_scan_free(m2);
	rf_contam_index_free(ix);
}

static void test_json_strings(void **state)
{
	rf_contam_index *ix = index_of(4, items, 3);
	rf_contam_scan *s;
	rf_contam_item it;
	const char *fields[] = {"text"};
	rf_contam_opts o = {.threads = 1, .fields = fields, .nfields = 1};
	const char *j =
	    "{\"text\": \"one two\\nthree \\u0046OUR\", \"x\": [\"alpha beta gamma delta\"]}\n"
	    "\n"
	    "{\"x\": 1, \"text\": {\"deep\": [\"one two three four\"]}}\n";
	(void)state;
	assert_int_equal(rf_contam_scan_new(&s, ix, &o), 0);
	assert_int_equal(rf_contam_scan_buffer(s, "m.jsonl", j, strlen(j), 0), 0);
	rf_contam_scan_item(s, 0, &it);
	assert_int_equal(it.found, 1);
	assert_int_equal(it.line, 1); /* the first record, escapes decoded */
	rf_contam_scan_item(s, 1, &it);
	assert_int_equal(it.found, 0); /* "x" is not read */
	rf_contam_scan_free(s);
	assert_int_equal(rf_contam_scan_new(&s, ix, &(rf_contam_opts){.threads = 1}), 0);
	assert_int_equal(rf_contam_scan_buffer(s, "m.jsonl", j, strlen(j), 0), 0);
	rf_contam_scan_item(s, 1, &it);
	assert_int_equal(it.found, 1);
	assert_int_equal(rf_contam_scan_buffer(s, "bad.jsonl", "{\"a\": [1,]}\n", 12, 1),
			 RF_EFORMAT);
	assert_non_null(strstr(rf_error_last(), "bad.jsonl:1: column"));
	rf_contam_scan_free(s);
	rf_contam_index_free(ix);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_normalize),
	    cmocka_unit_test(test_collision_never_reported),
	    cmocka_unit_test(test_span_across_blocks),
	    cmocka_unit_test(test_export_merge),
	    cmocka_unit_test(test_json_strings),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
