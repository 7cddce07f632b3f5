#!/usr/bin/env bash
# Installs the CrossLogic agent on a node: verifies the binary's sha256 BEFORE installing anything, writes the agent's
# config and secrets (root-only files), installs the systemd unit. Used by the SkyPilot task's setup
# (packaging/skypilot/node-task.yaml); safe to run again (a relaunch rotates the node token).
#
#   install-agent.sh BINARY SHA256 UNIT_FILE
# Reads CROSSLOGIC_NODE_ID, CROSSLOGIC_CONTROL_PLANE_URL, CROSSLOGIC_MODEL, CROSSLOGIC_ENGINE_ARGS,
# CROSSLOGIC_TENSOR_PARALLEL_SIZE, CROSSLOGIC_CLOUD, CROSSLOGIC_NODE_TOKEN and CROSSLOGIC_ENGINE_API_KEY from the environment.
set -euo pipefail
binary=${1:?binary}
expected=${2:?sha256}
unit=${3:?unit file}
: "${CROSSLOGIC_NODE_ID:?}" "${CROSSLOGIC_CONTROL_PLANE_URL:?}" "${CROSSLOGIC_MODEL:?}" "${CROSSLOGIC_NODE_TOKEN:?}" "${CROSSLOGIC_ENGINE_API_KEY:?}"

actual=$(sha256sum "$binary" | cut -d' ' -f1)
if [ "$actual" != "$expected" ]; then
  echo "install-agent: sha256 of $binary is $actual, expected $expected: refusing to install" >&2
  exit 1
fi

install -d -m 0755 /etc/crosslogic /var/log/crosslogic
install -m 0755 "$binary" /usr/local/bin/crosslogic-agent
umask 077
printf '%s' "$CROSSLOGIC_NODE_TOKEN" >/etc/crosslogic/node.token
printf '%s' "$CROSSLOGIC_ENGINE_API_KEY" >/etc/crosslogic/engine.key
python3 - <<'PY' >/etc/crosslogic/agent.json
import json, os
args = [a for a in os.environ.get("CROSSLOGIC_ENGINE_ARGS", "").split(" ") if a]
tp = int(os.environ.get("CROSSLOGIC_TENSOR_PARALLEL_SIZE") or "1")
print(json.dumps({
    "NodeId": os.environ["CROSSLOGIC_NODE_ID"],
    "ControlPlane": {"Url": os.environ["CROSSLOGIC_CONTROL_PLANE_URL"], "TokenFile": "/etc/crosslogic/node.token"},
    "Probe": {"ListenAddress": "0.0.0.0", "Port": 7070},
    # The cloud SkyPilot launched on (aws, gcp, azure); its metadata service announces spot reclaims.
    "Preemption": {"Cloud": os.environ.get("CROSSLOGIC_CLOUD") or "auto"},
    "Engine": {
        "Model": os.environ["CROSSLOGIC_MODEL"],
        "Host": "0.0.0.0",
        "Port": 8000,
        "ApiKeyFile": "/etc/crosslogic/engine.key",
        "TensorParallelSize": tp if tp > 1 else 0,
        "ExtraArgs": args,
    },
}, indent=2))
PY
chmod 0600 /etc/crosslogic/agent.json
install -m 0644 "$unit" /etc/systemd/system/crosslogic-agent.service
systemctl daemon-reload
echo "install-agent: crosslogic-agent $actual installed"
