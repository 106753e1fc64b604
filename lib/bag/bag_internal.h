/* referee — what the bag files share internally: parsing of BagIt tag files
 * and manifests, and safe opening of files inside a bag.  Not public. */
#ifndef REFEREE_BAG_INTERNAL_H
#define REFEREE_BAG_INTERNAL_H

#include <stdint.h>

#include "referee/bag.h"
#include "referee/buf.h"
#include "referee/digest.h"

/* One manifest line: path (decoded, validated) and hex digest (lower). */
struct bag_line {
	char *path;
	char *hex;
	unsigned lineno;
};

/* A parsed manifest: lines sorted by path. */
struct bag_manifest {
	rf_digest_alg alg;
	char *name; /* "manifest-sha256.txt" */
	struct bag_line *lines;
	size_t n, cap;
};

/* A bag-info.txt field. */
struct bag_field {
	char *label;
	char *value;
};

struct bag_info {
	struct bag_field *fields;
	size_t n, cap;
};

/* Called for each problem a parser meets; returns 0 to go on.  `path` may
 * be "" (the bag) or the offending listed path. */
typedef int (*bag_problem_fn)(void *ctx, rf_bag_problem_kind kind,
			      const char *path, const char *msg);

/* Parse the text of a manifest named `name` (for messages).  Lines that are
 * malformed or unsafe are reported through `fn` and skipped; `payload`
 * requires paths under data/, otherwise paths under data/ are refused.
 * Returns 0, or RF_ENOMEM, or what `fn` returned. */
int bag_manifest_parse(struct bag_manifest *m, const char *name,
		       const char *text, size_t len, int payload,
		       bag_problem_fn fn, void *ctx);
void bag_manifest_free(struct bag_manifest *m);
/* Binary search; NULL when absent. */
const struct bag_line *bag_manifest_find(const struct bag_manifest *m,
					 const char *path);

/* Parse bag-info.txt (labels, values, continuation lines). */
int bag_info_parse(struct bag_info *info, const char *text, size_t len,
		   bag_problem_fn fn, void *ctx);
void bag_info_free(struct bag_info *info);
const char *bag_info_get(const struct bag_info *info, const char *label);

/* Check bagit.txt: its two declarations.  0 or RF_EFORMAT (message set). */
int bag_declaration_check(const char *text, size_t len);

/* Split text into lines (LF, CR LF or CR); calls fn for each, stopping on
 * a non-zero return.  Lines are NUL-terminated copies in a scratch buffer. */
int bag_each_line(const char *text, size_t len,
		  int (*fn)(void *ctx, char *line, unsigned lineno), void *ctx);

/* Manifest file name for an algorithm: "manifest-sha256.txt" or with
 * `tag` "tagmanifest-sha256.txt". */
void bag_manifest_filename(char *out, size_t size, rf_digest_alg alg, int tag);

/* A sorted list of strings (paths) with sizes. */
struct bag_file {
	char *path;
	uint64_t size;
};
struct bag_files {
	struct bag_file *v;
	size_t n, cap;
};
int bag_files_add(struct bag_files *f, const char *path, uint64_t size);
void bag_files_sort(struct bag_files *f);
const struct bag_file *bag_files_find(const struct bag_files *f,
				      const char *path);
void bag_files_free(struct bag_files *f);

/* Walk the directory `rel` (relative to `root`) without following
 * symlinks, adding every regular file as "rel/...".  Symlinks that resolve
 * inside `root` to a regular file are added with the target's size; other
 * symlinks and special files go to `fn` as RF_BAG_UNSAFE.  Bounded by
 * RF_BAG_MAX_DEPTH and RF_BAG_MAX_FILES.  A missing `rel` adds nothing. */
int bag_walk(struct bag_files *out, const char *root, const char *rel,
	     bag_problem_fn fn, void *ctx);

/* Read the tag file `rel` of the bag at `dir` (checked: relative, no
 * `..`, resolving inside the bag, a regular file), at most `max` bytes. */
int bag_read_file(rf_buf *out, const char *dir, const char *rel, size_t max);

/* Record what a verification hashed. */
void bag_report_set_totals(rf_bag_report *r, size_t files, uint64_t bytes);

/* Write the tag manifest of the bag at `dir` (see rf_bag_update_tagmanifest).
 */
int bag_write_tagmanifest(const char *dir);

#endif
