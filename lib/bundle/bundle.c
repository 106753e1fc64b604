/* Verify a bundle exactly as `referee verify` does, once, for every verb:
 * the attestation first (statement against the files even without a trust
 * list), then the BagIt checks, provenance, repository and identifier, and
 * a plain one-line summary that never hides an unsigned bag. */
#include <dirent.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "referee/buf.h"
#include "referee/bundle.h"
#include "referee/error.h"
#include "referee/path.h"

const char *rf_bundle_signing_name(rf_bundle_signing s)
{
	switch (s) {
	case RF_BUNDLE_UNSIGNED: return "unsigned";
	case RF_BUNDLE_SIGNED_UNCHECKED: return "signed, not checked against a trusted key";
	case RF_BUNDLE_SIGNED_UNTRUSTED: return "signed, but not by enough trusted keys";
	case RF_BUNDLE_SIGNED_TRUSTED: return "signed by trusted keys";
	}
	return "unknown";
}

void rf_bundle_result_free(rf_bundle_result *r)
{
	if (!r)
		return;
	for (size_t i = 0; i < r->nextras; i++)
		free(r->extras[i].path);
	free(r->extras);
	free(r->reason);
	free(r->summary);
	rf_attest_result_free(&r->attest);
	rf_bag_report_free(r->report);
	rf_provenance_free(r->provenance);
	rf_bag_free(r->bag);
	free(r);
}

/* What the bag says about itself (tag files, provenance); errors here are
 * already problems of the report, so they are not repeated. */
static void load_about(rf_bundle_result *r, const char *dir)
{
	rf_buf text = RF_BUF_INIT;
	if (rf_bag_open(&r->bag, dir) == 0) {
		if (rf_bag_read_tag_file(&text, r->bag, RF_BAG_PROVENANCE,
					 RF_BAG_MAX_MANIFEST) == 0)
			rf_provenance_parse(&r->provenance, text.data ? text.data : "",
					    text.len, RF_BAG_PROVENANCE);
		r->external_id = rf_bag_info_get(r->bag, "External-Identifier");
	}
	rf_buf_free(&text);
	rf_error_clear();
}

static int set_reason(rf_bundle_result *r, const char *msg)
{
	free(r->reason);
	r->reason = strdup(msg ? msg : "");
	return r->reason ? 0 : RF_ENOMEM;
}

static int add_extra(rf_bundle_result *r, const char *path, const char *why)
{
	if (r->nextras >= RF_BUNDLE_MAX_EXTRAS) {
		r->nextras_more++;
		return 0;
	}
	if (!(r->nextras & (r->nextras - 1))) { /* 0, 1, 2, 4, ...: grow */
		size_t cap = r->nextras ? r->nextras * 2 : 1;
		rf_bundle_extra *v = realloc(r->extras, cap * sizeof *v);
		if (!v)
			return RF_ENOMEM;
		r->extras = v;
	}
	if (!(r->extras[r->nextras].path = strdup(path)))
		return RF_ENOMEM;
	r->extras[r->nextras++].why = why;
	return 0;
}

/* A manifest file name's algorithm, or NULL when `name` is no manifest. */
static const char *manifest_alg(const char *name)
{
	const char *p = !strncmp(name, "manifest-", 9)	     ? name + 9
			: !strncmp(name, "tagmanifest-", 12) ? name + 12
							     : NULL;
	size_t n = p ? strlen(p) : 0;
	return p && n > 4 && !strcmp(p + n - 4, ".txt") ? p : NULL;
}

/* Files under referee/ (relative `rel`), depth-first, without following
 * symlinks; what is not the provenance or the attestation is an extra. */
static int walk_referee(rf_bundle_result *r, int parent, const char *name,
			const char *rel, int depth)
{
	int fd, rc = 0;
	DIR *d;
	struct dirent *e;
	if (depth > RF_BAG_MAX_DEPTH)
		return add_extra(r, rel, "nested too deep to list");
	fd = openat(parent, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0 || !(d = fdopendir(fd))) {
		if (fd >= 0)
			close(fd);
		return 0; /* the BagIt checks report what cannot be read */
	}
	while (!rc && (e = readdir(d)) != NULL) {
		rf_buf child = RF_BUF_INIT;
		struct stat st;
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		if (rf_path_join(&child, rel, e->d_name)) {
			rc = RF_ENOMEM;
		} else if (fstatat(dirfd(d), e->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
			   S_ISDIR(st.st_mode)) {
			rc = walk_referee(r, dirfd(d), e->d_name, child.data, depth + 1);
		} else if (strcmp(child.data, RF_BAG_PROVENANCE) &&
			   strcmp(child.data, RF_ATTEST_DSSE) &&
			   strcmp(child.data, RF_ATTEST_SIGSTORE)) {
			rc = add_extra(r, child.data, "no signature covers it");
		}
		rf_buf_free(&child);
	}
	closedir(d);
	return rc;
}

static int cmp_extra(const void *a, const void *b)
{
	return strcmp(((const rf_bundle_extra *)a)->path, ((const rf_bundle_extra *)b)->path);
}

/* The bag's own files outside data/ that nothing vouches for. */
static int find_extras(rf_bundle_result *r, const char *dir)
{
	int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC), rc = 0;
	DIR *d;
	struct dirent *e;
	if (dfd < 0 || !(d = fdopendir(dfd))) {
		if (dfd >= 0)
			close(dfd);
		return 0;
	}
	while (!rc && (e = readdir(d)) != NULL) {
		const char *n = e->d_name, *alg = manifest_alg(n);
		if (!strcmp(n, ".") || !strcmp(n, "..") || !strcmp(n, "data"))
			continue;
		if (!strcmp(n, RF_BAG_REFEREE_DIR)) {
			if (r->attest.is_signed)
				rc = walk_referee(r, dirfd(d), n, n, 0);
			continue;
		}
		if (alg) {
			if (strcmp(alg, "sha256.txt") && strcmp(alg, "sha512.txt"))
				rc = add_extra(r, n, "its algorithm is not checked (referee "
					       "checks sha256 and sha512 manifests)");
			continue;
		}
		if (!strcmp(n, "bagit.txt") || !strcmp(n, "bag-info.txt"))
			continue;
		if (r->attest.is_signed)
			rc = add_extra(r, n, "no signature covers it");
	}
	closedir(d);
	if (r->nextras)
		qsort(r->extras, r->nextras, sizeof *r->extras, cmp_extra);
	return rc ? rf_error_set(RF_ENOMEM, "out of memory") : 0;
}

static int check_expected_id(rf_bundle_result *r, const char *expect)
{
	int rc;
	if (!r->external_id)
		rc = rf_bag_report_add(r->report, RF_BAG_SIGNATURE, "bag-info.txt",
				       "no External-Identifier; expected '%s'", expect);
	else if (strcmp(r->external_id, expect))
		rc = rf_bag_report_add(r->report, RF_BAG_SIGNATURE, "bag-info.txt",
				       "External-Identifier is '%s', not the expected '%s' "
				       "(another submission, or an older bag)",
				       r->external_id, expect);
	else if (!r->external_id_signed)
		rc = rf_bag_report_add(r->report, RF_BAG_SIGNATURE, "bag-info.txt",
				       "External-Identifier '%s' is not covered by a "
				       "signature (the bag is unsigned)", expect);
	else
		rc = 0;
	return rc;
}

static int build_summary(rf_bundle_result *r)
{
	rf_buf s = RF_BUF_INIT;
	const rf_attest_result *a = &r->attest;
	int rc;
	if (r->status == 0)
		rc = rf_buf_puts(&s, "VERIFIED");
	else if (r->failed == RF_ATTEST_STAGE_BAG)
		rc = rf_buf_printf(&s, "NOT VERIFIED (%s)",
				   r->report ? "the bag's checks failed"
					     : "the bag cannot be read");
	else
		rc = rf_buf_printf(&s, "NOT VERIFIED (the %s check of the attestation "
				   "failed)", rf_attest_stage_name(r->failed));
	if (rc)
		goto out;
	switch (r->signing) {
	case RF_BUNDLE_UNSIGNED:
		rc = rf_buf_puts(&s, "; UNSIGNED: the bag carries no attestation, "
				 "nothing says who made it");
		break;
	case RF_BUNDLE_SIGNED_UNCHECKED:
		rc = rf_buf_printf(&s, "; signed (%zu signature%s), but the signatures "
				   "were NOT checked against a trusted key",
				   a->check.signatures, a->check.signatures == 1 ? "" : "s");
		if (!rc && a->subjects)
			rc = rf_buf_printf(&s, "; the signed statement matches the files "
					   "(%zu subjects)", a->subjects);
		break;
	case RF_BUNDLE_SIGNED_UNTRUSTED:
		rc = rf_buf_printf(&s, "; signed, but only %zu of the %zu required signers "
				   "are trusted keys", a->check.verified, r->min_signatures);
		break;
	case RF_BUNDLE_SIGNED_TRUSTED:
		rc = rf_buf_puts(&s, "; signed by ");
		for (size_t i = 0; !rc && i < a->check.verified; i++)
			rc = rf_buf_printf(&s, "%s%s", i ? ", " : "", a->check.signers[i]);
		if (!rc)
			rc = rf_buf_printf(&s, " (%zu of %zu signatures from trusted keys, "
					   "%zu required)", a->check.verified,
					   a->check.signatures, r->min_signatures);
		if (!rc && a->subjects)
			rc = rf_buf_printf(&s, "; the signed statement matches the files "
					   "(%zu subjects)", a->subjects);
		break;
	}
	if (!rc && r->nextras)
		rc = rf_buf_printf(&s, "; %zu file%s outside data/ that nothing vouches for "
				   "(unsigned extras)", r->nextras + r->nextras_more,
				   r->nextras + r->nextras_more == 1 ? "" : "s");
	if (!rc) {
		r->summary = rf_buf_detach(&s);
		rc = r->summary ? 0 : RF_ENOMEM;
	}
out:
	rf_buf_free(&s);
	return rc;
}

int rf_bundle_verify(rf_bundle_result **out, const char *dir, const rf_bundle_opts *opts)
{
	rf_bundle_opts none = RF_BUNDLE_OPTS_INIT;
	rf_attest_opts ao = RF_ATTEST_OPTS_INIT;
	rf_verify_opts vo = RF_VERIFY_OPTS_INIT;
	rf_bundle_result *r;
	int rc;
	*out = NULL;
	if (!dir)
		return rf_error_set(RF_EINVAL, "no bag given");
	opts = opts ? opts : &none;
	if (!(r = calloc(1, sizeof *r)))
		return rf_error_set(RF_ENOMEM, "out of memory");
	r->min_signatures = opts->min_signatures ? opts->min_signatures : 1;

	/* 1. The attestation, stopping at its first failing stage. */
	ao.trust = opts->trust;
	ao.min_signatures = opts->min_signatures;
	ao.require_signature = opts->require_signature;
	ao.threads = opts->threads;
	ao.progress = opts->progress;
	ao.progress_ctx = opts->progress_ctx;
	rc = rf_attest_verify(&r->attest, dir, &ao);
	if (!r->attest.is_signed)
		r->signing = RF_BUNDLE_UNSIGNED;
	else if (!r->attest.trust_checked)
		r->signing = RF_BUNDLE_SIGNED_UNCHECKED;
	else if (r->attest.failed == RF_ATTEST_STAGE_SIGNATURES)
		r->signing = RF_BUNDLE_SIGNED_UNTRUSTED;
	else
		r->signing = RF_BUNDLE_SIGNED_TRUSTED;
	if (rc) {
		r->status = rc;
		r->failed = r->attest.failed ? r->attest.failed : RF_ATTEST_STAGE_BAG;
		if (set_reason(r, rf_error_last()))
			goto nomem;
		load_about(r, dir);
		goto summary;
	}

	/* 2. The bag: BagIt, provenance record; the payload digests that the
	 * statement was just checked against are not read again. */
	vo.threads = opts->threads;
	vo.progress = opts->progress;
	vo.progress_ctx = opts->progress_ctx;
	vo.known = r->attest.digests;
	vo.nknown = r->attest.ndigests;
	rc = rf_bag_verify(&r->report, dir, &vo);
	if (!r->report) {
		if (rc == RF_ENOMEM)
			goto nomem;
		r->status = rc;
		r->failed = RF_ATTEST_STAGE_BAG;
		if (set_reason(r, rf_error_last()))
			goto nomem;
		goto summary;
	}
	if (opts->repo && (rc = rf_provenance_check_repo(r->report, dir, opts->repo)) != 0) {
		r->status = rc;
		r->failed = RF_ATTEST_STAGE_BAG;
		if (set_reason(r, rf_error_last()))
			goto nomem;
		load_about(r, dir);
		goto summary;
	}
	load_about(r, dir);
	if (find_extras(r, dir))
		goto nomem;
	/* A signed bag whose statement held has the bag-info that was signed. */
	r->external_id_signed = r->external_id && r->attest.is_signed;
	if (opts->expect_id && check_expected_id(r, opts->expect_id))
		goto nomem;
	r->status = rf_bag_report_status(r->report);
	if (r->status) {
		const rf_bag_problem *p = rf_bag_report_at(r->report, 0);
		rf_buf m = RF_BUF_INIT;
		r->failed = RF_ATTEST_STAGE_BAG;
		rc = rf_buf_printf(&m, "%s: '%s': %s", rf_bag_problem_kind_name(p->kind),
				   p->path, p->message);
		if (!rc)
			rc = set_reason(r, m.data);
		rf_buf_free(&m);
		if (rc)
			goto nomem;
	}
summary:
	if (build_summary(r))
		goto nomem;
	/* The digests only served the BagIt checks. */
	for (size_t i = 0; i < r->attest.ndigests; i++)
		free((char *)r->attest.digests[i].path);
	free(r->attest.digests);
	r->attest.digests = NULL;
	r->attest.ndigests = 0;
	*out = r;
	if (r->status)
		rf_error_set(r->status, "%s", r->reason ? r->reason : r->summary);
	else
		rf_error_clear();
	return r->status;
nomem:
	rf_bundle_result_free(r);
	return rf_error_set(RF_ENOMEM, "out of memory");
}
