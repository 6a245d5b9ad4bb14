//! Brings a community's database to the schema this code knows (`hookmap_core::community_schema`):
//! each missing step in its own transaction, with the version it reaches.

use hookmap_core::community_schema::{
    self, READ_VERSION_SQL, VERSION_TABLE_SQL, WRITE_VERSION_SQL,
};
use serde::Deserialize;
use worker::{SqlStorage, Storage};

use crate::error::{ApiError, ApiResult};

#[derive(Deserialize)]
struct Version {
    version: u32,
}

/// The version the database is at.
pub fn version(sql: &SqlStorage) -> ApiResult<u32> {
    sql.exec(VERSION_TABLE_SQL, None)?;
    Ok(sql.exec(READ_VERSION_SQL, None)?.one::<Version>()?.version)
}

/// Applies every step the database lacks, oldest first. Each step checks the version again inside
/// its transaction, so two callers racing at start apply it once; a database newer than this code
/// is refused (a rolled-back deployment must not write under an older schema).
pub async fn migrate(storage: &Storage) -> ApiResult<u32> {
    let sql = storage.sql();
    let current = version(&sql)?;
    let steps = community_schema::pending(current).ok_or_else(|| {
        ApiError::internal(format!(
            "this community's database is at version {current}, newer than this code's {}",
            community_schema::latest()
        ))
    })?;
    for step in steps {
        let sql = storage.sql();
        storage
            .transaction(move |_| async move {
                if version(&sql).map_err(|e| worker::Error::RustError(e.message))? < step.version {
                    sql.exec(step.sql, None)?;
                    sql.exec(WRITE_VERSION_SQL, vec![i64::from(step.version).into()])?;
                }
                Ok(())
            })
            .await?;
    }
    version(&sql)
}
