/* Re-scoring rollouts: read JSON Lines in batches, parse and score each
 * line's completions on the thread pool, group samples into problems in
 * input order, vote, and fold each finished problem into the summary and
 * the streaming bootstrap.  Only the current batch, the problem still
 * open, and the ids of the problems already closed (rescore/idset.h) are
 * held in memory. */
#include <errno.h>
#include <stdarg.h>
#include <math.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "referee/error.h"
#include "referee/pool.h"
#include "referee/rescore.h"
#include "rescore/format.h"
#include "rescore/json_scan.h"
#include "rescore/idset.h"
#include "rescore/metrics.h"

#define BATCH_LINES 1024
#define BATCH_BYTES ((size_t)64 << 20)

/* One input line and what scoring it produced. */
struct line {
	char *text;
	size_t len, lineno;
	int err;
	char *errmsg;
	char *id;
	char *reference;
	char *ref_norm;
	rf_reward_verdict *v;
	size_t nv;
	int is_group; /* the completion field was an array: a whole problem */
	int auto_id;  /* no id field: the id names the line, unique anyway */
	char *note;   /* the reader's note for every sample, or NULL */
	size_t ntrunc; /* samples flagged cut off */
};

/* One problem: its samples in order and, once closed, its figures. */
struct group {
	char *id;
	char *note;
	size_t ntrunc;
	char *reference;
	char *ref_norm;
	rf_reward_verdict *v;
	size_t *lineno;
	size_t n, cap;
	/* filled by finish_group() */
	size_t c;
	double sum_reward;
	long winner;
	unsigned char *majority;
};

struct run {
	const rf_rescore_opts *o;
	const char *name;
	size_t k;
	const struct rs_format *format;
};

static char *scalar_text(json_t *v)
{
	char tmp[64];
	if (json_is_string(v))
		return strndup(json_string_value(v), json_string_length(v));
	if (json_is_integer(v)) {
		snprintf(tmp, sizeof tmp, "%lld",
			 (long long)json_integer_value(v));
		return strdup(tmp);
	}
	if (json_is_real(v)) {
		double d = json_real_value(v);
		if (d == floor(d) && fabs(d) < 1e15)
			snprintf(tmp, sizeof tmp, "%.0f", d);
		else
			snprintf(tmp, sizeof tmp, "%.17g", d);
		return strdup(tmp);
	}
	return NULL;
}

static void line_fail(struct line *l, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void line_fail(struct line *l, int code, const char *fmt, ...)
{
	char msg[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	l->err = code;
	free(l->errmsg);
	l->errmsg = strdup(msg);
}

static void score_line(const struct run *r, struct line *l)
{
	const rf_rescore_opts *o = r->o;
	json_error_t jerr;
	json_t *root, *comp, *idv, *ans, *nums = NULL;
	const char *used;
	char tmp[600];
	struct rs_record rec;
	long numbers[64];
	size_t n_numbers = 0;
	rf_math_answer *ref = NULL;

	memset(&rec, 0, sizeof rec);
	root = rs_json_loadb(l->text, l->len, &jerr);
	free(l->text);
	l->text = NULL;
	if (!root) {
		snprintf(tmp, sizeof tmp, "column %d: %s%s", jerr.column,
			 strstr(jerr.text, "decode byte") ? "invalid UTF-8: "
							  : "",
			 jerr.text);
		line_fail(l, RF_EFORMAT, "not JSON: %s%s", tmp, "");
		return;
	}
	if (!json_is_object(root)) {
		line_fail(l, RF_EFORMAT, "not a JSON object%s%s", "", "");
		goto out;
	}
	if (r->format->read(root, &o->fields, &rec, tmp, sizeof tmp)) {
		line_fail(l, RF_EFORMAT, "%s%s", tmp, "");
		goto out;
	}
	if (rec.note[0] && !(l->note = strdup(rec.note))) {
		line_fail(l, RF_ENOMEM, "out of memory%s%s", "", "");
		goto out;
	}
	comp = rec.completions;
	used = rec.completion_field;
	if (json_is_array(comp)) {
		l->is_group = 1;
		l->nv = json_array_size(comp);
		if (l->nv == 0) {
			line_fail(l, RF_EFORMAT, "'%s' is an empty list%s",
				  used, "");
			goto out;
		}
		if (l->nv > RF_RESCORE_MAX_SAMPLES) {
			line_fail(l, RF_ELIMIT,
				  "more than 100000 completions%s%s", "", "");
			goto out;
		}
		for (size_t i = 0; i < l->nv; i++)
			if (!json_is_string(json_array_get(comp, i))) {
				snprintf(tmp, sizeof tmp, "%zu", i);
				line_fail(
				    l, RF_EFORMAT,
				    "completion %s in '%s' is not a string",
				    tmp, used);
				goto out;
			}
	} else if (json_is_string(comp)) {
		l->nv = 1;
	} else {
		line_fail(l, RF_EFORMAT,
			  "field '%s' is neither a string nor a list of "
			  "strings%s",
			  used, "");
		goto out;
	}
	idv = rec.id;
	used = rec.id_field;
	if (idv) {
		l->id = scalar_text(idv);
		if (!l->id) {
			line_fail(l, RF_EFORMAT,
				  "id field '%s' is not a string or number%s",
				  used, "");
			goto out;
		}
		if (strlen(l->id) > RF_RESCORE_MAX_ID) {
			line_fail(l, RF_ELIMIT,
				  "problem id longer than %d bytes%s",
				  RF_RESCORE_MAX_ID, "");
			goto out;
		}
	} else {
		/* no id: every line is a problem of its own */
		snprintf(tmp, sizeof tmp, "line-%zu", l->lineno);
		l->id = strdup(tmp);
		l->is_group = 1;
		l->auto_id = 1;
	}
	if (rf_reward_needs_reference(o->reward)) {
		ans = rec.answer;
		used = "reference";
		if (!ans) {
			line_fail(l, RF_EFORMAT, "%s%s", rec.no_answer, "");
			goto out;
		}
		l->reference = scalar_text(ans);
		if (!l->reference) {
			line_fail(l, RF_EFORMAT,
				  "reference field '%s' is not a string or "
				  "number%s",
				  used, "");
			goto out;
		}
		/* a worked solution carries its answer in \boxed{} */
		if (strstr(l->reference, "\\boxed") ||
		    strstr(l->reference, "\\fbox")) {
			rf_buf b = RF_BUF_INIT;
			if (!rf_math_extract(&b, l->reference,
					     strlen(l->reference),
					     RF_MATH_EXTRACT_BOXED, NULL) &&
			    !rf_buf_append(&b, "", 0)) {
				free(l->reference);
				l->reference = rf_buf_detach(&b);
			}
			rf_buf_free(&b);
			rf_error_clear();
		}
	}
	if (rf_reward_needs_numbers(o->reward)) {
		nums = rec.numbers;
		used = "nums";
		if (!json_is_array(nums) || json_array_size(nums) > 64) {
			line_fail(l, RF_EFORMAT,
				  "no list of at most 64 numbers in '%s'%s",
				  used ? used : "nums", "");
			goto out;
		}
		for (size_t i = 0; i < json_array_size(nums); i++) {
			json_t *x = json_array_get(nums, i);
			if (!json_is_integer(x)) {
				line_fail(l, RF_EFORMAT,
					  "'%s' holds a non-integer%s", used,
					  "");
				goto out;
			}
			numbers[n_numbers++] = (long)json_integer_value(x);
		}
	}
	if (l->reference && rf_reward_needs_reference(o->reward)) {
		/* parsed once for all of this line's samples; an over-long
		 * reference is left to each sample's verdict */
		if (rf_math_answer_parse(&ref, l->reference,
					 strlen(l->reference)) == 0)
			l->ref_norm = strdup(rf_math_answer_normalised(ref));
		rf_error_clear();
	}
	l->v = calloc(l->nv ? l->nv : 1, sizeof *l->v);
	if (!l->v) {
		line_fail(l, RF_ENOMEM, "out of memory%s%s", "", "");
		goto out;
	}
	for (size_t i = 0; i < l->nv; i++) {
		json_t *s =
		    json_is_array(comp) ? json_array_get(comp, i) : comp;
		json_t *tr = json_is_array(rec.truncated)
				 ? json_array_get(rec.truncated, i)
				 : rec.truncated;
		rf_reward_input in = {json_string_value(s),
				      json_string_length(s),
				      l->reference,
				      ref,
				      numbers,
				      n_numbers,
				      json_is_true(tr)};
		l->ntrunc += in.truncated != 0;
		int rc = rf_reward_score(o->reward, &l->v[i], &in);
		if (rc) {
			line_fail(l, rc, "%s%s", rf_error_last(), "");
			goto out;
		}
	}
out:
	rf_math_answer_free(ref);
	rs_record_clear(&rec);
	json_decref(root);
}

static void line_free(struct line *l)
{
	free(l->note);
	free(l->text);
	free(l->errmsg);
	free(l->id);
	free(l->reference);
	free(l->ref_norm);
	if (l->v)
		for (size_t i = 0; i < l->nv; i++)
			rf_reward_verdict_clear(&l->v[i]);
	free(l->v);
	memset(l, 0, sizeof *l);
}

static void group_free(struct group *g)
{
	free(g->id);
	free(g->note);
	free(g->reference);
	free(g->ref_norm);
	for (size_t i = 0; i < g->n; i++)
		rf_reward_verdict_clear(&g->v[i]);
	free(g->v);
	free(g->lineno);
	free(g->majority);
	memset(g, 0, sizeof *g);
}

/* Move the line's samples to the end of g (the line keeps nothing). */
static int group_take(struct group *g, struct line *l)
{
	if (g->n + l->nv > RF_RESCORE_MAX_SAMPLES)
		return rf_error_set(RF_ELIMIT,
				    "problem '%s' has more than %d samples",
				    g->id, RF_RESCORE_MAX_SAMPLES);
	if (g->n + l->nv > g->cap) {
		size_t cap = g->cap ? g->cap : 8;
		while (cap < g->n + l->nv)
			cap *= 2;
		rf_reward_verdict *v = realloc(g->v, cap * sizeof *v);
		if (!v)
			return rf_error_set(RF_ENOMEM, "out of memory");
		g->v = v;
		size_t *ln = realloc(g->lineno, cap * sizeof *ln);
		if (!ln)
			return rf_error_set(RF_ENOMEM, "out of memory");
		g->lineno = ln;
		g->cap = cap;
	}
	for (size_t i = 0; i < l->nv; i++) {
		g->v[g->n] = l->v[i];
		g->lineno[g->n] = l->lineno;
		g->n++;
		memset(&l->v[i], 0, sizeof l->v[i]);
	}
	g->ntrunc += l->ntrunc;
	if (!g->note && l->note) {
		g->note = l->note;
		l->note = NULL;
	}
	if (!g->id) {
		g->id = l->id;
		l->id = NULL;
		g->reference = l->reference;
		l->reference = NULL;
		g->ref_norm = l->ref_norm;
		l->ref_norm = NULL;
	}
	return 0;
}

static void finish_group(const struct run *r, struct group *g)
{
	size_t k = r->k;
	g->c = 0;
	g->sum_reward = 0;
	for (size_t i = 0; i < g->n; i++) {
		g->c += g->v[i].correct != 0;
		g->sum_reward += g->v[i].reward;
	}
	g->winner = -1;
	g->majority = calloc(g->n ? g->n : 1, 1);
	if (g->n >= k && k > 0) {
		size_t votes;
		g->winner = rf_majority_vote(g->v, k, &votes);
		if (g->winner >= 0 && g->majority)
			for (size_t i = 0; i < k; i++)
				g->majority[i] =
				    (long)i == g->winner ||
				    rf_reward_same_answer(&g->v[g->winner],
							  &g->v[i]);
	}
}

struct par {
	const struct run *r;
	struct line *lines;
	struct group *groups;
};

static void par_lines(void *ctx, size_t b, size_t e, int worker)
{
	struct par *p = ctx;
	for (size_t i = b; i < e; i++)
		score_line(p->r, &p->lines[i]);
}

static void par_groups(void *ctx, size_t b, size_t e, int worker)
{
	struct par *p = ctx;
	for (size_t i = b; i < e; i++)
		finish_group(p->r, &p->groups[i]);
}

/* Buffered input: fread() chunks scanned with memchr(), so that a NUL byte
 * is seen (fgets() + strlen() silently dropped the rest of its line and
 * spliced the next one on). */
struct inbuf {
	char data[65536];
	size_t pos, len;
	int eof;
};

/* Read one line into b (cleared first).  0 and *got=1 for a line, *got=0
 * at the end; RF_ELIMIT past max bytes (the rest of the line is not held:
 * memory stays bounded); RF_EFORMAT for a NUL byte, its column in *col;
 * RF_EIO on a read error. */
static int read_line(FILE *f, struct inbuf *in, rf_buf *b, size_t max,
		     int *got, size_t *col)
{
	rf_buf_clear(b);
	*got = 0;
	for (;;) {
		if (in->pos == in->len) {
			if (in->eof)
				return 0;
			in->pos = 0;
			in->len = fread(in->data, 1, sizeof in->data, f);
			if (in->len < sizeof in->data) {
				if (ferror(f))
					return RF_EIO;
				in->eof = 1;
			}
			if (in->len == 0)
				return 0;
		}
		*got = 1;
		const char *p = in->data + in->pos;
		size_t avail = in->len - in->pos;
		const char *nl = memchr(p, '\n', avail);
		size_t n = nl ? (size_t)(nl - p) + 1 : avail;
		const char *nul = memchr(p, '\0', n);
		if (nul) {
			*col = b->len + (size_t)(nul - p) + 1;
			return RF_EFORMAT;
		}
		if (b->len + n > max)
			return RF_ELIMIT;
		if (rf_buf_append(b, p, n))
			return RF_ENOMEM;
		in->pos += n;
		if (nl)
			return 0;
	}
}

static int blank_line(const rf_buf *b)
{
	for (size_t i = 0; i < b->len; i++)
		if (b->data[i] != ' ' && b->data[i] != '\t' &&
		    b->data[i] != '\r' && b->data[i] != '\n')
			return 0;
	return 1;
}

/* The input is read by a reader thread into two alternating batches, so
 * that reading the next batch overlaps scoring this one.  With one thread
 * the consumer reads inline.  Errors travel in the batch (rf_error_set()
 * is per thread). */
struct batch {
	struct line lines[BATCH_LINES];
	size_t n;
	int eof; /* nothing follows this batch */
	int rc;	 /* a read error, message in err */
	char err[300];
};

struct reader {
	FILE *f;
	const char *name;
	size_t max_line, lineno;
	rf_buf buf;
	struct inbuf *in;
	int threaded, started;
	pthread_t tid;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	struct batch *slot[2];
	int full[2];
	int stop;
};

static void batch_fail(struct batch *b, int rc, const char *name, size_t line,
		       const char *detail)
{
	b->rc = rc;
	b->eof = 1;
	snprintf(b->err, sizeof b->err, "'%s' line %zu: %s", name, line,
		 detail);
}

static void fill(struct reader *rd, struct batch *b)
{
	size_t bytes = 0;
	char msg[96];
	b->n = 0;
	b->eof = 0;
	b->rc = 0;
	while (b->n < BATCH_LINES && bytes < BATCH_BYTES) {
		size_t col = 0;
		int got, rc = read_line(rd->f, rd->in, &rd->buf, rd->max_line,
					&got, &col);
		if (rc == RF_ELIMIT) {
			snprintf(msg, sizeof msg, "line longer than %zu bytes",
				 rd->max_line);
			batch_fail(b, RF_ELIMIT, rd->name, rd->lineno + 1, msg);
			return;
		}
		if (rc == RF_EFORMAT) {
			snprintf(msg, sizeof msg,
				 "column %zu: a NUL byte (not a JSON Lines "
				 "text line)",
				 col);
			batch_fail(b, RF_EFORMAT, rd->name, rd->lineno + 1, msg);
			return;
		}
		if (rc == RF_EIO) {
			snprintf(msg, sizeof msg, "read error: %s",
				 strerror(errno));
			batch_fail(b, RF_EIO, rd->name, rd->lineno + 1, msg);
			return;
		}
		if (rc) {
			batch_fail(b, RF_ENOMEM, rd->name, rd->lineno + 1,
				   "out of memory");
			return;
		}
		if (!got) {
			b->eof = 1;
			return;
		}
		rd->lineno++;
		if (blank_line(&rd->buf))
			continue;
		struct line *l = &b->lines[b->n];
		memset(l, 0, sizeof *l);
		l->lineno = rd->lineno;
		l->len = rd->buf.len;
		/* a copy of exact size: the read buffer keeps its capacity,
		 * instead of growing from nothing again for every line */
		l->text = malloc(rd->buf.len + 1);
		if (l->text)
			memcpy(l->text, rd->buf.data, rd->buf.len + 1);
		if (!l->text) {
			batch_fail(b, RF_ENOMEM, rd->name, rd->lineno,
				   "out of memory");
			return;
		}
		bytes += l->len;
		b->n++;
	}
}

static void *reader_main(void *arg)
{
	struct reader *rd = arg;
	for (int s = 0;; s ^= 1) {
		int done;
		pthread_mutex_lock(&rd->mu);
		while (rd->full[s] && !rd->stop)
			pthread_cond_wait(&rd->cv, &rd->mu);
		done = rd->stop;
		pthread_mutex_unlock(&rd->mu);
		if (done)
			break;
		fill(rd, rd->slot[s]);
		pthread_mutex_lock(&rd->mu);
		rd->full[s] = 1;
		done = rd->slot[s]->eof;
		pthread_cond_broadcast(&rd->cv);
		pthread_mutex_unlock(&rd->mu);
		if (done)
			break;
	}
	return NULL;
}

/* The next batch in order (slot s). */
static struct batch *reader_next(struct reader *rd, int s)
{
	if (!rd->threaded) {
		fill(rd, rd->slot[s]);
		return rd->slot[s];
	}
	pthread_mutex_lock(&rd->mu);
	while (!rd->full[s])
		pthread_cond_wait(&rd->cv, &rd->mu);
	pthread_mutex_unlock(&rd->mu);
	return rd->slot[s];
}

/* Hand slot s back to the reader (its lines already freed). */
static void reader_release(struct reader *rd, int s)
{
	rd->slot[s]->n = 0;
	if (!rd->threaded)
		return;
	pthread_mutex_lock(&rd->mu);
	rd->full[s] = 0;
	pthread_cond_broadcast(&rd->cv);
	pthread_mutex_unlock(&rd->mu);
}

static int reader_start(struct reader *rd, FILE *f, const char *name,
			size_t max_line, int threaded)
{
	memset(rd, 0, sizeof *rd);
	rd->f = f;
	rd->name = name;
	rd->max_line = max_line;
	rd->slot[0] = calloc(1, sizeof *rd->slot[0]);
	rd->slot[1] = calloc(1, sizeof *rd->slot[1]);
	rd->in = calloc(1, sizeof *rd->in);
	if (!rd->slot[0] || !rd->slot[1] || !rd->in)
		return rf_error_set(RF_ENOMEM, "out of memory");
	pthread_mutex_init(&rd->mu, NULL);
	pthread_cond_init(&rd->cv, NULL);
	rd->threaded = threaded;
	if (threaded) {
		if (pthread_create(&rd->tid, NULL, reader_main, rd) != 0)
			rd->threaded = 0; /* read inline instead */
		else
			rd->started = 1;
	}
	return 0;
}

static void reader_stop(struct reader *rd)
{
	if (rd->started) {
		pthread_mutex_lock(&rd->mu);
		rd->stop = 1;
		pthread_cond_broadcast(&rd->cv);
		pthread_mutex_unlock(&rd->mu);
		pthread_join(rd->tid, NULL);
	}
	for (int s = 0; s < 2; s++) {
		if (!rd->slot[s])
			continue;
		for (size_t i = 0; i < rd->slot[s]->n; i++)
			line_free(&rd->slot[s]->lines[i]);
		free(rd->slot[s]);
	}
	if (rd->slot[0] || rd->slot[1]) {
		pthread_mutex_destroy(&rd->mu);
		pthread_cond_destroy(&rd->cv);
	}
	rf_buf_free(&rd->buf);
	free(rd->in);
	memset(rd, 0, sizeof *rd);
}

/* A line that opens a problem: its id must be new.  An id that comes back
 * after another one would otherwise be counted as a second problem (wrong
 * pass@k for interleaved output, with no warning); one-problem-per-line
 * files with a repeated id likewise. */
static int check_new_id(struct rs_idset *ids, const struct line *l,
			const char *name)
{
	size_t first = 0;
	int rc;
	if (l->auto_id)
		return 0;
	rc = rs_idset_add(ids, l->id, strlen(l->id), l->lineno, &first);
	if (rc < 0)
		return rf_error_wrap(rc, "'%s' line %zu", name, l->lineno);
	if (rc == 0)
		return 0;
	/* the id shortened so that both line numbers fit the message
	 * (rf_error_set() already masks control bytes) */
	return rf_error_set(RF_EFORMAT,
			    "'%s' line %zu: problem id '%.80s%s' already seen "
			    "at line %zu (a problem's lines must be "
			    "consecutive)",
			    name, l->lineno, l->id,
			    strlen(l->id) > 80 ? "..." : "", first);
}

struct acc {
	double sum[RS_NMETRICS];
	size_t cnt[RS_NMETRICS];
	struct rs_boot boot;
	/* this batch's per-problem values, folded into the bootstrap together
	 */
	double *val;
	int *present;
	size_t nbatch, first;
};

static int emit_group(const struct run *r, struct group *g, size_t problem,
		      rf_rescore_summary *s, struct acc *a)
{
	const rf_rescore_opts *o = r->o;
	double val[RS_NMETRICS];
	int present[RS_NMETRICS] = {1, 1, 0, 0};
	if (o->on_sample) {
		for (size_t i = 0; i < g->n; i++) {
			rf_rescore_sample smp = {g->id,
						 g->lineno[i],
						 problem,
						 i,
						 g->reference ? g->reference
							      : "",
						 g->ref_norm ? g->ref_norm : "",
						 &g->v[i],
						 g->n >= r->k && i < r->k,
						 g->majority && g->majority[i],
						 g->note ? g->note : ""};
			int rc = o->on_sample(o->ctx, &smp);
			if (rc)
				return rc;
		}
	}
	s->problems++;
	s->samples += g->n;
	if (g->note)
		s->noted += g->n;
	s->truncated += g->ntrunc;
	s->correct += g->c;
	if (s->problems == 1 || g->n < s->n_min)
		s->n_min = g->n;
	if (g->n > s->n_max)
		s->n_max = g->n;
	for (size_t i = 0; i < g->n; i++)
		s->no_answer += g->v[i].answer.len == 0;
	val[RS_MEAN] = g->n ? g->sum_reward / (double)g->n : 0;
	val[RS_PASS1] = g->n ? (double)g->c / (double)g->n : 0;
	val[RS_PASSK] = val[RS_CONSK] = 0;
	if (g->n >= r->k) {
		present[RS_PASSK] = present[RS_CONSK] = 1;
		val[RS_PASSK] = rf_pass_at_k(g->n, g->c, r->k);
		val[RS_CONSK] = g->winner >= 0 && g->v[g->winner].correct;
	} else {
		s->short_problems++;
	}
	for (int m = 0; m < RS_NMETRICS; m++)
		if (present[m]) {
			a->sum[m] += val[m];
			a->cnt[m]++;
		}
	if (a->nbatch == 0)
		a->first = problem;
	memcpy(a->val + a->nbatch * RS_NMETRICS, val, sizeof val);
	memcpy(a->present + a->nbatch * RS_NMETRICS, present, sizeof present);
	a->nbatch++;
	return 0;
}

static void set_metric(rf_metric *m, const struct acc *a, int i)
{
	m->problems = a->cnt[i];
	m->value = a->cnt[i] ? a->sum[i] / (double)a->cnt[i] : NAN;
	rs_boot_interval(&a->boot, i, &m->lo, &m->hi);
}

int rf_rescore_stream(rf_rescore_summary *out, FILE *f, const char *name,
		      const rf_rescore_opts *o)
{
	struct run r = {o, name, o ? o->k : 0, NULL};
	struct group open = {0};
	struct group *ready = NULL;
	size_t nready = 0, problem = 0;
	struct reader rd;
	struct rs_idset ids;
	rf_pool *pool = NULL;
	struct acc acc;
	int rc = 0, eof = 0, have_open = 0, slot = 0;
	size_t max_line;

	memset(out, 0, sizeof *out);
	memset(&acc, 0, sizeof acc);
	memset(&rd, 0, sizeof rd);
	rs_idset_init(&ids, NULL);
	if (!o || !o->reward)
		return rf_error_set(RF_EINVAL, "rescore: no reward given");
	max_line = o->max_line ? o->max_line : RF_RESCORE_MAX_LINE;
	/* fields mapped by name: the generic reader, unless a format is named */
	if ((!o->format || !strcmp(o->format, "auto")) &&
	    (o->fields.id || o->fields.completion || o->fields.answer ||
	     o->fields.numbers))
		r.format = &rs_format_jsonl;
	if (o->format && strcmp(o->format, "auto")) {
		r.format = rs_format_find(o->format);
		if (!r.format)
			return rf_error_set(RF_EINVAL,
					    "rescore: unknown format '%.40s' "
					    "(jsonl, qwen-math, verl, lm-eval, "
					    "openai-chat, vllm)",
					    o->format);
	}
	out->seed = o->seed ? o->seed : RF_RESCORE_SEED;
	out->bootstrap = o->bootstrap == 0  ? RF_RESCORE_BOOTSTRAP
			 : o->bootstrap < 0 ? 0
					    : o->bootstrap;
	if (out->bootstrap > 100000)
		return rf_error_set(
		    RF_EINVAL, "rescore: at most 100000 bootstrap replicates");
	if (rs_boot_init(&acc.boot, out->bootstrap, out->seed)) {
		rs_boot_free(&acc.boot);
		return rf_error_set(RF_ENOMEM, "out of memory");
	}
	if ((rc = rf_pool_new(&pool, o->threads)) != 0)
		goto out;
	acc.val = calloc((2 * BATCH_LINES + 2) * RS_NMETRICS, sizeof *acc.val);
	acc.present =
	    calloc((2 * BATCH_LINES + 2) * RS_NMETRICS, sizeof *acc.present);
	/* a line can close the open problem and be one itself: two per line */
	ready = calloc(2 * BATCH_LINES + 2, sizeof *ready);
	if (!ready || !acc.val || !acc.present) {
		rc = rf_error_set(RF_ENOMEM, "out of memory");
		goto out;
	}
	if ((rc = reader_start(&rd, f, name, max_line,
			       rf_pool_threads(pool) > 1)) != 0)
		goto out;
	while (!eof) {
		/* 1. the next batch of lines (read while the last one was
		 * scored) */
		struct batch *b = reader_next(&rd, slot);
		struct line *lines = b->lines;
		size_t n = b->n;
		struct par par = {&r, lines, ready};
		if (b->rc) {
			rc = rf_error_set(b->rc, "%s", b->err);
			goto out;
		}
		eof = b->eof;
		if (!r.format && n) {
			/* the format: named, or told by the first line */
			json_t *first = json_loadb(lines[0].text, lines[0].len,
						   0, NULL);
			char why[200] = "";
			r.format = rs_format_detect(first, why, sizeof why);
			json_decref(first);
			if (!r.format) {
				rc = rf_error_set(RF_EFORMAT, "'%s' line %zu: %s",
						  name, lines[0].lineno, why);
				goto out;
			}
		}
		/* 2. parse and score the batch's lines in parallel */
		rf_pool_for(pool, n, 1, par_lines, &par);
		/* 3. group samples into problems, in input order */
		for (size_t i = 0; i < n && !rc; i++) {
			struct line *l = &lines[i];
			if (l->err) {
				rc = rf_error_set(
				    l->err, "'%s' line %zu: %s", name,
				    l->lineno, l->errmsg ? l->errmsg : "error");
				break;
			}
			if (have_open &&
			    (l->is_group || strcmp(open.id, l->id))) {
				ready[nready++] = open;
				memset(&open, 0, sizeof open);
				have_open = 0;
			}
			if (!have_open &&
			    (rc = check_new_id(&ids, l, name)) != 0)
				break;
			if (!have_open && r.k == 0 && problem + nready == 0 &&
			    l->is_group)
				r.k = l->nv;
			if ((rc = group_take(&open, l)) != 0) {
				rf_error_wrap(rc, "'%s' line %zu", name,
					      l->lineno);
				break;
			}
			have_open = 1;
			if (l->is_group) {
				ready[nready++] = open;
				memset(&open, 0, sizeof open);
				have_open = 0;
			}
			line_free(l);
			if (nready >= BATCH_LINES || (i + 1 == n && nready)) {
				/* k defaults to the first problem's sample
				 * count */
				if (r.k == 0)
					r.k = ready[0].n;
				/* 4. vote in parallel, then fold in order */
				par.groups = ready;
				rf_pool_for(pool, nready, 1, par_groups, &par);
				for (size_t g = 0; g < nready; g++) {
					if (!rc)
						rc = emit_group(&r, &ready[g],
								problem++, out,
								&acc);
					group_free(&ready[g]);
				}
				nready = 0;
				rs_boot_add_many(&acc.boot, pool, acc.first,
						 acc.val, acc.present,
						 acc.nbatch);
				acc.nbatch = 0;
			}
		}
		for (size_t i = 0; i < n; i++)
			line_free(&lines[i]);
		if (rc)
			goto out;
		reader_release(&rd, slot);
		slot ^= 1;
	}
	if (have_open) {
		struct par par = {&r, NULL, &open};
		if (r.k == 0)
			r.k = open.n;
		rf_pool_for(pool, 1, 1, par_groups, &par);
		rc = emit_group(&r, &open, problem++, out, &acc);
		if (rc)
			goto out;
		rs_boot_add_many(&acc.boot, pool, acc.first, acc.val,
				 acc.present, acc.nbatch);
		acc.nbatch = 0;
	}
	out->lines = rd.lineno;
	out->k = r.k;
	snprintf(out->format, sizeof out->format, "%s",
		 r.format ? r.format->name : "jsonl");
	snprintf(out->answers, sizeof out->answers, "%s",
		 rf_reward_extract_policy(o->reward));
	set_metric(&out->mean_reward, &acc, RS_MEAN);
	set_metric(&out->pass1, &acc, RS_PASS1);
	set_metric(&out->pass_k, &acc, RS_PASSK);
	set_metric(&out->cons_k, &acc, RS_CONSK);
	if (out->problems == 0)
		rc = rf_error_set(RF_EFORMAT, "'%s': no rollouts", name);
out:
	reader_stop(&rd);
	rs_idset_free(&ids);
	group_free(&open);
	for (size_t g = 0; g < nready; g++)
		group_free(&ready[g]);
	free(ready);
	rf_pool_free(pool);
	rs_boot_free(&acc.boot);
	free(acc.val);
	free(acc.present);
	return rc;
}

int rf_rescore_file(rf_rescore_summary *out, const char *path,
		    const rf_rescore_opts *opts)
{
	FILE *f = fopen(path, "rb");
	int rc;
	if (!f) {
		memset(out, 0, sizeof *out);
		return rf_error_set(RF_EIO, "cannot open '%s': %s", path,
				    strerror(errno));
	}
	rc = rf_rescore_stream(out, f, path, opts);
	fclose(f);
	return rc;
}
