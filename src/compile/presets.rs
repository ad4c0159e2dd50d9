//! Presets: named sets of field mappings written in `.sfmap` syntax, expanded by `use`.
//!
//! The Classic presets are Segment's documented Classic → Actions migration tables
//! (`segment-behaviour.md` §10); `segment.defaults` is the Actions default field mappings (§3.2).

use super::Compiler;
use super::suggest::closest;
use crate::diag::{Code, Diagnostic};
use crate::source::Span;
use crate::syntax::{self, ast, ast::ExprKind, ast::FieldEntry};

/// A preset's fields for an object, as `fields { ... }` entries, or `None` if the preset does
/// not exist. `Some(Err(objects))` when it exists but not for this object.
pub fn lookup(name: &str, object: &str) -> Option<Result<&'static str, &'static [&'static str]>> {
    let object = object.to_ascii_lowercase();
    let (objects, body): (&'static [&'static str], Option<&'static str>) = match name {
        "classic.lead" => (&["Lead"], (object == "lead").then_some(CLASSIC_LEAD)),
        "classic.account.billing" => (&["Account"], (object == "account").then_some(BILLING)),
        "classic.account.shipping" => (&["Account"], (object == "account").then_some(SHIPPING)),
        "segment.defaults" => (
            &["Lead", "Account", "Contact"],
            match object.as_str() {
                "lead" => Some(DEFAULTS_LEAD),
                "account" => Some(DEFAULTS_ACCOUNT),
                "contact" => Some(DEFAULTS_CONTACT),
                _ => None,
            },
        ),
        _ => return None,
    };
    Some(body.ok_or(objects))
}

/// The names of all presets, for suggestions.
pub const NAMES: &[&str] = &[
    "classic.lead",
    "classic.account.billing",
    "classic.account.shipping",
    "segment.defaults",
];

/// Expands a preset into parsed entries, or reports it unknown / not for this object (only
/// when the object is known: an unknown object is reported already). The body is parsed as a
/// mapping of its own, `mapping preset { fields { ... } }`, with every span moved to `p`.
pub(super) fn expand_preset(
    c: &mut Compiler<'_>,
    p: &ast::Preset,
    object: &str,
    object_known: bool,
) -> Option<syntax::Parsed> {
    match lookup(&p.name, object) {
        None => {
            let suggestion = closest(&p.name, NAMES.iter().copied());
            c.diags.push(
                Diagnostic::new(
                    Code::UnknownPreset,
                    format!("there is no preset `{}`", p.name),
                    p.span,
                    "unknown preset",
                )
                .with_help(match suggestion {
                    Some(s) => format!("did you mean `{s}`?"),
                    None => format!("presets: {}", NAMES.join(", ")),
                }),
            );
            None
        }
        Some(Err(objects)) => {
            if object_known {
                c.diags.push(
                    Diagnostic::new(
                        Code::UnknownPreset,
                        format!("preset `{}` has no fields for `{object}`", p.name),
                        p.span,
                        "does not fit this object",
                    )
                    .with_help(format!(
                        "`{}` is for {}",
                        p.name,
                        objects.join(", ")
                    )),
                );
            }
            None
        }
        Some(Ok(body)) => {
            let text = format!("mapping preset {{ fields {{ {body} }} }}");
            Some(respan(syntax::parse(&text), p.span))
        }
    }
}

/// Points every span of a preset's parse at the `use` clause.
fn respan(mut parsed: syntax::Parsed, span: Span) -> syntax::Parsed {
    fn expr(e: &mut ast::Expr, span: Span) {
        e.span = span;
        match &mut e.kind {
            ExprKind::Path(p) => p.span = span,
            ExprKind::Call { name, args } => {
                name.span = span;
                args.iter_mut().for_each(|a| expr(a, span));
            }
            ExprKind::List(items) => items.iter_mut().for_each(|a| expr(a, span)),
            ExprKind::Not(a) | ExprKind::Exists(a) | ExprKind::Paren(a) => expr(a, span),
            ExprKind::Logic(_, a, b) | ExprKind::Compare(_, a, b) => {
                expr(a, span);
                expr(b, span);
            }
            ExprKind::If(a, b, c) => {
                expr(a, span);
                expr(b, span);
                expr(c, span);
            }
            ExprKind::Template(parts) => parts.iter_mut().for_each(|p| {
                if let ast::TemplatePart::Expr(e) = p {
                    expr(e, span);
                }
            }),
            _ => {}
        }
    }
    for m in &mut parsed.file.mappings {
        for clause in &mut m.clauses {
            if let ast::ClauseKind::Fields(list) = &mut clause.kind {
                for e in list {
                    if let FieldEntry::Assign {
                        field,
                        value,
                        span: s,
                    } = e
                    {
                        field.span = span;
                        *s = span;
                        expr(value, span);
                    }
                }
            }
        }
    }
    parsed
}

const CLASSIC_LEAD: &str = r#"
Name = traits.name
Phone = coalesce(traits.phone, traits.phoneNumber)
Title = coalesce(traits.address.title, traits.position)
Website = traits.website
Description = traits.description
LeadSource = traits.leadSource
"#;

const BILLING: &str = r#"
BillingStreet = coalesce(traits.address.street, traits.street)
BillingCity = coalesce(traits.address.city, traits.city)
BillingState = coalesce(traits.address.state, traits.state)
BillingCountry = coalesce(traits.address.country, traits.country)
BillingPostalCode = coalesce(traits.address.postalCode, traits.postalCode)
"#;

const SHIPPING: &str = r#"
ShippingStreet = coalesce(traits.address.street, traits.street)
ShippingCity = coalesce(traits.address.city, traits.city)
ShippingState = coalesce(traits.address.state, traits.state)
ShippingCountry = coalesce(traits.address.country, traits.country)
ShippingPostalCode = coalesce(traits.address.postalCode, traits.postalCode)
"#;

const DEFAULTS_LEAD: &str = r#"
LastName = coalesce(traits.last_name, properties.last_name)
Company = coalesce(traits.company, properties.company)
FirstName = coalesce(traits.first_name, properties.first_name)
State = coalesce(traits.address.state, properties.address.state)
Street = coalesce(traits.address.street, properties.address.street)
Country = coalesce(traits.address.country, properties.address.country)
PostalCode = coalesce(traits.address.postal_code, properties.address.postal_code)
City = coalesce(traits.address.city, properties.address.city)
Email = coalesce(traits.email, properties.email)
"#;

const DEFAULTS_ACCOUNT: &str = r#"
Name = traits.name
AccountNumber = groupId
NumberOfEmployees = coalesce(traits.employees, properties.employees)
BillingCity = coalesce(traits.address.city, properties.address.city)
BillingPostalCode = coalesce(traits.address.postal_code, properties.address.postal_code)
BillingCountry = coalesce(traits.address.country, properties.address.country)
BillingStreet = coalesce(traits.address.street, properties.address.street)
BillingState = coalesce(traits.address.state, properties.address.state)
Phone = coalesce(traits.phone, properties.phone)
Description = coalesce(traits.description, properties.description)
Website = coalesce(traits.website, properties.website)
"#;

const DEFAULTS_CONTACT: &str = r#"
LastName = coalesce(traits.last_name, properties.last_name)
FirstName = coalesce(traits.first_name, properties.first_name)
Email = coalesce(traits.email, properties.email)
MailingState = coalesce(traits.address.state, properties.address.state)
MailingStreet = coalesce(traits.address.street, properties.address.street)
MailingCountry = coalesce(traits.address.country, properties.address.country)
MailingPostalCode = coalesce(traits.address.postal_code, properties.address.postal_code)
MailingCity = coalesce(traits.address.city, properties.address.city)
"#;
