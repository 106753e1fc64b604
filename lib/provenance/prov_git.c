/* Git provenance at pack time (libgit2): which commit, branch and remotes
 * the packed files come from, whether each equals its blob at HEAD, and
 * packing straight from a revision's object database. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include <git2.h>
#include <jansson.h>

#include "provenance/prov_internal.h"
#include "referee/error.h"
#include "referee/provenance.h"

#ifndef RF_VERSION
#define RF_VERSION "0.0.0"
#endif

/* libgit2's message, translated at the boundary. */
static int git_fail(int code, const char *what)
{
	const git_error *e = git_error_last();
	return rf_error_set(code, "%s: %s", what,
			    e && e->message ? e->message : "libgit2 error");
}

static json_t *jstr_or_null(const char *s)
{
	return s ? json_string(s) : json_null();
}

static int json_done(rf_buf *out, json_t *root)
{
	char *s;
	int rc;
	if (!root)
		return rf_error_set(RF_ENOMEM, "out of memory");
	s = json_dumps(root, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	json_decref(root);
	if (!s)
		return rf_error_set(RF_ENOMEM, "out of memory");
	rc = rf_buf_puts(out, s);
	if (!rc)
		rc = rf_buf_puts(out, "\n");
	free(s);
	return rc;
}

static json_t *new_root(const char *source)
{
	json_t *root = json_object();
	if (!root)
		return NULL;
	json_object_set_new(root, "schema",
			    json_string("referee.provenance/1"));
	json_object_set_new(root, "generator",
			    json_string("referee/" RF_VERSION));
	json_object_set_new(root, "source", json_string(source));
	return root;
}

/* Commit, time, branch and remotes of `repo` at `commit`. */
static json_t *git_info(git_repository *repo, git_commit *commit,
			const char *branch)
{
	json_t *g = json_object(), *remotes = json_array();
	git_config *cfg = NULL;
	git_config_iterator *it = NULL;
	char hex[GIT_OID_HEXSZ + 1], when[32];
	time_t t = (time_t)git_commit_time(commit);
	struct tm tm;
	if (!g || !remotes) {
		json_decref(g);
		json_decref(remotes);
		return NULL;
	}
	git_oid_tostr(hex, sizeof hex, git_commit_id(commit));
	gmtime_r(&t, &tm);
	strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", &tm);
	json_object_set_new(g, "commit", json_string(hex));
	json_object_set_new(g, "commit_time", json_string(when));
	json_object_set_new(g, "branch", jstr_or_null(branch));
	/* Remotes straight from the configuration: git_remote_list() matches
	 * names with a regex, which leaks in libgit2 1.5 (pcre2 match data). */
	if (git_repository_config_snapshot(&cfg, repo) == 0 &&
	    git_config_iterator_new(&it, cfg) == 0) {
		git_config_entry *e;
		while (git_config_next(&e, it) == 0) {
			size_t len = strlen(e->name);
			rf_buf url = RF_BUF_INIT, name = RF_BUF_INIT;
			json_t *o;
			if (strncmp(e->name, "remote.", 7) || len < 12 ||
			    strcmp(e->name + len - 4, ".url") || !e->value)
				continue;
			if (rf_buf_append(&name, e->name + 7, len - 11) == 0 &&
			    rf_provenance_strip_url(&url, e->value) == 0 &&
			    (o = json_object()) != NULL) {
				json_object_set_new(o, "name",
						    json_string(name.data));
				json_object_set_new(
				    o, "url",
				    json_string(url.data ? url.data : ""));
				json_array_append_new(remotes, o);
			}
			rf_buf_free(&url);
			rf_buf_free(&name);
		}
	}
	git_config_iterator_free(it);
	git_config_free(cfg);
	json_object_set_new(g, "remotes", remotes);
	return g;
}

/* Git LFS keeps large files (weights, datasets) out of git: the commit
 * holds a small pointer naming the object's SHA-256 and size, the work
 * tree the real bytes.  libgit2 does not run the LFS filter, so such a
 * file is compared with its pointer instead of its blob. */
int prov_lfs_pointer(git_repository *repo, const git_oid *id, char sha[65],
		     uint64_t *size)
{
	static const char head[] =
	    "version https://git-lfs.github.com/spec/v1\n";
	git_blob *blob = NULL;
	char text[1024], *p, *end;
	size_t len;
	int ok = 0;
	if (git_blob_lookup(&blob, repo, id))
		return 0;
	len = (size_t)git_blob_rawsize(blob);
	if (len < sizeof text && len > sizeof head) {
		memcpy(text, git_blob_rawcontent(blob), len);
		text[len] = '\0';
		if (!strncmp(text, head, sizeof head - 1) &&
		    strlen(text) == len &&
		    (p = strstr(text, "\noid sha256:")) != NULL &&
		    strspn(p + 12, "0123456789abcdef") == 64 && p[76] == '\n') {
			memcpy(sha, p + 12, 64);
			sha[64] = '\0';
			if ((p = strstr(text, "\nsize ")) != NULL) {
				errno = 0;
				*size = strtoull(p + 6, &end, 10);
				ok = !errno && end > p + 6 && *end == '\n';
			}
		}
	}
	git_blob_free(blob);
	return ok;
}

static json_t *file_json(const struct prov_item *it, const char *repo_path,
			 const git_oid *blob, const char *match_key, int match,
			 int lfs)
{
	json_t *f = json_object();
	char hex[GIT_OID_HEXSZ + 1];
	if (!f)
		return NULL;
	json_object_set_new(f, "path", json_string(it->bag_path));
	json_object_set_new(f, "sha256", json_string(it->sha256));
	json_object_set_new(f, "size", json_integer((json_int_t)it->size));
	json_object_set_new(f, "repo_path", jstr_or_null(repo_path));
	if (blob) {
		git_oid_tostr(hex, sizeof hex, blob);
		json_object_set_new(f, "blob", json_string(hex));
	} else {
		json_object_set_new(f, "blob", json_null());
	}
	if (match_key)
		json_object_set_new(f, match_key, json_boolean(match));
	if (lfs)
		json_object_set_new(f, "lfs", json_true());
	return f;
}

/* -------------------------------------------------------------- worktree */

/* The work tree root (realpath, no trailing slash) of the repository that
 * holds `path`, opened into *repo; 0 with *repo NULL when there is none. */
static int discover(git_repository **repo, char root[PATH_MAX],
		    const char *path)
{
	git_buf found = {0};
	char dir[PATH_MAX];
	const char *wd;
	char *slash;
	*repo = NULL;
	if (!realpath(path, dir))
		return rf_error_set(RF_EIO, "cannot resolve '%s': %s", path,
				    strerror(errno));
	slash = strrchr(dir, '/');
	if (slash && slash != dir)
		*slash = '\0';
	if (git_repository_discover(&found, dir, 0, NULL))
		return 0; /* not in a repository: an answer, not an error */
	if (git_repository_open(repo, found.ptr)) {
		git_buf_dispose(&found);
		return git_fail(RF_ELIB, "cannot open the git repository");
	}
	git_buf_dispose(&found);
	wd = git_repository_workdir(*repo);
	if (!wd || !realpath(wd, root)) {
		git_repository_free(*repo);
		*repo = NULL;
		return 0; /* a bare repository has no files on disk */
	}
	return 0;
}

/* An LFS file in the work tree looks modified to libgit2 (it does not run
 * the LFS filter); when its size is the one its pointer names, it is the
 * checked-out object, not a change.  (Packed files are compared by their
 * full SHA-256; this only keeps "dirty" meaningful for the rest.) */
static int lfs_checked_out(git_repository *repo, git_tree *tree, const char *wt,
			   const char *path)
{
	git_tree_entry *te = NULL;
	char sha[65], full[PATH_MAX];
	uint64_t size = 0;
	struct stat st;
	int ok = 0;
	if (!tree || git_tree_entry_bypath(&te, tree, path))
		return 0;
	if (prov_lfs_pointer(repo, git_tree_entry_id(te), sha, &size) &&
	    snprintf(full, sizeof full, "%s/%s", wt, path) < (int)sizeof full &&
	    stat(full, &st) == 0 && (uint64_t)st.st_size == size)
		ok = 1;
	git_tree_entry_free(te);
	return ok;
}

static int status_counts(git_repository *repo, git_tree *tree, const char *wt,
			 int *dirty, size_t *untracked)
{
	git_status_options so;
	git_status_list *list = NULL;
	git_status_options_init(&so, GIT_STATUS_OPTIONS_VERSION);
	so.show = GIT_STATUS_SHOW_INDEX_AND_WORKDIR;
	so.flags = GIT_STATUS_OPT_INCLUDE_UNTRACKED |
		   GIT_STATUS_OPT_EXCLUDE_SUBMODULES;
	*dirty = 0;
	*untracked = 0;
	if (git_status_list_new(&list, repo, &so))
		return git_fail(RF_ELIB, "cannot read the git status");
	for (size_t i = 0; i < git_status_list_entrycount(list); i++) {
		const git_status_entry *e = git_status_byindex(list, i);
		if (e->status == GIT_STATUS_WT_NEW)
			(*untracked)++;
		else if (e->status == GIT_STATUS_WT_MODIFIED &&
			 e->index_to_workdir &&
			 lfs_checked_out(repo, tree, wt,
					 e->index_to_workdir->new_file.path))
			continue;
		else if (e->status != GIT_STATUS_CURRENT &&
			 e->status != GIT_STATUS_IGNORED)
			*dirty = 1;
	}
	git_status_list_free(list);
	return 0;
}

int prov_worktree_json(rf_buf *json, const struct prov_item *items, size_t n,
		       int allow_dirty)
{
	git_repository *repo = NULL;
	git_reference *head = NULL;
	git_commit *commit = NULL;
	git_tree *tree = NULL;
	json_t *root = NULL, *files = NULL, *g = NULL;
	char wt[PATH_MAX] = "";
	size_t wtlen, untracked = 0;
	int rc = 0, dirty = 0;
	git_libgit2_init();
	/* The repository of the first packed file is the one recorded. */
	for (size_t i = 0; i < n && !repo && !rc; i++)
		rc = discover(&repo, wt, items[i].src);
	if (rc)
		goto out;
	root = new_root(repo ? "worktree" : "none");
	files = json_array();
	if (!root || !files) {
		rc = rf_error_set(RF_ENOMEM, "out of memory");
		goto out;
	}
	if (repo) {
		int e = git_repository_head(&head, repo);
		if (e == 0) {
			if (git_reference_peel((git_object **)&commit, head,
					       GIT_OBJECT_COMMIT) ||
			    git_commit_tree(&tree, commit)) {
				rc = git_fail(RF_ELIB, "cannot read HEAD");
				goto out;
			}
		} else if (e != GIT_EUNBORNBRANCH) {
			rc = git_fail(RF_ELIB, "cannot read HEAD");
			goto out;
		}
		if ((rc = status_counts(repo, tree, wt, &dirty, &untracked)) !=
		    0)
			goto out;
		if (commit) {
			g = git_info(repo, commit,
				     git_reference_is_branch(head)
					 ? git_reference_shorthand(head)
					 : NULL);
		} else {
			g = json_object(); /* no commit yet */
			if (g) {
				json_object_set_new(g, "commit", json_null());
				json_object_set_new(g, "branch", json_null());
				json_object_set_new(g, "remotes", json_array());
			}
		}
		if (!g) {
			rc = rf_error_set(RF_ENOMEM, "out of memory");
			goto out;
		}
		json_object_set_new(g, "dirty", json_boolean(dirty));
		json_object_set_new(g, "untracked",
				    json_integer((json_int_t)untracked));
		json_object_set_new(root, "git", g);
	} else {
		json_object_set_new(root, "git", json_null());
	}
	wtlen = strlen(wt);
	for (size_t i = 0; i < n; i++) {
		char real[PATH_MAX];
		const char *rel = NULL;
		git_oid blob, *bp = NULL;
		git_tree_entry *te = NULL;
		int match = 0, tracked = 0, lfs = 0;
		json_t *f;
		if (repo && realpath(items[i].src, real) &&
		    !strncmp(real, wt, wtlen) && real[wtlen] == '/') {
			rel = real + wtlen + 1;
			/* What git would store for this file (filters applied).
			 */
			if (git_repository_hashfile(&blob, repo, real,
						    GIT_OBJECT_BLOB, rel)) {
				rc = git_fail(
				    RF_ELIB,
				    "cannot hash the file as a git blob");
				goto out;
			}
			bp = &blob;
			if (tree &&
			    git_tree_entry_bypath(&te, tree, rel) == 0) {
				char sha[65];
				uint64_t size = 0;
				tracked = 1;
				match =
				    git_oid_equal(git_tree_entry_id(te), &blob);
				if (!match &&
				    prov_lfs_pointer(repo,
						     git_tree_entry_id(te), sha,
						     &size) &&
				    !strcmp(sha, items[i].sha256) &&
				    size == items[i].size) {
					/* The commit holds its pointer. */
					match = lfs = 1;
					git_oid_cpy(&blob,
						    git_tree_entry_id(te));
				}
				git_tree_entry_free(te);
			}
			if (!match && !allow_dirty) {
				rc = rf_error_set(
				    RF_ECHECK,
				    "'%s' %s (commit it, or pack with "
				    "--allow-dirty)",
				    items[i].src,
				    tracked ? "has uncommitted changes"
					    : "is not committed");
				goto out;
			}
		} else if (repo && !allow_dirty) {
			rc = rf_error_set(
			    RF_ECHECK,
			    "'%s' is outside the git work tree '%s' of "
			    "the other files (pack with --allow-dirty)",
			    items[i].src, wt);
			goto out;
		}
		f = file_json(&items[i], rel, bp, repo ? "matches_head" : NULL,
			      match, lfs);
		if (!f || json_array_append_new(files, f)) {
			rc = rf_error_set(RF_ENOMEM, "out of memory");
			goto out;
		}
	}
	json_object_set_new(root, "files", files);
	files = NULL;
	rc = json_done(json, root);
	root = NULL;
out:
	json_decref(root);
	json_decref(files);
	git_tree_free(tree);
	git_commit_free(commit);
	git_reference_free(head);
	git_repository_free(repo);
	git_libgit2_shutdown();
	return rc;
}

/* ------------------------------------------------------------------ rev */

struct prov_rev {
	git_repository *repo;
	git_commit *commit;
	git_tree *tree;
	char *rev;
	char *branch;
};

int prov_rev_open(prov_rev **out, const char *repo, const char *rev)
{
	prov_rev *r;
	git_object *obj = NULL;
	git_reference *ref = NULL;
	*out = NULL;
	if (!repo || !rev)
		return rf_error_set(RF_EINVAL,
				    "a repository and a revision are needed");
	git_libgit2_init();
	r = calloc(1, sizeof *r);
	if (!r || !(r->rev = strdup(rev))) {
		free(r);
		git_libgit2_shutdown();
		return rf_error_set(RF_ENOMEM, "out of memory");
	}
	if (git_repository_open_ext(&r->repo, repo, 0, NULL)) {
		prov_rev_free(r);
		return rf_error_set(RF_ENOTFOUND,
				    "'%s' is not in a git repository", repo);
	}
	if (git_revparse_single(&obj, r->repo, rev)) {
		prov_rev_free(r);
		return rf_error_set(
		    RF_ENOTFOUND, "revision '%s' not found in '%s'", rev, repo);
	}
	if (git_object_peel((git_object **)&r->commit, obj,
			    GIT_OBJECT_COMMIT) ||
	    git_commit_tree(&r->tree, r->commit)) {
		git_object_free(obj);
		prov_rev_free(r);
		return rf_error_set(RF_EINVAL, "'%s' does not name a commit",
				    rev);
	}
	git_object_free(obj);
	/* Record the branch when REV names one. */
	if (git_branch_lookup(&ref, r->repo, rev, GIT_BRANCH_LOCAL) == 0) {
		r->branch = strdup(git_reference_shorthand(ref));
		git_reference_free(ref);
	}
	*out = r;
	return 0;
}

void prov_rev_free(prov_rev *r)
{
	if (!r)
		return;
	git_tree_free(r->tree);
	git_commit_free(r->commit);
	git_repository_free(r->repo);
	free(r->rev);
	free(r->branch);
	free(r);
	git_libgit2_shutdown();
}

struct walk_ctx {
	prov_rev *r;
	const char *prefix;
	int (*fn)(void *, const char *, uint64_t);
	void *ctx;
	int rc;
};

static int entry_check(prov_rev *r, const git_tree_entry *e, const char *path,
		       uint64_t *size)
{
	git_odb *odb = NULL;
	size_t len = 0;
	git_object_t type;
	int rc = 0;
	switch (git_tree_entry_type(e)) {
	case GIT_OBJECT_BLOB:
		if (git_tree_entry_filemode(e) == GIT_FILEMODE_LINK)
			return rf_error_set(
			    RF_EUNSAFE,
			    "'%s' is a symlink in the commit: refused", path);
		break;
	case GIT_OBJECT_COMMIT:
		return rf_error_set(RF_EUNSAFE, "'%s' is a submodule: refused",
				    path);
	default:
		return rf_error_set(RF_EINTERNAL, "'%s' is not a file", path);
	}
	if (git_repository_odb(&odb, r->repo) ||
	    git_odb_read_header(&len, &type, odb, git_tree_entry_id(e)))
		rc = git_fail(RF_ELIB, "cannot read the object database");
	git_odb_free(odb);
	*size = len;
	return rc;
}

static int walk_cb(const char *root, const git_tree_entry *e, void *payload)
{
	struct walk_ctx *w = payload;
	rf_buf path = RF_BUF_INIT;
	uint64_t size = 0;
	if (git_tree_entry_type(e) == GIT_OBJECT_TREE)
		return 0;
	if (rf_buf_printf(&path, "%s%s%s%s", w->prefix, *w->prefix ? "/" : "",
			  root, git_tree_entry_name(e))) {
		w->rc = RF_ENOMEM;
		return -1;
	}
	w->rc = entry_check(w->r, e, path.data, &size);
	if (!w->rc)
		w->rc = w->fn(w->ctx, path.data, size);
	rf_buf_free(&path);
	return w->rc ? -1 : 0;
}

int prov_rev_list(prov_rev *r, const char *path,
		  int (*fn)(void *ctx, const char *repo_path, uint64_t size),
		  void *ctx)
{
	struct walk_ctx w = {r, path, fn, ctx, 0};
	git_tree_entry *e = NULL;
	git_tree *sub = NULL;
	uint64_t size = 0;
	int rc;
	if (!*path || !strcmp(path, ".")) {
		w.prefix = "";
		if (git_tree_walk(r->tree, GIT_TREEWALK_PRE, walk_cb, &w) &&
		    !w.rc)
			return git_fail(RF_ELIB,
					"cannot walk the commit's tree");
		return w.rc;
	}
	if (git_tree_entry_bypath(&e, r->tree, path))
		return rf_error_set(
		    RF_ENOTFOUND, "'%s' is not in revision '%s'", path, r->rev);
	if (git_tree_entry_type(e) == GIT_OBJECT_TREE) {
		if (git_tree_lookup(&sub, r->repo, git_tree_entry_id(e))) {
			git_tree_entry_free(e);
			return git_fail(RF_ELIB, "cannot read a tree");
		}
		if (git_tree_walk(sub, GIT_TREEWALK_PRE, walk_cb, &w) && !w.rc)
			w.rc =
			    git_fail(RF_ELIB, "cannot walk the commit's tree");
		git_tree_free(sub);
		git_tree_entry_free(e);
		return w.rc;
	}
	rc = entry_check(r, e, path, &size);
	git_tree_entry_free(e);
	if (!rc)
		rc = fn(ctx, path, size);
	return rc;
}

int prov_rev_read(prov_rev *r, const char *repo_path, rf_buf *out)
{
	git_tree_entry *e = NULL;
	git_blob *blob = NULL;
	int rc = 0;
	if (git_tree_entry_bypath(&e, r->tree, repo_path))
		return rf_error_set(RF_ENOTFOUND,
				    "'%s' is not in revision '%s'", repo_path,
				    r->rev);
	if (git_blob_lookup(&blob, r->repo, git_tree_entry_id(e)))
		rc = git_fail(RF_ELIB, "cannot read a blob");
	else
		rc = rf_buf_append(out, git_blob_rawcontent(blob),
				   (size_t)git_blob_rawsize(blob));
	git_blob_free(blob);
	git_tree_entry_free(e);
	return rc;
}

int prov_rev_lfs_object(prov_rev *r, const char *repo_path, rf_buf *object,
			char sha[65], uint64_t *size)
{
	git_tree_entry *e = NULL;
	struct stat st;
	int lfs;
	if (git_tree_entry_bypath(&e, r->tree, repo_path))
		return 0;
	lfs = prov_lfs_pointer(r->repo, git_tree_entry_id(e), sha, size);
	git_tree_entry_free(e);
	if (!lfs)
		return 0;
	/* git-lfs keeps objects in <gitdir>/lfs/objects/ab/cd/abcd... */
	if (rf_buf_printf(object, "%slfs/objects/%.2s/%.2s/%s",
			  git_repository_path(r->repo), sha, sha + 2, sha))
		return RF_ENOMEM;
	return lstat(object->data, &st) == 0 && S_ISREG(st.st_mode);
}

int prov_rev_json(rf_buf *json, prov_rev *r, const struct prov_item *items,
		  size_t n)
{
	json_t *root = new_root("revision"), *files = json_array(), *g;
	int rc = 0;
	if (!root || !files) {
		json_decref(root);
		json_decref(files);
		return rf_error_set(RF_ENOMEM, "out of memory");
	}
	g = git_info(r->repo, r->commit, r->branch);
	if (!g) {
		rc = rf_error_set(RF_ENOMEM, "out of memory");
		goto out;
	}
	json_object_set_new(g, "rev", json_string(r->rev));
	json_object_set_new(g, "dirty", json_false());
	json_object_set_new(root, "git", g);
	for (size_t i = 0; i < n; i++) {
		git_tree_entry *e = NULL;
		json_t *f;
		if (git_tree_entry_bypath(&e, r->tree, items[i].src)) {
			rc = rf_error_set(RF_ENOTFOUND,
					  "'%s' is not in revision '%s'",
					  items[i].src, r->rev);
			goto out;
		}
		{
			char sha[65];
			uint64_t size = 0;
			/* An LFS object packed in place of its pointer. */
			int lfs =
			    prov_lfs_pointer(r->repo, git_tree_entry_id(e), sha,
					     &size) &&
			    !strcmp(sha, items[i].sha256);
			f = file_json(&items[i], items[i].src,
				      git_tree_entry_id(e), "matches_commit", 1,
				      lfs);
		}
		git_tree_entry_free(e);
		if (!f || json_array_append_new(files, f)) {
			rc = rf_error_set(RF_ENOMEM, "out of memory");
			goto out;
		}
	}
	json_object_set_new(root, "files", files);
	files = NULL;
	rc = json_done(json, root);
	root = NULL;
out:
	json_decref(root);
	json_decref(files);
	return rc;
}
