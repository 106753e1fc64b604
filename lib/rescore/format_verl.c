/* verl rollout dumps (volcengine/verl, RayPPOTrainer._dump_generations in
 * verl/trainer/ppo/ray_trainer.py, written when trainer.rollout_data_dir
 * or validation_data_dir is set): `<dir>/<global_step>.jsonl`, one
 * completion a line with `input` (the prompt as text), `output` (the
 * response), `gts` (the ground truth; absent before verl 0.5), `score`
 * (the sequence reward verl gave), `step`, and the reward function's extra
 * fields (`acc`, ...).  The n samples of a prompt are consecutive lines
 * with the same `input`: one problem. */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "referee/error.h"
#include "rescore/format.h"

static int detect_verl(json_t *j)
{
	return json_is_string(json_object_get(j, "input")) &&
	       json_is_string(json_object_get(j, "output")) &&
	       json_object_get(j, "score") && json_object_get(j, "step");
}

static int read_verl(json_t *root, const rf_rescore_fields *map,
		     struct rs_record *rec, char *err, size_t errlen)
{
	json_t *in = json_object_get(root, "input");
	char id[48];
	uint64_t h = 1469598103934665603ULL;
	if (!json_is_string(in)) {
		snprintf(err, errlen, "no 'input' (the prompt)");
		return RF_EFORMAT;
	}
	/* prompts are long: the problem id is a hash of the prompt text
	 * (FNV-1a), with the step */
	for (size_t i = 0; i < json_string_length(in); i++)
		h = (h ^ (unsigned char)json_string_value(in)[i]) *
		    1099511628211ULL;
	snprintf(id, sizeof id, "step%lld-%016llx",
		 (long long)json_integer_value(json_object_get(root, "step")),
		 (unsigned long long)h);
	rec->keep = json_string(id);
	if (!rec->keep) {
		snprintf(err, errlen, "out of memory");
		return RF_ENOMEM;
	}
	rec->id = rec->keep;
	snprintf(rec->id_field, sizeof rec->id_field, "input");
	rec->completions = json_object_get(root, "output");
	snprintf(rec->completion_field, sizeof rec->completion_field, "output");
	rec->answer = map->answer ? rs_json_path(root, map->answer)
				  : json_object_get(root, "gts");
	if (!rec->answer)
		snprintf(rec->no_answer, sizeof rec->no_answer,
			 "no '%s' (verl dumps the ground truth as 'gts' "
			 "since 0.5; map it with --map answer=FIELD)",
			 map->answer ? map->answer : "gts");
	return 0;
}

const struct rs_format rs_format_verl = {
    "verl", "verl rollout dumps (trainer.rollout_data_dir/<step>.jsonl)",
    detect_verl, read_verl};
