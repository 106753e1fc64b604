/* referee CLI — helpers shared by the verbs (cmd/ only; uses public headers).
 * Exit codes, one table for every verb: 0 all holds, 1 a check failed,
 * 2 bad usage or unreadable input, 3 internal or library failure. */
#ifndef REFEREE_CMD_CLI_H
#define REFEREE_CMD_CLI_H

#include <stdio.h>

#include "referee/referee.h"

enum {
	CLI_OK = 0,
	CLI_FAILED = 1,
	CLI_USAGE = 2,
	CLI_INTERNAL = 3
};

/** A verb: argv[0] is the verb's name. Returns the exit status. */
typedef int (*cli_fn)(int argc, char **argv);

struct cli_verb {
	const char *name;
	cli_fn fn;
	const char *summary;
};

/* One function per verb, one file per verb (cmd/<verb>.c). */
int cmd_pack(int argc, char **argv);
int cmd_verify(int argc, char **argv);
int cmd_keygen(int argc, char **argv);
int cmd_sign(int argc, char **argv);
int cmd_lint(int argc, char **argv);
int cmd_digest(int argc, char **argv);
int cmd_hw(int argc, char **argv);
int cmd_check(int argc, char **argv);
int cmd_rescore(int argc, char **argv);
int cmd_replay(int argc, char **argv);
int cmd_grpo(int argc, char **argv);
int cmd_review(int argc, char **argv);
int cmd_contamination(int argc, char **argv);
int cmd_model(int argc, char **argv);

/** Print "referee <verb>: <rf_error_last()>" on stderr and return the exit
 *  status for library code `rc`. */
int cli_error(const char *verb, int rc);

/** Print "referee <verb>: <message>" on stderr and return `status`. */
int cli_fail(const char *verb, int status, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/** Print a usage line on stderr and return CLI_USAGE. */
int cli_usage(const char *usage);

/** The argument `arg` of `verb` was not expected: say why ("unknown
 *  option '--bogus'", "option '--junit' needs a value" when `usage` shows
 *  it taking one, or "unexpected argument 'x'"), then the usage line;
 *  returns CLI_USAGE.  Every verb's argument loop ends in this. */
int cli_bad_arg(const char *verb, const char *arg, const char *usage);

/** Flush stdout and report a write error (EPIPE, full disk) as status 3;
 *  otherwise return `status`. */
int cli_finish(int status);

/** Parse a positive integer option value (e.g. -j N); -1 when invalid. */
long cli_parse_long(const char *s, long min, long max);

/** 1 when stderr is a terminal and progress may be shown. */
int cli_progress_allowed(int quiet);

#endif
