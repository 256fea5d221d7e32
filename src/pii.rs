//! Protection of ID numbers at rest (PIPL): AES-256-GCM encryption for the number itself, a
//! keyed HMAC-SHA-256 for exact-match lookups, and the masked form for display.
//!
//! Both keys derive from one 32-byte master secret: `SECRET_KEY`, or a key file created
//! under DATA_DIR on first run. Losing the key loses the numbers, so back it up with the
//! database; every instance of one deployment must share it.

use aes_gcm::{
    Aes256Gcm, Key, Nonce,
    aead::{Aead, KeyInit},
};
use argon2::password_hash::rand_core::{OsRng, RngCore};
use base64::{Engine, engine::general_purpose::STANDARD as B64};
use hmac::{Hmac, Mac};
use sha2::Sha256;
use std::path::Path;

use crate::domain::{IdDocument, IdType, mask_id_number};

/// The stored form of an ID number.
#[derive(Debug, Clone)]
pub struct SealedIdNumber {
    pub cipher: String,
    pub lookup_hash: String,
    pub masked: String,
}

#[derive(Clone)]
pub struct Vault {
    cipher: Aes256Gcm,
    hash_key: [u8; 32],
}

impl std::fmt::Debug for Vault {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Vault(..)")
    }
}

fn derive(master: &[u8; 32], purpose: &str) -> [u8; 32] {
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(master).expect("any key length works");
    mac.update(purpose.as_bytes());
    mac.finalize().into_bytes().into()
}

impl Vault {
    pub fn new(master: [u8; 32]) -> Self {
        let enc = derive(&master, "safecert/id-number/encryption/v1");
        Self {
            cipher: Aes256Gcm::new(Key::<Aes256Gcm>::from_slice(&enc)),
            hash_key: derive(&master, "safecert/id-number/lookup/v1"),
        }
    }

    /// Uses `SECRET_KEY` when given, else the key file in `data_dir` (created if missing).
    pub fn load(secret_key: Option<&str>, data_dir: &Path) -> anyhow::Result<Self> {
        let hex_key = match secret_key {
            Some(k) => k.to_string(),
            None => {
                let path = data_dir.join("secret.key");
                if path.exists() {
                    std::fs::read_to_string(&path)?.trim().to_string()
                } else {
                    std::fs::create_dir_all(data_dir)?;
                    let mut key = [0u8; 32];
                    OsRng.fill_bytes(&mut key);
                    let hex_key = hex::encode(key);
                    write_private(&path, &hex_key)?;
                    tracing::warn!(path = %path.display(), "created a new ID-number key: back it up with the database");
                    hex_key
                }
            }
        };
        let bytes = hex::decode(&hex_key)
            .ok()
            .and_then(|b| <[u8; 32]>::try_from(b).ok())
            .ok_or_else(|| anyhow::anyhow!("the ID-number key is not 64 hex characters"))?;
        Ok(Self::new(bytes))
    }

    pub fn seal(&self, doc: &IdDocument) -> SealedIdNumber {
        SealedIdNumber {
            cipher: self.seal_bytes(doc.number().as_bytes()),
            lookup_hash: self.lookup_hash(doc.id_type(), doc.number()),
            masked: mask_id_number(doc.number()),
        }
    }

    /// The keyed hash that finds a person by ID number without decrypting every row.
    pub fn lookup_hash(&self, id_type: IdType, number: &str) -> String {
        let mut mac =
            <Hmac<Sha256> as Mac>::new_from_slice(&self.hash_key).expect("any key length works");
        mac.update(id_type.as_str().as_bytes());
        mac.update(b":");
        mac.update(number.as_bytes());
        hex::encode(mac.finalize().into_bytes())
    }

    pub fn open(&self, cipher: &str) -> anyhow::Result<String> {
        Ok(String::from_utf8(self.open_bytes(cipher)?)?)
    }

    /// Encrypts any bytes (base64 of nonce and ciphertext), e.g. an uploaded staff roster
    /// that a page hands back on confirming: the browser holds it but can neither read the
    /// ID numbers in it nor alter it unnoticed.
    pub fn seal_bytes(&self, plain: &[u8]) -> String {
        let mut nonce = [0u8; 12];
        OsRng.fill_bytes(&mut nonce);
        let ciphertext = self
            .cipher
            .encrypt(Nonce::from_slice(&nonce), plain)
            .expect("AES-GCM encryption of an in-memory buffer cannot fail");
        let mut stored = nonce.to_vec();
        stored.extend_from_slice(&ciphertext);
        B64.encode(stored)
    }

    pub fn open_bytes(&self, sealed: &str) -> anyhow::Result<Vec<u8>> {
        let bytes = B64.decode(sealed.trim())?;
        anyhow::ensure!(bytes.len() > 12, "sealed value too short");
        self.cipher
            .decrypt(Nonce::from_slice(&bytes[..12]), &bytes[12..])
            .map_err(|_| anyhow::anyhow!("does not decrypt with this key"))
    }
}

#[cfg(unix)]
fn write_private(path: &Path, contents: &str) -> std::io::Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)?;
    file.write_all(contents.as_bytes())
}

#[cfg(not(unix))]
fn write_private(path: &Path, contents: &str) -> std::io::Result<()> {
    std::fs::write(path, contents)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seals_opens_and_hashes() {
        let vault = Vault::new([7; 32]);
        let doc = IdDocument::parse(IdType::ResidentId, "11010519491231002X").unwrap();
        let a = vault.seal(&doc);
        let b = vault.seal(&doc);
        assert_ne!(a.cipher, b.cipher, "a fresh nonce each time");
        assert!(!a.cipher.contains("1949"));
        assert_eq!(a.lookup_hash, b.lookup_hash);
        assert_eq!(vault.open(&a.cipher).unwrap(), "11010519491231002X");
        assert_eq!(a.masked, "1101**********002X");
        let other = Vault::new([8; 32]);
        assert!(other.open(&a.cipher).is_err());
        assert_ne!(
            other.lookup_hash(IdType::ResidentId, doc.number()),
            a.lookup_hash
        );
    }
}
