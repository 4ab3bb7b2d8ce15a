# A private registry 2.8 for a script: start_registry starts one with empty
# storage under $1 on a free loopback port and sets $reg (host:port);
# stop_registry stops it. Source this file; call stop_registry on exit.
registry_pid=
stop_registry() {
  if [ -n "$registry_pid" ]; then
    kill "$registry_pid" 2>/dev/null || true
    wait "$registry_pid" 2>/dev/null || true
    registry_pid=
  fi
}

start_registry() {
  local dir=$1 port
  stop_registry
  rm -rf "$dir/storage"
  mkdir -p "$dir"
  port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
  cat >"$dir/registry.yml" <<YML
version: 0.1
log: {level: error}
storage:
  filesystem: {rootdirectory: $dir/storage}
http: {addr: 127.0.0.1:$port}
YML
  docker-registry serve "$dir/registry.yml" >"$dir/registry.log" 2>&1 &
  registry_pid=$!
  reg="127.0.0.1:$port"
  for _ in $(seq 100); do
    python3 -c "import urllib.request; urllib.request.urlopen('http://$reg/v2/')" 2>/dev/null && return 0
    sleep 0.05
  done
  echo "the registry did not start; its log:" >&2
  cat "$dir/registry.log" >&2
  return 1
}
