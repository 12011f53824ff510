/*
 * harness/main.c — `stepbench`: dispatch to a subcommand.
 */
#include <stdio.h>
#include <string.h>

#include "build_info.h"
#include "cli.h"
#include "comm.h"

static const struct {
	const char	*name;
	int		(*fn)(int, char **);
	const char	*summary;
} commands[] = {
	{ "info", cmd_info, "this machine: GPUs (or why none), libraries, build" },
	{ "list", cmd_list, "every variant, and whether it can run here" },
	{ "run", cmd_run, "measure one variant at one shape" },
	{ "sweep", cmd_sweep, "measure variants x shapes x layers into the database" },
	{ "runs", cmd_runs, "list the runs in the database" },
	{ "export", cmd_export, "one run's results as CSV or JSON" },
	{ "import", cmd_import, "copy runs from another stepbench database (idempotent)" },
	{ "serve", cmd_serve, "serve the dashboard (Kore) for a database" },
	{ "gemm", cmd_gemm, "GEMM kernels alone vs cuBLAS: kernels x layouts x sizes" },
	{ "allreduce", cmd_allreduce, "the all-reduce alone (NCCL or MPI), nccl-tests style" },
	{ "profile", cmd_profile, "a sweep under ncu or nsys, its metrics imported" },
};

static void	usage(FILE *);

static void
usage(FILE *f)
{
	fprintf(f,
	    "usage: stepbench COMMAND [options]\n"
	    "\n"
	    "stepbench measures the training step of a Linear layer (the PyTorch\n"
	    "tutorial's Linear(5, 3), batch 10, MSE, SGD) and larger ones, in\n"
	    "CPU, hand-written CUDA and library variants, each checked against an\n"
	    "fp64 reference, every result kept in SQLite.\n"
	    "\n"
	    "commands:\n");
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		fprintf(f, "  %-9s %s\n", commands[i].name, commands[i].summary);
	fprintf(f,
	    "\n"
	    "'stepbench COMMAND --help' describes each.  Examples:\n"
	    "  stepbench sweep                                 # the default sweep\n"
	    "  stepbench run train.fp32.cublas --shape 4096x4096x4096\n"
	    "  stepbench sweep --variants 'train.*' --shapes tutorial,1024:8192:x2\n"
	    "  stepbench runs && stepbench export RUN results.csv\n"
	    "  stepbench gemm --kernels 'f32.*' --layouts nt --sizes 1024:8192:x2\n"
	    "  mpirun -n 2 stepbench sweep --variants train.fp32.cublas --world 2\n"
	    "\n"
	    "exit status: 0 ok, 1 a point or operation failed, 2 bad usage.\n");
}

int
main(int argc, char **argv)
{
	if (argc < 2) {
		usage(stderr);
		return SB_EXIT_USAGE;
	}
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
	    strcmp(argv[1], "help") == 0) {
		usage(stdout);
		return SB_EXIT_OK;
	}
	if (strcmp(argv[1], "--version") == 0) {
		printf("stepbench %s (git %s%s)\n", SB_VERSION, SB_GIT_REV,
		    SB_GIT_DIRTY ? ", dirty" : "");
		return SB_EXIT_OK;
	}
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (strcmp(argv[1], commands[i].name) == 0) {
			char err[512];
			int rc;

			/* under mpirun/srun: MPI_Init, one GPU per local rank
			 * (harness/comm.h); otherwise rank 0 of 1 */
			if (sb_comm_init(&argc, &argv, err, sizeof(err)) != 0) {
				fprintf(stderr, "stepbench %s: %s\n",
				    commands[i].name, err);
				return SB_EXIT_FAIL;
			}
			rc = commands[i].fn(argc - 1, argv + 1);
			sb_comm_fini();
			return rc;
		}
	fprintf(stderr, "stepbench: unknown command '%s'; commands are ",
	    argv[1]);
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		fprintf(stderr, "%s%s", i > 0 ? ", " : "", commands[i].name);
	fprintf(stderr, "\nTry 'stepbench --help'.\n");
	return SB_EXIT_USAGE;
}
