/* kernels/versions.c — library versions for `stepbench info` and provenance. */
/* cublasLt.h declares a function with () — not ours to fix */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wstrict-prototypes"
#include <cublasLt.h>
#pragma GCC diagnostic pop
#include <cublas_v2.h>

#include "versions.h"

int
sb_cublas_version(void)
{
	int major = 0, minor = 0, patch = 0;

	if (cublasGetProperty(MAJOR_VERSION, &major) != CUBLAS_STATUS_SUCCESS ||
	    cublasGetProperty(MINOR_VERSION, &minor) != CUBLAS_STATUS_SUCCESS ||
	    cublasGetProperty(PATCH_LEVEL, &patch) != CUBLAS_STATUS_SUCCESS)
		return 0;
	return major * 10000 + minor * 100 + patch;
}

size_t
sb_cublaslt_version(void)
{
	return cublasLtGetVersion();
}
