/* Reading a bag's provenance (referee/provenance.json), stripping
 * credentials from remote URLs, and `verify --repo`: does the recorded
 * commit exist in a given repository, and does each payload file equal its
 * blob there. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <git2.h>
#include <jansson.h>

#include "provenance/prov_internal.h"
#include "referee/error.h"
#include "referee/file.h"
#include "referee/path.h"
#include "referee/provenance.h"

/* One record per payload file: as large as a manifest may be. */
#define PROV_MAX_BYTES RF_BAG_MAX_MANIFEST

struct remote {
	char *name, *url;
};

struct rf_provenance {
	json_t *root; /* owns every borrowed string below */
	const char *source, *commit, *branch, *rev, *commit_time;
	int dirty;
	struct remote *remotes;
	size_t nremotes;
	rf_provenance_file *files;
	size_t nfiles;
	const rf_provenance_file **by_path; /* files sorted by path */
};

static int file_cmp(const void *a, const void *b)
{
	const rf_provenance_file *x = *(const rf_provenance_file *const *)a;
	const rf_provenance_file *y = *(const rf_provenance_file *const *)b;
	return strcmp(x->path, y->path);
}

static const char *opt_str(json_t *o, const char *key)
{
	json_t *v = json_object_get(o, key);
	return json_is_string(v) ? json_string_value(v) : NULL;
}

int rf_provenance_parse(rf_provenance **out, const char *json, size_t len,
			const char *name)
{
	json_error_t jerr;
	rf_provenance *p;
	json_t *git, *files, *remotes;
	*out = NULL;
	if (len > PROV_MAX_BYTES)
		return rf_error_set(RF_ELIMIT, "'%s' is too large", name);
	p = calloc(1, sizeof *p);
	if (!p)
		return rf_error_set(RF_ENOMEM, "out of memory");
	p->root = json_loadb(json, len, JSON_REJECT_DUPLICATES, &jerr);
	if (!p->root) {
		free(p);
		return rf_error_set(RF_EFORMAT, "%s:%d:%d: %s", name, jerr.line,
				    jerr.column, jerr.text);
	}
	if (!json_is_object(p->root) ||
	    !json_is_string(json_object_get(p->root, "schema")) ||
	    strcmp(json_string_value(json_object_get(p->root, "schema")),
		   "referee.provenance/1")) {
		rf_provenance_free(p);
		return rf_error_set(RF_EFORMAT, "%s: not referee.provenance/1",
				    name);
	}
	p->source = opt_str(p->root, "source");
	if (!p->source)
		p->source = "none";
	git = json_object_get(p->root, "git");
	if (json_is_object(git)) {
		p->commit = opt_str(git, "commit");
		p->branch = opt_str(git, "branch");
		p->rev = opt_str(git, "rev");
		p->commit_time = opt_str(git, "commit_time");
		p->dirty = json_is_true(json_object_get(git, "dirty"));
		remotes = json_object_get(git, "remotes");
		if (json_is_array(remotes) && json_array_size(remotes)) {
			p->remotes = calloc(json_array_size(remotes),
					    sizeof *p->remotes);
			if (!p->remotes) {
				rf_provenance_free(p);
				return rf_error_set(RF_ENOMEM, "out of memory");
			}
			for (size_t i = 0; i < json_array_size(remotes); i++) {
				json_t *r = json_array_get(remotes, i);
				const char *n = opt_str(r, "name"),
					   *u = opt_str(r, "url");
				if (!n || !u)
					continue;
				p->remotes[p->nremotes].name = (char *)n;
				p->remotes[p->nremotes].url = (char *)u;
				p->nremotes++;
			}
		}
	} else if (git && !json_is_null(git)) {
		rf_provenance_free(p);
		return rf_error_set(
		    RF_EFORMAT, "%s: \"git\" must be an object or null", name);
	}
	files = json_object_get(p->root, "files");
	if (!json_is_array(files)) {
		rf_provenance_free(p);
		return rf_error_set(RF_EFORMAT, "%s: no \"files\" array", name);
	}
	p->files = calloc(json_array_size(files) + 1, sizeof *p->files);
	if (!p->files) {
		rf_provenance_free(p);
		return rf_error_set(RF_ENOMEM, "out of memory");
	}
	for (size_t i = 0; i < json_array_size(files); i++) {
		json_t *f = json_array_get(files, i);
		rf_provenance_file *pf = &p->files[p->nfiles];
		pf->path = opt_str(f, "path");
		if (!pf->path) {
			rf_provenance_free(p);
			return rf_error_set(RF_EFORMAT,
					    "%s: file %zu has no \"path\"",
					    name, i);
		}
		pf->sha256 = opt_str(f, "sha256");
		pf->repo_path = opt_str(f, "repo_path");
		pf->blob = opt_str(f, "blob");
		pf->matches =
		    json_is_true(json_object_get(f, "matches_head")) ||
		    json_is_true(json_object_get(f, "matches_commit"));
		p->nfiles++;
	}
	p->by_path = calloc(p->nfiles + 1, sizeof *p->by_path);
	if (!p->by_path) {
		rf_provenance_free(p);
		return rf_error_set(RF_ENOMEM, "out of memory");
	}
	for (size_t i = 0; i < p->nfiles; i++)
		p->by_path[i] = &p->files[i];
	if (p->nfiles)
		qsort(p->by_path, p->nfiles, sizeof *p->by_path, file_cmp);
	for (size_t i = 1; i < p->nfiles; i++)
		if (!strcmp(p->by_path[i - 1]->path, p->by_path[i]->path)) {
			char msg[512];
			snprintf(msg, sizeof msg, "%s: '%s' is recorded twice",
				 name, p->by_path[i]->path);
			rf_provenance_free(p);
			return rf_error_set(RF_EFORMAT, "%s", msg);
		}
	*out = p;
	return 0;
}

void rf_provenance_free(rf_provenance *p)
{
	if (!p)
		return;
	json_decref(p->root);
	free(p->remotes);
	free(p->files);
	free(p->by_path);
	free(p);
}

const char *rf_provenance_source(const rf_provenance *p)
{
	return p->source;
}
const char *rf_provenance_commit(const rf_provenance *p)
{
	return p->commit;
}
const char *rf_provenance_branch(const rf_provenance *p)
{
	return p->branch;
}
const char *rf_provenance_rev(const rf_provenance *p)
{
	return p->rev;
}
const char *rf_provenance_commit_time(const rf_provenance *p)
{
	return p->commit_time;
}
int rf_provenance_dirty(const rf_provenance *p)
{
	return p->dirty;
}
size_t rf_provenance_remote_count(const rf_provenance *p)
{
	return p->nremotes;
}
size_t rf_provenance_file_count(const rf_provenance *p)
{
	return p->nfiles;
}

int rf_provenance_remote_at(const rf_provenance *p, size_t i, const char **name,
			    const char **url)
{
	if (i >= p->nremotes)
		return rf_error_set(RF_ENOTFOUND, "no remote %zu", i);
	*name = p->remotes[i].name;
	*url = p->remotes[i].url;
	return 0;
}

const rf_provenance_file *rf_provenance_file_at(const rf_provenance *p,
						size_t i)
{
	return i < p->nfiles ? &p->files[i] : NULL;
}

const rf_provenance_file *rf_provenance_file_find(const rf_provenance *p,
						  const char *path)
{
	rf_provenance_file key;
	const rf_provenance_file *kp = &key, **hit;
	if (!p->nfiles)
		return NULL;
	memset(&key, 0, sizeof key);
	key.path = path;
	hit = bsearch(&kp, p->by_path, p->nfiles, sizeof *p->by_path, file_cmp);
	return hit ? *hit : NULL;
}

int rf_provenance_strip_url(rf_buf *out, const char *url)
{
	const char *scheme = strstr(url, "://");
	rf_buf_clear(out);
	if (scheme) {
		const char *host = scheme + 3;
		const char *end = host + strcspn(host, "/?#");
		const char *at = NULL;
		/* The last '@' before the path ends the user-info. */
		for (const char *c = host; c < end; c++)
			if (*c == '@')
				at = c;
		if (rf_buf_append(out, url, (size_t)(host - url)))
			return RF_ENOMEM;
		if (at)
			host = at + 1;
		/* Tokens also travel in queries ("?access_token=..."). */
		return rf_buf_append(out, host, strcspn(host, "?#"));
	}
	{
		/* scp form "user@host:path": a user name is not a secret, a
		 * password ("user:pw@host:path") is. */
		const char *at = strchr(url, '@');
		const char *colon = strchr(url, ':');
		const char *slash = strchr(url, '/');
		if (at && (!slash || at < slash) && colon && colon < at)
			return rf_buf_puts(out, at + 1);
	}
	return rf_buf_puts(out, url);
}

/* ------------------------------------------------------ verify --repo */

/* A Git LFS file equals its commit when the commit's pointer names the
 * file's SHA-256 and size.  The file is hashed here, so that this check
 * stands on its own (the manifest's word is not taken). */
static int lfs_matches(git_repository *repo, const git_oid *id,
		       const char *path)
{
	unsigned char md[32];
	char sha[65], have[65];
	uint64_t size = 0, got = 0;
	if (!prov_lfs_pointer(repo, id, sha, &size) ||
	    rf_digest_file(md, &got, RF_DIGEST_SHA256, path))
		return 0;
	rf_digest_to_hex(have, md, 32);
	return !strcmp(sha, have) && got == size;
}

static int git_problem(rf_bag_report *r, const char *path, const char *what)
{
	const git_error *e = git_error_last();
	return rf_bag_report_add(r, RF_BAG_GIT, path, "%s: %s", what,
				 e && e->message ? e->message
						 : "libgit2 error");
}

int rf_provenance_check_repo(rf_bag_report *report, const char *bag_dir,
			     const char *repo_dir)
{
	rf_bag *bag = NULL;
	rf_provenance *prov = NULL;
	rf_buf text = RF_BUF_INIT, path = RF_BUF_INIT;
	git_repository *repo = NULL;
	git_commit *commit = NULL;
	git_tree *tree = NULL;
	git_oid oid;
	int rc;
	git_libgit2_init();
	if ((rc = rf_bag_open(&bag, bag_dir)) != 0)
		goto out;
	rc =
	    rf_bag_read_tag_file(&text, bag, RF_BAG_PROVENANCE, PROV_MAX_BYTES);
	if (rc == RF_ENOTFOUND) {
		rc = rf_bag_report_add(report, RF_BAG_GIT, RF_BAG_PROVENANCE,
				       "the bag has no %s", RF_BAG_PROVENANCE);
		goto out;
	}
	if (rc || (rc = rf_provenance_parse(&prov, text.data, text.len,
					    RF_BAG_PROVENANCE)) != 0)
		goto out;
	if (git_repository_open_ext(&repo, repo_dir,
				    GIT_REPOSITORY_OPEN_NO_SEARCH, NULL)) {
		rc = rf_error_set(RF_ENOTFOUND, "'%s' is not a git repository",
				  repo_dir);
		goto out;
	}
	if (!prov->commit) {
		rc = rf_bag_report_add(report, RF_BAG_GIT, RF_BAG_PROVENANCE,
				       "the bag records no git commit");
		goto out;
	}
	if (git_oid_fromstr(&oid, prov->commit) ||
	    git_commit_lookup(&commit, repo, &oid) ||
	    git_commit_tree(&tree, commit)) {
		rc = rf_bag_report_add(report, RF_BAG_GIT, RF_BAG_PROVENANCE,
				       "commit %s is not in '%s'", prov->commit,
				       repo_dir);
		goto out;
	}
	for (size_t i = 0; i < rf_bag_entry_count(bag) && !rc; i++) {
		const rf_bag_entry *be = rf_bag_entry_at(bag, i);
		const rf_provenance_file *pf =
		    rf_provenance_file_find(prov, be->path);
		git_tree_entry *te = NULL;
		git_oid have;
		if (!pf || !pf->repo_path) {
			rc = rf_bag_report_add(report, RF_BAG_GIT, be->path,
					       "'%s' has no git provenance",
					       be->path);
			continue;
		}
		if (git_tree_entry_bypath(&te, tree, pf->repo_path)) {
			rc = rf_bag_report_add(
			    report, RF_BAG_GIT, be->path,
			    "'%s': '%s' is not in commit %.12s", be->path,
			    pf->repo_path, prov->commit);
			continue;
		}
		rf_buf_clear(&path);
		if (rf_path_join(&path, bag_dir, be->path)) {
			git_tree_entry_free(te);
			rc = RF_ENOMEM;
			break;
		}
		/* The raw bytes first; then as git would store them (filters),
		 * for repositories that convert line endings. */
		if (git_odb_hashfile(&have, path.data, GIT_OBJECT_BLOB)) {
			rc = git_problem(report, be->path,
					 "cannot hash the payload file");
		} else if (!git_oid_equal(&have, git_tree_entry_id(te)) &&
			   !lfs_matches(repo, git_tree_entry_id(te),
					path.data) &&
			   (git_repository_is_bare(repo) ||
			    git_repository_hashfile(&have, repo, path.data,
						    GIT_OBJECT_BLOB,
						    pf->repo_path) ||
			    !git_oid_equal(&have, git_tree_entry_id(te)))) {
			rc = rf_bag_report_add(
			    report, RF_BAG_GIT, be->path,
			    "'%s' differs from '%s' at commit %.12s%s",
			    be->path, pf->repo_path, prov->commit,
			    pf->matches ? ""
					: " (it was packed with "
					  "uncommitted changes)");
		}
		git_tree_entry_free(te);
	}
out:
	git_tree_free(tree);
	git_commit_free(commit);
	git_repository_free(repo);
	rf_provenance_free(prov);
	rf_bag_free(bag);
	rf_buf_free(&text);
	rf_buf_free(&path);
	git_libgit2_shutdown();
	return rc;
}
