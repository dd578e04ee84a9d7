#!/bin/sh
set -e
echo "migrating for $APP at $CONTAINER_VERSION"
