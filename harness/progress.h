/*
 * harness/progress.h — what a person sees during a sweep: a live progress
 * line on stderr (only when stderr is a terminal) with the count, the point
 * being measured and an ETA; a results table on stdout, a row per point as
 * it finishes.
 */
#ifndef SB_HARNESS_PROGRESS_H
#define SB_HARNESS_PROGRESS_H

#include <stdio.h>

struct db_result;
struct sb_point;

struct sb_progress {
	int	total;		/* points in the plan */
	int	todo;		/* points this process will measure */
	int	done;		/* of todo */
	double	t0;		/* when measuring began */
	int	tty;
	int	ok, mismatch, failed, skipped;
};

void	sb_progress_begin(struct sb_progress *, int total, int todo);
void	sb_progress_point(struct sb_progress *, const struct sb_point *);
void	sb_progress_result(struct sb_progress *, const struct db_result *);
void	sb_progress_end(struct sb_progress *);
void	sb_table_header(FILE *);
void	sb_table_row(FILE *, const struct db_result *);

#endif
