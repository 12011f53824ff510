/*
 * harness/rng.h — splitmix64: a tiny, fast, well-mixed generator whose
 * stream depends only on the seed, so every variant of a point sees the same
 * inputs and any run can be repeated exactly.
 */
#ifndef SB_HARNESS_RNG_H
#define SB_HARNESS_RNG_H

#include <stdint.h>

struct sb_rng {
	uint64_t	s;
};

static inline uint64_t
sb_rng_next(struct sb_rng *r)
{
	uint64_t z = (r->s += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

/* Uniform in [lo, hi), on a 2^-24 grid so that floats hold it exactly. */
static inline float
sb_rng_uniform(struct sb_rng *r, float lo, float hi)
{
	float u = (float)(sb_rng_next(r) >> 40) * (1.0f / 16777216.0f);

	return lo + (hi - lo) * u;
}

/* Uniform integer in [0, n). */
static inline uint64_t
sb_rng_below(struct sb_rng *r, uint64_t n)
{
	return n ? sb_rng_next(r) % n : 0;
}

#endif
