//! A generated mapping before it becomes text: clauses and field lines with the comments that
//! explain them. Rendering keeps track of which line belongs to which mapping and field, so the
//! check step can disable exactly what the schema rejects.

use crate::compile::EVENT_ROOTS;
use crate::syntax::print::key;

/// One entry of a `fields` block.
#[derive(Debug, Clone)]
pub struct FieldLine {
    pub comments: Vec<String>,
    /// `Field = expr` or a spread, in `.sfmap` syntax.
    pub text: String,
    /// Why the line is written as a comment instead.
    pub disabled: Option<String>,
}

/// One mapping.
#[derive(Debug, Clone, Default)]
pub struct MappingSpec {
    pub name: String,
    /// Comment lines above the mapping.
    pub header: Vec<String>,
    pub on_comments: Vec<String>,
    pub on: String,
    pub object: String,
    pub op_comments: Vec<String>,
    pub op: String,
    pub fields: Vec<FieldLine>,
    /// (comments, preset name)
    pub uses: Vec<(Vec<String>, String)>,
    /// Comment lines at the end of the body.
    pub footer: Vec<String>,
    /// Why the whole mapping is written as comments.
    pub disabled: Option<String>,
    /// The report item this mapping belongs to (for notes added by the check step).
    pub topic: String,
}

impl MappingSpec {
    pub fn field(&mut self, comments: &[&str], text: impl Into<String>) {
        self.fields.push(FieldLine {
            comments: comments.iter().map(|c| (*c).to_string()).collect(),
            text: text.into(),
            disabled: None,
        });
    }
}

/// What a line of the rendered text belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LineOwner {
    pub mapping: usize,
    pub field: Option<usize>,
}

/// Renders the mappings as (not yet canonical) `.sfmap` text, with the owner of each line.
pub fn render(header: &[String], specs: &[MappingSpec]) -> (String, Vec<Option<LineOwner>>) {
    let mut out = Vec::<(String, Option<LineOwner>)>::new();
    for h in header {
        out.push((comment(h, 0), None));
    }
    for (mi, m) in specs.iter().enumerate() {
        if !out.is_empty() {
            out.push((String::new(), None));
        }
        for h in &m.header {
            out.push((comment(h, 0), None));
        }
        let owner = |field| Some(LineOwner { mapping: mi, field });
        let mut body = Vec::<(String, Option<LineOwner>)>::new();
        body.push((format!("mapping {} {{", m.name), owner(None)));
        for c in &m.on_comments {
            body.push((comment(c, 1), owner(None)));
        }
        body.push((format!("  on {}", m.on), owner(None)));
        body.push((format!("  object {}", m.object), owner(None)));
        for c in &m.op_comments {
            body.push((comment(c, 1), owner(None)));
        }
        body.push((format!("  {}", m.op), owner(None)));
        if !m.fields.is_empty() {
            body.push(("  fields {".into(), owner(None)));
            for (fi, f) in m.fields.iter().enumerate() {
                for c in &f.comments {
                    body.push((comment(c, 2), owner(Some(fi))));
                }
                match &f.disabled {
                    None => body.push((format!("    {}", f.text), owner(Some(fi)))),
                    Some(why) => {
                        body.push((
                            comment(&format!("Not carried over: {why}"), 2),
                            owner(Some(fi)),
                        ));
                        body.push((comment(&f.text, 2), owner(Some(fi))));
                    }
                }
            }
            body.push(("  }".into(), owner(None)));
        }
        for (comments, preset) in &m.uses {
            for c in comments {
                body.push((comment(c, 1), owner(None)));
            }
            body.push((format!("  use {preset}"), owner(None)));
        }
        for c in &m.footer {
            body.push((comment(c, 1), owner(None)));
        }
        body.push(("}".into(), owner(None)));
        match &m.disabled {
            None => out.extend(body),
            Some(why) => {
                out.push((comment(&format!("NOT GENERATED: {why}"), 0), owner(None)));
                out.push((
                    comment("The mapping below is what a faithful migration needs; fix the cause and uncomment it.", 0),
                    owner(None),
                ));
                // Canonical layout first, so that uncommenting gives a formatted mapping.
                let raw: String = body.iter().map(|(l, _)| format!("{l}\n")).collect();
                let parsed = crate::syntax::parse(&raw);
                let printed = if parsed.diagnostics.is_empty() {
                    crate::syntax::print::print(&parsed.file, &raw)
                } else {
                    raw
                };
                for line in printed.lines() {
                    let text = if line.is_empty() {
                        "#".to_string()
                    } else {
                        format!("# {line}")
                    };
                    out.push((text, owner(None)));
                }
            }
        }
    }
    let mut text = String::new();
    let mut owners = Vec::new();
    for (line, owner) in out {
        text.push_str(&line);
        text.push('\n');
        owners.push(owner);
    }
    (text, owners)
}

/// A `#` comment line at an indent level; newlines in the text become spaces.
fn comment(text: &str, indent: usize) -> String {
    let clean: String = text
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    format!("{}# {}", "  ".repeat(indent), clean.trim_end())
}

/// A Classic dot path (`properties.priority`, `traits.address.city`, `$.userId`) as an `.sfmap`
/// path, or `None` when its root is not part of a Segment event.
pub fn event_path(classic: &str) -> Option<String> {
    let p = classic.trim();
    let p = p.strip_prefix("$.").unwrap_or(p);
    let mut parts = p.split('.');
    let root = parts.next()?;
    if !EVENT_ROOTS.contains(&root) {
        return None;
    }
    Some(under(root, parts))
}

/// `base` followed by the keys of a dotted trait name: `traits` + `address.city`.
pub fn path_under(base: &str, dotted: &str) -> String {
    under(base, dotted.split('.'))
}

fn under<'a>(base: &str, parts: impl Iterator<Item = &'a str>) -> String {
    let mut out = base.to_string();
    for seg in parts {
        if !seg.is_empty() && seg.chars().all(|c| c.is_ascii_digit()) {
            out.push_str(&format!("[{seg}]"));
        } else {
            out.push('.');
            out.push_str(&key(seg));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::syntax::{self, ast};

    /// The keys of the path in `Description = PATH`, as the parser reads them back.
    fn parsed_keys(text: &str) -> Vec<String> {
        let parsed = syntax::parse(text);
        assert!(
            parsed.diagnostics.is_empty(),
            "{text}: {:?}",
            parsed.diagnostics
        );
        let mut keys = Vec::new();
        for clause in &parsed.file.mappings[0].clauses {
            if let ast::ClauseKind::Fields(entries) = &clause.kind {
                for entry in entries {
                    match entry {
                        ast::FieldEntry::Assign { value, .. } => {
                            let ast::ExprKind::Path(p) = &value.kind else {
                                panic!("{text}: not a path");
                            };
                            for seg in &p.segments {
                                if let ast::PathSegment::Key { name, .. } = seg {
                                    keys.push(name.clone());
                                }
                            }
                        }
                        ast::FieldEntry::Spread(s) => {
                            keys.extend(s.except.iter().map(|(k, _)| k.clone()));
                        }
                    }
                }
            }
        }
        keys
    }

    #[test]
    fn generated_keys_parse_back_as_written() {
        let cases: &[(&str, &str)] = &[
            ("in.group", "traits.in.group"),
            ("true.not.mapping", "traits.true.not.mapping"),
            ("first name.x-y", "traits.\"first name\".\"x-y\""),
            ("a\"b{c}", "traits.\"a\\\"b\\{c\\}\""),
        ];
        for (dotted, want) in cases {
            let path = path_under("traits", dotted);
            assert_eq!(&path, want);
            let text = format!(
                "mapping m {{\n  on identify\n  object Lead\n  create\n  fields {{\n    Description = {path}\n  }}\n}}\n"
            );
            let mut keys = vec!["traits".to_string()];
            keys.extend(dotted.split('.').map(str::to_string));
            assert_eq!(parsed_keys(&text), keys, "{text}");
        }
        let words = ["in", "and", "group", "if", "x y"];
        let except: Vec<String> = words.iter().map(|k| key(k)).collect();
        let text = format!(
            "mapping m {{\n  on identify\n  object Lead\n  create\n  fields {{\n    ...traits except [{}]\n  }}\n}}\n",
            except.join(", ")
        );
        assert_eq!(parsed_keys(&text), words, "{text}");
    }
}
