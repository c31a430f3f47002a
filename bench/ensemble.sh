#!/usr/bin/env bash
# Throughput and server CPU of 3-member ensembles on loopback: ringkeeper side by side with
# stock ZooKeeper (Debian's package, QuorumPeerMain), through the leader and through a
# follower, alternating kinds run by run (stock, ringkeeper, stock, ...), and the medians and
# ratios ringkeeper / stock.
#
# The ensembles are started by bench/failover.py --serve (one zoo.cfg writer and start-up for
# both scripts): same tickTime/initLimit/syncLimit, forceSync=yes, snapCount, preAllocSize,
# private temp dataDirs. Server CPU per op is utime+stime of all three members
# (/proc/PID/stat) over the measured run, divided by the operations it completed; each
# measured run is preceded by an unmeasured warm-up run, so the CPU window and rkbench's
# window are the same run. Every process is stopped by PID when the script exits.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
PY=/usr/bin/python3
ROUNDS=3
DURATION_S=10
WARMUP_S=2
CONNECTIONS=16
DEPTH=32
WORKLOADS="create,set,get"
TARGETS="leader,follower"
TICK_MS=2000
INIT_LIMIT=10
SYNC_LIMIT=5
OUT_DIR=
KEEP=0
RINGKEEPER="$ROOT/build/ringkeeper"
RKBENCH="$ROOT/build/bench/rkbench"

usage() {
  cat <<USAGE
usage: bench/ensemble.sh [options]
  --rounds N          rounds; each runs every target on stock then ringkeeper (3)
  --duration S        measured seconds per run (10)
  --warmup S          seconds of the unmeasured run before each measured one (2)
  --connections N     sessions per run (16)
  --depth M           outstanding requests per session (32)
  --workloads LIST    comma list of create,set,get (all); a fresh pair of ensembles each
  --targets LIST      comma list of leader,follower (both): the member rkbench talks to
  --tick-ms MS        tickTime of both kinds (2000); initLimit 10, syncLimit 5
  --out DIR           where results.csv, summary.txt and the logs go (bench-results/ensemble-<time>)
  --ringkeeper PATH   ringkeeper binary (build/ringkeeper)
  --rkbench PATH      rkbench binary (build/bench/rkbench)
  --keep              keep the members' temp directories
The build is not run here: cmake --build build --target ringkeeper rkbench -j2
USAGE
}

while [ $# -gt 0 ]; do
  case "$1" in
    --rounds) ROUNDS=$2; shift ;;
    --duration) DURATION_S=$2; shift ;;
    --warmup) WARMUP_S=$2; shift ;;
    --connections) CONNECTIONS=$2; shift ;;
    --depth) DEPTH=$2; shift ;;
    --workloads) WORKLOADS=$2; shift ;;
    --targets) TARGETS=$2; shift ;;
    --tick-ms) TICK_MS=$2; shift ;;
    --out) OUT_DIR=$2; shift ;;
    --ringkeeper) RINGKEEPER=$2; shift ;;
    --rkbench) RKBENCH=$2; shift ;;
    --keep) KEEP=1 ;;
    -h|--help) usage; exit 0 ;;
    *) echo "unknown option $1" >&2; usage >&2; exit 2 ;;
  esac
  shift
done

# shellcheck source=bench/lib.sh
. "$ROOT/bench/lib.sh"  # log, stop_pid

for bin in "$RINGKEEPER" "$RKBENCH"; do
  if [ ! -x "$bin" ]; then
    log "missing $bin: build it first (cmake --build build --target ringkeeper rkbench -j2)"
    log "or pass --ringkeeper/--rkbench"
    exit 1
  fi
done
[ -f /usr/share/java/zookeeper.jar ] || { log "stock ZooKeeper is not installed (apt-get install zookeeper)"; exit 1; }
[ -x "$PY" ] || { log "needs $PY"; exit 1; }

OUT_DIR=${OUT_DIR:-$ROOT/bench-results/ensemble-$(date +%Y%m%d-%H%M%S)}
mkdir -p "$OUT_DIR"
OUT_DIR=$(cd "$OUT_DIR" && pwd)
CSV="$OUT_DIR/results.csv"
WORK=$(mktemp -d /tmp/rk-ensemble-bench.XXXXXX)
declare -A SERVE_PID=()

# --- processes -----------------------------------------------------------------------------

cleanup() {
  local kind
  for kind in "${!SERVE_PID[@]}"; do stop_pid "${SERVE_PID[$kind]}" 300; done
  if [ "$KEEP" = 1 ]; then log "kept $WORK"; else rm -rf "$WORK"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM HUP

# A private copy of each binary: the shared build directory may be rebuilt during the run.
cp "$RINGKEEPER" "$WORK/ringkeeper"
cp "$RKBENCH" "$WORK/rkbench"
RK_SHA=$(sha256sum "$RINGKEEPER" | cut -c1-16)
RK_MTIME=$(date -r "$RINGKEEPER" '+%F %T')
RKB="$WORK/rkbench"

# start_ensemble KIND: bench/failover.py --serve in the background; waits for its state file.
start_ensemble() {
  local kind=$1 state="$WORK/$1.json" keep_args=()
  [ "$KEEP" = 1 ] && keep_args=(--keep)
  rm -f "$state"
  mkdir -p "$OUT_DIR/logs-$kind-$2"
  "$PY" "$ROOT/bench/failover.py" --serve "$kind" --state "$state" \
    --ringkeeper "$WORK/ringkeeper" --tick-ms "$TICK_MS" --init-limit "$INIT_LIMIT" \
    --sync-limit "$SYNC_LIMIT" --logs "$OUT_DIR/logs-$kind-$2" \
    "${keep_args[@]}" >>"$OUT_DIR/serve.log" 2>&1 &
  SERVE_PID[$kind]=$!
  for _ in $(seq 1800); do
    [ -f "$state" ] && return 0
    kill -0 "${SERVE_PID[$kind]}" 2>/dev/null || break
    sleep 0.1
  done
  log "$kind ensemble did not start; see $OUT_DIR/serve.log"
  tail -40 "$OUT_DIR/serve.log" >&2
  exit 1
}

stop_ensemble() {
  stop_pid "${SERVE_PID[$1]}" 300
  unset "SERVE_PID[$1]"
}

# member KIND ROLE FIELD: pid or port of the leader, or of the lowest-id follower; FIELD
# "pids" gives all three pids.
member() {
  "$PY" - "$WORK/$1.json" "$2" "$3" <<'PY'
import json, sys
state = json.load(open(sys.argv[1]))
role, field = sys.argv[2], sys.argv[3]
members = sorted(state["members"], key=lambda m: m["id"])
if field == "pids":
    print(" ".join(str(m["pid"]) for m in members))
else:
    print([m for m in members if m["role"] == role][0][field])
PY
}

mode_of() {  # mode_of PORT: leader/follower, or "?" when srvr does not say
  timeout 2 bash -c "exec 3<>/dev/tcp/127.0.0.1/$1 && printf srvr >&3 && cat <&3" 2>/dev/null |
    awk -F': ' '/^Mode/ { print $2; found=1 } END { if (!found) print "?" }'
}

cpu_ticks() {  # cpu_ticks PID...: utime+stime per pid, space separated (fields after "comm")
  local pid
  for pid in "$@"; do
    awk '{ sub(/^.*\) /, ""); print $12 + $13 }' "/proc/$pid/stat"
  done | paste -sd' '
}

busy_ticks() {  # CPU ticks the whole machine spent busy (all cores), from /proc/stat
  awk '/^cpu / { print $2 + $3 + $4 + $7 + $8 + $9; exit }' /proc/stat
}

# --- runs ----------------------------------------------------------------------------------

workload_args() {
  case "$1" in
    create) echo "--mix create=1 --value-size 100" ;;
    set)    echo "--mix set=1 --value-size 1024 --keys 1000" ;;
    get)    echo "--mix get=1 --value-size 100 --keys 1000" ;;
    *) log "unknown workload $1"; exit 2 ;;
  esac
}

# run_one WORKLOAD KIND TARGET ROUND: a warm-up run, then the measured run with the CPU of
# all three members read around it; appends a row to $CSV.
run_one() {
  local workload=$1 kind=$2 target=$3 round=$4 port pid pids before after label json mode_after
  local busy_before busy_after wall_before_ns wall_after_ns
  port=$(member "$kind" "$target" port)
  pid=$(member "$kind" "$target" pid)
  pids=$(member "$kind" x pids)
  label="$workload:$kind:$target:$round"
  # shellcheck disable=SC2046
  "$RKB" --port "$port" --no-setup --connections "$CONNECTIONS" --depth "$DEPTH" \
    --warmup 0 --duration "$WARMUP_S" $(workload_args "$workload") --quiet \
    >>"$OUT_DIR/rkbench.txt" 2>&1 || log "warm-up run failed on $label"
  json="$OUT_DIR/runs/$workload-$kind-$target-$round.json"
  # shellcheck disable=SC2086
  before=$(cpu_ticks $pids)
  busy_before=$(busy_ticks)
  wall_before_ns=$(date +%s%N)
  # shellcheck disable=SC2046
  "$RKB" --port "$port" --no-setup --connections "$CONNECTIONS" --depth "$DEPTH" \
    --warmup 0 --duration "$DURATION_S" $(workload_args "$workload") --server-pid "$pid" \
    --label "$label" --json "$json" >>"$OUT_DIR/rkbench.txt" 2>&1 ||
    log "rkbench failed on $label (see rkbench.txt)"
  # shellcheck disable=SC2086
  after=$(cpu_ticks $pids)
  busy_after=$(busy_ticks)
  wall_after_ns=$(date +%s%N)
  mode_after=$(mode_of "$port")
  [ "$mode_after" = "$target" ] || log "WARNING: $kind $target on port $port reports '$mode_after' after the run"
  "$PY" - "$json" "$CSV" "$label" "$pids" "$before" "$after" "$(getconf CLK_TCK)" "$mode_after" \
    "$busy_before $busy_after" "$wall_before_ns $wall_after_ns" <<'PY'
import csv, json, os, sys
path, out, label, pids, before, after, hz, mode_after, busy, wall = sys.argv[1:]
r = json.load(open(path)) if os.path.exists(path) else {"ops": 0, "ops_per_s": 0, "latency_us": {}}
ops = r.get("ops", 0)
b, a = [int(x) for x in before.split()], [int(x) for x in after.split()]
cpu_s = [(y - x) / float(hz) for x, y in zip(b, a)]
per_op = lambda s: s * 1e6 / ops if ops else -1
busy_s = (int(busy.split()[1]) - int(busy.split()[0])) / float(hz)
wall_s = (int(wall.split()[1]) - int(wall.split()[0])) / 1e9
# Everything else the machine ran meanwhile (other users' builds and tests), in cores.
other_cores = max(0.0, busy_s - sum(cpu_s) - r.get("client_cpu_s", 0)) / wall_s
workload, kind, target, rnd = label.split(":")
row = {"workload": workload, "kind": kind, "target": target, "round": rnd,
       "ops": ops, "ops_per_s": r.get("ops_per_s", 0),
       "p50_us": r["latency_us"].get("p50", -1), "p99_us": r["latency_us"].get("p99", -1),
       "errors": sum(r.get("errors", {}).values()),
       "cpu_all_us_per_op": per_op(sum(cpu_s)),
       "cpu_target_us_per_op": r.get("server_cpu_us_per_op", -1),
       "cpu_members_s": " ".join("%.2f" % s for s in cpu_s),
       "other_cores": round(other_cores, 2), "load_1min": os.getloadavg()[0],
       "mode_after": mode_after, "failure": r.get("failure", "missing json")}
fresh = not os.path.exists(out)
with open(out, "a", newline="") as f:
    w = csv.DictWriter(f, fieldnames=list(row))
    if fresh:
        w.writeheader()
    w.writerow(row)
print("    %-30s %9.0f ops/s  p99 %8.1f ms  cpu(3 members) %7.1f us/op  target %7.1f us/op"
      "  errors %d  other processes %.2f cores"
      % (label, row["ops_per_s"], row["p99_us"] / 1000.0, row["cpu_all_us_per_op"],
         row["cpu_target_us_per_op"], row["errors"], other_cores), file=sys.stderr)
PY
}

run_workload() {
  local workload=$1 round kind target
  log "workload $workload: starting a stock and a ringkeeper ensemble"
  start_ensemble stock "$workload"
  start_ensemble ringkeeper "$workload"
  for kind in stock ringkeeper; do
    log "  $kind: leader member on port $(member "$kind" leader port), pids $(member "$kind" x pids)"
    if [ "$workload" != create ]; then   # the keys, once per ensemble, through the leader
      # shellcheck disable=SC2046
      "$RKB" --port "$(member "$kind" leader port)" --setup-only $(workload_args "$workload") \
        --quiet >>"$OUT_DIR/rkbench.txt" 2>&1 || { log "set-up failed on $kind"; exit 1; }
    fi
  done
  IFS=, read -r -a target_list <<<"$TARGETS"
  for round in $(seq "$ROUNDS"); do
    for target in "${target_list[@]}"; do
      for kind in stock ringkeeper; do
        run_one "$workload" "$kind" "$target" "$round"
      done
    done
  done
  stop_ensemble stock
  stop_ensemble ringkeeper
}

summarize() {
  "$PY" - "$CSV" <<'PY'
import csv, statistics, sys
rows = list(csv.DictReader(open(sys.argv[1])))
groups, order = {}, []
for r in rows:
    key = (r["workload"], r["target"])
    if key not in order:
        order.append(key)
    groups.setdefault(key + (r["kind"],), []).append(r)
def med(key, kind, field, scale=1.0):
    vals = [float(r[field]) for r in groups.get(key + (kind,), []) if float(r[field]) >= 0]
    return statistics.median(vals) / scale if vals else float("nan")
def ratio(a, b):
    return "%6.2f" % (a / b) if b and b == b and a == a else "   n/a"
print("medians over rounds; ratio = ringkeeper / stock; CPU = utime+stime of all 3 members per op")
print("%-7s %-8s | %10s %10s %6s | %9s %9s %6s | %9s %9s %6s | %s" % (
    "load", "via", "stock op/s", "rk op/s", "ratio", "stock p99", "rk p99", "ratio",
    "stock cpu", "rk cpu", "ratio", "errors (stock/rk)"))
print("%-7s %-8s | %10s %10s %6s | %9s %9s %6s | %9s %9s %6s |" % (
    "", "", "", "", "", "(ms)", "(ms)", "", "(us/op)", "(us/op)", ""))
for key in order:
    s_ops, r_ops = med(key, "stock", "ops_per_s"), med(key, "ringkeeper", "ops_per_s")
    s_p99, r_p99 = med(key, "stock", "p99_us", 1000), med(key, "ringkeeper", "p99_us", 1000)
    s_cpu, r_cpu = med(key, "stock", "cpu_all_us_per_op"), med(key, "ringkeeper", "cpu_all_us_per_op")
    errs = "%d/%d" % tuple(sum(int(r["errors"]) for r in groups.get(key + (k,), []))
                           for k in ("stock", "ringkeeper"))
    print("%-7s %-8s | %10.0f %10.0f %s | %9.2f %9.2f %s | %9.1f %9.1f %s | %s" % (
        key[0], key[1], s_ops, r_ops, ratio(r_ops, s_ops), s_p99, r_p99, ratio(r_p99, s_p99),
        s_cpu, r_cpu, ratio(r_cpu, s_cpu), errs))
others = sorted(float(r["other_cores"]) for r in rows)
if others:
    print("other processes on the machine during the runs: median %.2f cores, max %.2f"
          " (of %d; /proc/stat busy time minus the members and rkbench)"
          % (statistics.median(others), others[-1], __import__("os").cpu_count()))
PY
}

# --- main ----------------------------------------------------------------------------------

mkdir -p "$OUT_DIR/runs"
{
  echo "date: $(date -Is)"
  echo "host: $(nproc) cpus, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), kernel $(uname -r), load average $(cut -d' ' -f1-3 /proc/loadavg)"
  echo "java: $(java -version 2>&1 | head -1)"
  echo "zookeeper: $(dpkg-query -W -f '${Version}' zookeeper 2>/dev/null)"
  echo "ringkeeper: $RINGKEEPER (sha256 $RK_SHA, built $RK_MTIME)"
  echo "work tree: commit $(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null)$(git -C "$ROOT" status --short --untracked-files=no 2>/dev/null | grep -q . && echo ' + modified files') (the binary may be older: see its build time)"
  echo "settings: rounds=$ROUNDS duration=${DURATION_S}s warmup=${WARMUP_S}s connections=$CONNECTIONS depth=$DEPTH tickTime=$TICK_MS initLimit=$INIT_LIMIT syncLimit=$SYNC_LIMIT"
} | tee "$OUT_DIR/environment.txt" >&2

IFS=, read -r -a WORKLOAD_LIST <<<"$WORKLOADS"
for workload in "${WORKLOAD_LIST[@]}"; do
  workload_args "$workload" >/dev/null
  run_workload "$workload"
done
summarize | tee "$OUT_DIR/summary.txt"
log "raw results: $CSV"
