//! Live sources: the fetch stage. Pulls evidence from Stripe ([`stripe`]), calendar feed URLs
//! ([`feeds`]) and an IMAP mailbox ([`imap`]) into a raw cache under the output folder, exactly
//! as received:
//!
//! ```text
//! <out>/cache/stripe/<acct_…>/<object>_<nnnn>.json   Stripe list pages (+ <object>.cursor)
//! <out>/cache/calendars/<tenant>/feed_<n>.ics         calendar feeds
//! <out>/cache/mail/<folder>/<uidvalidity>_<uid>.eml   IMAP messages
//! ```
//!
//! The offline importers then read the cache like any other evidence file, so `recover` with
//! live sources is "fetch, then the offline run", and `recover --offline` (no fetch, cache only)
//! gives byte-identical outputs. Nothing here ever writes to a source: Stripe is only sent GET
//! requests (one place, [`stripe::transport`], gapfill's implementation of async-stripe's
//! `StripeClient`), feeds are GET, IMAP mailboxes are opened with
//! EXAMINE and read with `BODY.PEEK[]`.

pub mod feeds;
pub mod imap;
pub mod stripe;

use std::path::{Path, PathBuf};
use std::time::Duration;

use chrono::{DateTime, Utc};
use serde::Deserialize;

use crate::error::{Error, Result};
use crate::plan::Plan;
use crate::progress::Progress;

/// Days added before T0 and after T1 when asking live sources for evidence.
pub const DEFAULT_MARGIN_DAYS: u32 = 3;

/// `[live]`: settings shared by every live source.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LiveConfig {
    /// Days before T0 and after T1 that are fetched too (default 3).
    #[serde(default = "default_margin")]
    pub margin_days: u32,
    /// Timeout of one HTTP request or IMAP exchange, seconds (default 60).
    #[serde(default = "default_timeout")]
    pub timeout_secs: u64,
}

impl Default for LiveConfig {
    fn default() -> Self {
        LiveConfig {
            margin_days: DEFAULT_MARGIN_DAYS,
            timeout_secs: default_timeout(),
        }
    }
}

fn default_margin() -> u32 {
    DEFAULT_MARGIN_DAYS
}
fn default_timeout() -> u64 {
    60
}

/// What the caller asks of the fetch stage.
#[derive(Debug, Clone, Copy, Default)]
pub struct Options {
    /// Do not contact any source: read the cache only.
    pub offline: bool,
    /// Fetch completed lists and feeds again instead of trusting the cache.
    pub refresh: bool,
}

/// Cached evidence to import, each with the tenant it belongs to (if any).
#[derive(Debug, Clone, Default)]
pub struct CacheInputs {
    pub stripe_json: Vec<(PathBuf, Option<String>)>,
    pub calendars: Vec<(PathBuf, Option<String>)>,
    pub emails: Vec<(PathBuf, Option<String>)>,
}

/// What the fetch stage did.
#[derive(Debug, Default)]
pub struct Report {
    pub inputs: CacheInputs,
    /// Problems that did not stop the run (an account without permission, a broken feed).
    pub warnings: Vec<String>,
    /// Seconds spent fetching, when anything was fetched.
    pub secs: Option<f64>,
}

/// Errors of the live sources. They never contain a key or password.
#[derive(Debug, thiserror::Error)]
pub enum LiveError {
    #[error("{0}")]
    Config(String),
    #[error("cannot write the cache {path}: {source}")]
    Cache {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{0}")]
    Source(String),
}

impl From<LiveError> for Error {
    fn from(e: LiveError) -> Self {
        Error::Pipeline(format!("live sources: {e}"))
    }
}

/// The period asked of live sources: the plan's window widened by the margin.
pub fn range(plan: &Plan) -> (DateTime<Utc>, DateTime<Utc>) {
    let m = chrono::Duration::days(i64::from(plan.live.margin_days));
    (plan.window.since - m, plan.window.until + m)
}

pub fn cache_dir(out_dir: &Path) -> PathBuf {
    out_dir.join("cache")
}

/// Whether the plan names any live source.
pub fn any_live(plan: &Plan) -> bool {
    plan.stripe.is_some()
        || plan.imap.is_some()
        || plan.tenants.iter().any(|t| !t.calendar_urls.is_empty())
}

/// Checks the live parts of a plan (called from [`Plan::load`]).
pub fn validate(plan: &Plan) -> std::result::Result<(), String> {
    if let Some(s) = &plan.stripe {
        s.validate()?;
    }
    for t in &plan.tenants {
        for (i, u) in t.calendar_urls.iter().enumerate() {
            feeds::feed_url(u)
                .map_err(|e| format!("tenant `{}`: calendar_urls[{i}]: {e}", t.slug))?;
        }
    }
    if let Some(i) = &plan.imap {
        i.validate()?;
    }
    Ok(())
}

/// Refuses a plan whose text holds a Stripe secret or restricted key: keys belong in
/// `STRIPE_API_KEY` or the file named by `api_key_file`, never in a plan that gets copied,
/// committed and mailed around. The key itself is not repeated in the message.
pub fn refuse_keys_in_text(text: &str) -> std::result::Result<(), String> {
    for (n, line) in text.lines().enumerate() {
        let code = line.split('#').next().unwrap_or("");
        for prefix in ["sk_live_", "sk_test_", "rk_live_", "rk_test_"] {
            if let Some(at) = code.find(prefix) {
                // real keys carry 24 or more characters after the prefix; a file name such as
                // a file name such as `rk_live_…platform.txt` is not a key
                let rest = &code[at + prefix.len()..];
                if rest
                    .chars()
                    .take_while(|c| c.is_ascii_alphanumeric())
                    .count()
                    >= 20
                {
                    return Err(format!(
                        "line {}: the plan contains a Stripe key (`{prefix}…`); keys are refused \
                         in the plan: put it in the STRIPE_API_KEY environment variable or in a \
                         file named by [stripe] api_key_file, and revoke this one if the plan was \
                         shared",
                        n + 1
                    ));
                }
            }
        }
    }
    Ok(())
}

/// The fetch stage: pulls every live source into the cache (unless `offline`), then lists the
/// cache as inputs for the offline importers.
pub fn run(plan: &Plan, out_dir: &Path, opts: Options, progress: &Progress) -> Result<Report> {
    let mut report = Report::default();
    if !any_live(plan) {
        return Ok(report);
    }
    let cache = cache_dir(out_dir);
    if !opts.offline {
        let started = std::time::Instant::now();
        let timeout = Duration::from_secs(plan.live.timeout_secs.max(1));
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .map_err(|e| Error::Pipeline(format!("cannot start the fetch runtime: {e}")))?;
        if let Some(cfg) = &plan.stripe {
            let w = rt.block_on(stripe::fetch(plan, cfg, &cache, opts, progress))?;
            report.warnings.extend(w);
        }
        if plan.tenants.iter().any(|t| !t.calendar_urls.is_empty()) {
            let w = rt.block_on(feeds::fetch(plan, &cache, timeout, progress))?;
            report.warnings.extend(w);
        }
        drop(rt);
        if let Some(cfg) = &plan.imap {
            let w = imap::fetch(plan, cfg, &cache, timeout, progress)?;
            report.warnings.extend(w);
        }
        report.secs = Some(started.elapsed().as_secs_f64());
    }
    report.inputs = cache_inputs(plan, &cache, opts.offline, &mut report.warnings);
    Ok(report)
}

/// The cached files of every live source named in the plan, sorted. With `offline`, what is
/// missing from the cache or was left incomplete by the last fetch is a warning (a run that
/// fetched has already said why).
pub fn cache_inputs(
    plan: &Plan,
    cache: &Path,
    offline: bool,
    warnings: &mut Vec<String>,
) -> CacheInputs {
    let mut inputs = CacheInputs::default();
    let mut notes: Vec<String> = Vec::new();
    let missing = |what: String, dir: &Path| {
        format!(
            "{what}: nothing in the cache {} (run without --offline to fetch it)",
            dir.display()
        )
    };
    if plan.stripe.is_some() {
        for t in &plan.tenants {
            let Some(acct) = &t.stripe_account else {
                continue;
            };
            let dir = stripe::account_dir(cache, acct);
            let files = stripe::cached_pages(&dir);
            if files.is_empty() && !dir.is_dir() {
                notes.push(missing(
                    format!("Stripe account {acct} (tenant {})", t.slug),
                    &dir,
                ));
            }
            for (list, pages) in stripe::incomplete_lists(&dir) {
                notes.push(format!(
                    "Stripe account {acct} (tenant {}): the {list} list in the cache is \
                     incomplete ({pages} pages); run without --offline to finish it",
                    t.slug
                ));
            }
            inputs
                .stripe_json
                .extend(files.into_iter().map(|f| (f, Some(t.slug.clone()))));
        }
    }
    for t in &plan.tenants {
        if t.calendar_urls.is_empty() {
            continue;
        }
        let dir = feeds::tenant_dir(cache, &t.slug);
        let mut files = Vec::new();
        for i in 0..t.calendar_urls.len() {
            let f = feeds::feed_file(&dir, i);
            if f.is_file() {
                files.push(f);
            } else {
                notes.push(missing(
                    format!("calendar feed {i} of tenant {}", t.slug),
                    &f,
                ));
            }
        }
        inputs
            .calendars
            .extend(files.into_iter().map(|f| (f, Some(t.slug.clone()))));
    }
    if let Some(cfg) = &plan.imap {
        for folder in &cfg.folders {
            let dir = imap::folder_dir(cache, folder);
            if dir.is_dir() {
                inputs.emails.push((dir, None));
            } else {
                notes.push(missing(format!("IMAP folder `{folder}`"), &dir));
            }
        }
    }
    if offline {
        warnings.extend(notes);
    }
    inputs
}

/// Writes `bytes` to `path` through a temporary file in the same folder and a rename, so that an
/// interrupted run never leaves half a page in the cache.
pub(crate) fn write_atomic(path: &Path, bytes: &[u8]) -> std::result::Result<(), LiveError> {
    use std::io::Write as _;
    let err = |source: std::io::Error| LiveError::Cache {
        path: path.to_path_buf(),
        source,
    };
    let dir = path.parent().unwrap_or_else(|| Path::new("."));
    std::fs::create_dir_all(dir).map_err(err)?;
    let mut tmp = tempfile::NamedTempFile::new_in(dir).map_err(err)?;
    tmp.write_all(bytes).map_err(err)?;
    tmp.persist(path).map_err(|e| err(e.error))?;
    Ok(())
}

/// A random number in `0..1` for jitter, from the process-random std hasher (no extra crate).
pub(crate) fn jitter_unit() -> f64 {
    use std::hash::{BuildHasher, Hasher};
    use std::sync::atomic::{AtomicU64, Ordering};
    static N: AtomicU64 = AtomicU64::new(0);
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u64(N.fetch_add(1, Ordering::Relaxed));
    (h.finish() >> 11) as f64 / (1u64 << 53) as f64
}

/// A URL without its path and query (calendar secret addresses carry the secret there).
pub(crate) fn redact_url(url: &str) -> String {
    match url.split_once("://") {
        Some((scheme, rest)) => {
            let host = rest.split(['/', '?', '#']).next().unwrap_or("");
            let host = host.rsplit('@').next().unwrap_or(host);
            format!("{scheme}://{host}/…")
        }
        None => "(not a URL)".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_in_plan_text_are_refused_without_repeating_them() {
        // fake keys are put together at run time, so that no key-shaped text is committed
        let (rk, sk) = (["rk", "live"].join("_"), ["sk", "live"].join("_"));
        let text = format!(
            "[stripe]\napi_base = \"http://127.0.0.1:1\"\napi_key = \"{rk}_51Habcdefghij1234567890XYZ\"\n"
        );
        let e = refuse_keys_in_text(&text).unwrap_err();
        assert!(e.contains("line 3"), "{e}");
        assert!(!e.contains("abcdefghij"), "{e}");
        let comment = format!("# in a comment: {sk}_abcdefghijk1234567890\n");
        assert!(refuse_keys_in_text(&comment).is_ok());
        let file = format!("api_key_file = \"{rk}_platformkey.txt\"\n");
        assert!(refuse_keys_in_text(&file).is_ok());
        assert!(refuse_keys_in_text("x = \"sk_live_\"\n").is_ok());
    }

    #[test]
    fn redacted_urls_keep_only_scheme_and_host() {
        assert_eq!(
            redact_url("https://calendar.google.com/calendar/ical/x%40group/private-abc/basic.ics"),
            "https://calendar.google.com/…"
        );
        assert_eq!(
            redact_url("https://user:pw@host.example/a"),
            "https://host.example/…"
        );
    }

    #[test]
    fn jitter_is_in_unit_range_and_varies() {
        let v: Vec<f64> = (0..50).map(|_| jitter_unit()).collect();
        assert!(v.iter().all(|x| (0.0..1.0).contains(x)));
        assert!(v.iter().any(|x| (x - v[0]).abs() > 1e-9));
    }
}
