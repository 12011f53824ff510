/*
 * tests/test_cupti.c — the host half of CUPTI tracing (profiler/
 * cupti_agg.h, prof_cupti.h) on hand-made records; no GPU needed.
 *
 *   cupti-1  three traced steps, records given out of order, each step
 *            led by the L2 flush's memset: the flush is dropped, a record
 *            between the windows is stray, each step is ordered by start,
 *            a row's duration is the median over the steps, start_us is
 *            from the step's first record, the phase comes from the
 *            CUSTOM0 correlation (other kinds ignored), kernel_us is the
 *            median of the per-step sums.
 *   cupti-2  without the flush, the first memset is the step's.
 *   cupti-3  a step whose first-enqueued record is a kernel keeps it.
 *   cupti-4  steps with different counts: launches is the largest; rows
 *            come from the last step; a row's median uses only the steps
 *            that have that index.
 *   cupti-5  no records, no steps.
 *   cupti-6  the median.
 *   cupti-7  the tool-attached test on fake environments.
 *   cupti-8  kernel names demangled (plain C names kept).
 *   cupti-9  prof_cupti_init without a driver fails with a reason and
 *            begin/end then fail cleanly; with one, an empty session works.
 */
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "testkit.h"
#include "cupti_agg.h"
#include "prof_cupti.h"

static void
add(struct prof_cupti_trace *t, enum prof_rec_kind kind, const char *name,
    uint32_t corr, uint64_t start, uint64_t end)
{
	struct prof_cupti_rec r;

	memset(&r, 0, sizeof(r));
	r.kind = kind;
	r.name = (char *)name;
	r.correlation = corr;
	r.start_ns = start;
	r.end_ns = end;
	r.stream = 7;
	for (int i = 0; i < 3; i++) {
		r.grid[i] = kind == PROF_REC_KERNEL ? 2 : -1;
		r.block[i] = kind == PROF_REC_KERNEL ? 32 : -1;
	}
	r.bytes = kind == PROF_REC_KERNEL ? -1 : 4096;
	if (prof_trace_add_rec(t, &r) != 0)
		abort();
}

/* Step s of the cupti-1 trace: window [1000 + 2000 s, 2000 + 2000 s]. */
static void
step_records(struct prof_cupti_trace *t, int s, int flush)
{
	uint64_t b = 1000 + 2000 * (uint64_t)s;
	uint32_t c = 10 + 100 * (uint32_t)s;

	/* given in reverse start order, as buffers may mix them */
	add(t, PROF_REC_KERNEL, "B", c + 2, b + 400, b + 900);	/* 0.5 us */
	add(t, PROF_REC_MEMSET, "memset", c + 3, b + 350, b + 360);
	add(t, PROF_REC_KERNEL, "A", c + 1, b + 100, b + 300 + 10 * s);
	if (flush)
		add(t, PROF_REC_MEMSET, "memset", c, b + 10, b + 20);
	prof_trace_add_ext(t, c + 1, PROF_EXT_PHASE, 1);	/* phase 0 */
	prof_trace_add_ext(t, c + 2, PROF_EXT_PHASE, 3);	/* phase 2 */
	prof_trace_add_ext(t, c + 3, 7, 5);	/* another kind: no phase */
}

static const uint64_t win3[6] = { 1000, 2000, 3000, 4000, 5000, 6000 };

static void
test_steps(void)
{
	struct prof_cupti_trace t;
	struct prof_cupti_agg a;

	memset(&t, 0, sizeof(t));
	for (int s = 2; s >= 0; s--)
		step_records(&t, s, 1);
	add(&t, PROF_REC_KERNEL, "stray", 999, 2500, 2600);
	prof_trace_correlate(&t);
	CHECK("cupti-1.0: aggregates", prof_cupti_aggregate(&t, win3, 3, 1,
	    &a) == 0);
	CHECK("cupti-1.1: 3 records per step", a.per_step[0] == 3 &&
	    a.per_step[1] == 3 && a.per_step[2] == 3 && a.launches == 3);
	CHECK("cupti-1.2: three flushes dropped", a.flush_dropped == 3);
	CHECK("cupti-1.3: one stray", a.stray == 1);
	CHECK("cupti-1.4: rows in start order", a.nrows == 3 &&
	    strcmp(a.rows[0].rec->name, "A") == 0 &&
	    strcmp(a.rows[1].rec->name, "memset") == 0 &&
	    strcmp(a.rows[2].rec->name, "B") == 0);
	CHECK_NEAR("cupti-1.5: median duration", a.rows[0].duration_us,
	    0.21, 1e-12);
	CHECK_NEAR("cupti-1.5: B", a.rows[2].duration_us, 0.5, 1e-12);
	CHECK_NEAR("cupti-1.6: start from the step's first", a.rows[1].start_us,
	    0.25, 1e-12);
	CHECK_NEAR("cupti-1.6: first at 0", a.rows[0].start_us, 0, 0);
	CHECK("cupti-1.7: phases", a.rows[0].rec->phase == 0 &&
	    a.rows[1].rec->phase == -1 && a.rows[2].rec->phase == 2);
	CHECK("cupti-1.7: stray has no phase", t.rec[t.nrec - 1].phase == -1);
	/* sums 0.71, 0.72, 0.73 */
	CHECK_NEAR("cupti-1.8: kernel_us", a.kernel_us, 0.72, 1e-12);
	CHECK("cupti-1.9: rows are the last step's", a.rows[0].rec->start_ns ==
	    5100);
	prof_cupti_agg_free(&a);

	CHECK("cupti-2.0: aggregates", prof_cupti_aggregate(&t, win3, 3, 0,
	    &a) == 0);
	CHECK("cupti-2.1: the flush counts without drop_flush",
	    a.launches == 4 && a.flush_dropped == 0 && a.nrows == 4 &&
	    a.rows[0].rec->kind == PROF_REC_MEMSET);
	prof_cupti_agg_free(&a);
	prof_trace_free(&t);

	/* cupti-3: no flush: the first-enqueued record is a kernel */
	memset(&t, 0, sizeof(t));
	for (int s = 0; s < 3; s++)
		step_records(&t, s, 0);
	prof_trace_correlate(&t);
	CHECK("cupti-3.0: aggregates", prof_cupti_aggregate(&t, win3, 3, 1,
	    &a) == 0);
	CHECK("cupti-3.1: a leading kernel is never dropped",
	    a.launches == 3 && a.flush_dropped == 0 && a.stray == 0);
	prof_cupti_agg_free(&a);
	prof_trace_free(&t);
}

static void
test_uneven(void)
{
	struct prof_cupti_trace t;
	struct prof_cupti_agg a;
	static const uint64_t win[4] = { 0, 100, 200, 300 };

	memset(&t, 0, sizeof(t));
	/* step 0: two kernels of 10 and 40 ns; step 1: one of 20 ns */
	add(&t, PROF_REC_KERNEL, "k0", 1, 10, 20);
	add(&t, PROF_REC_KERNEL, "k1", 2, 30, 70);
	add(&t, PROF_REC_KERNEL, "k0", 3, 210, 230);
	prof_trace_correlate(&t);
	CHECK("cupti-4.0: aggregates", prof_cupti_aggregate(&t, win, 2, 0,
	    &a) == 0);
	CHECK("cupti-4.1: launches is the largest count", a.launches == 2 &&
	    a.per_step[0] == 2 && a.per_step[1] == 1);
	CHECK("cupti-4.2: rows of the last step", a.nrows == 1);
	CHECK_NEAR("cupti-4.3: median of index 0 over both", a.rows[0].
	    duration_us, 0.015, 1e-12);
	CHECK_NEAR("cupti-4.4: kernel_us median of 0.05 and 0.02",
	    a.kernel_us, 0.035, 1e-12);
	prof_cupti_agg_free(&a);
	prof_trace_free(&t);

	memset(&t, 0, sizeof(t));
	CHECK("cupti-5.0: empty", prof_cupti_aggregate(&t, win, 2, 1,
	    &a) == 0 && a.launches == 0 && a.nrows == 0 && a.kernel_us == 0);
	prof_cupti_agg_free(&a);
	CHECK("cupti-5.1: no steps", prof_cupti_aggregate(&t, win, 0, 1,
	    &a) == 0 && a.launches == 0 && isnan(a.kernel_us));
	prof_cupti_agg_free(&a);
}

static void
test_median(void)
{
	double odd[] = { 3, 1, 2 }, even[] = { 4, 1, 3, 2 };

	CHECK("cupti-6.1: odd", prof_median(odd, 3) == 2);
	CHECK("cupti-6.2: even", prof_median(even, 4) == 2.5);
	CHECK("cupti-6.3: empty", isnan(prof_median(NULL, 0)));
}

/* A fake environment: NULL-terminated name, value pairs. */
static const char *const *fake_env;

static char *
fake_getenv(const char *name)
{
	for (int i = 0; fake_env[i] != NULL; i += 2)
		if (strcmp(fake_env[i], name) == 0)
			return (char *)fake_env[i + 1];
	return NULL;
}

static const char *
attached(const char *const *env, char *buf, size_t len)
{
	fake_env = env;
	return prof_tool_attached(fake_getenv, buf, len);
}

static void
test_attached(void)
{
	static const char *const none[] = { "PATH", "/usr/bin",
	    "CUDA_INJECTION64_PATH", "", NULL };
	static const char *const ours[] = { "STEPBENCH_PROFILE", "ncu",
	    "CUDA_INJECTION64_PATH", "/x/nsight-systems/libToolsInjection64.so",
	    NULL };
	static const char *const ncu[] = { "CUDA_INJECTION64_PATH",
	    "/opt/nvidia/nsight-compute/2025.3.1/target/linux-desktop-glibc_"
	    "2_11_3-x64/libTreeLauncherTargetInjection.so", NULL };
	static const char *const nsys[] = { "CUDA_INJECTION64_PATH",
	    "/opt/nvidia/nsight-systems/2025.1/target-linux-x64/"
	    "libToolsInjection64.so", NULL };
	static const char *const other[] = { "CUDA_INJECTION64_PATH",
	    "/home/me/libmytool.so", NULL };
	static const char *const session[] = { "NSYS_PROFILING_SESSION_ID",
	    "3", NULL };
	static const char *const odd[] = { "STEPBENCH_PROFILE", "yes", NULL };
	/* what the tools really set, seen on the H200 test machine (CUDA 13):
	 * ncu 2025.3.1 sets no CUDA_INJECTION64_PATH; the nsys shipped in
	 * nsight-compute's host directory injects from there */
	static const char *const ncu_seen[] = {
	    "NV_COMPUTE_PROFILER_PERFWORKS_DIR", "/opt/nvidia/nsight-compute/"
	    "2025.3.1/target/linux-desktop-glibc_2_11_3-x64/.",
	    "NV_TPS_LAUNCH_TOKEN", "Interactive Profile",
	    "NV_NSIGHT_INJECTION_TRANSPORT_TYPE", "uds", NULL };
	static const char *const nsys_seen[] = {
	    "CUDA_INJECTION64_PATH", "/opt/nvidia/nsight-compute/2025.3.1/"
	    "host/target-linux-x64/libToolsInjection64.so", NULL };
	static const char *const nsight[] = {
	    "NV_NSIGHT_INJECTION_TRANSPORT_TYPE", "uds", NULL };
	char buf[160];
	const char *t;

	CHECK("cupti-7.1: no tool (an empty variable is none)",
	    attached(none, buf, sizeof(buf)) == NULL);
	t = attached(ours, buf, sizeof(buf));
	CHECK("cupti-7.2: STEPBENCH_PROFILE first", t != NULL &&
	    strcmp(t, "ncu") == 0);
	t = attached(ncu, buf, sizeof(buf));
	CHECK("cupti-7.3: ncu's injection", t != NULL && strcmp(t, "ncu") == 0);
	t = attached(nsys, buf, sizeof(buf));
	CHECK("cupti-7.4: nsys's injection", t != NULL &&
	    strcmp(t, "nsys") == 0);
	t = attached(other, buf, sizeof(buf));
	CHECK("cupti-7.5: another injection names its library", t != NULL &&
	    strstr(t, "libmytool.so") != NULL && strstr(t, "/home") == NULL);
	t = attached(session, buf, sizeof(buf));
	CHECK("cupti-7.6: nsys session", t != NULL && strcmp(t, "nsys") == 0);
	t = attached(odd, buf, sizeof(buf));
	CHECK("cupti-7.7: another STEPBENCH_PROFILE value", t != NULL &&
	    strstr(t, "STEPBENCH_PROFILE=yes") != NULL);
	t = attached(ncu_seen, buf, sizeof(buf));
	CHECK("cupti-7.8: ncu 2025.3.1 as seen", t != NULL &&
	    strcmp(t, "ncu") == 0);
	t = attached(nsys_seen, buf, sizeof(buf));
	CHECK("cupti-7.9: nsys inside nsight-compute's tree is nsys",
	    t != NULL && strcmp(t, "nsys") == 0);
	t = attached(nsight, buf, sizeof(buf));
	CHECK("cupti-7.10: an unnamed Nsight tool", t != NULL &&
	    strstr(t, "Nsight") != NULL);
}

static void
test_demangle(void)
{
	char *a = prof_demangle("_Z3fooi");
	char *b = prof_demangle("sb_sgd_kernel");
	char *c = prof_demangle("_Zbroken");

	CHECK("cupti-8.1: C++ name demangled", a != NULL &&
	    strcmp(a, "foo(int)") == 0);
	CHECK("cupti-8.2: C name kept", b != NULL &&
	    strcmp(b, "sb_sgd_kernel") == 0);
	CHECK("cupti-8.3: bad mangling kept", c != NULL &&
	    strcmp(c, "_Zbroken") == 0);
	free(a);
	free(b);
	free(c);
}

static void
test_init(void)
{
	char why[512] = "", why2[512] = "";
	struct prof_cupti_trace t;
	int driver = access("/dev/nvidiactl", F_OK) == 0;
	int rc = prof_cupti_init(why, sizeof(why));

	printf("test_cupti: prof_cupti_init: %d%s%s\n", rc, rc ? ": " : "",
	    rc ? why : "");
	if (!driver)
		CHECK("cupti-9.1: no driver: init fails", rc == -1);
	if (rc != 0) {
		CHECK("cupti-9.2: with a reason", why[0] != '\0');
		CHECK("cupti-9.3: the same answer again", prof_cupti_init(why2,
		    sizeof(why2)) == -1 && strcmp(why, why2) == 0);
		CHECK("cupti-9.4: begin fails", prof_cupti_begin(why2,
		    sizeof(why2)) == -1 && why2[0] != '\0');
		prof_cupti_phase(3);	/* must be harmless */
		CHECK("cupti-9.5: end fails, empty", prof_cupti_end(&t, why2,
		    sizeof(why2)) == -1 && t.nrec == 0 && t.rec == NULL);
	} else {
		CHECK("cupti-9.6: begin", prof_cupti_begin(why, sizeof(why)) ==
		    0);
		prof_cupti_phase(0);
		prof_cupti_phase(-1);
		CHECK("cupti-9.7: end", prof_cupti_end(&t, why, sizeof(why)) ==
		    0);
		prof_trace_free(&t);
	}
}

int
main(void)
{
	test_steps();
	test_uneven();
	test_median();
	test_attached();
	test_demangle();
	test_init();
	return check_summary("test_cupti");
}
