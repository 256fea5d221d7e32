//! The command line: `serve`, `migrate`, `admin create`. Every command reads the same
//! configuration, exits non-zero with one clear line on error, and changes nothing then.

use crate::{
    accounts::{self, AdminCreated},
    config::Config,
    question_bank::{self, formats::Format},
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
    /// Seed a load test: a sitting of the shipped 100-question exam, open now for
    /// `--minutes`, with `--candidates` booked candidates (one shared password); writes what
    /// `examples/loadgen.rs` needs to `--out`. For test machines only: refused where the
    /// configuration looks like production unless `--test-machine` says otherwise.
    LoadtestSeed {
        #[arg(long, default_value_t = 1000)]
        candidates: u32,
        /// This machine is a test machine: seed even though the configuration looks like
        /// production (PostgreSQL, SMTP, an https public address).
        #[arg(long)]
        test_machine: bool,
        #[arg(long, default_value_t = 5)]
        minutes: i64,
        #[arg(long, default_value = "loadtest-seed.json")]
        out: std::path::PathBuf,
    },
    /// Seed a district-sized data set for the reports' benchmark: 11 streets, and at
    /// `--scale 1` 30,000 enterprises, 200,000 people, five years of sittings and 300,000
    /// graded attempts with their answers and certificates. For test machines only: refused
    /// where the configuration looks like production unless `--test-machine` says otherwise.
    SeedDistrict {
        #[arg(long, default_value_t = 1.0)]
        scale: f64,
        /// This machine is a test machine: seed even though the configuration looks like
        /// production (PostgreSQL, SMTP, an https public address).
        #[arg(long)]
        test_machine: bool,
    },
    /// Import question files into a bank (created if missing). All files are read and
    /// checked first: if any has a problem, nothing is written.
    Import {
        /// The bank to import into; defaults to the bank a native file names, else the
        /// file name.
        #[arg(long)]
        bank: Option<String>,
        /// native, xlsx, csv, moodlexml, gift or aiken; guessed from the extension if absent.
        #[arg(long)]
        format: Option<String>,
        #[arg(required = true)]
        paths: Vec<std::path::PathBuf>,
    },
    /// Import lessons in the folder format of `lessons/README.md`: each FOLDER holds one
    /// course's lessons (the course named by the lessons' `course` code), or is a folder of
    /// such folders. A course's lessons replace the ones it has, matched by `order`. All
    /// files are read and checked first: if any has a problem, nothing is written.
    ImportLessons {
        #[arg(required = true)]
        folders: Vec<std::path::PathBuf>,
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
        Command::LoadtestSeed {
            candidates,
            minutes,
            test_machine,
            out,
        } => {
            if let Some(why) = crate::loadtest::looks_like_production(&config)
                && !test_machine
            {
                anyhow::bail!(
                    "loadtest-seed books candidates who share one password, and {why}: this looks like production; add --test-machine if it is not"
                );
            }
            config.demo_data = false;
            let state = startup::build_state(config).await?;
            let started = std::time::Instant::now();
            let seeded = crate::loadtest::seed(&state, candidates, minutes)
                .await
                .map_err(|e| anyhow::anyhow!("{e}"))?;
            std::fs::write(&out, serde_json::to_vec_pretty(&seeded)?)?;
            state.db.close().await;
            println!(
                "seeded sitting {} with {} candidates in {:.1} s; deadline {}; wrote {}",
                seeded.sitting_id,
                seeded.candidates.len(),
                started.elapsed().as_secs_f64(),
                seeded.deadline,
                out.display()
            );
        }
        Command::SeedDistrict {
            scale,
            test_machine,
        } => {
            if let Some(why) = crate::loadtest::looks_like_production(&config)
                && !test_machine
            {
                anyhow::bail!(
                    "seed-district writes 200,000 made-up people, and {why}: this looks like production; add --test-machine if it is not"
                );
            }
            if !(scale > 0.0 && scale <= 10.0) {
                anyhow::bail!("--scale: from above 0 to 10");
            }
            config.demo_data = false;
            let state = startup::build_state(config).await?;
            if state.config.shipped_banks {
                crate::shipped::load_if_empty(&state)
                    .await
                    .map_err(|e| anyhow::anyhow!("loading the shipped question banks: {e}"))?;
            }
            let started = std::time::Instant::now();
            let seeded =
                crate::seed_district::seed(&state, crate::seed_district::Scale::district(scale))
                    .await
                    .map_err(|e| anyhow::anyhow!("{e}"))?;
            state.db.close().await;
            println!(
                "seeded {} streets, {} enterprises, {} people, {} sittings, {} registrations, {} attempts with {} answers, {} certificates in {:.1} s",
                seeded.streets,
                seeded.enterprises,
                seeded.people,
                seeded.sittings,
                seeded.registrations,
                seeded.attempts,
                seeded.answers,
                seeded.certificates,
                started.elapsed().as_secs_f64()
            );
        }
        Command::Import {
            bank,
            format,
            paths,
        } => {
            config.demo_data = false;
            config.shipped_banks = false;
            import_files(config, bank, format, paths).await?;
        }
        Command::ImportLessons { folders } => {
            config.demo_data = false;
            config.shipped_banks = false;
            import_lessons(config, folders).await?;
        }
    }
    Ok(())
}

/// `safecert import`: read and check every file, then write them, each in one transaction.
async fn import_files(
    config: Config,
    bank: Option<String>,
    format: Option<String>,
    paths: Vec<std::path::PathBuf>,
) -> anyhow::Result<()> {
    let forced = match format.as_deref() {
        Some(name) => Some(Format::parse(name).ok_or_else(|| {
            anyhow::anyhow!(
                "--format: expected native, xlsx, csv, moodlexml, gift or aiken, got {name:?}"
            )
        })?),
        None => None,
    };
    let mut files = Vec::new();
    let mut problems = Vec::new();
    for path in &paths {
        let shown = path.display().to_string();
        let Some(format) = forced.or_else(|| Format::from_path(&shown)) else {
            anyhow::bail!("{shown}: cannot tell the format from the name; give --format");
        };
        let bytes = std::fs::read(path).map_err(|e| anyhow::anyhow!("{shown}: {e}"))?;
        match question_bank::read_file(format, &bytes) {
            Ok((meta, checked)) => {
                let target = bank
                    .clone()
                    .or(meta.bank)
                    .unwrap_or_else(|| file_stem(path));
                files.push((shown, target, meta.description, checked));
            }
            Err(errors) => {
                for e in errors {
                    problems.push(format!("{shown}:{}: {}", e.line, e.reason));
                }
            }
        }
    }
    let named: Vec<question_bank::BankFile<'_>> = files
        .iter()
        .map(|(shown, target, _, checked)| question_bank::BankFile {
            file: shown,
            bank: target,
            checked,
        })
        .collect();
    problems.extend(question_bank::clashing_refs(&named));
    if !problems.is_empty() {
        // Several lines would break "one clear line": list them, then fail with a count.
        for p in &problems {
            eprintln!("{p}");
        }
        anyhow::bail!(
            "{} problem(s) in the files above; nothing was imported",
            problems.len()
        );
    }
    let state = startup::build_state(config).await?;
    for (shown, target, description, checked) in files {
        let bank = match question_bank::store::bank_by_name(&state.db, &target).await? {
            Some(bank) => bank,
            None => question_bank::create_bank(&state, &target, description.as_deref())
                .await
                .map_err(|e| anyhow::anyhow!("{shown}: {e}"))?,
        };
        let report = question_bank::import_checked(&state, bank.id, checked)
            .await
            .map_err(|e| anyhow::anyhow!("{shown}: {e}"))?;
        println!(
            "{shown}: bank “{}”: {} imported, {} updated, {} unchanged, {} skipped",
            bank.name,
            report.imported,
            report.updated,
            report.unchanged,
            report.skipped.len()
        );
        for s in report.skipped {
            println!("  skipped line {}: {}", s.line, s.reason);
        }
    }
    state.db.close().await;
    Ok(())
}

fn file_stem(path: &std::path::Path) -> String {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    name.split('.').next().unwrap_or(&name).to_string()
}

/// Reads every lesson under `folders` (a course's folder, or a folder of them), checks them
/// all, then replaces each named course's lessons.
async fn import_lessons(config: Config, folders: Vec<std::path::PathBuf>) -> anyhow::Result<()> {
    use crate::study::folder::{self, LessonFile};
    let mut by_course: std::collections::BTreeMap<String, Vec<LessonFile>> = Default::default();
    let mut problems = Vec::new();
    for root in &folders {
        let mut dirs = vec![root.clone()];
        let mut children: Vec<_> = std::fs::read_dir(root)
            .map_err(|e| anyhow::anyhow!("{}: {e}", root.display()))?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.is_dir())
            .collect();
        children.sort();
        dirs.extend(children);
        for dir in dirs {
            match folder::read_dir(&dir) {
                Ok(files) => {
                    for f in files {
                        by_course.entry(f.course.clone()).or_default().push(f);
                    }
                }
                Err(e) => problems.push(e),
            }
        }
    }
    if !problems.is_empty() {
        for p in &problems {
            eprintln!("{p}");
        }
        anyhow::bail!(
            "{} problem(s) in the lessons above; nothing was imported",
            problems.len()
        );
    }
    if by_course.is_empty() {
        anyhow::bail!("no lessons (*.md with safecert-lesson/1 front matter) found");
    }
    let state = startup::build_state(config).await?;
    let mut courses = Vec::new();
    for code in by_course.keys() {
        let course = crate::courses::store::course_by_code(&state.db, code)
            .await?
            .ok_or_else(|| {
                anyhow::anyhow!("course {code}: no such course; nothing was imported")
            })?;
        courses.push(course);
    }
    for (course, files) in courses.iter().zip(by_course.values()) {
        // The files the lessons name, kept for the course (once, however often imported).
        let mut uploaded = std::collections::HashMap::new();
        for path in files.iter().flat_map(|f| &f.media) {
            if uploaded.contains_key(path) {
                continue;
            }
            let kept = crate::media::import_file(&state.db, course.id, path)
                .await
                .map_err(|e| anyhow::anyhow!("{}: {e}; lessons not imported", path.display()))?;
            uploaded.insert(path.clone(), kept.path());
        }
        if !uploaded.is_empty() {
            println!(
                "course {}: {} media file(s) kept",
                course.code,
                uploaded.len()
            );
        }
        let lessons: Vec<_> = files
            .iter()
            .map(|f| f.with_media(&|p| uploaded.get(p).cloned()))
            .collect();
        let done = crate::study::replace_lessons(&state, course.id, &lessons)
            .await
            .map_err(|e| anyhow::anyhow!("course {}: {e}", course.code))?;
        println!(
            "course {} “{}”: {} lessons added, {} updated, {} removed, {} kept (studied already)",
            course.code, course.title, done.added, done.updated, done.removed, done.kept_studied
        );
    }
    state.db.close().await;
    Ok(())
}
