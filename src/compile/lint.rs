//! Warnings over whole files: overlapping and unreachable triggers.

use super::facts::Facts;
use crate::diag::{Code, Diagnostic};
use crate::plan;
use crate::syntax::ast::{self, ClauseKind, CompareOp, ExprKind, File, LogicOp};

pub(super) fn lint(file: &File, mappings: &[plan::Mapping], diags: &mut Vec<Diagnostic>) {
    let facts: Vec<Facts> = mappings
        .iter()
        .map(|m| Facts::of(where_condition(file, &m.name)))
        .collect();
    // One warning per mapping that overlaps earlier ones, naming them all: with n mappings on
    // one object and event, a warning per pair would be n²/2 warnings saying the same thing.
    for (i, b) in mappings.iter().enumerate() {
        let earlier: Vec<&plan::Mapping> = mappings[..i]
            .iter()
            .enumerate()
            .filter(|(j, a)| {
                a.object == b.object
                    && overlap(&a.triggers, &b.triggers)
                    && !facts[*j].contradict(&facts[i])
            })
            .map(|(_, a)| a)
            .collect();
        let Some(first) = earlier.first() else {
            continue;
        };
        let message = match earlier.as_slice() {
            [a] => format!(
                "mappings `{}` and `{}` can fire on the same events and both write `{}`",
                a.name, b.name, b.object
            ),
            _ => format!(
                "mapping `{}` can fire on the same events as {} and all write `{}`",
                b.name,
                name_list(&earlier),
                b.object
            ),
        };
        let (label, context) = match earlier.len() {
            1 => ("second mapping", "first mapping"),
            _ => ("this mapping", "the first of them"),
        };
        diags.push(
            Diagnostic::new(Code::OverlappingTriggers, message, b.span_head(), label)
                .with_context(first.span_head(), context)
                .with_help(
                    "merge the mappings, or fire them on different event types or track names, or \
                     on `where` conditions that cannot both hold; two mappings writing one record \
                     race in a flush",
                ),
        );
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

/// The `where` condition of the mapping named `name`, when it has exactly one trigger clause.
fn where_condition<'f>(file: &'f File, name: &str) -> Option<&'f ast::Expr> {
    let m = file.mappings.iter().find(|m| m.name.name == name)?;
    let mut triggers = m.clauses.iter().filter_map(|c| match &c.kind {
        ClauseKind::On(t) => Some(t),
        _ => None,
    });
    match (triggers.next(), triggers.next()) {
        (Some(t), None) => t.condition.as_ref(),
        _ => None,
    }
}

/// "`a`, `b` and `c`", or past three names "`a`, `b`, `c` and 4 more".
fn name_list(mappings: &[&plan::Mapping]) -> String {
    let quoted: Vec<String> = mappings
        .iter()
        .take(3)
        .map(|m| format!("`{}`", m.name))
        .collect();
    match mappings.len() {
        n if n > 3 => format!("{} and {} more", quoted.join(", "), n - 3),
        _ => {
            let (last, rest) = quoted.split_last().expect("at least one name");
            format!("{} and {last}", rest.join(", "))
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

#[cfg(test)]
mod tests {
    use crate::diag::Code;

    /// The W0002 count for two Lead mappings on identify with these `where` conditions.
    fn overlaps(a: &str, b: &str) -> usize {
        let text = [a, b]
            .iter()
            .enumerate()
            .map(|(i, cond)| {
                format!(
                    "mapping m{i} {{\n  on identify where traits.email exists and {cond}\n  \
                     object Lead\n  update match Email = traits.email else skip\n  \
                     fields {{ Title = \"t\" }}\n}}\n"
                )
            })
            .collect::<String>();
        let loaded = crate::load::load_text("m.sfmap", text, &crate::schema::Schema::builtin());
        assert!(
            !loaded.diagnostics.iter().any(|d| d.is_error()),
            "{a} / {b}: {:?}",
            loaded.diagnostics
        );
        assert_eq!(loaded.compiled.plan.mappings.len(), 2);
        loaded
            .diagnostics
            .iter()
            .filter(|d| d.code == Code::OverlappingTriggers)
            .count()
    }

    #[test]
    fn conditions_that_cannot_both_hold_do_not_overlap() {
        for (a, b) in [
            (r#"traits.plan == "pro""#, r#"traits.plan == "free""#),
            (r#"traits.plan == "pro""#, r#"traits.plan != "pro""#),
            (r#"traits.plan in ["a", "b"]"#, r#"traits.plan in ["c"]"#),
            (
                r#"traits.plan in ["a", "b"]"#,
                r#"traits.plan not in ["a", "b", "c"]"#,
            ),
            (r#"(traits.seats == 10)"#, r#"traits.seats == 10.5"#),
            (r#"traits.vip == true"#, r#"traits.vip == false"#),
            (r#"traits.plan exists"#, r#"not (traits.plan exists)"#),
            (r#"traits.plan == "pro""#, r#"not traits.plan exists"#),
        ] {
            assert_eq!(overlaps(a, b), 0, "{a} / {b}");
            assert_eq!(overlaps(b, a), 0, "{b} / {a}");
        }
    }

    #[test]
    fn conditions_that_can_both_hold_still_overlap() {
        for (a, b) in [
            (r#"traits.plan == "pro""#, r#"traits.plan == "pro""#),
            // `==` compares strings exactly and a string is never equal to a number.
            (r#"traits.plan == "Pro""#, r#"traits.plan != "pro""#),
            (r#"traits.seats == 10"#, r#"traits.seats != "10""#),
            (
                r#"traits.plan in ["a", "b"]"#,
                r#"traits.plan in ["b", "c"]"#,
            ),
            (
                r#"traits.plan in ["a", "b"]"#,
                r#"traits.plan not in ["a"]"#,
            ),
            (r#"traits.plan != "a""#, r#"not (traits.plan exists)"#),
            (r#"traits.plan == "pro""#, r#"traits.tier == "free""#),
            (
                r#"traits.plan == "pro" or traits.x exists"#,
                r#"traits.plan == "free""#,
            ),
            (r#"traits.plan starts_with "p""#, r#"traits.plan == "free""#),
        ] {
            assert_eq!(overlaps(a, b), 1, "{a} / {b}");
            assert_eq!(overlaps(b, a), 1, "{b} / {a}");
        }
    }

    /// Five mappings on identify writing Lead: one W0002 for each but the first, the last
    /// naming three earlier mappings and how many more.
    #[test]
    fn overlaps_warn_once_per_mapping_naming_the_earlier_ones() {
        let text: String = (0..5)
            .map(|i| {
                format!(
                    "mapping m{i} {{\n  on identify where traits.email exists\n  object Lead\n  \
                     update match Email = traits.email else skip\n  fields {{ Title = \"t\" }}\n}}\n"
                )
            })
            .collect();
        let loaded = crate::load::load_text("m.sfmap", text, &crate::schema::Schema::builtin());
        let messages: Vec<&str> = loaded
            .diagnostics
            .iter()
            .filter(|d| d.code == Code::OverlappingTriggers)
            .map(|d| d.message.as_str())
            .collect();
        assert_eq!(
            messages,
            [
                "mappings `m0` and `m1` can fire on the same events and both write `Lead`",
                "mapping `m2` can fire on the same events as `m0` and `m1` and all write `Lead`",
                "mapping `m3` can fire on the same events as `m0`, `m1` and `m2` and all write `Lead`",
                "mapping `m4` can fire on the same events as `m0`, `m1`, `m2` and 1 more and all \
                 write `Lead`",
            ]
        );
    }
}
