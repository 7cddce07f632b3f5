-- Fleet management: deployments, where each node runs, and an outbox of cloud side effects.

CREATE TABLE deployments (
    deployment_id     text PRIMARY KEY,
    -- 1 active, 2 deleting, 3 deleted (kept for its events; hidden from the API).
    state             smallint    NOT NULL,
    model             text        NOT NULL,
    engine_args       text[]      NOT NULL DEFAULT '{}',
    gpu_type          text        NOT NULL,
    gpu_count         integer     NOT NULL CHECK (gpu_count > 0),
    -- The ModelProfile and the Sizing the count came from, as protobuf JSON.
    model_profile     jsonb       NOT NULL DEFAULT '{}'::jsonb,
    sizing            jsonb       NOT NULL DEFAULT '{}'::jsonb,
    replicas          integer     NOT NULL CHECK (replicas >= 0),
    min_replicas      integer     NOT NULL CHECK (min_replicas >= 0),
    max_replicas      integer     NOT NULL CHECK (max_replicas >= 0),
    max_surge         integer     NOT NULL CHECK (max_surge >= 1),
    -- 1 on-demand, 2 spot first, 3 spot only.
    spot_mode         smallint    NOT NULL,
    on_demand_base    integer     NOT NULL CHECK (on_demand_base >= 0),
    placement_infra   text[]      NOT NULL DEFAULT '{}',
    placement_spread  boolean     NOT NULL DEFAULT false,
    provisioner       text        NOT NULL,
    created_at        timestamptz NOT NULL DEFAULT now(),
    updated_at        timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE deployment_events (
    id            bigserial PRIMARY KEY,
    deployment_id text        NOT NULL REFERENCES deployments (deployment_id) ON DELETE CASCADE,
    time          timestamptz NOT NULL DEFAULT now(),
    kind          text        NOT NULL,
    reason        text        NOT NULL DEFAULT '',
    detail        jsonb       NOT NULL DEFAULT '{}'::jsonb
);

CREATE INDEX deployment_events_deployment_id_id ON deployment_events (deployment_id, id DESC);

ALTER TABLE nodes
    ADD COLUMN deployment_id  text REFERENCES deployments (deployment_id),
    -- The provisioner's name for the machine; the idempotency key of launch and teardown.
    ADD COLUMN cluster_name   text,
    ADD COLUMN provisioner    text NOT NULL DEFAULT '',
    ADD COLUMN cloud          text NOT NULL DEFAULT '',
    ADD COLUMN region         text NOT NULL DEFAULT '',
    ADD COLUMN spot           boolean NOT NULL DEFAULT false,
    ADD COLUMN price_per_hour double precision NOT NULL DEFAULT 0,
    ADD COLUMN gpu_type       text NOT NULL DEFAULT '',
    ADD COLUMN gpu_count      integer NOT NULL DEFAULT 0,
    ADD COLUMN engine_args    text[] NOT NULL DEFAULT '{}',
    -- Set when the launch succeeded (the provisioner reported the machine's endpoints).
    ADD COLUMN launched_at    timestamptz,
    -- Set once the node is on its way out; it no longer counts as a replica.
    ADD COLUMN retiring_at    timestamptz,
    -- Set once the cluster is confirmed gone (or never existed).
    ADD COLUMN released_at    timestamptz,
    -- Why and when a launch failed, by kind (no_capacity, quota, auth, invalid, transient), for offer back-off.
    ADD COLUMN failure_kind   text NOT NULL DEFAULT '',
    ADD COLUMN failed_at      timestamptz;

CREATE INDEX nodes_failed_at ON nodes (failed_at) WHERE failed_at IS NOT NULL;

CREATE UNIQUE INDEX nodes_cluster_name ON nodes (cluster_name) WHERE cluster_name IS NOT NULL;
CREATE INDEX nodes_deployment_id ON nodes (deployment_id) WHERE deployment_id IS NOT NULL;

-- Side effects on clouds, decided in the same transaction as the node row they concern and carried out by a worker
-- with retries. A crash between deciding and doing leaves the row here; it is picked up again when its claim expires.
CREATE TABLE outbox (
    id             bigserial PRIMARY KEY,
    -- 'launch' or 'teardown'.
    kind           text        NOT NULL,
    node_id        text        REFERENCES nodes (node_id),
    cluster_name   text        NOT NULL,
    provisioner    text        NOT NULL,
    -- What the worker needs (drain timeout, force…), as JSON.
    payload        jsonb       NOT NULL DEFAULT '{}'::jsonb,
    created_at     timestamptz NOT NULL DEFAULT now(),
    attempts       integer     NOT NULL DEFAULT 0,
    next_attempt_at timestamptz NOT NULL DEFAULT now(),
    -- Which control-plane process works on it, and until when its claim holds.
    claimed_by     text,
    claimed_until  timestamptz,
    last_error     text        NOT NULL DEFAULT '',
    done_at        timestamptz
);

CREATE INDEX outbox_pending ON outbox (next_attempt_at) WHERE done_at IS NULL;
-- One pending launch and one pending teardown per cluster at most.
CREATE UNIQUE INDEX outbox_one_pending ON outbox (cluster_name, kind) WHERE done_at IS NULL;
