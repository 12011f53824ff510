/*
 * harness/gemm_bench.h — `stepbench gemm`: the GEMM implementations
 * measured alone, across kernels × layouts × sizes, each against cuBLAS of
 * its precision family at the same layout and size.  The kernels are the
 * float ones of kernels/gpu.h (sb_gemms_f32[]: precision f32 or tf32) and
 * the half ones of kernels/gemm_h16.h (sb_hgemms[]), each of those once
 * per input type f16 and bf16, and the int8 ones of kernels/gemm_s8.h
 * (sb_igemms[], type s8, only with --types s8): a struct sb_gemm_kernel.
 *
 * Ids: gemm.<precision>.<name>.<layout>, e.g. gemm.f32.warptile.nt,
 * gemm.tf32.cublas.tn, gemm.f16.mma.nt.  A half kernel's precision is its
 * input type when C is half too (--out half, the default: the autocast
 * step's GEMMs), and "<type>-f32" with an fp32 C (--out f32), e.g.
 * gemm.bf16-f32.cublaslt.nn: the two compute different things and must
 * not share an id.  --kernels globs match "<type>.<name>" (e.g. 'f32.*',
 * 'tf32.mma', 'f16.*'), the bare name ('warptile', 'cublas': every type's)
 * or the id without its layout ('gemm.f32.warptile'); --types f32,f16,bf16
 * keeps the kernels of those input types (f32 covers the float family,
 * tf32 included), s8 the int8 kernels (never in the default).
 *
 * int8 (s8): layout nt only (int8 tensor cores take K-major operands: a
 * plan with s8 kernels and no nt is refused, and the s8 kernels are left
 * out of tn and nn); C in s32 (the exact accumulator, precision "s8") or,
 * with --out f32, fp32 through the dequantising epilogue (precision
 * "s8-f32"; an implementation without one, cuBLASLt, is skipped saying
 * so).  Integer inputs, checked exactly (gemm_host.h); throughput is
 * TOP/s (2mnk operations, in the tflops column) and the baseline is
 * cuBLASLt s8 of the same output type, the ceiling int8 dense tensor
 * cores (twice the fp16 dense peak on sm_80 and sm_90).
 *
 * The plan nests sizes, then layouts, then kernels.  Within a (size,
 * layout) the cuBLAS baseline of each family that has a selected kernel
 * comes first (for a half kernel: the half cuBLAS of the same input and
 * output types; for an int8 kernel: cuBLASLt s8), added (auto_baseline = 1) when the selection lacks it, so
 * every kernel's ratio is known when its row prints; then the selected
 * kernels in catalogue order.
 *
 * Per point (gemm_bench.c): skip with the reason what cannot run here; A,
 * B fixed-seed (gemm_host.h), C poisoned; one checked call; the kernel's
 * launch described (kernels/gpu.h describe, waves.h); warm-up; CUDA-event
 * samples around one call each, L2 flushed before each outside the events,
 * until the noise target (sb_sample_until); C poisoned again and one more
 * checked call.  A cuBLASLt row also gets a launch_info row whose name is
 * the algorithm cuBLASLt chose (sb_hgemm_cublaslt_algo) and whose launch
 * facts are NULL: the library does not say them.  A GPU that fails stickily ends the run (resume is not
 * offered: a gemm run is cheap to repeat).
 */
#ifndef SB_HARNESS_GEMM_BENCH_H
#define SB_HARNESS_GEMM_BENCH_H

#include <stddef.h>
#include <stdint.h>

#include "device.h"
#include "dtype.h"
#include "engine.h"
#include "layout.h"
#include "sweep.h"

struct sb_gemm_f32;
struct sb_hgemm;
struct sb_igemm;

#define SB_GEMM_ID_LEN		64
#define SB_GEMM_PREC_LEN	16
#define SB_GEMM_MAX_KERNELS	64
#define SB_GEMM_PAD_MAX		(1 << 20)
#define SB_GEMM_DEFAULT_SIZES	"256:8192:x2"
#define SB_GEMM_TYPES_ALL	((1u << SB_DT_F32) | (1u << SB_DT_F16) | \
				    (1u << SB_DT_BF16))

/* --out: C of a half kernel in its input type (an int8 kernel: s32), C in
 * fp32 (an int8 kernel: through its epilogue), C in s32 (int8 only). */
#define SB_GEMM_OUT_HALF	0
#define SB_GEMM_OUT_F32		1
#define SB_GEMM_OUT_S32		2

/* One entry of the kernels axis: a float implementation, a half one with
 * its input type, or an int8 one. */
struct sb_gemm_kernel {
	const struct sb_gemm_f32	*f32;	/* one of f32, h16, s8 */
	const struct sb_hgemm		*h16;
	const struct sb_igemm		*s8;
	enum sb_dtype			 in;	/* F32 with f32; F16 or BF16;
						 * S8 */
	const char			*type;	/* "f32", "tf32", "f16", "bf16",
						 * "s8" */
	const char			*name;
	int				 min_cc;
};

struct sb_gemm_point {
	int				 idx;		/* in the plan */
	struct sb_gemm_kernel		 kern;
	enum sb_dtype			 out;		/* C's type */
	enum sb_layout			 layout;
	int64_t				 m, n, k, pad;
	int				 auto_baseline;	/* added, not asked */
	int				 baseline_idx;	/* -1: none, or is one */
	char				 precision[SB_GEMM_PREC_LEN];
	char				 id[SB_GEMM_ID_LEN];
};

struct sb_gemm_plan {
	int			 count;
	struct sb_gemm_point	*points;	/* malloc'ed */
};

struct sb_gemm_selection {
	int			 count;
	struct sb_gemm_kernel	 k[SB_GEMM_MAX_KERNELS];
};

/* Parsers never print: -1 with a message naming the bad value and what is
 * valid in err. */
/* --types: a mask of 1 << enum sb_dtype (f32, f16, bf16, s8). */
int	sb_gemm_parse_types(const char *spec, unsigned *types, char *err,
	    size_t errlen);
/* --out: "half", "f32" or "s32" into *out (SB_GEMM_OUT_*). */
int	sb_gemm_parse_out(const char *spec, int *out, char *err,
	    size_t errlen);
/* --out against the selection: s32 only with s8 kernels alone, half only
 * without them; -1 and why otherwise. */
int	sb_gemm_check_out(const struct sb_gemm_selection *, int out,
	    char *err, size_t errlen);
/* Every glob must match a kernel of the catalogue, and keep one of the
 * input types in types. */
int	sb_gemm_parse_kernels(const char *globs, unsigned types,
	    struct sb_gemm_selection *, char *err, size_t errlen);
/* layouts[] gets each layout once, in the order given. */
int	sb_gemm_parse_layouts(const char *spec, enum sb_layout *layouts,
	    int *count, char *err, size_t errlen);
/* --sizes: the sweep grammar of sweep.h, messages naming --sizes. */
int	sb_gemm_parse_sizes(const char *spec, struct sb_shape_list *,
	    char *err, size_t errlen);
/* "f32.naive, f32.coalesced, ..., f16.cublas, bf16.cublas, ..." into
 * buf. */
void	sb_gemm_kernel_names(char *buf, size_t len);
/* Every kernel of the catalogue, in order (float family, then the half
 * implementations for f16, then for bf16, then the int8 ones); returns
 * the count. */
int	sb_gemm_kernels_all(struct sb_gemm_kernel *, int cap);
int	sb_gemm_kernel_equal(const struct sb_gemm_kernel *,
	    const struct sb_gemm_kernel *);
/* The cuBLAS kernel of k's family (same precision, or same input type):
 * 0 and *base, or -1 when the catalogue has none. */
int	sb_gemm_baseline_of(const struct sb_gemm_kernel *k,
	    struct sb_gemm_kernel *base);
/* C's type for k: fp32 for the float family; for a half kernel fp32 when
 * out is SB_GEMM_OUT_F32, else its input type; for an int8 kernel fp32
 * when out is SB_GEMM_OUT_F32, else s32. */
enum sb_dtype sb_gemm_out_type(const struct sb_gemm_kernel *, int out);

/* out: SB_GEMM_OUT_* (--out).  int8 kernels are planned at nt only; a
 * selection with int8 kernels and no nt layout is refused. */
int	sb_gemm_plan_build(struct sb_gemm_plan *,
	    const struct sb_gemm_selection *, const enum sb_layout *layouts,
	    int nlayouts, const struct sb_shape_list *, int64_t pad,
	    int out, char *err, size_t errlen);
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
