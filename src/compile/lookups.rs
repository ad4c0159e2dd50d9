//! `lookup(Object.External_Id__c, value)`: a parent reference found by an external id.
//!
//! A `lookup()` call compiles (in `expr.rs`) to a [`PlanExpr::Lookup`] without its
//! relationship name, and records its spans in [`Compiler::pending_lookups`]; the field it is
//! assigned to settles the rest here, since only the field knows which parent it references.

use super::Compiler;
use super::suggest::closest;
use crate::diag::{Code, Diagnostic};
use crate::plan::PlanExpr;
use crate::schema::{FieldDescribe, FieldType};
use crate::syntax::ast;

/// Fills in `lookup()` relationship names and checks them against the schema, for the value
/// `value` compiled from `ast_value` into `field` of `object`: the lookup must be the whole
/// value, the field a reference to the lookup's object, and the lookup's field an external id
/// of that object. A lookup that fails a check becomes a null constant (its error is reported,
/// so the plan is not run).
pub(super) fn finish_lookups(
    c: &mut Compiler<'_>,
    field: &FieldDescribe,
    value: PlanExpr,
    object: &str,
    ast_value: &ast::Expr,
) -> PlanExpr {
    let calls = std::mem::take(&mut c.pending_lookups);
    let PlanExpr::Lookup {
        object: parent,
        field: ext,
        value: inner,
        ..
    } = value
    else {
        if let Some((call, _)) = calls.first() {
            c.diags.push(
                Diagnostic::new(
                    Code::InvalidLookup,
                    "`lookup()` must be the whole value of a reference field",
                    *call,
                    "nested lookup",
                )
                .with_help("write `AccountId = lookup(Account.External_Id__c, groupId)`"),
            );
        }
        return value;
    };
    let span = calls.first().map_or(ast_value.span, |(_, target)| *target);
    let bad = |c: &mut Compiler<'_>, msg: String, label: &str, help: String| {
        c.diags
            .push(Diagnostic::new(Code::InvalidLookup, msg, span, label).with_help(help));
    };
    if field.field_type != FieldType::Reference {
        bad(
            c,
            format!("`{object}.{}` is not a reference field", field.name),
            "lookup into a non-reference field",
            "`lookup()` sets a parent reference such as `AccountId` or `Account__c`".into(),
        );
        return PlanExpr::Const(crate::event::value::Value::Null);
    }
    let Some(target) = field
        .reference_to
        .iter()
        .find(|t| t.eq_ignore_ascii_case(&parent))
    else {
        bad(
            c,
            format!(
                "`{object}.{}` references {}, not `{parent}`",
                field.name,
                field.reference_to.join(", ")
            ),
            "wrong parent object",
            format!("look up a {} instead", field.reference_to.join(" or ")),
        );
        return PlanExpr::Const(crate::event::value::Value::Null);
    };
    let target = target.clone();
    let parent_describe = c.schema.object(&target);
    let ext_field = parent_describe.and_then(|d| d.field(&ext));
    match ext_field {
        Some(f) if f.external_id => {}
        Some(f) => {
            bad(
                c,
                format!("`{target}.{}` is not an external id", f.name),
                "not an external id",
                "mark the field as External ID in Salesforce, or look up by another one".into(),
            );
            return PlanExpr::Const(crate::event::value::Value::Null);
        }
        None => {
            let suggestion = parent_describe.and_then(|d| {
                closest(
                    &ext,
                    d.fields
                        .iter()
                        .filter(|f| f.external_id)
                        .map(|f| f.name.as_str()),
                )
            });
            bad(
                c,
                format!("`{target}` has no field `{ext}`"),
                "unknown field",
                match suggestion {
                    Some(s) => format!("did you mean `{s}`?"),
                    None => "pass your org's schema with `--schema FILE` for custom fields".into(),
                },
            );
            return PlanExpr::Const(crate::event::value::Value::Null);
        }
    }
    let ext_name = ext_field.map_or(ext, |f| f.name.clone());
    PlanExpr::Lookup {
        relationship: field
            .relationship_name
            .clone()
            .unwrap_or_else(|| field.name.trim_end_matches("Id").to_string()),
        object: target,
        field: ext_name,
        value: inner,
    }
}
