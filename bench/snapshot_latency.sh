#!/usr/bin/env bash
# Write latency during fuzzy snapshots vs without: the same open-loop setData load on a tree of
# --nodes znodes, once with snapCount small enough that snapshots of the whole tree run back to
# back during the measurement, once with snapshots off (snapCount beyond the run), alternating
# for --rounds rounds. Prints p50/p99/p999/max per run and the snapshots taken during each.
#
#   bench/snapshot_latency.sh [--nodes 200000] [--rate 10000] [--duration 10] [--rounds 2]
#                             [--ringkeeper build/ringkeeper] [--rkbench build/bench/rkbench]
#                             [--snapshot-dir DIR]   (dataDir elsewhere, e.g. another disk)
# Every server it starts is stopped by PID on exit.
set -euo pipefail
cd "$(dirname "$0")/.."

nodes=200000
rate=10000
duration=10
rounds=2
ringkeeper=build/ringkeeper
rkbench=build/bench/rkbench
snapshot_dir=""
while [ $# -gt 0 ]; do
  case "$1" in
    --nodes) nodes=$2; shift 2 ;;
    --rate) rate=$2; shift 2 ;;
    --duration) duration=$2; shift 2 ;;
    --rounds) rounds=$2; shift 2 ;;
    --ringkeeper) ringkeeper=$2; shift 2 ;;
    --rkbench) rkbench=$2; shift 2 ;;
    --snapshot-dir) snapshot_dir=$2; shift 2 ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
done

work=$(mktemp -d /var/tmp/rk-snaplat-XXXXXX)
pid=""
cleanup() {
  if [ -n "$pid" ]; then kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; fi
  rm -rf "$work" "$data_dir"
}
trap cleanup EXIT
data_dir=${snapshot_dir:-$work}/data

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

mntr_value() { echo mntr | nc -q1 127.0.0.1 "$1" | awk -v k="zk_$2" '$1 == k { print $2 }'; }

# run <label> <snapCount>
run() {
  local label=$1 snap_count=$2 port
  port=$(free_port)
  rm -rf "$data_dir" "$work/log"
  cat > "$work/zoo.cfg" <<EOF
tickTime=2000
dataDir=$data_dir
dataLogDir=$work/log
clientPort=$port
clientPortAddress=127.0.0.1
4lw.commands.whitelist=*
maxClientCnxns=0
snapCount=$snap_count
EOF
  "$ringkeeper" "$work/zoo.cfg" > "$work/server-$label.log" 2>&1 &
  pid=$!
  for _ in $(seq 100); do [ "$(echo ruok | nc -q1 127.0.0.1 "$port" 2>/dev/null)" = imok ] && break; sleep 0.1; done
  "$rkbench" --port "$port" --keys "$nodes" --setup-only --quiet --connections 16 --depth 64
  local before
  before=$(mntr_value "$port" snapshots_taken)
  "$rkbench" --port "$port" --keys "$nodes" --no-setup --mix set=1 --rate "$rate" \
      --duration "$duration" --warmup 2 --server-pid "$pid" --label "$label" | \
      grep -E "^(ops|latency)" | sed "s/^/  $label  /"
  echo "  $label  snapshots during the run: $(( $(mntr_value "$port" snapshots_taken) - before )), last took $(mntr_value "$port" last_snapshot_duration_ms) ms for $(mntr_value "$port" last_snapshot_nodes) nodes"
  kill "$pid"; wait "$pid" 2>/dev/null || true; pid=""
}

# snapCount so that a snapshot starts every ~1-2 s at the offered rate.
small=$(( rate * 2 ))
echo "ringkeeper $($ringkeeper version): $nodes nodes, setData 100 B at $rate ops/s open loop, ${duration}s"
for r in $(seq "$rounds"); do
  run "snapshots(snapCount=$small)" "$small"
  run "no-snapshot" 1000000000
done
