/* The `rescore` derivation source of the claims check: a claim such as
 * "pass@1 on AIME 2024 is 79.8%" names the rollouts it was computed from,
 * and `referee check` re-scores them with the named reward and compares:
 *
 *   from: {source: rescore, rollouts: outputs.jsonl, reward: math,
 *          metric: pass@1 | pass@k | cons@k | maj@k | mean-reward, k: 8,
 *          map: {completion: code, answer: gt}, use: value | ci95}
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "referee/error.h"
#include "referee/file.h"
#include "referee/path.h"
#include "referee/rescore.h"
#include "rescore/claims_files.h"

static const rf_field map_fields[] = {
    {.name = "id",
     .type = RF_FIELD_STRING,
     .flags = RF_FIELD_NONEMPTY,
     .doc = "field holding the problem id"},
    {.name = "completion",
     .type = RF_FIELD_STRING,
     .flags = RF_FIELD_NONEMPTY,
     .doc = "field holding the completion(s)"},
    {.name = "answer",
     .type = RF_FIELD_STRING,
     .flags = RF_FIELD_NONEMPTY,
     .doc = "field holding the reference answer"},
    {.name = "numbers",
     .type = RF_FIELD_STRING,
     .flags = RF_FIELD_NONEMPTY,
     .doc = "field holding countdown's numbers"},
    {NULL}};

static const rf_field params[] = {
    {.name = "source", .type = RF_FIELD_STRING, .flags = RF_FIELD_REQUIRED},
    {.name = "rollouts",
     .type = RF_FIELD_STRING,
     .flags = RF_FIELD_REQUIRED | RF_FIELD_NONEMPTY,
     .doc = "JSON Lines file, relative to the manifests' directory"},
    {.name = "reward",
     .type = RF_FIELD_STRING,
     .flags = RF_FIELD_NONEMPTY,
     .doc = "reward spec (default math)"},
    {.name = "config",
     .type = RF_FIELD_STRING,
     .flags = RF_FIELD_NONEMPTY,
     .doc =
	 "training-config manifest (file stem or name) whose rewards to use"},
    {.name = "metric",
     .type = RF_FIELD_STRING,
     .flags = RF_FIELD_REQUIRED,
     .doc = "pass@1, pass@k, cons@k (maj@k), mean-reward; pass@8 sets k"},
    {.name = "k",
     .type = RF_FIELD_INT,
     .flags = RF_FIELD_RANGE,
     .min = 1,
     .max = RF_RESCORE_MAX_SAMPLES,
     .doc = "k of pass@k and cons@k"},
    {.name = "map",
     .type = RF_FIELD_MAP,
     .fields = map_fields,
     .doc = "field names, as rescore --map"},
    {.name = "extract",
     .type = RF_FIELD_STRING,
     .flags = RF_FIELD_NONEMPTY,
     .doc = "math answer extraction rules (boxed,answer-is,last-number)"},
    {.name = "format",
     .type = RF_FIELD_STRING,
     .flags = RF_FIELD_NONEMPTY,
     .doc = "input format, as rescore --format (default: detected)"},
    {.name = "use",
     .type = RF_FIELD_STRING,
     .flags = RF_FIELD_NONEMPTY,
     .doc =
	 "value (default: the figure itself) or ci95 (its bootstrap interval)"},
    {NULL}};

enum { M_PASS1, M_PASSK, M_CONSK, M_MEAN };

/* "pass@1", "pass@k", "cons@8", "maj@k", "mean-reward"; *k gets a number
 * written in the name (0 when none). */
static int parse_metric(const char *s, int *metric, long *k)
{
	const char *at = strchr(s, '@');
	size_t n = at ? (size_t)(at - s) : strlen(s);
	*k = 0;
	if (!strcmp(s, "mean-reward") || !strcmp(s, "mean_reward")) {
		*metric = M_MEAN;
		return 0;
	}
	if (!at)
		return -1;
	if (at[1] == 'k' && !at[2]) {
		*k = 0;
	} else {
		char *end;
		*k = strtol(at + 1, &end, 10);
		if (end == at + 1 || *end || *k < 1 ||
		    *k > RF_RESCORE_MAX_SAMPLES)
			return -1;
	}
	if (n == 4 && !strncmp(s, "pass", 4))
		*metric = (*k == 1) ? M_PASS1 : M_PASSK;
	else if ((n == 4 && !strncmp(s, "cons", 4)) ||
		 (n == 3 && !strncmp(s, "maj", 3)))
		*metric = M_CONSK;
	else
		return -1;
	return 0;
}

int rs_claims_path(rf_buf *out, const rf_claims_env *env, const rf_node *p,
		   const char *key)
{
	const char *rel = rf_node_text(rf_node_get(p, key));
	char what[40];
	snprintf(what, sizeof what, "from.%s", key);
	/* anywhere inside the payload, `..` included, never outside it */
	if (!rel || rf_claims_env_resolve(out, env, rel, what))
		return rf_node_error(RF_EFORMAT, rf_node_get(p, key), what,
				     "%s", rel ? rf_error_last() : "missing");
	if (!rf_path_exists(out->data))
		return rf_error_set(RF_ENOTFOUND, "%s '%s' not found", key,
				    rel);
	return 0;
}

int rs_claims_figure(rf_derivation *out, double v, const char *unit)
{
	rf_figure_opts fo = {.exact = 1};
	char num[64];
	snprintf(num, sizeof num, "%.12g%s", v, unit);
	out->verdict = 0;
	return rf_figure_parse(&out->figure, num, &fo);
}

const char *rs_claims_text(const rf_node *p, const char *key, const char *def)
{
	const rf_node *n = rf_node_get(p, key);
	return n ? rf_node_text(n) : def;
}

static int derive(void *ctx, const rf_claims_env *env, const rf_node *p,
		  rf_derivation *out, rf_buf *explain)
{
	const char *rel, *spec, *mname, *use, *extract;
	const rf_node *map, *mnode;
	rf_buf path = RF_BUF_INIT;
	rf_reward *rw = NULL;
	rf_rescore_opts o;
	rf_rescore_summary s;
	const rf_metric *m;
	long long kk = 0;
	long k_in_name;
	int metric, rc, ci;
	char num[96];
	(void)ctx;
	if ((rc = rf_schema_check(p, params, "from")) != 0)
		return rc;
	rel = rs_claims_text(p, "rollouts", "");
	spec = rs_claims_text(p, "reward", "math");
	mnode = rf_node_get(p, "metric");
	mname = rf_node_text(mnode);
	use = rs_claims_text(p, "use", "value");
	extract = rs_claims_text(p, "extract", NULL);
	if (strcmp(use, "value") && strcmp(use, "ci95"))
		return rf_node_error(
		    RF_EFORMAT, rf_node_get(p, "use"), "from.use",
		    "expected value or ci95, got \"%.40s\"", use);
	if (parse_metric(mname, &metric, &k_in_name))
		return rf_node_error(
		    RF_EFORMAT, mnode, "from.metric",
		    "expected pass@1, pass@k, cons@k, maj@k or mean-reward "
		    "(k may be a number), got \"%.40s\"",
		    mname);
	if (rf_node_get(p, "k") && rf_node_get_int(&kk, p, "k"))
		return rf_error_last_code();
	if (k_in_name && kk && kk != k_in_name)
		return rf_node_error(RF_EFORMAT, rf_node_get(p, "k"), "from.k",
				     "k: %lld disagrees with metric \"%s\"", kk,
				     mname);
	if (k_in_name)
		kk = k_in_name;
	memset(&o, 0, sizeof o);
	map = rf_node_get(p, "map");
	o.fields.id = map ? rs_claims_text(map, "id", NULL) : NULL;
	o.fields.completion = map ? rs_claims_text(map, "completion", NULL) : NULL;
	o.fields.answer = map ? rs_claims_text(map, "answer", NULL) : NULL;
	o.fields.numbers = map ? rs_claims_text(map, "numbers", NULL) : NULL;
	o.k = metric == M_PASS1 || metric == M_MEAN ? 0 : (size_t)kk;
	if (rf_node_get(p, "config")) {
		const char *cname = rs_claims_text(p, "config", "");
		const rf_manifest *cm;
		if (rf_node_get(p, "reward"))
			return rf_node_error(
			    RF_EFORMAT, rf_node_get(p, "config"), "from.config",
			    "give reward: or config:, not both");
		cm = rf_claims_env_manifest(env, "training-config", cname);
		if (!cm)
			return rf_error_set(RF_ENOTFOUND,
					    "no training-config manifest '%s'",
					    cname);
		if ((rc = rf_reward_from_config(&rw, cm)) != 0)
			return rc == RF_ENOTFOUND
				   ? rc
				   : rf_error_wrap(RF_EFORMAT, "from.config");
	} else if ((rc = rf_reward_new(&rw, spec)) != 0) {
		return rf_node_error(RF_EFORMAT, rf_node_get(p, "reward"),
				     "from.reward", "%s", rf_error_last());
	}
	if (extract && (rc = rf_reward_set(rw, "extract", extract)) != 0) {
		rf_reward_free(rw);
		return rf_node_error(RF_EFORMAT, rf_node_get(p, "extract"),
				     "from.extract", "%s", rf_error_last());
	}
	o.reward = rw;
	o.format = rs_claims_text(p, "format", NULL);
	if ((rc = rs_claims_path(&path, env, p, "rollouts")) != 0)
		goto out;
	if ((rc = rf_rescore_file(&s, path.data, &o)) != 0)
		goto out;
	switch (metric) {
	case M_PASS1:
		m = &s.pass1;
		break;
	case M_PASSK:
		m = &s.pass_k;
		break;
	case M_CONSK:
		m = &s.cons_k;
		break;
	default:
		m = &s.mean_reward;
		break;
	}
	if (isnan(m->value)) {
		rc = rf_error_set(RF_ENOTFOUND,
				  "%s: no problem has k = %zu samples", mname,
				  s.k);
		goto out;
	}
	ci = !strcmp(use, "ci95");
	if (ci && isnan(m->lo)) {
		rc = rf_error_set(RF_ENOTFOUND, "%s: no bootstrap interval",
				  mname);
		goto out;
	}
	/* the figure is exact (a ratio of counts), or the bootstrap interval */
	{
		rf_figure_opts fo = {.exact = 1};
		const char *unit = metric == M_MEAN ? "" : "%";
		double f = metric == M_MEAN ? 1 : 100;
		snprintf(num, sizeof num, "%.12g%s",
			 (ci ? m->lo : m->value) * f, unit);
		if ((rc = rf_figure_parse(&out->figure, num, &fo)) != 0)
			goto out;
		if (ci) {
			rf_figure hi;
			snprintf(num, sizeof num, "%.12g%s", m->hi * f, unit);
			if ((rc = rf_figure_parse(&hi, num, &fo)) != 0)
				goto out;
			out->figure.v.hi = hi.v.hi;
			out->figure.stated = out->figure.v;
		}
	}
	out->verdict = 0;
	if (explain) {
		const char *kname = metric == M_PASS1  ? "pass@1"
				    : metric == M_MEAN ? "mean reward"
						       : NULL;
		double f = metric == M_MEAN ? 1 : 100;
		const char *u = metric == M_MEAN ? "" : "%";
		char label[48];
		if (!kname) {
			snprintf(label, sizeof label, "%s@%zu",
				 metric == M_PASSK ? "pass" : "cons", s.k);
			kname = label;
		}
		char per[48];
		/* "(4 per problem)", or "(1-4 per problem)" when they differ */
		if (s.n_min == s.n_max)
			snprintf(per, sizeof per, "%zu", s.n_min);
		else
			snprintf(per, sizeof per, "%zu-%zu", s.n_min, s.n_max);
		rf_buf_printf(
		    explain,
		    "rescore '%s' with reward %s: %zu problems, %zu samples "
		    "(%s per problem), %zu correct, %zu without an "
		    "answer\n",
		    rel, rf_reward_spec(rw), s.problems, s.samples, per,
		    s.correct, s.no_answer);
		rf_buf_printf(explain, "%s = %.4f%s over %zu problems", kname,
			      m->value * f, u, m->problems);
		if (!isnan(m->lo))
			rf_buf_printf(
			    explain,
			    ", 95%% CI [%.4f%s, %.4f%s] (bootstrap, %d "
			    "replicates, seed %lu)",
			    m->lo * f, u, m->hi * f, u, s.bootstrap, s.seed);
		rf_buf_puts(explain, "\n");
		if (s.short_problems)
			rf_buf_printf(
			    explain,
			    "%zu problems have fewer than %zu samples and are "
			    "left out\n",
			    s.short_problems, s.k);
	}
out:
	rf_reward_free(rw);
	rf_buf_free(&path);
	return rc;
}

static const rf_claims_source source = {"rescore", derive, NULL};

const rf_claims_source *rf_rescore_claims_source(void)
{
	return &source;
}
