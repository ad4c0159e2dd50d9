//! A value against the field it is written to: literals (type, date format, picklist, record
//! Id, length), the kinds an expression can produce, clearing a field that must have a value,
//! and whether a value may be absent on some events.

use super::Compiler;
use super::expr::Guaranteed;
use super::suggest::closest;
use super::types::{Kind, Ty, accepted_by};
use crate::diag::{Code, Diagnostic};
use crate::schema::{FieldDescribe, FieldType, sfid};
use crate::syntax::ast::{self, ExprKind};
use crate::syntax::print;

/// Checks a literal against the field: type, date format, picklist, record Id, length.
pub(super) fn check_literal(
    c: &mut Compiler<'_>,
    field: &FieldDescribe,
    value: &ast::Expr,
    object: &str,
) {
    let t = field.field_type;
    match &value.kind {
        ExprKind::String(s) => check_text(c, field, value, s, object),
        ExprKind::Number(_) => {
            if matches!(
                t,
                FieldType::Date | FieldType::Boolean | FieldType::Reference | FieldType::Id
            ) {
                c.diags.push(mismatch(field, value, "a number"));
            }
        }
        ExprKind::Bool(_)
            if (t.is_numeric()
                || matches!(
                    t,
                    FieldType::Date | FieldType::Datetime | FieldType::Reference | FieldType::Id
                )) =>
        {
            c.diags.push(mismatch(field, value, "a boolean"));
        }
        _ => {}
    }
}

/// A text literal: it must parse as the field's type (number, boolean, date, datetime), be a
/// value of its picklist, a record Id of an object it references, or fit its length.
fn check_text(
    c: &mut Compiler<'_>,
    field: &FieldDescribe,
    value: &ast::Expr,
    s: &str,
    object: &str,
) {
    let t = field.field_type;
    if t.is_numeric() && s.trim().parse::<f64>().is_err() {
        c.diags
            .push(mismatch(field, value, "text that is not a number"));
    } else if t == FieldType::Boolean && s != "true" && s != "false" {
        c.diags
            .push(mismatch(field, value, "text that is not true or false"));
    } else if t == FieldType::Date && chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d").is_err() {
        c.diags.push(
            Diagnostic::new(
                Code::InvalidDateLiteral,
                format!("\"{s}\" is not a date"),
                value.span,
                format!("`{}` is a date field", field.name),
            )
            .with_help(
                "write dates as \"YYYY-MM-DD\", or convert with `to_date(value, \"%d/%m/%Y\")`",
            ),
        );
    } else if t == FieldType::Datetime
        && chrono::DateTime::parse_from_rfc3339(s).is_err()
        && chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d").is_err()
    {
        c.diags.push(
            Diagnostic::new(
                Code::InvalidDateLiteral,
                format!("\"{s}\" is not a datetime"),
                value.span,
                format!("`{}` is a datetime field", field.name),
            )
            .with_help(
                "write datetimes as \"2024-05-01T12:00:00Z\", or convert with `to_datetime(...)`",
            ),
        );
    } else if matches!(t, FieldType::Picklist | FieldType::Multipicklist)
        && !field.picklist_values.is_empty()
    {
        check_picklist(c, field, value, s, object);
    } else if matches!(t, FieldType::Reference | FieldType::Id) {
        check_record_id(c, field, value, s);
    } else if t.is_text() && field.length > 0 && s.chars().count() > field.length as usize {
        c.diags.push(
            Diagnostic::new(
                Code::ValueTooLong,
                format!(
                    "this text has {} characters, but `{}` holds at most {}",
                    s.chars().count(),
                    field.name,
                    field.length
                ),
                value.span,
                "too long",
            )
            .with_help("shorten it; Salesforce rejects it with STRING_TOO_LONG"),
        );
    }
}

/// Each value of a picklist literal (a multi-select's are `;`-separated) must be one of the
/// field's; an unknown one gets the closest value, or the list of active values.
fn check_picklist(
    c: &mut Compiler<'_>,
    field: &FieldDescribe,
    value: &ast::Expr,
    s: &str,
    object: &str,
) {
    let t = field.field_type;
    let values: Vec<&str> = if t == FieldType::Multipicklist {
        s.split(';').collect()
    } else {
        vec![s]
    };
    for v in values {
        if !field.allows_picklist_value(v) {
            let suggestion = closest(v, field.picklist_values.iter().map(|p| p.value.as_str()));
            c.diags.push(
                Diagnostic::new(
                    Code::PicklistValue,
                    format!(
                        "\"{v}\" is not a value of picklist `{object}.{}`",
                        field.name
                    ),
                    value.span,
                    "not in the picklist",
                )
                .with_help(match suggestion {
                    Some(s) => format!("did you mean \"{s}\"?"),
                    None => format!(
                        "the values are: {}",
                        field
                            .picklist_values
                            .iter()
                            .filter(|p| p.active)
                            .map(|p| format!("\"{}\"", p.value))
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                }),
            );
        }
    }
}

/// A record Id literal: well-formed (length, characters, checksum), and of an object the field
/// references, told by its key prefix (an `Id` field takes any record's).
fn check_record_id(c: &mut Compiler<'_>, field: &FieldDescribe, value: &ast::Expr, s: &str) {
    if let Err(e) = sfid::validate(s) {
        c.diags.push(
            Diagnostic::new(
                Code::InvalidRecordId,
                format!("\"{s}\" is not a record Id"),
                value.span,
                e.to_string(),
            )
            .with_help(
                "copy the Id from Salesforce; 18-character Ids end with a 3-character checksum",
            ),
        );
        return;
    }
    let prefix = sfid::key_prefix(s);
    let targets: Vec<&str> = if field.field_type == FieldType::Id {
        Vec::new()
    } else {
        field.reference_to.iter().map(String::as_str).collect()
    };
    let prefixes: Vec<String> = targets
        .iter()
        .filter_map(|t| c.schema.object(t).and_then(|o| o.key_prefix.clone()))
        .collect();
    if !prefixes.is_empty() && !prefixes.iter().any(|p| p == prefix) {
        let found = c.schema.object_by_prefix(prefix).map_or_else(
            || format!("prefix {prefix}"),
            |o| format!("a {} Id", o.name),
        );
        c.diags.push(
            Diagnostic::new(
                Code::InvalidRecordId,
                format!(
                    "\"{s}\" is {found}, but `{}` references {}",
                    field.name,
                    targets.join(" or ")
                ),
                value.span,
                "wrong kind of record",
            )
            .with_help(format!(
                "{} Ids start with {}",
                targets.join("/"),
                prefixes.join(" or ")
            )),
        );
    }
}

/// A `TypeMismatch` for a value of the wrong kind, with how to convert it.
fn mismatch(field: &FieldDescribe, value: &ast::Expr, what: &str) -> Diagnostic {
    Diagnostic::new(
        Code::TypeMismatch,
        format!(
            "`{}` is a {} field, but this is {what}",
            field.name,
            field.field_type.as_str()
        ),
        value.span,
        format!("{what} here"),
    )
    .with_help(convert_help(field.field_type))
}

/// How to write or convert a value for a field of type `t`.
fn convert_help(t: FieldType) -> String {
    if t.is_numeric() {
        "write a number literal, or convert with `to_number(...)`".into()
    } else if t == FieldType::Boolean {
        "write true or false, or convert with `to_bool(...)`".into()
    } else if t == FieldType::Date {
        "write \"YYYY-MM-DD\", or convert with `to_date(...)`".into()
    } else if t == FieldType::Datetime {
        "write an ISO datetime, or convert with `to_datetime(...)`".into()
    } else if matches!(t, FieldType::Reference | FieldType::Id) {
        "write a record Id, or use `lookup(Object.External_Id__c, value)`".into()
    } else {
        "convert the value with `to_string(...)`".into()
    }
}

/// Reports a value whose kinds can never fit the field.
pub(super) fn check_kind(c: &mut Compiler<'_>, field: &FieldDescribe, value: &ast::Expr, ty: Ty) {
    if matches!(
        value.kind,
        ExprKind::String(_) | ExprKind::Number(_) | ExprKind::Bool(_) | ExprKind::Null
    ) {
        return;
    }
    let accepted = accepted_by(field);
    let fits = ty.kind.and(accepted);
    if fits.is_empty() && !ty.kind.is_empty() {
        c.diags.push(mismatch(field, value, &ty.kind.describe()));
    }
}

/// An explicit null into a field that cannot be empty.
pub(super) fn check_clear(c: &mut Compiler<'_>, field: &FieldDescribe, value: &ast::Expr, ty: Ty) {
    if ty.kind == Kind::NULL && !field.nillable {
        c.diags.push(
            Diagnostic::new(
                Code::TypeMismatch,
                format!(
                    "`{}` cannot be cleared: Salesforce requires a value",
                    field.name
                ),
                value.span,
                "clears the field",
            )
            .with_help("remove the assignment to leave the field unchanged"),
        );
    } else if !field.nillable && may_keep_null(value) {
        c.diags.push(
            Diagnostic::new(
                Code::TypeMismatch,
                format!(
                    "`{}` cannot be cleared: Salesforce requires a value",
                    field.name
                ),
                value.span,
                "clears the field when the event holds null",
            )
            .with_help(
                "leave out `keep_null(...)`: an event's null then leaves the field unchanged",
            ),
        );
    }
}

/// Whether the value may be a null that `keep_null()` kept from the event: its result, a
/// `coalesce` argument, a branch of an `if`, or the first argument of a function (a null in
/// gives null out).
fn may_keep_null(e: &ast::Expr) -> bool {
    match &e.kind {
        ExprKind::Call { name, args } => match name.name.as_str() {
            "keep_null" => true,
            "coalesce" => args.iter().any(may_keep_null),
            "clear" | "jmes" => false,
            "lookup" => args.get(1).is_some_and(may_keep_null),
            _ => args.first().is_some_and(may_keep_null),
        },
        ExprKind::If(_, a, b) => may_keep_null(a) || may_keep_null(b),
        ExprKind::Paren(inner) => may_keep_null(inner),
        _ => false,
    }
}

/// Whether a field's value may be absent, honouring a `where ... exists` guard on its expression.
pub(super) fn may_be_absent(ast_value: &ast::Expr, g: &Guaranteed) -> bool {
    if g.contains(&print::expr(ast_value)) {
        return false;
    }
    expr_may_be_absent(ast_value, g)
}

/// Without the guard: a path is absent unless the condition guarantees it; `coalesce` only
/// when every argument may be; `clear()` never and `jmes` always may be; any other call when
/// an argument may be, a template when an interpolation may be, an `if` when a branch may be.
fn expr_may_be_absent(e: &ast::Expr, g: &Guaranteed) -> bool {
    match &e.kind {
        ExprKind::Path(p) => !g.contains(&print::path(p)),
        ExprKind::Call { name, args } => match name.name.as_str() {
            "coalesce" => args.iter().all(|a| expr_may_be_absent(a, g)),
            "clear" | "jmes" => name.name == "jmes",
            _ => args.iter().any(|a| expr_may_be_absent(a, g)),
        },
        ExprKind::Template(parts) => parts.iter().any(|p| match p {
            ast::TemplatePart::Expr(e) => expr_may_be_absent(e, g),
            ast::TemplatePart::Text(_) => false,
        }),
        ExprKind::If(_, a, b) => expr_may_be_absent(a, g) || expr_may_be_absent(b, g),
        ExprKind::Paren(inner) => expr_may_be_absent(inner, g),
        _ => false,
    }
}
