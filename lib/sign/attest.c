/* The signed attestation of a bag: an in-toto statement over every payload
 * file and the provenance, in a DSSE envelope kept as a tag file (plus the
 * same envelope as a Sigstore bundle); verification in stages; countersigning. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>

#include "referee/bag.h"
#include "referee/digest.h"
#include "referee/error.h"
#include "referee/fetch.h"
#include "referee/manifest.h"
#include "referee/model.h"
#include "referee/path.h"
#include "referee/pool.h"
#include "referee/sign.h"
#include "referee/tsa.h"
#include "referee/referee.h"
#include "sign_internal.h"

const char *rf_attest_stage_name(rf_attest_stage stage)
{
	switch (stage) {
	case RF_ATTEST_STAGE_NONE: return "none";
	case RF_ATTEST_STAGE_ENVELOPE: return "envelope";
	case RF_ATTEST_STAGE_SIGNATURES: return "signatures";
	case RF_ATTEST_STAGE_STATEMENT: return "statement";
	case RF_ATTEST_STAGE_BAG: return "bag";
	}
	return "unknown";
}

static int tag_exists(const char *bag_dir, const char *rel)
{
	rf_buf p = RF_BUF_INIT;
	int yes = rf_path_join(&p, bag_dir, rel) == 0 && rf_path_exists(p.data);
	rf_buf_free(&p);
	return yes;
}

/* bag-info.txt as a JSON object; a repeated label becomes an array. */
static json_t *bag_info_json(const rf_bag *bag)
{
	json_t *o = json_object();
	for (size_t i = 0; o && i < rf_bag_info_count(bag); i++) {
		const char *label, *value;
		json_t *old, *v;
		if (rf_bag_info_at(bag, i, &label, &value))
			continue;
		v = json_string(value);
		if (!v)
			goto bad;
		old = json_object_get(o, label);
		if (!old) {
			json_object_set_new(o, label, v);
		} else if (json_is_array(old)) {
			json_array_append_new(old, v);
		} else {
			json_t *arr = json_array();
			json_array_append(arr, old);
			json_array_append_new(arr, v);
			json_object_set_new(o, label, arr);
		}
	}
	return o;
bad:
	json_decref(o);
	return NULL;
}

static int is_yaml_name(const char *path)
{
	size_t n = strlen(path);
	return (n > 5 && !strcmp(path + n - 5, ".yaml")) ||
	       (n > 4 && !strcmp(path + n - 4, ".yml"));
}

/* {"data/x.yaml": "<canonical digest>"} for every payload YAML file that
 * parses (rf_manifest_digest_file): the claims check can then name the
 * signed manifest by content, whatever its formatting.  A .yaml file that is
 * not YAML is left out here; its bytes are still a signed subject. */
static json_t *manifest_digests(const rf_bag *bag, const char *bag_dir)
{
	json_t *o = json_object();
	rf_buf full = RF_BUF_INIT;
	for (size_t i = 0; o && i < rf_bag_entry_count(bag); i++) {
		const rf_bag_entry *e = rf_bag_entry_at(bag, i);
		char hex[65];
		if (!is_yaml_name(e->path))
			continue;
		rf_buf_clear(&full);
		if (rf_path_join(&full, bag_dir, e->path) ||
		    rf_path_check_inside(bag_dir, full.data))
			continue;
		if (rf_manifest_digest_file(hex, full.data) == 0)
			json_object_set_new(o, e->path, json_string(hex));
	}
	rf_buf_free(&full);
	rf_error_clear();
	return o;
}

/* The predicate of referee's bundle attestation, v1.  `prov_sha256`
 * receives the digest of the provenance bytes summarised here, so that the
 * provenance subject and the predicate come from one read. */
static int build_predicate(char **out, char prov_sha256[65], const rf_bag *bag,
			   const char *bag_dir)
{
	rf_buf prov = RF_BUF_INIT;
	json_error_t jerr;
	json_t *pred = NULL, *pj = NULL, *info = NULL;
	int rc;
	*out = NULL;
	if ((rc = rf_bag_read_tag_file(&prov, bag, RF_BAG_PROVENANCE,
				       RF_BAG_MAX_MANIFEST)) != 0) {
		rf_buf_free(&prov);
		return rf_error_wrap(rc, "cannot sign: the bag has no readable '%s'",
				     RF_BAG_PROVENANCE);
	}
	if ((rc = rf_digest_buffer_hex(prov_sha256, RF_DIGEST_SHA256,
				       prov.data ? prov.data : "", prov.len)) != 0) {
		rf_buf_free(&prov);
		return rc;
	}
	pj = json_loadb(prov.data ? prov.data : "", prov.len, JSON_REJECT_DUPLICATES,
			&jerr);
	rf_buf_free(&prov);
	if (!json_is_object(pj)) {
		json_decref(pj);
		return rf_error_set(RF_EFORMAT, "%s:%d:%d: %s", RF_BAG_PROVENANCE,
				    jerr.line, jerr.column,
				    pj ? "not a JSON object" : jerr.text);
	}
	/* The per-file list is covered by the provenance file's own subject
	 * digest; leaving it out keeps the statement small for large bags. */
	json_object_del(pj, "files");
	info = bag_info_json(bag);
	pred = json_object();
	if (!info || !pred) {
		json_decref(pj);
		json_decref(info);
		json_decref(pred);
		return rf_error_set(RF_ENOMEM, "out of memory");
	}
	json_object_set_new(pred, "bagInfo", info);
	json_object_set_new(pred, "provenance", pj);
	json_object_set_new(pred, "manifests", manifest_digests(bag, bag_dir));
	json_object_set_new(pred, "signer", json_pack("{s:s+}", "agent", "referee ", rf_version()));
	*out = json_dumps(pred, JSON_COMPACT | JSON_PRESERVE_ORDER);
	json_decref(pred);
	return *out ? 0 : rf_error_set(RF_ENOMEM, "out of memory");
}

static int write_attestation(const char *bag_dir, const rf_dsse *env)
{
	rf_buf j = RF_BUF_INIT, sb = RF_BUF_INIT;
	int rc = rf_dsse_serialize(&j, env);
	if (!rc)
		rc = rf_dsse_sigstore_bundle(&sb, env);
	/* Never write what verify would refuse to read. */
	if (!rc && (j.len > RF_DSSE_MAX_BYTES || sb.len > RF_DSSE_MAX_BYTES + 4096))
		rc = rf_error_set(RF_ELIMIT,
				  "the signed statement is too large: the envelope would be "
				  "%zu MiB, verify reads at most %zu MiB (too many payload "
				  "files for one signed bag; split it)",
				  j.len >> 20, RF_DSSE_MAX_BYTES >> 20);
	/* The envelope is the authority; the bundle follows it. */
	if (!rc)
		rc = rf_bag_write_tag_file(bag_dir, RF_ATTEST_DSSE, j.data, j.len);
	if (!rc)
		rc = rf_bag_write_tag_file(bag_dir, RF_ATTEST_SIGSTORE, sb.data, sb.len);
	rf_buf_free(&j);
	rf_buf_free(&sb);
	return rc;
}

static int check_payload_set(const char *bag_dir, const rf_statement *st,
			     const rf_fetch *holes);

/* What verify will hold the statement against: refuse to sign a bag whose
 * payload on disk is not exactly the statement's subjects (a symlink in
 * data/, which BagIt allows but the signed statement cannot vouch for). */
static int signable(const char *bag_dir, const rf_buf *stmt)
{
	rf_statement *st = NULL;
	rf_fetch *holes = NULL;
	int rc = rf_statement_parse(&st, stmt->data, stmt->len, "statement");
	if (!rc)
		rc = rf_fetch_load(&holes, bag_dir);
	if (!rc)
		rc = check_payload_set(bag_dir, st, holes);
	rf_fetch_free(holes);
	rf_statement_free(st);
	if (rc)
		rf_error_wrap(rc, "cannot sign '%s'", bag_dir);
	return rc;
}

int rf_attest_bag(const char *bag_dir, const rf_key *key)
{
	rf_bag *bag = NULL;
	rf_subject *subs = NULL;
	rf_buf stmt = RF_BUF_INIT;
	rf_dsse *env = NULL;
	char *pred = NULL, *model = NULL;
	size_t n = 0;
	int rc, nmodel = 0;
	if ((rc = rf_bag_open(&bag, bag_dir)) != 0)
		return rc;
	if (rf_bag_tag_sha256(bag, RF_ATTEST_DSSE) || tag_exists(bag_dir, RF_ATTEST_DSSE)) {
		rc = rf_error_set(RF_EEXIST,
				  "'%s' is already signed; countersign it with 'referee sign'",
				  bag_dir);
		goto out;
	}
	n = rf_bag_entry_count(bag);
	if (!(subs = calloc(n + 2, sizeof *subs))) {
		rc = rf_error_set(RF_ENOMEM, "out of memory");
		goto out;
	}
	for (size_t i = 0; i < n; i++) {
		const rf_bag_entry *e = rf_bag_entry_at(bag, i);
		subs[i].name = (char *)e->path;
		memcpy(subs[i].sha256, e->sha256, 65);
	}
	/* The provenance file is hashed now, not taken from the tag manifest. */
	subs[n].name = (char *)RF_BAG_PROVENANCE;
	/* A model packed by reference (pack --model) is named by its OMS
	 * digest, so one signature covers the evidence and the weights. */
	if ((nmodel = rf_model_bag_subject(&model, subs[n + 1].sha256, bag)) < 0) {
		rc = nmodel;
		goto out;
	}
	subs[n + 1].name = model;
	if ((rc = build_predicate(&pred, subs[n].sha256, bag, bag_dir)) != 0 ||
	    (rc = rf_statement_build(&stmt, subs, n + 1 + (size_t)nmodel,
				     RF_PREDICATE_BUNDLE_V1, pred)) != 0 ||
	    (rc = signable(bag_dir, &stmt)) != 0 ||
	    (rc = rf_dsse_new(&env, RF_DSSE_INTOTO, stmt.data, stmt.len)) != 0 ||
	    (rc = rf_dsse_sign(env, key)) != 0)
		goto out;
	rc = write_attestation(bag_dir, env);
out:
	free(subs);
	free(model);
	free(pred);
	rf_buf_free(&stmt);
	rf_dsse_free(env);
	rf_bag_free(bag);
	return rc;
}

void rf_attest_result_free(rf_attest_result *res)
{
	if (!res)
		return;
	for (size_t i = 0; res->keyids && i < res->check.signatures; i++)
		free(res->keyids[i]);
	free(res->keyids);
	for (size_t i = 0; res->digests && i < res->ndigests; i++)
		free((char *)res->digests[i].path);
	free(res->digests);
	rf_dsse_check_free(&res->check);
	memset(res, 0, sizeof *res);
}

/* ---- payload files on disk ------------------------------------------ */

struct file_list {
	char **paths;
	size_t n, cap;
};

static void file_list_free(struct file_list *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->paths[i]);
	free(l->paths);
}

/* Every regular file under `rel` (a folder relative to the bag root);
 * symlinks and special files are hostile here. */
static int walk(struct file_list *l, int parent, const char *name,
		const char *rel, int depth)
{
	int fd;
	DIR *d;
	struct dirent *e;
	rf_buf child = RF_BUF_INIT;
	int rc = 0;
	if (depth > RF_BAG_MAX_DEPTH)
		return rf_error_set(RF_EUNSAFE, "'%s' is nested too deep", rel);
	fd = openat(parent, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return rf_error_set(errno == ELOOP || errno == ENOTDIR ? RF_EUNSAFE : RF_EIO,
				    "cannot open folder '%s': %s", rel, strerror(errno));
	if (!(d = fdopendir(fd))) {
		close(fd);
		return rf_error_set(RF_EIO, "cannot list '%s'", rel);
	}
	while (!rc && (e = readdir(d)) != NULL) {
		struct stat st;
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		rf_buf_clear(&child);
		if ((rc = rf_path_join(&child, rel, e->d_name)) != 0)
			break;
		if (fstatat(dirfd(d), e->d_name, &st, AT_SYMLINK_NOFOLLOW)) {
			rc = rf_error_set(RF_EIO, "cannot stat '%s': %s", child.data,
					  strerror(errno));
		} else if (S_ISDIR(st.st_mode)) {
			rc = walk(l, dirfd(d), e->d_name, child.data, depth + 1);
		} else if (!S_ISREG(st.st_mode)) {
			rc = rf_error_set(RF_EUNSAFE, "'%s' is not a regular file",
					  child.data);
		} else if (l->n >= RF_BAG_MAX_FILES) {
			rc = rf_error_set(RF_ELIMIT, "more than %u payload files",
					  RF_BAG_MAX_FILES);
		} else {
			if (l->n == l->cap) {
				size_t cap = l->cap ? l->cap * 2 : 64;
				char **np = realloc(l->paths, cap * sizeof *np);
				if (!np) {
					rc = rf_error_set(RF_ENOMEM, "out of memory");
					break;
				}
				l->paths = np;
				l->cap = cap;
			}
			if (!(l->paths[l->n] = rf_buf_detach(&child)))
				rc = rf_error_set(RF_ENOMEM, "out of memory");
			else
				l->n++;
		}
	}
	closedir(d);
	rf_buf_free(&child);
	return rc;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* ---- verification stages --------------------------------------------- */

/* verificationMaterial of the bundle: what referee writes and nothing else
 * — a publicKey hint equal to the first signature's keyid and no tlog
 * entries, no certificate or chain.  A verifier that trusted a certificate
 * or key put there would trust the bag's own word; referee trusts only
 * --trust, so material it does not check is refused rather than ignored. */
/* timestampVerificationData (sign/pack --tsa): exactly the RFC 3161
 * timestamps of RF_TSA_FILE, in its order, so that the bundle carries no
 * timestamp that `verify --tsa-cert` did not check. */
static int check_bundle_stamps(const json_t *tvd, const rf_bag *bag)
{
	rf_buf text = RF_BUF_INIT;
	const json_t *list = json_is_object(tvd) && json_object_size(tvd) == 1
				     ? json_object_get(tvd, "rfc3161Timestamps")
				     : NULL;
	json_t *stamps = NULL;
	json_error_t jerr;
	int rc = RF_ECHECK;
	if (!json_is_array(list) ||
	    rf_bag_read_tag_file(&text, bag, RF_TSA_FILE, RF_DSSE_MAX_BYTES) != 0)
		goto out;
	stamps = json_loadb(text.data ? text.data : "", text.len, JSON_REJECT_DUPLICATES,
			    &jerr);
	if (!json_is_array(stamps) || json_array_size(stamps) != json_array_size(list))
		goto out;
	for (size_t i = 0; i < json_array_size(list); i++) {
		const json_t *e = json_array_get(list, i);
		const json_t *ts = json_is_object(e) && json_object_size(e) == 1
					   ? json_object_get(e, "signedTimestamp")
					   : NULL;
		const json_t *want = json_object_get(json_array_get(stamps, i), "rfc3161");
		if (!json_is_string(ts) || !json_is_string(want) || !json_equal(ts, want))
			goto out;
	}
	rc = 0;
out:
	json_decref(stamps);
	rf_buf_free(&text);
	rf_error_clear();
	return rc;
}

static int check_verification_material(const json_t *root, const rf_dsse *env,
				       const rf_bag *bag)
{
	const json_t *vm = json_object_get(root, "verificationMaterial");
	const json_t *pk = vm ? json_object_get(vm, "publicKey") : NULL;
	const json_t *hint = pk ? json_object_get(pk, "hint") : NULL;
	const json_t *tlog = vm ? json_object_get(vm, "tlogEntries") : NULL;
	const char *key;
	json_t *v;
	if (!json_is_object(root) || json_object_size(root) != 3 || !json_is_object(vm) ||
	    !json_is_object(pk) || json_object_size(pk) != 1 || !json_is_string(hint) ||
	    strcmp(json_string_value(hint), rf_dsse_signature_keyid(env, 0)))
		return RF_ECHECK;
	json_object_foreach((json_t *)vm, key, v) {
		if (!strcmp(key, "timestampVerificationData")) {
			if (check_bundle_stamps(v, bag) != 0)
				return RF_ECHECK;
		} else if (strcmp(key, "publicKey") && strcmp(key, "tlogEntries")) {
			return RF_ECHECK;
		}
	}
	if (tlog && (!json_is_array(tlog) || json_array_size(tlog) != 0))
		return RF_ECHECK;
	return 0;
}

/* Stage 1: the envelope, and the Sigstore bundle wrapping the same one.
 * Memory is bounded by a small multiple of the envelope: each file's text
 * is freed once parsed, and the bundle's copy is compared with the parsed
 * envelope field by field (its payload block by block), never decoded or
 * re-serialised. */
static int read_envelope(rf_dsse **env, const rf_bag *bag)
{
	rf_buf text = RF_BUF_INIT;
	json_t *root = NULL, *inner, *media;
	json_error_t jerr;
	int rc;
	*env = NULL;
	if ((rc = rf_bag_read_tag_file(&text, bag, RF_ATTEST_DSSE,
				       RF_DSSE_MAX_BYTES)) != 0)
		return rc;
	rc = rf_dsse_parse(env, text.data ? text.data : "", text.len, RF_ATTEST_DSSE);
	rf_buf_free(&text);
	if (rc)
		goto out;
	if (strcmp(rf_dsse_payload_type(*env), RF_DSSE_INTOTO)) {
		rc = rf_error_set(RF_ECHECK, "%s: payloadType is '%s', not '%s'",
				  RF_ATTEST_DSSE, rf_dsse_payload_type(*env),
				  RF_DSSE_INTOTO);
		goto out;
	}
	rc = rf_bag_read_tag_file(&text, bag, RF_ATTEST_SIGSTORE, RF_DSSE_MAX_BYTES + 4096);
	if (rc == RF_ENOTFOUND) {
		rc = rf_error_set(RF_ECHECK, "'%s' is missing", RF_ATTEST_SIGSTORE);
		goto out;
	}
	if (rc)
		goto out;
	root = json_loadb(text.data ? text.data : "", text.len, JSON_REJECT_DUPLICATES,
			  &jerr);
	rf_buf_free(&text);
	inner = root ? json_object_get(root, "dsseEnvelope") : NULL;
	media = root ? json_object_get(root, "mediaType") : NULL;
	if (!json_is_object(inner) || !json_is_string(media) ||
	    strcmp(json_string_value(media), RF_SIGSTORE_BUNDLE_V03) ||
	    dsse_from_json(NULL, inner, RF_ATTEST_SIGSTORE, *env) != 0 ||
	    check_verification_material(root, *env, bag) != 0) {
		rc = rf_error_set(RF_ECHECK,
				  "'%s' is not a Sigstore bundle v0.3 of the same envelope "
				  "as '%s'", RF_ATTEST_SIGSTORE, RF_ATTEST_DSSE);
		goto out;
	}
out:
	json_decref(root);
	rf_buf_free(&text);
	if (rc) {
		rf_dsse_free(*env);
		*env = NULL;
	}
	return rc;
}

static int cmp_known(const void *a, const void *b)
{
	return strcmp(((const rf_bag_known_digest *)a)->path,
		      ((const rf_bag_known_digest *)b)->path);
}

/* res->digests = the on-disk digests of the subjects (jobs[i] hashed
 * subject i and matched it), sorted by path for rf_bag_verify(). */
static int keep_digests(rf_attest_result *res, const rf_subject *const *sub,
			const rf_digest_job *jobs, size_t njobs)
{
	rf_bag_known_digest *d = calloc(njobs ? njobs : 1, sizeof *d);
	if (!d)
		return rf_error_set(RF_ENOMEM, "out of memory");
	res->digests = d;
	for (size_t i = 0; i < njobs; i++) {
		if (!(d[i].path = strdup(sub[i]->name)))
			return rf_error_set(RF_ENOMEM, "out of memory");
		res->ndigests = i + 1;
		rf_digest_to_hex(d[i].sha256, jobs[i].md, 32);
		d[i].size = jobs[i].size;
	}
	qsort(d, njobs, sizeof *d, cmp_known);
	return 0;
}

/* The payload files on disk (regular files only: a symlink or a special
 * file is hostile here) and the statement's subjects are the same set,
 * plus the provenance file. */
static int check_payload_set(const char *bag_dir, const rf_statement *st,
			     const rf_fetch *holes)
{
	struct file_list files = {0};
	int dfd, rc = 0;
	dfd = open(bag_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0)
		return rf_error_set(RF_EIO, "cannot open '%s': %s", bag_dir,
				    strerror(errno));
	rc = walk(&files, dfd, "data", "data", 0);
	close(dfd);
	if (rc)
		goto out;
	if (files.n) /* a holey bag may have no payload file on disk */
		qsort(files.paths, files.n, sizeof *files.paths, cmp_str);
	for (size_t i = 0; i < files.n; i++)
		if (!rf_statement_find(st, files.paths[i])) {
			rc = rf_error_set(RF_ECHECK,
					  "payload file '%s' is not a subject of the "
					  "signed statement", files.paths[i]);
			goto out;
		}
	if (!rf_statement_find(st, RF_BAG_PROVENANCE)) {
		rc = rf_error_set(RF_ECHECK, "the signed statement does not cover '%s'",
				  RF_BAG_PROVENANCE);
		goto out;
	}
	/* A subject may also be the model (pack --model, checked against
	 * referee/model.json by the caller) or a fetch.txt hole. */
	for (size_t i = 0; i < rf_statement_subject_count(st); i++) {
		const char *name = rf_statement_subject(st, i)->name;
		if (strcmp(name, RF_BAG_PROVENANCE) && !rf_model_is_subject(name) &&
		    !rf_fetch_find(holes, name) &&
		    !(files.n && bsearch(&name, files.paths, files.n,
					 sizeof *files.paths, cmp_str))) {
			rc = rf_error_set(RF_ECHECK,
					  "signed subject '%s' is not a payload file of "
					  "the bag", name);
			goto out;
		}
	}
out:
	file_list_free(&files);
	return rc;
}

/* Stage 3: the statement (from verified bytes) against the files on disk. */
static int check_statement(rf_attest_result *res, const rf_bag *bag,
			   const char *bag_dir, const rf_statement *st,
			   const rf_attest_opts *opts)
{
	const rf_subject **sub = NULL;
	rf_fetch *holes = NULL;
	rf_digest_job *jobs = NULL;
	rf_buf *full = NULL;
	rf_pool *pool = NULL;
	json_t *pred = NULL, *info = NULL;
	json_error_t jerr;
	int rc = 0;
	size_t njobs = 0;

	if (strcmp(rf_statement_predicate_type(st), RF_PREDICATE_BUNDLE_V1))
		return rf_error_set(RF_ECHECK, "predicateType '%s' is not '%s'",
				    rf_statement_predicate_type(st),
				    RF_PREDICATE_BUNDLE_V1);
	if ((rc = rf_model_bag_check_subjects(bag, st)) != 0 ||
	    (rc = rf_fetch_load(&holes, bag_dir)) != 0 ||
	    (rc = check_payload_set(bag_dir, st, holes)) != 0)
		goto out;
	/* Subjects = payload files + provenance, one to one: hash them all
	 * (a model subject was checked above against referee/model.json). */
	sub = calloc(rf_statement_subject_count(st) + 1, sizeof *sub);
	for (size_t i = 0; sub && i < rf_statement_subject_count(st); i++) {
		const rf_subject *s = rf_statement_subject(st, i);
		/* a fetch.txt hole: its signed digest must be the manifest's */
		int hole = rf_fetch_is_hole(holes, bag, s->name, s->sha256);
		if (hole < 0) {
			rc = hole;
			goto out;
		}
		if (!hole && !rf_model_is_subject(s->name))
			sub[njobs++] = s;
	}
	jobs = calloc(njobs + 1, sizeof *jobs);
	full = calloc(njobs + 1, sizeof *full);
	if (!sub || !jobs || !full) {
		rc = rf_error_set(RF_ENOMEM, "out of memory");
		goto out;
	}
	for (size_t i = 0; i < njobs; i++) {
		const char *name = sub[i]->name;
		if ((rc = rf_path_join(&full[i], bag_dir, name)) != 0)
			goto out;
		if (!rf_path_exists(full[i].data)) {
			rc = rf_error_set(RF_ECHECK, "signed subject '%s' is missing from "
					  "the bag", name);
			goto out;
		}
		if ((rc = rf_path_check_inside(bag_dir, full[i].data)) != 0) {
			if (rc == RF_EUNSAFE)
				rc = rf_error_set(RF_EUNSAFE, "'%s' resolves outside the bag",
						  name);
			goto out;
		}
		jobs[i].path = full[i].data;
	}
	if ((rc = rf_pool_new(&pool, opts->threads)) != 0 ||
	    (rc = rf_digest_files(jobs, njobs, RF_DIGEST_SHA256, pool, opts->progress,
				  opts->progress_ctx)) != 0)
		goto out;
	for (size_t i = 0; i < njobs; i++) {
		const rf_subject *s = sub[i];
		char hex[RF_DIGEST_HEX_MAX];
		if (jobs[i].rc) {
			rc = rf_error_set(jobs[i].rc, "%s", jobs[i].err);
			goto out;
		}
		rf_digest_to_hex(hex, jobs[i].md, 32);
		if (strcmp(hex, s->sha256)) {
			rc = rf_error_set(RF_ECHECK,
					  "'%s' differs from its signed digest (signed %.12s..., "
					  "on disk %.12s...)", s->name, s->sha256, hex);
			goto out;
		}
	}
	/* Hand the digests just read from disk on to the BagIt checks, so each
	 * payload file is read once per verification. */
	if ((rc = keep_digests(res, sub, jobs, njobs)) != 0)
		goto out;
	/* bag-info.txt must be the one that was signed. */
	pred = json_loads(rf_statement_predicate(st), 0, &jerr);
	info = bag_info_json(bag);
	if (!pred || !info || !json_equal(json_object_get(pred, "bagInfo"), info)) {
		rc = rf_error_set(RF_ECHECK,
				  "bag-info.txt differs from the bag-info in the signed "
				  "statement");
		goto out;
	}
	/* Signed manifest digests: each names a signed subject (whose bytes were
	 * just checked) and is that file's canonical digest. */
	{
		json_t *mans = json_object_get(pred, "manifests"), *v;
		const char *name;
		if (mans && !json_is_object(mans)) {
			rc = rf_error_set(RF_ECHECK, "signed statement: predicate.manifests "
					  "is not an object");
			goto out;
		}
		json_object_foreach(mans, name, v) {
			char hex[65];
			rf_buf p = RF_BUF_INIT;
			if (rf_fetch_is_hole(holes, bag, name, NULL) == 1)
				continue; /* not in the bag: checked once fetched */
			if (!json_is_string(v) || !rf_statement_find(st, name) ||
			    !strncmp(name, "referee/", 8)) {
				rc = rf_error_set(RF_ECHECK,
						  "signed statement: manifest digest for '%s' "
						  "names no signed payload file", name);
				goto out;
			}
			rc = rf_path_join(&p, bag_dir, name);
			if (!rc)
				rc = rf_manifest_digest_file(hex, p.data);
			rf_buf_free(&p);
			if (rc || strcmp(hex, json_string_value(v))) {
				rc = rf_error_set(RF_ECHECK,
						  "'%s': canonical manifest digest differs from "
						  "the signed one", name);
				goto out;
			}
		}
	}
	res->subjects = njobs;
out:
	json_decref(pred);
	json_decref(info);
	if (full)
		for (size_t i = 0; i < njobs; i++)
			rf_buf_free(&full[i]);
	free(full);
	free(jobs);
	free(sub);
	rf_fetch_free(holes);
	rf_pool_free(pool);
	return rc;
}

/* The stages; on success `*env_out` (if asked) is the envelope that was
 * checked, so that countersigning never re-reads it. */
static int verify_impl(rf_attest_result *res, const char *bag_dir,
		       const rf_attest_opts *opts, rf_dsse **env_out)
{
	rf_attest_opts none = RF_ATTEST_OPTS_INIT;
	rf_bag *bag = NULL;
	rf_dsse *env = NULL;
	rf_statement *st = NULL;
	const char *payload;
	size_t plen, min;
	int rc = 0;
	memset(res, 0, sizeof *res);
	opts = opts ? opts : &none;
	min = opts->min_signatures ? opts->min_signatures : 1;
	{
		struct stat dir_st;
		if (stat(bag_dir, &dir_st) || !S_ISDIR(dir_st.st_mode)) {
			res->failed = RF_ATTEST_STAGE_BAG;
			return rf_error_set(errno == ENOENT ? RF_ENOTFOUND : RF_EIO,
					    "'%s' is not a bag directory", bag_dir);
		}
	}
	if (!tag_exists(bag_dir, RF_ATTEST_DSSE)) {
		res->failed = RF_ATTEST_STAGE_ENVELOPE;
		if (tag_exists(bag_dir, RF_ATTEST_SIGSTORE))
			rc = rf_error_set(RF_ECHECK, "'%s' is present but '%s' is missing",
					  RF_ATTEST_SIGSTORE, RF_ATTEST_DSSE);
		else if (opts->require_signature || opts->trust)
			rc = rf_error_set(RF_ECHECK, "'%s' is unsigned", bag_dir);
		else
			res->failed = RF_ATTEST_STAGE_NONE;
		goto out;
	}
	res->is_signed = 1;
	/* A signed bag must at least open (its tag files are read below). */
	if ((rc = rf_bag_open(&bag, bag_dir)) != 0) {
		res->failed = RF_ATTEST_STAGE_BAG;
		goto out;
	}
	res->failed = RF_ATTEST_STAGE_ENVELOPE;
	if ((rc = read_envelope(&env, bag)) != 0)
		goto out;
	res->check.signatures = rf_dsse_signature_count(env);
	if (!(res->keyids = calloc(res->check.signatures, sizeof *res->keyids))) {
		rc = rf_error_set(RF_ENOMEM, "out of memory");
		goto out;
	}
	for (size_t i = 0; i < res->check.signatures; i++)
		if (!(res->keyids[i] = strdup(rf_dsse_signature_keyid(env, i)))) {
			rc = rf_error_set(RF_ENOMEM, "out of memory");
			goto out;
		}
	if (opts->trust) {
		size_t nsig = res->check.signatures;
		res->failed = RF_ATTEST_STAGE_SIGNATURES;
		res->trust_checked = 1;
		rc = rf_dsse_verify(&res->check, env, opts->trust, min);
		res->check.signatures = nsig;
		if (rc)
			goto out;
	}
	/* From here on only the payload bytes the signatures covered. */
	res->failed = RF_ATTEST_STAGE_STATEMENT;
	payload = rf_dsse_payload(env, &plen);
	if ((rc = rf_statement_parse(&st, payload, plen, "signed statement")) != 0 ||
	    (rc = check_statement(res, bag, bag_dir, st, opts)) != 0)
		goto out;
	res->failed = RF_ATTEST_STAGE_NONE;
	if (env_out) {
		*env_out = env;
		env = NULL;
	}
out:
	rf_statement_free(st);
	rf_dsse_free(env);
	rf_bag_free(bag);
	return rc;
}

int rf_attest_verify(rf_attest_result *res, const char *bag_dir,
		     const rf_attest_opts *opts)
{
	return verify_impl(res, bag_dir, opts, NULL);
}

int rf_attest_countersign(const char *bag_dir, const rf_key *key,
			  const rf_attest_opts *opts)
{
	rf_attest_result res;
	rf_bag_report *report = NULL;
	rf_dsse *env = NULL;
	int rc;
	/* A countersignature vouches for the signatures already there, so each
	 * of them must be checked, which takes keys to check them against. */
	if (!opts || !opts->trust)
		return rf_error_set(RF_EINVAL,
				    "countersigning '%s' needs a trust list: every "
				    "existing signature must verify against a trusted key",
				    bag_dir);
	rc = verify_impl(&res, bag_dir, opts, &env);
	if (rc)
		goto out;
	if (!res.is_signed) {
		rc = rf_error_set(RF_ECHECK, "'%s' is unsigned", bag_dir);
		goto out;
	}
	/* verify_impl let untrusted signers pass as long as enough trusted
	 * ones signed; a countersignature must not sit next to one of them. */
	if (res.check.unmatched) {
		size_t i = res.check.first_unmatched;
		const char *hint = rf_dsse_signature_keyid(env, i - 1);
		rc = rf_error_set(RF_ECHECK,
				  "signature %zu (keyid %.16s) is not valid for any "
				  "trusted key; every existing signature must verify "
				  "before countersigning", i, hint[0] ? hint : "none");
		goto out;
	}
	{
		/* The payload was just hashed against the statement: not again. */
		rf_verify_opts vo = RF_VERIFY_OPTS_INIT;
		vo.threads = opts->threads;
		vo.known = res.digests;
		vo.nknown = res.ndigests;
		rc = rf_bag_verify(&report, bag_dir, &vo);
	}
	if (rc) {
		const rf_bag_problem *p = rf_bag_report_at(report, 0);
		if (p)
			rc = rf_error_set(rc, "'%s': %s", p->path, p->message);
		goto out;
	}
	/* The envelope checked above, never a fresh read of the file. */
	if ((rc = rf_dsse_sign(env, key)) != 0)
		goto out;
	rc = write_attestation(bag_dir, env);
out:
	if (rc == RF_ECHECK || rc == RF_EUNSAFE)
		rf_error_wrap(rc, "not countersigning '%s'", bag_dir);
	rf_attest_result_free(&res);
	rf_bag_report_free(report);
	rf_dsse_free(env);
	return rc;
}
