/* OpenSSF Model Signing: walk a model directory and hash it into resources
 * (whole files, or shards of files), as the reference implementation's
 * `files` and `shards` serializations do, on a thread pool. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "model_internal.h"
#include "referee/digest.h"
#include "referee/error.h"
#include "referee/path.h"
#include "referee/pool.h"

/* What the reference implementation leaves out by default (its
 * `ignore_git_paths`). */
static const char *const git_paths[] = {".git", ".gitattributes", ".github",
					".gitignore"};

/* ---- resources ------------------------------------------------------ */

void model_resources_free(rf_model *m)
{
	for (size_t i = 0; i < m->n; i++) {
		free(m->res[i].name);
		free(m->res[i].path);
	}
	free(m->res);
	m->res = NULL;
	m->n = m->cap = 0;
}

int model_resource_add(rf_model *m, const char *name, const unsigned char *md)
{
	model_res *r;
	if (m->n >= RF_MODEL_MAX_RESOURCES)
		return rf_error_set(RF_ELIMIT, "more than %d resources",
				    RF_MODEL_MAX_RESOURCES);
	if (m->n == m->cap) {
		size_t cap = m->cap ? 2 * m->cap : 64;
		model_res *p = realloc(m->res, cap * sizeof *p);
		if (!p)
			return rf_error_set(RF_ENOMEM, "out of memory");
		m->res = p;
		m->cap = cap;
	}
	r = &m->res[m->n];
	memset(r, 0, sizeof *r);
	if (!(r->name = strdup(name)))
		return rf_error_set(RF_ENOMEM, "out of memory");
	if (md) {
		memcpy(r->md, md, 32);
		rf_digest_to_hex(r->hex, md, 32);
	}
	m->n++;
	return 0;
}

/* Paths compare component by component (Python's PurePosixPath order):
 * the same as comparing bytes with '/' below every other byte. */
static int path_cmp(const char *a, const char *b)
{
	for (;; a++, b++) {
		unsigned char x = (unsigned char)*a, y = (unsigned char)*b;
		if (x == '/')
			x = 1;
		if (y == '/')
			y = 1;
		if (x != y)
			return x < y ? -1 : 1;
		if (!x)
			return 0;
	}
}

int model_name_split(const char *name, int shards, char **path, uint64_t *start,
		     uint64_t *end)
{
	const char *c2, *c1;
	char *e;
	*path = NULL;
	if (!shards) {
		*start = *end = 0;
		return (*path = strdup(name)) ? 0 : RF_ENOMEM;
	}
	/* "path:start:end"; the path itself may hold no ':' (the reference
	 * implementation splits on every ':'). */
	c1 = strchr(name, ':');
	c2 = c1 ? strchr(c1 + 1, ':') : NULL;
	if (!c1 || !c2 || strchr(c2 + 1, ':') || c1 == name || c1[1] < '0' ||
	    c1[1] > '9' || c2[1] < '0' || c2[1] > '9')
		return RF_EFORMAT;
	errno = 0;
	*start = strtoull(c1 + 1, &e, 10);
	if (errno || e != c2)
		return RF_EFORMAT;
	*end = strtoull(c2 + 1, &e, 10);
	if (errno || *e || *end <= *start)
		return RF_EFORMAT;
	*path = strndup(name, (size_t)(c1 - name));
	return *path ? 0 : RF_ENOMEM;
}

static int res_cmp(const void *pa, const void *pb)
{
	const model_res *a = pa, *b = pb;
	int c = path_cmp(a->path ? a->path : a->name, b->path ? b->path : b->name);
	if (c)
		return c;
	if (a->start != b->start)
		return a->start < b->start ? -1 : 1;
	return a->end < b->end ? -1 : a->end > b->end;
}

/* Sort resources as the reference implementation lists them: by path,
 * component by component, then (shards) by start and end offsets as
 * numbers (files have both offsets 0). */
void model_resources_sort(rf_model *m)
{
	qsort(m->res, m->n, sizeof *m->res, res_cmp);
}

/* ---- the walk ------------------------------------------------------- */

typedef struct walk {
	rf_model *m;
	const rf_model_opts *o;
	const char *root;     /* the model path as given */
	int follow;           /* allow_symlinks */
	int single;           /* the model is one file */
	/* files found: relative path and size */
	struct found {
		char *rel;
		uint64_t size;
	} *f;
	size_t nf, capf;
} walk;

static int ignored(const walk *w, const char *rel)
{
	size_t n;
	for (size_t i = 0; i < w->o->nignore; i++) {
		n = strlen(w->o->ignore[i]);
		if (!strncmp(rel, w->o->ignore[i], n) &&
		    (rel[n] == '\0' || rel[n] == '/'))
			return 1;
	}
	if (!w->o->keep_git_paths)
		for (size_t i = 0; i < sizeof git_paths / sizeof *git_paths; i++) {
			n = strlen(git_paths[i]);
			if (!strncmp(rel, git_paths[i], n) &&
			    (rel[n] == '\0' || rel[n] == '/'))
				return 1;
		}
	return 0;
}

static int found_add(walk *w, const char *rel, uint64_t size)
{
	if (w->nf >= RF_MODEL_MAX_RESOURCES)
		return rf_error_set(RF_ELIMIT, "'%s': more than %d files", w->root,
				    RF_MODEL_MAX_RESOURCES);
	if (w->nf == w->capf) {
		size_t cap = w->capf ? 2 * w->capf : 64;
		struct found *p = realloc(w->f, cap * sizeof *p);
		if (!p)
			return rf_error_set(RF_ENOMEM, "out of memory");
		w->f = p;
		w->capf = cap;
	}
	if (!(w->f[w->nf].rel = strdup(rel)))
		return rf_error_set(RF_ENOMEM, "out of memory");
	w->f[w->nf++].size = size;
	return 0;
}

static int walk_dir(walk *w, int dfd, const char *rel, int depth)
{
	DIR *d;
	struct dirent *e;
	rf_buf sub = RF_BUF_INIT;
	int rc = 0;
	if (depth > 256)
		return rf_error_set(RF_ELIMIT, "'%s/%s': folders nested too deep",
				    w->root, rel);
	if (!(d = fdopendir(dfd))) {
		close(dfd);
		return rf_error_set(RF_EIO, "cannot read '%s/%s': %s", w->root, rel,
				    strerror(errno));
	}
	while (!rc && (errno = 0, e = readdir(d)) != NULL) {
		struct stat st;
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		rf_buf_clear(&sub);
		if ((rc = *rel ? rf_buf_printf(&sub, "%s/%s", rel, e->d_name)
			       : rf_buf_puts(&sub, e->d_name)) != 0)
			break;
		if (ignored(w, sub.data))
			continue;
		if (fstatat(dirfd(d), e->d_name, &st, AT_SYMLINK_NOFOLLOW)) {
			rc = rf_error_set(RF_EIO, "cannot stat '%s/%s': %s", w->root,
					  sub.data, strerror(errno));
			break;
		}
		if (S_ISLNK(st.st_mode)) {
			if (!w->follow) {
				rc = rf_error_set(RF_EUNSAFE,
						  "'%s/%s' is a symlink (allow symlinks "
						  "to hash what it points to)",
						  w->root, sub.data);
				break;
			}
			if (fstatat(dirfd(d), e->d_name, &st, 0)) {
				rc = rf_error_set(RF_EIO, "'%s/%s': broken symlink: %s",
						  w->root, sub.data, strerror(errno));
				break;
			}
			if (S_ISDIR(st.st_mode))
				continue; /* not descended, as the reference does */
		}
		if (S_ISDIR(st.st_mode)) {
			int fd = openat(dirfd(d), e->d_name,
					O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
			if (fd < 0) {
				rc = rf_error_set(RF_EIO, "cannot open '%s/%s': %s",
						  w->root, sub.data, strerror(errno));
				break;
			}
			rc = walk_dir(w, fd, sub.data, depth + 1);
		} else if (S_ISREG(st.st_mode)) {
			rc = found_add(w, sub.data, (uint64_t)st.st_size);
		} else {
			rc = rf_error_set(RF_EUNSAFE,
					  "'%s/%s' is not a regular file or folder",
					  w->root, sub.data);
		}
	}
	if (!rc && errno)
		rc = rf_error_set(RF_EIO, "cannot read '%s/%s': %s", w->root, rel,
				  strerror(errno));
	closedir(d);
	rf_buf_free(&sub);
	return rc;
}

/* The files named by `only` (verify --ignore-unsigned-files): each must be
 * a safe relative path naming a regular file. */
static int walk_only(walk *w, int dfd)
{
	for (size_t i = 0; i < w->o->nonly; i++) {
		const char *rel = w->o->only[i];
		struct stat st;
		int fd, rc;
		if (w->single && !strcmp(rel, ".")) {
			if (fstat(dfd, &st))
				return rf_error_set(RF_EIO, "cannot stat '%s'", w->root);
			if ((rc = found_add(w, ".", (uint64_t)st.st_size)) != 0)
				return rc;
			continue;
		}
		if (w->single)
			return rf_error_set(RF_ECHECK, "'%s' is a file; the signature "
					    "lists '%s'", w->root, rel);
		if ((rc = rf_path_check_relative(rel, "signed resource")) != 0)
			return rc == RF_EUNSAFE ? RF_ECHECK : rc;
		/* No-follow component by component: resolve through openat on each
		 * folder so that a symlinked folder cannot lead outside. */
		fd = dup(dfd);
		if (fd < 0)
			return rf_error_set(RF_EIO, "dup: %s", strerror(errno));
		{
			char *copy = strdup(rel), *p = copy, *slash;
			if (!copy) {
				close(fd);
				return RF_ENOMEM;
			}
			while ((slash = strchr(p, '/')) != NULL) {
				int nfd;
				*slash = '\0';
				nfd = openat(fd, p, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
							    O_CLOEXEC);
				close(fd);
				fd = nfd;
				if (fd < 0)
					break;
				p = slash + 1;
			}
			rc = fd < 0 ? -1
				    : fstatat(fd, p, &st,
					      w->follow ? 0 : AT_SYMLINK_NOFOLLOW);
			free(copy);
		}
		if (fd >= 0)
			close(fd);
		if (rc || !S_ISREG(st.st_mode)) {
			/* Missing: reported by the comparison, like any other
			 * signed resource that is not there. */
			continue;
		}
		if (ignored(w, rel))
			continue;
		if ((rc = found_add(w, rel, (uint64_t)st.st_size)) != 0)
			return rc;
	}
	return 0;
}

/* ---- hashing -------------------------------------------------------- */

typedef struct job {
	const char *rel;   /* borrowed from walk */
	uint64_t start, end; /* end = UINT64_MAX: to EOF (files) */
	uint64_t size;       /* bytes expected: orders the work */
	unsigned char md[32];
	int rc;
	char err[256];
} job;

typedef struct hash_ctx {
	walk *w;
	int rootfd;
	job *jobs;
	size_t *order;
	unsigned char **bufs;
} hash_ctx;

static int open_rel(hash_ctx *h, const char *rel)
{
	int fl = O_RDONLY | O_CLOEXEC | O_NONBLOCK | (h->w->follow ? 0 : O_NOFOLLOW);
	if (h->w->single)
		return dup(h->rootfd);
	return openat(h->rootfd, rel, fl);
}

static void hash_one(hash_ctx *h, job *j, unsigned char *buf)
{
	rf_digest *d = NULL;
	struct stat st;
	uint64_t off = j->start, left = j->end - j->start;
	int fd = open_rel(h, j->rel);
	if (fd < 0) {
		j->rc = RF_EIO;
		snprintf(j->err, sizeof j->err, "cannot open '%s/%s': %s",
			 h->w->root, j->rel, strerror(errno));
		return;
	}
	if (fstat(fd, &st) || !S_ISREG(st.st_mode)) {
		j->rc = RF_EUNSAFE;
		snprintf(j->err, sizeof j->err, "'%s/%s' is not a regular file",
			 h->w->root, j->rel);
		close(fd);
		return;
	}
	if (j->end != UINT64_MAX)
		posix_fadvise(fd, (off_t)j->start, (off_t)left, POSIX_FADV_SEQUENTIAL);
	else
		posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
	if (rf_digest_new(&d, RF_DIGEST_SHA256)) {
		j->rc = RF_ENOMEM;
		snprintf(j->err, sizeof j->err, "out of memory");
		close(fd);
		return;
	}
	while (left) {
		size_t want = left < RF_DIGEST_READ_SIZE ? (size_t)left
							 : RF_DIGEST_READ_SIZE;
		ssize_t n = pread(fd, buf, want, (off_t)off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			j->rc = RF_EIO;
			snprintf(j->err, sizeof j->err, "cannot read '%s/%s': %s",
				 h->w->root, j->rel, strerror(errno));
			break;
		}
		if (n == 0) {
			if (j->end != UINT64_MAX) {
				j->rc = RF_EIO;
				snprintf(j->err, sizeof j->err,
					 "'%s/%s' shrank while it was hashed", h->w->root,
					 j->rel);
			}
			break;
		}
		rf_digest_update(d, buf, (size_t)n);
		off += (uint64_t)n;
		if (j->end != UINT64_MAX)
			left -= (uint64_t)n;
	}
	if (!j->rc)
		rf_digest_final(d, j->md);
	rf_digest_free(d);
	close(fd);
}

static void hash_range(void *ctx, size_t b, size_t e, int worker)
{
	hash_ctx *h = ctx;
	for (size_t i = b; i < e; i++)
		hash_one(h, &h->jobs[h->order[i]], h->bufs[worker]);
}

static int job_size_desc(const void *pa, const void *pb, void *ctx)
{
	const job *jobs = ctx;
	const job *a = &jobs[*(const size_t *)pa], *b = &jobs[*(const size_t *)pb];
	return a->size > b->size ? -1 : a->size < b->size;
}

/* Append a job hashing [start, end) of `rel` (end UINT64_MAX: to EOF). */
static int job_add(hash_ctx *h, size_t *nj, size_t *capj, const char *rel,
		   uint64_t start, uint64_t end, uint64_t size)
{
	if (*nj >= RF_MODEL_MAX_RESOURCES)
		return rf_error_set(RF_ELIMIT, "more than %d resources",
				    RF_MODEL_MAX_RESOURCES);
	if (*nj == *capj) {
		size_t cap = *capj ? 2 * *capj : 64;
		job *p = realloc(h->jobs, cap * sizeof *p);
		if (!p)
			return rf_error_set(RF_ENOMEM, "out of memory");
		h->jobs = p;
		*capj = cap;
	}
	memset(&h->jobs[*nj], 0, sizeof h->jobs[*nj]);
	h->jobs[*nj].rel = rel;
	h->jobs[*nj].start = start;
	h->jobs[*nj].end = end;
	h->jobs[*nj].size = size;
	(*nj)++;
	return 0;
}

/* A model's name: the last component of its path, or of its real path for
 * "." and "..". */
static int model_name(char **out, const char *path)
{
	char *copy = strdup(path), *base, *real = NULL;
	size_t n;
	if (!copy)
		return RF_ENOMEM;
	n = strlen(copy);
	while (n > 1 && copy[n - 1] == '/')
		copy[--n] = '\0';
	base = strrchr(copy, '/') ? strrchr(copy, '/') + 1 : copy;
	if (!*base || !strcmp(base, ".") || !strcmp(base, "..")) {
		real = realpath(path, NULL);
		if (real) {
			base = strrchr(real, '/') ? strrchr(real, '/') + 1 : real;
			if (!*base)
				base = "/";
		}
	}
	*out = strdup(base);
	free(real);
	free(copy);
	return *out ? 0 : RF_ENOMEM;
}

int model_compute_root(rf_model *m)
{
	rf_digest *d = NULL;
	unsigned char md[32];
	int rc = rf_digest_new(&d, RF_DIGEST_SHA256);
	for (size_t i = 0; !rc && i < m->n; i++)
		rc = rf_digest_update(d, m->res[i].md, 32);
	if (!rc)
		rc = rf_digest_final(d, md);
	rf_digest_free(d);
	if (!rc)
		rf_digest_to_hex(m->digest, md, 32);
	return rc;
}

int rf_model_hash(rf_model **out, const char *path, const rf_model_opts *o)
{
	walk w = {0};
	hash_ctx h = {0};
	rf_pool *pool = NULL;
	rf_model *m = NULL;
	struct stat st;
	size_t nj = 0, capj = 0;
	int rc = 0, fd, threads;
	rf_buf name = RF_BUF_INIT;

	*out = NULL;
	if (o->method == RF_MODEL_SHARDS && o->shard_size == 0)
		return rf_error_set(RF_EINVAL, "shard size must be positive");
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK |
				(o->allow_symlinks ? 0 : O_NOFOLLOW));
	if (fd < 0) {
		/* the top-level path may be a symlink to the model folder */
		fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
		if (fd < 0)
			return rf_error_set(errno == ENOENT ? RF_ENOTFOUND : RF_EIO,
					    "cannot open '%s': %s", path,
					    strerror(errno));
	}
	if (fstat(fd, &st) || !(S_ISDIR(st.st_mode) || S_ISREG(st.st_mode))) {
		close(fd);
		return rf_error_set(RF_EUNSAFE, "'%s' is not a folder or a file", path);
	}
	if (!(m = calloc(1, sizeof *m))) {
		close(fd);
		return rf_error_set(RF_ENOMEM, "out of memory");
	}
	m->method = o->method;
	m->shard_size = o->method == RF_MODEL_SHARDS ? o->shard_size : 0;
	m->allow_symlinks = o->allow_symlinks;
	w.m = m;
	w.o = o;
	w.root = path;
	w.follow = o->allow_symlinks;
	w.single = S_ISREG(st.st_mode);
	if ((rc = model_name(&m->name, path)) != 0)
		goto out;
	if (o->only)
		rc = walk_only(&w, fd);
	else if (w.single)
		rc = found_add(&w, ".", (uint64_t)st.st_size);
	else {
		int dfd = dup(fd);
		rc = dfd < 0 ? rf_error_set(RF_EIO, "dup: %s", strerror(errno))
			     : walk_dir(&w, dfd, "", 0);
	}
	h.rootfd = fd;
	if (rc)
		goto out;

	/* Jobs: one per file, or one per shard (empty files have no shard,
	 * as in the reference implementation). */
	for (size_t i = 0; i < w.nf; i++) {
		uint64_t size = w.f[i].size, step = o->shard_size, s = 0;
		if (o->method == RF_MODEL_FILES) {
			if ((rc = job_add(&h, &nj, &capj, w.f[i].rel, 0, UINT64_MAX,
					  size)) != 0)
				goto out;
			continue;
		}
		if (strchr(w.f[i].rel, ':')) {
			rc = rf_error_set(RF_EUNSUPPORTED,
					  "'%s/%s': a ':' in a path cannot be named "
					  "in a shard resource", path, w.f[i].rel);
			goto out;
		}
		while (s < size) {
			uint64_t e = size - s > step ? s + step : size;
			if ((rc = job_add(&h, &nj, &capj, w.f[i].rel, s, e, e - s)) != 0)
				goto out;
			s = e;
		}
	}
	/* Largest first, so that threads finish together. */
	if (!(h.order = malloc((nj ? nj : 1) * sizeof *h.order))) {
		rc = rf_error_set(RF_ENOMEM, "out of memory");
		goto out;
	}
	for (size_t i = 0; i < nj; i++)
		h.order[i] = i;
	qsort_r(h.order, nj, sizeof *h.order, job_size_desc, h.jobs);
	threads = o->threads > 0 ? o->threads : rf_cpu_count();
	if ((size_t)threads > nj)
		threads = nj ? (int)nj : 1;
	if (threads > 1 && (rc = rf_pool_new(&pool, threads)) != 0)
		goto out;
	h.w = &w;
	if (!(h.bufs = calloc((size_t)threads, sizeof *h.bufs))) {
		rc = rf_error_set(RF_ENOMEM, "out of memory");
		goto out;
	}
	for (int t = 0; t < threads; t++)
		if (!(h.bufs[t] = malloc(RF_DIGEST_READ_SIZE))) {
			rc = rf_error_set(RF_ENOMEM, "out of memory");
			goto out;
		}
	rf_pool_for(pool, nj, 1, hash_range, &h);
	for (size_t i = 0; i < nj; i++)
		if (h.jobs[i].rc) {
			rc = rf_error_set(h.jobs[i].rc, "%s", h.jobs[i].err);
			goto out;
		}
	for (size_t i = 0; i < nj && !rc; i++) {
		rf_buf_clear(&name);
		if (o->method == RF_MODEL_SHARDS)
			rc = rf_buf_printf(&name, "%s:%" PRIu64 ":%" PRIu64,
					   h.jobs[i].rel, h.jobs[i].start, h.jobs[i].end);
		else
			rc = rf_buf_puts(&name, h.jobs[i].rel);
		if (!rc)
			rc = model_resource_add(m, name.data, h.jobs[i].md);
		if (!rc) {
			m->res[m->n - 1].start = h.jobs[i].start;
			m->res[m->n - 1].end =
				o->method == RF_MODEL_SHARDS ? h.jobs[i].end : 0;
			m->res[m->n - 1].path = strdup(h.jobs[i].rel);
			if (!m->res[m->n - 1].path)
				rc = rf_error_set(RF_ENOMEM, "out of memory");
		}
	}
	if (rc)
		goto out;
	model_resources_sort(m);
	for (size_t i = 0; i < o->nignore && !rc; i++)
		rc = model_ignore_add(m, o->ignore[i]);
	if (!o->keep_git_paths)
		for (size_t i = 0; i < sizeof git_paths / sizeof *git_paths && !rc; i++)
			rc = model_ignore_add(m, git_paths[i]);
	if (!rc)
		rc = model_compute_root(m);
out:
	if (h.bufs)
		for (int t = 0; t < (pool ? rf_pool_threads(pool) : 1); t++)
			free(h.bufs[t]);
	free(h.bufs);
	rf_pool_free(pool);
	free(h.order);
	free(h.jobs);
	for (size_t i = 0; i < w.nf; i++)
		free(w.f[i].rel);
	free(w.f);
	rf_buf_free(&name);
	close(fd);
	if (rc) {
		rf_model_free(m);
		return rc;
	}
	*out = m;
	return 0;
}

int model_ignore_add(rf_model *m, const char *p)
{
	char **q;
	for (size_t i = 0; i < m->nignore; i++)
		if (!strcmp(m->ignore[i], p))
			return 0;
	q = realloc(m->ignore, (m->nignore + 1) * sizeof *q);
	if (!q)
		return rf_error_set(RF_ENOMEM, "out of memory");
	m->ignore = q;
	if (!(m->ignore[m->nignore] = strdup(p)))
		return rf_error_set(RF_ENOMEM, "out of memory");
	m->nignore++;
	return 0;
}

const char *rf_model_name(const rf_model *m)
{
	return m->name;
}

const char *rf_model_digest(const rf_model *m)
{
	return m->digest;
}

size_t rf_model_resource_count(const rf_model *m)
{
	return m->n;
}

const char *rf_model_resource_name(const rf_model *m, size_t i)
{
	return i < m->n ? m->res[i].name : NULL;
}

const char *rf_model_resource_digest(const rf_model *m, size_t i)
{
	return i < m->n ? m->res[i].hex : NULL;
}

void rf_model_free(rf_model *m)
{
	if (!m)
		return;
	model_resources_free(m);
	for (size_t i = 0; i < m->nignore; i++)
		free(m->ignore[i]);
	free(m->ignore);
	free(m->name);
	free(m);
}
