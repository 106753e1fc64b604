/* Files named by claims (rollouts, replays, logs): resolved against the
 * manifests' folder, allowed anywhere inside the payload, never outside it
 * -- the one place the claim sources resolve a path. */
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "referee/claims.h"
#include "referee/error.h"
#include "referee/file.h"
#include "referee/path.h"

/* Append the components of `p` to the normalised stack in `st` (a buffer
 * of "a/b/c"); `..` pops one.  -1 when it would climb above the root. */
static int push_components(rf_buf *st, const char *p)
{
	while (*p) {
		const char *slash = strchr(p, '/');
		size_t n = slash ? (size_t)(slash - p) : strlen(p);
		if (n == 2 && p[0] == '.' && p[1] == '.') {
			char *last;
			if (st->len == 0)
				return -1;
			last = strrchr(st->data, '/');
			st->len = last ? (size_t)(last - st->data) : 0;
			st->data[st->len] = '\0';
		} else if (n && !(n == 1 && p[0] == '.')) {
			if ((st->len && rf_buf_puts(st, "/")) || rf_buf_append(st, p, n))
				return RF_ENOMEM;
		}
		if (!slash)
			break;
		p = slash + 1;
	}
	return 0;
}

int rf_claims_env_resolve(rf_buf *out, const rf_claims_env *env, const char *rel,
			  const char *what)
{
	const char *root = rf_claims_env_root(env), *dir = rf_claims_env_dir(env);
	char rroot[PATH_MAX], rdir[PATH_MAX];
	rf_buf st = RF_BUF_INIT;
	size_t n;
	int rc;

	if (!what)
		what = "path";
	if (!rel || !*rel)
		return rf_error_set(RF_EUNSAFE, "%s: empty path", what);
	if (rel[0] == '/')
		return rf_error_set(RF_EUNSAFE, "%s: absolute path '%s' refused", what, rel);
	if (strlen(rel) > RF_PATH_MAX)
		return rf_error_set(RF_EUNSAFE, "%s: path too long", what);
	for (const unsigned char *c = (const unsigned char *)rel; *c; c++)
		if (*c < 0x20 || *c == 0x7f || *c == '\\')
			return rf_error_set(RF_EUNSAFE, "%s: control character or backslash in "
					    "'%s' refused", what, rel);
	if (!realpath(root, rroot) || !realpath(dir, rdir))
		return rf_error_set(RF_EIO, "%s: cannot resolve the manifests' folder '%s'",
				    what, dir);
	/* where the manifests sit inside the root ("" when they are the root) */
	n = strlen(rroot);
	if (strncmp(rdir, rroot, n) || (rdir[n] && rdir[n] != '/'))
		return rf_error_set(RF_EUNSAFE, "%s: the manifests' folder '%s' is not inside "
				    "'%s'", what, dir, root);
	if ((rc = rf_buf_puts(&st, "")) || (rc = push_components(&st, rdir + n)))
		goto out;
	if ((rc = push_components(&st, rel)) != 0) {
		if (rc == -1)
			rc = rf_error_set(RF_EUNSAFE, "%s: '%s' leaves the payload ('%s')",
					  what, rel, root);
		goto out;
	}
	rc = st.len ? rf_path_join(out, root, st.data) : rf_buf_puts(out, root);
	/* a symlink inside the payload must not lead out of it either */
	if (!rc && rf_path_exists(out->data) &&
	    rf_path_check_inside(root, out->data))
		rc = rf_error_set(RF_EUNSAFE, "%s: '%s' resolves outside the payload ('%s')",
				  what, rel, root);
out:
	rf_buf_free(&st);
	return rc;
}
