//! Reads: SOQL queries (all pages) and describe.

use reqwest::Method;
use serde::Deserialize;
use serde_json::{Map, Value};

use super::client::{Client, Request, Safety};
use super::error::SfError;
use super::soql::is_identifier;

/// One page of a query result. `totalSize` and `records` are required: an answer without them
/// (a proxy's page, a truncated body) is a protocol error, never "no records", which would
/// turn an update into NOT_FOUND and an upsert into a duplicate create.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct QueryPage {
    #[serde(rename = "totalSize")]
    _total_size: u64,
    records: Vec<Value>,
    #[serde(default)]
    next_records_url: Option<String>,
    #[serde(default)]
    done: Option<bool>,
}

/// Removes `attributes` from a record and from its parent-relationship objects.
fn strip_attributes(mut record: Map<String, Value>) -> Map<String, Value> {
    record.remove("attributes");
    for v in record.values_mut() {
        if let Value::Object(inner) = v {
            let taken = std::mem::take(inner);
            *inner = strip_attributes(taken);
        }
    }
    record
}

impl Client {
    /// Runs `soql` and returns every record of every page (following `nextRecordsUrl`), without
    /// the `attributes` entries. Build `soql` with `salesforce::soql` for any value in it.
    pub async fn query(&self, soql: &str) -> Result<Vec<Map<String, Value>>, SfError> {
        let first =
            Request::new(Method::GET, self.data_path("query"), Safety::Repeatable).query("q", soql);
        let mut page: QueryPage = self.send(first).await?.json("query result")?;
        let mut out = Vec::new();
        loop {
            for r in std::mem::take(&mut page.records) {
                match r {
                    Value::Object(m) => out.push(strip_attributes(m)),
                    _ => return Err(SfError::Protocol("a query record is not an object".into())),
                }
            }
            let next = match (&page.next_records_url, page.done) {
                (Some(next), Some(false) | None) if !next.is_empty() => next.clone(),
                _ => break,
            };
            // Only follow cursors of this API: never let a response send the token elsewhere.
            let path = next.trim_start_matches('/');
            let expected = self.data_path("query");
            if !path.starts_with(&expected) || path.contains("..") || path.contains("://") {
                return Err(SfError::Protocol(format!(
                    "unexpected nextRecordsUrl {next:?}"
                )));
            }
            page = self
                .send(Request::new(
                    Method::GET,
                    path.to_string(),
                    Safety::Repeatable,
                ))
                .await?
                .json("query result")?;
        }
        Ok(out)
    }

    /// `GET sobjects/{object}/describe`, as the schema model.
    pub async fn describe(&self, object: &str) -> Result<crate::schema::ObjectDescribe, SfError> {
        check_name("object", object)?;
        let path = self.data_path(&format!("sobjects/{object}/describe"));
        self.send(Request::new(Method::GET, path, Safety::Repeatable))
            .await?
            .json("describe result")
    }
}

pub(crate) fn check_name(what: &str, name: &str) -> Result<(), SfError> {
    if is_identifier(name) && !name.contains('.') {
        Ok(())
    } else {
        Err(SfError::InvalidInput(format!(
            "{what} name {name:?} is not a valid API name"
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn attributes_are_stripped_at_every_level() {
        let r = json!({"attributes": {"type": "Contact"}, "Id": "003",
                       "Account": {"attributes": {"type": "Account"}, "Name": "A"}, "Owner": null});
        let Value::Object(m) = r else { unreachable!() };
        let out = strip_attributes(m);
        assert_eq!(
            Value::Object(out),
            json!({"Id": "003", "Account": {"Name": "A"}, "Owner": null})
        );
    }

    #[test]
    fn names_are_checked() {
        assert!(check_name("object", "Contact").is_ok());
        assert!(check_name("object", "My_Obj__c").is_ok());
        assert!(check_name("object", "../limits").is_err());
        assert!(check_name("object", "Account/describe").is_err());
        assert!(check_name("object", "Account.Name").is_err());
    }
}
