/* Parsing of BagIt tag files (bagit.txt, bag-info.txt, manifests) and the
 * walk over a bag's directories.  Everything here reads hostile input:
 * sizes are bounded, paths are checked before anyone opens them. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bag/bag_internal.h"
#include "referee/error.h"
#include "referee/escape.h"
#include "referee/path.h"

int bag_each_line(const char *text, size_t len,
		  int (*fn)(void *ctx, char *line, unsigned lineno), void *ctx)
{
	rf_buf line = RF_BUF_INIT;
	size_t i = 0;
	unsigned lineno = 0;
	int rc = 0;
	while (i < len) {
		size_t j = i;
		while (j < len && text[j] != '\n' && text[j] != '\r')
			j++;
		lineno++;
		rf_buf_clear(&line);
		if ((rc = rf_buf_append(&line, text + i, j - i)) != 0)
			break;
		/* A NUL inside a line would cut it short silently: refuse. */
		if (memchr(text + i, '\0', j - i)) {
			line.data[0] = '\x01';
			line.data[1] = '\0';
		}
		if ((rc = fn(ctx, line.data, lineno)) != 0)
			break;
		if (j < len && text[j] == '\r' && j + 1 < len &&
		    text[j + 1] == '\n')
			j++;
		i = j + 1;
	}
	rf_buf_free(&line);
	return rc;
}

void bag_manifest_filename(char *out, size_t size, rf_digest_alg alg, int tag)
{
	snprintf(out, size, "%smanifest-%s.txt", tag ? "tag" : "",
		 rf_digest_name(alg));
}

/* ---------------------------------------------------------- manifests */

struct mparse {
	struct bag_manifest *m;
	const char *name;
	int payload;
	bag_problem_fn fn;
	void *ctx;
	char msg[1024];
};

static int report(struct mparse *p, rf_bag_problem_kind kind, const char *path,
		  const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static int report(struct mparse *p, rf_bag_problem_kind kind, const char *path,
		  const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(p->msg, sizeof p->msg, fmt, ap);
	va_end(ap);
	return p->fn ? p->fn(p->ctx, kind, path, p->msg) : 0;
}

/* RFC 8493 §2.1.3: only %0A, %0D and %25 are encoded in manifest paths. */
static int percent_decode(char *s)
{
	char *w = s;
	for (char *r = s; *r;) {
		if (r[0] == '%' && r[1] && r[2]) {
			if (r[1] == '0' && (r[2] == 'A' || r[2] == 'a')) {
				*w++ = '\n';
				r += 3;
				continue;
			}
			if (r[1] == '0' && (r[2] == 'D' || r[2] == 'd')) {
				*w++ = '\r';
				r += 3;
				continue;
			}
			if (r[1] == '2' && r[2] == '5') {
				*w++ = '%';
				r += 3;
				continue;
			}
		}
		*w++ = *r++;
	}
	*w = '\0';
	return 0;
}

static int is_hex(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= '0' && s[i] <= '9') ||
		      (s[i] >= 'a' && s[i] <= 'f') ||
		      (s[i] >= 'A' && s[i] <= 'F')))
			return 0;
	return 1;
}

static int manifest_line(void *ctx, char *line, unsigned lineno)
{
	struct mparse *p = ctx;
	struct bag_manifest *m = p->m;
	size_t hexlen = 2 * rf_digest_size(m->alg), n = 0;
	char *path;
	if (line[0] == '\0')
		return 0;
	if (line[0] == '\x01')
		return report(p, RF_BAG_MALFORMED, p->name,
			      "%s line %u: NUL byte", p->name, lineno);
	while (line[n] && line[n] != ' ' && line[n] != '\t')
		n++;
	if (n != hexlen || !is_hex(line, n))
		return report(p, RF_BAG_MALFORMED, p->name,
			      "%s line %u: expected a %zu-digit %s digest",
			      p->name, lineno, hexlen, rf_digest_name(m->alg));
	path = line + n;
	while (*path == ' ' || *path == '\t')
		path++;
	if (path == line + n || !*path)
		return report(p, RF_BAG_MALFORMED, p->name,
			      "%s line %u: expected \"digest  path\"", p->name,
			      lineno);
	line[n] = '\0';
	percent_decode(path);
	if (rf_path_check_relative(path, p->name))
		return report(p, RF_BAG_UNSAFE, path, "%s line %u: %s", p->name,
			      lineno, rf_error_last());
	if (p->payload && strncmp(path, "data/", 5) != 0)
		return report(
		    p, RF_BAG_UNSAFE, path,
		    "%s line %u: payload path '%s' is not under data/", p->name,
		    lineno, path);
	if (!p->payload && !strncmp(path, "data/", 5))
		return report(
		    p, RF_BAG_MALFORMED, path,
		    "%s line %u: tag manifest lists payload file '%s'", p->name,
		    lineno, path);
	if (m->n == m->cap) {
		size_t cap = m->cap ? m->cap * 2 : 64;
		struct bag_line *v = realloc(m->lines, cap * sizeof *v);
		if (!v)
			return rf_error_set(RF_ENOMEM, "out of memory");
		m->lines = v;
		m->cap = cap;
	}
	for (size_t i = 0; i < n; i++)
		if (line[i] >= 'A' && line[i] <= 'F')
			line[i] = (char)(line[i] - 'A' + 'a');
	m->lines[m->n].path = strdup(path);
	m->lines[m->n].hex = strdup(line);
	m->lines[m->n].lineno = lineno;
	if (!m->lines[m->n].path || !m->lines[m->n].hex) {
		free(m->lines[m->n].path);
		free(m->lines[m->n].hex);
		return rf_error_set(RF_ENOMEM, "out of memory");
	}
	m->n++;
	return 0;
}

static int line_cmp(const void *a, const void *b)
{
	const struct bag_line *x = a, *y = b;
	int c = strcmp(x->path, y->path);
	if (c)
		return c;
	return x->lineno < y->lineno ? -1 : x->lineno > y->lineno;
}

int bag_manifest_parse(struct bag_manifest *m, const char *name,
		       const char *text, size_t len, int payload,
		       bag_problem_fn fn, void *ctx)
{
	struct mparse p = {m, name, payload, fn, ctx, ""};
	size_t w = 0;
	int rc;
	if (!m->name && !(m->name = strdup(name)))
		return rf_error_set(RF_ENOMEM, "out of memory");
	if ((rc = bag_each_line(text, len, manifest_line, &p)) != 0)
		return rc;
	if (m->n)
		qsort(m->lines, m->n, sizeof *m->lines, line_cmp);
	/* A path listed twice is ambiguous: keep the first, report the rest. */
	for (size_t i = 0; i < m->n; i++) {
		if (w && !strcmp(m->lines[w - 1].path, m->lines[i].path)) {
			rc = report(&p, RF_BAG_MALFORMED, m->lines[i].path,
				    "%s line %u: '%s' is listed twice", name,
				    m->lines[i].lineno, m->lines[i].path);
			free(m->lines[i].path);
			free(m->lines[i].hex);
			if (rc) {
				/* Keep the lines not yet visited, so that
				 * bag_manifest_free() frees each exactly once. */
				size_t rest = m->n - i - 1;
				memmove(&m->lines[w], &m->lines[i + 1],
					rest * sizeof *m->lines);
				m->n = w + rest;
				return rc;
			}
			continue;
		}
		m->lines[w++] = m->lines[i];
	}
	m->n = w;
	return 0;
}

void bag_manifest_free(struct bag_manifest *m)
{
	if (!m)
		return;
	for (size_t i = 0; i < m->n; i++) {
		free(m->lines[i].path);
		free(m->lines[i].hex);
	}
	free(m->lines);
	free(m->name);
	memset(m, 0, sizeof *m);
}

const struct bag_line *bag_manifest_find(const struct bag_manifest *m,
					 const char *path)
{
	size_t lo = 0, hi = m->n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = strcmp(path, m->lines[mid].path);
		if (!c)
			return &m->lines[mid];
		if (c < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return NULL;
}

/* ----------------------------------------------------------- bag-info */

/* Most fields bag-info.txt may hold (a real one has a dozen): memory
 * stays bounded whatever a hostile 64 MiB tag file holds. */
#define BAG_INFO_MAX_FIELDS 100000

struct iparse {
	struct bag_info *info;
	bag_problem_fn fn;
	void *ctx;
	/* The last field's value while continuation lines may still extend it:
	 * appended in place (amortised), so a folded value costs linear time
	 * (rebuilding it at every line took minutes for a 1 MB value). */
	rf_buf cur;
	int too_many;
};

static int info_problem(struct iparse *p, const char *msg)
{
	return p->fn ? p->fn(p->ctx, RF_BAG_MALFORMED, "bag-info.txt", msg) : 0;
}

/* The value built so far becomes the last field's. */
static int info_flush(struct iparse *p)
{
	struct bag_info *info = p->info;
	char *v;
	if (!info->n || !p->cur.data)
		return 0;
	if (!(v = rf_buf_detach(&p->cur)))
		return rf_error_set(RF_ENOMEM, "out of memory");
	free(info->fields[info->n - 1].value);
	info->fields[info->n - 1].value = v;
	return 0;
}

static int info_line(void *ctx, char *line, unsigned lineno)
{
	struct iparse *p = ctx;
	struct bag_info *info = p->info;
	char *colon, *v, msg[256];
	int rc;
	if (line[0] == '\0')
		return 0;
	if (line[0] == '\x01') {
		snprintf(msg, sizeof msg, "bag-info.txt line %u: NUL byte",
			 lineno);
		return info_problem(p, msg);
	}
	/* bagit.txt declares the tag files UTF-8. */
	if (!rf_utf8_valid(line, strlen(line))) {
		snprintf(msg, sizeof msg, "bag-info.txt line %u: not valid UTF-8", lineno);
		return info_problem(p, msg);
	}
	if (line[0] == ' ' || line[0] == '\t') {
		/* A continuation of the previous value. */
		char *s = line;
		if (!info->n) {
			snprintf(msg, sizeof msg,
				 "bag-info.txt line %u: continuation without a "
				 "label",
				 lineno);
			return info_problem(p, msg);
		}
		while (*s == ' ' || *s == '\t')
			s++;
		if (!p->cur.data &&
		    rf_buf_puts(&p->cur, info->fields[info->n - 1].value))
			return RF_ENOMEM;
		if (rf_buf_puts(&p->cur, " ") || rf_buf_puts(&p->cur, s))
			return RF_ENOMEM;
		return 0;
	}
	if ((rc = info_flush(p)) != 0)
		return rc;
	colon = strchr(line, ':');
	if (!colon || colon == line) {
		snprintf(msg, sizeof msg,
			 "bag-info.txt line %u: expected \"Label: value\"",
			 lineno);
		return info_problem(p, msg);
	}
	if (info->n >= BAG_INFO_MAX_FIELDS) {
		if (p->too_many++)
			return 0;
		snprintf(msg, sizeof msg, "bag-info.txt line %u: more than %d fields", lineno,
			 BAG_INFO_MAX_FIELDS);
		return info_problem(p, msg);
	}
	*colon = '\0';
	v = colon + 1;
	while (*v == ' ' || *v == '\t')
		v++;
	/* Labels end at the colon; whitespace before it is not part of them. */
	for (char *e = colon; e > line && (e[-1] == ' ' || e[-1] == '\t'); e--)
		e[-1] = '\0';
	if (info->n == info->cap) {
		size_t cap = info->cap ? info->cap * 2 : 16;
		struct bag_field *f = realloc(info->fields, cap * sizeof *f);
		if (!f)
			return rf_error_set(RF_ENOMEM, "out of memory");
		info->fields = f;
		info->cap = cap;
	}
	info->fields[info->n].label = strdup(line);
	info->fields[info->n].value = strdup(v);
	if (!info->fields[info->n].label || !info->fields[info->n].value) {
		free(info->fields[info->n].label);
		free(info->fields[info->n].value);
		return rf_error_set(RF_ENOMEM, "out of memory");
	}
	info->n++;
	return 0;
}

int bag_info_parse(struct bag_info *info, const char *text, size_t len,
		   bag_problem_fn fn, void *ctx)
{
	struct iparse p = {info, fn, ctx, RF_BUF_INIT, 0};
	int rc = bag_each_line(text, len, info_line, &p);
	if (!rc)
		rc = info_flush(&p);
	rf_buf_free(&p.cur);
	return rc;
}

void bag_info_free(struct bag_info *info)
{
	if (!info)
		return;
	for (size_t i = 0; i < info->n; i++) {
		free(info->fields[i].label);
		free(info->fields[i].value);
	}
	free(info->fields);
	memset(info, 0, sizeof *info);
}

const char *bag_info_get(const struct bag_info *info, const char *label)
{
	for (size_t i = 0; i < info->n; i++)
		if (!strcasecmp(info->fields[i].label, label))
			return info->fields[i].value;
	return NULL;
}

int bag_declaration_check(const char *text, size_t len)
{
	struct bag_info decl = {0};
	const char *version, *enc;
	int rc = bag_info_parse(&decl, text, len, NULL, NULL);
	if (rc) {
		bag_info_free(&decl);
		return rc;
	}
	version = bag_info_get(&decl, "BagIt-Version");
	enc = bag_info_get(&decl, "Tag-File-Character-Encoding");
	if (!version)
		rc = rf_error_set(RF_EFORMAT, "bagit.txt: no BagIt-Version");
	else if (strcmp(version, "1.0") && strcmp(version, "0.97"))
		rc = rf_error_set(RF_EFORMAT,
				  "bagit.txt: unsupported BagIt-Version '%s'",
				  version);
	else if (!enc)
		rc = rf_error_set(RF_EFORMAT,
				  "bagit.txt: no Tag-File-Character-Encoding");
	else if (strcasecmp(enc, "UTF-8"))
		rc = rf_error_set(
		    RF_EFORMAT,
		    "bagit.txt: unsupported Tag-File-Character-Encoding '%s'",
		    enc);
	bag_info_free(&decl);
	return rc;
}

/* -------------------------------------------------------------- files */

int bag_files_add(struct bag_files *f, const char *path, uint64_t size)
{
	if (f->n >= RF_BAG_MAX_FILES)
		return rf_error_set(RF_ELIMIT, "more than %u files",
				    RF_BAG_MAX_FILES);
	if (f->n == f->cap) {
		size_t cap = f->cap ? f->cap * 2 : 64;
		struct bag_file *v = realloc(f->v, cap * sizeof *v);
		if (!v)
			return rf_error_set(RF_ENOMEM, "out of memory");
		f->v = v;
		f->cap = cap;
	}
	if (!(f->v[f->n].path = strdup(path)))
		return rf_error_set(RF_ENOMEM, "out of memory");
	f->v[f->n].size = size;
	f->n++;
	return 0;
}

static int file_cmp(const void *a, const void *b)
{
	return strcmp(((const struct bag_file *)a)->path,
		      ((const struct bag_file *)b)->path);
}

void bag_files_sort(struct bag_files *f)
{
	if (f->n)
		qsort(f->v, f->n, sizeof *f->v, file_cmp);
}

const struct bag_file *bag_files_find(const struct bag_files *f,
				      const char *path)
{
	struct bag_file key = {(char *)path, 0};
	if (!f->n)
		return NULL;
	return bsearch(&key, f->v, f->n, sizeof *f->v, file_cmp);
}

void bag_files_free(struct bag_files *f)
{
	if (!f)
		return;
	for (size_t i = 0; i < f->n; i++)
		free(f->v[i].path);
	free(f->v);
	memset(f, 0, sizeof *f);
}

/* --------------------------------------------------------------- walk */

struct walk {
	struct bag_files *out;
	const char *root;
	bag_problem_fn fn;
	void *ctx;
	rf_buf full;
};

static int walk_problem(struct walk *w, rf_bag_problem_kind kind,
			const char *rel, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static int walk_problem(struct walk *w, rf_bag_problem_kind kind,
			const char *rel, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	return w->fn ? w->fn(w->ctx, kind, rel, msg) : 0;
}

static int walk_dir(struct walk *w, int dirfd_, const char *rel, int depth)
{
	DIR *d;
	struct dirent *e;
	int rc = 0;
	if (depth > RF_BAG_MAX_DEPTH)
		return walk_problem(w, RF_BAG_UNSAFE, rel,
				    "'%s' is nested deeper than %d directories",
				    rel, RF_BAG_MAX_DEPTH);
	d = fdopendir(dirfd_);
	if (!d) {
		close(dirfd_);
		return walk_problem(w, RF_BAG_UNREADABLE, rel,
				    "cannot list '%s': %s", rel,
				    strerror(errno));
	}
	while (!rc && (e = readdir(d)) != NULL) {
		struct stat st;
		rf_buf child = RF_BUF_INIT;
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		if (rf_buf_printf(&child, "%s/%s", rel, e->d_name)) {
			rc = RF_ENOMEM;
			break;
		}
		if (fstatat(dirfd(d), e->d_name, &st, AT_SYMLINK_NOFOLLOW)) {
			rc = walk_problem(w, RF_BAG_UNREADABLE, child.data,
					  "cannot stat '%s': %s", child.data,
					  strerror(errno));
		} else if (S_ISDIR(st.st_mode)) {
			int fd = openat(dirfd(d), e->d_name,
					O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
					    O_CLOEXEC);
			if (fd < 0)
				rc = walk_problem(w, RF_BAG_UNREADABLE,
						  child.data,
						  "cannot open '%s': %s",
						  child.data, strerror(errno));
			else
				rc = walk_dir(w, fd, child.data, depth + 1);
		} else if (S_ISREG(st.st_mode)) {
			rc = bag_files_add(w->out, child.data,
					   (uint64_t)st.st_size);
		} else if (S_ISLNK(st.st_mode)) {
			/* A link is only acceptable when it stays inside the
			 * bag and names a regular file. */
			struct stat tst;
			rf_buf_clear(&w->full);
			if (rf_path_join(&w->full, w->root, child.data)) {
				rc = RF_ENOMEM;
			} else if (rf_path_check_inside(w->root,
							w->full.data)) {
				rc = walk_problem(
				    w, RF_BAG_UNSAFE, child.data,
				    "symlink '%s' resolves outside the bag",
				    child.data);
			} else if (stat(w->full.data, &tst) ||
				   !S_ISREG(tst.st_mode)) {
				rc = walk_problem(
				    w, RF_BAG_UNSAFE, child.data,
				    "symlink '%s' does not name a regular file",
				    child.data);
			} else {
				rc = bag_files_add(w->out, child.data,
						   (uint64_t)tst.st_size);
			}
		} else {
			rc = walk_problem(w, RF_BAG_UNSAFE, child.data,
					  "'%s' is not a regular file",
					  child.data);
		}
		rf_buf_free(&child);
	}
	closedir(d);
	return rc;
}

int bag_walk(struct bag_files *out, const char *root, const char *rel,
	     bag_problem_fn fn, void *ctx)
{
	struct walk w = {out, root, fn, ctx, RF_BUF_INIT};
	rf_buf dir = RF_BUF_INIT;
	struct stat st;
	int fd, rc;
	if (rf_path_join(&dir, root, rel))
		return RF_ENOMEM;
	if (lstat(dir.data, &st)) {
		rc = errno == ENOENT ? 0
				     : walk_problem(&w, RF_BAG_UNREADABLE, rel,
						    "cannot stat '%s': %s", rel,
						    strerror(errno));
		rf_buf_free(&dir);
		return rc;
	}
	if (!S_ISDIR(st.st_mode)) {
		rf_buf_free(&dir);
		return walk_problem(&w, RF_BAG_UNSAFE, rel,
				    "'%s' is not a directory", rel);
	}
	fd = open(dir.data, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	rf_buf_free(&dir);
	if (fd < 0)
		return walk_problem(&w, RF_BAG_UNREADABLE, rel,
				    "cannot open '%s': %s", rel,
				    strerror(errno));
	rc = walk_dir(&w, fd, rel, 0);
	rf_buf_free(&w.full);
	return rc;
}
