-- A replayed delivery names its newest replay (or, when its key had applied meanwhile, the
-- delivery that applied it): the history lists it as `replayed` rather than pending or failed,
-- so that the pending list empties as deliveries are replayed.
ALTER TABLE deliveries ADD COLUMN replayed_as TEXT;
