/* Inside lib/model only: the model's resources and serialization, shared
 * by hashing (model_hash.c) and the signature (model_sign.c). */
#ifndef REFEREE_MODEL_INTERNAL_H
#define REFEREE_MODEL_INTERNAL_H

#include <stdint.h>

#include "referee/model.h"

typedef struct model_res {
	char *name;          /* "path" or "path:start:end" */
	char *path;          /* the path part */
	uint64_t start, end; /* shards; 0 and 0 for files */
	unsigned char md[32];
	char hex[65];
} model_res;

struct rf_model {
	char *name;
	rf_model_method method;
	uint64_t shard_size;
	int allow_symlinks;
	char **ignore;       /* ignore_paths, relative to the root */
	size_t nignore;
	model_res *res;
	size_t n, cap;
	char digest[65];     /* the subject digest */
};

/* Append a resource named `name` with digest `md` (32 bytes; NULL: fill
 * later). */
int model_resource_add(rf_model *m, const char *name, const unsigned char *md);
/* Free every resource. */
void model_resources_free(rf_model *m);
/* Sort as the reference implementation does (path components, offsets). */
void model_resources_sort(rf_model *m);
/* m->digest = SHA-256 over the resources' digests in their current order. */
int model_compute_root(rf_model *m);
/* Record an ignore path (no duplicates). */
int model_ignore_add(rf_model *m, const char *p);
/* Split a resource name into path and (shards) offsets; RF_EFORMAT when
 * it is not "path:start:end" with start < end. */
int model_name_split(const char *name, int shards, char **path,
		     uint64_t *start, uint64_t *end);

/* The OMS in-toto statement of `m` (the bytes that are signed). */
int model_statement_json(rf_buf *out, const rf_model *m);
/* Parse statement bytes into `m` (and the subject into `res`), checking
 * the subject digest against the resources.  RF_ECHECK when malformed. */
int model_parse_statement(rf_model *m, rf_model_result *res,
			  const rf_buf *payload, const char *what);
/* Parse the statement, hash the model at `path` as it says and compare. */
int model_verify_payload(rf_model_result *res, const char *path,
			 const rf_buf *payload, const char *what,
			 const rf_model_verify_opts *o);

#endif
