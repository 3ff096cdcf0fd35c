-- A C2C send's statements as im/sendsql.py runs them on PostgreSQL, for pgbench
-- (see docs/scaling.md): lock the pair's row with the blacklist test in the same
-- statement, then insert + counters in one statement (the un-hiding left out), commit.
-- :pair picks one of 1,000 conversations.
\set pair random(1, 1000)
BEGIN;
SELECT id, last_seq, EXISTS (SELECT 1 FROM block WHERE owner_id = :pair AND blocked_id = :pair + 1)
  FROM conv WHERE id = :pair FOR UPDATE;
WITH m AS (
  INSERT INTO msg (conv_id, seq, body, created_at)
  SELECT :pair, last_seq + 1, '{"text": "hello from pgbench"}', now() FROM conv WHERE id = :pair
  RETURNING id, seq
)
UPDATE conv SET last_seq = m.seq, last_message_id = m.id FROM m WHERE conv.id = :pair;
COMMIT;
