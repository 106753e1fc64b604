/* Unit tests for lib/bag: pack, open, tag files, the pre-commit hook,
 * --force, and verification reports for every kind of damage. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "referee/referee.h"

static char root[64];
static char src[128], bagdir[128];

static void put(const char *path, const char *text)
{
	FILE *f = fopen(path, "wb");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static char *pathf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static char *pathf(const char *fmt, ...)
{
	static char bufs[8][512];
	static int k;
	va_list ap;
	char *b = bufs[k++ % 8];
	va_start(ap, fmt);
	vsnprintf(b, 512, fmt, ap);
	va_end(ap);
	return b;
}

static int setup(void **state)
{
	(void)state;
	snprintf(root, sizeof root, "/tmp/rf-bag-XXXXXX");
	if (!mkdtemp(root))
		return -1;
	snprintf(src, sizeof src, "%s/ev", root);
	snprintf(bagdir, sizeof bagdir, "%s/bag", root);
	mkdir(src, 0755);
	mkdir(pathf("%s/sub", src), 0755);
	put(pathf("%s/a.txt", src), "alpha\n");
	put(pathf("%s/sub/b.txt", src), "beta beta\n");
	put(pathf("%s/sub/empty", src), "");
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	return rf_dir_remove_tree(root);
}

static void pack_fresh(void)
{
	rf_pack_opts o = RF_PACK_OPTS_INIT;
	const char *paths[] = {src};
	rf_dir_remove_tree(bagdir);
	o.bagging_date = "2025-09-17";
	o.source_organization = "DeepSeek-AI";
	o.threads = 2;
	assert_int_equal(rf_bag_pack(bagdir, paths, 1, &o), 0);
}

static int count_kind(const rf_bag_report *r, rf_bag_problem_kind k,
		      const char *path)
{
	int n = 0;
	for (size_t i = 0; i < rf_bag_report_count(r); i++) {
		const rf_bag_problem *p = rf_bag_report_at(r, i);
		if (p->kind == k && (!path || !strcmp(p->path, path)))
			n++;
	}
	return n;
}

static void test_pack_open(void **state)
{
	rf_bag *bag;
	const rf_bag_entry *e;
	const char *label, *value;
	rf_buf b = RF_BUF_INIT;
	char hex[RF_DIGEST_HEX_MAX];
	(void)state;
	pack_fresh();
	assert_int_equal(rf_bag_open(&bag, bagdir), 0);
	assert_int_equal(rf_bag_entry_count(bag), 3);
	/* The packed folder is given by an absolute path: its last name. */
	e = rf_bag_entry_at(bag, 0);
	assert_string_equal(e->path, "data/ev/a.txt");
	rf_digest_buffer_hex(hex, RF_DIGEST_SHA256, "alpha\n", 6);
	assert_string_equal(e->sha256, hex);
	assert_non_null(rf_bag_entry_find(bag, "data/ev/sub/empty"));
	assert_null(rf_bag_entry_find(bag, "data/ev/nope"));
	assert_null(rf_bag_entry_at(bag, 3));
	assert_string_equal(rf_bag_info_get(bag, "payload-oxum"), "16.3");
	assert_string_equal(rf_bag_info_get(bag, "Bagging-Date"), "2025-09-17");
	assert_string_equal(rf_bag_info_get(bag, "Source-Organization"),
			    "DeepSeek-AI");
	assert_string_equal(rf_bag_info_get(bag, "Bag-Software-Agent"),
			    "referee/0.1.0");
	assert_int_equal(rf_bag_info_at(bag, 0, &label, &value), 0);
	assert_int_equal(
	    rf_bag_read_tag_file(&b, bag, RF_BAG_PROVENANCE, 1u << 20), 0);
	rf_digest_buffer_hex(hex, RF_DIGEST_SHA256, b.data, b.len);
	assert_string_equal(rf_bag_tag_sha256(bag, RF_BAG_PROVENANCE), hex);
	rf_buf_clear(&b);
	assert_int_equal(rf_bag_read_tag_file(&b, bag, "../etc/passwd", 100),
			 RF_EUNSAFE);
	assert_int_equal(rf_bag_read_tag_file(&b, bag, "data/ev/a.txt", 100),
			 RF_EINVAL);
	rf_buf_free(&b);
	rf_bag_free(bag);
	rf_bag_free(NULL);
}

static void test_verify_clean_and_tag_file(void **state)
{
	rf_bag_report *r;
	(void)state;
	pack_fresh();
	assert_int_equal(rf_bag_verify(&r, bagdir, NULL), 0);
	assert_int_equal(rf_bag_report_count(r), 0);
	assert_int_equal(rf_bag_report_files(r), 3);
	assert_true(rf_bag_report_bytes(r) == 16);
	rf_bag_report_free(r);
	/* A signature-like tag file keeps the bag valid... */
	assert_int_equal(
	    rf_bag_write_tag_file(bagdir, "referee/att.json", "{}", 2), 0);
	assert_int_equal(rf_bag_verify(&r, bagdir, NULL), 0);
	rf_bag_report_free(r);
	/* ...and replacing it too; outside referee/ is refused. */
	assert_int_equal(
	    rf_bag_write_tag_file(bagdir, "referee/att.json", "[1]", 3), 0);
	assert_int_equal(rf_bag_verify(&r, bagdir, NULL), 0);
	rf_bag_report_free(r);
	assert_int_equal(rf_bag_write_tag_file(bagdir, "bag-info.txt", "x", 1),
			 RF_EUNSAFE);
	assert_int_equal(rf_bag_write_tag_file(bagdir, "referee/../x", "x", 1),
			 RF_EUNSAFE);
	/* A tag file written behind the tag manifest's back is caught. */
	put(pathf("%s/referee/att.json", bagdir), "[2]");
	assert_int_equal(rf_bag_verify(&r, bagdir, NULL), RF_ECHECK);
	assert_int_equal(count_kind(r, RF_BAG_MISMATCH, "referee/att.json"), 1);
	rf_bag_report_free(r);
	/* A planted symlink must not redirect a tag file write outside. */
	{
		const char *outside = pathf("%s/outside", root);
		mkdir(outside, 0755);
		rf_dir_remove_tree(pathf("%s/referee", bagdir));
		assert_int_equal(symlink(outside, pathf("%s/referee", bagdir)),
				 0);
		assert_int_equal(
		    rf_bag_write_tag_file(bagdir, "referee/x.json", "{}", 2),
		    RF_EUNSAFE);
		assert_false(rf_path_exists(pathf("%s/x.json", outside)));
		unlink(pathf("%s/referee", bagdir));
		mkdir(pathf("%s/referee", bagdir), 0755);
		assert_int_equal(symlink(pathf("%s/x.json", outside),
					 pathf("%s/referee/y.json", bagdir)),
				 0);
		assert_int_equal(
		    rf_bag_write_tag_file(bagdir, "referee/y.json", "{}", 2),
		    RF_EUNSAFE);
		assert_false(rf_path_exists(pathf("%s/x.json", outside)));
		pack_fresh();
	}
	put(pathf("%s/referee/extra.json", bagdir), "{}");
	assert_int_equal(rf_bag_verify(&r, bagdir, NULL), RF_ECHECK);
	assert_int_equal(count_kind(r, RF_BAG_UNLISTED, "referee/extra.json"),
			 1);
	rf_bag_report_free(r);
}

struct hook_seen {
	int called;
	int fail;
};

static int hook(void *ctx, const char *tmp)
{
	struct hook_seen *h = ctx;
	rf_bag_report *r;
	int rc;
	h->called++;
	/* The bag is complete and valid when the hook runs. */
	rc = rf_bag_verify(&r, tmp, NULL);
	rf_bag_report_free(r);
	if (rc)
		return rc;
	if (h->fail)
		return rf_error_set(RF_ECHECK, "hook refused");
	/* Written directly: pack must cover it in the tag manifest. */
	put(pathf("%s/referee/attestation.dsse.json", tmp), "{\"sig\":1}");
	return 0;
}

static void test_hook_and_force(void **state)
{
	rf_pack_opts o = RF_PACK_OPTS_INIT;
	const char *paths[] = {src};
	struct hook_seen h = {0, 0};
	rf_bag_report *r;
	rf_bag *bag;
	(void)state;
	rf_dir_remove_tree(bagdir);
	o.before_commit = hook;
	o.before_commit_ctx = &h;
	assert_int_equal(rf_bag_pack(bagdir, paths, 1, &o), 0);
	assert_int_equal(h.called, 1);
	assert_int_equal(rf_bag_verify(&r, bagdir, NULL), 0);
	rf_bag_report_free(r);
	assert_int_equal(rf_bag_open(&bag, bagdir), 0);
	assert_non_null(
	    rf_bag_tag_sha256(bag, "referee/attestation.dsse.json"));
	rf_bag_free(bag);
	/* Existing OUT: refused without force; with force a failing hook
	 * leaves the old bag untouched. */
	assert_int_equal(rf_bag_pack(bagdir, paths, 1, &o), RF_EEXIST);
	o.force = 1;
	h.fail = 1;
	put(pathf("%s/a.txt", src), "alpha changed\n");
	assert_int_equal(rf_bag_pack(bagdir, paths, 1, &o), RF_ECHECK);
	assert_string_equal(rf_error_last(), "hook refused");
	assert_int_equal(rf_bag_verify(&r, bagdir, NULL), 0);
	rf_bag_report_free(r);
	assert_int_equal(rf_bag_open(&bag, bagdir), 0);
	assert_string_equal(rf_bag_info_get(bag, "Payload-Oxum"), "16.3");
	rf_bag_free(bag);
	/* With force and a good hook, the new bag replaces the old. */
	h.fail = 0;
	assert_int_equal(rf_bag_pack(bagdir, paths, 1, &o), 0);
	assert_int_equal(rf_bag_open(&bag, bagdir), 0);
	assert_string_equal(rf_bag_info_get(bag, "Payload-Oxum"), "24.3");
	rf_bag_free(bag);
	put(pathf("%s/a.txt", src), "alpha\n");
	/* force never replaces something that is not a bag. */
	mkdir(pathf("%s/notabag", root), 0755);
	put(pathf("%s/notabag/precious", root), "x");
	assert_int_equal(rf_bag_pack(pathf("%s/notabag", root), paths, 1, &o),
			 RF_EEXIST);
	assert_true(rf_path_exists(pathf("%s/notabag/precious", root)));
}

static void test_pack_refusals(void **state)
{
	rf_pack_opts o = RF_PACK_OPTS_INIT;
	const char *paths[1];
	char out[256];
	(void)state;
	snprintf(out, sizeof out, "%s/refused", root);
	put(pathf("%s/bad%%name", root), "x");
	paths[0] = pathf("%s/bad%%name", root);
	assert_int_equal(rf_bag_pack(out, paths, 1, &o), RF_EINVAL);
	assert_non_null(strstr(rf_error_last(), "CR, LF or '%'"));
	put(pathf("%s/bad\nname", root), "x");
	paths[0] = pathf("%s/bad\nname", root);
	assert_int_equal(rf_bag_pack(out, paths, 1, &o), RF_EINVAL);
	assert_int_equal(symlink("/etc/hostname", pathf("%s/link", root)), 0);
	paths[0] = pathf("%s/link", root);
	assert_int_equal(rf_bag_pack(out, paths, 1, &o), RF_EUNSAFE);
	assert_non_null(strstr(rf_error_last(), "--follow-symlinks"));
	assert_false(rf_path_exists(out));
	/* A cancelled pack fails and removes its temporary directory. */
	{
		static volatile sig_atomic_t stop = 1;
		const char *ok_paths[] = {src};
		o.cancel = &stop;
		assert_int_equal(rf_bag_pack(out, ok_paths, 1, &o),
				 RF_EINTERNAL);
		assert_string_equal(rf_error_last(), "interrupted");
		o.cancel = NULL;
	}
	assert_false(rf_path_exists(out));
	/* Nothing was left behind: no temporary sibling either. */
	{
		rf_buf b = RF_BUF_INIT;
		FILE *p;
		char line[256] = "";
		rf_buf_printf(&b, "ls -d %s/refused.tmp-* 2>/dev/null", root);
		p = popen(b.data, "r");
		assert_non_null(p);
		assert_null(fgets(line, sizeof line, p));
		pclose(p);
		rf_buf_free(&b);
	}
}

/* Write text over a bag file (as an attacker would). */
static void tamper(const char *rel, const char *text)
{
	put(pathf("%s/%s", bagdir, rel), text);
}

static void test_verify_problems(void **state)
{
	rf_bag_report *r;
	(void)state;
	pack_fresh();
	tamper("data/ev/a.txt", "alphA\n"); /* same size, new bytes */
	unlink(pathf("%s/data/ev/sub/b.txt", bagdir)); /* deleted */
	tamper("data/ev/planted", "evil");	       /* unlisted */
	assert_int_equal(rf_bag_verify(&r, bagdir, NULL), RF_ECHECK);
	assert_int_equal(count_kind(r, RF_BAG_MISMATCH, "data/ev/a.txt"), 1);
	assert_int_equal(count_kind(r, RF_BAG_MISSING, "data/ev/sub/b.txt"), 1);
	assert_int_equal(count_kind(r, RF_BAG_UNLISTED, "data/ev/planted"), 1);
	assert_int_equal(count_kind(r, RF_BAG_OXUM, NULL), 1);
	rf_bag_report_free(r);

	/* Hostile manifest lines: each reported, none opened. */
	pack_fresh();
	{
		FILE *f = fopen(pathf("%s/manifest-sha256.txt", bagdir), "a");
		const char *h = "0000000000000000000000000000000000000000000000"
				"000000000000000000";
		fprintf(f,
			"%s  /etc/passwd\n%s  data/../../etc/passwd\n%s  "
			"bagit.txt\n"
			"nonsense\n%s  data/x%%0Ay\n",
			h, h, h, h);
		fclose(f);
	}
	assert_int_equal(rf_bag_verify(&r, bagdir, NULL), RF_ECHECK);
	assert_int_equal(count_kind(r, RF_BAG_UNSAFE, "/etc/passwd"), 1);
	assert_int_equal(count_kind(r, RF_BAG_UNSAFE, "data/../../etc/passwd"),
			 1);
	assert_int_equal(count_kind(r, RF_BAG_UNSAFE, "bagit.txt"), 1);
	assert_int_equal(count_kind(r, RF_BAG_UNSAFE, "data/x?y"), 1);
	assert_int_equal(count_kind(r, RF_BAG_MALFORMED, "manifest-sha256.txt"),
			 1);
	/* The edited manifest no longer matches the tag manifest either. */
	assert_int_equal(count_kind(r, RF_BAG_MISMATCH, "manifest-sha256.txt"),
			 1);
	rf_bag_report_free(r);

	/* An escaping symlink in the payload. */
	pack_fresh();
	assert_int_equal(
	    symlink("/etc/passwd", pathf("%s/data/ev/esc", bagdir)), 0);
	assert_int_equal(rf_bag_verify(&r, bagdir, NULL), RF_ECHECK);
	assert_int_equal(count_kind(r, RF_BAG_UNSAFE, "data/ev/esc"), 1);
	rf_bag_report_free(r);

	/* A listed file replaced by a symlink to outside is never read. */
	pack_fresh();
	unlink(pathf("%s/data/ev/a.txt", bagdir));
	assert_int_equal(
	    symlink(pathf("%s/a.txt", src), pathf("%s/data/ev/a.txt", bagdir)),
	    0);
	assert_int_equal(rf_bag_verify(&r, bagdir, NULL), RF_ECHECK);
	assert_int_equal(count_kind(r, RF_BAG_UNSAFE, "data/ev/a.txt"), 1);
	assert_int_equal(count_kind(r, RF_BAG_MISMATCH, "data/ev/a.txt"), 0);
	rf_bag_report_free(r);

	/* Not a bag at all / malformed declaration. */
	pack_fresh();
	tamper("bagit.txt",
	       "BagIt-Version: 9.9\nTag-File-Character-Encoding: UTF-8\n");
	assert_int_equal(rf_bag_verify(&r, bagdir, NULL), RF_EFORMAT);
	assert_int_equal(count_kind(r, RF_BAG_MALFORMED, "bagit.txt"), 1);
	rf_bag_report_free(r);
	unlink(pathf("%s/bagit.txt", bagdir));
	assert_int_equal(rf_bag_verify(&r, bagdir, NULL), RF_EFORMAT);
	rf_bag_report_free(r);
	assert_int_equal(rf_bag_verify(&r, pathf("%s/none", root), NULL),
			 RF_ENOTFOUND);
	assert_null(r);
}

/* Hostile-input sweep: random byte flips, insertions and truncations of
 * every file a bag holds.  Every change to a file the tag manifest covers
 * (or to the payload) must fail verification; changes to the tag manifest
 * itself must at least never crash (ASan/UBSan in CI).  Deterministic. */
static uint64_t rng = 0x9e3779b97f4a7c15u;
static uint64_t next_rand(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

/* No fsync: hundreds of rewrites must stay quick. */
static void put_bytes(const char *path, const char *data, size_t len)
{
	FILE *f = fopen(path, "wb");
	assert_non_null(f);
	assert_int_equal(fwrite(data, 1, len, f), len);
	assert_int_equal(fclose(f), 0);
}

static void test_mutations(void **state)
{
	static const char *const files[] = {
	    "manifest-sha256.txt",     "bag-info.txt",	"bagit.txt",
	    "referee/provenance.json", "data/ev/a.txt", "data/ev/sub/b.txt",
	    "tagmanifest-sha256.txt"};
	int failures_seen = 0, survivors = 0;
	(void)state;
	pack_fresh();
	for (int iter = 0; iter < 420; iter++) {
		size_t f = (size_t)iter % (sizeof files / sizeof files[0]);
		const char *path = pathf("%s/%s", bagdir, files[f]);
		rf_buf orig = RF_BUF_INIT, mut = RF_BUF_INIT;
		rf_bag_report *r = NULL;
		int rc, how = (int)(next_rand() % 3);
		assert_int_equal(rf_file_read(&orig, path, 1u << 20), 0);
		rf_buf_append(&mut, orig.data ? orig.data : "", orig.len);
		if (how == 0 && mut.len) { /* flip bits of one byte */
			size_t at = next_rand() % mut.len;
			mut.data[at] ^= (char)(1 + next_rand() % 255);
		} else if (how == 1 && mut.len) { /* truncate */
			mut.len = next_rand() % mut.len;
		} else { /* insert a byte, sometimes a hostile one */
			static const char ins[] = "\n\r\t /.%\0a0";
			size_t at = mut.len ? next_rand() % (mut.len + 1) : 0;
			char c = ins[next_rand() % (sizeof ins - 1)];
			rf_buf_grow(&mut, 1);
			memmove(mut.data + at + 1, mut.data + at, mut.len - at);
			mut.data[at] = c;
			mut.len++;
		}
		put_bytes(path, mut.data, mut.len);
		rc = rf_bag_verify(&r, bagdir, NULL);
		if (strcmp(files[f], "tagmanifest-sha256.txt") != 0) {
			if (rc == 0)
				fail_msg("mutation %d of '%s' (%d) passed "
					 "verification",
					 iter, files[f], how);
			assert_non_null(r);
			assert_true(rf_bag_report_count(r) > 0);
			failures_seen++;
		} else if (rc == 0) {
			survivors++; /* e.g. a tab for a space: still the same
					lines */
		}
		rf_bag_report_free(r);
		put_bytes(path, orig.data ? orig.data : "", orig.len);
		rf_buf_free(&orig);
		rf_buf_free(&mut);
	}
	assert_int_equal(failures_seen, 360);
	assert_true(survivors < 60);
	/* Restored: the bag is whole again. */
	{
		rf_bag_report *r;
		assert_int_equal(rf_bag_verify(&r, bagdir, NULL), 0);
		rf_bag_report_free(r);
	}
}

/* Digests the caller already read from disk (rf_verify_opts.known) stand
 * in for reading those files again: a file changed on disk after the
 * caller read it is not re-read (the caller's read is what counts), and a
 * known digest that disagrees with the manifest is a mismatch even though
 * the file itself still matches. */
static void test_verify_known_digests(void **state)
{
	rf_verify_opts o = RF_VERIFY_OPTS_INIT;
	rf_bag_known_digest k[2];
	rf_bag_report *r;
	(void)state;
	pack_fresh();
	memset(k, 0, sizeof k);
	k[0].path = "data/ev/a.txt";
	rf_digest_buffer_hex(k[0].sha256, RF_DIGEST_SHA256, "alpha\n", 6);
	k[0].size = 6;
	k[1].path = "data/ev/sub/b.txt";
	rf_digest_buffer_hex(k[1].sha256, RF_DIGEST_SHA256, "beta beta\n", 10);
	k[1].size = 10;
	o.known = k;
	o.nknown = 2;
	assert_int_equal(rf_bag_verify(&r, bagdir, &o), 0);
	assert_int_equal(rf_bag_report_files(r), 3);
	assert_true(rf_bag_report_bytes(r) == 16);
	rf_bag_report_free(r);

	/* Same size, other bytes, after the caller's read: not read again. */
	put(pathf("%s/data/ev/a.txt", bagdir), "ALPHA\n");
	assert_int_equal(rf_bag_verify(&r, bagdir, &o), 0);
	rf_bag_report_free(r);
	/* ...while without known digests it is read and caught. */
	assert_int_equal(rf_bag_verify(&r, bagdir, NULL), RF_ECHECK);
	assert_int_equal(count_kind(r, RF_BAG_MISMATCH, "data/ev/a.txt"), 1);
	rf_bag_report_free(r);
	put(pathf("%s/data/ev/a.txt", bagdir), "alpha\n");

	/* What the caller read differs from the manifest: a mismatch. */
	rf_digest_buffer_hex(k[1].sha256, RF_DIGEST_SHA256, "beta beta!\n", 11);
	assert_int_equal(rf_bag_verify(&r, bagdir, &o), RF_ECHECK);
	assert_int_equal(rf_bag_report_count(r), 1);
	assert_int_equal(count_kind(r, RF_BAG_MISMATCH, "data/ev/sub/b.txt"), 1);
	rf_bag_report_free(r);
}

static void test_report(void **state)
{
	rf_bag_report *r;
	(void)state;
	assert_int_equal(rf_bag_report_new(&r), 0);
	assert_int_equal(rf_bag_report_status(r), 0);
	rf_bag_report_add(r, RF_BAG_MALFORMED, "x", "bad %d", 1);
	assert_int_equal(rf_bag_report_status(r), RF_EFORMAT);
	rf_bag_report_add(r, RF_BAG_SIGNATURE, "referee/a\nb", "forged");
	assert_int_equal(rf_bag_report_status(r), RF_ECHECK);
	assert_string_equal(rf_bag_report_at(r, 1)->path, "referee/a?b");
	assert_string_equal(rf_bag_problem_kind_name(RF_BAG_SIGNATURE),
			    "signature");
	assert_null(rf_bag_report_at(r, 2));
	rf_bag_report_free(r);
	rf_bag_report_free(NULL);
}

/* Issue 11: bag-info.txt's folded continuation lines rebuilt the whole
 * value at every line (a 1.2 MB folded value took more than 5 minutes in
 * rf_bag_open, before any signature check).  10^6 continuation lines, a
 * 5 MB value, and a 10^6-line manifest must open (in linear time: the old
 * parser does not finish this test). */
static void test_linear_tag_files(void **state)
{
	(void)state;
	rf_bag *b = NULL;
	FILE *f;
	const char *v;
	pack_fresh();
	f = fopen(pathf("%s/bag-info.txt", bagdir), "wb");
	assert_non_null(f);
	fputs("Bagging-Date: 2025-09-17\nExternal-Description: x\n", f);
	for (int i = 0; i < 1000000; i++)
		fputs(" abcd\n", f);
	fputs("Source-Organization: after\n", f);
	fclose(f);
	assert_int_equal(rf_bag_open(&b, bagdir), 0);
	v = rf_bag_info_get(b, "External-Description");
	assert_non_null(v);
	assert_int_equal(strlen(v), 1 + 1000000 * 5);
	assert_memory_equal(v, "x abcd abcd", 11);
	assert_string_equal(rf_bag_info_get(b, "Source-Organization"), "after");
	rf_bag_free(b);

	pack_fresh();
	f = fopen(pathf("%s/manifest-sha256.txt", bagdir), "wb");
	assert_non_null(f);
	for (int i = 1000000; i-- > 0;)
		fprintf(f, "%064d  data/f%07d\n", 0, i);
	fclose(f);
	assert_int_equal(rf_bag_open(&b, bagdir), 0);
	assert_int_equal(rf_bag_entry_count(b), 1000000);
	assert_string_equal(rf_bag_entry_at(b, 0)->path, "data/f0000000");
	rf_bag_free(b);
}

/* bagit.txt declares the tag files UTF-8: a Latin-1 bag-info is malformed
 * (it made signing fail with "out of memory" in the JSON encoder). */
static void test_bag_info_utf8(void **state)
{
	(void)state;
	rf_bag *b = NULL;
	pack_fresh();
	put(pathf("%s/bag-info.txt", bagdir),
	    "Bagging-Date: 2025-09-17\nSource-Organization: Universit\xe9\n");
	assert_int_equal(rf_bag_open(&b, bagdir), RF_EFORMAT);
	assert_non_null(strstr(rf_error_last(), "line 2: not valid UTF-8"));
	assert_null(b);
}

/* A report keeps at most RF_BAG_MAX_PROBLEMS problems; the rest are
 * counted and still decide the status (bounded memory on hostile bags). */
static void test_report_cap(void **state)
{
	(void)state;
	rf_bag_report *r = NULL;
	assert_int_equal(rf_bag_report_new(&r), 0);
	for (int i = 0; i < RF_BAG_MAX_PROBLEMS + 5; i++)
		assert_int_equal(rf_bag_report_add(r, RF_BAG_MALFORMED, "x", "line %d", i), 0);
	assert_int_equal(rf_bag_report_count(r), RF_BAG_MAX_PROBLEMS);
	assert_int_equal(rf_bag_report_dropped(r), 5);
	assert_int_equal(rf_bag_report_status(r), RF_EFORMAT);
	assert_int_equal(rf_bag_report_add(r, RF_BAG_MISMATCH, "y", "dropped, yet"), 0);
	assert_int_equal(rf_bag_report_status(r), RF_ECHECK);
	rf_bag_report_free(r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_pack_open),
	    cmocka_unit_test(test_verify_clean_and_tag_file),
	    cmocka_unit_test(test_hook_and_force),
	    cmocka_unit_test(test_pack_refusals),
	    cmocka_unit_test(test_verify_problems),
	    cmocka_unit_test(test_mutations),
	    cmocka_unit_test(test_verify_known_digests),
	    cmocka_unit_test(test_report),
	    cmocka_unit_test(test_linear_tag_files),
	    cmocka_unit_test(test_bag_info_utf8),
	    cmocka_unit_test(test_report_cap),
	};
	return cmocka_run_group_tests_name("bag", tests, setup, teardown);
}
