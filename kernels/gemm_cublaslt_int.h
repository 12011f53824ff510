/*
 * kernels/gemm_cublaslt_int.h — the cuBLASLt plan cache shared by the
 * library GEMMs that use cuBLASLt (gemm_cublaslt.c: the half GEMM,
 * gemm_s8_cublaslt.c: the int8 GEMM).  Private to kernels/: it speaks
 * cuBLASLt's types.  The cache lives in gemm_cublaslt.c; its design notes
 * (keys, capture, alignment, replacement) hold for every user.
 *
 * A user: builds its key (struct sb_hgemm_lt_key: the int8 GEMM fills it
 * with layout NT, in s8 and its own output type), looks it up
 * (sb_lt_plan_find); on a miss takes a slot (sb_lt_plan_slot: refused
 * while g->stream is capturing), creates the descriptor and the three
 * layouts in it, asks the heuristic (sb_lt_plan_choose), and commits the
 * slot under the key (sb_lt_plan_commit) — or frees it on failure.
 */
#ifndef SB_KERNELS_GEMM_CUBLASLT_INT_H
#define SB_KERNELS_GEMM_CUBLASLT_INT_H

#include <stddef.h>
#include <stdint.h>

/* cublasLt.h declares a function with () — not ours to fix */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wstrict-prototypes"
#include <cublasLt.h>
#pragma GCC diagnostic pop

#include "gemm_cublaslt.h"
#include "gpu.h"

#define SB_LT_DESC_LEN	96

struct sb_lt_plan {
	int			 used;
	uint64_t		 age;		/* insertion order */
	struct sb_hgemm_lt_key	 key;
	struct sb_hgemm_lib_plan lib;		/* the half GEMM's mapping */
	cublasLtMatmulDesc_t	 op;
	cublasLtMatrixLayout_t	 la, lb, lc;	/* first, second, C = D */
	cublasLtMatmulAlgo_t	 algo;
	size_t			 ws_bytes;	/* what the algorithm needs */
	char			 desc[SB_LT_DESC_LEN];
};

/* cublasLtGetStatusString's text; never NULL. */
const char	*sb_lt_status(cublasStatus_t);

/* Like SB_BLAS_CHECK, with cuBLASLt's words and the caller's text. */
#define SB_LT_CHECK(g, what, call) do {					\
	cublasStatus_t lt_s_ = (call);					\
	if (lt_s_ != CUBLAS_STATUS_SUCCESS)				\
		return sb_gpu_fail((g), __FILE__, __LINE__, (what),	\
		    sb_lt_status(lt_s_));				\
} while (0)

/* The plan cached under exactly key, or NULL. */
struct sb_lt_plan *sb_lt_plan_find(const struct sb_hgemm_lt_key *key);
/* The most recent plan whose key equals want but for the handle and the
 * workspace size, or NULL (the algorithm a shape ran with). */
const struct sb_lt_plan *sb_lt_plan_newest(const struct sb_hgemm_lt_key *want);
/* A free slot (the oldest plan is dropped when the table is full), or NULL
 * with why in g->err: the first call of a shape while g->stream is being
 * captured (design note 3 of gemm_cublaslt.c). */
struct sb_lt_plan *sb_lt_plan_slot(struct sb_gpu *, const char *what);
/* With p->op, la, lb, lc made: the preference (g's workspace, the key's
 * alignments: the library's A is our b, its B our a, C = D our c), the
 * heuristic's best algorithm into p->algo, p->ws_bytes and p->desc.  hint
 * ends the message when there is no algorithm ("" for none).  0, or -1
 * with why in g->err. */
int	sb_lt_plan_choose(struct sb_gpu *, struct sb_lt_plan *p,
	    const struct sb_hgemm_lt_key *key, const char *what,
	    const char *hint);
void	sb_lt_plan_commit(struct sb_lt_plan *, const struct sb_hgemm_lt_key *);
/* Destroys what p holds and clears it. */
void	sb_lt_plan_free(struct sb_lt_plan *p);

#endif
