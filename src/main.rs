use clap::Parser;

#[tokio::main]
async fn main() {
    safecert::telemetry::init();
    let cli = safecert::cli::Cli::parse();
    if let Err(err) = safecert::cli::run(cli).await {
        eprintln!("error: {err}");
        std::process::exit(1);
    }
}
