/* referee — what bag packing needs from the provenance part: provenance
 * JSON for files on disk or at a git revision, and reading files straight
 * from a repository's object database.  Not public. */
#ifndef REFEREE_PROV_INTERNAL_H
#define REFEREE_PROV_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include <git2.h>

#include "referee/buf.h"

/* One packed file. */
struct prov_item {
	const char *src; /* path on disk, or path inside the repository (rev) */
	const char *bag_path; /* "data/..." */
	const char *sha256;   /* hex of the packed bytes */
	uint64_t size;
};

/* Provenance JSON for files packed from disk.  Each file's repository is
 * discovered from its path (all from one repository are expected; others
 * are recorded as outside it).  A file that differs from HEAD, or is not
 * tracked, makes this fail with RF_ECHECK unless `allow_dirty`. */
int prov_worktree_json(rf_buf *json, const struct prov_item *items, size_t n,
		       int allow_dirty);

/* A revision of a repository, for packing from the object database. */
typedef struct prov_rev prov_rev;

/* Open `repo` (NULL: discovered from the current directory) and resolve
 * `rev` to a commit. */
int prov_rev_open(prov_rev **out, const char *repo, const char *rev);
void prov_rev_free(prov_rev *r);

/* Every blob at or under `path` ("" or "." = the whole tree), in tree
 * order: fn(ctx, repo_path, size).  Symlinks and submodules in the tree
 * are refused (RF_EUNSAFE); a missing path is RF_ENOTFOUND. */
int prov_rev_list(prov_rev *r, const char *path,
		  int (*fn)(void *ctx, const char *repo_path, uint64_t size),
		  void *ctx);

/* The content of the blob at `repo_path`, appended to `out`. */
int prov_rev_read(prov_rev *r, const char *repo_path, rf_buf *out);

/* When the file at `repo_path` is a Git LFS pointer whose object is in
 * the repository's local LFS store, that object's path (appended to
 * `object`), SHA-256 and size: 1.  0 when not (pack the blob as it is). */
int prov_rev_lfs_object(prov_rev *r, const char *repo_path, rf_buf *object,
			char sha[65], uint64_t *size);

/* Provenance JSON for files packed from the revision. */
int prov_rev_json(rf_buf *json, prov_rev *r, const struct prov_item *items,
		  size_t n);

/* Git LFS: when the blob `id` is an LFS pointer, its object's SHA-256
 * (64 hex + NUL) and size; 1 when it is one, 0 when not. */
int prov_lfs_pointer(git_repository *repo, const git_oid *id, char sha[65],
		     uint64_t *size);

#endif
