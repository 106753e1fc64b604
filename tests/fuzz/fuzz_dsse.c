/* libFuzzer harness: a DSSE envelope and the in-toto statement in it
 * (rf_dsse_parse, rf_dsse_verify against a fixed trust list, the statement
 * parser, serialisation and the Sigstore bundle round trip), and the input
 * as a statement on its own. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "referee/referee.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static rf_trust *trust;

static void init(void)
{
	rf_key *k = NULL;
	if (trust)
		return;
	if (rf_trust_new(&trust) || rf_key_generate(&k) || rf_trust_add(trust, "fuzz", k))
		abort();
	rf_key_free(k);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	rf_dsse *env = NULL, *back = NULL;
	rf_statement *st = NULL;
	rf_dsse_check chk;
	rf_buf b = RF_BUF_INIT, sb = RF_BUF_INIT;
	init();
	if (rf_statement_parse(&st, (const char *)data, size, "fuzz") == 0) {
		for (size_t i = 0; i < rf_statement_subject_count(st); i++)
			rf_statement_find(st, rf_statement_subject(st, i)->name);
		rf_statement_free(st);
		st = NULL;
	}
	if (rf_dsse_parse(&env, (const char *)data, size, "fuzz"))
		return 0;
	rf_dsse_verify(&chk, env, trust, 1);
	rf_dsse_check_free(&chk);
	{
		size_t plen;
		const char *p = rf_dsse_payload(env, &plen);
		if (rf_statement_parse(&st, p, plen, "payload") == 0)
			rf_statement_free(st);
	}
	/* what we write, we read back identically */
	if (rf_dsse_serialize(&b, env) == 0 && rf_dsse_sigstore_bundle(&sb, env) == 0) {
		rf_buf again = RF_BUF_INIT;
		if (rf_dsse_parse(&back, b.data, b.len, "again") ||
		    rf_dsse_serialize(&again, back) || again.len != b.len ||
		    memcmp(again.data, b.data, b.len))
			abort();
		rf_buf_free(&again);
	}
	rf_dsse_free(back);
	rf_dsse_free(env);
	rf_buf_free(&b);
	rf_buf_free(&sb);
	return 0;
}
