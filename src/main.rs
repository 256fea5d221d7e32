use clap::Parser;

#[tokio::main]
async fn main() {
    pin_mmap_threshold();
    safecert::telemetry::init();
    let cli = safecert::cli::Cli::parse();
    if let Err(err) = safecert::cli::run(cli).await {
        eprintln!("error: {err}");
        std::process::exit(1);
    }
}

/// Each password check (argon2id) allocates ~19 MiB. glibc raises its mmap threshold after the
/// first such free, so later blocks come from the heap and stay resident: 300 logins left the
/// server at 4-5 GB RSS (bench/README.md). Pinning the threshold keeps those blocks mmapped,
/// so they go back to the system when freed.
fn pin_mmap_threshold() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: mallopt only changes allocator tuning; it is called once, before other threads start.
    unsafe {
        libc::mallopt(libc::M_MMAP_THRESHOLD, 128 * 1024);
    }
}
