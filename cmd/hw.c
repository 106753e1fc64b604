/* referee hw capture — write a hardware manifest of this machine (CPU,
 * memory, NVIDIA GPUs through NVML when the driver is there) to stdout or
 * -o FILE, so that a reviewer's replay can record where it ran. */
#include <string.h>
#include <time.h>

#include "cli.h"

static const char usage_text[] =
	"referee hw capture [-o FILE] [--force] [--proc DIR] [--nvml LIB | --no-gpu]";

int cmd_hw(int argc, char **argv)
{
	const char *out_path = NULL, *proc = "/proc", *nvml = "libnvidia-ml.so.1";
	int force = 0, rc;
	char when[32];
	time_t now = time(NULL);
	struct tm tm;
	rf_buf out = RF_BUF_INIT;

	if (argc < 2)
		return cli_usage(usage_text);
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
		printf("usage: %s\n\nWrite a hardware-manifest of this machine: CPU model, cores,\n"
		       "memory, and NVIDIA GPUs through NVML (loaded at run time; none listed\n"
		       "when it cannot be loaded).\n", usage_text);
		return cli_finish(CLI_OK);
	}
	if (strcmp(argv[1], "capture"))
		return cli_fail(argv[0], CLI_USAGE, "unknown subcommand '%s' (see 'referee hw --help')",
				argv[1]);
	for (int i = 2; i < argc; i++) {
		if (!strcmp(argv[i], "-o") && i + 1 < argc)
			out_path = argv[++i];
		else if (!strcmp(argv[i], "--proc") && i + 1 < argc)
			proc = argv[++i];
		else if (!strcmp(argv[i], "--nvml") && i + 1 < argc)
			nvml = argv[++i];
		else if (!strcmp(argv[i], "--no-gpu"))
			nvml = NULL;
		else if (!strcmp(argv[i], "--force"))
			force = 1;
		else
			return cli_bad_arg(argv[0], argv[i], usage_text);
	}
	gmtime_r(&now, &tm);
	strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", &tm);
	rc = rf_hw_capture(&out, proc, nvml, when);
	if (!rc && out_path)
		rc = rf_file_write_atomic(out_path, out.data, out.len, 0644, force);
	else if (!rc)
		fwrite(out.data, 1, out.len, stdout);
	rf_buf_free(&out);
	if (rc)
		return cli_error(argv[0], rc);
	return cli_finish(CLI_OK);
}
