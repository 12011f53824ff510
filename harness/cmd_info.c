/* harness/cmd_info.c — `stepbench info` and `stepbench list`. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "build_info.h"
#include "cli.h"
#include "comm.h"
#include "db.h"
#include "device.h"
#include "json.h"
#include "registry.h"
#include "sweep.h"

static void	print_gpu(const struct sb_gpu_info *, int);

static void
print_gpu(const struct sb_gpu_info *g, int i)
{
	printf("GPU %d: %s\n", i, g->name);
	printf("  compute capability %d.%d, %d SMs, %.1f GiB, L2 %.1f MiB, "
	    "%zu KiB shared memory per SM\n", g->cc_major, g->cc_minor, g->sms,
	    g->mem_bytes / 1073741824.0, g->l2_bytes / 1048576.0,
	    g->smem_per_sm / 1024);
	printf("  clocks: SM %d MHz, memory %d MHz, bus %d bits; PCI %s\n",
	    g->clock_khz / 1000, g->mem_clock_khz / 1000, g->bus_width_bits,
	    g->pci_bus);
	printf("  ceilings: fp32 %.1f TFLOP/s, tf32 %.1f TFLOP/s, DRAM %.0f "
	    "GB/s (from clocks and per-SM tables)\n", g->peak_fp32_tflops,
	    g->peak_tf32_tflops, g->peak_gbps);
}

int
cmd_info(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	struct sb_device dev;
	int c, json = 0;

	opterr = 0;
	optind = 0;
	while ((c = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
		switch (c) {
		case 'j':
			json = 1;
			break;
		case 'h':
			printf("usage: stepbench info [--json]\n\n"
			    "Describes this machine: each GPU (name, compute "
			    "capability, SMs, memory,\nclocks, L2, derived "
			    "ceilings) or why there is none, driver and "
			    "runtime,\ncuBLAS/cuBLASLt/NCCL/SQLite versions and "
			    "how stepbench was built.\n--json prints the "
			    "environment record stored with every run.\n");
			return SB_EXIT_OK;
		default:
			return sb_bad_option("info", argc, argv, c);
		}
	}
	if (optind < argc)
		return sb_usage("info", "unexpected argument '%s'", argv[optind]);
	sb_device_probe(&dev);
	if (json) {
		char *text = sb_device_env_json(&dev);

		if (text == NULL)
			return sb_fail("info", "out of memory");
		printf("%s\n", text);
		free(text);
		return SB_EXIT_OK;
	}
	printf("stepbench %s (git %s%s), %s build, CUDA architectures %s\n",
	    SB_VERSION, SB_GIT_REV, SB_GIT_DIRTY ? ", dirty" : "",
	    SB_BUILD_TYPE, SB_CUDA_ARCHS);
	printf("built with %s [%s], %s [%s]; %s\n", SB_C_COMPILER, SB_C_FLAGS,
	    SB_CUDA_COMPILER, SB_CUDA_FLAGS, SB_OPTIONS);
	printf("host %s: %s, %d cores, %.1f GiB\n", dev.host, dev.cpu_model,
	    dev.cpu_cores, dev.host_mem_bytes / 1073741824.0);
	char nccl[32] = "not built in";

	if (dev.nccl_version)
		snprintf(nccl, sizeof(nccl), "%d.%d.%d", dev.nccl_version / 10000,
		    (dev.nccl_version / 100) % 100, dev.nccl_version % 100);
	printf("CUDA driver %d.%d, runtime %d.%d; cuBLAS %d.%d.%d, cuBLASLt "
	    "%zu; NCCL %s; SQLite %s\n", dev.driver_version / 1000,
	    (dev.driver_version % 1000) / 10, dev.runtime_version / 1000,
	    (dev.runtime_version % 1000) / 10, dev.cublas_version / 10000,
	    (dev.cublas_version / 100) % 100, dev.cublas_version % 100,
	    dev.cublaslt_version, nccl, db_sqlite_version());
	if (dev.kernel_driver[0] != '\0')
		printf("NVIDIA driver %s\n", dev.kernel_driver);
	printf("MPI %s; this job: %d process%s%s\n", sb_comm_mpi_version(),
	    sb_comm_size(), sb_comm_size() == 1 ? "" : "es",
	    sb_comm_launched() ? " (under a launcher)" : " (not launched by "
	    "mpirun/srun: world 1)");
	if (dev.tf32_override[0] != '\0')
		printf("NVIDIA_TF32_OVERRIDE=%s is set: it changes what the "
		    "tf32 variants compute\n", dev.tf32_override);
	if (dev.gpu_count == 0) {
		printf("no GPU: %s; the CPU variants still run\n",
		    dev.no_gpu_reason);
		return SB_EXIT_OK;
	}
	for (int i = 0; i < dev.gpu_count; i++)
		print_gpu(&dev.gpu[i], i);
	return SB_EXIT_OK;
}

int
cmd_list(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "variants", required_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	struct sb_variant_list vl;
	struct sb_device dev;
	struct sb_json j;
	const char *filter = "*";
	char err[512];
	int c, json = 0;

	opterr = 0;
	optind = 0;
	while ((c = getopt_long(argc, argv, ":hv:", opts, NULL)) != -1) {
		switch (c) {
		case 'j':
			json = 1;
			break;
		case 'v':
			filter = optarg;
			break;
		case 'h':
			printf("usage: stepbench list [--variants GLOBS] [--json]\n"
			    "\nLists every registered variant: its dotted id "
			    "(mode.precision.impl),\nprecision, implementation, "
			    "and whether it can run on this machine (with\nthe "
			    "reason when not).  --variants filters with "
			    "comma-separated globs.\n");
			return SB_EXIT_OK;
		default:
			return sb_bad_option("list", argc, argv, c);
		}
	}
	if (optind < argc)
		return sb_usage("list", "unexpected argument '%s'", argv[optind]);
	if (sb_parse_variants(filter, &vl, err, sizeof(err)))
		return sb_usage("list", "%s", err);
	sb_device_probe(&dev);
	sb_json_init(&j);
	sb_json_arr_begin(&j, NULL);
	if (!json)
		printf("%-22s %-8s %-9s %-4s %s\n", "id", "prec", "impl",
		    "here", "summary / why not");
	for (int i = 0; i < vl.count; i++) {
		const struct sb_variant *v = vl.v[i];
		char why[512] = "";
		int ok = sb_variant_runnable(v, &dev, why, sizeof(why));
		const char *fb = ok ? sb_variant_fallback(v, &dev) : NULL;

		if (json) {
			sb_json_obj_begin(&j, NULL);
			sb_json_str(&j, "id", v->id);
			sb_json_str(&j, "mode", sb_mode_name(v->mode));
			sb_json_str(&j, "precision", v->precision);
			sb_json_str(&j, "impl", v->impl);
			sb_json_str(&j, "backend", v->backend ==
			    SB_BACKEND_GPU ? "gpu" : "cpu");
			sb_json_num(&j, "tolerance", v->tol);
			sb_json_bool(&j, "runnable", ok);
			sb_json_str(&j, "reason", ok ? NULL : why);
			sb_json_str(&j, "summary", sb_variant_summary(v));
			sb_json_str(&j, "fallback", fb);
			sb_json_obj_end(&j);
			continue;
		}
		printf("%-22s %-8s %-9s %-4s %s%s%s\n", v->id, v->precision,
		    v->impl, ok ? "yes" : "no", ok ? sb_variant_summary(v) : why,
		    fb != NULL ? "; here: " : "", fb != NULL ? fb : "");
	}
	sb_json_arr_end(&j);
	if (json)
		printf("%s\n", sb_json_text(&j) ? sb_json_text(&j) : "[]");
	sb_json_free(&j);
	return SB_EXIT_OK;
}
