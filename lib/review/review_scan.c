/* review: one walk of the payload finds what each stage checks -- folders
 * of manifests, replays, logged GRPO batches.  The payload is hostile: no
 * symlink is followed, depth and count are bounded. */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "referee/error.h"
#include "referee/file.h"
#include "referee/manifest.h"
#include "referee/path.h"
#include "review_internal.h"

#define SCAN_MAX_DEPTH 32
#define SCAN_MAX_ENTRIES 1000000
#define SCAN_MAX_ITEMS 10000 /* folders, replays or batches */

struct walk {
	review_scan *s;
	size_t entries;
};

static int push(char ***list, size_t *n, const char *path)
{
	char **l;
	if (*n >= SCAN_MAX_ITEMS)
		return rf_error_set(RF_ELIMIT, "more than %d items to review under '%s'",
				    SCAN_MAX_ITEMS, path);
	if (!(l = realloc(*list, (*n + 1) * sizeof *l)))
		return rf_error_set(RF_ENOMEM, "out of memory");
	*list = l;
	if (!(l[*n] = strdup(path)))
		return rf_error_set(RF_ENOMEM, "out of memory");
	(*n)++;
	return 0;
}

static int ends_with(const char *s, const char *suffix)
{
	size_t a = strlen(s), b = strlen(suffix);
	return a >= b && !strcmp(s + a - b, suffix);
}

/* 1 when the file's first line is a GRPO batch header ({"grpo_batch": ...}). */
static int is_batch(const char *path)
{
	char head[512];
	size_t n;
	FILE *f = fopen(path, "rb");
	if (!f)
		return 0;
	n = fread(head, 1, sizeof head - 1, f);
	fclose(f);
	head[n] = '\0';
	head[strcspn(head, "\n")] = '\0';
	return head[0] == '{' && strstr(head, "\"grpo_batch\"") != NULL;
}

static int regular(const char *dir, const char *name)
{
	rf_buf p = RF_BUF_INIT;
	struct stat st;
	int ok = !rf_path_join(&p, dir, name) && !lstat(p.data, &st) && S_ISREG(st.st_mode);
	rf_buf_free(&p);
	return ok;
}

static int walk(struct walk *w, const char *dir, int depth)
{
	DIR *d;
	struct dirent *e;
	char **subs = NULL;
	size_t nsubs = 0;
	int rc = 0, manifests = 0;

	if (depth > SCAN_MAX_DEPTH)
		return rf_error_set(RF_ELIMIT, "'%s': folders nested deeper than %d", dir,
				    SCAN_MAX_DEPTH);
	if (!(d = opendir(dir)))
		return rf_error_set(RF_EIO, "cannot open folder '%s'", dir);
	while (!rc && (e = readdir(d))) {
		rf_buf p = RF_BUF_INIT;
		struct stat st;
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		if (++w->entries > SCAN_MAX_ENTRIES) {
			rc = rf_error_set(RF_ELIMIT, "more than %d files under the payload",
					  SCAN_MAX_ENTRIES);
			break;
		}
		if ((rc = rf_path_join(&p, dir, e->d_name)))
			break;
		if (lstat(p.data, &st)) {
			rf_buf_free(&p);
			continue;
		}
		if (S_ISDIR(st.st_mode))
			rc = push(&subs, &nsubs, p.data);
		else if (S_ISREG(st.st_mode) && e->d_name[0] != '.' &&
			 (ends_with(e->d_name, ".yaml") || ends_with(e->d_name, ".yml")))
			manifests |= rf_manifest_sniff(p.data) == 1;
		else if (S_ISREG(st.st_mode) && ends_with(e->d_name, ".jsonl") &&
			 is_batch(p.data))
			rc = push(&w->s->batches, &w->s->nbatches, p.data);
		rf_buf_free(&p);
	}
	closedir(d);
	if (!rc && manifests)
		rc = push(&w->s->folders, &w->s->nfolders, dir);
	if (!rc && regular(dir, "recipe.yaml") && regular(dir, "log.jsonl") &&
	    regular(dir, "summary.json"))
		rc = push(&w->s->replays, &w->s->nreplays, dir);
	for (size_t i = 0; i < nsubs; i++) {
		if (!rc)
			rc = walk(w, subs[i], depth + 1);
		free(subs[i]);
	}
	free(subs);
	return rc;
}

static int by_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int review_scan_run(review_scan *s, const char *root)
{
	struct walk w = {s, 0};
	int rc;
	memset(s, 0, sizeof *s);
	rc = walk(&w, root, 0);
	/* (qsort must not see the NULL of an empty list) */
	if (s->nfolders)
		qsort(s->folders, s->nfolders, sizeof *s->folders, by_name);
	if (s->nreplays)
		qsort(s->replays, s->nreplays, sizeof *s->replays, by_name);
	if (s->nbatches)
		qsort(s->batches, s->nbatches, sizeof *s->batches, by_name);
	return rc;
}

static void list_free(char **l, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(l[i]);
	free(l);
}

void review_scan_free(review_scan *s)
{
	list_free(s->folders, s->nfolders);
	list_free(s->replays, s->nreplays);
	list_free(s->batches, s->nbatches);
	memset(s, 0, sizeof *s);
}
