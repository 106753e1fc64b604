/* YAML → node tree through libyaml's event API, with every node's
 * file:line:column and hard limits on size, depth, node count and alias
 * expansion (aliases are copied, so consumers never walk a shared DAG and a
 * "billion laughs" document is refused as soon as its copies pass a small
 * budget). */
#include <dirent.h>
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <yaml.h>

#include "internal.h"
#include "referee/error.h"
#include "referee/file.h"
#include "referee/path.h"

struct anchor {
	char *name;
	struct rf_node *node; /* NULL while the anchored node is being built */
	size_t count;         /* nodes in its subtree */
};

struct frame {
	struct rf_node *node;
	size_t start_count; /* parser's node count when the container opened */
	/* 1 + index of its anchor in parser.anchors, 0 for none: an index, not
	 * a pointer, since anchors inside the collection may realloc the array
	 * before it closes (a pointer kept here was a use-after-free) */
	size_t anchor;
};

struct parser {
	const char *file;
	rf_yaml_limits lim;
	size_t nodes, alias_nodes;
	struct frame *stack;
	size_t depth;
	struct anchor *anchors;
	size_t nanchors, anchors_cap;
	struct rf_node *root;
	int docs;
};

static void node_free(struct rf_node *n)
{
	if (!n)
		return;
	for (size_t i = 0; i < n->n; i++) {
		if (n->keys)
			node_free(n->keys[i]);
		node_free(n->vals[i]);
	}
	free(n->keys);
	free(n->vals);
	free(n->text);
	free(n);
}

void rf_manifest_free(rf_manifest *m)
{
	if (!m)
		return;
	node_free(m->root);
	free(m->file);
	free(m);
}

static int too_many(struct parser *p, unsigned line, unsigned col)
{
	return rf_error_set(RF_ELIMIT, "%s:%u:%u: more than %zu nodes", p->file,
			    line, col, p->lim.max_nodes);
}

static struct rf_node *node_new(struct parser *p, rf_node_type t,
				yaml_mark_t mark, int *rc)
{
	struct rf_node *n;
	unsigned line = (unsigned)mark.line + 1, col = (unsigned)mark.column + 1;
	if (++p->nodes > p->lim.max_nodes) {
		*rc = too_many(p, line, col);
		return NULL;
	}
	n = calloc(1, sizeof *n);
	if (!n) {
		*rc = rf_error_set(RF_ENOMEM, "out of memory");
		return NULL;
	}
	n->type = t;
	n->line = line;
	n->col = col;
	n->file = p->file;
	return n;
}

static int node_push(struct rf_node *parent, struct rf_node *key,
		     struct rf_node *val)
{
	if (parent->n == parent->cap) {
		size_t cap = parent->cap ? parent->cap * 2 : 8;
		struct rf_node **v = realloc(parent->vals, cap * sizeof *v);
		if (!v)
			return rf_error_set(RF_ENOMEM, "out of memory");
		parent->vals = v;
		if (parent->type == RF_NODE_MAP) {
			struct rf_node **k = realloc(parent->keys, cap * sizeof *k);
			if (!k)
				return rf_error_set(RF_ENOMEM, "out of memory");
			parent->keys = k;
		}
		parent->cap = cap;
	}
	if (parent->type == RF_NODE_MAP)
		parent->keys[parent->n] = key;
	parent->vals[parent->n++] = val;
	return 0;
}

/* Deep copy for alias expansion; the caller has checked the budget. */
static struct rf_node *node_copy(const struct rf_node *s)
{
	struct rf_node *n = calloc(1, sizeof *n);
	if (!n)
		return NULL;
	*n = *s;
	n->text = NULL;
	n->keys = n->vals = NULL;
	n->n = n->cap = 0;
	if (s->text) {
		n->text = malloc(s->len + 1);
		if (!n->text)
			goto fail;
		memcpy(n->text, s->text, s->len + 1);
	}
	if (s->n) {
		n->vals = calloc(s->n, sizeof *n->vals);
		if (!n->vals)
			goto fail;
		if (s->keys) {
			n->keys = calloc(s->n, sizeof *n->keys);
			if (!n->keys)
				goto fail;
		}
		n->cap = s->n;
		for (size_t i = 0; i < s->n; i++) {
			n->n = i + 1;
			if (s->keys && !(n->keys[i] = node_copy(s->keys[i])))
				goto fail;
			if (!(n->vals[i] = node_copy(s->vals[i])))
				goto fail;
		}
	}
	return n;
fail:
	node_free(n);
	return NULL;
}

static int key_cmp(const void *a, const void *b)
{
	const struct rf_node *x = *(struct rf_node *const *)a;
	const struct rf_node *y = *(struct rf_node *const *)b;
	size_t m = x->len < y->len ? x->len : y->len;
	int c = memcmp(x->text, y->text, m);
	if (c)
		return c;
	if (x->len != y->len)
		return x->len < y->len ? -1 : 1;
	/* equal keys: document order, so the later one is reported */
	if (x->line != y->line)
		return x->line < y->line ? -1 : 1;
	return x->col < y->col ? -1 : (x->col > y->col);
}

/* Duplicate keys are errors; sorting keeps this O(n log n) on big maps. */
static int check_duplicates(struct parser *p, const struct rf_node *map)
{
	struct rf_node **k;
	int rc = 0;
	if (map->n < 2)
		return 0;
	k = malloc(map->n * sizeof *k);
	if (!k)
		return rf_error_set(RF_ENOMEM, "out of memory");
	memcpy(k, map->keys, map->n * sizeof *k);
	qsort(k, map->n, sizeof *k, key_cmp);
	for (size_t i = 1; i < map->n; i++)
		if (k[i]->len == k[i - 1]->len &&
		    !memcmp(k[i]->text, k[i - 1]->text, k[i]->len)) {
			rc = rf_error_set(RF_EFORMAT,
					  "%s:%u:%u: duplicate key '%.64s' (first at line %u, column %u)",
					  p->file, k[i]->line, k[i]->col,
					  k[i]->text, k[i - 1]->line, k[i - 1]->col);
			break;
		}
	free(k);
	return rc;
}

static struct anchor *anchor_add(struct parser *p, const char *name, int *rc)
{
	struct anchor *a;
	if (p->nanchors == p->anchors_cap) {
		size_t cap = p->anchors_cap ? p->anchors_cap * 2 : 8;
		a = realloc(p->anchors, cap * sizeof *a);
		if (!a) {
			*rc = rf_error_set(RF_ENOMEM, "out of memory");
			return NULL;
		}
		p->anchors = a;
		p->anchors_cap = cap;
	}
	a = &p->anchors[p->nanchors];
	a->name = strdup(name);
	if (!a->name) {
		*rc = rf_error_set(RF_ENOMEM, "out of memory");
		return NULL;
	}
	a->node = NULL;
	a->count = 0;
	p->nanchors++;
	return a;
}

static struct anchor *anchor_find(struct parser *p, const char *name)
{
	/* the latest definition of a name wins (YAML allows redefinition) */
	for (size_t i = p->nanchors; i-- > 0;)
		if (!strcmp(p->anchors[i].name, name))
			return &p->anchors[i];
	return NULL;
}

/* Attach a finished node to the open container (or make it the root). */
static int attach(struct parser *p, struct rf_node *n)
{
	struct rf_node *parent;
	if (p->depth == 0) {
		if (p->root) {
			node_free(n);
			return rf_error_set(RF_EINTERNAL, "%s: two roots", p->file);
		}
		p->root = n;
		return 0;
	}
	parent = p->stack[p->depth - 1].node;
	if (parent->type == RF_NODE_LIST)
		return node_push(parent, NULL, n) ? (node_free(n), RF_ENOMEM) : 0;
	/* a map: keys and values alternate; a pending key sits in keys[n] */
	if (parent->cap > parent->n && parent->keys &&
	    parent->keys[parent->n]) {
		struct rf_node *key = parent->keys[parent->n];
		parent->keys[parent->n] = NULL;
		if (node_push(parent, key, n)) {
			node_free(key);
			node_free(n);
			return RF_ENOMEM;
		}
		return 0;
	}
	if (n->type != RF_NODE_SCALAR) {
		int rc = rf_error_set(RF_EFORMAT,
				      "%s:%u:%u: map keys must be scalars",
				      p->file, n->line, n->col);
		node_free(n);
		return rc;
	}
	/* park the key until its value arrives */
	if (parent->n == parent->cap) {
		size_t cap = parent->cap ? parent->cap * 2 : 8;
		struct rf_node **k = realloc(parent->keys, cap * sizeof *k);
		struct rf_node **v;
		if (!k) {
			node_free(n);
			return rf_error_set(RF_ENOMEM, "out of memory");
		}
		parent->keys = k;
		v = realloc(parent->vals, cap * sizeof *v);
		if (!v) {
			node_free(n);
			return rf_error_set(RF_ENOMEM, "out of memory");
		}
		parent->vals = v;
		for (size_t i = parent->n; i < cap; i++)
			parent->keys[i] = NULL;
		parent->cap = cap;
	}
	parent->keys[parent->n] = n;
	return 0;
}

static int check_tag(struct parser *p, const yaml_char_t *tag, yaml_mark_t m,
		     int *force_string)
{
	*force_string = 0;
	if (!tag)
		return 0;
	if (!strcmp((const char *)tag, "tag:yaml.org,2002:str")) {
		*force_string = 1;
		return 0;
	}
	return rf_error_set(RF_EFORMAT, "%s:%zu:%zu: tag '%.64s' is not supported",
			    p->file, m.line + 1, m.column + 1, (const char *)tag);
}

static int on_scalar(struct parser *p, yaml_event_t *e)
{
	int rc = 0, force_string;
	struct rf_node *n;
	size_t len = e->data.scalar.length;
	if ((rc = check_tag(p, e->data.scalar.tag, e->start_mark, &force_string)))
		return rc;
	if (len > p->lim.max_scalar)
		return rf_error_set(RF_ELIMIT,
				    "%s:%zu:%zu: scalar longer than %zu bytes",
				    p->file, e->start_mark.line + 1,
				    e->start_mark.column + 1, p->lim.max_scalar);
	if (memchr(e->data.scalar.value, '\0', len))
		return rf_error_set(RF_EFORMAT, "%s:%zu:%zu: scalar contains a NUL byte",
				    p->file, e->start_mark.line + 1,
				    e->start_mark.column + 1);
	n = node_new(p, RF_NODE_SCALAR, e->start_mark, &rc);
	if (!n)
		return rc;
	n->text = malloc(len + 1);
	if (!n->text) {
		node_free(n);
		return rf_error_set(RF_ENOMEM, "out of memory");
	}
	memcpy(n->text, e->data.scalar.value, len);
	n->text[len] = '\0';
	n->len = len;
	if (e->data.scalar.style == YAML_PLAIN_SCALAR_STYLE && !force_string)
		n->stype = rf_yaml_classify(n->text, len);
	else
		n->stype = RF_SCALAR_STRING;
	if (e->data.scalar.anchor) {
		struct anchor *a = anchor_add(p, (const char *)e->data.scalar.anchor, &rc);
		if (!a) {
			node_free(n);
			return rc;
		}
		a->node = n;
		a->count = 1;
	}
	return attach(p, n);
}

static int on_alias(struct parser *p, yaml_event_t *e)
{
	const char *name = (const char *)e->data.alias.anchor;
	struct anchor *a = anchor_find(p, name);
	struct rf_node *copy;
	if (!a)
		return rf_error_set(RF_EFORMAT, "%s:%zu:%zu: unknown alias '*%.64s'",
				    p->file, e->start_mark.line + 1,
				    e->start_mark.column + 1, name);
	if (!a->node)
		return rf_error_set(RF_EFORMAT,
				    "%s:%zu:%zu: alias '*%.64s' refers to a node that contains it",
				    p->file, e->start_mark.line + 1,
				    e->start_mark.column + 1, name);
	if (a->count > p->lim.max_alias - p->alias_nodes ||
	    p->alias_nodes + a->count > p->lim.max_alias)
		/* a limit like size and depth (bad input, exit 2), not a
		 * refused path */
		return rf_error_set(RF_ELIMIT,
				    "%s:%zu:%zu: aliases expand to more than %zu nodes (a YAML bomb?)",
				    p->file, e->start_mark.line + 1,
				    e->start_mark.column + 1, p->lim.max_alias);
	if (a->count > p->lim.max_nodes - p->nodes)
		return too_many(p, (unsigned)e->start_mark.line + 1,
				(unsigned)e->start_mark.column + 1);
	p->alias_nodes += a->count;
	p->nodes += a->count;
	copy = node_copy(a->node);
	if (!copy)
		return rf_error_set(RF_ENOMEM, "out of memory");
	/* an alias is a node of its own: report it where it was written */
	copy->line = (unsigned)e->start_mark.line + 1;
	copy->col = (unsigned)e->start_mark.column + 1;
	return attach(p, copy);
}

static int on_open(struct parser *p, yaml_event_t *e, rf_node_type t)
{
	int rc = 0, force_string;
	const yaml_char_t *tag, *anchor;
	struct rf_node *n;
	struct frame *f;
	if (t == RF_NODE_MAP) {
		tag = e->data.mapping_start.tag;
		anchor = e->data.mapping_start.anchor;
	} else {
		tag = e->data.sequence_start.tag;
		anchor = e->data.sequence_start.anchor;
	}
	if ((rc = check_tag(p, tag, e->start_mark, &force_string)))
		return rc;
	if (force_string)
		return rf_error_set(RF_EFORMAT, "%s:%zu:%zu: !!str on a collection",
				    p->file, e->start_mark.line + 1,
				    e->start_mark.column + 1);
	if (p->depth >= p->lim.max_depth)
		return rf_error_set(RF_ELIMIT, "%s:%zu:%zu: nesting deeper than %zu",
				    p->file, e->start_mark.line + 1,
				    e->start_mark.column + 1, p->lim.max_depth);
	n = node_new(p, t, e->start_mark, &rc);
	if (!n)
		return rc;
	f = &p->stack[p->depth++];
	f->node = n;
	f->start_count = p->nodes - 1;
	f->anchor = 0;
	if (anchor) {
		if (!anchor_add(p, (const char *)anchor, &rc))
			return rc; /* n is freed with the stack */
		f->anchor = p->nanchors;
	}
	return 0;
}

static int on_close(struct parser *p)
{
	struct frame *f = &p->stack[p->depth - 1];
	struct rf_node *n = f->node;
	int rc;
	if (n->type == RF_NODE_MAP && (rc = check_duplicates(p, n)))
		return rc;
	if (f->anchor) {
		struct anchor *a = &p->anchors[f->anchor - 1];
		a->node = n;
		a->count = p->nodes - f->start_count;
	}
	p->depth--;
	f->node = NULL;
	return attach(p, n);
}

static void parser_release(struct parser *p)
{
	for (size_t i = p->depth; i-- > 0;) {
		struct rf_node *n = p->stack[i].node;
		/* a pending key is parked beyond n */
		if (n && n->type == RF_NODE_MAP && n->keys && n->cap > n->n)
			node_free(n->keys[n->n]);
		node_free(n);
	}
	for (size_t i = 0; i < p->nanchors; i++)
		free(p->anchors[i].name);
	free(p->anchors);
	free(p->stack);
	node_free(p->root);
}

static void limits_fill(rf_yaml_limits *l, const rf_yaml_limits *in)
{
	rf_yaml_limits d = {RF_YAML_DEFAULT_MAX_BYTES, RF_YAML_DEFAULT_MAX_DEPTH,
			    RF_YAML_DEFAULT_MAX_NODES, RF_YAML_DEFAULT_MAX_SCALAR,
			    RF_YAML_DEFAULT_MAX_ALIAS};
	*l = d;
	if (!in)
		return;
	if (in->max_bytes)
		l->max_bytes = in->max_bytes;
	if (in->max_depth)
		l->max_depth = in->max_depth;
	if (in->max_nodes)
		l->max_nodes = in->max_nodes;
	if (in->max_scalar)
		l->max_scalar = in->max_scalar;
	if (in->max_alias)
		l->max_alias = in->max_alias;
}

static int yaml_failed(struct parser *p, yaml_parser_t *yp)
{
	const char *what = yp->problem ? yp->problem : "malformed YAML";
	if (yp->context)
		return rf_error_set(RF_EFORMAT, "%s:%zu:%zu: %s %s", p->file,
				    yp->problem_mark.line + 1,
				    yp->problem_mark.column + 1, what, yp->context);
	return rf_error_set(RF_EFORMAT, "%s:%zu:%zu: %s", p->file,
			    yp->problem_mark.line + 1, yp->problem_mark.column + 1,
			    what);
}

int rf_manifest_parse(rf_manifest **out, const char *name, const char *text,
		      size_t len, const rf_yaml_limits *limits)
{
	struct parser p;
	yaml_parser_t yp;
	yaml_event_t e;
	rf_manifest *m;
	int rc = 0, done = 0;
	*out = NULL;
	memset(&p, 0, sizeof p);
	limits_fill(&p.lim, limits);
	m = calloc(1, sizeof *m);
	if (!m || !(m->file = strdup(name ? name : "<input>"))) {
		free(m);
		return rf_error_set(RF_ENOMEM, "out of memory");
	}
	p.file = m->file;
	if (len > p.lim.max_bytes) {
		rc = rf_error_set(RF_ELIMIT, "%s: larger than %zu bytes", p.file,
				  p.lim.max_bytes);
		rf_manifest_free(m);
		return rc;
	}
	p.stack = calloc(p.lim.max_depth + 1, sizeof *p.stack);
	if (!p.stack || !yaml_parser_initialize(&yp)) {
		free(p.stack);
		rf_manifest_free(m);
		return rf_error_set(RF_ENOMEM, "out of memory");
	}
	yaml_parser_set_input_string(&yp, (const unsigned char *)text, len);
	while (!done && !rc) {
		if (!yaml_parser_parse(&yp, &e)) {
			rc = yaml_failed(&p, &yp);
			break;
		}
		switch (e.type) {
		case YAML_STREAM_END_EVENT:
			done = 1;
			break;
		case YAML_DOCUMENT_START_EVENT:
			if (++p.docs > 1)
				rc = rf_error_set(RF_EFORMAT,
						  "%s:%zu:%zu: more than one YAML document",
						  p.file, e.start_mark.line + 1,
						  e.start_mark.column + 1);
			break;
		case YAML_SCALAR_EVENT:
			rc = on_scalar(&p, &e);
			break;
		case YAML_ALIAS_EVENT:
			rc = on_alias(&p, &e);
			break;
		case YAML_SEQUENCE_START_EVENT:
			rc = on_open(&p, &e, RF_NODE_LIST);
			break;
		case YAML_MAPPING_START_EVENT:
			rc = on_open(&p, &e, RF_NODE_MAP);
			break;
		case YAML_SEQUENCE_END_EVENT:
		case YAML_MAPPING_END_EVENT:
			rc = on_close(&p);
			break;
		default:
			break;
		}
		yaml_event_delete(&e);
	}
	yaml_parser_delete(&yp);
	if (!rc && !p.root)
		rc = rf_error_set(RF_EFORMAT, "%s:1:1: empty document", p.file);
	if (rc) {
		parser_release(&p);
		rf_manifest_free(m);
		return rc;
	}
	m->root = p.root;
	p.root = NULL;
	parser_release(&p);
	*out = m;
	return 0;
}

int rf_manifest_load_buffer(rf_manifest **out, const char *name,
			    const char *text, size_t len)
{
	int rc = rf_manifest_parse(out, name, text, len, NULL);
	if (rc)
		return rc;
	rc = rf_manifest_validate(*out);
	if (rc) {
		rf_manifest_free(*out);
		*out = NULL;
	}
	return rc;
}

int rf_manifest_load(rf_manifest **out, const char *path)
{
	rf_buf b = RF_BUF_INIT;
	int rc;
	*out = NULL;
	rc = rf_file_read(&b, path, RF_YAML_DEFAULT_MAX_BYTES);
	if (!rc)
		rc = rf_manifest_load_buffer(out, path, b.data ? b.data : "", b.len);
	rf_buf_free(&b);
	return rc;
}

/* The value of a top-level `key:` line ("kind: claims # x" -> "claims"),
 * copied into val; 0 when the line is not one. */
static int top_level_value(const char *line, size_t len, const char *key,
			   char *val, size_t vsize)
{
	size_t k = strlen(key), i, n = 0;
	if (len <= k || strncmp(line, key, k) || line[k] != ':')
		return 0;
	for (i = k + 1; i < len && (line[i] == ' ' || line[i] == '\t'); i++)
		;
	if (i < len && (line[i] == '"' || line[i] == '\''))
		i++;
	while (i < len && n + 1 < vsize && line[i] != '"' && line[i] != '\'' &&
	       line[i] != '#' && line[i] != ' ' && line[i] != '\t' && line[i] != '\r')
		val[n++] = line[i++];
	val[n] = '\0';
	return 1;
}

int rf_manifest_sniff(const char *path)
{
	char *text, val[64];
	size_t len;
	int has_kind = 0, has_schema = 0, known = 0;
	FILE *f = fopen(path, "rb");
	if (!f)
		return rf_error_set(errno == ENOENT ? RF_ENOTFOUND : RF_EIO,
				    "cannot read '%s': %s", path, strerror(errno));
	if (!(text = malloc(RF_YAML_DEFAULT_MAX_BYTES))) {
		fclose(f);
		return rf_error_set(RF_ENOMEM, "out of memory");
	}
	/* the first 4 MiB decide; a longer manifest fails its load later */
	len = fread(text, 1, RF_YAML_DEFAULT_MAX_BYTES, f);
	if (ferror(f)) {
		free(text);
		fclose(f);
		return rf_error_set(RF_EIO, "cannot read '%s'", path);
	}
	fclose(f);
	for (size_t at = 0; at < len;) {
		const char *nl = memchr(text + at, '\n', len - at);
		size_t l = nl ? (size_t)(nl - (text + at)) : len - at;
		if (top_level_value(text + at, l, "kind", val, sizeof val)) {
			has_kind = 1;
			known |= rf_manifest_kind_find(val) != NULL;
		}
		has_schema |= top_level_value(text + at, l, "schema", val, sizeof val);
		at += l + 1;
	}
	free(text);
	return known || (has_kind && has_schema);
}

static int name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int is_manifest_name(const char *n)
{
	size_t l = strlen(n);
	if (n[0] == '.')
		return 0;
	return (l > 5 && !strcmp(n + l - 5, ".yaml")) ||
	       (l > 4 && !strcmp(n + l - 4, ".yml"));
}

void rf_manifest_list_free(char **list, size_t count)
{
	if (!list)
		return;
	for (size_t i = 0; i < count; i++)
		free(list[i]);
	free(list);
}

int rf_manifest_list(char ***out, size_t *count, const char *dir, size_t max)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	char **list = NULL;
	size_t n = 0, cap = 0;
	int rc = 0;
	*out = NULL;
	*count = 0;
	if (!d)
		return rf_error_set(errno == ENOENT ? RF_ENOTFOUND : RF_EIO,
				    "cannot open directory '%s': %s", dir, strerror(errno));
	while ((e = readdir(d))) {
		rf_buf path = RF_BUF_INIT;
		struct stat st;
		if (!is_manifest_name(e->d_name))
			continue;
		if (n == max) {
			rc = rf_error_set(RF_ELIMIT, "'%s' holds more than %zu manifests",
					  dir, max);
			break;
		}
		if ((rc = rf_path_join(&path, dir, e->d_name)))
			break;
		/* regular files only: no symlinks out of a bundle, no fifos */
		if (lstat(path.data, &st) || !S_ISREG(st.st_mode)) {
			rf_buf_free(&path);
			continue;
		}
		if (n == cap) {
			char **l = realloc(list, (cap ? cap * 2 : 16) * sizeof *l);
			if (!l) {
				rf_buf_free(&path);
				rc = rf_error_set(RF_ENOMEM, "out of memory");
				break;
			}
			list = l;
			cap = cap ? cap * 2 : 16;
		}
		list[n++] = rf_buf_detach(&path);
	}
	closedir(d);
	if (rc) {
		rf_manifest_list_free(list, n);
		return rc;
	}
	if (n)
		qsort(list, n, sizeof *list, name_cmp);
	*out = list;
	*count = n;
	return 0;
}

const rf_node *rf_manifest_root(const rf_manifest *m)
{
	return m ? m->root : NULL;
}

const char *rf_manifest_file(const rf_manifest *m)
{
	return m ? m->file : NULL;
}

const char *rf_manifest_kind_name(const rf_manifest *m)
{
	const rf_node *k = m ? rf_node_get(m->root, "kind") : NULL;
	return k && k->type == RF_NODE_SCALAR ? k->text : NULL;
}
