/* Terminal helpers shared by every verb: error lines, usage, exit codes. */
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"

int cli_error(const char *verb, int rc)
{
	const char *msg = rf_error_last();
	fprintf(stderr, "referee %s: %s\n", verb,
		msg[0] ? msg : rf_error_name(rc));
	return rf_error_exit_status(rc);
}

int cli_fail(const char *verb, int status, const char *fmt, ...)
{
	va_list ap;
	fprintf(stderr, "referee %s: ", verb);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return status;
}

int cli_usage(const char *usage)
{
	fprintf(stderr, "usage: %s\n", usage);
	return CLI_USAGE;
}

int cli_finish(int status)
{
	if (fflush(stdout) != 0 || ferror(stdout)) {
		fprintf(stderr, "referee: cannot write to standard output: %s\n",
			strerror(errno));
		return CLI_INTERNAL;
	}
	return status;
}

long cli_parse_long(const char *s, long min, long max)
{
	char *end;
	long v;
	if (!s || !*s)
		return -1;
	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || *end || v < min || v > max)
		return -1;
	return v;
}

int cli_progress_allowed(int quiet)
{
	return !quiet && isatty(STDERR_FILENO);
}
