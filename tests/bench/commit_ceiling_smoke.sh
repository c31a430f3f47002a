#!/bin/sh
# rk_commit_ceiling end to end in a tiny configuration: exits 0, prints a ratio line and the
# table, writes the CSV, and leaves nothing behind in --dir.
# usage: commit_ceiling_smoke.sh <rk_commit_ceiling binary>
set -u
binary=$1
work=$(mktemp -d "$PWD/commit-ceiling-smoke-XXXXXX") || exit 1
trap 'rm -rf "$work"' EXIT
mkdir "$work/dir"
out=$("$binary" --batches 8 --pairs 1 --slice-ms 50 --prealloc-kib 4096 --bare-file-mib 8 --dir "$work/dir" \
      --csv "$work/out.csv" 2>&1)
status=$?
printf '%s\n' "$out"
fail() { echo "FAIL: $*"; exit 1; }
[ "$status" -eq 0 ] || fail "exit status $status"
printf '%s\n' "$out" | grep -q '^batch    8 chains 1: .*ratio log/bare [0-9]' || fail "no ratio line for chains 1"
printf '%s\n' "$out" | grep -q '^batch    8 chains 4: .*ratio log/bare [0-9]' || fail "no ratio line for chains 4"
[ "$(grep -c '^8,[14],' "$work/out.csv")" -eq 2 ] || fail "the CSV lacks its two rows"
[ -z "$(ls -A "$work/dir")" ] || fail "files left in --dir: $(ls -A "$work/dir")"
"$binary" --dir "$work/missing" --pairs 1 >/dev/null 2>&1 && fail "a missing --dir was accepted"
echo PASS
