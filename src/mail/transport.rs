//! Where mail goes: an SMTP server (`SMTP_URL`) or `.eml` files under the data directory.

use lettre::{
    AsyncFileTransport, AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor,
    message::{
        Attachment as LettreAttachment, Mailbox, MultiPart, SinglePart, header::ContentType,
    },
    transport::smtp::authentication::Credentials,
};
use std::path::PathBuf;

use super::OutgoingMail;

#[derive(Clone)]
pub enum Transport {
    Smtp(AsyncSmtpTransport<Tokio1Executor>),
    Files(AsyncFileTransport<Tokio1Executor>, PathBuf),
}

impl Transport {
    /// `smtp://host:port` speaks plain SMTP (a local relay); with `user:password@` it
    /// upgrades with STARTTLS; `smtps://` uses TLS from the start.
    pub fn from_config(smtp_url: Option<&str>, data_dir: &std::path::Path) -> anyhow::Result<Self> {
        let Some(raw) = smtp_url else {
            let dir = data_dir.join("mail");
            std::fs::create_dir_all(&dir)?;
            return Ok(Transport::Files(AsyncFileTransport::new(&dir), dir));
        };
        let url = url::Url::parse(raw).map_err(|e| anyhow::anyhow!("SMTP_URL: {e}"))?;
        let host = url
            .host_str()
            .ok_or_else(|| anyhow::anyhow!("SMTP_URL: no host"))?;
        let credentials = (!url.username().is_empty()).then(|| {
            Credentials::new(
                url.username().to_string(),
                url.password().unwrap_or_default().to_string(),
            )
        });
        let builder = match (url.scheme(), &credentials) {
            ("smtps", _) => AsyncSmtpTransport::<Tokio1Executor>::relay(host)?,
            (_, Some(_)) => AsyncSmtpTransport::<Tokio1Executor>::starttls_relay(host)?,
            _ => AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(host),
        };
        let mut builder = builder.timeout(Some(std::time::Duration::from_secs(15)));
        if let Some(port) = url.port() {
            builder = builder.port(port);
        }
        if let Some(credentials) = credentials {
            builder = builder.credentials(credentials);
        }
        Ok(Transport::Smtp(builder.build()))
    }

    pub async fn send(&self, from: &Mailbox, mail: &OutgoingMail) -> anyhow::Result<()> {
        let message = build(from, mail)?;
        match self {
            Transport::Smtp(smtp) => {
                smtp.send(message).await?;
            }
            Transport::Files(files, _) => {
                files.send(message).await?;
            }
        }
        Ok(())
    }
}

fn build(from: &Mailbox, mail: &OutgoingMail) -> anyhow::Result<Message> {
    let to = Mailbox::new(Some(mail.to_name.clone()), mail.to_address.parse()?);
    let builder = Message::builder()
        .from(from.clone())
        .to(to)
        .subject(mail.subject.clone());
    let message = match &mail.attachment {
        None => builder
            .header(ContentType::TEXT_PLAIN)
            .body(mail.body.clone())?,
        Some(a) => builder.multipart(
            MultiPart::mixed()
                .singlepart(SinglePart::plain(mail.body.clone()))
                .singlepart(
                    LettreAttachment::new(a.file_name.clone())
                        .body(a.bytes.clone(), ContentType::parse(&a.content_type)?),
                ),
        )?,
    };
    Ok(message)
}
