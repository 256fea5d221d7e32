//! A real SMTP server on loopback for mail tests: aiosmtpd (PyPI) when it is installed, as
//! `.ci/run` does, else a small SMTP sink written here. Either way mail travels through
//! lettre's SMTP client and a socket, and tests read what arrived.

use std::{
    path::PathBuf,
    sync::{Arc, Mutex},
    time::Duration,
};
use tokio::{
    io::{AsyncBufReadExt, AsyncWriteExt, BufReader},
    net::TcpListener,
};

/// A mail as it arrived, decoded.
#[derive(Debug, Clone)]
pub struct Received {
    pub to: String,
    pub subject: String,
    pub body: String,
    pub attachments: Vec<(String, Vec<u8>)>,
}

pub struct SmtpSink {
    pub url: String,
    store: Store,
}

enum Store {
    // The temporary directory lives as long as the sink.
    Maildir(
        PathBuf,
        std::process::Child,
        #[allow(dead_code)] tempfile::TempDir,
    ),
    Memory(Arc<Mutex<Vec<Vec<u8>>>>),
}

impl Drop for SmtpSink {
    fn drop(&mut self) {
        if let Store::Maildir(_, child, _) = &mut self.store {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

impl SmtpSink {
    pub async fn start() -> Self {
        let has_aiosmtpd = std::process::Command::new("python3")
            .args(["-c", "import aiosmtpd"])
            .output()
            .is_ok_and(|o| o.status.success());
        if has_aiosmtpd {
            Self::aiosmtpd().await
        } else {
            Self::built_in().await
        }
    }

    async fn aiosmtpd() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let maildir = dir.path().join("maildir");
        let port = free_port();
        let child = std::process::Command::new("python3")
            .args([
                "-m",
                "aiosmtpd",
                "-n",
                "-l",
                &format!("127.0.0.1:{port}"),
                "-c",
                "aiosmtpd.handlers.Mailbox",
            ])
            .arg(&maildir)
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("aiosmtpd starts");
        for _ in 0..100 {
            if tokio::net::TcpStream::connect(("127.0.0.1", port))
                .await
                .is_ok()
            {
                break;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        SmtpSink {
            url: format!("smtp://127.0.0.1:{port}"),
            store: Store::Maildir(maildir, child, dir),
        }
    }

    async fn built_in() -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let messages = Arc::new(Mutex::new(Vec::new()));
        let store = messages.clone();
        tokio::spawn(async move {
            while let Ok((socket, _)) = listener.accept().await {
                let store = store.clone();
                tokio::spawn(async move {
                    let (read, mut write) = socket.into_split();
                    let mut lines = BufReader::new(read);
                    let _ = write.write_all(b"220 sink ESMTP\r\n").await;
                    let mut line = String::new();
                    loop {
                        line.clear();
                        if lines.read_line(&mut line).await.unwrap_or(0) == 0 {
                            return;
                        }
                        let verb = line.trim_end().to_uppercase();
                        let reply: &[u8] = if verb.starts_with("EHLO") || verb.starts_with("HELO") {
                            b"250 sink\r\n"
                        } else if verb.starts_with("DATA") {
                            let _ = write.write_all(b"354 go ahead\r\n").await;
                            let mut data = Vec::new();
                            loop {
                                let mut l = String::new();
                                if lines.read_line(&mut l).await.unwrap_or(0) == 0 || l == ".\r\n" {
                                    break;
                                }
                                let l = l.strip_prefix('.').unwrap_or(&l).to_string();
                                data.extend_from_slice(l.as_bytes());
                            }
                            store.lock().unwrap().push(data);
                            b"250 queued\r\n"
                        } else if verb.starts_with("QUIT") {
                            let _ = write.write_all(b"221 bye\r\n").await;
                            return;
                        } else {
                            b"250 ok\r\n"
                        };
                        let _ = write.write_all(reply).await;
                    }
                });
            }
        });
        SmtpSink {
            url: format!("smtp://127.0.0.1:{port}"),
            store: Store::Memory(messages),
        }
    }

    fn raw(&self) -> Vec<Vec<u8>> {
        match &self.store {
            Store::Memory(m) => m.lock().unwrap().clone(),
            Store::Maildir(dir, _, _) => {
                let mut files: Vec<PathBuf> = std::fs::read_dir(dir.join("new"))
                    .map(|d| d.filter_map(|e| e.ok().map(|e| e.path())).collect())
                    .unwrap_or_default();
                files.sort();
                files.iter().filter_map(|f| std::fs::read(f).ok()).collect()
            }
        }
    }

    pub fn received(&self) -> Vec<Received> {
        self.raw().iter().map(|raw| decode(raw)).collect()
    }

    /// Waits until at least `n` mails have arrived (the mail worker polls in the background).
    pub async fn wait_for(&self, n: usize) -> Vec<Received> {
        self.wait_until(&format!("{n} mails"), |m| m.len() >= n)
            .await
    }

    /// Waits until what arrived satisfies `done`.
    pub async fn wait_until(
        &self,
        what: &str,
        done: impl Fn(&[Received]) -> bool,
    ) -> Vec<Received> {
        for _ in 0..400 {
            let got = self.received();
            if done(&got) {
                return got;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        let got = self.received();
        panic!("expected {what}; {} arrived: {got:#?}", got.len());
    }
}

fn decode(raw: &[u8]) -> Received {
    use mailparse::MailHeaderMap;
    let parsed = mailparse::parse_mail(raw).expect("a well-formed mail");
    let header = |name: &str| parsed.headers.get_first_value(name).unwrap_or_default();
    let mut body = String::new();
    let mut attachments = Vec::new();
    let mut parts = vec![&parsed];
    while let Some(part) = parts.pop() {
        if part.subparts.is_empty() {
            let disposition = part.get_content_disposition();
            if let Some(name) = disposition.params.get("filename") {
                attachments.push((name.clone(), part.get_body_raw().unwrap_or_default()));
            } else if part.ctype.mimetype.starts_with("text/") {
                body.push_str(&part.get_body().unwrap_or_default());
            }
        } else {
            parts.extend(part.subparts.iter());
        }
    }
    Received {
        to: header("To"),
        subject: header("Subject"),
        body,
        attachments,
    }
}
