/* Reading a manifest's tree: accessors, paths ("stages[2].gpus"), typed
 * getters, YAML 1.2 core-schema typing of plain scalars, and error messages
 * that point at file:line:column. */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "referee/error.h"

rf_node_type rf_node_kind(const rf_node *n)
{
	return n->type;
}

rf_scalar_type rf_node_scalar_type(const rf_node *n)
{
	return n->type == RF_NODE_SCALAR ? n->stype : 0;
}

const char *rf_node_text(const rf_node *n)
{
	return n && n->type == RF_NODE_SCALAR ? n->text : NULL;
}

unsigned rf_node_line(const rf_node *n)
{
	return n->line;
}

unsigned rf_node_column(const rf_node *n)
{
	return n->col;
}

const char *rf_node_file(const rf_node *n)
{
	return n->file;
}

size_t rf_node_size(const rf_node *n)
{
	return n && n->type != RF_NODE_SCALAR ? n->n : 0;
}

const rf_node *rf_node_at(const rf_node *n, size_t i)
{
	return n && n->type != RF_NODE_SCALAR && i < n->n ? n->vals[i] : NULL;
}

const rf_node *rf_node_key_at(const rf_node *n, size_t i)
{
	return n && n->type == RF_NODE_MAP && i < n->n ? n->keys[i] : NULL;
}

const rf_node *rf_node_get(const rf_node *map, const char *key)
{
	if (!map || map->type != RF_NODE_MAP)
		return NULL;
	for (size_t i = 0; i < map->n; i++)
		if (!strcmp(map->keys[i]->text, key))
			return map->vals[i];
	return NULL;
}

const rf_node *rf_node_path(const rf_node *n, const char *path)
{
	const char *p = path;
	char key[256];
	while (n && *p) {
		if (*p == '[') {
			char *end;
			unsigned long i;
			errno = 0;
			i = strtoul(p + 1, &end, 10);
			if (errno || end == p + 1 || *end != ']')
				return NULL;
			n = rf_node_at(n->type == RF_NODE_LIST ? n : NULL, i);
			p = end + 1;
		} else {
			size_t k = strcspn(p, ".[");
			if (k == 0 || k >= sizeof key)
				return NULL;
			memcpy(key, p, k);
			key[k] = '\0';
			n = rf_node_get(n, key);
			p += k;
		}
		if (*p == '.')
			p++;
	}
	return n;
}

int rf_node_error(int code, const rf_node *n, const char *path,
		  const char *fmt, ...)
{
	char msg[768];
	const char *body = msg;
	size_t plen = path ? strlen(path) : 0;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	/* The message often comes from a helper that was told the field path
	 * as its subject (rf_path_check_relative(rel, "from.rollouts") says
	 * "from.rollouts: ..."): name the field once, whoever named it. */
	if (plen && !strncmp(msg, path, plen) && msg[plen] == ':' && msg[plen + 1] == ' ')
		body = msg + plen + 2;
	if (plen)
		return rf_error_set(code, "%s:%u:%u: %s: %s", n->file, n->line,
				    n->col, path, body);
	return rf_error_set(code, "%s:%u:%u: %s", n->file, n->line, n->col, msg);
}

static int all_digits(const char *s, size_t n, const char *set)
{
	if (n == 0)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!strchr(set, s[i]))
			return 0;
	return 1;
}

static int is_int_text(const char *s, size_t len)
{
	size_t i = 0;
	if (len > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'o'))
		return all_digits(s + 2, len - 2,
				  s[1] == 'x' ? "0123456789abcdefABCDEF" : "01234567");
	if (i < len && (s[i] == '-' || s[i] == '+'))
		i++;
	return all_digits(s + i, len - i, "0123456789");
}

/* [-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)? and .inf / .nan */
static int is_float_text(const char *s, size_t len)
{
	size_t i = 0, d = 0;
	static const char *const special[] = {".inf", ".Inf", ".INF", "-.inf", "-.Inf",
					      "-.INF", "+.inf", "+.Inf", "+.INF",
					      ".nan", ".NaN", ".NAN"};
	for (size_t k = 0; k < sizeof special / sizeof special[0]; k++)
		if (!strcmp(s, special[k]))
			return 1;
	if (i < len && (s[i] == '-' || s[i] == '+'))
		i++;
	while (i < len && isdigit((unsigned char)s[i]))
		i++, d++;
	if (i < len && s[i] == '.') {
		i++;
		while (i < len && isdigit((unsigned char)s[i]))
			i++, d++;
	}
	if (d == 0)
		return 0;
	if (i < len && (s[i] == 'e' || s[i] == 'E')) {
		size_t e = 0;
		i++;
		if (i < len && (s[i] == '-' || s[i] == '+'))
			i++;
		while (i < len && isdigit((unsigned char)s[i]))
			i++, e++;
		if (e == 0)
			return 0;
	}
	return i == len;
}

rf_scalar_type rf_yaml_classify(const char *s, size_t len)
{
	if (len == 0 || !strcmp(s, "~") || !strcmp(s, "null") ||
	    !strcmp(s, "Null") || !strcmp(s, "NULL"))
		return RF_SCALAR_NULL;
	if (!strcmp(s, "true") || !strcmp(s, "True") || !strcmp(s, "TRUE") ||
	    !strcmp(s, "false") || !strcmp(s, "False") || !strcmp(s, "FALSE"))
		return RF_SCALAR_BOOL;
	if (is_int_text(s, len)) {
		char *end;
		errno = 0;
		if (s[0] == '0' && len > 2 && (s[1] == 'x' || s[1] == 'o'))
			(void)strtoll(s + 2, &end, s[1] == 'x' ? 16 : 8);
		else
			(void)strtoll(s, &end, 10);
		/* integers beyond int64 are still numbers: read as floats */
		return errno ? RF_SCALAR_FLOAT : RF_SCALAR_INT;
	}
	if (is_float_text(s, len))
		return RF_SCALAR_FLOAT;
	return RF_SCALAR_STRING;
}

/* Value of an RF_SCALAR_INT node. */
static long long int_value(const rf_node *n)
{
	const char *s = n->text;
	if (s[0] == '0' && n->len > 2 && (s[1] == 'x' || s[1] == 'o'))
		return strtoll(s + 2, NULL, s[1] == 'x' ? 16 : 8);
	return strtoll(s, NULL, 10);
}

static int get_node(const rf_node **out, const rf_node *n, const char *path)
{
	*out = rf_node_path(n, path);
	if (!*out)
		return rf_error_set(RF_ENOTFOUND, "%s: '%s' is not set",
				    n ? n->file : "?", path);
	return 0;
}

static const char *describe(const rf_node *n)
{
	switch (n->type) {
	case RF_NODE_MAP:
		return "a map";
	case RF_NODE_LIST:
		return "a list";
	default:
		return NULL;
	}
}

int rf_node_wrong(const rf_node *n, const char *path, const char *expected)
{
	const char *what = describe(n);
	if (what)
		return rf_node_error(RF_EFORMAT, n, path, "expected %s, got %s",
				     expected, what);
	return rf_node_error(RF_EFORMAT, n, path, "expected %s, got \"%.80s\"",
			     expected, n->text);
}

int rf_node_get_int(long long *out, const rf_node *n, const char *path)
{
	const rf_node *v;
	int rc = get_node(&v, n, path);
	if (rc)
		return rc;
	if (v->type != RF_NODE_SCALAR || v->stype != RF_SCALAR_INT)
		return rf_node_wrong(v, path, "an integer");
	*out = int_value(v);
	return 0;
}

double rf_node_float_value(const rf_node *v)
{
	const char *s = v->text;
	if (v->stype == RF_SCALAR_INT)
		return (double)int_value(v);
	if (strstr(s, "inf") || strstr(s, "Inf") || strstr(s, "INF"))
		return s[0] == '-' ? -__builtin_inf() : __builtin_inf();
	if (strstr(s, "nan") || strstr(s, "NaN") || strstr(s, "NAN"))
		return __builtin_nan("");
	return strtod(s, NULL);
}

int rf_node_get_float(double *out, const rf_node *n, const char *path)
{
	const rf_node *v;
	int rc = get_node(&v, n, path);
	if (rc)
		return rc;
	if (v->type != RF_NODE_SCALAR ||
	    (v->stype != RF_SCALAR_INT && v->stype != RF_SCALAR_FLOAT))
		return rf_node_wrong(v, path, "a number");
	*out = rf_node_float_value(v);
	return 0;
}

int rf_node_get_bool(int *out, const rf_node *n, const char *path)
{
	const rf_node *v;
	int rc = get_node(&v, n, path);
	if (rc)
		return rc;
	if (v->type != RF_NODE_SCALAR || v->stype != RF_SCALAR_BOOL)
		return rf_node_wrong(v, path, "true or false");
	*out = v->text[0] == 't' || v->text[0] == 'T';
	return 0;
}

int rf_node_get_string(const char **out, const rf_node *n, const char *path)
{
	const rf_node *v;
	int rc = get_node(&v, n, path);
	if (rc)
		return rc;
	if (v->type != RF_NODE_SCALAR)
		return rf_node_wrong(v, path, "a string");
	*out = v->text;
	return 0;
}

struct keyed {
	const rf_node *v;
	size_t index;
};

static int keyed_cmp(const void *a, const void *b)
{
	const struct keyed *x = a, *y = b;
	int c = strcmp(x->v->text, y->v->text);
	if (c)
		return c;
	return x->index < y->index ? -1 : x->index > y->index;
}

int rf_list_check_unique(const rf_node *list, const char *key, const char *path,
			 const char *what)
{
	struct keyed *k;
	size_t n = 0;
	int rc = 0;
	if (!list || list->type != RF_NODE_LIST || list->n < 2)
		return 0;
	k = malloc(list->n * sizeof *k);
	if (!k)
		return rf_error_set(RF_ENOMEM, "out of memory");
	for (size_t i = 0; i < list->n; i++) {
		const rf_node *v = rf_node_get(list->vals[i], key);
		if (v && v->type == RF_NODE_SCALAR) {
			k[n].v = v;
			k[n++].index = i;
		}
	}
	qsort(k, n, sizeof *k, keyed_cmp);
	for (size_t i = 1; i < n; i++)
		if (!strcmp(k[i].v->text, k[i - 1].v->text)) {
			char p[256];
			snprintf(p, sizeof p, "%s[%zu].%s", path, k[i].index, key);
			rc = rf_node_error(RF_EFORMAT, k[i].v, p, "duplicate %s \"%.64s\"", what,
					   k[i].v->text);
			break;
		}
	free(k);
	return rc;
}
