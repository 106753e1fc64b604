/* Spot-checking a long replay without re-running it (proof-of-learning, Jia
 * et al., IEEE S&P 2021): the author ships checkpoints along the run; the
 * reviewer first checks that the index, the checkpoint files, the log and
 * the summary hold together (no re-run), then re-runs a few segments drawn
 * with the reviewer's seed from their start checkpoints and compares each
 * segment's log rows and end checkpoint with the author's.  A run with a
 * fraction f of its segments faked passes s random segments with
 * probability at most (1-f)^s. */
#include <jansson.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "referee/digest.h"
#include "referee/error.h"
#include "referee/file.h"
#include "referee/manifest.h"
#include "referee/path.h"
#include "referee/replay.h"
#include "replay/replay_ckpt.h"
#include "replay/replay_run.h"
#include "replay/task.h"
#include "replay_files.h"

#define LOG_MAX_BYTES ((long long)256 << 20)

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

typedef struct spot_ctx {
	const char *dir;
	rf_replay_recipe r;
	rf_buf recipe_text;
	rf_ckpt_index ix;
	char ix_sha[65];
	long *line_at; /* lines of log.jsonl before each checkpoint's log_bytes */
	long long log_size;
	rf_replay_spot *out;
} spot_ctx;

static int chain_fail(spot_ctx *c, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static int chain_fail(spot_ctx *c, const char *fmt, ...)
{
	va_list ap;
	if (c->out->chain_ok) {
		c->out->chain_ok = 0;
		va_start(ap, fmt);
		vsnprintf(c->out->chain_detail, sizeof c->out->chain_detail, fmt, ap);
		va_end(ap);
	}
	return 0;
}

/* The checkpoints the recipe implies: 0, every, 2 every, ..., steps. */
static int check_steps(spot_ctx *c)
{
	const rf_ckpt_index *ix = &c->ix;
	const rf_replay_recipe *r = &c->r;
	int want = 0, done = 0;
	for (size_t i = 0; i <= ix->n; i++) {
		const rf_ckpt *k = i < ix->n ? &ix->at[i] : NULL;
		if (done) {
			if (k)
				return chain_fail(c,
						  "checkpoints/index.json: checkpoint %zu "
						  "(step %d) comes after the last step",
						  i, k->step);
			break;
		}
		if (!k)
			return chain_fail(c,
					  "checkpoints/index.json: no checkpoint at step "
					  "%d (dropped?)",
					  want);
		if (k->step != want)
			return chain_fail(c,
					  "checkpoints/index.json: checkpoint %zu is at "
					  "step %d, expected step %d (dropped or "
					  "reordered)",
					  i, k->step, want);
		if (k->adam_t != k->step * r->grpo.inner)
			return chain_fail(c,
					  "checkpoints/index.json: step %d: %d AdamW "
					  "steps, the recipe makes %d",
					  k->step, k->adam_t, k->step * r->grpo.inner);
		if (k->next_draw != (uint64_t)k->step + 1)
			return chain_fail(c,
					  "checkpoints/index.json: step %d: the RNG is "
					  "at step %llu, expected %d",
					  k->step, (unsigned long long)k->next_draw,
					  k->step + 1);
		if ((k->reference == RF_CKPT_REF_NONE) != !(r->grpo.beta > 0))
			return chain_fail(c,
					  "checkpoints/index.json: step %d: reference "
					  "model %s, the recipe's kl-coef says otherwise",
					  k->step, k->reference ? "present" : "absent");
		done = k->step == r->grpo.steps;
		want = want + ix->every < r->grpo.steps ? want + ix->every
							 : r->grpo.steps;
	}
	return 0;
}

/* One pass over log.jsonl: each checkpoint's log prefix has the digest the
 * index gives, ends a line, and ends with that step's row. */
static int check_log(spot_ctx *c)
{
	rf_buf p = RF_BUF_INIT;
	FILE *f = NULL;
	EVP_MD_CTX *md = EVP_MD_CTX_new(), *cp = EVP_MD_CTX_new();
	unsigned char buf[1 << 16], dig[32];
	char hex[65], last[64] = "", cur[64] = "";
	size_t curn = 0, k = 0;
	long long pos = 0;
	long lines = 0;
	int rc = 0, atstart = 1;

	if (!md || !cp || !EVP_DigestInit_ex(md, EVP_sha256(), NULL)) {
		rc = rf_error_openssl(RF_ELIB, "sha256");
		goto out;
	}
	if ((rc = rf_path_join(&p, c->dir, "log.jsonl")))
		goto out;
	if (!(f = fopen(p.data, "rb"))) {
		rc = rf_error_set(RF_EIO, "cannot open '%s'", p.data);
		goto out;
	}
	for (;;) {
		size_t n = fread(buf, 1, sizeof buf, f), i = 0;
		if (n == 0)
			break;
		while (i < n) {
			/* feed up to the next checkpoint's offset */
			long long lim = k < c->ix.n ? c->ix.at[k].log_bytes : LLONG_MAX;
			size_t take = n - i;
			if (lim - pos < (long long)take)
				take = (size_t)(lim - pos);
			for (size_t j = i; j < i + take; j++) {
				if (atstart) {
					curn = 0;
					atstart = 0;
				}
				if (buf[j] == '\n') {
					lines++;
					memcpy(last, cur, sizeof last);
					atstart = 1;
				} else if (curn < sizeof cur - 1) {
					cur[curn++] = (char)buf[j];
					cur[curn] = '\0';
				}
			}
			if (take && !EVP_DigestUpdate(md, buf + i, take)) {
				rc = rf_error_openssl(RF_ELIB, "sha256");
				goto out;
			}
			i += take;
			pos += (long long)take;
			while (k < c->ix.n && pos == c->ix.at[k].log_bytes) {
				const rf_ckpt *e = &c->ix.at[k];
				char want_e[48], want_g[48];
				if (!EVP_MD_CTX_copy_ex(cp, md) ||
				    !EVP_DigestFinal_ex(cp, dig, NULL)) {
					rc = rf_error_openssl(RF_ELIB, "sha256");
					goto out;
				}
				rf_digest_to_hex(hex, dig, sizeof dig);
				c->line_at[k] = lines;
				snprintf(want_e, sizeof want_e,
					 "{\"type\":\"eval\",\"step\":%d,", e->step);
				snprintf(want_g, sizeof want_g,
					 "{\"type\":\"grpo\",\"step\":%d,", e->step);
				if (strcmp(hex, e->log_sha256)) {
					chain_fail(c,
						   "log.jsonl: its first %lld bytes hash to "
						   "%.16s..., the checkpoint at step %d "
						   "says %.16s...",
						   e->log_bytes, hex, e->step,
						   e->log_sha256);
					goto out;
				}
				if (!atstart ||
				    (strncmp(last, want_e, strlen(want_e)) &&
				     strncmp(last, want_g, strlen(want_g)))) {
					chain_fail(c,
						   "log.jsonl:%ld: the checkpoint at step "
						   "%d does not follow that step's last row",
						   lines, e->step);
					goto out;
				}
				if (k > 0 && e->log_bytes <= c->ix.at[k - 1].log_bytes) {
					chain_fail(c,
						   "checkpoints/index.json: step %d's log "
						   "does not grow",
						   e->step);
					goto out;
				}
				k++;
			}
		}
		if (pos > LOG_MAX_BYTES) {
			rc = rf_error_set(RF_ELIMIT, "'%s': larger than %lld bytes",
					  p.data, LOG_MAX_BYTES);
			goto out;
		}
	}
	if (ferror(f)) {
		rc = rf_error_set(RF_EIO, "cannot read '%s'", p.data);
		goto out;
	}
	c->log_size = pos;
	if (k < c->ix.n)
		chain_fail(c,
			   "log.jsonl: %lld bytes, but the checkpoint at step %d "
			   "says its log is %lld bytes",
			   pos, c->ix.at[k].step, c->ix.at[k].log_bytes);
	else if (c->ix.n && pos != c->ix.at[c->ix.n - 1].log_bytes)
		chain_fail(c,
			   "log.jsonl: %lld bytes, but it should end at the last "
			   "checkpoint (%lld bytes)",
			   pos, c->ix.at[c->ix.n - 1].log_bytes);
out:
	if (f)
		fclose(f);
	EVP_MD_CTX_free(md);
	EVP_MD_CTX_free(cp);
	rf_buf_free(&p);
	return rc;
}

/* The summary names the index and the last checkpoint. */
static int check_summary(spot_ctx *c, const rf_replay_files *files)
{
	json_t *s = files->summary;
	const char *ixs = json_string_value(json_object_get(s, "checkpoints_index_sha256"));
	const char *w = json_string_value(json_object_get(s, "weights_sha256"));
	const char *rd = json_string_value(json_object_get(s, "recipe_digest"));
	json_t *every = json_object_get(s, "checkpoint_every");
	const rf_ckpt *last = &c->ix.at[c->ix.n - 1];
	char why[256];
	if (!ixs || strcmp(ixs, c->ix_sha))
		return chain_fail(c,
				  "summary.json: checkpoints_index_sha256 is %.16s, "
				  "checkpoints/index.json hashes to %.16s...",
				  ixs ? ixs : "absent", c->ix_sha);
	if (!json_is_integer(every) || json_integer_value(every) != c->ix.every)
		return chain_fail(c,
				  "summary.json: checkpoint_every differs from the "
				  "index's %d",
				  c->ix.every);
	if (!w || strcmp(w, last->file[RF_CKPT_MODEL]))
		return chain_fail(c,
				  "summary.json: weights_sha256 is not the last "
				  "checkpoint's model.safetensors");
	if (strcmp(files->log_sha256, last->log_sha256))
		return chain_fail(c, "log.jsonl is not the log of the last checkpoint");
	if (rd && strcmp(rd, c->ix.recipe_digest))
		return chain_fail(c,
				  "summary.json: recipe_digest differs from the "
				  "checkpoint index's");
	if (rf_replay_files_inconsistent(files, why, sizeof why))
		return chain_fail(c, "%s", why);
	return 0;
}

/* Every file the index lists hashes to its digest; a missing one is noted
 * (the segments starting there cannot be re-run). */
static int check_files(spot_ctx *c, int *missing)
{
	rf_buf b = RF_BUF_INIT;
	int rc = 0;
	for (size_t i = 0; i < c->ix.n && !rc; i++) {
		missing[i] = 0;
		for (int f = 0; f < RF_CKPT_NFILES && !rc; f++) {
			if (!c->ix.at[i].file[f][0])
				continue;
			rc = rf_ckpt_read_file(&b, c->dir, &c->ix.at[i], f);
			if (rc == RF_ENOTFOUND) {
				missing[i] = 1;
				rc = 0;
			} else if (rc == RF_EFORMAT) {
				chain_fail(c, "%s", rf_error_last());
				rc = 0;
			}
		}
	}
	rf_buf_free(&b);
	return rc;
}

/* Bytes [a, b) of the author's log. */
static int read_slice(rf_buf *out, const char *dir, long long a, long long b)
{
	rf_buf p = RF_BUF_INIT;
	FILE *f = NULL;
	int rc = rf_path_join(&p, dir, "log.jsonl");
	rf_buf_clear(out);
	if (!rc && (rc = rf_buf_grow(out, (size_t)(b - a) + 1)) == 0) {
		f = fopen(p.data, "rb");
		if (!f || fseeko(f, (off_t)a, SEEK_SET) ||
		    fread(out->data, 1, (size_t)(b - a), f) != (size_t)(b - a))
			rc = rf_error_set(RF_EIO, "cannot read '%s'", p.data);
		else
			out->len = (size_t)(b - a);
	}
	if (f)
		fclose(f);
	rf_buf_free(&p);
	return rc;
}

/* The first row where the re-run parts from the author's log slice, with
 * its first differing field. */
static void first_parting(rf_replay_segment *s, const rf_buf *a, const rf_buf *b,
			  long line0)
{
	size_t i = 0, j = 0;
	long line = line0;
	while (i < a->len || j < b->len) {
		const char *ra = a->data + i, *rb = b->data + j;
		const char *ea = i < a->len ? memchr(ra, '\n', a->len - i) : NULL;
		const char *eb = j < b->len ? memchr(rb, '\n', b->len - j) : NULL;
		size_t na = ea ? (size_t)(ea - ra) : a->len - i;
		size_t nb = eb ? (size_t)(eb - rb) : b->len - j;
		line++;
		if (i >= a->len || j >= b->len) {
			s->line = line;
			snprintf(s->detail, sizeof s->detail,
				 i >= a->len ? "the re-run logs more rows than the "
					       "author's segment"
					     : "the re-run's segment ends before this row");
			return;
		}
		if (na != nb || memcmp(ra, rb, na)) {
			json_t *x = json_loadb(ra, na, 0, NULL), *y = json_loadb(rb, nb, 0, NULL);
			const char *key;
			json_t *v;
			s->line = line;
			snprintf(s->detail, sizeof s->detail, "the rows differ");
			json_object_foreach(x, key, v) {
				json_t *w = json_object_get(y, key);
				if (w && json_equal(v, w))
					continue;
				snprintf(s->detail, sizeof s->detail,
					 "%.24s %s step %lld: %.40s is %.9g in the "
					 "author's log, %.9g in the re-run",
					 "row", json_string_value(json_object_get(x, "type"))
						? json_string_value(json_object_get(x, "type"))
						: "?",
					 (long long)json_integer_value(json_object_get(x, "step")),
					 key, json_number_value(v),
					 w ? json_number_value(w) : NAN);
				break;
			}
			json_decref(x);
			json_decref(y);
			return;
		}
		i += na + 1;
		j += nb + 1;
	}
}

/* Re-run segment `s` (from checkpoint index a to b; a < 0: from the seed)
 * and compare. */
static int run_segment(spot_ctx *c, rf_replay_segment *s, long a, size_t b,
		       const rf_replay_options *ropt)
{
	rf_replay_span sp;
	rf_buf rows = RF_BUF_INIT, author = RF_BUF_INIT;
	rf_ckpt end;
	const rf_ckpt *e = &c->ix.at[b];
	long long from_bytes = a >= 0 ? c->ix.at[a].log_bytes : 0;
	double t0 = now_s();
	int rc;

	memset(&sp, 0, sizeof sp);
	sp.from_dir = c->dir;
	sp.from_ix = &c->ix;
	sp.from = a >= 0 ? &c->ix.at[a] : NULL;
	sp.segment = 1;
	sp.stop_step = e->step;
	sp.log_out = &rows;
	sp.end_out = &end;
	rc = rf_replay_run_span(&c->r, NULL, ropt, &sp);
	if (rc == RF_EFORMAT) {
		/* a start checkpoint that does not load is the author's fault */
		s->status = RF_SEGMENT_DIFFERS;
		snprintf(s->detail, sizeof s->detail, "%s", rf_error_last());
		rc = 0;
		goto out;
	}
	if (rc || (rc = read_slice(&author, c->dir, from_bytes, e->log_bytes)))
		goto out;
	s->status = RF_SEGMENT_AGREES;
	if (rows.len != author.len || memcmp(rows.data, author.data, rows.len)) {
		s->status = RF_SEGMENT_DIFFERS;
		first_parting(s, &author, &rows, a >= 0 ? c->line_at[a] : 0);
		goto out;
	}
	for (int f = 0; f < RF_CKPT_NFILES; f++) {
		if (strcmp(end.file[f], e->file[f])) {
			s->status = RF_SEGMENT_DIFFERS;
			snprintf(s->detail, sizeof s->detail,
				 "the re-run ends with %s %.16s..., the author's "
				 "checkpoint at step %d has %.16s...",
				 rf_ckpt_file_name(f), end.file[f][0] ? end.file[f] : "(none)",
				 e->step, e->file[f][0] ? e->file[f] : "(none)");
			break;
		}
	}
	if (s->status == RF_SEGMENT_AGREES && end.reference != e->reference) {
		s->status = RF_SEGMENT_DIFFERS;
		snprintf(s->detail, sizeof s->detail,
			 "the re-run's reference model differs from the author's");
	}
out:
	s->seconds = now_s() - t0;
	rf_buf_free(&rows);
	rf_buf_free(&author);
	return rc;
}

static int load_recipe_text(spot_ctx *c)
{
	rf_buf p = RF_BUF_INIT;
	int rc = rf_path_join(&p, c->dir, "recipe.yaml");
	if (!rc)
		rc = rf_file_read(&c->recipe_text, p.data, 1u << 20);
	rf_replay_recipe_defaults(&c->r);
	if (!rc)
		rc = rf_replay_recipe_parse(&c->r,
					    c->recipe_text.data ? c->recipe_text.data : "",
					    c->recipe_text.len, p.data);
	rf_buf_free(&p);
	return rc;
}

static int recipe_digest_of(char out[65], const rf_buf *text)
{
	rf_manifest *m = NULL;
	int rc = rf_manifest_parse(&m, "recipe.yaml", text->data ? text->data : "",
				   text->len, NULL);
	if (!rc)
		rc = rf_manifest_digest(out, m);
	rf_manifest_free(m);
	return rc;
}

double rf_replay_spot_escape(int checked, int total, double f)
{
	if (checked <= 0 || !(f >= 0 && f <= 1))
		return 1;
	if (checked > total)
		checked = total;
	return pow(1 - f, checked);
}

int rf_replay_spot_check(rf_replay_spot **out, const char *dir,
			 const rf_replay_spot_options *o)
{
	spot_ctx c;
	rf_replay_spot *s;
	rf_replay_files files;
	rf_replay_options ropt;
	int *missing = NULL, *pick = NULL, rc, grid, nseg, want;
	char rdig[65];
	double t0 = now_s();

	*out = NULL;
	memset(&c, 0, sizeof c);
	memset(&files, 0, sizeof files);
	c.dir = dir;
	if (!(s = calloc(1, sizeof *s)))
		return rf_error_set(RF_ENOMEM, "out of memory");
	c.out = s;
	s->chain_ok = 1;
	s->seed = o ? o->seed : 0;
	if ((rc = load_recipe_text(&c)) || (rc = recipe_digest_of(rdig, &c.recipe_text)) ||
	    (rc = rf_replay_files_load(&files, dir)) ||
	    (rc = rf_ckpt_index_load(&c.ix, dir, c.ix_sha)))
		goto out;
	s->every = c.ix.every;
	s->grpo_steps = c.r.grpo.steps;
	if (strcmp(rdig, c.ix.recipe_digest))
		chain_fail(&c,
			   "checkpoints/index.json: made with recipe %.16s..., "
			   "recipe.yaml is %.16s...",
			   c.ix.recipe_digest, rdig);
	if (c.ix.seed != c.r.seed)
		chain_fail(&c,
			   "checkpoints/index.json: RNG seed %llu, the recipe's "
			   "is %llu",
			   (unsigned long long)c.ix.seed, (unsigned long long)c.r.seed);
	c.line_at = calloc(c.ix.n, sizeof *c.line_at);
	missing = calloc(c.ix.n, sizeof *missing);
	if (!c.line_at || !missing) {
		rc = rf_error_set(RF_ENOMEM, "out of memory");
		goto out;
	}
	if ((rc = check_steps(&c)))
		goto out;
	if (s->chain_ok && ((rc = check_log(&c)) || (rc = check_summary(&c, &files))))
		goto out;
	if ((rc = check_files(&c, missing)))
		goto out;

	/* the segments: the warm-start, then GRPO in spans of `grid` steps
	 * (a multiple of the checkpoint interval) */
	grid = o && o->segment_steps > 0 ? o->segment_steps : c.ix.every;
	if (grid % c.ix.every) {
		rc = rf_error_set(RF_EINVAL,
				  "--segment-steps %d: checkpoints are every %d steps; "
				  "use a multiple",
				  grid, c.ix.every);
		goto out;
	}
	nseg = 1 + (c.r.grpo.steps + grid - 1) / grid;
	s->total = nseg;
	s->segment_steps = grid;
	want = o && o->segments > 0 ? o->segments : RF_REPLAY_SPOT_DEFAULT_S;
	if (want > nseg)
		want = nseg;
	if (!s->chain_ok) /* nothing to re-run against */
		want = 0;
	pick = malloc((size_t)nseg * sizeof *pick);
	s->seg = calloc((size_t)(want ? want : 1), sizeof *s->seg);
	if (!pick || !s->seg) {
		rc = rf_error_set(RF_ENOMEM, "out of memory");
		goto out;
	}
	/* a partial Fisher-Yates shuffle driven by the reviewer's seed */
	for (int i = 0; i < nseg; i++)
		pick[i] = i;
	for (int i = 0; i < want; i++) {
		rf_draw d = {s->seed, 0x73706f74u /* "spot" */, (uint64_t)i, 0};
		int j = i + (int)rf_draw_below(&d, (uint32_t)(nseg - i));
		int t = pick[i];
		pick[i] = pick[j];
		pick[j] = t;
	}
	for (int i = 1; i < want; i++) /* in order of step */
		for (int j = i; j > 0 && pick[j - 1] > pick[j]; j--) {
			int t = pick[j];
			pick[j] = pick[j - 1];
			pick[j - 1] = t;
		}
	s->drawn = want;
	s->nseg = (size_t)want;
	if (o)
		ropt = o->run;
	else
		memset(&ropt, 0, sizeof ropt);
	ropt.recipe_text = c.recipe_text.data;
	ropt.recipe_len = c.recipe_text.len;
	ropt.checkpoint_every = c.ix.every;
	ropt.write_batches = 0;
	for (int i = 0; i < want; i++) {
		rf_replay_segment *g = &s->seg[i];
		int k = pick[i];
		long a = -1;
		size_t b;
		g->index = k;
		g->from = k == 0 ? -1 : (k - 1) * grid;
		g->to = k == 0 ? 0
			       : (k * grid < c.r.grpo.steps ? k * grid : c.r.grpo.steps);
		/* checkpoint positions: step s is at index s / every, the last
		 * step at the end */
		b = g->to == c.r.grpo.steps ? c.ix.n - 1 : (size_t)(g->to / c.ix.every);
		if (k > 0)
			a = g->from / c.ix.every;
		if (a >= 0 && missing[a]) {
			g->status = RF_SEGMENT_NOT_SHIPPED;
			snprintf(g->detail, sizeof g->detail,
				 "the checkpoint at step %d is not shipped", g->from);
			continue;
		}
		if (o && o->budget_s > 0 && s->checked > 0 &&
		    now_s() - t0 + (now_s() - t0) / s->checked > o->budget_s) {
			g->status = RF_SEGMENT_SKIPPED;
			snprintf(g->detail, sizeof g->detail,
				 "not re-run: the time budget (%.0f s) is spent",
				 o->budget_s);
			continue;
		}
		if ((rc = run_segment(&c, g, a, b, &ropt)))
			goto out;
		s->checked++;
		s->agreed += g->status == RF_SEGMENT_AGREES;
	}
	s->confirmed = s->chain_ok && s->drawn > 0 && s->checked == s->drawn &&
		       s->agreed == s->checked;
	s->seconds = now_s() - t0;
out:
	free(pick);
	free(missing);
	free(c.line_at);
	rf_buf_free(&c.recipe_text);
	rf_ckpt_index_free(&c.ix);
	rf_replay_files_free(&files);
	if (rc) {
		rf_replay_spot_free(s);
		return rc;
	}
	*out = s;
	return 0;
}

void rf_replay_spot_free(rf_replay_spot *s)
{
	if (!s)
		return;
	free(s->seg);
	free(s);
}

int rf_replay_spot_seed_random(uint64_t *seed)
{
	FILE *f = fopen("/dev/urandom", "rb");
	int ok = f && fread(seed, sizeof *seed, 1, f) == 1;
	if (f)
		fclose(f);
	return ok ? 0 : rf_error_set(RF_EIO, "cannot read /dev/urandom");
}

int rf_replay_checkpointed(const char *dir)
{
	rf_buf p = RF_BUF_INIT, b = RF_BUF_INIT;
	json_t *o = NULL, *v;
	int every = 0;
	if (!rf_path_join(&p, dir, "summary.json") &&
	    !rf_file_read(&b, p.data, 1u << 20) &&
	    (o = json_loadb(b.data ? b.data : "", b.len, 0, NULL)) &&
	    json_is_integer(v = json_object_get(o, "checkpoint_every")) &&
	    json_integer_value(v) > 0 && json_integer_value(v) <= 1000000000LL)
		every = (int)json_integer_value(v);
	json_decref(o);
	rf_buf_free(&p);
	rf_buf_free(&b);
	rf_error_clear();
	return every;
}
