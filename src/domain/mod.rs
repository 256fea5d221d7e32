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

/// What to fix in a field, in Chinese, for a person at a form or reading an upload's errors.
pub fn field_in_chinese(field: &str) -> &'static str {
    match field {
        "name" => "请填写真实姓名（最多 50 个字）。",
        "id_number" => "身份证号码有误：应为 18 位，出生日期有效，末位校验码正确（X 大小写均可）。",
        "id_type" => "证件类型有误。",
        "phone" => "手机号码有误：应为 11 位中国大陆手机号。",
        "email" => "电子邮箱格式有误。",
        "street_id" => "请从列表中选择所在街道（乡镇），或选“暂不选择”。",
        "password" => "密码至少 8 位，且包含字母、数字、符号中的至少两种。",
        "login" => "请填写手机号或电子邮箱。",
        _ => "填写的内容有误，请检查。",
    }
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
    /// What to fix, in Chinese (see `field_in_chinese`).
    pub fn in_chinese(&self) -> String {
        field_in_chinese(&self.field).to_string()
    }

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
