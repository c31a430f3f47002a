#!/usr/bin/env bash
# Runs the same rkbench workloads against stock ZooKeeper (Debian's `zookeeper` package, run
# by the system java) and against ringkeeper, alternating server by server round after round
# (stock, ringkeeper, stock, ...), and prints the medians and the ratios ringkeeper / stock.
# With --resources it also loads 1,000,000 znodes into each server and reports resident
# memory, on-disk size and the time to serve again after kill -9 and a restart.
#
# Every process this script starts is stopped by PID when it exits. Needs root on Debian 12
# only to install the zookeeper package when it is missing.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
ROUNDS=3
DURATION_S=10
WARMUP_S=2
CONNECTIONS=16
DEPTH=32
RESOURCES=0
RESOURCE_NODES=1000000
# Every create round is this many creates on both servers, so both hold the same tree at each
# round: a duration-bound round leaves the faster server with a bigger tree, and every later
# snapshot (one per snapCount txns, each of the whole tree) costs it more per create.
CREATE_OPS=200000
BUILD=1
KEEP=0
OUT_DIR=
RINGKEEPER="$ROOT/build/ringkeeper"
RKBENCH="$ROOT/build/bench/rkbench"
WORKLOADS="create,set,get,mixed,latency"
SNAP_COUNT=100000
PREALLOC_KB=65536
TICK_MS=2000
STOCK_JAVA_FLAGS=${STOCK_JAVA_FLAGS:-}   # Debian's zkServer.sh passes no heap size
# The resource phase also runs stock with a heap sized to hold the loaded znodes, so its RSS is
# live data rather than garbage an unbounded heap has not collected yet.
STOCK_SIZED_JAVA_FLAGS=${STOCK_SIZED_JAVA_FLAGS:--Xms1g -Xmx1g}

usage() {
  cat <<USAGE
usage: bench/side_by_side.sh [options]
  --rounds N          rounds per workload, each runs stock then ringkeeper (3)
  --duration S        measured seconds per run (10)
  --warmup S          warm-up seconds per run (2)
  --connections N     sessions per run (16)
  --depth M           outstanding requests per session (32)
  --workloads LIST    comma list of create,set,get,mixed,latency (all; "" for none)
  --resources         also run the 1,000,000-znode resource phase
  --resource-nodes N  znodes loaded by the resource phase (1000000)
  --create-ops N      creates per create round on each server, no warm-up (200000)
  --out DIR           where results.csv and the logs go (bench-results/<time>)
  --no-build          do not run scripts/build.sh
  --ringkeeper PATH   ringkeeper binary (build/ringkeeper)
  --rkbench PATH      rkbench binary (build/bench/rkbench)
  --keep              keep the servers' temp directories
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
    --resources) RESOURCES=1 ;;
    --resource-nodes) RESOURCE_NODES=$2; shift ;;
    --create-ops) CREATE_OPS=$2; shift ;;
    --out) OUT_DIR=$2; shift ;;
    --no-build) BUILD=0 ;;
    --ringkeeper) RINGKEEPER=$2; shift ;;
    --rkbench) RKBENCH=$2; shift ;;
    --keep) KEEP=1 ;;
    -h|--help) usage; exit 0 ;;
    *) echo "unknown option $1" >&2; usage >&2; exit 2 ;;
  esac
  shift
done

OUT_DIR=${OUT_DIR:-$ROOT/bench-results/$(date +%Y%m%d-%H%M%S)}
mkdir -p "$OUT_DIR"
OUT_DIR=$(cd "$OUT_DIR" && pwd)
CSV="$OUT_DIR/results.csv"
WORK=$(mktemp -d /tmp/rk-side-by-side.XXXXXX)
declare -A SERVER_PID=() SERVER_PORT=() SERVER_DIR=() SERVER_START_NS=()

# shellcheck source=bench/lib.sh
. "$ROOT/bench/lib.sh"  # log, stop_pid

# --- process handling ------------------------------------------------------------------

cleanup() {
  local name
  for name in "${!SERVER_PID[@]}"; do stop_pid "${SERVER_PID[$name]}"; done
  if [ "$KEEP" = 1 ]; then log "kept $WORK"; else rm -rf "$WORK"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# Prints a four-letter word's answer, or nothing if the server does not answer.
four_letter() {
  local port=$1 word=$2
  timeout 2 bash -c "exec 3<>/dev/tcp/127.0.0.1/$port && printf %s $word >&3 && cat <&3" 2>/dev/null || true
}

# Waits until the server answers ruok and reports its mode (stock answers ruok before it
# serves sessions). Fails if the process exits or 120 s pass.
wait_serving() {
  local name=$1 port=${SERVER_PORT[$1]} pid=${SERVER_PID[$1]}
  for _ in $(seq 6000); do
    kill -0 "$pid" 2>/dev/null || { log "$name exited; log:"; tail -30 "${SERVER_DIR[$name]}/server.log" >&2; return 1; }
    if [ "$(four_letter "$port" ruok)" = imok ] && four_letter "$port" srvr | grep -q "Mode:"; then
      return 0
    fi
    sleep 0.02
  done
  log "$name did not start serving on $port"
  return 1
}

# --- servers -----------------------------------------------------------------------------

stock_classpath() {
  local cp
  cp=$(bash -c '. /usr/share/zookeeper/bin/zkEnv.sh >/dev/null 2>&1; printf %s "$CLASSPATH"')
  [ -n "$cp" ] || cp="/etc/zookeeper/conf:/usr/share/java/zookeeper.jar"
  [ -f /usr/share/java/slf4j-simple.jar ] && cp="$cp:/usr/share/java/slf4j-simple.jar"
  printf %s "$cp"
}

# write_config NAME: zoo.cfg shared by both kinds (stock reads unknown keys as properties too).
write_config() {
  local name=$1 dir=${SERVER_DIR[$1]}
  mkdir -p "$dir/data" "$dir/datalog"
  cat > "$dir/zoo.cfg" <<CFG
tickTime=$TICK_MS
dataDir=$dir/data
dataLogDir=$dir/datalog
clientPort=${SERVER_PORT[$name]}
clientPortAddress=127.0.0.1
maxClientCnxns=0
4lw.commands.whitelist=*
admin.enableServer=false
forceSync=yes
snapCount=$SNAP_COUNT
preAllocSize=$PREALLOC_KB
CFG
}

spawn() {
  local name=$1 kind=$2 dir=${SERVER_DIR[$1]}
  if [ "$kind" != ringkeeper ]; then
    # As Debian's zkServer.sh starts it: the system java, no heap flags unless given;
    # "stock-sized" adds the heap of STOCK_SIZED_JAVA_FLAGS.
    local flags=$STOCK_JAVA_FLAGS
    [ "$kind" = stock-sized ] && flags="$STOCK_JAVA_FLAGS $STOCK_SIZED_JAVA_FLAGS"
    # shellcheck disable=SC2086
    java "-Dzookeeper.log.dir=$dir" -XX:+HeapDumpOnOutOfMemoryError $flags \
      -Dzookeeper.snapCount=$SNAP_COUNT -Dzookeeper.preAllocSize=$PREALLOC_KB \
      -Dzookeeper.forceSync=yes -Dzookeeper.admin.enableServer=false \
      -cp "$(stock_classpath)" org.apache.zookeeper.server.quorum.QuorumPeerMain \
      "$dir/zoo.cfg" >>"$dir/server.log" 2>&1 </dev/null &
  else
    "$RINGKEEPER" "$dir/zoo.cfg" >>"$dir/server.log" 2>&1 </dev/null &
  fi
  SERVER_PID[$name]=$!
  SERVER_START_NS[$name]=$(date +%s%N)
}

# start_server NAME KIND: a fresh server on a free port in its own temp directory.
start_server() {
  local name=$1 kind=$2 attempt
  for attempt in 1 2 3; do
    SERVER_DIR[$name]="$WORK/$name"
    rm -rf "${SERVER_DIR[$name]}"
    mkdir -p "${SERVER_DIR[$name]}"
    SERVER_PORT[$name]=$(free_port)
    write_config "$name"
    spawn "$name" "$kind"
    if wait_serving "$name"; then
      log "$name ($kind) serving on ${SERVER_PORT[$name]}, pid ${SERVER_PID[$name]}"
      return 0
    fi
    stop_pid "${SERVER_PID[$name]}"
  done
  log "cannot start $name"
  exit 1
}

stop_server() {
  local name=$1
  stop_pid "${SERVER_PID[$name]}"
  cp "${SERVER_DIR[$name]}/server.log" "$OUT_DIR/$name.log" 2>/dev/null || true
  unset "SERVER_PID[$name]"
  rm -rf "${SERVER_DIR[$name]}"
}

# --- workloads ---------------------------------------------------------------------------

workload_args() {
  case "$1" in
    create)  echo "--mix create=1 --value-size 100 --warmup 0 --ops $CREATE_OPS --duration $((DURATION_S * 6))" ;;
    set)     echo "--mix set=1 --value-size 1024 --keys 1000" ;;
    get)     echo "--mix get=1 --value-size 100 --keys 1000" ;;
    mixed)   echo "--mix get=90,set=10 --value-size 100 --keys 1000" ;;
    latency) echo "--mix create=1 --value-size 100 --rate $LATENCY_RATE" ;;
  esac
}

run_bench() {  # run_bench WORKLOAD KIND ROUND
  local workload=$1 kind=$2 round=$3 name="$1-$2"
  # shellcheck disable=SC2046
  "$RKBENCH" --port "${SERVER_PORT[$name]}" --server-pid "${SERVER_PID[$name]}" \
    --connections "$CONNECTIONS" --depth "$DEPTH" --duration "$DURATION_S" --warmup "$WARMUP_S" \
    $(workload_args "$workload") --label "$workload:$kind:$round" --csv "$CSV" \
    >>"$OUT_DIR/rkbench.txt" 2>&1 || log "rkbench failed on $name (see rkbench.txt)"
  tail -n 6 "$OUT_DIR/rkbench.txt" | grep -E "^(ops|latency|server)" | sed "s/^/    $kind r$round /" >&2
}

run_workload() {
  local workload=$1 round kind
  log "workload $workload: starting servers"
  start_server "$workload-stock" stock
  start_server "$workload-ringkeeper" ringkeeper
  for round in $(seq "$ROUNDS"); do
    for kind in stock ringkeeper; do
      log "workload $workload round $round: $kind"
      run_bench "$workload" "$kind" "$round"
    done
  done
  stop_server "$workload-stock"
  stop_server "$workload-ringkeeper"
}

# The median of stock's create peak, for the open-loop latency workload.
stock_create_median() {
  python3 - "$CSV" <<'PY'
import csv, statistics, sys
rows = [r for r in csv.DictReader(open(sys.argv[1])) if r["label"].startswith("create:stock:")]
print(int(statistics.median(float(r["ops_per_s"]) for r in rows)) if rows else 0)
PY
}

summarize() {
  python3 - "$CSV" <<'PY'
import csv, statistics, sys
rows = list(csv.DictReader(open(sys.argv[1])))
by = {}
for r in rows:
    workload, kind, _ = r["label"].split(":")
    by.setdefault((workload, kind), []).append(r)
def med(workload, kind, field):
    values = [float(r[field]) for r in by.get((workload, kind), []) if float(r[field]) >= 0]
    return statistics.median(values) if values else float("nan")
order = []
for r in rows:
    w = r["label"].split(":")[0]
    if w not in order: order.append(w)
print("medians over rounds; ratio = ringkeeper / stock")
print("%-9s %-13s | %10s %10s %6s | %9s %9s %6s | %8s %8s %6s | %s" % (
    "workload", "mix", "stock op/s", "rk op/s", "ratio", "stock p99", "rk p99", "ratio",
    "stock cpu", "rk cpu", "ratio", "errors (stock/rk)"))
print("%-9s %-13s | %10s %10s %6s | %9s %9s %6s | %8s %8s %6s |" % (
    "", "", "", "", "", "(ms)", "(ms)", "", "(us/op)", "(us/op)", ""))
for w in order:
    s_ops, r_ops = med(w, "stock", "ops_per_s"), med(w, "ringkeeper", "ops_per_s")
    s_p99, r_p99 = med(w, "stock", "p99_us") / 1000, med(w, "ringkeeper", "p99_us") / 1000
    s_cpu, r_cpu = med(w, "stock", "server_cpu_us_per_op"), med(w, "ringkeeper", "server_cpu_us_per_op")
    mix = by[(w, "stock")][0]["mix"] if (w, "stock") in by else ""
    errs = "%d/%d" % (sum(int(r["errors"]) for r in by.get((w, "stock"), [])),
                      sum(int(r["errors"]) for r in by.get((w, "ringkeeper"), [])))
    ratio = lambda a, b: "%6.2f" % (a / b) if b else "   n/a"
    print("%-9s %-13s | %10.0f %10.0f %s | %9.2f %9.2f %s | %8.1f %8.1f %s | %s" % (
        w, mix[:13], s_ops, r_ops, ratio(r_ops, s_ops), s_p99, r_p99, ratio(r_p99, s_p99),
        s_cpu, r_cpu, ratio(r_cpu, s_cpu), errs))
PY
}

# --- resource phase ----------------------------------------------------------------------

rss_mib() { awk '/^VmRSS:/ { printf "%.0f", $2 / 1024 }' "/proc/$1/status"; }

newest_snapshot_bytes() {  # the newest file named snapshot* under DIR, or 0
  local f
  f=$(find "$1" -type f -name 'snapshot*' -printf '%T@ %p\n' 2>/dev/null | sort -n | tail -1 | cut -d' ' -f2-)
  if [ -n "$f" ]; then stat -c %s "$f"; else echo 0; fi
}

node_count() { four_letter "$1" srvr | awk -F': ' '/^Node count/ { print $2 }'; }

resource_phase() {
  local kind name rss snap datadir_kib log_kib start_ns ready_ms nodes_after comparable
  printf 'server,nodes_loaded,load_s,rss_mib,newest_snapshot_bytes,data_dir_kib,log_dir_kib,restart_to_serving_ms,nodes_after_restart,restart_comparable\n' >"$OUT_DIR/resources.csv"
  for kind in stock stock-sized ringkeeper; do
    name="resources-$kind"
    start_server "$name" "$kind"
    log "resources: loading $RESOURCE_NODES znodes of 100 B into $kind"
    "$RKBENCH" --port "${SERVER_PORT[$name]}" --setup-only --keys "$RESOURCE_NODES" --value-size 100 \
      --connections "$CONNECTIONS" --depth 64 --json "$OUT_DIR/resources-$kind.json" \
      >>"$OUT_DIR/rkbench.txt" 2>&1
    sleep 2  # let a snapshot in progress finish
    rss=$(rss_mib "${SERVER_PID[$name]}")
    snap=$(newest_snapshot_bytes "${SERVER_DIR[$name]}/data")
    datadir_kib=$(du -sk "${SERVER_DIR[$name]}/data" | cut -f1)
    log_kib=$(du -sk "${SERVER_DIR[$name]}/datalog" | cut -f1)
    local load_s
    load_s=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["setup_s"])' "$OUT_DIR/resources-$kind.json")
    log "resources: kill -9 $kind (pid ${SERVER_PID[$name]}) and restart"
    kill -KILL "${SERVER_PID[$name]}"
    wait "${SERVER_PID[$name]}" 2>/dev/null || true
    start_ns=$(date +%s%N)
    spawn "$name" "$kind"
    wait_serving "$name"
    ready_ms=$(( ($(date +%s%N) - start_ns) / 1000000 ))
    nodes_after=$(node_count "${SERVER_PORT[$name]}")
    comparable=yes
    if grep -q "NOT persisted" "${SERVER_DIR[$name]}/server.log" || \
       [ "${nodes_after:-0}" -lt "$RESOURCE_NODES" ]; then
      comparable=no
    fi
    printf '%s,%s,%s,%s,%s,%s,%s,%s,%s,%s\n' "$kind" "$RESOURCE_NODES" "$load_s" "$rss" "$snap" \
      "$datadir_kib" "$log_kib" "$ready_ms" "${nodes_after:-?}" "$comparable" >>"$OUT_DIR/resources.csv"
    stop_server "$name"
  done
  column -t -s, "$OUT_DIR/resources.csv"
  python3 - "$OUT_DIR/resources.csv" <<'PY'
import csv, sys
rows = {r["server"]: r for r in csv.DictReader(open(sys.argv[1]))}
rk = rows.get("ringkeeper")
for stock in ("stock", "stock-sized"):
    s = rows.get(stock)
    if not rk or not s:
        continue
    parts = []
    for key, label in (("load_s", "load"), ("rss_mib", "RSS"), ("newest_snapshot_bytes", "snapshot"),
                       ("restart_to_serving_ms", "restart")):
        a, b = float(rk[key] or 0), float(s[key] or 0)
        parts.append("%s %s" % (label, "%.2f" % (a / b) if b else "n/a"))
    print("ringkeeper / %-11s %s" % (stock + ":", ", ".join(parts)))
PY
}

# --- main --------------------------------------------------------------------------------

if [ ! -f /usr/share/java/zookeeper.jar ]; then
  log "installing Debian's zookeeper package"
  apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q zookeeper
fi
if [ "$BUILD" = 1 ]; then
  log "building ringkeeper and rkbench (scripts/build.sh)"
  "$ROOT/scripts/build.sh" --target ringkeeper rkbench >"$OUT_DIR/build.log" 2>&1 ||
    { log "build failed, see $OUT_DIR/build.log"; exit 1; }
fi
for bin in "$RINGKEEPER" "$RKBENCH"; do
  [ -x "$bin" ] || { log "missing $bin (build it or pass --ringkeeper/--rkbench)"; exit 1; }
done

{
  echo "date: $(date -Is)"
  echo "host: $(nproc) cpus, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), kernel $(uname -r)"
  echo "java: $(java -version 2>&1 | head -1)"
  echo "zookeeper: $(dpkg-query -W -f '${Version}' zookeeper 2>/dev/null)"
  echo "ringkeeper: $RINGKEEPER ($(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null))"
  echo "settings: rounds=$ROUNDS duration=${DURATION_S}s warmup=${WARMUP_S}s connections=$CONNECTIONS depth=$DEPTH"
} | tee "$OUT_DIR/environment.txt" >&2

LATENCY_RATE=0
IFS=, read -r -a WORKLOAD_LIST <<<"$WORKLOADS"
for workload in "${WORKLOAD_LIST[@]}"; do
  if [ "$workload" = latency ]; then
    LATENCY_RATE=$(( $(stock_create_median) / 2 ))
    if [ "$LATENCY_RATE" -le 0 ]; then LATENCY_RATE=5000; log "no stock create figure; latency rate 5000/s"; fi
    log "latency workload: offered rate $LATENCY_RATE ops/s (half of stock's create median)"
  fi
  run_workload "$workload"
done

if [ -f "$CSV" ]; then summarize | tee "$OUT_DIR/summary.txt"; fi
if [ "$RESOURCES" = 1 ]; then resource_phase | tee "$OUT_DIR/resources.txt"; fi
log "raw results: $CSV"
