//! The registry of sfmap's runtime codes: why an event failed when sfmap (not Salesforce) says
//! so. Codes are permanent: never rename or reuse one. Each has `docs/outcomes/<CODE>.md`;
//! `tests/run/vocabulary.rs` enforces it, as `tests/lang/diagnostics.rs` does for compile codes.
//!
//! Salesforce's own codes (`DUPLICATE_VALUE`, `INVALID_FIELD`, …) are not listed here: they
//! pass through as [`super::Code::Salesforce`].

use serde::Serialize;

/// Where a code comes from: the stage that decided the event's fate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Stage {
    /// Reading or evaluating the event (no request was made for it).
    Eval,
    /// Planning the flush against the records the lookup found.
    Plan,
    /// Sending the writes, or reading Salesforce's answer.
    Send,
}

macro_rules! run_codes {
    ($( $(#[$doc:meta])* $variant:ident = $code:literal, $stage:ident, $title:literal; )*) => {
        /// A stable runtime code of sfmap's own.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
        pub enum RunCode { $( $(#[$doc])* #[serde(rename = $code)] $variant, )* }

        impl RunCode {
            /// Every code, in registry order.
            pub const ALL: &'static [RunCode] = &[ $( RunCode::$variant, )* ];

            /// The code as written in reports, the ledger and docs, e.g. `NOT_FOUND`.
            pub fn as_str(self) -> &'static str {
                match self { $( RunCode::$variant => $code, )* }
            }

            /// A short title, the heading of the code's docs page.
            pub fn title(self) -> &'static str {
                match self { $( RunCode::$variant => $title, )* }
            }

            /// The stage that emits the code.
            pub fn stage(self) -> Stage {
                match self { $( RunCode::$variant => Stage::$stage, )* }
            }

            /// The code written as `text`, if it is one of sfmap's.
            pub fn parse(text: &str) -> Option<RunCode> {
                match text { $( $code => Some(RunCode::$variant), )* _ => None }
            }
        }
    };
}

run_codes! {
    /// The line is not a JSON object (or not UTF-8).
    MalformedEvent = "MALFORMED_EVENT", Eval, "malformed event";
    /// A number the mapping reads is beyond a double's range (`1e400`).
    NumberOutOfRange = "NUMBER_OUT_OF_RANGE", Eval, "number out of range";
    /// A matcher's path is absent in the event.
    UndefinedMatcher = "UNDEFINED_MATCHER", Eval, "matcher value absent";
    /// A matcher value is an object or an array.
    UnsupportedMatcherType = "UNSUPPORTED_MATCHER_TYPE", Eval, "matcher value of an unsupported type";
    /// A matcher on `Id` whose value is not a record Id.
    MalformedId = "MALFORMED_ID", Eval, "malformed record Id";
    /// A value whose type does not fit its field.
    TypeMismatch = "TYPE_MISMATCH", Eval, "value does not fit the field's type";
    /// A text value longer than its field allows.
    ValueTooLong = "VALUE_TOO_LONG", Eval, "value too long for the field";
    /// A value that is not a date or datetime where one is needed.
    InvalidDate = "INVALID_DATE", Eval, "invalid date";
    /// `to_number()` of a value that is not a number.
    NotANumber = "NOT_A_NUMBER", Eval, "not a number";
    /// `to_bool()` of a value that is not true or false.
    NotABoolean = "NOT_A_BOOLEAN", Eval, "not a boolean";
    /// A `jmes()` expression failed on the event.
    JmespathError = "JMESPATH_ERROR", Eval, "JMESPath expression failed";
    /// The event would create a record but lacks a field required to create it.
    MissingRequired = "MISSING_REQUIRED", Plan, "required field missing on create";
    /// An update or delete matched no record (and the mapping does not say `else skip`).
    NotFound = "NOT_FOUND", Plan, "no record matches";
    /// Several records match the event's matchers.
    MultipleMatches = "MULTIPLE_MATCHES", Plan, "several records match";
    /// The batched lookup query failed for a reason Salesforce gave no code for.
    LookupFailed = "LOOKUP_FAILED", Send, "lookup failed";
    /// A write's rows could not be encoded as a Bulk API CSV upload.
    InvalidCsv = "INVALID_CSV", Send, "cannot encode the Bulk API upload";
    /// A Bulk API job ended without processing the row.
    NotProcessed = "NOT_PROCESSED", Send, "row not processed by the Bulk API job";
    /// A create was sent, its answer lost, and the retry returned no result either.
    OutcomeUnknown = "OUTCOME_UNKNOWN", Send, "write outcome unknown";
    /// Salesforce rejected a record without saying why.
    Failed = "FAILED", Send, "record rejected without a reason";
    /// A request failed without a Salesforce error code (a transport error, say).
    SalesforceError = "SALESFORCE_ERROR", Send, "request failed";
    /// Salesforce's answer lacks what the API promises (a query without `records`).
    BadResponse = "BAD_RESPONSE", Send, "malformed answer from Salesforce";
    /// sfmap lost track of the event's result: a bug, please report it.
    Internal = "INTERNAL", Send, "internal error";
}

impl std::fmt::Display for RunCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}
