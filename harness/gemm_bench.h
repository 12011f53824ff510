/*
 * harness/gemm_bench.h — `stepbench gemm`: the GEMM implementations of
 * kernels/gpu.h (sb_gemms_f32[]) measured alone, across kernels × layouts
 * × sizes, each against cuBLAS of its precision family at the same layout
 * and size.
 *
 * Ids: gemm.<precision>.<name>.<layout>, e.g. gemm.f32.warptile.nt or
 * gemm.tf32.cublas.tn.  --kernels globs match "<precision>.<name>" (e.g.
 * 'f32.*', 'tf32.mma'), the bare name ('warptile') or the id without its
 * layout ('gemm.f32.warptile').
 *
 * The plan nests sizes, then layouts, then kernels.  Within a (size,
 * layout) the cuBLAS baseline of each family that has a selected kernel
 * comes first, added (auto_baseline = 1) when the selection lacks it, so
 * every kernel's ratio is known when its row prints; then the selected
 * kernels in catalogue order.
 *
 * Per point (gemm_bench.c): skip with the reason what cannot run here; A,
 * B fixed-seed (gemm_host.h), C poisoned; one checked call; the kernel's
 * launch described (kernels/gpu.h describe, waves.h); warm-up; CUDA-event
 * samples around one call each, L2 flushed before each outside the events,
 * until the noise target (sb_sample_until); C poisoned again and one more
 * checked call.  A GPU that fails stickily ends the run (resume is not
 * offered: a gemm run is cheap to repeat).
 */
#ifndef SB_HARNESS_GEMM_BENCH_H
#define SB_HARNESS_GEMM_BENCH_H

#include <stddef.h>
#include <stdint.h>

#include "device.h"
#include "engine.h"
#include "layout.h"
#include "sweep.h"

struct sb_gemm_f32;

#define SB_GEMM_ID_LEN		64
#define SB_GEMM_MAX_KERNELS	64
#define SB_GEMM_PAD_MAX		(1 << 20)
#define SB_GEMM_DEFAULT_SIZES	"256:8192:x2"

struct sb_gemm_point {
	int				 idx;		/* in the plan */
	const struct sb_gemm_f32	*impl;
	enum sb_layout			 layout;
	int64_t				 m, n, k, pad;
	int				 auto_baseline;	/* added, not asked */
	int				 baseline_idx;	/* -1: none, or is one */
	char				 id[SB_GEMM_ID_LEN];
};

struct sb_gemm_plan {
	int			 count;
	struct sb_gemm_point	*points;	/* malloc'ed */
};

struct sb_gemm_selection {
	int				 count;
	const struct sb_gemm_f32	*impl[SB_GEMM_MAX_KERNELS];
};

/* Parsers never print: -1 with a message naming the bad value and what is
 * valid in err. */
int	sb_gemm_parse_kernels(const char *globs, struct sb_gemm_selection *,
	    char *err, size_t errlen);
/* layouts[] gets each layout once, in the order given. */
int	sb_gemm_parse_layouts(const char *spec, enum sb_layout *layouts,
	    int *count, char *err, size_t errlen);
/* --sizes: the sweep grammar of sweep.h, messages naming --sizes. */
int	sb_gemm_parse_sizes(const char *spec, struct sb_shape_list *,
	    char *err, size_t errlen);
/* "f32.naive, f32.coalesced, ..." into buf. */
void	sb_gemm_kernel_names(char *buf, size_t len);
/* The cuBLAS implementation of impl's precision family, or NULL. */
const struct sb_gemm_f32 *sb_gemm_baseline_of(const struct sb_gemm_f32 *);

int	sb_gemm_plan_build(struct sb_gemm_plan *,
	    const struct sb_gemm_selection *, const enum sb_layout *layouts,
	    int nlayouts, const struct sb_shape_list *, int64_t pad,
	    char *err, size_t errlen);
void	sb_gemm_plan_free(struct sb_gemm_plan *);

struct sb_gemm_bench;

int	sb_gemm_bench_create(struct sb_gemm_bench **, const struct sb_device *);
void	sb_gemm_bench_destroy(struct sb_gemm_bench *);
/*
 * Measures pt into o (o->r ready for db_result_add: mode "gemm", variant
 * the id, C's errors in err_y and err_recheck, one launch_info row when
 * the implementation describes its kernel).  Returns 0, or -1 when the GPU
 * is in a state only a new process clears (store the row, then stop).
 */
int	sb_gemm_bench_run(struct sb_gemm_bench *, const struct sb_gemm_point *,
	    const struct sb_engine_opts *, struct sb_outcome *o);

#endif
