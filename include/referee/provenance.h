/* referee — git provenance of a bag's payload (libgit2).
 *
 * rf_bag_pack() writes referee/provenance.json:
 *   {
 *     "schema": "referee.provenance/1",
 *     "generator": "referee/<version>",
 *     "source": "worktree" | "revision" | "none",
 *     "git": null (not in a git repository) or {
 *       "commit": "<hex>", "commit_time": "<ISO 8601 UTC>",
 *       "branch": "<name>" or null (detached), "rev": "<REV>" (only --rev),
 *       "remotes": [{"name": "origin", "url": "<url, credentials stripped>"}],
 *       "dirty": <bool: tracked files changed against HEAD>,
 *       "untracked": <number of untracked files in the work tree>
 *     },
 *     "files": [{"path": "data/...", "sha256": "<hex>", "size": <bytes>,
 *                "repo_path": "<path in the repository>" or null,
 *                "blob": "<git blob id>" or null,
 *                "matches_head": <bool> (worktree) | "matches_commit": true
 * (rev)}]
 *   }
 * Packing a file whose content differs from HEAD (or that is untracked)
 * fails unless --allow-dirty; then `matches_head` is false for it.  A Git
 * LFS file matches when its SHA-256 and size are those its committed
 * pointer names; its record then also has "lfs": true and "blob" is the
 * pointer's blob id. */
#ifndef REFEREE_PROVENANCE_H
#define REFEREE_PROVENANCE_H

#include <stddef.h>

#include "bag.h"
#include "buf.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Parsed provenance; free with rf_provenance_free(). */
typedef struct rf_provenance rf_provenance;

/** One packed file's provenance (borrowed from the rf_provenance). */
typedef struct rf_provenance_file {
	const char *path;      /**< "data/..." */
	const char *sha256;    /**< hex, as packed */
	const char *repo_path; /**< path in the repository, or NULL */
	const char *blob;      /**< git blob id (hex), or NULL */
	int matches;	       /**< 1 when equal to the blob at the recorded
				    commit (matches_head / matches_commit) */
} rf_provenance_file;

/** Parse provenance JSON (`name` names it in error messages).  Sizes are
 *  bounded; RF_EFORMAT with line:column when malformed. */
int rf_provenance_parse(rf_provenance **out, const char *json, size_t len,
			const char *name);

/** NULL-safe. */
void rf_provenance_free(rf_provenance *p);

/** "worktree", "revision" or "none" (borrowed). */
const char *rf_provenance_source(const rf_provenance *p);
/** Recorded commit (hex), branch, revision, commit time; NULL when absent
 *  (outside a repository, detached HEAD, not packed with --rev). */
const char *rf_provenance_commit(const rf_provenance *p);
const char *rf_provenance_branch(const rf_provenance *p);
const char *rf_provenance_rev(const rf_provenance *p);
const char *rf_provenance_commit_time(const rf_provenance *p);
/** 1 when tracked files differed from HEAD at packing time. */
int rf_provenance_dirty(const rf_provenance *p);
/** Remotes: count, and remote `i` (borrowed strings). */
size_t rf_provenance_remote_count(const rf_provenance *p);
int rf_provenance_remote_at(const rf_provenance *p, size_t i, const char **name,
			    const char **url);
/** Files: count, and file `i` (borrowed; NULL when out of range). */
size_t rf_provenance_file_count(const rf_provenance *p);
const rf_provenance_file *rf_provenance_file_at(const rf_provenance *p,
						size_t i);
/** The file recorded for `path` ("data/..."), or NULL (binary search). */
const rf_provenance_file *rf_provenance_file_find(const rf_provenance *p,
						  const char *path);

/** Copy `url` into `out` without credentials: the user-info of a
 *  "scheme://user:secret@host/..." URL, and any query or fragment, are
 *  dropped; "user@host:path" (scp form) keeps its user name only when it
 *  holds no password.  Local paths are kept as they are. */
int rf_provenance_strip_url(rf_buf *out, const char *url);

/** verify --repo: confirm against the repository at `repo_dir` (work tree
 *  or bare) that the bag's recorded commit exists there and that each
 *  payload file equals the blob at its repo_path in that commit.  Problems
 *  are added to `report` as RF_BAG_GIT (a bag without git provenance is
 *  one too).  Returns 0 when the check ran (problems or not), or an
 *  RF_E* code when it could not (unreadable bag or provenance, `repo_dir`
 *  not a repository: RF_ENOTFOUND). */
int rf_provenance_check_repo(rf_bag_report *report, const char *bag_dir,
			     const char *repo_dir);

#ifdef __cplusplus
}
#endif
#endif
