/* Private to lib/manifest: the node tree behind rf_manifest and rf_node,
 * shared by the parser, the schema checker and the canonicalizer. */
#ifndef REFEREE_LIB_MANIFEST_INTERNAL_H
#define REFEREE_LIB_MANIFEST_INTERNAL_H

#include <stddef.h>

#include "referee/manifest.h"

struct rf_node {
	rf_node_type type;
	rf_scalar_type stype;  /* scalars only */
	unsigned line, col;
	const char *file;      /* borrowed from the manifest */
	char *text;            /* scalars: NUL-terminated */
	size_t len;            /* scalars: bytes in text */
	size_t n, cap;         /* maps: entries; lists: items */
	struct rf_node **keys; /* maps only: scalar key nodes */
	struct rf_node **vals; /* map values or list items */
};

struct rf_manifest {
	char *file;
	struct rf_node *root;
};

/* Classify a plain scalar under the YAML 1.2 core schema. */
rf_scalar_type rf_yaml_classify(const char *s, size_t len);

/* "file:line:col: path: expected X, got "text"" (RF_EFORMAT). */
int rf_node_wrong(const rf_node *n, const char *path, const char *expected);

/* The value of an INT or FLOAT scalar node. */
double rf_node_float_value(const rf_node *v);

/* Path of a child for messages: "base.key" or "base[i]" into `out`. */
void rf_path_child(char *out, size_t size, const char *base, const char *key,
		   long index);

/* Append x as ECMAScript's Number.prototype.toString writes it (RFC 8785). */
int rf_json_number(rf_buf *out, double x);

/* RF_EFORMAT naming the second of two items of `list` (maps) whose `key`
 * values are equal ("<path>[i].<key>: duplicate <what> \"x\""); O(n log n). */
int rf_list_check_unique(const rf_node *list, const char *key, const char *path,
			 const char *what);

#endif
