/* Packing files into a new BagIt bag.  The bag is built complete in a
 * temporary sibling of OUT (payload copied and hashed in one pass, on the
 * thread pool) and only then renamed into place, so that OUT is either the
 * old state or the finished bag, never something in between. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stddef.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "bag/bag_internal.h"
#include "digest/digest_workers.h"
#include "provenance/prov_internal.h"
#include "referee/error.h"
#include "referee/escape.h"
#include "referee/file.h"
#include "referee/path.h"

#ifndef RF_VERSION
#define RF_VERSION "0.0.0"
#endif

struct item {
	char *src; /* on disk, or in the repository (--rev) */
	char *rel; /* "data/..." */
	uint64_t size;
	char hex[65];
	int rc;
	char err[256];
};

struct items {
	struct item *v;
	size_t n, cap;
};

struct pack {
	const rf_pack_opts *o;
	struct items items;
	const char *tmp; /* the temporary bag */
	dev_t skip_dev[2];
	ino_t skip_ino[2];
	int nskip;
	prov_rev *rev;
};

static void items_free(struct items *it)
{
	for (size_t i = 0; i < it->n; i++) {
		free(it->v[i].src);
		free(it->v[i].rel);
	}
	free(it->v);
	memset(it, 0, sizeof *it);
}

/* Tag files are declared UTF-8, so names must be valid UTF-8. */
static int utf8_valid(const unsigned char *s)
{
	while (*s) {
		int n;
		unsigned cp;
		if (*s < 0x80) {
			s++;
			continue;
		}
		if ((*s & 0xe0) == 0xc0)
			n = 1, cp = *s & 0x1f;
		else if ((*s & 0xf0) == 0xe0)
			n = 2, cp = *s & 0x0f;
		else if ((*s & 0xf8) == 0xf0)
			n = 3, cp = *s & 0x07;
		else
			return 0;
		s++;
		for (int i = 0; i < n; i++, s++) {
			if ((*s & 0xc0) != 0x80)
				return 0;
			cp = cp << 6 | (*s & 0x3f);
		}
		/* Overlong forms, surrogates and values past U+10FFFF. */
		if ((n == 1 && cp < 0x80) || (n == 2 && cp < 0x800) ||
		    (n == 3 && cp < 0x10000) || cp > 0x10ffff ||
		    (cp >= 0xd800 && cp <= 0xdfff))
			return 0;
	}
	return 1;
}

/* BagIt tools disagree on how CR, LF and % are encoded in manifests, so a
 * name holding one would not survive every validator: refuse it. */
static int check_name(const char *rel, const char *src)
{
	if (!utf8_valid((const unsigned char *)rel))
		return rf_error_set(
		    RF_EINVAL, "cannot pack '%s': the name is not valid UTF-8",
		    src);
	if (strpbrk(rel, "\r\n%"))
		return rf_error_set(
		    RF_EINVAL,
		    "cannot pack '%s': names with CR, LF or '%%' are "
		    "refused",
		    src);
	if (rf_path_check_relative(rel, "payload"))
		return rf_error_set(RF_EINVAL, "cannot pack '%s': %s", src,
				    rf_error_last());
	return 0;
}

static int items_add(struct items *it, const char *src, const char *rel,
		     uint64_t size)
{
	int rc;
	if ((rc = check_name(rel, src)) != 0)
		return rc;
	if (it->n >= RF_BAG_MAX_FILES)
		return rf_error_set(RF_ELIMIT, "more than %u files to pack",
				    RF_BAG_MAX_FILES);
	if (it->n == it->cap) {
		size_t cap = it->cap ? it->cap * 2 : 64;
		struct item *v = realloc(it->v, cap * sizeof *v);
		if (!v)
			return rf_error_set(RF_ENOMEM, "out of memory");
		it->v = v;
		it->cap = cap;
	}
	memset(&it->v[it->n], 0, sizeof it->v[it->n]);
	it->v[it->n].src = strdup(src);
	it->v[it->n].rel = strdup(rel);
	it->v[it->n].size = size;
	if (!it->v[it->n].src || !it->v[it->n].rel) {
		free(it->v[it->n].src);
		free(it->v[it->n].rel);
		return rf_error_set(RF_ENOMEM, "out of memory");
	}
	it->n++;
	return 0;
}

/* The in-bag name of an input PATH (see rf_bag_pack() in bag.h): its
 * normalised relative form, or its last component when it is absolute or
 * climbs with "..".  "" means the data/ folder itself. */
static int bag_name(rf_buf *out, const char *path)
{
	const char *p = path, *last = NULL;
	size_t lastlen = 0;
	int climbs = 0, rc = 0;
	rf_buf_clear(out);
	while (*p && !rc) {
		const char *s = strchr(p, '/');
		size_t n = s ? (size_t)(s - p) : strlen(p);
		if (n == 2 && p[0] == '.' && p[1] == '.')
			climbs = 1;
		if (n && !(n == 1 && p[0] == '.')) {
			if (out->len)
				rc = rf_buf_puts(out, "/");
			if (!rc)
				rc = rf_buf_append(out, p, n);
			last = p;
			lastlen = n;
		}
		if (!s)
			break;
		p = s + 1;
	}
	if (rc || (path[0] != '/' && !climbs))
		return rc;
	rf_buf_clear(out);
	if (last && !(lastlen == 2 && last[0] == '.' && last[1] == '.'))
		return rf_buf_append(out, last, lastlen);
	/* "..", "/", "a/..": only the resolved path knows the folder's name. */
	{
		char *real = realpath(path, NULL);
		if (!real || !strcmp(real, "/")) {
			free(real);
			return rf_error_set(
			    RF_EINVAL,
			    "cannot pack '%s': give a folder with a name",
			    path);
		}
		rc = rf_buf_puts(out, strrchr(real, '/') + 1);
		free(real);
	}
	return rc;
}

/* A ".." component ("a..b" is a fine name). */
static int has_dotdot(const char *path)
{
	for (const char *p = path; *p;) {
		size_t n = strcspn(p, "/");
		if (n == 2 && p[0] == '.' && p[1] == '.')
			return 1;
		p += n;
		while (*p == '/')
			p++;
	}
	return 0;
}

static int is_skipped(struct pack *p, const struct stat *st)
{
	for (int i = 0; i < p->nskip; i++)
		if (p->skip_dev[i] == st->st_dev &&
		    p->skip_ino[i] == st->st_ino)
			return 1;
	return 0;
}

static int collect(struct pack *p, const char *src, const char *rel, int depth)
{
	struct stat st;
	if (depth > RF_BAG_MAX_DEPTH)
		return rf_error_set(RF_ELIMIT,
				    "'%s' is nested deeper than %d folders",
				    src, RF_BAG_MAX_DEPTH);
	if (lstat(src, &st))
		return rf_error_set(errno == ENOENT ? RF_ENOTFOUND : RF_EIO,
				    "cannot read '%s': %s", src,
				    strerror(errno));
	if (S_ISLNK(st.st_mode)) {
		if (!p->o->follow_symlinks)
			return rf_error_set(
			    RF_EUNSAFE,
			    "'%s' is a symlink (use --follow-symlinks to "
			    "pack what it points to)",
			    src);
		if (stat(src, &st))
			return rf_error_set(RF_EIO,
					    "cannot follow symlink '%s': %s",
					    src, strerror(errno));
	}
	if (is_skipped(p, &st))
		return 0; /* the bag being written, or the one it replaces */
	if (S_ISREG(st.st_mode)) {
		rf_buf r = RF_BUF_INIT;
		int rc;
		if (!*rel)
			return rf_error_set(RF_EINVAL,
					    "cannot pack '%s': no name", src);
		rc = rf_buf_printf(&r, "data/%s", rel);
		if (!rc)
			rc = items_add(&p->items, src, r.data,
				       (uint64_t)st.st_size);
		rf_buf_free(&r);
		return rc;
	}
	if (S_ISDIR(st.st_mode)) {
		DIR *d = opendir(src);
		struct dirent *e;
		int rc = 0;
		if (!d)
			return rf_error_set(RF_EIO, "cannot list '%s': %s", src,
					    strerror(errno));
		while (!rc && (e = readdir(d)) != NULL) {
			rf_buf cs = RF_BUF_INIT, cr = RF_BUF_INIT;
			if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
				continue;
			if (rf_path_join(&cs, src, e->d_name) ||
			    (*rel ? rf_buf_printf(&cr, "%s/%s", rel, e->d_name)
				  : rf_buf_puts(&cr, e->d_name)))
				rc = RF_ENOMEM;
			else
				rc = collect(p, cs.data, cr.data, depth + 1);
			rf_buf_free(&cs);
			rf_buf_free(&cr);
		}
		closedir(d);
		return rc;
	}
	return rf_error_set(
	    RF_EUNSAFE, "cannot pack '%s': not a regular file or folder", src);
}

struct rev_add {
	struct pack *p;
	const char *prefix_in;	/* the PATH given, as a repository path */
	const char *prefix_out; /* its in-bag name */
};

static int rev_item(void *ctx, const char *repo_path, uint64_t size)
{
	struct rev_add *a = ctx;
	rf_buf r = RF_BUF_INIT;
	const char *tail = repo_path + strlen(a->prefix_in);
	int rc;
	while (*tail == '/')
		tail++;
	if (*a->prefix_out && *tail)
		rc = rf_buf_printf(&r, "data/%s/%s", a->prefix_out, tail);
	else
		rc = rf_buf_printf(&r, "data/%s",
				   *a->prefix_out ? a->prefix_out : tail);
	if (!rc)
		rc = items_add(&a->p->items, repo_path, r.data, size);
	rf_buf_free(&r);
	return rc;
}

static int item_cmp(const void *a, const void *b)
{
	return strcmp(((const struct item *)a)->rel,
		      ((const struct item *)b)->rel);
}

/* ------------------------------------------------------ copy and hash */

struct copy_ctx {
	struct pack *p;
	size_t *order;
	struct dg_workers w;
	pthread_mutex_t mu;
	uint64_t done, total;
	size_t files;
};

static int write_all(int fd, const unsigned char *b, size_t n)
{
	while (n) {
		ssize_t w = write(fd, b, n);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		b += w;
		n -= (size_t)w;
	}
	return 0;
}

/* Copy one file into the bag, hashing exactly the bytes written. */
static int copy_one(struct pack *p, struct item *it, const char *from,
		    unsigned char *buf, EVP_MD_CTX *md)
{
	rf_buf dst = RF_BUF_INIT;
	unsigned char out[32];
	struct stat st;
	uint64_t total = 0;
	int in, o, rc = 0;
	int flags = O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY;
	if (!p->o->follow_symlinks)
		flags |= O_NOFOLLOW;
	in = open(from, flags);
	if (in < 0)
		return rf_error_set(RF_EIO, "cannot open '%s': %s", it->src,
				    strerror(errno));
	if (fstat(in, &st) || !S_ISREG(st.st_mode)) {
		close(in);
		return rf_error_set(RF_EUNSAFE, "'%s' is not a regular file",
				    it->src);
	}
	fcntl(in, F_SETFL, 0);
	posix_fadvise(in, 0, 0, POSIX_FADV_SEQUENTIAL);
	if (rf_path_join(&dst, p->tmp, it->rel)) {
		close(in);
		return RF_ENOMEM;
	}
	o = open(dst.data, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
		 0644);
	if (o < 0) {
		rc = rf_error_set(RF_EIO, "cannot create '%s': %s", dst.data,
				  strerror(errno));
		goto out;
	}
	if (!EVP_DigestInit_ex(md, EVP_sha256(), NULL)) {
		rc = rf_error_openssl(RF_ELIB, "sha256 failed");
		goto out;
	}
	for (;;) {
		ssize_t n;
		if (p->o->cancel && *p->o->cancel) {
			rc = rf_error_set(RF_EINTERNAL, "interrupted");
			goto out;
		}
		n = read(in, buf, RF_DIGEST_READ_SIZE);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			rc = rf_error_set(RF_EIO, "cannot read '%s': %s",
					  it->src, strerror(errno));
			goto out;
		}
		if (n == 0)
			break;
		if (!EVP_DigestUpdate(md, buf, (size_t)n)) {
			rc = rf_error_openssl(RF_ELIB, "sha256 of '%s' failed",
					      it->src);
			goto out;
		}
		if (write_all(o, buf, (size_t)n)) {
			rc = rf_error_set(RF_EIO, "cannot write '%s': %s",
					  dst.data, strerror(errno));
			goto out;
		}
		total += (uint64_t)n;
	}
	if (!EVP_DigestFinal_ex(md, out, NULL)) {
		rc =
		    rf_error_openssl(RF_ELIB, "sha256 of '%s' failed", it->src);
		goto out;
	}
	rf_digest_to_hex(it->hex, out, 32);
	it->size = total;
out:
	close(in);
	if (o >= 0 && close(o) && !rc)
		rc = rf_error_set(RF_EIO, "cannot write '%s': %s", dst.data,
				  strerror(errno));
	rf_buf_free(&dst);
	return rc;
}

static void copy_range(void *arg, size_t b, size_t e, int worker)
{
	struct copy_ctx *c = arg;
	for (size_t i = b; i < e; i++) {
		struct item *it = &c->p->items.v[c->order[i]];
		it->rc = copy_one(c->p, it, it->src, c->w.bufs[worker],
				  c->w.ctxs[worker]);
		if (it->rc)
			snprintf(it->err, sizeof it->err, "%s",
				 rf_error_last());
		if (c->p->o->progress) {
			pthread_mutex_lock(&c->mu);
			c->done += it->size;
			c->files++;
			c->p->o->progress(c->p->o->progress_ctx, c->done,
					  c->total, c->files, c->p->items.n);
			pthread_mutex_unlock(&c->mu);
		}
	}
}

static int copy_all(struct pack *p, rf_pool *pool)
{
	struct copy_ctx c;
	int threads = rf_pool_threads(pool), rc = 0;
	size_t n = p->items.n;
	memset(&c, 0, sizeof c);
	c.p = p;
	if ((rc = dg_workers_init(&c.w, threads)) != 0 ||
	    (rc = dg_order_by_size(&c.order, p->items.v, n, sizeof *p->items.v,
				   offsetof(struct item, size))) != 0)
		goto out;
	for (size_t i = 0; i < n; i++)
		c.total += p->items.v[i].size;
	pthread_mutex_init(&c.mu, NULL);
	rf_pool_for(pool, n, 1, copy_range, &c);
	pthread_mutex_destroy(&c.mu);
	for (size_t i = 0; i < n; i++)
		if (p->items.v[i].rc) {
			rc = rf_error_set(p->items.v[i].rc, "%s",
					  p->items.v[i].err);
			break;
		}
out:
	dg_workers_free(&c.w);
	free(c.order);
	return rc;
}

/* --rev: blobs come from the object database, one at a time (libgit2
 * objects are not shared across threads). */
static int copy_from_rev(struct pack *p)
{
	rf_buf blob = RF_BUF_INIT, dst = RF_BUF_INIT, obj = RF_BUF_INIT;
	unsigned char *buf = malloc(RF_DIGEST_READ_SIZE);
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	int rc = 0;
	if (!buf || !md)
		rc = rf_error_set(RF_ENOMEM, "out of memory");
	for (size_t i = 0; i < p->items.n && !rc; i++) {
		struct item *it = &p->items.v[i];
		char sha[65];
		uint64_t size = 0;
		int lfs;
		if (p->o->cancel && *p->o->cancel) {
			rc = rf_error_set(RF_EINTERNAL, "interrupted");
			break;
		}
		rf_buf_clear(&blob);
		rf_buf_clear(&dst);
		rf_buf_clear(&obj);
		/* An LFS pointer whose object is here: pack the object (the
		 * weights, not a 130-byte pointer), streamed, and check it is
		 * the one the pointer names. */
		lfs = prov_rev_lfs_object(p->rev, it->src, &obj, sha, &size);
		if (lfs < 0) {
			rc = lfs;
			break;
		}
		if (lfs) {
			rc = copy_one(p, it, obj.data, buf, md);
			if (!rc && (strcmp(it->hex, sha) || it->size != size))
				rc = rf_error_set(
				    RF_ECHECK,
				    "the LFS object of '%s' does not "
				    "match its pointer: '%s'",
				    it->src, obj.data);
			continue;
		}
		if ((rc = prov_rev_read(p->rev, it->src, &blob)) != 0)
			break;
		if ((rc = rf_digest_buffer_hex(it->hex, RF_DIGEST_SHA256,
					       blob.data ? blob.data : "",
					       blob.len)) != 0)
			break;
		it->size = blob.len;
		if (rf_path_join(&dst, p->tmp, it->rel)) {
			rc = RF_ENOMEM;
			break;
		}
		rc = rf_file_write_atomic(dst.data, blob.data ? blob.data : "",
					  blob.len, 0644, 0);
		if (p->o->progress)
			p->o->progress(p->o->progress_ctx, 0, 0, i + 1,
				       p->items.n);
	}
	free(buf);
	EVP_MD_CTX_free(md);
	rf_buf_free(&blob);
	rf_buf_free(&dst);
	rf_buf_free(&obj);
	return rc;
}

/* ------------------------------------------------------------ tag files */

static int write_tag(const char *dir, const char *name, const rf_buf *b)
{
	rf_buf path = RF_BUF_INIT;
	int rc;
	if (rf_path_join(&path, dir, name))
		return RF_ENOMEM;
	rc = rf_file_write_atomic(path.data, b->data ? b->data : "", b->len,
				  0644, 0);
	rf_buf_free(&path);
	return rc;
}

/* bag-info values are single lines: a newline would forge another field;
 * and UTF-8, as bagit.txt declares (a Latin-1 byte made signing fail with
 * "out of memory" in the JSON encoder). */
static int info_value(rf_buf *b, const char *label, const char *value)
{
	if (!value)
		return 0;
	if (!rf_utf8_valid(value, strlen(value)))
		return rf_error_set(RF_EINVAL, "%s: not valid UTF-8 (bag-info.txt is UTF-8)",
				    label);
	for (const char *c = value; *c; c++)
		if ((unsigned char)*c < 0x20 || *c == 0x7f)
			return rf_error_set(
			    RF_EINVAL, "%s: control characters are not allowed",
			    label);
	return rf_buf_printf(b, "%s: %s\n", label, value);
}

/* A random (version 4) UUID: a bag's identity when the author gives none. */
static int new_uuid(char out[37])
{
	unsigned char r[16];
	size_t got = 0;
	while (got < sizeof r) {
		ssize_t n = getrandom(r + got, sizeof r - got, 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return rf_error_set(RF_EINTERNAL, "no random bytes for an identifier: %s",
					    strerror(errno));
		got += (size_t)n;
	}
	r[6] = (unsigned char)((r[6] & 0x0f) | 0x40);
	r[8] = (unsigned char)((r[8] & 0x3f) | 0x80);
	snprintf(out, 37,
		 "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
		 r[0], r[1], r[2], r[3], r[4], r[5], r[6], r[7], r[8], r[9], r[10],
		 r[11], r[12], r[13], r[14], r[15]);
	return 0;
}

static int write_tag_files(struct pack *p)
{
	rf_buf b = RF_BUF_INIT, prov = RF_BUF_INIT;
	struct prov_item *pi = NULL;
	uint64_t octets = 0;
	char date[16], uuid[37];
	const char *id = p->o->external_identifier;
	int rc;
	if (id && (!id[0] || strlen(id) > RF_BAG_MAX_ID))
		return rf_error_set(RF_EINVAL, "External-Identifier: 1 to %d bytes, not %zu",
				    RF_BAG_MAX_ID, strlen(id));
	if (!id) {
		if ((rc = new_uuid(uuid)) != 0)
			return rc;
		id = uuid;
	}
	if (p->o->bagging_date) {
		int y, m, d;
		char extra;
		if (sscanf(p->o->bagging_date, "%4d-%2d-%2d%c", &y, &m, &d,
			   &extra) != 3 ||
		    strlen(p->o->bagging_date) != 10 || m < 1 || m > 12 ||
		    d < 1 || d > 31)
			return rf_error_set(
			    RF_EINVAL, "Bagging-Date '%s' is not YYYY-MM-DD",
			    p->o->bagging_date);
		snprintf(date, sizeof date, "%s", p->o->bagging_date);
	} else {
		time_t now = time(NULL);
		struct tm tm;
		gmtime_r(&now, &tm);
		strftime(date, sizeof date, "%Y-%m-%d", &tm);
	}
	if ((rc = rf_buf_puts(&b, "BagIt-Version: 1.0\n"
				  "Tag-File-Character-Encoding: UTF-8\n")) !=
		0 ||
	    (rc = write_tag(p->tmp, "bagit.txt", &b)) != 0)
		goto out;
	for (size_t i = 0; i < p->items.n; i++)
		octets += p->items.v[i].size;
	rf_buf_clear(&b);
	if ((rc = rf_buf_printf(&b, "Bagging-Date: %s\n", date)) != 0 ||
	    (rc = rf_buf_printf(&b, "Bag-Software-Agent: referee/%s\n",
				RF_VERSION)) ||
	    (rc = rf_buf_printf(&b, "Payload-Oxum: %" PRIu64 ".%zu\n", octets,
				p->items.n)) ||
	    (rc = info_value(&b, "Source-Organization",
			     p->o->source_organization)) ||
	    (rc = info_value(&b, "External-Description",
			     p->o->external_description)) ||
	    (rc = info_value(&b, "External-Identifier", id)) ||
	    (rc = write_tag(p->tmp, "bag-info.txt", &b)) != 0)
		goto out;
	rf_buf_clear(&b);
	for (size_t i = 0; i < p->items.n && !rc; i++)
		rc = rf_buf_printf(&b, "%s  %s\n", p->items.v[i].hex,
				   p->items.v[i].rel);
	if (rc || (rc = write_tag(p->tmp, "manifest-sha256.txt", &b)) != 0)
		goto out;
	/* Provenance: which commit these bytes came from. */
	pi = calloc(p->items.n ? p->items.n : 1, sizeof *pi);
	if (!pi) {
		rc = rf_error_set(RF_ENOMEM, "out of memory");
		goto out;
	}
	for (size_t i = 0; i < p->items.n; i++) {
		pi[i].src = p->items.v[i].src;
		pi[i].bag_path = p->items.v[i].rel;
		pi[i].sha256 = p->items.v[i].hex;
		pi[i].size = p->items.v[i].size;
	}
	rc = p->rev
		 ? prov_rev_json(&prov, p->rev, pi, p->items.n)
		 : prov_worktree_json(&prov, pi, p->items.n, p->o->allow_dirty);
	if (rc)
		goto out;
	rf_buf_clear(&b);
	if ((rc = rf_path_join(&b, p->tmp, RF_BAG_REFEREE_DIR)) != 0)
		goto out;
	if (mkdir(b.data, 0755)) {
		rc = rf_error_set(RF_EIO, "cannot create '%s': %s", b.data,
				  strerror(errno));
		goto out;
	}
	if ((rc = write_tag(p->tmp, RF_BAG_PROVENANCE, &prov)) != 0)
		goto out;
	rc = bag_write_tagmanifest(p->tmp);
out:
	free(pi);
	rf_buf_free(&b);
	rf_buf_free(&prov);
	return rc;
}

/* ------------------------------------------------------------- commit */

/* A temporary directory of ours holds this file while the pack runs (and
 * the old bag holds it while it is removed), saying which process made it:
 * a later pack removes such a directory once that process is gone (a
 * SIGKILL leaves one behind), and never touches anything else. */
#define PACK_MARKER ".referee-pack-in-progress"

static int write_marker(const char *dir)
{
	char text[64];
	rf_buf p = RF_BUF_INIT;
	int rc = rf_path_join(&p, dir, PACK_MARKER);
	snprintf(text, sizeof text, "%ld\n", (long)getpid());
	if (!rc)
		rc = rf_file_write_atomic(p.data, text, strlen(text), 0600, 1);
	rf_buf_free(&p);
	return rc;
}

static void remove_marker(const char *dir)
{
	rf_buf p = RF_BUF_INIT;
	if (!rf_path_join(&p, dir, PACK_MARKER))
		unlink(p.data);
	rf_buf_free(&p);
}

/* Remove "<out>.tmp-XXXXXX" folders that a pack killed on its way left
 * behind: only ours (the marker) and only once their process is gone. */
static void clean_stale(const char *out)
{
	rf_buf dir = RF_BUF_INIT, prefix = RF_BUF_INIT, full = RF_BUF_INIT,
	       mark = RF_BUF_INIT, text = RF_BUF_INIT;
	const char *slash = strrchr(out, '/');
	DIR *d;
	struct dirent *e;
	if (slash ? rf_buf_append(&dir, out, slash == out ? 1 : (size_t)(slash - out))
		  : rf_buf_puts(&dir, "."))
		goto done;
	if (rf_buf_printf(&prefix, "%s.tmp-", slash ? slash + 1 : out))
		goto done;
	if (!(d = opendir(dir.data)))
		goto done;
	while ((e = readdir(d)) != NULL) {
		long pid;
		char *end;
		if (strncmp(e->d_name, prefix.data, prefix.len) ||
		    strlen(e->d_name) != prefix.len + 6)
			continue;
		rf_buf_clear(&full);
		rf_buf_clear(&mark);
		rf_buf_clear(&text);
		if (rf_path_join(&full, dir.data, e->d_name) ||
		    rf_path_join(&mark, full.data, PACK_MARKER) ||
		    rf_file_read(&text, mark.data, 64))
			continue;
		pid = strtol(text.data ? text.data : "", &end, 10);
		if (pid <= 0 || *end != '\n' || (kill((pid_t)pid, 0) == 0 || errno != ESRCH))
			continue;
		rf_dir_remove_tree(full.data);
	}
	closedir(d);
done:
	rf_error_clear();
	rf_buf_free(&dir);
	rf_buf_free(&prefix);
	rf_buf_free(&full);
	rf_buf_free(&mark);
	rf_buf_free(&text);
}

/* What may sit at the top of a bag referee made (or could parse). */
static int bag_top_entry(const char *name, int is_dir)
{
	if (is_dir)
		return !strcmp(name, "data") || !strcmp(name, RF_BAG_REFEREE_DIR);
	return !strcmp(name, "bagit.txt") || !strcmp(name, "bag-info.txt") ||
	       !strcmp(name, "fetch.txt") ||
	       (!strncmp(name, "manifest-", 9) && strstr(name, ".txt")) ||
	       (!strncmp(name, "tagmanifest-", 12) && strstr(name, ".txt"));
}

/* OUT may be replaced (with --force) only when losing it loses nothing
 * but a bag: an empty folder, or a complete bag referee can parse
 * (bagit.txt, a manifest, data/, and nothing else at the top beyond tag
 * files).  A folder that merely holds a file named bagit.txt (a thesis
 * in a git repository) is refused, naming what is in the way. */
static int replaceable(const char *out)
{
	struct stat st;
	rf_bag *bag = NULL;
	DIR *d;
	struct dirent *e;
	size_t n = 0;
	int rc = 0, has_data = 0;
	if (lstat(out, &st) || !S_ISDIR(st.st_mode))
		return rf_error_set(RF_EEXIST,
				    "refusing to replace '%s': it is not a folder", out);
	if (!(d = opendir(out)))
		return rf_error_set(RF_EIO, "cannot list '%s': %s", out, strerror(errno));
	while (!rc && (e = readdir(d)) != NULL) {
		rf_buf full = RF_BUF_INIT;
		int is_dir;
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		n++;
		if (rf_path_join(&full, out, e->d_name) || lstat(full.data, &st))
			st.st_mode = 0;
		rf_buf_free(&full);
		is_dir = S_ISDIR(st.st_mode);
		has_data |= is_dir && !strcmp(e->d_name, "data");
		if (!bag_top_entry(e->d_name, is_dir) || !(is_dir || S_ISREG(st.st_mode)))
			rc = rf_error_set(RF_EEXIST,
					  "refusing to replace '%s': it is not a bag referee "
					  "made ('%s' is no part of a bag); remove it yourself "
					  "or choose another OUT", out, e->d_name);
	}
	closedir(d);
	if (rc || n == 0)
		return rc;
	if (!has_data)
		return rf_error_set(RF_EEXIST,
				    "refusing to replace '%s': it has no data/ folder, so it "
				    "is not a complete bag", out);
	if (rf_bag_open(&bag, out) != 0) {
		char msg[512];
		snprintf(msg, sizeof msg, "%s", rf_error_last());
		return rf_error_set(RF_EEXIST,
				    "refusing to replace '%s': it is not a bag referee can "
				    "read (%s)", out, msg);
	}
	rf_bag_free(bag);
	return 0;
}

/* Past the rename nothing is undone: the new bag is in place, so it
 * returns 0 whatever happens to the old bag's removal (an old bag left at
 * `tmp` carries the marker, and a later pack removes it). */
static int commit(const char *tmp, const char *out, int force)
{
	int fd, rc;
	/* Everything written so far reaches the disk before the rename. */
	fd = open(tmp, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd >= 0) {
		syncfs(fd);
		close(fd);
	}
	remove_marker(tmp);
	if (renameat2(AT_FDCWD, tmp, AT_FDCWD, out, RENAME_NOREPLACE) == 0)
		return 0;
	if (errno != EEXIST)
		rc = rf_error_set(RF_EIO, "cannot rename the bag into '%s': %s", out,
				  strerror(errno));
	else if (!force)
		rc = rf_error_set(RF_EEXIST, "'%s' already exists (use --force to replace it)",
				  out);
	else if ((rc = replaceable(out)) == 0 &&
		 renameat2(AT_FDCWD, tmp, AT_FDCWD, out, RENAME_EXCHANGE))
		rc = rf_error_set(RF_EIO, "cannot replace '%s': %s", out, strerror(errno));
	if (rc) {
		write_marker(tmp); /* still ours, still to be removed */
		return rc;
	}
	/* Swapped atomically; the old bag is now at `tmp`. */
	write_marker(tmp);
	rf_dir_remove_tree(tmp);
	rf_error_clear();
	return 0;
}

int rf_bag_pack(const char *out, const char *const *paths, size_t npaths,
		const rf_pack_opts *opts)
{
	static const rf_pack_opts defaults = RF_PACK_OPTS_INIT;
	struct pack p;
	rf_buf tmp = RF_BUF_INIT, name = RF_BUF_INIT;
	rf_pool *own = NULL, *pool;
	struct stat st;
	int rc = 0, made_tmp = 0;
	memset(&p, 0, sizeof p);
	p.o = opts ? opts : &defaults;
	if (!out || !*out)
		return rf_error_set(RF_EINVAL, "no output bag given");
	if (!npaths)
		return rf_error_set(RF_EINVAL, "nothing to pack");
	if (rf_path_exists(out)) {
		if (!p.o->force)
			return rf_error_set(
			    RF_EEXIST,
			    "'%s' already exists (use --force to replace it)",
			    out);
		if ((rc = replaceable(out)) != 0)
			return rc;
		if (stat(out, &st) == 0) {
			p.skip_dev[p.nskip] = st.st_dev;
			p.skip_ino[p.nskip++] = st.st_ino;
		}
	}
	/* OUT's missing parent folders are made (modes from the umask). */
	{
		const char *slash = strrchr(out, '/');
		if (slash && slash != out) {
			rf_buf parent = RF_BUF_INIT;
			rc = rf_buf_append(&parent, out, (size_t)(slash - out));
			if (!rc)
				rc = rf_dir_make_parents(parent.data, 0777);
			rf_buf_free(&parent);
			if (rc)
				return rc;
		}
	}
	clean_stale(out);
	if ((rc = rf_dir_mktemp_sibling(&tmp, out)) != 0)
		return rc;
	made_tmp = 1;
	p.tmp = tmp.data;
	/* mkdtemp makes 0700; the bag gets the mode any new folder would. */
	if (chmod(p.tmp, 0777 & ~rf_file_umask()) || (rc = write_marker(p.tmp)) != 0) {
		rc = rc ? rc : rf_error_set(RF_EIO, "cannot set the mode of '%s': %s", p.tmp,
					    strerror(errno));
		goto out;
	}
	if (stat(p.tmp, &st) == 0) {
		p.skip_dev[p.nskip] = st.st_dev;
		p.skip_ino[p.nskip++] = st.st_ino;
	}
	if (p.o->rev) {
		if ((rc = prov_rev_open(&p.rev, p.o->repo, p.o->rev)) != 0)
			goto out;
		for (size_t i = 0; i < npaths && !rc; i++) {
			struct rev_add a = {&p, NULL, NULL};
			rf_buf in = RF_BUF_INIT;
			/* Inside a repository, names are already relative. */
			if (paths[i][0] == '/' || has_dotdot(paths[i])) {
				rc = rf_error_set(
				    RF_EINVAL,
				    "with --rev, '%s' must be a path inside "
				    "the repository",
				    paths[i]);
				break;
			}
			if ((rc = bag_name(&name, paths[i])) != 0)
				break;
			if (rf_buf_puts(&in, name.data ? name.data : "")) {
				rc = RF_ENOMEM;
				break;
			}
			a.prefix_in = in.data;
			a.prefix_out = in.data;
			rc = prov_rev_list(p.rev, in.data, rev_item, &a);
			rf_buf_free(&in);
		}
	} else {
		for (size_t i = 0; i < npaths && !rc; i++) {
			if ((rc = bag_name(&name, paths[i])) != 0)
				break;
			rc = collect(&p, paths[i], name.data ? name.data : "",
				     0);
		}
	}
	if (rc)
		goto out;
	if (!p.items.n) {
		rc = rf_error_set(
		    RF_EINVAL,
		    "nothing to pack: no files under the paths given");
		goto out;
	}
	qsort(p.items.v, p.items.n, sizeof *p.items.v, item_cmp);
	for (size_t i = 1; i < p.items.n; i++)
		if (!strcmp(p.items.v[i - 1].rel, p.items.v[i].rel)) {
			rc = rf_error_set(
			    RF_EINVAL,
			    "'%s' and '%s' would both be packed as '%s'",
			    p.items.v[i - 1].src, p.items.v[i].src,
			    p.items.v[i].rel);
			goto out;
		}
	/* A file and a folder of the same name cannot both exist in data/. */
	for (size_t i = 0; i + 1 < p.items.n; i++) {
		size_t len = strlen(p.items.v[i].rel);
		for (size_t j = i + 1;
		     j < p.items.n &&
		     !strncmp(p.items.v[j].rel, p.items.v[i].rel, len);
		     j++)
			if (p.items.v[j].rel[len] == '/') {
				rc = rf_error_set(RF_EINVAL,
						  "'%s' is both a file and a "
						  "folder in the bag",
						  p.items.v[i].rel);
				goto out;
			}
	}
	/* Folders first (serially), then the files in parallel. */
	for (size_t i = 0; i < p.items.n && !rc; i++) {
		char *slash;
		rf_buf_clear(&name);
		if (rf_path_join(&name, p.tmp, p.items.v[i].rel)) {
			rc = RF_ENOMEM;
			break;
		}
		slash = strrchr(name.data, '/');
		*slash = '\0';
		rc = rf_dir_make_parents(name.data, 0755);
	}
	if (rc)
		goto out;
	if (p.rev) {
		rc = copy_from_rev(&p);
	} else {
		pool = p.o->pool;
		if (!pool) {
			if ((rc = rf_pool_new(&own, p.o->threads)) != 0)
				goto out;
			pool = own;
		}
		rc = copy_all(&p, pool);
	}
	if (rc || (rc = write_tag_files(&p)) != 0)
		goto out;
	if (p.o->cancel && *p.o->cancel) {
		rc = rf_error_set(RF_EINTERNAL, "interrupted");
		goto out;
	}
	if (p.o->before_commit) {
		rc = p.o->before_commit(p.o->before_commit_ctx, p.tmp);
		if (rc) {
			if (rc > 0 || !rf_error_last()[0])
				rc = rf_error_set(RF_EINTERNAL,
						  "the pre-commit step failed");
			goto out;
		}
		if ((rc = bag_write_tagmanifest(p.tmp)) != 0)
			goto out;
	}
	/* The last moment an interrupt can stop the pack: past the commit the
	 * new bag is in place, and the caller is told so (0). */
	if (p.o->cancel && *p.o->cancel) {
		rc = rf_error_set(RF_EINTERNAL, "interrupted");
		goto out;
	}
	if ((rc = commit(p.tmp, out, p.o->force)) != 0)
		goto out;
	made_tmp = 0;
out:
	if (made_tmp) {
		char msg[1024];
		/* Cleaning up must not replace the message of the real error.
		 */
		snprintf(msg, sizeof msg, "%s", rf_error_last());
		rf_dir_remove_tree(tmp.data);
		rf_error_set(rc, "%s", msg);
	}
	prov_rev_free(p.rev);
	rf_pool_free(own);
	items_free(&p.items);
	rf_buf_free(&tmp);
	rf_buf_free(&name);
	return rc;
}
