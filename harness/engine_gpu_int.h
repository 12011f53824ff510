/*
 * harness/engine_gpu_int.h — the GPU backend's state, shared by its
 * files: engine_gpu.c (the backend, fp32 family), engine_gpu_amp.c (what
 * the mixed-precision step adds: half buffers, the scaler's state,
 * read-back with conversion) and engine_gpu_int8.c (what dynamic int8
 * adds: int8 buffers, the weights' quantisation, saturation counts).
 * Private to the GPU backend.
 */
#ifndef SB_HARNESS_ENGINE_GPU_INT_H
#define SB_HARNESS_ENGINE_GPU_INT_H

#include <cuda_runtime.h>

#include "amp.h"
#include "engine_int.h"
#include "gpu.h"

/* phase marks of one step: an int8 training step has the most (forward,
 * four per layer for the int8 forward, two per layer backward, loss,
 * unscale, sgd, update, end) */
#define MAX_MARKS	(8 + 6 * SB_MAX_LAYERS)
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
	int		 int8;		/* an int8dyn variant: q used */
	struct sb_int8_fwd q;		/* its int8 buffers (in qbase) */
	void		*qbase;
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

/* engine_gpu_int8.c: the bytes of a point's int8 buffers (0 when it is
 * not int8dyn), and the backend's int8 hooks */
double	sb_gpu_int8_bytes(const struct sb_ctx *);
int	sb_gpu_int8_setup(struct sb_engine *, struct sb_ctx *);
int	sb_gpu_int8_reset(struct sb_engine *, struct sb_ctx *);
int	sb_gpu_int8_state(struct sb_engine *, struct sb_ctx *, int64_t *,
	    int64_t *);
int	sb_gpu_int8_describe(struct sb_engine *, struct sb_ctx *,
	    struct sb_outcome *);

#endif
