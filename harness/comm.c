/* harness/comm.c — communication backends (see comm.h). */
#include "comm.h"

#ifdef SB_HAVE_NCCL
#include <nccl.h>
#endif

int
sb_comm_nccl_version(void)
{
#ifdef SB_HAVE_NCCL
	int v = 0;

	if (ncclGetVersion(&v) == ncclSuccess)
		return v;
#endif
	return 0;
}
