//! Members' balances, one row per (member, currency) in `balances` (migrations/0011). A member
//! without a row for one of the community's currencies holds 0 of it: rows appear when a balance
//! first moves.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use crate::db::{self, Db};
use crate::error::ApiResult;

/// Currency key -> amount, for every currency of the community.
pub type Amounts = BTreeMap<String, i64>;

/// One row of a balances query: whose, which currency, how much.
#[derive(Debug, Deserialize)]
pub struct Row {
    pub id: String,
    pub currency: String,
    pub amount: i64,
}

/// A member's balances as answers show them: `balances` holds every currency; `xp` and `coins`
/// repeat the built-in ones at the top level, where the API has always shown them ([`shown`]).
#[derive(Debug, Clone, Default)]
pub struct Member {
    pub id: String,
    pub balances: Amounts,
}

impl Member {
    /// The member of `rows` (all of one member); `None` when there are none.
    pub fn from_rows(rows: Vec<Row>) -> Option<Self> {
        let id = rows.first()?.id.clone();
        // Inserted, not collected: collecting a BTreeMap sorts, and links a stable sort into the
        // edge for it (BENCHMARKS.md, the page's engine).
        let mut balances = Amounts::new();
        for row in rows {
            balances.insert(row.currency, row.amount);
        }
        Some(Self { id, balances })
    }
}

impl Serialize for Member {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let shown = shown(&self.balances);
        let mut map = s.serialize_map(Some(1 + shown.len()))?;
        map.serialize_entry("id", &self.id)?;
        for (key, value) in &shown {
            map.serialize_entry(key, value)?;
        }
        map.end()
    }
}

/// `{xp, coins, balances}` for a member's JSON, from every currency's amount.
pub fn shown(amounts: &Amounts) -> [(&'static str, Value); 3] {
    let of = |key: &str| amounts.get(key).copied().unwrap_or(0);
    [
        ("xp", of("xp").into()),
        ("coins", of("coins").into()),
        ("balances", json!(amounts)),
    ]
}

/// The balances of delivery `?1`'s member in every currency of the community, as rows: what the
/// apply batch ends with, so that its answer shows the balances the batch left.
pub const OF_DELIVERY_MEMBER: &str =
    "SELECT d.user_id AS id, c.key AS currency, COALESCE(b.amount, 0) AS amount
       FROM deliveries d JOIN currencies c ON c.community_id = d.community_id
       LEFT JOIN balances b ON b.user_id = d.user_id AND b.currency = c.key
      WHERE d.id = ?1 AND d.user_id IS NOT NULL";

/// The balances of the member of community `?1` whose `column` (email or username) is `?2`; no
/// rows when there is no such member.
pub fn of_member_by(column: &str) -> String {
    format!(
        "SELECT u.id, c.key AS currency, COALESCE(b.amount, 0) AS amount
           FROM users u JOIN currencies c ON c.community_id = u.community_id
           LEFT JOIN balances b ON b.user_id = u.id AND b.currency = c.key
          WHERE u.community_id = ?1 AND u.{column} = ?2"
    )
}

/// The statements of a batch that move the balance of the delivery `?1`'s member in `currency`
/// by `delta`. The row is made first, at 0, and then moved: an upsert would check the CHECK on
/// the row it proposes (the bare delta) before finding the conflict, refusing every subtraction.
pub fn moved(
    delivery_id: &str,
    community_id: &str,
    currency: &str,
    delta: i64,
) -> [db::Statement; 2] {
    [
        db::stmt(
            "INSERT INTO balances (community_id, user_id, currency, amount)
             SELECT ?2, d.user_id, ?3, 0 FROM deliveries d WHERE d.id = ?1
             ON CONFLICT (user_id, currency) DO NOTHING",
            &crate::args![delivery_id, community_id, currency],
        ),
        db::stmt(
            "UPDATE balances SET amount = amount + ?3
              WHERE user_id = (SELECT user_id FROM deliveries WHERE id = ?1) AND currency = ?2",
            &crate::args![delivery_id, currency, delta],
        ),
    ]
}

/// Every currency's amount for each member of community `?1` whose id is in the JSON array `?2`
/// (json_each keeps the text fixed whatever their number), 0 where no row: [`by_member`] reads it.
pub const OF_MEMBERS: &str =
    "SELECT u.value AS id, c.key AS currency, COALESCE(b.amount, 0) AS amount
       FROM json_each(?2) u JOIN currencies c ON c.community_id = ?1
       LEFT JOIN balances b ON b.user_id = u.value AND b.currency = c.key";

/// The rows of [`OF_MEMBERS`], by member id.
pub fn by_member(rows: Vec<Row>) -> BTreeMap<String, Amounts> {
    let mut out: BTreeMap<String, Amounts> = BTreeMap::new();
    for row in rows {
        out.entry(row.id)
            .or_default()
            .insert(row.currency, row.amount);
    }
    out
}

/// A new member's balances: 0 in every currency of the community.
pub async fn zero(db: Db<'_>, community_id: &str) -> ApiResult<Amounts> {
    #[derive(Deserialize)]
    struct Key {
        key: String,
    }
    let keys: Vec<Key> = db::all(
        db,
        "SELECT key FROM currencies WHERE community_id = ?1",
        &crate::args![community_id],
    )
    .await?;
    Ok(keys.into_iter().map(|k| (k.key, 0)).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_member_shows_every_currency_and_the_built_ins_on_top() {
        let row = |currency: &str, amount| Row {
            id: "usr_1".into(),
            currency: currency.into(),
            amount,
        };
        let member = Member::from_rows(vec![row("coins", 3), row("gems", 9), row("xp", 0)]);
        let member = serde_json::to_value(member).ok();
        assert_eq!(
            member,
            Some(
                json!({"id": "usr_1", "xp": 0, "coins": 3, "balances": {"coins": 3, "gems": 9, "xp": 0}})
            )
        );
        assert!(Member::from_rows(Vec::new()).is_none());
    }
}
