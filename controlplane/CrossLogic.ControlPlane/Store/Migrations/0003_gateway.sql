-- What the gateway needs: where each node's engine is and what it serves, API keys, and usage.
ALTER TABLE nodes
    -- As the provisioner reported it (`http://host:port`); never an address the agent claims.
    ADD COLUMN engine_endpoint text NOT NULL DEFAULT '',
    -- The served model name requests are routed by.
    ADD COLUMN model           text NOT NULL DEFAULT '';

CREATE INDEX nodes_model ON nodes (model) WHERE model <> '';

CREATE TABLE api_keys (
    -- The lookup id, also the visible part of the key (`sk-cl-<key_id>_<secret>`).
    key_id              text PRIMARY KEY,
    tenant              text        NOT NULL,
    display_name        text        NOT NULL DEFAULT '',
    -- SHA-256 of the whole key; the key itself is never stored.
    key_hash            bytea       NOT NULL,
    created_at          timestamptz NOT NULL DEFAULT now(),
    expires_at          timestamptz,
    revoked_at          timestamptz,
    allowed_models      text[]      NOT NULL DEFAULT '{}',
    requests_per_minute integer     NOT NULL DEFAULT 0 CHECK (requests_per_minute >= 0),
    tokens_per_minute   bigint      NOT NULL DEFAULT 0 CHECK (tokens_per_minute >= 0)
);

CREATE INDEX api_keys_tenant ON api_keys (tenant, created_at DESC, key_id);

-- One row per request the gateway forwarded; the request id makes a replayed batch harmless.
CREATE TABLE usage (
    request_id        text PRIMARY KEY,
    time              timestamptz NOT NULL,
    tenant            text        NOT NULL,
    key_id            text        NOT NULL,
    model             text        NOT NULL,
    node_id           text        NOT NULL,
    status            smallint    NOT NULL,
    prompt_tokens     integer     NOT NULL,
    completion_tokens integer     NOT NULL,
    total_tokens      integer     NOT NULL,
    streamed          boolean     NOT NULL,
    duration_ms       integer     NOT NULL
);

CREATE INDEX usage_tenant_time ON usage (tenant, time);
