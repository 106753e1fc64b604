/* referee lint — validate manifests against their kinds; each error names
 * file:line:column and the field.  Exit 0 all valid, 1 some manifest fails
 * validation, 2 bad usage or input that is unreadable, malformed or over a
 * limit. */
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bagcli.h"
#include "cli.h"

static const char usage_text[] = "referee lint [-q] DIR|FILE|- ...  |  referee lint --kinds";

static const char *type_name(rf_field_type t)
{
	static const char *const names[] = {"?", "integer", "number", "string", "bool",
					    "figure", "map", "list", "map", "any"};
	return (unsigned)t < sizeof names / sizeof names[0] ? names[t] : "?";
}

/* Every registered kind and its fields, from the tables themselves. */
static void print_fields(const rf_field *f, int depth, const char *prefix)
{
	for (; f && f->name; f++) {
		char path[256], type[64];
		snprintf(path, sizeof path, "%s%s%s", prefix, prefix[0] ? "." : "", f->name);
		if (f->type == RF_FIELD_LIST || f->type == RF_FIELD_DICT)
			snprintf(type, sizeof type, "%s of %s", type_name(f->type), type_name(f->item));
		else
			snprintf(type, sizeof type, "%s", type_name(f->type));
		if (f->unit)
			snprintf(type + strlen(type), sizeof type - strlen(type), " [%s]",
				 f->unit[0] ? f->unit : "plain number");
		printf("  %-40s %-26s %s%s\n", path, type,
		       f->flags & RF_FIELD_REQUIRED ? "(required) " : "", f->doc ? f->doc : "");
		if (f->fields && depth < 4) {
			char sub[260];
			snprintf(sub, sizeof sub, "%s%s", path,
				 f->type == RF_FIELD_LIST ? "[]" : f->type == RF_FIELD_DICT ? ".*" : "");
			print_fields(f->fields, depth + 1, sub);
		}
	}
}

static int list_kinds(void)
{
	for (size_t i = 0; rf_manifest_kind_at(i); i++) {
		const rf_manifest_kind *k = rf_manifest_kind_at(i);
		printf("%skind: %s (schema %ld) — %s\n", i ? "\n" : "", k->name, k->schema, k->summary);
		print_fields(k->fields, 0, "");
	}
	printf("\nfigures (every field of type figure) are written as a paper writes them:\n");
	for (size_t i = 0; rf_figure_form_at(i); i++)
		printf("  %s\n      %s\n", rf_figure_form_at(i)->written, rf_figure_form_at(i)->means);
	return cli_finish(CLI_OK);
}

static int read_stdin(rf_buf *b)
{
	char tmp[65536];
	for (;;) {
		ssize_t n = read(STDIN_FILENO, tmp, sizeof tmp);
		if (n < 0)
			return rf_error_set(RF_EIO, "cannot read standard input");
		if (n == 0)
			return 0;
		if (b->len + (size_t)n > RF_YAML_DEFAULT_MAX_BYTES)
			return rf_error_set(RF_ELIMIT, "standard input is larger than %u bytes",
					    RF_YAML_DEFAULT_MAX_BYTES);
		if (rf_buf_append(b, tmp, (size_t)n))
			return RF_ENOMEM;
	}
}

/* Exit status: input that cannot be read as one YAML document within the
 * limits (unreadable, syntax error, duplicate key, too large, too deep, an
 * alias bomb) is bad input, 2, as for digest and check; a document that
 * parses but fails its kind's validation is a failed check, 1. */
static int lint_one(const char *path, int quiet)
{
	rf_manifest *m = NULL;
	rf_buf b = RF_BUF_INIT;
	int rc, status;
	const char *name = strcmp(path, "-") ? path : "<stdin>";
	if (!strcmp(path, "-"))
		rc = read_stdin(&b);
	else
		rc = rf_file_read(&b, path, RF_YAML_DEFAULT_MAX_BYTES);
	if (!rc)
		rc = rf_manifest_parse(&m, name, b.data ? b.data : "", b.len, NULL);
	rf_buf_free(&b);
	if (rc) {
		status = rf_error_exit_status(rc);
		goto fail;
	}
	rc = rf_manifest_validate(m);
	if (!rc && rf_manifest_kind_name(m) && !strcmp(rf_manifest_kind_name(m), "claims"))
		rc = rf_claims_lint(m);
	if (rc) {
		status = rc == RF_ENOMEM || rc == RF_EINTERNAL ? rf_error_exit_status(rc)
								: CLI_FAILED;
		goto fail;
	}
	if (!quiet)
		printf("ok %s (%s)\n", cli_tty(rf_manifest_file(m)),
		       cli_tty(rf_manifest_kind_name(m)));
	rf_manifest_free(m);
	return CLI_OK;
fail:
	fprintf(stderr, "referee lint: %s\n", cli_tty(rf_error_last()));
	rf_manifest_free(m);
	return status;
}

static int worse(int a, int b)
{
	return a > b ? a : b;
}

int cmd_lint(int argc, char **argv)
{
	int quiet = 0, status = CLI_OK, i = 1, any = 0;
	for (; i < argc && argv[i][0] == '-' && argv[i][1]; i++) {
		if (!strcmp(argv[i], "-q") || !strcmp(argv[i], "--quiet"))
			quiet = 1;
		else if (!strcmp(argv[i], "--kinds"))
			return list_kinds();
		else if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
			printf("usage: %s\n\nValidate manifests (every *.yaml/*.yml of a DIR; - reads\n"
			       "standard input) against their kinds; errors name file:line:column\n"
			       "and the field.\n\n"
			       "exit (the worst over all files):\n"
			       "  0  every manifest is valid\n"
			       "  1  some manifest is valid YAML but fails its kind's validation\n"
			       "     (unknown key or kind, wrong type, bad figure, missing field)\n"
			       "  2  bad usage, or input unreadable, malformed or over a limit:\n"
			       "     a YAML syntax error or duplicate key; over 4 MiB, nesting 64,\n"
			       "     200,000 nodes, 1 MiB per scalar, or aliases copying more than\n"
			       "     1,000 nodes (a YAML bomb) -- as for digest and check\n"
			       "  3  internal error\n",
			       usage_text);
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
		struct stat st;
		if (strcmp(argv[i], "-") && stat(argv[i], &st) == 0 && S_ISDIR(st.st_mode)) {
			char **list;
			size_t n;
			int rc = rf_manifest_list(&list, &n, argv[i], 10000);
			if (rc) {
				status = worse(status, cli_error(argv[0], rc));
				continue;
			}
			if (n == 0)
				fprintf(stderr, "referee lint: no manifests in '%s'\n",
					cli_tty(argv[i]));
			for (size_t k = 0; k < n; k++, any++)
				status = worse(status, lint_one(list[k], quiet));
			rf_manifest_list_free(list, n);
		} else {
			status = worse(status, lint_one(argv[i], quiet));
			any++;
		}
	}
	if (!any && status == CLI_OK)
		status = CLI_USAGE;
	return cli_finish(status);
}
