/*
 * tests/test_nsys_import.c — db_nsys_read on a hand-made Nsight Systems
 * export (tests/fixtures/nsys_export.sql, whose header says what each
 * kernel must come out as): every joined field of every kernel, the export
 * left as it was, and the errors for a file that is not an export or lacks
 * a table or column.
 */
#define _XOPEN_SOURCE 700	/* mkdtemp, nftw */

#include <sys/stat.h>

#include <errno.h>
#include <ftw.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sqlite3.h>

#include "testkit.h"
#include "db.h"
#include "dbtest.h"

/* What the reader gave, one line per kernel. */
struct seen {
	char	lines[8][256];
	int	n;
	int	stop_at;	/* return 1 at this kernel; -1: never */
};

static char	 tmpdir[256];

static const char	*P(const char *);
static int		 keep(const struct db_nsys_kernel *, void *);
static int		 read_fixture(const char *);
static void		 test_join(void);
static void		 test_errors(void);

static const char *
P(const char *name)
{
	static char	buf[4][PATH_MAX];
	static int	i;

	i = (i + 1) % 4;
	snprintf(buf[i], sizeof(buf[i]), "%s/%s", tmpdir, name);
	return (buf[i]);
}

static int
keep(const struct db_nsys_kernel *k, void *ctx)
{
	struct seen	*s = ctx;

	if (s->n == s->stop_at)
		return (1);
	if (s->n < 8)
		snprintf(s->lines[s->n], sizeof(s->lines[0]), "%lld %d %s %s "
		    "%g %lldx%lldx%lld %lldx%lldx%lld r%d s%lld d%lld @%lld%s",
		    (long long)k->launch, k->point_idx, k->phase != NULL ?
		    k->phase : "-", k->name, k->duration_us,
		    (long long)k->grid[0], (long long)k->grid[1],
		    (long long)k->grid[2], (long long)k->block[0],
		    (long long)k->block[1], (long long)k->block[2], k->regs,
		    (long long)k->static_smem, (long long)k->dyn_smem,
		    (long long)k->start_ns, k->in_timed ? " timed" : "");
	s->n++;
	return (0);
}

/* Builds the export at path from the fixture; 0 or -1. */
static int
read_fixture(const char *path)
{
	(void)unlink(path);
	return (load_sql(SB_FIXTURES "/nsys_export.sql", path));
}

static void
test_join(void)
{
	static const char *const	 want[5] = {
		"0 0 forward void gemm_warptile<128, 64>(sb_gemm_args) 1.5 "
		"2x2x1 128x1x1 r96 s0 d32768 @4000 timed",
		"1 0 backward.wgrad void loss_kernel(const float *, float *, "
		"int) 2 10x1x1 32x8x1 r40 s4096 d0 @7000 timed",
		"2 0 - void reduce<float, 4>(float const*, float*) 0.125 "
		"1x2x3 64x2x1 r24 s0 d0 @16000",
		"3 1 forward void gemm_warptile<128, 64>(sb_gemm_args) 2.5 "
		"4x8x1 256x1x1 r96 s1024 d49152 @33000 timed",
		"4 -1 - sgd_kernel 0.25 1x1x1 1024x1x1 r32 s0 d0 @71000",
	};
	struct seen	 s;
	struct blob	 b;
	const char	*path = P("export.sqlite");
	char		 err[1024];
	int		 rc, i, ok;

	if (read_fixture(path) != 0) {
		CHECK("nsys-1.0: the fixture loads", 0);
		return;
	}
	b = slurp(path);
	memset(&s, 0, sizeof(s));
	s.stop_at = -1;
	rc = db_nsys_read(path, keep, &s, err, sizeof(err));
	CHECK("nsys-1.1: reads", rc == 0);
	if (rc != 0)
		fprintf(stderr, "  %s\n", err);
	CHECK("nsys-1.1: five kernels, once each", s.n == 5);
	for (i = 0; i < 5; i++) {
		ok = i < s.n && strcmp(s.lines[i], want[i]) == 0;
		if (!ok)
			fprintf(stderr, "  kernel %d: got '%s'\n  want '%s'\n", i,
			    i < s.n ? s.lines[i] : "(none)", want[i]);
		CHECK("nsys-1.2: every joined field of the kernel", ok);
	}
	CHECK("nsys-1.3: the export is left as it was", same(path, b));

	/* A callback that says stop: -1, the place named. */
	memset(&s, 0, sizeof(s));
	s.stop_at = 2;
	rc = db_nsys_read(path, keep, &s, err, sizeof(err));
	CHECK("nsys-1.4: the callback stops the read", rc == -1 && s.n == 2 &&
	    strstr(err, "stopped by the caller at kernel 2") != NULL);

	/* Tolerance: an export without textId, int64Value and
	 * demangledName (older versions) still reads; names fall back to
	 * the short name and registered range names are lost. */
	CHECK("nsys-1.5: columns dropped", raw_exec(path, "ALTER TABLE "
	    "NVTX_EVENTS DROP COLUMN textId; ALTER TABLE NVTX_EVENTS DROP "
	    "COLUMN int64Value; ALTER TABLE CUPTI_ACTIVITY_KIND_KERNEL DROP "
	    "COLUMN demangledName") == SQLITE_OK);
	memset(&s, 0, sizeof(s));
	s.stop_at = -1;
	rc = db_nsys_read(path, keep, &s, err, sizeof(err));
	CHECK("nsys-1.5: an older schema reads", rc == 0 && s.n == 5 &&
	    strncmp(s.lines[0], "0 0 forward gemm_warptile 1.5 ", 30) == 0 &&
	    strncmp(s.lines[1], "1 0 - loss_kernel ", 18) == 0 &&
	    strncmp(s.lines[3], "3 -1 - gemm_warptile ", 21) == 0);
	if (rc != 0 || s.n != 5)
		fprintf(stderr, "  rc %d, n %d: %s\n", rc, s.n, err);
}

static void
test_errors(void)
{
	struct seen	 s;
	const char	*path = P("broken.sqlite");
	char		 err[1024];
	FILE		*f;
	int		 rc;

	memset(&s, 0, sizeof(s));
	s.stop_at = -1;
	rc = db_nsys_read(P("absent.sqlite"), keep, &s, err, sizeof(err));
	CHECK("nsys-2.1: a missing file, named", rc == -1 &&
	    strstr(err, "absent.sqlite") != NULL &&
	    strstr(err, "nsys export --type sqlite") != NULL);
	CHECK("nsys-2.1: and not created", access(P("absent.sqlite"), F_OK)
	    == -1);

	if ((f = fopen(path, "w")) != NULL) {
		fputs("this is the .nsys-rep, not its export\n", f);
		fclose(f);
	}
	rc = db_nsys_read(path, keep, &s, err, sizeof(err));
	CHECK("nsys-2.2: not a SQLite file, named", rc == -1 &&
	    strstr(err, "broken.sqlite") != NULL &&
	    strstr(err, "not a database") != NULL);

	if (read_fixture(path) != 0 || raw_exec(path, "DROP TABLE "
	    "NVTX_EVENTS") != SQLITE_OK) {
		CHECK("nsys-2.3: fixture without NVTX_EVENTS", 0);
		return;
	}
	rc = db_nsys_read(path, keep, &s, err, sizeof(err));
	CHECK("nsys-2.3: a missing table, named with what records it",
	    rc == -1 && strstr(err, "has no table NVTX_EVENTS") != NULL &&
	    strstr(err, "-t cuda,nvtx") != NULL && strstr(err,
	    "broken.sqlite") != NULL);

	if (read_fixture(path) != 0 || raw_exec(path, "ALTER TABLE "
	    "CUPTI_ACTIVITY_KIND_KERNEL DROP COLUMN gridY") != SQLITE_OK) {
		CHECK("nsys-2.4: fixture without gridY", 0);
		return;
	}
	rc = db_nsys_read(path, keep, &s, err, sizeof(err));
	CHECK("nsys-2.4: a missing column, named", rc == -1 && strstr(err,
	    "table CUPTI_ACTIVITY_KIND_KERNEL has no column gridY") != NULL);

	if (read_fixture(path) != 0 || raw_exec(path, "DROP TABLE "
	    "CUPTI_ACTIVITY_KIND_KERNEL") != SQLITE_OK) {
		CHECK("nsys-2.5: fixture without kernels", 0);
		return;
	}
	rc = db_nsys_read(path, keep, &s, err, sizeof(err));
	CHECK("nsys-2.5: no kernel table, named", rc == -1 && strstr(err,
	    "has no table CUPTI_ACTIVITY_KIND_KERNEL") != NULL);

	CHECK("nsys-2.6: no callback refused", db_nsys_read(path, NULL, NULL,
	    err, sizeof(err)) == -1 && strstr(err, "no callback") != NULL);
}

int
main(void)
{
	char	tmpl[] = "/tmp/test_nsys_import.XXXXXX";

	if (mkdtemp(tmpl) == NULL) {
		perror("mkdtemp");
		return (1);
	}
	snprintf(tmpdir, sizeof(tmpdir), "%s", tmpl);

	test_join();
	test_errors();

	if (nftw(tmpdir, rm_entry, 16, FTW_DEPTH | FTW_PHYS) != 0)
		fprintf(stderr, "note: could not remove %s: %s\n", tmpdir,
		    strerror(errno));
	return (check_summary("test_nsys_import"));
}
