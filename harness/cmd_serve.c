/*
 * harness/cmd_serve.c — `stepbench serve`: the dashboard (docs/dashboard.md).
 *
 * Design notes:
 *  1. The dashboard is a Kore 4.1 module (web/).  The harness does not link
 *     Kore: it writes a configuration into a private temporary directory
 *     and runs `kore -c CONF -f -n -r -q` on it, so a build without Kore keeps
 *     every other command.  The database path and the webroot reach the
 *     module through the environment (STEPBENCH_DB, STEPBENCH_WEBROOT).
 *  2. Kore runs in its own process group.  When a Kore 4.1 parent exits,
 *     its workers send SIGQUIT to their process group (the worker's pid in
 *     shared memory is already zeroed, so kill(0, ...)); in our group that
 *     would kill serve and the shell's job.  So Ctrl-C reaches serve only,
 *     serve forwards SIGINT/SIGTERM (stop) and SIGHUP (module reload), and
 *     PR_SET_PDEATHSIG stops Kore if serve itself is killed.
 *  3. Kore's log (stdout with -f) comes through a pipe and is copied to
 *     stderr.  Kore runs under `stdbuf -oL`: fully buffered, its lines would
 *     arrive late and be duplicated into every forked worker.
 *  4. "Listening" = a TCP connect to BIND:PORT succeeds while Kore still
 *     runs.  The port is probed with bind() first, so that another server
 *     already on it is reported as such and never mistaken for ours.
 *  5. Kore restarts a dead worker forever.  A worker killed by the seccomp
 *     sandbox (a system call missing from web/seccomp.c) is reported, and
 *     SERVE_LOOP_N restarts within SERVE_LOOP_S stop the server: a restart
 *     loop serves nothing and floods the log.
 */
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "clock.h"
#include "db.h"

#define SERVE_READY_S	5.0	/* Kore must listen within this */
#define SERVE_STOP_S	10.0	/* then its process group is killed */
#define SERVE_TAIL	4096	/* bytes of Kore's log kept for diagnosis */
#define SERVE_LOOP_N	5	/* worker restarts within SERVE_LOOP_S ... */
#define SERVE_LOOP_S	10.0	/* ... make a restart loop: stop */

struct serve {
	char	 db[PATH_MAX];		/* absolute */
	char	 bind[INET6_ADDRSTRLEN];
	int	 family;
	long	 port;
	long	 workers;
	char	 kore[PATH_MAX];
	char	 module[PATH_MAX];	/* <web>/stepbench_web.so */
	char	 webroot[PATH_MAX];	/* <web>/webroot */
	char	 dir[PATH_MAX];		/* private, mkdtemp */
	char	 conf[PATH_MAX + 16];
	pid_t	 pid;			/* Kore's parent, leader of its group */
	char	 tail[SERVE_TAIL + 1];
	size_t	 taillen;
	char	 line[512];		/* Kore's log line being assembled */
	size_t	 linelen;
	int	 restarts;		/* in the current window */
	double	 restart_t0;
	int	 looping;
};

/* A stop (SIGINT/SIGTERM/SIGQUIT) and a reload (SIGHUP) are kept apart, so
 * that a reload arriving just after a stop cannot cancel it. */
static volatile sig_atomic_t	stop_signal, reload_req;

static void	on_signal(int);
static int	find_kore(struct serve *);
static int	find_web(struct serve *);
static int	config_safe(const char *);
static int	parse_bind(struct serve *, const char *);
static int	make_addr(const struct serve *, struct sockaddr_storage *,
		    socklen_t *);
static int	probe_port(const struct serve *);
static int	listening(const struct serve *);
static int	write_conf(struct serve *);
static int	start_kore(struct serve *, int *);
static void	keep_tail(struct serve *, const char *, size_t);
static void	scan_log(struct serve *, const char *, size_t);
static int	supervise(struct serve *, int);
static void	remove_dir(struct serve *);
static void	usage(void);

static void
on_signal(int sig)
{
	if (sig == SIGHUP)
		reload_req = 1;
	else
		stop_signal = sig == SIGQUIT ? SIGTERM : sig;
}

static void
usage(void)
{
	printf("usage: stepbench serve [--db PATH] [--port N] [--bind ADDR] "
	    "[--workers N]\n\n"
	    "Serves the dashboard for a database with Kore "
	    "(apt-get install kore):\nthe runs, one run's charts, two runs "
	    "compared, and the JSON/CSV API behind\nthem "
	    "(docs/dashboard.md).  It only reads the database, so a sweep may "
	    "write\nto it meanwhile; a database that does not exist yet is "
	    "picked up once a\nsweep creates it.  Ctrl-C stops the server.\n\n"
	    "  --db PATH      the database (default: $STEPBENCH_DB, else "
	    "./stepbench.db)\n"
	    "  --port N       TCP port, 1..65535 (default 8080)\n"
	    "  --bind ADDR    an IPv4 or IPv6 address, or localhost (default "
	    "127.0.0.1);\n"
	    "                 anything but loopback shows your results to "
	    "the network\n"
	    "  --workers N    Kore worker processes, 1..64 (default 2)\n\n"
	    "Kore is /usr/bin/kore, or $KORE.  The module and webroot are "
	    "found next to\nthis binary (<build>/web/), or in "
	    "$STEPBENCH_WEB_DIR.  STEPBENCH_SECCOMP_TRACE=1\nlogs system "
	    "calls outside the module's seccomp list instead of stopping "
	    "the\nworker (for development).\n");
}

static int
find_kore(struct serve *s)
{
	const char	*env = getenv("KORE"), *path, *p, *end;
	size_t		 n;

	if (env != NULL && *env != '\0') {
		if (access(env, X_OK) == -1)
			return sb_fail("serve", "KORE='%s' is not an "
			    "executable file", env);
		snprintf(s->kore, sizeof(s->kore), "%s", env);
		return 0;
	}
	if (access("/usr/bin/kore", X_OK) == 0) {
		snprintf(s->kore, sizeof(s->kore), "/usr/bin/kore");
		return 0;
	}
	if ((path = getenv("PATH")) != NULL) {
		for (p = path; *p != '\0'; p = *end ? end + 1 : end) {
			if ((end = strchr(p, ':')) == NULL)
				end = p + strlen(p);
			n = end - p;
			if (n == 0 || n + 6 >= sizeof(s->kore))
				continue;
			snprintf(s->kore, sizeof(s->kore), "%.*s/kore", (int)n,
			    p);
			if (access(s->kore, X_OK) == 0)
				return 0;
		}
	}
	return sb_fail("serve", "Kore is not installed, and the dashboard runs "
	    "on it: 'apt-get install kore' (scripts/install-deps does), or set "
	    "KORE=/path/to/kore");
}

static int
find_web(struct serve *s)
{
	const char	*env = getenv("STEPBENCH_WEB_DIR");
	char		 exe[PATH_MAX], dir[PATH_MAX], *slash;
	ssize_t		 n;
	int		 i;

	if (env != NULL && *env != '\0')
		snprintf(dir, sizeof(dir), "%s", env);
	else {
		/* <build>/harness/stepbench → <build>/web */
		if ((n = readlink("/proc/self/exe", exe, sizeof(exe) - 1)) < 0)
			return sb_fail("serve", "cannot find this binary's "
			    "path (/proc/self/exe): %m; set STEPBENCH_WEB_DIR "
			    "to <build>/web");
		exe[n] = '\0';
		for (i = 0; i < 2; i++)
			if ((slash = strrchr(exe, '/')) != NULL)
				*slash = '\0';
		if ((size_t)snprintf(dir, sizeof(dir), "%s/web", exe) >=
		    sizeof(dir))
			return sb_fail("serve", "the path '%s' is too long",
			    exe);
	}
	if ((size_t)snprintf(s->module, sizeof(s->module),
	    "%s/stepbench_web.so", dir) >= sizeof(s->module) ||
	    (size_t)snprintf(s->webroot, sizeof(s->webroot), "%s/webroot",
	    dir) >= sizeof(s->webroot))
		return sb_fail("serve", "the path '%s' is too long", dir);
	if (access(s->module, R_OK) == -1)
		return sb_fail("serve", "the dashboard module %s was not built "
		    "(%m): configure found no Kore headers or no Chart.js "
		    "(the configure summary says which; 'apt-get install kore "
		    "libjs-chart.js'), or set STEPBENCH_WEB_DIR to a build's "
		    "web/ folder", s->module);
	if (config_safe(s->module) == -1)
		return sb_fail("serve", "the module path '%s' holds a space, "
		    "quote or control character, which Kore's configuration "
		    "cannot express; build in a plainer path", s->module);
	return 0;
}

/* Kore 4.1 splits configuration lines on blanks and has no quoting. */
static int
config_safe(const char *s)
{
	for (; *s != '\0'; s++)
		if ((unsigned char)*s <= ' ' || *s == '"' || *s == '#' ||
		    *s == '{' || *s == '}' || *s == 0x7f)
			return -1;
	return 0;
}

static int
parse_bind(struct serve *s, const char *a)
{
	struct in6_addr	a6;
	struct in_addr	a4;

	/* localhost is pinned to IPv4 so that Kore, the probe and the URL
	 * agree on one address. */
	if (strcmp(a, "localhost") == 0)
		a = "127.0.0.1";
	if (inet_pton(AF_INET, a, &a4) == 1)
		s->family = AF_INET;
	else if (inet_pton(AF_INET6, a, &a6) == 1)
		s->family = AF_INET6;
	else
		return sb_usage("serve", "--bind: '%s' is not an IPv4 or IPv6 "
		    "address; give e.g. 127.0.0.1, ::1 or localhost", a);
	snprintf(s->bind, sizeof(s->bind), "%s", a);
	return 0;
}

static int
make_addr(const struct serve *s, struct sockaddr_storage *ss, socklen_t *len)
{
	struct sockaddr_in	*sin = (struct sockaddr_in *)ss;
	struct sockaddr_in6	*sin6 = (struct sockaddr_in6 *)ss;

	memset(ss, 0, sizeof(*ss));
	if (s->family == AF_INET) {
		sin->sin_family = AF_INET;
		sin->sin_port = htons((uint16_t)s->port);
		*len = sizeof(*sin);
		return inet_pton(AF_INET, s->bind, &sin->sin_addr) == 1 ? 0 :
		    -1;
	}
	sin6->sin6_family = AF_INET6;
	sin6->sin6_port = htons((uint16_t)s->port);
	*len = sizeof(*sin6);
	return inet_pton(AF_INET6, s->bind, &sin6->sin6_addr) == 1 ? 0 : -1;
}

static int
probe_port(const struct serve *s)
{
	struct sockaddr_storage	ss;
	socklen_t		len;
	int			fd, on = 1, rc = 0, err;

	if (make_addr(s, &ss, &len) == -1 ||
	    (fd = socket(s->family, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1)
		return sb_fail("serve", "cannot make a socket for %s: %m",
		    s->bind);
	/* As Kore does, so that a port in TIME_WAIT is not "in use". */
	(void)setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on));
	if (bind(fd, (struct sockaddr *)&ss, len) == -1) {
		err = errno;
		if (err == EADDRINUSE)
			rc = sb_fail("serve", "port %ld on %s is in use "
			    "(another server, or another 'stepbench serve'); "
			    "give a free one with --port, e.g. --port %ld",
			    s->port, s->bind,
			    s->port < 65535 ? s->port + 1 : 8080);
		else if (err == EACCES)
			rc = sb_fail("serve", "may not listen on port %ld "
			    "(ports below 1024 need privileges); give --port "
			    "8080 or another above 1023", s->port);
		else if (err == EADDRNOTAVAIL)
			rc = sb_fail("serve", "--bind %s: no interface of this "
			    "machine has that address", s->bind);
		else
			rc = sb_fail("serve", "cannot listen on %s port %ld: "
			    "%s", s->bind, s->port, strerror(err));
	}
	close(fd);
	return rc;
}

static int
listening(const struct serve *s)
{
	struct sockaddr_storage	ss;
	socklen_t		len;
	int			fd, ok;

	if (make_addr(s, &ss, &len) == -1 ||
	    (fd = socket(s->family, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1)
		return 0;
	ok = connect(fd, (struct sockaddr *)&ss, len) == 0;
	close(fd);
	return ok;
}

static int
write_conf(struct serve *s)
{
	static const char *const api[] = { "runs", "run", "results",
	    "baseline", "phases", "curves", "compare", "compare_env",
	    "launch_info", "scaler", "comm", "compare_fp", "point", "kernels",
	    "profile" };
	const char	*tmp = getenv("TMPDIR");
	FILE		*f;
	size_t		 i;
	int		 fd;

	if (tmp == NULL || *tmp == '\0' || config_safe(tmp) == -1)
		tmp = "/tmp";
	if ((size_t)snprintf(s->dir, sizeof(s->dir), "%s/stepbench-serve."
	    "XXXXXX", tmp) >= sizeof(s->dir) || mkdtemp(s->dir) == NULL) {
		s->dir[0] = '\0';
		return sb_fail("serve", "cannot make a temporary directory in "
		    "%s: %m", tmp);
	}
	snprintf(s->conf, sizeof(s->conf), "%s/kore.conf", s->dir);
	if ((fd = open(s->conf, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC,
	    0600)) == -1 || (f = fdopen(fd, "w")) == NULL)
		return sb_fail("serve", "cannot write %s: %m", s->conf);

	/* Kore 4.1 syntax.  The module comes first, so that a module that
	 * fails to load stops Kore before it listens. */
	fprintf(f, "# generated by 'stepbench serve'; removed when it stops\n"
	    "load %s web_load\n"
	    "server sb {\n\tbind %s %ld\n\ttls no\n}\n"
	    "root %s\n"
	    "pidfile %s/kore.pid\n"
	    "workers %ld\n"
	    "worker_set_affinity 0\n"
	    "http_hsts_enable 0\n"
	    /* No request bodies: POST, PUT and PATCH get 405 from Kore. */
	    "http_body_max 0\n"
	    "http_server_version stepbench\n",
	    s->module, s->bind, s->port, s->dir, s->dir, s->workers);
	if (getenv("STEPBENCH_SECCOMP_TRACE") != NULL &&
	    strcmp(getenv("STEPBENCH_SECCOMP_TRACE"), "1") == 0)
		fprintf(f, "seccomp_tracing yes\n");
	/* Every route accepts every method and answers 405 itself, with
	 * the security headers; the last route answers 404 for the rest. */
	fprintf(f, "domain * {\n\tattach sb\n"
	    "\troute / web_page_runs\n"
	    "\troute /run web_page_run\n"
	    "\troute /compare web_page_compare\n"
	    "\troute /point web_page_point\n");
	for (i = 0; i < sizeof(api) / sizeof(api[0]); i++)
		fprintf(f, "\troute /api/%s web_api\n", api[i]);
	fprintf(f, "\troute ^/static/ web_static\n"
	    "\troute ^/ web_not_found\n}\n");
	if (fclose(f) != 0)
		return sb_fail("serve", "writing %s failed: %m", s->conf);
	return 0;
}

static int
start_kore(struct serve *s, int *outfd)
{
	char	 port[16], *argv[10];
	pid_t	 parent = getpid();
	int	 p[2], i = 0;

	if (pipe2(p, O_CLOEXEC) == -1)
		return sb_fail("serve", "pipe: %m");
	snprintf(port, sizeof(port), "%ld", s->port);
	if (access("/usr/bin/stdbuf", X_OK) == 0) {
		argv[i++] = "/usr/bin/stdbuf";
		argv[i++] = "-oL";
	}
	argv[i++] = s->kore;
	argv[i++] = "-c";
	argv[i++] = s->conf;
	argv[i++] = "-f";	/* foreground, log to stdout */
	argv[i++] = "-n";	/* no chroot: the database is anywhere */
	argv[i++] = "-r";	/* keep this user: SQLite needs its -shm */
	argv[i++] = "-q";	/* notices off; errors, dying workers and
				 * reloads are still logged */
	argv[i] = NULL;

	fflush(stdout);
	fflush(stderr);
	if ((s->pid = fork()) == -1) {
		close(p[0]);
		close(p[1]);
		return sb_fail("serve", "fork: %m");
	}
	if (s->pid == 0) {
		sigset_t	none;

		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, NULL);
		/* serve's handlers must not swallow the PDEATHSIG below */
		signal(SIGINT, SIG_DFL);
		signal(SIGTERM, SIG_DFL);
		signal(SIGHUP, SIG_DFL);
		signal(SIGQUIT, SIG_DFL);
		signal(SIGPIPE, SIG_DFL);
		setpgid(0, 0);
		if (prctl(PR_SET_PDEATHSIG, SIGTERM) == -1 ||
		    getppid() != parent)
			_exit(127);
		if (dup2(p[1], STDOUT_FILENO) == -1 ||
		    dup2(p[1], STDERR_FILENO) == -1)
			_exit(127);
		if (setenv("STEPBENCH_DB", s->db, 1) == -1 ||
		    setenv("STEPBENCH_WEBROOT", s->webroot, 1) == -1)
			_exit(127);
		execv(argv[0], argv);
		fprintf(stderr, "stepbench serve: cannot run %s: %s\n",
		    argv[0], strerror(errno));
		_exit(127);
	}
	/* Also here, so that a signal to Kore cannot precede the child's
	 * own setpgid. */
	(void)setpgid(s->pid, s->pid);
	close(p[1]);
	*outfd = p[0];
	return 0;
}

static void
keep_tail(struct serve *s, const char *buf, size_t n)
{
	if (n >= SERVE_TAIL) {
		buf += n - SERVE_TAIL;
		n = SERVE_TAIL;
	}
	if (s->taillen + n > SERVE_TAIL) {
		size_t drop = s->taillen + n - SERVE_TAIL;

		memmove(s->tail, s->tail + drop, s->taillen - drop);
		s->taillen -= drop;
	}
	memcpy(s->tail + s->taillen, buf, n);
	s->taillen += n;
	s->tail[s->taillen] = '\0';
}

/* Watches Kore's log line by line for dying workers (design note 5). */
static void
scan_log(struct serve *s, const char *buf, size_t n)
{
	double	now;

	for (; n > 0; buf++, n--) {
		if (*buf != '\n') {
			if (s->linelen < sizeof(s->line) - 1)
				s->line[s->linelen++] = *buf;
			continue;
		}
		s->line[s->linelen] = '\0';
		s->linelen = 0;
		if (strstr(s->line, "died from sandbox violation") != NULL)
			fprintf(stderr, "stepbench serve: a Kore worker was "
			    "killed by its seccomp sandbox: the module made a "
			    "system call missing from web/seccomp.c "
			    "(STEPBENCH_SECCOMP_TRACE=1 names it); please "
			    "report it\n");
		if (strstr(s->line, "restarting worker") == NULL)
			continue;
		now = sb_mono_s();
		if (s->restarts == 0 || now - s->restart_t0 > SERVE_LOOP_S) {
			s->restarts = 0;
			s->restart_t0 = now;
		}
		if (++s->restarts >= SERVE_LOOP_N)
			s->looping = 1;
	}
}

/*
 * Copies Kore's log, waits for it to listen, forwards signals, and stops
 * it.  Returns the exit status of serve.
 */
static int
supervise(struct serve *s, int fd)
{
	struct pollfd	 pfd = { .fd = fd, .events = POLLIN };
	double		 t0 = sb_mono_s(), stop_at = 0, gone_at = 0;
	double		 killed_at = 0;
	char		 buf[4096];
	ssize_t		 n;
	pid_t		 w;
	int		 status = 0, ready = 0, stopping = 0, reaped = 0;
	int		 eof = 0, sig, rc = SB_EXIT_OK, killed = 0;

	while (!reaped || !eof) {
		if (!eof && poll(&pfd, 1, 100) > 0) {
			if ((n = read(fd, buf, sizeof(buf))) > 0) {
				(void)!write(STDERR_FILENO, buf, n);
				keep_tail(s, buf, n);
				scan_log(s, buf, n);
			} else if (n == 0 || errno != EINTR)
				eof = 1;
		} else if (eof) {
			struct timespec ts = { 0, 50 * 1000 * 1000 };

			nanosleep(&ts, NULL);
		}
		if (reload_req) {
			reload_req = 0;
			if (!reaped && !stopping)
				kill(s->pid, SIGHUP);
		}
		if ((sig = stop_signal) != 0) {
			stop_signal = 0;
			if (!reaped)
				kill(s->pid, sig);
			if (!stopping) {
				stopping = 1;
				stop_at = sb_mono_s();
			}
		}
		if (!reaped && (w = waitpid(s->pid, &status, WNOHANG)) ==
		    s->pid) {
			reaped = 1;
			gone_at = sb_mono_s();
		}
		if (!ready && !reaped && !stopping && listening(s)) {
			ready = 1;
			printf("stepbench: serving %s at http://%s%s%s:%ld/\n",
			    s->db, s->family == AF_INET6 ? "[" : "", s->bind,
			    s->family == AF_INET6 ? "]" : "", s->port);
			fflush(stdout);
			fprintf(stderr, "stepbench serve: Ctrl-C stops the "
			    "server\n");
		}
		if (s->looping && !stopping) {
			rc = sb_fail("serve", "Kore's workers keep dying (%d "
			    "restarts within %.0f s; its log is above); "
			    "stopping it", SERVE_LOOP_N, SERVE_LOOP_S);
			kill(s->pid, SIGTERM);
			stopping = 1;
			stop_at = sb_mono_s();
		}
		if (!ready && !reaped && !stopping &&
		    sb_mono_s() - t0 > SERVE_READY_S) {
			rc = sb_fail("serve", "Kore did not listen on %s port "
			    "%ld within %.0f s; stopping it (its log is above)",
			    s->bind, s->port, SERVE_READY_S);
			kill(s->pid, SIGTERM);
			stopping = 1;
			stop_at = sb_mono_s();
		}
		/* Kore ignores a stop, or its workers outlive it. */
		if (!killed && ((stopping && !reaped &&
		    sb_mono_s() - stop_at > SERVE_STOP_S) ||
		    (reaped && !eof && sb_mono_s() - gone_at > 3.0))) {
			kill(-s->pid, SIGKILL);
			killed = 1;
			killed_at = sb_mono_s();
			rc = sb_fail("serve", "Kore did not stop; killed it");
		}
		/* Whatever still holds the log pipe is not Kore's. */
		if (killed && sb_mono_s() - killed_at > 2.0)
			break;
	}
	if (rc != SB_EXIT_OK)
		return rc;
	if (!ready && stopping && WIFEXITED(status) &&
	    WEXITSTATUS(status) == 0)
		return SB_EXIT_OK;	/* stopped by the user while starting */
	if (!ready) {
		rc = sb_fail("serve", "Kore stopped before it listened on %s "
		    "port %ld (%s %d); its log is above", s->bind, s->port,
		    WIFEXITED(status) ? "exit status" : "signal",
		    WIFEXITED(status) ? WEXITSTATUS(status) :
		    WTERMSIG(status));
		if (strstr(s->tail, "in use") != NULL)
			fprintf(stderr, "stepbench serve: the port is in use; "
			    "give another with --port\n");
		return rc;
	}
	if (!stopping)
		return sb_fail("serve", "Kore stopped unexpectedly (%s %d); "
		    "its log is above", WIFEXITED(status) ? "exit status" :
		    "signal", WIFEXITED(status) ? WEXITSTATUS(status) :
		    WTERMSIG(status));
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
		return sb_fail("serve", "Kore stopped with %s %d",
		    WIFEXITED(status) ? "exit status" : "signal",
		    WIFEXITED(status) ? WEXITSTATUS(status) :
		    WTERMSIG(status));
	fprintf(stderr, "stepbench serve: stopped\n");
	return SB_EXIT_OK;
}

static void
remove_dir(struct serve *s)
{
	char	path[PATH_MAX + 16];

	if (s->dir[0] == '\0')
		return;
	(void)unlink(s->conf);
	snprintf(path, sizeof(path), "%s/kore.pid", s->dir);
	(void)unlink(path);
	if (rmdir(s->dir) == -1)
		fprintf(stderr, "stepbench serve: could not remove %s: %s\n",
		    s->dir, strerror(errno));
}

int
cmd_serve(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "db", required_argument, NULL, 'd' },
		{ "port", required_argument, NULL, 'p' },
		{ "bind", required_argument, NULL, 'b' },
		{ "workers", required_argument, NULL, 'w' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	static struct serve s;	/* large: not on the stack */
	struct sigaction sa;
	const char	*dbopt = NULL, *path, *bind = "127.0.0.1";
	char		 err[2048], cwd[PATH_MAX];
	struct db	*db;
	int		 c, fd = -1, rc;

	memset(&s, 0, sizeof(s));
	s.port = 8080;
	s.workers = 2;
	opterr = 0;
	optind = 0;
	while ((c = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
		switch (c) {
		case 'd':
			dbopt = optarg;
			break;
		case 'p':
			if (sb_opt_int("serve", "--port", optarg, 1, 65535,
			    &s.port) == -1)
				return SB_EXIT_USAGE;
			break;
		case 'b':
			bind = optarg;
			break;
		case 'w':
			if (sb_opt_int("serve", "--workers", optarg, 1, 64,
			    &s.workers) == -1)
				return SB_EXIT_USAGE;
			break;
		case 'h':
			usage();
			return SB_EXIT_OK;
		default:
			return sb_bad_option("serve", argc, argv, c);
		}
	}
	if (optind < argc)
		return sb_usage("serve", "unexpected argument '%s'",
		    argv[optind]);
	if (parse_bind(&s, bind) != 0)
		return SB_EXIT_USAGE;
	path = sb_db_path(dbopt);
	if (*path == '\0')
		return sb_usage("serve", "--db: give a database path");
	if (path[0] == '/')
		rc = snprintf(s.db, sizeof(s.db), "%s", path);
	else if (getcwd(cwd, sizeof(cwd)) == NULL)
		return sb_fail("serve", "cannot read the current directory: "
		    "%m");
	else
		rc = snprintf(s.db, sizeof(s.db), "%s/%s", cwd, path);
	if (rc < 0 || (size_t)rc >= sizeof(s.db))
		return sb_usage("serve", "--db: the path is too long");

	if (find_kore(&s) != 0 || find_web(&s) != 0)
		return SB_EXIT_FAIL;

	/* A database that cannot be read yet is not an error: the
	 * dashboard shows the same message and reopens it on each request. */
	if (db_open(&db, s.db, DB_OPEN_READONLY, err, sizeof(err)) == -1)
		fprintf(stderr, "stepbench serve: warning: %s (the dashboard "
		    "says so until it can read it)\n", err);
	else
		db_close(db);

	if (probe_port(&s) != 0)
		return SB_EXIT_FAIL;

	/* handlers first, so a stop during setup still removes the temp dir */
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;	/* no SA_RESTART: poll wakes up */
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	sigaction(SIGQUIT, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);	/* a closed stderr must not kill us */
	if (write_conf(&s) != 0 || stop_signal != 0) {
		remove_dir(&s);
		return stop_signal != 0 ? SB_EXIT_OK : SB_EXIT_FAIL;
	}

	if (start_kore(&s, &fd) != 0) {
		remove_dir(&s);
		return SB_EXIT_FAIL;
	}
	rc = supervise(&s, fd);
	close(fd);
	remove_dir(&s);
	return rc;
}
