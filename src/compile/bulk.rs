//! The `bulk { ... }` clause: its settings, and what a bulk upsert needs of its matcher.

use super::Compiler;
use super::suggest::closest;
use crate::diag::{Code, Diagnostic};
use crate::plan::{self, Strategy};
use crate::schema::ObjectDescribe;
use crate::source::Span;
use crate::syntax::ast::{self, ExprKind, OpKind};

/// Compiles a mapping's `bulk` clause (`span`): its settings, then, for an upsert, its key.
#[allow(clippy::too_many_arguments)]
pub(super) fn compile_bulk(
    c: &mut Compiler<'_>,
    settings: &[ast::BulkSetting],
    span: Span,
    op: OpKind,
    matchers: &[plan::Matcher],
    fields: &[plan::Field],
    d: Option<&ObjectDescribe>,
    strategy: Strategy,
) -> plan::Bulk {
    let bulk = bulk_settings(c, settings);
    if op == OpKind::Upsert {
        upsert_key(c, span, matchers, fields, d, strategy);
    }
    bulk
}

/// `batch_size` (1 to 10,000, default 5000) and `hard_delete` (default false); an unknown
/// setting or a value of the wrong kind is reported and left at its default.
fn bulk_settings(c: &mut Compiler<'_>, settings: &[ast::BulkSetting]) -> plan::Bulk {
    let mut bulk = plan::Bulk {
        batch_size: 5000,
        hard_delete: false,
    };
    for s in settings {
        match (s.name.name.as_str(), &s.value.kind) {
            ("batch_size", ExprKind::Number(n)) => match n.parse::<u32>() {
                Ok(v) if (1..=10_000).contains(&v) => bulk.batch_size = v,
                _ => c.diags.push(
                    Diagnostic::new(
                        Code::BatchSizeRange,
                        format!("batch size {n} is out of range"),
                        s.value.span,
                        "must be 1 to 10000",
                    )
                    .with_help(
                        "Bulk API 2.0 takes at most 10,000 records per batch; the default is 5000",
                    ),
                ),
            },
            ("hard_delete", ExprKind::Bool(b)) => bulk.hard_delete = *b,
            ("batch_size" | "hard_delete", _) => c.diags.push(Diagnostic::new(
                Code::TypeMismatch,
                format!(
                    "`{}` takes {}",
                    s.name.name,
                    if s.name.name == "batch_size" {
                        "a whole number"
                    } else {
                        "true or false"
                    }
                ),
                s.value.span,
                "wrong kind of value",
            )),
            (other, _) => {
                let suggestion = closest(other, ["batch_size", "hard_delete"]);
                c.diags.push(
                    Diagnostic::new(
                        Code::UnknownBulkSetting,
                        format!("unknown bulk setting `{other}`"),
                        s.name.span,
                        "unknown setting",
                    )
                    .with_help(match suggestion {
                        Some(s) => format!("did you mean `{s}`?"),
                        None => "bulk settings are `batch_size` and `hard_delete`".into(),
                    }),
                );
            }
        }
    }
    bulk
}

/// A bulk upsert sends its key as a CSV column: the one matcher must be an external id, and it
/// must not be mapped as a field too.
fn upsert_key(
    c: &mut Compiler<'_>,
    span: Span,
    matchers: &[plan::Matcher],
    fields: &[plan::Field],
    d: Option<&ObjectDescribe>,
    strategy: Strategy,
) {
    if strategy != Strategy::ExternalId {
        let (label_span, what) = match matchers {
            [only] => (
                only.span,
                format!("`{}` is not an external-id field", only.field),
            ),
            _ => (span, format!("{} matchers", matchers.len())),
        };
        let ext: Vec<&str> = d
            .map(|d| {
                d.fields
                    .iter()
                    .filter(|f| f.external_id)
                    .map(|f| f.name.as_str())
                    .collect()
            })
            .unwrap_or_default();
        c.diags.push(
            Diagnostic::new(
                Code::BulkUpsertKey,
                "a bulk upsert matches on exactly one external-id field",
                label_span,
                what,
            )
            .with_context(span, "bulk turned on here")
            .with_help(if ext.is_empty() {
                "mark a field as External ID in Salesforce and match on it (Segment's \"Bulk Upsert External Id\")".to_string()
            } else {
                format!("match on one of: {}", ext.join(", "))
            }),
        );
    } else if let [only] = matchers {
        if let Some(f) = fields.iter().find(|f| f.name == only.field) {
            c.diags.push(
                Diagnostic::new(
                    Code::KeyMappedAsField,
                    format!("`{}` is the upsert key and is also mapped as a field", only.field),
                    f.span,
                    "mapped again here",
                )
                .with_context(only.span, "the external-id key")
                .with_help("remove the field: the key's value is sent from the matcher (a duplicate CSV column makes Salesforce fail every row)"),
            );
        }
    }
}
