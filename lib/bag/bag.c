/* Opening a bag for reading (entries, bag-info fields, tag files), adding
 * tag files with the tag manifest kept valid, and verification reports. */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bag/bag_internal.h"
#include "referee/error.h"
#include "referee/file.h"
#include "referee/path.h"

struct rf_bag {
	char *dir;
	struct bag_info info;
	struct bag_manifest manifest; /* manifest-sha256.txt */
	struct bag_manifest
	    tagmanifest; /* tagmanifest-sha256.txt (maybe empty) */
	rf_bag_entry *entries;
};

int bag_read_file(rf_buf *out, const char *dir, const char *rel, size_t max)
{
	rf_buf full = RF_BUF_INIT;
	struct stat st;
	int fd, rc;
	if ((rc = rf_path_check_relative(rel, "bag")) != 0)
		return rc;
	if (rf_path_join(&full, dir, rel))
		return RF_ENOMEM;
	if (lstat(full.data, &st)) {
		rc = rf_error_set(errno == ENOENT ? RF_ENOTFOUND : RF_EIO,
				  "cannot open '%s': %s", full.data,
				  strerror(errno));
		goto out;
	}
	if ((rc = rf_path_check_inside(dir, full.data)) != 0)
		goto out;
	/* O_NONBLOCK: a FIFO must not hang us before fstat() refuses it. */
	fd = open(full.data, O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
	if (fd < 0) {
		rc = rf_error_set(RF_EIO, "cannot open '%s': %s", full.data,
				  strerror(errno));
		goto out;
	}
	if (fstat(fd, &st) || !S_ISREG(st.st_mode)) {
		close(fd);
		rc = rf_error_set(RF_EUNSAFE, "'%s' is not a regular file",
				  full.data);
		goto out;
	}
	if ((uint64_t)st.st_size > max) {
		close(fd);
		rc = rf_error_set(RF_ELIMIT,
				  "'%s' is larger than the limit of %zu bytes",
				  full.data, max);
		goto out;
	}
	close(fd);
	rc = rf_file_read(out, full.data, max);
out:
	rf_buf_free(&full);
	return rc;
}

/* rf_bag_open() is strict: the first problem is the error. */
static int first_problem(void *ctx, rf_bag_problem_kind kind, const char *path,
			 const char *msg)
{
	(void)ctx;
	(void)path;
	return rf_error_set(kind == RF_BAG_UNSAFE ? RF_EUNSAFE : RF_EFORMAT,
			    "%s", msg);
}

int rf_bag_open(rf_bag **out, const char *dir)
{
	rf_bag *bag;
	rf_buf text = RF_BUF_INIT;
	int rc;
	*out = NULL;
	bag = calloc(1, sizeof *bag);
	if (!bag || !(bag->dir = strdup(dir))) {
		free(bag);
		return rf_error_set(RF_ENOMEM, "out of memory");
	}
	bag->manifest.alg = RF_DIGEST_SHA256;
	bag->tagmanifest.alg = RF_DIGEST_SHA256;
	if ((rc = bag_read_file(&text, dir, "bagit.txt",
				RF_BAG_MAX_TAG_FILE)) != 0) {
		if (rc == RF_ENOTFOUND)
			rc = rf_error_set(
			    RF_EFORMAT, "'%s' is not a bag: no bagit.txt", dir);
		goto fail;
	}
	if ((rc = bag_declaration_check(text.data, text.len)) != 0) {
		rf_error_wrap(rc, "'%s'", dir);
		goto fail;
	}
	rf_buf_clear(&text);
	rc = bag_read_file(&text, dir, "bag-info.txt", RF_BAG_MAX_TAG_FILE);
	if (rc == 0)
		rc = bag_info_parse(&bag->info, text.data, text.len,
				    first_problem, NULL);
	else if (rc == RF_ENOTFOUND)
		rc = 0; /* optional in RFC 8493 */
	if (rc)
		goto fail;
	rf_buf_clear(&text);
	if ((rc = bag_read_file(&text, dir, "manifest-sha256.txt",
				RF_BAG_MAX_MANIFEST)) != 0) {
		if (rc == RF_ENOTFOUND)
			rc = rf_error_set(RF_EFORMAT,
					  "'%s': no manifest-sha256.txt", dir);
		goto fail;
	}
	if ((rc = bag_manifest_parse(&bag->manifest, "manifest-sha256.txt",
				     text.data, text.len, 1, first_problem,
				     NULL)) != 0)
		goto fail;
	rf_buf_clear(&text);
	rc = bag_read_file(&text, dir, "tagmanifest-sha256.txt",
			   RF_BAG_MAX_MANIFEST);
	if (rc == 0)
		rc = bag_manifest_parse(&bag->tagmanifest,
					"tagmanifest-sha256.txt", text.data,
					text.len, 0, first_problem, NULL);
	else if (rc == RF_ENOTFOUND)
		rc = 0;
	if (rc)
		goto fail;
	bag->entries =
	    calloc(bag->manifest.n ? bag->manifest.n : 1, sizeof *bag->entries);
	if (!bag->entries) {
		rc = rf_error_set(RF_ENOMEM, "out of memory");
		goto fail;
	}
	for (size_t i = 0; i < bag->manifest.n; i++) {
		bag->entries[i].path = bag->manifest.lines[i].path;
		bag->entries[i].sha256 = bag->manifest.lines[i].hex;
	}
	rf_buf_free(&text);
	*out = bag;
	return 0;
fail:
	rf_buf_free(&text);
	rf_bag_free(bag);
	return rc;
}

void rf_bag_free(rf_bag *bag)
{
	if (!bag)
		return;
	bag_info_free(&bag->info);
	bag_manifest_free(&bag->manifest);
	bag_manifest_free(&bag->tagmanifest);
	free(bag->entries);
	free(bag->dir);
	free(bag);
}

const char *rf_bag_dir(const rf_bag *bag)
{
	return bag->dir;
}

size_t rf_bag_entry_count(const rf_bag *bag)
{
	return bag->manifest.n;
}

const rf_bag_entry *rf_bag_entry_at(const rf_bag *bag, size_t i)
{
	return i < bag->manifest.n ? &bag->entries[i] : NULL;
}

const rf_bag_entry *rf_bag_entry_find(const rf_bag *bag, const char *path)
{
	const struct bag_line *l = bag_manifest_find(&bag->manifest, path);
	return l ? &bag->entries[l - bag->manifest.lines] : NULL;
}

size_t rf_bag_info_count(const rf_bag *bag)
{
	return bag->info.n;
}

int rf_bag_info_at(const rf_bag *bag, size_t i, const char **label,
		   const char **value)
{
	if (i >= bag->info.n)
		return rf_error_set(RF_ENOTFOUND, "no bag-info field %zu", i);
	*label = bag->info.fields[i].label;
	*value = bag->info.fields[i].value;
	return 0;
}

const char *rf_bag_info_get(const rf_bag *bag, const char *label)
{
	return bag_info_get(&bag->info, label);
}

const char *rf_bag_tag_sha256(const rf_bag *bag, const char *relpath)
{
	const struct bag_line *l =
	    bag_manifest_find(&bag->tagmanifest, relpath);
	return l ? l->hex : NULL;
}

int rf_bag_read_tag_file(rf_buf *out, const rf_bag *bag, const char *relpath,
			 size_t max)
{
	if (!strncmp(relpath, "data/", 5))
		return rf_error_set(RF_EINVAL,
				    "'%s' is a payload file, not a tag file",
				    relpath);
	return bag_read_file(out, bag->dir, relpath, max);
}

/* ------------------------------------------------------- tag manifest */

static int refuse_problem(void *ctx, rf_bag_problem_kind kind, const char *path,
			  const char *msg)
{
	(void)ctx;
	(void)path;
	return rf_error_set(kind == RF_BAG_UNSAFE ? RF_EUNSAFE : RF_EIO, "%s",
			    msg);
}

static int hash_into(rf_buf *lines, const char *dir, const char *rel,
		     rf_digest_alg alg)
{
	rf_buf full = RF_BUF_INIT;
	unsigned char md[RF_DIGEST_MAX];
	char hex[RF_DIGEST_HEX_MAX];
	int rc;
	if (strpbrk(rel, "\r\n%"))
		return rf_error_set(RF_EUNSAFE,
				    "tag file name '%s' has CR, LF or %%", rel);
	if (rf_path_join(&full, dir, rel))
		return RF_ENOMEM;
	rc = rf_digest_file(md, NULL, alg, full.data);
	rf_buf_free(&full);
	if (rc)
		return rc;
	rf_digest_to_hex(hex, md, rf_digest_size(alg));
	return rf_buf_printf(lines, "%s  %s\n", hex, rel);
}

int bag_write_tagmanifest(const char *dir)
{
	static const char *const fixed[] = {"bagit.txt", "bag-info.txt",
					    "manifest-sha256.txt",
					    "manifest-sha512.txt"};
	struct bag_files files = {0};
	rf_buf lines = RF_BUF_INIT, path = RF_BUF_INIT;
	int rc = 0;
	for (size_t i = 0; i < sizeof fixed / sizeof fixed[0]; i++) {
		struct stat st;
		rf_buf_clear(&path);
		if (rf_path_join(&path, dir, fixed[i]))
			return RF_ENOMEM;
		if (lstat(path.data, &st) == 0 && S_ISREG(st.st_mode) &&
		    (rc = bag_files_add(&files, fixed[i], 0)) != 0)
			goto out;
	}
	if ((rc = bag_walk(&files, dir, RF_BAG_REFEREE_DIR, refuse_problem,
			   NULL)) != 0)
		goto out;
	bag_files_sort(&files);
	for (int a = 0; a < 2 && !rc; a++) {
		rf_digest_alg alg = a ? RF_DIGEST_SHA512 : RF_DIGEST_SHA256;
		char name[64];
		bag_manifest_filename(name, sizeof name, alg, 1);
		rf_buf_clear(&path);
		if (rf_path_join(&path, dir, name)) {
			rc = RF_ENOMEM;
			break;
		}
		/* sha256 always; sha512 only where a foreign bag already has
		 * one. */
		if (alg == RF_DIGEST_SHA512 && !rf_path_exists(path.data))
			continue;
		rf_buf_clear(&lines);
		for (size_t i = 0; i < files.n && !rc; i++)
			rc = hash_into(&lines, dir, files.v[i].path, alg);
		if (!rc)
			rc = rf_file_write_atomic(path.data,
						  lines.data ? lines.data : "",
						  lines.len, 0644, 1);
	}
out:
	bag_files_free(&files);
	rf_buf_free(&lines);
	rf_buf_free(&path);
	return rc;
}

int rf_bag_update_tagmanifest(const char *bag_dir)
{
	rf_buf text = RF_BUF_INIT;
	int rc =
	    bag_read_file(&text, bag_dir, "bagit.txt", RF_BAG_MAX_TAG_FILE);
	if (rc == 0)
		rc = bag_declaration_check(text.data, text.len);
	rf_buf_free(&text);
	if (rc == RF_ENOTFOUND)
		return rf_error_set(RF_EFORMAT,
				    "'%s' is not a bag: no bagit.txt", bag_dir);
	if (rc)
		return rc;
	return bag_write_tagmanifest(bag_dir);
}

int rf_bag_write_tag_file(const char *bag_dir, const char *relpath,
			  const void *data, size_t len)
{
	rf_buf full = RF_BUF_INIT, text = RF_BUF_INIT;
	struct stat st;
	char *slash;
	int rc;
	if ((rc = rf_path_check_relative(relpath, "tag file")) != 0)
		return rc;
	if (strncmp(relpath, RF_BAG_REFEREE_DIR "/",
		    sizeof RF_BAG_REFEREE_DIR) != 0)
		return rf_error_set(RF_EUNSAFE,
				    "tag file '%s' is not under %s/", relpath,
				    RF_BAG_REFEREE_DIR);
	if (strpbrk(relpath, "%"))
		return rf_error_set(RF_EUNSAFE, "tag file name '%s' has %%",
				    relpath);
	rc = bag_read_file(&text, bag_dir, "bagit.txt", RF_BAG_MAX_TAG_FILE);
	if (rc == 0)
		rc = bag_declaration_check(text.data, text.len);
	rf_buf_free(&text);
	if (rc == RF_ENOTFOUND)
		return rf_error_set(RF_EFORMAT,
				    "'%s' is not a bag: no bagit.txt", bag_dir);
	if (rc)
		return rc;
	if (rf_path_join(&full, bag_dir, relpath))
		return RF_ENOMEM;
	/* Make the parent folders, refusing any that is a symlink: a planted
	 * link must not redirect our write outside the bag. */
	slash = full.data + strlen(bag_dir);
	while ((slash = strchr(slash + 1, '/')) != NULL) {
		*slash = '\0';
		if (lstat(full.data, &st)) {
			if (errno != ENOENT || mkdir(full.data, 0755)) {
				rc = rf_error_set(RF_EIO,
						  "cannot create '%s': %s",
						  full.data, strerror(errno));
				break;
			}
		} else if (!S_ISDIR(st.st_mode)) {
			rc = rf_error_set(RF_EUNSAFE, "'%s' is not a directory",
					  full.data);
			break;
		}
		*slash = '/';
	}
	if (!rc && lstat(full.data, &st) == 0 && !S_ISREG(st.st_mode))
		rc = rf_error_set(RF_EUNSAFE, "'%s' is not a regular file",
				  full.data);
	if (!rc)
		rc = rf_file_write_atomic(full.data, data, len, 0644, 1);
	rf_buf_free(&full);
	if (rc)
		return rc;
	return bag_write_tagmanifest(bag_dir);
}

/* ------------------------------------------------------------- report */

/* A hostile bag can hold millions of bad lines: the report keeps the first
 * RF_BAG_MAX_PROBLEMS and counts the rest, so memory stays bounded. */
struct rf_bag_report {
	rf_bag_problem *v;
	size_t n, cap;
	size_t files;
	uint64_t bytes;
	size_t dropped;       /* problems beyond the cap */
	int dropped_kinds;    /* 1 tampering, 2 malformed, 4 unreadable */
};

const char *rf_bag_problem_kind_name(rf_bag_problem_kind kind)
{
	switch (kind) {
	case RF_BAG_MISMATCH:
		return "mismatch";
	case RF_BAG_MISSING:
		return "missing";
	case RF_BAG_UNLISTED:
		return "unlisted";
	case RF_BAG_UNSAFE:
		return "unsafe";
	case RF_BAG_OXUM:
		return "oxum";
	case RF_BAG_MALFORMED:
		return "malformed";
	case RF_BAG_UNREADABLE:
		return "unreadable";
	case RF_BAG_GIT:
		return "git";
	case RF_BAG_SIGNATURE:
		return "signature";
	}
	return "unknown";
}

int rf_bag_report_new(rf_bag_report **out)
{
	*out = calloc(1, sizeof **out);
	return *out ? 0 : rf_error_set(RF_ENOMEM, "out of memory");
}

void rf_bag_report_free(rf_bag_report *r)
{
	if (!r)
		return;
	for (size_t i = 0; i < r->n; i++) {
		free((char *)r->v[i].path);
		free((char *)r->v[i].message);
	}
	free(r->v);
	free(r);
}

size_t rf_bag_report_count(const rf_bag_report *r)
{
	return r ? r->n : 0;
}

size_t rf_bag_report_dropped(const rf_bag_report *r)
{
	return r ? r->dropped : 0;
}

const rf_bag_problem *rf_bag_report_at(const rf_bag_report *r, size_t i)
{
	return r && i < r->n ? &r->v[i] : NULL;
}

/* Hostile names must not put control characters on a reviewer's terminal
 * or in JSON consumers' logs. */
static char *clean_dup(const char *s)
{
	char *d = strdup(s ? s : "");
	if (d)
		for (char *p = d; *p; p++)
			if ((unsigned char)*p < 0x20 || *p == 0x7f)
				*p = '?';
	return d;
}

int rf_bag_report_add(rf_bag_report *r, rf_bag_problem_kind kind,
		      const char *path, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;
	if (r->n >= RF_BAG_MAX_PROBLEMS) {
		r->dropped++;
		r->dropped_kinds |= kind == RF_BAG_MALFORMED	  ? 2
				    : kind == RF_BAG_UNREADABLE ? 4
								: 1;
		return 0;
	}
	if (r->n == r->cap) {
		size_t cap = r->cap ? r->cap * 2 : 16;
		rf_bag_problem *v = realloc(r->v, cap * sizeof *v);
		if (!v)
			return rf_error_set(RF_ENOMEM, "out of memory");
		r->v = v;
		r->cap = cap;
	}
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	r->v[r->n].kind = kind;
	r->v[r->n].path = clean_dup(path);
	r->v[r->n].message = clean_dup(msg);
	if (!r->v[r->n].path || !r->v[r->n].message) {
		free((char *)r->v[r->n].path);
		free((char *)r->v[r->n].message);
		return rf_error_set(RF_ENOMEM, "out of memory");
	}
	r->n++;
	return 0;
}

int rf_bag_report_remove(rf_bag_report *r, size_t i)
{
	if (!r || i >= r->n)
		return RF_EINVAL;
	free((char *)r->v[i].path);
	free((char *)r->v[i].message);
	memmove(&r->v[i], &r->v[i + 1], (r->n - i - 1) * sizeof *r->v);
	r->n--;
	return 0;
}

size_t rf_bag_report_files(const rf_bag_report *r)
{
	return r ? r->files : 0;
}

uint64_t rf_bag_report_bytes(const rf_bag_report *r)
{
	return r ? r->bytes : 0;
}

void bag_report_set_totals(rf_bag_report *r, size_t files, uint64_t bytes)
{
	r->files = files;
	r->bytes = bytes;
}

int rf_bag_report_status(const rf_bag_report *r)
{
	int format = 0, io = 0;
	if (!r)
		return 0;
	if (r->dropped_kinds & 1)
		return RF_ECHECK;
	format = (r->dropped_kinds & 2) != 0;
	io = (r->dropped_kinds & 4) != 0;
	for (size_t i = 0; i < r->n; i++) {
		switch (r->v[i].kind) {
		case RF_BAG_MALFORMED:
			format = 1;
			break;
		case RF_BAG_UNREADABLE:
			io = 1;
			break;
		default:
			return RF_ECHECK;
		}
	}
	if (format)
		return RF_EFORMAT;
	return io ? RF_EIO : 0;
}
