/* The claims check: loads manifests, turns every reported ledger figure and
 * every claim into a row, hands each claim's `from:` to the derivation
 * source it names, and compares claimed with derived intervals. */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "internal.h"
#include "referee/error.h"

struct row {
	rf_claim_result r;
	char *id, *sentence, *claimed_text, *source, *origin, *reason;
	rf_buf explain;
};

struct loaded {
	rf_manifest *m;
	char *stem; /* file name without directory and extension */
};

struct rf_check {
	rf_check_options opts;  /* as given (0 = unset) */
	rf_check_options eff;   /* effective, after manifest settings */
	rf_claims_source *sources;
	size_t nsources;
	struct loaded *mans;
	size_t nmans;
	char *dir;
	char *root;       /* the payload a claim's files must stay in */
	char **skipped;   /* YAML files in dir that are not manifests */
	size_t nskipped;
	struct row *rows;
	size_t nrows, cap;
};

struct rf_claims_env {
	const rf_check *c;
	const struct row *row;
	rf_check *w;          /* set while a source's rows hook runs */
	const char *src_name; /* that source */
};

const char *rf_verdict_name(rf_verdict v)
{
	switch (v) {
	case RF_VERDICT_CONFIRMED:
		return "CONFIRMED";
	case RF_VERDICT_INCONSISTENT:
		return "INCONSISTENT";
	case RF_VERDICT_SUSPICIOUS:
		return "SUSPICIOUS";
	case RF_VERDICT_IMPOSSIBLE:
		return "IMPOSSIBLE";
	case RF_VERDICT_UNVERIFIABLE:
		return "UNVERIFIABLE";
	}
	return "?";
}

/* The built-in derivation sources: one line each in source_list.h. */
static const rf_source_def *const builtin[] = {
#define RF_SOURCE(n) &rf_source_##n,
#include "source_list.h"
#undef RF_SOURCE
};

static const rf_source_def *builtin_def(const char *name)
{
	for (size_t i = 0; name && i < sizeof builtin / sizeof builtin[0]; i++)
		if (!strcmp(builtin[i]->src.name, name))
			return builtin[i];
	return NULL;
}

static const rf_claims_source *source_find(const rf_check *c, const char *name)
{
	for (size_t i = 0; i < c->nsources; i++)
		if (!strcmp(c->sources[i].name, name))
			return &c->sources[i];
	return NULL;
}

int rf_check_new(rf_check **out, const rf_check_options *opts)
{
	rf_check *c = calloc(1, sizeof *c);
	*out = NULL;
	if (!c)
		return rf_error_set(RF_ENOMEM, "out of memory");
	if (opts)
		c->opts = *opts;
	c->eff = c->opts;
	for (size_t i = 0; i < sizeof builtin / sizeof builtin[0]; i++) {
		int rc = rf_check_add_source(c, &builtin[i]->src);
		if (rc) {
			rf_check_free(c);
			return rc;
		}
	}
	*out = c;
	return 0;
}

static void rows_free(rf_check *c)
{
	for (size_t i = 0; i < c->nrows; i++) {
		struct row *r = &c->rows[i];
		free(r->id);
		free(r->sentence);
		free(r->claimed_text);
		free(r->source);
		free(r->origin);
		free(r->reason);
		rf_buf_free(&r->explain);
	}
	free(c->rows);
	c->rows = NULL;
	c->nrows = c->cap = 0;
}

void rf_check_free(rf_check *c)
{
	if (!c)
		return;
	rows_free(c);
	for (size_t i = 0; i < c->nmans; i++) {
		rf_manifest_free(c->mans[i].m);
		free(c->mans[i].stem);
	}
	free(c->mans);
	free(c->sources);
	free(c->dir);
	free(c->root);
	rf_manifest_list_free(c->skipped, c->nskipped);
	free(c);
}

int rf_check_add_source(rf_check *c, const rf_claims_source *src)
{
	rf_claims_source *s;
	if (!src || !src->name || !src->derive)
		return rf_error_set(RF_EINVAL, "a claims source needs a name and a derive function");
	for (size_t i = 0; i < c->nsources; i++)
		if (!strcmp(c->sources[i].name, src->name))
			return rf_error_set(RF_EEXIST, "claims source '%s' is already registered",
					    src->name);
	s = realloc(c->sources, (c->nsources + 1) * sizeof *s);
	if (!s)
		return rf_error_set(RF_ENOMEM, "out of memory");
	c->sources = s;
	c->sources[c->nsources++] = *src;
	return 0;
}

static char *stem_of(const char *path)
{
	const char *b = strrchr(path, '/');
	char *s, *dot;
	s = strdup(b ? b + 1 : path);
	if (s && (dot = strrchr(s, '.')) && dot != s)
		*dot = '\0';
	return s;
}

int rf_check_add_manifest(rf_check *c, rf_manifest *m)
{
	struct loaded *l = realloc(c->mans, (c->nmans + 1) * sizeof *l);
	if (!l) {
		rf_manifest_free(m);
		return rf_error_set(RF_ENOMEM, "out of memory");
	}
	c->mans = l;
	c->mans[c->nmans].m = m;
	c->mans[c->nmans].stem = stem_of(rf_manifest_file(m));
	if (!c->mans[c->nmans].stem) {
		rf_manifest_free(m);
		return rf_error_set(RF_ENOMEM, "out of memory");
	}
	c->nmans++;
	return 0;
}

int rf_check_load_dir(rf_check *c, const char *dir)
{
	char **list;
	size_t n;
	int rc = rf_manifest_list(&list, &n, dir, 1000);
	if (rc)
		return rc;
	free(c->dir);
	c->dir = strdup(dir);
	if (!c->dir) {
		rf_manifest_list_free(list, n);
		return rf_error_set(RF_ENOMEM, "out of memory");
	}
	for (size_t i = 0; i < n && !rc; i++) {
		rf_manifest *m;
		int is = rf_manifest_sniff(list[i]);
		if (is == 0) { /* other YAML (a framework's config): listed, not loaded */
			char **sk = realloc(c->skipped, (c->nskipped + 1) * sizeof *sk);
			if (!sk) {
				rc = rf_error_set(RF_ENOMEM, "out of memory");
				break;
			}
			c->skipped = sk;
			c->skipped[c->nskipped++] = list[i];
			list[i] = NULL;
			continue;
		}
		rc = is < 0 ? is : rf_manifest_load(&m, list[i]);
		if (!rc)
			rc = rf_check_add_manifest(c, m);
	}
	rf_manifest_list_free(list, n);
	if (!rc && c->nmans == 0)
		rc = rf_error_set(RF_ENOTFOUND, "no manifests (*.yaml) in '%s'", dir);
	return rc;
}

size_t rf_check_not_manifest_count(const rf_check *c)
{
	return c->nskipped;
}

const char *rf_check_not_manifest_at(const rf_check *c, size_t i)
{
	return i < c->nskipped ? c->skipped[i] : NULL;
}

int rf_check_set_root(rf_check *c, const char *root)
{
	char *r = root ? strdup(root) : NULL;
	if (root && !r)
		return rf_error_set(RF_ENOMEM, "out of memory");
	free(c->root);
	c->root = r;
	return 0;
}

/* ------------------------------------------------------------- env */

const char *rf_claims_env_dir(const rf_claims_env *env)
{
	return env->c->dir ? env->c->dir : ".";
}

const char *rf_claims_env_root(const rf_claims_env *env)
{
	return env->c->root ? env->c->root : rf_claims_env_dir(env);
}

const rf_manifest *rf_claims_env_manifest(const rf_claims_env *env, const char *kind,
					  const char *name)
{
	const rf_manifest *found = NULL;
	for (size_t i = 0; i < env->c->nmans; i++) {
		const struct loaded *l = &env->c->mans[i];
		const char *k = rf_manifest_kind_name(l->m);
		if (!k || strcmp(k, kind))
			continue;
		if (name) {
			const rf_node *id = rf_node_get(rf_manifest_root(l->m), "name");
			if (!strcmp(l->stem, name) ||
			    (id && rf_node_text(id) && !strcmp(rf_node_text(id), name)))
				return l->m;
			continue;
		}
		if (found)
			return NULL; /* several: the claim must name one */
		found = l->m;
	}
	return found;
}

const rf_figure *rf_claims_env_claimed(const rf_claims_env *env)
{
	return env->row && env->row->r.has_claimed ? &env->row->r.claimed : NULL;
}

const rf_figure *rf_claims_env_claim(const rf_claims_env *env, const char *id)
{
	for (size_t i = 0; i < env->c->nrows; i++)
		if (!strcmp(env->c->rows[i].id, id) && env->c->rows[i].r.has_claimed)
			return &env->c->rows[i].r.claimed;
	return NULL;
}

const char *rf_env_claim_origin(const rf_claims_env *env, const char *id)
{
	for (size_t i = 0; i < env->c->nrows; i++)
		if (!strcmp(env->c->rows[i].id, id) && env->c->rows[i].origin)
			return env->c->rows[i].origin;
	return "";
}

const rf_check_options *rf_claims_env_options(const rf_claims_env *env)
{
	return &env->c->eff;
}

/* ------------------------------------------------------------- rows */

static struct row *row_new(rf_check *c, const char *id)
{
	struct row *r;
	if (c->nrows == c->cap) {
		size_t cap = c->cap ? c->cap * 2 : 16;
		struct row *rows = realloc(c->rows, cap * sizeof *rows);
		if (!rows)
			return NULL;
		c->rows = rows;
		c->cap = cap;
	}
	r = &c->rows[c->nrows];
	memset(r, 0, sizeof *r);
	if (!(r->id = strdup(id)))
		return NULL;
	c->nrows++;
	return r;
}

static int set_str(char **dst, const char *src)
{
	free(*dst);
	*dst = NULL;
	if (src && !(*dst = strdup(src)))
		return rf_error_set(RF_ENOMEM, "out of memory");
	return 0;
}

static void set_reason(struct row *r, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static void set_reason(struct row *r, const char *fmt, ...)
{
	char buf[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof buf, fmt, ap);
	va_end(ap);
	set_str(&r->reason, buf);
}

/* Compare claimed and derived; the source may have decided already. */
static int decide(struct row *r, const rf_derivation *d)
{
	rf_buf tmp = RF_BUF_INIT;
	r->r.derived = *d;
	r->r.has_derived = 1;
	if (d->verdict) {
		/* the source's last line of explanation says why */
		const char *e = r->explain.data ? r->explain.data : "";
		size_t n = strlen(e);
		while (n && e[n - 1] == '\n')
			n--;
		size_t b = n;
		while (b && e[b - 1] != '\n')
			b--;
		r->r.verdict = (rf_verdict)d->verdict;
		set_reason(r, "%.*s", (int)(n - b), e + b);
		return 0;
	}
	if (!rf_unit_same_dim(&r->r.claimed.unit, &d->figure.unit)) {
		set_reason(r, "the derivation gives %s, not the claimed unit",
			   d->figure.unit.name[0] ? d->figure.unit.name : "a plain number");
		r->r.verdict = RF_VERDICT_UNVERIFIABLE;
		return 0;
	}
	if (rf_interval_overlaps(r->r.claimed.v, d->figure.v)) {
		r->r.verdict = RF_VERDICT_CONFIRMED;
		rf_buf_puts(&tmp, "the claimed interval overlaps the derived one");
	} else {
		r->r.verdict = RF_VERDICT_INCONSISTENT;
		rf_buf_puts(&tmp, "claimed ");
		rf_interval_format_apart(&tmp, r->r.claimed.v, &r->r.claimed.unit, d->figure.v);
		rf_buf_puts(&tmp, " and derived ");
		rf_interval_format_apart(&tmp, d->figure.v, &r->r.claimed.unit, r->r.claimed.v);
		rf_buf_puts(&tmp, " cannot both hold");
		/* two statements of one quantity: name both */
		if (d->where[0])
			rf_buf_printf(&tmp, " (stated at %s and at %s)", r->origin ? r->origin : "?",
				      d->where);
	}
	set_str(&r->reason, tmp.data);
	rf_buf_free(&tmp);
	return 0;
}

/* A derive call's outcome: 0 derived, 1 unverifiable (reason set), <0 error. */
static int derive_outcome(struct row *r, int rc)
{
	if (rc == RF_ENOTFOUND || rc == RF_EUNSUPPORTED) {
		r->r.verdict = RF_VERDICT_UNVERIFIABLE;
		set_str(&r->reason, rf_error_last());
		return 1;
	}
	return rc;
}

static void position(char *buf, size_t size, const rf_node *n)
{
	snprintf(buf, size, "%s:%u:%u", rf_node_file(n), rf_node_line(n), rf_node_column(n));
}

/* Automatic rows (a ledger's reported figures): a source's rows hook calls
 * begin, derives into the returned explanation, then end. */
int rf_env_row_begin(rf_claims_env *env, const char *id, const rf_node *rep,
		     const rf_node *sentence, const char *path, const char *unit,
		     rf_buf **explain)
{
	char pos[512];
	struct row *r;
	int rc;
	if (!env->w)
		return rf_error_set(RF_EINVAL, "rows are added only while the check runs");
	if (!(r = row_new(env->w, id)))
		return rf_error_set(RF_ENOMEM, "out of memory");
	env->row = r;
	position(pos, sizeof pos, rep);
	set_str(&r->origin, pos);
	set_str(&r->source, env->src_name);
	set_str(&r->claimed_text, rf_node_text(rep));
	set_str(&r->sentence, sentence ? rf_node_text(sentence) : NULL);
	if ((rc = rf_claims_env_figure(&r->r.claimed, env, rep, path, unit, 0)))
		return rc;
	r->r.has_claimed = 1;
	*explain = &r->explain;
	return 0;
}

int rf_env_row_end(rf_claims_env *env, int rc, const rf_derivation *d)
{
	struct row *r = (struct row *)env->row;
	if (!r)
		return rc;
	if ((rc = derive_outcome(r, rc)) == 0)
		rc = decide(r, d);
	return rc < 0 ? rc : 0;
}


/* The built-in sources' parameters are checked here, before derive; other
 * sources check their own. */
static const rf_field *builtin_fields(const char *name)
{
	const rf_source_def *d = builtin_def(name);
	return d ? d->fields : NULL;
}

static int claim_rows(rf_check *c, const struct loaded *l)
{
	const rf_node *claims = rf_node_get(rf_manifest_root(l->m), "claims");
	char path[128], pos[512];
	int rc = 0;
	/* every claimed figure first, so claims may refer to later ones */
	size_t first = c->nrows;
	for (size_t i = 0; i < rf_node_size(claims); i++) {
		const rf_node *n = rf_node_at(claims, i);
		const rf_node *claimed = rf_node_get(n, "claimed");
		const rf_node *prec = rf_node_get(n, "precision");
		const rf_node *from = rf_node_get(n, "from");
		rf_figure_opts o = {0};
		struct row *r = row_new(c, rf_node_text(rf_node_get(n, "id")));
		if (!r)
			return rf_error_set(RF_ENOMEM, "out of memory");
		position(pos, sizeof pos, n);
		set_str(&r->origin, pos);
		set_str(&r->sentence, rf_node_text(rf_node_get(n, "sentence")));
		set_str(&r->claimed_text, rf_node_text(claimed));
		set_str(&r->source, rf_node_text(rf_node_get(from, "source")));
		o.approx = c->eff.approx;
		o.precision = prec ? rf_node_text(prec) : NULL;
		snprintf(path, sizeof path, "claims[%zu].%s", i, prec ? "precision" : "claimed");
		if (rf_figure_parse(&r->r.claimed, rf_node_text(claimed), &o))
			return rf_node_error(RF_EFORMAT, prec ? prec : claimed, path, "%s",
					     rf_error_last());
		r->r.has_claimed = 1;
	}
	for (size_t i = 0; i < rf_node_size(claims); i++) {
		struct row *r = &c->rows[first + i];
		const rf_node *from = rf_node_get(rf_node_at(claims, i), "from");
		const rf_claims_source *src = source_find(c, r->source);
		rf_claims_env env = {c, r, NULL, NULL};
		rf_derivation d = {0};
		if (!src) {
			r->r.verdict = RF_VERDICT_UNVERIFIABLE;
			set_reason(r, "no derivation source '%s' in this build of referee",
				   r->source);
			continue;
		}
		snprintf(path, sizeof path, "claims[%zu].from", i);
		if (builtin_fields(src->name) &&
		    (rc = rf_schema_check(from, builtin_fields(src->name), path)))
			return rc;
		rc = src->derive(src->ctx, &env, from, &d, &r->explain);
		rc = derive_outcome(r, rc);
		if (rc < 0)
			return rf_error_wrap(rc, "claim '%s' (%s)", r->id, r->origin);
		if (rc == 0 && (rc = decide(r, &d)))
			return rc;
	}
	return 0;
}

int rf_claims_lint(const rf_manifest *m)
{
	const rf_node *claims = rf_node_get(rf_manifest_root(m), "claims");
	char path[128];
	int rc;
	for (size_t i = 0; i < rf_node_size(claims); i++) {
		const rf_node *n = rf_node_at(claims, i), *claimed = rf_node_get(n, "claimed");
		const rf_node *prec = rf_node_get(n, "precision"), *from = rf_node_get(n, "from");
		const rf_field *fields = builtin_fields(rf_node_text(rf_node_get(from, "source")));
		rf_figure_opts o = {0};
		rf_figure f;
		o.precision = prec ? rf_node_text(prec) : NULL;
		snprintf(path, sizeof path, "claims[%zu].%s", i, prec ? "precision" : "claimed");
		if (claimed && rf_figure_parse(&f, rf_node_text(claimed), &o))
			return rf_node_error(RF_EFORMAT, prec ? prec : claimed, path, "%s",
					     rf_error_last());
		snprintf(path, sizeof path, "claims[%zu].from", i);
		if (fields && (rc = rf_schema_check(from, fields, path)))
			return rc;
	}
	return 0;
}

/* settings: in claims manifests; options given to rf_check_new win. */
static int apply_settings(rf_check *c)
{
	c->eff = c->opts;
	for (size_t i = 0; i < c->nmans; i++) {
		const char *k = rf_manifest_kind_name(c->mans[i].m);
		const rf_node *s, *v;
		rf_figure f;
		if (!k || strcmp(k, "claims"))
			continue;
		s = rf_node_get(rf_manifest_root(c->mans[i].m), "settings");
		if ((v = rf_node_get(s, "approx")) && !c->opts.approx) {
			rf_figure_opts o = {.exact = 1};
			if (rf_figure_parse(&f, rf_node_text(v), &o))
				return rf_node_error(RF_EFORMAT, v, "settings.approx", "%s",
						     rf_error_last());
			if (!(f.v.hi > 0 && f.v.hi < 1))
				return rf_node_error(RF_EFORMAT, v, "settings.approx",
						     "expected a percentage between 0 and 100");
			c->eff.approx = f.v.hi;
		}
		if ((v = rf_node_get(s, "suspicious-mfu")) && !c->opts.suspicious_mfu) {
			rf_figure_opts o = {.exact = 1};
			if (rf_figure_parse(&f, rf_node_text(v), &o))
				return rf_node_error(RF_EFORMAT, v, "settings.suspicious-mfu", "%s",
						     rf_error_last());
			if (!(f.v.hi > 0))
				return rf_node_error(RF_EFORMAT, v, "settings.suspicious-mfu",
						     "expected a positive percentage");
			c->eff.suspicious_mfu = f.v.hi;
		}
	}
	/* no tolerance: a hedge is its written rounding (DESIGN.md) */
	if (!(c->eff.approx > 0 && c->eff.approx < 1))
		c->eff.approx = 0;
	if (!(c->eff.suspicious_mfu > 0))
		c->eff.suspicious_mfu = 0.60;
	return 0;
}

static int row_id_cmp(const void *a, const void *b)
{
	const struct row *x = *(struct row *const *)a, *y = *(struct row *const *)b;
	int r = strcmp(x->id, y->id);
	return r ? r : (x < y ? -1 : x > y);
}

static int check_unique_ids(const rf_check *c)
{
	struct row **v;
	int rc = 0;
	if (c->nrows < 2)
		return 0;
	if (!(v = malloc(c->nrows * sizeof *v)))
		return rf_error_set(RF_ENOMEM, "out of memory");
	for (size_t i = 0; i < c->nrows; i++)
		v[i] = &c->rows[i];
	qsort(v, c->nrows, sizeof *v, row_id_cmp);
	for (size_t i = 1; i < c->nrows && !rc; i++)
		if (!strcmp(v[i]->id, v[i - 1]->id))
			rc = rf_error_set(RF_EFORMAT, "%s: claim id '%s' is used twice (also %s)",
					  v[i]->origin, v[i]->id, v[i - 1]->origin);
	free(v);
	return rc;
}

int rf_check_run(rf_check *c)
{
	int rc;
	rows_free(c);
	if ((rc = apply_settings(c)))
		return rc;
	/* the rows the built-in sources make of manifests (a ledger's
	 * reported figures), manifest by manifest, source by source */
	for (size_t i = 0; i < c->nmans; i++) {
		const char *k = rf_manifest_kind_name(c->mans[i].m);
		for (size_t j = 0; k && j < sizeof builtin / sizeof builtin[0]; j++) {
			rf_claims_env env = {c, NULL, c, builtin[j]->src.name};
			if (!builtin[j]->rows || strcmp(builtin[j]->rows_kind, k))
				continue;
			if ((rc = builtin[j]->rows(&env, c->mans[i].m, c->mans[i].stem)))
				return rc;
		}
	}
	for (size_t i = 0; i < c->nmans; i++) {
		const char *k = rf_manifest_kind_name(c->mans[i].m);
		if (k && !strcmp(k, "claims") && (rc = claim_rows(c, &c->mans[i])))
			return rc;
	}
	/* duplicate ids across manifests would make the report ambiguous */
	if ((rc = check_unique_ids(c)))
		return rc;
	for (size_t i = 0; i < c->nrows; i++) {
		struct row *r = &c->rows[i];
		r->r.id = r->id;
		r->r.sentence = r->sentence;
		r->r.claimed_text = r->claimed_text;
		r->r.source = r->source;
		r->r.origin = r->origin;
		r->r.explain = r->explain.data ? r->explain.data : "";
		r->r.reason = r->reason ? r->reason : "";
	}
	return 0;
}

size_t rf_check_count(const rf_check *c)
{
	return c->nrows;
}

const rf_claim_result *rf_check_result(const rf_check *c, size_t i)
{
	return i < c->nrows ? &c->rows[i].r : NULL;
}

size_t rf_check_tally(const rf_check *c, rf_verdict v)
{
	size_t n = 0;
	for (size_t i = 0; i < c->nrows; i++)
		n += c->rows[i].r.verdict == v;
	return n;
}

int rf_check_failed(const rf_check *c)
{
	return rf_check_tally(c, RF_VERDICT_INCONSISTENT) ||
	       rf_check_tally(c, RF_VERDICT_IMPOSSIBLE);
}

/* ------------------------------------------------------------ report */

static json_t *interval_json(const rf_figure *f)
{
	json_t *o = json_object();
	double k = f->unit.div / f->unit.mul;
	/* a bound's open side is unbounded: JSON has no infinity, so null */
	json_object_set_new(o, "lo", isfinite(f->v.lo) ? json_real(f->v.lo * k) : json_null());
	json_object_set_new(o, "hi", isfinite(f->v.hi) ? json_real(f->v.hi * k) : json_null());
	json_object_set_new(o, "lo_open", json_boolean(f->v.lo_open));
	json_object_set_new(o, "hi_open", json_boolean(f->v.hi_open));
	json_object_set_new(o, "unit", json_string(f->unit.name));
	return o;
}

int rf_check_report(rf_report **out, const rf_check *c, const char *title)
{
	static const char *const cols[] = {"claim", "claimed", "derived", "verdict"};
	rf_report *rep;
	rf_buf derived = RF_BUF_INIT, sum = RF_BUF_INIT, details = RF_BUF_INIT;
	int rc = rf_report_new(&rep, title, cols, 4);
	if (rc)
		return rc;
	for (size_t i = 0; i < c->nrows && !rc; i++) {
		const rf_claim_result *r = &c->rows[i].r;
		const char *cells[4];
		rf_report_status st;
		json_t *extra = json_object();
		char *json;
		rf_buf_clear(&derived);
		rf_buf_clear(&details);
		if (r->has_derived) {
			/* shown in the claim's unit when they match */
			const rf_unit *u = rf_unit_same_dim(&r->claimed.unit, &r->derived.figure.unit)
						   ? &r->claimed.unit : &r->derived.figure.unit;
			if (!rf_unit_same_dim(u, &r->claimed.unit) && !strcmp(u->name, ""))
				rf_buf_puts(&derived, "ratio ");
			rf_interval_format(&derived, r->derived.figure.v, u);
			if (!rf_unit_same_dim(u, &r->claimed.unit) && !strcmp(u->name, "%"))
				rf_buf_puts(&derived, " MFU");
		} else {
			rf_buf_puts(&derived, "-");
		}
		cells[0] = r->id;
		cells[1] = r->claimed_text ? r->claimed_text : "-";
		cells[2] = derived.data;
		cells[3] = rf_verdict_name(r->verdict);
		switch (r->verdict) {
		case RF_VERDICT_CONFIRMED:
			st = RF_REPORT_PASS;
			break;
		case RF_VERDICT_SUSPICIOUS:
			st = RF_REPORT_WARN;
			break;
		case RF_VERDICT_UNVERIFIABLE:
			st = RF_REPORT_SKIP;
			break;
		default:
			st = RF_REPORT_FAIL;
		}
		if (r->sentence)
			rf_buf_printf(&details, "sentence: \"%s\"\n", r->sentence);
		rf_buf_printf(&details, "source: %s (%s)\n", r->source ? r->source : "-", r->origin);
		if (r->has_claimed) {
			rf_buf_puts(&details, "claimed = ");
			rf_interval_format(&details, r->claimed.v, &r->claimed.unit);
			rf_buf_puts(&details, "\n");
		}
		rf_buf_puts(&details, r->explain);
		json_object_set_new(extra, "verdict", json_string(rf_verdict_name(r->verdict)));
		json_object_set_new(extra, "source", json_string(r->source ? r->source : ""));
		json_object_set_new(extra, "origin", json_string(r->origin ? r->origin : ""));
		if (r->sentence)
			json_object_set_new(extra, "sentence", json_string(r->sentence));
		if (r->has_claimed)
			json_object_set_new(extra, "claimed_interval", interval_json(&r->claimed));
		if (r->has_derived)
			json_object_set_new(extra, "derived_interval", interval_json(&r->derived.figure));
		json = json_dumps(extra, JSON_COMPACT);
		json_decref(extra);
		if (!json) {
			rc = rf_error_set(RF_ENOMEM, "out of memory");
			break;
		}
		rc = rf_report_add_row(rep, cells, st, r->reason, details.data, json);
		free(json);
	}
	if (!rc) {
		rf_buf_printf(&sum, "%zu claims: %zu confirmed, %zu inconsistent, %zu suspicious, "
				    "%zu impossible, %zu unverifiable",
			      c->nrows, rf_check_tally(c, RF_VERDICT_CONFIRMED),
			      rf_check_tally(c, RF_VERDICT_INCONSISTENT),
			      rf_check_tally(c, RF_VERDICT_SUSPICIOUS),
			      rf_check_tally(c, RF_VERDICT_IMPOSSIBLE),
			      rf_check_tally(c, RF_VERDICT_UNVERIFIABLE));
		rc = rf_report_set_summary(rep, sum.data);
	}
	rf_buf_free(&derived);
	rf_buf_free(&sum);
	rf_buf_free(&details);
	if (rc) {
		rf_report_free(rep);
		return rc;
	}
	*out = rep;
	return 0;
}
