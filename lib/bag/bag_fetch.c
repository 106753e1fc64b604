/* BagIt fetch.txt (RFC 8493 §2.2.3): large payload files by reference.
 * Reading fetch.txt, making a packed bag holey, and treating holes as holes
 * when a bag is verified (optionally against files the user fetched). */
#include <errno.h>
#include <fnmatch.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "referee/digest.h"
#include "referee/error.h"
#include "referee/fetch.h"
#include "referee/file.h"
#include "referee/path.h"
#include "referee/pool.h"

struct rf_fetch {
	rf_fetch_entry *v; /* sorted by path */
	size_t n;
	char *text;        /* the file; entries point into it */
};

static int entry_cmp(const void *a, const void *b)
{
	return strcmp(((const rf_fetch_entry *)a)->path,
		      ((const rf_fetch_entry *)b)->path);
}

int rf_fetch_load(rf_fetch **out, const char *bag_dir)
{
	rf_buf path = RF_BUF_INIT, text = RF_BUF_INIT;
	rf_fetch *f = NULL;
	size_t cap = 0, line = 0;
	char *p, *nl;
	int rc;
	*out = NULL;
	if ((rc = rf_path_join(&path, bag_dir, RF_FETCH_FILE)) != 0)
		return rc;
	if (!rf_path_exists(path.data)) {
		rf_buf_free(&path);
		return 0;
	}
	rc = rf_file_read(&text, path.data, RF_BAG_MAX_MANIFEST);
	rf_buf_free(&path);
	if (rc)
		return rc;
	if (!(f = calloc(1, sizeof *f))) {
		rf_buf_free(&text);
		return rf_error_set(RF_ENOMEM, "out of memory");
	}
	f->text = rf_buf_detach(&text);
	for (p = f->text ? f->text : ""; *p; p = nl + 1) {
		char *url, *size, *name, *end;
		rf_fetch_entry *e;
		line++;
		if (!(nl = strchr(p, '\n'))) {
			rc = rf_error_set(RF_EFORMAT, "%s:%zu: no newline at the end",
					  RF_FETCH_FILE, line);
			goto fail;
		}
		*nl = '\0';
		if (nl > p && nl[-1] == '\r')
			nl[-1] = '\0';
		url = p;
		size = strchr(url, ' ');
		name = size ? strchr(size + 1, ' ') : NULL;
		if (!size || !name || size == url) {
			rc = rf_error_set(RF_EFORMAT, "%s:%zu: not 'URL SIZE PATH'",
					  RF_FETCH_FILE, line);
			goto fail;
		}
		*size++ = '\0';
		*name++ = '\0';
		if (strpbrk(url, "\t") || !strstr(url, ":")) {
			rc = rf_error_set(RF_EFORMAT, "%s:%zu: '%s' is not a URL",
					  RF_FETCH_FILE, line, url);
			goto fail;
		}
		if (f->n == cap) {
			size_t c = cap ? 2 * cap : 16;
			rf_fetch_entry *v;
			if (f->n >= RF_FETCH_MAX_ENTRIES) {
				rc = rf_error_set(RF_ELIMIT, "%s: too many lines",
						  RF_FETCH_FILE);
				goto fail;
			}
			if (!(v = realloc(f->v, c * sizeof *v))) {
				rc = rf_error_set(RF_ENOMEM, "out of memory");
				goto fail;
			}
			f->v = v;
			cap = c;
		}
		e = &f->v[f->n];
		e->url = url;
		e->path = name;
		if (!strcmp(size, "-")) {
			e->size = -1;
		} else {
			errno = 0;
			e->size = (int64_t)strtoll(size, &end, 10);
			if (!*size || *end || errno || e->size < 0 ||
			    size[0] < '0' || size[0] > '9') {
				rc = rf_error_set(RF_EFORMAT, "%s:%zu: size '%s' is not "
						  "a number or '-'", RF_FETCH_FILE, line,
						  size);
				goto fail;
			}
		}
		if (strncmp(name, "data/", 5) ||
		    rf_path_check_relative(name, RF_FETCH_FILE) != 0) {
			rc = rf_error_set(RF_EFORMAT, "%s:%zu: '%s' is not a safe path "
					  "under data/", RF_FETCH_FILE, line, name);
			goto fail;
		}
		f->n++;
	}
	qsort(f->v, f->n, sizeof *f->v, entry_cmp);
	for (size_t i = 1; i < f->n; i++)
		if (!strcmp(f->v[i - 1].path, f->v[i].path)) {
			rc = rf_error_set(RF_EFORMAT, "%s: '%s' is listed twice",
					  RF_FETCH_FILE, f->v[i].path);
			goto fail;
		}
	*out = f;
	return 0;
fail:
	rf_fetch_free(f);
	return rc;
}

size_t rf_fetch_count(const rf_fetch *f)
{
	return f ? f->n : 0;
}

const rf_fetch_entry *rf_fetch_at(const rf_fetch *f, size_t i)
{
	return f && i < f->n ? &f->v[i] : NULL;
}

const rf_fetch_entry *rf_fetch_find(const rf_fetch *f, const char *path)
{
	rf_fetch_entry key;
	if (!f || !f->n)
		return NULL;
	key.path = path;
	return bsearch(&key, f->v, f->n, sizeof key, entry_cmp);
}

void rf_fetch_free(rf_fetch *f)
{
	if (!f)
		return;
	free(f->v);
	free(f->text);
	free(f);
}

int rf_fetch_rule_parse(rf_fetch_rule *out, char *arg)
{
	char *eq = strchr(arg, '=');
	if (!eq || eq == arg || !eq[1] || strpbrk(eq + 1, " \t\r\n"))
		return rf_error_set(RF_EINVAL,
				    "'%s' is not PATTERN=URL-PREFIX (a prefix without "
				    "spaces)", arg);
	*eq = '\0';
	out->pattern = arg;
	out->url_prefix = eq + 1;
	return 0;
}

/* A URL for `rel`: bytes outside RFC 3986's unreserved set and '/' are
 * percent-encoded, so that a URL never holds a space. */
static int url_for(rf_buf *out, const char *prefix, const char *rel)
{
	int rc = rf_buf_puts(out, prefix);
	for (const unsigned char *p = (const unsigned char *)rel; !rc && *p; p++) {
		if ((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') ||
		    (*p >= '0' && *p <= '9') || strchr("-._~/", *p))
			rc = rf_buf_append(out, p, 1);
		else
			rc = rf_buf_printf(out, "%%%02X", *p);
	}
	return rc;
}

int rf_fetch_punch(const char *bag_dir, const rf_fetch_rule *rules,
		   size_t nrules, size_t *punched)
{
	rf_bag *bag = NULL;
	rf_buf fetch = RF_BUF_INIT, file = RF_BUF_INIT, fp = RF_BUF_INIT;
	int rc;
	*punched = 0;
	if ((rc = rf_bag_open(&bag, bag_dir)) != 0)
		return rc;
	for (size_t i = 0; i < rf_bag_entry_count(bag) && !rc; i++) {
		const rf_bag_entry *e = rf_bag_entry_at(bag, i);
		const char *rel = e->path + 5; /* under data/ */
		uint64_t size = 0;
		for (size_t r = 0; r < nrules; r++) {
			unsigned char md[32];
			if (fnmatch(rules[r].pattern, rel, 0) != 0)
				continue;
			rf_buf_clear(&file);
			if ((rc = rf_path_join(&file, bag_dir, e->path)) != 0 ||
			    (rc = rf_digest_file(md, &size, RF_DIGEST_SHA256,
						 file.data)) != 0 ||
			    (rc = url_for(&fetch, rules[r].url_prefix, rel)) != 0 ||
			    (rc = rf_buf_printf(&fetch, " %" PRIu64 " %s\n", size,
						e->path)) != 0)
				break;
			if (unlink(file.data)) {
				rc = rf_error_set(RF_EIO, "cannot remove '%s': %s",
						  file.data, strerror(errno));
				break;
			}
			(*punched)++;
			break;
		}
	}
	if (!rc && *punched) {
		if (!(rc = rf_path_join(&fp, bag_dir, RF_FETCH_FILE)))
			rc = rf_file_write_atomic(fp.data, fetch.data, fetch.len, 0644, 0);
	}
	rf_bag_free(bag);
	rf_buf_free(&fetch);
	rf_buf_free(&file);
	rf_buf_free(&fp);
	return rc;
}

int rf_fetch_is_hole(const rf_fetch *f, const rf_bag *bag, const char *path,
		     const char *signed_sha256)
{
	const rf_bag_entry *e;
	rf_buf full = RF_BUF_INIT;
	int absent;
	if (!rf_fetch_find(f, path))
		return 0;
	if (rf_path_join(&full, rf_bag_dir(bag), path))
		return rf_error_set(RF_ENOMEM, "out of memory");
	absent = !rf_path_exists(full.data);
	rf_buf_free(&full);
	if (!absent)
		return 0;
	e = rf_bag_entry_find(bag, path);
	if (signed_sha256 && (!e || strcmp(e->sha256, signed_sha256)))
		return rf_error_set(RF_ECHECK,
				    "'%s' (in %s) has a manifest digest other than "
				    "the signed one", path, RF_FETCH_FILE);
	return 1;
}

/* Where a fetched copy of `path` ("data/x") may be: DIR/data/x or DIR/x. */
static int fetched_path(rf_buf *out, const char *dir, const char *path)
{
	int rc;
	rf_buf_clear(out);
	if ((rc = rf_path_join(out, dir, path)) != 0)
		return rc;
	if (rf_path_exists(out->data))
		return 0;
	rf_buf_clear(out);
	if ((rc = rf_path_join(out, dir, path + 5)) != 0)
		return rc;
	return rf_path_exists(out->data) ? 0 : RF_ENOTFOUND;
}

int rf_fetch_resolve(rf_fetch_result *res, rf_bag_report *report,
		     const char *bag_dir, const char *fetched_dir,
		     int allow_holey, int threads)
{
	rf_fetch *f = NULL;
	rf_bag *bag = NULL;
	rf_digest_job *jobs = NULL;
	rf_buf *paths = NULL;
	size_t *hole_idx = NULL, nholes = 0, njobs = 0;
	uint64_t hole_bytes = 0;
	int sizes_known = 1, rc;
	rf_pool *pool = NULL;

	memset(res, 0, sizeof *res);
	if ((rc = rf_fetch_load(&f, bag_dir)) != 0 || !f)
		return rc;
	res->entries = f->n;
	if ((rc = rf_bag_open(&bag, bag_dir)) != 0) {
		rf_fetch_free(f);
		return 0; /* the BagIt checks have reported why */
	}
	if (!(hole_idx = calloc(f->n + 1, sizeof *hole_idx)) ||
	    !(jobs = calloc(f->n + 1, sizeof *jobs)) ||
	    !(paths = calloc(f->n + 1, sizeof *paths))) {
		rc = rf_error_set(RF_ENOMEM, "out of memory");
		goto out;
	}
	/* Holes: "missing" problems of paths listed in fetch.txt. */
	for (size_t i = 0; i < rf_bag_report_count(report);) {
		const rf_bag_problem *p = rf_bag_report_at(report, i);
		const rf_fetch_entry *e;
		if (p->kind == RF_BAG_MISSING && (e = rf_fetch_find(f, p->path))) {
			hole_idx[nholes++] = (size_t)(e - f->v);
			if (e->size < 0)
				sizes_known = 0;
			else
				hole_bytes += (uint64_t)e->size;
			rf_bag_report_remove(report, i);
			continue;
		}
		i++;
	}
	res->holes = nholes;
	/* Payload-Oxum describes the complete payload: holes count in it. */
	if (nholes) {
		const char *oxum = rf_bag_info_get(bag, "Payload-Oxum");
		unsigned long long ob = 0, of = 0;
		if (oxum && sscanf(oxum, "%llu.%llu", &ob, &of) == 2 &&
		    of == rf_bag_report_files(report) + nholes &&
		    (!sizes_known || ob == rf_bag_report_bytes(report) + hole_bytes))
			for (size_t i = 0; i < rf_bag_report_count(report); i++)
				if (rf_bag_report_at(report, i)->kind == RF_BAG_OXUM) {
					rf_bag_report_remove(report, i);
					break;
				}
	}
	/* Fetched copies, hashed in parallel and held to the manifest. */
	if (fetched_dir)
		for (size_t h = 0; h < nholes; h++) {
			const rf_fetch_entry *e = &f->v[hole_idx[h]];
			if (fetched_path(&paths[njobs], fetched_dir, e->path) == 0) {
				jobs[njobs].path = paths[njobs].data;
				jobs[njobs].size_hint = e->size > 0 ? (uint64_t)e->size : 0;
				hole_idx[h] |= (size_t)1 << (sizeof(size_t) * 8 - 1);
				njobs++;
			}
		}
	if (njobs) {
		if ((rc = rf_pool_new(&pool, threads)) != 0 ||
		    (rc = rf_digest_files(jobs, njobs, RF_DIGEST_SHA256, pool, NULL,
					  NULL)) != 0)
			goto out;
	}
	for (size_t h = 0, j = 0; h < nholes && !rc; h++) {
		size_t top = (size_t)1 << (sizeof(size_t) * 8 - 1);
		int was_fetched = (hole_idx[h] & top) != 0;
		const rf_fetch_entry *e = &f->v[hole_idx[h] & ~top];
		const rf_bag_entry *be = rf_bag_entry_find(bag, e->path);
		if (was_fetched) {
			char hex[RF_DIGEST_HEX_MAX];
			rf_digest_job *jb = &jobs[j++];
			if (jb->rc) {
				rc = rf_bag_report_add(report, RF_BAG_UNREADABLE, e->path,
						       "fetched copy: %s", jb->err);
				continue;
			}
			rf_digest_to_hex(hex, jb->md, 32);
			if (!be || strcmp(hex, be->sha256))
				rc = rf_bag_report_add(report, RF_BAG_MISMATCH, e->path,
						       "fetched copy '%s' differs from "
						       "the manifest digest",
						       jb->path);
			else if (e->size >= 0 && jb->size != (uint64_t)e->size)
				rc = rf_bag_report_add(report, RF_BAG_MISMATCH, e->path,
						       "fetched copy '%s' has %" PRIu64
						       " bytes; fetch.txt says %" PRId64,
						       jb->path, jb->size, e->size);
			else
				res->filled++;
			continue;
		}
		res->open++;
		if (!allow_holey)
			rc = rf_bag_report_add(report, RF_BAG_MISSING, e->path,
					       "'%s' is not in the bag (complete but "
					       "holey): fetch it from %s", e->path,
					       e->url);
	}
out:
	if (paths)
		for (size_t i = 0; i <= f->n; i++)
			rf_buf_free(&paths[i]);
	free(paths);
	free(jobs);
	free(hole_idx);
	rf_pool_free(pool);
	rf_bag_free(bag);
	rf_fetch_free(f);
	return rc;
}
