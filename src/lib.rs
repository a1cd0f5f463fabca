//! redline watches news feeds for stories on chosen topics, keeps every version of every
//! matching article, and reports word-level diffs when an outlet rewords one.
//!
//! The pipeline, and the module that owns each stage:
//!
//! ```text
//! feeds ──poll──▶ entries ──topic match──▶ articles ──fetch+extract──▶ versions
//!                                                                        │ diff + classify
//!                                  email, webhooks ◀── outbox ◀── alerts ◀┘
//! ```
//!
//! - [`config`]: the TOML config, its validation and defaults.
//! - [`fetch`]: the one HTTP client: politeness, conditional GET, body cap, redirects
//!   followed hop by hop, non-global addresses refused for feed links ([`fetch::guard`]).
//! - [`charset`]: bytes → UTF-8 by BOM, HTTP charset, in-document declaration, sniffing.
//! - [`feed`]: feed bytes → entries; link canonicalisation and article identity, and the
//!   canonical address a page declares (which joins AMP/mobile copies to their article).
//! - [`topic`]: the topic query language: parser and matcher; and "like this article"
//!   topics ([`topic::like`]): matching entries against stored copies of a story.
//! - [`extract`]: an HTML page → the stored copy (headline and paragraphs).
//! - [`text`]: the stored-copy format and text normalisation.
//! - [`diff`]: tokenising, word diffs, change classification and rendering.
//! - [`store`]: SQLite: schema, migrations, and every SQL statement.
//! - [`watch`]: one cycle of work: poll due feeds, check due articles, record versions.
//! - [`alert`]: the outbox → email messages → transports, and → signed webhook requests.
//! - [`archive`]: evidence: kept responses, WARC export, archive snapshots.
//! - [`daemon`]: the long-running service around [`watch`]: signals, reload, systemd,
//!   the mailer it owns, and the `/healthz` + `/metrics` endpoint ([`daemon::endpoint`]).
//! - [`cpu`]: CPU time per pipeline stage (decode, extract, diff, store).
//! - [`metrics`]: in-memory counters and their Prometheus text (no I/O, no store).
//! - [`opml`]: feed lists in and out as OPML (import edits the config, keeping its layout).
//! - [`clock`]: "now" that follows tokio's clock, so schedules can be tested in virtual time.
//! - [`cli`]: the `redline` command line.

// Module docs here describe internals for the people working on them, private items included.
#![allow(rustdoc::private_intra_doc_links)]

pub mod alert;
pub mod archive;
pub mod charset;
pub mod cli;
pub mod clock;
pub mod config;
pub mod cpu;
pub mod daemon;
pub mod diff;
pub mod extract;
pub mod feed;
pub mod fetch;
pub mod metrics;
pub mod opml;
pub mod store;
pub mod text;
pub mod topic;
pub mod watch;
