//! The unified social credit code (统一社会信用代码, GB 32100) that identifies an enterprise.

use super::Invalid;

/// The 31 characters GB 32100 uses: digits and capitals without I, O, Z, S, V.
const ALPHABET: &str = "0123456789ABCDEFGHJKLMNPQRTUWXY";
const WEIGHTS: [u32; 17] = [
    1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28,
];

/// The GB 32100 check character of a code's first 17 characters; None unless they are 17
/// characters of the alphabet.
pub fn gb32100_check(first17: &str) -> Option<char> {
    let values: Vec<u32> = first17
        .chars()
        .map(|c| ALPHABET.find(c).map(|i| i as u32))
        .collect::<Option<_>>()?;
    if values.len() != 17 {
        return None;
    }
    let sum: u32 = values.iter().zip(WEIGHTS).map(|(v, w)| v * w).sum();
    let check = ((31 - sum % 31) % 31) as usize;
    ALPHABET[check..].chars().next()
}

/// A checked 18-character unified social credit code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CreditCode(String);

impl CreditCode {
    pub fn parse(raw: &str) -> Result<Self, Invalid> {
        const FIELD: &str = "credit_code";
        let code = raw.trim().to_uppercase();
        if code.chars().count() != 18 {
            return Err(Invalid::new(
                FIELD,
                "a unified social credit code has 18 characters",
            ));
        }
        if !code.chars().all(|c| ALPHABET.contains(c)) {
            return Err(Invalid::new(
                FIELD,
                "only digits and capital letters other than I, O, Z, S and V may appear",
            ));
        }
        // Every character is one of the alphabet's ASCII ones, so byte 17 is the 18th.
        if gb32100_check(&code[..17]) != Some(code.as_bytes()[17] as char) {
            return Err(Invalid::new(
                FIELD,
                "the check character (last character) does not match: the code has a typo",
            ));
        }
        Ok(Self(code))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with_check(first17: &str) -> String {
        format!("{first17}{}", gb32100_check(first17).unwrap())
    }

    #[test]
    fn accepts_a_published_code() {
        // A real, publicly listed code: 华为技术有限公司's.
        assert!(CreditCode::parse("914403001922038216").is_ok());
        assert!(CreditCode::parse(&with_check("91440300MA5FXXXX0")).is_ok());
    }

    #[test]
    fn refuses_typos_forbidden_letters_and_lengths() {
        assert!(CreditCode::parse("914403001922038217").is_err());
        assert!(CreditCode::parse("91440300192203821").is_err());
        let with_o = "91440300O922038216";
        let err = CreditCode::parse(with_o).unwrap_err();
        assert!(err.reason.contains("I, O, Z, S"));
    }
}
