#!/usr/bin/env bash
# A redeploy of a prebuilt image by hand, the Docker steps slipway does, with
# nothing else: run the new container, poll its port, run the hook container,
# stop (and remove) the old container. The baseline bench/docker-redeploy.mjs
# compares slipway against.
#
#   bench/docker-redeploy.sh IMAGE VERSION PORT STATE_FILE [GRACE_S]
#
# STATE_FILE holds the name of the container serving now (empty at first);
# it is rewritten with the new one. Exits non-zero when a step fails.
set -euo pipefail

image=$1
version=$2
port=$3
state=$4
grace=${5:-30}
name="slipway-bench-sh-$version"
old=$(cat "$state" 2>/dev/null || true)

# 1. the new container, on the host network, with its PORT (as slipway starts web-1)
docker run -d --name "$name" --network host --init \
  --label slipway-bench=sh \
  -e PORT="$port" -e CONTAINER=web-1 -e CONTAINER_VERSION="$version" \
  "$image" sh -c 'node server.js' >/dev/null

# 2. wait until it accepts connections on its port (60 s, as start.timeout)
deadline=$((SECONDS + 60))
until (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; do
  if [ "$(docker inspect -f '{{.State.Running}}' "$name")" != true ]; then
    echo "web exited before it was ready" >&2
    exit 1
  fi
  [ "$SECONDS" -lt "$deadline" ] || { echo "web not ready in 60 s" >&2; exit 1; }
  sleep 0.01
done

# 3. the hook container: same image, no PORT, a hard memory limit, removed after
docker run --rm --network host --init --memory 512m --memory-swap 512m \
  --label slipway-bench=sh \
  -e CONTAINER=postdeploy-1 -e CONTAINER_VERSION="$version" \
  "$image" sh -c 'true'

# 4. the new one serves from now on; the old one is stopped and removed
docker update --restart unless-stopped "$name" >/dev/null
echo "$name" >"$state"
if [ -n "$old" ]; then
  docker stop -t "$grace" "$old" >/dev/null
  docker rm "$old" >/dev/null
fi
