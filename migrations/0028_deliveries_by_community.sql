-- The community's one history (GET /v1/communities/{cid}/deliveries) lists every webhook's
-- deliveries newest first: without this, it sorted through an index meant for held deliveries.
CREATE INDEX deliveries_by_community ON deliveries(community_id, seq);
