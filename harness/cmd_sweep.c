/*
 * harness/cmd_sweep.c — `stepbench run` (one point) and `stepbench sweep`
 * (a product of axes), both measured by the engine into the database.
 *
 * Resume design:
 *   1. A run row stores the exact command line that made it.
 *   2. Points are numbered by their position in the plan; the plan is a
 *      pure function of the options and the variant table, so re-parsing
 *      the stored command line gives the same numbering.
 *   3. A point is done when its result row exists (one transaction per
 *      point, so a killed sweep loses at most the point in flight).
 *   4. `sweep --resume RUN` re-parses the stored command line, skips the
 *      done points and measures the rest under the same run.  A run whose
 *      process is still alive cannot be resumed.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "comm.h"
#include "db.h"
#include "device.h"
#include "engine.h"
#include "progress.h"
#include "provenance.h"
#include "registry.h"
#include "sweep.h"
#include "prof.h"

#define GPU_DEFAULT_SHAPES	"tutorial,small,1024:4096:x2"
#define CPU_DEFAULT_SHAPES	"tutorial,small"

struct sweep_args {
	const char		*cmd;		/* "run" or "sweep" */
	const char		*variants;	/* NULL = by machine */
	const char		*shapes;	/* NULL = by machine */
	const char		*layers;
	const char		*world;
	const char		*db;
	const char		*label;
	const char		*note;
	const char		*resume;
	enum sb_graph_mode	 graph;
	struct sb_engine_opts	 eo;
};

enum {
	OPT_GRAPH = SB_OPT_TIMING_END, OPT_LR, OPT_INPUT_GRAD, OPT_STEPS,
	OPT_NORMALIZE, OPT_LR_DECAY, OPT_LABEL, OPT_NOTE, OPT_DB, OPT_RESUME,
	OPT_WORLD, OPT_SCALER_INIT, OPT_SCALER_GROWTH, OPT_SCALER_BACKOFF,
	OPT_SCALER_INTERVAL, OPT_INJECT, OPT_AMP_WGRAD, OPT_PER_CHANNEL,
	OPT_DP, OPT_BUCKET_CAP, OPT_FIRST_BUCKET, OPT_OVERLAP, OPT_COMPRESS,
	OPT_NO_CUPTI, OPT_CUPTI_STEPS
};

static const struct option sweep_opts[] = {
	{ "variants", required_argument, NULL, 'v' },
	{ "shapes", required_argument, NULL, 's' },
	{ "shape", required_argument, NULL, 's' },
	{ "layers", required_argument, NULL, 'L' },
	{ "world", required_argument, NULL, OPT_WORLD },
	SB_TIMING_OPTIONS,
	{ "graph", required_argument, NULL, OPT_GRAPH },
	{ "lr", required_argument, NULL, OPT_LR },
	{ "input-grad", no_argument, NULL, OPT_INPUT_GRAD },
	{ "steps", required_argument, NULL, OPT_STEPS },
	{ "normalize", no_argument, NULL, OPT_NORMALIZE },
	{ "lr-decay", required_argument, NULL, OPT_LR_DECAY },
	{ "scaler-init", required_argument, NULL, OPT_SCALER_INIT },
	{ "scaler-growth", required_argument, NULL, OPT_SCALER_GROWTH },
	{ "scaler-backoff", required_argument, NULL, OPT_SCALER_BACKOFF },
	{ "scaler-interval", required_argument, NULL, OPT_SCALER_INTERVAL },
	{ "inject-overflow", required_argument, NULL, OPT_INJECT },
	{ "amp-wgrad", required_argument, NULL, OPT_AMP_WGRAD },
	{ "per-channel", no_argument, NULL, OPT_PER_CHANNEL },
	{ "dp", no_argument, NULL, OPT_DP },
	{ "bucket-cap", required_argument, NULL, OPT_BUCKET_CAP },
	{ "first-bucket", required_argument, NULL, OPT_FIRST_BUCKET },
	{ "overlap", no_argument, NULL, OPT_OVERLAP },
	{ "compress", required_argument, NULL, OPT_COMPRESS },
	{ "no-cupti", no_argument, NULL, OPT_NO_CUPTI },
	{ "cupti-steps", required_argument, NULL, OPT_CUPTI_STEPS },
	{ "label", required_argument, NULL, OPT_LABEL },
	{ "note", required_argument, NULL, OPT_NOTE },
	{ "db", required_argument, NULL, OPT_DB },
	{ "resume", required_argument, NULL, OPT_RESUME },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 }
};

/* Printed after sb_timing_help. */
static const char measure_help[] =
    "  -L, --layers LIST     Linear layers in the stack, e.g. 1,2,4 [1]\n"
    "      --graph MODE      off | on (replay a captured CUDA graph) | both [off]\n"
    "      --lr X            SGD learning rate [0.001]\n"
    "      --input-grad      also compute the first layer's input gradient\n"
    "      --steps N         after timing, train N steps and store the loss curve\n"
    "      --normalize       standardise each input feature (tutorial tip)\n"
    "      --lr-decay KIND   none | step (x0.1 every N/3 steps) | cosine [none]\n"
    "mixed precision (*.fp16amp.*, *.bf16amp.*):\n"
    "      --scaler-init X   GradScaler's initial loss scale [65536]\n"
    "      --scaler-growth X growth factor after an interval of good steps [2]\n"
    "      --scaler-backoff X  factor on overflow, in (0,1) [0.5]\n"
    "      --scaler-interval N good steps before the scale grows [2000]\n"
    "      --inject-overflow S with --steps: plant an inf in the gradients at\n"
    "                        step S (0-based) to exercise the skip [none]\n"
    "      --amp-wgrad TYPE  half (PyTorch: fp16/bf16 weight gradients) | f32 [half]\n"
    "dynamic int8 (*.int8dyn.*; train.int8dyn is an extension: int8 forward,\n"
    "fp16 backward with GradScaler):\n"
    "      --per-channel     int8 weights with one scale per output channel\n"
    "                        [per tensor, PyTorch's default]\n"
    "data parallel (--world R > 1, one process per rank: mpirun -n R\n"
    "stepbench sweep --world R ...; train.fp32/tf32 variants; nccl on GPUs,\n"
    "mpi on CPU ranks; docs/distributed.md):\n"
    "      --dp              world-1 points too through the DP machinery\n"
    "                        (buckets, all-reduce, sync): its overhead\n"
    "      --bucket-cap MIB  gradient bucket cap, DDP's bucket_cap_mb [25]\n"
    "      --first-bucket MIB  the first bucket's cap [1]\n"
    "      --overlap         start each bucket's all-reduce as soon as its\n"
    "                        gradients are ready, overlapping the backward\n"
    "      --compress TYPE   none | f16 | bf16: all-reduce gradients in half\n"
    "                        precision (PyTorch's fp16_compress_hook) [none]\n"
    "kernel traces (GPU; off by itself under nsys/ncu or without CUPTI):\n"
    "      --cupti-steps N   after timing, trace N more steps with CUPTI and\n"
    "                        store each kernel (name, grid, registers, time) [3]\n"
    "      --no-cupti        no CUPTI tracing\n"
    "recording:\n"
    "      --db PATH         SQLite file [$STEPBENCH_DB or ./stepbench.db]\n"
    "      --label TEXT      a short name for the run\n"
    "      --note TEXT       what the run is meant to show\n";

static int	parse_args(const char *, int, char **, struct sweep_args *,
		    int);
static int	one_point(const char *, const struct sweep_args *);
static int	execute(struct sweep_args *, int, char **);
static int	measure_plan(const char *, struct db *, int64_t,
		    const struct sb_device *, const struct sb_plan *,
		    const unsigned char *, const struct sb_engine_opts *,
		    int *, const char *);
static int	build_plan(struct sweep_args *, const struct sb_device *,
		    struct sb_plan *, int);
static int	plan_agree(const char *, const struct sb_plan *);
static void	profile_child(const char *, struct sb_engine_opts *,
		    const char *);

/* `run` measures exactly one point: one shape, one layer count, one graph
 * mode.  Returns 0 or the usage exit code. */
static int
one_point(const char *cmd, const struct sweep_args *a)
{
	struct sb_shape_list sl;
	struct sb_int_list ll;
	char err[512];

	if (sb_parse_shapes(a->shapes, &sl, err, sizeof(err)))
		return sb_usage(cmd, "%s", err);
	if (sl.count != 1)
		return sb_usage(cmd, "--shape: '%s' gives %d shapes; 'run' "
		    "measures one (use 'stepbench sweep --shapes' for several)",
		    a->shapes, sl.count);
	if (sb_parse_int_list("--layers", a->layers, 1, SB_MAX_LAYERS, &ll,
	    err, sizeof(err)))
		return sb_usage(cmd, "%s", err);
	if (ll.count != 1)
		return sb_usage(cmd, "--layers: '%s' gives %d layer counts; "
		    "'run' measures one (use 'stepbench sweep --layers')",
		    a->layers, ll.count);
	if (a->graph == SB_GRAPH_BOTH)
		return sb_usage(cmd, "--graph both gives two points; 'run' "
		    "measures one: give on or off");
	return 0;
}

/* Parses run/sweep options into a.  single = 1 for `run VARIANT`.
 * Returns 0, or an exit code (2) after printing why. */
static int
parse_args(const char *cmd, int argc, char **argv, struct sweep_args *a,
    int single)
{
	long lv;
	double dv;
	int c, rc;

	memset(a, 0, sizeof(*a));
	a->cmd = cmd;
	a->layers = "1";
	a->world = "1";
	sb_engine_opts_default(&a->eo);
	opterr = 0;
	optind = 0;
	while ((c = getopt_long(argc, argv, ":hv:s:L:", sweep_opts, NULL)) !=
	    -1) {
		switch (c) {
		case 'v':
			if (single)
				return sb_usage(cmd, "'run' takes one variant "
				    "as its argument; use 'stepbench sweep "
				    "--variants' for several");
			a->variants = optarg;
			break;
		case 's':
			a->shapes = optarg;
			break;
		case 'L':
			a->layers = optarg;
			break;
		case OPT_WORLD:
			a->world = optarg;
			break;
		case OPT_GRAPH:
			if (strcmp(optarg, "off") == 0)
				a->graph = SB_GRAPH_OFF;
			else if (strcmp(optarg, "on") == 0)
				a->graph = SB_GRAPH_ON;
			else if (strcmp(optarg, "both") == 0)
				a->graph = SB_GRAPH_BOTH;
			else
				return sb_usage(cmd, "--graph: '%s' is not "
				    "valid; give off, on or both", optarg);
			break;
		case OPT_LR:
			if (sb_opt_double(cmd, "--lr", optarg, 0, 1e6, &dv))
				return SB_EXIT_USAGE;
			a->eo.lr = (float)dv;
			break;
		case OPT_INPUT_GRAD:
			a->eo.input_grad = 1;
			break;
		case OPT_STEPS:
			if (sb_opt_int(cmd, "--steps", optarg, 1, 10000000, &lv))
				return SB_EXIT_USAGE;
			a->eo.steps = (int)lv;
			break;
		case OPT_NORMALIZE:
			a->eo.normalize = 1;
			break;
		case OPT_LR_DECAY:
			if (strcmp(optarg, "none") == 0)
				a->eo.lr_decay = SB_LR_CONST;
			else if (strcmp(optarg, "step") == 0)
				a->eo.lr_decay = SB_LR_STEP;
			else if (strcmp(optarg, "cosine") == 0)
				a->eo.lr_decay = SB_LR_COSINE;
			else
				return sb_usage(cmd, "--lr-decay: '%s' is not "
				    "valid; give none, step or cosine", optarg);
			break;
		case OPT_SCALER_INIT:
			if (sb_opt_double(cmd, "--scaler-init", optarg, 1e-30,
			    3.4e38, &dv))
				return SB_EXIT_USAGE;
			a->eo.scaler.init_scale = (float)dv;
			break;
		case OPT_SCALER_GROWTH:
			if (sb_opt_double(cmd, "--scaler-growth", optarg, 1,
			    1e6, &dv))
				return SB_EXIT_USAGE;
			a->eo.scaler.growth = (float)dv;
			break;
		case OPT_SCALER_BACKOFF:
			if (sb_opt_double(cmd, "--scaler-backoff", optarg, 0, 1,
			    &dv))
				return SB_EXIT_USAGE;
			a->eo.scaler.backoff = (float)dv;
			break;
		case OPT_SCALER_INTERVAL:
			if (sb_opt_int(cmd, "--scaler-interval", optarg, 1,
			    1000000000, &lv))
				return SB_EXIT_USAGE;
			a->eo.scaler.interval = (int)lv;
			break;
		case OPT_INJECT:
			if (sb_opt_int(cmd, "--inject-overflow", optarg, 0,
			    10000000, &lv))
				return SB_EXIT_USAGE;
			a->eo.inject_overflow = (int)lv;
			break;
		case OPT_AMP_WGRAD:
			if (strcmp(optarg, "half") == 0)
				a->eo.amp_wgrad_f32 = 0;
			else if (strcmp(optarg, "f32") == 0)
				a->eo.amp_wgrad_f32 = 1;
			else
				return sb_usage(cmd, "--amp-wgrad: '%s' is not "
				    "valid; give half or f32", optarg);
			break;
		case OPT_PER_CHANNEL:
			a->eo.int8_per_channel = 1;
			break;
		case OPT_DP:
			a->eo.dp_force = 1;
			break;
		case OPT_BUCKET_CAP:
		case OPT_FIRST_BUCKET:
			if (sb_opt_double(cmd, c == OPT_BUCKET_CAP ?
			    "--bucket-cap" : "--first-bucket", optarg, 1e-6,
			    1048576, &dv))
				return SB_EXIT_USAGE;
			if (c == OPT_BUCKET_CAP)
				a->eo.dp_bucket_cap = dv * SB_DDP_MIB;
			else
				a->eo.dp_first_bucket = dv * SB_DDP_MIB;
			break;
		case OPT_OVERLAP:
			a->eo.dp_overlap = 1;
			break;
		case OPT_COMPRESS:
			if (strcmp(optarg, "none") == 0 ||
			    strcmp(optarg, "f32") == 0)
				a->eo.dp_compress = SB_DT_F32;
			else if (strcmp(optarg, "f16") == 0 ||
			    strcmp(optarg, "fp16") == 0)
				a->eo.dp_compress = SB_DT_F16;
			else if (strcmp(optarg, "bf16") == 0)
				a->eo.dp_compress = SB_DT_BF16;
			else
				return sb_usage(cmd, "--compress: '%s' is not "
				    "valid; give none, f16 or bf16", optarg);
			break;
		case OPT_NO_CUPTI:
			a->eo.cupti = 0;
			break;
		case OPT_CUPTI_STEPS:
			if (sb_opt_int(cmd, "--cupti-steps", optarg, 0, 1000,
			    &lv))
				return SB_EXIT_USAGE;
			a->eo.cupti_steps = (int)lv;
			break;
		case OPT_LABEL:
			a->label = optarg;
			break;
		case OPT_NOTE:
			a->note = optarg;
			break;
		case OPT_DB:
			if (optarg[0] == '\0')
				return sb_usage(cmd, "--db is empty; give a "
				    "file path such as results.db");
			a->db = optarg;
			break;
		case OPT_RESUME:
			if (single)
				return sb_usage(cmd, "--resume belongs to "
				    "'stepbench sweep'");
			a->resume = optarg;
			break;
		case 'h':
			if (single)
				printf("usage: stepbench run VARIANT [--shape "
				    "MxNxK] [options]\n\nMeasures one variant "
				    "(an id from 'stepbench list') at one shape "
				    "[tutorial = 10x3x5]:\nbatch M, out-features "
				    "N, in-features K.  The result is stored as "
				    "a run of one point.\n\n  -s, --shape MxNxK "
				    "     the shape (or a preset: tutorial)\n"
				    "measuring (defaults in brackets):\n%s%s",
				    sb_timing_help, measure_help);
			else
				printf("usage: stepbench sweep [options]\n\n"
				    "Measures every point of variants x shapes "
				    "x layers x world x graph modes,\nchecking "
				    "each against an fp64 reference before and "
				    "after timing, and stores\nevery result, raw "
				    "sample and phase time in the database.  "
				    "With no options:\nthe GPU variants at "
				    GPU_DEFAULT_SHAPES " on a GPU machine, the "
				    "CPU variants\nat " CPU_DEFAULT_SHAPES
				    " without one.\n\n"
				    "  -v, --variants GLOBS  comma-separated globs "
				    "over ids, e.g. 'train.*.cublas'\n"
				    "  -s, --shapes LIST     MxNxK items, ranges "
				    "START:END:xF or START:END:+S,\n"
				    "                        presets tutorial "
				    "(10x3x5), small (64:512:x2),\n"
				    "                        headline "
				    "(1024:8192:x2)\n"
				    "      --world LIST      data-parallel world "
				    "sizes [1]; R > 1 needs R processes\n"
				    "                        (mpirun -n R)\n"
				    "      --resume RUN      measure the points a "
				    "killed or aborted run is missing\n"
				    "measuring (defaults in brackets):\n%s%s\n"
				    "A row is printed per point; stderr shows "
				    "progress when it is a terminal.\nExit "
				    "status: 0 every point ok or skipped, 1 a "
				    "point failed or mismatched,\n2 bad usage "
				    "(nothing written), 130 interrupted (resume "
				    "it).\n", sb_timing_help, measure_help);
			return -1;
		default:
			if ((rc = sb_timing_opt(cmd, c, optarg, &a->eo)) < 0)
				return SB_EXIT_USAGE;
			if (rc == 0)
				return sb_bad_option(cmd, argc, argv, c);
			break;
		}
	}
	if (single) {
		if (optind >= argc)
			return sb_usage(cmd, "which variant? e.g. 'stepbench "
			    "run train.fp32.cpu' ('stepbench list' shows "
			    "them)");
		if (sb_variant_find(argv[optind]) == NULL)
			return sb_usage(cmd, "'%s' is not a variant id; "
			    "'stepbench list' shows them (e.g. "
			    "train.fp32.cublas)", argv[optind]);
		a->variants = argv[optind++];
		if (a->shapes == NULL)
			a->shapes = "tutorial";
		if ((c = one_point(cmd, a)) != 0)
			return c;
	}
	if (optind < argc)
		return sb_usage(cmd, "unexpected argument '%s'", argv[optind]);
	if (a->eo.min_samples > a->eo.max_samples)
		return sb_usage(cmd, "--min-samples %d is above --max-samples "
		    "%d", a->eo.min_samples, a->eo.max_samples);
	if (a->resume != NULL && (a->variants != NULL || a->shapes != NULL))
		return sb_usage(cmd, "--resume takes the run's own options; "
		    "drop --variants/--shapes");
	{
		char why[256];

		if (sb_scaler_cfg_check(&a->eo.scaler, why, sizeof(why)))
			return sb_usage(cmd, "%s", why);
	}
	if (a->eo.inject_overflow >= 0 && a->eo.inject_overflow >=
	    a->eo.steps)
		return sb_usage(cmd, "--inject-overflow %d needs --steps N with "
		    "N > %d (the step to plant the inf in is 0-based)",
		    a->eo.inject_overflow, a->eo.inject_overflow);
	return 0;
}

/* Resolves defaults by machine and builds the plan.  quiet_defaults
 * suppresses the note about defaults (when resuming). */
static int
build_plan(struct sweep_args *a, const struct sb_device *dev,
    struct sb_plan *plan, int quiet_defaults)
{
	struct sb_variant_list vl;
	struct sb_shape_list sl;
	struct sb_int_list ll, wl;
	char err[512];
	int gpu = dev->gpu_count > 0;

	if (a->variants == NULL) {
		a->variants = gpu ?
		    "*.naive,*.warptile,*.mma,*.wgmma,*.imma,*.cublas,"
		    "infer.int8dyn.cublaslt" : "*.cpu";
		if (!quiet_defaults && !gpu)
			fprintf(stderr, "stepbench %s: no GPU (%s): measuring "
			    "the CPU variants; --variants chooses others\n",
			    a->cmd, dev->no_gpu_reason);
	}
	if (a->shapes == NULL)
		a->shapes = gpu ? GPU_DEFAULT_SHAPES : CPU_DEFAULT_SHAPES;
	if (sb_parse_variants(a->variants, &vl, err, sizeof(err)) ||
	    sb_parse_shapes(a->shapes, &sl, err, sizeof(err)) ||
	    sb_parse_int_list("--layers", a->layers, 1, SB_MAX_LAYERS, &ll,
	    err, sizeof(err)) ||
	    sb_parse_int_list("--world", a->world, 1, 65536, &wl, err,
	    sizeof(err)) ||
	    sb_plan_build(plan, &vl, &sl, &ll, &wl, a->graph, err,
	    sizeof(err)))
		return sb_usage(a->cmd, "%s", err);
	for (int i = 0; i < wl.count; i++) {
		int jobs = sb_comm_size();

		if (wl.v[i] <= jobs)
			continue;
		sb_plan_free(plan);
		if (!sb_comm_built_with_mpi())
			return sb_usage(a->cmd, "--world %d needs %d processes, "
			    "one per rank, and this build has no MPI: it runs "
			    "single-process only (world 1).  Install MPI "
			    "(apt-get install libopenmpi-dev openmpi-bin), "
			    "rebuild, and run 'mpirun -n %d stepbench %s "
			    "--world %d ...'", wl.v[i], wl.v[i], wl.v[i],
			    a->cmd, wl.v[i]);
		return sb_usage(a->cmd, "--world %d needs %d processes, one per "
		    "rank (GPU or CPU); this job has %d.  Run it under MPI: "
		    "'mpirun -n %d stepbench %s --world %d ...' (srun works "
		    "too)", wl.v[i], wl.v[i], jobs, wl.v[i], a->cmd, wl.v[i]);
	}
	return 0;
}

/*
 * A multi-process job: every rank must walk the same plan, point for
 * point, or their collectives pair up wrongly.  Defaults depend on the
 * machine (GPU or not), so a rank that sees no GPU where rank 0 sees one
 * would plan otherwise.  A hash of the plan, compared over the job.
 * Returns 0, or an exit code after saying why.
 */
static int
plan_agree(const char *cmd, const struct sb_plan *plan)
{
	struct sb_comm *all;
	uint64_t h = 1469598103934665603ull;	/* FNV-1a */
	double lo, hi;
	char err[384];

	if (sb_comm_size() == 1)
		return 0;
	for (int i = 0; i < plan->count; i++) {
		const struct sb_point *pt = &plan->points[i];
		char key[256];

		snprintf(key, sizeof(key), "%s %lld %lld %lld %d %d %d;",
		    pt->variant->id, (long long)pt->shape.m,
		    (long long)pt->shape.n, (long long)pt->shape.k, pt->layers,
		    pt->world, pt->graph);
		for (const char *c = key; *c != '\0'; c++)
			h = (h ^ (unsigned char)*c) * 1099511628211ull;
	}
	lo = hi = (double)(h >> 12);	/* exact in a double */
	if (sb_comm_get(SB_COMM_MPI, sb_comm_size(), &all, err,
	    sizeof(err)) != 0 ||
	    sb_comm_allreduce_host(all, NULL, &lo, 1, SB_CD_F64, SB_RED_MIN,
	    err, sizeof(err)) != 0 ||
	    sb_comm_allreduce_host(all, NULL, &hi, 1, SB_CD_F64, SB_RED_MAX,
	    err, sizeof(err)) != 0)
		return sb_fail(cmd, "comparing the ranks' plans: %s", err);
	if (lo != hi)
		return sb_fail(cmd, "the ranks of this job planned different "
		    "sweeps (rank %d: %d points); with defaults that depend on "
		    "the machine (a rank without a GPU), give --variants and "
		    "--shapes explicitly", sb_comm_rank(), plan->count);
	return 0;
}

/*
 * Under `stepbench profile` (harness/cmd_profile.c), which sets
 * STEPBENCH_PROFILE=<tool> and STEPBENCH_PROFILE_RUNFILE=<path>: the run's
 * UUID goes to that file once the run row exists (uuid NULL: a rank other
 * than 0, which has none), so that the parent can link what the tool
 * measured to this run, and each GPU point starts its capture window with
 * the marker kernel that tells the tool's launches apart by point.
 */
static void
profile_child(const char *cmd, struct sb_engine_opts *eo, const char *uuid)
{
	const char *tool = getenv("STEPBENCH_PROFILE");
	const char *path = getenv("STEPBENCH_PROFILE_RUNFILE");
	FILE *f;

	if (tool == NULL || tool[0] == '\0')
		return;
	eo->profile_marker = 1;
	if (uuid == NULL || path == NULL || path[0] == '\0')
		return;
	if ((f = fopen(path, "w")) != NULL) {
		int bad = fprintf(f, "%s\n", uuid) < 0;

		if (fclose(f) == 0 && !bad)
			return;
	}
	/* the measurements stand; only the import will lack the run */
	fprintf(stderr, "stepbench %s: cannot write run %s to "
	    "STEPBENCH_PROFILE_RUNFILE=%s; 'stepbench profile' will not find "
	    "the run\n", cmd, uuid, path);
}

/* Measures the points of plan not marked in done; stores each. */
static int
measure_plan(const char *cmd, struct db *db, int64_t run_id,
    const struct sb_device *dev, const struct sb_plan *plan,
    const unsigned char *done, const struct sb_engine_opts *eo,
    int *any_failed, const char *label)
{
	struct sb_engine *eng;
	struct sb_progress pr;
	int todo = 0, rc = 0;

	for (int i = 0; i < plan->count; i++)
		todo += !done[i];
	if (sb_engine_create(&eng, dev))
		return sb_fail(cmd, "out of memory");
	if (db == NULL) {
		/* a rank other than 0 of a multi-process job: it takes part
		 * in the data-parallel points, quietly; rank 0 stores them */
		for (int i = 0; i < plan->count && !sb_engine_interrupted;
		    i++) {
			const struct sb_point *pt = &plan->points[i];
			struct sb_outcome o;
			int er;

			if (pt->world == 1 && !eo->dp_force)
				continue;
			er = sb_engine_run(eng, pt, eo, &o);
			if (er == 0 && strcmp(o.r.status, "failed") == 0 &&
			    pt->world > 1) {
				/* the other ranks may be inside a collective
				 * this rank left: the job cannot go on */
				fprintf(stderr, "stepbench %s: rank %d: point "
				    "%d failed: %s\n", cmd, sb_comm_rank(),
				    pt->idx, o.r.reason);
				er = -1;
			}
			sb_outcome_free(&o);
			if (er != 0) {
				rc = er < 0 ? SB_EXIT_FAIL : SB_EXIT_INTR;
				break;
			}
		}
		if (rc == 0 && sb_engine_interrupted)
			rc = SB_EXIT_INTR;
		sb_engine_destroy(eng);
		return rc;
	}
	sb_progress_begin(&pr, plan->count, todo);
	sb_table_header(stdout);
	{
		char mark[256];

		snprintf(mark, sizeof(mark), "run %lld%s%s", (long long)run_id,
		    label != NULL ? " label " : "", label != NULL ? label : "");
		prof_sweep_begin("sweep", run_id, mark);
	}
	for (int i = 0; i < plan->count && !sb_engine_interrupted; i++) {
		struct sb_outcome o;
		int er;

		if (done[i])
			continue;
		sb_progress_point(&pr, &plan->points[i]);
		er = sb_engine_run(eng, &plan->points[i], eo, &o);
		if (er == 1) {		/* interrupted mid-point */
			sb_outcome_free(&o);
			break;
		}
		if (db_result_add(db, run_id, &o.r)) {
			sb_progress_end(&pr);
			rc = sb_fail(cmd, "%s", db_errmsg(db));
			sb_outcome_free(&o);
			break;
		}
		sb_progress_result(&pr, &o.r);
		if (strcmp(o.r.status, "ok") != 0 &&
		    strcmp(o.r.status, "skipped") != 0)
			*any_failed = 1;
		if (er == 0 && sb_comm_size() > 1 &&
		    plan->points[i].world > 1 &&
		    strcmp(o.r.status, "failed") == 0) {
			/* stored; but the other ranks may be inside a
			 * collective this rank left */
			sb_outcome_free(&o);
			sb_progress_end(&pr);
			rc = sb_fail(cmd, "data-parallel point %d failed on rank "
			    "0 (stored); the other ranks cannot continue, so "
			    "the job stops here", plan->points[i].idx);
			break;
		}
		sb_outcome_free(&o);
		if (er < 0) {
			sb_progress_end(&pr);
			rc = sb_fail(cmd, "the GPU is in an unrecoverable "
			    "error state (see the failed point); a new process "
			    "must continue");
			break;
		}
	}
	prof_pop();
	sb_progress_end(&pr);
	fprintf(stderr, "%d point%s measured: %d ok, %d skipped, %d mismatch, "
	    "%d failed\n", pr.done, pr.done == 1 ? "" : "s", pr.ok, pr.skipped,
	    pr.mismatch, pr.failed);
	sb_engine_destroy(eng);
	return rc;
}

static int
execute(struct sweep_args *a, int argc, char **argv)
{
	struct sb_device dev;
	struct sb_plan plan = { 0, NULL };
	struct db *db = NULL;
	struct db_run_row row;
	unsigned char *done = NULL;
	char uuid[40], **sargv = NULL;
	int64_t run_id = 0;
	int rc, any_failed = 0, sargc = 0, ended = 0, hard = 0;
	const char *path = sb_db_path(a->db);
	const int jobs = sb_comm_size();

	sb_device_probe(&dev);
	if (jobs > 1 && a->resume != NULL)
		return sb_usage(a->cmd, "--resume runs in one process; a "
		    "multi-process (mpirun) sweep that was cut short is run "
		    "again instead");
	if (sb_comm_rank() != 0) {
		/* the same plan as rank 0; no database, no output */
		if ((rc = build_plan(a, &dev, &plan, 1)) != 0)
			return rc;
		if ((rc = plan_agree(a->cmd, &plan)) != 0)
			sb_comm_abort(rc);
		if ((done = calloc(plan.count, 1)) == NULL)
			return sb_fail(a->cmd, "out of memory");
		profile_child(a->cmd, &a->eo, NULL);
		sb_cli_catch_interrupts();
		rc = measure_plan(a->cmd, NULL, 0, &dev, &plan, done, &a->eo,
		    &any_failed, NULL);
		free(done);
		sb_plan_free(&plan);
		if (rc != 0)
			sb_comm_abort(rc);	/* rank 0 would wait forever */
		return 0;
	}
	if (a->resume != NULL) {
		struct sweep_args orig;

		if ((db = sb_db_open_cli(a->cmd, path, DB_OPEN_EXISTING)) == NULL)
			return SB_EXIT_USAGE;
		rc = db_run_find(db, a->resume, &row);
		if (rc != 0) {
			fprintf(stderr, "stepbench %s: %s\n", a->cmd,
			    db_errmsg(db));
			rc = rc == DB_NOTFOUND ? SB_EXIT_USAGE : SB_EXIT_FAIL;
			goto out;
		}
		if (strcmp(row.status, "running") == 0) {
			rc = sb_usage(a->cmd, "run %s is still running (pid "
			    "%lld on %s); wait for it or stop it first",
			    row.uuid, (long long)row.pid, row.host);
			goto out;
		}
		if (db_run_argv(db, row.id, &sargc, &sargv)) {
			rc = sb_fail(a->cmd, "%s", db_errmsg(db));
			goto out;
		}
		if (sargc < 2 || (strcmp(sargv[1], "sweep") != 0 &&
		    strcmp(sargv[1], "run") != 0)) {
			rc = sb_fail(a->cmd, "run %s was not made by 'stepbench "
			    "sweep' or 'run'; it cannot be resumed", row.uuid);
			goto out;
		}
		rc = parse_args(sargv[1], sargc - 1, sargv + 1, &orig,
		    strcmp(sargv[1], "run") == 0);
		if (rc != 0) {
			rc = sb_fail(a->cmd, "the stored command line of run %s "
			    "no longer parses", row.uuid);
			goto out;
		}
		orig.cmd = a->cmd;
		if ((rc = build_plan(&orig, &dev, &plan, 1)) != 0)
			goto out;
		if (plan.count != row.planned_points) {
			rc = sb_fail(a->cmd, "run %s planned %d points but its "
			    "command line now gives %d (the variant table "
			    "changed); start a new sweep", row.uuid,
			    row.planned_points, plan.count);
			goto out;
		}
		if ((done = calloc(plan.count, 1)) == NULL ||
		    db_run_done_points(db, row.id, done, plan.count)) {
			rc = sb_fail(a->cmd, "%s", db ? db_errmsg(db) :
			    "out of memory");
			goto out;
		}
		if (db_run_reopen(db, row.id, getpid(),
		    sb_proc_start(getpid()))) {
			rc = sb_fail(a->cmd, "%s", db_errmsg(db));
			goto out;
		}
		run_id = row.id;
		snprintf(uuid, sizeof(uuid), "%s", row.uuid);
		fprintf(stderr, "stepbench %s: resuming run %s: %d of %d "
		    "points done\n", a->cmd, uuid, row.done_points, plan.count);
		a->eo = orig.eo;
	} else {
		/* everything is validated before the database is touched */
		if ((rc = build_plan(a, &dev, &plan, 0)) != 0)
			return rc;
		if ((rc = plan_agree(a->cmd, &plan)) != 0) {
			sb_plan_free(&plan);
			sb_comm_abort(rc);
		}
		if ((done = calloc(plan.count, 1)) == NULL)
			return sb_fail(a->cmd, "out of memory");
		if ((db = sb_db_open_cli(a->cmd, path, DB_OPEN_WRITE)) ==
		    NULL) {
			rc = SB_EXIT_USAGE;
			goto out;
		}
		if ((rc = sb_cli_run_begin(a->cmd, db, &dev, argc, argv,
		    a->label, a->note, plan.count, uuid, &run_id)) != 0)
			goto out;
	}

	profile_child(a->cmd, &a->eo, uuid);
	sb_cli_catch_interrupts();
	rc = measure_plan(a->cmd, db, run_id, &dev, &plan, done, &a->eo,
	    &any_failed, a->label);
	hard = rc != 0;
	/* a resumed run keeps the failures of its earlier points */
	if (a->resume != NULL && db_run_find(db, uuid, &row) == 0 &&
	    row.failed_points > 0)
		any_failed = 1;
	if (sb_engine_interrupted) {
		db_run_end(db, run_id, "aborted");
		if (jobs > 1)
			fprintf(stderr, "stepbench %s: interrupted; run %s is "
			    "marked aborted (a multi-process run is not "
			    "resumed: run the command again)\n", a->cmd, uuid);
		else
			fprintf(stderr, "stepbench %s: interrupted; run %s is "
			    "marked aborted; 'stepbench sweep --resume %.8s "
			    "--db %s' finishes it\n", a->cmd, uuid, uuid, path);
		rc = SB_EXIT_INTR;
	} else if (db_run_end(db, run_id, rc != 0 || any_failed ? "failed" :
	    "ok")) {
		rc = sb_fail(a->cmd, "%s", db_errmsg(db));
	} else {
		ended = 1;
		if (rc == 0 && any_failed)
			rc = SB_EXIT_FAIL;
	}
	if (ended)
		fprintf(stderr, "run %s stored in %s; 'stepbench export %.8s -' "
		    "prints it\n", uuid, path, uuid);
out:
	for (int i = 0; i < sargc; i++)
		free(sargv[i]);
	free(sargv);
	free(done);
	sb_plan_free(&plan);
	db_close(db);
	/* rank 0 leaving early (the database, an interrupt, a failed data-
	 * parallel point): the other ranks may be waiting in a collective */
	if (jobs > 1 && (!ended || hard))
		sb_comm_abort(rc != 0 ? rc : SB_EXIT_FAIL);
	return rc;
}

int
cmd_sweep(int argc, char **argv)
{
	struct sweep_args a;
	int rc;

	if ((rc = parse_args("sweep", argc, argv, &a, 0)) != 0)
		return rc < 0 ? SB_EXIT_OK : rc;
	/* argv here starts at "sweep": store the whole command line */
	return execute(&a, argc + 1, argv - 1);
}

int
sb_sweep_check_args(int argc, char **argv)
{
	struct sweep_args a;
	char **v;
	int rc;

	/* parse_args wants the command's name first, as getopt does */
	if ((v = calloc((size_t)argc + 2, sizeof(*v))) == NULL)
		return sb_fail("sweep", "out of memory");
	v[0] = (char *)"sweep";
	memcpy(v + 1, argv, (size_t)argc * sizeof(*v));
	rc = parse_args("sweep", argc + 1, v, &a, 0);
	free(v);
	if (rc != 0)
		return rc;
	{
		/* what build_plan parses, where the user gave it (the
		 * defaults depend on the machine and are valid) */
		struct sb_variant_list vl;
		struct sb_shape_list sl;
		struct sb_int_list ll, wl;
		char err[512];

		if ((a.variants != NULL && sb_parse_variants(a.variants, &vl,
		    err, sizeof(err))) || (a.shapes != NULL &&
		    sb_parse_shapes(a.shapes, &sl, err, sizeof(err))) ||
		    sb_parse_int_list("--layers", a.layers, 1, SB_MAX_LAYERS,
		    &ll, err, sizeof(err)) ||
		    sb_parse_int_list("--world", a.world, 1, 65536, &wl, err,
		    sizeof(err)))
			return sb_usage("sweep", "%s", err);
	}
	return 0;
}

int
cmd_run(int argc, char **argv)
{
	struct sweep_args a;
	int rc;

	if ((rc = parse_args("run", argc, argv, &a, 1)) != 0)
		return rc < 0 ? SB_EXIT_OK : rc;
	return execute(&a, argc + 1, argv - 1);
}
