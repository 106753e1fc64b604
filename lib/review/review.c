/* review: every check referee has, run in order on one bundle, into one
 * document (the --json report) that the renderers read.  Stages record
 * their outcome and never stop the review, except that nothing in a bag
 * that does not verify is believed. */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "referee/bag.h"
#include "referee/bundle.h"
#include "referee/error.h"
#include "referee/file.h"
#include "referee/manifest.h"
#include "referee/path.h"
#include "referee/provenance.h"
#include "referee/replay.h"
#include "referee/rescore.h"
#include "referee/sign.h"
#include "referee/referee.h"
#include "review_internal.h"

/* Largest log.jsonl read for the curves (the replay check bounds it too). */
#define CURVE_MAX_LOG (256u << 20)
#define AUDIT_TOL 1e-6
#define RECIPE_MAX (1u << 20) /* as replay --check reads it */

struct run {
	rf_review *r;
	const rf_review_opts *o;
	const char *path; /* what was reviewed */
	char *root;       /* the payload: path/data for a bag, else path */
	int is_bag;
	int believed;     /* the bag verified (or a plain folder) */
	double start;     /* monotonic seconds */
	json_t *stages;
};

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

const char *review_str(const json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));
	return s ? s : "";
}

static void worst(struct run *x, int status)
{
	if (status > x->r->exit)
		x->r->exit = status;
}

static int status_of(const char *s)
{
	if (!strcmp(s, "fail"))
		return 1;
	if (!strcmp(s, "error"))
		return 2;
	return 0;
}

/* One row of the verdict table: a stage, its status (pass, fail, error,
 * skipped, not run) and one line saying what it found. */
static void stage(struct run *x, const char *name, const char *status, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static void stage(struct run *x, const char *name, const char *status, const char *fmt, ...)
{
	char line[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(line, sizeof line, fmt, ap);
	va_end(ap);
	json_array_append_new(x->stages, json_pack("{s:s, s:s, s:s}", "name", name,
						   "status", status, "summary", line));
	worst(x, status_of(status));
}

static void progress(struct run *x, const char *stage_name, const char *detail)
{
	if (x->o->progress)
		x->o->progress(x->o->progress_ctx, stage_name, detail);
}

/* Paths in the report are relative to what was reviewed. */
static const char *rel(const struct run *x, const char *p)
{
	size_t n = strlen(x->path);
	if (!strncmp(p, x->path, n) && p[n] == '/')
		return p + n + 1;
	return p;
}

static json_t *jstr(const char *s)
{
	return s ? json_string(s) : json_null();
}

/* ------------------------------------------------------------ the bag */

static void hash_progress(void *ctx, uint64_t bytes_done, uint64_t bytes_total,
			  size_t files_done, size_t files_total)
{
	struct run *x = ctx;
	char d[96];
	(void)bytes_done;
	(void)bytes_total;
	snprintf(d, sizeof d, "hashing %zu/%zu files", files_done, files_total);
	progress(x, "integrity", d);
}

static json_t *bag_about(const rf_bag *bag, const rf_provenance *prov)
{
	json_t *info = json_object(), *p = json_null();
	for (size_t i = 0; bag && i < rf_bag_info_count(bag); i++) {
		const char *label, *value;
		if (!rf_bag_info_at(bag, i, &label, &value) && !json_object_get(info, label))
			json_object_set_new(info, label, json_string(value));
	}
	if (prov) {
		json_t *remotes = json_array();
		size_t changed = 0;
		for (size_t i = 0; i < rf_provenance_remote_count(prov); i++) {
			const char *name, *url;
			if (rf_provenance_remote_at(prov, i, &name, &url) == 0)
				json_array_append_new(remotes, json_pack("{s:s, s:s}", "name", name,
									 "url", url));
		}
		for (size_t i = 0; i < rf_provenance_file_count(prov); i++)
			if (!rf_provenance_file_at(prov, i)->matches)
				changed++;
		p = json_pack("{s:o, s:o, s:o, s:o, s:b, s:I, s:I, s:o}", "commit",
			      jstr(rf_provenance_commit(prov)), "branch",
			      jstr(rf_provenance_branch(prov)), "rev", jstr(rf_provenance_rev(prov)),
			      "commit_time", jstr(rf_provenance_commit_time(prov)), "dirty",
			      rf_provenance_dirty(prov), "files",
			      (json_int_t)rf_provenance_file_count(prov), "files_changed",
			      (json_int_t)changed, "remotes", remotes);
	}
	return json_pack("{s:o, s:o}", "bag_info", info, "provenance", p);
}

/* The signers: every signature's key id (a hint), and the trusted name
 * whose key verified it, when one did. */
static json_t *signers_json(const rf_attest_result *a, const rf_trust *trust)
{
	json_t *list = json_array();
	for (size_t i = 0; i < a->check.signatures; i++) {
		const char *kid = a->keyids && a->keyids[i] ? a->keyids[i] : "";
		const char *name = NULL;
		for (size_t t = 0; trust && t < rf_trust_count(trust) && !name; t++) {
			if (strcmp(rf_key_id(rf_trust_key(trust, t)), kid))
				continue;
			for (size_t v = 0; v < a->check.verified; v++)
				if (!strcmp(a->check.signers[v], rf_trust_name(trust, t)))
					name = rf_trust_name(trust, t);
		}
		json_array_append_new(list, json_pack("{s:s, s:o, s:b}", "keyid", kid, "name",
						      jstr(name), "trusted", name != NULL));
	}
	return list;
}

/* Integrity and signatures: the bag verified exactly as `verify` does
 * (rf_bundle_verify), once; its payload hashed once. */
static void review_bag(struct run *x, json_t *bag)
{
	rf_trust *trust = NULL;
	rf_bundle_opts bo = RF_BUNDLE_OPTS_INIT;
	rf_bundle_result *res = NULL;
	const rf_attest_result *ar;
	json_t *problems = json_array(), *about;
	int rc, st, attest_failed;

	progress(x, "signatures", NULL);
	json_object_set_new(bag, "problems", problems);
	if (x->o->trust && (rc = rf_trust_load(&trust, x->o->trust)) != 0) {
		stage(x, "signatures", "error", "--trust '%s': %s", x->o->trust, rf_error_last());
		stage(x, "integrity", "not run", "the trusted keys could not be read");
		json_object_set_new(bag, "valid", json_null());
		return;
	}
	bo.trust = trust;
	bo.min_signatures = x->o->min_signatures;
	bo.require_signature = x->o->require_signature;
	bo.threads = x->o->threads;
	bo.progress = hash_progress;
	bo.progress_ctx = x;
	rc = rf_bundle_verify(&res, x->path, &bo);
	if (!res) {
		stage(x, "integrity", "error", "%s", rf_error_last());
		json_object_set_new(bag, "valid", json_false());
		rf_trust_free(trust);
		return;
	}
	st = rc ? rf_error_exit_status(rc) : 0;
	ar = &res->attest;
	attest_failed = rc && res->failed != RF_ATTEST_STAGE_BAG;
	about = bag_about(res->bag, res->provenance);
	json_object_update(bag, about);
	json_decref(about);
	json_object_set_new(bag, "summary", jstr(res->summary));
	json_object_set_new(bag, "signatures",
			    json_pack("{s:b, s:b, s:b, s:s, s:I, s:I, s:s, s:o, s:s}", "signed",
				      ar->is_signed, "checked", ar->trust_checked, "ok", !attest_failed,
				      "signing", rf_bundle_signing_name(res->signing), "signatures",
				      (json_int_t)ar->check.signatures, "verified",
				      (json_int_t)ar->check.verified, "stage",
				      rf_attest_stage_name(attest_failed ? res->failed
									 : RF_ATTEST_STAGE_NONE),
				      "signers", signers_json(ar, trust), "reason",
				      attest_failed && res->reason ? res->reason : ""));
	if (attest_failed)
		stage(x, "signatures", st == 1 ? "fail" : "error", "%s",
		      res->reason ? res->reason : rf_error_last());
	else if (res->signing == RF_BUNDLE_SIGNED_TRUSTED)
		stage(x, "signatures", "pass", "%zu of %zu signature%s by trusted keys",
		      ar->check.verified, ar->check.signatures, ar->check.signatures == 1 ? "" : "s");
	else if (res->signing == RF_BUNDLE_SIGNED_UNCHECKED)
		stage(x, "signatures", "skipped",
		      "%zu signature%s, not checked against trusted keys (no --trust); the signed "
		      "statement matches the files",
		      ar->check.signatures, ar->check.signatures == 1 ? "" : "s");
	else
		stage(x, "signatures", "skipped", "the bag is not signed%s",
		      trust ? "" : " (no --trust given)");

	progress(x, "integrity", NULL);
	if (attest_failed) {
		stage(x, "integrity", "not run", "the attestation failed: the bag is not believed");
		json_object_set_new(bag, "valid", json_false());
	} else {
		size_t n = res->report ? rf_bag_report_count(res->report) : 0;
		for (size_t i = 0; i < n; i++) {
			const rf_bag_problem *p = rf_bag_report_at(res->report, i);
			json_array_append_new(problems,
					      json_pack("{s:s, s:s, s:s}", "kind",
							rf_bag_problem_kind_name(p->kind), "path",
							p->path, "message", p->message));
		}
		if (res->report) {
			json_object_set_new(bag, "files",
					    json_integer((json_int_t)rf_bag_report_files(res->report)));
			json_object_set_new(bag, "bytes",
					    json_integer((json_int_t)rf_bag_report_bytes(res->report)));
		}
		json_object_set_new(bag, "valid", json_boolean(rc == 0));
		if (rc == 0)
			stage(x, "integrity", "pass",
			      "%zu payload files: every hash, path and the provenance hold",
			      res->report ? rf_bag_report_files(res->report) : 0);
		else
			stage(x, "integrity", st == 1 ? "fail" : "error", "%zu problem%s, first: %s", n,
			      n == 1 ? "" : "s", res->reason ? res->reason : rf_error_last());
		x->believed = rc == 0;
	}
	rf_bundle_result_free(res);
	rf_trust_free(trust);
}

/* ------------------------------------------------------------- claims */

/* "pass@1 = 92.1875% over 80 problems, 95% CI [86.9444%, 96.5190%]" in
 * the rescore source's derivation: the metric with its interval. */
static json_t *rescore_metric(const char *explain)
{
	const char *line = explain;
	while (line && *line) {
		const char *end = strchr(line, '\n');
		const char *eq = strstr(line, " = "), *ci = strstr(line, "95% CI [");
		const char *over = strstr(line, " over ");
		if (eq && ci && over && (!end || (ci < end && eq < end))) {
			char name[64];
			double v, lo, hi;
			long problems;
			char *e;
			size_t n = (size_t)(eq - line);
			if (n >= sizeof name)
				n = sizeof name - 1;
			memcpy(name, line, n);
			name[n] = '\0';
			v = strtod(eq + 3, &e);
			problems = strtol(over + 6, NULL, 10);
			lo = strtod(ci + 8, &e);
			while (*e == '%' || *e == ',' || *e == ' ')
				e++;
			hi = strtod(e, NULL);
			return json_pack("{s:s, s:f, s:[f,f], s:I, s:s}", "metric", name, "value", v,
					 "ci95", lo, hi, "problems", (json_int_t)problems, "unit",
					 strchr(eq, '%') && strchr(eq, '%') < over ? "%" : "");
		}
		line = end ? end + 1 : NULL;
	}
	return NULL;
}

static void review_folder(struct run *x, const char *dir, json_t *claims, json_t *rescore,
			  json_t *not_manifests, size_t *counts)
{
	rf_check *c = NULL;
	rf_report *rep = NULL;
	rf_buf out = RF_BUF_INIT;
	json_t *entry = json_pack("{s:s}", "folder", rel(x, dir)), *doc = NULL;
	int rc;

	progress(x, "claims", rel(x, dir));
	rc = rf_check_new(&c, NULL);
	if (!rc)
		rc = rf_check_add_source(c, rf_rescore_claims_source());
	if (!rc)
		rc = rf_check_add_source(c, rf_replay_claims_source());
	if (!rc)
		rc = rf_check_set_root(c, x->root);
	if (!rc)
		rc = rf_check_load_dir(c, dir);
	for (size_t i = 0; c && i < rf_check_not_manifest_count(c); i++)
		json_array_append_new(not_manifests,
				      json_string(rel(x, rf_check_not_manifest_at(c, i))));
	if (!rc)
		rc = rf_check_run(c);
	if (!rc)
		rc = rf_check_report(&rep, c, rel(x, dir));
	if (!rc)
		rc = rf_report_render_json(&out, rep);
	if (!rc && !(doc = json_loadb(out.data, out.len, 0, NULL)))
		rc = rf_error_set(RF_EINTERNAL, "the claims report is not JSON");
	if (rc) {
		int st = rf_error_exit_status(rc);
		json_object_set_new(entry, "status", json_string(st == 1 ? "fail" : "error"));
		json_object_set_new(entry, "error", json_string(rf_error_last()));
		json_object_set_new(entry, "claims", json_array());
		counts[3]++;
		worst(x, st);
	} else {
		json_t *rows = json_object_get(doc, "rows"), *row;
		size_t i;
		int failed = rf_check_failed(c);
		json_object_set_new(entry, "status", json_string(failed ? "fail" : "pass"));
		json_object_set(entry, "claims", rows);
		json_array_foreach(rows, i, row)
		{
			const char *v = review_str(row, "verdict");
			json_t *m;
			if (!strcmp(v, "INCONSISTENT") || !strcmp(v, "IMPOSSIBLE"))
				counts[1]++;
			else if (!strcmp(v, "UNVERIFIABLE"))
				counts[2]++;
			else
				counts[0]++;
			if (!strcmp(review_str(row, "source"), "rescore") &&
			    (m = rescore_metric(review_str(row, "details")))) {
				json_object_set_new(m, "claim", json_string(review_str(row, "claim")));
				json_object_set_new(m, "folder", json_string(rel(x, dir)));
				json_object_set_new(m, "claimed", json_string(review_str(row, "claimed")));
				json_object_set_new(m, "verdict", json_string(v));
				json_array_append_new(rescore, m);
			}
		}
		if (failed)
			worst(x, 1);
	}
	json_array_append_new(claims, entry);
	json_decref(doc);
	rf_report_free(rep);
	rf_check_free(c);
	rf_buf_free(&out);
}

static void review_claims(struct run *x, const review_scan *s, json_t *doc)
{
	json_t *claims = json_array(), *rescore = json_array(), *nm = json_array();
	size_t counts[4] = {0, 0, 0, 0}; /* held, failed, unverifiable, folders in error */
	size_t folders = 0;
	progress(x, "claims", NULL);
	for (size_t i = 0; i < s->nfolders; i++)
		review_folder(x, s->folders[i], claims, rescore, nm, counts);
	/* a folder of manifests without claims (a bare recipe) says nothing */
	for (size_t i = json_array_size(claims); i-- > 0;) {
		json_t *e = json_array_get(claims, i);
		if (!json_object_get(e, "error") && json_array_size(json_object_get(e, "claims")) == 0)
			json_array_remove(claims, i);
	}
	folders = json_array_size(claims);
	json_object_set_new(doc, "not_manifests", nm);
	json_object_set_new(doc, "claims", claims);
	json_object_set_new(doc, "rescore", rescore);
	if (counts[3]) {
		const char *first = "";
		size_t i;
		json_t *e;
		json_array_foreach(claims, i, e)
		if (json_object_get(e, "error")) {
			first = review_str(e, "error");
			break;
		}
		stage(x, "claims", "error", "%zu folder%s of manifests could not be checked: %s",
		      counts[3], counts[3] == 1 ? "" : "s", first);
	}
	else if (folders == 0)
		stage(x, "claims", "skipped", "no claims manifests%s",
		      json_array_size(nm) ? " (only YAML that is not a referee manifest)" : "");
	else
		stage(x, "claims", counts[1] ? "fail" : "pass",
		      "%zu claim%s in %zu folder%s: %zu hold, %zu fail, %zu unverifiable",
		      counts[0] + counts[1] + counts[2], counts[0] + counts[1] + counts[2] == 1 ? "" : "s",
		      folders, folders == 1 ? "" : "s", counts[0], counts[1], counts[2]);
}

/* ------------------------------------------------------------ replays */

/* The curves of a replay's log: GRPO reward by step, held-out accuracy by
 * evaluation step.  A row that cannot be read is left out (the replay check
 * itself validates the log). */
static json_t *curves(const char *dir)
{
	rf_buf path = RF_BUF_INIT, text = RF_BUF_INIT;
	json_t *reward = json_array(), *acc = json_array();
	if (!rf_path_join(&path, dir, "log.jsonl") &&
	    !rf_file_read(&text, path.data, CURVE_MAX_LOG) && text.len) {
		char *line = text.data;
		while (line && *line) {
			char *nl = strchr(line, '\n');
			json_t *row = json_loadb(line, nl ? (size_t)(nl - line) : strlen(line), 0, NULL);
			const char *type = review_str(row, "type");
			json_t *step = json_object_get(row, "step");
			json_t *rm = json_object_get(row, "reward_mean");
			json_t *a = json_object_get(row, "accuracy");
			if (json_is_integer(step) && !strcmp(type, "grpo") && json_is_number(rm))
				json_array_append_new(reward, json_pack("[I,f]", json_integer_value(step),
									json_number_value(rm)));
			if (json_is_integer(step) && !strcmp(type, "eval") && json_is_number(a))
				json_array_append_new(acc, json_pack("[I,f]", json_integer_value(step),
								     json_number_value(a)));
			json_decref(row);
			line = nl ? nl + 1 : NULL;
		}
	}
	rf_buf_free(&path);
	rf_buf_free(&text);
	rf_error_clear();
	return json_pack("{s:o, s:o}", "reward", reward, "accuracy", acc);
}

struct replay_ctx {
	struct run *x;
	const char *name;
	int over_budget;
};

static int over_budget(const struct run *x)
{
	return x->o->budget_s > 0 && now() - x->start > x->o->budget_s;
}

static int replay_progress(void *ctx, const rf_replay_progress *p)
{
	struct replay_ctx *c = ctx;
	char d[256];
	snprintf(d, sizeof d, "%s: step %d/%d, held-out accuracy %.3f", c->name, p->step,
		 p->steps, p->accuracy);
	progress(c->x, "replays", d);
	if (over_budget(c->x)) {
		c->over_budget = 1;
		return 1; /* stop: the budget is spent */
	}
	return 0;
}

static void review_replay(struct run *x, const char *dir, json_t *list, size_t *counts)
{
	json_t *e = json_pack("{s:s, s:o}", "dir", rel(x, dir), "author", curves(dir));
	rf_buf recipe_path = RF_BUF_INIT, tmpl = RF_BUF_INIT, recipe_text = RF_BUF_INIT;
	rf_replay_recipe recipe;
	rf_replay_options ro;
	rf_replay_diff d;
	struct replay_ctx rc_ctx = {x, rel(x, dir), 0};
	const char *status, *why = NULL;
	char reason[1024];
	int rc;

	progress(x, "replays", rel(x, dir));
	if (x->o->replay == RF_REVIEW_REPLAY_SKIP) {
		status = "not run";
		why = "--replay skip: the author's log is unconfirmed";
	} else if (over_budget(x)) {
		status = "not run";
		why = "the time budget was spent before it could start";
	} else if ((rc = rf_replay_validate(dir)) != 0 ||
		   (rc = rf_path_join(&recipe_path, dir, "recipe.yaml")) != 0 ||
		   (rc = rf_file_read(&recipe_text, recipe_path.data, RECIPE_MAX)) != 0 ||
		   (rf_replay_recipe_defaults(&recipe), 0) ||
		   (rc = rf_replay_recipe_parse(&recipe, recipe_text.data ? recipe_text.data : "",
						recipe_text.len, recipe_path.data)) != 0) {
		status = rf_error_exit_status(rc) == 1 ? "fail" : "error";
		snprintf(reason, sizeof reason, "%s", rf_error_last());
		why = reason;
	} else if ((rc = rf_buf_printf(&tmpl, "%s/referee-review-XXXXXX",
				       x->o->tmp_dir ? x->o->tmp_dir : "/tmp")) != 0 ||
		   !mkdtemp(tmpl.data)) {
		status = "error";
		snprintf(reason, sizeof reason, "cannot make a folder for the re-run under '%s': %s",
			 x->o->tmp_dir ? x->o->tmp_dir : "/tmp", strerror(errno));
		why = reason;
	} else {
		memset(&ro, 0, sizeof ro);
		ro.threads = x->o->threads;
		/* the re-run records the recipe as the author's run did */
		ro.recipe_text = recipe_text.data;
		ro.recipe_len = recipe_text.len;
		ro.progress = replay_progress;
		ro.progress_ctx = &rc_ctx;
		ro.device = x->o->device;
		ro.module_path = x->o->module_path;
		rc = rf_replay_run(&recipe, tmpl.data, &ro);
		if (!rc)
			rc = rf_replay_compare(&d, dir, tmpl.data, x->o->tolerance);
		if (!rc)
			json_object_set_new(e, "rerun", curves(tmpl.data));
		if (rc_ctx.over_budget) {
			status = "not run";
			why = "stopped when the time budget was spent";
		} else if (rc) {
			status = rf_error_exit_status(rc) == 1 ? "fail" : "error";
			snprintf(reason, sizeof reason, "%s", rf_error_last());
			why = reason;
		} else {
			status = d.identical ? "pass" : "fail";
			if (d.identical)
				snprintf(reason, sizeof reason,
					 "re-run agrees with the author's log%s, summary and weights "
					 "(sha256 %.16s...)", x->o->tolerance > 0 ? " (within the tolerance)" : " bit for bit",
					 d.replay_digest);
			else if (!d.log_ok && d.metric[0] && !d.detail[0])
				snprintf(reason, sizeof reason,
					 "parts at log line %ld (%s step %ld): %s is %.9g in the author's "
					 "log, %.9g in the re-run", d.line, d.kind, d.step, d.metric,
					 d.author, d.replay);
			else if (!d.log_ok)
				snprintf(reason, sizeof reason, "parts at log line %ld (%s step %ld): %s",
					 d.line, d.kind, d.step, d.detail);
			else if (!d.summary_ok)
				snprintf(reason, sizeof reason, "summary: %s", d.summary_detail);
			else if (!d.model_ok)
				snprintf(reason, sizeof reason,
					 "the shipped model.safetensors hashes to %.16s..., not the "
					 "summary's %.16s...", d.model_digest, d.author_digest);
			else
				snprintf(reason, sizeof reason, "weights differ: %.16s... != %.16s...",
					 d.replay_digest, d.author_digest);
			why = reason;
			json_object_set_new(e, "identical", json_boolean(d.identical));
			json_object_set_new(e, "author_digest", json_string(d.author_digest));
			json_object_set_new(e, "replay_digest", json_string(d.replay_digest));
		}
		rf_dir_remove_tree(tmpl.data);
	}
	json_object_set_new(e, "status", json_string(status));
	json_object_set_new(e, "reason", json_string(why));
	json_array_append_new(list, e);
	if (!strcmp(status, "pass"))
		counts[0]++;
	else if (!strcmp(status, "not run"))
		counts[2]++;
	else
		counts[1]++;
	worst(x, status_of(status));
	rf_buf_free(&recipe_path);
	rf_buf_free(&recipe_text);
	rf_buf_free(&tmpl);
}

static void review_replays(struct run *x, const review_scan *s, json_t *doc)
{
	json_t *list = json_array();
	size_t counts[3] = {0, 0, 0}; /* confirmed, failed, not run */
	progress(x, "replays", NULL);
	for (size_t i = 0; i < s->nreplays; i++)
		review_replay(x, s->replays[i], list, counts);
	json_object_set_new(doc, "replays", list);
	if (s->nreplays == 0)
		stage(x, "replays", "skipped", "no replays in the bundle");
	else if (counts[2] == s->nreplays)
		stage(x, "replays", "not run", "%zu replay%s not run (%s)", counts[2],
		      counts[2] == 1 ? "" : "s",
		      x->o->replay == RF_REVIEW_REPLAY_SKIP ? "--replay skip" : "time budget");
	else
		stage(x, "replays", counts[1] ? (x->r->exit >= 2 ? "error" : "fail") : "pass",
		      "%zu confirmed, %zu failed, %zu not run", counts[0], counts[1], counts[2]);
}

/* ------------------------------------------------------------- audits */

static void review_audits(struct run *x, const review_scan *s, json_t *doc)
{
	json_t *list = json_array();
	size_t ok = 0, failed = 0, bad = 0;
	progress(x, "audits", NULL);
	for (size_t i = 0; i < s->nbatches; i++) {
		rf_grpo_audit *a = NULL;
		const char *name = rel(x, s->batches[i]);
		int rc = rf_grpo_audit_file(&a, s->batches[i], AUDIT_TOL);
		json_t *e = json_pack("{s:s}", "file", name);
		progress(x, "audits", name);
		if (rc) {
			json_object_set_new(e, "status", json_string("error"));
			json_object_set_new(e, "reason", json_string(rf_error_last()));
			bad++;
			worst(x, rf_error_exit_status(rc));
		} else {
			size_t nf = rf_grpo_audit_failures(a);
			const rf_grpo_audit_item *first = NULL;
			for (size_t k = 0; k < rf_grpo_audit_count(a) && !first; k++)
				if (!rf_grpo_audit_item_at(a, k)->ok)
					first = rf_grpo_audit_item_at(a, k);
			json_object_set_new(e, "status", json_string(nf ? "fail" : "pass"));
			json_object_set_new(e, "figures", json_integer((json_int_t)rf_grpo_audit_count(a)));
			json_object_set_new(e, "failures", json_integer((json_int_t)nf));
			json_object_set_new(e, "samples", json_integer((json_int_t)rf_grpo_audit_samples(a)));
			json_object_set_new(e, "groups", json_integer((json_int_t)rf_grpo_audit_groups(a)));
			json_object_set_new(e, "tokens", json_integer((json_int_t)rf_grpo_audit_tokens(a)));
			if (first) {
				char why[256];
				snprintf(why, sizeof why, "%s: logged %.9g, recomputed %.9g", first->what,
					 first->logged, first->recomputed);
				json_object_set_new(e, "reason", json_string(why));
			} else {
				json_object_set_new(e, "reason", json_string("every logged figure follows"));
			}
			nf ? failed++ : ok++;
			if (nf)
				worst(x, 1);
		}
		rf_grpo_audit_free(a);
		json_array_append_new(list, e);
	}
	json_object_set_new(doc, "audits", list);
	if (s->nbatches == 0)
		stage(x, "audits", "skipped", "no logged GRPO batches in the bundle");
	else
		stage(x, "audits", bad ? "error" : failed ? "fail" : "pass",
		      "%zu batch%s: %zu follow, %zu do not, %zu unreadable", s->nbatches,
		      s->nbatches == 1 ? "" : "es", ok, failed, bad);
}

/* -------------------------------------------------------- environment */

static json_t *environment(const rf_review_opts *o)
{
	rf_buf hw = RF_BUF_INIT;
	json_t *env = json_pack("{s:s}", "referee_version", rf_version());
	if (o->no_hw) {
		json_object_set_new(env, "hw", json_null());
	} else if (rf_hw_capture(&hw, o->proc_root ? o->proc_root : "/proc", o->nvml_library,
				 NULL) == 0) {
		json_object_set_new(env, "hw", json_string(hw.data ? hw.data : ""));
	} else {
		json_object_set_new(env, "hw", json_null());
		json_object_set_new(env, "hw_error", json_string(rf_error_last()));
	}
	rf_buf_free(&hw);
	rf_error_clear();
	return env;
}

/* -------------------------------------------------------------- run */

int rf_review_run(rf_review **out, const char *path, const rf_review_opts *opts)
{
	static const rf_review_opts defaults = RF_REVIEW_OPTS_INIT;
	struct run x;
	rf_buf p = RF_BUF_INIT;
	review_scan scan;
	json_t *doc, *bag;
	struct stat st;
	int rc = 0;

	*out = NULL;
	memset(&x, 0, sizeof x);
	memset(&scan, 0, sizeof scan);
	if (!(x.r = calloc(1, sizeof *x.r)))
		return rf_error_set(RF_ENOMEM, "out of memory");
	x.o = opts ? opts : &defaults;
	x.path = path;
	x.start = now();
	doc = x.r->doc = json_object();
	x.stages = json_array();
	/* the order of the --json document */
	json_object_set_new(doc, "verdict", json_string("ERROR"));
	json_object_set_new(doc, "exit", json_integer(2));
	json_object_set_new(doc, "referee_version", json_string(rf_version()));
	json_object_set_new(doc, "path", json_string(path));
	json_object_set_new(doc, "kind", json_null()); /* "bag" or "folder" */
	json_object_set_new(doc, "stages", x.stages);
	bag = json_object();
	json_object_set_new(doc, "bag", bag);
	json_object_set_new(doc, "not_manifests", json_array());
	json_object_set_new(doc, "claims", json_array());
	json_object_set_new(doc, "rescore", json_array());
	json_object_set_new(doc, "replays", json_array());
	json_object_set_new(doc, "audits", json_array());
	json_object_set_new(doc, "environment", environment(x.o));
	json_object_set_new(doc, "error", json_null());

	if ((rc = stat(path, &st)) != 0 || !S_ISDIR(st.st_mode)) {
		char msg[1024];
		snprintf(msg, sizeof msg, "'%s': %s", path,
			 rc && errno == ENOENT ? "no such bag or folder"
			 : rc		      ? strerror(errno)
					      : "not a folder (a bag or a folder of manifests)");
		rc = 0;
		json_object_set_new(doc, "error", json_string(msg));
		stage(&x, "input", "error", "%s", msg);
		goto done;
	}
	rf_path_join(&p, path, "bagit.txt");
	x.is_bag = rf_path_exists(p.data);
	json_object_set_new(doc, "kind", json_string(x.is_bag ? "bag" : "folder"));
	json_object_set_new(bag, "is_bag", json_boolean(x.is_bag));
	if (x.is_bag) {
		rf_buf_clear(&p);
		rf_path_join(&p, path, "data");
		x.root = strdup(p.data);
		review_bag(&x, bag);
	} else {
		x.root = strdup(path);
		x.believed = 1;
		json_object_set_new(bag, "valid", json_null());
		json_object_set_new(bag, "note", json_string("a plain folder, not a bag: no integrity "
							      "or signature check ran"));
		if (x.o->trust || x.o->require_signature)
			stage(&x, "signatures", "fail",
			      "'%s' is a plain folder: it carries no signature to check", path);
		else
			stage(&x, "signatures", "skipped", "a plain folder: no signatures to check");
		stage(&x, "integrity", "skipped", "a plain folder, not a bag: no integrity check ran");
	}
	if (!x.root) {
		rc = rf_error_set(RF_ENOMEM, "out of memory");
		goto done;
	}
	if (!x.believed) {
		stage(&x, "claims", "not run", "the bag does not verify: nothing in it is believed");
		stage(&x, "replays", "not run", "the bag does not verify");
		stage(&x, "audits", "not run", "the bag does not verify");
		goto done;
	}
	if (review_scan_run(&scan, x.root)) {
		json_object_set_new(doc, "error", json_string(rf_error_last()));
		stage(&x, "scan", "error", "%s", rf_error_last());
		goto done;
	}
	review_claims(&x, &scan, doc);
	review_replays(&x, &scan, doc);
	review_audits(&x, &scan, doc);
done:
	json_object_set_new(doc, "exit", json_integer(x.r->exit));
	json_object_set_new(doc, "verdict", json_string(rf_review_verdict(x.r)));
	if (x.r->exit >= 2 && json_is_null(json_object_get(doc, "error"))) {
		/* the first stage in error says why */
		size_t i;
		json_t *s;
		json_array_foreach(x.stages, i, s)
		if (!strcmp(review_str(s, "status"), "error")) {
			json_object_set_new(doc, "error", json_string(review_str(s, "summary")));
			break;
		}
	}
	review_scan_free(&scan);
	free(x.root);
	rf_buf_free(&p);
	if (rc) {
		rf_review_free(x.r);
		return rc;
	}
	*out = x.r;
	rf_error_clear();
	return 0;
}

void rf_review_free(rf_review *r)
{
	if (!r)
		return;
	json_decref(r->doc);
	free(r);
}

int rf_review_exit(const rf_review *r)
{
	return r ? r->exit : 3;
}

const char *rf_review_verdict(const rf_review *r)
{
	int e = rf_review_exit(r);
	return e == 0 ? "PASS" : e == 1 ? "FAIL" : "ERROR";
}
