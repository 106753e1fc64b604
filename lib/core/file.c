/* Bounded file reads and atomic writes (temporary sibling + fsync + rename),
 * so that an interrupted run never leaves a half-written output. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "referee/error.h"
#include "referee/file.h"

int rf_file_read(rf_buf *out, const char *path, size_t max)
{
	struct stat st;
	char tmp[65536];
	size_t total = 0;
	/* O_NONBLOCK: opening a FIFO nobody writes to would block forever;
	 * once open, reads block again as usual (a FIFO without a writer then
	 * reads as empty instead of hanging). */
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0)
		return rf_error_set(errno == ENOENT ? RF_ENOTFOUND : RF_EIO,
				    "cannot open '%s': %s", path, strerror(errno));
	if (fstat(fd, &st) == 0 && S_ISDIR(st.st_mode)) {
		close(fd);
		return rf_error_set(RF_EIO, "'%s' is a directory", path);
	}
	/* A regular file says its size: refuse before reading a byte (a 2 GiB
	 * one-line JSONL file fails at once, in bounded memory). */
	if (S_ISREG(st.st_mode) && (uint64_t)st.st_size > max) {
		close(fd);
		return rf_error_set(RF_ELIMIT, "'%s' is larger than the limit of %zu bytes",
				    path, max);
	}
	{
		int fl = fcntl(fd, F_GETFL);
		if (fl != -1)
			fcntl(fd, F_SETFL, fl & ~O_NONBLOCK);
	}
	for (;;) {
		ssize_t n = read(fd, tmp, sizeof tmp);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			close(fd);
			return rf_error_set(RF_EIO, "cannot read '%s': %s", path,
					    strerror(errno));
		}
		if (n == 0)
			break;
		total += (size_t)n;
		if (total > max) {
			close(fd);
			return rf_error_set(RF_ELIMIT,
					    "'%s' is larger than the limit of %zu bytes",
					    path, max);
		}
		if (rf_buf_append(out, tmp, (size_t)n)) {
			close(fd);
			return RF_ENOMEM;
		}
	}
	close(fd);
	return 0;
}

static int write_all(int fd, const void *data, size_t len)
{
	const char *p = data;
	while (len) {
		ssize_t n = write(fd, p, len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/* Make the rename durable: fsync the directory that holds `path`. */
static void sync_parent(const char *path)
{
	char dir[PATH_MAX];
	const char *slash = strrchr(path, '/');
	int fd;
	if (!slash)
		snprintf(dir, sizeof dir, ".");
	else if (slash == path)
		snprintf(dir, sizeof dir, "/");
	else
		snprintf(dir, sizeof dir, "%.*s", (int)(slash - path), path);
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd >= 0) {
		fsync(fd);
		close(fd);
	}
}

int rf_file_write_atomic(const char *path, const void *data, size_t len,
			 mode_t mode, int overwrite)
{
	char tmp[PATH_MAX];
	int fd;
	if (!overwrite && rf_path_exists(path))
		return rf_error_set(RF_EEXIST, "'%s' already exists", path);
	if (snprintf(tmp, sizeof tmp, "%s.tmp-XXXXXX", path) >= (int)sizeof tmp)
		return rf_error_set(RF_EINVAL, "path too long: '%s'", path);
	fd = mkstemp(tmp);
	if (fd < 0)
		return rf_error_set(RF_EIO, "cannot create a file next to '%s': %s",
				    path, strerror(errno));
	/* mkstemp made it 0600: the mode asked for, less the umask, as
	 * open(2) would have given it */
	if (fchmod(fd, mode & ~rf_file_umask()) || write_all(fd, data, len) || fsync(fd)) {
		int e = errno;
		close(fd);
		unlink(tmp);
		return rf_error_set(RF_EIO, "cannot write '%s': %s", path,
				    strerror(e));
	}
	close(fd);
	if (!overwrite) {
		/* link() fails when the target appeared meanwhile: no clobbering. */
		if (link(tmp, path)) {
			int e = errno;
			unlink(tmp);
			return rf_error_set(e == EEXIST ? RF_EEXIST : RF_EIO,
					    "cannot create '%s': %s", path,
					    strerror(e));
		}
		unlink(tmp);
	} else if (rename(tmp, path)) {
		int e = errno;
		unlink(tmp);
		return rf_error_set(RF_EIO, "cannot rename into '%s': %s", path,
				    strerror(e));
	}
	sync_parent(path);
	return 0;
}

int rf_file_write_new(const char *path, const void *data, size_t len,
		      mode_t mode)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
		      mode);
	if (fd < 0)
		return rf_error_set(errno == EEXIST ? RF_EEXIST : RF_EIO,
				    "cannot create '%s': %s", path,
				    errno == EEXIST ? "file exists" : strerror(errno));
	if (fchmod(fd, mode) || write_all(fd, data, len) || fsync(fd)) {
		int e = errno;
		close(fd);
		unlink(path);
		return rf_error_set(RF_EIO, "cannot write '%s': %s", path,
				    strerror(e));
	}
	if (close(fd)) {
		int e = errno;
		unlink(path);
		return rf_error_set(RF_EIO, "cannot write '%s': %s", path,
				    strerror(e));
	}
	sync_parent(path);
	return 0;
}

mode_t rf_file_umask(void)
{
	/* Linux says it without changing it (umask() would, racily). */
	FILE *f = fopen("/proc/self/status", "re");
	char line[256];
	unsigned m;
	mode_t old;
	while (f && fgets(line, sizeof line, f))
		if (sscanf(line, "Umask: %o", &m) == 1) {
			fclose(f);
			return (mode_t)(m & 0777);
		}
	if (f)
		fclose(f);
	old = umask(022);
	umask(old);
	return old;
}

int rf_dir_mktemp_sibling(rf_buf *out, const char *path)
{
	size_t len = strlen(path);
	while (len > 1 && path[len - 1] == '/')
		len--;
	rf_buf_clear(out);
	if (rf_buf_printf(out, "%.*s.tmp-XXXXXX", (int)len, path))
		return RF_ENOMEM;
	if (!mkdtemp(out->data))
		return rf_error_set(RF_EIO, "cannot create a directory next to '%s': %s",
				    path, strerror(errno));
	return 0;
}

static int remove_at(int parent, const char *name, int depth)
{
	struct stat st;
	if (depth > 256)
		return rf_error_set(RF_ELIMIT, "directory tree too deep at '%s'", name);
	if (fstatat(parent, name, &st, AT_SYMLINK_NOFOLLOW))
		return errno == ENOENT ? 0 : rf_error_set(RF_EIO, "cannot stat '%s': %s",
							  name, strerror(errno));
	if (S_ISDIR(st.st_mode)) {
		int fd = openat(parent, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		DIR *d;
		struct dirent *e;
		int rc = 0;
		if (fd < 0)
			return rf_error_set(RF_EIO, "cannot open '%s': %s", name,
					    strerror(errno));
		d = fdopendir(fd);
		if (!d) {
			close(fd);
			return rf_error_set(RF_EIO, "cannot list '%s'", name);
		}
		while ((e = readdir(d)) != NULL) {
			if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
				continue;
			if ((rc = remove_at(dirfd(d), e->d_name, depth + 1)) != 0)
				break;
		}
		closedir(d);
		if (rc)
			return rc;
		if (unlinkat(parent, name, AT_REMOVEDIR))
			return rf_error_set(RF_EIO, "cannot remove '%s': %s", name,
					    strerror(errno));
		return 0;
	}
	if (unlinkat(parent, name, 0))
		return rf_error_set(RF_EIO, "cannot remove '%s': %s", name,
				    strerror(errno));
	return 0;
}

int rf_dir_remove_tree(const char *path)
{
	if (!path)
		return 0;
	return remove_at(AT_FDCWD, path, 0);
}

int rf_dir_make_parents(const char *path, mode_t mode)
{
	char tmp[PATH_MAX];
	size_t len = strlen(path);
	if (len >= sizeof tmp)
		return rf_error_set(RF_EINVAL, "path too long: '%s'", path);
	memcpy(tmp, path, len + 1);
	for (char *p = tmp + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(tmp, mode) && errno != EEXIST)
			return rf_error_set(RF_EIO, "cannot create '%s': %s", tmp,
					    strerror(errno));
		*p = '/';
	}
	if (mkdir(tmp, mode) && errno != EEXIST)
		return rf_error_set(RF_EIO, "cannot create '%s': %s", tmp,
				    strerror(errno));
	return 0;
}

int rf_path_exists(const char *path)
{
	struct stat st;
	return lstat(path, &st) == 0;
}
