/* referee CLI — what pack and verify share: the progress line, human
 * sizes, JSON strings. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "bagcli.h"

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

void cli_human_size(char *buf, size_t size, uint64_t bytes)
{
	static const char *const units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
	double v = (double)bytes;
	int u = 0;
	while (v >= 1024 && u < 4) {
		v /= 1024;
		u++;
	}
	if (u == 0)
		snprintf(buf, size, "%llu B", (unsigned long long)bytes);
	else
		snprintf(buf, size, "%.1f %s", v, units[u]);
}

void cli_progress_start(struct cli_progress *p, const char *what, int quiet)
{
	p->what = what;
	p->enabled = cli_progress_allowed(quiet);
	p->start = p->last = now();
	p->shown = 0;
	/* Tests (and the impatient) can skip the one-second grace period. */
	p->immediate = getenv("REFEREE_PROGRESS") &&
		       !strcmp(getenv("REFEREE_PROGRESS"), "now");
}

void cli_progress_update(void *ctx, uint64_t bytes_done, uint64_t bytes_total,
			 size_t files_done, size_t files_total)
{
	struct cli_progress *p = ctx;
	char done[32], total[32];
	double t;
	if (!p || !p->enabled)
		return;
	t = now();
	/* Quick runs stay silent; long ones update at most 10 times a second.
	 */
	if (!p->immediate && (t - p->start < 1.0 ||
			      (t - p->last < 0.1 && files_done < files_total)))
		return;
	p->last = t;
	p->shown = 1;
	cli_human_size(done, sizeof done, bytes_done);
	cli_human_size(total, sizeof total, bytes_total);
	if (bytes_total)
		fprintf(stderr, "\r%s: %zu/%zu files, %s of %s (%.0f%%)\033[K",
			p->what, files_done, files_total, done, total,
			100.0 * (double)bytes_done / (double)bytes_total);
	else
		fprintf(stderr, "\r%s: %zu/%zu files\033[K", p->what,
			files_done, files_total);
	fflush(stderr);
}

void cli_progress_end(struct cli_progress *p)
{
	if (p->enabled && p->shown)
		fprintf(stderr, "\r\033[K");
	p->shown = 0;
}

void cli_json_string(FILE *f, const char *s)
{
	fputc('"', f);
	for (const unsigned char *c = (const unsigned char *)s; *c; c++) {
		switch (*c) {
		case '"':
			fputs("\\\"", f);
			break;
		case '\\':
			fputs("\\\\", f);
			break;
		case '\n':
			fputs("\\n", f);
			break;
		case '\r':
			fputs("\\r", f);
			break;
		case '\t':
			fputs("\\t", f);
			break;
		default:
			if (*c < 0x20 || *c == 0x7f)
				fprintf(f, "\\u%04x", *c);
			else
				fputc(*c, f);
		}
	}
	fputc('"', f);
}

const char *cli_tty(const char *s)
{
	static rf_buf ring[8];
	static unsigned next;
	rf_buf *b = &ring[next++ % 8];
	rf_buf_clear(b);
	if (rf_escape(b, s, RF_ESCAPE_TERMINAL))
		return "(out of memory)";
	return b->data ? b->data : "";
}
