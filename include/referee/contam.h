/* referee — benchmark contamination: word n-gram overlap between benchmark
 * items and a training corpus, after a fixed normalisation.
 *
 * The benchmark side (an rf_contam_index) is small and exact: every n-gram
 * of every item, keyed by a 64-bit hash, and every hash hit is verified
 * word by word against the item's text, so a hash collision never produces
 * a report.  The corpus side streams: files (JSON Lines or plain text,
 * optionally gzip or zstd compressed) are read in blocks of bounded size and
 * tokenised by a pool of threads; memory does not grow with corpus size.
 *
 * Normalisation (rf_contam_normalize): LaTeX spacing commands (\, \: \; \!
 * \> "\ " ~ \quad \qquad \enspace \enskip \thinspace \medspace \thickspace
 * \negthinspace \negmedspace \negthickspace \space \hfill \hspace{..}) become
 * spaces; every run of characters between ASCII separators is put in Unicode
 * NFKC with case folding (libunistring's u8_casefold with UNINORM_NFKC,
 * ASCII is lowercased directly); words are then the maximal runs of letters,
 * marks and digits; everything else (punctuation, symbols, white space) only
 * separates words.  An n-gram is n consecutive words.  In plain text, words
 * run on across lines; in JSON Lines, each string value is a text of its own.
 */
#ifndef REFEREE_CONTAM_H
#define REFEREE_CONTAM_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "claims.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Default n-gram length (words); 8 and 10 are also common in papers. */
#define RF_CONTAM_DEFAULT_N 13
#define RF_CONTAM_MIN_N 4
#define RF_CONTAM_MAX_N 64
/** Longest corpus line (JSON Lines record) read; longer lines fail. */
#define RF_CONTAM_MAX_LINE (256u << 20)
/** Most benchmark items in one index. */
#define RF_CONTAM_MAX_ITEMS 10000000u

/** Normalise `len` bytes of UTF-8 text into its words joined by single
 *  spaces, appended to `out` (see the file comment for the rules).  Invalid
 *  UTF-8 bytes separate words.  0 or RF_ENOMEM. */
int rf_contam_normalize(rf_buf *out, const char *text, size_t len);

/* ------------------------------------------------------------ benchmarks */

/** The benchmark side: items and their n-grams.  Opaque. */
typedef struct rf_contam_index rf_contam_index;

/** New empty index for n-grams of `n` words (RF_CONTAM_MIN_N..MAX_N).
 *  *out is the caller's; free with rf_contam_index_free(). */
int rf_contam_index_new(rf_contam_index **out, int n);

/** Free an index; NULL-safe. */
void rf_contam_index_free(rf_contam_index *ix);

/** Add one benchmark item: `bench` names its benchmark (copied), `id` the
 *  item (copied), `text` its text.  Returns 0; items with fewer than n
 *  words are kept (they can never overlap, and are counted as such). */
int rf_contam_index_add(rf_contam_index *ix, const char *bench, const char *id,
			const char *text, size_t len);

/** Add every line of a JSON Lines benchmark file.  The item's text is the
 *  string `field`, or with `field` NULL the first of "problem", "question",
 *  "prompt" present; its id is "id", "idx" or "unique_id" when present
 *  (number or string), else the line number.  `bench` names the benchmark
 *  (NULL: the file name without folders and extension).  RF_EIO, or
 *  RF_EFORMAT with file:line for a malformed line or a missing field. */
int rf_contam_index_add_jsonl(rf_contam_index *ix, const char *path,
			      const char *field, const char *bench);

/** Make the index ready for scanning (builds the hash table); no item may
 *  be added after.  0 or RF_ENOMEM. */
int rf_contam_index_finish(rf_contam_index *ix);

/** n of the index. */
int rf_contam_index_n(const rf_contam_index *ix);
/** Number of items, of distinct benchmarks, and of indexed n-grams. */
size_t rf_contam_index_items(const rf_contam_index *ix);
size_t rf_contam_index_benches(const rf_contam_index *ix);
size_t rf_contam_index_ngrams(const rf_contam_index *ix);
/** Item `i`: its benchmark and id (borrowed) and, when `words` is not
 *  NULL, its normalised words joined by spaces appended to it.  0,
 *  RF_EINVAL for i out of range, or RF_ENOMEM. */
int rf_contam_index_item(const rf_contam_index *ix, size_t i,
			 const char **bench, const char **id, rf_buf *words);
/** Name of benchmark `b` (borrowed). */
const char *rf_contam_index_bench(const rf_contam_index *ix, size_t b);

/* ------------------------------------------------------------ the scan */

/** Corpus file formats. */
typedef enum rf_contam_format {
	RF_CONTAM_AUTO = 0, /**< by name: .jsonl/.ndjson/.json (before any
				 .gz/.zst) are JSON Lines, the rest text */
	RF_CONTAM_JSONL,
	RF_CONTAM_TEXT
} rf_contam_format;

/** Scan settings; zero means the default. */
typedef struct rf_contam_opts {
	int threads;              /**< tokenising threads (0: every CPU) */
	rf_contam_format format;  /**< corpus format (default: by name) */
	const char *const *fields; /**< JSON Lines: top-level keys whose
				      strings (at any depth below) are read;
				      NULL: every string value */
	size_t nfields;
	size_t block_size;        /**< bytes per block (default 1 MiB) */
} rf_contam_opts;

/** A scan: the running results over the corpus files given so far.
 *  Opaque; it borrows the index, which must outlive it. */
typedef struct rf_contam_scan rf_contam_scan;

/** New scan over `ix` (finished).  `opts` may be NULL.  *out is the
 *  caller's; free with rf_contam_scan_free(). */
int rf_contam_scan_new(rf_contam_scan **out, const rf_contam_index *ix,
		       const rf_contam_opts *opts);

/** Free a scan; NULL-safe. */
void rf_contam_scan_free(rf_contam_scan *s);

/** Stream one corpus file (plain, gzip or zstd, recognised by its first
 *  bytes) through the scan.  `file_index` is the file's place in the
 *  report (files are named in the report in index order; the same file
 *  must not be given twice) and the tie-break between equally long spans.
 *  RF_EIO naming the file, RF_EFORMAT with file:line for a malformed JSON
 *  line or corrupt compressed data, RF_ELIMIT for an over-long line. */
int rf_contam_scan_file(rf_contam_scan *s, const char *path,
			size_t file_index);

/** Stream one corpus from memory (tests): as rf_contam_scan_file() with
 *  `name` as its file name. */
int rf_contam_scan_buffer(rf_contam_scan *s, const char *name,
			  const void *data, size_t len, size_t file_index);

/** Add the results of `from` (over the same index, other files) into
 *  `into`.  The result does not depend on the order of merges. */
int rf_contam_scan_merge(rf_contam_scan *into, const rf_contam_scan *from);

/** Serialise a scan's results (for MPI: ranks send these to rank 0), and
 *  merge serialised results into a scan over the same index.  The import
 *  checks every size and index: RF_EFORMAT for bytes that are not an
 *  export of a scan over this index. */
int rf_contam_scan_export(rf_buf *out, const rf_contam_scan *s);
int rf_contam_scan_import(rf_contam_scan *into, const void *data, size_t len);

/** One item's result (borrowed strings, valid while the scan lives). */
typedef struct rf_contam_item {
	const char *bench;     /**< benchmark name */
	const char *id;        /**< item id */
	size_t words;          /**< words after normalisation */
	size_t ngrams;         /**< its n-grams (0 when words < n) */
	size_t found;          /**< how many of them occur in the corpus */
	size_t longest;        /**< longest overlapping span, in words (0: none) */
	size_t longest_pos;    /**< its first word's place in the item */
	size_t file_index;     /**< where the longest span is: file ... */
	uint64_t line;         /**< ... and line (1-based) */
} rf_contam_item;

/** The i-th item's result (i < rf_contam_index_items()). */
void rf_contam_scan_item(const rf_contam_scan *s, size_t i,
			 rf_contam_item *out);

/** Corpus totals of one file (0 for files this scan did not read). */
typedef struct rf_contam_file_stats {
	uint64_t bytes;   /**< bytes after decompression */
	uint64_t lines;
	uint64_t words;
} rf_contam_file_stats;

/** Totals of file `file_index`; zero when not scanned here. */
void rf_contam_scan_file_stats(const rf_contam_scan *s, size_t file_index,
			       rf_contam_file_stats *out);

/* ------------------------------------------------------------ the report */

/** Report flags. */
enum {
	RF_CONTAM_REPORT_JSON = 1,  /**< JSON instead of text */
	RF_CONTAM_REPORT_ALL = 2    /**< text: list clean items too */
};

/** Write the report of a scan over `nfiles` corpus files named `files`
 *  (in file-index order) to `out`: per benchmark, each overlapping item
 *  (id, share of n-grams found, longest span in words and its file:line)
 *  and the totals.  The bytes depend only on the results, never on
 *  threads, ranks or timing.  0 or RF_ENOMEM. */
int rf_contam_report(rf_buf *out, const rf_contam_scan *s,
		     const char *const *files, size_t nfiles, int flags);

/** Number of items of benchmark `bench` (NULL: all) that overlap. */
size_t rf_contam_scan_overlapping(const rf_contam_scan *s, const char *bench);

/* ------------------------------------------------------------ claims */

/** The `contamination` derivation source for rf_check_add_source():
 *
 *    from: {source: contamination, eval: bench.jsonl, field: problem,
 *           corpus: [sft.jsonl.zst, ...], corpus_field: [text], n: 13,
 *           metric: items | percent}
 *
 *  derives how many benchmark items (or what percentage) overlap the
 *  corpus; files are relative to the manifests' folder.  Borrowed. */
const rf_claims_source *rf_contam_claims_source(void);

#ifdef __cplusplus
}
#endif
#endif
