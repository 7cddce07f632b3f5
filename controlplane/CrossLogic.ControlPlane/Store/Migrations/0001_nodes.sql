-- Nodes and every transition they go through.
CREATE TABLE nodes (
    node_id                 text PRIMARY KEY,
    state                   smallint    NOT NULL,
    connected               boolean     NOT NULL DEFAULT false,
    -- Incremented on every accepted attach; an agent holding an older epoch is fenced.
    lease_epoch             bigint      NOT NULL DEFAULT 0,
    last_seen               timestamptz,
    last_heartbeat_sequence bigint      NOT NULL DEFAULT 0,
    boot_id                 text        NOT NULL DEFAULT '',
    agent_version           text        NOT NULL DEFAULT '',
    host_facts              bytea,
    gpus                    bytea,
    -- As the agent claims it; never probed.
    reported_probe_endpoint text        NOT NULL DEFAULT '',
    -- As the provisioner reported it; the one the control plane probes.
    probe_endpoint          text        NOT NULL DEFAULT '',
    labels                  jsonb       NOT NULL DEFAULT '{}'::jsonb,
    -- SHA-256 of the node's bearer token; the token itself is never stored.
    token_hash              bytea       NOT NULL UNIQUE,
    created_at              timestamptz NOT NULL DEFAULT now(),
    updated_at              timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE node_events (
    id               bigserial PRIMARY KEY,
    node_id          text        NOT NULL REFERENCES nodes (node_id) ON DELETE CASCADE,
    time             timestamptz NOT NULL DEFAULT now(),
    kind             text        NOT NULL,
    reason           text        NOT NULL DEFAULT '',
    detail           jsonb       NOT NULL DEFAULT '{}'::jsonb,
    -- For events raised by the agent: which agent process and which of its events, so a resend is stored once.
    agent_start_time timestamptz,
    agent_sequence   bigint
);

CREATE INDEX node_events_node_id_id ON node_events (node_id, id DESC);
CREATE UNIQUE INDEX node_events_agent_event ON node_events (node_id, agent_start_time, agent_sequence)
    WHERE agent_sequence IS NOT NULL;
