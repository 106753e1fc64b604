/* The corpus side of the contamination check.  The calling thread reads
 * and decompresses a file and cuts it into blocks at line ends; worker
 * threads tokenise blocks and look every n-gram up in the index (each hit
 * verified word by word); the calling thread takes the blocks' hits back in
 * file order, so spans, "first seen" and every figure are the same whatever
 * the thread count.  In plain text words run on across blocks: the n-grams
 * that straddle two blocks are looked up from the words at the seam. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "contam_internal.h"
#include "reader.h"
#include "referee/error.h"
#include "referee/pool.h"

#define DEFAULT_BLOCK (1u << 20)

typedef struct chit {
	uint32_t item, pos;
	uint64_t q;    /* n-gram start: word number in the block */
	uint64_t line; /* line number in the block (0-based) */
} chit;

enum { S_FREE, S_READY, S_BUSY, S_DONE };

typedef struct slot {
	int state;
	int fmt;
	rf_buf in;
	ctoks toks;
	chit *hits;
	size_t nhits, hcap;
	uint64_t words, lines;
	ctoks head, tail; /* text: first and last n-1 words */
	int rc;
	uint64_t err_line;
	char err[512];
} slot;

typedef struct best {
	uint64_t words, pos, file, line;
} best;

typedef struct chain {
	uint32_t item, pos, start_pos;
	uint64_t len, line;
	int extended;
} chain;

struct rf_contam_scan {
	const rf_contam_index *ix;
	const char *const *fields;
	size_t nfields;
	rf_contam_format format;
	size_t block;
	int threads;
	uint64_t *found;
	size_t found_words;
	best *best;
	rf_contam_file_stats *files;
	size_t nfiles;
	/* workers */
	pthread_t *tid;
	int nworkers;
	slot *slots;
	size_t nslots;
	size_t take; /* next slot sequence a worker takes */
	size_t submitted, consumed; /* slot sequences, over every file */
	int quit;
	pthread_mutex_t mu;
	pthread_cond_t work, done;
	/* the file being merged */
	size_t cur_file;
	chain *prev, *cur;
	size_t nprev, ncur, capprev, capcur;
	uint64_t q_cur;
	int have_q;
};

/* ------------------------------------------------------------ matching */

static int push_hit(slot *b, uint32_t item, uint32_t pos, uint64_t q,
		    uint64_t line)
{
	if (b->nhits == b->hcap) {
		size_t cap = b->hcap ? b->hcap * 2 : 64;
		chit *v = realloc(b->hits, cap * sizeof *v);
		if (!v)
			return rf_error_set(RF_ENOMEM, "out of memory");
		b->hits = v;
		b->hcap = cap;
	}
	b->hits[b->nhits++] = (chit){item, pos, q, line};
	return 0;
}

/* The n words at w (text `wt`) equal item words [pos, pos + n)? */
static int verify(const rf_contam_index *ix, const cpost *p, const ctok *w,
		  const char *wt)
{
	const citem *it = &ix->items[p->item];
	const ctok *v = ix->toks.v + it->tok0 + p->pos;
	for (int k = 0; k < ix->n; k++)
		if (v[k].hash != w[k].hash || v[k].len != w[k].len ||
		    memcmp(ix->toks.text.data + v[k].off, wt + w[k].off,
			   w[k].len))
			return 0;
	return 1;
}

/* Every n-gram of words w[0..nw): hits go to b with q = q0 + start. */
static int match(const rf_contam_index *ix, slot *b, const ctok *w,
		 const char *wt, size_t nw, uint64_t q0, const uint64_t *lines)
{
	const size_t n = (size_t)ix->n;
	uint64_t h = 0;
	int rc;
	for (size_t p = 0; p < nw; p++) {
		const cslot *s;
		if (p >= n)
			h -= w[p - n].hash * ix->bpow;
		h = h * CONTAM_B + w[p].hash;
		if (p + 1 < n || !contam_maybe(ix, h))
			continue;
		s = contam_lookup(ix, h);
		for (uint32_t k = 0; k < s->count; k++) {
			const cpost *po = &ix->post[s->start + k];
			size_t st = p + 1 - n;
			if (!verify(ix, po, w + st, wt))
				continue;
			if ((rc = push_hit(b, po->item, po->pos, q0 + st,
					   lines ? lines[st] : w[st].line)))
				return rc;
		}
	}
	return 0;
}

static int copy_toks(ctoks *dst, const ctoks *src, size_t from, size_t n)
{
	ctoks_clear(dst);
	if (dst->cap < n) {
		ctok *v = realloc(dst->v, (n ? n : 1) * sizeof *v);
		if (!v)
			return rf_error_set(RF_ENOMEM, "out of memory");
		dst->v = v;
		dst->cap = n;
	}
	for (size_t i = 0; i < n; i++) {
		const ctok *t = &src->v[from + i];
		size_t off = dst->text.len;
		if (rf_buf_append(&dst->text, src->text.data + t->off, t->len))
			return rf_error_set(RF_ENOMEM, "out of memory");
		dst->v[i] = *t;
		dst->v[i].off = (uint32_t)off;
	}
	dst->n = n;
	return 0;
}

typedef struct jctx {
	const rf_contam_index *ix;
	slot *b;
	uint64_t line;
} jctx;

static int json_string(void *ctx, const char *s, size_t len)
{
	jctx *j = ctx;
	slot *b = j->b;
	uint32_t line = 0;
	int rc;
	ctoks_clear(&b->toks);
	if ((rc = contam_tokenize(&b->toks, s, len, &line)))
		return rc;
	if (b->toks.n >= (size_t)j->ix->n) {
		uint64_t l = j->line;
		const size_t nw = b->toks.n;
		/* every word of a JSON string is on the record's line */
		size_t before = b->nhits;
		if ((rc = match(j->ix, b, b->toks.v, b->toks.text.data, nw,
				b->words, NULL)))
			return rc;
		for (size_t i = before; i < b->nhits; i++)
			b->hits[i].line = l;
	}
	b->words += b->toks.n;
	return 0;
}

static int blank(const char *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (p[i] != ' ' && p[i] != '\t' && p[i] != '\r')
			return 0;
	return 1;
}

static int process(const rf_contam_scan *sc, slot *b)
{
	const rf_contam_index *ix = sc->ix;
	const size_t keep = (size_t)ix->n - 1;
	int rc = 0;
	b->nhits = 0;
	b->words = b->lines = 0;
	if (b->fmt == RF_CONTAM_TEXT) {
		uint32_t line = 0;
		ctoks_clear(&b->toks);
		if ((rc = contam_tokenize(&b->toks, b->in.data, b->in.len,
					  &line)))
			return rc;
		b->lines = line;
		b->words = b->toks.n;
		if ((rc = match(ix, b, b->toks.v, b->toks.text.data, b->toks.n,
				0, NULL)))
			return rc;
		{
			size_t k = b->toks.n < keep ? b->toks.n : keep;
			if ((rc = copy_toks(&b->head, &b->toks, 0, k)) ||
			    (rc = copy_toks(&b->tail, &b->toks,
					    b->toks.n - k, k)))
				return rc;
		}
		return 0;
	}
	{
		const char *p = b->in.data, *end = b->in.data + b->in.len;
		jctx j = {ix, b, 0};
		rf_buf scratch = RF_BUF_INIT;
		while (p < end) {
			const char *nl = memchr(p, '\n', (size_t)(end - p));
			const char *e = nl ? nl : end;
			size_t len = (size_t)(e - p);
			if (len && e[-1] == '\r')
				len--;
			if (!blank(p, len)) {
				rc = contam_json_strings(p, len, sc->fields,
							 sc->nfields, &scratch,
							 json_string, &j);
				if (rc) {
					b->err_line = j.line;
					break;
				}
			}
			j.line++;
			p = nl ? nl + 1 : end;
		}
		/* lines = newlines; consume() counts an unterminated last one */
		b->lines = j.line - (b->in.len &&
				     b->in.data[b->in.len - 1] != '\n');
		rf_buf_free(&scratch);
	}
	return rc;
}

static void run_slot(const rf_contam_scan *sc, slot *b)
{
	b->err_line = UINT64_MAX;
	b->rc = process(sc, b);
	if (b->rc)
		snprintf(b->err, sizeof b->err, "%s", rf_error_last());
}

static void *worker(void *arg)
{
	rf_contam_scan *sc = arg;
	pthread_mutex_lock(&sc->mu);
	for (;;) {
		slot *b;
		while (!sc->quit &&
		       sc->slots[sc->take % sc->nslots].state != S_READY)
			pthread_cond_wait(&sc->work, &sc->mu);
		if (sc->quit)
			break;
		b = &sc->slots[sc->take % sc->nslots];
		b->state = S_BUSY;
		sc->take++;
		pthread_mutex_unlock(&sc->mu);
		run_slot(sc, b);
		pthread_mutex_lock(&sc->mu);
		b->state = S_DONE;
		pthread_cond_broadcast(&sc->done);
	}
	pthread_mutex_unlock(&sc->mu);
	return NULL;
}

/* ------------------------------------------------------------ the scan */

int rf_contam_scan_new(rf_contam_scan **out, const rf_contam_index *ix,
		       const rf_contam_opts *opts)
{
	rf_contam_scan *s;
	rf_contam_opts o = {0};
	*out = NULL;
	if (!ix->finished)
		return rf_error_set(RF_EINVAL, "index not finished");
	if (opts)
		o = *opts;
	if (!(s = calloc(1, sizeof *s)))
		return rf_error_set(RF_ENOMEM, "out of memory");
	s->ix = ix;
	s->fields = o.fields;
	s->nfields = o.fields ? o.nfields : 0;
	s->format = o.format;
	s->block = o.block_size ? o.block_size : DEFAULT_BLOCK;
	s->threads = o.threads > 0 ? o.threads : rf_cpu_count();
	s->found_words = (ix->ngrams + 63) / 64;
	s->found = calloc(s->found_words ? s->found_words : 1, 8);
	s->best = calloc(ix->nitems ? ix->nitems : 1, sizeof *s->best);
	s->nslots = s->threads > 1 ? 2 * (size_t)s->threads : 1;
	s->slots = calloc(s->nslots, sizeof *s->slots);
	if (!s->found || !s->best || !s->slots) {
		rf_contam_scan_free(s);
		return rf_error_set(RF_ENOMEM, "out of memory");
	}
	pthread_mutex_init(&s->mu, NULL);
	pthread_cond_init(&s->work, NULL);
	pthread_cond_init(&s->done, NULL);
	if (s->threads > 1) {
		if (!(s->tid = calloc((size_t)s->threads, sizeof *s->tid))) {
			rf_contam_scan_free(s);
			return rf_error_set(RF_ENOMEM, "out of memory");
		}
		for (int i = 0; i < s->threads; i++) {
			if (pthread_create(&s->tid[i], NULL, worker, s)) {
				rf_contam_scan_free(s);
				return rf_error_set(RF_EINTERNAL,
						    "cannot start a thread");
			}
			s->nworkers++;
		}
	}
	*out = s;
	return 0;
}

void rf_contam_scan_free(rf_contam_scan *s)
{
	if (!s)
		return;
	if (s->nworkers) {
		pthread_mutex_lock(&s->mu);
		s->quit = 1;
		pthread_cond_broadcast(&s->work);
		pthread_mutex_unlock(&s->mu);
		for (int i = 0; i < s->nworkers; i++)
			pthread_join(s->tid[i], NULL);
	}
	if (s->slots) {
		pthread_mutex_destroy(&s->mu);
		pthread_cond_destroy(&s->work);
		pthread_cond_destroy(&s->done);
	}
	for (size_t i = 0; s->slots && i < s->nslots; i++) {
		slot *b = &s->slots[i];
		rf_buf_free(&b->in);
		ctoks_free(&b->toks);
		ctoks_free(&b->head);
		ctoks_free(&b->tail);
		free(b->hits);
	}
	free(s->slots);
	free(s->tid);
	free(s->found);
	free(s->best);
	free(s->files);
	free(s->prev);
	free(s->cur);
	free(s);
}

/* (words desc, file, line, pos): the order that picks the reported span */
static int better(const best *a, const best *b)
{
	if (a->words != b->words)
		return a->words > b->words;
	if (a->file != b->file)
		return a->file < b->file;
	if (a->line != b->line)
		return a->line < b->line;
	return a->pos < b->pos;
}

static void offer(rf_contam_scan *s, const chain *c)
{
	best cand = {c->len + (uint64_t)s->ix->n - 1, c->start_pos,
		     s->cur_file, c->line + 1};
	best *b = &s->best[c->item];
	if (!b->words || better(&cand, b))
		*b = cand;
}

static int chains_grow(chain **v, size_t *cap, size_t need)
{
	if (need <= *cap)
		return 0;
	size_t c = *cap ? *cap * 2 : 16;
	while (c < need)
		c *= 2;
	chain *p = realloc(*v, c * sizeof *p);
	if (!p)
		return rf_error_set(RF_ENOMEM, "out of memory");
	*v = p;
	*cap = c;
	return 0;
}

static void chains_flush_prev(rf_contam_scan *s)
{
	for (size_t i = 0; i < s->nprev; i++)
		if (!s->prev[i].extended)
			offer(s, &s->prev[i]);
	s->nprev = 0;
}

static void chains_end(rf_contam_scan *s)
{
	chains_flush_prev(s);
	for (size_t i = 0; i < s->ncur; i++)
		offer(s, &s->cur[i]);
	s->ncur = 0;
	s->have_q = 0;
}

/* One verified hit, in file order (q never decreases). */
static int take_hit(rf_contam_scan *s, uint32_t item, uint32_t pos, uint64_t q,
		    uint64_t line)
{
	const citem *it = &s->ix->items[item];
	size_t bit = it->gram0 + pos;
	chain *c;
	int rc;
	s->found[bit / 64] |= 1ull << (bit % 64);
	if (!s->have_q || q != s->q_cur) {
		chain *t;
		size_t tc;
		chains_flush_prev(s);
		if (s->have_q && q == s->q_cur + 1) {
			t = s->prev, s->prev = s->cur, s->cur = t;
			tc = s->capprev, s->capprev = s->capcur, s->capcur = tc;
			s->nprev = s->ncur;
			for (size_t i = 0; i < s->nprev; i++)
				s->prev[i].extended = 0;
		} else {
			for (size_t i = 0; i < s->ncur; i++)
				offer(s, &s->cur[i]);
		}
		s->ncur = 0;
		s->q_cur = q;
		s->have_q = 1;
	}
	if ((rc = chains_grow(&s->cur, &s->capcur, s->ncur + 1)))
		return rc;
	c = &s->cur[s->ncur++];
	/* prev is sorted by (item, pos): hits of one q come in posting order */
	if (pos > 0 && s->nprev) {
		size_t lo = 0, hi = s->nprev;
		while (lo < hi) {
			size_t mid = (lo + hi) / 2;
			const chain *m = &s->prev[mid];
			if (m->item < item || (m->item == item && m->pos < pos - 1))
				lo = mid + 1;
			else
				hi = mid;
		}
		if (lo < s->nprev && s->prev[lo].item == item &&
		    s->prev[lo].pos == pos - 1 && !s->prev[lo].extended) {
			*c = s->prev[lo];
			s->prev[lo].extended = 1;
			c->pos = pos;
			c->len++;
			c->extended = 0;
			return 0;
		}
	}
	*c = (chain){item, pos, pos, 1, line, 0};
	return 0;
}

static int file_stats_at(rf_contam_scan *s, size_t f)
{
	if (f >= s->nfiles) {
		size_t n = f + 1;
		rf_contam_file_stats *v = realloc(s->files, n * sizeof *v);
		if (!v)
			return rf_error_set(RF_ENOMEM, "out of memory");
		memset(v + s->nfiles, 0, (n - s->nfiles) * sizeof *v);
		s->files = v;
		s->nfiles = n;
	}
	return 0;
}

/* The state of one file being merged. */
typedef struct fstate {
	const char *name;
	uint64_t base_q, base_line;
	ctoks carry;        /* text: the last n-1 words so far */
	uint64_t *carry_line;
	ctoks seam;
	uint64_t *seam_line;
	slot seam_slot;
} fstate;

static int seam_words(rf_contam_scan *s, fstate *f, const slot *b)
{
	const size_t keep = (size_t)s->ix->n - 1;
	size_t nc = f->carry.n, nh = b->head.n, i;
	int rc;
	if (nc && nh) {
		/* carry + head: every n-gram here straddles the seam */
		ctoks_clear(&f->seam);
		for (i = 0; i < nc + nh; i++) {
			const ctoks *src = i < nc ? &f->carry : &b->head;
			const ctok *t = &src->v[i < nc ? i : i - nc];
			size_t off = f->seam.text.len;
			if (rf_buf_append(&f->seam.text, src->text.data + t->off,
					  t->len))
				return rf_error_set(RF_ENOMEM, "out of memory");
			f->seam.v[i] = *t;
			f->seam.v[i].off = (uint32_t)off;
			f->seam_line[i] = i < nc ? f->carry_line[i]
						 : f->base_line + t->line;
		}
		f->seam.n = nc + nh;
		f->seam_slot.nhits = 0;
		if ((rc = match(s->ix, &f->seam_slot, f->seam.v,
				f->seam.text.data, f->seam.n, f->base_q - nc,
				f->seam_line)))
			return rc;
		for (i = 0; i < f->seam_slot.nhits; i++) {
			const chit *h = &f->seam_slot.hits[i];
			if ((rc = take_hit(s, h->item, h->pos, h->q, h->line)))
				return rc;
		}
	}
	/* the new carry: the last n-1 words of carry + block */
	if (b->words >= keep) {
		if ((rc = copy_toks(&f->carry, &b->tail, 0, b->tail.n)))
			return rc;
		for (i = 0; i < f->carry.n; i++)
			f->carry_line[i] = f->base_line + b->tail.v[i].line;
	} else {
		size_t drop = nc + nh > keep ? nc + nh - keep : 0;
		ctoks tmp = {0};
		uint64_t tl[RF_CONTAM_MAX_N];
		for (i = drop; i < nc + nh; i++) {
			const ctoks *src = i < nc ? &f->carry : &b->head;
			const ctok *t = &src->v[i < nc ? i : i - nc];
			size_t off = tmp.text.len;
			if (tmp.n == tmp.cap) {
				ctok *v = realloc(tmp.v, (keep + 1) * sizeof *v);
				if (!v) {
					ctoks_free(&tmp);
					return rf_error_set(RF_ENOMEM,
							    "out of memory");
				}
				tmp.v = v;
				tmp.cap = keep + 1;
			}
			if (rf_buf_append(&tmp.text, src->text.data + t->off,
					  t->len)) {
				ctoks_free(&tmp);
				return rf_error_set(RF_ENOMEM, "out of memory");
			}
			tmp.v[tmp.n] = *t;
			tmp.v[tmp.n].off = (uint32_t)off;
			tl[tmp.n++] = i < nc ? f->carry_line[i]
					     : f->base_line + t->line;
		}
		ctoks_free(&f->carry);
		f->carry = tmp;
		memcpy(f->carry_line, tl, tmp.n * sizeof *tl);
	}
	return 0;
}

/* Take a finished block's results, in file order. */
static int consume(rf_contam_scan *s, fstate *f, slot *b, size_t file_index)
{
	rf_contam_file_stats *st = &s->files[file_index];
	int rc;
	if (b->rc) {
		if (b->err_line != UINT64_MAX)
			return rf_error_set(b->rc, "%s:%llu: %s", f->name,
					    (unsigned long long)(f->base_line +
								 b->err_line +
								 1),
					    b->err);
		return rf_error_set(b->rc, "'%s': %s", f->name, b->err);
	}
	if (b->fmt == RF_CONTAM_TEXT && (rc = seam_words(s, f, b)))
		return rc;
	for (size_t i = 0; i < b->nhits; i++) {
		const chit *h = &b->hits[i];
		if ((rc = take_hit(s, h->item, h->pos, f->base_q + h->q,
				   f->base_line + h->line)))
			return rc;
	}
	f->base_q += b->words;
	f->base_line += b->lines;
	st->bytes += b->in.len;
	st->words += b->words;
	st->lines += b->lines;
	if (b->in.len && b->in.data[b->in.len - 1] != '\n')
		st->lines++; /* a last line without its newline */
	return 0;
}

static int format_of(const rf_contam_scan *s, const char *name)
{
	const char *base = strrchr(name, '/');
	char ext[32] = "";
	size_t n;
	if (s->format)
		return s->format;
	base = base ? base + 1 : name;
	n = strlen(base);
	/* strip one compression suffix, then look at the extension */
	if (n > 3 && !strcmp(base + n - 3, ".gz"))
		n -= 3;
	else if (n > 4 && !strcmp(base + n - 4, ".zst"))
		n -= 4;
	else if (n > 5 && !strcmp(base + n - 5, ".zstd"))
		n -= 5;
	for (size_t i = n; i > 0; i--)
		if (base[i - 1] == '.') {
			if (n - i < sizeof ext) {
				memcpy(ext, base + i, n - i);
				ext[n - i] = 0;
			}
			break;
		}
	if (!strcmp(ext, "jsonl") || !strcmp(ext, "ndjson") ||
	    !strcmp(ext, "json"))
		return RF_CONTAM_JSONL;
	return RF_CONTAM_TEXT;
}

/* Fill b->in with whole lines: the pending bytes, then reads. */
static int fill_block(rf_contam_scan *s, contam_reader *r, rf_buf *pend,
		      slot *b, int *eof)
{
	size_t got;
	int rc;
	rf_buf_clear(&b->in);
	if (rf_buf_append(&b->in, pend->data ? pend->data : "", pend->len))
		return rf_error_set(RF_ENOMEM, "out of memory");
	rf_buf_clear(pend);
	for (;;) {
		char *nl;
		while (!*eof && b->in.len < s->block) {
			if (rf_buf_grow(&b->in, s->block - b->in.len))
				return rf_error_set(RF_ENOMEM, "out of memory");
			if ((rc = contam_reader_read(r, b->in.data + b->in.len,
						     s->block - b->in.len,
						     &got)))
				return rc;
			if (!got)
				*eof = 1;
			b->in.len += got;
		}
		if (*eof)
			return 0;
		nl = memrchr(b->in.data, '\n', b->in.len);
		if (nl) {
			size_t keep = (size_t)(nl + 1 - b->in.data);
			if (rf_buf_append(pend, nl + 1, b->in.len - keep))
				return rf_error_set(RF_ENOMEM, "out of memory");
			b->in.len = keep;
			return 0;
		}
		/* one line longer than a block: read on */
		if (b->in.len >= RF_CONTAM_MAX_LINE)
			return rf_error_set(RF_ELIMIT,
					    "'%s': a line over %u MiB", r->name,
					    RF_CONTAM_MAX_LINE >> 20);
		if (rf_buf_grow(&b->in, b->in.len))
			return rf_error_set(RF_ENOMEM, "out of memory");
		{
			size_t want = b->in.cap - 1 - b->in.len;
			if ((rc = contam_reader_read(r, b->in.data + b->in.len,
						     want, &got)))
				return rc;
			if (!got)
				*eof = 1;
			b->in.len += got;
		}
	}
}

static int scan_stream(rf_contam_scan *s, const char *name, const void *mem,
		       size_t memlen, size_t file_index)
{
	contam_reader r;
	rf_buf pend = RF_BUF_INIT;
	fstate f = {0};
	size_t submitted = s->submitted, consumed = s->consumed;
	const size_t N = s->nslots;
	int eof = 0, rc, fmt;
	uint64_t lines_buf[2 * RF_CONTAM_MAX_N];
	uint64_t carry_lines[RF_CONTAM_MAX_N];
	if ((rc = file_stats_at(s, file_index)))
		return rc;
	if ((rc = contam_reader_open(&r, name, mem, memlen)))
		return rc;
	fmt = format_of(s, name);
	f.name = name;
	f.carry_line = carry_lines;
	f.seam_line = lines_buf;
	f.seam.v = malloc(2 * RF_CONTAM_MAX_N * sizeof *f.seam.v);
	if (!f.seam.v) {
		contam_reader_close(&r);
		return rf_error_set(RF_ENOMEM, "out of memory");
	}
	f.seam.cap = 2 * RF_CONTAM_MAX_N;
	s->cur_file = file_index;
	s->nprev = s->ncur = 0;
	s->have_q = 0;
	rc = 0;
	for (;;) {
		slot *b;
		if (!rc && !eof && submitted - consumed < N) {
			b = &s->slots[submitted % N];
			if ((rc = fill_block(s, &r, &pend, b, &eof)))
				continue;
			if (!b->in.len)
				continue;
			b->fmt = fmt;
			if (!s->nworkers) {
				run_slot(s, b);
				b->state = S_DONE;
			} else {
				pthread_mutex_lock(&s->mu);
				b->state = S_READY;
				pthread_cond_broadcast(&s->work);
				pthread_mutex_unlock(&s->mu);
			}
			submitted++;
			continue;
		}
		if (consumed == submitted)
			break;
		b = &s->slots[consumed % N];
		if (s->nworkers) {
			pthread_mutex_lock(&s->mu);
			while (b->state != S_DONE)
				pthread_cond_wait(&s->done, &s->mu);
			pthread_mutex_unlock(&s->mu);
		}
		if (!rc)
			rc = consume(s, &f, b, file_index);
		b->state = S_FREE;
		consumed++;
	}
	s->submitted = submitted;
	s->consumed = consumed;
	if (!rc)
		chains_end(s);
	s->nprev = s->ncur = 0;
	s->have_q = 0;
	contam_reader_close(&r);
	rf_buf_free(&pend);
	ctoks_free(&f.carry);
	ctoks_free(&f.seam);
	free(f.seam_slot.hits);
	return rc;
}

int rf_contam_scan_file(rf_contam_scan *s, const char *path, size_t file_index)
{
	return scan_stream(s, path, NULL, 0, file_index);
}

int rf_contam_scan_buffer(rf_contam_scan *s, const char *name, const void *data,
			  size_t len, size_t file_index)
{
	return scan_stream(s, name, data ? data : "", len, file_index);
}

/* ------------------------------------------------------------ results */

const rf_contam_index *contam_scan_index(const rf_contam_scan *s)
{
	return s->ix;
}

void rf_contam_scan_item(const rf_contam_scan *s, size_t i, rf_contam_item *out)
{
	const rf_contam_index *ix = s->ix;
	const citem *it = &ix->items[i];
	size_t ng = it->ntok >= (size_t)ix->n ? it->ntok - (size_t)ix->n + 1 : 0;
	memset(out, 0, sizeof *out);
	out->bench = ix->benches[it->bench];
	out->id = it->id;
	out->words = it->ntok;
	out->ngrams = ng;
	for (size_t k = 0; k < ng; k++) {
		size_t bit = it->gram0 + k;
		out->found += (s->found[bit / 64] >> (bit % 64)) & 1;
	}
	if (s->best[i].words) {
		out->longest = s->best[i].words;
		out->longest_pos = s->best[i].pos;
		out->file_index = s->best[i].file;
		out->line = s->best[i].line;
	}
}

void rf_contam_scan_file_stats(const rf_contam_scan *s, size_t f,
			       rf_contam_file_stats *out)
{
	if (f < s->nfiles)
		*out = s->files[f];
	else
		memset(out, 0, sizeof *out);
}

size_t rf_contam_scan_overlapping(const rf_contam_scan *s, const char *bench)
{
	size_t n = 0;
	for (size_t i = 0; i < s->ix->nitems; i++) {
		if (bench &&
		    strcmp(s->ix->benches[s->ix->items[i].bench], bench))
			continue;
		n += s->best[i].words > 0;
	}
	return n;
}

static void merge_best(best *into, const best *b)
{
	if (b->words && (!into->words || better(b, into)))
		*into = *b;
}

int rf_contam_scan_merge(rf_contam_scan *into, const rf_contam_scan *from)
{
	int rc;
	if (into->ix != from->ix)
		return rf_error_set(RF_EINVAL, "scans over different indexes");
	for (size_t i = 0; i < into->found_words; i++)
		into->found[i] |= from->found[i];
	for (size_t i = 0; i < into->ix->nitems; i++)
		merge_best(&into->best[i], &from->best[i]);
	if (from->nfiles && (rc = file_stats_at(into, from->nfiles - 1)))
		return rc;
	for (size_t f = 0; f < from->nfiles; f++) {
		into->files[f].bytes += from->files[f].bytes;
		into->files[f].lines += from->files[f].lines;
		into->files[f].words += from->files[f].words;
	}
	return 0;
}

/* Export: "RFCONTAM1\n", then little-endian u64s: n, items, ngrams, files,
 * the found bits, per item (words, pos, file, line), per file (bytes,
 * lines, words). */
static const char magic[] = "RFCONTAM1\n";

static int put64(rf_buf *b, uint64_t v)
{
	unsigned char u[8];
	for (int i = 0; i < 8; i++)
		u[i] = (unsigned char)(v >> (8 * i));
	return rf_buf_append(b, u, 8);
}

static uint64_t get64(const unsigned char *p)
{
	uint64_t v = 0;
	for (int i = 7; i >= 0; i--)
		v = v << 8 | p[i];
	return v;
}

int rf_contam_scan_export(rf_buf *out, const rf_contam_scan *s)
{
	int rc = rf_buf_append(out, magic, sizeof magic - 1);
	rc = rc ? rc : put64(out, (uint64_t)s->ix->n);
	rc = rc ? rc : put64(out, s->ix->nitems);
	rc = rc ? rc : put64(out, s->ix->ngrams);
	rc = rc ? rc : put64(out, s->nfiles);
	for (size_t i = 0; !rc && i < s->found_words; i++)
		rc = put64(out, s->found[i]);
	for (size_t i = 0; !rc && i < s->ix->nitems; i++) {
		const best *b = &s->best[i];
		rc = put64(out, b->words);
		rc = rc ? rc : put64(out, b->pos);
		rc = rc ? rc : put64(out, b->file);
		rc = rc ? rc : put64(out, b->line);
	}
	for (size_t f = 0; !rc && f < s->nfiles; f++) {
		rc = put64(out, s->files[f].bytes);
		rc = rc ? rc : put64(out, s->files[f].lines);
		rc = rc ? rc : put64(out, s->files[f].words);
	}
	return rc ? rf_error_set(RF_ENOMEM, "out of memory") : 0;
}

int rf_contam_scan_import(rf_contam_scan *into, const void *data, size_t len)
{
	const unsigned char *p = data;
	const rf_contam_index *ix = into->ix;
	size_t hdr = sizeof magic - 1 + 32, need, nf;
	int rc;
	if (len < hdr || memcmp(p, magic, sizeof magic - 1))
		return rf_error_set(RF_EFORMAT, "not a contamination result");
	p += sizeof magic - 1;
	if (get64(p) != (uint64_t)ix->n || get64(p + 8) != ix->nitems ||
	    get64(p + 16) != ix->ngrams)
		return rf_error_set(RF_EFORMAT,
				    "contamination result of another index");
	if (get64(p + 24) > (1u << 30))
		return rf_error_set(RF_EFORMAT, "contamination result: bad "
						"file count");
	nf = (size_t)get64(p + 24);
	need = hdr + 8 * (into->found_words + 4 * ix->nitems + 3 * nf);
	if (len != need)
		return rf_error_set(RF_EFORMAT, "contamination result: %zu "
						"bytes, expected %zu",
				    len, need);
	p += 32;
	for (size_t i = 0; i < ix->nitems; i++) {
		const unsigned char *q = p + 8 * (into->found_words + 4 * i);
		best b = {get64(q), get64(q + 8), get64(q + 16), get64(q + 24)};
		const citem *it = &ix->items[i];
		if (b.words && (b.words > it->ntok || b.words < (uint64_t)ix->n ||
				b.pos + b.words > it->ntok || b.file >= nf))
			return rf_error_set(RF_EFORMAT, "contamination result: "
							"bad span of item %zu",
					    i);
	}
	if (nf && (rc = file_stats_at(into, nf - 1)))
		return rc;
	for (size_t i = 0; i < into->found_words; i++, p += 8)
		into->found[i] |= get64(p);
	for (size_t i = 0; i < ix->nitems; i++, p += 32) {
		best b = {get64(p), get64(p + 8), get64(p + 16), get64(p + 24)};
		merge_best(&into->best[i], &b);
	}
	for (size_t f = 0; f < nf; f++, p += 24) {
		into->files[f].bytes += get64(p);
		into->files[f].lines += get64(p + 8);
		into->files[f].words += get64(p + 16);
	}
	return 0;
}
