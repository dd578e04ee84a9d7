#!/bin/sh
# Stands in for `curl --fail -X POST $DEPLOY_HOOK_URL ...`: NOTIFY_FAIL=1 makes it fail.
set -e
if [ "${NOTIFY_FAIL:-0}" = "1" ]; then
  echo "notification failed" >&2
  exit 22
fi
echo "notified: version $CONTAINER_VERSION"
