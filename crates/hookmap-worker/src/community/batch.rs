//! A batch of statements run in a community's object as one transaction, as D1 runs a batch: the
//! workers build the statements, so a query moves from D1 to the object by changing where it goes
//! (ARCHITECTURE.md, "The data plane").

use std::cell::RefCell;
use std::rc::Rc;

use serde::Deserialize;
use serde_json::Value;
use worker::{SqlStorageValue, Storage};

use crate::db::{Answer, Statement};

#[derive(Deserialize)]
struct Changes {
    n: usize,
}

pub(super) fn bound(value: &Value) -> SqlStorageValue {
    match value {
        Value::Null => SqlStorageValue::Null,
        Value::Bool(b) => SqlStorageValue::Integer(i64::from(*b)),
        Value::Number(n) => match n.as_i64() {
            Some(i) => SqlStorageValue::Integer(i),
            None => SqlStorageValue::Float(n.as_f64().unwrap_or(f64::NAN)),
        },
        Value::String(s) => SqlStorageValue::String(s.clone()),
        // No statement binds a list or an object: their JSON text is what a column would hold.
        Value::Array(_) | Value::Object(_) => SqlStorageValue::String(value.to_string()),
    }
}

/// Runs `statements` in order in one transaction: all of them, or none when one fails (its error
/// text, a trigger's `hookmap:<name>` included, is the error's).
pub async fn run(storage: &Storage, statements: Vec<Statement>) -> worker::Result<Vec<Answer>> {
    let sql = storage.sql();
    let outcomes = Rc::new(RefCell::new(Vec::with_capacity(statements.len())));
    let kept = outcomes.clone();
    storage
        .transaction(move |_| async move {
            for statement in &statements {
                let args: Vec<SqlStorageValue> = statement.args.iter().map(bound).collect();
                let rows = sql.exec(&statement.sql, args)?.to_array::<Value>()?;
                let changes = sql.exec("SELECT changes() AS n", None)?.one::<Changes>()?.n;
                kept.borrow_mut().push(Answer { rows, changes });
            }
            Ok(())
        })
        .await?;
    Ok(outcomes.take())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn values_bind_as_sqlite_takes_them() {
        let kinds: Vec<String> = [
            json!(null),
            json!(7),
            json!(-2),
            json!(2.5),
            json!(true),
            json!("text"),
            json!([1, 2]),
        ]
        .iter()
        .map(|v| format!("{:?}", bound(v)))
        .collect();
        assert_eq!(
            kinds,
            [
                "Null",
                "Integer(7)",
                "Integer(-2)",
                "Float(2.5)",
                "Integer(1)",
                "String(\"text\")",
                "String(\"[1,2]\")"
            ]
        );
    }
}
