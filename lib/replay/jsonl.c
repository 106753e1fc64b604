/* JSON Lines read one line at a time with bounded memory: a file of rows
 * is never held whole, and a line that does not end within the limit is
 * refused as soon as the limit is passed. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "referee/error.h"
#include "replay/jsonl.h"

int rf_jsonl_check_line(const char *line, size_t len, size_t max_line,
			const char *name, long lineno)
{
	if (len > max_line)
		return rf_error_set(RF_ELIMIT, "'%s':%ld: line longer than %zu bytes",
				    name, lineno, max_line);
	if (memchr(line, '\0', len))
		return rf_error_set(RF_EFORMAT, "'%s':%ld: a NUL byte in the line",
				    name, lineno);
	return 0;
}

int rf_jsonl_open(rf_jsonl *r, const char *path, size_t max_line,
		  unsigned long long max_bytes)
{
	int rc;
	memset(r, 0, sizeof *r);
	r->max_line = max_line;
	r->max_bytes = max_bytes;
	if (!(r->name = strdup(path)))
		return rf_error_set(RF_ENOMEM, "out of memory");
	if ((rc = rf_digest_new(&r->sha, RF_DIGEST_SHA256))) {
		rf_jsonl_close(r);
		return rc;
	}
	if (!(r->f = fopen(path, "rb"))) {
		rc = errno == ENOENT
			     ? rf_error_set(RF_ENOTFOUND, "no '%s'", path)
			     : rf_error_set(RF_EIO, "cannot open '%s': %s", path,
					    strerror(errno));
		rf_jsonl_close(r);
		return rc;
	}
	return 0;
}

int rf_jsonl_next(rf_jsonl *r, const char **line, size_t *len)
{
	int rc;
	rf_buf_clear(&r->cur);
	for (;;) {
		unsigned char *nl;
		size_t n;
		if (r->pos == r->len) {
			if (r->eof)
				break;
			r->len = fread(r->chunk, 1, sizeof r->chunk, r->f);
			r->pos = 0;
			if (r->len == 0) {
				if (ferror(r->f))
					return rf_error_set(RF_EIO, "cannot read '%s'",
							    r->name);
				r->eof = 1;
				break;
			}
			r->bytes += r->len;
			if (r->bytes > r->max_bytes)
				return rf_error_set(RF_ELIMIT,
						    "'%s': larger than %llu bytes",
						    r->name, r->max_bytes);
			if ((rc = rf_digest_update(r->sha, r->chunk, r->len)))
				return rc;
		}
		nl = memchr(r->chunk + r->pos, '\n', r->len - r->pos);
		n = nl ? (size_t)(nl - (r->chunk + r->pos)) : r->len - r->pos;
		if (r->cur.len + n > r->max_line)
			return rf_error_set(RF_ELIMIT,
					    "'%s':%ld: line longer than %zu bytes",
					    r->name, r->line + 1, r->max_line);
		if (n && (rc = rf_buf_append(&r->cur, r->chunk + r->pos, n)))
			return rc;
		r->pos += n;
		if (nl) {
			r->pos++;
			goto got;
		}
	}
	if (r->cur.len == 0)
		return 0; /* end (a last line without a newline still counts) */
got:
	r->line++;
	if ((rc = rf_jsonl_check_line(r->cur.data ? r->cur.data : "", r->cur.len,
				      r->max_line, r->name, r->line)))
		return rc;
	*line = r->cur.data ? r->cur.data : "";
	*len = r->cur.len;
	return 1;
}

int rf_jsonl_sha256(rf_jsonl *r, char hex[65])
{
	unsigned char md[32];
	int rc = rf_digest_final(r->sha, md);
	if (!rc)
		rf_digest_to_hex(hex, md, sizeof md);
	return rc;
}

void rf_jsonl_close(rf_jsonl *r)
{
	if (r->f)
		fclose(r->f);
	rf_digest_free(r->sha);
	rf_buf_free(&r->cur);
	free(r->name);
	memset(r, 0, sizeof *r);
}
