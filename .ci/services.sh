# shellcheck shell=bash
# Test services, sourced by .ci/run (set -uo pipefail, repo root) before `npm test`.
#
# The Docker tests need an Engine. When `docker info` already answers, it is
# used as is and left alone. Otherwise dockerd is started here (no bridge, no
# iptables: containers get host networking, never a private-range address),
# and an EXIT trap stops that dockerd, and only that one, by its pid, keeping
# the exit status .ci/run exits with. Nothing is exported.

_slipway_dockerd_pid=''
_slipway_dockerd_log=''

_slipway_stop_dockerd() {
  local status=$?
  if [ -n "$_slipway_dockerd_pid" ] && kill -0 "$_slipway_dockerd_pid" 2>/dev/null; then
    kill -TERM "$_slipway_dockerd_pid" 2>/dev/null
    # dockerd stops its containers and its containerd first; give it 20 s, then kill it.
    local waited=0
    while kill -0 "$_slipway_dockerd_pid" 2>/dev/null && [ "$waited" -lt 200 ]; do
      sleep 0.1
      waited=$((waited + 1))
    done
    kill -KILL "$_slipway_dockerd_pid" 2>/dev/null
  fi
  _slipway_dockerd_pid=''
  return "$status"
}

_slipway_start_dockerd() {
  if docker info >/dev/null 2>&1; then
    echo "services: using the running Docker Engine"
    return 0
  fi
  if ! command -v dockerd >/dev/null 2>&1; then
    echo "services: dockerd is not installed (apt-get install docker.io)" >&2
    return 1
  fi
  _slipway_dockerd_log=$(mktemp /tmp/slipway-dockerd.XXXXXX.log)
  dockerd --bridge=none --iptables=false --ip6tables=false --host=unix:///var/run/docker.sock \
    >"$_slipway_dockerd_log" 2>&1 &
  _slipway_dockerd_pid=$!
  # Registered at once: even a dockerd that never answers is stopped on exit.
  trap _slipway_stop_dockerd EXIT
  local waited=0
  until docker info >/dev/null 2>&1; do
    if ! kill -0 "$_slipway_dockerd_pid" 2>/dev/null; then
      echo "services: dockerd exited; its log ($_slipway_dockerd_log):" >&2
      tail -n 20 "$_slipway_dockerd_log" >&2
      _slipway_dockerd_pid=''
      return 1
    fi
    if [ "$waited" -ge 120 ]; then
      echo "services: dockerd did not answer within 60 s; its log ($_slipway_dockerd_log):" >&2
      tail -n 20 "$_slipway_dockerd_log" >&2
      return 1
    fi
    sleep 0.5
    waited=$((waited + 1))
  done
  echo "services: started dockerd (pid $_slipway_dockerd_pid, log $_slipway_dockerd_log)"
}

_slipway_start_dockerd
