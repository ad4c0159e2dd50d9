//! The registry of diagnostic codes. Codes are permanent: never renumber or reuse one.
//!
//! Ranges: E01xx syntax, E02xx names and presets, E03xx types and values, E04xx Salesforce
//! schema and operations, W0xxx lints (warnings). Each code has `docs/errors/<CODE>.md` and a
//! failing fixture under `tests/fixtures/check/fail/`; `tests/lang/diagnostics.rs` enforces both.

use serde::Serialize;

use super::Severity;

macro_rules! codes {
    ($( $(#[$doc:meta])* $variant:ident = $code:literal, $severity:ident, $title:literal; )*) => {
        /// A stable diagnostic code.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
        pub enum Code { $( $(#[$doc])* #[serde(rename = $code)] $variant, )* }

        impl Code {
            /// Every code, in registry order.
            pub const ALL: &'static [Code] = &[ $( Code::$variant, )* ];

            /// The code as written in output and docs, e.g. `E0101`.
            pub fn as_str(self) -> &'static str {
                match self { $( Code::$variant => $code, )* }
            }

            /// A short title, the heading of the code's docs page.
            pub fn title(self) -> &'static str {
                match self { $( Code::$variant => $title, )* }
            }

            /// Whether the code is an error or a warning.
            pub fn severity(self) -> Severity {
                match self { $( Code::$variant => Severity::$severity, )* }
            }
        }
    };
}

codes! {
    /// The parser met something the grammar does not allow there.
    UnexpectedToken = "E0101", Error, "unexpected input";
    /// A string literal runs to the end of the line or file.
    UnterminatedString = "E0102", Error, "unterminated string";
    /// An unknown escape sequence in a string.
    InvalidEscape = "E0103", Error, "invalid escape sequence";
    /// A number that cannot be read.
    InvalidNumber = "E0104", Error, "invalid number";
    /// A clause that may appear once appears twice in a mapping.
    DuplicateClause = "E0105", Error, "clause given twice";
    /// A mapping lacks a clause it needs (`on`, `object`, an operation).
    MissingClause = "E0106", Error, "missing clause";
    /// Matchers joined by both `and` and `or`.
    MixedMatcherJoin = "E0107", Error, "matchers mix `and` and `or`";
    /// An interpolated string where a plain string is required.
    InterpolationNotAllowed = "E0108", Error, "interpolation not allowed here";

    /// An sObject name the schema does not know.
    UnknownObject = "E0201", Error, "unknown object";
    /// A field name the object does not have.
    UnknownField = "E0202", Error, "unknown field";
    /// A `use` of a preset that does not exist or does not fit the object.
    UnknownPreset = "E0203", Error, "unknown preset";
    /// A call to a function that does not exist.
    UnknownFunction = "E0204", Error, "unknown function";
    /// A function called with the wrong number of arguments.
    WrongArity = "E0205", Error, "wrong number of arguments";
    /// Two mappings with one name.
    DuplicateMapping = "E0206", Error, "duplicate mapping name";
    /// A field assigned twice in one mapping.
    DuplicateField = "E0207", Error, "field assigned twice";
    /// A path whose root is not part of a Segment event.
    UnknownPathRoot = "E0208", Error, "unknown event path root";
    /// A bulk setting that does not exist.
    UnknownBulkSetting = "E0209", Error, "unknown bulk setting";

    /// A value whose type can never fit where it is used.
    TypeMismatch = "E0301", Error, "type mismatch";
    /// A literal that is not a valid date or datetime.
    InvalidDateLiteral = "E0302", Error, "invalid date or datetime literal";
    /// A literal outside a picklist's values.
    PicklistValue = "E0303", Error, "value not in picklist";
    /// A literal that is not a valid record Id for the field.
    InvalidRecordId = "E0304", Error, "invalid record Id";
    /// A date format or time zone argument that cannot be used.
    InvalidFormat = "E0305", Error, "invalid format or time zone";
    /// A literal longer than the field allows.
    ValueTooLong = "E0306", Error, "literal longer than the field";
    /// A JMESPath expression that does not compile.
    InvalidJmesPath = "E0307", Error, "invalid JMESPath expression";

    /// A field that the operation cannot write (read-only, or not createable/updateable).
    FieldNotWritable = "E0401", Error, "field not writable by this operation";
    /// A required field is not mapped for an operation that can create.
    RequiredFieldMissing = "E0402", Error, "required field not mapped";
    /// A matcher on a field Salesforce cannot filter on.
    MatcherNotFilterable = "E0403", Error, "matcher field not filterable";
    /// A bulk upsert whose key is not a single external-id field.
    BulkUpsertKey = "E0404", Error, "bulk upsert key is not an external id";
    /// The external-id key is also mapped as a field.
    KeyMappedAsField = "E0405", Error, "external-id key also mapped as a field";
    /// A delete mapping with fields.
    DeleteWithFields = "E0406", Error, "delete with fields";
    /// A `lookup()` that does not fit the field or the target object.
    InvalidLookup = "E0407", Error, "invalid parent lookup";
    /// A bulk batch size outside 1..=10000.
    BatchSizeRange = "E0408", Error, "batch size out of range";
    /// The object does not allow the operation (not createable, updateable or deletable).
    OperationNotAllowed = "E0409", Error, "operation not allowed on object";

    /// A matcher whose value may be absent on some events.
    MatcherMayBeAbsent = "W0001", Warning, "matcher value may be absent";
    /// Two mappings fire on the same events and write the same object.
    OverlappingTriggers = "W0002", Warning, "overlapping triggers";
    /// A trigger condition that no event can satisfy.
    UnreachableTrigger = "W0003", Warning, "unreachable trigger";
    /// A preset field left out because the org cannot write it.
    PresetFieldSkipped = "W0004", Warning, "preset field skipped";
    /// A mapping that may create a record maps a field the schema requires on create from a
    /// value that may be absent on some events (no fallback, no `where ... exists` guard).
    RequiredFieldMayBeAbsent = "W0005", Warning, "required field may be absent";
    /// An `upsert` that does not map a field the schema requires on create: its updates are
    /// delivered, an event that finds no record fails (for `create` and `add` this is E0402).
    UpsertRequiredFieldMissing = "W0006", Warning, "upsert may create without a required field";
    /// A `create` or `add` that writes no field: every record it inserts is blank.
    CreateWritesNoField = "W0007", Warning, "create writes no field";
}

impl std::fmt::Display for Code {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}
