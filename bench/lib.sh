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

# free_ports N: N loopback ports free now (bound at once, so distinct).
free_ports() {
  python3 -c 'import socket, sys
s=[socket.socket() for _ in range(int(sys.argv[1]))]
[x.bind(("127.0.0.1",0)) for x in s]
print(*[x.getsockname()[1] for x in s])' "$1"
}

# connector_pair_up WORK BIN CONNECTORS_A CONNECTORS_B: starts two
# sync-nodes, a and b (static peers on free loopback ports, default store,
# data in WORK/a and WORK/b, logs in WORK/a.log and WORK/b.log), each with
# the `connectors:` entries given as YAML list items, and waits until each
# one's connector `app` runs. Appends their pids to PIDS (the caller's
# cleanup kills them); sets NODE_A_API and NODE_B_API. Returns 1 on timeout.
connector_pair_up() {
  local work=$1 bin=$2 p n api
  p=($(free_ports 6))
  _connector_node_yaml a "$work" "${p[@]:0:3}" b "${p[4]}" "${p[5]}" "$3" >"$work/a.yaml"
  _connector_node_yaml b "$work" "${p[@]:3:3}" a "${p[1]}" "${p[2]}" "$4" >"$work/b.yaml"
  for n in a b; do
    "$bin/sync-node" --config "$work/$n.yaml" 2>"$work/$n.log" &
    PIDS+=($!)
  done
  NODE_A_API=tcp://127.0.0.1:${p[0]} NODE_B_API=tcp://127.0.0.1:${p[3]}
  for api in "$NODE_A_API" "$NODE_B_API"; do
    for n in $(seq 300); do
      "$bin/syncctl" --node "$api" --timeout-ms 200 status 2>/dev/null |
        grep -q "connector.app .*running" && break
      [ "$n" -lt 300 ] || { echo "bench: connector app on $api not running" >&2; return 1; }
      sleep 0.1
    done
  done
}

_connector_node_yaml() {  # id work api pub sync peer peer_pub peer_sync connectors
  cat <<YAML
node: { id: $1, data_dir: $2/$1 }
endpoints: { api: "tcp://127.0.0.1:$3", pub: "tcp://127.0.0.1:$4", sync: "tcp://127.0.0.1:$5" }
peers:
  - { id: $6, pub: "tcp://127.0.0.1:$7", sync: "tcp://127.0.0.1:$8" }
connectors:
$9
log: { level: warn }
YAML
}
