-- What each control-plane replica routes from the agent streams it holds, so that every replica's gateway can route to
-- every node. The holder writes a node's row when routing to it starts or stops (with a NOTIFY on crosslogic_routes,
-- delivered at commit) and refreshes its rows while it holds the streams; a row it stops refreshing (its process died)
-- expires. A newer lease epoch (the agent attached again, wherever) always wins over an older one.
CREATE TABLE node_routes (
    node_id         text             PRIMARY KEY REFERENCES nodes (node_id) ON DELETE CASCADE,
    lease_epoch     bigint           NOT NULL,
    holder          text             NOT NULL,
    routable        boolean          NOT NULL,
    model           text             NOT NULL,
    engine_endpoint text             NOT NULL,
    degraded        boolean          NOT NULL,
    waiting         integer          NOT NULL,
    kv_cache_usage  double precision NOT NULL,
    expires_at      timestamptz      NOT NULL,
    updated_at      timestamptz      NOT NULL DEFAULT now()
);
