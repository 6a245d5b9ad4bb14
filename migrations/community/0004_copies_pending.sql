-- The copies the API keeps here of the directory's settings (community/copies.rs) gained columns
-- after databases already held data: a webhook's mapping and the quotas (step 2), the storage
-- quota and the total rate (step 3). A database from before them held none until its settings next
-- changed, so a mapped field could be deleted and a quota read as its default. A database that
-- holds its community's data is marked here; its object brings every copy up to the directory's
-- when it next starts, in the transaction that clears the mark (community/object.rs). A new
-- database has no placement yet, so no mark: its copies are written with its community.
CREATE TABLE copies_pending (
  community_id TEXT PRIMARY KEY
);
INSERT INTO copies_pending (community_id) SELECT community_id FROM placement;
