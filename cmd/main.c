/* referee — the command-line program: dispatches to one cmd_<verb>() per
 * file.  Only this folder talks to the terminal. */
#include <stdio.h>
#include <string.h>

#include "cli.h"

static const struct cli_verb verbs[] = {
	{"pack", cmd_pack, "pack evidence into a BagIt bundle (optionally signed)"},
	{"verify", cmd_verify, "verify a bundle: hashes, paths, signatures, git"},
	{"keygen", cmd_keygen, "make an Ed25519 signing key pair"},
	{"sign", cmd_sign, "countersign a verified bundle"},
	{"lint", cmd_lint, "validate manifests (YAML)"},
	{"digest", cmd_digest, "canonical SHA-256 of a manifest"},
	{"hw", cmd_hw, "capture this machine's hardware manifest"},
	{"check", cmd_check, "recompute every claimed figure and give verdicts"},
	{"rescore", cmd_rescore, "re-apply rule-based rewards to model outputs"},
	{"replay", cmd_replay, "re-run a GRPO replay recipe, or --check one"},
	{"grpo", cmd_grpo, "audit a logged GRPO batch (grpo audit FILE)"},
	{"review", cmd_review, "review a bundle: every check, one verdict, one report"},
	{"contamination", cmd_contamination, "benchmark n-gram overlap with a training corpus"},
	{"model", cmd_model, "OpenSSF Model Signing: digest, sign, verify a model"},
};

static void usage(FILE *f)
{
	fprintf(f, "usage: referee <verb> [options] [args]\n\nverbs:\n");
	for (size_t i = 0; i < sizeof verbs / sizeof verbs[0]; i++)
		fprintf(f, "  %-9s %s\n", verbs[i].name, verbs[i].summary);
	fprintf(f,
		"\n'referee <verb> --help' describes a verb.\n\n"
		"exit status (every verb):\n"
		"  0  everything holds\n"
		"  1  a check failed (tampered file, bad signature, figure off)\n"
		"  2  bad usage or unreadable input\n"
		"  3  internal or library failure\n");
}

int main(int argc, char **argv)
{
	/* Whole lines on stdout, also through a pipe: a message on stderr
	 * (unbuffered) then never lands inside a half-written stdout line when
	 * both go to one place (2>&1 | ...). */
	setvbuf(stdout, NULL, _IOLBF, BUFSIZ);
	if (argc < 2) {
		usage(stderr);
		return CLI_USAGE;
	}
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") ||
	    !strcmp(argv[1], "help")) {
		usage(stdout);
		return cli_finish(CLI_OK);
	}
	if (!strcmp(argv[1], "--version") || !strcmp(argv[1], "version")) {
		printf("referee %s\n", rf_version());
		return cli_finish(CLI_OK);
	}
	for (size_t i = 0; i < sizeof verbs / sizeof verbs[0]; i++)
		if (!strcmp(argv[1], verbs[i].name))
			return verbs[i].fn(argc - 1, argv + 1);
	fprintf(stderr, "referee: unknown verb '%s' (see 'referee --help')\n",
		argv[1]);
	return CLI_USAGE;
}
