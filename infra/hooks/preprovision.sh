#!/bin/sh
# azd preprovision hook: stop before anything is created when the target is not fully described.
set -eu
target="${IOT_TARGET:-iotCentral}"
case "$target" in
  iotCentral)
    if [ -z "${IOTC_ID_SCOPE:-}" ] || [ -z "${IOTC_GROUP_KEY:-}" ]; then
      echo "IOT_TARGET=iotCentral needs your IoT Central application's ID scope and SAS-IoT-Devices group key" >&2
      echo "(IoT Central: Permissions > Device connection groups):" >&2
      echo "  azd env set IOTC_ID_SCOPE <ID scope>" >&2
      echo "  azd env set IOTC_GROUP_KEY <primary key>" >&2
      echo "or create a DPS with a new IoT hub instead: azd env set IOT_TARGET newIotHub" >&2
      exit 1
    fi ;;
  newIotHub)
    if ! command -v az >/dev/null 2>&1; then
      echo "IOT_TARGET=newIotHub needs the Azure CLI (az) for the enrollment group, which is no ARM resource" >&2
      exit 1
    fi ;;
  *)
    echo "IOT_TARGET must be iotCentral or newIotHub, was '$target'" >&2
    exit 1 ;;
esac
echo "target: $target; durable mode: ${BRIDGE_DURABLE_MODE:-false}"
