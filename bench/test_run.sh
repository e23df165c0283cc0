#!/usr/bin/env bash
# The test run of README command (2) after its install, against an earlier commit, back to back: A B B A.
#
# Each version runs in its own virtual environment with its own README test command (read from its README.md, the
# part after the pip install), with a fresh data cache (FASTAI_CH6_CACHE) and no built docs site, as CI runs them,
# and CI=true. It prints nbdev_test's, pytest's and the total time of each run, then the medians and their difference.
# Run it on an idle machine; each run takes 3-5 minutes on 2 cores.
#
#   bash bench/test_run.sh [BASE_REF] [BASE_VENV]
#
# BASE_REF (default ae03e93, the main of the transfer-learning issue) is checked out in a temporary git worktree.
# BASE_VENV is a virtual environment with BASE_REF installed editable from that worktree (at $CH6_BASE_DIR, default /tmp/ch6-base);
# without it one is made there (pip install -c constraints.txt -e ".[dev]", a few minutes). HEAD runs in $VIRTUAL_ENV
# (or .venv), installed editable from this checkout.
set -uo pipefail
cd "$(dirname "$0")/.."
HERE=$PWD; BASE_REF=${1:-ae03e93}; BASE=${CH6_BASE_DIR:-/tmp/ch6-base}; BASE_VENV=${2:-$BASE/.venv}
HEAD_VENV=${VIRTUAL_ENV:-$HERE/.venv}
OUT=$(mktemp -d /tmp/ch6-test-run.XXXX)

git worktree add -f "$BASE" "$BASE_REF" -q || exit 1
trap 'git -C "$HERE" worktree remove --force "$BASE"' EXIT
[ -d build/npm ] && mkdir -p "$BASE/build" && cp -r build/npm "$BASE/build/"      # MathJax, fetched once: no download in the timing
if [ ! -x "$BASE_VENV/bin/python" ]; then
  python3 -m venv "$BASE_VENV" && (cd "$BASE" && "$BASE_VENV/bin/pip" install -q -c constraints.txt -e ".[dev]") || exit 1
fi

tests_of() { local full; full=$(cd "$1" && python3 tools/readme_commands.py 2) || return 1; echo "${full#*&& }"; }   # without its pip install

run() { # folder venv label
  local dir=$1 venv=$2 label=$3 cmd
  cmd=$(tests_of "$dir") || return 1
  local nbt=${cmd%%&&*} pyt=${cmd#*&& }
  ( cd "$dir" && . "$venv/bin/activate" && export CI=true FASTAI_CH6_CACHE="$OUT/cache-$label" && rm -rf _docs
    t0=$(date +%s.%N); bash -c "$nbt" > "$OUT/$label-nbdev_test.log" 2>&1; r1=$?
    t1=$(date +%s.%N); bash -c "$pyt" > "$OUT/$label-pytest.log" 2>&1; r2=$?
    t2=$(date +%s.%N)
    printf '%s nbdev_test %.0f s (exit %d), pytest %.0f s (exit %d), total %.0f s; load %s\n' "$label" \
      "$(echo "$t1-$t0" | bc)" $r1 "$(echo "$t2-$t1" | bc)" $r2 "$(echo "$t2-$t0" | bc)" "$(cut -d' ' -f1-3 /proc/loadavg)"
    rm -rf "$FASTAI_CH6_CACHE" )
}

echo "base $BASE_REF in $BASE_VENV, HEAD $(git rev-parse --short HEAD) in $HEAD_VENV; logs in $OUT; load $(cut -d' ' -f1-3 /proc/loadavg)"
{ run "$BASE" "$BASE_VENV" base1; run "$HERE" "$HEAD_VENV" head1; run "$HERE" "$HEAD_VENV" head2; run "$BASE" "$BASE_VENV" base2; } | tee "$OUT/runs.txt"
python3 - "$OUT/runs.txt" <<'EOF'
import re, statistics, sys
t = {}
for l in open(sys.argv[1]):
    m = re.match(r'(base|head)\d .* total (\d+) s', l)
    if m: t.setdefault(m.group(1), []).append(int(m.group(2)))
if len(t.get('base', [])) == 2 and len(t.get('head', [])) == 2:
    b, h = statistics.median(t['base']), statistics.median(t['head'])
    print(f"medians: base {b:.1f} s, HEAD {h:.1f} s, HEAD - base {h - b:+.1f} s "
          f"(pairs {t['head'][0] - t['base'][0]:+d} and {t['head'][1] - t['base'][1]:+d} s)")
EOF
