-- Chat: channels, messages the community's bot posts from incoming webhooks, and the bot's profile.

ALTER TABLE communities ADD COLUMN bot_name TEXT NOT NULL DEFAULT 'Community bot';
ALTER TABLE communities ADD COLUMN bot_avatar_url TEXT;

CREATE TABLE channels (
  id TEXT PRIMARY KEY,
  community_id TEXT NOT NULL REFERENCES communities(id) ON DELETE CASCADE,
  name TEXT NOT NULL,
  type TEXT NOT NULL CHECK (type IN ('text', 'forum')),
  created_at TEXT NOT NULL,
  UNIQUE (community_id, name)
);

-- Messages are plain text. The author is the community's bot, read from communities at display
-- time, so renaming the bot renames it everywhere.
CREATE TABLE messages (
  id TEXT PRIMARY KEY,
  seq INTEGER NOT NULL,            -- creation order, as for deliveries
  community_id TEXT NOT NULL,
  channel_id TEXT NOT NULL REFERENCES channels(id) ON DELETE CASCADE,
  topic TEXT,                      -- the forum topic; required in forum channels
  text TEXT NOT NULL,
  webhook_id TEXT,
  delivery_id TEXT,
  created_at TEXT NOT NULL
);
CREATE INDEX messages_by_channel ON messages(channel_id, seq);

-- A message goes only into a channel of its own community, and a forum post needs a topic. The
-- delivery's batch checks this in the same transaction that writes everything else.
CREATE TRIGGER messages_channel_guard BEFORE INSERT ON messages
BEGIN
  SELECT RAISE(ABORT, 'hookmap:unknown_channel')
   WHERE NOT EXISTS (SELECT 1 FROM channels WHERE id = NEW.channel_id AND community_id = NEW.community_id);
  SELECT RAISE(ABORT, 'hookmap:topic_required')
   WHERE NEW.topic IS NULL AND EXISTS (SELECT 1 FROM channels WHERE id = NEW.channel_id AND type = 'forum');
END;

-- `member` is the identifier the plan named (NULL for a message-only mapping without a member);
-- `message_id` the message the delivery posted.
ALTER TABLE deliveries ADD COLUMN member TEXT;
ALTER TABLE deliveries ADD COLUMN message_id TEXT;

-- A success needs its member only when the plan named one.
DROP TRIGGER deliveries_success_guard;
CREATE TRIGGER deliveries_success_guard BEFORE INSERT ON deliveries
WHEN NEW.status = 'success'
BEGIN
  SELECT RAISE(ABORT, 'hookmap:webhook_gone')
   WHERE NOT EXISTS (SELECT 1 FROM incoming_webhooks WHERE id = NEW.webhook_id);
  SELECT RAISE(ABORT, 'hookmap:webhook_disabled')
   WHERE NOT EXISTS (SELECT 1 FROM incoming_webhooks WHERE id = NEW.webhook_id AND enabled = 1);
  SELECT RAISE(ABORT, 'hookmap:stale_webhook')
   WHERE NOT EXISTS (SELECT 1 FROM incoming_webhooks WHERE id = NEW.webhook_id AND version = NEW.webhook_version);
  SELECT RAISE(ABORT, 'hookmap:unknown_member') WHERE NEW.user_id IS NULL AND NEW.member IS NOT NULL;
END;
