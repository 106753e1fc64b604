/* referee — path safety for untrusted names (bag members, archive paths). */
#ifndef REFEREE_PATH_H
#define REFEREE_PATH_H

#include <stddef.h>

#include "buf.h"

#ifdef __cplusplus
extern "C" {
#endif

/** 0 when `rel` is a safe relative path: non-empty, not absolute, no `..`
 *  or `.` component, no empty component (`a//b`), no backslash, no control
 *  character, at most `RF_PATH_MAX` bytes.  RF_EUNSAFE otherwise, with a
 *  message naming `rel` (`what` describes where it came from). */
int rf_path_check_relative(const char *rel, const char *what);

/** Append "a/b" to `out` (a single slash between). */
int rf_path_join(rf_buf *out, const char *a, const char *b);

/** 0 when `path`, resolved with symlinks, stays inside `root`; RF_EUNSAFE
 *  when it escapes; RF_EIO when it cannot be resolved. */
int rf_path_check_inside(const char *root, const char *path);

#define RF_PATH_MAX 4096

#ifdef __cplusplus
}
#endif
#endif
