/*
 * harness/device.h — what this machine has: GPUs (or why there are none),
 * the host CPU and memory, library versions; and the environment record
 * stored with every run.
 */
#ifndef SB_HARNESS_DEVICE_H
#define SB_HARNESS_DEVICE_H

#include <stddef.h>
#include <stdint.h>

#define SB_MAX_GPUS	16

struct sb_gpu_info {
	char	name[256];
	int	cc_major, cc_minor;
	int	sms;
	size_t	mem_bytes;
	int	l2_bytes;
	int	clock_khz;		/* peak SM clock */
	int	mem_clock_khz;
	int	bus_width_bits;
	size_t	smem_per_sm;
	char	pci_bus[32];
	char	uuid[48];		/* "GPU-xxxxxxxx-xxxx-...", as nvidia-smi
					 * prints it; "" if unknown */
	/* ceilings derived from the above (NaN when the arch is unknown) */
	double	peak_fp32_tflops;	/* SIMT fp32 FMA */
	double	peak_tf32_tflops;	/* dense TF32 tensor cores */
	double	peak_f16_tflops;	/* dense fp16/bf16 tensor cores, fp32
					 * accumulate: 2 x TF32 (A100, H100
					 * datasheets) */
	double	peak_gbps;		/* DRAM, 2 × clock × bus width */
};

struct sb_device {
	int			gpu_count;	/* 0 when none usable */
	char			no_gpu_reason[256];
	struct sb_gpu_info	gpu[SB_MAX_GPUS];
	int			driver_version;	/* 0 without a driver */
	char			kernel_driver[32];	/* the NVIDIA kernel
					 * module's version, "580.159.04"
					 * (/proc/driver/nvidia/version); ""
					 * unknown */
	int			runtime_version;
	int			cublas_version;
	size_t			cublaslt_version;
	int			nccl_version;	/* 0 if not built with NCCL */
	char			cpu_model[128];
	int			cpu_cores;
	size_t			host_mem_bytes;
	char			host[128];
	char			tf32_override[16];	/* NVIDIA_TF32_OVERRIDE, "" unset */
};

/* Fills dev.  Never fails: a missing driver or GPU is recorded in
 * no_gpu_reason ("no NVIDIA driver is loaded (cudaGetDeviceCount: ...)"). */
void	sb_device_probe(struct sb_device *);
/* The version in the text of /proc/driver/nvidia/version ("NVRM version:
 * NVIDIA UNIX x86_64 Kernel Module  580.159.04  Thu ..." or "... Open
 * Kernel Module for x86_64  580.159.04 ...") into out: 0, or -1 (out "")
 * when there is none. */
int	sb_nvidia_driver_version(const char *text, char *out, size_t n);
/* The environment as a JSON object (malloc'ed text; free it), and a short
 * device label for listings ("NVIDIA H100 80GB HBM3" or "cpu: <model>"). */
char	*sb_device_env_json(const struct sb_device *);
void	sb_device_label(const struct sb_device *, char *, size_t);
/* Bytes free on GPU 0 (0 if unknown). */
size_t	sb_device_free_bytes(void);

#endif
