//! Mail (通知邮件) through an outbox: whatever must be said is written to `outbox` in the same
//! transaction as the change it reports, and a background worker sends it, retrying with
//! backoff, so nothing is lost across a crash or an SMTP outage. SMTP via lettre when
//! `SMTP_URL` is set, else `.eml` files under `DATA_DIR/mail`.
//! Owns `outbox`.

pub mod outbox;
pub mod templates;
mod transport;
pub mod worker;

pub use transport::Transport;

/// A mail waiting to be sent.
#[derive(Debug, Clone)]
pub struct OutgoingMail {
    /// What it is about, e.g. `registration_confirmed` (for logs and tests).
    pub kind: &'static str,
    /// Set for mails that must go once, e.g. `reminder:42`; a second enqueue is ignored.
    pub dedupe_key: Option<String>,
    pub to_address: String,
    pub to_name: String,
    pub subject: String,
    pub body: String,
    pub attachment: Option<Attachment>,
}

#[derive(Debug, Clone)]
pub struct Attachment {
    pub file_name: String,
    pub content_type: String,
    pub bytes: Vec<u8>,
}

/// Inserts mails into `outbox` on an open connection or transaction of either backend.
/// A macro because it runs inside each backend's `with_pool!` arm with that arm's types.
#[macro_export]
macro_rules! enqueue_mails {
    ($conn:expr, $mails:expr, $now:expr) => {{
        let mut result: Result<(), sqlx::Error> = Ok(());
        for mail in $mails {
            let mail: &$crate::mail::OutgoingMail = mail;
            let inserted = sqlx::query(
                "INSERT INTO outbox (kind, dedupe_key, to_address, to_name, subject, body, \
                 attachment_name, attachment_type, attachment, status, attempts, next_attempt_at, created_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, 'pending', 0, $10, $10) \
                 ON CONFLICT (dedupe_key) DO NOTHING",
            )
            .bind(mail.kind)
            .bind(mail.dedupe_key.as_deref())
            .bind(&mail.to_address)
            .bind(&mail.to_name)
            .bind(&mail.subject)
            .bind(&mail.body)
            .bind(mail.attachment.as_ref().map(|a| a.file_name.as_str()))
            .bind(mail.attachment.as_ref().map(|a| a.content_type.as_str()))
            .bind(mail.attachment.as_ref().map(|a| a.bytes.as_slice()))
            .bind($now)
            .execute(&mut *$conn)
            .await;
            if let Err(e) = inserted {
                result = Err(e);
                break;
            }
        }
        result
    }};
}
