/* referee-mpi verify: a bag's payload hashed across MPI ranks.  Every rank
 * opens the bag and takes its share of the payload files (largest first,
 * to the least loaded rank); the digests, computed from the bytes on disk
 * in this run, go to rank 0, which runs the library's complete bag check
 * (rf_bag_verify: completeness, Payload-Oxum, tag manifest, provenance)
 * with them as known digests, so no payload file is read twice. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "../cli.h"
#include "../dist.h"
#include "verify_mpi.h"

static const char usage_text[] = "referee-mpi verify [-j N] BAG";

static int by_path(const void *a, const void *b)
{
	return strcmp(((const rf_bag_known_digest *)a)->path,
		      ((const rf_bag_known_digest *)b)->path);
}

/* Only regular files that are really inside the bag are hashed here; the
 * rest (symlinks, special files, hostile paths) are left to rf_bag_verify,
 * which reports them without reading them. */
static int hash_share(const rf_bag *bag, const cli_dist *d, int threads,
		      rf_buf *mine)
{
	size_t n = rf_bag_entry_count(bag), k = 0;
	uint64_t *sizes = calloc(n ? n : 1, sizeof *sizes);
	int *owner = calloc(n ? n : 1, sizeof *owner);
	char *ok = calloc(n ? n : 1, 1);
	rf_buf *paths = calloc(n ? n : 1, sizeof *paths);
	rf_digest_job *jobs = calloc(n ? n : 1, sizeof *jobs);
	size_t *which = calloc(n ? n : 1, sizeof *which);
	rf_pool *pool = NULL;
	int rc = 0;
	if (!sizes || !owner || !ok || !paths || !jobs || !which) {
		rc = rf_error_set(RF_ENOMEM, "out of memory");
		goto out;
	}
	for (size_t i = 0; i < n; i++) {
		const rf_bag_entry *e = rf_bag_entry_at(bag, i);
		struct stat st;
		if (rf_path_join(&paths[i], rf_bag_dir(bag), e->path)) {
			rc = rf_error_set(RF_ENOMEM, "out of memory");
			goto out;
		}
		if (!lstat(paths[i].data, &st) && S_ISREG(st.st_mode) &&
		    !rf_path_check_inside(rf_bag_dir(bag), paths[i].data)) {
			ok[i] = 1;
			sizes[i] = (uint64_t)st.st_size;
		}
	}
	rf_error_clear();
	cli_dist_assign(owner, sizes, n, d->size);
	for (size_t i = 0; i < n; i++)
		if (ok[i] && owner[i] == d->rank) {
			jobs[k].path = paths[i].data;
			jobs[k].size_hint = sizes[i];
			which[k++] = i;
		}
	if ((rc = rf_pool_new(&pool, threads)) ||
	    (rc = rf_digest_files(jobs, k, RF_DIGEST_SHA256, pool, NULL, NULL)))
		goto out;
	for (size_t j = 0; j < k && !rc; j++) {
		char hex[RF_DIGEST_HEX_MAX];
		if (jobs[j].rc)
			continue; /* rank 0's check reads it and says why */
		rf_digest_to_hex(hex, jobs[j].md, 32);
		rc = rf_buf_printf(mine, "%zu %s %llu\n", which[j], hex,
				   (unsigned long long)jobs[j].size);
	}
out:
	rf_pool_free(pool);
	for (size_t i = 0; paths && i < n; i++)
		rf_buf_free(&paths[i]);
	free(paths);
	free(sizes);
	free(owner);
	free(ok);
	free(jobs);
	free(which);
	return rc;
}

/* Rank 0: "index hex size" lines from every rank -> known digests. */
static int parse_known(const rf_bag *bag, const rf_buf *parts, int size,
		       rf_bag_known_digest **out, size_t *nout)
{
	size_t n = rf_bag_entry_count(bag), m = 0;
	rf_bag_known_digest *k = calloc(n ? n : 1, sizeof *k);
	char *seen = calloc(n ? n : 1, 1);
	if (!k || !seen) {
		free(k);
		free(seen);
		return rf_error_set(RF_ENOMEM, "out of memory");
	}
	for (int r = 0; r < size; r++) {
		const char *p = parts[r].data ? parts[r].data : "";
		const char *end = p + parts[r].len;
		while (p < end) {
			size_t idx;
			char hex[65];
			unsigned long long sz;
			int used = 0;
			if (sscanf(p, "%zu %64[0-9a-f] %llu\n%n", &idx, hex, &sz,
				   &used) != 3 || !used || idx >= n ||
			    strlen(hex) != 64 || seen[idx] || m == n) {
				free(k);
				free(seen);
				return rf_error_set(RF_EINTERNAL,
						    "rank %d sent a bad digest "
						    "line", r);
			}
			seen[idx] = 1;
			k[m].path = rf_bag_entry_at(bag, idx)->path;
			memcpy(k[m].sha256, hex, 65);
			k[m].size = sz;
			m++;
			p += used;
		}
	}
	qsort(k, m, sizeof *k, by_path);
	free(seen);
	*out = k;
	*nout = m;
	return 0;
}

int mpi_verify(int argc, char **argv, const cli_dist *d)
{
	rf_bag *bag = NULL;
	rf_bag_report *rep = NULL;
	rf_bag_known_digest *known = NULL;
	rf_buf mine = RF_BUF_INIT, *parts = NULL;
	size_t nknown = 0;
	long threads = 0;
	int i = 1, rc, status = CLI_OK, lrc;
	for (; i < argc && argv[i][0] == '-'; i++) {
		if (!strcmp(argv[i], "-j") && i + 1 < argc) {
			if ((threads = cli_parse_long(argv[++i], 1, 1024)) < 0)
				return d->rank ? CLI_USAGE : cli_usage(usage_text);
		} else {
			return d->rank ? CLI_USAGE : cli_usage(usage_text);
		}
	}
	if (i + 1 != argc)
		return d->rank ? CLI_USAGE : cli_usage(usage_text);
	lrc = rf_bag_open(&bag, argv[i]);
	if (!lrc)
		lrc = hash_share(bag, d, (int)threads, &mine);
	if (lrc) /* every rank still takes part in the gather */
		cli_dist_put_error(&mine, lrc);
	rc = cli_dist_gather(d, &mine, &parts);
	if (d->rank == 0) {
		for (int r = 0; r < d->size && !rc; r++)
			rc = cli_dist_take_error(&parts[r], r);
		if (!rc)
			rc = parse_known(bag, parts, d->size, &known, &nknown);
		if (!rc) {
			rf_verify_opts o = RF_VERIFY_OPTS_INIT;
			o.threads = (int)threads;
			o.known = known;
			o.nknown = nknown;
			rc = rf_bag_verify(&rep, argv[i], &o);
		}
		if (rep) {
			for (size_t p = 0; p < rf_bag_report_count(rep); p++) {
				const rf_bag_problem *pr = rf_bag_report_at(rep, p);
				printf("%s: '%s': %s\n",
				       rf_bag_problem_kind_name(pr->kind), pr->path,
				       pr->message);
			}
			printf("bag '%s': %zu payload files: %s\n", argv[i],
			       rf_bag_entry_count(bag),
			       rf_bag_report_count(rep) ? "FAILED" : "valid");
			status = rf_error_exit_status(rf_bag_report_status(rep));
		} else {
			status = cli_error("verify", rc);
		}
	}
	status = cli_dist_end(d, status, parts);
	free(known);
	rf_buf_free(&mine);
	rf_bag_report_free(rep);
	rf_bag_free(bag);
	return cli_finish(status);
}
