//! The canonical printer behind `fmt` and `migrate`: two-space indent, one clause per line,
//! aligned `=` in `fields`, comments and single blank lines kept.

use super::ast::{
    Clause, ClauseKind, Expr, ExprKind, FieldEntry, File, Join, Mapping, OnMissing, OpKind, Path,
    PathSegment, TemplatePart,
};
use crate::source::Span;

/// Prints a parsed file canonically. `source` is the text it was parsed from (for comments and
/// blank lines).
pub fn print(file: &File, source: &str) -> String {
    let mut p = Printer {
        out: String::new(),
        source,
        comments: &file.comments,
        next: 0,
    };
    for (n, mapping) in file.mappings.iter().enumerate() {
        if n > 0 {
            p.out.push('\n');
        }
        p.leading(mapping.span.start, 0, n > 0);
        p.mapping(mapping);
    }
    p.leading(u32::MAX, 0, !file.mappings.is_empty());
    p.out
}

struct Printer<'a> {
    out: String,
    source: &'a str,
    comments: &'a [Span],
    next: usize,
}

impl Printer<'_> {
    /// Emits the comments that start before `upto` as own lines. With `keep_blank`, a blank line
    /// before a comment in the source is kept.
    fn leading(&mut self, upto: u32, indent: usize, keep_blank: bool) {
        while let Some(&c) = self.comments.get(self.next) {
            if c.start >= upto {
                break;
            }
            if keep_blank && self.blank_line_before(c.start) && !self.out.ends_with("\n\n") {
                self.out.push('\n');
            }
            self.indent(indent);
            self.out.push_str(self.source[c.range()].trim_end());
            self.out.push('\n');
            self.next += 1;
        }
    }

    /// A comment on the same source line after `end`, appended to the current line.
    fn trailing(&mut self, end: u32) {
        if let Some(&c) = self.comments.get(self.next) {
            if c.start >= end && !self.source[end as usize..c.start as usize].contains('\n') {
                self.out.push_str("  ");
                self.out.push_str(self.source[c.range()].trim_end());
                self.next += 1;
            }
        }
    }

    /// Whether the source has an empty line just before `offset`'s line.
    fn blank_line_before(&self, offset: u32) -> bool {
        let before = &self.source[..offset as usize];
        let line_start = before.rfind('\n').map_or(0, |n| n);
        let prev = &before[..line_start];
        let prev_line_start = prev.rfind('\n').map_or(0, |n| n + 1);
        line_start > 0 && prev[prev_line_start..].trim().is_empty() && prev_line_start > 0
    }

    /// Whether the source between two offsets holds an empty line.
    fn gap_has_blank(&self, from: u32, to: u32) -> bool {
        let gap = &self.source[from as usize..to as usize];
        let mut lines = gap.split('\n');
        lines.next(); // the rest of the line `from` is on
        let mut inner: Vec<&str> = lines.collect();
        inner.pop(); // the start of the line `to` is on
        inner.iter().any(|l| l.trim().is_empty())
    }

    fn indent(&mut self, n: usize) {
        for _ in 0..n {
            self.out.push_str("  ");
        }
    }

    fn mapping(&mut self, m: &Mapping) {
        self.out.push_str("mapping ");
        self.out.push_str(&m.name.name);
        self.out.push_str(" {");
        let brace = self.source[m.name.span.end as usize..]
            .find('{')
            .map_or(m.name.span.end, |n| m.name.span.end + n as u32 + 1);
        self.trailing(brace);
        self.out.push('\n');
        for (n, clause) in m.clauses.iter().enumerate() {
            let blank = n > 0 && self.blank_line_before(clause.span.start);
            self.leading(clause.span.start, 1, n > 0);
            if blank && !self.out.ends_with("\n\n") && !self.out.ends_with("{\n") {
                self.out.push('\n');
            }
            self.indent(1);
            self.clause(clause);
        }
        self.leading(m.span.end.saturating_sub(1), 1, true);
        self.out.push_str("}\n");
    }

    fn clause(&mut self, clause: &Clause) {
        match &clause.kind {
            ClauseKind::On(trigger) => {
                self.out.push_str("on ");
                for (n, spec) in trigger.events.iter().enumerate() {
                    if n > 0 {
                        self.out.push_str(", ");
                    }
                    self.out.push_str(spec.event_type.as_str());
                    if !spec.names.is_empty() {
                        self.out.push('(');
                        let names: Vec<String> = spec.names.iter().map(|(s, _)| quote(s)).collect();
                        self.out.push_str(&names.join(", "));
                        self.out.push(')');
                    }
                }
                if let Some(cond) = &trigger.condition {
                    self.out.push_str(" where ");
                    self.out.push_str(&expr(cond));
                }
            }
            ClauseKind::Object(name) => {
                self.out.push_str("object ");
                self.out.push_str(&name.name);
            }
            ClauseKind::Operation(op) => {
                self.out.push_str(op.kind.as_str());
                if op.kind != OpKind::Create {
                    self.out.push_str(" match ");
                    let join = match op.join {
                        Join::And => " and ",
                        Join::Or => " or ",
                    };
                    let parts: Vec<String> = op
                        .matchers
                        .iter()
                        .map(|m| format!("{} = {}", m.field.name, expr(&m.value)))
                        .collect();
                    self.out.push_str(&parts.join(join));
                }
                if let Some((missing, _)) = op.on_missing {
                    self.out.push_str(match missing {
                        OnMissing::Skip => " else skip",
                        OnMissing::Error => " else error",
                    });
                }
            }
            ClauseKind::Fields(entries) => {
                self.fields(entries, clause.span);
                return;
            }
            ClauseKind::Use(preset) => {
                self.out.push_str("use ");
                self.out.push_str(&preset.name);
            }
            ClauseKind::Bulk(settings) => {
                self.out.push_str("bulk");
                if !settings.is_empty() {
                    self.out.push_str(" {\n");
                    for s in settings {
                        self.leading(s.span.start, 2, true);
                        self.indent(2);
                        self.out.push_str(&s.name.name);
                        self.out.push_str(" = ");
                        self.out.push_str(&expr(&s.value));
                        self.trailing(s.span.end);
                        self.out.push('\n');
                    }
                    self.leading(clause.span.end.saturating_sub(1), 2, true);
                    self.indent(1);
                    self.out.push('}');
                }
            }
        }
        self.trailing(clause.span.end);
        self.out.push('\n');
    }

    fn fields(&mut self, entries: &[FieldEntry], span: Span) {
        self.out.push_str("fields {");
        let brace = self.source[span.range()]
            .find('{')
            .map_or(span.start, |n| span.start + n as u32 + 1);
        self.trailing(brace);
        self.out.push('\n');
        // One rule decides both where a blank line is printed and where `=` alignment restarts:
        // a blank line anywhere between two entries in the source. Using one rule for both keeps
        // `fmt` idempotent.
        let gaps: Vec<bool> = (0..entries.len())
            .map(|n| {
                n > 0 && self.gap_has_blank(entries[n - 1].span().end, entries[n].span().start)
            })
            .collect();
        let mut widths = vec![0usize; entries.len()];
        let mut run_start = 0;
        for n in 0..=entries.len() {
            let breaks = n == entries.len() || gaps[n];
            if breaks {
                let width = entries[run_start..n]
                    .iter()
                    .filter_map(|e| match e {
                        FieldEntry::Assign { field, .. } => Some(field.name.len()),
                        FieldEntry::Spread(_) => None,
                    })
                    .max()
                    .unwrap_or(0);
                widths[run_start..n].fill(width);
                run_start = n;
            }
        }
        for (n, entry) in entries.iter().enumerate() {
            if gaps[n] {
                self.out.push('\n');
            }
            self.leading(entry.span().start, 2, false);
            self.indent(2);
            match entry {
                FieldEntry::Assign { field, value, .. } => {
                    self.out.push_str(&field.name);
                    for _ in field.name.len()..widths[n] {
                        self.out.push(' ');
                    }
                    self.out.push_str(" = ");
                    self.out.push_str(&expr(value));
                }
                FieldEntry::Spread(s) => {
                    self.out.push_str("...");
                    self.out.push_str(&path(&s.path));
                    if let Some((prefix, _)) = &s.prefix {
                        self.out.push_str(" prefix ");
                        self.out.push_str(&quote(prefix));
                    }
                    if let Some((suffix, _)) = &s.suffix {
                        self.out.push_str(" suffix ");
                        self.out.push_str(&quote(suffix));
                    }
                    if !s.except.is_empty() {
                        let keys: Vec<String> = s.except.iter().map(|(k, _)| key(k)).collect();
                        self.out.push_str(" except [");
                        self.out.push_str(&keys.join(", "));
                        self.out.push(']');
                    }
                    if s.keep_null.is_some() {
                        self.out.push_str(" keep_null");
                    }
                }
            }
            self.trailing(entry.span().end);
            self.out.push('\n');
        }
        self.leading(span.end.saturating_sub(1), 2, true);
        self.indent(1);
        self.out.push('}');
        self.trailing(span.end);
        self.out.push('\n');
    }
}

/// An expression in canonical form.
pub fn expr(e: &Expr) -> String {
    match &e.kind {
        ExprKind::Null => "null".into(),
        ExprKind::Bool(b) => b.to_string(),
        ExprKind::Number(n) => n.clone(),
        ExprKind::String(s) => quote(s),
        ExprKind::Template(parts) => {
            let mut out = String::from("\"");
            for part in parts {
                match part {
                    TemplatePart::Text(t) => out.push_str(&escape(t)),
                    TemplatePart::Expr(e) => {
                        out.push('{');
                        out.push_str(&expr(e));
                        out.push('}');
                    }
                }
            }
            out.push('"');
            out
        }
        ExprKind::List(items) => {
            let items: Vec<String> = items.iter().map(expr).collect();
            format!("[{}]", items.join(", "))
        }
        ExprKind::Path(p) => path(p),
        ExprKind::Call { name, args } => {
            let args: Vec<String> = args.iter().map(expr).collect();
            format!("{}({})", name.name, args.join(", "))
        }
        ExprKind::If(c, a, b) => format!("if {} then {} else {}", expr(c), expr(a), expr(b)),
        ExprKind::Not(inner) => format!("not {}", expr(inner)),
        ExprKind::Logic(op, a, b) => {
            let word = match op {
                super::ast::LogicOp::And => "and",
                super::ast::LogicOp::Or => "or",
            };
            format!("{} {word} {}", expr(a), expr(b))
        }
        ExprKind::Exists(inner) => format!("{} exists", expr(inner)),
        ExprKind::Compare(op, a, b) => format!("{} {} {}", expr(a), op.as_str(), expr(b)),
        ExprKind::Paren(inner) => format!("({})", expr(inner)),
    }
}

/// A path in canonical form: keys quoted only when they are not identifiers.
pub fn path(p: &Path) -> String {
    let mut out = String::new();
    for (n, seg) in p.segments.iter().enumerate() {
        match seg {
            PathSegment::Key { name, .. } => {
                if n > 0 {
                    out.push('.');
                }
                out.push_str(&key(name));
            }
            PathSegment::Index(i) => {
                out.push('[');
                out.push_str(&i.to_string());
                out.push(']');
            }
        }
    }
    out
}

/// A key (a path segment after `.`, or a spread's `except` entry): bare when it is an
/// identifier, quoted otherwise. A reserved word is a key like any other there (`traits.in`);
/// only where an operand may stand does it need [`super::is_bare_ident`].
pub fn key(k: &str) -> String {
    if super::lexeme::is_ident(k) {
        k.to_string()
    } else {
        quote(k)
    }
}

/// A string literal with escapes.
pub fn quote(s: &str) -> String {
    format!("\"{}\"", escape(s))
}

fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '{' => out.push_str("\\{"),
            '}' => out.push_str("\\}"),
            c if c.is_control() => out.push_str(&format!("\\u{{{:x}}}", c as u32)),
            c => out.push(c),
        }
    }
    out
}
