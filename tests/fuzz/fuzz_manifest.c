/* libFuzzer harness: a YAML manifest, loaded, linted, checked and rendered
 * (rf_manifest_parse, rf_manifest_validate, rf_claims_lint, rf_check_run,
 * every report printer, the canonical digest).  Found the anchors
 * use-after-free of issue 11 (test_manifest.c keeps it). */
#include <stddef.h>
#include <stdint.h>

#include "referee/referee.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	rf_manifest *m = NULL;
	rf_check *c = NULL;
	rf_report *rep = NULL;
	rf_buf out = RF_BUF_INIT;
	char hex[65];
	if (rf_manifest_parse(&m, "fuzz.yaml", (const char *)data, size, NULL))
		return 0;
	rf_manifest_digest(hex, m);
	rf_manifest_canonical_json(&out, m);
	if (rf_manifest_validate(m)) {
		rf_manifest_free(m);
		rf_buf_free(&out);
		return 0;
	}
	rf_claims_lint(m);
	if (rf_check_new(&c, NULL) == 0 && rf_check_add_manifest(c, m) == 0 &&
	    rf_check_run(c) == 0 && rf_check_report(&rep, c, "fuzz") == 0) {
		rf_buf_clear(&out);
		rf_report_render_text(&out, rep, 1);
		rf_report_render_json(&out, rep);
		rf_report_render_junit(&out, rep);
		rf_report_render_html(&out, rep);
	}
	rf_report_free(rep);
	rf_check_free(c); /* owns m */
	rf_buf_free(&out);
	return 0;
}
