-- The tables c2c_send.sql writes: the shape of im_conversation / im_message / the
-- blacklist that matters to a send (a primary key, the unique sequence, an index).
DROP TABLE IF EXISTS msg, conv, block;
CREATE TABLE conv (id bigint PRIMARY KEY, last_seq bigint NOT NULL DEFAULT 0, last_message_id bigint);
CREATE TABLE msg (id bigserial PRIMARY KEY, conv_id bigint NOT NULL, seq bigint NOT NULL,
                  body jsonb NOT NULL, created_at timestamptz NOT NULL, UNIQUE (conv_id, seq));
CREATE TABLE block (owner_id bigint, blocked_id bigint, PRIMARY KEY (owner_id, blocked_id));
INSERT INTO conv (id) SELECT generate_series(1, 1000);
