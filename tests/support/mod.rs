//! Helpers for the integration tests: a real SMTP server ([`smtp`]) and enough MIME
//! reading to check what it received ([`mime`]).

// Each test binary uses its own subset of these helpers.
#![allow(dead_code)]

pub mod mime;
pub mod smtp;
