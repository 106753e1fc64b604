/* referee grpo audit: recompute a logged GRPO batch (advantages, ratios,
 * clip fraction, KL, loss) and list the logged figures that do not follow. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "bagcli.h"
#include "cli.h"

static const char usage_text[] =
	"referee grpo audit BATCH.jsonl [--tolerance X] [--all] [--json]";

static void print_json_string(const char *s)
{
	putchar('"');
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		if (c == '"' || c == '\\')
			printf("\\%c", c);
		else if (c < 0x20)
			printf("\\u%04x", c);
		else
			putchar(c);
	}
	putchar('"');
}

static void print_json_number(double v)
{
	if (isnan(v))
		printf("null");
	else
		printf("%.17g", v);
}

int cmd_grpo(int argc, char **argv)
{
	const char *path = NULL;
	double tol = 1e-6;
	int all = 0, json = 0;
	rf_grpo_audit *a = NULL;
	size_t n, bad;
	int rc;

	if (argc >= 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
		printf("usage: %s\n\n"
		       "Recompute a logged GRPO batch: group advantages\n"
		       "(r - mean) / (std + eps), ratios exp(logp - old_logp), the clip\n"
		       "fraction, the k3 KL to the reference and the clipped-ratio loss,\n"
		       "and compare them with the figures the batch logs.  Exit 1 when\n"
		       "any logged figure does not follow (relative tolerance, absolute\n"
		       "below 1; default 1e-6).  --all lists every figure checked.\n"
		       "The batch format is described in CONTRIBUTING.md.\n",
		       usage_text);
		return cli_finish(CLI_OK);
	}
	if (argc < 2 || strcmp(argv[1], "audit"))
		return cli_usage(usage_text);
	for (int i = 2; i < argc; i++) {
		if (!strcmp(argv[i], "--tolerance") && i + 1 < argc) {
			char *end;
			tol = strtod(argv[++i], &end);
			if (*end || !(tol >= 0) || !isfinite(tol))
				return cli_fail("grpo", CLI_USAGE,
						"--tolerance: expected a number >= 0, got '%s'",
						argv[i]);
		} else if (!strcmp(argv[i], "--all")) {
			all = 1;
		} else if (!strcmp(argv[i], "--json")) {
			json = 1;
		} else if (argv[i][0] == '-' && argv[i][1]) {
			return cli_bad_arg(argv[0], argv[i], usage_text);
		} else if (!path) {
			path = argv[i];
		} else {
			return cli_bad_arg(argv[0], argv[i], usage_text);
		}
	}
	if (!path)
		return cli_usage(usage_text);
	rc = rf_grpo_audit_file(&a, path, tol);
	if (rc)
		return cli_error("grpo", rc);
	n = rf_grpo_audit_count(a);
	bad = rf_grpo_audit_failures(a);
	if (json) {
		printf("{\"samples\":%zu,\"groups\":%zu,\"tokens\":%zu,"
		       "\"checked\":%zu,\"failures\":%zu,\"items\":[",
		       rf_grpo_audit_samples(a), rf_grpo_audit_groups(a),
		       rf_grpo_audit_tokens(a), n, bad);
		for (size_t i = 0; i < n; i++) {
			const rf_grpo_audit_item *it = rf_grpo_audit_item_at(a, i);
			printf("%s{\"what\":", i ? "," : "");
			print_json_string(it->what);
			printf(",\"logged\":");
			print_json_number(it->logged);
			printf(",\"recomputed\":");
			print_json_number(it->recomputed);
			printf(",\"ok\":%s}", it->ok ? "true" : "false");
		}
		printf("]}\n");
	} else {
		for (size_t i = 0; i < n; i++) {
			const rf_grpo_audit_item *it = rf_grpo_audit_item_at(a, i);
			if (it->ok && !all)
				continue;
			printf("%-4s %s: logged %.9g, follows %.9g",
			       it->ok ? "ok" : "BAD", cli_tty(it->what), it->logged,
			       it->recomputed);
			if (!it->ok)
				printf(" (off by %.3g)", it->logged - it->recomputed);
			printf("\n");
		}
		printf("%s: %zu samples in %zu groups, %zu tokens; %zu logged "
		       "figures checked, %zu do not follow\n",
		       cli_tty(path), rf_grpo_audit_samples(a), rf_grpo_audit_groups(a),
		       rf_grpo_audit_tokens(a), n, bad);
	}
	rf_grpo_audit_free(a);
	if (n == 0)
		return cli_finish(cli_fail("grpo", CLI_USAGE,
					   "'%s' logs no figure to check", path));
	return cli_finish(bad ? CLI_FAILED : CLI_OK);
}
