/* referee — BagIt 1.0 bags (RFC 8493): pack, open, verify, tag files.
 *
 * A referee bag:
 *   bagit.txt               "BagIt-Version: 1.0", "Tag-File-Character-Encoding: UTF-8"
 *   bag-info.txt            Bagging-Date, Payload-Oxum, Bag-Software-Agent, ...
 *   data/...                the payload, with the packed paths' relative layout
 *   manifest-sha256.txt     "<sha256>  data/<path>" per payload file, sorted
 *   referee/provenance.json git provenance (see provenance.h)
 *   referee/...             other referee tag files (attestation.dsse.json, ...)
 *   tagmanifest-sha256.txt  bagit.txt, bag-info.txt, manifest-sha256.txt and
 *                           every file under referee/, sorted
 *
 * Usage, in short:
 *   rf_pack_opts o = RF_PACK_OPTS_INIT;
 *   rf_bag_pack("out.bag", paths, npaths, &o);       // atomic; hook: o.before_commit
 *   rf_bag_report *r; rf_bag_verify(&r, "out.bag", NULL);  // list of problems
 *   rf_bag *b; rf_bag_open(&b, "out.bag");            // entries, bag-info, tag files
 *   rf_bag_write_tag_file("out.bag", "referee/x.json", data, len); // + tag manifest
 */
#ifndef REFEREE_BAG_H
#define REFEREE_BAG_H

#include <signal.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "digest.h"
#include "pool.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Where referee keeps its own tag files inside a bag, and the provenance
 *  file's path (relative to the bag root). */
#define RF_BAG_REFEREE_DIR "referee"
#define RF_BAG_PROVENANCE "referee/provenance.json"

/** Bounds applied to every bag read (hostile input). */
#define RF_BAG_MAX_TAG_FILE (64u << 20) /**< bytes in one tag file */
#define RF_BAG_MAX_MANIFEST                                                    \
	(1u << 30) /**< bytes in one manifest (or provenance.json) */
#define RF_BAG_MAX_FILES 10000000u /**< payload files in one bag */
#define RF_BAG_MAX_DEPTH 64	   /**< directory nesting under data/ */

/* ------------------------------------------------------------------ pack */

/** Options for rf_bag_pack(); start from RF_PACK_OPTS_INIT. */
typedef struct rf_pack_opts {
	/** Threads hashing and copying (0 = all cores); ignored if `pool`. */
	int threads;
	/** A pool to run on (borrowed; NULL = make one of `threads`). */
	rf_pool *pool;
	/** Replace an existing OUT (only a bag or an empty directory); the old
	 *  one is swapped out only once the new bag is complete. */
	int force;
	/** Pack what input symlinks point to, instead of refusing them. */
	int follow_symlinks;
	/** Pack files that differ from the git HEAD, or are untracked. */
	int allow_dirty;
	/** Pack the paths as committed at this git revision, straight from the
	 *  object database of `repo` (no work tree needed); NULL = the files on
	 *  disk.  With `rev`, PATHs are paths inside the repository ("" or "."
	 *  for the whole tree). */
	const char *rev;
	/** The repository for `rev` (a work tree or a bare repository; required
	 *  with `rev`).  Without `rev`, the repository is discovered from the
	 *  packed files themselves. */
	const char *repo;
	/** bag-info.txt values; NULL = omitted. */
	const char *source_organization;
	const char *external_description;
	/** Bagging-Date (YYYY-MM-DD); NULL = today (UTC). */
	const char *bagging_date;
	/** Called on the finished, valid bag in its temporary directory just
	 *  before it is renamed to OUT.  It may add tag files with
	 *  rf_bag_write_tag_file() (e.g. referee/attestation.dsse.json); the
	 *  tag manifest is rewritten after it returns, so anything it leaves
	 *  under referee/ is covered.  A non-zero return (an RF_E* code, with
	 *  rf_error_set()) aborts the pack: nothing reaches OUT. */
	int (*before_commit)(void *ctx, const char *tmp_bag_dir);
	void *before_commit_ctx;
	/** Progress while copying and hashing (may be NULL). */
	rf_progress_fn progress;
	void *progress_ctx;
	/** When set and *cancel becomes non-zero (e.g. from a SIGINT handler),
	 *  the pack stops between blocks, removes its temporary directory and
	 *  fails with RF_EINTERNAL ("interrupted"). */
	const volatile sig_atomic_t *cancel;
	/** bag-info.txt External-Identifier: the identity a reviewer pins
	 *  (`verify --expect-id`), e.g. a manuscript number; NULL = a fresh
	 *  random UUID.  1 to RF_BAG_MAX_ID bytes of UTF-8, no control
	 *  characters.  The signed statement covers it with bag-info. */
	const char *external_identifier;
} rf_pack_opts;

/** Longest External-Identifier pack writes. */
#define RF_BAG_MAX_ID 256

/* clang-format off */
#define RF_PACK_OPTS_INIT {0, NULL, 0, 0, 0, NULL, NULL, NULL, NULL, NULL, \
			   NULL, NULL, NULL, NULL, NULL, NULL}
/* clang-format on */

/** Pack `paths` (files and directories) into a new bag at `out`.
 *
 *  In-bag names: a relative PATH keeps its normalised relative layout
 *  (`a/b.txt` -> `data/a/b.txt`, `.` -> the contents of the current
 *  directory); an absolute PATH, or one that climbs with `..`, is packed
 *  under its last component.  Names that are not UTF-8 or hold CR, LF
 *  or `%` (and anything rf_path_check_relative() refuses) are refused, as
 *  are two inputs that map to the same name, special files, and symlinks
 *  unless `follow_symlinks`.
 *
 *  The bag is built in a temporary sibling "<out>.tmp-XXXXXX" and renamed
 *  into place, so an interrupted pack leaves nothing at `out`.  An existing
 *  `out` is RF_EEXIST unless `force`.  Returns 0 or RF_E*. */
int rf_bag_pack(const char *out, const char *const *paths, size_t npaths,
		const rf_pack_opts *opts);

/* ------------------------------------------------------------ open/read */

/** An opened bag: its tag files parsed, nothing hashed.  Free with
 *  rf_bag_free(). */
typedef struct rf_bag rf_bag;

/** One line of manifest-sha256.txt (borrowed from the rf_bag). */
typedef struct rf_bag_entry {
	const char *path; /**< "data/...", validated (no `..`, not absolute) */
	const char *sha256; /**< 64 lower-case hex digits */
} rf_bag_entry;

/** Open the bag at `dir`: read bagit.txt, bag-info.txt,
 *  manifest-sha256.txt and tagmanifest-sha256.txt (when present), with
 *  every listed path checked by rf_path_check_relative() and payload paths
 *  required under data/.  RF_EFORMAT (malformed), RF_EUNSAFE (hostile
 *  path), RF_ENOTFOUND / RF_EIO (unreadable).  Does not hash anything:
 *  use rf_bag_verify() for that. */
int rf_bag_open(rf_bag **out, const char *dir);

/** NULL-safe. */
void rf_bag_free(rf_bag *bag);

/** The directory the bag was opened from (borrowed). */
const char *rf_bag_dir(const rf_bag *bag);

/** Payload manifest entries (manifest-sha256.txt), sorted by path. */
size_t rf_bag_entry_count(const rf_bag *bag);
/** Entry `i` (borrowed; NULL when out of range). */
const rf_bag_entry *rf_bag_entry_at(const rf_bag *bag, size_t i);
/** The entry for `path` ("data/..."), or NULL. */
const rf_bag_entry *rf_bag_entry_find(const rf_bag *bag, const char *path);

/** bag-info.txt: number of fields, and field `i` (label and value are
 *  borrowed; continuation lines are joined with a single space). */
size_t rf_bag_info_count(const rf_bag *bag);
int rf_bag_info_at(const rf_bag *bag, size_t i, const char **label,
		   const char **value);
/** First value of `label` (case-insensitive), or NULL. */
const char *rf_bag_info_get(const rf_bag *bag, const char *label);

/** The SHA-256 hex that tagmanifest-sha256.txt records for the tag file
 *  `relpath` ("referee/provenance.json"), or NULL when not listed.  This is
 *  the recorded value: rf_bag_verify() checks it against the file. */
const char *rf_bag_tag_sha256(const rf_bag *bag, const char *relpath);

/** Read the tag file `relpath` (e.g. RF_BAG_PROVENANCE) of the bag into
 *  `out` (appended), at most `max` bytes.  The path is checked: relative,
 *  no `..`, not under data/, and it must not resolve outside the bag.
 *  RF_ENOTFOUND when absent. */
int rf_bag_read_tag_file(rf_buf *out, const rf_bag *bag, const char *relpath,
			 size_t max);

/* ------------------------------------------------------------ tag files */

/** Add or replace the tag file `relpath` (under referee/) of the bag at
 *  `bag_dir` with `len` bytes, atomically, then rewrite
 *  tagmanifest-sha256.txt atomically so that the bag stays valid.  Used by
 *  signing and countersigning.  RF_EUNSAFE for a path outside referee/. */
int rf_bag_write_tag_file(const char *bag_dir, const char *relpath,
			  const void *data, size_t len);

/** Recompute tagmanifest-sha256.txt of the bag at `bag_dir` (bagit.txt,
 *  bag-info.txt, every manifest-*.txt and every file under referee/),
 *  written atomically. */
int rf_bag_update_tagmanifest(const char *bag_dir);

/* --------------------------------------------------------------- verify */

/** What is wrong with a bag, one kind per problem. */
typedef enum rf_bag_problem_kind {
	RF_BAG_MISMATCH =
	    1,		  /**< a file's digest differs from its manifest line */
	RF_BAG_MISSING,	  /**< listed in a manifest, not in the bag */
	RF_BAG_UNLISTED,  /**< in the payload (or referee/), not listed */
	RF_BAG_UNSAFE,	  /**< absolute, `..`, escaping symlink, special file */
	RF_BAG_OXUM,	  /**< Payload-Oxum disagrees with the payload */
	RF_BAG_MALFORMED, /**< a tag file or manifest line is malformed */
	RF_BAG_UNREADABLE, /**< a file cannot be read */
	RF_BAG_GIT,	   /**< --repo: commit or blob does not match */
	RF_BAG_SIGNATURE   /**< signatures (added by the sign module) */
} rf_bag_problem_kind;

/** One problem: `path` is relative to the bag root ("" for the bag). */
typedef struct rf_bag_problem {
	rf_bag_problem_kind kind;
	const char *path;    /**< borrowed from the report */
	const char *message; /**< one line, borrowed from the report */
} rf_bag_problem;

/** The outcome of a verification; free with rf_bag_report_free(). */
typedef struct rf_bag_report rf_bag_report;

/** Short lower-case name of a kind ("mismatch", "missing", ...). */
const char *rf_bag_problem_kind_name(rf_bag_problem_kind kind);

/** A new empty report (for callers that add their own checks). */
int rf_bag_report_new(rf_bag_report **out);
/** NULL-safe. */
void rf_bag_report_free(rf_bag_report *r);
/** Most problems a report keeps (the rest are counted, and still decide
 *  rf_bag_report_status()). */
#define RF_BAG_MAX_PROBLEMS 10000
/** Number of problems kept. */
size_t rf_bag_report_count(const rf_bag_report *r);
/** Number of problems beyond RF_BAG_MAX_PROBLEMS, counted but not kept. */
size_t rf_bag_report_dropped(const rf_bag_report *r);
/** Problem `i` (borrowed; NULL when out of range). */
const rf_bag_problem *rf_bag_report_at(const rf_bag_report *r, size_t i);
/** Add a problem (message printf-style).  0 or RF_ENOMEM. */
int rf_bag_report_add(rf_bag_report *r, rf_bag_problem_kind kind,
		      const char *path, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/** Remove problem `i` (a later check explained it, e.g. a fetch.txt
 *  hole).  RF_EINVAL when out of range. */
int rf_bag_report_remove(rf_bag_report *r, size_t i);
/** Payload files and bytes hashed by the verification. */
size_t rf_bag_report_files(const rf_bag_report *r);
uint64_t rf_bag_report_bytes(const rf_bag_report *r);
/** The library code summing up the report: 0 when there is no problem,
 *  RF_ECHECK when any problem shows tampering (mismatch, missing,
 *  unlisted, unsafe, oxum, git, signature), otherwise RF_EFORMAT
 *  (malformed) or RF_EIO (unreadable).  rf_error_exit_status() of it is
 *  the CLI exit status. */
int rf_bag_report_status(const rf_bag_report *r);

/** A SHA-256 the caller already computed from a payload file's bytes ON
 *  DISK in this run (never a digest copied from a manifest or statement),
 *  so that rf_bag_verify() need not read the file a second time. */
typedef struct rf_bag_known_digest {
	const char *path; /**< relative to the bag root ("data/x"), borrowed */
	char sha256[65];  /**< lower-case hex of the bytes read */
	uint64_t size;	  /**< bytes read */
} rf_bag_known_digest;

/** Options for rf_bag_verify(); start from RF_VERIFY_OPTS_INIT. */
typedef struct rf_verify_opts {
	int threads;   /**< 0 = all cores; ignored if `pool` */
	rf_pool *pool; /**< borrowed; NULL = make one of `threads` */
	rf_progress_fn progress;
	void *progress_ctx;
	/** Digests of files on disk already computed by the caller, sorted by
	 *  `path` (strcmp); a manifest-sha256.txt line whose path is here is
	 *  checked against it instead of re-reading the file.  Borrowed; NULL
	 *  = read every file. */
	const rf_bag_known_digest *known;
	size_t nknown;
} rf_verify_opts;

/* clang-format off */
#define RF_VERIFY_OPTS_INIT {0, NULL, NULL, NULL, NULL, 0}
/* clang-format on */

/** Check that the bag at `dir` is complete and valid (RFC 8493 §3): every
 *  line of every manifest-<alg>.txt (sha256, sha512) names a file that
 *  exists and matches, no payload file is unlisted, Payload-Oxum agrees,
 *  every tagmanifest line holds, every file under referee/ is listed, and
 *  the payload digests agree with referee/provenance.json when present.
 *  Hostile paths (absolute, `..`, resolving outside the bag) are reported
 *  before any file is opened; nothing outside the bag is ever read.
 *
 *  `*out` receives the report whenever the check ran (even for a broken
 *  bag); the return value is rf_bag_report_status() of it, or another
 *  RF_E* code (with `*out` NULL) when the check could not run at all
 *  (RF_ENOMEM, `dir` not a directory...).  `opts` may be NULL. */
int rf_bag_verify(rf_bag_report **out, const char *dir,
		  const rf_verify_opts *opts);

#ifdef __cplusplus
}
#endif
#endif
