/* referee — manifests: YAML documents as trees whose every node knows its
 * file:line:column, a small data-driven schema mechanism (kinds made of field
 * descriptors), typed getters by path, and the canonical digest (RFC 8785
 * JSON canonicalization of the parsed document, then SHA-256).
 *
 * Parsing is bounded: file size, nesting depth, node count, scalar length and
 * alias expansion all have limits (RF_ELIMIT / RF_EUNSAFE), so a hostile file
 * fails fast with a message naming the place. */
#ifndef REFEREE_MANIFEST_H
#define REFEREE_MANIFEST_H

#include <stddef.h>

#include "buf.h"

#ifdef __cplusplus
extern "C" {
#endif

/** A parsed YAML document (one file); opaque.  Free with rf_manifest_free(). */
typedef struct rf_manifest rf_manifest;

/** A node of a manifest's tree; opaque, borrowed from its rf_manifest. */
typedef struct rf_node rf_node;

/** What a node is. */
typedef enum rf_node_type {
	RF_NODE_SCALAR = 1, /**< a scalar (text; see rf_node_scalar_type) */
	RF_NODE_MAP,        /**< a mapping: keys (unique scalars) to nodes */
	RF_NODE_LIST        /**< a sequence */
} rf_node_type;

/** How a scalar reads under the YAML 1.2 core schema.  Quoted and block
 *  scalars are always strings; plain scalars may be null, bool or numbers. */
typedef enum rf_scalar_type {
	RF_SCALAR_NULL = 1, /**< "", "~", "null" */
	RF_SCALAR_BOOL,     /**< true / false */
	RF_SCALAR_INT,      /**< decimal (or 0x / 0o) integer fitting in int64 */
	RF_SCALAR_FLOAT,    /**< anything else that reads as a number */
	RF_SCALAR_STRING    /**< text */
} rf_scalar_type;

/** Parsing limits.  Zero fields take the defaults (RF_YAML_DEFAULT_*). */
typedef struct rf_yaml_limits {
	size_t max_bytes;   /**< input size */
	size_t max_depth;   /**< nesting of maps and lists */
	size_t max_nodes;   /**< nodes after alias expansion */
	size_t max_scalar;  /**< bytes in one scalar */
	size_t max_alias;   /**< nodes copied in by aliases, all together */
} rf_yaml_limits;

#define RF_YAML_DEFAULT_MAX_BYTES (4u << 20)
#define RF_YAML_DEFAULT_MAX_DEPTH 64
#define RF_YAML_DEFAULT_MAX_NODES 200000
#define RF_YAML_DEFAULT_MAX_SCALAR (1u << 20)
#define RF_YAML_DEFAULT_MAX_ALIAS 1000

/** Parse one YAML document from memory.  `name` is the file name used in
 *  messages ("ledger.yaml:14:9: ...").  `limits` may be NULL (defaults).
 *  Duplicate keys, non-scalar keys, tags other than !!str, more than one
 *  document, and aliases to a node still being built are errors
 *  (RF_EFORMAT); exceeded limits are RF_ELIMIT, an alias bomb RF_EUNSAFE.
 *  No schema check: see rf_manifest_validate().  *out is the caller's. */
int rf_manifest_parse(rf_manifest **out, const char *name, const char *text,
		      size_t len, const rf_yaml_limits *limits);

/** Read `path` (bounded by the default size limit), parse it and validate
 *  it against its kind (rf_manifest_validate).  *out is the caller's. */
int rf_manifest_load(rf_manifest **out, const char *path);

/** Parse YAML from memory and validate it against its kind (parse, then
 *  rf_manifest_validate).  *out is the caller's. */
int rf_manifest_load_buffer(rf_manifest **out, const char *name,
			    const char *text, size_t len);

/** The manifest files directly in `dir` (names ending in .yaml or .yml,
 *  not starting with '.'), as "dir/name" paths sorted by name; at most
 *  `max` (RF_ELIMIT beyond).  Free with rf_manifest_list_free(). */
int rf_manifest_list(char ***out, size_t *count, const char *dir, size_t max);

/** Whether the YAML file at `path` is a referee manifest: it has a
 *  top-level `kind:` line naming a registered kind, or top-level `kind:`
 *  and `schema:` lines (a referee header with a misspelt kind, which must
 *  still fail its check).  Other YAML -- a training framework's own
 *  config -- is not one: a bundle carries it as a plain file.  Decided from
 *  the text, without parsing, so that a malformed manifest is still a
 *  manifest (its load then names the error) and YAML that referee's strict
 *  parser refuses (tags, several documents) is still recognised as not
 *  ours.  1 yes, 0 no, negative RF_E* when the file cannot be read. */
int rf_manifest_sniff(const char *path);

/** Free a list from rf_manifest_list(); NULL-safe. */
void rf_manifest_list_free(char **list, size_t count);

/** Free a manifest and every node in it; NULL-safe. */
void rf_manifest_free(rf_manifest *m);

/** The root node (borrowed). */
const rf_node *rf_manifest_root(const rf_manifest *m);

/** The file name given at parse time (borrowed). */
const char *rf_manifest_file(const rf_manifest *m);

/** The manifest's `kind:` value, or NULL when it has none (borrowed). */
const char *rf_manifest_kind_name(const rf_manifest *m);

/* ------------------------------------------------------------------ nodes */

/** The node's type. */
rf_node_type rf_node_kind(const rf_node *n);

/** How a scalar node reads (0 for maps and lists). */
rf_scalar_type rf_node_scalar_type(const rf_node *n);

/** A scalar's text (borrowed, NUL-terminated), or NULL for maps/lists. */
const char *rf_node_text(const rf_node *n);

/** 1-based line and column where the node starts. */
unsigned rf_node_line(const rf_node *n);
unsigned rf_node_column(const rf_node *n);

/** The file the node came from (borrowed). */
const char *rf_node_file(const rf_node *n);

/** Number of entries of a map or items of a list (0 for scalars). */
size_t rf_node_size(const rf_node *n);

/** The i-th item of a list or the i-th value of a map (document order);
 *  NULL when out of range. */
const rf_node *rf_node_at(const rf_node *n, size_t i);

/** The i-th key of a map as a node (for its position); NULL otherwise. */
const rf_node *rf_node_key_at(const rf_node *n, size_t i);

/** The value of `key` in a map, or NULL. */
const rf_node *rf_node_get(const rf_node *map, const char *key);

/** Walk a path such as "algorithm.lr", "stages[2].gpus" or
 *  "model.peak.bf16" from `n`; NULL when some step does not exist. */
const rf_node *rf_node_path(const rf_node *n, const char *path);

/** Typed getters by path.  0 and *out set; RF_ENOTFOUND when the path does
 *  not exist; RF_EFORMAT when the value has the wrong type, with a message
 *  "file:line:col: path: expected ..., got ...". */
int rf_node_get_int(long long *out, const rf_node *n, const char *path);
int rf_node_get_float(double *out, const rf_node *n, const char *path);
int rf_node_get_bool(int *out, const rf_node *n, const char *path);
/** *out is borrowed from the manifest. */
int rf_node_get_string(const char **out, const rf_node *n, const char *path);

/** Set the last error as "file:line:col: path: message" for node `n`
 *  (`path` may be NULL); returns `code`.  A message that already starts
 *  with "path: " (from a helper given the path as its subject) names the
 *  field once. */
int rf_node_error(int code, const rf_node *n, const char *path,
		  const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/* ----------------------------------------------------------------- schema */

/** The type of a field's value. */
typedef enum rf_field_type {
	RF_FIELD_INT = 1, /**< plain integer scalar */
	RF_FIELD_FLOAT,   /**< plain number (integers accepted) */
	RF_FIELD_STRING,  /**< any scalar, read as text */
	RF_FIELD_BOOL,    /**< true / false */
	RF_FIELD_FIGURE,  /**< a figure as written in a paper ("101K GPU-hours",
			       "~198 h", "$2/GPU-hour"); see claims.h */
	RF_FIELD_MAP,     /**< a map with the fields in `fields` */
	RF_FIELD_LIST,    /**< a list of `item` (maps: of `fields`) */
	RF_FIELD_DICT,    /**< a map with free keys, values of `item` */
	RF_FIELD_ANY      /**< anything (validated elsewhere, e.g. by a
			       claims source) */
} rf_field_type;

/** Field flags. */
enum {
	RF_FIELD_REQUIRED = 1u << 0, /**< must be present */
	RF_FIELD_RANGE = 1u << 1,    /**< INT/FLOAT value within [min, max];
					  LIST length within [min, max] */
	RF_FIELD_NONEMPTY = 1u << 2  /**< STRING must not be empty */
};

/** One field of a map: a row of a kind's table.  Arrays of fields end with
 *  an entry whose `name` is NULL. */
typedef struct rf_field {
	const char *name;              /**< key */
	rf_field_type type;            /**< value type */
	unsigned flags;                /**< RF_FIELD_* */
	double min, max;               /**< with RF_FIELD_RANGE */
	const char *unit;              /**< FIGURE: unit it must convert to
					    ("h", "GPU-h", "USD", "FLOP/s",
					    "USD/GPU-h", "" dimensionless);
					    NULL: any unit */
	rf_field_type item;            /**< LIST/DICT: element type */
	const struct rf_field *fields; /**< MAP, or LIST/DICT of MAP */
	const char *doc;               /**< one line for manifests/README.md */
} rf_field;

/** The two fields every kind's table starts with: `kind:` and `schema:`. */
#define RF_FIELDS_HEADER                                                     \
	{"kind", RF_FIELD_STRING, RF_FIELD_REQUIRED, 0, 0, NULL, 0, NULL,      \
	 "the manifest's kind"},                                              \
	{"schema", RF_FIELD_INT, RF_FIELD_REQUIRED, 0, 0, NULL, 0, NULL,       \
	 "version of the kind's schema"}

/** Check `n` against a NULL-terminated field table: every required field
 *  present, no unknown key, every value of its type and range.  `path` is
 *  the path of `n` for messages ("" for the root).  0 or RF_EFORMAT with
 *  "file:line:col: path.field: expected ..., got ...". */
int rf_schema_check(const rf_node *n, const rf_field *fields, const char *path);

/* ------------------------------------------------------------------ kinds */

/** A manifest kind: the `kind:` name, the `schema:` version it accepts and
 *  its field table.  Kinds live in a registry (lib/manifest/kind_list.h);
 *  CONTRIBUTING.md says how to add one. */
typedef struct rf_manifest_kind {
	const char *name;          /**< value of `kind:` */
	long schema;               /**< value of `schema:` accepted */
	const rf_field *fields;    /**< fields besides kind and schema */
	/** Checks across fields (NULL when none): 0 or RF_EFORMAT. */
	int (*validate)(const rf_manifest *m);
	const char *summary;       /**< one line */
} rf_manifest_kind;

/** The registered kind called `name`, or NULL (borrowed, static). */
const rf_manifest_kind *rf_manifest_kind_find(const char *name);

/** The i-th registered kind, or NULL past the end (borrowed, static). */
const rf_manifest_kind *rf_manifest_kind_at(size_t i);

/** Validate a parsed manifest: `kind:` names a registered kind, `schema:`
 *  is its version, the fields match the kind's table, then the kind's own
 *  checks.  0 or RF_EFORMAT with file:line:column. */
int rf_manifest_validate(const rf_manifest *m);

/* ----------------------------------------------------------------- digest */

/** Append the RFC 8785 canonical JSON of the document to `out`: keys sorted
 *  by UTF-16 code units, no whitespace, plain scalars typed by the YAML 1.2
 *  core schema (null, true/false, numbers), integers written exactly,
 *  floats as ECMAScript's shortest round-trip form.  RF_EFORMAT for values
 *  JSON cannot hold (.inf, .nan). */
int rf_manifest_canonical_json(rf_buf *out, const rf_manifest *m);

/** SHA-256 of the canonical JSON, as 64 lowercase hex digits and a NUL in
 *  `hex` (65 bytes).  Stable under comments, key order and formatting. */
int rf_manifest_digest(char hex[65], const rf_manifest *m);

/** Parse the YAML file at `path` (no schema check) and digest it. */
int rf_manifest_digest_file(char hex[65], const char *path);

/* --------------------------------------------------------------- hardware */

/** Write a `hardware-manifest` YAML document describing this machine into
 *  `out`: CPU model, cores and memory read under `proc_root` ("/proc";
 *  tests pass a fixture), and NVIDIA GPUs through NVML loaded at run time
 *  from `nvml_library` ("libnvidia-ml.so.1"; NULL: none) — when it cannot
 *  be loaded, no accelerators are listed.  `captured_at` is an RFC 3339
 *  time or NULL.  The result validates as a hardware-manifest. */
int rf_hw_capture(rf_buf *out, const char *proc_root,
		  const char *nvml_library, const char *captured_at);

#ifdef __cplusplus
}
#endif
#endif
