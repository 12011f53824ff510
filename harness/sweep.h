/*
 * harness/sweep.h — the sweep grammar and the plan it expands to.
 *
 *   --shapes    comma-separated items; each item is
 *                 MxNxK            batch M, out-features N, in-features K
 *                 A:B:xF | A:B:+S  square sizes A, A·F (or A+S), … up to B
 *                 tutorial|small|headline   named presets
 *   --variants  comma-separated globs over dotted ids (fnmatch), e.g. 'train.*.cpu'
 *   --layers, --world   comma-separated positive integers
 *
 * Parsers never print: on error they return -1 and write a message that
 * names the bad value and what would be valid into err.
 */
#ifndef SB_HARNESS_SWEEP_H
#define SB_HARNESS_SWEEP_H

#include <stddef.h>
#include <stdint.h>

#include "registry.h"

#define SB_DIM_MAX	2147483647LL	/* cuBLAS takes int dimensions */
#define SB_LIST_MAX	256

struct sb_shape {
	int64_t	m, n, k;
};

struct sb_shape_list {
	int		 count;
	struct sb_shape	 v[SB_LIST_MAX];
};

struct sb_int_list {
	int	count;
	int	v[SB_LIST_MAX];
};

struct sb_variant_list {
	int			 count;
	const struct sb_variant	*v[SB_LIST_MAX];
};

/* One point of a sweep. */
struct sb_point {
	int			 idx;		/* position in the plan */
	const struct sb_variant	*variant;
	struct sb_shape		 shape;
	int			 layers;
	int			 world;
	int			 graph;		/* 1 = replay a captured CUDA graph */
};

enum sb_graph_mode { SB_GRAPH_OFF, SB_GRAPH_ON, SB_GRAPH_BOTH };

struct sb_plan {
	int		 count;
	struct sb_point	*points;	/* malloc'ed */
};

int	sb_parse_shapes(const char *spec, struct sb_shape_list *,
	    char *err, size_t errlen);
int	sb_parse_variants(const char *spec, struct sb_variant_list *,
	    char *err, size_t errlen);
/* name is the option ("--layers"); values must lie in [lo, hi]. */
int	sb_parse_int_list(const char *name, const char *spec, int lo, int hi,
	    struct sb_int_list *, char *err, size_t errlen);
const char	*sb_preset_shapes(const char *name);	/* NULL if unknown */

/* The product variants × shapes × layers × world × graph modes, in that
 * nesting order.  CPU variants take graph mode off only (graphs are a GPU
 * feature).  Returns -1 (message in err) if the plan is empty or too big. */
int	sb_plan_build(struct sb_plan *, const struct sb_variant_list *,
	    const struct sb_shape_list *, const struct sb_int_list *layers,
	    const struct sb_int_list *world, enum sb_graph_mode,
	    char *err, size_t errlen);
void	sb_plan_free(struct sb_plan *);

#endif
