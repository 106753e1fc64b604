/* referee — reading files with bounds, and atomic writes.
 *
 * Writes go to a temporary sibling that is fsync'ed and renamed into place,
 * so an interrupted run never leaves a half-written file behind. */
#ifndef REFEREE_FILE_H
#define REFEREE_FILE_H

#include <stddef.h>
#include <sys/types.h>

#include "buf.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Read a whole regular file into `out` (appended).  Fails with RF_ELIMIT
 *  when it is larger than `max` bytes, RF_EIO when it cannot be read. */
int rf_file_read(rf_buf *out, const char *path, size_t max);

/** Write `len` bytes to `path` atomically (temporary sibling, fsync,
 *  rename) with permission `mode`.  Overwrites an existing file only when
 *  `overwrite` is non-zero (RF_EEXIST otherwise). */
int rf_file_write_atomic(const char *path, const void *data, size_t len,
			 mode_t mode, int overwrite);

/** Create a new file exclusively (O_EXCL|O_NOFOLLOW) with `mode` and write
 *  `len` bytes; on any failure the file is removed.  For secret keys. */
int rf_file_write_new(const char *path, const void *data, size_t len,
		      mode_t mode);

/** The process's umask (read from /proc where it can be, without changing
 *  it): bags and files are created with their modes & ~umask. */
mode_t rf_file_umask(void);

/** Create a fresh temporary directory next to `path` ("<path>.tmp-XXXXXX");
 *  its name is stored in `out` (caller frees with rf_buf_free). */
int rf_dir_mktemp_sibling(rf_buf *out, const char *path);

/** Remove a directory tree without following symlinks.  NULL-safe. */
int rf_dir_remove_tree(const char *path);

/** mkdir -p with `mode` for each created component. */
int rf_dir_make_parents(const char *path, mode_t mode);

/** 1 when `path` exists (lstat), 0 when not. */
int rf_path_exists(const char *path);

#ifdef __cplusplus
}
#endif
#endif
