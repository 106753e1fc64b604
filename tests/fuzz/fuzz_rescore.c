/* libFuzzer harness: re-scoring.  The input is a rollouts JSONL stream
 * (rf_rescore_stream through fmemopen, math reward), then the math answer
 * parser and equivalence on its first two tab-separated fields
 * (rf_math_extract, rf_math_answer_parse, rf_math_answer_equal,
 * rf_math_equal). */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "referee/referee.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static rf_reward *reward;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	rf_rescore_opts o;
	rf_rescore_summary sum;
	rf_buf ex = RF_BUF_INIT;
	char *text;
	FILE *f;
	if (!reward && rf_reward_new(&reward, "math"))
		abort();
	if (size && (f = fmemopen((void *)data, size, "r")) != NULL) {
		memset(&o, 0, sizeof o);
		o.reward = reward;
		o.threads = 1;
		o.bootstrap = -1;
		rf_rescore_stream(&sum, f, "fuzz.jsonl", &o);
		fclose(f);
	}
	if (!(text = malloc(size + 1)))
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	rf_math_extract(&ex, text, size, 0, NULL);
	{
		char *tab = strchr(text, '\t'), why[128];
		rf_math_answer *a = NULL, *b = NULL;
		const char *left = text, *right = tab ? tab + 1 : "";
		if (tab)
			*tab = '\0';
		rf_math_equal(left, right, why, sizeof why);
		if (rf_math_answer_parse(&a, left, strlen(left)) == 0 &&
		    rf_math_answer_parse(&b, right, strlen(right)) == 0)
			rf_math_answer_equal(a, b, why, sizeof why);
		rf_math_answer_free(a);
		rf_math_answer_free(b);
	}
	free(text);
	rf_buf_free(&ex);
	return 0;
}
