/* referee model digest|sign|verify: OpenSSF Model Signing v1.0 for a model
 * directory (or one model file), interoperable with the reference
 * implementation (`model_signing` on PyPI). */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "bagcli.h"
#include "keyio.h"

static const char usage_line[] =
	"referee model digest DIR [--shards [SIZE]] [--resources] [options]\n"
	"       referee model sign DIR --key KEY [--signature FILE] [--shards [SIZE]]\n"
	"                          [--passphrase-file FILE] [options]\n"
	"       referee model verify DIR --signature FILE (--trust PUB | --trust-chain CA)\n"
	"                          [--ignore-unsigned-files] [options]";

static void help(void)
{
	printf("usage: %s\n\n"
	       "OpenSSF Model Signing v1.0 (the format of sigstore/model-transparency):\n"
	       "a Sigstore bundle v0.3 with a DSSE envelope over an in-toto statement\n"
	       "whose one subject is the model's name and the SHA-256 over its\n"
	       "resources' digests, and whose predicate lists every resource.\n\n"
	       "  digest   print that subject digest and the model's name\n"
	       "  sign     write the signature (default DIR/model.sig) with an ECDSA\n"
	       "           P-256 / P-384 or Ed25519 key ('referee keygen --type')\n"
	       "  verify   check the signature and the model against it: a changed,\n"
	       "           missing or unsigned file fails (exit 1), each one named\n\n"
	       "options:\n"
	       "  --signature FILE        signature file (default DIR/model.sig)\n"
	       "  --shards [SIZE]         one resource per SIZE bytes of each file\n"
	       "                          (default 1000000000) instead of one per file\n"
	       "  --ignore-paths P        leave P out (a file or folder, relative to the\n"
	       "                          current directory, inside DIR); repeatable\n"
	       "  --no-ignore-git-paths   do not leave out .git, .gitattributes, .github\n"
	       "                          and .gitignore\n"
	       "  --allow-symlinks        hash the files symlinks point to\n"
	       "  --ignore-unsigned-files (verify) files the signature does not list are\n"
	       "                          not an error\n"
	       "  --trust PUB             (verify) the signer's public key (PEM)\n"
	       "  --trust-chain CA        (verify) PEM root certificate(s) for a bundle\n"
	       "                          signed with a certificate\n"
	       "  --resources             (digest) list every resource and its digest\n"
	       "  -j N                    hashing threads (default: all cores)\n",
	       usage_line);
}

typedef struct model_args {
	const char *sub, *dir, *sig, *key, *pass, *trust, *chain;
	const char **ign;
	size_t nign;
	rf_model_opts ho;
	int list, ignore_unsigned;
} model_args;

/* An ignore path as the reference CLI takes it: relative to the current
 * directory (or absolute), kept when it is inside the model, stored
 * relative to the model root.  The path need not exist. */
static int ignore_rel(char **out, const char *dir, const char *p)
{
	char *rdir = realpath(dir, NULL), *rp = realpath(p, NULL);
	size_t n;
	*out = NULL;
	if (!rp) {
		/* not there (yet): resolve its folder */
		char *copy = strdup(p), *slash, *rparent;
		const char *base;
		if (!copy) {
			free(rdir);
			return RF_ENOMEM;
		}
		slash = strrchr(copy, '/');
		if (slash) {
			*slash = '\0';
			base = slash + 1;
			rparent = realpath(*copy ? copy : "/", NULL);
		} else {
			base = copy;
			rparent = realpath(".", NULL);
		}
		if (rparent && *base && asprintf(&rp, "%s/%s", rparent, base) < 0)
			rp = NULL;
		free(rparent);
		free(copy);
	}
	if (rdir && rp) {
		n = strlen(rdir);
		if (!strncmp(rp, rdir, n) && rp[n] == '/' && rp[n + 1])
			*out = strdup(rp + n + 1);
	}
	free(rdir);
	free(rp);
	return 0;
}

/* 0: parsed; 1: --help; -1: bad usage; -2: bad usage, `argv[*bad]` the
 * argument to name. */
static int parse_args(model_args *a, int argc, char **argv, int *bad)
{
	for (int i = 2; i < argc; i++) {
		const char *s = argv[i];
		if (!strcmp(s, "--help") || !strcmp(s, "-h")) {
			return 1;
		} else if (!strcmp(s, "--signature") && i + 1 < argc) {
			a->sig = argv[++i];
		} else if (!strcmp(s, "--key") && i + 1 < argc) {
			a->key = argv[++i];
		} else if (!strcmp(s, "--passphrase-file") && i + 1 < argc) {
			a->pass = argv[++i];
		} else if (!strcmp(s, "--trust") && i + 1 < argc) {
			a->trust = argv[++i];
		} else if (!strcmp(s, "--trust-chain") && i + 1 < argc) {
			a->chain = argv[++i];
		} else if (!strcmp(s, "--ignore-paths") && i + 1 < argc) {
			const char **p = realloc(a->ign, (a->nign + 1) * sizeof *p);
			if (!p)
				return -1;
			a->ign = p;
			a->ign[a->nign++] = argv[++i];
		} else if (!strcmp(s, "--shards")) {
			a->ho.method = RF_MODEL_SHARDS;
			a->ho.shard_size = RF_MODEL_SHARD_SIZE_DEFAULT;
			if (i + 1 < argc && argv[i + 1][0] >= '0' && argv[i + 1][0] <= '9') {
				long long v = cli_parse_long(argv[++i], 1, LONG_MAX);
				if (v < 0)
					return -1;
				a->ho.shard_size = (uint64_t)v;
			}
		} else if (!strcmp(s, "--no-ignore-git-paths")) {
			a->ho.keep_git_paths = 1;
		} else if (!strcmp(s, "--allow-symlinks")) {
			a->ho.allow_symlinks = 1;
		} else if (!strcmp(s, "--ignore-unsigned-files")) {
			a->ignore_unsigned = 1;
		} else if (!strcmp(s, "--resources")) {
			a->list = 1;
		} else if (!strcmp(s, "-j") && i + 1 < argc) {
			long j = cli_parse_long(argv[++i], 1, 1024);
			if (j < 0)
				return -1;
			a->ho.threads = (int)j;
		} else if (s[0] == '-' && s[1]) {
			*bad = i;
			return -2;
		} else if (!a->dir) {
			a->dir = s;
		} else {
			*bad = i;
			return -2;
		}
	}
	return a->dir ? 0 : -1;
}

static void print_list(const char *what, char **l, size_t n)
{
	for (size_t i = 0; i < n && i < 50; i++)
		fprintf(stderr, "referee model: %s: '%s'\n", what, cli_tty(l[i]));
	if (n > 50)
		fprintf(stderr, "referee model: ... and %zu more %s\n", n - 50, what);
}

int cmd_model(int argc, char **argv)
{
	model_args a;
	rf_buf sigpath = RF_BUF_INIT, out = RF_BUF_INIT, text = RF_BUF_INIT;
	char **rel = NULL, *sigrel = NULL;
	size_t nrel = 0;
	rf_model *m = NULL;
	rf_key *key = NULL;
	int rc, status = CLI_OK;
	const char *verb = "model";

	memset(&a, 0, sizeof a);
	if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
		if (argc < 2)
			return cli_usage(usage_line);
		help();
		return cli_finish(CLI_OK);
	}
	a.sub = argv[1];
	if (strcmp(a.sub, "digest") && strcmp(a.sub, "sign") && strcmp(a.sub, "verify"))
		return cli_usage(usage_line);
	{
		int bad = 0;
		if ((rc = parse_args(&a, argc, argv, &bad)) != 0) {
			free(a.ign);
			if (rc == 1) {
				help();
				return cli_finish(CLI_OK);
			}
			if (rc == -2)
				return cli_bad_arg("model", cli_tty(argv[bad]), usage_line);
			return cli_usage(usage_line);
		}
	}
	if ((!strcmp(a.sub, "sign") && !a.key) ||
	    (!strcmp(a.sub, "verify") && (!a.sig || (!a.trust == !a.chain))) ||
	    (!strcmp(a.sub, "digest") && (a.key || a.trust || a.chain))) {
		free(a.ign);
		return cli_usage(usage_line);
	}
	/* Ignore paths relative to the model root; the signature file too
	 * when it lies inside the model. */
	if (!(rel = calloc(a.nign + 2, sizeof *rel))) {
		status = cli_error(verb, RF_ENOMEM);
		goto out;
	}
	for (size_t i = 0; i < a.nign; i++) {
		if (ignore_rel(&rel[nrel], a.dir, a.ign[i]) != 0) {
			status = cli_error(verb, RF_ENOMEM);
			goto out;
		}
		if (rel[nrel])
			nrel++;
		else
			fprintf(stderr,
				"referee model: note: --ignore-paths '%s' is not inside "
				"'%s'\n", a.ign[i], a.dir);
	}
	if (a.sig)
		rc = rf_buf_puts(&sigpath, a.sig);
	else {
		struct stat st;
		if (!stat(a.dir, &st) && !S_ISDIR(st.st_mode))
			rc = rf_buf_printf(&sigpath, "%s.sig", a.dir);
		else
			rc = rf_buf_printf(&sigpath, "%s/%s", a.dir, RF_MODEL_SIG_DEFAULT);
	}
	if (rc || ignore_rel(&sigrel, a.dir, sigpath.data)) {
		status = cli_error(verb, RF_ENOMEM);
		goto out;
	}
	if (sigrel)
		rel[nrel++] = sigrel;
	sigrel = NULL;

	if (!strcmp(a.sub, "verify")) {
		rf_model_verify_opts vo = {0};
		rf_model_result res;
		if ((rc = rf_file_read(&text, sigpath.data, RF_MODEL_SIG_MAX)) != 0) {
			status = cli_error(verb, rc);
			goto out;
		}
		if (a.trust && (rc = rf_key_load_public_any(&key, a.trust)) != 0) {
			status = cli_error(verb, rc);
			goto out;
		}
		vo.key = key;
		vo.ca_file = a.chain;
		vo.ignore = (const char *const *)rel;
		vo.nignore = nrel;
		vo.ignore_unsigned_files = a.ignore_unsigned;
		vo.keep_git_paths = a.ho.keep_git_paths;
		vo.threads = a.ho.threads;
		rc = rf_model_verify(&res, a.dir, text.data ? text.data : "", text.len,
				     sigpath.data, &vo);
		if (rc) {
			print_list("changed", res.changed, res.nchanged);
			print_list("missing", res.missing, res.nmissing);
			print_list("not signed", res.extra, res.nextra);
			status = cli_error(verb, rc);
		} else {
			printf("verified: %s sha256:%s (%zu resources, %s) signed by %s\n",
			       cli_tty(res.name), res.digest, res.resources, res.method,
			       a.trust ? cli_tty(a.trust)
				       : "a certificate chaining to the root");
			status = cli_finish(CLI_OK);
		}
		rf_model_result_free(&res);
		goto out;
	}

	a.ho.ignore = (const char *const *)rel;
	a.ho.nignore = nrel;
	if (!strcmp(a.sub, "sign") &&
	    (rc = keyio_load_model_key(&key, a.key, a.pass)) != 0) {
		status = cli_error(verb, rc);
		goto out;
	}
	if ((rc = rf_model_hash(&m, a.dir, &a.ho)) != 0) {
		status = cli_error(verb, rc);
		goto out;
	}
	if (!strcmp(a.sub, "digest")) {
		if (a.list)
			for (size_t i = 0; i < rf_model_resource_count(m); i++)
				printf("%s  %s\n", rf_model_resource_digest(m, i),
				       cli_tty(rf_model_resource_name(m, i)));
		printf("sha256:%s  %s\n", rf_model_digest(m), cli_tty(rf_model_name(m)));
		status = cli_finish(CLI_OK);
		goto out;
	}
	if ((rc = rf_model_sign(&out, m, key)) != 0 ||
	    (rc = rf_file_write_atomic(sigpath.data, out.data, out.len, 0644, 0)) != 0) {
		status = cli_error(verb, rc);
		goto out;
	}
	printf("signed: %s sha256:%s (%zu resources) -> %s\n", cli_tty(rf_model_name(m)),
	       rf_model_digest(m), rf_model_resource_count(m), cli_tty(sigpath.data));
	status = cli_finish(CLI_OK);
out:
	for (size_t i = 0; i < nrel; i++)
		free(rel[i]);
	free(rel);
	free(sigrel);
	free(a.ign);
	rf_model_free(m);
	rf_key_free(key);
	rf_buf_free(&sigpath);
	rf_buf_free(&out);
	rf_buf_free(&text);
	return status;
}
