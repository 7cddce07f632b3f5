-- What each control-plane replica has admitted and charged per API key since it started (monotonic counters). Every
-- replica writes its own rows about once a second and charges its local rate-limit buckets with what the others' rows
-- grew by, so a key's limits hold across replicas rather than per replica.
CREATE TABLE key_consumption (
    key_id     text        NOT NULL,
    replica    text        NOT NULL,
    requests   bigint      NOT NULL,
    tokens     bigint      NOT NULL,
    updated_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (key_id, replica)
);
