/* libFuzzer harness: a bag's tag files and the verification of a small
 * signed bag.  The first input byte picks the file the rest replaces
 * (bag-info.txt, manifest-sha256.txt, tagmanifest-sha256.txt, bagit.txt,
 * the DSSE envelope, the Sigstore bundle); then rf_bag_open, rf_bag_verify
 * and rf_bundle_verify (with a trust list) run, and the file is restored. */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "referee/referee.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const files[] = {
	"bag-info.txt", "manifest-sha256.txt", "tagmanifest-sha256.txt",
	"bagit.txt", RF_ATTEST_DSSE, RF_ATTEST_SIGSTORE,
};
#define NFILES (sizeof files / sizeof files[0])
static char root[64], bag[96];
static rf_buf orig[NFILES];
static rf_trust *trust;
static rf_key *key;

static void put(const char *path, const void *data, size_t len)
{
	FILE *f = fopen(path, "wb");
	if (!f || (len && fwrite(data, 1, len, f) != len) || fclose(f))
		abort();
}

static int sign_hook(void *ctx, const char *dir)
{
	(void)ctx;
	return rf_attest_bag(dir, key);
}

static void cleanup(void)
{
	rf_dir_remove_tree(root);
}

static void init(void)
{
	rf_pack_opts o = RF_PACK_OPTS_INIT;
	char src[128], p[160];
	const char *paths[1];
	if (trust)
		return;
	snprintf(root, sizeof root, "/tmp/rf-fuzz-bag-XXXXXX");
	if (!mkdtemp(root))
		abort();
	atexit(cleanup);
	snprintf(src, sizeof src, "%s/ev", root);
	snprintf(bag, sizeof bag, "%s/bag", root);
	mkdir(src, 0755);
	snprintf(p, sizeof p, "%s/a.txt", src);
	put(p, "alpha\n", 6);
	snprintf(p, sizeof p, "%s/m.yaml", src);
	put(p, "kind: claims\nschema: 1\nclaims: []\n", 34);
	if (rf_key_generate(&key) || rf_trust_new(&trust) || rf_trust_add(trust, "fuzz", key))
		abort();
	paths[0] = src;
	o.threads = 1;
	o.bagging_date = "2025-01-01";
	o.external_identifier = "fuzz";
	o.before_commit = sign_hook;
	if (rf_bag_pack(bag, paths, 1, &o))
		abort();
	for (size_t i = 0; i < NFILES; i++) {
		rf_buf path = RF_BUF_INIT;
		if (rf_path_join(&path, bag, files[i]) || rf_file_read(&orig[i], path.data, 1 << 20))
			abort();
		rf_buf_free(&path);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	rf_buf path = RF_BUF_INIT;
	rf_bag *b = NULL;
	rf_bag_report *r = NULL;
	rf_bundle_result *res = NULL;
	rf_bundle_opts o = RF_BUNDLE_OPTS_INIT;
	size_t which;
	init();
	if (size < 1)
		return 0;
	which = data[0] % NFILES;
	if (rf_path_join(&path, bag, files[which]))
		abort();
	put(path.data, data + 1, size - 1);
	if (rf_bag_open(&b, bag) == 0) {
		for (size_t i = 0; i < rf_bag_info_count(b); i++) {
			const char *l, *v;
			rf_bag_info_at(b, i, &l, &v);
		}
		rf_bag_free(b);
	}
	rf_bag_verify(&r, bag, NULL);
	rf_bag_report_free(r);
	o.trust = trust;
	o.threads = 1;
	o.expect_id = "fuzz";
	rf_bundle_verify(&res, bag, &o);
	rf_bundle_result_free(res);
	put(path.data, orig[which].data, orig[which].len);
	rf_buf_free(&path);
	return 0;
}
