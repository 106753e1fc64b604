/* The set of problem ids a re-score has seen: an open-addressing hash
 * table of 64-bit hashes that points into one buffer holding every id's
 * exact bytes, so that a hash hit is confirmed before it is called a
 * duplicate. */
#include <stdlib.h>
#include <string.h>

#include "referee/digest.h"
#include "referee/error.h"
#include "referee/rescore.h"
#include "rescore/idset.h"

/* Design.  A re-score keeps one problem open at a time, so it needs to
 * remember of each closed problem only that its id was used.  A hash
 * alone could call two different ids a duplicate when they collide (a
 * false error on valid input), so the exact id is kept too and compared
 * on every hash match: a duplicate is reported only for equal bytes.  Ids
 * are bounded (RF_RESCORE_MAX_ID), which bounds what one problem costs:
 * a 24-byte slot in a table at most 3/4 full (32 to 64 bytes per problem,
 * as the table doubles; 96 for a moment while it doubles) plus the id's
 * bytes in a buffer that doubles (up to twice the id's length) -- about
 * 100 bytes a problem for 20-byte ids, 10 MB for 100,000 problems, and
 * nothing per line or per sample.  (Measured with heaptrack, 300,000
 * lines: peak heap 9.6 MB in 300 problems, 28.2 MB in 300,000 problems
 * with 19-byte ids.)
 *
 * The hash is SHA-256's first 8 bytes rather than a fast non-keyed hash:
 * ids come from untrusted files, and ids crafted to share a fast hash's
 * low bits would make every insertion probe the whole table (quadratic
 * time).  It is computed once per problem, not per sample. */

#define MAX_LOAD_NUM 3
#define MAX_LOAD_DEN 4
#define WHERE_LEN_BITS 16
#define WHERE_MAX_OFFSET (((uint64_t)1 << (64 - WHERE_LEN_BITS)) - 1)
_Static_assert(RF_RESCORE_MAX_ID < (1 << WHERE_LEN_BITS),
	       "an id's length must fit its slot");

static int sha256_hash(uint64_t *out, const char *id, size_t len)
{
	unsigned char md[RF_DIGEST_MAX];
	int rc = rf_digest_buffer(md, RF_DIGEST_SHA256, id, len);
	if (rc)
		return rc;
	*out = 0;
	for (int i = 0; i < 8; i++)
		*out = *out << 8 | md[i];
	return 0;
}

void rs_idset_init(struct rs_idset *s, rs_id_hash_fn hash)
{
	memset(s, 0, sizeof *s);
	s->hash = hash ? hash : sha256_hash;
}

/* Place a slot known to be absent (table has room). */
static void place(struct rs_id_slot *tab, size_t cap,
		  const struct rs_id_slot *x)
{
	size_t i = (size_t)x->hash & (cap - 1);
	while (tab[i].line)
		i = (i + 1) & (cap - 1);
	tab[i] = *x;
}

static int grow(struct rs_idset *s)
{
	size_t cap = s->cap ? s->cap * 2 : 64;
	struct rs_id_slot *tab;
	if (cap > SIZE_MAX / sizeof *tab || cap < s->cap)
		return rf_error_set(RF_ENOMEM, "too many problem ids");
	tab = calloc(cap, sizeof *tab);
	if (!tab)
		return rf_error_set(RF_ENOMEM,
				    "out of memory (%zu problem ids)", s->n);
	for (size_t i = 0; i < s->cap; i++)
		if (s->slot[i].line)
			place(tab, cap, &s->slot[i]);
	free(s->slot);
	s->slot = tab;
	s->cap = cap;
	return 0;
}

int rs_idset_add(struct rs_idset *s, const char *id, size_t len, size_t line,
		 size_t *first_line)
{
	struct rs_id_slot x;
	size_t i;
	int rc;
	if (line == 0)
		return rf_error_set(RF_EINVAL, "problem id without a line");
	if (len > RF_RESCORE_MAX_ID)
		return rf_error_set(RF_ELIMIT,
				    "problem id longer than %d bytes",
				    RF_RESCORE_MAX_ID);
	if ((rc = s->hash(&x.hash, id, len)) != 0)
		return rc;
	if (s->cap) {
		for (i = (size_t)x.hash & (s->cap - 1); s->slot[i].line;
		     i = (i + 1) & (s->cap - 1)) {
			const struct rs_id_slot *e = &s->slot[i];
			size_t elen = (size_t)(e->where & 0xffff);
			size_t eoff = (size_t)(e->where >> WHERE_LEN_BITS);
			if (e->hash == x.hash && elen == len &&
			    !memcmp(s->names.data + eoff, id, len)) {
				*first_line = (size_t)e->line;
				return 1;
			}
		}
	}
	if ((s->n + 1) * MAX_LOAD_DEN > s->cap * MAX_LOAD_NUM &&
	    (rc = grow(s)) != 0)
		return rc;
	if ((uint64_t)s->names.len > WHERE_MAX_OFFSET)
		return rf_error_set(RF_ELIMIT, "too many problem ids");
	x.line = line;
	x.where = (uint64_t)s->names.len << WHERE_LEN_BITS | len;
	if ((rc = rf_buf_append(&s->names, id, len)) != 0)
		return rc;
	place(s->slot, s->cap, &x);
	s->n++;
	return 0;
}

void rs_idset_free(struct rs_idset *s)
{
	rs_id_hash_fn hash = s->hash;
	free(s->slot);
	rf_buf_free(&s->names);
	rs_idset_init(s, hash);
}
