/* kernels/versions.h — versions of the GPU libraries the kernels link. */
#ifndef SB_KERNELS_VERSIONS_H
#define SB_KERNELS_VERSIONS_H

#include <stddef.h>

/* cuBLAS as major*10000 + minor*100 + patch (0 if unknown); cuBLASLt as its
 * own cublasLtGetVersion() number.  Work without a GPU. */
int	sb_cublas_version(void);
size_t	sb_cublaslt_version(void);

#endif
