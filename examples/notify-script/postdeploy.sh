#!/bin/sh
# Two steps chained with &&, under `set -e`: if either fails, the deployment
# ends with hook-error and the previous version keeps serving.
set -e

./migrate.sh && ./notify.sh
