/* referee keygen NAME: an Ed25519 key pair (or, with --type, an ECDSA
 * P-256 / P-384 one for OpenSSF Model Signing), NAME.key (PKCS#8 PEM, 0600,
 * optionally passphrase-encrypted) and NAME.pub (SPKI PEM).  Never
 * overwrites; the passphrase and private key are wiped after use. */
#include <string.h>
#include <unistd.h>

#include "keyio.h"

static const char usage_line[] =
	"referee keygen NAME [--type ed25519|ecdsa-p256|ecdsa-p384]\n"
	"       [--passphrase-file FILE | --no-passphrase]";

static void help(void)
{
	printf("usage: %s\n\n"
	       "Writes NAME.key (private, PKCS#8 PEM, mode 0600) and NAME.pub\n"
	       "(public, SPKI PEM) and prints the key id (hex SHA-256 of the raw\n"
	       "public key).  Existing files are never overwritten.\n\n"
	       "  --type TYPE             ed25519 (default; bag signatures), ecdsa-p256\n"
	       "                          or ecdsa-p384 (OpenSSF Model Signing, 'referee\n"
	       "                          model sign'); an ECDSA key id hashes the SPKI DER\n"
	       "  --passphrase-file FILE  encrypt the key (AES-256-CBC) with the\n"
	       "                          first line of FILE\n"
	       "  --no-passphrase         do not ask; write an unencrypted key\n"
	       "Without either, the passphrase is asked on the terminal (empty =\n"
	       "unencrypted); with no terminal the key is written unencrypted.\n",
	       usage_line);
}

int cmd_keygen(int argc, char **argv)
{
	const char *name = NULL, *passfile = NULL;
	int no_pass = 0, rc;
	rf_key_type type = RF_KEY_ED25519;
	rf_buf priv = RF_BUF_INIT, pub = RF_BUF_INIT, pass = RF_BUF_INIT;
	rf_key *key = NULL;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
			help();
			return cli_finish(CLI_OK);
		} else if (!strcmp(argv[i], "--passphrase-file") && i + 1 < argc) {
			passfile = argv[++i];
		} else if (!strcmp(argv[i], "--type") && i + 1 < argc) {
			if (rf_key_type_from_name(&type, argv[++i]) != 0)
				return cli_error(argv[0], RF_EINVAL);
		} else if (!strcmp(argv[i], "--no-passphrase")) {
			no_pass = 1;
		} else if (argv[i][0] == '-' && argv[i][1]) {
			return cli_bad_arg(argv[0], argv[i], usage_line);
		} else if (!name) {
			name = argv[i];
		} else {
			return cli_bad_arg(argv[0], argv[i], usage_line);
		}
	}
	if (!name || !*name || (no_pass && passfile))
		return cli_usage(usage_line);
	if (rf_buf_printf(&priv, "%s.key", name) || rf_buf_printf(&pub, "%s.pub", name))
		return cli_error(argv[0], RF_ENOMEM);
	/* Refuse before asking for a passphrase. */
	if (rf_path_exists(priv.data) || rf_path_exists(pub.data)) {
		rc = cli_fail(argv[0], CLI_USAGE, "'%s' already exists; not overwriting",
			      rf_path_exists(priv.data) ? priv.data : pub.data);
		goto out;
	}
	if (passfile || (!no_pass && isatty(STDIN_FILENO))) {
		if ((rc = keyio_passphrase(&pass, passfile,
					   "passphrase for the new key (empty: none): ",
					   1)) != 0) {
			rc = cli_error(argv[0], rc);
			goto out;
		}
		if (passfile && pass.len == 0) {
			rc = cli_fail(argv[0], CLI_USAGE, "'%s' holds an empty passphrase",
				      passfile);
			goto out;
		}
	}
	if ((rc = rf_key_generate_type(&key, type)) != 0 ||
	    (rc = rf_key_save(key, priv.data, pub.data, pass.data, pass.len)) != 0) {
		rc = cli_error(argv[0], rc);
		goto out;
	}
	if (!pass.len)
		fprintf(stderr, "referee keygen: note: '%s' is not encrypted\n",
			priv.data);
	printf("key id: %s\nprivate key: %s\npublic key: %s\n", rf_key_id(key),
	       priv.data, pub.data);
	rc = cli_finish(CLI_OK);
out:
	rf_buf_wipe(&pass);
	rf_key_free(key);
	rf_buf_free(&priv);
	rf_buf_free(&pub);
	return rc;
}
