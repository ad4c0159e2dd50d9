//! What a `where` condition says of single event values, read from its top-level `and` terms.
//!
//! One reader, two uses:
//! - [`Facts::present`]: the values the condition guarantees present, so a matcher or field
//!   that reads them cannot be absent when the mapping fires (W0001, W0005);
//! - [`Facts::contradict`]: whether two conditions cannot both hold, so two mappings cannot
//!   fire on the same event (W0002).
//!
//! The reading is sound, not complete: a term of another form (an `or`, `starts_with`, a
//! comparison with a path) says nothing, so a fact may be missed but is never invented. Values
//! compare as at run time: an absent value compares like `null`, so `v == null` means `v` is
//! absent and `v != null` that it exists, and `v == w` guarantees nothing (both may be absent).

use super::expr::Guaranteed;
use crate::syntax::ast::{CompareOp, Expr, ExprKind, LogicOp};
use crate::syntax::print;

/// A literal as `==` compares it: strings exactly, numbers by value. Not `null`.
#[derive(Debug, Clone, PartialEq)]
enum Lit {
    Str(String),
    Num(f64),
    Bool(bool),
}

impl Lit {
    fn of(e: &Expr) -> Option<Lit> {
        match &unparen(e).kind {
            ExprKind::String(s) => Some(Lit::Str(s.clone())),
            ExprKind::Number(n) => n.parse().ok().map(Lit::Num),
            ExprKind::Bool(b) => Some(Lit::Bool(*b)),
            _ => None,
        }
    }

    /// A list of literals (none of them `null`).
    fn list(e: &Expr) -> Option<Vec<Lit>> {
        match &unparen(e).kind {
            ExprKind::List(items) => items.iter().map(Lit::of).collect(),
            _ => None,
        }
    }
}

/// What one top-level `and` term says of one value.
#[derive(Debug)]
enum Fact {
    /// `v == x`, `v in [..]`: the value is one of these (so present, and not null).
    OneOf(Vec<Lit>),
    /// `v != x`, `v not in [..]`: the value is none of these (it may be absent).
    NoneOf(Vec<Lit>),
    /// `v exists`, `v != null`
    Present,
    /// `not (v exists)`, `v == null`
    Absent,
}

impl Fact {
    fn implies_present(&self) -> bool {
        matches!(self, Fact::OneOf(_) | Fact::Present)
    }

    fn contradicts(&self, other: &Fact) -> bool {
        use Fact::*;
        match (self, other) {
            (OneOf(a), OneOf(b)) => !a.iter().any(|x| b.contains(x)),
            (OneOf(a), NoneOf(b)) | (NoneOf(b), OneOf(a)) => a.iter().all(|x| b.contains(x)),
            (OneOf(_) | Present, Absent) | (Absent, OneOf(_) | Present) => true,
            _ => false,
        }
    }
}

/// The facts of a `where` condition, keyed by the value's text: a path (`traits.email`), or a
/// `coalesce(..)` for `coalesce(..) exists`.
#[derive(Debug, Default)]
pub(super) struct Facts(Vec<(String, Fact)>);

impl Facts {
    /// The facts of a condition; none without one.
    pub fn of(cond: Option<&Expr>) -> Facts {
        let mut facts = Facts::default();
        if let Some(c) = cond {
            facts.collect(c);
        }
        facts
    }

    fn collect(&mut self, e: &Expr) {
        let fact = match &e.kind {
            ExprKind::Paren(inner) => return self.collect(inner),
            ExprKind::Logic(LogicOp::And, a, b) => {
                self.collect(a);
                return self.collect(b);
            }
            ExprKind::Exists(v) => value(v).map(|v| (v, Fact::Present)),
            ExprKind::Not(inner) => match &unparen(inner).kind {
                ExprKind::Exists(v) => value(v).map(|v| (v, Fact::Absent)),
                _ => None,
            },
            ExprKind::Compare(op, a, b) => path(a).and_then(|p| {
                let null = matches!(unparen(b).kind, ExprKind::Null);
                let f = match op {
                    CompareOp::Eq if null => Fact::Absent,
                    CompareOp::Ne if null => Fact::Present,
                    CompareOp::Eq => Fact::OneOf(vec![Lit::of(b)?]),
                    CompareOp::Ne => Fact::NoneOf(vec![Lit::of(b)?]),
                    CompareOp::In => Fact::OneOf(Lit::list(b)?),
                    CompareOp::NotIn => Fact::NoneOf(Lit::list(b)?),
                    _ => return None,
                };
                Some((p, f))
            }),
            _ => None,
        };
        self.0.extend(fact);
    }

    /// The values the condition guarantees present (and not null).
    pub fn present(&self) -> Guaranteed {
        self.0
            .iter()
            .filter(|(_, f)| f.implies_present())
            .map(|(v, _)| v.clone())
            .collect()
    }

    /// Whether no event can satisfy both conditions: they say contradicting things of a value.
    pub fn contradict(&self, other: &Facts) -> bool {
        self.0
            .iter()
            .any(|(p, f)| other.0.iter().any(|(q, g)| p == q && f.contradicts(g)))
    }
}

/// `e` without the parentheses around it.
fn unparen(e: &Expr) -> &Expr {
    match &e.kind {
        ExprKind::Paren(inner) => unparen(inner),
        _ => e,
    }
}

fn path(e: &Expr) -> Option<String> {
    match &unparen(e).kind {
        ExprKind::Path(p) => Some(print::path(p)),
        _ => None,
    }
}

/// A value a fact can be about: a path, or a `coalesce(..)` (by its text).
fn value(e: &Expr) -> Option<String> {
    let e = unparen(e);
    match &e.kind {
        ExprKind::Call { name, .. } if name.name == "coalesce" => Some(print::expr(e)),
        _ => path(e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn facts(cond: &str) -> Facts {
        let text = format!(
            "mapping m {{\n  on identify where {cond}\n  object Lead\n  create\n  \
             fields {{ LastName = \"l\"\n Company = \"c\" }}\n}}\n"
        );
        let parsed = crate::syntax::parse(&text);
        assert!(
            parsed.diagnostics.is_empty(),
            "{cond}: {:?}",
            parsed.diagnostics
        );
        let trigger = parsed.file.mappings[0]
            .clauses
            .iter()
            .find_map(|c| match &c.kind {
                crate::syntax::ast::ClauseKind::On(t) => Some(t.clone()),
                _ => None,
            })
            .unwrap();
        Facts::of(trigger.condition.as_ref())
    }

    fn present(cond: &str) -> Vec<String> {
        facts(cond).present().into_iter().collect()
    }

    #[test]
    fn present_values() {
        for (cond, want) in [
            ("traits.email exists", &["traits.email"][..]),
            (
                "(traits.email exists) and traits.plan == \"pro\"",
                &["traits.email", "traits.plan"],
            ),
            ("traits.plan in [\"a\", 2, true]", &["traits.plan"]),
            ("traits.plan != null", &["traits.plan"]),
            (
                "coalesce(traits.a, traits.b) exists",
                &["coalesce(traits.a, traits.b)"],
            ),
            // Absent compares like null: these do not guarantee a value.
            ("traits.email == traits.alt_email", &[]),
            ("traits.plan in [\"a\", null]", &[]),
            ("traits.plan == null", &[]),
            ("traits.plan != \"a\"", &[]),
            ("traits.a exists or traits.b exists", &[]),
            ("not (traits.a exists)", &[]),
            ("traits.a starts_with \"x\"", &[]),
        ] {
            assert_eq!(present(cond), want, "{cond}");
        }
    }

    #[test]
    fn null_comparisons_are_presence_facts() {
        assert!(facts("traits.plan == null").contradict(&facts("traits.plan exists")));
        assert!(facts("traits.plan != null").contradict(&facts("not (traits.plan exists)")));
        assert!(facts("traits.plan == null").contradict(&facts("traits.plan == \"a\"")));
        assert!(!facts("traits.plan == null").contradict(&facts("traits.plan != \"a\"")));
    }
}
