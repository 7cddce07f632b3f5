-- Replicas write a key's row only when its totals changed (or once an hour), and read the rows the others changed
-- since their last exchange: this index finds those, and the rows the daily prune removes.
CREATE INDEX key_consumption_updated_at ON key_consumption (updated_at);
