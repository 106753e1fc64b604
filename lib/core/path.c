/* Safety checks for names that come from untrusted input (bag manifests,
 * statements, archives): a hostile name must never reach open(). */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "referee/error.h"
#include "referee/path.h"

int rf_path_check_relative(const char *rel, const char *what)
{
	size_t len = strlen(rel);
	const char *p = rel;
	if (!what)
		what = "path";
	if (len == 0)
		return rf_error_set(RF_EUNSAFE, "%s: empty path", what);
	if (len > RF_PATH_MAX)
		return rf_error_set(RF_EUNSAFE, "%s: path too long", what);
	if (rel[0] == '/')
		return rf_error_set(RF_EUNSAFE, "%s: absolute path '%s' refused", what,
				    rel);
	for (const char *c = rel; *c; c++) {
		unsigned char u = (unsigned char)*c;
		if (u < 0x20 || u == 0x7f)
			return rf_error_set(RF_EUNSAFE,
					    "%s: control character in path '%s' refused",
					    what, rel);
		if (u == '\\')
			return rf_error_set(RF_EUNSAFE,
					    "%s: backslash in path '%s' refused", what, rel);
	}
	while (*p) {
		const char *slash = strchr(p, '/');
		size_t n = slash ? (size_t)(slash - p) : strlen(p);
		if (n == 0)
			return rf_error_set(RF_EUNSAFE, "%s: empty component in '%s'",
					    what, rel);
		if ((n == 1 && p[0] == '.') || (n == 2 && p[0] == '.' && p[1] == '.'))
			return rf_error_set(RF_EUNSAFE,
					    "%s: '%.*s' component in '%s' refused", what,
					    (int)n, p, rel);
		if (!slash)
			break;
		p = slash + 1;
		if (!*p)
			return rf_error_set(RF_EUNSAFE, "%s: trailing slash in '%s'",
					    what, rel);
	}
	return 0;
}

int rf_path_join(rf_buf *out, const char *a, const char *b)
{
	size_t la = strlen(a);
	if (la && a[la - 1] == '/')
		return rf_buf_printf(out, "%s%s", a, b);
	return rf_buf_printf(out, "%s/%s", a, b);
}

int rf_path_check_inside(const char *root, const char *path)
{
	char rroot[PATH_MAX], rpath[PATH_MAX];
	size_t n;
	if (!realpath(root, rroot))
		return rf_error_set(RF_EIO, "cannot resolve '%s': %s", root,
				    strerror(errno));
	if (!realpath(path, rpath))
		return rf_error_set(errno == ENOENT ? RF_ENOTFOUND : RF_EIO,
				    "cannot resolve '%s': %s", path, strerror(errno));
	n = strlen(rroot);
	if (strncmp(rroot, rpath, n) != 0 || (rpath[n] != '/' && rpath[n] != '\0'))
		return rf_error_set(RF_EUNSAFE, "'%s' resolves outside '%s'", path,
				    root);
	return 0;
}
