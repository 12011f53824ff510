/*
 * harness/ddp.h — the arithmetic of data-parallel training, free of any
 * communication library so that it is unit-tested on its own:
 *
 *  - the batch split (sb_ddp_shard);
 *  - DistributedDataParallel's bucket assignment (sb_ddp_buckets): the
 *    parameters in reverse order (layer L-1's bias, its weight, ..., layer
 *    0's weight: the order their gradients become ready), each appended
 *    to the open bucket, which closes once its bytes reach its cap: the
 *    first bucket's cap is first_cap (DDP: 1 MiB), every later one's cap
 *    (DDP: bucket_cap_mb = 25 MiB).  A bucket can therefore exceed its
 *    cap by one tensor, as in PyTorch's compute_bucket_assignment_by_size;
 *  - nccl-tests' bandwidths: algbw = bytes / time; all-reduce busbw =
 *    algbw · 2(n-1)/n (0 at n = 1);
 *  - the overlap metric: overlap = (compute + comm - wall) / comm, clamped
 *    to [0, 1]; exposed communication = wall - compute (>= 0).
 */
#ifndef SB_HARNESS_DDP_H
#define SB_HARNESS_DDP_H

#include <stddef.h>
#include <stdint.h>

#include "step.h"

#define SB_DDP_MAX_PARAMS	(2 * SB_MAX_LAYERS)
#define SB_DDP_MIB		(1024.0 * 1024.0)

/* One parameter tensor: layer l's weight (bias = 0) or bias (bias = 1). */
struct sb_ddp_param {
	int	layer;
	int	bias;
	int64_t	count;		/* elements */
};

struct sb_ddp_bucket {
	int	first;		/* index into plan.params (reverse order) */
	int	nparams;
	int64_t	count;		/* elements */
	size_t	bytes;		/* in the all-reduced dtype */
	int	ready_layer;	/* the bucket is ready once this layer's
				 * gradients are (its lowest layer) */
};

struct sb_ddp_plan {
	int			nparams;
	struct sb_ddp_param	params[SB_DDP_MAX_PARAMS];	/* reverse order */
	int			nbuckets;
	struct sb_ddp_bucket	buckets[SB_DDP_MAX_PARAMS];
};

/* Buckets for the step of d, its gradients all-reduced in elements of
 * elem_bytes (4, or 2 with compression).  cap_bytes, first_cap_bytes > 0.
 * Returns -1 (message in err) on a bad argument. */
int	sb_ddp_buckets(struct sb_ddp_plan *, const struct sb_dims *d,
	    size_t elem_bytes, double cap_bytes, double first_cap_bytes,
	    char *err, size_t errlen);
/* The buckets that become ready when layer's gradients are: [*lo, *hi)
 * (an empty range when none). */
void	sb_ddp_ready(const struct sb_ddp_plan *, int layer, int *lo, int *hi);

/* Rank r's rows of an m-row batch over world ranks: [*row0, *row0 + *rows).
 * Only even splits: returns -1 with the reason (naming m, world and the
 * nearest batches that split) when m % world != 0 or m < world. */
int	sb_ddp_shard(int64_t m, int world, int rank, int64_t *row0,
	    int64_t *rows, char *err, size_t errlen);

/* nccl-tests' all-reduce figures; GB/s = 1e9 bytes/s.  NaN for a time
 * <= 0 or NaN. */
double	sb_algbw_gbps(double bytes, double us);
double	sb_busbw_gbps(double bytes, double us, int world);

struct sb_overlap {
	double	exposed_us;	/* wall - compute, at least 0 */
	double	overlap;	/* hidden share of the communication, [0, 1];
				 * NaN when comm <= 0 */
	double	overhead;	/* (wall - compute) / compute */
};
/* From the step's wall time, its compute alone (the same step without
 * communication) and its communication (the sum of the buckets' times). */
void	sb_overlap_of(double wall_us, double compute_us, double comm_us,
	    struct sb_overlap *);

/* The same from timestamps (any unit): compute and comm are arrays of
 * [start, end) intervals; compute = the length of the union of the compute
 * intervals, comm = that of the comm ones, wall = that of all of them. */
struct sb_interval {
	double	start, end;
};
void	sb_overlap_of_intervals(const struct sb_interval *compute, int ncompute,
	    const struct sb_interval *comm, int ncomm, struct sb_overlap *,
	    double *compute_len, double *comm_len, double *wall_len);

#endif
