/* Unit tests for lib/review and the pieces a real repository's bundle
 * needs: rf_manifest_sniff (referee manifest or other YAML),
 * rf_claims_env_resolve (anywhere inside the payload, never outside), and
 * rf_review_run's document and renderers on a plain folder. */
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

static char tmp[64];

static void put(const char *rel, const char *text)
{
	char p[512];
	FILE *f;
	snprintf(p, sizeof p, "%s/%s", tmp, rel);
	f = fopen(p, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static int setup(void **state)
{
	(void)state;
	strcpy(tmp, "/tmp/referee-unit-review-XXXXXX");
	assert_non_null(mkdtemp(tmp));
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	rf_dir_remove_tree(tmp);
	return 0;
}

static int sniff(const char *text)
{
	char p[512];
	put("s.yaml", text);
	snprintf(p, sizeof p, "%s/s.yaml", tmp);
	return rf_manifest_sniff(p);
}

static void test_sniff(void **state)
{
	(void)state;
	assert_int_equal(sniff("kind: claims\nschema: 1\nclaims: []\n"), 1);
	assert_int_equal(sniff("# a comment\nkind: \"cost-ledger\"  # x\n"), 1);
	assert_int_equal(sniff("kind: claimz\nschema: 1\n"), 1);        /* misspelt: still ours */
	assert_int_equal(sniff("kind: claims\nclaims: [\n"), 1);        /* malformed: still ours */
	assert_int_equal(sniff("model_name_or_path: Qwen\nseed: 42\n"), 0);
	assert_int_equal(sniff("apiVersion: batch/v1\nkind: Job\n"), 0); /* not a referee kind */
	assert_int_equal(sniff("spec:\n  kind: claims\n"), 0);          /* not top level */
	assert_int_equal(sniff("a: !!python/tuple [1, 2]\n---\nb: 1\n"), 0);
	assert_true(rf_manifest_sniff("/nonexistent/x.yaml") < 0);
}

/* A source that resolves its `file:` and reports the result in explain. */
static int resolve_derive(void *ctx, const rf_claims_env *env, const rf_node *params,
			  rf_derivation *out, rf_buf *explain)
{
	const char *rel;
	rf_buf p = RF_BUF_INIT;
	int rc;
	(void)ctx;
	if ((rc = rf_node_get_string(&rel, params, "file")))
		return rc;
	rc = rf_claims_env_resolve(&p, env, rel, "from.file");
	if (!rc)
		rf_buf_printf(explain, "resolved %s", p.data);
	rf_buf_free(&p);
	if (rc) { /* unverifiable, with the message (copied: it is rf_error_last's) */
		char why[512];
		snprintf(why, sizeof why, "%s", rf_error_last());
		return rf_error_set(RF_ENOTFOUND, "%s", why);
	}
	rf_figure_parse(&out->figure, "1", NULL);
	return 0;
}

static const rf_claim_result *check_with(const char *root, const char *dir, const char *file,
					 rf_check **cp)
{
	static const rf_claims_source src = {"resolve", resolve_derive, NULL};
	char yaml[512], p[512];
	snprintf(yaml, sizeof yaml,
		 "kind: claims\nschema: 1\nclaims:\n  - id: a\n    claimed: 1\n"
		 "    from: {source: resolve, file: \"%s\"}\n", file);
	snprintf(p, sizeof p, "%s/claims.yaml", dir);
	{
		FILE *f = fopen(p, "w");
		assert_non_null(f);
		fputs(yaml, f);
		fclose(f);
	}
	assert_int_equal(rf_check_new(cp, NULL), 0);
	assert_int_equal(rf_check_add_source(*cp, &src), 0);
	assert_int_equal(rf_check_set_root(*cp, root), 0);
	assert_int_equal(rf_check_load_dir(*cp, dir), 0);
	assert_int_equal(rf_check_run(*cp), 0);
	return rf_check_result(*cp, 0);
}

static void test_resolve(void **state)
{
	char data[256], m[256], out[256];
	rf_check *c = NULL;
	const rf_claim_result *r;
	(void)state;
	snprintf(data, sizeof data, "%s/data", tmp);
	snprintf(m, sizeof m, "%s/data/paper/m", tmp);
	snprintf(out, sizeof out, "%s/data/outputs", tmp);
	mkdir(data, 0755);
	snprintf(m, sizeof m, "%s/data/paper", tmp);
	mkdir(m, 0755);
	snprintf(m, sizeof m, "%s/data/paper/m", tmp);
	mkdir(m, 0755);
	mkdir(out, 0755);

	r = check_with(data, m, "../../outputs/x.jsonl", &c);
	assert_int_equal(r->verdict, RF_VERDICT_CONFIRMED);
	assert_non_null(strstr(r->explain, "data/outputs/x.jsonl"));
	rf_check_free(c);

	r = check_with(data, m, "./sub/../y.jsonl", &c);
	assert_non_null(strstr(r->explain, "data/paper/m/y.jsonl"));
	rf_check_free(c);

	r = check_with(data, m, "../../../secret", &c); /* leaves data/ */
	assert_int_equal(r->verdict, RF_VERDICT_UNVERIFIABLE);
	if (!strstr(r->reason, "leaves the payload"))
		fail_msg("reason: %s", r->reason);
	rf_check_free(c);

	r = check_with(data, m, "/etc/passwd", &c);
	assert_non_null(strstr(r->reason, "absolute path"));
	rf_check_free(c);

	/* a symlink inside the payload that leads out of it */
	{
		char link[300];
		snprintf(link, sizeof link, "%s/escape", out);
		assert_int_equal(symlink("/etc", link), 0);
	}
	r = check_with(data, m, "../../outputs/escape/passwd", &c);
	assert_non_null(strstr(r->reason, "outside the payload"));
	rf_check_free(c);

	/* without a root, the manifests' folder is the limit */
	r = check_with(NULL, m, "../x.jsonl", &c);
	assert_non_null(strstr(r->reason, "leaves the payload"));
	rf_check_free(c);
}

static void test_review_folder(void **state)
{
	rf_review_opts o = RF_REVIEW_OPTS_INIT;
	rf_review *r = NULL;
	rf_buf b = RF_BUF_INIT;
	(void)state;
	put("ledger.yaml", "kind: claims\nschema: 1\nclaims:\n  - id: \"<b>x</b>\"\n    claimed: 2\n"
			   "    from: {source: claim, claim: y}\n  - id: y\n    claimed: 3\n"
			   "    from: {source: claim, claim: \"<b>x</b>\"}\n");
	put("framework.yaml", "lr: 0.1\n");
	o.no_hw = 1;
	o.replay = RF_REVIEW_REPLAY_SKIP;
	assert_int_equal(rf_review_run(&r, tmp, &o), 0);
	assert_int_equal(rf_review_exit(r), 1); /* 2 and 3 cannot both hold */
	assert_string_equal(rf_review_verdict(r), "FAIL");
	assert_int_equal(rf_review_render(&b, r, RF_REVIEW_JSON), 0);
	assert_non_null(strstr(b.data, "\"verdict\": \"FAIL\""));
	assert_non_null(strstr(b.data, "framework.yaml"));
	assert_non_null(strstr(b.data, "no integrity or signature check ran"));
	rf_buf_clear(&b);
	assert_int_equal(rf_review_render(&b, r, RF_REVIEW_HTML), 0);
	assert_null(strstr(b.data, "<b>x</b>"));
	assert_non_null(strstr(b.data, "&lt;b&gt;x&lt;/b&gt;"));
	rf_buf_clear(&b);
	assert_int_equal(rf_review_render(&b, r, RF_REVIEW_JUNIT), 0);
	assert_non_null(strstr(b.data, "<failure"));
	rf_buf_clear(&b);
	assert_int_equal(rf_review_render(&b, r, RF_REVIEW_MARKDOWN), 0);
	assert_non_null(strstr(b.data, "| integrity |"));
	assert_int_not_equal(rf_review_render(&b, r, (rf_review_format)99), 0);
	rf_review_free(r);

	/* a missing path is a review too: exit 2 with the error */
	assert_int_equal(rf_review_run(&r, "/nonexistent/bundle", &o), 0);
	assert_int_equal(rf_review_exit(r), 2);
	rf_buf_clear(&b);
	assert_int_equal(rf_review_render(&b, r, RF_REVIEW_JSON), 0);
	assert_non_null(strstr(b.data, "\"error\": \"'/nonexistent/bundle': no such bag or folder\""));
	rf_review_free(r);
	rf_review_free(NULL);
	rf_buf_free(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_sniff, setup, teardown),
		cmocka_unit_test_setup_teardown(test_resolve, setup, teardown),
		cmocka_unit_test_setup_teardown(test_review_folder, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
