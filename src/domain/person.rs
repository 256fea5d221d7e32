//! A person's name as written on certificates, and the password they choose.

use super::Invalid;

/// A person's name: 1 to 50 characters after trimming, no control characters.
/// Names keep rare characters (生僻字) and the middle dot of minority and foreign names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PersonName(String);

impl PersonName {
    pub fn parse(raw: &str) -> Result<Self, Invalid> {
        let name = raw.trim();
        let count = name.chars().count();
        if count == 0 {
            return Err(Invalid::new("name", "is required"));
        }
        if count > 50 {
            return Err(Invalid::new("name", "at most 50 characters"));
        }
        if name.chars().any(char::is_control) {
            return Err(Invalid::new("name", "contains control characters"));
        }
        Ok(Self(name.to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A new password: 8 to 128 characters mixing at least two of letters, digits and symbols.
#[derive(Clone, PartialEq, Eq)]
pub struct Password(String);

impl std::fmt::Debug for Password {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Password(***)")
    }
}

impl Password {
    pub fn parse(raw: &str) -> Result<Self, Invalid> {
        let count = raw.chars().count();
        if !(8..=128).contains(&count) {
            return Err(Invalid::new("password", "8 to 128 characters"));
        }
        let letters = raw.chars().any(char::is_alphabetic);
        let digits = raw.chars().any(|c| c.is_ascii_digit());
        let symbols = raw.chars().any(|c| !c.is_alphanumeric());
        if [letters, digits, symbols].iter().filter(|x| **x).count() < 2 {
            return Err(Invalid::new(
                "password",
                "mix at least two of letters, digits and symbols",
            ));
        }
        Ok(Self(raw.to_string()))
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_keep_rare_characters_and_refuse_blanks() {
        assert_eq!(PersonName::parse(" 王䶮 ").unwrap().as_str(), "王䶮");
        assert!(PersonName::parse("阿依古丽·买买提").is_ok());
        assert!(PersonName::parse("   ").is_err());
        assert!(PersonName::parse(&"长".repeat(51)).is_err());
    }

    #[test]
    fn passwords_need_length_and_variety() {
        assert!(Password::parse("abc123").is_err());
        assert!(Password::parse("12345678").is_err());
        assert!(Password::parse("abcdefgh").is_err());
        assert!(Password::parse("anquan2026").is_ok());
        assert_eq!(
            format!("{:?}", Password::parse("anquan2026").unwrap()),
            "Password(***)"
        );
    }
}
