/*
 * kernels/gpu.c — error text and the cuBLAS handle of struct sb_gpu.
 *
 * Design notes:
 *  1. A launcher that fails writes "file:line: what: detail" into g->err and
 *     returns -1; the harness decides whether to print, skip the variant or
 *     stop.  Nothing in kernels/ prints or exits.
 *  2. "what" is the text of the failing call and can be long (cublasGemmEx
 *     has nineteen arguments), while "detail" (the CUDA or cuBLAS message) is
 *     what the reader needs: when the line does not fit in g->err, "what" is
 *     cut short with "..." so that "detail" stays whole.
 *  3. __FILE__ is an absolute path in a CMake build; only its last two
 *     components ("kernels/gemm_cublas.c") are kept.
 *  4. sb_gpu_blas_init binds the handle to g->stream and to a workspace we
 *     own.  Without one, cuBLAS allocates on first use, which stream capture
 *     forbids (no CUDA graphs).  cublasSetStream resets the workspace to
 *     cuBLAS's own pool, so the workspace is set after the stream, always.
 *  5. struct sb_gpu starts zeroed ({0}); init creates what is missing and
 *     (re)binds, fini frees what is there, so both can be called again.
 *  6. The cuBLASLt handle (g->lt) is created by the same init, with its own
 *     workspace (g->lt_ws, SB_LT_WS_BYTES): cublasLtMatmul takes the
 *     workspace per call, so nothing binds it to the stream.  fini first
 *     drops the descriptors and algorithms gemm_cublaslt.c cached for
 *     this handle, then destroys it.
 */
#include <stdio.h>
#include <string.h>

/* cublasLt.h declares a function with () — not ours to fix */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wstrict-prototypes"
#include <cublasLt.h>
#pragma GCC diagnostic pop

#include "gemm_cublaslt.h"
#include "gpu_int.h"

static const char	*short_path(const char *);
static int		 blas_setup(struct sb_gpu *);
static int		 blas_create_fail(struct sb_gpu *, int, cublasStatus_t);

int
sb_gpu_fail(struct sb_gpu *g, const char *file, int line, const char *what,
    const char *detail)
{
	const size_t cap = sizeof(g->err);
	const char *dots = "";
	size_t used, wlen, need;
	int n;

	if (what == NULL)
		what = "?";
	if (detail == NULL)
		detail = "?";
	n = snprintf(g->err, cap, "%s:%d: ", short_path(file), line);
	if (n < 0) {
		g->err[0] = '\0';
		return -1;
	}
	used = (size_t)n < cap ? (size_t)n : cap - 1;

	/* Room for "what": cap - 1 (the NUL) - used - ": " - detail. */
	wlen = strlen(what);
	need = 2 + strlen(detail);
	if (used + wlen + need > cap - 1) {
		dots = "...";
		need += 3;
		wlen = cap - 1 - used > need ? cap - 1 - used - need : 0;
	}
	(void)snprintf(g->err + used, cap - used, "%.*s%s: %s", (int)wlen,
	    what, dots, detail);
	return -1;
}

const char *
sb_blas_status_string(cublasStatus_t st)
{
	const char *s = cublasGetStatusString(st);

	return s != NULL ? s : "unknown cuBLAS status";
}

int
sb_gpu_blas_init(struct sb_gpu *g)
{
	if (blas_setup(g) != 0) {
		sb_gpu_blas_fini(g);	/* g->err keeps the first error */
		return -1;
	}
	return 0;
}

void
sb_gpu_blas_fini(struct sb_gpu *g)
{
	/* Errors are ignored: fini runs on error paths too, and must neither
	 * overwrite the error being reported nor stop half-way. */
	if (g->blas != NULL) {
		(void)cublasDestroy(g->blas);
		g->blas = NULL;
	}
	if (g->blas_ws != NULL) {
		(void)cudaFree(g->blas_ws);
		g->blas_ws = NULL;
	}
	g->blas_ws_bytes = 0;
	if (g->lt != NULL) {
		sb_hgemm_cublaslt_release(g->lt);
		(void)cublasLtDestroy((cublasLtHandle_t)g->lt);
		g->lt = NULL;
	}
	if (g->lt_ws != NULL) {
		(void)cudaFree(g->lt_ws);
		g->lt_ws = NULL;
	}
	g->lt_ws_bytes = 0;
}

static int
blas_setup(struct sb_gpu *g)
{
	if (g->blas == NULL) {
		cublasHandle_t h = NULL;
		cublasStatus_t st;

		if ((st = cublasCreate(&h)) != CUBLAS_STATUS_SUCCESS)
			return blas_create_fail(g, __LINE__, st);
		g->blas = h;
	}
	if (g->blas_ws == NULL) {
		void *ws = NULL;

		SB_CUDA_CHECK(g, cudaMalloc(&ws, SB_BLAS_WS_BYTES));
		g->blas_ws = ws;
		g->blas_ws_bytes = SB_BLAS_WS_BYTES;
	}
	SB_BLAS_CHECK(g, cublasSetStream(g->blas, g->stream));
	SB_BLAS_CHECK(g, cublasSetWorkspace(g->blas, g->blas_ws,
	    g->blas_ws_bytes));
	/* Default math: no TF32 unless a call asks for it by compute type, so
	 * "cublas" is strict fp32 and "cublas-tf32" differs by one argument. */
	SB_BLAS_CHECK(g, cublasSetMathMode(g->blas, CUBLAS_DEFAULT_MATH));

	if (g->lt == NULL) {
		cublasLtHandle_t lt = NULL;
		cublasStatus_t st;

		if ((st = cublasLtCreate(&lt)) != CUBLAS_STATUS_SUCCESS)
			return sb_gpu_fail(g, __FILE__, __LINE__,
			    "cublasLtCreate(&lt)", cublasLtGetStatusString(st) !=
			    NULL ? cublasLtGetStatusString(st) :
			    "unknown cuBLASLt status");
		g->lt = lt;
	}
	if (g->lt_ws == NULL) {
		void *ws = NULL;

		SB_CUDA_CHECK(g, cudaMalloc(&ws, SB_LT_WS_BYTES));
		g->lt_ws = ws;
		g->lt_ws_bytes = SB_LT_WS_BYTES;
	}
	return 0;
}

/*
 * cublasCreate says only "the library was not initialized" when there is no
 * GPU or driver; ask the runtime for the cause it knows.
 */
static int
blas_create_fail(struct sb_gpu *g, int line, cublasStatus_t st)
{
	char detail[160];
	int ndev = 0;
	cudaError_t ce;

	ce = cudaGetDeviceCount(&ndev);
	(void)cudaGetLastError();	/* do not leave it for a launch check */
	if (ce != cudaSuccess)
		(void)snprintf(detail, sizeof(detail), "%s (CUDA: %s)",
		    sb_blas_status_string(st), cudaGetErrorString(ce));
	else if (ndev == 0)
		(void)snprintf(detail, sizeof(detail), "%s (CUDA: no device)",
		    sb_blas_status_string(st));
	else
		(void)snprintf(detail, sizeof(detail), "%s",
		    sb_blas_status_string(st));
	return sb_gpu_fail(g, __FILE__, line, "cublasCreate(&h)", detail);
}

/* "/abs/path/kernels/gpu.c" -> "kernels/gpu.c" */
static const char *
short_path(const char *path)
{
	const char *last = NULL, *prev = NULL;

	if (path == NULL)
		return "?";
	for (const char *p = path; *p != '\0'; p++) {
		if (*p == '/') {
			prev = last;
			last = p;
		}
	}
	return prev != NULL ? prev + 1 : path;
}

int
sb_kernel_info_fill(struct sb_gpu *g, struct sb_kernel_info *info,
    const char *name, const void *kernel, const unsigned grid[3],
    const unsigned block[3], size_t dyn_smem)
{
	struct cudaFuncAttributes fa;
	int per_sm = 0;

	memset(info, 0, sizeof(*info));
	(void)snprintf(info->name, sizeof(info->name), "%s", name);
	for (int d = 0; d < 3; d++) {
		info->grid[d] = grid[d];
		info->block[d] = block[d];
	}
	info->dyn_smem = dyn_smem;
	SB_CUDA_CHECK(g, cudaFuncGetAttributes(&fa, kernel));
	SB_CUDA_CHECK(g, cudaOccupancyMaxActiveBlocksPerMultiprocessor(&per_sm,
	    kernel, (int)(block[0] * block[1] * block[2]), dyn_smem));
	info->regs = fa.numRegs;
	info->static_smem = (int)fa.sharedSizeBytes;
	info->local_bytes = (int)fa.localSizeBytes;
	info->max_threads = fa.maxThreadsPerBlock;
	info->ptx_version = fa.ptxVersion;
	info->binary_version = fa.binaryVersion;
	info->ctas_per_sm = per_sm;
	return 0;
}
