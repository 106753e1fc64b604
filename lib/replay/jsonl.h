/* referee replay — reading JSON Lines as hostile input (internal to lib/):
 * one line at a time from a file, memory bounded by the longest line
 * allowed ("line longer than N bytes" beyond it), a NUL byte in a line
 * malformed (JSON parsers would stop there and read a different row), and
 * the file's SHA-256 taken on the way.  Every JSONL reader of lib/replay
 * goes through it. */
#ifndef REFEREE_LIB_REPLAY_JSONL_H
#define REFEREE_LIB_REPLAY_JSONL_H

#include <stddef.h>
#include <stdio.h>

#include "referee/buf.h"
#include "referee/digest.h"

typedef struct rf_jsonl {
	FILE *f;
	char *name;        /* for messages */
	size_t max_line;
	long line;         /* 1-based number of the line last returned */
	rf_buf cur;        /* that line, without its newline */
	unsigned char chunk[1 << 16];
	size_t pos, len;   /* unread part of chunk */
	int eof;
	rf_digest *sha;    /* SHA-256 of every byte read */
	unsigned long long bytes, max_bytes;
} rf_jsonl;

/** Open `path`; lines above `max_line` bytes and files above `max_bytes`
 *  are errors (RF_ELIMIT naming the file and line). */
int rf_jsonl_open(rf_jsonl *r, const char *path, size_t max_line,
		  unsigned long long max_bytes);

/** The next line: 1 with *line / *len set (borrowed until the next call),
 *  0 at the end of the file, negative on error (a line longer than the
 *  limit, a NUL byte, a read error), the message naming 'file':line. */
int rf_jsonl_next(rf_jsonl *r, const char **line, size_t *len);

/** After the end: the file's SHA-256 as hex. */
int rf_jsonl_sha256(rf_jsonl *r, char hex[65]);

void rf_jsonl_close(rf_jsonl *r);

/** The same rules for one line held in memory (`name`:`lineno` in the
 *  message): 0, or RF_ELIMIT / RF_EFORMAT. */
int rf_jsonl_check_line(const char *line, size_t len, size_t max_line,
			const char *name, long lineno);

#endif
