#!/bin/bash
# tests/nvtx_off.sh ON_BINARY OFF_BINARY SB_WITH_NVTX — a stepbench built
# with NVTX compiled out holds no NVTX code: no symbol of the NVTX3
# headers (nvtxDomainRangePushEx and its *_impl_init_v3 tables) is
# defined or referenced.  The normal binary must show them, or the check
# proves nothing (exit 77 when this build has NVTX off altogether).
set -u
on=$1 off=$2 with=$3
# The NVTX3 headers' symbols: nvtx* (nvtxGlobals_v3,
# nvtxDomainRangePushEx_impl_init_v3, ...) and InitializeInjectionNvtx*;
# not ours that merely say nvtx (sb_ctx_phase_nvtx).
nvtx_syms() {
	nm "$1" | awk '$NF ~ /^_*nvtx|InjectionNvtx/ { print $NF }'
}
if ! command -v nm >/dev/null; then
	echo "nm not found (binutils): cannot inspect the binaries" >&2
	exit 77
fi
fail=0
if [ "$with" = ON ] || [ "$with" = on ] || [ "$with" = 1 ]; then
	n_on=$(nvtx_syms "$on" | wc -l)
	if [ "$n_on" -eq 0 ]; then
		echo "FAIL nvtx-off-1: $on (NVTX on) shows no nvtx symbol: this" \
		    "check could not see NVTX code if there were any" >&2
		fail=1
	else
		echo "nvtx-off-1: the NVTX build holds $n_on nvtx symbols"
	fi
	if ! nvtx_syms "$on" | grep -q '^nvtxDomainRangePushEx'; then
		echo "FAIL nvtx-off-1: $on has no nvtxDomainRangePushEx" >&2
		fail=1
	fi
else
	echo "this build has SB_WITH_NVTX=$with: checking the OFF binary only"
fi
bad=$(nvtx_syms "$off")
if [ -n "$bad" ]; then
	echo "FAIL nvtx-off-2: $off (NVTX off) holds nvtx symbols:" >&2
	echo "$bad" | head -20 >&2
	fail=1
else
	echo "nvtx-off-2: the NVTX-off build holds no nvtx symbol"
fi
if ! "$off" --version >/dev/null; then
	echo "FAIL nvtx-off-3: $off --version failed" >&2
	fail=1
fi
exit $fail
