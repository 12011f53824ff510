/*
 * harness/device.c — probing the machine.  The peaks are per-SM throughput
 * tables by compute capability times the SM count and the reported peak
 * clock: ceilings for the "faster than the hardware" check, not targets.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cuda_runtime.h>

#include "build_info.h"
#include "comm.h"
#include "db.h"
#include "device.h"
#include "json.h"
#include "versions.h"

static void	probe_cpu(struct sb_device *);
static void	probe_gpu(struct sb_gpu_info *, int);
static void	peaks(struct sb_gpu_info *);

/* FP32 FMA lanes and dense TF32 flop per clock per SM, by architecture. */
static const struct {
	int	cc;		/* major*10 + minor */
	int	fp32_lanes;
	int	tf32_flop_clk;
} sm_table[] = {
	{ 70, 64, 0 }, { 75, 64, 0 },
	{ 80, 64, 1024 }, { 86, 128, 256 }, { 87, 128, 256 }, { 89, 128, 256 },
	{ 90, 128, 2048 },
	{ 100, 128, 2048 }, { 120, 128, 256 },
};

static void
peaks(struct sb_gpu_info *g)
{
	int cc = g->cc_major * 10 + g->cc_minor;
	double clk = g->clock_khz * 1e3;

	g->peak_fp32_tflops = g->peak_tf32_tflops = g->peak_f16_tflops = NAN;
	for (size_t i = 0; i < sizeof(sm_table) / sizeof(sm_table[0]); i++) {
		if (sm_table[i].cc != cc)
			continue;
		g->peak_fp32_tflops = 2.0 * sm_table[i].fp32_lanes * g->sms *
		    clk / 1e12;
		if (sm_table[i].tf32_flop_clk > 0)
			g->peak_tf32_tflops = (double)sm_table[i].tf32_flop_clk *
			    g->sms * clk / 1e12;
		g->peak_f16_tflops = 2 * g->peak_tf32_tflops;
	}
	g->peak_gbps = g->mem_clock_khz > 0 && g->bus_width_bits > 0 ?
	    2.0 * g->mem_clock_khz * 1e3 * (g->bus_width_bits / 8.0) / 1e9 :
	    NAN;
}

static void
probe_gpu(struct sb_gpu_info *g, int dev)
{
	struct cudaDeviceProp p;
	int v;

	memset(g, 0, sizeof(*g));
	if (cudaGetDeviceProperties(&p, dev) != cudaSuccess) {
		snprintf(g->name, sizeof(g->name), "(properties unavailable)");
		peaks(g);
		return;
	}
	snprintf(g->name, sizeof(g->name), "%s", p.name);
	g->cc_major = p.major;
	g->cc_minor = p.minor;
	g->sms = p.multiProcessorCount;
	g->mem_bytes = p.totalGlobalMem;
	g->l2_bytes = p.l2CacheSize;
	g->smem_per_sm = p.sharedMemPerMultiprocessor;
	if (cudaDeviceGetAttribute(&v, cudaDevAttrClockRate, dev) == cudaSuccess)
		g->clock_khz = v;
	if (cudaDeviceGetAttribute(&v, cudaDevAttrMemoryClockRate, dev) ==
	    cudaSuccess)
		g->mem_clock_khz = v;
	if (cudaDeviceGetAttribute(&v, cudaDevAttrGlobalMemoryBusWidth, dev) ==
	    cudaSuccess)
		g->bus_width_bits = v;
	snprintf(g->pci_bus, sizeof(g->pci_bus), "%04x:%02x:%02x",
	    p.pciDomainID, p.pciBusID, p.pciDeviceID);
	{
		/* the form nvidia-smi -L prints, so the two can be matched */
		const unsigned char *u = (const unsigned char *)p.uuid.bytes;

		snprintf(g->uuid, sizeof(g->uuid), "GPU-%02x%02x%02x%02x-"
		    "%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
		    u[0], u[1], u[2], u[3], u[4], u[5], u[6], u[7], u[8], u[9],
		    u[10], u[11], u[12], u[13], u[14], u[15]);
	}
	peaks(g);
}

static void
probe_cpu(struct sb_device *d)
{
	FILE *f;
	char line[512];
	long pages = sysconf(_SC_PHYS_PAGES), psz = sysconf(_SC_PAGESIZE);

	d->cpu_cores = (int)sysconf(_SC_NPROCESSORS_ONLN);
	d->host_mem_bytes = pages > 0 && psz > 0 ? (size_t)pages * psz : 0;
	snprintf(d->cpu_model, sizeof(d->cpu_model), "unknown CPU");
	if ((f = fopen("/proc/cpuinfo", "r")) != NULL) {
		while (fgets(line, sizeof(line), f) != NULL) {
			char *c = strchr(line, ':');

			if (strncmp(line, "model name", 10) != 0 || c == NULL)
				continue;
			c += 2;
			c[strcspn(c, "\n")] = '\0';
			snprintf(d->cpu_model, sizeof(d->cpu_model), "%s", c);
			break;
		}
		fclose(f);
	}
	if (gethostname(d->host, sizeof(d->host)) != 0)
		snprintf(d->host, sizeof(d->host), "unknown");
	d->host[sizeof(d->host) - 1] = '\0';
}

void
sb_device_probe(struct sb_device *d)
{
	cudaError_t e;
	int n = 0;

	memset(d, 0, sizeof(*d));
	probe_cpu(d);
	/* cuBLAS honours this variable: it silently turns TF32 off (0) */
	if (getenv("NVIDIA_TF32_OVERRIDE") != NULL)
		snprintf(d->tf32_override, sizeof(d->tf32_override), "%s",
		    getenv("NVIDIA_TF32_OVERRIDE"));
	cudaDriverGetVersion(&d->driver_version);
	{
		/* the driver's own version, which cudaDriverGetVersion (the
		 * CUDA version it supports) does not give; no NVML needed */
		char text[512] = "";
		FILE *f = fopen("/proc/driver/nvidia/version", "r");

		if (f != NULL) {
			size_t got = fread(text, 1, sizeof(text) - 1, f);

			text[got] = '\0';
			fclose(f);
			(void)sb_nvidia_driver_version(text, d->kernel_driver,
			    sizeof(d->kernel_driver));
		}
	}
	cudaRuntimeGetVersion(&d->runtime_version);
	d->cublas_version = sb_cublas_version();
	d->cublaslt_version = sb_cublaslt_version();
	d->nccl_version = sb_comm_nccl_version();

	e = cudaGetDeviceCount(&n);
	if (e == cudaErrorInsufficientDriver || e == cudaErrorNoDevice ||
	    (e == cudaSuccess && n == 0)) {
		snprintf(d->no_gpu_reason, sizeof(d->no_gpu_reason),
		    "%s (cudaGetDeviceCount: %s)", d->driver_version == 0 ?
		    "no NVIDIA driver is loaded" : "the driver sees no CUDA GPU",
		    e == cudaSuccess ? "0 devices" : cudaGetErrorString(e));
		cudaGetLastError();
		return;
	}
	if (e != cudaSuccess) {
		snprintf(d->no_gpu_reason, sizeof(d->no_gpu_reason),
		    "cudaGetDeviceCount failed: %s", cudaGetErrorString(e));
		cudaGetLastError();
		return;
	}
	d->gpu_count = n < SB_MAX_GPUS ? n : SB_MAX_GPUS;
	for (int i = 0; i < d->gpu_count; i++)
		probe_gpu(&d->gpu[i], i);
}

size_t
sb_device_free_bytes(void)
{
	size_t free_b = 0, total_b = 0;

	if (cudaMemGetInfo(&free_b, &total_b) != cudaSuccess) {
		cudaGetLastError();
		return 0;
	}
	return free_b;
}

void
sb_device_label(const struct sb_device *d, char *buf, size_t len)
{
	if (d->gpu_count > 0)
		snprintf(buf, len, "%s%s", d->gpu[0].name,
		    d->gpu_count > 1 ? " (+more)" : "");
	else
		snprintf(buf, len, "cpu: %s", d->cpu_model);
}

char *
sb_device_env_json(const struct sb_device *d)
{
	struct sb_json j;
	char *out = NULL;
	const char *text;

	sb_json_init(&j);
	sb_json_obj_begin(&j, NULL);
	sb_json_str(&j, "host", d->host);
	sb_json_str(&j, "cpu", d->cpu_model);
	sb_json_int(&j, "cpu_cores", d->cpu_cores);
	sb_json_int(&j, "host_mem_bytes", (int64_t)d->host_mem_bytes);
	sb_json_int(&j, "driver_version", d->driver_version);
	sb_json_str(&j, "nvidia_driver", d->kernel_driver[0] ?
	    d->kernel_driver : NULL);
	sb_json_int(&j, "runtime_version", d->runtime_version);
	sb_json_int(&j, "cublas_version", d->cublas_version);
	sb_json_int(&j, "cublaslt_version", (int64_t)d->cublaslt_version);
	sb_json_int(&j, "nccl_version", d->nccl_version);
	sb_json_str(&j, "mpi_version", sb_comm_mpi_version());
	sb_json_int(&j, "processes", sb_comm_size());
	sb_json_str(&j, "sqlite_version", db_sqlite_version());
	sb_json_str(&j, "nvidia_tf32_override", d->tf32_override[0] ?
	    d->tf32_override : NULL);
	sb_json_str(&j, "no_gpu_reason", d->gpu_count ? NULL : d->no_gpu_reason);
	sb_json_arr_begin(&j, "gpus");
	for (int i = 0; i < d->gpu_count; i++) {
		const struct sb_gpu_info *g = &d->gpu[i];
		char cc[16];

		snprintf(cc, sizeof(cc), "%d.%d", g->cc_major, g->cc_minor);
		sb_json_obj_begin(&j, NULL);
		sb_json_str(&j, "name", g->name);
		sb_json_str(&j, "cc", cc);
		sb_json_int(&j, "sms", g->sms);
		sb_json_int(&j, "mem_bytes", (int64_t)g->mem_bytes);
		sb_json_int(&j, "l2_bytes", g->l2_bytes);
		sb_json_int(&j, "smem_per_sm", (int64_t)g->smem_per_sm);
		sb_json_int(&j, "clock_khz", g->clock_khz);
		sb_json_int(&j, "mem_clock_khz", g->mem_clock_khz);
		sb_json_int(&j, "bus_width_bits", g->bus_width_bits);
		sb_json_str(&j, "pci_bus", g->pci_bus);
		sb_json_str(&j, "uuid", g->uuid[0] ? g->uuid : NULL);
		sb_json_num(&j, "peak_fp32_tflops", g->peak_fp32_tflops);
		sb_json_num(&j, "peak_tf32_tflops", g->peak_tf32_tflops);
		sb_json_num(&j, "peak_f16_tflops", g->peak_f16_tflops);
		sb_json_num(&j, "peak_gbps", g->peak_gbps);
		sb_json_obj_end(&j);
	}
	sb_json_arr_end(&j);
	sb_json_obj_begin(&j, "build");
	sb_json_str(&j, "version", SB_VERSION);
	sb_json_str(&j, "git_rev", SB_GIT_REV);
	sb_json_bool(&j, "git_dirty", SB_GIT_DIRTY);
	sb_json_str(&j, "build_type", SB_BUILD_TYPE);
	sb_json_str(&j, "cuda_archs", SB_CUDA_ARCHS);
	sb_json_str(&j, "c_compiler", SB_C_COMPILER);
	sb_json_str(&j, "cuda_compiler", SB_CUDA_COMPILER);
	sb_json_str(&j, "c_flags", SB_C_FLAGS);
	sb_json_str(&j, "cuda_flags", SB_CUDA_FLAGS);
	sb_json_str(&j, "options", SB_OPTIONS);
	sb_json_obj_end(&j);
	sb_json_obj_end(&j);
	if ((text = sb_json_text(&j)) != NULL)
		out = strdup(text);
	sb_json_free(&j);
	return out;
}

int
sb_nvidia_driver_version(const char *text, char *out, size_t n)
{
	const char *p = text != NULL ? strstr(text, "Kernel Module") : NULL;
	size_t len = 0;

	if (n > 0)
		out[0] = '\0';
	if (p == NULL || n == 0)
		return -1;
	/* the first token after "Kernel Module" that starts with a digit
	 * ("for x86_64" comes first in the open module's line) */
	p += strlen("Kernel Module");
	while (*p != '\0' && *p != '\n') {
		while (*p == ' ' || *p == '\t')
			p++;
		len = strcspn(p, " \t\n");
		if (len > 0 && p[0] >= '0' && p[0] <= '9' &&
		    strchr(p, '.') != NULL && strchr(p, '.') < p + len)
			break;
		p += len;
		len = 0;
	}
	if (len == 0 || len >= n)
		return -1;
	memcpy(out, p, len);
	out[len] = '\0';
	return 0;
}
