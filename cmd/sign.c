/* referee sign BAG --key KEY: sign a verified bag, or countersign a signed
 * one (a reviewer's or a journal's signature over the same statement).
 * The bag and its attestation are verified first; the bag stays valid. */
#include <string.h>

#include "bagcli.h"
#include "keyio.h"
#include "signing.h"

static const char usage_line[] =
	"referee sign BAG --key KEY [--passphrase-file FILE] [--trust PATH]\n"
	"       [--min-signatures N] [--tsa URL] [-j N]";

static void help(void)
{
	printf("usage: %s\n\n"
	       "An unsigned bag is verified (BagIt) and signed: referee/attestation.dsse.json\n"
	       "and referee/attestation.sigstore.json are written.  A signed bag is\n"
	       "countersigned: it needs --trust, and every existing signature must be\n"
	       "valid for a trusted key; then the statement is checked against the files\n"
	       "on disk, BagIt too, and KEY's signature is added over the same statement.\n"
	       "If anything fails the bag is left untouched.\n\n"
	       "  --key KEY              private key (PKCS#8 PEM, from 'referee keygen')\n"
	       "  --passphrase-file FILE passphrase of an encrypted key (else asked on\n"
	       "                         the terminal)\n"
	       "  --trust PATH           .pub file, folder of .pub files, or allowed-signers\n"
	       "                         file every existing signature must verify against\n"
	       "                         (required to countersign)\n"
	       "  --min-signatures N     trusted signatures required before countersigning\n"
	       "                         (default 1 with --trust)\n"
	       "  --tsa URL              also obtain an RFC 3161 timestamp of the new\n"
	       "                         signature from the TSA at URL; if that fails the\n"
	       "                         bag is left as it was\n"
	       "  -j N                   hashing threads (default: all cores)\n",
	       usage_line);
}

int cmd_sign(int argc, char **argv)
{
	const char *bag = NULL, *keypath = NULL, *passfile = NULL, *trustpath = NULL,
		   *tsa = NULL;
	rf_tsa_snapshot *snap = NULL;
	long min = 0, threads = 0;
	rf_attest_opts opts = RF_ATTEST_OPTS_INIT;
	rf_buf env_path = RF_BUF_INIT;
	rf_trust *trust = NULL;
	rf_key *key = NULL;
	rf_bundle_result *res = NULL;
	int rc, status, is_signed;

	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
			help();
			return cli_finish(CLI_OK);
		} else if (!strcmp(a, "--key") && i + 1 < argc) {
			keypath = argv[++i];
		} else if (!strcmp(a, "--passphrase-file") && i + 1 < argc) {
			passfile = argv[++i];
		} else if (!strcmp(a, "--tsa") && i + 1 < argc) {
			tsa = argv[++i];
		} else if (!strcmp(a, "--trust") && i + 1 < argc) {
			trustpath = argv[++i];
		} else if (!strcmp(a, "--min-signatures") && i + 1 < argc) {
			if ((min = cli_parse_long(argv[++i], 1, RF_DSSE_MAX_SIGNATURES)) < 0)
				return cli_fail(argv[0], CLI_USAGE,
						"--min-signatures wants 1 to %d",
						RF_DSSE_MAX_SIGNATURES);
		} else if (!strcmp(a, "-j") && i + 1 < argc) {
			if ((threads = cli_parse_long(argv[++i], 1, 1024)) < 0)
				return cli_fail(argv[0], CLI_USAGE, "-j wants 1 to 1024");
		} else if (a[0] == '-' && a[1]) {
			return cli_bad_arg(argv[0], a, usage_line);
		} else if (!bag) {
			bag = a;
		} else {
			return cli_bad_arg(argv[0], a, usage_line);
		}
	}
	if (!bag || !keypath)
		return cli_usage(usage_line);
	if (min && !trustpath)
		return cli_fail(argv[0], CLI_USAGE, "--min-signatures needs --trust");
	/* A first signature needs a valid bag; a countersignature needs the
	 * whole attestation to hold as well, every existing signature by a
	 * trusted key (rf_attest_countersign checks) — so it needs --trust.
	 * Said before any passphrase is asked for. */
	if ((rc = rf_path_join(&env_path, bag, RF_ATTEST_DSSE)) != 0) {
		rf_buf_free(&env_path);
		return cli_error(argv[0], rc);
	}
	is_signed = rf_path_exists(env_path.data);
	rf_buf_free(&env_path);
	if (is_signed && !trustpath)
		return cli_fail(argv[0], CLI_USAGE,
				"'%s' is already signed: countersigning needs --trust "
				"PATH, the keys every existing signature must verify "
				"against", bag);
	if (trustpath && (rc = rf_trust_load(&trust, trustpath)) != 0)
		return cli_error(argv[0], rc);
	if ((rc = keyio_load_signing_key(&key, keypath, passfile)) != 0) {
		status = cli_error(argv[0], rc);
		goto out;
	}
	if (tsa && (rc = rf_tsa_snapshot_take(&snap, bag)) != 0) {
		status = cli_error(argv[0], rc);
		goto out;
	}
	opts.trust = trust;
	opts.min_signatures = (size_t)min;
	opts.threads = (int)threads;

	if (!is_signed) {
		/* Exactly what verify checks, so that sign never signs a bag
		 * that verify would refuse (rf_attest_bag also refuses payload
		 * that the signed statement could not cover, e.g. a symlink). */
		struct signing_verify sig = {0};
		sig.threads = (int)threads;
		status = signing_bundle_run(&res, &sig, argv[0], bag, NULL, 1);
		if (!res)
			goto out;
		if (status) {
			signing_bundle_problems(argv[0], res, 20);
			fprintf(stderr, "referee %s: '%s' does not verify; not signing\n",
				argv[0], cli_tty(bag));
			goto out;
		}
		if ((rc = rf_attest_bag(bag, key)) != 0) {
			status = cli_error(argv[0], rc);
			goto out;
		}
		if (tsa && (status = signing_stamp_or_restore(argv[0], bag, tsa, snap)))
			goto out;
		printf("signed '%s' with key %s\n", bag, rf_key_id(key));
		status = cli_finish(CLI_OK);
		goto out;
	}
	if ((rc = rf_attest_countersign(bag, key, &opts)) != 0) {
		status = cli_error(argv[0], rc);
		goto out;
	}
	if (tsa && (status = signing_stamp_or_restore(argv[0], bag, tsa, snap)))
		goto out;
	printf("countersigned '%s' with key %s\n", bag, rf_key_id(key));
	status = cli_finish(CLI_OK);
out:
	rf_tsa_snapshot_free(snap);
	rf_bundle_result_free(res);
	rf_key_free(key);
	rf_trust_free(trust);
	return status;
}
