//! Binding a parsed query to the schema and running it over the store.
//!
//! Binding gives Salesforce's errors (INVALID_TYPE for unknown objects, INVALID_FIELD for unknown
//! fields or relationships, for non-filterable fields in WHERE and for literals of the wrong
//! type). Evaluation follows SOQL semantics: text compares case-insensitively, Ids on their
//! 15-character case-sensitive form, `!= value` includes nulls, range operators never match null.

use std::cmp::Ordering;
use std::collections::HashMap;

use serde_json::{Map, Value, json};

use crate::schema::{FieldDescribe, FieldType, ObjectDescribe, Schema};

use super::super::error::{ApiError, ErrorCode};
use super::super::store::{Store, StoredRecord};
use super::super::validate::{self, internal};
use super::ast::{CmpOp, Expr, LikePart, Literal, Path, Query, SelectItem};
use super::key_order::KeyOrder;
use super::{SoqlError, parse};

/// A field path bound to the schema.
#[derive(Debug, Clone)]
pub struct Bound {
    /// Relationship hops: (relationship name, reference field, target object).
    pub steps: Vec<(String, String, String)>,
    pub field: FieldDescribe,
}

#[derive(Debug, Clone)]
enum BExpr {
    And(Vec<BExpr>),
    Or(Vec<BExpr>),
    Not(Box<BExpr>),
    Cmp(Bound, CmpOp, Literal),
    /// `field [NOT] IN (...)`; text literals are also kept lowercased in a set, so a row is
    /// tested with one hash probe however long the list.
    In(Bound, bool, Vec<Literal>, std::collections::HashSet<String>),
    Like(Bound, Vec<LikePart>),
}

/// A query's result before paging.
#[derive(Debug, Clone)]
pub struct QueryResult {
    pub object: String,
    pub key_prefix: Option<String>,
    pub total_size: usize,
    pub records: Vec<Value>,
    pub count_only: bool,
    pub columns: Vec<Value>,
    /// The order the records' keys are written in.
    pub order: KeyOrder,
}

fn no_such_column(name: &str, object: &str, pos: usize) -> SoqlError {
    SoqlError::new(
        ErrorCode::InvalidField,
        pos,
        format!(
            "No such column '{name}' on entity '{object}'. If you are attempting to use a custom field, be sure to append the '__c' after the custom field name. Please reference your WSDL or the describe call for the appropriate names."
        ),
    )
}

pub fn bind_path(
    schema: &Schema,
    object: &ObjectDescribe,
    path: &Path,
) -> Result<Bound, SoqlError> {
    let mut current = object;
    let mut steps = Vec::new();
    let mut parts: &[String] = &path.parts;
    // `SELECT Account.Name FROM Account` names the queried object first.
    if parts.len() > 1 && parts[0].eq_ignore_ascii_case(&object.name) {
        parts = &parts[1..];
    }
    let (last, hops) = parts
        .split_last()
        .ok_or_else(|| SoqlError::malformed(path.pos, "empty field path"))?;
    for hop in hops {
        let rel = current.relationship(hop).ok_or_else(|| {
            SoqlError::new(
                ErrorCode::InvalidField,
                path.pos,
                format!(
                    "Didn't understand relationship '{hop}' in field path. If you are attempting to use a custom relationship, be sure to append the '__r' after the custom relationship name. Please reference your WSDL or the describe call for the appropriate names."
                ),
            )
        })?;
        let target = rel
            .reference_to
            .iter()
            .find_map(|t| schema.object(t))
            .ok_or_else(|| no_such_column(hop, &current.name, path.pos))?;
        steps.push((
            rel.relationship_name.clone().unwrap_or_else(|| hop.clone()),
            rel.name.clone(),
            target.name.clone(),
        ));
        current = target;
    }
    let field = current
        .field(last)
        .ok_or_else(|| no_such_column(last, &current.name, path.pos))?
        .clone();
    Ok(Bound { steps, field })
}

fn type_name(t: FieldType) -> &'static str {
    match t {
        FieldType::Date => "date",
        FieldType::Datetime => "dateTime",
        FieldType::Boolean => "boolean",
        FieldType::Int => "integer",
        FieldType::Long => "long",
        t if t.is_numeric() => "double",
        _ => "string",
    }
}

fn check_literal(b: &Bound, lit: &Literal, pos: usize) -> Result<Literal, SoqlError> {
    let t = b.field.field_type;
    let ok = match lit {
        Literal::Null => true,
        Literal::Bool(_) => t == FieldType::Boolean,
        Literal::Number(_) => t.is_numeric(),
        Literal::Date(_) => t == FieldType::Date,
        Literal::DateTime(_) => t == FieldType::Datetime,
        Literal::String(_) => {
            !(t.is_numeric()
                || matches!(
                    t,
                    FieldType::Boolean | FieldType::Date | FieldType::Datetime
                ))
        }
    };
    if !ok {
        let quoted = if type_name(t) == "string" {
            "should be enclosed in quotes"
        } else {
            "should not be enclosed in quotes"
        };
        return Err(SoqlError::new(
            ErrorCode::InvalidField,
            pos,
            format!(
                "value of filter criterion for field '{}' must be of type {} and {quoted}",
                b.field.name,
                type_name(t)
            ),
        ));
    }
    if let (Literal::String(s), FieldType::Id | FieldType::Reference) = (lit, t) {
        return match validate::normalize_id(s) {
            Some(id) => Ok(Literal::String(id)),
            None => Err(SoqlError::new(
                ErrorCode::InvalidQueryFilterOperator,
                pos,
                format!("invalid ID field: {s}"),
            )),
        };
    }
    Ok(lit.clone())
}

fn bind_expr(schema: &Schema, object: &ObjectDescribe, e: &Expr) -> Result<BExpr, SoqlError> {
    let filterable = |p: &Path| -> Result<Bound, SoqlError> {
        let b = bind_path(schema, object, p)?;
        if !b.field.filterable {
            return Err(SoqlError::new(
                ErrorCode::InvalidField,
                p.pos,
                format!(
                    "field '{}' can not be filtered in a query call",
                    b.field.name
                ),
            ));
        }
        Ok(b)
    };
    Ok(match e {
        Expr::And(v) => BExpr::And(
            v.iter()
                .map(|x| bind_expr(schema, object, x))
                .collect::<Result<_, _>>()?,
        ),
        Expr::Or(v) => BExpr::Or(
            v.iter()
                .map(|x| bind_expr(schema, object, x))
                .collect::<Result<_, _>>()?,
        ),
        Expr::Not(x) => BExpr::Not(Box::new(bind_expr(schema, object, x)?)),
        Expr::Cmp {
            field,
            op,
            value,
            value_pos,
        } => {
            let b = filterable(field)?;
            let lit = check_literal(&b, value, *value_pos)?;
            BExpr::Cmp(b, *op, lit)
        }
        Expr::In {
            field,
            negated,
            values,
            value_pos,
        } => {
            let b = filterable(field)?;
            let lits: Vec<Literal> = values
                .iter()
                .map(|v| check_literal(&b, v, *value_pos))
                .collect::<Result<_, _>>()?;
            let text = !matches!(b.field.field_type, FieldType::Id | FieldType::Reference);
            let set = lits
                .iter()
                .filter_map(|l| match l {
                    Literal::String(s) if text => Some(s.to_lowercase()),
                    _ => None,
                })
                .collect();
            BExpr::In(b, *negated, lits, set)
        }
        Expr::Like { field, pattern } => {
            let b = filterable(field)?;
            if !b.field.field_type.is_text() && b.field.field_type != FieldType::Id {
                return Err(SoqlError::new(
                    ErrorCode::InvalidField,
                    field.pos,
                    format!(
                        "invalid operator on {} field: LIKE on {}",
                        type_name(b.field.field_type),
                        b.field.name
                    ),
                ));
            }
            BExpr::Like(b, pattern.clone())
        }
    })
}

/// Parent records fetched during one query.
struct Parents<'a> {
    store: &'a Store,
    cache: HashMap<String, Option<StoredRecord>>,
}

impl Parents<'_> {
    fn get(&mut self, id: &str) -> Result<Option<&StoredRecord>, ApiError> {
        if !self.cache.contains_key(id) {
            let r = self.store.get(id).map_err(internal)?.filter(|r| !r.deleted);
            self.cache.insert(id.to_string(), r);
        }
        Ok(self.cache.get(id).and_then(Option::as_ref))
    }

    /// The value at a bound path, `Null` when a hop is empty.
    fn value(&mut self, rec: &StoredRecord, b: &Bound) -> Result<Value, ApiError> {
        if b.steps.is_empty() {
            return Ok(rec
                .fields
                .get(&b.field.name)
                .cloned()
                .unwrap_or(Value::Null));
        }
        let mut id = match rec.fields.get(&b.steps[0].1) {
            Some(Value::String(s)) => s.clone(),
            _ => return Ok(Value::Null),
        };
        for (i, _) in b.steps.iter().enumerate() {
            let Some(parent) = self.get(&id)? else {
                return Ok(Value::Null);
            };
            if i + 1 == b.steps.len() {
                return Ok(parent
                    .fields
                    .get(&b.field.name)
                    .cloned()
                    .unwrap_or(Value::Null));
            }
            id = match parent.fields.get(&b.steps[i + 1].1) {
                Some(Value::String(s)) => s.clone(),
                _ => return Ok(Value::Null),
            };
        }
        Ok(Value::Null)
    }
}

/// Case-insensitive order without allocating (this runs per row and per literal).
fn cmp_ignore_case(a: &str, b: &str) -> Ordering {
    if a.is_ascii() && b.is_ascii() {
        return a
            .bytes()
            .map(|c| c.to_ascii_lowercase())
            .cmp(b.bytes().map(|c| c.to_ascii_lowercase()));
    }
    a.chars()
        .flat_map(char::to_lowercase)
        .cmp(b.chars().flat_map(char::to_lowercase))
}

fn compare(t: FieldType, v: &Value, lit: &Literal) -> Option<Ordering> {
    match (v, lit) {
        (Value::Null, _) | (_, Literal::Null) => None,
        (Value::Bool(a), Literal::Bool(b)) => Some(a.cmp(b)),
        (Value::Number(a), Literal::Number(b)) => a.as_f64()?.partial_cmp(b),
        (Value::String(a), Literal::String(b)) => Some(match t {
            FieldType::Id | FieldType::Reference => a.get(..15)?.cmp(b.get(..15)?),
            _ => cmp_ignore_case(a, b),
        }),
        (Value::String(a), Literal::Date(b)) => Some(a.as_str().cmp(b.as_str())),
        (Value::String(a), Literal::DateTime(b)) => {
            let a = validate::parse_datetime(a)?;
            let b = validate::parse_datetime(b)?;
            Some(a.cmp(&b))
        }
        _ => None,
    }
}

fn equals(t: FieldType, v: &Value, lit: &Literal) -> bool {
    match (v, lit) {
        (Value::Null, Literal::Null) => true,
        (Value::Null, _) | (_, Literal::Null) => false,
        _ => compare(t, v, lit) == Some(Ordering::Equal),
    }
}

fn like(text: &str, pattern: &[LikePart]) -> bool {
    let t: Vec<char> = text.to_lowercase().chars().collect();
    let p: Vec<LikePart> = pattern
        .iter()
        .map(|x| match x {
            LikePart::Char(c) => LikePart::Char(c.to_lowercase().next().unwrap_or(*c)),
            other => other.clone(),
        })
        .collect();
    // dp[j] = pattern[..i] matches text[..j]
    let mut dp = vec![false; t.len() + 1];
    dp[0] = true;
    for part in &p {
        let mut next = vec![false; t.len() + 1];
        match part {
            LikePart::Any => {
                let mut seen = false;
                for j in 0..=t.len() {
                    seen |= dp[j];
                    next[j] = seen;
                }
            }
            LikePart::One => {
                next[1..].copy_from_slice(&dp[..t.len()]);
            }
            LikePart::Char(c) => {
                for j in 1..=t.len() {
                    next[j] = dp[j - 1] && t[j - 1] == *c;
                }
            }
        }
        dp = next;
    }
    dp[t.len()]
}

fn matches(e: &BExpr, rec: &StoredRecord, parents: &mut Parents<'_>) -> Result<bool, ApiError> {
    Ok(match e {
        BExpr::And(v) => {
            for x in v {
                if !matches(x, rec, parents)? {
                    return Ok(false);
                }
            }
            true
        }
        BExpr::Or(v) => {
            for x in v {
                if matches(x, rec, parents)? {
                    return Ok(true);
                }
            }
            false
        }
        BExpr::Not(x) => !matches(x, rec, parents)?,
        BExpr::Cmp(b, op, lit) => {
            let v = parents.value(rec, b)?;
            let t = b.field.field_type;
            match op {
                CmpOp::Eq => equals(t, &v, lit),
                CmpOp::Ne => !equals(t, &v, lit),
                CmpOp::Lt => compare(t, &v, lit) == Some(Ordering::Less),
                CmpOp::Gt => compare(t, &v, lit) == Some(Ordering::Greater),
                CmpOp::Le => matches!(compare(t, &v, lit), Some(Ordering::Less | Ordering::Equal)),
                CmpOp::Ge => matches!(
                    compare(t, &v, lit),
                    Some(Ordering::Greater | Ordering::Equal)
                ),
            }
        }
        BExpr::In(b, negated, lits, set) => {
            let v = parents.value(rec, b)?;
            let found = match &v {
                Value::String(s)
                    if !set.is_empty()
                        && !matches!(b.field.field_type, FieldType::Id | FieldType::Reference) =>
                {
                    set.contains(&s.to_lowercase())
                        || lits
                            .iter()
                            .filter(|l| !matches!(l, Literal::String(_)))
                            .any(|l| equals(b.field.field_type, &v, l))
                }
                _ => lits.iter().any(|l| equals(b.field.field_type, &v, l)),
            };
            found != *negated
        }
        BExpr::Like(b, pattern) => match parents.value(rec, b)? {
            Value::String(s) => like(&s, pattern),
            _ => false,
        },
    })
}

fn order_values(t: FieldType, a: &Value, b: &Value) -> Ordering {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => x
            .as_f64()
            .partial_cmp(&y.as_f64())
            .unwrap_or(Ordering::Equal),
        (Value::Bool(x), Value::Bool(y)) => x.cmp(y),
        (Value::String(x), Value::String(y)) => match t {
            FieldType::Id | FieldType::Reference => x.cmp(y),
            _ => cmp_ignore_case(x, y),
        },
        _ => Ordering::Equal,
    }
}

/// An equality or `IN` on a plain text or Id field: lets the store pre-filter in SQL (through an
/// index on the field).
fn prefilter(e: &BExpr) -> Option<(String, Vec<String>)> {
    let plain = |b: &Bound| {
        b.steps.is_empty()
            && (b.field.field_type.is_text()
                || matches!(b.field.field_type, FieldType::Id | FieldType::Reference))
    };
    match e {
        BExpr::Cmp(b, CmpOp::Eq, Literal::String(s)) if plain(b) && s.is_ascii() => {
            Some((b.field.name.clone(), vec![s.clone()]))
        }
        BExpr::In(b, false, lits, _) if plain(b) && !lits.is_empty() && lits.len() <= 500 => {
            let texts: Option<Vec<String>> = lits
                .iter()
                .map(|l| match l {
                    Literal::String(s) if s.is_ascii() => Some(s.clone()),
                    _ => None,
                })
                .collect();
            texts.map(|t| (b.field.name.clone(), t))
        }
        BExpr::And(v) => v.iter().find_map(prefilter),
        _ => None,
    }
}

/// Runs a query. `all` includes deleted records (`queryAll`); `base` is `/services/data/vXX.X`.
pub fn run(
    schema: &Schema,
    store: &Store,
    soql: &str,
    all: bool,
    base: &str,
) -> Result<QueryResult, ApiError> {
    let q: Query = parse(soql).map_err(|e| e.into_api(soql))?;
    let object = schema
        .object(&q.from)
        .filter(|o| o.queryable)
        .ok_or_else(|| {
            SoqlError::new(
                ErrorCode::InvalidType,
                q.from_pos,
                format!(
                    "sObject type '{}' is not supported. If you are attempting to use a custom object, be sure to append the '__c' after the entity name. Please reference your WSDL or the describe call for the appropriate names.",
                    q.from
                ),
            )
            .into_api(soql)
        })?;
    let bind = |p: &Path| bind_path(schema, object, p).map_err(|e| e.into_api(soql));
    let selected: Vec<Bound> = q
        .select
        .iter()
        .filter_map(|s| match s {
            SelectItem::Field(p) => Some(bind(p)),
            SelectItem::Count => None,
        })
        .collect::<Result<_, _>>()?;
    let count_only = q.select.contains(&SelectItem::Count);
    let filter = q
        .filter
        .as_ref()
        .map(|f| bind_expr(schema, object, f).map_err(|e| e.into_api(soql)))
        .transpose()?;
    let order: Vec<(Bound, bool, bool)> = q
        .order_by
        .iter()
        .map(|o| {
            let b = bind(&o.field)?;
            Ok((b, o.descending, o.nulls_first.unwrap_or(!o.descending)))
        })
        .collect::<Result<_, ApiError>>()?;

    let pre = filter.as_ref().and_then(prefilter);
    let candidates = store
        .scan(
            &object.name,
            all,
            pre.as_ref().map(|(f, v)| (f.as_str(), v.as_slice())),
        )
        .map_err(internal)?;
    let mut parents = Parents {
        store,
        cache: HashMap::new(),
    };
    let mut rows = Vec::new();
    for rec in candidates {
        if let Some(f) = &filter
            && !matches(f, &rec, &mut parents)?
        {
            continue;
        }
        rows.push(rec);
    }
    if !order.is_empty() {
        let mut keyed: Vec<(Vec<Value>, StoredRecord)> = Vec::with_capacity(rows.len());
        for r in rows {
            let keys = order
                .iter()
                .map(|(b, _, _)| parents.value(&r, b))
                .collect::<Result<_, _>>()?;
            keyed.push((keys, r));
        }
        keyed.sort_by(|(ka, _), (kb, _)| {
            for (i, (b, desc, nulls_first)) in order.iter().enumerate() {
                let (a, c) = (&ka[i], &kb[i]);
                let ord = match (a.is_null(), c.is_null()) {
                    (true, true) => Ordering::Equal,
                    (true, false) => {
                        if *nulls_first {
                            Ordering::Less
                        } else {
                            Ordering::Greater
                        }
                    }
                    (false, true) => {
                        if *nulls_first {
                            Ordering::Greater
                        } else {
                            Ordering::Less
                        }
                    }
                    (false, false) => {
                        let o = order_values(b.field.field_type, a, c);
                        if *desc { o.reverse() } else { o }
                    }
                };
                if ord != Ordering::Equal {
                    return ord;
                }
            }
            Ordering::Equal
        });
        rows = keyed.into_iter().map(|(_, r)| r).collect();
    }
    let offset = q.offset.unwrap_or(0) as usize;
    let rows: Vec<StoredRecord> = rows
        .into_iter()
        .skip(offset)
        .take(q.limit.map(|l| l as usize).unwrap_or(usize::MAX))
        .collect();
    if count_only {
        return Ok(QueryResult {
            object: object.name.clone(),
            key_prefix: object.key_prefix.clone(),
            total_size: rows.len(),
            records: Vec::new(),
            count_only: true,
            columns: Vec::new(),
            order: KeyOrder::default(),
        });
    }
    let mut records = Vec::with_capacity(rows.len());
    for r in &rows {
        records.push(project(r, &object.name, &selected, &mut parents, base)?);
    }
    Ok(QueryResult {
        object: object.name.clone(),
        key_prefix: object.key_prefix.clone(),
        total_size: records.len(),
        records,
        count_only: false,
        columns: selected.iter().map(column).collect(),
        order: KeyOrder::of(&selected),
    })
}

fn attributes(object: &str, id: &str, base: &str) -> Value {
    json!({"type": object, "url": format!("{base}/sobjects/{object}/{id}")})
}

fn project(
    rec: &StoredRecord,
    object: &str,
    selected: &[Bound],
    parents: &mut Parents<'_>,
    base: &str,
) -> Result<Value, ApiError> {
    let mut out = Map::new();
    out.insert("attributes".into(), attributes(object, &rec.id, base));
    for b in selected {
        if b.steps.is_empty() {
            out.insert(
                b.field.name.clone(),
                rec.fields
                    .get(&b.field.name)
                    .cloned()
                    .unwrap_or(Value::Null),
            );
            continue;
        }
        insert_path(&mut out, &b.steps, rec, &b.field.name, parents, base)?;
    }
    Ok(Value::Object(out))
}

/// Puts a relationship path's value into nested relationship objects (`"Account": {…}`), or
/// `null` when a hop has no parent.
fn insert_path(
    slot: &mut Map<String, Value>,
    steps: &[(String, String, String)],
    current: &StoredRecord,
    field: &str,
    parents: &mut Parents<'_>,
    base: &str,
) -> Result<(), ApiError> {
    let Some(((rel, ref_field, target), rest)) = steps.split_first() else {
        slot.insert(
            field.to_string(),
            current.fields.get(field).cloned().unwrap_or(Value::Null),
        );
        return Ok(());
    };
    let parent = match current.fields.get(ref_field) {
        Some(Value::String(id)) => parents.get(id)?.cloned(),
        _ => None,
    };
    let Some(parent) = parent else {
        slot.entry(rel.clone()).or_insert(Value::Null);
        return Ok(());
    };
    let entry = slot.entry(rel.clone()).or_insert_with(|| {
        let mut m = Map::new();
        m.insert("attributes".into(), attributes(target, &parent.id, base));
        Value::Object(m)
    });
    if let Value::Object(m) = entry {
        insert_path(m, rest, &parent, field, parents, base)?;
    }
    Ok(())
}

/// `columnMetadata` entry for the sf CLI's `columns=true` request.
fn column(b: &Bound) -> Value {
    let leaf = json!({
        "aggregate": false, "apexType": null, "booleanType": b.field.field_type == FieldType::Boolean,
        "columnName": b.field.name, "custom": b.field.custom, "displayName": b.field.name,
        "foreignKeyName": null, "insertable": b.field.createable, "joinColumns": [],
        "numberType": b.field.field_type.is_numeric(), "textType": b.field.field_type.is_text(),
        "updatable": b.field.updateable,
    });
    b.steps.iter().rev().fold(leaf, |inner, (rel, _, _)| {
        json!({
            "aggregate": false, "apexType": null, "booleanType": false, "columnName": rel,
            "custom": false, "displayName": rel, "foreignKeyName": null, "insertable": false,
            "joinColumns": [inner], "numberType": false, "textType": false, "updatable": false,
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn like_patterns() {
        let p = |s: &str| {
            super::super::lexer::lex(&format!("'{s}'")).unwrap()[0]
                .tok
                .clone()
        };
        let pat = |s: &str| match p(s) {
            super::super::lexer::Tok::Str { like, .. } => like,
            _ => unreachable!(),
        };
        assert!(like("Smith", &pat("sm_th")));
        assert!(like("Smithers", &pat("Sm%")));
        assert!(!like("Smythe", &pat("Smi%")));
        assert!(like("50%", &pat("50\\%")));
        assert!(!like("500", &pat("50\\%")));
    }
}
