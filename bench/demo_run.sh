#!/usr/bin/env bash
# README command (1)'s main job, `ch6 demo`, against an earlier commit, back to back: one untimed warm-up of each
# (it builds the stand-ins and resized copies into the shared data cache, so no timed run pays for them), then A B B A.
#
#   bash bench/demo_run.sh [BASE_REF]          (default 524235b, the main before the reliability round 3 issue)
#
# BASE_REF is checked out in a temporary git worktree and run from the same virtual environment with PYTHONPATH on that
# worktree (the demo's run-time packages are the same); HEAD runs from this checkout. Each run writes to a fresh output
# folder. Prints each run's wall time, the demo's own "finished in" time and its results, then the medians.
# Run it on an idle machine; each run takes 1-3 minutes on 2 cores.
set -uo pipefail
cd "$(dirname "$0")/.."
HERE=$PWD; BASE_REF=${1:-524235b}; BASE=$(mktemp -d /tmp/ch6-demo-base.XXXX); OUT=$(mktemp -d /tmp/ch6-demo-run.XXXX)
git worktree add -f "$BASE/src" "$BASE_REF" -q || exit 1
trap 'git -C "$HERE" worktree remove --force "$BASE/src"' EXIT
CH6=$(command -v ch6) || { echo "ch6 is not installed in this environment"; exit 1; }

run() { # folder label
  local t0 t1
  t0=$(date +%s.%N)
  (cd "$OUT" && PYTHONPATH="$1" "$CH6" demo --out "$OUT/out-$2" > "$OUT/$2.log" 2>&1); local rc=$?
  t1=$(date +%s.%N)
  printf '%s wall %.0f s (exit %d), %s; %s; load %s\n' "$2" "$(echo "$t1-$t0" | bc)" $rc \
    "$(grep -o 'demo finished in [0-9]* s' "$OUT/$2.log")" \
    "$(grep -E '^  (multilabel|regression)' "$OUT/$2.log" | sed -E 's/ on [0-9]+ valid.*//; s/^ +//' | paste -sd';')" \
    "$(cut -d' ' -f1-3 /proc/loadavg)"
  rm -rf "$OUT/out-$2"
}
echo "base $BASE_REF, HEAD $(git rev-parse --short HEAD); logs in $OUT; load $(cut -d' ' -f1-3 /proc/loadavg)"
run "$BASE/src" warm-base >/dev/null; run "$HERE" warm-head >/dev/null
{ run "$BASE/src" base1; run "$HERE" head1; run "$HERE" head2; run "$BASE/src" base2; } | tee "$OUT/runs.txt"
python3 - "$OUT/runs.txt" <<'PY'
import re, statistics, sys
t = {}
for l in open(sys.argv[1]):
    m = re.match(r'(base|head)\d wall (\d+) s .*demo finished in (\d+) s', l)
    if m: t.setdefault(m.group(1), []).append((int(m.group(2)), int(m.group(3))))
if len(t.get('base', [])) == 2 and len(t.get('head', [])) == 2:
    for i, name in ((0, 'wall'), (1, "demo's own timer")):
        b, h = (statistics.median(x[i] for x in t[k]) for k in ('base', 'head'))
        print(f"{name}: medians base {b:.0f} s, HEAD {h:.0f} s, ratio HEAD/base {h / b:.2f}")
PY
