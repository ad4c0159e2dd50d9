//! Rendering with miette, used only by the CLI and by snapshot tests.

use std::fmt;

use miette::{
    GraphicalReportHandler, GraphicalTheme, LabeledSpan, MietteError, MietteSpanContents,
    NamedSource, SourceCode, SourceSpan, SpanContents,
};

use super::{Diagnostic, Label, Severity};
use crate::source::{SourceFile, Span};

/// A diagnostic paired with its source, implementing `miette::Diagnostic`.
struct WithSource<'a> {
    diag: &'a Diagnostic,
    source: Shown,
    /// The labels, with spans into `source`.
    labels: Vec<Label>,
}

/// The source as miette is shown it.
enum Shown {
    /// The whole text, as it is.
    Whole(NamedSource<String>),
    /// The text with its long lines cut down (see [`Clipped`]).
    Clipped(Clipped),
}

impl SourceCode for Shown {
    fn read_span<'a>(
        &'a self,
        span: &SourceSpan,
        before: usize,
        after: usize,
    ) -> Result<Box<dyn SpanContents<'a> + 'a>, MietteError> {
        match self {
            Shown::Whole(s) => s.read_span(span, before, after),
            Shown::Clipped(c) => c.read_span(span, before, after),
        }
    }
}

/// Lines longer than this many bytes are cut down around the labels before miette sees them:
/// miette pads a label's underline with `{:width$}`, which panics past 65,535 columns, and a
/// terminal gains nothing from a line of thousands of columns.
const MAX_LINE: usize = 1000;
/// Bytes kept on each side of a label's start and end in a cut line.
const MARGIN: usize = 40;
/// What stands for a cut part of a line.
const ELISION: &str = "…";

/// A source text whose long lines keep only the parts around the labels; each cut part is
/// replaced by [`ELISION`]. The line numbers are the original ones, and so are the columns
/// miette prints (it asks for them with a span of no context lines).
struct Clipped {
    name: String,
    text: String,
    /// The kept parts: (start in the original, end in the original, start in `text`), in order.
    kept: Vec<(usize, usize, usize)>,
    /// The original text's line starts, to give columns in the original.
    line_starts: Vec<usize>,
}

impl Clipped {
    /// Cuts `text`'s long lines around `points` (byte offsets: the labels' starts and ends);
    /// `None` when no line is long.
    fn new(name: &str, text: &str, points: &[usize]) -> Option<Clipped> {
        let mut line_starts = vec![0];
        line_starts.extend(text.match_indices('\n').map(|(i, _)| i + 1));
        let long = |n: usize| {
            let start = line_starts[n];
            let end = line_starts.get(n + 1).map_or(text.len(), |&e| e - 1);
            end - start > MAX_LINE
        };
        if !(0..line_starts.len()).any(long) {
            return None;
        }
        // The kept ranges of the original text: short lines whole, long lines around points.
        let mut ranges: Vec<(usize, usize)> = Vec::new();
        for n in 0..line_starts.len() {
            let start = line_starts[n];
            // Including the line break, if any.
            let end = line_starts.get(n + 1).copied().unwrap_or(text.len());
            if !long(n) {
                ranges.push((start, end));
                continue;
            }
            let content_end = if end > start && text.as_bytes()[end - 1] == b'\n' {
                end - 1
            } else {
                end
            };
            let mut line_ranges: Vec<(usize, usize)> = points
                .iter()
                .filter(|&&p| p >= start && p <= content_end)
                .map(|&p| {
                    (
                        floor_char(text, p.saturating_sub(MARGIN).max(start)),
                        ceil_char(text, (p + MARGIN).min(content_end)),
                    )
                })
                .collect();
            if line_ranges.is_empty() {
                // A context line: its beginning.
                line_ranges.push((start, ceil_char(text, start + MARGIN * 2)));
            }
            line_ranges.sort_unstable();
            for r in line_ranges {
                match ranges.last_mut() {
                    Some(last) if r.0 <= last.1 => last.1 = last.1.max(r.1),
                    _ => ranges.push(r),
                }
            }
            // The line break, after an elision if the line's end was cut.
            if end > content_end {
                ranges.push((content_end, end));
            }
        }
        let mut out = String::with_capacity(ranges.iter().map(|r| r.1 - r.0 + 3).sum());
        let mut kept = Vec::with_capacity(ranges.len());
        let mut at = 0;
        for (start, end) in ranges {
            if start > at {
                out.push_str(ELISION);
            }
            kept.push((start, end, out.len()));
            out.push_str(&text[start..end]);
            at = end;
        }
        if at < text.len() {
            out.push_str(ELISION);
        }
        Some(Clipped {
            name: name.to_string(),
            text: out,
            kept,
            line_starts,
        })
    }

    /// Where an original offset is in the cut text (an offset in a cut part: its elision).
    fn to_shown(&self, offset: usize) -> usize {
        let i = self.kept.partition_point(|k| k.0 <= offset);
        match i.checked_sub(1).map(|i| self.kept[i]) {
            Some((start, end, shown)) if offset <= end => shown + (offset - start),
            Some((_, end, shown)) => shown + (end - self.kept[i - 1].0),
            None => 0,
        }
    }

    /// The original offset of a place in the cut text (in an elision: the cut part's start).
    fn to_original(&self, shown: usize) -> usize {
        let i = self.kept.partition_point(|k| k.2 <= shown);
        match i.checked_sub(1).map(|i| self.kept[i]) {
            Some((start, end, at)) => (start + (shown - at)).min(end),
            None => 0,
        }
    }

    fn span(&self, span: Span) -> Span {
        Span::new(
            self.to_shown(span.start as usize),
            self.to_shown(span.end as usize),
        )
    }
}

impl SourceCode for Clipped {
    fn read_span<'a>(
        &'a self,
        span: &SourceSpan,
        before: usize,
        after: usize,
    ) -> Result<Box<dyn SpanContents<'a> + 'a>, MietteError> {
        let inner = self.text.as_str().read_span(span, before, after)?;
        // The column in the original line (miette counts bytes, as here).
        let column = if before == 0 {
            let original = self.to_original(span.offset());
            let line = self.line_starts.partition_point(|&s| s <= original) - 1;
            original - self.line_starts[line]
        } else {
            inner.column()
        };
        Ok(Box::new(MietteSpanContents::new_named(
            self.name.clone(),
            inner.data(),
            *inner.span(),
            inner.line(),
            column,
            inner.line_count(),
        )))
    }
}

fn floor_char(text: &str, mut i: usize) -> usize {
    while !text.is_char_boundary(i) {
        i -= 1;
    }
    i
}

fn ceil_char(text: &str, mut i: usize) -> usize {
    i = i.min(text.len());
    while !text.is_char_boundary(i) {
        i += 1;
    }
    i
}

impl fmt::Debug for WithSource<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.diag.message)
    }
}

impl fmt::Display for WithSource<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.diag.message)
    }
}

impl std::error::Error for WithSource<'_> {}

impl miette::Diagnostic for WithSource<'_> {
    fn code<'b>(&'b self) -> Option<Box<dyn fmt::Display + 'b>> {
        Some(Box::new(self.diag.code.as_str()))
    }

    fn severity(&self) -> Option<miette::Severity> {
        Some(match self.diag.severity {
            Severity::Error => miette::Severity::Error,
            Severity::Warning => miette::Severity::Warning,
        })
    }

    fn help<'b>(&'b self) -> Option<Box<dyn fmt::Display + 'b>> {
        let mut text = self.diag.help.clone().unwrap_or_default();
        for note in &self.diag.notes {
            if !text.is_empty() {
                text.push('\n');
            }
            text.push_str("note: ");
            text.push_str(note);
        }
        if text.is_empty() {
            None
        } else {
            Some(Box::new(text))
        }
    }

    fn url<'b>(&'b self) -> Option<Box<dyn fmt::Display + 'b>> {
        Some(Box::new(format!("docs/errors/{}.md", self.diag.code)))
    }

    fn source_code(&self) -> Option<&dyn SourceCode> {
        Some(&self.source)
    }

    fn labels(&self) -> Option<Box<dyn Iterator<Item = LabeledSpan> + '_>> {
        Some(Box::new(self.labels.iter().map(|l| {
            if l.primary {
                LabeledSpan::new_primary_with_span(Some(l.message.clone()), l.span)
            } else {
                LabeledSpan::new_with_span(Some(l.message.clone()), l.span)
            }
        })))
    }
}

/// How to draw diagnostics.
#[derive(Debug, Clone, Copy)]
pub struct Style {
    pub color: bool,
    pub width: usize,
}

impl Style {
    /// No colour, fixed width: what snapshots use.
    pub fn plain(width: usize) -> Style {
        Style {
            color: false,
            width,
        }
    }
}

/// Renders diagnostics of one file as text, trailing whitespace trimmed from every line.
pub fn render(source: &SourceFile, diags: &[Diagnostic], style: Style) -> String {
    let theme = if style.color {
        GraphicalTheme::unicode()
    } else {
        GraphicalTheme::unicode_nocolor()
    };
    let handler = GraphicalReportHandler::new_themed(theme)
        .without_syntax_highlighting()
        .with_links(false)
        .with_width(style.width);
    let mut out = String::new();
    for diag in diags {
        let points: Vec<usize> = diag
            .labels
            .iter()
            .flat_map(|l| [l.span.start as usize, l.span.end as usize])
            .collect();
        let with = match Clipped::new(&source.name, &source.text, &points) {
            None => WithSource {
                diag,
                source: Shown::Whole(NamedSource::new(&source.name, source.text.to_string())),
                labels: diag.labels.clone(),
            },
            Some(clipped) => WithSource {
                diag,
                labels: diag
                    .labels
                    .iter()
                    .map(|l| Label {
                        span: clipped.span(l.span),
                        ..l.clone()
                    })
                    .collect(),
                source: Shown::Clipped(clipped),
            },
        };
        let mut one = String::new();
        // Writing into a String cannot fail.
        let _ = handler.render_report(&mut one, &with);
        for line in one.lines() {
            out.push_str(line.trim_end());
            out.push('\n');
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diag::Code;

    /// Labels on long lines of multi-byte text, one spanning most of its line, one at the end
    /// of the file: rendered cut, with the original line and (byte) column.
    #[test]
    fn long_lines_are_cut_around_the_labels() {
        let long = "é".repeat(40_000);
        let text = format!("a = \"{long}\" b\n{long}\nc = {long}");
        let first = Span::new(4, 4 + long.len() + 2);
        let last = Span::new(text.len() - 2, text.len());
        let d = Diagnostic::new(Code::ValueTooLong, "too long", first, "here")
            .with_context(last, "and here");
        let out = render(
            &SourceFile::new("t.sfmap", text.clone()),
            &[d],
            Style::plain(100),
        );
        assert!(out.contains("[t.sfmap:1:5]"), "{out}");
        assert!(out.lines().all(|l| l.chars().count() < 200), "{out}");
        let shown: Vec<&str> = out.lines().filter(|l| l.contains('│')).collect();
        assert_eq!(shown.len(), 3, "{out}");
        assert!(
            shown[0].contains(&format!("a = \"{}…{}\" b", "é".repeat(20), "é".repeat(20))),
            "{out}"
        );
        assert!(
            shown[1].ends_with(&format!(" 2 │ {}…", "é".repeat(40))),
            "{out}"
        );
        assert!(
            shown[2].ends_with(&format!(" 3 │ …{}", "é".repeat(21))),
            "{out}"
        );
        // A diagnostic whose only label is on the last line gives that line's column.
        let d = Diagnostic::new(Code::ValueTooLong, "too long", last, "here");
        let out = render(
            &SourceFile::new("t.sfmap", text.clone()),
            &[d],
            Style::plain(100),
        );
        let col = text.len() - 2 - text.rfind('\n').unwrap() - 1 + 1;
        assert!(out.contains(&format!("[t.sfmap:3:{col}]")), "{out}");
    }
}
