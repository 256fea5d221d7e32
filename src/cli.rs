//! The command line: `serve`, `migrate`, `admin create`. Every command reads the same
//! configuration, exits non-zero with one clear line on error, and changes nothing then.

use crate::{
    accounts::{self, AdminCreated},
    config::Config,
    startup::{self, Application},
};
use clap::{Parser, Subcommand};

#[derive(Debug, Parser)]
#[command(
    name = "safecert",
    version,
    about = "SafeCert: exams and certificates for emergency responders and safety managers"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the HTTP service.
    Serve {
        /// Address to listen on (overrides BIND).
        #[arg(long)]
        bind: Option<String>,
    },
    /// Apply database migrations and exit.
    Migrate,
    /// Manage bureau admin accounts.
    Admin {
        #[command(subcommand)]
        action: AdminAction,
    },
}

#[derive(Debug, Subcommand)]
pub enum AdminAction {
    /// Create a bureau admin; a known phone changes nothing and exits 0.
    Create {
        #[arg(long)]
        name: String,
        #[arg(long)]
        phone: String,
        #[arg(long)]
        email: String,
        #[arg(long)]
        password: String,
    },
}

pub async fn run(cli: Cli) -> anyhow::Result<()> {
    let mut config = Config::from_env()?;
    match cli.command {
        Command::Serve { bind } => {
            if let Some(bind) = bind {
                config.bind = bind.parse().map_err(|_| {
                    anyhow::anyhow!("--bind: expected an address like 127.0.0.1:8080")
                })?;
            }
            let app = Application::build(config).await?;
            app.run_until(startup::shutdown_signal()).await?;
        }
        Command::Migrate => {
            config.demo_data = false;
            let state = startup::build_state(config).await?;
            state.db.close().await;
            println!("migrations applied");
        }
        Command::Admin {
            action:
                AdminAction::Create {
                    name,
                    phone,
                    email,
                    password,
                },
        } => {
            let state = startup::build_state(config).await?;
            let outcome =
                accounts::create_bureau_admin(&state, &name, &phone, &email, &password).await;
            state.db.close().await;
            match outcome.map_err(|e| anyhow::anyhow!("{e}"))? {
                AdminCreated::Created(id) => println!("created bureau admin {id}"),
                AdminCreated::AlreadyExists(id) => {
                    println!("a user with this phone exists already (id {id}); nothing changed")
                }
            }
        }
    }
    Ok(())
}
