/* `referee grpo audit`: recompute a logged GRPO batch's advantages, ratios,
 * clip fraction, KL and loss from its rewards and per-token log-probs, and
 * say which logged figures do not follow.  No model is needed. */
#include <jansson.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "referee/error.h"
#include "referee/file.h"
#include "referee/replay.h"
#include "replay/grpo.h"
#include "replay/jsonl.h"

#define AUDIT_MAX_BYTES (512u << 20)
#define AUDIT_MAX_SAMPLES (1u << 20)
#define AUDIT_MAX_TOKENS (1u << 27)
#define AUDIT_MAX_SEQ (1u << 20)
/* a sample's three arrays of up to AUDIT_MAX_SEQ numbers fit */
#define AUDIT_MAX_LINE ((size_t)64 << 20)

struct rf_grpo_audit {
	rf_grpo_audit_item *items;
	size_t n, cap, failures;
	size_t samples, groups, tokens;
};

typedef struct sample {
	char group[64];
	size_t gidx;
	double reward;
	int has_adv;
	double adv_logged;
	size_t start;
	int len;
	long line;
} sample;

typedef struct batch {
	rf_grpo_params p;
	double adv_eps;
	int sample_std;
	int have_header;
	sample *s;
	size_t ns, scap;
	float *logp, *old, *ref;
	float *ratio_logged; /* NaN where not logged */
	size_t nt, tcap;
	int any_old, all_old, any_ref, all_ref;
	json_t *stats;
	long stats_line;
} batch;

static int add_item(rf_grpo_audit *a, double tol, double logged,
		    double recomputed, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));

static int add_item(rf_grpo_audit *a, double tol, double logged,
		    double recomputed, const char *fmt, ...)
{
	va_list ap;
	rf_grpo_audit_item *it;
	double scale, diff;
	if (a->n == a->cap) {
		size_t nc = a->cap ? 2 * a->cap : 64;
		void *p = realloc(a->items, nc * sizeof *a->items);
		if (!p)
			return rf_error_set(RF_ENOMEM, "out of memory");
		a->items = p;
		a->cap = nc;
	}
	it = &a->items[a->n++];
	va_start(ap, fmt);
	vsnprintf(it->what, sizeof it->what, fmt, ap);
	va_end(ap);
	it->logged = logged;
	it->recomputed = recomputed;
	scale = fmax(1.0, fmax(fabs(logged), fabs(recomputed)));
	diff = fabs(logged - recomputed);
	it->ok = (isnan(logged) && isnan(recomputed)) || diff <= tol * scale;
	if (!it->ok)
		a->failures++;
	return 0;
}

static int fail_at(const char *name, long line, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int fail_at(const char *name, long line, const char *fmt, ...)
{
	char msg[256];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	return rf_error_set(RF_EFORMAT, "'%s':%ld: %s", name, line, msg);
}

static int number(const json_t *v, double *out)
{
	if (!json_is_number(v))
		return -1;
	*out = json_number_value(v);
	return isfinite(*out) ? 0 : -1;
}

static int grow_tokens(batch *b, size_t extra)
{
	if (b->nt + extra <= b->tcap)
		return 0;
	size_t nc = b->tcap ? b->tcap : 1024;
	while (nc < b->nt + extra)
		nc *= 2;
	float *arr[4] = {b->logp, b->old, b->ref, b->ratio_logged};
	for (int i = 0; i < 4; i++) {
		float *p = realloc(arr[i], nc * sizeof(float));
		if (!p)
			return rf_error_set(RF_ENOMEM, "out of memory");
		arr[i] = p;
	}
	b->logp = arr[0];
	b->old = arr[1];
	b->ref = arr[2];
	b->ratio_logged = arr[3];
	b->tcap = nc;
	return 0;
}

/* Read one array of per-token numbers into dst[0..len). */
static int read_array(const char *name, long line, const json_t *arr,
		      const char *key, int len, float *dst)
{
	size_t i;
	json_t *v;
	if (!json_is_array(arr))
		return fail_at(name, line, "%s: expected an array of numbers", key);
	if (json_array_size(arr) != (size_t)len)
		return fail_at(name, line, "%s: %zu entries, logp has %d", key,
			       json_array_size(arr), len);
	json_array_foreach(arr, i, v) {
		double d;
		if (number(v, &d))
			return fail_at(name, line, "%s[%zu]: expected a finite number",
				       key, i);
		dst[i] = (float)d;
	}
	return 0;
}

static int parse_header(batch *b, const char *name, long line, json_t *o)
{
	const char *k;
	json_t *v;
	b->p.clip_eps = 0.2;
	b->p.beta = 0;
	b->p.norm = RF_GRPO_NORM_SEQUENCE;
	b->adv_eps = 1e-4;
	b->sample_std = 0;
	json_object_foreach(o, k, v) {
		double d;
		if (!strcmp(k, "grpo_batch")) {
			if (!json_is_integer(v) || json_integer_value(v) != 1)
				return fail_at(name, line, "grpo_batch: only version 1 is known");
		} else if (!strcmp(k, "clip_eps") || !strcmp(k, "beta") ||
			   !strcmp(k, "adv_eps")) {
			if (number(v, &d) || d < 0)
				return fail_at(name, line, "%s: expected a non-negative number", k);
			if (!strcmp(k, "clip_eps"))
				b->p.clip_eps = d;
			else if (!strcmp(k, "beta"))
				b->p.beta = d;
			else
				b->adv_eps = d;
		} else if (!strcmp(k, "adv_std")) {
			const char *s = json_string_value(v);
			if (s && !strcmp(s, "population"))
				b->sample_std = 0;
			else if (s && !strcmp(s, "sample"))
				b->sample_std = 1;
			else
				return fail_at(name, line, "adv_std: expected \"population\" or \"sample\"");
		} else if (!strcmp(k, "loss_norm")) {
			const char *s = json_string_value(v);
			if (s && !strcmp(s, "sequence"))
				b->p.norm = RF_GRPO_NORM_SEQUENCE;
			else if (s && !strcmp(s, "token"))
				b->p.norm = RF_GRPO_NORM_TOKEN;
			else
				return fail_at(name, line, "loss_norm: expected \"sequence\" or \"token\"");
		} else if (!strcmp(k, "step") || !strcmp(k, "inner") ||
			   !strcmp(k, "source")) {
			/* informative only */
		} else {
			return fail_at(name, line, "unknown header key '%s'", k);
		}
	}
	b->have_header = 1;
	return 0;
}

static int parse_sample(batch *b, const char *name, long line, json_t *o)
{
	const char *k;
	json_t *v, *lp = NULL, *old = NULL, *ref = NULL, *ratio = NULL;
	sample s;
	int rc;
	memset(&s, 0, sizeof s);
	s.line = line;
	json_object_foreach(o, k, v) {
		if (!strcmp(k, "group")) {
			if (json_is_integer(v))
				snprintf(s.group, sizeof s.group, "%lld",
					 (long long)json_integer_value(v));
			else if (json_is_string(v) &&
				 strlen(json_string_value(v)) < sizeof s.group - 1)
				snprintf(s.group, sizeof s.group, "\"%s\"",
					 json_string_value(v));
			else
				return fail_at(name, line, "group: expected an integer or a short string");
		} else if (!strcmp(k, "reward")) {
			if (number(v, &s.reward))
				return fail_at(name, line, "reward: expected a finite number");
		} else if (!strcmp(k, "advantage")) {
			if (number(v, &s.adv_logged))
				return fail_at(name, line, "advantage: expected a finite number");
			s.has_adv = 1;
		} else if (!strcmp(k, "logp")) {
			lp = v;
		} else if (!strcmp(k, "old_logp")) {
			old = v;
		} else if (!strcmp(k, "ref_logp")) {
			ref = v;
		} else if (!strcmp(k, "ratio")) {
			ratio = v;
		} else if (!strcmp(k, "text") || !strcmp(k, "id")) {
			/* informative only */
		} else {
			return fail_at(name, line, "unknown sample key '%s'", k);
		}
	}
	if (!s.group[0] || !json_object_get(o, "reward") || !lp)
		return fail_at(name, line, "a sample needs group, reward and logp");
	if (!json_is_array(lp) || json_array_size(lp) > AUDIT_MAX_SEQ)
		return fail_at(name, line, "logp: expected an array of at most %u numbers",
			       AUDIT_MAX_SEQ);
	if (b->ns >= AUDIT_MAX_SAMPLES ||
	    b->nt + json_array_size(lp) > AUDIT_MAX_TOKENS)
		return rf_error_set(RF_ELIMIT, "'%s': batch too large", name);
	s.len = (int)json_array_size(lp);
	s.start = b->nt;
	if ((rc = grow_tokens(b, (size_t)s.len)))
		return rc;
	if ((rc = read_array(name, line, lp, "logp", s.len, b->logp + s.start)))
		return rc;
	if (old) {
		if ((rc = read_array(name, line, old, "old_logp", s.len,
				     b->old + s.start)))
			return rc;
	} else {
		memcpy(b->old + s.start, b->logp + s.start,
		       (size_t)s.len * sizeof(float));
	}
	if (ref && (rc = read_array(name, line, ref, "ref_logp", s.len,
				    b->ref + s.start)))
		return rc;
	if (ratio) {
		if ((rc = read_array(name, line, ratio, "ratio", s.len,
				     b->ratio_logged + s.start)))
			return rc;
	} else {
		for (int i = 0; i < s.len; i++)
			b->ratio_logged[s.start + (size_t)i] = NAN;
	}
	if (b->ns == 0) {
		b->any_old = b->all_old = old != NULL;
		b->any_ref = b->all_ref = ref != NULL;
	} else {
		b->any_old |= old != NULL;
		b->all_old &= old != NULL;
		b->any_ref |= ref != NULL;
		b->all_ref &= ref != NULL;
	}
	b->nt += (size_t)s.len;
	if (b->ns == b->scap) {
		size_t nc = b->scap ? 2 * b->scap : 64;
		void *p = realloc(b->s, nc * sizeof *b->s);
		if (!p)
			return rf_error_set(RF_ENOMEM, "out of memory");
		b->s = p;
		b->scap = nc;
	}
	b->s[b->ns++] = s;
	return 0;
}

static const char *const stat_names[] = {
	"loss", "kl", "clip_frac", "ratio_mean", "ratio_min", "ratio_max",
	"reward_mean", "reward_std", "tokens", "entropy", "grad_norm",
	"completion_len", "accuracy"};

static int parse_line(batch *b, const char *name, long line, json_t *o)
{
	if (!json_is_object(o))
		return fail_at(name, line, "expected a JSON object");
	if (json_object_get(o, "grpo_batch")) {
		if (b->have_header || b->ns)
			return fail_at(name, line, "the header must be the first line");
		return parse_header(b, name, line, o);
	}
	if (!b->have_header)
		return fail_at(name, line, "the first line must be the header "
				"(\"grpo_batch\": 1)");
	if (json_object_get(o, "stats")) {
		json_t *st = json_object_get(o, "stats"), *v;
		const char *k;
		if (json_object_size(o) != 1 || !json_is_object(st))
			return fail_at(name, line, "stats: expected {\"stats\": {...}}");
		if (b->stats)
			return fail_at(name, line, "a second stats line");
		json_object_foreach(st, k, v) {
			size_t i;
			double d;
			for (i = 0; i < sizeof stat_names / sizeof *stat_names; i++)
				if (!strcmp(k, stat_names[i]))
					break;
			if (i == sizeof stat_names / sizeof *stat_names)
				return fail_at(name, line, "unknown statistic '%s'", k);
			if (!json_is_null(v) && number(v, &d))
				return fail_at(name, line, "stats.%s: expected a number", k);
		}
		b->stats = json_incref(st);
		b->stats_line = line;
		return 0;
	}
	return parse_sample(b, name, line, o);
}

static int cmp_group(const void *x, const void *y)
{
	const sample *a = *(const sample *const *)x, *b = *(const sample *const *)y;
	int c = strcmp(a->group, b->group);
	if (c)
		return c;
	return (a->line > b->line) - (a->line < b->line);
}

static int audit_batch(rf_grpo_audit *a, batch *b, const char *name, double tol)
{
	sample **order = NULL;
	double *r = NULL, *adv = NULL, *gadv = NULL;
	size_t *start = NULL;
	int *len = NULL;
	rf_grpo_stats st;
	int rc = 0;

	if (b->ns == 0)
		return rf_error_set(RF_EFORMAT, "'%s': no samples", name);
	if (b->any_old && !b->all_old)
		return rf_error_set(RF_EFORMAT,
				    "'%s': old_logp given for some samples only", name);
	if (b->any_ref && !b->all_ref)
		return rf_error_set(RF_EFORMAT,
				    "'%s': ref_logp given for some samples only", name);
	if (b->p.beta > 0 && !b->all_ref)
		return rf_error_set(RF_EFORMAT,
				    "'%s': beta > 0 needs ref_logp for every sample", name);
	order = malloc(b->ns * sizeof *order);
	r = malloc(b->ns * sizeof *r);
	adv = malloc(b->ns * sizeof *adv);
	gadv = malloc(b->ns * sizeof *gadv);
	start = malloc(b->ns * sizeof *start);
	len = malloc(b->ns * sizeof *len);
	if (!order || !r || !adv || !gadv || !start || !len) {
		rc = rf_error_set(RF_ENOMEM, "out of memory");
		goto out;
	}
	/* group the samples (stable: file order within a group) */
	for (size_t i = 0; i < b->ns; i++)
		order[i] = &b->s[i];
	qsort(order, b->ns, sizeof *order, cmp_group);
	for (size_t i = 0; i < b->ns;) {
		size_t j = i;
		while (j < b->ns && !strcmp(order[j]->group, order[i]->group))
			j++;
		for (size_t k = i; k < j; k++)
			r[k] = order[k]->reward;
		rf_grpo_group_advantages(r + i, j - i, b->adv_eps, b->sample_std,
					 gadv + i, NULL, NULL);
		for (size_t k = i; k < j; k++)
			order[k]->gidx = a->groups;
		a->groups++;
		i = j;
	}
	/* back to file order */
	for (size_t k = 0; k < b->ns; k++)
		adv[order[k] - b->s] = gadv[k];
	for (size_t i = 0; i < b->ns; i++) {
		start[i] = b->s[i].start;
		len[i] = b->s[i].len;
		if (b->s[i].has_adv &&
		    (rc = add_item(a, tol, b->s[i].adv_logged, adv[i],
				   "line %ld: advantage (group %s)", b->s[i].line,
				   b->s[i].group)))
			goto out;
		for (int t = 0; t < len[i]; t++) {
			size_t k = start[i] + (size_t)t;
			double want;
			if (isnan(b->ratio_logged[k]))
				continue;
			want = exp((double)b->logp[k] - (double)b->old[k]);
			if ((rc = add_item(a, tol, b->ratio_logged[k], want,
					   "line %ld: ratio[%d]", b->s[i].line, t)))
				goto out;
		}
	}
	rc = rf_grpo_loss(&b->p, b->ns, start, len, adv, b->logp,
			  b->all_old ? b->old : NULL, b->all_ref ? b->ref : NULL,
			  &st, NULL);
	if (rc)
		goto out;
	a->samples = b->ns;
	a->tokens = st.tokens;
	if (b->stats) {
		double rm = 0, rv = 0;
		for (size_t i = 0; i < b->ns; i++)
			rm += b->s[i].reward;
		rm /= (double)b->ns;
		for (size_t i = 0; i < b->ns; i++)
			rv += (b->s[i].reward - rm) * (b->s[i].reward - rm);
		rv = sqrt(rv / (double)b->ns);
		struct {
			const char *k;
			double v;
		} derived[] = {
			{"loss", st.loss},
			{"kl", st.kl},
			{"clip_frac", st.clip_frac},
			{"ratio_mean", st.ratio_mean},
			{"ratio_min", st.ratio_min},
			{"ratio_max", st.ratio_max},
			{"reward_mean", rm},
			{"reward_std", rv},
			{"tokens", (double)st.tokens},
		};
		for (size_t i = 0; i < sizeof derived / sizeof *derived; i++) {
			json_t *v = json_object_get(b->stats, derived[i].k);
			double logged;
			if (!v)
				continue;
			logged = json_is_null(v) ? NAN : json_number_value(v);
			if ((rc = add_item(a, tol, logged, derived[i].v,
					   "line %ld: stats.%s", b->stats_line,
					   derived[i].k)))
				goto out;
		}
	}
out:
	free(order);
	free(r);
	free(adv);
	free(gadv);
	free(start);
	free(len);
	return rc;
}

int rf_grpo_audit_parse(rf_grpo_audit **out, const char *text, size_t len,
			const char *name, double tol)
{
	rf_grpo_audit *a;
	batch b;
	size_t pos = 0;
	long line = 0;
	int rc = 0;

	*out = NULL;
	if (!(tol >= 0))
		return rf_error_set(RF_EINVAL, "tolerance must be >= 0");
	a = calloc(1, sizeof *a);
	if (!a)
		return rf_error_set(RF_ENOMEM, "out of memory");
	memset(&b, 0, sizeof b);
	while (pos < len) {
		const char *nl = memchr(text + pos, '\n', len - pos);
		size_t end = nl ? (size_t)(nl - text) : len;
		size_t s = pos;
		json_error_t jerr;
		json_t *o;
		line++;
		pos = end + 1;
		while (s < end && (text[s] == ' ' || text[s] == '\t' ||
				   text[s] == '\r'))
			s++;
		if (s == end)
			continue;
		if ((rc = rf_jsonl_check_line(text + s, end - s, AUDIT_MAX_LINE,
					      name, line)))
			goto out;
		o = json_loadb(text + s, end - s, JSON_REJECT_DUPLICATES, &jerr);
		if (!o) {
			rc = fail_at(name, line, "not JSON: %s", jerr.text);
			goto out;
		}
		rc = parse_line(&b, name, line, o);
		json_decref(o);
		if (rc)
			goto out;
	}
	if (!b.have_header) {
		rc = rf_error_set(RF_EFORMAT, "'%s': no header line", name);
		goto out;
	}
	rc = audit_batch(a, &b, name, tol);
out:
	free(b.s);
	free(b.logp);
	free(b.old);
	free(b.ref);
	free(b.ratio_logged);
	json_decref(b.stats);
	if (rc) {
		rf_grpo_audit_free(a);
		return rc;
	}
	*out = a;
	return 0;
}

int rf_grpo_audit_file(rf_grpo_audit **out, const char *path, double tol)
{
	rf_buf buf = RF_BUF_INIT;
	int rc;
	*out = NULL;
	if ((rc = rf_file_read(&buf, path, AUDIT_MAX_BYTES)))
		return rc;
	rc = rf_grpo_audit_parse(out, buf.data ? buf.data : "", buf.len, path, tol);
	rf_buf_free(&buf);
	return rc;
}

size_t rf_grpo_audit_count(const rf_grpo_audit *a) { return a ? a->n : 0; }
size_t rf_grpo_audit_failures(const rf_grpo_audit *a) { return a ? a->failures : 0; }
size_t rf_grpo_audit_samples(const rf_grpo_audit *a) { return a ? a->samples : 0; }
size_t rf_grpo_audit_groups(const rf_grpo_audit *a) { return a ? a->groups : 0; }
size_t rf_grpo_audit_tokens(const rf_grpo_audit *a) { return a ? a->tokens : 0; }

const rf_grpo_audit_item *rf_grpo_audit_item_at(const rf_grpo_audit *a,
						size_t i)
{
	return a && i < a->n ? &a->items[i] : NULL;
}

void rf_grpo_audit_free(rf_grpo_audit *a)
{
	if (!a)
		return;
	free(a->items);
	free(a);
}
