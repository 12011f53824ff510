#!/usr/bin/env bash
# tests/cli/allreduce.sh — `stepbench allreduce` under a real mpirun (label
# mpi): the MPI backend on 2 CPU ranks (and 3 for the f16/bf16 sums and
# averages), its rows and comm rows in the database (rank 0 writes),
# nccl-tests' busbw = algbw · 2(n-1)/n, a sub-world, bad input refused
# with exit 2 and nothing written, and the nccl backend without a GPU
# refused saying so.
#
#   SB_MPIRUN=/usr/bin/mpirun bash tests/cli/allreduce.sh /path/to/stepbench
# shellcheck source=tests/cli/lib.sh
. "$(dirname "$0")/lib.sh"

need_mpirun allreduce.sh

DB=$T/ar.db
LAST="(SELECT max(id) FROM run)"

# --- ar-1: 2 ranks, f32 sum, out of place and in place ------------------------
mpi 2 allreduce --backend mpi -b 8 -e 64K -f 4 --db "$DB" "${FAST[@]}"
expect_exit ar-1.1 0
# 8, 32, ..., 32K: 7 sizes x out, in
check_eq ar-1.2 "14 rows, all ok, world 2, mode allreduce, written once" \
    "14|14|14|14" \
    "$(sql "$DB" "SELECT count(*), sum(status = 'ok'), sum(world = 2), sum(mode = 'allreduce') FROM result WHERE run_id = $LAST")"
check_eq ar-1.3 "one run, ok, 14 planned" "1|ok|14" \
    "$(sql "$DB" "SELECT count(*), max(status), max(planned_points) FROM run")"
check_eq ar-1.4 "ids name backend, dtype, op and place" \
    "allreduce.mpi.f32.sum.in|allreduce.mpi.f32.sum.out" \
    "$(sql "$DB" "SELECT group_concat(variant, '|') FROM (SELECT DISTINCT variant FROM result ORDER BY variant)")"
check_eq ar-1.5 "sizes 8 B to 32 KiB, count = bytes / 4" "8|32768|0" \
    "$(sql "$DB" "SELECT CAST(min(bytes) AS INTEGER), CAST(max(bytes) AS INTEGER), sum(m * 4 != bytes) FROM result")"
check_eq ar-1.6 "the dp columns: mpi, f32, sum, in/out" "14|14|14|7|7" \
    "$(sql "$DB" "SELECT sum(dp_backend = 'mpi'), sum(dp_compress = 'f32'), sum(dp_op = 'sum'), sum(dp_inplace = 1), sum(dp_inplace = 0) FROM result")"
check_eq ar-1.7 "one comm row per result, bucket 0, bytes as the result's" \
    "14|0|14" \
    "$(sql "$DB" "SELECT count(*), max(c.bucket), sum(c.bytes = r.bytes) FROM comm c JOIN result r ON r.id = c.result_id")"
check_eq ar-1.8 "busbw = algbw * 2(n-1)/n = algbw at n = 2" 0 \
    "$(sql "$DB" "SELECT count(*) FROM comm WHERE abs(busbw_gbps - algbw_gbps * 2 * (2 - 1) / 2.0) > 1e-9 * algbw_gbps OR busbw_gbps IS NULL")"
check_eq ar-1.9 "algbw = bytes / median" 0 \
    "$(sql "$DB" "SELECT count(*) FROM comm WHERE abs(algbw_gbps - bytes / (median_us * 1e-6) / 1e9) > 1e-9 * algbw_gbps")"
check_eq ar-1.10 "checked exactly before and after timing" "0.0|0.0|0.0" \
    "$(sql "$DB" "SELECT max(err_y), max(err_recheck), max(tol) FROM result")"
check_eq ar-1.11 "samples stored, min <= median" 0 \
    "$(sql "$DB" "SELECT count(*) FROM result r JOIN comm c ON c.result_id = r.id WHERE r.nsamples < 2 OR c.min_us > c.median_us OR c.median_us != r.median_us")"
expect_stdout_contains ar-1.12 "busbw"
expect_stdout_contains ar-1.12 "allreduce.mpi.f32.sum.in"
check_eq ar-1.13 "the table is printed once (rank 0)" 7 \
    "$(grep -c 'allreduce.mpi.f32.sum.out' "$T/out")"

# --- ar-2: 3 ranks, f16/bf16 sums and averages, busbw = algbw * 4/3 ----------
mpi 3 allreduce --backend mpi -b 2 -e 4K -f 32 --dtypes f32,f16,bf16 \
    --ops sum,avg --place out,in --db "$DB" "${FAST[@]}"
expect_exit ar-2.1 0
# sizes 2, 64, 2048 B: f32 has no 2-byte message, so (2 + 3 + 3) x 2 x 2
check_eq ar-2.2 "f32, f16, bf16 x sum, avg x out, in; ok" "32|32" \
    "$(sql "$DB" "SELECT count(*), sum(status = 'ok') FROM result WHERE run_id = $LAST")"
check_eq ar-2.3 "sums exact, averages within (n+2) ulp" 0 \
    "$(sql "$DB" "SELECT count(*) FROM result WHERE run_id = $LAST AND (err_recheck > tol OR (dp_op = 'sum' AND err_recheck != 0))")"
check_eq ar-2.4 "busbw = algbw * 4/3 at n = 3" 0 \
    "$(sql "$DB" "SELECT count(*) FROM comm c JOIN result r ON r.id = c.result_id WHERE r.run_id = $LAST AND abs(busbw_gbps - algbw_gbps * 4 / 3.0) > 1e-9 * algbw_gbps")"
check_eq ar-2.5 "world 3, precision = dp_compress = the dtype" "32|32" \
    "$(sql "$DB" "SELECT sum(world = 3), sum(precision = dp_compress) FROM result WHERE run_id = $LAST")"

# --- ar-3: a sub-world: the first 2 of 3 ranks ------------------------------
mpi 3 allreduce --backend mpi --world 2 -b 1K -e 1K --place in --db "$DB" \
    "${FAST[@]}"
expect_exit ar-3.1 0
check_eq ar-3.2 "one row, world 2" "1|2|ok" \
    "$(sql "$DB" "SELECT count(*), max(world), max(status) FROM result WHERE run_id = $LAST")"

# --- ar-4: bad input: exit 2, nothing written --------------------------------
BAD=$T/bad.db
sb allreduce --backend mpi -b 1K -e 8 --db "$BAD"
expect_exit ar-4.1 2
expect_stderr_contains ar-4.1 "-b 1024 is above -e 8"
sb allreduce --backend mpi -f 1 --db "$BAD"
expect_exit ar-4.2 2
expect_stderr_contains ar-4.2 "-f: '1' is not valid"
sb allreduce --backend mpi --dtypes f64 --db "$BAD"
expect_exit ar-4.3 2
expect_stderr_contains ar-4.3 "'f64' is not one of f32, f16, bf16"
sb allreduce --backend mpi -b 1X --db "$BAD"
expect_exit ar-4.4 2
expect_stderr_contains ar-4.4 "'1X' is not a size"
sb allreduce --backend mpi --world 2 --db "$BAD"
expect_exit ar-4.5 2
expect_stderr_contains ar-4.5 "world 2 needs 2 processes: run under mpirun -n 2 (this job has 1)"
mpi 2 allreduce --backend mpi --world 3 --db "$BAD"
expect_exit ar-4.6 2
expect_stderr_contains ar-4.6 "world 3 needs 3 processes: run under mpirun -n 3 (this job has 2)"
sb allreduce --backend mpi --graph --db "$BAD"
expect_exit ar-4.7 2
expect_stderr_contains ar-4.7 "--graph captures CUDA work"
sb allreduce --backend gloo --db "$BAD"
expect_exit ar-4.8 2
expect_stderr_contains ar-4.8 "give nccl or mpi"
expect_no_db ar-4.9 "$BAD"

# --- ar-5: nccl without a GPU says so ----------------------------------------
if command -v nvidia-smi >/dev/null && nvidia-smi -L >/dev/null 2>&1; then
	echo "allreduce.sh: a GPU is visible: ar-5 (nccl without a GPU) is not run here"
else
	sb allreduce --backend nccl -b 8 -e 8 --db "$BAD"
	expect_exit ar-5.1 2
	expect_stderr_contains ar-5.1 "--backend nccl"
	expect_stderr_contains ar-5.1 "give --backend mpi"
	mpi 2 allreduce --backend nccl -b 8 -e 8 --db "$BAD"
	expect_exit ar-5.2 2
	expect_stderr_contains ar-5.2 "has no GPU"
	expect_no_db ar-5.3 "$BAD"
	# the default backend is mpi where there is no GPU
	sb allreduce -b 8 -e 8 --place out --no-db "${FAST[@]}"
	expect_exit ar-5.4 0
	expect_stdout_contains ar-5.4 "allreduce.mpi.f32.sum.out"
fi

summary allreduce
