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
	/* stdout first: with 2>&1 through a pipe, a message must not land
	 * inside a half-written stdout line */
	fflush(stdout);
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
	fflush(stdout);
	fprintf(stderr, "usage: %s\n", usage);
	return CLI_USAGE;
}

/* 1 when the usage text shows `opt` followed by a value ("--junit FILE"). */
static int takes_value(const char *usage, const char *opt)
{
	size_t n = strlen(opt);
	for (const char *p = strstr(usage, opt); p; p = strstr(p + 1, opt)) {
		int starts = p == usage || p[-1] == ' ' || p[-1] == '[' || p[-1] == '|';
		if (starts && p[n] == ' ' && p[n + 1] >= 'A' && p[n + 1] <= 'Z')
			return 1;
	}
	return 0;
}

int cli_bad_arg(const char *verb, const char *arg, const char *usage)
{
	if (arg[0] == '-' && arg[1] && takes_value(usage, arg))
		cli_fail(verb, CLI_USAGE, "option '%s' needs a value", arg);
	else if (arg[0] == '-' && arg[1])
		cli_fail(verb, CLI_USAGE, "unknown option '%s'", arg);
	else
		cli_fail(verb, CLI_USAGE, "unexpected argument '%s'", arg);
	return cli_usage(usage);
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
