#!/usr/bin/env bash
# tests/wgmma_isa.sh NVCC SRCDIR — the Hopper GEMM (kernels/gemm_f16_wgmma.cu)
# really is wgmma + TMA + mbarriers on sm_90a, and compiled out on sm_80.
# No GPU needed (label unit).  It fails if the kernel silently became
# something else: the sm_90a guard compiled the body out, ptxas serialised
# or repaired the wgmma pipeline (its (C75xx) messages), the consumers
# spill, or the sm_80 pass kept Hopper code.
# Where cuobjdump exists (the GPU machines) it also reads the SASS: HGMMA
# and UTMALDG must be there; elsewhere it says that part was not checked.
set -euo pipefail
nvcc=${1:?usage: wgmma_isa.sh NVCC SRCDIR}
src=${2:?usage: wgmma_isa.sh NVCC SRCDIR}
cu=$src/kernels/gemm_f16_wgmma.cu
bin=$(dirname "$nvcc")
ptxas=$bin/ptxas
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail=0
pass=0

ok() { pass=$((pass + 1)); }
bad() { echo "FAIL $*" >&2; fail=$((fail + 1)); }

# The kernel table has 12 instances: BN {128, 256} x {f16, bf16} x NT/TN/NN.
kernels=12

"$nvcc" -std=c++17 -O3 -lineinfo -arch=compute_90a -I"$src/kernels" \
	-ptx "$cu" -o "$tmp/sm90a.ptx"
"$nvcc" -std=c++17 -O3 -lineinfo -arch=compute_80 -I"$src/kernels" \
	-ptx "$cu" -o "$tmp/sm80.ptx"

# Lines of code matching $1 (not .file/.loc directives or comments, which
# carry file and kernel names).
count() {
	grep -v '^[[:space:]]*\(\.file\|\.loc\|//\)' "$2" | grep -c -- "$1" || true
}

entries=$(count '^.visible .entry\|^.entry' "$tmp/sm90a.ptx")
[ "$entries" -eq "$kernels" ] && ok ||
	bad "isa-1.1: $entries kernel entries in the sm_90a PTX, want $kernels"
for pat in \
	'wgmma.mma_async.sync.aligned.m64n256k16.f32.f16.f16' \
	'wgmma.mma_async.sync.aligned.m64n256k16.f32.bf16.bf16' \
	'wgmma.mma_async.sync.aligned.m64n128k16.f32.f16.f16' \
	'wgmma.mma_async.sync.aligned.m64n128k16.f32.bf16.bf16'; do
	# 3 layouts x 4 k16 steps per k-block, unrolled
	n=$(count "$pat" "$tmp/sm90a.ptx")
	[ "$n" -eq 12 ] && ok || bad "isa-1.2: $n x '$pat' in sm_90a PTX, want 12"
done
for pat in 'cp.async.bulk.tensor.2d.shared::cluster.global.tile' \
	'mbarrier.try_wait.parity' 'mbarrier.arrive.expect_tx' \
	'setmaxnreg.dec.sync.aligned.u32 40' \
	'setmaxnreg.inc.sync.aligned.u32 232' \
	'wgmma.fence.sync.aligned' 'wgmma.commit_group.sync.aligned' \
	'wgmma.wait_group.sync.aligned 0' 'fence.mbarrier_init'; do
	n=$(count "$pat" "$tmp/sm90a.ptx")
	[ "$n" -ge "$kernels" ] && ok ||
		bad "isa-1.3: '$pat' appears $n times in sm_90a PTX, want >= $kernels"
done
n=$(count 'wgmma\.\|cp\.async\.bulk\|setmaxnreg\.\|mbarrier\.' "$tmp/sm80.ptx")
[ "$n" -eq 0 ] && ok || bad "isa-1.4: the sm_80 PTX has $n Hopper instructions"
n=$(count 'trap;' "$tmp/sm80.ptx")
[ "$n" -ge "$kernels" ] && ok ||
	bad "isa-1.5: the sm_80 kernels should trap (found $n traps)"

# ptxas on the sm_90a PTX: wgmma kept asynchronous, nothing spilled.
"$ptxas" -arch=sm_90a -O3 -v "$tmp/sm90a.ptx" -o "$tmp/sm90a.cubin" \
	>"$tmp/ptxas.log" 2>&1 || { cat "$tmp/ptxas.log" >&2; exit 1; }
# ptxas reports each repair of the wgmma pipeline it had to make as a
# (C75xx) message: an injected warpgroup.arrive (a missing wgmma.fence or
# accumulators touched in the async window), serialised wgmma, ...
gmma='(C75[0-9][0-9])\|serializ\|performance loss'
if grep -qi "$gmma" "$tmp/ptxas.log"; then
	grep -i "$gmma" "$tmp/ptxas.log" | head -3 >&2
	bad "isa-2.1: ptxas had to repair or serialise the wgmma pipeline"
else
	ok
fi
spills=$(grep -o '[0-9]* bytes spill stores' "$tmp/ptxas.log" |
	awk '{ s += $1 } END { print s + 0 }')
[ "$spills" -eq 0 ] && ok || bad "isa-2.2: $spills bytes of spill stores"

if command -v cuobjdump >/dev/null 2>&1; then
	cuobjdump -sass "$tmp/sm90a.cubin" >"$tmp/sass" 2>&1
	n=$(count 'HGMMA' "$tmp/sass")
	[ "$n" -ge 48 ] && ok || bad "isa-3.1: $n HGMMA in the SASS, want >= 48"
	n=$(count 'UTMALDG' "$tmp/sass")
	[ "$n" -ge "$kernels" ] && ok || bad "isa-3.2: $n UTMALDG in the SASS"
else
	echo "wgmma_isa: cuobjdump not found: SASS (HGMMA, UTMALDG) not read;" \
		"PTX and ptxas checked"
fi

echo "wgmma_isa: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
