//! The `quire` command: serve, migrate, load surveys and rosters, set up the demo.

use std::path::{Path, PathBuf};

use anyhow::Context;
use clap::{Parser, Subcommand};
use quire_shared::ValidSurvey;
use sqlx::PgPool;

use crate::admin::api_tokens::{self, NewToken};
use crate::admin::auth::{create_admin, grant_surveys, Role};
use crate::config::{DbConfig, ServeConfig};
use crate::respondent::roster::{format_code, CodeRow};
use crate::respondent::surveys;
use crate::{connect, launch, AppState, MIGRATOR};

#[derive(Parser, Debug)]
#[command(name = "quire", version, about = "Quire: offline-first school surveys")]
pub struct Cli {
    #[command(flatten)]
    pub db: DbConfig,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Migrate the database and serve the API and the respondent app.
    Serve(ServeConfig),
    /// Apply pending migrations and exit.
    Migrate,
    /// Validate a survey file (JSON, or an XLSForm .xlsx/.xls) and store it as a version (and with --publish, make it
    /// current); or `survey import FILE.xlsx`: print the XLSForm as Quire's survey JSON.
    #[command(args_conflicts_with_subcommands = true)]
    Survey {
        #[command(subcommand)]
        action: Option<SurveyAction>,
        #[arg(required = true)]
        file: Option<PathBuf>,
        #[arg(long)]
        publish: bool,
        #[arg(long, env = "QUIRE_STATIC_DIR", default_value = "static")]
        static_dir: PathBuf,
    },
    /// Load a roster CSV (school,class,role,external_id[,name,district,grade,language]) for a survey and print everyone's
    /// access code as CSV.
    Roster {
        file: PathBuf,
        #[arg(long)]
        survey: String,
    },
    /// Create an administrator or school coordinator, or reset one's password and role (same email).
    CreateAdmin {
        #[arg(long)]
        email: String,
        /// `administrator` (everything) or `coordinator` (one school's rosters, codes and dashboard).
        #[arg(long, default_value = "administrator")]
        role: String,
        /// The coordinator's school.
        #[arg(long)]
        school: Option<String>,
        /// A survey the coordinator works on (repeat for several; added to those granted before).
        #[arg(long = "survey")]
        surveys: Vec<String>,
        /// Read from this variable, or else from the first line of standard input (never a flag: flags show in `ps`).
        #[arg(long, default_value = "QUIRE_ADMIN_PASSWORD")]
        password_env: String,
    },
    /// Grant a school coordinator more surveys (their password and school stay as they are).
    Grant {
        #[arg(long)]
        email: String,
        /// A survey to grant (repeat for several).
        #[arg(long = "survey", required = true)]
        surveys: Vec<String>,
    },
    /// Make an admin API token for an account and print it (shown this once; audited as made by that account).
    CreateToken {
        #[arg(long)]
        email: String,
        /// What it is for, shown at /admin/tokens and in the audit log.
        #[arg(long)]
        name: String,
        /// Reads only: no uploads, publishing or roster loads.
        #[arg(long)]
        read_only: bool,
        /// The one survey it may touch (without it, every survey the account may).
        #[arg(long)]
        survey: Option<String>,
        /// Days until it expires (without it, never: until revoked at /admin/tokens).
        #[arg(long)]
        expires_in_days: Option<u32>,
    },
    /// Load and publish the example survey and demo roster (safe to repeat) and print a few access codes.
    Demo {
        #[arg(long, default_value = "shared/fixtures/school-climate.json")]
        survey: PathBuf,
        #[arg(long, default_value = "shared/fixtures/demo-roster.csv")]
        roster: PathBuf,
        #[arg(long, env = "QUIRE_STATIC_DIR", default_value = "static")]
        static_dir: PathBuf,
    },
}

#[derive(Subcommand, Debug)]
pub enum SurveyAction {
    /// Read an XLSForm (.xlsx, .xls) and write the survey as JSON to standard output; warnings and problems (each
    /// with its sheet, row and column) go to standard error; exit status 1 on any problem. Needs no database.
    Import { file: PathBuf },
}

pub async fn run(cli: Cli) -> anyhow::Result<()> {
    if let Command::Survey { action: Some(SurveyAction::Import { file }), .. } = &cli.command {
        return import_xlsform(file);
    }
    let pool = connect(&cli.db).await.context("connecting to PostgreSQL (DATABASE_URL)")?;
    MIGRATOR.run(&pool).await.context("migrating")?;
    match cli.command {
        Command::Migrate => Ok(()),
        Command::Serve(config) => {
            let listener = listen(config.bind).with_context(|| format!("binding {}", config.bind))?;
            tracing::info!(addr = %listener.local_addr()?, "serving");
            let state = AppState::new(pool, config).await?;
            launch(listener, state, shutdown_signal()).await
        }
        Command::Survey { action: Some(SurveyAction::Import { file }), .. } => import_xlsform(&file),
        Command::Survey { action: None, file, publish, static_dir } => {
            let file = file.context("name the survey file")?;
            let survey = load_survey(&pool, &file, publish, &static_dir).await?;
            let published = if publish { " (published)" } else { "" };
            println!("{} version {}{published}", survey.survey().id, survey.version());
            Ok(())
        }
        Command::Roster { file, survey } => {
            let rows = load_roster(&pool, &file, &survey).await?;
            let mut out = csv::Writer::from_writer(std::io::stdout());
            out.write_record(["school", "class", "role", "external_id", "name", "access_code"])?;
            for r in rows {
                let code = format_code(&r.access_code);
                let cells = [&r.school, &r.class, &r.role, &r.external_id, r.name.as_deref().unwrap_or(""), &code];
                out.write_record(cells.map(|c| crate::admin::csv_stream::defused(c).into_owned()))?;
            }
            out.flush()?;
            Ok(())
        }
        Command::CreateAdmin { email, role, school, surveys, password_env } => {
            let role = Role::parse(&role).context("--role must be administrator or coordinator")?;
            let password = read_password(&password_env)?;
            create_admin(&pool, &email, &password, role, school.as_deref(), &surveys).await?;
            println!("{} can now sign in at /admin as {}", email.to_lowercase(), role.as_str());
            Ok(())
        }
        Command::Grant { email, surveys } => {
            grant_surveys(&pool, &email, &surveys).await?;
            println!("{} may now work on {}", email.to_lowercase(), surveys.join(", "));
            Ok(())
        }
        Command::CreateToken { email, name, read_only, survey, expires_in_days } => {
            create_token(&pool, NewToken { owner: email, name, read_only, survey_id: survey, expires_in_days }).await
        }
        Command::Demo { survey, roster, static_dir } => {
            let s = load_survey(&pool, &survey, true, &static_dir).await?;
            let rows = load_roster(&pool, &roster, &s.survey().id).await?;
            println!(
                "Demo survey `{}` version {} with {} respondents. Some access codes:",
                s.survey().id,
                s.version(),
                rows.len()
            );
            for role in ["student", "teacher", "parent"] {
                for row in rows.iter().filter(|r| r.role == role).take(2) {
                    println!(
                        "  {:<8} {:<20} class {:<3} {}",
                        role,
                        row.school,
                        row.class,
                        format_code(&row.access_code)
                    );
                }
            }
            Ok(())
        }
    }
}

/// A listening socket with a long accept backlog: when thousands of respondents reconnect at once, their
/// connections wait in the kernel's queue (capped by net.core.somaxconn) instead of being dropped and retried
/// a second later.
fn listen(addr: std::net::SocketAddr) -> std::io::Result<tokio::net::TcpListener> {
    let socket = if addr.is_ipv4() { tokio::net::TcpSocket::new_v4()? } else { tokio::net::TcpSocket::new_v6()? };
    socket.set_reuseaddr(true)?;
    socket.bind(addr)?;
    socket.listen(8192)
}

/// From the variable `password_env`, or else from the first line of standard input.
fn read_password(password_env: &str) -> anyhow::Result<String> {
    if let Ok(p) = std::env::var(password_env) {
        return Ok(p);
    }
    eprintln!("Password (at least 12 characters), then Enter:");
    let mut line = String::new();
    std::io::stdin().read_line(&mut line)?;
    Ok(line.trim_end_matches(['\r', '\n']).to_owned())
}

/// `quire survey import`: the JSON on standard output, every problem on standard error.
fn import_xlsform(file: &Path) -> anyhow::Result<()> {
    match quire_xlsform::import_path(file) {
        Ok((json, warnings)) => {
            for w in warnings {
                eprintln!("warning: {w}");
            }
            println!("{json}");
            Ok(())
        }
        Err(problems) => {
            for p in &problems {
                eprintln!("{p}");
            }
            anyhow::bail!("{}: {} problem(s); nothing was written", file.display(), problems.len())
        }
    }
}

/// A survey file as JSON text: an XLSForm (by its extension) is imported first.
fn survey_text(file: &Path) -> anyhow::Result<String> {
    let spreadsheet = file.extension().is_some_and(|e| e.eq_ignore_ascii_case("xlsx") || e.eq_ignore_ascii_case("xls"));
    if !spreadsheet {
        return std::fs::read_to_string(file).with_context(|| format!("reading {}", file.display()));
    }
    quire_xlsform::import_path(file).map(|(json, _)| json).map_err(|problems| {
        let list: Vec<String> = problems.iter().map(ToString::to_string).collect();
        anyhow::anyhow!("{} is not a survey Quire can take:\n  {}", file.display(), list.join("\n  "))
    })
}

async fn load_survey(pool: &PgPool, file: &Path, publish: bool, static_dir: &Path) -> anyhow::Result<ValidSurvey> {
    let text = survey_text(file)?;
    let survey = ValidSurvey::parse(&text).map_err(|errors| {
        let list: Vec<String> = errors.iter().map(ToString::to_string).collect();
        anyhow::anyhow!("{} is not a valid survey:\n  {}", file.display(), list.join("\n  "))
    })?;
    surveys::store_version(pool, &survey, publish, static_dir).await?;
    Ok(survey)
}

async fn load_roster(pool: &PgPool, file: &Path, survey: &str) -> anyhow::Result<Vec<CodeRow>> {
    let text = std::fs::read_to_string(file).with_context(|| format!("reading {}", file.display()))?;
    let rows = crate::respondent::roster::parse(&text).map_err(|errors| {
        let list: Vec<String> = errors.iter().map(ToString::to_string).collect();
        anyhow::anyhow!("{}: nothing was loaded:\n  {}", file.display(), list.join("\n  "))
    })?;
    crate::respondent::roster::load(pool, survey, &rows).await
}

async fn create_token(pool: &PgPool, new: NewToken) -> anyhow::Result<()> {
    let owner = api_tokens::admin_by_email(pool, &new.owner)
        .await?
        .with_context(|| format!("no administrator or coordinator `{}`", new.owner))?;
    let created = api_tokens::create(pool, &owner, &new).await?;
    eprintln!("API token {} for {} (shown this once; only its hash is kept):", created.id, owner.email);
    println!("{}", created.token);
    Ok(())
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        if let Ok(mut s) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            s.recv().await;
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! { _ = ctrl_c => {}, _ = term => {} }
    tracing::info!("shutting down: finishing requests in flight");
}
