#!/usr/bin/env bash
# tests/cli/amp.sh — mixed precision end to end on the CPU variants
# (train.fp16amp.cpu, train.bf16amp.cpu: the host autocast step and the
# GradScaler reference): the checked step against the fp64 reference at
# several shapes, the loss-scale trajectory of --steps with an injected
# overflow, the fp32 reference curve and its divergence, the AMP phases,
# and the refusals of bad scaler options.
#
#   bash tests/cli/amp.sh /path/to/stepbench
# shellcheck source=tests/cli/lib.sh
. "$(dirname "$0")/lib.sh"

DB=$T/a.db

# --- amp-1: the scaler's trajectory with an inf planted at step 3 ----------
# init 1024 leaves the tutorial's gradients finite, so step 3 is the only
# skip; interval 4: steps 0-2 good, 3 backs off to 512, 4-7 good and the
# 4th grows back to 1024 after step 7.
sb run train.fp16amp.cpu --shape tutorial --steps 12 --inject-overflow 3 \
    --scaler-init 1024 --scaler-interval 4 --db "$DB" "${FAST[@]}"
expect_exit amp-1 0
R="(SELECT id FROM result ORDER BY id DESC LIMIT 1)"
check_eq amp-1 "status ok" ok "$(sql "$DB" "SELECT status FROM result WHERE id = $R")"
check_eq amp-1 "12 scaler rows" 12 \
    "$(sql "$DB" "SELECT count(*) FROM scaler WHERE result_id = $R")"
check_eq amp-1 "only step 3 skipped" 3 \
    "$(sql "$DB" "SELECT group_concat(step) FROM scaler WHERE result_id = $R AND skipped = 1")"
check_eq amp-1 "scale per step" \
    "1024.0,1024.0,1024.0,1024.0,512.0,512.0,512.0,512.0,1024.0,1024.0,1024.0,1024.0" \
    "$(sql "$DB" "SELECT group_concat(scale) FROM (SELECT scale FROM scaler WHERE result_id = $R ORDER BY step)")"
check_eq amp-1 "growth tracker per step" "1,2,3,0,1,2,3,0,1,2,3,0" \
    "$(sql "$DB" "SELECT group_concat(growth_tracker) FROM (SELECT growth_tracker FROM scaler WHERE result_id = $R ORDER BY step)")"
check_eq amp-1 "the skipped step left the weights: loss[4] = loss[3]" 1 \
    "$(sql "$DB" "SELECT (SELECT loss FROM loss_curve WHERE result_id = $R AND step = 4) = (SELECT loss FROM loss_curve WHERE result_id = $R AND step = 3)")"
check_eq amp-1 "a taken step moves the loss: loss[3] != loss[2]" 1 \
    "$(sql "$DB" "SELECT (SELECT loss FROM loss_curve WHERE result_id = $R AND step = 3) != (SELECT loss FROM loss_curve WHERE result_id = $R AND step = 2)")"
check_eq amp-1 "the fp32 curve beside it, 12 steps" 12 \
    "$(sql "$DB" "SELECT count(ref_loss) FROM loss_curve WHERE result_id = $R")"
check_eq amp-1 "divergence from fp32 measured and below 5 %" 1 \
    "$(sql "$DB" "SELECT loss_divergence IS NOT NULL AND loss_divergence < 0.05 FROM result WHERE id = $R")"

# --- amp-2: GradScaler's defaults; the checked step calibrates -------------
sb run train.fp16amp.cpu --shape tutorial --db "$DB" "${FAST[@]}"
expect_exit amp-2 0
check_eq amp-2 "status ok at the initial scale 65536" ok \
    "$(sql "$DB" "SELECT status FROM result WHERE id = $R")"

# --- amp-3: bf16 has no scaler: no scaler rows, but the fp32 curve ---------
sb run train.bf16amp.cpu --shape tutorial --steps 6 --db "$DB" "${FAST[@]}"
expect_exit amp-3 0
check_eq amp-3 "ok, no scaler rows, 6 fp32 losses" "ok|0|6" \
    "$(sql "$DB" "SELECT status, (SELECT count(*) FROM scaler WHERE result_id = $R), (SELECT count(ref_loss) FROM loss_curve WHERE result_id = $R) FROM result WHERE id = $R")"

# --- amp-4: both types, both weight-gradient types, odd shapes, 2 layers ---
sb sweep --variants 'train.*amp.cpu,infer.*amp.cpu' --shapes tutorial,7x13x5,64x32x48 \
    --layers 1,2 --input-grad --db "$DB" "${FAST[@]}"
expect_exit amp-4 0
expect_stderr_contains amp-4 "24 points measured: 24 ok"
sb sweep --variants 'train.*amp.cpu' --shapes 33x17x9 --amp-wgrad f32 \
    --db "$DB" "${FAST[@]}"
expect_exit amp-4b 0
expect_stderr_contains amp-4b "2 points measured: 2 ok"

# --- amp-5: the AMP phases are timed (a step long enough for one a sample)
sb run train.fp16amp.cpu --shape 256x128x128 --db "$DB" "${FAST[@]}"
expect_exit amp-5 0
check_eq amp-5 "phases of the fp16amp step" \
    "amp.unscale,amp.update,backward.wgrad,forward,loss,sgd" \
    "$(sql "$DB" "SELECT group_concat(name) FROM (SELECT name FROM phase WHERE result_id = $R ORDER BY name)")"

# --- amp-6: bad scaler options: exit 2, the value named, nothing written ---
BEFORE=$(db_state "$DB")
for bad in "--scaler-backoff 1.5|backoff" "--scaler-growth 1|growth" \
    "--scaler-init 0|scaler-init" "--scaler-interval 0|scaler-interval" \
    "--amp-wgrad f64|f64" "--inject-overflow 5|--steps"; do
	args=${bad%%|*} word=${bad##*|}
	# shellcheck disable=SC2086
	sb run train.fp16amp.cpu $args --db "$DB"
	expect_exit "amp-6 ($args)" 2
	expect_stderr_contains "amp-6 ($args)" "$word"
done
check_eq amp-6 "the database is untouched" "$BEFORE" "$(db_state "$DB")"
sb run train.fp16amp.cpu --steps 4 --inject-overflow 4 --db "$DB"
expect_exit amp-6b 2
expect_stderr_contains amp-6b "needs --steps N with N > 4"

summary amp
