//! The `redline` command line: argument parsing (clap derive), one function per
//! subcommand, and all output formatting. Commands that inspect the store live in
//! [`inspect`]; commands that act (run, poll, track, …) in [`act`]; the self-contained
//! `demo` in [`demo`].

mod act;
mod coverage;
mod demo;
mod evidence;
mod inspect;
mod migrate;
mod opml;
mod table;

use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::Context;
use chrono::{DateTime, Utc};
use clap::{Parser, Subcommand, ValueEnum};

use crate::config::{Config, ConfigError, StateConfig};
use crate::store::Db;

/// Watch news feeds for stories on your topics, keep every version of every matching
/// article, and show a word-level diff whenever an outlet rewords one.
#[derive(Debug, Parser)]
#[command(name = "redline", version)]
pub struct Cli {
    /// The config file [default: $REDLINE_CONFIG, else config/redline.toml]
    #[arg(
        long,
        global = true,
        value_name = "PATH",
        help_heading = "Global options"
    )]
    pub config: Option<PathBuf>,
    /// More log output (-v info, -vv debug, -vvv trace)
    #[arg(short, long, global = true, action = clap::ArgAction::Count, help_heading = "Global options")]
    pub verbose: u8,
    /// Less log output (-q errors only, -qq nothing)
    #[arg(short, long, global = true, action = clap::ArgAction::Count, help_heading = "Global options")]
    pub quiet: u8,
    /// Colour in terminal output
    #[arg(long, global = true, value_enum, default_value_t = ColorChoice::Auto, help_heading = "Global options")]
    pub color: ColorChoice,
    /// Log line format (logs go to stderr)
    #[arg(long, global = true, value_enum, default_value_t = LogFormat::Text, help_heading = "Global options")]
    pub log_format: LogFormat,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ColorChoice {
    Auto,
    Always,
    Never,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LogFormat {
    Text,
    Json,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum DiffFormat {
    /// Changed paragraphs with [-removed-] and {+added+} words (coloured on a terminal)
    Word,
    /// A unified diff of the stored copies
    Unified,
    /// An HTML fragment with inline-styled changes
    Html,
    /// A JSON document
    Json,
}

/// `redline feeds import` / `export`.
#[derive(Debug, Subcommand)]
pub enum FeedsAction {
    /// Add each feed of an OPML file (an outline with an xmlUrl) to the config file as a [[feed]], keeping its comments and layout; feeds already there are skipped
    Import {
        /// The OPML file (UTF-8)
        file: PathBuf,
    },
    /// Print the configured feeds as OPML 2.0
    Export,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Play the seed story end to end on this machine: a local feed, a furniture change, a rewording, one alert
    Demo {
        /// Keep the demo's state (database, alert email, config) in DIR, not a new temporary directory
        #[arg(long, value_name = "DIR")]
        state: Option<PathBuf>,
    },
    /// Run as a service: poll, revisit, alert, until SIGTERM/SIGINT; SIGHUP reloads the config
    Run,
    /// Run one cycle of everything that is due, then exit
    Poll {
        /// Poll every feed and check every tracked article, due or not
        #[arg(long)]
        all: bool,
        /// Print the cycle's figures as JSON
        /// Print one JSON document on stdout
        #[arg(long)]
        json: bool,
    },
    /// Validate the config and print what it would watch (exit 2 on errors)
    Check,
    /// Copy the SQLite state into an empty PostgreSQL database, ids and all, and verify the row counts
    Migrate {
        /// The PostgreSQL database: postgres://USER@HOST/DB (password from the URL or [state] password_env)
        #[arg(long, value_name = "URL")]
        to: String,
    },
    /// List the feeds: last fetch, status, entries, errors and since when, backoff, host pause, next due; or import/export them as OPML
    #[command(args_conflicts_with_subcommands = true)]
    Feeds {
        /// Print one JSON document on stdout
        #[arg(long)]
        json: bool,
        #[command(subcommand)]
        action: Option<FeedsAction>,
    },
    /// List tracked articles: id, versions, last change, title, URL
    Articles {
        /// Only articles that matched this topic
        #[arg(long, value_name = "T")]
        topic: Option<String>,
        /// Only articles with at least one change
        #[arg(long)]
        changed: bool,
        /// Print one JSON document on stdout
        #[arg(long)]
        json: bool,
    },
    /// List the versions of one article with the words each added and removed
    History {
        /// Article id or URL
        article: String,
        /// Print one JSON document on stdout
        #[arg(long)]
        json: bool,
    },
    /// Show the diff between two versions of an article (default: the last two)
    Diff {
        /// Article id or URL
        article: String,
        /// Old version number
        #[arg(long, value_name = "N")]
        from: Option<i64>,
        /// New version number
        #[arg(long, value_name = "M")]
        to: Option<i64>,
        #[arg(long, value_enum, default_value_t = DiffFormat::Word)]
        format: DiffFormat,
    },
    /// Print the stored copy of a version (default: the latest)
    Show {
        /// Article id or URL
        article: String,
        #[arg(long, value_name = "N")]
        version: Option<i64>,
        /// Print the page bytes as received (kept with `[archive] raw = true`) instead
        #[arg(long)]
        raw: bool,
    },
    /// Write the kept page bytes of every version of an article as a WARC 1.1 file
    Export {
        /// Article id or URL
        article: String,
        /// The WARC file to write
        #[arg(long, value_name = "FILE")]
        warc: PathBuf,
    },
    /// Show the detected changes in time order, each with its diff
    Replay(inspect::ReplayArgs),
    /// Track an article directly, optionally with a stored copy as its baseline
    Track {
        /// The article's URL
        url: String,
        /// A stored copy (headline, blank line, paragraphs) to use as the baseline
        #[arg(long, value_name = "COPY")]
        file: Option<PathBuf>,
        /// Topic(s) to file it under (repeatable)
        #[arg(long, value_name = "T")]
        topic: Vec<String>,
        /// The headline, when the copy has none (default: the page's current headline)
        #[arg(long, value_name = "TEXT")]
        headline: Option<String>,
    },
    /// Send a test message through the configured transport
    TestEmail {
        /// Recipient (default: `[email].to`)
        #[arg(long, value_name = "ADDR")]
        to: Option<String>,
    },
    /// Send a test document to a configured webhook now (not through the outbox) and print its answer
    TestWebhook {
        /// The `[[webhook]]` name
        name: String,
    },
    /// Print the stored copy redline would keep for a page (URL or file)
    Extract {
        /// An http(s) URL, or a path to a saved HTML file
        source: String,
    },
    /// List the articles a "like this article" topic matched, with their similarity
    Coverage {
        /// A topic with `like` copies
        topic: String,
        /// Also show what each article shares with its copy: names, figures, quotes, terms
        #[arg(long)]
        explain: bool,
        /// Print one JSON document on stdout
        #[arg(long)]
        json: bool,
    },
}

/// A mistake in how redline was called (exit 2).
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct UsageError(pub String);

/// Global options every command sees.
#[derive(Debug, Clone)]
pub struct Ctx {
    pub config_path: PathBuf,
    pub color: bool,
}

impl Ctx {
    /// Loads and validates the config.
    pub fn config(&self) -> Result<Arc<Config>, ConfigError> {
        Config::load(&self.config_path).map(Arc::new)
    }

    /// Opens the store named by the config: its SQLite file, or its PostgreSQL database.
    pub async fn db(&self, config: &Config) -> anyhow::Result<Db> {
        Ok(Db::open(&config.state).await?)
    }

    /// Runs `work` on the store while the config is still being parsed and checked (a
    /// config of 10,000 feeds takes tens of milliseconds): the store's place is peeked
    /// from the `[state]` lines first ([`StateConfig::peek`]). Only an SQLite state that
    /// already exists is opened early, so a bad config still creates nothing; a config
    /// error wins over whatever the work found; and when the parsed config names
    /// another store than the peek did, the work is done again on the right one.
    pub async fn with_store<T, F, Fut>(&self, work: F) -> anyhow::Result<(Arc<Config>, T)>
    where
        F: Fn(Db) -> Fut,
        Fut: std::future::Future<Output = anyhow::Result<T>>,
    {
        let source = Config::read(&self.config_path)?;
        let early = StateConfig::peek(&source)
            .filter(|s| s.database.is_none() && s.dir.join("redline.db").is_file());
        let Some(state) = early else {
            let config = Arc::new(Config::from_str(&source, &self.config_path)?);
            let out = work(self.db(&config).await?).await?;
            return Ok((config, out));
        };
        let path = self.config_path.clone();
        let parse = tokio::task::spawn_blocking(move || Config::from_str(&source, &path));
        let out = async { work(Db::open(&state).await?).await }.await;
        let config = Arc::new(parse.await.context("reading the config")??);
        if !config.state.same_store(&state) {
            let out = work(self.db(&config).await?).await?;
            return Ok((config, out));
        }
        Ok((config, out?))
    }
}

/// Parses the arguments, sets up logging, runs the command, and maps the outcome to the
/// exit status: 0 success, 1 runtime failure, 2 bad usage or bad config.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    init_logging(&cli);
    let ctx = Ctx {
        config_path: cli
            .config
            .clone()
            .or_else(|| std::env::var_os("REDLINE_CONFIG").map(PathBuf::from))
            .unwrap_or_else(|| PathBuf::from("config/redline.toml")),
        color: match cli.color {
            ColorChoice::Always => true,
            ColorChoice::Never => false,
            ColorChoice::Auto => {
                std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none()
            }
        },
    };
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("redline: cannot start the async runtime: {e}");
            return ExitCode::from(1);
        }
    };
    let result = runtime.block_on(run(cli.command, ctx));
    match result {
        Ok(code) => code,
        Err(e) => {
            if is_broken_pipe(&e) {
                return ExitCode::SUCCESS;
            }
            eprintln!("redline: {e:#}");
            if e.downcast_ref::<ConfigError>().is_some() || e.downcast_ref::<UsageError>().is_some()
            {
                ExitCode::from(2)
            } else {
                ExitCode::from(1)
            }
        }
    }
}

async fn run(command: Command, ctx: Ctx) -> anyhow::Result<ExitCode> {
    match command {
        Command::Demo { state } => demo::demo(&ctx, state).await,
        Command::Run => act::run(&ctx).await,
        Command::Poll { all, json } => act::poll(&ctx, all, json).await,
        Command::Check => act::check(&ctx),
        Command::Migrate { to } => migrate::migrate(&ctx, to).await,
        Command::Feeds { json, action } => match action {
            None => inspect::feeds(&ctx, json).await,
            Some(FeedsAction::Import { file }) => opml::import(&ctx, &file),
            Some(FeedsAction::Export) => opml::export(&ctx),
        },
        Command::Articles {
            topic,
            changed,
            json,
        } => inspect::articles(&ctx, topic, changed, json).await,
        Command::History { article, json } => inspect::history(&ctx, &article, json).await,
        Command::Diff {
            article,
            from,
            to,
            format,
        } => inspect::diff(&ctx, &article, from, to, format).await,
        Command::Show {
            article,
            version,
            raw: false,
        } => inspect::show(&ctx, &article, version).await,
        Command::Show {
            article,
            version,
            raw: true,
        } => evidence::show_raw(&ctx, &article, version).await,
        Command::Export { article, warc } => evidence::export_warc(&ctx, &article, &warc).await,
        Command::Replay(args) => inspect::replay(&ctx, args).await,
        Command::Track {
            url,
            file,
            topic,
            headline,
        } => act::track(&ctx, &url, file.as_deref(), topic, headline).await,
        Command::TestEmail { to } => act::test_email(&ctx, to.as_deref()).await,
        Command::TestWebhook { name } => act::test_webhook(&ctx, &name).await,
        Command::Extract { source } => act::extract(&ctx, &source).await,
        Command::Coverage {
            topic,
            explain,
            json,
        } => coverage::coverage(&ctx, &topic, json, explain).await,
    }
    .map(|()| ExitCode::SUCCESS)
}

fn init_logging(cli: &Cli) {
    use tracing_subscriber::EnvFilter;
    // The service logs what it does; one-shot commands keep stderr for problems.
    let base: i8 = if matches!(cli.command, Command::Run) {
        2
    } else {
        1
    };
    let level = match base + cli.verbose as i8 - cli.quiet as i8 {
        i8::MIN..=-1 => "off",
        0 => "error",
        1 => "warn",
        2 => "info",
        3 => "debug",
        _ => "trace",
    };
    let filter = EnvFilter::try_from_env("REDLINE_LOG")
        .unwrap_or_else(|_| EnvFilter::new(format!("{level},redline={level}")));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    let _ = match cli.log_format {
        LogFormat::Json => builder.json().try_init(),
        LogFormat::Text => builder
            .with_ansi(cli.color != ColorChoice::Never && std::io::stderr().is_terminal())
            .try_init(),
    };
}

fn is_broken_pipe(e: &anyhow::Error) -> bool {
    e.chain().any(|c| {
        c.downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
    })
}

/// Writes command output to stdout in one go; a closed pipe ends the command quietly.
pub fn emit(text: &str) -> anyhow::Result<()> {
    let mut out = std::io::stdout().lock();
    out.write_all(text.as_bytes())?;
    out.flush()?;
    Ok(())
}

/// Writes a long output (a table of every article) to stdout as it is formatted, through
/// one buffer, instead of building it whole first.
pub fn emit_display(value: &impl std::fmt::Display) -> anyhow::Result<()> {
    let mut out = std::io::BufWriter::with_capacity(1 << 16, std::io::stdout().lock());
    write!(out, "{value}")?;
    out.flush()?;
    Ok(())
}

/// Prints a value as one pretty JSON document.
pub fn emit_json<T: serde::Serialize>(value: &T) -> anyhow::Result<()> {
    let mut s = serde_json::to_string_pretty(value).context("cannot encode JSON")?;
    s.push('\n');
    emit(&s)
}

/// A time for people, to the second: `2026-11-29 10:04:07 UTC`.
pub fn human_time(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%d %H:%M:%S UTC").to_string()
}

/// Parses `--since`/`--until`: RFC 3339, or a duration back from now (`2h`, `3d`).
pub fn parse_when(s: &str, now: DateTime<Utc>) -> Result<DateTime<Utc>, UsageError> {
    if let Ok(t) = DateTime::parse_from_rfc3339(s.trim()) {
        return Ok(t.with_timezone(&Utc));
    }
    crate::config::parse_duration(s)
        .ok()
        .and_then(|d| chrono::Duration::from_std(d).ok())
        .map(|d| now - d)
        .ok_or_else(|| {
            UsageError(format!(
                "{s:?} is neither an RFC 3339 time (2026-11-29T08:00:00Z) nor a duration back from now (2h, 3d)"
            ))
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn clap_definition_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn readme_documents_every_command_and_option() {
        let readme = include_str!("../../README.md");
        let cli = Cli::command();
        let nested = cli.get_subcommands().flat_map(|sub| {
            sub.get_subcommands()
                .map(move |s| (format!("{} {}", sub.get_name(), s.get_name()), s))
        });
        let top = cli.get_subcommands().map(|s| (s.get_name().to_string(), s));
        for (name, sub) in top.chain(nested) {
            assert!(
                readme.contains(&format!("`redline {name}")),
                "README lacks `redline {name}`"
            );
            for arg in sub.get_arguments().filter(|a| !a.is_global_set()) {
                if let Some(long) = arg.get_long().filter(|l| *l != "help") {
                    assert!(
                        readme.contains(&format!("--{long}")),
                        "README lacks --{long} of `redline {name}`"
                    );
                }
            }
        }
        for global in ["--config", "--color", "--log-format", "-v", "-q"] {
            assert!(readme.contains(global), "README lacks {global}");
        }
    }

    #[test]
    fn when_parses_both_forms() {
        let now = Utc::now();
        assert_eq!(
            parse_when("2h", now).expect("dur"),
            now - chrono::Duration::hours(2)
        );
        assert_eq!(
            parse_when("2026-01-02T03:04:05Z", now)
                .expect("rfc")
                .to_rfc3339(),
            "2026-01-02T03:04:05+00:00"
        );
        assert!(parse_when("yesterday", now).is_err());
    }
}
