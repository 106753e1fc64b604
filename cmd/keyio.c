/* Passphrases from a file or the terminal (echo off), and loading a
 * signing key with one only when it is encrypted.  Secrets are wiped. */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "keyio.h"

#define PASS_MAX 1024

static int ask_tty(rf_buf *out, const char *prompt)
{
	struct termios old, quiet;
	char c;
	int fd = open("/dev/tty", O_RDWR | O_CLOEXEC), rc = 0;
	if (fd < 0 || !isatty(fd)) {
		if (fd >= 0)
			close(fd);
		return rf_error_set(RF_EINVAL,
				    "no terminal to ask for a passphrase; use "
				    "--passphrase-file");
	}
	if (tcgetattr(fd, &old)) {
		close(fd);
		return rf_error_set(RF_EIO, "cannot read terminal settings: %s",
				    strerror(errno));
	}
	quiet = old;
	quiet.c_lflag &= ~(tcflag_t)(ECHO | ECHONL);
	quiet.c_lflag |= ICANON;
	/* Echo goes off before the prompt shows, so nothing typed is echoed;
	 * one buffer, sized once, so no copy of the secret is left behind. */
	if (tcsetattr(fd, TCSAFLUSH, &quiet) || write(fd, prompt, strlen(prompt)) < 0) {
		tcsetattr(fd, TCSAFLUSH, &old);
		close(fd);
		return rf_error_set(RF_EIO, "cannot turn terminal echo off");
	}
	if ((rc = rf_buf_grow(out, PASS_MAX + 1)) != 0) {
		tcsetattr(fd, TCSAFLUSH, &old);
		close(fd);
		return rc;
	}
	for (;;) {
		ssize_t n = read(fd, &c, 1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0 || c == '\n')
			break;
		if (out->len >= PASS_MAX) {
			rc = rf_error_set(RF_EINVAL, "passphrase longer than %d bytes",
					  PASS_MAX);
			break;
		}
		out->data[out->len++] = c;
		out->data[out->len] = '\0';
	}
	c = 0;
	tcsetattr(fd, TCSAFLUSH, &old);
	if (write(fd, "\n", 1) < 0) {
		/* only cosmetic */
	}
	close(fd);
	if (!rc && out->len && out->data[out->len - 1] == '\r')
		out->data[--out->len] = '\0';
	return rc;
}

/* The first line of a passphrase file, read into one pre-sized buffer so
 * that no unwiped copy is left behind. */
static int read_pass_file(rf_buf *out, const char *file)
{
	char c;
	int fd = open(file, O_RDONLY | O_CLOEXEC), rc = 0;
	if (fd < 0)
		return rf_error_set(errno == ENOENT ? RF_ENOTFOUND : RF_EIO,
				    "cannot open '%s': %s", file, strerror(errno));
	if ((rc = rf_buf_grow(out, PASS_MAX + 1)) != 0) {
		close(fd);
		return rc;
	}
	for (;;) {
		ssize_t n = read(fd, &c, 1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			rc = rf_error_set(RF_EIO, "cannot read '%s': %s", file,
					  strerror(errno));
			break;
		}
		if (n == 0 || c == '\n')
			break;
		if (out->len >= PASS_MAX) {
			rc = rf_error_set(RF_EINVAL,
					  "passphrase in '%s' is longer than %d bytes",
					  file, PASS_MAX);
			break;
		}
		out->data[out->len++] = c;
	}
	c = 0;
	close(fd);
	if (out->len && out->data[out->len - 1] == '\r')
		out->len--;
	out->data[out->len] = '\0';
	return rc;
}

int keyio_passphrase(rf_buf *out, const char *file, const char *prompt,
		     int confirm)
{
	rf_buf again = RF_BUF_INIT;
	int rc;
	rf_buf_clear(out);
	if (file)
		return read_pass_file(out, file);
	if ((rc = ask_tty(out, prompt)) != 0)
		return rc;
	if (confirm && out->len) {
		if ((rc = ask_tty(&again, "passphrase (again): ")) != 0) {
			rf_buf_wipe(&again);
			return rc;
		}
		if (!rf_secret_equal(again.data, again.len, out->data, out->len))
			rc = rf_error_set(RF_EINVAL, "the passphrases do not match");
		rf_buf_wipe(&again);
	}
	if (!rc && !out->data)
		rc = rf_buf_grow(out, 0);
	return rc;
}

static int load_key(rf_key **out, const char *path, const char *passfile,
		    int (*load)(rf_key **, const char *, const char *, size_t))
{
	rf_buf pass = RF_BUF_INIT;
	int rc = rf_key_file_is_encrypted(path);
	*out = NULL;
	if (rc < 0)
		return rc;
	if (rc == 0)
		return load(out, path, NULL, 0);
	if ((rc = keyio_passphrase(&pass, passfile, "passphrase for the key: ", 0)) == 0)
		rc = load(out, path, pass.data, pass.len);
	rf_buf_wipe(&pass);
	return rc;
}

int keyio_load_signing_key(rf_key **out, const char *path, const char *passfile)
{
	return load_key(out, path, passfile, rf_key_load_private);
}

int keyio_load_model_key(rf_key **out, const char *path, const char *passfile)
{
	return load_key(out, path, passfile, rf_key_load_private_any);
}
