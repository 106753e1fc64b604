/* lib/contam private: the tokeniser shared by the benchmark and corpus
 * sides, the JSON Lines string scanner, and the index layout the scan
 * reads.  Not installed. */
#ifndef REFEREE_CONTAM_INTERNAL_H
#define REFEREE_CONTAM_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "referee/buf.h"
#include "referee/contam.h"

/* One normalised word: its hash, its bytes in the token list's text, and
 * the line (relative to the text's start) it is on. */
typedef struct ctok {
	uint64_t hash;
	uint32_t off, len;
	uint32_t line;
} ctok;

/* Words of a text: `text` holds the normalised bytes the tokens point at. */
typedef struct ctoks {
	ctok *v;
	size_t n, cap;
	rf_buf text;
	rf_buf scratch; /* casefolding of non-ASCII runs */
} ctoks;

void ctoks_clear(ctoks *t);
void ctoks_free(ctoks *t);
/* Append the words of `s` (len bytes) to `t`; newlines advance `*line`.
 * 0 or RF_ENOMEM / RF_ELIMIT (a text over 4 GiB of words). */
int contam_tokenize(ctoks *t, const char *s, size_t len, uint32_t *line);

/* n-gram hash: sum of word hashes times powers of an odd constant, so that
 * it rolls: H' = (H - w_out * B^(n-1)) * B + w_in. */
#define CONTAM_B 0x100000001b3ull
static inline uint64_t contam_mix(uint64_t h)
{
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdull;
	h ^= h >> 33;
	h *= 0xc4ceb9fe1a85ec53ull;
	h ^= h >> 33;
	return h;
}

/* JSON Lines: call `fn` for each selected string value of one line (the
 * decoded UTF-8 bytes).  fields NULL selects every string value (not keys);
 * otherwise the strings at any depth below the named top-level keys.
 * 0, the callback's error, or RF_EFORMAT with the message "column N: ...". */
typedef int (*contam_str_fn)(void *ctx, const char *s, size_t len);
int contam_json_strings(const char *line, size_t len,
			const char *const *fields, size_t nfields,
			rf_buf *scratch, contam_str_fn fn, void *ctx);

/* The index (built by index.c, read by scan.c). */
typedef struct citem {
	uint32_t bench;
	char *id;
	size_t tok0, ntok;   /* its words in the index's token list */
	size_t gram0;        /* its first n-gram's bit in the found bit set */
} citem;

typedef struct cpost {
	uint64_t h;
	uint32_t item, pos;
} cpost;

typedef struct cslot {
	uint64_t h;
	uint32_t start, count; /* count 0: empty */
} cslot;

struct rf_contam_index {
	int n;
	int finished;
	citem *items;
	size_t nitems, items_cap;
	char **benches;
	size_t nbenches;
	ctoks toks;          /* every item's words */
	size_t ngrams;       /* bits in the found set */
	cpost *post;         /* sorted by hash */
	size_t npost;
	cslot *table;
	size_t mask;
	uint64_t bpow;       /* B^(n-1) */
	uint64_t *filter;    /* one bit per (hash >> fshift): most corpus
				n-grams are ruled out without touching the
				table */
	int fshift;
};

/* The postings of n-gram hash h (count 0 when none). */
static inline int contam_maybe(const struct rf_contam_index *ix, uint64_t h)
{
	uint64_t b = h >> ix->fshift;
	return (ix->filter[b >> 6] >> (b & 63)) & 1;
}

static inline const cslot *contam_lookup(const struct rf_contam_index *ix,
					 uint64_t h)
{
	size_t i = contam_mix(h) & ix->mask;
	for (;;) {
		const cslot *s = &ix->table[i];
		if (s->h == h || !s->count)
			return s;
		i = (i + 1) & ix->mask;
	}
}

/* The index a scan reads (borrowed). */
const struct rf_contam_index *contam_scan_index(const rf_contam_scan *s);

#endif
