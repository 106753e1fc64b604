/* The contamination check's normalisation: LaTeX spacing dropped, NFKC with
 * case folding, words = runs of letters, marks and digits.  Benchmark items
 * and corpus text go through this one function, so they are compared on
 * equal terms.  ASCII (most of any corpus) never leaves the fast path. */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unicase.h>
#include <unictype.h>
#include <uninorm.h>
#include <unistr.h>

#include "contam_internal.h"
#include "referee/error.h"

enum { C_SEP = 0, C_WORD, C_HI, C_NL, C_BSL };

/* byte classes */
static uint8_t cls[256];
static pthread_once_t cls_once = PTHREAD_ONCE_INIT;

static void cls_init(void)
{
	for (int c = 0; c < 256; c++) {
		cls[c] = C_SEP;
		if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') ||
		    (c >= 'A' && c <= 'Z'))
			cls[c] = C_WORD;
		else if (c >= 0x80)
			cls[c] = C_HI;
	}
	cls['\n'] = C_NL;
	cls['\\'] = C_BSL;
}

static inline uint64_t load_le(const uint8_t *p, size_t n)
{
	uint64_t v = 0;
	memcpy(&v, p, n < 8 ? n : 8);
	return v;
}

static inline uint64_t word_hash_tail(uint64_t h, uint64_t v)
{
	h = (h ^ v) * 0xe7037ed1a0b428dbull;
	h ^= h >> 32;
	h *= 0xa0761d6478bd642full;
	return h ^ (h >> 29);
}

/* `slack`: 8 bytes past the word may be read (they are masked off), which
 * saves a variable-length copy on the hot path; the hash is the same. */
static inline uint64_t word_hash(const uint8_t *p, size_t n, int slack)
{
	uint64_t h = 0x9e3779b97f4a7c15ull ^ (n * 0xa0761d6478bd642full);
	while (n >= 8) {
		h = (h ^ load_le(p, 8)) * 0xe7037ed1a0b428dbull;
		h ^= h >> 31;
		p += 8;
		n -= 8;
	}
	if (slack)
		return word_hash_tail(h, n ? load_le(p, 8) &
						 (~0ull >> (64 - 8 * n))
					   : 0);
	return word_hash_tail(h, n ? load_le(p, n) : 0);
}

void ctoks_clear(ctoks *t)
{
	t->n = 0;
	rf_buf_clear(&t->text);
}

void ctoks_free(ctoks *t)
{
	free(t->v);
	t->v = NULL;
	t->n = t->cap = 0;
	rf_buf_free(&t->text);
	rf_buf_free(&t->scratch);
}

static int grow_toks(ctoks *t)
{
	size_t cap = t->cap ? t->cap * 2 : 1024;
	ctok *v = realloc(t->v, cap * sizeof *v);
	if (!v)
		return rf_error_set(RF_ENOMEM, "out of memory");
	t->v = v;
	t->cap = cap;
	return 0;
}

/* the word at text[off, off + len) */
static inline int push(ctoks *t, size_t off, size_t len, uint32_t line,
		       int slack)
{
	ctok *k;
	if (t->text.len > UINT32_MAX)
		return rf_error_set(RF_ELIMIT, "text over 4 GiB");
	if (t->n == t->cap && grow_toks(t))
		return RF_ENOMEM;
	k = &t->v[t->n++];
	k->hash = word_hash((const uint8_t *)t->text.data + off, len, slack);
	k->off = (uint32_t)off;
	k->len = (uint32_t)len;
	k->line = line;
	return 0;
}

static int is_word_cp(ucs4_t c)
{
	if (c < 0x80)
		return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') ||
		       (c >= 'A' && c <= 'Z');
	return uc_is_general_category(c, UC_CATEGORY_L) ||
	       uc_is_general_category(c, UC_CATEGORY_M) ||
	       uc_is_general_category(c, UC_CATEGORY_N);
}

/* Split normalised UTF-8 into words. */
static int split_words(ctoks *t, const uint8_t *s, size_t n, uint32_t line)
{
	size_t i = 0;
	while (i < n) {
		size_t start, off;
		ucs4_t c;
		int k = u8_mbtouc(&c, s + i, n - i);
		if (!is_word_cp(c)) {
			i += (size_t)k;
			continue;
		}
		start = i;
		while (i < n) {
			k = u8_mbtouc(&c, s + i, n - i);
			if (!is_word_cp(c))
				break;
			i += (size_t)k;
		}
		off = t->text.len;
		if (rf_buf_append(&t->text, s + start, i - start) ||
		    push(t, off, i - start, line, 0))
			return rf_error_set(RF_ENOMEM, "out of memory");
	}
	return 0;
}

/* A run of bytes holding non-ASCII: NFKC + case folding of each valid
 * UTF-8 stretch (invalid bytes separate), then split into words. */
static int fold_run(ctoks *t, const uint8_t *s, size_t n, uint32_t line)
{
	size_t i = 0;
	while (i < n) {
		size_t j = i, flen;
		uint8_t *r;
		int rc;
		while (j < n) {
			ucs4_t c;
			int k = u8_mbtoucr(&c, s + j, n - j);
			if (k < 0)
				break;
			j += (size_t)k;
		}
		if (j > i) {
			if (rf_buf_grow(&t->scratch, 4 * (j - i) + 64))
				return rf_error_set(RF_ENOMEM, "out of memory");
			flen = t->scratch.cap;
			r = u8_casefold(s + i, j - i, NULL, UNINORM_NFKC,
					(uint8_t *)t->scratch.data, &flen);
			if (!r)
				return rf_error_set(RF_ENOMEM,
						    "case folding failed");
			rc = split_words(t, r, flen, line);
			if (r != (uint8_t *)t->scratch.data)
				free(r);
			if (rc)
				return rc;
		}
		i = j < n ? j + 1 : j; /* skip one invalid byte */
	}
	return 0;
}

/* LaTeX spacing commands, as whole command names. */
static const char *const spacing[] = {
    "quad",	"qquad",	"enspace",	"enskip",	"thinspace",
    "medspace", "thickspace",	"negthinspace", "negmedspace", "negthickspace",
    "space",	"hfill",	"hspace",	NULL};

/* At a backslash: the index just past a spacing command, or i + 1 (the
 * backslash alone separates; a following command name reads as a word). */
static size_t skip_latex(const char *s, size_t i, size_t len, uint32_t *line)
{
	size_t j = i + 1;
	if (j >= len)
		return j;
	switch (s[j]) {
	case ',': case ':': case ';': case '!': case '>': case ' ':
	case '\t':
		return j + 1;
	case '\n':
		(*line)++;
		return j + 1;
	}
	while (j < len && ((s[j] >= 'a' && s[j] <= 'z') ||
			   (s[j] >= 'A' && s[j] <= 'Z')))
		j++;
	if (j == i + 1)
		return i + 1;
	for (const char *const *w = spacing; *w; w++) {
		size_t wl = strlen(*w);
		if (wl != j - i - 1 || memcmp(s + i + 1, *w, wl))
			continue;
		if (!strcmp(*w, "hspace")) {
			/* \hspace{...} or \hspace*{...}: its length argument */
			size_t k = j;
			if (k < len && s[k] == '*')
				k++;
			while (k < len && (s[k] == ' ' || s[k] == '\t'))
				k++;
			if (k < len && s[k] == '{') {
				size_t e = k + 1;
				while (e < len && e - k < 64 && s[e] != '}' &&
				       s[e] != '\n')
					e++;
				if (e < len && s[e] == '}')
					return e + 1;
			}
		}
		return j;
	}
	return i + 1;
}

int contam_tokenize(ctoks *t, const char *s, size_t len, uint32_t *line)
{
	const uint8_t *u = (const uint8_t *)s;
	size_t i = 0;
	int rc;
	pthread_once(&cls_once, cls_init);
	while (i < len) {
		size_t start;
		int hi = 0;
		switch (cls[u[i]]) {
		case C_SEP:
			i++;
			continue;
		case C_NL:
			(*line)++;
			i++;
			continue;
		case C_BSL:
			i = skip_latex(s, i, len, line);
			continue;
		}
		/* copy the run lowercased; a non-ASCII byte sends the whole run
		 * to NFKC + case folding instead */
		start = i;
		if (t->text.cap - t->text.len < len - i + 9 &&
		    rf_buf_grow(&t->text, len - i + 9))
			return rf_error_set(RF_ENOMEM, "out of memory");
		{
			char *o = t->text.data + t->text.len;
			uint8_t k = C_SEP;
			while (i < len && (k = cls[u[i]]) == C_WORD) {
				uint8_t c = u[i];
				*o++ = (char)(c <= 'Z' && c >= 'A' ? c + 32 : c);
				i++;
			}
			if (i < len && k == C_HI) {
				hi = 1;
				while (i < len &&
				       (cls[u[i]] == C_WORD || cls[u[i]] == C_HI))
					i++;
			}
		}
		if (hi) {
			if ((rc = fold_run(t, u + start, i - start, *line)))
				return rc;
		} else {
			size_t off = t->text.len, n = i - start;
			t->text.len += n;
			t->text.data[t->text.len] = 0;
			if ((rc = push(t, off, n, *line, 1)))
				return rc;
		}
	}
	return 0;
}

int rf_contam_normalize(rf_buf *out, const char *text, size_t len)
{
	ctoks t = {0};
	uint32_t line = 0;
	int rc = contam_tokenize(&t, text, len, &line);
	for (size_t i = 0; !rc && i < t.n; i++) {
		if ((i && rf_buf_puts(out, " ")) ||
		    rf_buf_append(out, t.text.data + t.v[i].off, t.v[i].len))
			rc = rf_error_set(RF_ENOMEM, "out of memory");
	}
	ctoks_free(&t);
	return rc;
}
