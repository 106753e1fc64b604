/* The replay recipe: defaults and the range checks that keep a hostile
 * recipe from asking for unbounded work or memory. */
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "referee/error.h"
#include "referee/file.h"
#include "referee/manifest.h"
#include "referee/replay.h"
#include "replay/task.h"

void rf_replay_recipe_defaults(rf_replay_recipe *r)
{
	memset(r, 0, sizeof *r);
	r->seed = 1;
	r->task.kind = RF_TASK_ADD;
	r->task.digits = 2;
	r->task.reversed = 0;
	r->task.numbers = 3;
	r->task.max_number = 10;
	r->task.max_target = 100;
	r->task.format_weight = 0.1;
	r->model.d_model = 64;
	r->model.n_layer = 2;
	r->model.n_head = 4;
	r->model.d_ff = 256;
	r->model.tied = 1;
	r->warmstart.steps = 0;
	r->warmstart.lr = 1e-3;
	r->warmstart.batch = 32;
	r->warmstart.data = 1000;
	r->grpo.steps = 50;
	r->grpo.prompts = 8;
	r->grpo.group = 8;
	r->grpo.lr = 1e-4;
	r->grpo.beta = 0.04;
	r->grpo.clip_eps = 0.2;
	r->grpo.temperature = 1.0;
	r->grpo.inner = 1;
	r->grpo.ref_refresh = 0;
	r->grpo.max_len = 0; /* 0: the task's longest answer + 2 */
	r->grpo.adv_eps = 1e-4;
	r->optim.beta1 = 0.9;
	r->optim.beta2 = 0.99;
	r->optim.eps = 1e-8;
	r->optim.weight_decay = 0.0;
	r->optim.grad_clip = 1.0;
	r->eval.size = 200;
	r->eval.every = 10;
	r->threads = 0;
}

/* Range checks name the field by its path in the YAML document, so that
 * errors can point at its line:column. */
#define RANGE_I(v, lo, hi, name)                                             \
	do {                                                                 \
		if ((v) < (lo) || (v) > (hi)) {                              \
			*where = name;                                       \
			return rf_error_set(RF_EINVAL,                       \
					    "expected an integer in [%d, %d], got %d", \
					    (int)(lo), (int)(hi), (int)(v)); \
		}                                                            \
	} while (0)
#define RANGE_D(v, lo, hi, name)                                             \
	do {                                                                 \
		if (!isfinite(v) || (v) < (lo) || (v) > (hi)) {             \
			*where = name;                                       \
			return rf_error_set(RF_EINVAL,                       \
					    "expected a number in [%g, %g], got %g", \
					    (double)(lo), (double)(hi), (double)(v)); \
		}                                                            \
	} while (0)

static int check_at(const rf_replay_recipe *r, const char **where)
{
	int plen, amax;
	*where = "task.name";
	if (r->task.kind != RF_TASK_ADD && r->task.kind != RF_TASK_COUNTDOWN)
		return rf_error_set(RF_EINVAL, "unknown task (add or countdown)");
	RANGE_I(r->task.digits, 1, 9, "task.digits");
	RANGE_I(r->task.reversed, 0, 1, "task.reversed");
	RANGE_I(r->task.numbers, 2, RF_TASK_MAX_NUMBERS, "task.numbers");
	RANGE_I(r->task.max_number, 1, 99, "task.max-number");
	RANGE_I(r->task.max_target, 1, 999, "task.max-target");
	RANGE_D(r->task.format_weight, 0, 10, "task.format-weight");
	RANGE_I(r->model.d_model, 1, 1024, "model.d-model");
	RANGE_I(r->model.n_layer, 1, 24, "model.layers");
	RANGE_I(r->model.n_head, 1, 64, "model.heads");
	RANGE_I(r->model.d_ff, 1, 8192, "model.d-ff");
	RANGE_I(r->model.tied, 0, 1, "model.tied");
	if (r->model.d_model % r->model.n_head) {
		*where = "model.heads";
		return rf_error_set(RF_EINVAL, "%d heads do not divide d-model %d",
				    r->model.n_head, r->model.d_model);
	}
	RANGE_I(r->warmstart.steps, 0, 1000000, "warmstart.steps");
	RANGE_D(r->warmstart.lr, 0, 1, "warmstart.learning-rate");
	RANGE_I(r->warmstart.batch, 1, 4096, "warmstart.batch-size");
	RANGE_I(r->warmstart.data, 1, 10000000, "warmstart.data-size");
	RANGE_I(r->warmstart.warmup, 0, r->warmstart.steps, "warmstart.warmup-steps");
	RANGE_D(r->warmstart.min_lr, 0, r->warmstart.lr, "warmstart.min-learning-rate");
	RANGE_I(r->grpo.steps, 0, 1000000, "grpo.steps");
	RANGE_I(r->grpo.prompts, 1, 4096, "grpo.prompts-per-step");
	RANGE_I(r->grpo.group, 1, 1024, "grpo.group-size");
	if ((long)r->grpo.prompts * r->grpo.group > 16384) {
		*where = "grpo.group-size";
		return rf_error_set(RF_EINVAL,
				    "prompts-per-step x group-size above 16384");
	}
	RANGE_D(r->grpo.lr, 0, 1, "grpo.learning-rate");
	RANGE_I(r->grpo.warmup, 0, r->grpo.steps, "grpo.warmup-steps");
	RANGE_D(r->grpo.beta, 0, 100, "grpo.kl-coef");
	RANGE_D(r->grpo.clip_eps, 0, 10, "grpo.clip-ratio");
	RANGE_D(r->grpo.temperature, 1e-3, 100, "grpo.temperature");
	RANGE_I(r->grpo.inner, 1, 64, "grpo.inner-updates");
	RANGE_I(r->grpo.ref_refresh, 0, 1000000, "grpo.reference-refresh");
	RANGE_I(r->grpo.max_len, 0, 256, "grpo.max-length");
	RANGE_D(r->grpo.adv_eps, 0, 1, "grpo.adv-eps");
	RANGE_D(r->optim.beta1, 0, 0.999999, "optimizer.beta1");
	RANGE_D(r->optim.beta2, 0, 0.999999999, "optimizer.beta2");
	RANGE_D(r->optim.eps, 0, 1, "optimizer.eps");
	RANGE_D(r->optim.weight_decay, 0, 10, "optimizer.weight-decay");
	RANGE_D(r->optim.grad_clip, 0, 1e6, "optimizer.grad-clip");
	RANGE_I(r->eval.size, 1, 100000, "eval.size");
	RANGE_I(r->eval.every, 0, 1000000, "eval.every");
	RANGE_I(r->threads, 0, 1024, "threads");
	plen = rf_task_prompt_len(r);
	amax = rf_task_answer_max(r);
	if (plen > RF_TASK_MAX_PROMPT || amax > RF_TASK_MAX_ANSWER) {
		*where = "task";
		return rf_error_set(RF_EINVAL, "problems longer than %d tokens",
				    RF_TASK_MAX_PROMPT);
	}
	return 0;
}

int rf_replay_recipe_check(const rf_replay_recipe *r)
{
	const char *where = "";
	int rc = check_at(r, &where);
	if (rc)
		rf_error_wrap(rc, "%s", where);
	return rc;
}

/* ---- reading the manifest ---- */

static int get_i(int *dst, const rf_node *root, const char *path)
{
	long long v;
	int rc = rf_node_get_int(&v, root, path);
	if (rc == RF_ENOTFOUND)
		return 0;
	if (rc)
		return rc;
	if (v < INT_MIN || v > INT_MAX)
		return rf_node_error(RF_EFORMAT, rf_node_path(root, path), path,
				     "out of range");
	*dst = (int)v;
	return 0;
}

static int get_d(double *dst, const rf_node *root, const char *path)
{
	int rc = rf_node_get_float(dst, root, path);
	return rc == RF_ENOTFOUND ? 0 : rc;
}

static int get_b(int *dst, const rf_node *root, const char *path)
{
	int rc = rf_node_get_bool(dst, root, path);
	return rc == RF_ENOTFOUND ? 0 : rc;
}

/* warmstart.schedule: constant (the default) or cosine */
static int get_schedule(int *cosine, const rf_node *root, const char *path)
{
	const char *v = NULL;
	int rc = rf_node_get_string(&v, root, path);
	if (rc == RF_ENOTFOUND)
		return 0;
	if (rc)
		return rc;
	if (!strcmp(v, "constant") || !strcmp(v, "cosine")) {
		*cosine = !strcmp(v, "cosine");
		return 0;
	}
	return rf_node_error(RF_EFORMAT, rf_node_path(root, path), path,
			     "expected constant or cosine, got \"%.40s\"", v);
}

int rf_replay_recipe_from_manifest(rf_replay_recipe *r, const rf_manifest *m)
{
	const rf_node *root = rf_manifest_root(m);
	const char *name = NULL, *where = "";
	long long seed = (long long)r->seed;
	int rc;
	if ((rc = rf_node_get_string(&name, root, "task.name")))
		return rc == RF_ENOTFOUND
			       ? rf_node_error(RF_EFORMAT, root, "task.name",
					       "required but missing")
			       : rc;
	if (!strcmp(name, "add")) {
		r->task.kind = RF_TASK_ADD;
	} else if (!strcmp(name, "countdown")) {
		r->task.kind = RF_TASK_COUNTDOWN;
	} else {
		return rf_node_error(RF_EFORMAT, rf_node_path(root, "task.name"),
				     "task.name",
				     "expected add or countdown, got \"%.40s\"", name);
	}
	rc = rf_node_get_int(&seed, root, "seed");
	if (rc && rc != RF_ENOTFOUND)
		return rc;
	r->seed = (uint64_t)seed;
	if ((rc = get_i(&r->threads, root, "threads")) ||
	    (rc = get_i(&r->task.digits, root, "task.digits")) ||
	    (rc = get_b(&r->task.reversed, root, "task.reversed")) ||
	    (rc = get_i(&r->task.numbers, root, "task.numbers")) ||
	    (rc = get_i(&r->task.max_number, root, "task.max-number")) ||
	    (rc = get_i(&r->task.max_target, root, "task.max-target")) ||
	    (rc = get_d(&r->task.format_weight, root, "task.format-weight")) ||
	    (rc = get_i(&r->model.d_model, root, "model.d-model")) ||
	    (rc = get_i(&r->model.n_layer, root, "model.layers")) ||
	    (rc = get_i(&r->model.n_head, root, "model.heads")) ||
	    (rc = get_i(&r->model.d_ff, root, "model.d-ff")) ||
	    (rc = get_b(&r->model.tied, root, "model.tied")) ||
	    (rc = get_i(&r->warmstart.steps, root, "warmstart.steps")) ||
	    (rc = get_d(&r->warmstart.lr, root, "warmstart.learning-rate")) ||
	    (rc = get_i(&r->warmstart.batch, root, "warmstart.batch-size")) ||
	    (rc = get_i(&r->warmstart.data, root, "warmstart.data-size")) ||
	    (rc = get_i(&r->warmstart.warmup, root, "warmstart.warmup-steps")) ||
	    (rc = get_schedule(&r->warmstart.cosine, root, "warmstart.schedule")) ||
	    (rc = get_d(&r->warmstart.min_lr, root, "warmstart.min-learning-rate")) ||
	    (rc = get_i(&r->grpo.steps, root, "grpo.steps")) ||
	    (rc = get_i(&r->grpo.prompts, root, "grpo.prompts-per-step")) ||
	    (rc = get_i(&r->grpo.group, root, "grpo.group-size")) ||
	    (rc = get_d(&r->grpo.lr, root, "grpo.learning-rate")) ||
	    (rc = get_i(&r->grpo.warmup, root, "grpo.warmup-steps")) ||
	    (rc = get_d(&r->grpo.beta, root, "grpo.kl-coef")) ||
	    (rc = get_d(&r->grpo.clip_eps, root, "grpo.clip-ratio")) ||
	    (rc = get_d(&r->grpo.temperature, root, "grpo.temperature")) ||
	    (rc = get_i(&r->grpo.inner, root, "grpo.inner-updates")) ||
	    (rc = get_i(&r->grpo.ref_refresh, root, "grpo.reference-refresh")) ||
	    (rc = get_i(&r->grpo.max_len, root, "grpo.max-length")) ||
	    (rc = get_d(&r->grpo.adv_eps, root, "grpo.adv-eps")) ||
	    (rc = get_d(&r->optim.beta1, root, "optimizer.beta1")) ||
	    (rc = get_d(&r->optim.beta2, root, "optimizer.beta2")) ||
	    (rc = get_d(&r->optim.eps, root, "optimizer.eps")) ||
	    (rc = get_d(&r->optim.weight_decay, root, "optimizer.weight-decay")) ||
	    (rc = get_d(&r->optim.grad_clip, root, "optimizer.grad-clip")) ||
	    (rc = get_i(&r->eval.size, root, "eval.size")) ||
	    (rc = get_i(&r->eval.every, root, "eval.every")))
		return rc;
	if ((rc = check_at(r, &where))) {
		const rf_node *n = rf_node_path(root, where);
		char msg[256];
		snprintf(msg, sizeof msg, "%s", rf_error_last());
		return rf_node_error(RF_EFORMAT, n ? n : root, where, "%s", msg);
	}
	return 0;
}

int rf_replay_recipe_parse(rf_replay_recipe *out, const char *text,
			   size_t len, const char *name)
{
	rf_manifest *m = NULL;
	const char *kind;
	int rc = rf_manifest_load_buffer(&m, name, text, len);
	if (rc)
		return rc;
	kind = rf_manifest_kind_name(m);
	if (!kind || strcmp(kind, "replay-recipe"))
		rc = rf_error_set(RF_EFORMAT, "%s: kind is \"%s\", not replay-recipe",
				  name, kind ? kind : "");
	else
		rc = rf_replay_recipe_from_manifest(out, m);
	rf_manifest_free(m);
	return rc;
}

int rf_replay_recipe_load(rf_replay_recipe *out, const char *path)
{
	rf_buf b = RF_BUF_INIT;
	int rc = rf_file_read(&b, path, RF_YAML_DEFAULT_MAX_BYTES);
	if (!rc)
		rc = rf_replay_recipe_parse(out, b.data ? b.data : "", b.len, path);
	rf_buf_free(&b);
	return rc;
}

/* The completion budget: the recipe's, or the longest answer plus slack. */
int rf_replay_max_len(const rf_replay_recipe *r)
{
	return r->grpo.max_len > 0 ? r->grpo.max_len
				   : rf_task_answer_max(r) + 2;
}
