/* The `replay-recipe` kind: a GRPO replay (task, model sizes, supervised
 * warm-start, GRPO settings, optimiser, evaluation, seed).  The table gives
 * types and ranges; rf_replay_recipe_from_manifest() adds the checks across
 * fields.  Fields and defaults are documented in manifests/README.md. */
#include "referee/manifest.h"
#include "referee/replay.h"

#define INT_IN(lo, hi) .type = RF_FIELD_INT, .flags = RF_FIELD_RANGE, .min = lo, .max = hi
#define NUM_IN(lo, hi) .type = RF_FIELD_FLOAT, .flags = RF_FIELD_RANGE, .min = lo, .max = hi

static const rf_field task_fields[] = {
	{.name = "name", .type = RF_FIELD_STRING, .flags = RF_FIELD_REQUIRED | RF_FIELD_NONEMPTY,
	 .doc = "add (n-digit addition) or countdown"},
	{.name = "digits", INT_IN(1, 9), .doc = "add: digits per operand (default 2)"},
	{.name = "reversed", .type = RF_FIELD_BOOL,
	 .doc = "add: answer least-significant digit first (default false)"},
	{.name = "numbers", INT_IN(2, 5), .doc = "countdown: numbers per problem (default 3)"},
	{.name = "max-number", INT_IN(1, 99), .doc = "countdown: numbers drawn from 1..max (default 10)"},
	{.name = "max-target", INT_IN(1, 999), .doc = "countdown: targets 1..max (default 100)"},
	{.name = "format-weight", NUM_IN(0, 10),
	 .doc = "reward = accuracy + format-weight × well-formed (default 0.1)"},
	{NULL}};

static const rf_field model_fields[] = {
	{.name = "d-model", INT_IN(1, 1024), .doc = "width C (default 64)"},
	{.name = "layers", INT_IN(1, 24), .doc = "transformer blocks (default 2)"},
	{.name = "heads", INT_IN(1, 64), .doc = "attention heads; divide d-model (default 4)"},
	{.name = "d-ff", INT_IN(1, 8192), .doc = "MLP hidden size (default 256)"},
	{.name = "tied", .type = RF_FIELD_BOOL, .doc = "output layer shares the token embedding (default true)"},
	{NULL}};

static const rf_field warm_fields[] = {
	{.name = "steps", INT_IN(0, 1000000), .doc = "supervised steps (default 0: none)"},
	{.name = "learning-rate", NUM_IN(0, 1), .doc = "AdamW learning rate (default 1e-3)"},
	{.name = "batch-size", INT_IN(1, 4096), .doc = "examples per step (default 32)"},
	{.name = "data-size", INT_IN(1, 10000000), .doc = "distinct training examples, cycled (default 1000)"},
	{.name = "warmup-steps", INT_IN(0, 1000000),
	 .doc = "learning rate rises linearly from 0 over these steps (default 0)"},
	{.name = "schedule", .type = RF_FIELD_STRING, .flags = RF_FIELD_NONEMPTY,
	 .doc = "constant (default) or cosine: decay to min-learning-rate at the last step"},
	{.name = "min-learning-rate", NUM_IN(0, 1), .doc = "the cosine schedule's last learning rate (default 0)"},
	{NULL}};

static const rf_field grpo_fields[] = {
	{.name = "steps", INT_IN(0, 1000000), .doc = "GRPO steps (default 50)"},
	{.name = "prompts-per-step", INT_IN(1, 4096), .doc = "prompts per step (default 8)"},
	{.name = "group-size", INT_IN(1, 1024), .doc = "G, samples per prompt (default 8)"},
	{.name = "learning-rate", NUM_IN(0, 1), .doc = "AdamW learning rate (default 1e-4)"},
	{.name = "warmup-steps", INT_IN(0, 1000000),
	 .doc = "learning rate rises linearly over the first GRPO steps (default 0)"},
	{.name = "kl-coef", NUM_IN(0, 100), .doc = "β of the k3 KL penalty (default 0.04; 0: no reference)"},
	{.name = "clip-ratio", NUM_IN(0, 10), .doc = "ε of the clipped ratio (default 0.2)"},
	{.name = "temperature", NUM_IN(1e-3, 100), .doc = "sampling temperature (default 1)"},
	{.name = "inner-updates", INT_IN(1, 64), .doc = "μ, gradient steps per sampled batch (default 1)"},
	{.name = "reference-refresh", INT_IN(0, 1000000),
	 .doc = "reference := policy every N steps (default 0: never)"},
	{.name = "max-length", INT_IN(0, 256),
	 .doc = "completion tokens incl. the end token (default 0: longest answer + 2)"},
	{.name = "adv-eps", NUM_IN(0, 1), .doc = "eps in (r - mean) / (std + eps) (default 1e-4)"},
	{NULL}};

static const rf_field optim_fields[] = {
	{.name = "beta1", NUM_IN(0, 0.999999), .doc = "AdamW β1 (default 0.9)"},
	{.name = "beta2", NUM_IN(0, 0.999999999), .doc = "AdamW β2 (default 0.99)"},
	{.name = "eps", NUM_IN(0, 1), .doc = "AdamW ε (default 1e-8)"},
	{.name = "weight-decay", NUM_IN(0, 10), .doc = "decoupled, on matrices only (default 0)"},
	{.name = "grad-clip", NUM_IN(0, 1e6), .doc = "global L2 norm limit (default 1; 0: none)"},
	{NULL}};

static const rf_field eval_fields[] = {
	{.name = "size", INT_IN(1, 100000), .doc = "held-out problems (default 200)"},
	{.name = "every", INT_IN(0, 1000000), .doc = "evaluate every N GRPO steps (default 10)"},
	{NULL}};

static const rf_field fields[] = {
	RF_FIELDS_HEADER,
	{.name = "seed", .type = RF_FIELD_INT, .flags = RF_FIELD_RANGE, .min = 0,
	 .max = 9007199254740991.0, .doc = "the seed of every random draw (default 1)"},
	{.name = "threads", INT_IN(0, 1024), .doc = "default for -j; never part of the result"},
	{.name = "description", .type = RF_FIELD_STRING, .doc = "free text"},
	{.name = "task", .type = RF_FIELD_MAP, .flags = RF_FIELD_REQUIRED,
	 .fields = task_fields, .doc = "the task and its reward"},
	{.name = "model", .type = RF_FIELD_MAP, .fields = model_fields, .doc = "policy sizes"},
	{.name = "warmstart", .type = RF_FIELD_MAP, .fields = warm_fields,
	 .doc = "optional supervised warm-start"},
	{.name = "grpo", .type = RF_FIELD_MAP, .fields = grpo_fields, .doc = "GRPO settings"},
	{.name = "optimizer", .type = RF_FIELD_MAP, .fields = optim_fields, .doc = "AdamW"},
	{.name = "eval", .type = RF_FIELD_MAP, .fields = eval_fields, .doc = "held-out evaluation"},
	{NULL}};

static int validate(const rf_manifest *m)
{
	rf_replay_recipe r;
	rf_replay_recipe_defaults(&r);
	return rf_replay_recipe_from_manifest(&r, m);
}

const rf_manifest_kind rf_kind_replay_recipe = {
	.name = "replay-recipe",
	.schema = 1,
	.fields = fields,
	.validate = validate,
	.summary = "a GRPO replay: task, model, warm-start, GRPO, evaluation, seed",
};
