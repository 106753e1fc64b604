/* referee digest — the canonical SHA-256 of manifests: RFC 8785 JSON of the
 * parsed YAML, so comments, key order and formatting do not change it.
 * Prints "<hex>  FILE" per file; --canonical prints the canonical JSON. */
#include <string.h>

#include "cli.h"

static const char usage_text[] = "referee digest [--canonical] FILE.yaml...";

int cmd_digest(int argc, char **argv)
{
	int canonical = 0, i = 1, status = CLI_OK;
	for (; i < argc && argv[i][0] == '-'; i++) {
		if (!strcmp(argv[i], "--canonical"))
			canonical = 1;
		else if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
			printf("usage: %s\n\nSHA-256 of the RFC 8785 canonical JSON of each "
			       "parsed manifest.\n\n"
			       "exit: 0 every file digested; 2 bad usage, or a file unreadable,\n"
			       "malformed or over a limit (as for lint: syntax error, duplicate key,\n"
			       "4 MiB, nesting 64, a YAML bomb); 3 internal error\n", usage_text);
			return cli_finish(CLI_OK);
		} else if (!strcmp(argv[i], "--")) {
			i++;
			break;
		} else {
			return cli_bad_arg(argv[0], argv[i], usage_text);
		}
	}
	if (i >= argc)
		return cli_usage(usage_text);
	for (; i < argc; i++) {
		int rc;
		if (canonical) {
			rf_buf text = RF_BUF_INIT, json = RF_BUF_INIT;
			rf_manifest *m = NULL;
			rc = rf_file_read(&text, argv[i], RF_YAML_DEFAULT_MAX_BYTES);
			if (!rc)
				rc = rf_manifest_parse(&m, argv[i], text.data ? text.data : "",
						       text.len, NULL);
			if (!rc)
				rc = rf_manifest_canonical_json(&json, m);
			if (!rc)
				printf("%s\n", json.data);
			rf_manifest_free(m);
			rf_buf_free(&text);
			rf_buf_free(&json);
		} else {
			char hex[65];
			rc = rf_manifest_digest_file(hex, argv[i]);
			if (!rc)
				printf("%s  %s\n", hex, argv[i]);
		}
		if (rc) {
			int s = cli_error(argv[0], rc);
			status = s > status ? s : status;
		}
	}
	return cli_finish(status);
}
