//! How we reach people: a mainland mobile number and an email address.

use super::Invalid;

/// A mainland China mobile number, stored as its 11 digits.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Phone(String);

impl Phone {
    pub fn parse(raw: &str) -> Result<Self, Invalid> {
        let mut digits: String = raw
            .chars()
            .filter(|c| !c.is_whitespace() && *c != '-')
            .collect();
        if let Some(rest) = digits.strip_prefix("+86") {
            digits = rest.to_string();
        }
        let ok = digits.len() == 11
            && digits.starts_with('1')
            && matches!(digits.as_bytes()[1], b'3'..=b'9')
            && digits.chars().all(|c| c.is_ascii_digit());
        if !ok {
            return Err(Invalid::new(
                "phone",
                "a mobile number has 11 digits starting with 13-19",
            ));
        }
        Ok(Self(digits))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// An email address, lower-cased; checked for shape only (delivery proves the rest).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Email(String);

impl Email {
    pub fn parse(raw: &str) -> Result<Self, Invalid> {
        let email = raw.trim().to_lowercase();
        let valid = email.len() <= 254
            && !email.chars().any(|c| c.is_whitespace() || c.is_control())
            && match email.split_once('@') {
                Some((local, domain)) => {
                    !local.is_empty()
                        && !domain.contains('@')
                        && domain.contains('.')
                        && !domain.starts_with('.')
                        && !domain.ends_with('.')
                        && !domain.contains("..")
                }
                None => false,
            };
        if !valid {
            return Err(Invalid::new("email", "not an email address"));
        }
        Ok(Self(email))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Whether a login string looks like an email (else it is taken as a phone number).
pub fn looks_like_email(login: &str) -> bool {
    login.contains('@')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn phones() {
        assert_eq!(
            Phone::parse("+86 138-0013-8000").unwrap().as_str(),
            "13800138000"
        );
        assert!(Phone::parse("12800138000").is_err());
        assert!(Phone::parse("1380013800").is_err());
        assert!(Phone::parse("1380013800a").is_err());
    }

    #[test]
    fn emails() {
        assert_eq!(
            Email::parse(" Zhang@Example.CN ").unwrap().as_str(),
            "zhang@example.cn"
        );
        for bad in [
            "zhang",
            "zhang@",
            "@example.cn",
            "a@b",
            "a b@example.cn",
            "a@@b.cn",
        ] {
            assert!(Email::parse(bad).is_err(), "{bad}");
        }
        assert!(looks_like_email("a@b.cn"));
    }
}
