# Shared by the bench scripts (sourced): starting a cluster with deploy/local.
LOCAL=${LOCAL:-deploy/local/datasync-local}

# cluster_up DIR NODES STORE: starts a coordinator and NODES nodes in DIR and
# sets NODE_N<i>_API. Retries once on new ports, as datasync-local's random
# ports can collide with other programs' on a busy machine; keeps the logs
# of a failed start in $BENCH_FAILED. Returns 1 when both attempts fail.
BENCH_FAILED=${TMPDIR:-/tmp}/datasync-bench-failed-starts
cluster_up() {
  local env attempt
  unset NODE_N1_API NODE_N2_API NODE_N3_API
  for attempt in 1 2; do
    if env=$("$LOCAL" up --dir "$1" --nodes "$2" --store "$3"); then
      eval "$env"
      return 0
    fi
    "$LOCAL" down --dir "$1" >/dev/null 2>&1 || true
    mkdir -p "$BENCH_FAILED" && cp -r "$1/logs" "$BENCH_FAILED/$(basename "$1")-$attempt"
    rm -rf "$1"
  done
  echo "bench: no cluster in $1; logs in $BENCH_FAILED" >&2
  return 1
}
