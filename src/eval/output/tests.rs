//! The reference for the hand-written output: the serde implementation `eval` used before,
//! compared with [`push_jsonl`] on the language's eval fixtures and on generated outcomes.

use std::borrow::Cow;

use proptest::prelude::*;
use serde::Serialize;
use serde::ser::{SerializeMap, Serializer};

use super::super::{EvalError, EventResult, FieldValue, Outcome, RecordOp, Skip};
use super::push_jsonl;
use crate::event::value::Value;
use crate::plan;
use crate::syntax::ast::OpKind;

/// The lines as serde_json wrote them.
fn reference(line: usize, result: &EventResult<'_, '_>) -> String {
    let mut out = Vec::new();
    for outcome in &result.outcomes {
        let row = Row {
            line,
            event: result.message_id.as_deref(),
            outcome,
        };
        serde_json::to_writer(&mut out, &row).unwrap();
        out.push(b'\n');
    }
    String::from_utf8(out).unwrap()
}

fn written(line: usize, result: &EventResult<'_, '_>) -> String {
    let mut buf = Vec::new();
    push_jsonl(&mut buf, line, result);
    String::from_utf8(buf).unwrap()
}

fn base_mapping() -> plan::Mapping {
    let text = "mapping m {\n  on identify where traits.email exists\n  object Lead\n  \
                upsert match Email = traits.email\n  fields {\n    LastName = \"l\"\n    \
                Company = \"c\"\n  }\n}\n";
    let loaded = crate::load::load_text(
        "m.sfmap",
        text.to_owned(),
        &crate::schema::Schema::builtin(),
    );
    assert!(loaded.diagnostics.is_empty(), "{:?}", loaded.diagnostics);
    loaded.compiled.plan.mappings[0].clone()
}

/// Text with the characters that need escaping, and some that do not.
const TEXT: &str = "[a-zA-Z_ \"\\\\\u{0}-\u{1f}\u{7f}\u{e9}\u{1F600}]{0,24}";

/// A field: name, value, and for a lookup its relationship and external id field.
type GenField = (String, Value<'static>, Option<(String, String)>);

#[derive(Debug, Clone)]
enum Kind {
    Op {
        matchers: Vec<(String, Value<'static>)>,
        fields: Vec<GenField>,
        on_create: Vec<(String, Value<'static>)>,
        missing: Vec<String>,
    },
    Error(crate::outcome::RunCode, String),
    Skipped(String),
}

fn kind() -> impl Strategy<Value = Kind> {
    let value = crate::eval::json_write::tests::any_value;
    let field = (TEXT, value(), prop::option::of((TEXT, TEXT)));
    prop_oneof![
        (
            prop::collection::vec((TEXT, value()), 0..3),
            prop::collection::vec(field, 0..4),
            prop::collection::vec((TEXT, value()), 0..3),
            prop::collection::vec(TEXT, 0..3),
        )
            .prop_map(|(matchers, fields, on_create, missing)| Kind::Op {
                matchers,
                fields,
                on_create,
                missing
            }),
        (
            prop::sample::select(crate::outcome::RunCode::ALL.to_vec()),
            TEXT
        )
            .prop_map(|(c, m)| Kind::Error(c, m)),
        TEXT.prop_map(Kind::Skipped),
    ]
}

/// The outcomes of `kinds`, for mapping `mappings[i % len]`.
fn outcomes<'p>(mappings: &'p [plan::Mapping], kinds: &'p [Kind]) -> Vec<Outcome<'p, 'p>> {
    let fv = |v: &Value<'static>| FieldValue::Value(v.clone());
    kinds
        .iter()
        .enumerate()
        .map(|(i, k)| {
            let mapping = &mappings[i % mappings.len()];
            match k {
                Kind::Op {
                    matchers,
                    fields,
                    on_create,
                    missing,
                } => Outcome::Op(RecordOp {
                    mapping,
                    operation: mapping.operation,
                    matchers: matchers
                        .iter()
                        .map(|(k, v)| (k.as_str(), v.clone()))
                        .collect(),
                    fields: fields
                        .iter()
                        .map(|(k, v, lookup)| {
                            let value = match lookup {
                                None => fv(v),
                                Some((relationship, field)) => FieldValue::Lookup {
                                    relationship,
                                    field,
                                    value: v.clone(),
                                },
                            };
                            (Cow::Borrowed(k.as_str()), value)
                        })
                        .collect(),
                    on_create: on_create.iter().map(|(k, v)| (k.as_str(), fv(v))).collect(),
                    missing_on_create: missing.iter().map(String::as_str).collect(),
                }),
                Kind::Error(code, message) => Outcome::Error(EvalError {
                    mapping,
                    code: *code,
                    message: message.clone(),
                }),
                Kind::Skipped(reason) => Outcome::Skipped(Skip {
                    mapping,
                    reason: reason.clone(),
                }),
            }
        })
        .collect()
}

proptest! {
    #[test]
    fn lines_are_the_serde_ones(
        line in any::<usize>(),
        event in prop::option::of(TEXT),
        names in prop::collection::vec((TEXT, TEXT), 1..4),
        kinds in prop::collection::vec(kind(), 0..4),
    ) {
        let base = base_mapping();
        let ops = [OpKind::Create, OpKind::Add, OpKind::Update, OpKind::Upsert, OpKind::Delete];
        let strategies = [
            plan::Strategy::Insert,
            plan::Strategy::ById,
            plan::Strategy::ExternalId,
            plan::Strategy::Query,
        ];
        let mappings: Vec<plan::Mapping> = names
            .iter()
            .enumerate()
            .map(|(i, (name, object))| {
                let mut m = base.clone();
                m.name = name.clone();
                m.object = object.clone();
                m.operation = ops[(i + line) % ops.len()];
                m.strategy = strategies[(i + line) % strategies.len()];
                m
            })
            .collect();
        let result = EventResult {
            message_id: event.map(Cow::Owned),
            outcomes: outcomes(&mappings, &kinds),
        };
        prop_assert_eq!(written(line, &result), reference(line, &result));
    }
}

#[test]
fn every_operation_and_strategy_is_named_as_serde_names_it() {
    let base = base_mapping();
    for op in [
        OpKind::Create,
        OpKind::Add,
        OpKind::Update,
        OpKind::Upsert,
        OpKind::Delete,
    ] {
        assert_eq!(serde_json::to_value(op).unwrap(), op.as_str());
        let mut m = base.clone();
        m.operation = op;
        let kinds = [Kind::Op {
            matchers: vec![],
            fields: vec![],
            on_create: vec![],
            missing: vec![],
        }];
        let result = EventResult {
            message_id: None,
            outcomes: outcomes(std::slice::from_ref(&m), &kinds),
        };
        assert_eq!(written(3, &result), reference(3, &result));
    }
}

struct Row<'r, 'p, 'a> {
    line: usize,
    event: Option<&'r str>,
    outcome: &'r Outcome<'p, 'a>,
}

struct Fields<'r, 'p, 'a, K>(&'r [(K, FieldValue<'p, 'a>)]);

impl<K: AsRef<str>> Serialize for Fields<'_, '_, '_, K> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut map = s.serialize_map(Some(self.0.len()))?;
        for (name, value) in self.0 {
            match value {
                FieldValue::Value(v) => map.serialize_entry(name.as_ref(), v)?,
                FieldValue::Lookup {
                    relationship,
                    field,
                    value,
                } => map.serialize_entry(relationship, &Single(field, value))?,
            }
        }
        map.end()
    }
}

struct Single<'r, 'a>(&'r str, &'r Value<'a>);

impl Serialize for Single<'_, '_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut map = s.serialize_map(Some(1))?;
        map.serialize_entry(self.0, self.1)?;
        map.end()
    }
}

struct Matchers<'r, 'p, 'a>(&'r [(&'p str, Value<'a>)]);

impl Serialize for Matchers<'_, '_, '_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut map = s.serialize_map(Some(self.0.len()))?;
        for (k, v) in self.0 {
            map.serialize_entry(k, v)?;
        }
        map.end()
    }
}

impl Serialize for Row<'_, '_, '_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut map = s.serialize_map(None)?;
        map.serialize_entry("line", &self.line)?;
        if let Some(e) = self.event {
            map.serialize_entry("event", e)?;
        }
        match self.outcome {
            Outcome::Op(op) => {
                map.serialize_entry("mapping", &op.mapping.name)?;
                map.serialize_entry("object", &op.mapping.object)?;
                map.serialize_entry("operation", &op.operation)?;
                map.serialize_entry("strategy", &op.mapping.strategy)?;
                if !op.matchers.is_empty() {
                    map.serialize_entry("match", &Matchers(&op.matchers))?;
                }
                map.serialize_entry("fields", &Fields(&op.fields))?;
                if !op.on_create.is_empty() {
                    map.serialize_entry("on_create", &Fields(&op.on_create))?;
                }
                if !op.missing_on_create.is_empty() {
                    map.serialize_entry("missing_on_create", &op.missing_on_create)?;
                }
            }
            Outcome::Error(e) => {
                map.serialize_entry("mapping", &e.mapping.name)?;
                map.serialize_entry("error", &ErrorBody(e.code.as_str(), &e.message))?;
            }
            Outcome::Skipped(skip) => {
                map.serialize_entry("mapping", &skip.mapping.name)?;
                map.serialize_entry("skipped", &skip.reason)?;
            }
        }
        map.end()
    }
}

struct ErrorBody<'r>(&'r str, &'r str);

impl Serialize for ErrorBody<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut map = s.serialize_map(Some(2))?;
        map.serialize_entry("code", self.0)?;
        map.serialize_entry("message", self.1)?;
        map.end()
    }
}
