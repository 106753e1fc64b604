/* referee replay — safetensors checkpoints (the format of Hugging Face's
 * `safetensors`, so PyTorch can read what the replay trained): an 8-byte
 * little-endian header length, a JSON header mapping each tensor name to
 * {"dtype","shape","data_offsets"} plus an optional "__metadata__" object of
 * strings, then the raw little-endian data.  Internal to lib/.  Only F32.
 *
 * Written canonically (names sorted, data in name order, header padded with
 * spaces to 8 bytes) so that the same tensors give the same bytes; read
 * defensively (bounded header, offsets in range, contiguous, no overlap). */
#ifndef REFEREE_LIB_REPLAY_SAFETENSORS_H
#define REFEREE_LIB_REPLAY_SAFETENSORS_H

#include <stddef.h>
#include <stdint.h>

#include "referee/buf.h"

#define RF_ST_MAX_DIM 8
#define RF_ST_MAX_HEADER (100u << 20) /* bytes, as the reference reader */
#define RF_ST_MAX_TENSORS 65536

/** One tensor: name, shape, and fp32 data (row-major). */
typedef struct rf_st_tensor {
	const char *name;
	int ndim;
	int64_t shape[RF_ST_MAX_DIM];
	const float *data;
} rf_st_tensor;

/** Append the safetensors encoding of n tensors (names unique, not
 *  "__metadata__") and nmeta metadata pairs meta[2i] = key, meta[2i+1] =
 *  value to `out`. */
int rf_st_serialize(rf_buf *out, const rf_st_tensor *t, size_t n,
		    const char *const *meta, size_t nmeta);

/** rf_st_serialize, written atomically to `path` (replacing it when
 *  `overwrite`). */
int rf_st_write(const char *path, const rf_st_tensor *t, size_t n,
		const char *const *meta, size_t nmeta, int overwrite);

/** A parsed checkpoint; tensors own their data.  Free with rf_st_free(). */
typedef struct rf_st rf_st;

/** Parse `len` bytes; `what` names the input in error messages.  Rejects
 *  (RF_EFORMAT, or RF_ELIMIT for sizes over the bounds) short files,
 *  headers longer than RF_ST_MAX_HEADER or the file, bad JSON, dtypes
 *  other than F32, sizes that disagree with the shape, offsets out of range,
 *  overlapping or leaving holes. */
int rf_st_parse(rf_st **out, const void *data, size_t len, const char *what);
/** Read and parse a file of at most `max_bytes`. */
int rf_st_read(rf_st **out, const char *path, size_t max_bytes);
void rf_st_free(rf_st *st);

/** Number of tensors, and tensor i in name order (borrowed). */
size_t rf_st_count(const rf_st *st);
const rf_st_tensor *rf_st_at(const rf_st *st, size_t i);
/** The tensor called `name`, or NULL (borrowed). */
const rf_st_tensor *rf_st_find(const rf_st *st, const char *name);
/** A metadata value, or NULL (borrowed). */
const char *rf_st_meta(const rf_st *st, const char *key);

#endif
