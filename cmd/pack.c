/* referee pack — pack evidence files and folders into a BagIt bag
 * (rf_bag_pack), with git provenance.  Options live in one table so that
 * later features (signing) add theirs beside them. */
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bagcli.h"
#include "cli.h"
#include "signing.h"

static const char usage_line[] = "referee pack [options] OUT PATH...";

static void help(void)
{
	printf("usage: %s\n\n"
	       "Pack files and folders into a new BagIt 1.0 bag at OUT, with git\n"
	       "provenance in OUT/referee/provenance.json.  A relative PATH keeps its\n"
	       "layout under data/; an absolute one is packed under its last name.\n\n"
	       "options:\n"
	       "  -j, --jobs N                 threads copying and hashing (default: all cores)\n"
	       "  -f, --force                  replace an existing bag at OUT (only once the\n"
	       "                               new one is complete)\n"
	       "      --follow-symlinks        pack what symlinks point to (default: refuse)\n"
	       "      --allow-dirty            pack files that differ from the git HEAD\n"
	       "      --rev REV                pack PATHs as committed at REV, from the object\n"
	       "                               database (PATHs are paths in the repository)\n"
	       "      --repo DIR               the repository for --rev (default: .)\n"
	       "      --source-organization S  bag-info.txt Source-Organization\n"
	       "      --external-description S bag-info.txt External-Description\n"
	       "      --external-identifier ID bag-info.txt External-Identifier, the identity a\n"
	       "                               reviewer pins with 'verify --expect-id' (e.g. a\n"
	       "                               manuscript number; default: a random UUID)\n"
	       "      --bagging-date DATE      Bagging-Date, YYYY-MM-DD (default:\n"
	       "                               $SOURCE_DATE_EPOCH, else today, UTC)\n"
	       "      --sign KEY               sign the bag: write referee/attestation.dsse.json\n"
	       "                               (DSSE, in-toto statement) and its Sigstore bundle\n"
	       "      --passphrase-file FILE   passphrase of an encrypted KEY (else asked on\n"
	       "                               the terminal)\n"
	       "      --json                   print the result as JSON\n"
	       "  -q, --quiet                  print nothing on success, no progress\n"
	       "  -h, --help                   this help\n\n"
	       "exit status: 0 packed, 1 refused (uncommitted changes, unsafe input),\n"
	       "2 bad usage or unreadable input, 3 internal failure\n",
	       usage_line);
}

enum {
	OPT_FOLLOW = 256,
	OPT_ALLOW_DIRTY,
	OPT_REV,
	OPT_REPO,
	OPT_SOURCE_ORG,
	OPT_EXT_DESC,
	OPT_DATE,
	OPT_JSON,
	OPT_SIGN,
	OPT_PASSFILE,
	OPT_EXT_ID
};

static const struct option options[] = {
	{"jobs", required_argument, NULL, 'j'},
	{"force", no_argument, NULL, 'f'},
	{"follow-symlinks", no_argument, NULL, OPT_FOLLOW},
	{"allow-dirty", no_argument, NULL, OPT_ALLOW_DIRTY},
	{"rev", required_argument, NULL, OPT_REV},
	{"repo", required_argument, NULL, OPT_REPO},
	{"source-organization", required_argument, NULL, OPT_SOURCE_ORG},
	{"external-description", required_argument, NULL, OPT_EXT_DESC},
	{"bagging-date", required_argument, NULL, OPT_DATE},
	{"external-identifier", required_argument, NULL, OPT_EXT_ID},
	{"json", no_argument, NULL, OPT_JSON},
	{"sign", required_argument, NULL, OPT_SIGN},
	{"passphrase-file", required_argument, NULL, OPT_PASSFILE},
	{"quiet", no_argument, NULL, 'q'},
	{"help", no_argument, NULL, 'h'},
	{NULL, 0, NULL, 0},
};

/* Ctrl-C stops the pack cleanly: the library sees the flag between blocks
 * and removes its temporary directory, so nothing is left behind. */
static volatile sig_atomic_t interrupted;

static void on_signal(int sig)
{
	interrupted = sig;
}

/* Reproducible builds' convention for "now": SOURCE_DATE_EPOCH. */
static int date_from_env(char *buf, size_t size)
{
	const char *e = getenv("SOURCE_DATE_EPOCH");
	long long v;
	char *end;
	struct tm tm;
	time_t t;
	if (!e || !*e)
		return 0;
	v = strtoll(e, &end, 10);
	if (*end || v < 0)
		return -1;
	t = (time_t)v;
	if (!gmtime_r(&t, &tm))
		return -1;
	strftime(buf, size, "%Y-%m-%d", &tm);
	return 1;
}

int cmd_pack(int argc, char **argv)
{
	rf_pack_opts o = RF_PACK_OPTS_INIT;
	struct cli_progress progress;
	struct signing_pack sign = {NULL, NULL, NULL};
	rf_bag *bag = NULL;
	char date[16];
	int quiet = 0, json = 0, c, rc;
	const char *verb = argv[0], *out;
	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":j:fqh", options, NULL)) != -1) {
		switch (c) {
		case 'j': {
			long j = cli_parse_long(optarg, 1, 1024);
			if (j < 0)
				return cli_fail(verb, CLI_USAGE, "-j wants a number from 1 to 1024, not '%s'",
						optarg);
			o.threads = (int)j;
			break;
		}
		case 'f': o.force = 1; break;
		case OPT_FOLLOW: o.follow_symlinks = 1; break;
		case OPT_ALLOW_DIRTY: o.allow_dirty = 1; break;
		case OPT_REV: o.rev = optarg; break;
		case OPT_REPO: o.repo = optarg; break;
		case OPT_SOURCE_ORG: o.source_organization = optarg; break;
		case OPT_EXT_DESC: o.external_description = optarg; break;
		case OPT_DATE: o.bagging_date = optarg; break;
		case OPT_EXT_ID: o.external_identifier = optarg; break;
		case OPT_JSON: json = 1; break;
		case OPT_SIGN: sign.key_path = optarg; break;
		case OPT_PASSFILE: sign.pass_file = optarg; break;
		case 'q': quiet = 1; break;
		case 'h':
			help();
			return cli_finish(CLI_OK);
		case ':':
			cli_fail(verb, CLI_USAGE, "option '%s' needs a value", argv[optind - 1]);
			return cli_usage(usage_line);
		default:
			cli_fail(verb, CLI_USAGE, "unknown option '%s'", argv[optind - 1]);
			return cli_usage(usage_line);
		}
	}
	if (argc - optind < 2)
		return cli_usage(usage_line);
	if (o.repo && !o.rev)
		return cli_fail(verb, CLI_USAGE, "--repo is only for --rev");
	if (o.rev && !o.repo)
		o.repo = ".";
	if (!o.bagging_date) {
		int d = date_from_env(date, sizeof date);
		if (d < 0)
			return cli_fail(verb, CLI_USAGE, "SOURCE_DATE_EPOCH is not a number of seconds");
		if (d > 0)
			o.bagging_date = date;
	}
	out = argv[optind];
	/* The key (and its passphrase) before any work: a wrong one packs nothing. */
	if ((rc = signing_pack_prepare(&sign, verb)) != 0)
		return rc;
	if (sign.key) {
		o.before_commit = signing_pack_hook;
		o.before_commit_ctx = &sign;
	}
	cli_progress_start(&progress, "packing", quiet || json);
	o.progress = cli_progress_update;
	o.progress_ctx = &progress;
	{
		struct sigaction sa;
		memset(&sa, 0, sizeof sa);
		sa.sa_handler = on_signal;
		sigemptyset(&sa.sa_mask);
		sigaction(SIGINT, &sa, NULL);
		sigaction(SIGTERM, &sa, NULL);
		sigaction(SIGHUP, &sa, NULL);
	}
	o.cancel = &interrupted;
	rc = rf_bag_pack(out, (const char *const *)argv + optind + 1,
			 (size_t)(argc - optind - 1), &o);
	cli_progress_end(&progress);
	signing_pack_free(&sign);
	/* The library stops for an interrupt only before its point of no
	 * return: a success means the bag is in place, whatever arrived since. */
	if (rc && interrupted) {
		cli_fail(verb, 128 + interrupted, "interrupted; nothing was written to '%s'",
			 out);
		return 128 + interrupted;
	}
	if (rc)
		return cli_error(verb, rc);
	if (interrupted)
		cli_fail(verb, 0, "interrupted after the point of no return: the new bag "
			 "is complete and in place at '%s'%s", out,
			 o.force ? " (the old one was replaced)" : "");
	if (quiet)
		return cli_finish(CLI_OK);
	/* Report what was written, read back from the bag itself. */
	if ((rc = rf_bag_open(&bag, out)) != 0)
		return cli_error(verb, rc);
	{
		const char *oxum = rf_bag_info_get(bag, "Payload-Oxum");
		const char *id = rf_bag_info_get(bag, "External-Identifier");
		unsigned long long bytes = oxum ? strtoull(oxum, NULL, 10) : 0;
		char size[32];
		cli_human_size(size, sizeof size, bytes);
		if (json) {
			printf("{\"bag\": ");
			cli_json_string(stdout, out);
			printf(", \"files\": %zu, \"bytes\": %llu, \"external_identifier\": ",
			       rf_bag_entry_count(bag), bytes);
			if (id)
				cli_json_string(stdout, id);
			else
				printf("null");
			printf("}\n");
		} else {
			printf("packed %zu file%s (%s) into '%s'%s\n", rf_bag_entry_count(bag),
			       rf_bag_entry_count(bag) == 1 ? "" : "s", size, cli_tty(out),
			       o.before_commit ? ", signed" : "");
			if (id)
				printf("identifier: %s (reviewers pin it: referee verify "
				       "--expect-id ID)\n", cli_tty(id));
		}
	}
	rf_bag_free(bag);
	return cli_finish(CLI_OK);
}
