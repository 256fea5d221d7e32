//! Identity documents: the resident ID number (居民身份证号码, GB 11643) and the other
//! documents a person in China may hold. The number is sensitive personal information
//! (PIPL): it is stored encrypted and shown masked (see `crate::pii`).

use super::Invalid;
use chrono::{Datelike, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

/// Which document an ID number belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, poem_openapi::Enum)]
#[serde(rename_all = "snake_case")]
#[oai(rename_all = "snake_case")]
pub enum IdType {
    /// 居民身份证 (GB 11643, 18 characters with a check character).
    ResidentId,
    /// 港澳台居民居住证: same structure as GB 11643, address code 810000/820000/830000.
    GatResidencePermit,
    /// 外国人永久居留身份证: 18 characters starting with 9 (2023 edition) or 15 (older).
    ForeignPermanentResidence,
    /// 护照 and other travel documents: checked for shape only.
    Passport,
}

impl IdType {
    pub fn as_str(self) -> &'static str {
        match self {
            IdType::ResidentId => "resident_id",
            IdType::GatResidencePermit => "gat_residence_permit",
            IdType::ForeignPermanentResidence => "foreign_permanent_residence",
            IdType::Passport => "passport",
        }
    }

    pub fn parse(s: &str) -> Result<Self, Invalid> {
        match s {
            "resident_id" => Ok(IdType::ResidentId),
            "gat_residence_permit" => Ok(IdType::GatResidencePermit),
            "foreign_permanent_residence" => Ok(IdType::ForeignPermanentResidence),
            "passport" => Ok(IdType::Passport),
            other => Err(Invalid::new(
                "id_type",
                format!("unknown ID type {other:?}"),
            )),
        }
    }
}

/// A checked identity document number together with its type.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdDocument {
    id_type: IdType,
    number: String,
}

const FIELD: &str = "id_number";

/// GB 11643 weights for the first 17 characters.
const WEIGHTS: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
/// GB 11643 check characters indexed by (weighted sum mod 11).
const CHECK_CHARS: [char; 11] = ['1', '0', 'X', '9', '8', '7', '6', '5', '4', '3', '2'];

/// Province-level address codes in use (the first two digits), plus 81/82/83 of the
/// residence permits for Hong Kong, Macao and Taiwan residents.
const PROVINCES: [u32; 35] = [
    11, 12, 13, 14, 15, 21, 22, 23, 31, 32, 33, 34, 35, 36, 37, 41, 42, 43, 44, 45, 46, 50, 51, 52,
    53, 54, 61, 62, 63, 64, 65, 71, 81, 82, 83,
];

impl IdDocument {
    pub fn parse(id_type: IdType, raw: &str) -> Result<Self, Invalid> {
        let number: String = raw
            .trim()
            .chars()
            .filter(|c| !c.is_whitespace())
            .collect::<String>()
            .to_uppercase();
        if number.is_empty() {
            return Err(Invalid::new(FIELD, "is required"));
        }
        match id_type {
            IdType::ResidentId => check_gb11643(&number)?,
            IdType::GatResidencePermit => {
                check_gb11643(&number)?;
                if !["81", "82", "83"].contains(&&number[..2]) {
                    return Err(Invalid::new(
                        FIELD,
                        "a residence permit number for Hong Kong, Macao or Taiwan residents starts with 81, 82 or 83",
                    ));
                }
            }
            IdType::ForeignPermanentResidence => {
                // `is_ascii` first: slicing by bytes is only safe on ASCII.
                let old_style = number.len() == 15
                    && number.is_ascii()
                    && number[..3].chars().all(|c| c.is_ascii_uppercase())
                    && number[3..].chars().all(|c| c.is_ascii_digit());
                let new_style = number.starts_with('9') && checksum_ok(&number);
                if !(old_style || new_style) {
                    return Err(Invalid::new(
                        FIELD,
                        "not a valid foreign permanent residence ID (18 characters starting with 9, or 3 letters and 12 digits)",
                    ));
                }
            }
            IdType::Passport => {
                if !(5..=20).contains(&number.len())
                    || !number.chars().all(|c| c.is_ascii_alphanumeric())
                {
                    return Err(Invalid::new(
                        FIELD,
                        "a passport number has 5 to 20 letters and digits",
                    ));
                }
            }
        }
        Ok(Self { id_type, number })
    }

    pub fn id_type(&self) -> IdType {
        self.id_type
    }

    pub fn number(&self) -> &str {
        &self.number
    }
}

/// The GB 11643 check character of a number's first 17 digits; None unless they are 17 digits.
pub fn gb11643_check(first17: &str) -> Option<char> {
    let bytes = first17.as_bytes();
    if bytes.len() != 17 || !bytes.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let sum: u32 = bytes
        .iter()
        .zip(WEIGHTS)
        .map(|(b, w)| u32::from(b - b'0') * w)
        .sum();
    Some(CHECK_CHARS[(sum % 11) as usize])
}

/// True when `number` is 17 digits followed by the right GB 11643 check character.
fn checksum_ok(number: &str) -> bool {
    let bytes = number.as_bytes();
    bytes.len() == 18
        && number.is_char_boundary(17)
        && gb11643_check(&number[..17]) == Some(bytes[17] as char)
}

fn check_gb11643(number: &str) -> Result<(), Invalid> {
    if number.len() != 18 || !number.is_ascii() {
        return Err(Invalid::new(
            FIELD,
            "a resident ID number has 18 characters",
        ));
    }
    if !number[..17].chars().all(|c| c.is_ascii_digit()) {
        return Err(Invalid::new(
            FIELD,
            "the first 17 characters of a resident ID number are digits",
        ));
    }
    let province: u32 = number[..2].parse().unwrap_or(0);
    if !PROVINCES.contains(&province) {
        return Err(Invalid::new(
            FIELD,
            "the address code (first two digits) is not a province of China",
        ));
    }
    let birth = NaiveDate::parse_from_str(&number[6..14], "%Y%m%d")
        .map_err(|_| Invalid::new(FIELD, "the birth date (digits 7-14) is not a date"))?;
    let today = Utc::now().date_naive();
    if birth.year() < 1900 || birth > today {
        return Err(Invalid::new(
            FIELD,
            "the birth date (digits 7-14) is out of range",
        ));
    }
    if !checksum_ok(number) {
        return Err(Invalid::new(
            FIELD,
            "the check character (last character) does not match: the number has a typo",
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Builds a valid number from its first 17 digits, the way the standard defines it.
    fn with_check(first17: &str) -> String {
        format!("{first17}{}", gb11643_check(first17).unwrap())
    }

    #[test]
    fn accepts_the_standard_example() {
        // The example number printed in GB 11643-1999 itself.
        let doc = IdDocument::parse(IdType::ResidentId, "11010519491231002X").unwrap();
        assert_eq!(doc.number(), "11010519491231002X");
        let lower = IdDocument::parse(IdType::ResidentId, " 11010519491231002x ").unwrap();
        assert_eq!(lower.number(), "11010519491231002X");
    }

    #[test]
    fn refuses_a_wrong_check_character() {
        let err = IdDocument::parse(IdType::ResidentId, "110105194912310021").unwrap_err();
        assert_eq!(err.field, "id_number");
        assert!(err.reason.contains("check character"), "{}", err.reason);
    }

    #[test]
    fn refuses_bad_dates_provinces_and_lengths() {
        for bad in [
            with_check("44030019990230123"), // 30 February
            with_check("99030019900101123"), // no province 99
            "4403001990010112".to_string(),  // too short
            with_check("44030030000101123"), // born in the future
        ] {
            assert!(
                IdDocument::parse(IdType::ResidentId, &bad).is_err(),
                "{bad}"
            );
        }
    }

    #[test]
    fn residence_permits_use_the_same_check_and_their_own_prefix() {
        let permit = with_check("81000019900101123");
        assert!(IdDocument::parse(IdType::GatResidencePermit, &permit).is_ok());
        let mainland = with_check("44030019900101123");
        assert!(IdDocument::parse(IdType::GatResidencePermit, &mainland).is_err());
    }

    /// Found by schemathesis: non-ASCII input of 15 bytes once panicked on a byte slice.
    #[test]
    fn no_document_type_panics_on_any_text() {
        let odd = [
            "\u{b}î𰛵\tÜ𨸗ä\u{18}",
            "ÄÖÜ123456789012",
            "中华人民共和国",
            "9ü",
            "８１",
        ];
        for id_type in [
            IdType::ResidentId,
            IdType::GatResidencePermit,
            IdType::ForeignPermanentResidence,
            IdType::Passport,
        ] {
            for text in odd {
                assert!(
                    IdDocument::parse(id_type, text).is_err(),
                    "{id_type:?} {text:?}"
                );
            }
        }
    }

    #[test]
    fn foreign_permanent_residence_ids_in_both_editions() {
        assert!(IdDocument::parse(IdType::ForeignPermanentResidence, "USA440019900101").is_ok());
        let new_style = with_check("93310019900101123");
        assert!(IdDocument::parse(IdType::ForeignPermanentResidence, &new_style).is_ok());
        assert!(IdDocument::parse(IdType::ForeignPermanentResidence, "12345").is_err());
    }
}
