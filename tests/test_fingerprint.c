/*
 * tests/test_fingerprint.c — the provenance fingerprint (harness/
 * fingerprint.h): FNV-1a 64 against its published vectors, the canonical
 * JSON to the byte, its independence from the order of launches, and the
 * outcome hook for GPU and CPU rows.  (The compare page's diff of two
 * fingerprints is SQL: db/query.c, tested in test_db_query.)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "device.h"
#include "engine.h"
#include "fingerprint.h"
#include "testkit.h"

static struct db_launch
launch(const char *name, int regs, int smem, int local, int maxt, int ver)
{
	struct db_launch l;

	memset(&l, 0, sizeof(l));
	l.role = "forward";
	l.name = name;
	l.regs = regs;
	l.static_smem = smem;
	l.local_bytes = local;
	l.max_threads = maxt;
	l.ptx_version = l.binary_version = ver;
	l.dyn_smem = 4096;	/* not part of the fingerprint */
	return l;
}

static struct sb_fp_input
gpu_input(const struct db_launch *l, int n)
{
	struct sb_fp_input in;

	memset(&in, 0, sizeof(in));
	in.gpu = "NVIDIA H200";
	in.gpu_uuid = "GPU-0123";
	in.cc = "9.0";
	in.driver = 13000;
	in.runtime = 13000;
	in.cublas = 130100;
	in.cublaslt = 130100;
	in.nvcc = "NVIDIA 13.0.88";
	in.nvcc_flags = " -O3";
	in.cuda_archs = "80;90a";
	in.build_type = "Release";
	in.options = "werror=ON nvtx=ON sanitize=OFF";
	/* CPU keys are ignored for a GPU row */
	in.cpu = "ignored";
	in.c_flags = "ignored";
	in.launch = l;
	in.nlaunch = n;
	return in;
}

#define K_NT "{\"binary_version\":90,\"local_bytes\":0,\"max_threads\":256," \
	"\"name\":\"gemm_f32.warptile.nt\",\"ptx_version\":90,\"regs\":128," \
	"\"static_smem\":0}"
#define K_TN "{\"binary_version\":90,\"local_bytes\":8,\"max_threads\":256," \
	"\"name\":\"gemm_f32.warptile.tn\",\"ptx_version\":90,\"regs\":96," \
	"\"static_smem\":16384}"
#define K_LT "{\"binary_version\":null,\"local_bytes\":null," \
	"\"max_threads\":null,\"name\":\"cublasLt algo 6\"," \
	"\"ptx_version\":null,\"regs\":null,\"static_smem\":null}"
#define WANT_GPU "{\"build_type\":\"Release\",\"cc\":\"9.0\"," \
	"\"cublas\":\"13.1.0\",\"cublaslt\":\"13.1.0\"," \
	"\"cuda_archs\":\"80;90a\",\"cuda_runtime\":\"13.0\"," \
	"\"driver\":\"13.0\",\"gpu\":\"NVIDIA H200\",\"gpu_uuid\":\"GPU-0123\"," \
	"\"kernels\":[" K_NT "," K_TN "," K_LT "]," \
	"\"nvcc\":\"NVIDIA 13.0.88\",\"nvcc_flags\":\" -O3\"," \
	"\"options\":\"werror=ON nvtx=ON sanitize=OFF\"}"

/* fp-1: FNV-1a 64, the published test vectors */
static void
test_fnv(void)
{
	char hex[17];

	CHECK("fp-1.1: FNV-1a 64 of \"\"",
	    sb_fnv1a64("", 0) == 0xcbf29ce484222325ull);
	CHECK("fp-1.1: FNV-1a 64 of \"a\"",
	    sb_fnv1a64("a", 1) == 0xaf63dc4c8601ec8cull);
	CHECK("fp-1.1: FNV-1a 64 of \"foobar\"",
	    sb_fnv1a64("foobar", 6) == 0x85944171f73967e8ull);
	sb_fingerprint_hex("foobar", hex);
	CHECK("fp-1.2: 16 lower-case hex digits",
	    strcmp(hex, "85944171f73967e8") == 0);
	sb_fingerprint_hex("a", hex);
	CHECK("fp-1.2: leading zeros kept", strlen(hex) == 16);
}

/* fp-2: the canonical text */
static void
test_json(void)
{
	struct db_launch l[4], r[4];
	struct sb_fp_input in;
	char *a, *b;

	l[0] = launch("gemm_f32.warptile.nt", 128, 0, 0, 256, 90);
	l[1] = l[0];		/* the same kernel for a second layer */
	l[1].layer = 1;
	l[1].grid[0] = 7;
	l[2] = launch("gemm_f32.warptile.tn", 96, 16384, 8, 256, 90);
	l[3] = launch("cublasLt algo 6", -1, -1, -1, -1, -1);
	in = gpu_input(l, 4);
	a = sb_fingerprint_json(&in);
	CHECK("fp-2.1: a GPU row's JSON, to the byte", a != NULL &&
	    strcmp(a, WANT_GPU) == 0);
	if (a != NULL && strcmp(a, WANT_GPU) != 0)
		fprintf(stderr, "  got  %s\n  want %s\n", a, WANT_GPU);

	/* the launches in another order */
	r[0] = l[3];
	r[1] = l[2];
	r[2] = l[1];
	r[3] = l[0];
	in = gpu_input(r, 4);
	b = sb_fingerprint_json(&in);
	CHECK("fp-2.2: the order of launches does not matter",
	    a != NULL && b != NULL && strcmp(a, b) == 0);
	free(b);

	/* one register more: another fingerprint */
	r[1].regs = 97;
	b = sb_fingerprint_json(&in);
	{
		char ha[17], hb[17];

		sb_fingerprint_hex(a != NULL ? a : "", ha);
		sb_fingerprint_hex(b != NULL ? b : "", hb);
		CHECK("fp-2.3: a register changes the fingerprint",
		    strcmp(ha, hb) != 0);
	}
	free(b);

	/* nccl, the TF32 override, escaping */
	in = gpu_input(l, 1);
	in.nccl = 22703;
	in.tf32_override = "0";
	in.gpu = "GPU \"x\"\n";
	b = sb_fingerprint_json(&in);
	CHECK("fp-2.4: NCCL as x.y.z", b != NULL &&
	    strstr(b, "\"nccl\":\"2.27.3\"") != NULL);
	CHECK("fp-2.4: the TF32 override when set", b != NULL &&
	    strstr(b, "\"nvidia_tf32_override\":\"0\"") != NULL);
	CHECK("fp-2.5: quotes and control characters escaped", b != NULL &&
	    strstr(b, "\"gpu\":\"GPU \\\"x\\\"\\u000a\"") != NULL);
	free(b);
	in.nccl = 0;
	in.tf32_override = "";
	b = sb_fingerprint_json(&in);
	CHECK("fp-2.6: no nccl key for a single-GPU row", b != NULL &&
	    strstr(b, "nccl") == NULL && strstr(b, "tf32") == NULL);
	free(b);

	/* a CPU row */
	memset(&in, 0, sizeof(in));
	in.cpu = "Test CPU";
	in.c_compiler = "GNU 13.2.0";
	in.c_flags = " -O3 -DNDEBUG";
	in.build_type = "Release";
	in.options = "o";
	in.nvcc = "ignored";
	b = sb_fingerprint_json(&in);
	CHECK("fp-2.7: a CPU row's JSON, to the byte", b != NULL &&
	    strcmp(b, "{\"build_type\":\"Release\",\"c_compiler\":\"GNU "
	    "13.2.0\",\"c_flags\":\" -O3 -DNDEBUG\",\"cpu\":\"Test CPU\","
	    "\"options\":\"o\"}") == 0);
	free(b);
	free(a);
}

/* fp-3: the outcome hook */
static void
test_outcome(void)
{
	struct sb_device *dev = calloc(1, sizeof(*dev));
	struct sb_outcome o;
	struct db_launch l[2];
	char hex[17];

	if (dev == NULL)
		return;
	snprintf(dev->cpu_model, sizeof(dev->cpu_model), "Test CPU");
	sb_outcome_init(&o);
	CHECK("fp-3.1: a CPU row gets a fingerprint",
	    sb_fingerprint_outcome(&o, dev, 0, 0) == 0 &&
	    o.r.fingerprint != NULL && o.r.fingerprint_json != NULL);
	if (o.r.fingerprint_json != NULL) {
		sb_fingerprint_hex(o.r.fingerprint_json, hex);
		CHECK("fp-3.2: the hash is of the JSON",
		    strcmp(hex, o.r.fingerprint) == 0);
		CHECK("fp-3.3: a CPU row names the CPU, not a GPU",
		    strstr(o.r.fingerprint_json, "\"cpu\":\"Test CPU\"") !=
		    NULL && strstr(o.r.fingerprint_json, "\"gpu\"") == NULL);
	}
	CHECK("fp-3.4: 16 lower-case hex digits", o.r.fingerprint != NULL &&
	    strlen(o.r.fingerprint) == 16 &&
	    strspn(o.r.fingerprint, "0123456789abcdef") == 16);

	/* a GPU row, again on the same outcome: replaced, not leaked */
	dev->gpu_count = 1;
	snprintf(dev->gpu[0].name, sizeof(dev->gpu[0].name), "NVIDIA H200");
	snprintf(dev->gpu[0].uuid, sizeof(dev->gpu[0].uuid), "GPU-abc");
	dev->gpu[0].cc_major = 9;
	dev->driver_version = 13000;
	dev->cublas_version = 130100;
	dev->nccl_version = 22703;
	l[0] = launch("gemm_f32.warptile.nt", 128, 0, 0, 256, 90);
	l[1] = launch("sgd_f32", 16, 0, 0, 1024, 90);
	o.r.launch_info = l;
	o.r.nlaunch_info = 2;
	CHECK("fp-3.5: a GPU row gets a fingerprint",
	    sb_fingerprint_outcome(&o, dev, 1, 0) == 0 &&
	    o.r.fingerprint_json != NULL);
	if (o.r.fingerprint_json != NULL) {
		const char *j = o.r.fingerprint_json;

		CHECK("fp-3.6: GPU name, UUID and cc", strstr(j,
		    "\"gpu\":\"NVIDIA H200\",\"gpu_uuid\":\"GPU-abc\"") !=
		    NULL && strstr(j, "\"cc\":\"9.0\"") != NULL);
		CHECK("fp-3.7: the launch_info kernels", strstr(j,
		    "\"name\":\"sgd_f32\"") != NULL && strstr(j,
		    "\"regs\":128") != NULL);
		CHECK("fp-3.8: no NCCL outside data parallel",
		    strstr(j, "nccl") == NULL);
		CHECK("fp-3.9: the build's nvcc flags and archs", strstr(j,
		    "\"nvcc_flags\":") != NULL && strstr(j,
		    "\"cuda_archs\":") != NULL);
		sb_fingerprint_hex(j, hex);
		CHECK("fp-3.2: the hash is of the JSON (GPU)",
		    strcmp(hex, o.r.fingerprint) == 0);
	}
	CHECK("fp-3.10: a data-parallel row names NCCL",
	    sb_fingerprint_outcome(&o, dev, 1, 1) == 0 &&
	    strstr(o.r.fingerprint_json, "\"nccl\":\"2.27.3\"") != NULL);
	o.r.launch_info = NULL;	/* not the outcome's to free */
	sb_outcome_free(&o);
	free(dev);
}

/* fp-5: the NVIDIA driver's version, from /proc/driver/nvidia/version */
static void
test_driver(void)
{
	char v[32], tiny[6];

	CHECK("fp-5.1: the proprietary module's line", sb_nvidia_driver_version(
	    "NVRM version: NVIDIA UNIX x86_64 Kernel Module  580.159.04  "
	    "Thu Oct  9 18:19:06 UTC 2025\nGCC version:  gcc version 13.3.0",
	    v, sizeof(v)) == 0 && strcmp(v, "580.159.04") == 0);
	CHECK("fp-5.2: the open module's line", sb_nvidia_driver_version(
	    "NVRM version: NVIDIA UNIX Open Kernel Module for x86_64  "
	    "570.86.15  Release Build  (dvs-builder@U16-I3-B03-4-3)\n",
	    v, sizeof(v)) == 0 && strcmp(v, "570.86.15") == 0);
	CHECK("fp-5.3: no version: -1 and empty", sb_nvidia_driver_version(
	    "NVRM version: NVIDIA UNIX x86_64 Kernel Module\nGCC 13.3.0\n",
	    v, sizeof(v)) == -1 && v[0] == '\0');
	CHECK("fp-5.3: not the file: -1", sb_nvidia_driver_version(
	    "something else 1.2.3", v, sizeof(v)) == -1 &&
	    sb_nvidia_driver_version(NULL, v, sizeof(v)) == -1);
	CHECK("fp-5.4: too small a buffer: -1, not truncated",
	    sb_nvidia_driver_version("Kernel Module  580.159.04 x", tiny,
	    sizeof(tiny)) == -1 && tiny[0] == '\0');
}

int
main(void)
{
	test_fnv();
	test_driver();
	test_json();
	test_outcome();
	return check_summary("test_fingerprint");
}
