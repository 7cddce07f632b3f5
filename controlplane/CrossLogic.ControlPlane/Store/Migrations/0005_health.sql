-- The health decider: a node declared dead (or unreachable past its grace) is fenced. Whatever its agent says later,
-- it is told to shut down and never routed to again.
ALTER TABLE nodes ADD COLUMN fenced_at timestamptz;
