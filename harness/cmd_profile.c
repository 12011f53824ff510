/*
 * harness/cmd_profile.c — `stepbench profile ncu|nsys [options] -- SWEEP
 * ARGS`: the same sweep under Nsight Compute or Nsight Systems, its report
 * kept next to the database, and what the tool measured imported as
 * profile rows of the sweep's run (docs/profiling.md).
 *
 * Design notes.
 *
 *  1. The tool runs this very binary (/proc/self/exe) as `stepbench sweep
 *     ARGS`, a child of fork/exec, and the command is printed first,
 *     shell-quoted, so that a user can run it again by hand.  Nothing of
 *     the tool is linked in: its output files are the interface.
 *  2. The child protocol (cmd_sweep.c, profile_child): STEPBENCH_PROFILE=
 *     <tool> makes every GPU point start its capture window with the
 *     marker kernel (kernels/marker.h, grid point + 1), and turns CUPTI
 *     off (one CUPTI subscriber per process: the tool's);
 *     STEPBENCH_PROFILE_RUNFILE=<tmp file> receives the run's UUID once the
 *     run row exists.  A sweep that never got that far leaves the file
 *     empty, and there is nothing to import.
 *  3. Points: ncu's CSV has no NVTX columns we can rely on, so each launch
 *     belongs to the point of the marker before it (profiler/ncu_csv.h).
 *     nsys's export has the NVTX ranges (db_nsys_read); where a kernel has
 *     none (ranges pushed before the capture started are not recorded) the
 *     marker before it decides, as for ncu.
 *  4. ncu profiles only the capture window (--profile-from-start off; the
 *     engine brackets the timed samples with cudaProfilerStart/Stop), and
 *     the sweep takes one warm-up and one timed sample per point unless the
 *     user gave those options: every kernel is replayed once per metric
 *     pass, so a default sweep of hundreds of samples would take hours.
 *  5. The exit status is the child's when it failed (a point that failed,
 *     2 for bad sweep options, 130 interrupted), else the import's; the
 *     sweep's own rows stay in the database whatever the import does.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <glob.h>
#include <limits.h>
#include <math.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "db.h"
#include "ncu_csv.h"

#define CMD	"profile"

enum prof_tool { TOOL_NCU, TOOL_NSYS };

struct prof_args {
	enum prof_tool	 tool;
	const char	*tool_name;	/* "ncu" | "nsys" */
	const char	*tool_opt;	/* --ncu / --nsys PATH */
	const char	*set;		/* ncu --set */
	const char	*metrics;	/* ncu --metrics */
	const char	*out;		/* --out DIR */
	int		 all_metrics;	/* ncu --all-metrics */
	int		 nsweep;
	char		**sweep;	/* the arguments after -- */
};

/* A growing string. */
struct sbuf {
	char	*s;
	size_t	 len, cap;
	int	 oom;
};

/* A growing argv. */
struct argvec {
	int	 n, cap;
	char	**v;
	int	 oom;
};

/* The metrics of one import, and the strings they point at. */
struct import {
	struct db_profile_metric *m;
	int		 n, cap;
	char		**owned;	/* nsys: copies of its strings */
	int		 nowned, capowned;
	int		 kernels;	/* launches that are not markers */
	int		 unlinked;	/* ... of them with no point */
	unsigned char	*seen;		/* points with a launch */
	int		 nseen;
	int		 points;
	int		 marker_point;	/* nsys: last marker's point */
	int		 all_metrics;	/* keep the per-device ones too */
	int		 per_device;	/* ... cells left out */
	int		 untimed;	/* nsys: kernels of a point outside
					 * its timed samples, left out */
	int		 oom;
};

static void	usage(FILE *);
static int	parse(int, char **, struct prof_args *);
static void	sb_printf(struct sbuf *, const char *, ...)
		    __attribute__((format(printf, 2, 3)));
static void	sb_quote(struct sbuf *, const char *);
static void	av_push(struct argvec *, const char *);
static int	find_tool(const struct prof_args *, char *, size_t);
static int	run_child(char *const *, const char *, int *);
static void	tool_version(const char *, char *, size_t);
static int	mkdir_p(const char *);
static const char *tmpdir(void);
static const char *sweep_db(const struct prof_args *);
static int	sweep_has(const struct prof_args *, const char *);
static int	read_runfile(const char *, char *, size_t);
static int	file_exists(const char *);
static int	import_add(struct import *, int, int64_t, const char *,
		    const char *, const char *, const char *, double,
		    const char *);
static char	*import_own(struct import *, const char *);
static void	import_point(struct import *, int);
static void	import_free(struct import *);
static int	ncu_row_cb(const struct ncu_row *, void *);
static int	nsys_kernel_cb(const struct db_nsys_kernel *, void *);
static int	import_ncu_csv(const char *, struct ncu_csv **,
		    struct import *);
static int	import_nsys(const char *, struct import *);
static int	store(const char *, const char *, const struct prof_args *,
		    const char *, const char *, const char *, struct import *);

static void
usage(FILE *f)
{
	fprintf(f,
	    "usage: stepbench profile ncu [--set NAME] [--metrics LIST] "
	    "[--ncu PATH] [--out DIR]\n"
	    "                             -- SWEEP-ARGS\n"
	    "       stepbench profile nsys [--nsys PATH] [--out DIR] -- "
	    "SWEEP-ARGS\n"
	    "\n"
	    "Runs 'stepbench sweep SWEEP-ARGS' under Nsight Compute (ncu) or "
	    "Nsight Systems\n"
	    "(nsys), keeps the report next to the database "
	    "(<dbdir>/profiles/), and imports\n"
	    "what the tool measured as profile rows of the sweep's run, each "
	    "linked to its\n"
	    "point.  The exact commands are printed before they run.  Only the "
	    "timed samples\n"
	    "are profiled (the capture window, cudaProfilerStart/Stop), so "
	    "only GPU variants\n"
	    "give rows; CUPTI tracing is off under a tool.\n"
	    "\n"
	    "ncu:\n"
	    "      --set NAME        ncu section set (basic, detailed, full, "
	    "...) [ncu's default]\n"
	    "      --metrics LIST    metrics to collect as well, "
	    "comma-separated\n"
	    "                        (e.g. gpu__time_duration.sum,"
	    "launch__registers_per_thread)\n"
	    "      --all-metrics     also import the per-device cells ncu repeats "
	    "for every\n"
	    "                        kernel (device__attribute_*, nvlink__*, "
	    "...)\n"
	    "      --ncu PATH        the ncu binary [ncu on PATH, else "
	    "/usr/local/cuda/bin/ncu]\n"
	    "      The sweep gets --warmup 1 --min-samples 1 --max-samples 1 "
	    "unless it has\n"
	    "      them: ncu replays every kernel once per pass.\n"
	    "nsys:\n"
	    "      --nsys PATH       the nsys binary [nsys on PATH, else "
	    "/usr/local/cuda/bin/nsys,\n"
	    "                        else /opt/nvidia/nsight-systems/*/bin/"
	    "nsys]\n"
	    "both:\n"
	    "      --out DIR         where reports go [<dbdir>/profiles]\n"
	    "\n"
	    "SWEEP-ARGS are those of 'stepbench sweep' (see 'stepbench sweep "
	    "--help'); its\n"
	    "--db (or $STEPBENCH_DB, or ./stepbench.db) is the database.  "
	    "Examples:\n"
	    "  stepbench profile ncu -- --variants 'train.fp32.*' --shapes "
	    "1024x1024x1024\n"
	    "  stepbench profile ncu --set full -- --variants "
	    "train.fp16amp.wgmma --shapes 4096x4096x4096\n"
	    "  stepbench profile ncu --metrics gpu__time_duration.sum -- "
	    "--db r.db --shapes tutorial\n"
	    "  stepbench profile nsys -- --variants '*.cublas' --shapes "
	    "headline\n"
	    "\n"
	    "Exit status: 0 imported, 1 the tool or the import failed (or a "
	    "point did: the\n"
	    "sweep's status is passed on), 2 bad usage, 130 interrupted.  "
	    "docs/profiling.md\n"
	    "describes what is stored.\n");
}

static void
sb_printf(struct sbuf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (b->oom)
		return;
	for (;;) {
		size_t room = b->cap - b->len;

		va_start(ap, fmt);
		n = vsnprintf(b->s != NULL ? b->s + b->len : NULL, room, fmt,
		    ap);
		va_end(ap);
		if (n < 0) {
			b->oom = 1;
			return;
		}
		if ((size_t)n < room) {
			b->len += (size_t)n;
			return;
		}
		{
			size_t cap = (b->cap + (size_t)n + 1) * 2;
			char *s = realloc(b->s, cap);

			if (s == NULL) {
				b->oom = 1;
				return;
			}
			b->s = s;
			b->cap = cap;
		}
	}
}

/* s as one shell word: bare if it holds only characters no shell treats
 * specially, else single-quoted ('\'' for a quote). */
static void
sb_quote(struct sbuf *b, const char *s)
{
	static const char safe[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnop"
	    "qrstuvwxyz0123456789_-+=:,./@%";

	if (s[0] != '\0' && strspn(s, safe) == strlen(s)) {
		sb_printf(b, "%s", s);
		return;
	}
	sb_printf(b, "'");
	for (; *s != '\0'; s++)
		if (*s == '\'')
			sb_printf(b, "'\\''");
		else
			sb_printf(b, "%c", *s);
	sb_printf(b, "'");
}

static void
av_push(struct argvec *a, const char *s)
{
	if (a->oom)
		return;
	if (a->n + 2 > a->cap) {
		int cap = a->cap ? 2 * a->cap : 32;
		char **v = realloc(a->v, cap * sizeof(*v));

		if (v == NULL) {
			a->oom = 1;
			return;
		}
		a->v = v;
		a->cap = cap;
	}
	a->v[a->n++] = (char *)s;
	a->v[a->n] = NULL;
}

enum { OPT_SET = 256, OPT_METRICS, OPT_NCU, OPT_NSYS, OPT_OUT,
	OPT_ALL_METRICS };

static const struct option prof_opts[] = {
	{ "set", required_argument, NULL, OPT_SET },
	{ "metrics", required_argument, NULL, OPT_METRICS },
	{ "ncu", required_argument, NULL, OPT_NCU },
	{ "nsys", required_argument, NULL, OPT_NSYS },
	{ "out", required_argument, NULL, OPT_OUT },
	{ "all-metrics", no_argument, NULL, OPT_ALL_METRICS },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 }
};

/* Returns 0, -1 after --help, or an exit code after saying why. */
static int
parse(int argc, char **argv, struct prof_args *a)
{
	int dash = -1, c;

	memset(a, 0, sizeof(*a));
	if (argc < 2)
		return sb_usage(CMD, "which tool? give ncu or nsys, then the "
		    "sweep's arguments after '--', e.g. 'stepbench profile "
		    "ncu -- --variants train.fp32.cublas --shapes tutorial'");
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
		usage(stdout);
		return -1;
	}
	if (strcmp(argv[1], "ncu") == 0)
		a->tool = TOOL_NCU;
	else if (strcmp(argv[1], "nsys") == 0)
		a->tool = TOOL_NSYS;
	else
		return sb_usage(CMD, "'%s' is not a tool stepbench runs; give "
		    "ncu (Nsight Compute: per-kernel metrics) or nsys (Nsight "
		    "Systems: a timeline)", argv[1]);
	a->tool_name = argv[1];
	for (int i = 2; i < argc; i++)
		if (strcmp(argv[i], "--") == 0) {
			dash = i;
			break;
		}
	for (int i = 2; i < (dash >= 0 ? dash : argc); i++)
		if (strcmp(argv[i], "--help") == 0 ||
		    strcmp(argv[i], "-h") == 0) {
			usage(stdout);
			return -1;
		}
	/* a forgotten "--" would otherwise show as an unknown option */
	if (dash < 0)
		return sb_usage(CMD, "the sweep's arguments go after '--', and "
		    "there is no '--'; e.g. 'stepbench profile %s -- "
		    "--variants train.fp32.cublas --shapes tutorial' (an empty "
		    "sweep after '--' is the default sweep)", a->tool_name);
	/* the options between the tool and "--"; getopt sees argv[1..] */
	opterr = 0;
	optind = 0;
	while ((c = getopt_long(dash - 1, argv + 1, ":h", prof_opts, NULL)) !=
	    -1) {
		switch (c) {
		case OPT_SET:
		case OPT_METRICS:
			if (a->tool != TOOL_NCU)
				return sb_usage(CMD, "%s belongs to 'stepbench "
				    "profile ncu'; nsys records a timeline, "
				    "not metrics", c == OPT_SET ? "--set" :
				    "--metrics");
			if (optarg[0] == '\0')
				return sb_usage(CMD, "%s is empty; give %s",
				    c == OPT_SET ? "--set" : "--metrics",
				    c == OPT_SET ? "a section set such as "
				    "basic or full ('ncu --list-sets')" :
				    "metric names, e.g. gpu__time_duration.sum");
			if (c == OPT_SET)
				a->set = optarg;
			else
				a->metrics = optarg;
			break;
		case OPT_NCU:
		case OPT_NSYS:
			if ((c == OPT_NCU) != (a->tool == TOOL_NCU))
				return sb_usage(CMD, "--%s names the %s binary, "
				    "but the tool is %s; give --%s PATH",
				    c == OPT_NCU ? "ncu" : "nsys", c == OPT_NCU ?
				    "ncu" : "nsys", a->tool_name, a->tool_name);
			a->tool_opt = optarg;
			break;
		case OPT_ALL_METRICS:
			if (a->tool != TOOL_NCU)
				return sb_usage(CMD, "--all-metrics belongs to "
				    "'stepbench profile ncu'");
			a->all_metrics = 1;
			break;
		case OPT_OUT:
			if (optarg[0] == '\0')
				return sb_usage(CMD, "--out is empty; give a "
				    "directory for the reports");
			a->out = optarg;
			break;
		case 'h':
			usage(stdout);
			return -1;
		default:
			return sb_bad_option(CMD, dash - 1, argv + 1, c);
		}
	}
	if (optind + 1 < dash)
		return sb_usage(CMD, "unexpected argument '%s' before '--'; the "
		    "sweep's arguments go after it", argv[optind + 1]);
	a->nsweep = argc - dash - 1;
	a->sweep = argv + dash + 1;
	return 0;
}

/* The tool's binary into path: --ncu/--nsys, else on PATH, else where CUDA
 * and Nsight install it.  Returns 0, or an exit code after saying why. */
static int
find_tool(const struct prof_args *a, char *path, size_t len)
{
	const char *name = a->tool_name, *env;
	char cand[PATH_MAX];

	if (a->tool_opt != NULL) {
		if (access(a->tool_opt, X_OK) != 0)
			return sb_usage(CMD, "--%s %s: %s; give the path of the "
			    "%s binary (e.g. --%s /usr/local/cuda/bin/%s)", name,
			    a->tool_opt, strerror(errno), name, name, name);
		snprintf(path, len, "%s", a->tool_opt);
		return 0;
	}
	if ((env = getenv("PATH")) != NULL) {
		const char *p = env;

		while (*p != '\0') {
			size_t n = strcspn(p, ":");

			if (n > 0 && n < sizeof(cand) - strlen(name) - 2) {
				snprintf(cand, sizeof(cand), "%.*s/%s", (int)n,
				    p, name);
				if (access(cand, X_OK) == 0) {
					snprintf(path, len, "%s", cand);
					return 0;
				}
			}
			p += n;
			if (*p == ':')
				p++;
		}
	}
	snprintf(cand, sizeof(cand), "/usr/local/cuda/bin/%s", name);
	if (access(cand, X_OK) == 0) {
		snprintf(path, len, "%s", cand);
		return 0;
	}
	if (a->tool == TOOL_NSYS) {
		glob_t g;

		/* Nsight Systems installs itself here, versioned; the
		 * newest sorts last */
		if (glob("/opt/nvidia/nsight-systems/*/bin/nsys", 0, NULL,
		    &g) == 0 && g.gl_pathc > 0) {
			snprintf(path, len, "%s", g.gl_pathv[g.gl_pathc - 1]);
			globfree(&g);
			return 0;
		}
		globfree(&g);
	}
	return sb_fail(CMD, "%s not found (not on PATH, not in "
	    "/usr/local/cuda/bin%s); install %s or give its path with "
	    "--%s PATH", name, a->tool == TOOL_NSYS ?
	    ", not in /opt/nvidia/nsight-systems/*/bin" : "",
	    a->tool == TOOL_NCU ? "Nsight Compute" : "Nsight Systems", name);
}

/* Runs argv[0] with argv, stdout into out_path if not NULL; *status is
 * its exit status (128 + signal if killed).  Returns 0, or -1 after
 * saying why it could not start. */
static int
run_child(char *const *argv, const char *out_path, int *status)
{
	struct sigaction ign, old_int, old_term;
	pid_t pid;
	int st, fd = -1;

	if (out_path != NULL && (fd = open(out_path, O_WRONLY | O_CREAT |
	    O_TRUNC, 0644)) < 0) {
		sb_fail(CMD, "cannot write %s: %s", out_path, strerror(errno));
		return -1;
	}
	fflush(stdout);
	fflush(stderr);
	/* ^C reaches the child too (one process group): it stops its sweep
	 * and marks the run aborted; this process waits for it */
	memset(&ign, 0, sizeof(ign));
	ign.sa_handler = SIG_IGN;
	sigaction(SIGINT, &ign, &old_int);
	sigaction(SIGTERM, &ign, &old_term);
	if ((pid = fork()) < 0) {
		sb_fail(CMD, "cannot start %s: fork: %s", argv[0],
		    strerror(errno));
		if (fd >= 0)
			close(fd);
		sigaction(SIGINT, &old_int, NULL);
		sigaction(SIGTERM, &old_term, NULL);
		return -1;
	}
	if (pid == 0) {
		signal(SIGINT, SIG_DFL);
		signal(SIGTERM, SIG_DFL);
		if (fd >= 0 && (dup2(fd, STDOUT_FILENO) < 0 || close(fd) < 0))
			_exit(127);
		execv(argv[0], argv);
		fprintf(stderr, "stepbench %s: cannot run %s: %s\n", CMD,
		    argv[0], strerror(errno));
		_exit(127);
	}
	if (fd >= 0)
		close(fd);
	while (waitpid(pid, &st, 0) < 0)
		if (errno != EINTR) {
			st = 127 << 8;
			break;
		}
	sigaction(SIGINT, &old_int, NULL);
	sigaction(SIGTERM, &old_term, NULL);
	if (WIFEXITED(st))
		*status = WEXITSTATUS(st);
	else if (WIFSIGNALED(st))
		*status = 128 + WTERMSIG(st);
	else
		*status = 1;
	return 0;
}

/* `TOOL --version`'s last non-empty line ("Version 2025.3.1.0 ..."), or
 * "" if it says nothing. */
static void
tool_version(const char *tool, char *buf, size_t len)
{
	char tmp[PATH_MAX], line[256];
	char *const argv[] = { (char *)tool, (char *)"--version", NULL };
	int fd, st;
	FILE *f;

	buf[0] = '\0';
	snprintf(tmp, sizeof(tmp), "%s/stepbench-version.XXXXXX", tmpdir());
	if ((fd = mkstemp(tmp)) < 0)
		return;
	close(fd);
	/* its stderr is the terminal's: a tool that fails says why */
	if (run_child(argv, tmp, &st) == 0 && st == 0 &&
	    (f = fopen(tmp, "r")) != NULL) {
		while (fgets(line, sizeof(line), f) != NULL) {
			size_t n = strlen(line);

			while (n > 0 && (line[n - 1] == '\n' ||
			    line[n - 1] == '\r' || line[n - 1] == ' '))
				line[--n] = '\0';
			if (n > 0)
				snprintf(buf, len, "%s", line);
		}
		fclose(f);
	}
	unlink(tmp);
}

/* $TMPDIR, else /tmp */
static const char *
tmpdir(void)
{
	const char *t = getenv("TMPDIR");

	return t != NULL && t[0] != '\0' && strlen(t) < PATH_MAX - 32 ? t :
	    "/tmp";
}

static int
mkdir_p(const char *dir)
{
	char p[PATH_MAX];
	size_t n = strlen(dir);

	if (n == 0 || n >= sizeof(p))
		return -1;
	memcpy(p, dir, n + 1);
	for (size_t i = 1; i <= n; i++)
		if (p[i] == '/' || p[i] == '\0') {
			char ch = p[i];

			p[i] = '\0';
			if (mkdir(p, 0777) != 0 && errno != EEXIST)
				return -1;
			p[i] = ch;
		}
	return 0;
}

/* The sweep's database: its --db (last one wins, as getopt), else the
 * default (cli.h, sb_db_path). */
static const char *
sweep_db(const struct prof_args *a)
{
	const char *db = NULL;

	for (int i = 0; i < a->nsweep; i++) {
		if (strcmp(a->sweep[i], "--db") == 0 && i + 1 < a->nsweep)
			db = a->sweep[++i];
		else if (strncmp(a->sweep[i], "--db=", 5) == 0)
			db = a->sweep[i] + 5;
	}
	return sb_db_path(db);
}

/* The sweep's arguments name the long option opt ("--warmup", as given
 * or with "=VALUE"). */
static int
sweep_has(const struct prof_args *a, const char *opt)
{
	size_t n = strlen(opt);

	for (int i = 0; i < a->nsweep; i++)
		if (strncmp(a->sweep[i], opt, n) == 0 &&
		    (a->sweep[i][n] == '\0' || a->sweep[i][n] == '='))
			return 1;
	return 0;
}

/* The UUID the child wrote, or "" (returns -1) when it wrote none. */
static int
read_runfile(const char *path, char *uuid, size_t len)
{
	FILE *f;
	size_t n;

	uuid[0] = '\0';
	if ((f = fopen(path, "r")) == NULL)
		return -1;
	if (fgets(uuid, (int)len, f) == NULL)
		uuid[0] = '\0';
	fclose(f);
	n = strcspn(uuid, "\r\n");
	uuid[n] = '\0';
	return n > 0 ? 0 : -1;
}

static int
file_exists(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

static char *
import_own(struct import *im, const char *s)
{
	char *d;

	if (s == NULL || im->oom)
		return NULL;
	if (im->nowned == im->capowned) {
		int cap = im->capowned ? 2 * im->capowned : 256;
		char **v = realloc(im->owned, cap * sizeof(*v));

		if (v == NULL) {
			im->oom = 1;
			return NULL;
		}
		im->owned = v;
		im->capowned = cap;
	}
	if ((d = strdup(s)) == NULL) {
		im->oom = 1;
		return NULL;
	}
	im->owned[im->nowned++] = d;
	return d;
}

static int
import_add(struct import *im, int point, int64_t launch, const char *kernel,
    const char *phase, const char *metric, const char *unit, double value,
    const char *text)
{
	struct db_profile_metric *m;

	if (im->oom)
		return -1;
	if (im->n == im->cap) {
		int cap = im->cap ? 2 * im->cap : 1024;
		struct db_profile_metric *v = realloc(im->m,
		    cap * sizeof(*v));

		if (v == NULL) {
			im->oom = 1;
			return -1;
		}
		im->m = v;
		im->cap = cap;
	}
	m = &im->m[im->n++];
	m->point_idx = point;
	m->launch = launch;
	m->kernel = kernel;
	m->phase = phase;
	m->metric = metric;
	m->unit = unit;
	m->value = text != NULL ? NAN : value;
	m->text = text;
	return 0;
}

#define SB_PROFILE_MAX_POINT	(1 << 20)	/* far above any plan */

/* Counts point as one that has a launch. */
static void
import_point(struct import *im, int point)
{
	/* a point no plan has (a damaged report's marker or payload) links
	 * to no result; it must not size an allocation either */
	if (point < 0 || point >= SB_PROFILE_MAX_POINT) {
		im->unlinked++;
		return;
	}
	if (point >= im->nseen) {
		int n = point + 64;
		unsigned char *s = realloc(im->seen, (size_t)n);

		if (s == NULL) {
			im->oom = 1;
			return;
		}
		memset(s + im->nseen, 0, (size_t)(n - im->nseen));
		im->seen = s;
		im->nseen = n;
	}
	if (!im->seen[point]) {
		im->seen[point] = 1;
		im->points++;
	}
}

static void
import_free(struct import *im)
{
	for (int i = 0; i < im->nowned; i++)
		free(im->owned[i]);
	free(im->owned);
	free(im->m);
	free(im->seen);
	memset(im, 0, sizeof(*im));
}

static int
ncu_row_cb(const struct ncu_row *r, void *ctx)
{
	struct import *im = ctx;

	if (!im->all_metrics && ncu_metric_per_device(r->metric)) {
		im->per_device++;
		return 0;
	}
	return import_add(im, r->point_idx, r->launch->id, r->launch->kernel,
	    NULL, r->metric, r->unit, r->value, r->text) != 0;
}

/* Reads csv_path (ncu's raw page) into im; the parse is kept in *keep
 * (its strings are im's).  Returns 0 or 1 after saying why. */
static int
import_ncu_csv(const char *csv_path, struct ncu_csv **keep,
    struct import *im)
{
	char err[512], *text = NULL;
	struct ncu_csv *p = NULL;
	long len;
	FILE *f;
	int rc = 1;

	if ((f = fopen(csv_path, "rb")) == NULL)
		return sb_fail(CMD, "cannot read %s: %s", csv_path,
		    strerror(errno));
	if (fseek(f, 0, SEEK_END) != 0 || (len = ftell(f)) < 0 ||
	    fseek(f, 0, SEEK_SET) != 0 ||
	    (text = malloc((size_t)len + 1)) == NULL ||
	    fread(text, 1, (size_t)len, f) != (size_t)len) {
		fclose(f);
		free(text);
		return sb_fail(CMD, "cannot read %s (out of memory or an I/O "
		    "error)", csv_path);
	}
	fclose(f);
	if (ncu_csv_parse(&p, text, (size_t)len, err, sizeof(err)) != 0) {
		rc = sb_fail(CMD, "%s: %s", csv_path, err);
		goto out;
	}
	if (ncu_csv_link(p, NCU_MARKER_KERNEL, NULL, err, sizeof(err)) < 0) {
		rc = sb_fail(CMD, "%s: %s", csv_path, err);
		goto out;
	}
	for (int i = 0; i < ncu_csv_nlaunches(p); i++) {
		const struct ncu_launch *l = ncu_csv_launch(p, i);

		if (l->marker)
			continue;
		im->kernels++;
		import_point(im, l->point_idx);
	}
	if (ncu_csv_foreach(p, ncu_row_cb, im) != 0 || im->oom) {
		rc = sb_fail(CMD, "out of memory importing %s", csv_path);
		goto out;
	}
	*keep = p;
	p = NULL;
	rc = 0;
out:
	ncu_csv_free(p);
	free(text);
	return rc;
}

static int
nsys_kernel_cb(const struct db_nsys_kernel *k, void *ctx)
{
	struct import *im = ctx;
	const char *name, *phase;
	char dim[96];
	int point;

	if (ncu_csv_is_marker(k->name, NCU_MARKER_KERNEL)) {
		if (k->grid[0] >= 1)
			im->marker_point = (int)(k->grid[0] - 1);
		return 0;
	}
	/* nsys records from the first capture window to the end, so a
	 * point's setup, checks and loss curve are in the export too: keep
	 * the kernels of its "timed" range (with no NVTX ranges at all, an
	 * SB_WITH_NVTX=OFF build, the marker decides and all are kept) */
	if (k->point_idx >= 0 && !k->in_timed) {
		im->untimed++;
		return 0;
	}
	/* the NVTX point range, else the marker before (design note 3) */
	point = k->point_idx >= 0 ? k->point_idx : im->marker_point;
	im->kernels++;
	import_point(im, point);
	name = import_own(im, k->name);
	phase = k->phase != NULL ? import_own(im, k->phase) : NULL;
	if (name == NULL)
		return 1;
	if (import_add(im, point, k->launch, name, phase, "duration",
	    "usecond", k->duration_us, NULL) ||
	    import_add(im, point, k->launch, name, phase,
	    "registers_per_thread", "register/thread", k->regs, NULL) ||
	    import_add(im, point, k->launch, name, phase, "static_smem",
	    "byte", (double)k->static_smem, NULL) ||
	    import_add(im, point, k->launch, name, phase, "dynamic_smem",
	    "byte", (double)k->dyn_smem, NULL))
		return 1;
	snprintf(dim, sizeof(dim), "(%lld, %lld, %lld)",
	    (long long)k->grid[0], (long long)k->grid[1],
	    (long long)k->grid[2]);
	if (import_add(im, point, k->launch, name, phase, "grid", NULL, NAN,
	    import_own(im, dim)))
		return 1;
	snprintf(dim, sizeof(dim), "(%lld, %lld, %lld)",
	    (long long)k->block[0], (long long)k->block[1],
	    (long long)k->block[2]);
	return import_add(im, point, k->launch, name, phase, "block", NULL,
	    NAN, import_own(im, dim)) != 0 || im->oom;
}

/* Reads the nsys export into im.  Returns 0 or 1 after saying why. */
static int
import_nsys(const char *sqlite_path, struct import *im)
{
	char err[1024];

	im->marker_point = -1;
	if (db_nsys_read(sqlite_path, nsys_kernel_cb, im, err,
	    sizeof(err)) != 0)
		return sb_fail(CMD, "%s", err);
	if (im->oom)
		return sb_fail(CMD, "out of memory importing %s", sqlite_path);
	return 0;
}

/* The session and its metrics into the database, then the summary. */
static int
store(const char *db_path, const char *uuid, const struct prof_args *a,
    const char *report, const char *command, const char *version,
    struct import *im)
{
	struct db_profile_session s;
	struct db_run_row row;
	struct db *db;
	char abs[PATH_MAX];
	int64_t sid;
	int rc = 0;

	if ((db = sb_db_open_cli(CMD, db_path, DB_OPEN_EXISTING)) == NULL)
		return SB_EXIT_FAIL;
	if (db_run_find(db, uuid, &row) != 0) {
		rc = sb_fail(CMD, "%s (the sweep's run, from its run file)",
		    db_errmsg(db));
		goto out;
	}
	s.tool = a->tool_name;
	/* absolute: the row outlives the directory it was made from */
	s.report = realpath(report, abs) != NULL ? abs : report;
	s.command = command;
	s.tool_version = version[0] != '\0' ? version : NULL;
	if (db_profile_import(db, row.id, &s, im->m, im->n, &sid) != 0) {
		rc = sb_fail(CMD, "%s", db_errmsg(db));
		goto out;
	}
	printf("imported %d metric%s of %d kernel%s (%d point%s) from %s "
	    "into run %.8s\n", im->n, im->n == 1 ? "" : "s", im->kernels,
	    im->kernels == 1 ? "" : "s", im->points, im->points == 1 ? "" :
	    "s", report, row.uuid);
	if (im->untimed > 0)
		printf("left out %d kernel%s of the points' setup, checks and "
		    "warm-up (outside their timed samples)\n", im->untimed,
		    im->untimed == 1 ? "" : "s");
	if (im->per_device > 0)
		printf("left out %d per-device cell%s (device__attribute_*, "
		    "nvlink__*, ...; --all-metrics keeps them)\n",
		    im->per_device, im->per_device == 1 ? "" : "s");
	if (im->unlinked > 0)
		printf("%d kernel%s ran outside any point (before the first "
		    "marker): stored without a result\n", im->unlinked,
		    im->unlinked == 1 ? "" : "s");
	if (im->kernels == 0)
		fprintf(stderr, "stepbench %s: the report holds no kernel of "
		    "the sweep: CPU variants launch none; profile GPU "
		    "variants\n", CMD);
out:
	db_close(db);
	return rc;
}

int
cmd_profile(int argc, char **argv)
{
	struct prof_args a;
	struct argvec av = { 0, 0, NULL, 0 }, iv = { 0, 0, NULL, 0 };
	struct sbuf cmdline = { NULL, 0, 0, 0 }, icmd = { NULL, 0, 0, 0 };
	struct import im;
	struct ncu_csv *parsed = NULL;
	char tool[PATH_MAX], self[PATH_MAX], dir[PATH_MAX], stem[PATH_MAX];
	char report[PATH_MAX + 16], side[PATH_MAX + 16], runfile[PATH_MAX];
	char version[256], uuid[64], stamp[32];
	const char *db_path;
	int rc, st = 0, runfd = -1;
	ssize_t n;

	memset(&im, 0, sizeof(im));
	runfile[0] = '\0';
	if ((rc = parse(argc, argv, &a)) != 0)
		return rc < 0 ? SB_EXIT_OK : rc;
	im.all_metrics = a.all_metrics;
	/* bad sweep options are found here, before any tool runs */
	if ((rc = sb_sweep_check_args(a.nsweep, a.sweep)) != 0)
		return rc < 0 ? SB_EXIT_OK : rc;
	if ((rc = find_tool(&a, tool, sizeof(tool))) != 0)
		return rc;
	if ((n = readlink("/proc/self/exe", self, sizeof(self) - 1)) <= 0)
		return sb_fail(CMD, "cannot find this program's own path "
		    "(/proc/self/exe): %s", strerror(errno));
	self[n] = '\0';

	/* the report's place: next to the database */
	db_path = sweep_db(&a);
	if (a.out != NULL) {
		snprintf(dir, sizeof(dir), "%s", a.out);
	} else {
		const char *slash = strrchr(db_path, '/');

		if (slash == NULL)
			snprintf(dir, sizeof(dir), "profiles");
		else if (slash == db_path)
			snprintf(dir, sizeof(dir), "/profiles");
		else
			snprintf(dir, sizeof(dir), "%.*s/profiles",
			    (int)(slash - db_path), db_path);
	}
	/* --out may be a new tree; the database's own directory must exist
	 * already (the sweep does not make it either) */
	if (a.out != NULL)
		rc = mkdir_p(dir);
	else
		rc = mkdir(dir, 0777) != 0 && errno != EEXIST ? -1 : 0;
	if (rc != 0)
		return sb_fail(CMD, "cannot make the report directory %s: %s; "
		    "give a writable one with --out DIR", dir, strerror(errno));
	{
		time_t now = time(NULL);
		struct tm tm;

		localtime_r(&now, &tm);
		strftime(stamp, sizeof(stamp), "%Y%m%d-%H%M%S", &tm);
	}
	snprintf(stem, sizeof(stem), "%s/%s-%ld", dir, stamp, (long)getpid());
	snprintf(report, sizeof(report), "%s.%s-rep", stem, a.tool_name);

	tool_version(tool, version, sizeof(version));

	/* the profiled sweep (design notes 1, 4) */
	av_push(&av, tool);
	if (a.tool == TOOL_NCU) {
		av_push(&av, "--clock-control");
		av_push(&av, "none");
		av_push(&av, "--profile-from-start");
		av_push(&av, "off");
		if (a.set != NULL) {
			av_push(&av, "--set");
			av_push(&av, a.set);
		}
		if (a.metrics != NULL) {
			av_push(&av, "--metrics");
			av_push(&av, a.metrics);
		}
		av_push(&av, "-f");
		av_push(&av, "-o");
		av_push(&av, report);
	} else {
		av_push(&av, "profile");
		av_push(&av, "-t");
		av_push(&av, "cuda,nvtx,cublas");
		av_push(&av, "--capture-range=cudaProfilerApi");
		av_push(&av, "--capture-range-end=none");
		av_push(&av, "-f");
		av_push(&av, "true");
		av_push(&av, "-o");
		av_push(&av, report);
	}
	av_push(&av, self);
	av_push(&av, "sweep");
	for (int i = 0; i < a.nsweep; i++)
		av_push(&av, a.sweep[i]);
	if (a.tool == TOOL_NCU) {
		if (!sweep_has(&a, "--warmup")) {
			av_push(&av, "--warmup");
			av_push(&av, "1");
		}
		if (!sweep_has(&a, "--min-samples") &&
		    !sweep_has(&a, "--max-samples")) {
			av_push(&av, "--min-samples");
			av_push(&av, "1");
			av_push(&av, "--max-samples");
			av_push(&av, "1");
		}
	}
	sb_printf(&cmdline, "STEPBENCH_PROFILE=%s", a.tool_name);
	for (int i = 0; i < av.n; i++) {
		sb_printf(&cmdline, " ");
		sb_quote(&cmdline, av.v[i]);
	}
	if (av.oom || cmdline.oom) {
		rc = sb_fail(CMD, "out of memory");
		goto out;
	}

	/* the child protocol (design note 2) */
	snprintf(runfile, sizeof(runfile), "%s/stepbench-run.XXXXXX",
	    tmpdir());
	if ((runfd = mkstemp(runfile)) < 0) {
		rc = sb_fail(CMD, "cannot make a temporary file in %s: %s; "
		    "set TMPDIR to a writable directory", tmpdir(),
		    strerror(errno));
		runfile[0] = '\0';
		goto out;
	}
	close(runfd);
	if (setenv("STEPBENCH_PROFILE", a.tool_name, 1) != 0 ||
	    setenv("STEPBENCH_PROFILE_RUNFILE", runfile, 1) != 0) {
		rc = sb_fail(CMD, "cannot set the environment: %s",
		    strerror(errno));
		goto out;
	}
	printf("running: %s\n", cmdline.s);
	if (run_child(av.v, NULL, &st) != 0) {
		rc = SB_EXIT_FAIL;
		goto out;
	}
	if (read_runfile(runfile, uuid, sizeof(uuid)) != 0) {
		rc = sb_fail(CMD, "%s exited with status %d and the sweep "
		    "started no run (its run file %s stayed empty): see the "
		    "messages above; nothing was imported", a.tool_name, st,
		    runfile);
		if (st != 0)
			rc = st;
		goto out;
	}
	if (!file_exists(report)) {
		char qd[PATH_MAX + 16];

		snprintf(qd, sizeof(qd), "%s.qdstrm", stem);
		if (a.tool == TOOL_NSYS && file_exists(qd))
			rc = sb_fail(CMD, "nsys exited with status %d and wrote "
			    "%s but no report %s: it could not turn its raw "
			    "stream into a report (its QdstrmImporter; seen on "
			    "GPU VMs).  The sweep's rows are stored in run "
			    "%.8s; try 'stepbench profile ncu' instead", st, qd,
			    report, uuid);
		else
			rc = sb_fail(CMD, "%s exited with status %d and wrote no "
			    "report %s%s.  The sweep's rows are stored in run "
			    "%.8s", a.tool_name, st, report, st == 0 ?
			    " (no kernel ran inside a capture window: CPU "
			    "variants launch none, so profile GPU variants)" :
			    "", uuid);
		if (st != 0)
			rc = st;
		goto out;
	}

	/* what the tool measured, in a form we read */
	av_push(&iv, tool);
	if (a.tool == TOOL_NCU) {
		snprintf(side, sizeof(side), "%s.ncu.csv", stem);
		av_push(&iv, "--import");
		av_push(&iv, report);
		av_push(&iv, "--page");
		av_push(&iv, "raw");
		av_push(&iv, "--csv");
		av_push(&iv, "--print-units");
		av_push(&iv, "base");
	} else {
		snprintf(side, sizeof(side), "%s.sqlite", stem);
		av_push(&iv, "export");
		av_push(&iv, "--type");
		av_push(&iv, "sqlite");
		av_push(&iv, "-f");
		av_push(&iv, "true");
		av_push(&iv, "-o");
		av_push(&iv, side);
		av_push(&iv, report);
	}
	for (int i = 0; i < iv.n; i++) {
		if (i > 0)
			sb_printf(&icmd, " ");
		sb_quote(&icmd, iv.v[i]);
	}
	if (a.tool == TOOL_NCU) {
		sb_printf(&icmd, " > ");
		sb_quote(&icmd, side);
	}
	if (iv.oom || icmd.oom) {
		rc = sb_fail(CMD, "out of memory");
		goto out;
	}
	printf("running: %s\n", icmd.s);
	{
		int ist;

		if (run_child(iv.v, a.tool == TOOL_NCU ? side : NULL,
		    &ist) != 0) {
			rc = SB_EXIT_FAIL;
			goto out;
		}
		if (ist != 0 || !file_exists(side)) {
			rc = sb_fail(CMD, "%s exited with status %d%s; the "
			    "report %s stays for a later look, and the sweep's "
			    "rows are stored in run %.8s", icmd.s, ist,
			    file_exists(side) ? "" : " and wrote nothing",
			    report, uuid);
			goto out;
		}
	}
	if (a.tool == TOOL_NCU)
		rc = import_ncu_csv(side, &parsed, &im);
	else
		rc = import_nsys(side, &im);
	if (rc == 0)
		rc = store(db_path, uuid, &a, report, cmdline.s, version, &im);
	/* a failed point of the sweep outweighs a good import */
	if (st != 0) {
		fprintf(stderr, "stepbench %s: %s (with the sweep under it) "
		    "exited with status %d, passed on\n", CMD, a.tool_name,
		    st);
		rc = st;
	}
out:
	if (runfile[0] != '\0')
		unlink(runfile);
	unsetenv("STEPBENCH_PROFILE");
	unsetenv("STEPBENCH_PROFILE_RUNFILE");
	ncu_csv_free(parsed);
	import_free(&im);
	free(av.v);
	free(iv.v);
	free(cmdline.s);
	free(icmd.s);
	return rc;
}
