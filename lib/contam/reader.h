/* lib/contam private: a corpus file as a stream of decompressed bytes. */
#ifndef REFEREE_CONTAM_READER_H
#define REFEREE_CONTAM_READER_H

#include <stddef.h>
#include <zlib.h>
#include <zstd.h>

typedef struct contam_reader {
	const char *name;
	int fd;
	const char *mem; /* reading from memory instead of fd */
	size_t memlen, mempos;
	unsigned char *in;
	size_t inlen, inpos;
	int in_eof;
	int kind;
	z_stream z;
	int z_live;
	ZSTD_DStream *zs;
	int member_done; /* the last compressed frame ended cleanly */
} contam_reader;

/* Open `name` (or read `mem` under that name).  0 or RF_EIO / RF_ENOMEM. */
int contam_reader_open(contam_reader *r, const char *name, const void *mem,
		       size_t memlen);
/* Up to `cap` bytes into dst; *got 0 at the end.  RF_EFORMAT for corrupt
 * or truncated compressed data. */
int contam_reader_read(contam_reader *r, char *dst, size_t cap, size_t *got);
void contam_reader_close(contam_reader *r);

#endif
