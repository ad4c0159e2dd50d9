//! Rendering with miette, used only by the CLI and by snapshot tests.

use std::fmt;

use miette::{GraphicalReportHandler, GraphicalTheme, LabeledSpan, NamedSource, SourceCode};

use super::{Diagnostic, Severity};
use crate::source::SourceFile;

/// A diagnostic paired with its source, implementing `miette::Diagnostic`.
struct WithSource<'a> {
    diag: &'a Diagnostic,
    source: NamedSource<String>,
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
        Some(Box::new(self.diag.labels.iter().map(|l| {
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
        let with = WithSource {
            diag,
            source: NamedSource::new(&source.name, source.text.to_string()),
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
