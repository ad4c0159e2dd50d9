//! The runtime vocabulary: every word `run`, `replay` and `eval` show a user about an event's
//! fate has a type here, and a row in `docs/outcomes/`.
//!
//! - [`Outcome`]: what happened to an event for one mapping (`created`, `failed`, …);
//! - [`LedgerState`]: where the ledger says an event is (`sent`, `done`);
//! - [`WriteKind`]: the kind of record write sent to Salesforce;
//! - [`Code`] and [`RunCode`]: why an event failed, in sfmap's words or Salesforce's;
//! - [`Failure`]: a code and a message.
//!
//! Pure data: the eval core and the delivery core both speak it, neither owns it.

mod codes;

pub use codes::{RunCode, Stage};

use serde::{Serialize, Serializer};

macro_rules! word_enum {
    ($(#[$doc:meta])* $name:ident { $( $(#[$vdoc:meta])* $variant:ident = $text:literal, )* }) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
        pub enum $name { $( $(#[$vdoc])* #[serde(rename = $text)] $variant, )* }

        impl $name {
            /// Every value, in declaration order.
            pub const ALL: &'static [$name] = &[ $( $name::$variant, )* ];

            /// The word as written in reports, the ledger and docs.
            pub fn as_str(self) -> &'static str {
                match self { $( $name::$variant => $text, )* }
            }

            /// The value written as `text`.
            pub fn parse(text: &str) -> Option<$name> {
                match text { $( $text => Some($name::$variant), )* _ => None }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

word_enum! {
    /// What happened to one event for one mapping. Declared in alphabetical order, so counts
    /// keyed by it list as they always have.
    Outcome {
        /// A record was created.
        Created = "created",
        /// A record was deleted (or created and deleted within one flush).
        Deleted = "deleted",
        /// The event could not be delivered; its code says why.
        Failed = "failed",
        /// Nothing to write: no mapping fires, already delivered, nothing changed, …
        Skipped = "skipped",
        /// An existing record was updated (or a create merged several events: the later
        /// ones count as updates of the record it made).
        Updated = "updated",
        /// Dry run: the event would create a record.
        WouldCreate = "would_create",
        /// Dry run: the event would delete a record.
        WouldDelete = "would_delete",
        /// Dry run: the event would update a record.
        WouldUpdate = "would_update",
        /// Dry run: the event would upsert a record by external id.
        WouldUpsert = "would_upsert",
    }
}

word_enum! {
    /// An event's state in the ledger.
    LedgerState {
        /// A write carrying the event went out; its result is not recorded yet.
        Sent = "sent",
        /// The event's outcome is recorded.
        Done = "done",
    }
}

word_enum! {
    /// A record write as it goes to Salesforce. The ledger stores a Bulk API job's kind by
    /// these words (`insert`, not `create`: the Bulk API's names, which earlier ledgers hold).
    WriteKind {
        /// A new record.
        Create = "insert",
        /// An existing record, by Id.
        Update = "update",
        /// Create or update by external id.
        Upsert = "upsert",
        /// An existing record, by Id.
        Delete = "delete",
        /// Bulk delete that bypasses the recycle bin.
        HardDelete = "hardDelete",
    }
}

impl WriteKind {
    /// The outcome of an event whose write succeeded; `created` tells an upsert's create from
    /// its update.
    pub fn success(self, created: bool) -> Outcome {
        match self {
            WriteKind::Create => Outcome::Created,
            WriteKind::Delete | WriteKind::HardDelete => Outcome::Deleted,
            WriteKind::Update => Outcome::Updated,
            WriteKind::Upsert if created => Outcome::Created,
            WriteKind::Upsert => Outcome::Updated,
        }
    }

    /// The dry-run outcome of an event this write would carry.
    pub fn would(self) -> Outcome {
        match self {
            WriteKind::Create => Outcome::WouldCreate,
            WriteKind::Update => Outcome::WouldUpdate,
            WriteKind::Upsert => Outcome::WouldUpsert,
            WriteKind::Delete | WriteKind::HardDelete => Outcome::WouldDelete,
        }
    }

    /// Whether the write removes the record (its CSV holds only Ids).
    pub fn is_delete(self) -> bool {
        matches!(self, WriteKind::Delete | WriteKind::HardDelete)
    }
}

/// Why an event failed: one of sfmap's codes, or Salesforce's own.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Code {
    Run(RunCode),
    /// A code Salesforce answered (`DUPLICATE_VALUE`, `INVALID_FIELD`, …).
    Salesforce(String),
}

impl Code {
    /// The code as written; one of sfmap's own when the text names one.
    pub fn parse(text: &str) -> Code {
        RunCode::parse(text).map_or_else(|| Code::Salesforce(text.to_string()), Code::Run)
    }

    pub fn as_str(&self) -> &str {
        match self {
            Code::Run(c) => c.as_str(),
            Code::Salesforce(s) => s,
        }
    }
}

impl From<RunCode> for Code {
    fn from(c: RunCode) -> Code {
        Code::Run(c)
    }
}

impl std::fmt::Display for Code {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for Code {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

/// A failed event's code and message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    pub code: Code,
    pub message: String,
}

impl Failure {
    pub fn new(code: impl Into<Code>, message: impl Into<String>) -> Failure {
        Failure {
            code: code.into(),
            message: message.into(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_round_trip() {
        for o in Outcome::ALL {
            assert_eq!(Outcome::parse(o.as_str()), Some(*o));
            assert_eq!(serde_json::to_value(o).unwrap(), o.as_str());
        }
        for k in WriteKind::ALL {
            assert_eq!(WriteKind::parse(k.as_str()), Some(*k));
        }
        for s in LedgerState::ALL {
            assert_eq!(LedgerState::parse(s.as_str()), Some(*s));
        }
        for c in RunCode::ALL {
            assert_eq!(Code::parse(c.as_str()), Code::Run(*c));
            assert_eq!(serde_json::to_value(c).unwrap(), c.as_str());
        }
        assert_eq!(
            Code::parse("DUPLICATE_VALUE"),
            Code::Salesforce("DUPLICATE_VALUE".into())
        );
        assert_eq!(WriteKind::parse("remove"), None);
    }

    #[test]
    fn an_upsert_tells_create_from_update() {
        assert_eq!(WriteKind::Upsert.success(true), Outcome::Created);
        assert_eq!(WriteKind::Upsert.success(false), Outcome::Updated);
        assert_eq!(WriteKind::Create.success(false), Outcome::Created);
        assert_eq!(WriteKind::HardDelete.would(), Outcome::WouldDelete);
    }
}
