/* Unit tests for lib/provenance: credentials stripped from remote URLs,
 * provenance JSON parsed strictly. (Git repositories:
 * tests/cli/test_bag_git.sh.) */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "referee/referee.h"

static void strip(const char *in, const char *want)
{
	rf_buf b = RF_BUF_INIT;
	assert_int_equal(rf_provenance_strip_url(&b, in), 0);
	assert_string_equal(b.data, want);
	rf_buf_free(&b);
}

static void test_strip_url(void **state)
{
	(void)state;
	strip("https://github.com/deepseek-ai/DeepSeek-R1.git",
	      "https://github.com/deepseek-ai/DeepSeek-R1.git");
	strip("https://user:ghp_SECRET@github.com/a/b.git",
	      "https://github.com/a/b.git");
	strip("https://x-access-token:tok@en@github.com/a/b",
	      "https://github.com/a/b");
	strip("https://oauth2@gitlab.example.org:8443/g/p.git",
	      "https://gitlab.example.org:8443/g/p.git");
	strip("https://host/p.git?access_token=SECRET#frag",
	      "https://host/p.git");
	strip("ssh://git:pw@host:22/p.git", "ssh://host:22/p.git");
	strip("git@github.com:a/b.git", "git@github.com:a/b.git");
	strip("alice:secret@host:a/b.git", "host:a/b.git");
	strip("/srv/git/project.git", "/srv/git/project.git");
	strip("../sibling", "../sibling");
}

static const char good[] =
    "{\"schema\": \"referee.provenance/1\", \"source\": \"worktree\",\n"
    " \"git\": {\"commit\": \"0123456789abcdef0123456789abcdef01234567\",\n"
    "  \"branch\": \"main\", \"dirty\": true,\n"
    "  \"remotes\": [{\"name\": \"origin\", \"url\": \"https://h/r.git\"}]},\n"
    " \"files\": [{\"path\": \"data/a\", \"sha256\": \"00\", \"repo_path\": "
    "\"a\",\n"
    "  \"blob\": \"ff\", \"matches_head\": false},\n"
    "  {\"path\": \"data/b\", \"repo_path\": null, \"matches_commit\": true}]}";

static void test_parse(void **state)
{
	rf_provenance *p;
	const char *n, *u;
	(void)state;
	assert_int_equal(rf_provenance_parse(&p, good, strlen(good), "p.json"),
			 0);
	assert_string_equal(rf_provenance_source(p), "worktree");
	assert_string_equal(rf_provenance_commit(p),
			    "0123456789abcdef0123456789abcdef01234567");
	assert_string_equal(rf_provenance_branch(p), "main");
	assert_null(rf_provenance_rev(p));
	assert_int_equal(rf_provenance_dirty(p), 1);
	assert_int_equal(rf_provenance_remote_count(p), 1);
	assert_int_equal(rf_provenance_remote_at(p, 0, &n, &u), 0);
	assert_string_equal(u, "https://h/r.git");
	assert_int_equal(rf_provenance_file_count(p), 2);
	assert_string_equal(rf_provenance_file_at(p, 0)->repo_path, "a");
	assert_int_equal(rf_provenance_file_at(p, 0)->matches, 0);
	assert_null(rf_provenance_file_at(p, 1)->repo_path);
	assert_int_equal(rf_provenance_file_at(p, 1)->matches, 1);
	assert_null(rf_provenance_file_at(p, 2));
	assert_string_equal(rf_provenance_file_find(p, "data/b")->path,
			    "data/b");
	assert_string_equal(rf_provenance_file_find(p, "data/a")->blob, "ff");
	assert_null(rf_provenance_file_find(p, "data/c"));
	rf_provenance_free(p);
	rf_provenance_free(NULL);

	assert_int_equal(
	    rf_provenance_parse(&p, "{\"schema\": 1", 12, "p.json"),
	    RF_EFORMAT);
	assert_non_null(strstr(rf_error_last(), "p.json:1:"));
	assert_int_equal(
	    rf_provenance_parse(&p, "{\"schema\": \"x\", \"files\": []}", 28,
				"p.json"),
	    RF_EFORMAT);
	const char dup[] = "{\"schema\": \"referee.provenance/1\", \"schema\": "
			   "\"referee.provenance/1\", \"files\": []}";
	assert_int_equal(rf_provenance_parse(&p, dup, strlen(dup), "p.json"),
			 RF_EFORMAT);
	const char twice[] =
	    "{\"schema\": \"referee.provenance/1\", \"files\": "
	    "[{\"path\": \"data/a\"}, {\"path\": \"data/a\"}]}";
	assert_int_equal(
	    rf_provenance_parse(&p, twice, strlen(twice), "p.json"),
	    RF_EFORMAT);
	const char nofiles[] = "{\"schema\": \"referee.provenance/1\"}";
	assert_int_equal(
	    rf_provenance_parse(&p, nofiles, strlen(nofiles), "p.json"),
	    RF_EFORMAT);
	const char badgit[] =
	    "{\"schema\": \"referee.provenance/1\", \"git\": 3, \"files\": []}";
	assert_int_equal(
	    rf_provenance_parse(&p, badgit, strlen(badgit), "p.json"),
	    RF_EFORMAT);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_strip_url),
	    cmocka_unit_test(test_parse),
	};
	return cmocka_run_group_tests_name("provenance", tests, NULL, NULL);
}
