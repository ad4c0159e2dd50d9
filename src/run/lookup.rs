//! Batched matcher lookups: one SOQL `IN (...)` query per chunk of values, per flush.

use std::collections::BTreeMap;

use serde_json::{Map, Value};

use super::flush::{Found, Op};
use crate::plan::Mapping;
use crate::salesforce::{Client, SfError, soql};
use crate::schema::FieldType;
use crate::syntax::ast::Join;

/// The longest WHERE clause sent in one query: the whole query must stay well under the
/// request-URI limit (16 KB) that GET queries meet first.
pub const MAX_WHERE_LEN: usize = 12_000;

/// The SOQL queries that find every record the ops' matchers could match, reading the
/// matcher fields and `extra` ones (a dry run compares the mapped fields). ORed matchers are
/// looked up together, `A IN (...) OR B IN (...)`: one query per chunk of values, not one per
/// matcher.
pub fn queries(mapping: &Mapping, ops: &[Op], extra: &[String]) -> Vec<String> {
    let fields: Vec<&str> = mapping.matchers.iter().map(|m| m.field.as_str()).collect();
    let select = format!(
        "SELECT Id{} FROM {} WHERE ",
        fields
            .iter()
            .copied()
            .chain(extra.iter().map(String::as_str))
            .filter(|f| !f.eq_ignore_ascii_case("Id"))
            .map(|f| format!(", {f}"))
            .collect::<String>(),
        mapping.object
    );
    // With AND, the first matcher's values find a superset; the planner filters exactly.
    let searched: Vec<&str> = match mapping.join {
        Join::And => fields.iter().take(1).copied().collect(),
        Join::Or => fields.clone(),
    };
    let terms: Vec<(&str, Vec<String>)> = searched
        .into_iter()
        .map(|field| {
            (
                field,
                distinct_literals(field, field_type(mapping, field), ops),
            )
        })
        .collect();
    where_chunks(&terms, MAX_WHERE_LEN)
        .into_iter()
        .map(|w| format!("{select}{w}"))
        .collect()
}

fn field_type(mapping: &Mapping, field: &str) -> FieldType {
    let matcher = mapping.matchers.iter().find(|m| m.field == field);
    matcher.map_or(FieldType::Other, |m| m.field_type)
}

/// The distinct SOQL literals of one matcher field's values, in event order.
fn distinct_literals(field: &str, t: FieldType, ops: &[Op]) -> Vec<String> {
    let mut literals: Vec<String> = Vec::new();
    for (_, v) in ops
        .iter()
        .flat_map(|op| &op.matchers)
        .filter(|(f, _)| f == field)
    {
        if let Ok(l) = matcher_literal(v, t) {
            if !literals.contains(&l) {
                literals.push(l);
            }
        }
    }
    literals
}

/// A matcher value as a SOQL literal for a field of type `t`: a date bare (`1990-05-01`), as
/// SOQL compares dates; anything else as [`soql::literal`] writes it.
fn matcher_literal(v: &Value, t: FieldType) -> Result<String, soql::LiteralError> {
    match v {
        Value::String(s) if t == FieldType::Date && soql::is_date_literal(s) => Ok(s.clone()),
        _ => soql::literal(v),
    }
}

/// WHERE clauses of at most `max_len` characters (but for a single literal longer than that)
/// covering every field's literals: `field IN (a, b, ...)` terms, joined with `OR` when a clause
/// holds several fields.
pub fn where_chunks(terms: &[(&str, Vec<String>)], max_len: usize) -> Vec<String> {
    let mut out = Vec::new();
    let mut current = WhereClause::default();
    for (field, literals) in terms {
        for l in literals {
            if !current.is_empty() && current.len_with(field, l) > max_len {
                out.push(std::mem::take(&mut current).render());
            }
            current.push(field, l);
        }
    }
    if !current.is_empty() {
        out.push(current.render());
    }
    out
}

/// A WHERE clause being filled: `IN` terms by field, and the length it renders to.
#[derive(Default)]
struct WhereClause<'t> {
    terms: Vec<(&'t str, Vec<&'t str>)>,
    len: usize,
}

impl<'t> WhereClause<'t> {
    fn is_empty(&self) -> bool {
        self.terms.is_empty()
    }

    /// The rendered length once `literal` is added to `field`'s term.
    fn len_with(&self, field: &str, literal: &str) -> usize {
        match self.terms.last() {
            // `,l` inside the open term.
            Some((f, _)) if *f == field => self.len + 1 + literal.len(),
            // ` OR field IN (l)`, or the first term `field IN (l)`.
            last => {
                let or = if last.is_some() { " OR ".len() } else { 0 };
                self.len + or + field.len() + " IN ()".len() + literal.len()
            }
        }
    }

    fn push(&mut self, field: &'t str, literal: &'t str) {
        self.len = self.len_with(field, literal);
        match self.terms.last_mut() {
            Some((f, literals)) if *f == field => literals.push(literal),
            _ => self.terms.push((field, vec![literal])),
        }
    }

    fn render(self) -> String {
        let text = self
            .terms
            .iter()
            .map(|(f, literals)| format!("{f} IN ({})", literals.join(",")))
            .collect::<Vec<_>>()
            .join(" OR ");
        debug_assert_eq!(text.len(), self.len);
        text
    }
}

/// Runs the lookup queries and returns the distinct records found.
pub async fn find(
    client: &Client,
    mapping: &Mapping,
    ops: &[Op],
    extra: &[String],
) -> Result<Vec<Found>, SfError> {
    let mut by_id: BTreeMap<String, Map<String, Value>> = BTreeMap::new();
    for q in queries(mapping, ops, extra) {
        let started = std::time::Instant::now();
        let rows = client.query(&q).await?;
        // The query's text holds matcher values: its length only.
        tracing::debug!(
            object = %mapping.object,
            query_chars = q.len(),
            records = rows.len(),
            ms = started.elapsed().as_millis() as u64,
            "lookup"
        );
        for mut record in rows {
            let Some(Value::String(id)) = record.remove("Id") else {
                continue;
            };
            by_id.insert(id, record);
        }
    }
    Ok(by_id
        .into_iter()
        .map(|(id, values)| Found { id, values })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::{matcher_literal, where_chunks};
    use crate::schema::FieldType;
    use serde_json::json;

    #[test]
    fn a_date_goes_bare_only_in_its_plain_form() {
        let lit = |v, t| matcher_literal(&v, t).unwrap();
        assert_eq!(lit(json!("1990-05-01"), FieldType::Date), "1990-05-01");
        assert_eq!(lit(json!("1990-05-01"), FieldType::String), "'1990-05-01'");
        for odd in ["+1990-05-01", "1990-05-01 OR Id != null", "1990-5-01"] {
            assert_eq!(
                lit(json!(odd), FieldType::Date),
                crate::salesforce::soql::quote(odd)
            );
        }
    }

    #[test]
    fn chunks_stay_under_the_limit() {
        let lits: Vec<String> = (0..100).map(|i| format!("'user{i}@example.com'")).collect();
        let chunks = where_chunks(&[("Email", lits.clone())], 200);
        assert!(chunks.len() > 1);
        assert!(chunks.iter().all(|c| c.len() <= 200));
        assert!(chunks.iter().all(|c| c.starts_with("Email IN (")));
        let joined = chunks.join(" ");
        assert!(lits.iter().all(|l| joined.contains(l.as_str())));
    }

    #[test]
    fn ored_fields_share_a_clause_within_the_limit() {
        let terms = [
            (
                "Email",
                vec!["'a@x.com'".to_string(), "'b@x.com'".to_string()],
            ),
            ("Phone", vec!["'1'".to_string()]),
        ];
        assert_eq!(
            where_chunks(&terms, 1000),
            ["Email IN ('a@x.com','b@x.com') OR Phone IN ('1')"]
        );
        // Cut wherever the limit falls, the length counted exactly.
        let whole = "Email IN ('a@x.com','b@x.com') OR Phone IN ('1')".len();
        assert_eq!(where_chunks(&terms, whole).len(), 1);
        assert_eq!(
            where_chunks(&terms, whole - 1),
            ["Email IN ('a@x.com','b@x.com')", "Phone IN ('1')"]
        );
        let many: Vec<(&str, Vec<String>)> = ["Email", "Phone", "MobilePhone"]
            .into_iter()
            .map(|f| (f, (0..300).map(|i| format!("'{f}-{i}'")).collect()))
            .collect();
        let chunks = where_chunks(&many, 2000);
        assert!(chunks.iter().all(|c| c.len() <= 2000));
        let total: usize = many
            .iter()
            .map(|(f, l)| f.len() + 6 + l.iter().map(|l| l.len() + 1).sum::<usize>())
            .sum();
        assert!(chunks.len() <= total / 2000 + 2, "{} chunks", chunks.len());
        for (f, literals) in &many {
            for l in literals {
                let holding = chunks
                    .iter()
                    .filter(|c| c.contains(&format!("{l},")) || c.contains(&format!("{l})")))
                    .count();
                assert_eq!(holding, 1, "{f} {l}");
            }
        }
    }
}
