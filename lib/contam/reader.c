/* Corpus file reading for the contamination scan: plain, gzip (zlib, also
 * concatenated members) or zstd, recognised by the first bytes, never by
 * the name; decompressed into the caller's buffer piece by piece. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>
#include <zstd.h>

#include "reader.h"
#include "referee/error.h"

#define IN_SIZE (256u << 10)

enum { R_PLAIN, R_GZIP, R_ZSTD };

static int fill(contam_reader *r)
{
	ssize_t n;
	if (r->mem) {
		size_t k = r->memlen - r->mempos;
		if (k > IN_SIZE)
			k = IN_SIZE;
		memcpy(r->in, r->mem + r->mempos, k);
		r->mempos += k;
		r->inlen = k;
		r->inpos = 0;
		r->in_eof = k == 0;
		return 0;
	}
	do
		n = read(r->fd, r->in, IN_SIZE);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return rf_error_set(RF_EIO, "cannot read '%s': %s", r->name,
				    strerror(errno));
	r->inlen = (size_t)n;
	r->inpos = 0;
	r->in_eof = n == 0;
	return 0;
}

int contam_reader_open(contam_reader *r, const char *name, const void *mem,
		       size_t memlen)
{
	struct stat st;
	int rc;
	memset(r, 0, sizeof *r);
	r->fd = -1;
	r->name = name;
	if (!(r->in = malloc(IN_SIZE)))
		return rf_error_set(RF_ENOMEM, "out of memory");
	if (mem) {
		r->mem = mem;
		r->memlen = memlen;
	} else {
		r->fd = open(name, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
		if (r->fd < 0) {
			rc = rf_error_set(RF_EIO, "cannot open '%s': %s", name,
					  strerror(errno));
			goto fail;
		}
		/* FIFOs and devices are refused, never read */
		if (fstat(r->fd, &st) || !S_ISREG(st.st_mode)) {
			rc = rf_error_set(RF_EIO, "'%s' is not a regular file",
					  name);
			goto fail;
		}
		fcntl(r->fd, F_SETFL, fcntl(r->fd, F_GETFL) & ~O_NONBLOCK);
	}
	if ((rc = fill(r)))
		goto fail;
	if (r->inlen >= 2 && r->in[0] == 0x1f && r->in[1] == 0x8b) {
		r->kind = R_GZIP;
		if (inflateInit2(&r->z, 15 + 32) != Z_OK) {
			rc = rf_error_set(RF_ELIB, "zlib: cannot start inflate");
			goto fail;
		}
		r->z_live = 1;
	} else if (r->inlen >= 4 && r->in[0] == 0x28 && r->in[1] == 0xb5 &&
		   r->in[2] == 0x2f && r->in[3] == 0xfd) {
		r->kind = R_ZSTD;
		if (!(r->zs = ZSTD_createDStream())) {
			rc = rf_error_set(RF_ENOMEM, "zstd: out of memory");
			goto fail;
		}
	} else {
		r->kind = R_PLAIN;
	}
	return 0;
fail:
	contam_reader_close(r);
	return rc;
}

void contam_reader_close(contam_reader *r)
{
	if (r->z_live)
		inflateEnd(&r->z);
	ZSTD_freeDStream(r->zs);
	if (r->fd >= 0)
		close(r->fd);
	free(r->in);
	memset(r, 0, sizeof *r);
	r->fd = -1;
}

int contam_reader_read(contam_reader *r, char *dst, size_t cap, size_t *got)
{
	int rc;
	*got = 0;
	while (*got < cap) {
		if (r->inpos == r->inlen) {
			if (r->in_eof)
				break;
			if ((rc = fill(r)))
				return rc;
			if (r->in_eof)
				break;
		}
		if (r->kind == R_PLAIN) {
			size_t k = r->inlen - r->inpos;
			if (k > cap - *got)
				k = cap - *got;
			memcpy(dst + *got, r->in + r->inpos, k);
			r->inpos += k;
			*got += k;
		} else if (r->kind == R_GZIP) {
			int zr;
			r->z.next_in = r->in + r->inpos;
			r->z.avail_in = (uInt)(r->inlen - r->inpos);
			r->z.next_out = (unsigned char *)dst + *got;
			r->z.avail_out = (uInt)(cap - *got > (1u << 30)
							 ? (1u << 30)
							 : cap - *got);
			{
				uInt before = r->z.avail_out;
				zr = inflate(&r->z, Z_NO_FLUSH);
				*got += before - r->z.avail_out;
			}
			r->inpos = r->inlen - r->z.avail_in;
			if (zr == Z_STREAM_END) {
				/* another gzip member may follow */
				inflateReset(&r->z);
				r->member_done = 1;
				continue;
			}
			if (zr != Z_OK && zr != Z_BUF_ERROR)
				return rf_error_set(RF_EFORMAT,
						    "'%s': corrupt gzip data",
						    r->name);
			r->member_done = 0;
		} else {
			ZSTD_inBuffer in = {r->in, r->inlen, r->inpos};
			ZSTD_outBuffer out = {dst, cap, *got};
			size_t zr = ZSTD_decompressStream(r->zs, &out, &in);
			if (ZSTD_isError(zr))
				return rf_error_set(RF_EFORMAT,
						    "'%s': corrupt zstd data: %s",
						    r->name,
						    ZSTD_getErrorName(zr));
			r->inpos = in.pos;
			*got = out.pos;
			r->member_done = zr == 0;
		}
	}
	if (*got == 0 && r->in_eof && r->kind != R_PLAIN && !r->member_done)
		return rf_error_set(RF_EFORMAT, "'%s': truncated %s data",
				    r->name, r->kind == R_GZIP ? "gzip" : "zstd");
	return 0;
}
