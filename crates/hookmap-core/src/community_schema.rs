//! The schema of a community's own database, the SQLite of its Durable Object: numbered
//! migrations (`migrations/community/`), which the object applies in order when it starts, each in
//! one transaction with the version it reaches. An object records its version in
//! [`VERSION_TABLE`]; one created by newer code than this is left untouched.

use crate::vocabulary::vocabulary;

vocabulary! {
    /// Whether a community's database holds its data (`placement.state`): `moving` while a move
    /// copies it in from the directory, `live` once it is there.
    pub enum Placement {
        Moving = "moving",
        Live = "live",
    }
}

vocabulary! {
    /// Where a move of a community's data stands, as `POST .../move` answers it: rows still to
    /// copy, copied but different (the move stopped), or live.
    pub enum MoveState {
        Moving = "moving",
        Mismatched = "mismatched",
        Live = "live",
    }
}

/// One step of the schema.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Migration {
    /// 1, 2, 3 ...: the version an object has once this step is applied.
    pub version: u32,
    pub name: &'static str,
    /// Statements separated by `;`, run as one script.
    pub sql: &'static str,
}

/// Every step, in order.
pub const MIGRATIONS: &[Migration] = &[
    Migration {
        version: 1,
        name: "initial",
        sql: include_str!("../../../migrations/community/0001_initial.sql"),
    },
    Migration {
        version: 2,
        name: "quotas_mappings_adjustment_indexes",
        sql: include_str!(
            "../../../migrations/community/0002_quotas_mappings_adjustment_indexes.sql"
        ),
    },
    Migration {
        version: 3,
        name: "placement_and_moves",
        sql: include_str!("../../../migrations/community/0003_placement_and_moves.sql"),
    },
    Migration {
        version: 4,
        name: "copies_pending",
        sql: include_str!("../../../migrations/community/0004_copies_pending.sql"),
    },
];

/// The table holding an object's version: one row, made by [`VERSION_TABLE_SQL`].
pub const VERSION_TABLE: &str = "hookmap_schema";
/// The tables that keep the database's own state, not its community's data: its version, its
/// placement, a move's progress and copies still to fill. A community's stored rows leave them out.
pub const BOOKKEEPING_TABLES: [&str; 4] = [
    VERSION_TABLE,
    "placement",
    "move_progress",
    "copies_pending",
];
pub const VERSION_TABLE_SQL: &str =
    "CREATE TABLE IF NOT EXISTS hookmap_schema (id INTEGER PRIMARY KEY CHECK (id = 1), version INTEGER NOT NULL)";
/// The version an object is at (none: 0, a new object).
pub const READ_VERSION_SQL: &str =
    "SELECT COALESCE(MAX(version), 0) AS version FROM hookmap_schema";
/// Records the version a step reached (`?1`), in the step's transaction.
pub const WRITE_VERSION_SQL: &str =
    "INSERT INTO hookmap_schema (id, version) VALUES (1, ?1) ON CONFLICT (id) DO UPDATE SET version = excluded.version";

/// The version the newest step reaches.
pub fn latest() -> u32 {
    MIGRATIONS.last().map_or(0, |m| m.version)
}

/// What an object at `current` must apply, in order; `None` when it is newer than this code (a
/// deployment rolled back), which must not write to it.
pub fn pending(current: u32) -> Option<&'static [Migration]> {
    if current > latest() {
        return None;
    }
    let from = MIGRATIONS.partition_point(|m| m.version <= current);
    MIGRATIONS.get(from..)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn steps_are_numbered_from_one_without_gaps() {
        for (i, m) in MIGRATIONS.iter().enumerate() {
            assert_eq!(m.version as usize, i + 1, "{}", m.name);
        }
    }

    #[test]
    fn an_object_applies_what_it_lacks_and_a_newer_one_is_left_alone() {
        assert_eq!(pending(0), Some(MIGRATIONS));
        assert_eq!(pending(latest()), Some(&[][..]));
        assert_eq!(pending(latest() + 1), None);
        if let Some(last) = MIGRATIONS.last() {
            assert_eq!(
                pending(last.version - 1).and_then(|p| p.first()),
                Some(last)
            );
        }
    }

    /// A Durable Object refuses transaction control in SQL: its transaction is the storage API's.
    #[test]
    fn no_step_controls_transactions_itself() {
        for m in MIGRATIONS {
            let upper = m.sql.to_ascii_uppercase();
            for refused in ["COMMIT", "SAVEPOINT", "ROLLBACK", "PRAGMA"] {
                assert!(!upper.contains(refused), "{}: {refused}", m.name);
            }
            // BEGIN only opens a trigger's body.
            let begins = upper.matches("BEGIN").count();
            assert_eq!(
                begins,
                upper.matches("CREATE TRIGGER").count(),
                "{}",
                m.name
            );
        }
    }
}
