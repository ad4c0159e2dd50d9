//! Compiling expressions: paths become slots, calls become builtins, types are inferred.

use std::collections::BTreeSet;
use std::sync::Arc;

use super::Compiler;
use super::types::{Kind, Ty};
use crate::diag::{Code, Diagnostic};
use crate::event::path::{EventPath, Segment};
use crate::event::value::Value;
use crate::plan::{Builtin, PlanExpr, expr::JmesExpr};
use crate::syntax::ast::{Expr, ExprKind, Path, PathSegment, TemplatePart};
use crate::syntax::print;

/// Roots of a Segment-spec event.
pub const EVENT_ROOTS: &[&str] = &[
    "type",
    "event",
    "name",
    "userId",
    "anonymousId",
    "groupId",
    "previousId",
    "messageId",
    "timestamp",
    "sentAt",
    "receivedAt",
    "originalTimestamp",
    "traits",
    "properties",
    "context",
    "integrations",
    "category",
    "version",
    "channel",
];

/// Function names, with their arity range.
const FUNCTIONS: &[(&str, usize, usize)] = &[
    ("coalesce", 1, usize::MAX),
    ("lower", 1, 1),
    ("upper", 1, 1),
    ("trim", 1, 1),
    ("to_number", 1, 1),
    ("to_string", 1, 1),
    ("to_bool", 1, 1),
    ("to_date", 1, 3),
    ("to_datetime", 1, 3),
    ("truncate", 2, 2),
    ("name_first", 1, 1),
    ("name_last", 1, 1),
    ("replace", 3, 3),
    ("clear", 0, 0),
    ("on_create", 1, 1),
    ("keep_null", 1, 1),
    ("lookup", 2, 2),
    ("jmes", 1, 1),
];

/// Paths that the trigger condition guarantees are present (`where traits.email exists`).
pub type Guaranteed = BTreeSet<String>;

/// What an expression compiled to.
pub struct Compiled {
    pub expr: PlanExpr,
    pub ty: Ty,
}

impl Compiler<'_> {
    /// Compiles an expression. `reads` collects the paths it reads (for spreads).
    pub(crate) fn expr(
        &mut self,
        e: &Expr,
        g: &Guaranteed,
        reads: &mut Vec<EventPath>,
    ) -> Compiled {
        match &e.kind {
            ExprKind::Null => konst(Value::Null, Kind::NULL),
            ExprKind::Bool(b) => konst(Value::Bool(*b), Kind::BOOL),
            ExprKind::Number(n) => {
                let num = n
                    .parse::<serde_json::Number>()
                    .unwrap_or_else(|_| serde_json::Number::from(0));
                konst(Value::Number(num), Kind::NUMBER)
            }
            ExprKind::String(s) => konst(Value::String(s.clone().into()), Kind::STRING),
            ExprKind::Template(parts) => {
                let mut out = Vec::new();
                let mut absent = false;
                for part in parts {
                    match part {
                        TemplatePart::Text(t) => {
                            out.push(PlanExpr::Const(Value::String(t.clone().into())));
                        }
                        TemplatePart::Expr(inner) => {
                            let c = self.expr(inner, g, reads);
                            absent |= c.ty.maybe_absent;
                            self.expect_scalar(inner, c.ty, "an interpolation");
                            out.push(c.expr);
                        }
                    }
                }
                Compiled {
                    expr: PlanExpr::Template(out),
                    ty: Ty {
                        kind: Kind::STRING,
                        maybe_absent: absent,
                    },
                }
            }
            ExprKind::List(items) => {
                let items = items.iter().map(|i| self.expr(i, g, reads).expr).collect();
                Compiled {
                    expr: PlanExpr::List(items),
                    ty: Ty::known(Kind::ARRAY),
                }
            }
            ExprKind::Path(p) => self.path(p, g, reads),
            ExprKind::Call { name, args } => self.call(e, &name.name, name.span, args, g, reads),
            ExprKind::If(c, a, b) => {
                let c = self.expr(c, g, reads);
                let a = self.expr(a, g, reads);
                let b = self.expr(b, g, reads);
                Compiled {
                    ty: Ty {
                        kind: a.ty.kind.or(b.ty.kind),
                        maybe_absent: a.ty.maybe_absent || b.ty.maybe_absent,
                    },
                    expr: PlanExpr::If(Box::new(c.expr), Box::new(a.expr), Box::new(b.expr)),
                }
            }
            ExprKind::Not(inner) => {
                let c = self.expr(inner, g, reads);
                boolean(PlanExpr::Not(Box::new(c.expr)))
            }
            ExprKind::Logic(op, a, b) => {
                let a = self.expr(a, g, reads);
                let b = self.expr(b, g, reads);
                boolean(PlanExpr::Logic(*op, Box::new(a.expr), Box::new(b.expr)))
            }
            ExprKind::Exists(inner) => {
                let c = self.expr(inner, g, reads);
                boolean(PlanExpr::Exists(Box::new(c.expr)))
            }
            ExprKind::Compare(op, a, b) => {
                let a = self.expr(a, g, reads);
                let b = self.expr(b, g, reads);
                boolean(PlanExpr::Compare(*op, Box::new(a.expr), Box::new(b.expr)))
            }
            ExprKind::Paren(inner) => self.expr(inner, g, reads),
        }
    }

    fn path(&mut self, p: &Path, g: &Guaranteed, reads: &mut Vec<EventPath>) -> Compiled {
        let root = p.root();
        if !EVENT_ROOTS.contains(&root) {
            let suggestion = super::suggest::closest(root, EVENT_ROOTS.iter().copied());
            let root_span =
                crate::source::Span::new(p.span.start as usize, p.span.start as usize + root.len());
            self.diags.push(
                Diagnostic::new(
                    Code::UnknownPathRoot,
                    format!("`{root}` is not part of a Segment event"),
                    root_span,
                    "unknown root",
                )
                .with_help(match suggestion {
                    Some(s) => format!("did you mean `{s}`?"),
                    None => format!(
                        "paths start at one of: {}; write a literal string in quotes",
                        EVENT_ROOTS.join(", ")
                    ),
                }),
            );
        }
        let path = event_path(p);
        reads.push(path.clone());
        let slot = self.slot(path);
        let present = g.contains(&print::path(p));
        Compiled {
            expr: PlanExpr::Slot(slot),
            ty: Ty {
                kind: if p.root() == "type" || p.root() == "event" || p.root() == "messageId" {
                    Kind::STRING
                } else {
                    Kind::ANY.without(Kind::NULL)
                },
                maybe_absent: !present,
            },
        }
    }

    #[allow(clippy::too_many_lines)]
    fn call(
        &mut self,
        e: &Expr,
        name: &str,
        name_span: crate::source::Span,
        args: &[Expr],
        g: &Guaranteed,
        reads: &mut Vec<EventPath>,
    ) -> Compiled {
        let Some(&(_, min, max)) = FUNCTIONS.iter().find(|(n, _, _)| *n == name) else {
            let suggestion = super::suggest::closest(name, FUNCTIONS.iter().map(|f| f.0));
            self.diags.push(
                Diagnostic::new(
                    Code::UnknownFunction,
                    format!("unknown function `{name}`"),
                    name_span,
                    "no such function",
                )
                .with_help(match suggestion {
                    Some(s) => format!("did you mean `{s}`?"),
                    None => "see docs/language.md for the functions".to_string(),
                }),
            );
            for a in args {
                self.expr(a, g, reads);
            }
            return Compiled {
                expr: PlanExpr::Const(Value::Null),
                ty: Ty::any_absent(),
            };
        };
        if args.len() < min || args.len() > max {
            let expected = if min == max {
                format!("{min}")
            } else if max == usize::MAX {
                format!("at least {min}")
            } else {
                format!("{min} to {max}")
            };
            self.diags.push(Diagnostic::new(
                Code::WrongArity,
                format!(
                    "`{name}` takes {expected} argument{}, but {} {} given",
                    if expected == "1" { "" } else { "s" },
                    args.len(),
                    if args.len() == 1 { "was" } else { "were" }
                ),
                e.span,
                format!(
                    "{} argument{}",
                    args.len(),
                    if args.len() == 1 { "" } else { "s" }
                ),
            ));
            return Compiled {
                expr: PlanExpr::Const(Value::Null),
                ty: Ty::any_absent(),
            };
        }
        match name {
            "lookup" => return self.lookup_call(e, args, g, reads),
            "jmes" => return self.jmes_call(args),
            _ => {}
        }
        let compiled: Vec<Compiled> = args.iter().map(|a| self.expr(a, g, reads)).collect();
        let any_absent = compiled.iter().any(|c| c.ty.maybe_absent);
        let first_absent = compiled.first().is_some_and(|c| c.ty.maybe_absent);
        let (builtin, ty) = match name {
            "coalesce" => {
                let mut kind = Kind(0);
                let mut absent = true;
                for c in &compiled {
                    if absent {
                        kind = kind.or(c.ty.kind);
                    }
                    absent &= c.ty.maybe_absent;
                }
                (
                    Builtin::Coalesce,
                    Ty {
                        kind,
                        maybe_absent: absent,
                    },
                )
            }
            "lower" | "upper" | "trim" | "name_first" | "name_last" | "to_string" => {
                for (a, c) in args.iter().zip(&compiled) {
                    self.expect_scalar(a, c.ty, "this function");
                }
                let b = match name {
                    "lower" => Builtin::Lower,
                    "upper" => Builtin::Upper,
                    "trim" => Builtin::Trim,
                    "name_first" => Builtin::NameFirst,
                    "name_last" => Builtin::NameLast,
                    _ => Builtin::ToString,
                };
                (b, strty(Kind::STRING, first_absent))
            }
            "to_number" => (Builtin::ToNumber, strty(Kind::NUMBER, first_absent)),
            "to_bool" => (Builtin::ToBool, strty(Kind::BOOL, first_absent)),
            "to_date" | "to_datetime" => {
                self.check_date_args(args);
                if name == "to_date" {
                    (Builtin::ToDate, strty(Kind::DATE, first_absent))
                } else {
                    (Builtin::ToDatetime, strty(Kind::DATETIME, first_absent))
                }
            }
            "truncate" => {
                self.expect_literal_number(&args[1]);
                (Builtin::Truncate, strty(Kind::STRING, any_absent))
            }
            "replace" => (Builtin::Replace, strty(Kind::STRING, any_absent)),
            "on_create" => (Builtin::OnCreate, compiled[0].ty),
            "keep_null" => (
                Builtin::KeepNull,
                Ty {
                    kind: compiled[0].ty.kind.or(Kind::NULL),
                    maybe_absent: compiled[0].ty.maybe_absent,
                },
            ),
            _ => (Builtin::Clear, Ty::known(Kind::NULL)),
        };
        Compiled {
            expr: PlanExpr::Call(builtin, compiled.into_iter().map(|c| c.expr).collect()),
            ty,
        }
    }

    /// `to_date(value, format, tz)`: the format must be usable and the zone must exist.
    fn check_date_args(&mut self, args: &[Expr]) {
        if let Some(fmt) = args.get(1) {
            match &fmt.kind {
                ExprKind::String(f) => {
                    let items: Vec<_> = chrono::format::StrftimeItems::new(f).collect();
                    if items
                        .iter()
                        .any(|i| matches!(i, chrono::format::Item::Error))
                    {
                        self.diags.push(
                            Diagnostic::new(
                                Code::InvalidFormat,
                                format!("`{f}` is not a valid date format"),
                                fmt.span,
                                "invalid format",
                            )
                            .with_help("formats use strftime syntax, e.g. \"%d/%m/%Y %H:%M\""),
                        );
                    }
                }
                _ => self.diags.push(Diagnostic::new(
                    Code::InvalidFormat,
                    "the date format must be a string literal",
                    fmt.span,
                    "not a literal",
                )),
            }
        }
        if let Some(tz) = args.get(2) {
            let ok = matches!(&tz.kind, ExprKind::String(z) if z.parse::<chrono_tz::Tz>().is_ok());
            if !ok {
                let shown = print::expr(tz);
                let suggestion = match &tz.kind {
                    ExprKind::String(z) => {
                        super::suggest::closest(z, chrono_tz::TZ_VARIANTS.iter().map(|t| t.name()))
                    }
                    _ => None,
                };
                self.diags.push(
                    Diagnostic::new(
                        Code::InvalidFormat,
                        format!("{shown} is not a known time zone"),
                        tz.span,
                        "unknown time zone",
                    )
                    .with_help(match suggestion {
                        Some(s) => format!("did you mean \"{s}\"?"),
                        None => "use an IANA zone name such as \"Europe/Paris\" or \"UTC\"".into(),
                    }),
                );
            }
        }
    }

    fn expect_literal_number(&mut self, e: &Expr) {
        if !matches!(&e.kind, ExprKind::Number(n) if n.parse::<u32>().is_ok()) {
            self.diags.push(Diagnostic::new(
                Code::TypeMismatch,
                "the length must be a whole number literal",
                e.span,
                "expected a whole number",
            ));
        }
    }

    /// Reports an object or array where a scalar is needed.
    pub(crate) fn expect_scalar(&mut self, e: &Expr, ty: Ty, context: &str) {
        let scalar = ty.kind.and(Kind::SCALAR.or(Kind::NULL));
        if scalar.is_empty() && !ty.kind.is_empty() {
            self.diags.push(Diagnostic::new(
                Code::TypeMismatch,
                format!("{context} needs a text, number or boolean value"),
                e.span,
                format!("this is {}", ty.kind.describe()),
            ));
        }
    }

    /// `lookup(Object.Field, value)`: checked against the schema by the field assignment.
    fn lookup_call(
        &mut self,
        e: &Expr,
        args: &[Expr],
        g: &Guaranteed,
        reads: &mut Vec<EventPath>,
    ) -> Compiled {
        let value = self.expr(&args[1], g, reads);
        let target = match &args[0].kind {
            ExprKind::Path(p) if p.segments.len() == 2 => match (&p.segments[0], &p.segments[1]) {
                (PathSegment::Key { name: o, .. }, PathSegment::Key { name: f, .. }) => {
                    Some((o.clone(), f.clone()))
                }
                _ => None,
            },
            _ => None,
        };
        let Some((object, field)) = target else {
            self.diags.push(
                Diagnostic::new(
                    Code::InvalidLookup,
                    "the first argument of `lookup` names the parent's external-id field",
                    args[0].span,
                    "expected `Object.Field`",
                )
                .with_help("write e.g. `lookup(Account.External_Id__c, groupId)`"),
            );
            return Compiled {
                expr: PlanExpr::Const(Value::Null),
                ty: Ty::any_absent(),
            };
        };
        self.pending_lookups.push((e.span, args[0].span));
        Compiled {
            expr: PlanExpr::Lookup {
                relationship: String::new(),
                object,
                field,
                value: Box::new(value.expr),
            },
            ty: Ty {
                kind: Kind::LOOKUP,
                maybe_absent: value.ty.maybe_absent,
            },
        }
    }

    fn jmes_call(&mut self, args: &[Expr]) -> Compiled {
        let bad = |this: &mut Self, msg: String| {
            this.diags.push(
                Diagnostic::new(Code::InvalidJmesPath, msg, args[0].span, "invalid JMESPath")
                    .with_help("see https://jmespath.org for the syntax"),
            );
            Compiled {
                expr: PlanExpr::Const(Value::Null),
                ty: Ty::any_absent(),
            }
        };
        let ExprKind::String(src) = &args[0].kind else {
            return bad(
                self,
                "`jmes` takes a JMESPath expression as a string literal".into(),
            );
        };
        match jmespath::compile(src) {
            Ok(compiled) => {
                self.needs_full_event = true;
                Compiled {
                    expr: PlanExpr::Jmes(JmesExpr {
                        source: src.clone(),
                        compiled: Arc::new(compiled),
                    }),
                    ty: Ty::any_absent(),
                }
            }
            Err(err) => bad(self, format!("invalid JMESPath expression: {}", err.reason)),
        }
    }
}

fn konst(v: Value<'static>, kind: Kind) -> Compiled {
    Compiled {
        expr: PlanExpr::Const(v),
        ty: Ty::known(kind),
    }
}

fn boolean(expr: PlanExpr) -> Compiled {
    Compiled {
        expr,
        ty: Ty::known(Kind::BOOL),
    }
}

fn strty(kind: Kind, maybe_absent: bool) -> Ty {
    Ty { kind, maybe_absent }
}

/// The pre-parsed form of a syntax path.
pub fn event_path(p: &Path) -> EventPath {
    EventPath::new(
        p.segments
            .iter()
            .map(|s| match s {
                PathSegment::Key { name, .. } => Segment::key(name.as_str()),
                PathSegment::Index(i) => Segment::Index(*i),
            })
            .collect::<Vec<_>>(),
    )
}
