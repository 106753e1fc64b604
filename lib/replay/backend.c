/* referee replay — finds and loads a compute backend module with dlopen and
 * checks its function table, so that libreferee and the referee binary run
 * (and fail clearly) on machines without CUDA. */
#include <dlfcn.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "referee/buf.h"
#include "referee/error.h"
#include "referee/path.h"
#include "replay/backend.h"

#ifndef RF_LIBDIR
#define RF_LIBDIR "/usr/local/lib"
#endif

struct rf_backend {
	void *dl;
	const rf_backend_ops *ops;
	char *path;
};

int rf_device_parse(const char *s, rf_device_kind *kind, int *index)
{
	if (!s || !kind || !index)
		return rf_error_set(RF_EINVAL, "no device given");
	if (!strcmp(s, "cpu")) {
		*kind = RF_DEVICE_CPU;
		*index = 0;
		return 0;
	}
	if (!strncmp(s, "cuda", 4) && (s[4] == '\0' || s[4] == ':')) {
		long n = 0;
		if (s[4] == ':') {
			const char *p = s + 5;
			char *end = NULL;
			if (*p < '0' || *p > '9')
				goto bad;
			errno = 0;
			n = strtol(p, &end, 10);
			if (errno || *end || n < 0 || n >= 64)
				goto bad;
		}
		*kind = RF_DEVICE_CUDA;
		*index = (int)n;
		return 0;
	}
bad:
	return rf_error_set(RF_EINVAL,
			    "unknown device '%s' (expected cpu, cuda or cuda:N)",
			    s);
}

/* The folder holding `file` (a path), into out. */
static int dir_of(rf_buf *out, const char *file)
{
	const char *slash = strrchr(file, '/');
	rf_buf_clear(out);
	if (!slash)
		return rf_buf_puts(out, ".");
	return rf_buf_append(out, file, (size_t)(slash - file) + (slash == file));
}

static int is_file(const char *p)
{
	struct stat st;
	return stat(p, &st) == 0 && S_ISREG(st.st_mode);
}

/* Candidate folders, in order; the first holding the module wins.  The
 * running program's folder covers build/referee and build/tests/...; the
 * shared library's covers programs linked with -lreferee. */
static int find_module(rf_buf *found, const char *name)
{
	rf_buf dir = RF_BUF_INIT;
	char exe[PATH_MAX];
	ssize_t n;
	int rc = RF_ENOTFOUND;
	Dl_info info;
	const char *tried[3] = {NULL, NULL, NULL};
	rf_buf dirs[3] = {RF_BUF_INIT, RF_BUF_INIT, RF_BUF_INIT};
	size_t nd = 0;

	n = readlink("/proc/self/exe", exe, sizeof exe - 1);
	if (n > 0) {
		exe[n] = '\0';
		if (dir_of(&dirs[nd], exe) == 0)
			tried[nd] = dirs[nd].data, nd++;
	}
	memset(&info, 0, sizeof info);
	if (dladdr((void *)&rf_backend_open, &info) && info.dli_fname &&
	    strchr(info.dli_fname, '/') && dir_of(&dirs[nd], info.dli_fname) == 0)
		tried[nd] = dirs[nd].data, nd++;
	if (rf_buf_puts(&dirs[nd], RF_LIBDIR) == 0)
		tried[nd] = dirs[nd].data, nd++;

	for (size_t i = 0; i < nd && rc != 0; i++) {
		rf_buf_clear(found);
		if (rf_path_join(found, tried[i], name) == 0 && is_file(found->data))
			rc = 0;
	}
	if (rc != 0) {
		rf_buf_clear(&dir);
		for (size_t i = 0; i < nd; i++)
			rf_buf_printf(&dir, "%s'%s'", i ? ", " : "", tried[i]);
		rf_error_set(RF_ENOTFOUND,
			     "CUDA backend module '%s' not found in %s (referee "
			     "was built without CUDA: rebuild with 'make CUDA=1' "
			     "where nvcc is installed)",
			     name, dir.data ? dir.data : "no folder");
	}
	for (size_t i = 0; i < 3; i++)
		rf_buf_free(&dirs[i]);
	rf_buf_free(&dir);
	return rc;
}

int rf_backend_open(rf_backend **out, rf_device_kind kind,
		    const char *module_path)
{
	rf_buf path = RF_BUF_INIT;
	rf_backend *be = NULL;
	rf_backend_entry_fn entry;
	const rf_backend_ops *ops;
	void *dl;
	int rc;

	if (!out)
		return rf_error_set(RF_EINVAL, "no output for the backend");
	*out = NULL;
	if (kind != RF_DEVICE_CUDA)
		return rf_error_set(RF_EINVAL,
				    "only the cuda device has a backend module");
	if (module_path) {
		/* dlopen searches the library path for a bare name: make a
		 * name given by the caller mean a file. */
		if (!strchr(module_path, '/'))
			rc = rf_buf_printf(&path, "./%s", module_path);
		else
			rc = rf_buf_puts(&path, module_path);
		if (rc)
			goto fail;
		if (!is_file(path.data)) {
			rc = rf_error_set(RF_ENOTFOUND,
					  "CUDA backend module '%s' not found",
					  module_path);
			goto fail;
		}
	} else if ((rc = find_module(&path, RF_BACKEND_CUDA_MODULE)) != 0) {
		goto fail;
	}

	dlerror();
	dl = dlopen(path.data, RTLD_NOW | RTLD_LOCAL);
	if (!dl) {
		const char *why = dlerror();
		rc = rf_error_set(RF_ELIB, "cannot load CUDA backend module '%s': %s",
				  path.data, why ? why : "unknown dlopen error");
		goto fail;
	}
	dlerror();
	/* POSIX sanctions this conversion for dlsym results. */
	*(void **)&entry = dlsym(dl, RF_BACKEND_SYMBOL);
	if (!entry) {
		dlclose(dl);
		rc = rf_error_set(RF_EFORMAT,
				  "'%s' is not a referee backend module (no symbol %s)",
				  path.data, RF_BACKEND_SYMBOL);
		goto fail;
	}
	ops = entry();
	if (!ops || ops->abi != RF_BACKEND_ABI ||
	    ops->size < sizeof(rf_backend_ops)) {
		unsigned abi = ops ? ops->abi : 0;
		dlclose(dl);
		rc = rf_error_set(RF_EFORMAT,
				  "backend module '%s' has interface version %u, "
				  "this referee needs %u (rebuild the module)",
				  path.data, abi, (unsigned)RF_BACKEND_ABI);
		goto fail;
	}
	be = calloc(1, sizeof *be);
	if (!be) {
		dlclose(dl);
		rc = rf_error_set(RF_ENOMEM, "out of memory");
		goto fail;
	}
	be->dl = dl;
	be->ops = ops;
	be->path = rf_buf_detach(&path);
	*out = be;
	return 0;
fail:
	rf_buf_free(&path);
	return rc;
}

void rf_backend_free(rf_backend *be)
{
	if (!be)
		return;
	/* The CUDA runtime registers exit handlers inside the module; an
	 * unmapped module would leave them dangling, so it stays loaded
	 * (RTLD_NODELETE semantics) and only our handle goes. */
	free(be->path);
	free(be);
}

const rf_backend_ops *rf_backend_ops_of(const rf_backend *be)
{
	return be ? be->ops : NULL;
}

const char *rf_backend_path(const rf_backend *be)
{
	return be ? be->path : NULL;
}

int rf_backend_error(const rf_backend *be, int rc)
{
	const char *msg;
	if (rc == 0)
		return 0;
	if (rc > 0 || rc < RF_ELIMIT)
		rc = RF_ELIB; /* the module broke the contract: still an error */
	msg = be && be->ops && be->ops->last_error ? be->ops->last_error() : NULL;
	return rf_error_set(rc, "cuda: %s", msg && *msg ? msg : "unknown error");
}

int rf_backend_device_count(rf_backend *be, int *n)
{
	int rc;
	if (!be || !n)
		return rf_error_set(RF_EINVAL, "no backend");
	*n = 0;
	rc = be->ops->device_count(n);
	if (rc == 0 && *n <= 0)
		return rf_error_set(RF_EUNSUPPORTED, "no CUDA device");
	return rf_backend_error(be, rc);
}

int rf_backend_device_check(rf_backend *be, int index, char *buf, size_t len)
{
	int n = 0, rc;
	if ((rc = rf_backend_device_count(be, &n)) != 0)
		return rc;
	if (index < 0 || index >= n)
		return rf_error_set(RF_EUNSUPPORTED,
				    "no CUDA device %d (this machine has %d)",
				    index, n);
	if (buf && len) {
		buf[0] = '\0';
		return rf_backend_error(be, be->ops->device_name(index, buf, len));
	}
	return 0;
}
