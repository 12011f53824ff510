/* harness/clock.h — the one monotonic clock the harness reads. */
#ifndef SB_HARNESS_CLOCK_H
#define SB_HARNESS_CLOCK_H

#include <time.h>

/* Seconds on CLOCK_MONOTONIC (immune to wall-clock steps). */
static inline double
sb_mono_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

#endif
