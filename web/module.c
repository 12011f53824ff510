/*
 * web/module.c — the dashboard module's per-worker state.
 *
 * Design notes:
 *  1. Kore dlopen()s the module in its parent, forks the workers, turns the
 *     seccomp sandbox on in each, and only then calls web_load(LOAD) there.
 *     So nothing here runs in the parent: every worker opens its own
 *     read-only database handle and reads its own copy of the static files.
 *  2. SIGHUP reloads the module in every worker: web_load(UNLOAD) closes
 *     and frees everything, the new code's web_load(LOAD) starts afresh
 *     (statics of a reloaded object are reset, so no state may survive).
 *  3. The database may be missing when the server starts (serve before the
 *     first sweep), or be replaced while it runs (rm + a new sweep).  So
 *     web_db() checks the file's identity on each request and reopens when
 *     it changed or the last open failed; a failure is remembered as a
 *     message, answered as 503 / the page's #error, never as a crash, so
 *     Kore never enters a restart loop.
 *  4. The handle is DB_OPEN_READONLY (SQLITE_OPEN_READONLY plus
 *     query_only), so no request can write, whatever the code does.
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <kore/kore.h>

#include "db.h"
#include "web.h"

/* The largest static file we hold: Chart.js 3.9 is ~200 KB. */
#define WEB_FILE_MAX	(8u << 20)

static void	file_load(const char *, struct web_file *);
static void	files_free(void);

static struct db	*db;
static dev_t		 db_dev;
static ino_t		 db_ino;
static char		 db_path[PATH_MAX];
static char		 db_err[2 * PATH_MAX + 256];

static struct web_file	files[] = {
	{ .name = "app.js", .type = "text/javascript; charset=utf-8" },
	{ .name = "chart.min.js", .type = "text/javascript; charset=utf-8" },
	{ .name = "style.css", .type = "text/css; charset=utf-8" },
};

int
web_load(int action)
{
	const char	*p, *root;
	char		 path[PATH_MAX];
	size_t		 i;

	if (action == KORE_MODULE_UNLOAD) {
		db_close(db);
		db = NULL;
		files_free();
		return (KORE_RESULT_OK);
	}
	if (action != KORE_MODULE_LOAD)
		return (KORE_RESULT_OK);

	db_path[0] = '\0';
	if ((p = getenv("STEPBENCH_DB")) == NULL || *p == '\0')
		snprintf(db_err, sizeof(db_err), "no database configured "
		    "(STEPBENCH_DB is not set); start the dashboard with "
		    "'stepbench serve --db PATH'");
	else if (strlen(p) >= sizeof(db_path))
		snprintf(db_err, sizeof(db_err), "the database path in "
		    "STEPBENCH_DB is too long");
	else
		memcpy(db_path, p, strlen(p) + 1);
	if (web_db(&p) == NULL)
		kore_log(LOG_NOTICE, "dashboard: %s", p);

	if ((root = getenv("STEPBENCH_WEBROOT")) == NULL || *root == '\0') {
		kore_log(LOG_NOTICE, "dashboard: STEPBENCH_WEBROOT is not set; "
		    "/static answers 404");
		return (KORE_RESULT_OK);
	}
	for (i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		if ((size_t)snprintf(path, sizeof(path), "%s/%s", root,
		    files[i].name) >= sizeof(path))
			continue;
		file_load(path, &files[i]);
	}
	return (KORE_RESULT_OK);
}

/* A worker that stops cleanly closes its handle (Kore calls this by name). */
void	kore_worker_teardown(void);

void
kore_worker_teardown(void)
{
	db_close(db);
	db = NULL;
}

struct db *
web_db(const char **why)
{
	struct stat	st;

	*why = db_err;
	if (db_path[0] == '\0')
		return (NULL);
	if (stat(db_path, &st) == -1) {
		if (errno == ENOENT)
			snprintf(db_err, sizeof(db_err), "no database at "
			    "'%s'; run 'stepbench sweep --db %s' first",
			    db_path, db_path);
		else
			snprintf(db_err, sizeof(db_err), "cannot reach the "
			    "database '%s': %s", db_path, strerror(errno));
		db_close(db);
		db = NULL;
		return (NULL);
	}
	if (db != NULL && st.st_dev == db_dev && st.st_ino == db_ino)
		return (db);

	/* First use, an earlier failure, or a new file at the same path. */
	db_close(db);
	db = NULL;
	if (db_open(&db, db_path, DB_OPEN_READONLY, db_err,
	    sizeof(db_err)) == -1)
		return (NULL);
	db_dev = st.st_dev;
	db_ino = st.st_ino;
	return (db);
}

const char *
web_db_path(void)
{
	return (db_path[0] ? db_path : "(not set)");
}

const struct web_file *
web_file_find(const char *name)
{
	size_t	i;

	for (i = 0; i < sizeof(files) / sizeof(files[0]); i++)
		if (strcmp(files[i].name, name) == 0)
			return (files[i].data != NULL ? &files[i] : NULL);
	return (NULL);
}

static void
file_load(const char *path, struct web_file *f)
{
	struct stat	 st;
	unsigned char	*buf = NULL;
	uint64_t	 h = 0xcbf29ce484222325ULL;	/* FNV-1a */
	size_t		 off = 0, i;
	ssize_t		 r;
	int		 fd;

	if ((fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)) == -1) {
		kore_log(LOG_NOTICE, "dashboard: %s: %s (rebuild stepbench "
		    "to fill the webroot)", path, strerror(errno));
		return;
	}
	if (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode) || st.st_size <= 0 ||
	    (uint64_t)st.st_size > WEB_FILE_MAX) {
		kore_log(LOG_NOTICE, "dashboard: %s: not a regular file of "
		    "1 byte to %u MiB", path, WEB_FILE_MAX >> 20);
		goto out;
	}
	if ((buf = malloc(st.st_size)) == NULL)
		goto out;
	while (off < (size_t)st.st_size) {
		r = read(fd, buf + off, st.st_size - off);
		if (r == -1 && errno == EINTR)
			continue;
		if (r <= 0) {
			kore_log(LOG_NOTICE, "dashboard: reading %s failed",
			    path);
			goto out;
		}
		off += r;
	}
	/* A content hash as ETag: a rebuilt asset is refetched after a
	 * reload or restart, an unchanged one is answered 304. */
	for (i = 0; i < off; i++)
		h = (h ^ buf[i]) * 0x100000001b3ULL;
	snprintf(f->etag, sizeof(f->etag), "\"%016llx\"",
	    (unsigned long long)h);
	f->data = buf;
	f->len = off;
	buf = NULL;
out:
	free(buf);
	close(fd);
}

static void
files_free(void)
{
	size_t	i;

	for (i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		free(files[i].data);
		files[i].data = NULL;
		files[i].len = 0;
	}
}
