//! redline watches news feeds for stories on chosen topics, keeps every version of every
//! matching article, and reports word-level diffs when an outlet rewords one.
//!
//! The pipeline, and the module that owns each stage:
//!
//! ```text
//! feeds ──poll──▶ entries ──topic match──▶ articles ──fetch+extract──▶ versions
//!                                                                        │ diff + classify
//!                                           email ◀── outbox ◀── alerts ◀┘
//! ```
//!
//! - [`config`]: the TOML config, its validation and defaults.
//! - [`fetch`]: the one HTTP client: politeness, conditional GET, body cap, charsets.
//! - [`feed`]: feed bytes → entries; link canonicalisation and article identity.
//! - [`topic`]: the topic query language: parser and matcher.
//! - [`extract`]: an HTML page → the stored copy (headline and paragraphs).
//! - [`text`]: the stored-copy format and text normalisation.
//! - [`diff`]: tokenising, word diffs, change classification and rendering.
//! - [`store`]: SQLite: schema, migrations, and every SQL statement.
//! - [`watch`]: one cycle of work: poll due feeds, check due articles, record versions.
//! - [`alert`]: the outbox → email messages → transports.
//! - [`daemon`]: the long-running service around [`watch`].
//! - [`cli`]: the `redline` command line.

pub mod charset;
pub mod config;
pub mod extract;
pub mod text;
pub mod topic;
