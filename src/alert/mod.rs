//! Placeholder until the mail layer lands.
use crate::config::Config;
use crate::store::{AlertRow, Db};
use std::sync::Arc;

#[derive(Debug, Default, serde::Serialize)]
pub struct DeliveryReport {
    pub attempted: usize,
    pub sent: usize,
    pub queued: usize,
    pub failed: usize,
}

pub async fn deliver_due(
    _c: &Config,
    _db: &Db,
    _now: chrono::DateTime<chrono::Utc>,
) -> anyhow::Result<DeliveryReport> {
    Ok(DeliveryReport::default())
}
pub async fn test_email(_c: &Config, _to: Option<&str>) -> anyhow::Result<String> {
    anyhow::bail!("mail is not wired up yet")
}
pub async fn resend(
    _c: &Arc<Config>,
    _db: &Db,
    _a: &[AlertRow],
    _to: Option<&str>,
) -> anyhow::Result<usize> {
    anyhow::bail!("mail is not wired up yet")
}
