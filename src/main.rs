use clap::Parser;

/// mimalloc instead of glibc's malloc: under load glibc's malloc and free took over a quarter
/// of the server's CPU, part of it waiting on its arena locks (bench/README.md).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() {
    safecert::telemetry::init();
    let cli = safecert::cli::Cli::parse();
    if let Err(err) = safecert::cli::run(cli).await {
        eprintln!("error: {err}");
        std::process::exit(1);
    }
}
