# Shell helpers shared by the benchmark scripts (sourced, not run).

log() { printf '[%s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }

# stop_pid PID [TENTHS]: SIGTERM, up to TENTHS tenths of a second (50) to exit, then SIGKILL;
# reaps it when it is a child of this shell.
stop_pid() {
  local pid=$1 tenths=${2:-50}
  kill -0 "$pid" 2>/dev/null || return 0
  kill -TERM "$pid" 2>/dev/null || true
  for _ in $(seq "$tenths"); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  kill -KILL "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
}
