/*
 * harness/comm.h — the communication backends: MPI between processes (CPU
 * ranks, and the host-side agreement of GPU ranks), NCCL between GPUs.
 * This module is the only code that includes nccl.h or mpi.h (DESIGN §9).
 *
 * Processes.  Under mpirun/srun (the launcher's environment says so) and in
 * a build with MPI, sb_comm_init calls MPI_Init; otherwise the process is
 * rank 0 of 1.  A build without MPI says so when started under a launcher
 * with more than one task, and refuses to run rather than have every task
 * think it is rank 0 (sb_comm_init returns -1 with the message).
 *
 * Communicators.  sb_comm_get(backend, world) is collective over every
 * process of the job: ranks [0, world) receive the communicator of those
 * ranks, the others NULL (they sit the point out).  Communicators are
 * cached per (backend, world) and released by sb_comm_fini.  NCCL ones are
 * made as NCCL's examples do: rank 0 calls ncclGetUniqueId, MPI_Bcast
 * spreads the id, each rank ncclCommInitRank on its own GPU (the local
 * rank's device, set by sb_comm_init).  World 1 needs no MPI.
 *
 * Every collective is "all ranks of the communicator call it with the same
 * arguments".  Functions return 0, or -1 with the library's words in err.
 */
#ifndef SB_HARNESS_COMM_H
#define SB_HARNESS_COMM_H

#include <stddef.h>
#include <stdint.h>

#include "dtype.h"

enum sb_comm_backend { SB_COMM_MPI, SB_COMM_NCCL };

/* SB_RED_AVG divides the sum by the world size (ncclAvg on NCCL; on MPI a
 * sum, then a multiplication by 1/world on the host). */
enum sb_red_op { SB_RED_SUM, SB_RED_AVG, SB_RED_MAX, SB_RED_MIN };

/* Element types of a collective: the step's dtypes (f32, f16, bf16) and
 * double for host-side agreement (loss, timings).  f16/bf16 host sums
 * are computed in float and rounded to the type per element. */
enum sb_comm_dtype {
	SB_CD_F32 = SB_DT_F32,
	SB_CD_F16 = SB_DT_F16,
	SB_CD_BF16 = SB_DT_BF16,
	SB_CD_F64 = SB_DT_COUNT + 1,
	SB_CD_I32
};
size_t		 sb_comm_dtype_size(enum sb_comm_dtype);
const char	*sb_comm_backend_name(enum sb_comm_backend);	/* "mpi" | "nccl" */
const char	*sb_red_op_name(enum sb_red_op);		/* "sum" | "avg" | ... */

/* --- the process ----------------------------------------------------------- */

int	sb_comm_init(int *argc, char ***argv, char *err, size_t errlen);
void	sb_comm_fini(void);
int	sb_comm_rank(void);		/* in the job; 0 without MPI */
int	sb_comm_size(void);		/* processes in the job; 1 without MPI */
int	sb_comm_local_rank(void);	/* among the processes of this node */
int	sb_comm_built_with_mpi(void);
/* MPI's library version ("Open MPI v4.1.4, ...") or "not built in". */
const char *sb_comm_mpi_version(void);
/* NCCL_VERSION_CODE of the linked library (e.g. 22809), 0 if not built in. */
int	sb_comm_nccl_version(void);
/* 1 when a launcher started this process (mpirun, srun), whatever the build. */
int	sb_comm_launched(void);
/* Every process of the job waits for the others (no-op without MPI). */
int	sb_comm_job_barrier(void);
/* Aborts every process of the job (MPI_Abort) or exits. */
void	sb_comm_abort(int code) __attribute__((noreturn));

/* --- communicators ------------------------------------------------------- */

struct sb_comm;

int	sb_comm_get(enum sb_comm_backend, int world, struct sb_comm **out,
	    char *err, size_t errlen);
int	sb_comm_world(const struct sb_comm *);
int	sb_comm_grank(const struct sb_comm *);	/* rank in this communicator */
enum sb_comm_backend sb_comm_backend(const struct sb_comm *);

/* Host buffers, every backend (an NCCL communicator does these over its
 * ranks' MPI group; with one rank they are copies).  sendbuf NULL: in
 * place in recvbuf. */
int	sb_comm_allreduce_host(struct sb_comm *, const void *sendbuf,
	    void *recvbuf, int64_t count, enum sb_comm_dtype, enum sb_red_op,
	    char *err, size_t errlen);
int	sb_comm_bcast_host(struct sb_comm *, void *buf, size_t bytes,
	    int root, char *err, size_t errlen);
/* recv (world · bytes) := every rank's send (bytes), in rank order. */
int	sb_comm_allgather_host(struct sb_comm *, const void *send,
	    void *recv, size_t bytes, char *err, size_t errlen);
int	sb_comm_barrier(struct sb_comm *, char *err, size_t errlen);

/* Non-blocking host all-reduce in place (MPI_Iallreduce), one request per
 * slot (0 <= slot < SB_COMM_SLOTS); sb_comm_wait_host completes it (and
 * applies AVG's division).  On an NCCL communicator: refused. */
#define SB_COMM_SLOTS	64
int	sb_comm_iallreduce_host(struct sb_comm *, int slot, void *buf,
	    int64_t count, enum sb_comm_dtype, enum sb_red_op, char *err,
	    size_t errlen);
int	sb_comm_wait_host(struct sb_comm *, int slot, char *err,
	    size_t errlen);

/* Device buffers, NCCL only: enqueued on stream (a cudaStream_t).
 * sendbuf == recvbuf is in place.  Calls between group_start and
 * group_end are fused into one launch (ncclGroupStart/End). */
int	sb_comm_allreduce_dev(struct sb_comm *, const void *sendbuf,
	    void *recvbuf, int64_t count, enum sb_comm_dtype, enum sb_red_op,
	    void *stream, char *err, size_t errlen);
int	sb_comm_group_start(char *err, size_t errlen);
int	sb_comm_group_end(char *err, size_t errlen);

#endif
