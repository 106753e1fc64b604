/* referee — error codes and the last-error message.
 *
 * Every library call returns 0 on success or a negative RF_E* code, and keeps
 * a one-line message (naming the file, and line:column where the input has
 * them) for rf_error_last().  The message is per thread. */
#ifndef REFEREE_ERROR_H
#define REFEREE_ERROR_H

#ifdef __cplusplus
extern "C" {
#endif

/** Library return codes.  0 is success; every error is negative. */
typedef enum rf_error_code {
	RF_OK = 0,
	RF_EINVAL = -1,       /**< bad argument or usage */
	RF_EIO = -2,          /**< a file could not be read or written */
	RF_EFORMAT = -3,      /**< malformed input (bad YAML, JSON, bag layout) */
	RF_ECHECK = -4,       /**< a check failed: tampered, mismatch, forged */
	RF_ENOMEM = -5,       /**< out of memory */
	RF_EEXIST = -6,       /**< refusing to overwrite an existing path */
	RF_EUNSAFE = -7,      /**< hostile input: path escape, symlink, bomb */
	RF_ELIB = -8,         /**< OpenSSL, libgit2, libyaml or CUDA failed */
	RF_ENOTFOUND = -9,    /**< a named thing does not exist */
	RF_EUNSUPPORTED = -10, /**< not supported here (no GPU, no git repo) */
	RF_EINTERNAL = -11,   /**< a bug in referee */
	RF_ELIMIT = -12       /**< a size, depth or time limit was exceeded */
} rf_error_code;

/** The message of the last error set on this thread; never NULL (borrowed,
 *  valid until the next failing call on this thread). "" when none. */
const char *rf_error_last(void);

/** The code of the last error set on this thread (RF_OK when none). */
int rf_error_last_code(void);

/** Set the last error: printf-style message; returns `code` so that callers
 *  can write `return rf_error_set(RF_EIO, "cannot open '%s'", path);`. */
int rf_error_set(int code, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/** Prefix the current message with "prefix: " (adds context on the way up). */
int rf_error_wrap(int code, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/** Forget the last error. */
void rf_error_clear(void);

/** Short name of a code ("EIO", "ECHECK", ...); borrowed static string. */
const char *rf_error_name(int code);

/** The CLI exit status for a library code: 0 ok, 1 a check failed
 *  (RF_ECHECK, RF_EUNSAFE), 2 bad usage or unreadable input, 3 internal or
 *  library failure. */
int rf_error_exit_status(int code);

/** Set the last error from OpenSSL's error queue (and clear the queue):
 *  "what: <openssl reason>".  Returns `code`. */
int rf_error_openssl(int code, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

#ifdef __cplusplus
}
#endif
#endif
