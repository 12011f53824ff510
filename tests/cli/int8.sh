#!/usr/bin/env bash
# tests/cli/int8.sh — dynamic int8 end to end on the CPU variants
# (infer.int8dyn.cpu: the host twin of the GPU's quantisation;
# train.int8dyn.cpu: the training extension): the checked forward against
# the int8 scheme's fp64 oracle at odd shapes and stacks, the quality
# columns (both schemes' error against fp32, clamp counts) for per-tensor
# and per-channel weights, the phases, the training step against the fp32
# step, and the schema's refusals staying out of the way of other rows.
#
#   bash tests/cli/int8.sh /path/to/stepbench
# shellcheck source=tests/cli/lib.sh
. "$(dirname "$0")/lib.sh"

DB=$T/q.db
R="(SELECT id FROM result ORDER BY id DESC LIMIT 1)"

# --- int8-1: the tutorial's quantize_dynamic, per tensor -------------------
sb run infer.int8dyn.cpu --shape tutorial --db "$DB" "${FAST[@]}"
expect_exit int8-1 0
check_eq int8-1 "status ok, an int8 row, per tensor" "ok|int8dyn|0" \
    "$(sql "$DB" "SELECT status, precision, quant_per_channel FROM result WHERE id = $R")"
check_eq int8-1 "checked against the int8 oracle: error tiny" 1 \
    "$(sql "$DB" "SELECT err_y IS NOT NULL AND err_y < 1e-5 FROM result WHERE id = $R")"
check_eq int8-1 "both schemes' error vs fp32 measured, finite, below 10 %" 1 \
    "$(sql "$DB" "SELECT quant_err_sym > 0 AND quant_err_sym < 0.1 AND quant_err_affine > 0 AND quant_err_affine < 0.1 FROM result WHERE id = $R")"
check_eq int8-1 "the two schemes differ" 1 \
    "$(sql "$DB" "SELECT quant_err_sym != quant_err_affine FROM result WHERE id = $R")"
check_eq int8-1 "clamp counts recorded, activations never clamp" "0|1" \
    "$(sql "$DB" "SELECT quant_sat_act, quant_sat_weight IS NOT NULL FROM result WHERE id = $R")"
expect_stdout_contains int8-1 "int8: weights per tensor"

# --- int8-2: per channel and per tensor, both measured on the same data ----
# (per-channel scales shrink the weights' error; whether the output's error
# falls too depends on the activations' share of it, so only "measured and
# different" is asserted)
sb run infer.int8dyn.cpu --shape 64x48x96 --per-channel --db "$DB" "${FAST[@]}"
expect_exit int8-2 0
PC=$(sql "$DB" "SELECT quant_err_sym FROM result WHERE id = $R")
check_eq int8-2 "per-channel row" "ok|1" \
    "$(sql "$DB" "SELECT status, quant_per_channel FROM result WHERE id = $R")"
sb run infer.int8dyn.cpu --shape 64x48x96 --db "$DB" "${FAST[@]}"
expect_exit int8-2 0
PT=$(sql "$DB" "SELECT quant_err_sym FROM result WHERE id = $R")
check_eq int8-2 "the forward phase was timed (one step per sample at this size; the host does not split out the quantisation)" 1 \
    "$(sql "$DB" "SELECT count(*) FROM phase WHERE result_id = $R AND name = 'forward' AND median_us > 0")"
check_eq int8-2 "both measured, and they differ ($PC vs $PT)" 1 \
    "$(awk -v a="$PC" -v b="$PT" 'BEGIN { print (a > 0 && b > 0 && a != b) ? 1 : 0 }')"

# --- int8-3: odd shapes (K not a multiple of 4 or 16), stacks, both modes --
sb sweep --variants '*.int8dyn.cpu' --shapes tutorial,7x13x5,33x17x9,64x32x48 \
    --layers 1,2 --db "$DB" "${FAST[@]}"
expect_exit int8-3 0
expect_stderr_contains int8-3 "16 points measured: 16 ok"
check_eq int8-3 "training rows carry the fp32 comparison's errors" 0 \
    "$(sql "$DB" "SELECT count(*) FROM result WHERE variant = 'train.int8dyn.cpu' AND (err_dw IS NULL OR err_w IS NULL)")"

# --- int8-4: training from fp32 masters: a loss curve close to fp32's ------
sb run train.int8dyn.cpu --shape 32x16x24 --steps 20 --lr 0.05 --db "$DB" "${FAST[@]}"
expect_exit int8-4 0
check_eq int8-4 "20 steps, the fp32 curve beside, scaler rows" "ok|20|20|20" \
    "$(sql "$DB" "SELECT status, nsteps, (SELECT count(ref_loss) FROM loss_curve WHERE result_id = $R), (SELECT count(*) FROM scaler WHERE result_id = $R) FROM result WHERE id = $R")"
check_eq int8-4 "the loss falls" 1 \
    "$(sql "$DB" "SELECT (SELECT loss FROM loss_curve WHERE result_id = $R AND step = 19) < (SELECT loss FROM loss_curve WHERE result_id = $R AND step = 0)")"
check_eq int8-4 "within 10 % of the fp32 curve" 1 \
    "$(sql "$DB" "SELECT loss_divergence < 0.1 FROM result WHERE id = $R")"

# --- int8-5: non-int8 rows keep the quant columns NULL ---------------------
sb run infer.fp32.cpu --shape tutorial --db "$DB" "${FAST[@]}"
expect_exit int8-5 0
check_eq int8-5 "fp32 row: quant columns NULL" "1" \
    "$(sql "$DB" "SELECT quant_per_channel IS NULL AND quant_err_sym IS NULL AND quant_sat_act IS NULL FROM result WHERE id = $R")"

# --- int8-6: a bad option is refused, the database untouched ---------------
BEFORE=$(sql "$DB" "SELECT count(*) FROM result")
sb run infer.int8dyn.cpu --shape tutorial --per-channel=yes --db "$DB" "${FAST[@]}"
expect_exit int8-6 2
expect_stderr_contains int8-6 "per-channel"
check_eq int8-6 "no row added" "$BEFORE" "$(sql "$DB" "SELECT count(*) FROM result")"

# --- int8-7: the GPU variants are listed, and skipped here with the reason -
sb list
expect_exit int8-7 0
for v in infer.int8dyn.dp4a infer.int8dyn.imma infer.int8dyn.cublaslt \
    train.int8dyn.imma; do
	expect_stdout_contains int8-7 "$v"
done
sb run infer.int8dyn.imma --shape tutorial --db "$DB" "${FAST[@]}"
check_eq int8-7 "skipped with a reason" "skipped" \
    "$(sql "$DB" "SELECT status FROM result WHERE id = $R")"

summary int8
