#!/usr/bin/env bash
# tests/cli/dp.sh — the data-parallel step on CPU ranks under a real
# mpirun (label mpi): the averaged step of R ranks equals the one-rank step
# on the full batch (the engine checks every DP row against the fp64
# full-batch step, and the ranks' parameters bit for bit), for L = 1 and
# L = 3, one bucket and a bucket per tensor, with and without --overlap,
# with f16/bf16 compression; uneven splits and what DP does not cover are
# skipped with the reason; --world without processes is refused.
#
#   SB_MPIRUN=/usr/bin/mpirun bash tests/cli/dp.sh /path/to/stepbench
# shellcheck source=tests/cli/lib.sh
. "$(dirname "$0")/lib.sh"

need_mpirun dp.sh

DB=$T/dp.db
R="(SELECT max(id) FROM result)"
run_rows() {	# the result rows of the last run
	echo "(SELECT id FROM result WHERE run_id = (SELECT max(id) FROM run))"
}

# --- dp-1: world 2, L = 1 and 3, DDP's default buckets ----------------------
mpi 2 sweep --variants train.fp32.cpu --shapes 32x24x16 --layers 1,3 \
    --world 2 --db "$DB" "${FAST[@]}"
expect_exit dp-1 0
check_eq dp-1 "two rows (rank 0 writes), both ok, world 2, mpi" "2|2|2|2" \
    "$(sql "$DB" "SELECT count(*), sum(status = 'ok'), sum(world = 2), sum(dp_backend = 'mpi') FROM result WHERE id IN $(run_rows)")"
check_eq dp-1 "checked against the fp64 full-batch step: every error tiny" 2 \
    "$(sql "$DB" "SELECT count(*) FROM result WHERE id IN $(run_rows) AND err_y < 1e-5 AND err_w < 1e-5 AND err_dw < 1e-5 AND err_loss < 1e-5")"
check_eq dp-1 "one bucket each (the model is far below 1 MiB)" "1|1" \
    "$(sql "$DB" "SELECT count(*), max(bucket) + 1 FROM comm WHERE result_id = $R")"
check_eq dp-1 "L=3's one bucket holds all 6 tensors, layers 2..0" "6|2|0" \
    "$(sql "$DB" "SELECT nparams, layer_hi, layer_lo FROM comm WHERE result_id = $R")"
check_eq dp-1 "bucket bytes = the stack's parameters in f32" \
    "$(( 4 * (24 * 16 + 24 + 2 * (24 * 24 + 24)) ))" \
    "$(sql "$DB" "SELECT bytes FROM comm WHERE result_id = $R")"
check_eq dp-1 "bandwidths as nccl-tests: busbw = algbw · 2(n-1)/n = algbw at n = 2" 1 \
    "$(sql "$DB" "SELECT abs(busbw_gbps - algbw_gbps) <= 1e-9 * algbw_gbps AND algbw_gbps > 0 FROM comm WHERE result_id = $R")"
check_eq dp-1 "compute-only baseline, comm time, overhead measured; no hidden share claimed without --overlap" 1 \
    "$(sql "$DB" "SELECT dp_compute_us > 0 AND dp_comm_us > 0 AND dp_overhead IS NOT NULL AND dp_overlap = 0 AND dp_overlap_frac IS NULL AND dp_compress = 'f32' FROM result WHERE id = $R")"

# --- dp-2: a bucket per tensor, --overlap, L = 3 -----------------------------
mpi 2 sweep --variants train.fp32.cpu --shapes 32x24x16 --layers 3 \
    --world 2 --bucket-cap 0.000001 --first-bucket 0.000001 --overlap \
    --db "$DB" "${FAST[@]}"
expect_exit dp-2 0
check_eq dp-2 "ok, six buckets, in reverse order: bias then weight of layer 2 first" "ok|6|1|2|0" \
    "$(sql "$DB" "SELECT (SELECT status FROM result WHERE id = $R), count(*), (SELECT nparams FROM comm WHERE result_id = $R AND bucket = 0), (SELECT layer_hi FROM comm WHERE result_id = $R AND bucket = 0), (SELECT layer_lo FROM comm WHERE result_id = $R AND bucket = 5) FROM comm WHERE result_id = $R")"
check_eq dp-2 "bucket 0 is layer 2's bias (24 floats)" 96 \
    "$(sql "$DB" "SELECT bytes FROM comm WHERE result_id = $R AND bucket = 0")"
check_eq dp-2 "host --overlap: a request's completion is seen only at the wait, so its time, the comm sum and the hidden share are not claimed; the baseline, exposed time and overhead are" "1|0|1" \
    "$(sql "$DB" "SELECT dp_overlap = 1 AND dp_overlap_frac IS NULL AND dp_comm_us IS NULL AND err_w < 1e-5, (SELECT count(*) FROM comm WHERE result_id = $R AND median_us IS NOT NULL), dp_compute_us > 0 AND dp_exposed_us >= 0 AND dp_overhead IS NOT NULL FROM result WHERE id = $R")"

# --- dp-3: the DP step equals the one-rank step: same losses over steps ----
sb run train.fp32.cpu --shape 32x24x16 --layers 3 --steps 6 --lr 0.05 \
    --db "$DB" "${FAST[@]}"
expect_exit dp-3 0
ONE=$R
mpi 2 sweep --variants train.fp32.cpu --shapes 32x24x16 --layers 3 \
    --world 2 --steps 6 --lr 0.05 --db "$DB" "${FAST[@]}"
expect_exit dp-3 0
check_eq dp-3 "six steps each; world 2's loss curve = world 1's to fp32 rounding" "6|6" \
    "$(sql "$DB" "SELECT count(*), sum(abs(a.loss - b.loss) <= 1e-5 * abs(b.loss)) FROM loss_curve AS a JOIN loss_curve AS b ON a.step = b.step WHERE a.result_id = $R AND b.result_id = (SELECT max(id) FROM result WHERE world = 1)")"

# --- dp-4: compression (PyTorch's fp16/bf16 hooks) ---------------------------
for t in f16 bf16; do
	mpi 2 sweep --variants train.fp32.cpu --shapes 128x64x64 --layers 2 \
	    --world 2 --compress $t --db "$DB" "${FAST[@]}"
	expect_exit dp-4 0
	check_eq "dp-4 $t" "ok, compressed, half the bytes, sum of pre-divided" "ok|$t|sum|$(( 2 * (64 * 64 + 64) * 2 ))" \
	    "$(sql "$DB" "SELECT status, dp_compress, dp_op, (SELECT sum(bytes) FROM comm WHERE result_id = $R) FROM result WHERE id = $R")"
	check_eq "dp-4 $t" "the gradients carry the half type's error, and no more" 1 \
	    "$(sql "$DB" "SELECT err_dw > 1e-6 AND err_dw < 1e-2 FROM result WHERE id = $R")"
	check_eq "dp-4 $t" "one step per sample at this size (over 100 us), so phases are timed: dp.allreduce among them" "1|1" \
	    "$(sql "$DB" "SELECT reps, (SELECT count(*) FROM phase WHERE result_id = $R AND name = 'dp.allreduce' AND median_us > 0) FROM result WHERE id = $R")"
done

# --- dp-5: uneven splits, inference, mixed precision: skipped, saying why ----
mpi 3 sweep --variants train.fp32.cpu --shapes tutorial --world 3 \
    --db "$DB" "${FAST[@]}"
expect_exit dp-5 0
check_eq dp-5 "batch 10 over 3 ranks: skipped with the batches that split" 1 \
    "$(sql "$DB" "SELECT status = 'skipped' AND reason LIKE '%batch 10 does not split evenly over world 3%9 or 12%' FROM result WHERE id = $R")"
mpi 2 sweep --variants infer.fp32.cpu,train.fp16amp.cpu --shapes 8x4x4 \
    --world 2 --db "$DB" "${FAST[@]}"
expect_exit dp-5 0
check_eq dp-5 "inference and fp16amp: skipped, saying why" "2|1|1" \
    "$(sql "$DB" "SELECT count(*), sum(reason LIKE '%applies to training%'), sum(reason LIKE '%fp32 and tf32 steps%') FROM result WHERE id IN $(run_rows) AND status = 'skipped'")"

# --- dp-6: world 1 through the DP machinery (--dp), one process --------------
sb run train.fp32.cpu --shape 64x32x32 --layers 2 --dp --db "$DB" "${FAST[@]}"
expect_exit dp-6 0
expect_stdout_contains dp-6 "dp: mpi, world 1, 1 bucket"
# a world-1 bus bandwidth is 0 by definition: the row does not quote it
check_eq dp-6 "no busbw quoted at world 1" 0 "$(grep -c 'busbw' "$T/out")"
check_eq dp-6 "ok at world 1 with a bucket, busbw 0 (2(n-1)/n), overhead measured" "ok|1|1|0.0|1" \
    "$(sql "$DB" "SELECT status, world, (SELECT count(*) FROM comm WHERE result_id = $R), (SELECT busbw_gbps FROM comm WHERE result_id = $R), dp_overhead IS NOT NULL FROM result WHERE id = $R")"

# --- dp-7: a world without its processes is refused, nothing written --------
SUM=$(fsum "$DB")
sb sweep --variants train.fp32.cpu --shapes tutorial --world 2 --db "$DB"
expect_exit dp-7 2
expect_stderr_contains dp-7 "--world 2 needs 2 processes"
expect_stderr_contains dp-7 "mpirun -n 2"
check_eq dp-7 "the database is untouched" "$SUM" "$(fsum "$DB")"
sb sweep --variants train.fp32.cpu --compress f8 --db "$DB"
expect_exit dp-7 2
expect_stderr_contains dp-7 "--compress: 'f8' is not valid; give none, f16 or bf16"
sb sweep --variants train.fp32.cpu --bucket-cap 0 --db "$DB"
expect_exit dp-7 2
expect_stderr_contains dp-7 "--bucket-cap"
check_eq dp-7 "still untouched" "$SUM" "$(fsum "$DB")"

summary dp
