//! Mapping and clause productions.

use super::Parser;
use super::ast::{
    BulkSetting, Clause, ClauseKind, EventSpec, EventType, FieldEntry, Join, Matcher, OnMissing,
    OpKind, Operation, Preset, Spread, Trigger,
};
use super::error::SyntaxError;
use super::expr::cut;
use super::lexeme::{PResult, fail};
use crate::diag::Code;

/// Words that start a clause; recovery skips to the next line that starts with one.
pub(crate) const CLAUSE_WORDS: &[&str] = &[
    "on", "object", "create", "add", "update", "upsert", "delete", "fields", "use", "bulk",
];

impl Parser {
    /// `clause = trigger | object_clause | operation | fields_block | use_clause | bulk_block`
    pub(crate) fn clause<'a>(&self, i: &'a str) -> PResult<'a, Clause> {
        self.hit("clause");
        let start = self.ws(i);
        let (rest, kind) = if self.peek_kw(start, "on") {
            self.trigger(start)?
        } else if self.peek_kw(start, "object") {
            self.hit("object_clause");
            let (rest, _) = self.kw(start, "object")?;
            let (rest, name) = self.ident(rest, "an object name").map_err(cut)?;
            (rest, ClauseKind::Object(name))
        } else if ["create", "add", "update", "upsert", "delete"]
            .iter()
            .any(|w| self.peek_kw(start, w))
        {
            self.operation(start)?
        } else if self.peek_kw(start, "fields") {
            self.fields_block(start)?
        } else if self.peek_kw(start, "use") {
            self.use_clause(start)?
        } else if self.peek_kw(start, "bulk") {
            self.bulk_block(start)?
        } else {
            return Err(nom::Err::Failure(
                SyntaxError::new(start, Code::UnexpectedToken, "a clause or `}`").help(
                    "a mapping holds the clauses `on`, `object`, an operation \
                     (`create`, `add`, `update`, `upsert`, `delete`), `fields`, `use` and `bulk`",
                ),
            ));
        };
        Ok((
            rest,
            Clause {
                kind,
                span: self.span(start, rest),
            },
        ))
    }

    /// `trigger = "on" event_spec { "," event_spec } [ "where" expr ]`
    fn trigger<'a>(&self, i: &'a str) -> PResult<'a, ClauseKind> {
        self.hit("trigger");
        let (mut i, _) = self.kw(i, "on")?;
        let mut events = Vec::new();
        loop {
            let (rest, spec) = self.event_spec(i).map_err(cut)?;
            events.push(spec);
            i = rest;
            if self.peek_punct(i, ",") {
                i = self.punct(i, ",")?.0;
            } else {
                break;
            }
        }
        let mut condition = None;
        if self.peek_kw(i, "where") {
            let (rest, _) = self.kw(i, "where")?;
            let (rest, cond) = self.expr(rest).map_err(cut)?;
            condition = Some(cond);
            i = rest;
        }
        Ok((i, ClauseKind::On(Trigger { events, condition })))
    }

    /// `event_spec = event_type [ "(" plain_string { "," plain_string } ")" ]`
    /// `event_type = "identify" | "track" | "group" | "page" | "screen" | "alias"`
    fn event_spec<'a>(&self, i: &'a str) -> PResult<'a, EventSpec> {
        self.hit("event_spec");
        let start = self.ws(i);
        let (rest, name) = self.ident(start, "an event type").map_err(cut)?;
        let Some(event_type) = EventType::from_name(&name.name) else {
            let mut err = SyntaxError::new(start, Code::UnexpectedToken, "an event type")
                .help("event types are identify, track, group, page, screen and alias");
            err.width = name.span.len();
            return Err(nom::Err::Failure(err));
        };
        self.hit("event_type");
        let mut names = Vec::new();
        let mut rest = rest;
        if self.peek_punct(rest, "(") {
            let (after, _) = self.punct(rest, "(")?;
            let (after, list, _) = self.comma_list(after, ")", |p, i| p.plain_string(i))?;
            names = list;
            rest = after;
        }
        Ok((
            rest,
            EventSpec {
                event_type,
                names,
                span: self.span(start, rest),
            },
        ))
    }

    /// `operation = "create" | "add" matchers
    ///            | ( "add" | "upsert" ) matchers
    ///            | ( "update" | "delete" ) matchers [ on_missing ]`
    fn operation<'a>(&self, i: &'a str) -> PResult<'a, ClauseKind> {
        self.hit("operation");
        let start = self.ws(i);
        let (rest, word) = self.ident(start, "an operation")?;
        let kind = match word.name.as_str() {
            "create" => OpKind::Create,
            "add" => OpKind::Add,
            "update" => OpKind::Update,
            "upsert" => OpKind::Upsert,
            _ => OpKind::Delete,
        };
        let mut op = Operation {
            kind,
            kind_span: word.span,
            matchers: Vec::new(),
            join: Join::Or,
            on_missing: None,
        };
        if kind == OpKind::Create {
            return Ok((rest, ClauseKind::Operation(op)));
        }
        let (mut rest, (matchers, join)) = self.matchers(rest).map_err(cut)?;
        op.matchers = matchers;
        op.join = join;
        if matches!(kind, OpKind::Update | OpKind::Delete) && self.peek_kw(rest, "else") {
            let (after, (value, span)) = self.on_missing(rest)?;
            op.on_missing = Some((value, span));
            rest = after;
        }
        Ok((rest, ClauseKind::Operation(op)))
    }

    /// `matchers = "match" matcher { ( "and" | "or" ) matcher }`
    fn matchers<'a>(&self, i: &'a str) -> PResult<'a, (Vec<Matcher>, Join)> {
        self.hit("matchers");
        let (mut i, _) = self.kw(i, "match")?;
        let mut list = vec![];
        let mut join: Option<(Join, crate::source::Span)> = None;
        loop {
            let (rest, m) = self.matcher(i).map_err(cut)?;
            list.push(m);
            i = rest;
            let next = if self.peek_kw(i, "and") {
                Join::And
            } else if self.peek_kw(i, "or") {
                Join::Or
            } else {
                break;
            };
            let word = if next == Join::And { "and" } else { "or" };
            let at = self.ws(i);
            let (rest, span) = self.kw(i, word)?;
            if let Some((first, _)) = join {
                if first != next {
                    let mut err =
                        SyntaxError::new(at, Code::MixedMatcherJoin, "matchers mix `and` and `or`")
                            .help("join all matchers of a mapping with `and`, or all with `or`");
                    err.width = span.len();
                    return Err(nom::Err::Failure(err));
                }
            } else {
                join = Some((next, span));
            }
            i = rest;
        }
        Ok((i, (list, join.map_or(Join::Or, |(j, _)| j))))
    }

    /// `matcher = ident "=" operand`
    fn matcher<'a>(&self, i: &'a str) -> PResult<'a, Matcher> {
        self.hit("matcher");
        let (i, field) = self.ident(i, "a field name").map_err(cut)?;
        let (i, _) = self.punct(i, "=").map_err(cut)?;
        let (i, value) = self.test_expr(i).map_err(cut)?;
        Ok((i, Matcher { field, value }))
    }

    /// `on_missing = "else" ( "skip" | "error" )`
    fn on_missing<'a>(&self, i: &'a str) -> PResult<'a, (OnMissing, crate::source::Span)> {
        self.hit("on_missing");
        let (rest, kw) = self.kw(i, "else")?;
        if self.peek_kw(rest, "skip") {
            let (rest, s) = self.kw(rest, "skip")?;
            Ok((rest, (OnMissing::Skip, kw.to(s))))
        } else if self.peek_kw(rest, "error") {
            let (rest, s) = self.kw(rest, "error")?;
            Ok((rest, (OnMissing::Error, kw.to(s))))
        } else {
            Err(cut(
                fail::<()>(self.ws(rest), "`skip` or `error`").unwrap_err()
            ))
        }
    }

    /// `fields_block = "fields" "{" { field_entry [ "," ] } "}"` — entries recover one by one:
    /// a bad entry is reported and the parser resumes on the next line.
    fn fields_block<'a>(&self, i: &'a str) -> PResult<'a, ClauseKind> {
        self.hit("fields_block");
        let (rest, _) = self.kw(i, "fields")?;
        let (mut i, _) = self.punct(rest, "{").map_err(cut)?;
        let mut entries = Vec::new();
        loop {
            i = self.ws(i);
            if i.is_empty() {
                return Err(nom::Err::Failure(
                    SyntaxError::new(i, Code::UnexpectedToken, "`}` to close `fields`")
                        .help("every `{` needs a matching `}`"),
                ));
            }
            if let Some(rest) = i.strip_prefix('}') {
                return Ok((rest, ClauseKind::Fields(entries)));
            }
            match self.field_entry(i) {
                Ok((rest, entry)) => {
                    entries.push(entry);
                    i = rest;
                    if self.peek_punct(i, ",") {
                        i = self.punct(i, ",")?.0;
                    }
                }
                Err(nom::Err::Error(e) | nom::Err::Failure(e)) => {
                    self.errors.borrow_mut().push(e);
                    i = self.skip_entry(i);
                }
                Err(nom::Err::Incomplete(_)) => return fail(i, "a field"),
            }
        }
    }

    /// Skips the rest of a bad field entry: to the next line (or a `}` that closes the block).
    fn skip_entry<'a>(&self, i: &'a str) -> &'a str {
        let line_end = i.find('\n').map_or(i.len(), |n| n + 1);
        let first = &i[..line_end];
        // A `}` on the same line, outside a string, closes the block.
        if let Some(pos) = first.find('}') {
            if !first[..pos].contains('"') {
                return &i[pos..];
            }
        }
        &i[line_end..]
    }

    /// `field_entry = ident "=" expr | spread`
    fn field_entry<'a>(&self, i: &'a str) -> PResult<'a, FieldEntry> {
        self.hit("field_entry");
        let start = self.ws(i);
        if start.starts_with("...") {
            return self.spread(start).map(|(r, s)| (r, FieldEntry::Spread(s)));
        }
        let (rest, field) = self.ident(start, "a field name or `}`")?;
        let (rest, _) = self.punct(rest, "=").map_err(cut)?;
        let (rest, value) = self.expr(rest).map_err(cut)?;
        Ok((
            rest,
            FieldEntry::Assign {
                field,
                value,
                span: self.span(start, rest),
            },
        ))
    }

    /// `spread = "..." path [ "prefix" plain_string ] [ "suffix" plain_string ]
    ///           [ "except" "[" [ key { "," key } [ "," ] ] "]" ] [ "keep_null" ]`
    /// `key = ident | plain_string`
    fn spread<'a>(&self, i: &'a str) -> PResult<'a, Spread> {
        self.hit("spread");
        let (rest, _) = self.punct(i, "...")?;
        let (mut rest, path) = self.path(rest).map_err(cut)?;
        let mut spread = Spread {
            path,
            prefix: None,
            suffix: None,
            except: Vec::new(),
            keep_null: None,
            span: Default::default(),
        };
        if self.peek_kw(rest, "prefix") {
            let (after, _) = self.kw(rest, "prefix")?;
            let (after, s) = self.plain_string(after).map_err(cut)?;
            spread.prefix = Some(s);
            rest = after;
        }
        if self.peek_kw(rest, "suffix") {
            let (after, _) = self.kw(rest, "suffix")?;
            let (after, s) = self.plain_string(after).map_err(cut)?;
            spread.suffix = Some(s);
            rest = after;
        }
        if self.peek_kw(rest, "except") {
            let (after, _) = self.kw(rest, "except")?;
            let (after, _) = self.punct(after, "[").map_err(cut)?;
            let (after, keys, _) = self.comma_list(after, "]", |p, i| {
                p.hit("key");
                if p.peek_punct(i, "\"") {
                    p.plain_string(i)
                } else {
                    p.ident(i, "a key").map(|(r, id)| (r, (id.name, id.span)))
                }
            })?;
            spread.except = keys;
            rest = after;
        }
        // Not a field named `keep_null` on the next line: no `=` follows.
        if self.peek_kw(rest, "keep_null") {
            let (after, span) = self.kw(rest, "keep_null")?;
            if !self.peek_punct(after, "=") {
                spread.keep_null = Some(span);
                rest = after;
            }
        }
        spread.span = self.span(i, rest);
        Ok((rest, spread))
    }

    /// `use_clause = "use" preset_name`, `preset_name = ident { "." ident }`
    fn use_clause<'a>(&self, i: &'a str) -> PResult<'a, ClauseKind> {
        self.hit("use_clause");
        self.hit("preset_name");
        let (rest, _) = self.kw(i, "use")?;
        let start = self.ws(rest);
        let (mut rest, first) = self.ident(start, "a preset name").map_err(cut)?;
        let mut name = first.name;
        while let Some(after) = rest.strip_prefix('.') {
            let (after, part) = self.ident(after, "a preset name part").map_err(cut)?;
            name.push('.');
            name.push_str(&part.name);
            rest = after;
        }
        Ok((
            rest,
            ClauseKind::Use(Preset {
                name,
                span: self.span(start, rest),
            }),
        ))
    }

    /// `bulk_block = "bulk" [ "{" { bulk_setting [ "," ] } "}" ]`
    /// `bulk_setting = ( "batch_size" | "hard_delete" ) "=" literal`
    fn bulk_block<'a>(&self, i: &'a str) -> PResult<'a, ClauseKind> {
        self.hit("bulk_block");
        let (mut rest, _) = self.kw(i, "bulk")?;
        let mut settings = Vec::new();
        if self.peek_punct(rest, "{") {
            rest = self.punct(rest, "{")?.0;
            loop {
                if self.peek_punct(rest, "}") {
                    rest = self.punct(rest, "}")?.0;
                    break;
                }
                self.hit("bulk_setting");
                let start = self.ws(rest);
                let (after, name) = self
                    .ident(start, "a bulk setting (`batch_size`, `hard_delete`) or `}`")
                    .map_err(cut)?;
                let (after, _) = self.punct(after, "=").map_err(cut)?;
                let (after, value) = self.operand(after).map_err(cut)?;
                settings.push(BulkSetting {
                    name,
                    value,
                    span: self.span(start, after),
                });
                rest = after;
                if self.peek_punct(rest, ",") {
                    rest = self.punct(rest, ",")?.0;
                }
            }
        }
        Ok((rest, ClauseKind::Bulk(settings)))
    }
}
