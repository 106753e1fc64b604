/* Trust lists: the named public keys a verifier accepts, loaded from one
 * .pub file, a folder of .pub files, or an allowed-signers file. */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "referee/error.h"
#include "referee/file.h"
#include "referee/path.h"
#include "referee/sign.h"
#include "sign_internal.h"

struct rf_trust {
	size_t n, cap;
	char **names;
	rf_key **keys;
};

int rf_trust_new(rf_trust **out)
{
	*out = calloc(1, sizeof **out);
	return *out ? 0 : rf_error_set(RF_ENOMEM, "out of memory");
}

static int name_ok(const char *name)
{
	size_t n = strlen(name);
	if (n == 0 || n > 128)
		return 0;
	for (size_t i = 0; i < n; i++) {
		char c = name[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		      (c >= '0' && c <= '9') || strchr("._@+-", c)))
			return 0;
	}
	return 1;
}

int rf_trust_add(rf_trust *trust, const char *name, const rf_key *key)
{
	rf_key *copy;
	char *dup;
	int rc;
	if (!name_ok(name))
		return rf_error_set(RF_EFORMAT,
				    "bad signer name '%s' (1-128 of A-Z a-z 0-9 . _ @ + -)",
				    name);
	for (size_t i = 0; i < trust->n; i++) {
		if (!strcmp(trust->names[i], name))
			return rf_error_set(RF_EFORMAT, "signer '%s' is listed twice",
					    name);
		if (!strcmp(rf_key_id(trust->keys[i]), rf_key_id(key)))
			return rf_error_set(RF_EFORMAT,
					    "the key of '%s' is already trusted as '%s'",
					    name, trust->names[i]);
	}
	if (trust->n >= RF_TRUST_MAX)
		return rf_error_set(RF_ELIMIT, "more than %d trusted keys",
				    RF_TRUST_MAX);
	if (trust->n == trust->cap) {
		size_t cap = trust->cap ? trust->cap * 2 : 8;
		char **nn = realloc(trust->names, cap * sizeof *nn);
		if (!nn)
			return rf_error_set(RF_ENOMEM, "out of memory");
		trust->names = nn;
		rf_key **nk = realloc(trust->keys, cap * sizeof *nk);
		if (!nk)
			return rf_error_set(RF_ENOMEM, "out of memory");
		trust->keys = nk;
		trust->cap = cap;
	}
	if ((rc = rf_key_public_copy(&copy, key)) != 0)
		return rc;
	if (!(dup = strdup(name))) {
		rf_key_free(copy);
		return rf_error_set(RF_ENOMEM, "out of memory");
	}
	trust->names[trust->n] = dup;
	trust->keys[trust->n] = copy;
	trust->n++;
	return 0;
}

size_t rf_trust_count(const rf_trust *trust)
{
	return trust ? trust->n : 0;
}

const char *rf_trust_name(const rf_trust *trust, size_t i)
{
	return i < rf_trust_count(trust) ? trust->names[i] : NULL;
}

const rf_key *rf_trust_key(const rf_trust *trust, size_t i)
{
	return i < rf_trust_count(trust) ? trust->keys[i] : NULL;
}

void rf_trust_free(rf_trust *trust)
{
	if (!trust)
		return;
	for (size_t i = 0; i < trust->n; i++) {
		free(trust->names[i]);
		rf_key_free(trust->keys[i]);
	}
	free(trust->names);
	free(trust->keys);
	free(trust);
}

/* "dir/alice.pub" -> "alice" */
static int stem_of(rf_buf *out, const char *path)
{
	const char *base = strrchr(path, '/');
	size_t n;
	base = base ? base + 1 : path;
	n = strlen(base);
	if (n > 4 && !strcmp(base + n - 4, ".pub"))
		n -= 4;
	rf_buf_clear(out);
	return rf_buf_append(out, base, n);
}

static int add_pub_file(rf_trust *t, const char *name, const char *path)
{
	rf_key *key;
	int rc = rf_key_load_public(&key, path);
	if (rc)
		return rc;
	rc = rf_trust_add(t, name, key);
	rf_key_free(key);
	return rc;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int load_dir(rf_trust *t, const char *path)
{
	DIR *d = opendir(path);
	struct dirent *e;
	char **names = NULL;
	size_t n = 0, cap = 0;
	rf_buf stem = RF_BUF_INIT, full = RF_BUF_INIT;
	int rc = 0;
	if (!d)
		return rf_error_set(RF_EIO, "cannot open '%s': %s", path,
				    strerror(errno));
	while ((e = readdir(d)) != NULL) {
		size_t len = strlen(e->d_name);
		if (len <= 4 || strcmp(e->d_name + len - 4, ".pub") ||
		    e->d_name[0] == '.')
			continue;
		if (n >= RF_TRUST_MAX) {
			rc = rf_error_set(RF_ELIMIT, "'%s' holds more than %d keys",
					  path, RF_TRUST_MAX);
			break;
		}
		if (n == cap) {
			cap = cap ? cap * 2 : 16;
			char **nn = realloc(names, cap * sizeof *nn);
			if (!nn) {
				rc = rf_error_set(RF_ENOMEM, "out of memory");
				break;
			}
			names = nn;
		}
		if (!(names[n] = strdup(e->d_name))) {
			rc = rf_error_set(RF_ENOMEM, "out of memory");
			break;
		}
		n++;
	}
	closedir(d);
	if (!rc && n == 0)
		rc = rf_error_set(RF_ENOTFOUND, "no .pub file in '%s'", path);
	if (!rc)
		qsort(names, n, sizeof *names, cmp_str);
	for (size_t i = 0; !rc && i < n; i++) {
		rf_buf_clear(&full);
		if ((rc = rf_path_join(&full, path, names[i])) != 0 ||
		    (rc = stem_of(&stem, names[i])) != 0)
			break;
		rc = add_pub_file(t, stem.data, full.data);
	}
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
	rf_buf_free(&stem);
	rf_buf_free(&full);
	return rc;
}

/* Allowed signers: "NAME KEY" per line; KEY inline base64 SPKI or a path
 * to a .pub file (relative to the list's folder). */
static int load_allowed(rf_trust *t, const char *path, char *text, size_t len)
{
	rf_buf dir = RF_BUF_INIT, full = RF_BUF_INIT;
	const char *slash = strrchr(path, '/');
	size_t lineno = 0;
	int rc = 0;
	if (slash)
		rc = rf_buf_append(&dir, path, (size_t)(slash - path + 1));
	/* A NUL would end the text early and drop the lines after it. */
	if (!rc && memchr(text, '\0', len)) {
		const char *z = memchr(text, '\0', len);
		size_t ln = 1;
		for (const char *c = text; c < z; c++)
			ln += *c == '\n';
		rc = rf_error_set(RF_EFORMAT, "%s:%zu: NUL byte", path, ln);
	}
	for (char *line = text; !rc && line && line < text + len;) {
		char *nl = strchr(line, '\n'), *name, *key, *rest, *save = NULL;
		if (nl)
			*nl = '\0';
		lineno++;
		size_t ll = strlen(line);
		if (ll && line[ll - 1] == '\r')
			line[ll - 1] = '\0';
		name = strtok_r(line, " \t", &save);
		if (name && name[0] != '#') {
			key = strtok_r(NULL, " \t", &save);
			rest = strtok_r(NULL, " \t", &save);
			if (!key || (rest && rest[0] != '#')) {
				rc = rf_error_set(RF_EFORMAT,
						  "%s:%zu: expected 'NAME KEY'", path,
						  lineno);
				break;
			}
			rf_key *k = NULL;
			char what[64];
			snprintf(what, sizeof what, "line %zu", lineno);
			if (rf_key_from_spki_base64(&k, key, what) == 0) {
				rc = rf_trust_add(t, name, k);
				rf_key_free(k);
			} else {
				rf_buf_clear(&full);
				if (key[0] == '/')
					rc = rf_buf_puts(&full, key);
				else
					rc = rf_buf_printf(&full, "%s%s",
							   dir.data ? dir.data : "", key);
				if (!rc)
					rc = add_pub_file(t, name, full.data);
			}
			if (rc)
				rc = rf_error_wrap(rc, "%s:%zu", path, lineno);
		}
		line = nl ? nl + 1 : NULL;
	}
	if (!rc && t->n == 0)
		rc = rf_error_set(RF_EFORMAT, "'%s' lists no signer", path);
	rf_buf_free(&dir);
	rf_buf_free(&full);
	return rc;
}

int rf_trust_load(rf_trust **out, const char *path)
{
	struct stat st;
	rf_trust *t;
	rf_buf text = RF_BUF_INIT, stem = RF_BUF_INIT;
	int rc;
	*out = NULL;
	if (stat(path, &st))
		return rf_error_set(errno == ENOENT ? RF_ENOTFOUND : RF_EIO,
				    "cannot open trust list '%s': %s", path,
				    strerror(errno));
	if ((rc = rf_trust_new(&t)) != 0)
		return rc;
	if (S_ISDIR(st.st_mode)) {
		rc = load_dir(t, path);
	} else if (!S_ISREG(st.st_mode)) {
		/* a FIFO would block the read forever, a device is no list */
		rc = rf_error_set(RF_EIO, "trust list '%s' is not a regular file or a "
				  "folder", path);
	} else if ((rc = rf_file_read(&text, path, 1 << 20)) == 0) {
		const char *p = text.data ? text.data : "";
		while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r')
			p++;
		if (!strncmp(p, "-----BEGIN", 10)) {
			if (!(rc = stem_of(&stem, path)))
				rc = add_pub_file(t, stem.data, path);
		} else {
			rc = load_allowed(t, path, text.data ? text.data : "", text.len);
		}
	}
	rf_buf_free(&text);
	rf_buf_free(&stem);
	if (rc) {
		rf_trust_free(t);
		return rc;
	}
	*out = t;
	return 0;
}
