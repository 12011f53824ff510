/*
 * web/seccomp.c — system calls the module needs beyond Kore's own
 * allow-list (Kore 4.1 always runs its workers under seccomp; a call
 * outside the list kills the worker, and Kore restarts it forever).
 *
 * Found with `seccomp_tracing yes` while exercising every route (tests/web/
 * http.sh), including reads during a concurrent sweep, a database that
 * appears or is replaced while serving, and a module reload.
 */
#include <kore/kore.h>
#include <kore/seccomp.h>

void	kore_seccomp_hook(void);

KORE_SECCOMP_FILTER("stepbench",
	/* SQLite reading the database and its WAL */
	KORE_SYSCALL_ALLOW(pread64),
	KORE_SYSCALL_ALLOW(newfstatat),
	/* SQLite's WAL index (-shm): a reader maps, sizes and chowns it
	 * (to the database owner) and writes its read marks there */
	KORE_SYSCALL_ALLOW(pwrite64),
	KORE_SYSCALL_ALLOW(ftruncate),
	KORE_SYSCALL_ALLOW(fchown),
	/* glibc's realloc of a large (mmap'ed) answer buffer */
	KORE_SYSCALL_ALLOW(mremap),
);
