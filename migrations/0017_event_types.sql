-- Event types a community registers itself (issue 15): `payment.completed` beside the built-ins
-- (hookmap-core event_types.rs). `schema` is the JSON Schema (hookmap-core's subset, checked when
-- registered) that published `data` must match; NULL takes any object. The per-community cap is
-- counted inside the INSERT (api/event_types.rs), and a type a subscription lists is not deleted:
-- both are conditions of the statements themselves, so concurrent requests cannot break them.
CREATE TABLE event_types (
  community_id TEXT NOT NULL REFERENCES communities(id) ON DELETE CASCADE,
  name TEXT NOT NULL,
  description TEXT NOT NULL,
  schema TEXT,
  created_at TEXT NOT NULL,
  PRIMARY KEY (community_id, name)
);
