-- Currencies become data. `xp` and `coins` stay built in (every community has them, and keeps
-- them), and a community may define more, the way it defines user fields. Nothing in the code
-- lists currencies any more: a new one is a row.
--
-- Balances become rows (member, currency, amount), written by `amount = amount + ?` inside the
-- delivery's one batch as before, so concurrent deliveries lose nothing; the CHECK keeps every
-- amount at zero or above, and a subtraction below zero still rolls the whole batch back. A member
-- without a row for a currency holds 0 of it.

CREATE TABLE currencies (
  community_id TEXT NOT NULL REFERENCES communities(id) ON DELETE CASCADE,
  key TEXT NOT NULL,
  name TEXT NOT NULL,
  built_in INTEGER NOT NULL DEFAULT 0,  -- 1 for xp and coins: they cannot be deleted
  created_at TEXT NOT NULL,
  PRIMARY KEY (community_id, key)
);

INSERT INTO currencies (community_id, key, name, built_in, created_at)
  SELECT id, 'xp', 'XP', 1, created_at FROM communities;
INSERT INTO currencies (community_id, key, name, built_in, created_at)
  SELECT id, 'coins', 'Coins', 1, created_at FROM communities;

CREATE TRIGGER communities_built_in_currencies AFTER INSERT ON communities
BEGIN
  INSERT INTO currencies (community_id, key, name, built_in, created_at)
    VALUES (NEW.id, 'xp', 'XP', 1, NEW.created_at), (NEW.id, 'coins', 'Coins', 1, NEW.created_at);
END;

CREATE TABLE balances (
  community_id TEXT NOT NULL,
  user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  currency TEXT NOT NULL,
  amount INTEGER NOT NULL DEFAULT 0 CONSTRAINT balance_not_negative CHECK (amount >= 0),
  PRIMARY KEY (user_id, currency),
  FOREIGN KEY (community_id, currency) REFERENCES currencies(community_id, key) ON DELETE CASCADE
);
CREATE INDEX balances_by_currency ON balances(community_id, currency);

-- A delivery planned against a currency deleted since is refused by name (a bare FOREIGN KEY
-- failure would not say which table), rolling its batch back.
CREATE TRIGGER balances_known_currency BEFORE INSERT ON balances
BEGIN
  SELECT RAISE(ABORT, 'hookmap:unknown_currency')
   WHERE NOT EXISTS (SELECT 1 FROM currencies WHERE community_id = NEW.community_id AND key = NEW.currency);
END;

-- Every balance moves over; a zero needs no row.
INSERT INTO balances (community_id, user_id, currency, amount)
  SELECT community_id, id, 'xp', xp FROM users WHERE xp <> 0;
INSERT INTO balances (community_id, user_id, currency, amount)
  SELECT community_id, id, 'coins', coins FROM users WHERE coins <> 0;

ALTER TABLE users DROP COLUMN xp;
ALTER TABLE users DROP COLUMN coins;

-- The log names any currency of the community: the CHECK listing two goes. SQLite cannot drop a
-- CHECK, so the table is rebuilt (nothing references it).
CREATE TABLE gamification_logs_new (
  id TEXT PRIMARY KEY,
  community_id TEXT NOT NULL,
  user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  currency TEXT NOT NULL,
  delta INTEGER NOT NULL,
  balance_after INTEGER,
  action TEXT NOT NULL,            -- the webhook's name
  delivery_id TEXT,
  created_at TEXT NOT NULL
);
INSERT INTO gamification_logs_new
  SELECT id, community_id, user_id, currency, delta, balance_after, action, delivery_id, created_at
  FROM gamification_logs;
DROP TABLE gamification_logs;
ALTER TABLE gamification_logs_new RENAME TO gamification_logs;
CREATE INDEX gamification_logs_by_user ON gamification_logs(community_id, user_id);
