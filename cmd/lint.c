/* referee lint — validate manifests against their kinds; each error names
 * file:line:column and the field.  Exit 0 all valid, 1 some manifest is
 * invalid, 2 bad usage or a path that cannot be read. */
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

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

/* 0 valid, 1 invalid, 2 unreadable */
static int lint_one(const char *path, int quiet)
{
	rf_manifest *m = NULL;
	int rc;
	if (!strcmp(path, "-")) {
		rf_buf b = RF_BUF_INIT;
		rc = read_stdin(&b);
		if (!rc)
			rc = rf_manifest_load_buffer(&m, "<stdin>", b.data ? b.data : "", b.len);
		rf_buf_free(&b);
	} else {
		rc = rf_manifest_load(&m, path);
	}
	if (!rc && rf_manifest_kind_name(m) && !strcmp(rf_manifest_kind_name(m), "claims") &&
	    (rc = rf_claims_lint(m))) {
		rf_manifest_free(m);
		m = NULL;
	}
	if (rc) {
		fprintf(stderr, "referee lint: %s\n", rf_error_last());
		return rc == RF_EIO || rc == RF_ENOTFOUND || rc == RF_ENOMEM ? CLI_USAGE
									       : CLI_FAILED;
	}
	if (!quiet)
		printf("ok %s (%s)\n", rf_manifest_file(m), rf_manifest_kind_name(m));
	rf_manifest_free(m);
	return CLI_OK;
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
			printf("usage: %s\n\nValidate manifests (every *.yaml/*.yml of a DIR).\n"
			       "exit: 0 all valid, 1 some manifest invalid, 2 unreadable/usage\n",
			       usage_text);
			return cli_finish(CLI_OK);
		} else if (!strcmp(argv[i], "--")) {
			i++;
			break;
		} else {
			return cli_usage(usage_text);
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
				fprintf(stderr, "referee lint: no manifests in '%s'\n", argv[i]);
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
