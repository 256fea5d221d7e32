//! Password hashing with argon2id. Hashing is slow on purpose, so it runs on the blocking
//! pool and never stalls the async workers.

use crate::{domain::Password, error::AppError};
use argon2::{
    Algorithm, Argon2, Block, Params, Version,
    password_hash::{Output, PasswordHash, PasswordHasher, SaltString, rand_core::OsRng},
};
use std::sync::{LazyLock, Mutex};
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

/// Argon2's working memory (~19 MiB a hash), kept between logins: at most one per permit of
/// `HASHING` is ever made. Allocated afresh per login, a storm of 5,000 maps and faults in
/// 95 GB of fresh pages, and the allocator may hold freed ones for a while on top of the
/// ones in use. Reuse is safe: argon2 writes every block before it reads it.
static MEMORY: Mutex<Vec<Vec<Block>>> = Mutex::new(Vec::new());

/// Computes `hash`'s function of `candidate` in pooled memory and compares the outputs in
/// constant time (`Output`'s equality).
fn matches(
    hash: &PasswordHash<'_>,
    candidate: &[u8],
) -> Result<bool, argon2::password_hash::Error> {
    let (Some(salt), Some(expected)) = (&hash.salt, &hash.hash) else {
        return Ok(false);
    };
    let params = Params::try_from(hash)?;
    let algorithm = Algorithm::try_from(hash.algorithm)?;
    let version = hash
        .version
        .map(Version::try_from)
        .transpose()?
        .unwrap_or_default();
    let mut salt_bytes = [0u8; 64];
    let salt = salt.decode_b64(&mut salt_bytes)?;
    let mut memory = MEMORY
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
        .pop()
        .unwrap_or_default();
    memory.resize(params.block_count(), Block::default());
    let argon = Argon2::new(algorithm, version, params);
    let computed = Output::init_with(expected.len(), |out| {
        argon
            .hash_password_into_with_memory(candidate, salt, out, &mut memory[..])
            .map_err(|_| argon2::password_hash::Error::Crypto)
    });
    MEMORY
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
        .push(memory);
    Ok(computed? == *expected)
}

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
        let ok = matches(&parsed, candidate.as_bytes())
            .map_err(|e| AppError::Internal(anyhow::anyhow!("argon2: {e}")))?;
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

    /// The pooled check reads each hash's own parameters: a hash made with more memory and
    /// another algorithm (as a future upgrade would store) still verifies, after a smaller
    /// one left its memory in the pool, and a wrong password or a hash without output fails.
    #[tokio::test]
    async fn stored_hashes_with_other_parameters_verify_in_pooled_memory() {
        let small = hash(Password::parse("safecert-2026").unwrap())
            .await
            .unwrap();
        assert!(verify(Some(small), "safecert-2026".into()).await.unwrap());
        let params = Params::new(24 * 1024, 3, 1, Some(32)).unwrap();
        let salt = SaltString::generate(&mut OsRng);
        let larger = Argon2::new(Algorithm::Argon2i, Version::V0x13, params)
            .hash_password(b"another secret", &salt)
            .unwrap()
            .to_string();
        assert!(
            verify(Some(larger.clone()), "another secret".into())
                .await
                .unwrap()
        );
        assert!(!verify(Some(larger), "another secreT".into()).await.unwrap());
        let no_output = format!("$argon2id$v=19$m=19456,t=2,p=1${}", salt.as_str());
        assert!(
            !verify(Some(no_output), "another secret".into())
                .await
                .unwrap()
        );
    }
}
