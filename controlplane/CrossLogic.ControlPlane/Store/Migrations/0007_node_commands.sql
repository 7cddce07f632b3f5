-- Commands for an agent (drain, restart the engine) asked of a control-plane replica that does not hold the node's
-- stream. The requester writes the command and NOTIFYs crosslogic_node_commands; the replica holding the stream claims
-- it, sends it down the stream and records the agent's answer. A command nobody claims in time expires, so a replica
-- that attaches the node later never sends a stale one.
CREATE TABLE node_commands (
    command_id   text        PRIMARY KEY,
    node_id      text        NOT NULL REFERENCES nodes (node_id) ON DELETE CASCADE,
    -- The ControlMessage to send, serialized.
    message      bytea       NOT NULL,
    -- pending → claimed → delivered → acknowledged; failed (the stream closed first); expired (nobody claimed it).
    state        text        NOT NULL DEFAULT 'pending',
    claimed_by   text,
    ok           boolean,
    error        text        NOT NULL DEFAULT '',
    requested_at timestamptz NOT NULL DEFAULT now(),
    updated_at   timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX node_commands_pending ON node_commands (requested_at) WHERE state = 'pending';
