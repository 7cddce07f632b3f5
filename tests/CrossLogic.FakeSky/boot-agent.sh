#!/usr/bin/env bash
# The "VM" of a fake-sky cluster: what packaging/skypilot/node-task.yaml's setup and run do on a real node (write the
# agent's config and secrets from the task's envs and secrets, start the agent), with the mock engine in place of vLLM
# and the loopback ports fake-sky mapped for 8000 and 7070. fake-sky runs it as the boot command, in the cluster's
# directory, with the task's envs and secrets in its environment.
set -euo pipefail
: "${CROSSLOGIC_NODE_ID:?}" "${CROSSLOGIC_CONTROL_PLANE_URL:?}" "${CROSSLOGIC_MODEL:?}" "${CROSSLOGIC_NODE_TOKEN:?}"
: "${CROSSLOGIC_ENGINE_API_KEY:?}" "${FAKE_SKY_PORT_8000:?}" "${FAKE_SKY_PORT_7070:?}"
: "${CROSSLOGIC_AGENT_BINARY:?path of the published agent}" "${CROSSLOGIC_MOCK_ENGINE_DLL:?path of the mock engine}"

umask 077
printf '%s' "$CROSSLOGIC_NODE_TOKEN" >node.token
printf '%s' "$CROSSLOGIC_ENGINE_API_KEY" >engine.key
cat >agent.json <<JSON
{
  "NodeId": "$CROSSLOGIC_NODE_ID",
  "ControlPlane": { "Url": "$CROSSLOGIC_CONTROL_PLANE_URL", "TokenFile": "$PWD/node.token" },
  "Probe": { "ListenAddress": "127.0.0.1", "Port": $FAKE_SKY_PORT_7070 },
  "Preemption": { "Cloud": "none" },
  "Engine": {
    "Model": "$CROSSLOGIC_MODEL",
    "Executable": "dotnet",
    "ExecutablePrefixArgs": ["$CROSSLOGIC_MOCK_ENGINE_DLL"],
    "Host": "127.0.0.1",
    "Port": $FAKE_SKY_PORT_8000,
    "ApiKeyFile": "$PWD/engine.key",
    "LogFile": "$PWD/engine.log",
    "RestartMinDelayMs": 100,
    "ScrapeIntervalMs": 250,
    "StopGraceSeconds": 3,
    "ShutdownDrainSeconds": 3
  }
}
JSON
exec "$CROSSLOGIC_AGENT_BINARY" run --config agent.json
