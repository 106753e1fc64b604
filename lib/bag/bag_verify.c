/* Verification of a bag (RFC 8493 §3, complete and valid): every manifest
 * line holds, nothing in the payload is unlisted, Payload-Oxum agrees, the
 * tag manifests hold.  Problems are collected, not returned one by one, so
 * a reviewer sees every tampered file in a single run. */
#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "bag/bag_internal.h"
#include "referee/error.h"
#include "referee/path.h"
#include "referee/provenance.h"

struct vctx {
	const char *dir;
	rf_bag_report *r;
	rf_pool *pool;
	const rf_verify_opts *opts;
};

static int add_problem(void *ctx, rf_bag_problem_kind kind, const char *path,
		       const char *msg)
{
	struct vctx *v = ctx;
	return rf_bag_report_add(v->r, kind, path, "%s", msg);
}

/* Read a tag file of the bag; a problem (not an error) when it is absent,
 * unsafe or unreadable.  Returns 1 when read, 0 when not, <0 on ENOMEM. */
static int read_tag(struct vctx *v, rf_buf *out, const char *rel, size_t max,
		    int required)
{
	int rc = bag_read_file(out, v->dir, rel, max);
	if (rc == 0)
		return 1;
	if (rc == RF_ENOMEM)
		return rc;
	if (rc == RF_ENOTFOUND) {
		if (!required)
			return 0;
		rc = rf_bag_report_add(v->r, RF_BAG_MALFORMED, rel,
				       "'%s' is missing", rel);
	} else {
		rc = rf_bag_report_add(v->r,
				       rc == RF_EUNSAFE	 ? RF_BAG_UNSAFE
				       : rc == RF_ELIMIT ? RF_BAG_MALFORMED
							 : RF_BAG_UNREADABLE,
				       rel, "%s", rf_error_last());
	}
	return rc ? rc : 0;
}

/* The manifests present at the top of the bag, by algorithm we can check. */
static int find_manifests(struct vctx *v, int have[2], int have_tag[2])
{
	DIR *d = opendir(v->dir);
	struct dirent *e;
	int rc = 0;
	if (!d)
		return rf_bag_report_add(v->r, RF_BAG_UNREADABLE, "",
					 "cannot list '%s': %s", v->dir,
					 strerror(errno));
	while (!rc && (e = readdir(d)) != NULL) {
		const char *n = e->d_name, *alg;
		int tag = 0;
		rf_digest_alg a;
		if (!strncmp(n, "tagmanifest-", 12)) {
			tag = 1;
			alg = n + 12;
		} else if (!strncmp(n, "manifest-", 9)) {
			alg = n + 9;
		} else {
			continue;
		}
		size_t len = strlen(alg);
		char name[32];
		if (len < 5 || strcmp(alg + len - 4, ".txt") ||
		    len - 4 >= sizeof name)
			continue;
		snprintf(name, sizeof name, "%.*s", (int)(len - 4), alg);
		/* md5, sha1...: RFC 8493 lets a validator skip algorithms it
		 * does not support, as long as one manifest is checked. */
		if (rf_digest_from_name(&a, name))
			continue;
		if (tag)
			have_tag[a] = 1;
		else
			have[a] = 1;
	}
	closedir(d);
	rf_error_clear();
	return rc;
}

struct check {
	const char *rel;
	const char *hex;
	const char *manifest;
};

static int cmp_known(const void *key, const void *elem)
{
	return strcmp(key, ((const rf_bag_known_digest *)elem)->path);
}

/* The caller's digest of `rel` read from disk, or NULL (sha256 only). */
static const rf_bag_known_digest *find_known(const struct vctx *v,
					     rf_digest_alg alg, const char *rel)
{
	if (alg != RF_DIGEST_SHA256 || !v->opts->known || !v->opts->nknown)
		return NULL;
	return bsearch(rel, v->opts->known, v->opts->nknown,
		       sizeof *v->opts->known, cmp_known);
}

/* Hash `n` listed files (paths relative to the bag) and report the ones
 * that differ or cannot be read; a file whose sha256 the caller
 * already read from disk (opts->known) is compared, not read again. */
static int hash_and_compare(struct vctx *v, struct check *c, size_t n,
			    const uint64_t *sizes, rf_digest_alg alg,
			    size_t *files, uint64_t *bytes)
{
	rf_digest_job *jobs = calloc(n ? n : 1, sizeof *jobs);
	char **paths = calloc(n ? n : 1, sizeof *paths);
	/* Files whose digest the caller already read from disk are not read
	 * again; `todo` holds the jobs of the others, hashed in one batch. */
	const rf_bag_known_digest **known = calloc(n ? n : 1, sizeof *known);
	rf_digest_job *todo = calloc(n ? n : 1, sizeof *todo);
	size_t ntodo = 0;
	int rc = 0;
	if (!jobs || !paths || !known || !todo) {
		rc = rf_error_set(RF_ENOMEM, "out of memory");
		goto out;
	}
	for (size_t i = 0; i < n; i++) {
		rf_buf p = RF_BUF_INIT;
		if ((known[i] = find_known(v, alg, c[i].rel)) != NULL)
			continue;
		if (rf_path_join(&p, v->dir, c[i].rel)) {
			rc = RF_ENOMEM;
			goto out;
		}
		paths[i] = p.data;
		todo[ntodo].path = paths[i];
		todo[ntodo].size_hint = sizes ? sizes[i] : 0;
		ntodo++;
	}
	if ((rc = rf_digest_files(todo, ntodo, alg, v->pool, v->opts->progress,
				  v->opts->progress_ctx)) != 0)
		goto out;
	for (size_t i = 0, t = 0; i < n; i++)
		if (!known[i])
			jobs[i] = todo[t++];
	for (size_t i = 0; i < n && !rc; i++) {
		char hex[RF_DIGEST_HEX_MAX];
		if (known[i]) {
			*files += 1;
			*bytes += known[i]->size;
			if (strcmp(known[i]->sha256, c[i].hex))
				rc = rf_bag_report_add(
				    v->r, RF_BAG_MISMATCH, c[i].rel,
				    "'%s' does not match %s: expected %s, got %s",
				    c[i].rel, c[i].manifest, c[i].hex,
				    known[i]->sha256);
			continue;
		}
		if (jobs[i].rc) {
			rc = rf_bag_report_add(
			    v->r,
			    jobs[i].rc == RF_EUNSAFE	 ? RF_BAG_UNSAFE
			    : jobs[i].rc == RF_ENOTFOUND ? RF_BAG_MISSING
							 : RF_BAG_UNREADABLE,
			    c[i].rel, "%s", jobs[i].err);
			continue;
		}
		*files += 1;
		*bytes += jobs[i].size;
		rf_digest_to_hex(hex, jobs[i].md, rf_digest_size(alg));
		if (strcmp(hex, c[i].hex))
			rc = rf_bag_report_add(
			    v->r, RF_BAG_MISMATCH, c[i].rel,
			    "'%s' does not match %s: expected %s, got %s",
			    c[i].rel, c[i].manifest, c[i].hex, hex);
	}
out:
	if (paths)
		for (size_t i = 0; i < n; i++)
			free(paths[i]);
	free(paths);
	free(jobs);
	free(known);
	free(todo);
	return rc;
}

static int check_payload_manifest(struct vctx *v, rf_digest_alg alg,
				  const struct bag_files *payload,
				  size_t *files, uint64_t *bytes)
{
	struct bag_manifest m = {0};
	struct check *c = NULL;
	uint64_t *sizes = NULL;
	rf_buf text = RF_BUF_INIT;
	char name[64];
	size_t n = 0, pi = 0;
	int rc;
	bag_manifest_filename(name, sizeof name, alg, 0);
	m.alg = alg;
	rc = read_tag(v, &text, name, RF_BAG_MAX_MANIFEST, 1);
	if (rc <= 0)
		goto out;
	if ((rc = bag_manifest_parse(&m, name, text.data, text.len, 1,
				     add_problem, v)) != 0)
		goto out;
	c = calloc(m.n ? m.n : 1, sizeof *c);
	sizes = calloc(m.n ? m.n : 1, sizeof *sizes);
	if (!c || !sizes) {
		rc = rf_error_set(RF_ENOMEM, "out of memory");
		goto out;
	}
	/* Both lists are sorted: one merge finds missing and unlisted files,
	 * and only files seen by the walk (never a listed path that the walk
	 * did not find) are ever opened. */
	for (size_t i = 0; i < m.n && !rc; i++) {
		const struct bag_line *l = &m.lines[i];
		int cmp = 1;
		while (pi < payload->n &&
		       (cmp = strcmp(payload->v[pi].path, l->path)) < 0) {
			rc = rf_bag_report_add(v->r, RF_BAG_UNLISTED,
					       payload->v[pi].path,
					       "'%s' is not listed in %s",
					       payload->v[pi].path, name);
			pi++;
			cmp = 1;
		}
		if (rc)
			break;
		if (pi < payload->n && cmp == 0) {
			c[n].rel = l->path;
			c[n].hex = l->hex;
			c[n].manifest = name;
			sizes[n] = payload->v[pi].size;
			n++;
			pi++;
		} else {
			rc = rf_bag_report_add(
			    v->r, RF_BAG_MISSING, l->path,
			    "'%s' is listed in %s line %u but missing", l->path,
			    name, l->lineno);
		}
	}
	for (; pi < payload->n && !rc; pi++)
		rc = rf_bag_report_add(
		    v->r, RF_BAG_UNLISTED, payload->v[pi].path,
		    "'%s' is not listed in %s", payload->v[pi].path, name);
	if (!rc)
		rc = hash_and_compare(v, c, n, sizes, alg, files, bytes);
out:
	bag_manifest_free(&m);
	rf_buf_free(&text);
	free(c);
	free(sizes);
	return rc;
}

static int check_oxum(struct vctx *v, const struct bag_info *info,
		      const struct bag_files *payload)
{
	const char *oxum = bag_info_get(info, "Payload-Oxum");
	uint64_t octets = 0, count = 0, have = 0;
	char *end;
	if (!oxum)
		return 0; /* optional in RFC 8493 */
	errno = 0;
	octets = strtoull(oxum, &end, 10);
	if (errno || end == oxum || *end != '.' || oxum[0] == '-')
		return rf_bag_report_add(
		    v->r, RF_BAG_MALFORMED, "bag-info.txt",
		    "bag-info.txt: malformed Payload-Oxum '%s'", oxum);
	{
		const char *p = end + 1;
		count = strtoull(p, &end, 10);
		if (errno || end == p || *end || p[0] == '-')
			return rf_bag_report_add(
			    v->r, RF_BAG_MALFORMED, "bag-info.txt",
			    "bag-info.txt: malformed Payload-Oxum '%s'", oxum);
	}
	for (size_t i = 0; i < payload->n; i++)
		have += payload->v[i].size;
	if (have != octets || (uint64_t)payload->n != count)
		return rf_bag_report_add(
		    v->r, RF_BAG_OXUM, "bag-info.txt",
		    "Payload-Oxum is %s but the payload holds "
		    "%" PRIu64 ".%zu",
		    oxum, have, payload->n);
	return 0;
}

static int check_tag_manifest(struct vctx *v, rf_digest_alg alg,
			      const struct bag_files *referee)
{
	struct bag_manifest m = {0};
	struct check *c = NULL;
	rf_buf text = RF_BUF_INIT;
	char name[64];
	size_t n = 0, files = 0;
	uint64_t bytes = 0;
	int rc;
	bag_manifest_filename(name, sizeof name, alg, 1);
	m.alg = alg;
	rc = read_tag(v, &text, name, RF_BAG_MAX_MANIFEST, 1);
	if (rc <= 0)
		goto out;
	if ((rc = bag_manifest_parse(&m, name, text.data, text.len, 0,
				     add_problem, v)) != 0)
		goto out;
	c = calloc(m.n ? m.n : 1, sizeof *c);
	if (!c) {
		rc = rf_error_set(RF_ENOMEM, "out of memory");
		goto out;
	}
	for (size_t i = 0; i < m.n && !rc; i++) {
		const struct bag_line *l = &m.lines[i];
		rf_buf full = RF_BUF_INIT;
		struct stat st;
		if (rf_path_join(&full, v->dir, l->path)) {
			rc = RF_ENOMEM;
			break;
		}
		/* Resolve before opening: a listed tag file must stay inside.
		 */
		if (lstat(full.data, &st)) {
			rc = rf_bag_report_add(
			    v->r, RF_BAG_MISSING, l->path,
			    "'%s' is listed in %s line %u but missing", l->path,
			    name, l->lineno);
		} else if (rf_path_check_inside(v->dir, full.data)) {
			rc = rf_bag_report_add(v->r, RF_BAG_UNSAFE, l->path,
					       "'%s' resolves outside the bag",
					       l->path);
		} else {
			c[n].rel = l->path;
			c[n].hex = l->hex;
			c[n].manifest = name;
			n++;
		}
		rf_buf_free(&full);
	}
	if (!rc)
		rc = hash_and_compare(v, c, n, NULL, alg, &files, &bytes);
	/* Our own tag files must be covered: referee/ holds provenance and
	 * signatures, which nothing else protects. */
	for (size_t i = 0; i < referee->n && !rc; i++)
		if (!bag_manifest_find(&m, referee->v[i].path))
			rc = rf_bag_report_add(v->r, RF_BAG_UNLISTED,
					       referee->v[i].path,
					       "'%s' is not listed in %s",
					       referee->v[i].path, name);
out:
	bag_manifest_free(&m);
	rf_buf_free(&text);
	free(c);
	return rc;
}

/* referee/provenance.json repeats each payload file's SHA-256: a bag whose
 * payload and manifests were rewritten consistently, but not its
 * provenance, is caught here. */
static int check_provenance(struct vctx *v, const struct bag_files *referee)
{
	struct bag_manifest m = {0};
	rf_provenance *prov = NULL;
	rf_buf text = RF_BUF_INIT;
	int rc;
	if (!bag_files_find(referee, RF_BAG_PROVENANCE))
		return 0; /* not a referee bag, or an old one */
	m.alg = RF_DIGEST_SHA256;
	rc = read_tag(v, &text, RF_BAG_PROVENANCE, RF_BAG_MAX_MANIFEST, 1);
	if (rc <= 0)
		goto out;
	if (rf_provenance_parse(&prov, text.data, text.len,
				RF_BAG_PROVENANCE)) {
		rc =
		    rf_bag_report_add(v->r, RF_BAG_MALFORMED, RF_BAG_PROVENANCE,
				      "%s", rf_error_last());
		goto out;
	}
	rf_buf_clear(&text);
	rc = read_tag(v, &text, "manifest-sha256.txt", RF_BAG_MAX_MANIFEST, 0);
	if (rc <= 0)
		goto out;
	/* Problems in the manifest itself were reported already. */
	if ((rc = bag_manifest_parse(&m, "manifest-sha256.txt", text.data,
				     text.len, 1, NULL, NULL)) != 0)
		goto out;
	for (size_t i = 0; i < rf_provenance_file_count(prov) && !rc; i++) {
		const rf_provenance_file *f = rf_provenance_file_at(prov, i);
		const struct bag_line *l = bag_manifest_find(&m, f->path);
		if (!l)
			rc = rf_bag_report_add(
			    v->r, RF_BAG_MISSING, f->path,
			    "'%s' is in %s but not in manifest-sha256.txt",
			    f->path, RF_BAG_PROVENANCE);
		else if (!f->sha256 || strcmp(f->sha256, l->hex))
			rc = rf_bag_report_add(
			    v->r, RF_BAG_MISMATCH, f->path,
			    "'%s' does not match its record in %s", f->path,
			    RF_BAG_PROVENANCE);
	}
	for (size_t i = 0; i < m.n && !rc; i++)
		if (!rf_provenance_file_find(prov, m.lines[i].path))
			rc = rf_bag_report_add(
			    v->r, RF_BAG_UNLISTED, m.lines[i].path,
			    "'%s' has no record in %s", m.lines[i].path,
			    RF_BAG_PROVENANCE);
out:
	rf_provenance_free(prov);
	bag_manifest_free(&m);
	rf_buf_free(&text);
	return rc < 0 ? rc : 0;
}

int rf_bag_verify(rf_bag_report **out, const char *dir,
		  const rf_verify_opts *opts)
{
	static const rf_verify_opts defaults = RF_VERIFY_OPTS_INIT;
	struct vctx v = {dir, NULL, NULL, opts ? opts : &defaults};
	struct bag_files payload = {0}, referee = {0};
	struct bag_info info = {0};
	rf_pool *own = NULL;
	rf_buf text = RF_BUF_INIT;
	struct stat st;
	int have[2] = {0, 0}, have_tag[2] = {0, 0};
	size_t files = 0;
	uint64_t bytes = 0;
	int rc;
	*out = NULL;
	if (stat(dir, &st))
		return rf_error_set(errno == ENOENT ? RF_ENOTFOUND : RF_EIO,
				    "cannot open '%s': %s", dir,
				    strerror(errno));
	if (!S_ISDIR(st.st_mode))
		return rf_error_set(RF_EFORMAT,
				    "'%s' is not a bag (not a directory)", dir);
	if ((rc = rf_bag_report_new(&v.r)) != 0)
		return rc;
	v.pool = v.opts->pool;
	if (!v.pool) {
		if ((rc = rf_pool_new(&own, v.opts->threads)) != 0)
			goto fail;
		v.pool = own;
	}
	rc = read_tag(&v, &text, "bagit.txt", RF_BAG_MAX_TAG_FILE, 1);
	if (rc < 0)
		goto fail;
	if (rc == 1 && bag_declaration_check(text.data, text.len) &&
	    (rc = rf_bag_report_add(v.r, RF_BAG_MALFORMED, "bagit.txt", "%s",
				    rf_error_last())) != 0)
		goto fail;
	if (rf_bag_report_count(v.r))
		goto done; /* not a bag: nothing else is meaningful */
	rf_buf_clear(&text);
	rc = read_tag(&v, &text, "bag-info.txt", RF_BAG_MAX_TAG_FILE, 0);
	if (rc < 0)
		goto fail;
	if (rc == 1 && (rc = bag_info_parse(&info, text.data, text.len,
					    add_problem, &v)) != 0)
		goto fail;
	if ((rc = find_manifests(&v, have, have_tag)) != 0)
		goto fail;
	if (!have[RF_DIGEST_SHA256] && !have[RF_DIGEST_SHA512]) {
		rc = rf_bag_report_add(
		    v.r, RF_BAG_MALFORMED, "manifest-sha256.txt",
		    "'%s' has no sha256 or sha512 payload manifest", dir);
		if (rc)
			goto fail;
	}
	/* A missing data/ is malformed; one that is not a real directory
	 * (a symlink out of the bag) is reported by the walk as unsafe. */
	rf_buf_clear(&text);
	if (rf_path_join(&text, dir, "data")) {
		rc = RF_ENOMEM;
		goto fail;
	}
	if (lstat(text.data, &st) &&
	    (rc = rf_bag_report_add(v.r, RF_BAG_MALFORMED, "data",
				    "'%s' has no data/ directory", dir)) != 0)
		goto fail;
	if ((rc = bag_walk(&payload, dir, "data", add_problem, &v)) != 0 ||
	    (rc = bag_walk(&referee, dir, RF_BAG_REFEREE_DIR, add_problem,
			   &v)) != 0)
		goto fail;
	bag_files_sort(&payload);
	bag_files_sort(&referee);
	for (int a = 0; a < 2; a++) {
		if (!have[a])
			continue;
		size_t f = 0;
		uint64_t b = 0;
		if ((rc = check_payload_manifest(&v, (rf_digest_alg)a, &payload,
						 &f, &b)) != 0)
			goto fail;
		if (f > files)
			files = f;
		if (b > bytes)
			bytes = b;
	}
	if ((rc = check_oxum(&v, &info, &payload)) != 0)
		goto fail;
	for (int a = 0; a < 2; a++)
		if (have_tag[a] && (rc = check_tag_manifest(
					&v, (rf_digest_alg)a, &referee)) != 0)
			goto fail;
	if ((rc = check_provenance(&v, &referee)) != 0)
		goto fail;
	if (!have_tag[0] && !have_tag[1])
		for (size_t i = 0; i < referee.n && !rc; i++)
			rc = rf_bag_report_add(
			    v.r, RF_BAG_UNLISTED, referee.v[i].path,
			    "'%s' is not covered by a tag manifest",
			    referee.v[i].path);
	if (rc)
		goto fail;
done:
	bag_report_set_totals(v.r, files, bytes);
	bag_files_free(&payload);
	bag_files_free(&referee);
	bag_info_free(&info);
	rf_buf_free(&text);
	rf_pool_free(own);
	*out = v.r;
	rc = rf_bag_report_status(v.r);
	if (rc)
		rf_error_set(rc, "'%s': %zu problem%s", dir,
			     rf_bag_report_count(v.r),
			     rf_bag_report_count(v.r) == 1 ? "" : "s");
	return rc;
fail:
	bag_files_free(&payload);
	bag_files_free(&referee);
	bag_info_free(&info);
	rf_buf_free(&text);
	rf_pool_free(own);
	rf_bag_report_free(v.r);
	return rc < 0 ? rc : RF_EINTERNAL;
}
