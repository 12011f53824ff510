/*
 * harness/engine_gpu_int.h — the GPU backend's state, shared by its two
 * files: engine_gpu.c (the backend, fp32 family) and engine_gpu_amp.c
 * (what the mixed-precision step adds: half buffers, the scaler's state,
 * read-back with conversion).  Private to the GPU backend.
 */
#ifndef SB_HARNESS_ENGINE_GPU_INT_H
#define SB_HARNESS_ENGINE_GPU_INT_H

#include <cuda_runtime.h>

#include "amp.h"
#include "engine_int.h"
#include "gpu.h"

#define MAX_MARKS	(4 + 2 * SB_MAX_LAYERS + 4)
#define ALIGN		256
#define BLAS_WS_BYTES	(32u << 20)

struct gpu_engine {
	int		 ready;
	int		 sticky;
	struct sb_gpu	 g;
	void		*flush;
	size_t		 flush_bytes;
	cudaEvent_t	 start, end, ev[MAX_MARKS];
};

struct gpu_point {
	struct gpu_engine *ge;
	struct sb_dstep	 d;
	void		*base;		/* one allocation holds every tensor */
	cudaGraph_t	 graph;
	cudaGraphExec_t	 exec;
	int		 amp;		/* a mixed-precision variant: a.* used */
	struct sb_dstep_amp a;		/* its half buffers; a.f mirrors d */
	int		 recording;	/* phase marks record events */
	int		 nmarks;
	int		 mark_phase[MAX_MARKS];
};


/* Carves the tensors of a step out of base (NULL: just count) and returns
 * the bytes they take: the fp32 tensors into d (always), and when a is not
 * NULL the half tensors of a mixed-precision step of type a->cfg.dt (dw_h,
 * db_h of a->cfg.wgrad_out), its scaler state and scratch into a. */
size_t	sb_gpu_carve(struct sb_dstep *d, struct sb_dstep_amp *a, char *base,
	    int input_grad);

/* engine_gpu_amp.c */
int	sb_gpu_amp_reset(struct sb_engine *, struct sb_ctx *);
int	sb_gpu_amp_readback(struct sb_engine *, struct sb_ctx *);
int	sb_gpu_amp_describe(struct sb_engine *, struct sb_ctx *,
	    struct sb_outcome *);
int	sb_gpu_amp_state(struct sb_engine *, struct sb_ctx *,
	    struct sb_amp_obs *);

#endif
