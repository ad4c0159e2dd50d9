//! The static types of expressions: a set of possible kinds, plus whether the value may be absent.

use crate::schema::{FieldDescribe, FieldType};

/// A set of value kinds (bit flags).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Kind(pub u16);

impl Kind {
    pub const STRING: Kind = Kind(1);
    pub const NUMBER: Kind = Kind(2);
    pub const BOOL: Kind = Kind(4);
    pub const NULL: Kind = Kind(8);
    pub const OBJECT: Kind = Kind(16);
    pub const ARRAY: Kind = Kind(32);
    /// A string known to hold an ISO date.
    pub const DATE: Kind = Kind(64);
    /// A string known to hold an ISO datetime.
    pub const DATETIME: Kind = Kind(128);
    /// A parent reference built by `lookup()`.
    pub const LOOKUP: Kind = Kind(256);
    pub const ANY: Kind = Kind(1 | 2 | 4 | 8 | 16 | 32);
    pub const SCALAR: Kind = Kind(1 | 2 | 4 | 64 | 128);

    pub fn or(self, other: Kind) -> Kind {
        Kind(self.0 | other.0)
    }

    pub fn and(self, other: Kind) -> Kind {
        Kind(self.0 & other.0)
    }

    pub fn without(self, other: Kind) -> Kind {
        Kind(self.0 & !other.0)
    }

    pub fn is_empty(self) -> bool {
        self.0 == 0
    }

    pub fn contains(self, other: Kind) -> bool {
        self.0 & other.0 == other.0
    }

    /// Words for messages: "string or number".
    pub fn describe(self) -> String {
        if self == Kind::ANY {
            return "any value".to_string();
        }
        let names = [
            (Kind::STRING, "string"),
            (Kind::NUMBER, "number"),
            (Kind::BOOL, "boolean"),
            (Kind::NULL, "null"),
            (Kind::OBJECT, "object"),
            (Kind::ARRAY, "array"),
            (Kind::DATE, "date"),
            (Kind::DATETIME, "datetime"),
            (Kind::LOOKUP, "parent lookup"),
        ];
        let parts: Vec<&str> = names
            .iter()
            .filter(|(k, _)| self.contains(*k))
            .map(|(_, n)| *n)
            .collect();
        match parts.len() {
            0 => "nothing".to_string(),
            1 => parts[0].to_string(),
            _ => format!(
                "{} or {}",
                parts[..parts.len() - 1].join(", "),
                parts[parts.len() - 1]
            ),
        }
    }
}

/// An expression's type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Ty {
    pub kind: Kind,
    /// Whether evaluation may produce no value (a missing path, and nothing to fall back on).
    pub maybe_absent: bool,
}

impl Ty {
    pub fn known(kind: Kind) -> Ty {
        Ty {
            kind,
            maybe_absent: false,
        }
    }

    pub fn any_absent() -> Ty {
        Ty {
            kind: Kind::ANY,
            maybe_absent: true,
        }
    }
}

/// The kinds a Salesforce field accepts (values of other kinds cannot be coerced into it).
pub fn accepted_by(field: &FieldDescribe) -> Kind {
    let t = field.field_type;
    let base = if t.is_text() {
        Kind::STRING
            .or(Kind::NUMBER)
            .or(Kind::BOOL)
            .or(Kind::DATE)
            .or(Kind::DATETIME)
    } else if t.is_numeric() {
        Kind::NUMBER.or(Kind::STRING)
    } else {
        match t {
            FieldType::Boolean => Kind::BOOL.or(Kind::STRING),
            FieldType::Date => Kind::DATE.or(Kind::DATETIME).or(Kind::STRING),
            FieldType::Datetime => Kind::DATETIME
                .or(Kind::DATE)
                .or(Kind::STRING)
                .or(Kind::NUMBER),
            FieldType::Reference | FieldType::Id => Kind::STRING.or(Kind::LOOKUP),
            FieldType::Time => Kind::STRING,
            _ => Kind::ANY.or(Kind::DATE).or(Kind::DATETIME),
        }
    };
    base.or(Kind::NULL)
}
