/* libFuzzer harness: an author's replay as evidence.  The input up to its
 * first NUL byte is log.jsonl, the rest summary.json; then
 * rf_replay_files_load (every row and the summary validated) and the
 * summary-against-log comparison run. */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "referee/referee.h"
#include "replay/replay_files.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char dir[64];

static void put(const char *name, const void *p, size_t len)
{
	char path[128];
	FILE *f;
	snprintf(path, sizeof path, "%s/%s", dir, name);
	f = fopen(path, "wb");
	if (!f || (len && fwrite(p, 1, len, f) != len) || fclose(f))
		abort();
}

static void cleanup(void)
{
	rf_dir_remove_tree(dir);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	rf_replay_files f;
	const uint8_t *nul;
	size_t loglen;
	char why[256];
	if (!dir[0]) {
		snprintf(dir, sizeof dir, "/tmp/rf-fuzz-replay-XXXXXX");
		if (!mkdtemp(dir))
			abort();
		atexit(cleanup);
	}
	nul = memchr(data, '\0', size);
	loglen = nul ? (size_t)(nul - data) : size;
	put("log.jsonl", data, loglen);
	put("summary.json", nul ? nul + 1 : (const uint8_t *)"", nul ? size - loglen - 1 : 0);
	memset(&f, 0, sizeof f);
	if (rf_replay_files_load(&f, dir) == 0) {
		rf_replay_files_inconsistent(&f, why, sizeof why);
		rf_replay_files_summary_number(&f, "final_accuracy");
	}
	rf_replay_files_free(&f);
	return 0;
}
