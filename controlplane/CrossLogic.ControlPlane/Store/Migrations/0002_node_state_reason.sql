-- Why a node is in its state, and the engine's last output from its last exit or crash loop.
ALTER TABLE nodes
    ADD COLUMN state_reason    text NOT NULL DEFAULT '',
    ADD COLUMN engine_log_tail text NOT NULL DEFAULT '';
