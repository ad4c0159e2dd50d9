//! Warnings over whole files: overlapping and unreachable triggers.

use crate::diag::{Code, Diagnostic};
use crate::plan;
use crate::syntax::ast::{self, ClauseKind, CompareOp, ExprKind, File, LogicOp};

pub(super) fn lint(file: &File, mappings: &[plan::Mapping], diags: &mut Vec<Diagnostic>) {
    for (i, a) in mappings.iter().enumerate() {
        for b in &mappings[i + 1..] {
            if a.object == b.object && overlap(&a.triggers, &b.triggers) {
                diags.push(
                    Diagnostic::new(
                        Code::OverlappingTriggers,
                        format!(
                            "mappings `{}` and `{}` can fire on the same events and both write `{}`",
                            a.name, b.name, a.object
                        ),
                        b.span_head(),
                        "second mapping",
                    )
                    .with_context(a.span_head(), "first mapping")
                    .with_help(
                        "merge the mappings, or fire them on different event types or track names; \
                         two mappings writing one record race in a flush",
                    ),
                );
            }
        }
    }
    for m in &file.mappings {
        for clause in &m.clauses {
            let ClauseKind::On(t) = &clause.kind else {
                continue;
            };
            let Some(cond) = &t.condition else { continue };
            let types: Vec<&str> = t.events.iter().map(|e| e.event_type.as_str()).collect();
            if let Some(reason) = unreachable(cond, &types) {
                diags.push(
                    Diagnostic::new(
                        Code::UnreachableTrigger,
                        format!("mapping `{}` can never fire", m.name.name),
                        cond.span,
                        reason,
                    )
                    .with_help("fix the condition or the event types"),
                );
            }
        }
    }
}

fn overlap(a: &[plan::EventFilter], b: &[plan::EventFilter]) -> bool {
    a.iter().any(|x| {
        b.iter().any(|y| {
            x.event_type == y.event_type
                && (x.names.is_empty()
                    || y.names.is_empty()
                    || x.names.iter().any(|n| y.names.contains(n)))
        })
    })
}

/// Why a condition can never hold for these event types, if it can't.
fn unreachable(e: &ast::Expr, types: &[&str]) -> Option<String> {
    match &e.kind {
        ExprKind::Bool(false) => Some("always false".into()),
        ExprKind::Paren(inner) => unreachable(inner, types),
        ExprKind::Logic(LogicOp::And, a, b) => {
            unreachable(a, types).or_else(|| unreachable(b, types))
        }
        ExprKind::Logic(LogicOp::Or, a, b) => {
            let ra = unreachable(a, types)?;
            unreachable(b, types).map(|rb| format!("{ra}, and {rb}"))
        }
        ExprKind::Compare(CompareOp::Eq, a, b) => match (&a.kind, &b.kind) {
            (ExprKind::Path(p), ExprKind::String(s))
                if p.segments.len() == 1 && p.root() == "type" && !types.contains(&s.as_str()) =>
            {
                Some(format!(
                    "`type` is never \"{s}\" on {} events",
                    types.join("/")
                ))
            }
            _ => None,
        },
        _ => None,
    }
}

impl plan::Mapping {
    /// The mapping's header span (for labels).
    fn span_head(&self) -> crate::source::Span {
        crate::source::Span {
            start: self.span.start,
            end: self.span.start + 7,
        }
    }
}
