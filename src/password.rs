//! Password hashing with argon2id. Hashing is slow on purpose, so it runs on the blocking
//! pool and never stalls the async workers.

use crate::{domain::Password, error::AppError};
use argon2::{
    Argon2,
    password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString, rand_core::OsRng},
};
use std::sync::LazyLock;
use tokio::sync::Semaphore;

/// Argon2 runs at most one per core at a time: more only queue for CPU anyway, and each
/// holds ~19 MiB while it runs, so this bounds memory under a login storm.
static HASHING: LazyLock<Semaphore> =
    LazyLock::new(|| Semaphore::new(std::thread::available_parallelism().map_or(2, |n| n.get())));

pub async fn hash(password: Password) -> Result<String, AppError> {
    let _permit = HASHING
        .acquire()
        .await
        .map_err(|e| AppError::Internal(e.into()))?;
    tokio::task::spawn_blocking(move || {
        let salt = SaltString::generate(&mut OsRng);
        Argon2::default()
            .hash_password(password.expose().as_bytes(), &salt)
            .map(|h| h.to_string())
            .map_err(|e| AppError::Internal(anyhow::anyhow!("argon2: {e}")))
    })
    .await
    .map_err(|e| AppError::Internal(e.into()))?
}

/// A hash of nothing in particular, verified against when the login is unknown, so that a
/// wrong login takes as long as a wrong password and does not reveal who has an account.
static DECOY_HASH: LazyLock<String> = LazyLock::new(|| {
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default()
        .hash_password(b"decoy password", &salt)
        .expect("argon2 hashes a constant")
        .to_string()
});

/// Checks `candidate` against `stored`; with no stored hash it spends the same effort and
/// says no.
pub async fn verify(stored: Option<String>, candidate: String) -> Result<bool, AppError> {
    let _permit = HASHING
        .acquire()
        .await
        .map_err(|e| AppError::Internal(e.into()))?;
    tokio::task::spawn_blocking(move || {
        let (hash, real) = match &stored {
            Some(h) => (h.as_str(), true),
            None => (DECOY_HASH.as_str(), false),
        };
        let parsed = PasswordHash::new(hash)
            .map_err(|e| AppError::Internal(anyhow::anyhow!("stored hash unreadable: {e}")))?;
        let ok = Argon2::default()
            .verify_password(candidate.as_bytes(), &parsed)
            .is_ok();
        Ok(ok && real)
    })
    .await
    .map_err(|e| AppError::Internal(e.into()))?
}

#[cfg(test)]
mod tests {
    use super::*;

    /// OWASP's minimum for argon2id: 19 MiB of memory, 2 iterations, 1 lane. A stored hash
    /// carries its parameters, so this reads them from one.
    #[tokio::test]
    async fn hashes_use_argon2id_at_or_above_the_owasp_minimum() {
        let stored = hash(Password::parse("safecert-2026").unwrap())
            .await
            .unwrap();
        let parsed = PasswordHash::new(&stored).unwrap();
        assert_eq!(parsed.algorithm.as_str(), "argon2id");
        let param = |name: &str| parsed.params.get_decimal(name).unwrap();
        assert!(param("m") >= 19 * 1024, "{stored}");
        assert!(param("t") >= 2, "{stored}");
        assert!(param("p") >= 1, "{stored}");
        assert!(
            verify(Some(stored.clone()), "safecert-2026".into())
                .await
                .unwrap()
        );
        assert!(!verify(Some(stored), "safecert-2025".into()).await.unwrap());
    }
}
