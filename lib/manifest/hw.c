/* `referee hw capture`: a hardware-manifest of the machine it runs on.  CPU
 * and memory come from /proc (a root is passed in so tests can use a
 * fixture); NVIDIA GPUs from NVML, loaded with dlopen at run time so that
 * referee has no link-time dependency on the driver. */
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "referee/error.h"
#include "referee/file.h"
#include "referee/manifest.h"
#include "referee/path.h"

#define MAX_PROC_FILE (4u << 20)
#define MAX_IDS 4096

static int read_proc(rf_buf *out, const char *root, const char *rel)
{
	rf_buf path = RF_BUF_INIT;
	int rc = rf_path_join(&path, root, rel);
	if (!rc)
		rc = rf_file_read(out, path.data, MAX_PROC_FILE);
	rf_buf_free(&path);
	return rc;
}

/* A YAML double-quoted scalar: safe for any text a device reports. */
static int put_quoted(rf_buf *out, const char *s)
{
	int rc = rf_buf_puts(out, "\"");
	for (; *s && !rc; s++) {
		unsigned char c = (unsigned char)*s;
		if (c == '"' || c == '\\')
			rc = rf_buf_printf(out, "\\%c", c);
		else if (c < 0x20 || c == 0x7f)
			rc = rf_buf_printf(out, "\\x%02x", c);
		else
			rc = rf_buf_append(out, s, 1);
	}
	return rc ? rc : rf_buf_puts(out, "\"");
}

static void trim(char *s)
{
	size_t n = strlen(s);
	while (n && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\n'))
		s[--n] = '\0';
}

struct cpu {
	char model[256];
	long threads, cores, sockets;
};

/* processor / physical id / core id lines of /proc/cpuinfo */
static void parse_cpuinfo(struct cpu *cpu, char *text)
{
	long pairs[MAX_IDS][2], npairs = 0, sockets[256], nsockets = 0, phys = -1;
	char *save = NULL;
	for (char *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char *colon = strchr(line, ':'), *val;
		if (!colon)
			continue;
		*colon = '\0';
		val = colon + 1;
		while (*val == ' ' || *val == '\t')
			val++;
		trim(line);
		if (!strcmp(line, "processor")) {
			cpu->threads++;
			phys = -1;
		} else if (!strcmp(line, "model name") && !cpu->model[0]) {
			snprintf(cpu->model, sizeof cpu->model, "%s", val);
			trim(cpu->model);
		} else if (!strcmp(line, "physical id")) {
			long i, seen = 0;
			phys = strtol(val, NULL, 10);
			for (i = 0; i < nsockets; i++)
				seen |= sockets[i] == phys;
			if (!seen && nsockets < 256)
				sockets[nsockets++] = phys;
		} else if (!strcmp(line, "core id")) {
			long core = strtol(val, NULL, 10), i, seen = 0;
			for (i = 0; i < npairs; i++)
				seen |= pairs[i][0] == phys && pairs[i][1] == core;
			if (!seen && npairs < MAX_IDS) {
				pairs[npairs][0] = phys;
				pairs[npairs][1] = core;
				npairs++;
			}
		}
	}
	cpu->cores = npairs ? npairs : cpu->threads;
	cpu->sockets = nsockets;
}

static double mem_gib(const char *meminfo)
{
	const char *p = strstr(meminfo, "MemTotal:");
	if (!p)
		return -1;
	return strtod(p + 9, NULL) / (1024.0 * 1024.0); /* kB → GiB */
}

/* Vendor datasheet peak dense BF16 (no sparsity), TFLOP/s, by model name.
 * The more specific names come first. */
static const char *peak_bf16(const char *name)
{
	static const struct {
		const char *part, *peak;
	} table[] = {
		{"H100 PCIe", "756 TFLOP/s"}, {"H100 NVL", "835 TFLOP/s"},
		{"GH200", "989 TFLOP/s"},     {"H100", "989 TFLOP/s"},
		{"H800", "989 TFLOP/s"},      {"H200", "989 TFLOP/s"},
		{"A100", "312 TFLOP/s"},      {"A800", "312 TFLOP/s"},
		{"L40S", "362 TFLOP/s"},      {"B200", "2250 TFLOP/s"},
	};
	for (size_t i = 0; i < sizeof table / sizeof table[0]; i++)
		if (strstr(name, table[i].part))
			return table[i].peak;
	return NULL;
}

/* ---------------------------------------------------------------- NVML */

typedef struct {
	unsigned long long total, free, used;
} nvml_memory;

struct nvml {
	void *lib;
	int (*init)(void);
	int (*shutdown)(void);
	int (*count)(unsigned int *);
	int (*handle)(unsigned int, void **);
	int (*name)(void *, char *, unsigned int);
	int (*memory)(void *, nvml_memory *);
	int (*uuid)(void *, char *, unsigned int);
	int (*driver)(char *, unsigned int);
};

static int nvml_open(struct nvml *n, const char *library)
{
	memset(n, 0, sizeof *n);
	if (!library || !(n->lib = dlopen(library, RTLD_NOW | RTLD_LOCAL)))
		return -1;
	*(void **)&n->init = dlsym(n->lib, "nvmlInit_v2");
	*(void **)&n->shutdown = dlsym(n->lib, "nvmlShutdown");
	*(void **)&n->count = dlsym(n->lib, "nvmlDeviceGetCount_v2");
	*(void **)&n->handle = dlsym(n->lib, "nvmlDeviceGetHandleByIndex_v2");
	*(void **)&n->name = dlsym(n->lib, "nvmlDeviceGetName");
	*(void **)&n->memory = dlsym(n->lib, "nvmlDeviceGetMemoryInfo");
	*(void **)&n->uuid = dlsym(n->lib, "nvmlDeviceGetUUID");
	*(void **)&n->driver = dlsym(n->lib, "nvmlSystemGetDriverVersion");
	if (!n->init || !n->shutdown || !n->count || !n->handle || !n->name ||
	    n->init() != 0) {
		dlclose(n->lib);
		n->lib = NULL;
		return -1;
	}
	return 0;
}

struct gpu {
	char name[96], uuid[96];
	double mem_gib;
};

static int by_name(const void *a, const void *b)
{
	const struct gpu *x = a, *y = b;
	int c = strcmp(x->name, y->name);
	return c ? c : strcmp(x->uuid, y->uuid);
}

/* The GPUs, grouped by model, as YAML list entries. */
static int put_gpus(rf_buf *out, const char *library)
{
	struct nvml n;
	struct gpu *g;
	unsigned int count = 0;
	char driver[96] = "";
	int rc = 0;
	if (nvml_open(&n, library))
		return 0; /* no driver: no GPUs to list */
	if (n.count(&count) != 0 || count == 0 || count > 1024) {
		n.shutdown();
		dlclose(n.lib);
		return 0;
	}
	g = calloc(count, sizeof *g);
	if (!g) {
		n.shutdown();
		dlclose(n.lib);
		return rf_error_set(RF_ENOMEM, "out of memory");
	}
	if (n.driver)
		n.driver(driver, sizeof driver);
	driver[sizeof driver - 1] = '\0';
	for (unsigned int i = 0; i < count; i++) {
		void *h = NULL;
		nvml_memory m = {0};
		snprintf(g[i].name, sizeof g[i].name, "unknown NVIDIA GPU");
		if (n.handle(i, &h) != 0)
			continue;
		if (n.name(h, g[i].name, sizeof g[i].name) != 0)
			snprintf(g[i].name, sizeof g[i].name, "unknown NVIDIA GPU");
		g[i].name[sizeof g[i].name - 1] = '\0';
		if (n.uuid && n.uuid(h, g[i].uuid, sizeof g[i].uuid) != 0)
			g[i].uuid[0] = '\0';
		g[i].uuid[sizeof g[i].uuid - 1] = '\0';
		if (n.memory && n.memory(h, &m) == 0)
			g[i].mem_gib = (double)m.total / (1024.0 * 1024.0 * 1024.0);
	}
	n.shutdown();
	dlclose(n.lib);
	qsort(g, count, sizeof *g, by_name);
	rc = rf_buf_puts(out, "accelerators:\n");
	for (unsigned int i = 0; i < count && !rc;) {
		unsigned int j = i;
		const char *peak = peak_bf16(g[i].name);
		while (j < count && !strcmp(g[j].name, g[i].name))
			j++;
		rc = rf_buf_puts(out, "  - model: ");
		if (!rc)
			rc = put_quoted(out, g[i].name);
		if (!rc)
			rc = rf_buf_printf(out, "\n    count: %u\n    per-node: %u\n", j - i, j - i);
		if (!rc && g[i].mem_gib > 0)
			rc = rf_buf_printf(out, "    memory-gib: %.1f\n", g[i].mem_gib);
		if (!rc && peak)
			rc = rf_buf_printf(out, "    peak:\n      bf16: %s\n", peak);
		if (!rc && driver[0]) {
			rc = rf_buf_puts(out, "    driver: ");
			if (!rc)
				rc = put_quoted(out, driver);
			if (!rc)
				rc = rf_buf_puts(out, "\n");
		}
		if (!rc)
			rc = rf_buf_printf(out, "    source: %s\n",
					   peak ? "\"NVML; peak: vendor datasheet, dense BF16\"" : "NVML");
		if (!rc && g[i].uuid[0]) {
			rc = rf_buf_puts(out, "    ids:\n");
			for (unsigned int k = i; k < j && !rc; k++) {
				rc = rf_buf_puts(out, "      - ");
				if (!rc)
					rc = put_quoted(out, g[k].uuid);
				if (!rc)
					rc = rf_buf_puts(out, "\n");
			}
		}
		i = j;
	}
	free(g);
	return rc;
}

int rf_hw_capture(rf_buf *out, const char *proc_root, const char *nvml_library,
		  const char *captured_at)
{
	rf_buf cpuinfo = RF_BUF_INIT, meminfo = RF_BUF_INIT, t = RF_BUF_INIT;
	struct cpu cpu = {{0}, 0, 0, 0};
	char host[256] = "", osrel[256] = "", ostype[64] = "";
	double gib;
	size_t start = out->len;
	rf_manifest *check;
	int rc;
	const char *root = proc_root ? proc_root : "/proc";

	if ((rc = read_proc(&cpuinfo, root, "cpuinfo")) ||
	    (rc = read_proc(&meminfo, root, "meminfo"))) {
		rf_buf_free(&cpuinfo);
		rf_buf_free(&meminfo);
		return rc;
	}
	parse_cpuinfo(&cpu, cpuinfo.data ? cpuinfo.data : (char *)"");
	gib = mem_gib(meminfo.data ? meminfo.data : "");
	if (!read_proc(&t, root, "sys/kernel/hostname"))
		snprintf(host, sizeof host, "%s", t.data ? t.data : "");
	rf_buf_clear(&t);
	if (!read_proc(&t, root, "sys/kernel/osrelease"))
		snprintf(osrel, sizeof osrel, "%s", t.data ? t.data : "");
	rf_buf_clear(&t);
	if (!read_proc(&t, root, "sys/kernel/ostype"))
		snprintf(ostype, sizeof ostype, "%s", t.data ? t.data : "");
	rf_error_clear();
	trim(host);
	trim(osrel);
	trim(ostype);
	rf_buf_free(&t);
	rf_buf_free(&cpuinfo);
	rf_buf_free(&meminfo);

	rc = rf_buf_puts(out, "# Hardware manifest written by `referee hw capture`.\n"
			      "kind: hardware-manifest\nschema: 1\n");
	if (!rc && captured_at) {
		rc = rf_buf_puts(out, "captured: ");
		if (!rc)
			rc = put_quoted(out, captured_at);
		if (!rc)
			rc = rf_buf_puts(out, "\n");
	}
	if (!rc)
		rc = rf_buf_puts(out, "captured-by: referee hw capture\nnodes: 1\nhost:\n");
	if (!rc && host[0]) {
		rc = rf_buf_puts(out, "  hostname: ");
		if (!rc)
			rc = put_quoted(out, host);
		if (!rc)
			rc = rf_buf_puts(out, "\n");
	}
	if (!rc && (ostype[0] || osrel[0])) {
		char os[330];
		snprintf(os, sizeof os, "%s%s%s", ostype, ostype[0] && osrel[0] ? " " : "", osrel);
		rc = rf_buf_puts(out, "  os: ");
		if (!rc)
			rc = put_quoted(out, os);
		if (!rc)
			rc = rf_buf_puts(out, "\n");
	}
	if (!rc)
		rc = rf_buf_puts(out, "  cpu:\n");
	if (!rc && cpu.model[0]) {
		rc = rf_buf_puts(out, "    model: ");
		if (!rc)
			rc = put_quoted(out, cpu.model);
		if (!rc)
			rc = rf_buf_puts(out, "\n");
	}
	if (!rc && cpu.cores > 0)
		rc = rf_buf_printf(out, "    cores: %ld\n", cpu.cores);
	if (!rc && cpu.threads > 0)
		rc = rf_buf_printf(out, "    threads: %ld\n", cpu.threads);
	if (!rc && cpu.sockets > 0)
		rc = rf_buf_printf(out, "    sockets: %ld\n", cpu.sockets);
	if (!rc && gib >= 0)
		rc = rf_buf_printf(out, "  memory-gib: %.1f\n", gib);
	if (!rc)
		rc = put_gpus(out, nvml_library);
	if (rc)
		return rc;
	/* what we write must lint */
	rc = rf_manifest_load_buffer(&check, "<hw capture>", out->data + start, out->len - start);
	rf_manifest_free(check);
	return rc ? rf_error_wrap(RF_EINTERNAL, "hw capture wrote an invalid manifest") : 0;
}
