/*
 * tests/test_comm_mpi.c — harness/comm.c's MPI backend across processes.
 * Label mpi: run as `mpirun -n 2 test_comm_mpi` (and -n 3); any size works,
 * every expectation is written in terms of the job's size n.  Inputs are
 * small integers per rank, (rank+1)·(i%7), so every sum is exact in f32,
 * f16 and bf16 and the results are compared bit for bit.
 *
 *   comm-1  the process: launched, built with MPI, rank/size agree with
 *           the launcher's environment, the local rank is in range.
 *   comm-2  all-reduce on the whole job, f32/f64/i32/f16/bf16: sum (in
 *           and out of place), avg (= sum · 1/n, i32: sum / n), max, min.
 *   comm-3  allgather in rank order; bcast from the last rank; barriers.
 *   comm-4  non-blocking: two all-reduces in flight on two slots, waited
 *           in reverse order (avg applied at the wait); a busy slot, an
 *           idle slot and a slot out of range are refused.
 *   comm-5  sub-communicators: world 1 of the job gives rank 0 a
 *           communicator of one (an all-reduce, blocking or not, is a
 *           copy) and every other rank NULL; world n-1 sums over ranks
 *           0..n-2; a second get returns the cached communicator.
 *   comm-6  refusals: world n+1 names the processes it needs and the
 *           job's size; world 0; an NCCL communicator without a GPU is
 *           refused on every rank with a reason (nobody hangs).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cuda_runtime.h>

#include "testkit.h"
#include "comm.h"
#include "half.h"

#define COUNT	1003	/* odd, not a multiple of anything */

static int rank, size;

static float
val(int r, int i)
{
	return (float)((r + 1) * (i % 7));
}

/* sum over ranks [0, n) of val(r, i) */
static float
sumval(int n, int i)
{
	return (float)(n * (n + 1) / 2 * (i % 7));
}

static void
test_process(void)
{
	const char *env = getenv("OMPI_COMM_WORLD_SIZE");

	CHECK("comm-1.1: launched", sb_comm_launched());
	CHECK("comm-1.2: built with MPI", sb_comm_built_with_mpi());
	CHECK("comm-1.3: size is the launcher's",
	    env == NULL || atoi(env) == size);
	CHECK("comm-1.4: rank in range", rank >= 0 && rank < size);
	CHECK("comm-1.5: local rank in range", sb_comm_local_rank() >= 0 &&
	    sb_comm_local_rank() <= rank);
	CHECK("comm-1.6: MPI version named",
	    strcmp(sb_comm_mpi_version(), "not built in") != 0 &&
	    sb_comm_mpi_version()[0] != '\0');
}

static void
test_f32(struct sb_comm *c)
{
	static float send[COUNT], recv[COUNT], inpl[COUNT];
	char err[256];
	int bad_sum = 0, bad_inpl = 0, bad_avg = 0, bad_max = 0, bad_min = 0;
	int rc;

	for (int i = 0; i < COUNT; i++) {
		send[i] = val(rank, i);
		inpl[i] = send[i];
		recv[i] = -1;
	}
	rc = sb_comm_allreduce_host(c, send, recv, COUNT, SB_CD_F32,
	    SB_RED_SUM, err, sizeof(err));
	CHECK("comm-2.1: f32 sum returns 0", rc == 0);
	rc = sb_comm_allreduce_host(c, NULL, inpl, COUNT, SB_CD_F32,
	    SB_RED_SUM, err, sizeof(err));
	CHECK("comm-2.2: f32 sum in place returns 0", rc == 0);
	for (int i = 0; i < COUNT; i++) {
		bad_sum += recv[i] != sumval(size, i);
		bad_inpl += inpl[i] != sumval(size, i);
		bad_sum += send[i] != val(rank, i);	/* send untouched */
	}
	CHECK("comm-2.1: f32 sum exact", bad_sum == 0);
	CHECK("comm-2.2: f32 sum in place exact", bad_inpl == 0);

	rc = sb_comm_allreduce_host(c, send, recv, COUNT, SB_CD_F32,
	    SB_RED_AVG, err, sizeof(err));
	CHECK("comm-2.3: f32 avg returns 0", rc == 0);
	for (int i = 0; i < COUNT; i++)
		bad_avg += recv[i] != sumval(size, i) * (1.0f / (float)size);
	CHECK("comm-2.3: f32 avg = sum * (1/n)", bad_avg == 0);
	CHECK_NEAR("comm-2.3: f32 avg of element 6", recv[6],
	    (size + 1) / 2.0 * 6, 1e-6);

	for (int i = 0; i < COUNT; i++)
		send[i] = (float)(rank * 10 + i % 5) * (i % 2 ? -1.0f : 1.0f);
	rc = sb_comm_allreduce_host(c, send, recv, COUNT, SB_CD_F32,
	    SB_RED_MAX, err, sizeof(err));
	CHECK("comm-2.4: f32 max returns 0", rc == 0);
	for (int i = 0; i < COUNT; i++)
		bad_max += recv[i] != (i % 2 ? -(float)(i % 5) :
		    (float)((size - 1) * 10 + i % 5));
	CHECK("comm-2.4: f32 max", bad_max == 0);
	rc = sb_comm_allreduce_host(c, send, recv, COUNT, SB_CD_F32,
	    SB_RED_MIN, err, sizeof(err));
	CHECK("comm-2.5: f32 min returns 0", rc == 0);
	for (int i = 0; i < COUNT; i++)
		bad_min += recv[i] != (i % 2 ?
		    -(float)((size - 1) * 10 + i % 5) : (float)(i % 5));
	CHECK("comm-2.5: f32 min", bad_min == 0);
}

static void
test_f64_i32(struct sb_comm *c)
{
	static double d[COUNT];
	static int32_t n32[COUNT], a32[COUNT];
	char err[256];
	int bad_d = 0, bad_i = 0, bad_a = 0;

	for (int i = 0; i < COUNT; i++) {
		d[i] = val(rank, i) + 0.25;
		n32[i] = (int32_t)val(rank, i);
		a32[i] = (int32_t)val(rank, i);
	}
	CHECK("comm-2.6: f64 sum returns 0", sb_comm_allreduce_host(c, NULL,
	    d, COUNT, SB_CD_F64, SB_RED_SUM, err, sizeof(err)) == 0);
	CHECK("comm-2.7: i32 sum returns 0", sb_comm_allreduce_host(c, NULL,
	    n32, COUNT, SB_CD_I32, SB_RED_SUM, err, sizeof(err)) == 0);
	CHECK("comm-2.8: i32 avg returns 0", sb_comm_allreduce_host(c, NULL,
	    a32, COUNT, SB_CD_I32, SB_RED_AVG, err, sizeof(err)) == 0);
	for (int i = 0; i < COUNT; i++) {
		bad_d += d[i] != sumval(size, i) + 0.25 * size;
		bad_i += n32[i] != (int32_t)sumval(size, i);
		bad_a += a32[i] != (int32_t)sumval(size, i) / size;
	}
	CHECK("comm-2.6: f64 sum exact", bad_d == 0);
	CHECK("comm-2.7: i32 sum exact", bad_i == 0);
	CHECK("comm-2.8: i32 avg = sum / n", bad_a == 0);
}

static void
test_half(struct sb_comm *c, enum sb_comm_dtype t)
{
	static uint16_t h[COUNT], a[COUNT], mx[COUNT];
	enum sb_dtype dt = t == SB_CD_F16 ? SB_DT_F16 : SB_DT_BF16;
	uint16_t (*from)(float) = t == SB_CD_F16 ? sb_f32_to_f16 :
	    sb_f32_to_bf16;
	float (*to)(uint16_t) = t == SB_CD_F16 ? sb_f16_to_f32 :
	    sb_bf16_to_f32;
	char err[256], name[64];
	int bad = 0, bad_a = 0, bad_m = 0;

	for (int i = 0; i < COUNT; i++) {
		h[i] = a[i] = from(val(rank, i));
		mx[i] = from(-val(rank, i));
	}
	snprintf(name, sizeof(name), "comm-2.9: %s sum", sb_dtype_name(dt));
	CHECK(name, sb_comm_allreduce_host(c, NULL, h, COUNT, t, SB_RED_SUM,
	    err, sizeof(err)) == 0);
	snprintf(name, sizeof(name), "comm-2.10: %s avg", sb_dtype_name(dt));
	CHECK(name, sb_comm_allreduce_host(c, NULL, a, COUNT, t, SB_RED_AVG,
	    err, sizeof(err)) == 0);
	snprintf(name, sizeof(name), "comm-2.11: %s min", sb_dtype_name(dt));
	CHECK(name, sb_comm_allreduce_host(c, NULL, mx, COUNT, t, SB_RED_MIN,
	    err, sizeof(err)) == 0);
	for (int i = 0; i < COUNT; i++) {
		bad += to(h[i]) != sumval(size, i);
		bad_a += a[i] != from(sumval(size, i) * (1.0f / (float)size));
		bad_m += to(mx[i]) != -(float)(size * (i % 7));
	}
	snprintf(name, sizeof(name), "comm-2.9: %s sum exact",
	    sb_dtype_name(dt));
	CHECK(name, bad == 0);
	snprintf(name, sizeof(name), "comm-2.10: %s avg = round(sum * 1/n)",
	    sb_dtype_name(dt));
	CHECK(name, bad_a == 0);
	snprintf(name, sizeof(name), "comm-2.11: %s min exact",
	    sb_dtype_name(dt));
	CHECK(name, bad_m == 0);
}

static void
test_gather_bcast(struct sb_comm *c)
{
	int32_t mine[3] = { rank, rank * 2, 42 }, *all;
	char buf[100], err[256];
	int bad = 0;

	all = calloc((size_t)size * 3, sizeof(*all));
	CHECK("comm-3.1: allgather returns 0", sb_comm_allgather_host(c, mine,
	    all, sizeof(mine), err, sizeof(err)) == 0);
	for (int r = 0; r < size; r++)
		bad += all[3 * r] != r || all[3 * r + 1] != 2 * r ||
		    all[3 * r + 2] != 42;
	CHECK("comm-3.1: allgather in rank order", bad == 0);
	free(all);

	memset(buf, rank == size - 1 ? 'x' : 'o', sizeof(buf));
	CHECK("comm-3.2: bcast returns 0", sb_comm_bcast_host(c, buf,
	    sizeof(buf), size - 1, err, sizeof(err)) == 0);
	bad = 0;
	for (size_t i = 0; i < sizeof(buf); i++)
		bad += buf[i] != 'x';
	CHECK("comm-3.2: bcast from the last rank", bad == 0);
	CHECK("comm-3.3: bcast root n refused", sb_comm_bcast_host(c, buf,
	    sizeof(buf), size, err, sizeof(err)) == -1 &&
	    strstr(err, "root") != NULL);
	CHECK("comm-3.4: barrier", sb_comm_barrier(c, err, sizeof(err)) == 0);
	CHECK("comm-3.5: job barrier", sb_comm_job_barrier() == 0);
}

static void
test_nonblocking(struct sb_comm *c)
{
	static float f[COUNT];
	static uint16_t b[COUNT];
	char err[256];
	int bad = 0, bad_b = 0;

	for (int i = 0; i < COUNT; i++) {
		f[i] = val(rank, i);
		b[i] = sb_f32_to_bf16(val(rank, i));
	}
	CHECK("comm-4.1: iallreduce slot 0", sb_comm_iallreduce_host(c, 0, f,
	    COUNT, SB_CD_F32, SB_RED_SUM, err, sizeof(err)) == 0);
	CHECK("comm-4.1: iallreduce slot 63 (avg)", sb_comm_iallreduce_host(c,
	    SB_COMM_SLOTS - 1, b, COUNT, SB_CD_BF16, SB_RED_AVG, err,
	    sizeof(err)) == 0);
	CHECK("comm-4.2: a busy slot is refused", sb_comm_iallreduce_host(c, 0,
	    f, COUNT, SB_CD_F32, SB_RED_SUM, err, sizeof(err)) == -1 &&
	    strstr(err, "slot 0") != NULL);
	CHECK("comm-4.1: wait slot 63", sb_comm_wait_host(c, SB_COMM_SLOTS - 1,
	    err, sizeof(err)) == 0);
	CHECK("comm-4.1: wait slot 0", sb_comm_wait_host(c, 0, err,
	    sizeof(err)) == 0);
	for (int i = 0; i < COUNT; i++) {
		bad += f[i] != sumval(size, i);
		bad_b += b[i] != sb_f32_to_bf16(sumval(size, i) *
		    (1.0f / (float)size));
	}
	CHECK("comm-4.1: f32 sum exact after the wait", bad == 0);
	CHECK("comm-4.1: bf16 avg applied at the wait", bad_b == 0);
	CHECK("comm-4.3: waiting on an idle slot is refused",
	    sb_comm_wait_host(c, 0, err, sizeof(err)) == -1);
	CHECK("comm-4.4: slot 64 is refused", sb_comm_iallreduce_host(c,
	    SB_COMM_SLOTS, f, 1, SB_CD_F32, SB_RED_SUM, err,
	    sizeof(err)) == -1 && strstr(err, "0 to 63") != NULL);
}

static void
test_sub(struct sb_comm *whole)
{
	struct sb_comm *one = NULL, *again = NULL, *most = NULL;
	float x[4] = { 1, 2, 3, 4 }, y[4] = { 0 };
	char err[256];
	int rc;

	rc = sb_comm_get(SB_COMM_MPI, 1, &one, err, sizeof(err));
	CHECK("comm-5.1: world 1 returns 0", rc == 0);
	if (rank == 0) {
		CHECK("comm-5.1: rank 0 gets a communicator of one",
		    one != NULL && sb_comm_world(one) == 1 &&
		    sb_comm_grank(one) == 0 &&
		    sb_comm_backend(one) == SB_COMM_MPI);
		if (one != NULL) {
			CHECK("comm-5.2: world 1 sum returns 0",
			    sb_comm_allreduce_host(one, x, y, 4, SB_CD_F32,
			    SB_RED_AVG, err, sizeof(err)) == 0);
			CHECK("comm-5.2: world 1 all-reduce is a copy",
			    memcmp(x, y, sizeof(x)) == 0);
			CHECK("comm-5.2: world 1 iallreduce + wait",
			    sb_comm_iallreduce_host(one, 3, y, 4, SB_CD_F32,
			    SB_RED_AVG, err, sizeof(err)) == 0 &&
			    sb_comm_wait_host(one, 3, err, sizeof(err)) == 0 &&
			    memcmp(x, y, sizeof(x)) == 0);
		}
	} else
		CHECK("comm-5.1: ranks > 0 get NULL", one == NULL);
	rc = sb_comm_get(SB_COMM_MPI, 1, &again, err, sizeof(err));
	CHECK("comm-5.3: cached", rc == 0 && again == one);
	rc = sb_comm_get(SB_COMM_MPI, size, &again, err, sizeof(err));
	CHECK("comm-5.3: whole job cached", rc == 0 && again == whole);

	if (size > 2) {
		float v = (float)(rank + 1);

		rc = sb_comm_get(SB_COMM_MPI, size - 1, &most, err,
		    sizeof(err));
		CHECK("comm-5.4: world n-1 returns 0", rc == 0);
		if (rank < size - 1) {
			CHECK("comm-5.4: member", most != NULL &&
			    sb_comm_world(most) == size - 1 &&
			    sb_comm_grank(most) == rank);
			if (most != NULL) {
				sb_comm_allreduce_host(most, NULL, &v, 1,
				    SB_CD_F32, SB_RED_SUM, err, sizeof(err));
				CHECK("comm-5.4: sum over ranks 0..n-2",
				    v == (float)((size - 1) * size / 2));
			}
		} else
			CHECK("comm-5.4: the last rank sits out",
			    most == NULL);
	}
}

static void
test_refusals(void)
{
	struct sb_comm *c = (struct sb_comm *)&c;
	char err[256], want[128];
	int ngpu = 0, rc;

	snprintf(want, sizeof(want), "world %d needs %d processes: run under "
	    "mpirun -n %d (this job has %d)", size + 1, size + 1, size + 1,
	    size);
	CHECK("comm-6.1: world n+1 refused", sb_comm_get(SB_COMM_MPI,
	    size + 1, &c, err, sizeof(err)) == -1 && c == NULL);
	CHECK("comm-6.1: and says why", strstr(err, want) != NULL);
	if (strstr(err, want) == NULL)
		fprintf(stderr, "got '%s'\nwant '%s'\n", err, want);
	CHECK("comm-6.2: world 0 refused", sb_comm_get(SB_COMM_MPI, 0, &c, err,
	    sizeof(err)) == -1 && strstr(err, "world 0") != NULL);

	if (sb_comm_nccl_version() == 0)
		return;
	if (cudaGetDeviceCount(&ngpu) != cudaSuccess) {
		(void)cudaGetLastError();
		ngpu = 0;
	}
	if (ngpu > 0)
		return;		/* test_allreduce_gpu covers NCCL */
	err[0] = '\0';
	CHECK("comm-6.3: nccl without a GPU refused", sb_comm_get(
	    SB_COMM_NCCL, size, &c, err, sizeof(err)) == -1 && c == NULL);
	CHECK("comm-6.3: with a reason", strlen(err) > 10);
	if (rank == 0)
		printf("comm-6.3: nccl without a GPU: %s\n", err);
	rc = sb_comm_get(SB_COMM_NCCL, 1, &c, err, sizeof(err));
	if (rank == 0) {
		CHECK("comm-6.4: nccl world 1 without a GPU refused",
		    rc == -1 && c == NULL && strstr(err, "ncclCommInitRank"));
		printf("comm-6.4: nccl world 1 without a GPU: %s\n", err);
	} else
		CHECK("comm-6.4: ranks > 0 sit nccl world 1 out",
		    rc == 0 && c == NULL);
	/* Asked again: rank 0 answers from its cache (no second split
	 * that the other ranks would not join). */
	rc = sb_comm_get(SB_COMM_NCCL, 1, &c, err, sizeof(err));
	CHECK("comm-6.4: asked again, the same answer", c == NULL &&
	    rc == (rank == 0 ? -1 : 0));
	CHECK("comm-6.5: still in step afterwards", sb_comm_job_barrier() == 0);
}

int
main(int argc, char **argv)
{
	struct sb_comm *c = NULL;
	char err[512];
	int rc;

	if (sb_comm_init(&argc, &argv, err, sizeof(err)) != 0) {
		fprintf(stderr, "test_comm_mpi: %s\n", err);
		return 1;
	}
	rank = sb_comm_rank();
	size = sb_comm_size();
	test_process();
	rc = sb_comm_get(SB_COMM_MPI, size, &c, err, sizeof(err));
	CHECK("comm-2.0: whole-job communicator", rc == 0 && c != NULL &&
	    sb_comm_world(c) == size && sb_comm_grank(c) == rank);
	if (c == NULL) {
		fprintf(stderr, "test_comm_mpi: %s\n", err);
		sb_comm_fini();
		return check_summary("test_comm_mpi");
	}
	test_f32(c);
	test_f64_i32(c);
	test_half(c, SB_CD_F16);
	test_half(c, SB_CD_BF16);
	test_gather_bcast(c);
	test_nonblocking(c);
	test_sub(c);
	test_refusals();
	sb_comm_fini();
	snprintf(err, sizeof(err), "test_comm_mpi (rank %d of %d)", rank,
	    size);
	return check_summary(err);
}
