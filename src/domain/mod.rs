//! Domain values that can only exist in a checked form ("parse, don't validate").
//!
//! Nothing here touches HTTP or storage: handlers parse raw input into these types and
//! every later layer can trust them.

mod contact;
mod credit_code;
mod id_document;
mod masking;
mod person;
mod role;

pub use contact::{Email, Phone, looks_like_email};
pub use credit_code::{CreditCode, gb32100_check};
pub use id_document::{IdDocument, IdType, gb11643_check};
pub use masking::{mask_id_number, mask_name, mask_phone};
pub use person::{Password, PersonName};
pub use role::Role;

/// A line-numbered note about part of an uploaded file (a question file, a staff roster).
#[derive(Debug, Clone, PartialEq)]
pub struct LineIssue {
    pub line: usize,
    pub reason: String,
}

/// Why a value was refused: the field it belongs to and a reason a person can act on.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {reason}")]
pub struct Invalid {
    /// The request field, e.g. `id_number` or `blueprint.sections[1].count`.
    pub field: std::borrow::Cow<'static, str>,
    pub reason: String,
}

impl Invalid {
    pub fn new(
        field: impl Into<std::borrow::Cow<'static, str>>,
        reason: impl Into<String>,
    ) -> Self {
        Self {
            field: field.into(),
            reason: reason.into(),
        }
    }
}
