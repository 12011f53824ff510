/*
 * db/db.h — the results store.  The only code in stepbench that speaks SQL.
 *
 * One SQLite file (default stepbench.db): WAL, STRICT tables, migrations on
 * PRAGMA user_version, PRAGMA application_id marks the file as ours.  Every
 * write is one BEGIN IMMEDIATE transaction: a run row when a sweep starts,
 * one transaction per finished point (result + raw samples + phases + loss
 * curve), one when the run ends — so a sweep killed at any moment leaves every
 * completed point readable.
 *
 * Functions return 0 on success, DB_NOTFOUND where documented, or -1 with a
 * message (what failed, the SQLite error, what to do) in db_errmsg().
 * No SQLite, CUDA or Kore type crosses this header.
 */
#ifndef SB_DB_H
#define SB_DB_H

#include <stdint.h>
#include <stdio.h>

#define DB_SCHEMA_VERSION	6
#define DB_APPLICATION_ID	0x53544250	/* "STBP" */
#define DB_NOTFOUND		1

struct db;

enum db_open_mode {
	DB_OPEN_WRITE,		/* create if missing, migrate, may write */
	DB_OPEN_EXISTING,	/* must exist; migrate, may write */
	DB_OPEN_READONLY	/* must exist; never writes (web, export) */
};

/*
 * Opens path.  On failure returns -1, *out = NULL, and err holds a message
 * that names the path and what to do, for at least these cases: the
 * directory does not exist or is not writable; the file is missing
 * (EXISTING/READONLY); the file is not a SQLite file or not a stepbench
 * database (application_id differs and the file is not empty); the schema
 * is newer than DB_SCHEMA_VERSION.  A failed open changes nothing on disk
 * (no file created, no WAL switch, no migration) except in the case of a
 * successful migration.
 */
int		 db_open(struct db **out, const char *path, enum db_open_mode,
		    char *err, size_t errlen);
void		 db_close(struct db *);
const char	*db_errmsg(struct db *);
const char	*db_sqlite_version(void);
int		 db_schema_version(struct db *);

/* --- runs ------------------------------------------------------------- */

struct db_run_info {
	const char	*uuid;		/* 36-char UUID, unique */
	const char	*label;		/* may be NULL */
	const char	*note;		/* may be NULL */
	int		 argc;		/* the command line, stored as JSON array */
	char *const	*argv;
	const char	*git_rev;	/* build's git revision */
	int		 git_dirty;
	const char	*host;
	int64_t		 pid;
	int64_t		 pid_start;	/* process start time (clock ticks since boot) */
	const char	*env_json;	/* environment as a JSON object (text) */
	const char	*device;	/* short device name, e.g. "NVIDIA H100" or "cpu: ..." */
	int		 planned_points;
};

/* Inserts a run with status 'running' and started_at = now (UTC ISO-8601).
 * The environment is deduplicated by a hash of env_json. */
int	db_run_begin(struct db *, const struct db_run_info *, int64_t *run_id);

/* status: "ok", "failed" or "aborted"; sets ended_at = now. */
int	db_run_end(struct db *, int64_t run_id, const char *status);

/* Marks the run 'running' again under a new pid (sweep --resume). */
int	db_run_reopen(struct db *, int64_t run_id, int64_t pid,
	    int64_t pid_start);

struct db_run_row {
	int64_t	 id;
	char	 uuid[40];
	char	 status[16];
	char	 started_at[32];
	char	 ended_at[32];	/* "" while running */
	char	 host[128];
	char	 device[128];
	char	 label[128];
	char	 note[256];
	int64_t	 pid;
	int64_t	 pid_start;
	int	 planned_points;
	int	 done_points;	/* result rows */
	int	 ok_points;	/* result rows with status 'ok' */
	int	 failed_points;	/* result rows 'mismatch' or 'failed' */
};

/* Finds a run by integer id, full UUID, or a unique UUID prefix (≥ 4
 * chars).  Returns DB_NOTFOUND (with a message naming ref) if none or the
 * prefix is ambiguous. */
int	db_run_find(struct db *, const char *ref, struct db_run_row *out);

/* Calls fn for every run, newest first; stops early if fn returns non-zero. */
int	db_run_foreach(struct db *, int (*fn)(const struct db_run_row *,
	    void *), void *ctx);

/* The stored command line; *argv is malloc'ed (free each string, then it). */
int	db_run_argv(struct db *, int64_t run_id, int *argc, char ***argv);

/* done[i] = 1 for each point index i < n that has a result row. */
int	db_run_done_points(struct db *, int64_t run_id, unsigned char *done,
	    int n);

/*
 * Runs still 'running' on this host whose process is gone (alive() returns
 * 0 for their pid/pid_start) are marked 'aborted' with ended_at = now.
 * *count receives how many were marked (may be NULL).
 */
int	db_mark_stale_runs(struct db *, const char *host,
	    int (*alive)(int64_t pid, int64_t pid_start), int *count);

/* --- results ------------------------------------------------------------ */

struct db_phase {
	const char	*name;		/* "forward", "loss", "backward.wgrad", ... */
	double		 median_us;
};

/*
 * One kind of hand-written kernel launch a result makes: a GEMM of the step
 * (role "forward" per layer, "backward.wgrad", "backward.dgrad") or of
 * `stepbench gemm` ("gemm").  Negative integers, an m/n/k or sms below 1
 * and NaN doubles are stored as NULL (not known); NULL strings too.
 */
struct db_launch {
	const char	*role;		/* required */
	int		 layer;		/* -1: not a layer's */
	const char	*layout;	/* "nt" | "tn" | "nn" | NULL */
	int64_t		 m, n, k;	/* the call's sizes */
	const char	*name;		/* the kernel, e.g. "gemm_f32.warptile.nt" */
	int64_t		 grid[3], block[3];	/* required, >= 0 */
	int64_t		 dyn_smem;	/* bytes per CTA */
	int		 regs;		/* per thread */
	int		 static_smem;	/* bytes per CTA */
	int		 local_bytes;	/* per thread; > 0: spills or a stack */
	int		 max_threads;	/* per CTA for this kernel */
	int		 ptx_version, binary_version;	/* x10 */
	int		 ctas_per_sm;	/* 0: cannot launch */
	int		 sms;
	double		 waves, tail_util, efficiency;	/* harness/waves.h */
};

/*
 * One all-reduce of a data-parallel result (schema v5, table comm): a
 * gradient bucket of the step (bucket 0, 1, ... in all-reduce order), or
 * the single collective of an allreduce row (bucket 0).  nparams and the
 * layers are -1 (NULL) for an allreduce row.  The times are medians over
 * the samples (max over ranks per sample); the bandwidths are
 * harness/ddp.h's sb_algbw_gbps / sb_busbw_gbps of bytes and median_us.
 */
struct db_comm {
	int		 bucket;
	int		 nparams;
	int		 layer_hi, layer_lo;	/* the bucket's layers */
	int64_t		 bytes;			/* as all-reduced */
	double		 median_us, min_us;
	double		 algbw_gbps, busbw_gbps;
};

/*
 * One kernel, memset or memcpy of a result's CUPTI-traced step (schema v6,
 * table kernel; profiler/cupti.h).  idx orders the step's records by start
 * time.  Negative integers and NaN doubles are stored as NULL (not known or
 * not applicable: a memcpy has no grid); NULL strings too.
 */
struct db_kernel {
	int		 idx;		/* 0, 1, ... in the step */
	const char	*kind;		/* "kernel" | "memset" | "memcpy" */
	const char	*name;		/* kernel: its demangled name; memcpy:
					 * "memcpy HtoD" etc.; memset: "memset" */
	const char	*phase;		/* sb_phase_name(); NULL: not known
					 * (a graph replay has no phase marks) */
	int64_t		 stream;	/* CUPTI's stream id */
	int64_t		 grid[3], block[3];
	int		 regs;		/* per thread */
	int		 static_smem;	/* bytes per CTA */
	int64_t		 dyn_smem;	/* bytes per CTA */
	int		 local_bytes;	/* per thread */
	int64_t		 bytes;		/* memcpy / memset */
	double		 duration_us;	/* median over the traced steps, >= 0 */
	double		 start_us;	/* from the step's first record (the
					 * last traced step) */
};

/* Any double that is NaN is stored as NULL (not measured / not applicable). */
struct db_result {
	int		 point_idx;	/* position in the run's plan; unique per run */
	const char	*variant;	/* dotted id, e.g. "train.fp32.cublas" */
	const char	*mode;		/* "train" | "infer" */
	const char	*precision;	/* "fp32", "tf32", ... */
	const char	*impl;		/* "cpu", "naive", "cublas", ... */
	int64_t		 m, n, k;
	int		 layers, world, graph, l2_flush, input_grad;
	const char	*status;	/* "ok" | "mismatch" | "failed" | "skipped" */
	const char	*reason;	/* why not ok; NULL when ok */
	const char	*started_at;	/* NULL = now */
	/* timing (per step, microseconds) */
	int		 nsamples;
	const double	*samples_us;	/* nsamples raw times, in order taken */
	int		 warmup;
	int		 reps;		/* steps per timed sample (1 on GPUs) */
	double		 median_us, mean_us, min_us, max_us, p10_us, p90_us;
	double		 cv;		/* stdev / mean */
	const char	*stop_reason;	/* "noise" | "max-samples" | "timeout" */
	double		 flops, bytes;	/* per step, from the op's counts */
	double		 tflops, gbps;	/* from the median */
	double		 peak_tflops, peak_gbps;	/* device ceilings used */
	int		 over_peak;	/* 1 if a figure exceeds a ceiling; -1 unknown */
	/* correctness: relative L2 errors vs the fp64 reference */
	double		 err_y, err_loss, err_dw, err_db, err_w, tol;
	double		 err_dx;	/* activation gradients (hidden dy, dx) */
	const char	*check_mode;	/* "full" | "sampled" */
	double		 err_recheck;	/* largest error (any family) of the
					 * re-check after timing */
	double		 loss;		/* loss of the checked step */
	int		 nphases;
	const struct db_phase *phases;
	/* --steps N: loss per step (nsteps values), and the learning rate used */
	int		 nsteps;
	const double	*loss_curve;
	const double	*lr_curve;
	/* schema v2.  layout: a gemm row's ("nt", "tn", "nn"), NULL for a
	 * step.  launches: operations one eager step enqueues (kernels,
	 * memsets, library calls); graph_nodes: nodes of the captured
	 * graph; 0 = not known (stored as NULL: a step has at least one). */
	const char	*layout;
	int64_t		 launches;
	int64_t		 graph_nodes;
	int		 nlaunch_info;
	const struct db_launch *launch_info;
	/* schema v3 (mixed precision), per step of --steps (nsteps values
	 * each; NULL: not recorded).  scale: the loss scale the step ran
	 * with; skipped: 1 if the scaler found inf/NaN and skipped the
	 * update; growth_tracker: the scaler's count of good steps after
	 * the step's update.  ref_loss_curve: the loss of the same steps
	 * taken by the fp32 step from the same state (the curve an AMP
	 * curve is compared with); loss_divergence: max over steps of
	 * |loss - ref_loss| / |ref_loss| (NaN: not measured).
	 * Stored as: one scaler row per step when scale_curve != NULL
	 * (skipped_curve is then required; growth_curve NULL stores
	 * growth_tracker NULL; a scale that is not finite and > 0, a
	 * skipped other than 0/1 or a negative growth count is refused);
	 * loss_curve.ref_loss (NaN or a NULL curve: NULL); and
	 * result.loss_divergence, NULL unless ref_loss_curve != NULL and
	 * it is finite (callers that memset the struct store NULL, not 0;
	 * a negative value is refused). */
	const double	*scale_curve;
	const int	*skipped_curve;
	const int	*growth_curve;
	const double	*ref_loss_curve;
	double		 loss_divergence;
	/* schema v4 (int8dyn).  quant = 1 marks a dynamic-int8 row and
	 * stores the quant_* columns (0: all NULL).  per_channel: the
	 * weights' granularity (0 per tensor, 1 per output channel);
	 * err_sym / err_affine: the relative L2 error against the fp64
	 * unquantised forward of the symmetric scheme the GPU runs and of
	 * PyTorch's (uint8 affine activations), measured on the host for
	 * the point's data (NaN: not measured, stored NULL); sat_act /
	 * sat_weight: elements clamped when quantising the checked step's
	 * activations and weights, as counted by the variant itself (-1:
	 * not counted, stored NULL).  Negative errors are refused. */
	int		 quant;
	int		 quant_per_channel;
	double		 quant_err_sym, quant_err_affine;
	int64_t		 quant_sat_act, quant_sat_weight;
	/* schema v5 (data parallel).  dp = 1 marks a row measured with the
	 * data-parallel machinery (a step with --world/--comm, or a row of
	 * `stepbench allreduce`) and stores the dp_* columns and its comm
	 * rows; dp = 0 stores them all NULL (ncomm > 0 with dp = 0 is
	 * refused).  NaN doubles, NULL strings and negative ints are
	 * stored as NULL; a string outside its list, a flag above 1 or an
	 * overlap fraction outside [0, 1] is refused.
	 * dp_backend: "nccl" | "mpi"; dp_bucket_cap, dp_first_bucket: the
	 * caps in bytes; dp_overlap: 1 with --overlap; dp_compress: the
	 * dtype gradients travel in ("f32", or "f16"/"bf16" compressed; an
	 * allreduce row's dtype); dp_op: "sum" | "avg"; dp_inplace: 1/0
	 * (allreduce rows; -1 for steps).  dp_compute_us: the median of the
	 * same local step without communication; dp_comm_us: the median per
	 * step of the buckets' all-reduce times summed; dp_exposed_us,
	 * dp_overlap_frac, dp_overhead: harness/ddp.h's sb_overlap of
	 * (median_us, dp_compute_us, dp_comm_us).  Negative times or
	 * bytes are refused. */
	int		 dp;
	const char	*dp_backend;
	double		 dp_bucket_cap, dp_first_bucket;
	int		 dp_overlap;
	const char	*dp_compress;
	const char	*dp_op;
	int		 dp_inplace;
	double		 dp_compute_us, dp_comm_us;
	double		 dp_exposed_us, dp_overlap_frac, dp_overhead;
	int		 ncomm;
	const struct db_comm *comm;
	/* schema v6 (profiling).  cupti: what CUPTI tracing did for this
	 * point: "ok" (its kernel rows stored), or "off: <why>" (e.g. "off:
	 * --no-cupti", "off: ncu is attached") or "unavailable: <why>";
	 * NULL: not a GPU step (stored NULL).  cupti_steps: the steps
	 * traced; cupti_launches: records per traced step (kernels, memsets,
	 * memcpys; the largest over the traced steps), to set beside
	 * launches; cupti_kernel_us: the sum of their durations per step
	 * (median over the traced steps); cupti_event_us: the event time of
	 * the same steps (median).  0 / -1 / NaN store NULL.  nkernels rows
	 * go to table kernel (nkernels > 0 needs kernels != NULL).
	 * fingerprint: 16 lower-case hex digits, FNV-1a 64 of
	 * fingerprint_json, the provenance the point's numbers depend on
	 * (harness/fingerprint.h: kernel attributes, nvcc flags, library
	 * versions, GPU UUID); both NULL or both set, the JSON an object. */
	const char	*cupti;
	int		 cupti_steps;
	int64_t		 cupti_launches;
	double		 cupti_kernel_us, cupti_event_us;
	int		 nkernels;
	const struct db_kernel *kernels;
	const char	*fingerprint;
	const char	*fingerprint_json;
};

/* Inserts the result and its samples, phases, loss curve, loss-scale
 * trajectory, launch facts and all-reduces (comm) in one BEGIN IMMEDIATE
 * transaction; a value outside the schema's range is refused with the
 * field named, and nothing is stored. */
int	db_result_add(struct db *, int64_t run_id, const struct db_result *);

/* --- profiles (schema v6): what nsys / ncu measured, imported ------------ */

/* One `stepbench profile` session of a run: the tool, its report file
 * (kept next to the database) and the exact command that made it. */
struct db_profile_session {
	const char	*tool;		/* "ncu" | "nsys" */
	const char	*report;	/* path of the report file */
	const char	*command;	/* the command line, as printed */
	const char	*tool_version;	/* may be NULL */
};

/* Inserts a profile_session row of run_id (imported_at = now). */
int	db_profile_begin(struct db *, int64_t run_id,
	    const struct db_profile_session *, int64_t *session_id);

/* One imported value: a metric of one kernel launch the tool saw.  value
 * is NaN for a text value (then text is set).  point_idx links the row to
 * the session's run's result with that point_idx (-1, or a point with no
 * result row: stored with result_id NULL). */
struct db_profile_metric {
	int		 point_idx;
	int64_t		 launch;	/* the tool's launch id / order, >= 0 */
	const char	*kernel;	/* required */
	const char	*phase;		/* NULL: not known */
	const char	*metric;	/* required, e.g. "gpu__time_duration.sum" */
	const char	*unit;		/* NULL: none */
	double		 value;
	const char	*text;
};

/* Adds n metrics to a session in one transaction (all or none). */
int	db_profile_add(struct db *, int64_t session_id,
	    const struct db_profile_metric *, int n);

/* A session and its n metrics in one transaction: both or neither (what
 * `stepbench profile` uses, so a failed import leaves no empty session). */
int	db_profile_import(struct db *, int64_t run_id,
	    const struct db_profile_session *, const struct db_profile_metric *,
	    int n, int64_t *session_id);

/*
 * Reads an Nsight Systems SQLite export (`nsys export --type sqlite`): each
 * kernel of CUPTI_ACTIVITY_KIND_KERNEL, joined through its runtime call
 * (CUPTI_ACTIVITY_KIND_RUNTIME, same correlationId) to the NVTX ranges of
 * domain "stepbench" open on that thread at the call: the innermost point
 * range (category point; its payload is the point index) and the innermost
 * phase range.  Calls fn once per kernel, in start order; a kernel outside
 * every point range gets point_idx -1.  Returns 0, or -1 with err set
 * (not a readable SQLite file; a table or column missing: names it).
 */
struct db_nsys_kernel {
	int		 point_idx;
	int64_t		 launch;	/* order in the export, from 0 */
	const char	*name;		/* demangled, else short name */
	const char	*phase;		/* NULL: none open */
	double		 duration_us;
	int64_t		 grid[3], block[3];
	int		 regs;
	int64_t		 static_smem, dyn_smem;
	int64_t		 start_ns;
	int		 in_timed;	/* 1: its call was inside a "timed"
					 * range (category compute, 7) of its
					 * point: one of the timed samples */
};
int	db_nsys_read(const char *path, int (*fn)(const struct
	    db_nsys_kernel *, void *), void *ctx, char *err, size_t errlen);

/* --- export --------------------------------------------------------------- */

/* One run's results.  csv: a header row, then one row per result (RFC 4180
 * quoting, NULL as empty).  json: {"run":{...},"results":[{..., "samples":
 * [...], "phases":{name:median_us}, "loss_curve":[{step, loss, lr,
 * ref_loss}], "scaler":[{step, scale, skipped, growth_tracker}] ([] when
 * none), "launch_info":[{idx, role, ...}], "comm":[{bucket, nparams,
 * layer_hi, layer_lo, bytes, median_us, min_us, algbw_gbps, busbw_gbps}]
 * ([] when none), "kernels":[{idx, kind, name, ...}], "profile":[{session_id,
 * tool, idx, launch, kernel, phase, metric, unit, value, text}] ([] when
 * none)}], "profile_sessions":[{id, tool, report, command, tool_version,
 * imported_at}]}; fingerprint_json is an object, not a string. */
int	db_export(struct db *, int64_t run_id, const char *format, FILE *out);

/* Every run as a JSON array of objects (the fields of db_run_row). */
int	db_runs_json(struct db *, FILE *out);

#endif
