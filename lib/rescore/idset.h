/* referee — internal to lib/rescore: the set of problem ids already seen,
 * so that a problem whose lines are not consecutive is reported instead of
 * silently counted twice. */
#ifndef REFEREE_RESCORE_IDSET_H
#define REFEREE_RESCORE_IDSET_H

#include <stddef.h>
#include <stdint.h>

#include "referee/buf.h"

/* Hash of an id into *out; 0 or a negative RF_E* code. */
typedef int (*rs_id_hash_fn)(uint64_t *out, const char *id, size_t len);

/* One slot of the open-addressing table (24 bytes); line 0: empty. */
struct rs_id_slot {
	uint64_t hash;
	uint64_t line;	/* the line the id was first seen on */
	uint64_t where; /* offset of its bytes in `names` << 16 | length */
};

struct rs_idset {
	struct rs_id_slot *slot;
	size_t cap, n; /* cap: a power of two, or 0 */
	rf_buf names;  /* every id's exact bytes, back to back */
	rs_id_hash_fn hash;
};

/* An empty set; `hash` NULL: the first 8 bytes of SHA-256 (tests pass a
 * weak one to force collisions). */
void rs_idset_init(struct rs_idset *s, rs_id_hash_fn hash);
/* Add the id first seen on `line` (>= 1).  0: it is new; 1: it was already
 * there, first seen on *first_line; RF_ELIMIT for an id longer than
 * RF_RESCORE_MAX_ID bytes, RF_ENOMEM, or the hash's error. */
int rs_idset_add(struct rs_idset *s, const char *id, size_t len, size_t line,
		 size_t *first_line);
/* Free everything; the set is then empty (freeing twice is harmless). */
void rs_idset_free(struct rs_idset *s);

#endif
