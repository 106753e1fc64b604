/* The `hardware-manifest` kind: accelerators (model, count, memory, peak
 * dense throughput per number format), nodes, interconnect, and the host
 * CPU and memory (what `referee hw capture` writes). */
#include "referee/manifest.h"

#define POS_INT .type = RF_FIELD_INT, .flags = RF_FIELD_RANGE, .min = 1, .max = 1e19
#define NONNEG_NUM .type = RF_FIELD_FLOAT, .flags = RF_FIELD_RANGE, .min = 0, .max = 1e300

static const rf_field cpu_fields[] = {
	{.name = "model", .type = RF_FIELD_STRING, .doc = "CPU model name"},
	{.name = "cores", POS_INT, .doc = "physical cores"},
	{.name = "threads", POS_INT, .doc = "logical CPUs online"},
	{.name = "sockets", POS_INT, .doc = "CPU packages"},
	{NULL}};

static const rf_field host_fields[] = {
	{.name = "hostname", .type = RF_FIELD_STRING, .doc = "host name"},
	{.name = "os", .type = RF_FIELD_STRING, .doc = "kernel and release"},
	{.name = "cpu", .type = RF_FIELD_MAP, .fields = cpu_fields, .doc = "the CPU"},
	{.name = "memory-gib", NONNEG_NUM, .doc = "main memory, GiB"},
	{NULL}};

static const rf_field accel_fields[] = {
	{.name = "model", .type = RF_FIELD_STRING, .flags = RF_FIELD_REQUIRED | RF_FIELD_NONEMPTY,
	 .doc = "accelerator model (H800, H100 SXM, ...)"},
	{.name = "count", .type = RF_FIELD_INT, .flags = RF_FIELD_RANGE, .min = 1, .max = 1e19,
	 .doc = "accelerators of this model, all nodes together (papers do not always say)"},
	{.name = "per-node", POS_INT, .doc = "accelerators per node"},
	{.name = "memory-gib", NONNEG_NUM, .doc = "memory per accelerator, GiB"},
	{.name = "peak", .type = RF_FIELD_DICT, .item = RF_FIELD_FIGURE, .unit = "FLOP/s",
	 .doc = "peak dense throughput per number format (bf16: 989 TFLOP/s)"},
	{.name = "tdp", .type = RF_FIELD_FIGURE, .unit = "W",
	 .doc = "rated board power per accelerator (A100 SXM: 400 W)"},
	{.name = "interconnect", .type = RF_FIELD_STRING, .doc = "NVLink, ..."},
	{.name = "driver", .type = RF_FIELD_STRING, .doc = "driver version"},
	{.name = "ids", .type = RF_FIELD_LIST, .item = RF_FIELD_STRING,
	 .doc = "device UUIDs or bus ids"},
	{.name = "source", .type = RF_FIELD_STRING, .doc = "where the figures come from"},
	{NULL}};

static const rf_field net_fields[] = {
	{.name = "intra-node", .type = RF_FIELD_STRING, .doc = "e.g. NVLink 400 GB/s"},
	{.name = "inter-node", .type = RF_FIELD_STRING, .doc = "e.g. InfiniBand 8×400 Gb/s"},
	{NULL}};

static const rf_field fields[] = {
	RF_FIELDS_HEADER,
	{.name = "name", .type = RF_FIELD_STRING, .doc = "name of the cluster or machine"},
	{.name = "source", .type = RF_FIELD_STRING, .doc = "where the figures come from"},
	{.name = "captured", .type = RF_FIELD_STRING,
	 .doc = "when `referee hw capture` wrote it (RFC 3339)"},
	{.name = "captured-by", .type = RF_FIELD_STRING, .doc = "the program that wrote it"},
	{.name = "nodes", POS_INT, .doc = "machines"},
	{.name = "host", .type = RF_FIELD_MAP, .fields = host_fields,
	 .doc = "this machine (captured manifests)"},
	{.name = "accelerators", .type = RF_FIELD_LIST, .item = RF_FIELD_MAP,
	 .fields = accel_fields, .doc = "accelerators, one entry per model"},
	{.name = "interconnect", .type = RF_FIELD_MAP, .fields = net_fields,
	 .doc = "links between accelerators and nodes"},
	{.name = "notes", .type = RF_FIELD_STRING, .doc = "free text"},
	{NULL}};

const rf_manifest_kind rf_kind_hardware_manifest = {
	.name = "hardware-manifest",
	.schema = 1,
	.fields = fields,
	.validate = NULL,
	.summary = "accelerators, their peak throughput, nodes and interconnect",
};
