/* Terminal helpers shared by every verb: error lines, usage, exit codes. */
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"

/* Error messages quote paths, names and values from bags, manifests and
 * logs: escaped (rf_escape) so that none can move the cursor or fake a
 * line.  Escaping is idempotent, so a part escaped already stays as is. */
static void put_escaped(const char *verb, const char *msg)
{
	rf_buf b = RF_BUF_INIT;
	if (rf_escape(&b, msg, RF_ESCAPE_TERMINAL) == 0 && b.data)
		msg = b.data;
	else if (msg[0])
		msg = "(message cannot be shown: out of memory)";
	fprintf(stderr, "referee %s: %s\n", verb, msg);
	rf_buf_free(&b);
}

int cli_error(const char *verb, int rc)
{
	const char *msg = rf_error_last();
	put_escaped(verb, msg[0] ? msg : rf_error_name(rc));
	return rf_error_exit_status(rc);
}

int cli_fail(const char *verb, int status, const char *fmt, ...)
{
	rf_buf b = RF_BUF_INIT;
	va_list ap;
	va_start(ap, fmt);
	rf_buf_vprintf(&b, fmt, ap);
	va_end(ap);
	put_escaped(verb, b.data ? b.data : "");
	rf_buf_free(&b);
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
