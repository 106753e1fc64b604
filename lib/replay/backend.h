/* referee replay — loading a compute backend module (the CUDA replay
 * backend, build/referee-cuda.so) at run time.  Internal to lib/: gpt.c
 * moves a model onto a backend's device; the public replay API names the
 * device ("cpu", "cuda", "cuda:N").
 *
 * Where the module is looked for, in order, when the caller names no path:
 * the folder of the running program, the folder of libreferee.so when
 * referee is used as a shared library, then RF_LIBDIR (the install's
 * $(LIBDIR)).  lib/ reads no environment variable: a program that wants a
 * REFEREE_CUDA_MODULE override passes the path itself. */
#ifndef REFEREE_LIB_REPLAY_BACKEND_H
#define REFEREE_LIB_REPLAY_BACKEND_H

#include <stddef.h>

#include "replay/backend_abi.h"

/** File name of the CUDA module. */
#define RF_BACKEND_CUDA_MODULE "referee-cuda.so"

typedef struct rf_backend rf_backend;

/** A parsed device name: "cpu" (kind RF_DEVICE_CPU) or "cuda[:N]". */
typedef enum rf_device_kind { RF_DEVICE_CPU = 0, RF_DEVICE_CUDA = 1 } rf_device_kind;

/** Parse "cpu", "cuda" or "cuda:N" (0 <= N < 64) into *kind and *index;
 *  RF_EINVAL naming the string otherwise. */
int rf_device_parse(const char *s, rf_device_kind *kind, int *index);

/** Load the backend module for `kind` (only RF_DEVICE_CUDA has one) from
 *  `module_path`, or when NULL from the places listed above.  Errors:
 *  RF_ENOTFOUND (no module file: referee was built without CUDA),
 *  RF_ELIB (dlopen failed, e.g. the CUDA libraries are missing),
 *  RF_EFORMAT (not a referee backend, or another ABI version).  Loading
 *  does not touch the GPU.  Free with rf_backend_free(). */
int rf_backend_open(rf_backend **out, rf_device_kind kind,
		    const char *module_path);

/** Unload (only after every model and cache on it is freed); NULL-safe. */
void rf_backend_free(rf_backend *be);

/** Borrowed: the module's function table. */
const rf_backend_ops *rf_backend_ops_of(const rf_backend *be);

/** Borrowed: the path the module was loaded from. */
const char *rf_backend_path(const rf_backend *be);

/** Number of usable devices; RF_EUNSUPPORTED ("no CUDA device: ...") when
 *  there is none. */
int rf_backend_device_count(rf_backend *be, int *n);

/** Check that device `index` exists and write its description (name,
 *  compute capability, memory) into buf[len]; RF_EUNSUPPORTED when there
 *  is no such device. */
int rf_backend_device_check(rf_backend *be, int index, char *buf, size_t len);

/** Turn a module call's return code into a referee error: sets the last
 *  error from the module's message (prefixed with "cuda: ") and returns
 *  the code; 0 passes through. */
int rf_backend_error(const rf_backend *be, int rc);

#endif
