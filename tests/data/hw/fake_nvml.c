/* A library with NVML's ABI for tests/cli/test_hw.sh: 6 "NVIDIA H800" and 2
 * "NVIDIA A100-SXM4-80GB" devices.  Only the functions referee calls. */
#include <stdio.h>
#include <string.h>

typedef struct {
	unsigned long long total, free, used;
} mem;

int nvmlInit_v2(void);
int nvmlShutdown(void);
int nvmlDeviceGetCount_v2(unsigned int *n);
int nvmlDeviceGetHandleByIndex_v2(unsigned int i, void **h);
int nvmlDeviceGetName(void *h, char *name, unsigned int len);
int nvmlDeviceGetMemoryInfo(void *h, mem *m);
int nvmlDeviceGetUUID(void *h, char *uuid, unsigned int len);
int nvmlSystemGetDriverVersion(char *v, unsigned int len);

static int devices[8];

int nvmlInit_v2(void) { return 0; }
int nvmlShutdown(void) { return 0; }
int nvmlDeviceGetCount_v2(unsigned int *n) { *n = 8; return 0; }
int nvmlDeviceGetHandleByIndex_v2(unsigned int i, void **h)
{
	if (i >= 8)
		return 2;
	*h = &devices[i];
	return 0;
}
static unsigned idx(void *h) { return (unsigned)((int *)h - devices); }
int nvmlDeviceGetName(void *h, char *name, unsigned int len)
{
	snprintf(name, len, "%s", idx(h) % 4 == 3 ? "NVIDIA A100-SXM4-80GB" : "NVIDIA H800");
	return 0;
}
int nvmlDeviceGetMemoryInfo(void *h, mem *m)
{
	(void)h;
	m->total = 85899345920ULL; /* 80 GiB */
	m->free = m->used = 0;
	return 0;
}
int nvmlDeviceGetUUID(void *h, char *uuid, unsigned int len)
{
	snprintf(uuid, len, "GPU-0000000%u", idx(h));
	return 0;
}
int nvmlSystemGetDriverVersion(char *v, unsigned int len)
{
	snprintf(v, len, "550.54.15");
	return 0;
}
