//! Stripe, live: every tenant's connected account (the `Stripe-Account` header), listing charges,
//! refunds, payment intents and checkout sessions created inside the window ± margin, newest
//! first, `limit=100`, paging with `starting_after`. Each page is saved exactly as received to
//! `<cache>/stripe/<acct>/<object>_<nnnn>.json`, and a small `<object>.cursor` file records how far
//! the list got, so an interrupted pull resumes at the next page and a completed list is not
//! fetched again (unless `--refresh`, or the window or margin changed).
//!
//! The pages are fetched with async-stripe's own list request types
//! (`stripe_core::charge::ListCharge`, ...), which serialise the query the way Stripe expects
//! (`created[gte]`, `starting_after`) and are sent with their own `send`, and read by
//! async-stripe into `stripe_types::List<Charge>` etc. The client they are sent through is
//! [`transport::StripeGet`], gapfill's implementation of async-stripe's `StripeClient` trait and
//! the one place in gapfill that talks to Stripe: GET only, rate-limited, retrying with jittered
//! backoff that follows `Stripe-Should-Retry` and `Retry-After` (see its docs). async-stripe's
//! own hyper client is not used: its retry strategy ignores `Retry-After` and has no jitter,
//! and its rustls features would rebuild the TLS stack polars already builds.

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::{write_atomic, LiveError, Options};
use crate::plan::Plan;
use crate::progress::{Progress, Step};

pub const DEFAULT_API_BASE: &str = "https://api.stripe.com";
/// Requests per second, well under Stripe's own limit (100/s live, 25/s test mode).
pub const DEFAULT_RATE_LIMIT: f64 = 20.0;

/// `[stripe]` in the plan.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StripeConfig {
    /// Host root of the API, without `/v1` (default `https://api.stripe.com`; the environment
    /// variable `STRIPE_API_BASE` is used when the plan has none).
    #[serde(default)]
    pub api_base: Option<String>,
    /// File holding the API key (plan-relative). Without it the key comes from `STRIPE_API_KEY`.
    #[serde(default)]
    pub api_key_file: Option<PathBuf>,
    /// Refused: a key never belongs in the plan.
    #[serde(default)]
    pub api_key: Option<toml::Value>,
    /// Requests per second for all accounts together (default 20).
    #[serde(default = "default_rate")]
    pub rate_limit: f64,
    /// Accounts fetched at the same time (default 4).
    #[serde(default = "default_concurrency")]
    pub concurrency: usize,
    /// Tries per request for 429, 5xx and network errors (default 6).
    #[serde(default = "default_attempts")]
    pub max_attempts: u32,
    /// First backoff in milliseconds; doubled per retry, with jitter (default 500).
    #[serde(default = "default_backoff")]
    pub backoff_ms: u64,
    /// Lists to fetch (default all four).
    #[serde(default = "default_objects")]
    pub objects: Vec<String>,
}

fn default_rate() -> f64 {
    DEFAULT_RATE_LIMIT
}
fn default_concurrency() -> usize {
    4
}
fn default_attempts() -> u32 {
    6
}
fn default_backoff() -> u64 {
    500
}
fn default_objects() -> Vec<String> {
    ObjectKind::ALL
        .iter()
        .map(|o| o.stem().to_string())
        .collect()
}

impl StripeConfig {
    pub fn validate(&self) -> Result<(), String> {
        if self.api_key.is_some() {
            return Err(
                "[stripe] api_key: a key in the plan is refused; set the STRIPE_API_KEY \
                        environment variable or name a file with api_key_file"
                    .into(),
            );
        }
        if !(self.rate_limit > 0.0 && self.rate_limit <= 90.0) {
            return Err(format!(
                "[stripe] rate_limit must be above 0 and at most 90 requests/s, not {}",
                self.rate_limit
            ));
        }
        if self.concurrency == 0 || self.max_attempts == 0 || self.max_attempts > 20 {
            return Err("[stripe] concurrency must be ≥ 1 and max_attempts 1..=20".into());
        }
        if let Some(b) = &self.api_base {
            check_base(b)?;
        }
        for o in &self.objects {
            if ObjectKind::from_stem(o).is_none() {
                return Err(format!(
                    "[stripe] objects: unknown list `{o}` (charges, refunds, payment_intents, \
                     checkout_sessions)"
                ));
            }
        }
        Ok(())
    }

    /// The API base: the plan's, else `STRIPE_API_BASE`, else Stripe's.
    pub fn base(&self) -> Result<String, LiveError> {
        let b = match &self.api_base {
            Some(b) => b.clone(),
            None => std::env::var("STRIPE_API_BASE").unwrap_or_else(|_| DEFAULT_API_BASE.into()),
        };
        check_base(&b).map_err(LiveError::Config)?;
        Ok(b.trim_end_matches('/').to_string())
    }
}

fn check_base(b: &str) -> Result<(), String> {
    let plain_ok = b.strip_prefix("http://").is_some_and(|rest| {
        let host = rest.split(['/', ':']).next().unwrap_or("");
        host == "localhost" || host.starts_with("127.")
    });
    if !(b.starts_with("https://") || plain_ok) {
        return Err(format!(
            "Stripe api_base `{b}` must start with https:// (http:// only for a test server on \
             127.0.0.1: the key must not travel unencrypted)"
        ));
    }
    if b.trim_end_matches('/').ends_with("/v1") {
        return Err(format!(
            "Stripe api_base `{b}`: give the host root without /v1 (e.g. https://api.stripe.com)"
        ));
    }
    Ok(())
}

/// The four lists gapfill reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum ObjectKind {
    Charges,
    Refunds,
    PaymentIntents,
    CheckoutSessions,
}

impl ObjectKind {
    pub const ALL: [ObjectKind; 4] = [
        ObjectKind::Charges,
        ObjectKind::Refunds,
        ObjectKind::PaymentIntents,
        ObjectKind::CheckoutSessions,
    ];

    /// File stem in the cache and name in the plan's `objects`.
    pub fn stem(self) -> &'static str {
        match self {
            ObjectKind::Charges => "charges",
            ObjectKind::Refunds => "refunds",
            ObjectKind::PaymentIntents => "payment_intents",
            ObjectKind::CheckoutSessions => "checkout_sessions",
        }
    }

    pub fn from_stem(s: &str) -> Option<ObjectKind> {
        ObjectKind::ALL.into_iter().find(|o| o.stem() == s)
    }
}

/// A Stripe API key. It is never printed: `Debug` shows only its kind, there is no `Display`,
/// and the header value made from it is marked sensitive.
pub struct ApiKey(String);

impl fmt::Debug for ApiKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ApiKey({}, redacted)", self.kind())
    }
}

impl ApiKey {
    /// Wraps a key given in code (tests); real runs use [`ApiKey::load`].
    pub fn new(key: impl Into<String>) -> Result<ApiKey, LiveError> {
        let k = key.into().trim().to_string();
        if k.is_empty() || !k.chars().all(|c| c.is_ascii_graphic()) {
            return Err(LiveError::Config(
                "the Stripe key is empty or contains characters a key cannot have".into(),
            ));
        }
        Ok(ApiKey(k))
    }

    /// From the plan's `api_key_file`, else from `STRIPE_API_KEY`.
    pub fn load(plan: &Plan, cfg: &StripeConfig) -> Result<ApiKey, LiveError> {
        if let Some(f) = &cfg.api_key_file {
            let path = plan.resolve(f);
            let text = std::fs::read_to_string(&path).map_err(|e| {
                LiveError::Config(format!(
                    "[stripe] api_key_file {}: cannot read it: {e}",
                    path.display()
                ))
            })?;
            return ApiKey::new(text).map_err(|_| {
                LiveError::Config(format!(
                    "[stripe] api_key_file {}: does not hold a key",
                    path.display()
                ))
            });
        }
        match std::env::var("STRIPE_API_KEY") {
            Ok(k) if !k.trim().is_empty() => ApiKey::new(k)
                .map_err(|_| LiveError::Config("STRIPE_API_KEY does not hold a usable key".into())),
            _ => Err(LiveError::Config(
                "no Stripe key: set STRIPE_API_KEY or name a file with [stripe] api_key_file \
                 (or run with --offline to use the cache)"
                    .into(),
            )),
        }
    }

    /// `restricted live key`, `secret test key`, ... (never the key itself).
    pub fn kind(&self) -> &'static str {
        let k = self.0.as_str();
        if k.starts_with("rk_live_") {
            "restricted live key"
        } else if k.starts_with("rk_test_") {
            "restricted test key"
        } else if k.starts_with("sk_live_") {
            "secret live key"
        } else if k.starts_with("sk_test_") {
            "secret test key"
        } else if k.starts_with("pk_") {
            "publishable key"
        } else {
            "unrecognised key"
        }
    }

    /// A warning for keys that can do more than read.
    pub fn warning(&self) -> Option<String> {
        let k = self.0.as_str();
        if k.starts_with("sk_live_") || k.starts_with("sk_test_") {
            Some(format!(
                "Stripe: this is a full {} (sk_…): it can create charges and refunds. gapfill only \
                 reads, but create a restricted key (rk_…) with read-only permissions for \
                 recovery (see README, \"Live sources\")",
                self.kind()
            ))
        } else if k.starts_with("pk_") {
            Some(
                "Stripe: a publishable key (pk_…) cannot list payments; use a restricted key"
                    .into(),
            )
        } else {
            None
        }
    }

    fn bearer(&self) -> reqwest::header::HeaderValue {
        let mut v = reqwest::header::HeaderValue::from_str(&format!("Bearer {}", self.0))
            .unwrap_or_else(|_| reqwest::header::HeaderValue::from_static("Bearer invalid"));
        v.set_sensitive(true);
        v
    }
}

/// Why a list could not be fetched. Displays never contain the key.
#[derive(Debug, Clone, thiserror::Error)]
pub enum StripeFailure {
    /// 401 / 403: the key may not read this account.
    #[error("HTTP {status} {kind}: {message}")]
    Denied {
        status: u16,
        kind: String,
        message: String,
    },
    #[error("HTTP {status} {kind}: {message}")]
    Status {
        status: u16,
        kind: String,
        message: String,
    },
    #[error("{0}")]
    Network(String),
    #[error("the answer is not a Stripe list page: {0}")]
    BadPage(String),
    #[error("refused to send a {0} request: gapfill only sends GET to Stripe")]
    NotGet(String),
    /// async-stripe could not read the answer as the typed list it asked for.
    #[error("async-stripe could not read the answer as a typed list: {0}")]
    Untyped(String),
}

pub mod transport {
    //! The one place in gapfill that talks to Stripe: [`StripeGet`], gapfill's implementation
    //! of async-stripe's [`StripeClient`] trait.
    //!
    //! Pages are async-stripe's own list requests (`ListCharge`, `ListRefund`,
    //! `ListPaymentIntent`, `ListCheckoutSession`), built by [`ListQuery`] and sent with their
    //! `customize().account_id(..).send(&client)`: async-stripe serialises the query and reads
    //! the answer into `stripe_types::List<Charge>` etc.; the HTTP exchange itself is
    //! [`StripeGet`]'s `execute`, which is GET only by construction: it refuses any request whose
    //! method is not GET, or that has a body, before anything is sent, and its only sending call
    //! is `reqwest::Client::get`. No other function here sends. `execute` also applies the shared
    //! rate limit and retries 429, 5xx and network errors with exponential backoff and jitter,
    //! following `Stripe-Should-Retry` and `Retry-After` (async-stripe's `RequestStrategy`, which
    //! ignores `Retry-After` and has no jitter, is not used: a per-request strategy is ignored).
    //! `tests::only_this_file_talks_to_stripe` checks that no other source file names the API or
    //! sends anything but GET, and the test server in `tests/live_stripe.rs` fails on any other
    //! method.
    //!
    //! [`StripeGet::list_page`] keeps the body `execute` returned, so the page is saved exactly
    //! as received. If async-stripe cannot read it as a typed list (a field whose shape drifted),
    //! the page is still saved when it is a list page, and the caller warns: the importer types
    //! each object on its own, so one odd object does not lose a page of payments.

    use std::future::Future;
    use std::sync::atomic::{AtomicU64, Ordering};
    use std::sync::Mutex;
    use std::time::Duration;

    use bytes::Bytes;
    use stripe_client_core::{
        CustomizedStripeRequest, RequestBuilder, StripeClient, StripeClientErr, StripeMethod,
        StripeRequest,
    };
    use stripe_shared::AccountId;
    use stripe_types::{List, RangeBoundsTs, RangeQueryTs};

    use super::{ApiKey, ObjectKind, StripeFailure};
    use crate::import::live::LiveError;

    /// One page of one list.
    #[derive(Debug, Clone, PartialEq, Eq)]
    pub struct ListQuery {
        pub object: ObjectKind,
        /// `created[gte]`, `created[lte]` (Unix seconds).
        pub created_gte: i64,
        pub created_lte: i64,
        /// The last id of the previous page (newest first, so this pages back in time).
        pub starting_after: Option<String>,
    }

    /// Page size: Stripe's maximum.
    pub const LIMIT: i64 = 100;

    /// The async-stripe list request `$t` for the query `$q`.
    macro_rules! list_request {
        ($q:expr, $t:ty) => {{
            let q: &ListQuery = $q;
            let mut r = <$t>::new().limit(LIMIT).created(q.created());
            if let Some(s) = &q.starting_after {
                r = r.starting_after(s.clone());
            }
            r
        }};
    }

    /// Runs `$body` with `$r` bound to the async-stripe list request of `$q`, whatever its type.
    macro_rules! with_request {
        ($q:expr, |$r:ident| $body:expr) => {{
            let q: &ListQuery = $q;
            match q.object {
                ObjectKind::Charges => {
                    let $r = list_request!(q, stripe_core::charge::ListCharge);
                    $body
                }
                ObjectKind::Refunds => {
                    let $r = list_request!(q, stripe_core::refund::ListRefund);
                    $body
                }
                ObjectKind::PaymentIntents => {
                    let $r = list_request!(q, stripe_core::payment_intent::ListPaymentIntent);
                    $body
                }
                ObjectKind::CheckoutSessions => {
                    let $r =
                        list_request!(q, stripe_checkout::checkout_session::ListCheckoutSession);
                    $body
                }
            }
        }};
    }

    impl ListQuery {
        fn created(&self) -> RangeQueryTs {
            RangeQueryTs::Bounds(RangeBoundsTs {
                gt: None,
                gte: Some(self.created_gte),
                lt: None,
                lte: Some(self.created_lte),
            })
        }

        /// The request as async-stripe describes it (method, path, serialised query): what
        /// [`StripeGet::list_page`] sends.
        pub fn build(&self) -> RequestBuilder {
            with_request!(self, |r| r.build())
        }
    }

    /// One fetched page: the body exactly as received, and what paging needs from it.
    #[derive(Debug)]
    pub struct ListedPage {
        pub body: Bytes,
        pub has_more: bool,
        /// Id of the last (oldest) object: the next page starts after it.
        pub last_id: Option<String>,
        pub count: usize,
        /// Set when async-stripe could not read the page as a typed list (why); the page was
        /// then checked as an untyped list page instead.
        pub untyped: Option<String>,
    }

    /// `(has_more, last id, count)` of a typed list.
    fn summary<T>(l: &List<T>, id: impl Fn(&T) -> &str) -> (bool, Option<String>, usize) {
        (
            l.has_more,
            l.data.last().map(|o| id(o).to_string()),
            l.data.len(),
        )
    }

    /// Spaces requests `1/rate` seconds apart across all accounts (a token bucket holding one
    /// token), so the client never exceeds its rate, bursts included.
    pub struct RateLimiter {
        interval: Duration,
        next: tokio::sync::Mutex<Option<tokio::time::Instant>>,
    }

    impl RateLimiter {
        pub fn new(per_second: f64) -> RateLimiter {
            RateLimiter {
                interval: Duration::from_secs_f64(1.0 / per_second.max(0.001)),
                next: tokio::sync::Mutex::new(None),
            }
        }

        pub async fn acquire(&self) {
            let at = {
                let mut next = self.next.lock().await;
                let now = tokio::time::Instant::now();
                let at = next.map_or(now, |n| n.max(now));
                *next = Some(at + self.interval);
                at
            };
            tokio::time::sleep_until(at).await;
        }
    }

    /// Retry settings: attempts, first backoff (doubled per retry, capped), jitter.
    #[derive(Debug, Clone, Copy)]
    pub struct Retry {
        pub max_attempts: u32,
        pub base: Duration,
    }

    impl Retry {
        /// Delay before retry number `n` (1-based): `base·2^(n-1)` capped at 30 s, with "equal
        /// jitter" (uniform in the upper half), and never shorter than a `Retry-After`.
        pub fn delay(&self, n: u32, retry_after: Option<Duration>) -> Duration {
            let exp = self.base.as_secs_f64() * 2f64.powi(n.saturating_sub(1).min(16) as i32);
            let d = exp.min(30.0);
            let jittered = d / 2.0 + d / 2.0 * crate::import::live::jitter_unit();
            let min = retry_after.map_or(0.0, |r| r.as_secs_f64().min(60.0));
            Duration::from_secs_f64(jittered.max(min))
        }
    }

    /// The GET-only Stripe client, gapfill's [`StripeClient`]. See the module docs.
    pub struct StripeGet {
        http: reqwest::Client,
        base: String,
        key: ApiKey,
        limiter: RateLimiter,
        retry: Retry,
        sent: AtomicU64,
    }

    impl std::fmt::Debug for StripeGet {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.debug_struct("StripeGet")
                .field("base", &self.base)
                .field("key", &self.key)
                .finish_non_exhaustive()
        }
    }

    impl StripeClientErr for StripeFailure {
        fn deserialize_err(msg: impl std::fmt::Display) -> Self {
            StripeFailure::Untyped(msg.to_string())
        }
    }

    impl StripeClient for StripeGet {
        type Err = StripeFailure;

        /// Sends `req` if it is a GET without a body (else refuses it, sending nothing), with
        /// the rate limit and retries, and returns the 2xx body exactly as received.
        fn execute(
            &self,
            req: CustomizedStripeRequest,
        ) -> impl Future<Output = Result<Bytes, StripeFailure>> + Send {
            self.get(req)
        }
    }

    /// A [`StripeClient`] that sends through a [`StripeGet`] and keeps the body it returns.
    struct KeepBody<'a> {
        get: &'a StripeGet,
        body: Mutex<Option<Bytes>>,
    }

    impl StripeClient for KeepBody<'_> {
        type Err = StripeFailure;

        async fn execute(&self, req: CustomizedStripeRequest) -> Result<Bytes, StripeFailure> {
            let body = self.get.execute(req).await?;
            if let Ok(mut slot) = self.body.lock() {
                *slot = Some(body.clone());
            }
            Ok(body)
        }
    }

    impl StripeGet {
        pub fn new(
            base: &str,
            key: ApiKey,
            rate_limit: f64,
            retry: Retry,
            timeout: Duration,
        ) -> Result<StripeGet, LiveError> {
            let http = reqwest::Client::builder()
                .user_agent(concat!("gapfill/", env!("CARGO_PKG_VERSION")))
                .connect_timeout(timeout.min(Duration::from_secs(15)))
                .timeout(timeout)
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .map_err(|e| LiveError::Config(format!("cannot set up HTTPS: {e}")))?;
            Ok(StripeGet {
                http,
                base: base.trim_end_matches('/').to_string(),
                key,
                limiter: RateLimiter::new(rate_limit),
                retry,
                sent: AtomicU64::new(0),
            })
        }

        /// Requests sent so far (retries included).
        pub fn requests_sent(&self) -> u64 {
            self.sent.load(Ordering::Relaxed)
        }

        /// Fetches one list page for `account` with async-stripe's list request for `q`, sent
        /// through this client. Returns the body exactly as received and the paging facts,
        /// read by async-stripe as `List<Charge>` etc. (or, if that fails, from the untyped
        /// list page, with [`ListedPage::untyped`] saying why).
        pub async fn list_page(
            &self,
            account: &str,
            q: &ListQuery,
        ) -> Result<ListedPage, StripeFailure> {
            let keep = KeepBody {
                get: self,
                body: Mutex::new(None),
            };
            let account = AccountId::from(account);
            let typed = with_request!(q, |r| r
                .customize()
                .account_id(account)
                .send(&keep)
                .await
                .map(|l| summary(&l, |o| o.id.as_str())));
            let body = keep.body.into_inner().ok().flatten();
            match (typed, body) {
                (Ok((has_more, last_id, count)), Some(body)) => Ok(ListedPage {
                    body,
                    has_more,
                    last_id,
                    count,
                    untyped: None,
                }),
                (Err(StripeFailure::Untyped(why)), Some(body)) => {
                    let p = super::parse_page(&body)?;
                    Ok(ListedPage {
                        body,
                        has_more: p.has_more,
                        last_id: p.last_id,
                        count: p.count,
                        untyped: Some(why),
                    })
                }
                (Err(e), _) => Err(e),
                (Ok(_), None) => Err(StripeFailure::BadPage("no answer was kept".into())),
            }
        }

        /// The HTTP exchange behind [`StripeClient::execute`].
        async fn get(&self, req: CustomizedStripeRequest) -> Result<Bytes, StripeFailure> {
            let (req, over) = req.into_pieces();
            if !matches!(req.method, StripeMethod::Get) {
                return Err(StripeFailure::NotGet(format!("{:?}", req.method)));
            }
            if req.body.is_some() {
                return Err(StripeFailure::NotGet("GET with a body".into()));
            }
            let mut url = format!("{}/v1{}", self.base, req.path);
            if let Some(query) = &req.query {
                url.push('?');
                url.push_str(query);
            }
            let mut attempt: u32 = 0;
            loop {
                attempt += 1;
                self.limiter.acquire().await;
                self.sent.fetch_add(1, Ordering::Relaxed);
                let mut get = self
                    .http
                    .get(&url)
                    .header(reqwest::header::AUTHORIZATION, self.key.bearer())
                    .header(
                        "Stripe-Version",
                        stripe_client_core::VERSION.as_str().to_string(),
                    );
                if let Some(a) = &over.account_id {
                    get = get.header("Stripe-Account", a.as_str());
                }
                if let Some(t) = over.timeout {
                    get = get.timeout(t);
                }
                let sent = get.send().await;
                let (failure, retryable, retry_after) = match sent {
                    Err(e) => (
                        StripeFailure::Network(format!("cannot reach Stripe: {}", net_error(&e))),
                        true,
                        None,
                    ),
                    Ok(resp) => {
                        let status = resp.status().as_u16();
                        let headers = resp.headers().clone();
                        let body = match resp.bytes().await {
                            Ok(b) => b,
                            Err(e) => {
                                let f = StripeFailure::Network(format!(
                                    "answer cut off: {}",
                                    net_error(&e)
                                ));
                                if attempt < self.retry.max_attempts {
                                    tokio::time::sleep(self.retry.delay(attempt, None)).await;
                                    continue;
                                }
                                return Err(f);
                            }
                        };
                        if (200..300).contains(&status) {
                            return Ok(body);
                        }
                        let should_retry = headers
                            .get("stripe-should-retry")
                            .and_then(|v| v.to_str().ok())
                            .map(|v| v.trim().eq_ignore_ascii_case("true"));
                        let retry_after = headers
                            .get(reqwest::header::RETRY_AFTER)
                            .and_then(|v| v.to_str().ok())
                            .and_then(|v| v.trim().parse::<u64>().ok())
                            .map(Duration::from_secs);
                        let retryable = match should_retry {
                            Some(s) => s,
                            None => matches!(status, 429 | 500..=504),
                        };
                        let (kind, message) = error_body(&body);
                        let f = if status == 401 || status == 403 {
                            StripeFailure::Denied {
                                status,
                                kind,
                                message,
                            }
                        } else {
                            StripeFailure::Status {
                                status,
                                kind,
                                message,
                            }
                        };
                        (f, retryable, retry_after)
                    }
                };
                if !retryable || attempt >= self.retry.max_attempts {
                    return Err(failure);
                }
                tokio::time::sleep(self.retry.delay(attempt, retry_after)).await;
            }
        }
    }

    /// A reqwest error without its URL (it holds no key, but keep messages short).
    fn net_error(e: &reqwest::Error) -> String {
        let mut s = e.without_url_ref().to_string();
        let mut src = std::error::Error::source(e);
        while let Some(inner) = src {
            s.push_str(": ");
            s.push_str(&inner.to_string());
            src = inner.source();
        }
        s
    }

    trait WithoutUrl {
        fn without_url_ref(&self) -> String;
    }
    impl WithoutUrl for reqwest::Error {
        fn without_url_ref(&self) -> String {
            if self.is_timeout() {
                "timed out".into()
            } else if self.is_connect() {
                "connection failed".into()
            } else {
                "request failed".into()
            }
        }
    }

    /// `(type, message)` of a Stripe error body (`{"error": {"type": …, "message": …}}`).
    fn error_body(body: &[u8]) -> (String, String) {
        let v: serde_json::Value = serde_json::from_slice(body).unwrap_or_default();
        let e = &v["error"];
        let kind = e["type"].as_str().unwrap_or("error").to_string();
        let mut message = e["message"]
            .as_str()
            .map(str::to_string)
            .unwrap_or_else(|| {
                let text = String::from_utf8_lossy(body);
                let t: String = text.chars().take(120).collect();
                if t.trim().is_empty() {
                    "(empty answer)".into()
                } else {
                    format!("(not a Stripe error body) {}", t.trim())
                }
            });
        if let Some(code) = e["code"].as_str() {
            message = format!("{message} [{code}]");
        }
        (kind, message)
    }
}

use transport::{ListQuery, Retry, StripeGet};

/// `<cache>/stripe/<acct>`.
pub fn account_dir(cache: &Path, account: &str) -> PathBuf {
    let safe: String = account
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || *c == '_')
        .collect();
    cache.join("stripe").join(safe)
}

/// The saved pages of an account folder, sorted by name (`charges_0001.json`, ...).
pub fn cached_pages(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .map(|rd| {
            rd.filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| {
                    p.extension().is_some_and(|x| x == "json")
                        && p.file_name().and_then(|n| n.to_str()).is_some_and(|n| {
                            ObjectKind::ALL.iter().any(|o| n.starts_with(o.stem()))
                        })
                })
                .collect()
        })
        .unwrap_or_default();
    files.sort();
    files
}

/// How far one list got (`<object>.cursor` beside its pages).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Cursor {
    pub object: String,
    pub created_gte: i64,
    pub created_lte: i64,
    /// Pages saved so far.
    pub pages: u32,
    /// Id of the last object saved: the next page starts after it.
    pub starting_after: Option<String>,
    pub complete: bool,
}

fn cursor_path(dir: &Path, o: ObjectKind) -> PathBuf {
    dir.join(format!("{}.cursor", o.stem()))
}

fn page_path(dir: &Path, o: ObjectKind, n: u32) -> PathBuf {
    dir.join(format!("{}_{n:04}.json", o.stem()))
}

fn read_cursor(dir: &Path, o: ObjectKind) -> Option<Cursor> {
    let bytes = std::fs::read(cursor_path(dir, o)).ok()?;
    serde_json::from_slice(&bytes).ok()
}

/// Lists of an account folder that were started but not finished (for a warning).
pub fn incomplete_lists(dir: &Path) -> Vec<(String, u32)> {
    ObjectKind::ALL
        .iter()
        .filter_map(|o| read_cursor(dir, *o))
        .filter(|c| !c.complete)
        .map(|c| (c.object, c.pages))
        .collect()
}

/// The checked parts of a list page.
struct Page {
    has_more: bool,
    last_id: Option<String>,
    count: usize,
}

fn parse_page(bytes: &[u8]) -> Result<Page, StripeFailure> {
    let v: serde_json::Value = serde_json::from_slice(bytes)
        .map_err(|e| StripeFailure::BadPage(format!("not JSON ({e})")))?;
    if v["object"].as_str() != Some("list") {
        return Err(StripeFailure::BadPage("`object` is not \"list\"".into()));
    }
    let data = v["data"]
        .as_array()
        .ok_or_else(|| StripeFailure::BadPage("no `data` array".into()))?;
    let has_more = v["has_more"]
        .as_bool()
        .ok_or_else(|| StripeFailure::BadPage("no `has_more`".into()))?;
    let last_id = data
        .last()
        .and_then(|o| o["id"].as_str())
        .map(str::to_string);
    if !data.is_empty() && last_id.is_none() {
        return Err(StripeFailure::BadPage("the last object has no `id`".into()));
    }
    Ok(Page {
        has_more,
        last_id,
        count: data.len(),
    })
}

/// Result of one account.
#[derive(Debug, Default)]
struct AccountOutcome {
    fetched: u64,
    cached: u64,
    objects: u64,
    warnings: Vec<String>,
    denied: bool,
}

/// Fetches every tenant's account into the cache. Returns warnings (accounts without
/// permission, lists that failed); a missing key stops the run.
pub async fn fetch(
    plan: &Plan,
    cfg: &StripeConfig,
    cache: &Path,
    opts: Options,
    progress: &Progress,
) -> crate::Result<Vec<String>> {
    let mut accounts: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for t in &plan.tenants {
        if let Some(a) = &t.stripe_account {
            accounts.entry(a.clone()).or_default().push(t.slug.clone());
        }
    }
    if accounts.is_empty() {
        return Ok(vec![
            "[stripe] is in the plan but no tenant has a stripe_account: nothing fetched".into(),
        ]);
    }
    let key = ApiKey::load(plan, cfg)?;
    let mut warnings: Vec<String> = key.warning().into_iter().collect();
    if let Some(w) = warnings.first() {
        eprintln!("warning: {w}");
    }
    let timeout = Duration::from_secs(plan.live.timeout_secs.max(1));
    let client = Arc::new(StripeGet::new(
        &cfg.base()?,
        key,
        cfg.rate_limit,
        Retry {
            max_attempts: cfg.max_attempts,
            base: Duration::from_millis(cfg.backoff_ms),
        },
        timeout,
    )?);
    let (since, until) = super::range(plan);
    let objects: Vec<ObjectKind> = cfg
        .objects
        .iter()
        .filter_map(|o| ObjectKind::from_stem(o))
        .collect();
    let step = Arc::new(progress.step("stripe pages", None));
    let sem = Arc::new(tokio::sync::Semaphore::new(cfg.concurrency));
    let mut set = tokio::task::JoinSet::new();
    for (account, slugs) in &accounts {
        let job = AccountJob {
            client: client.clone(),
            dir: account_dir(cache, account),
            account: account.clone(),
            label: format!("Stripe account {account} (tenant {})", slugs.join(", ")),
            objects: objects.clone(),
            created_gte: since.timestamp(),
            created_lte: until.timestamp(),
            refresh: opts.refresh,
            step: step.clone(),
        };
        let sem = sem.clone();
        set.spawn(async move {
            let _permit = sem.acquire_owned().await;
            job.run().await
        });
    }
    let mut outcomes = Vec::new();
    while let Some(r) = set.join_next().await {
        match r {
            Ok(o) => outcomes.push(o),
            Err(e) => warnings.push(format!("Stripe: an account task failed: {e}")),
        }
    }
    let (fetched, cached, objs) = outcomes.iter().fold((0, 0, 0), |a, o| {
        (a.0 + o.fetched, a.1 + o.cached, a.2 + o.objects)
    });
    let denied = outcomes.iter().filter(|o| o.denied).count();
    let mut ws: Vec<String> = outcomes.into_iter().flat_map(|o| o.warnings).collect();
    ws.sort();
    for w in &ws {
        eprintln!("warning: {w}");
    }
    warnings.extend(ws);
    let msg = format!(
        "{fetched} pages ({objs} objects) fetched, {cached} pages already cached, {} accounts, \
         {denied} denied, {} requests",
        accounts.len(),
        client.requests_sent()
    );
    match Arc::try_unwrap(step) {
        Ok(s) => {
            s.finish(&msg);
        }
        Err(_) => eprintln!("stripe: {msg}"),
    }
    Ok(warnings)
}

struct AccountJob {
    client: Arc<StripeGet>,
    dir: PathBuf,
    account: String,
    label: String,
    objects: Vec<ObjectKind>,
    created_gte: i64,
    created_lte: i64,
    refresh: bool,
    step: Arc<Step>,
}

impl AccountJob {
    async fn run(self) -> AccountOutcome {
        let mut out = AccountOutcome::default();
        for &o in &self.objects {
            match self.list(o, &mut out).await {
                Ok(()) => {}
                Err(StripeFailure::Denied {
                    status,
                    kind,
                    message,
                }) => {
                    out.denied = true;
                    out.warnings.push(format!(
                        "{}: Stripe refused access (HTTP {status} {kind}: {message}). The key \
                         cannot read this connected account, so its payments are missing from \
                         this run; the other accounts were fetched. Give the restricted key \
                         access to the account (Connect) and run again.",
                        self.label
                    ));
                    return out;
                }
                Err(e) => out.warnings.push(format!(
                    "{}: {} not fully fetched: {e}. The pages saved so far are used; the next \
                     run resumes after them.",
                    self.label,
                    o.stem()
                )),
            }
        }
        out
    }

    async fn list(&self, o: ObjectKind, out: &mut AccountOutcome) -> Result<(), StripeFailure> {
        let fresh = Cursor {
            object: o.stem().into(),
            created_gte: self.created_gte,
            created_lte: self.created_lte,
            pages: 0,
            starting_after: None,
            complete: false,
        };
        let mut cur = match read_cursor(&self.dir, o) {
            Some(c)
                if !self.refresh
                    && c.object == fresh.object
                    && c.created_gte == fresh.created_gte
                    && c.created_lte == fresh.created_lte =>
            {
                c
            }
            _ => {
                self.remove_pages(o)?;
                fresh
            }
        };
        out.cached += u64::from(cur.pages);
        let mut untyped_warned = false;
        while !cur.complete {
            let q = ListQuery {
                object: o,
                created_gte: cur.created_gte,
                created_lte: cur.created_lte,
                starting_after: cur.starting_after.clone(),
            };
            let page = self.client.list_page(&self.account, &q).await?;
            let n = cur.pages + 1;
            write_atomic(&page_path(&self.dir, o, n), &page.body).map_err(cache_err)?;
            if let Some(why) = &page.untyped {
                if !untyped_warned {
                    untyped_warned = true;
                    out.warnings.push(format!(
                        "{}: {} page {n}: async-stripe could not read it as a list of {} \
                         ({why}). It was saved as received all the same (and so is any later \
                         page like it); the importer reads its objects one by one and names any \
                         it rejects.",
                        self.label,
                        o.stem(),
                        o.stem().replace('_', " ")
                    ));
                }
            }
            cur.pages = n;
            if page.last_id.is_some() {
                cur.starting_after = page.last_id;
            }
            cur.complete = !page.has_more || page.count == 0;
            let json = serde_json::to_vec_pretty(&cur).unwrap_or_default();
            write_atomic(&cursor_path(&self.dir, o), &json).map_err(cache_err)?;
            out.fetched += 1;
            out.objects += page.count as u64;
            self.step.inc(1);
        }
        Ok(())
    }

    /// Starts a list afresh: its old pages and cursor go.
    fn remove_pages(&self, o: ObjectKind) -> Result<(), StripeFailure> {
        let prefix = format!("{}_", o.stem());
        if let Ok(rd) = std::fs::read_dir(&self.dir) {
            for e in rd.flatten() {
                let name = e.file_name().to_string_lossy().to_string();
                if name.starts_with(&prefix) && name.ends_with(".json") {
                    std::fs::remove_file(e.path()).map_err(|err| {
                        cache_err(LiveError::Cache {
                            path: e.path(),
                            source: err,
                        })
                    })?;
                }
            }
        }
        let _ = std::fs::remove_file(cursor_path(&self.dir, o));
        Ok(())
    }
}

fn cache_err(e: LiveError) -> StripeFailure {
    StripeFailure::Network(e.to_string())
}

#[cfg(test)]
mod tests {
    use super::transport::*;
    use super::*;

    #[test]
    fn list_queries_are_get_with_stripe_query_syntax() {
        for o in ObjectKind::ALL {
            let q = ListQuery {
                object: o,
                created_gte: 100,
                created_lte: 200,
                starting_after: Some("ch_1".into()),
            };
            let r = q.build();
            assert!(matches!(r.method, stripe_client_core::StripeMethod::Get));
            assert!(r.body.is_none());
            let query = r.query.unwrap_or_default();
            let decoded = query.replace("%5B", "[").replace("%5D", "]");
            assert!(decoded.contains("created[gte]=100"), "{decoded}");
            assert!(decoded.contains("created[lte]=200"), "{decoded}");
            assert!(decoded.contains("limit=100"), "{decoded}");
            assert!(decoded.contains("starting_after=ch_1"), "{decoded}");
            assert!(!decoded.contains("ending_before"), "{decoded}");
        }
        let paths: Vec<String> = ObjectKind::ALL
            .iter()
            .map(|o| {
                ListQuery {
                    object: *o,
                    created_gte: 0,
                    created_lte: 1,
                    starting_after: None,
                }
                .build()
                .path
            })
            .collect();
        assert_eq!(
            paths,
            [
                "/charges",
                "/refunds",
                "/payment_intents",
                "/checkout/sessions"
            ]
        );
    }

    #[test]
    fn keys_are_redacted_and_full_secret_keys_warned_about() {
        // put together at run time: no key-shaped text in the sources
        let k = ApiKey::new(format!("{}_51Habcdefghijklmnop", ["sk", "live"].join("_"))).unwrap();
        let dbg = format!("{k:?}");
        assert!(!dbg.contains("51Habc"), "{dbg}");
        assert!(dbg.contains("secret live key"));
        assert!(k.warning().is_some_and(|w| w.contains("restricted key")));
        let r = ApiKey::new("rk_test_51Habcdefghij").unwrap();
        assert!(r.warning().is_none());
        let t = StripeGet::new(
            "http://127.0.0.1:9",
            r,
            20.0,
            Retry {
                max_attempts: 1,
                base: Duration::from_millis(1),
            },
            Duration::from_secs(1),
        )
        .unwrap();
        assert!(!format!("{t:?}").contains("51Habc"));
        assert!(ApiKey::new("a key").is_err());
    }

    #[test]
    fn api_base_with_v1_is_refused() {
        assert!(check_base("https://api.stripe.com/v1").is_err());
        assert!(check_base("https://api.stripe.com/v1/").is_err());
        assert!(check_base("ftp://x").is_err());
        assert!(check_base("http://stripe.example.com").is_err());
        assert!(check_base("http://127.0.0.1:1234").is_ok());
    }

    #[test]
    fn backoff_doubles_with_jitter_and_honours_retry_after() {
        let r = Retry {
            max_attempts: 5,
            base: Duration::from_millis(400),
        };
        for _ in 0..20 {
            let d1 = r.delay(1, None).as_secs_f64();
            let d3 = r.delay(3, None).as_secs_f64();
            assert!((0.2..=0.4).contains(&d1), "{d1}");
            assert!((0.8..=1.6).contains(&d3), "{d3}");
        }
        assert!(r.delay(1, Some(Duration::from_secs(2))) >= Duration::from_secs(2));
        assert!(r.delay(40, None) <= Duration::from_secs(30));
    }

    #[test]
    fn rate_limiter_spaces_requests() {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_time()
            .build()
            .unwrap();
        let lim = RateLimiter::new(50.0);
        let t = std::time::Instant::now();
        rt.block_on(async {
            for _ in 0..11 {
                lim.acquire().await;
            }
        });
        // 11 requests at 50/s: the last one no earlier than 10 intervals = 0.2 s
        assert!(
            t.elapsed() >= Duration::from_millis(195),
            "{:?}",
            t.elapsed()
        );
    }

    #[test]
    fn pages_are_checked() {
        let p = parse_page(
            br#"{"object":"list","data":[{"id":"ch_1"},{"id":"ch_2"}],"has_more":true}"#,
        )
        .unwrap();
        assert!(p.has_more);
        assert_eq!(p.last_id.as_deref(), Some("ch_2"));
        assert!(parse_page(b"<html>").is_err());
        assert!(parse_page(br#"{"object":"charge","id":"ch_1"}"#).is_err());
    }

    /// A one-thread HTTP server on 127.0.0.1 that answers each connection with the next of
    /// `bodies` (200, JSON), then stops; joining it gives the request heads it received.
    fn tiny_server(bodies: Vec<Vec<u8>>) -> (String, std::thread::JoinHandle<Vec<String>>) {
        use std::io::{Read, Write};
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let base = format!("http://{}", l.local_addr().unwrap());
        let h = std::thread::spawn(move || {
            let mut heads = Vec::new();
            for body in bodies {
                let (mut s, _) = l.accept().unwrap();
                let mut buf = Vec::new();
                let mut b = [0u8; 4096];
                while !buf.windows(4).any(|w| w == b"\r\n\r\n") {
                    let n = s.read(&mut b).unwrap();
                    if n == 0 {
                        break;
                    }
                    buf.extend_from_slice(&b[..n]);
                }
                heads.push(String::from_utf8_lossy(&buf).to_lowercase());
                write!(
                    s,
                    "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\
                     Connection: close\r\n\r\n",
                    body.len()
                )
                .unwrap();
                s.write_all(&body).unwrap();
            }
            heads
        });
        (base, h)
    }

    fn client(base: &str) -> StripeGet {
        StripeGet::new(
            base,
            ApiKey::new("rk_test_51UnitTestKey").unwrap(),
            50.0,
            Retry {
                max_attempts: 1,
                base: Duration::from_millis(1),
            },
            Duration::from_secs(10),
        )
        .unwrap()
    }

    fn runtime() -> tokio::runtime::Runtime {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap()
    }

    fn fixture(name: &str) -> Vec<u8> {
        std::fs::read(
            Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("tests/fixtures/stripe")
                .join(name),
        )
        .unwrap()
    }

    /// async-stripe's `ListCharge`, sent through our `StripeClient`, comes back as a typed
    /// `List<Charge>`; `list_page` sends the same request and keeps the body byte for byte.
    #[test]
    fn list_charge_sent_through_the_client_is_read_by_async_stripe() {
        use stripe_client_core::StripeRequest;
        let page = fixture("charges_page.json");
        let (base, server) = tiny_server(vec![page.clone(), page.clone()]);
        let get = client(&base);
        let rt = runtime();
        let list: stripe_types::List<stripe_shared::Charge> = rt
            .block_on(
                stripe_core::charge::ListCharge::new()
                    .limit(100)
                    .customize()
                    .account_id(stripe_shared::AccountId::from("acct_1UnitTest"))
                    .send(&get),
            )
            .unwrap();
        let ids: Vec<&str> = list.data.iter().map(|c| c.id.as_str()).collect();
        assert_eq!(ids.len(), 2);
        assert_eq!(ids[0], "ch_3PqLmN2eZvKYlo2C0a1b2c3d");
        let q = ListQuery {
            object: ObjectKind::Charges,
            created_gte: 100,
            created_lte: 200,
            starting_after: Some("ch_0".into()),
        };
        let listed = rt.block_on(get.list_page("acct_1UnitTest", &q)).unwrap();
        assert_eq!(
            listed.body.as_ref(),
            page.as_slice(),
            "kept exactly as received"
        );
        assert!(listed.untyped.is_none());
        assert_eq!(listed.count, 2);
        assert_eq!(listed.last_id.as_deref(), Some(ids[1]));
        assert_eq!(listed.has_more, list.has_more);
        assert_eq!(get.requests_sent(), 2);
        let heads = server.join().unwrap();
        assert!(
            heads[0].starts_with("get /v1/charges?limit=100 "),
            "{}",
            heads[0]
        );
        let q2 = q.build().query.unwrap_or_default().to_lowercase();
        assert!(
            heads[1].starts_with(&format!("get /v1/charges?{q2} ")),
            "{}",
            heads[1]
        );
        for h in &heads {
            assert!(h.contains("\r\nstripe-account: acct_1unittest\r\n"), "{h}");
            assert!(h.contains("\r\nauthorization: bearer rk_test_51unittestkey\r\n"));
            assert!(h.contains("\r\nstripe-version: "));
        }
    }

    /// A page async-stripe cannot type (one malformed charge) is still kept whole.
    #[test]
    fn a_page_async_stripe_cannot_type_is_kept_as_received() {
        let page = fixture("one_bad_charge.json");
        let (base, server) = tiny_server(vec![page.clone()]);
        let get = client(&base);
        let q = ListQuery {
            object: ObjectKind::Charges,
            created_gte: 0,
            created_lte: 1,
            starting_after: None,
        };
        let listed = runtime().block_on(get.list_page("acct_1", &q)).unwrap();
        assert_eq!(listed.body.as_ref(), page.as_slice());
        assert!(listed.untyped.is_some());
        assert_eq!(listed.count, 3);
        assert_eq!(
            listed.last_id.as_deref(),
            Some("ch_3PrCCC2eZvKYlo2C0g0o0d03")
        );
        server.join().unwrap();
    }

    /// Through the paging loop: untypable pages are saved byte for byte, the list completes, and
    /// one warning names the account, the list and the first such page.
    #[test]
    fn the_paging_loop_saves_untypable_pages_and_warns_once() {
        let page = fixture("one_bad_charge.json");
        // the same page again, as the last one
        let text = String::from_utf8(page.clone()).unwrap();
        let at = text.rfind("\"has_more\": true").unwrap();
        let last = format!("{}\"has_more\": false{}", &text[..at], &text[at + 16..]);
        let (base, server) = tiny_server(vec![page.clone(), last.clone().into_bytes()]);
        let cache = tempfile::tempdir().unwrap();
        let progress = crate::progress::Progress::new(true);
        let job = AccountJob {
            client: Arc::new(client(&base)),
            dir: account_dir(cache.path(), "acct_1"),
            account: "acct_1".into(),
            label: "Stripe account acct_1 (tenant t)".into(),
            objects: vec![ObjectKind::Charges],
            created_gte: 0,
            created_lte: 1,
            refresh: false,
            step: Arc::new(progress.step("stripe pages", None)),
        };
        let dir = job.dir.clone();
        let out = runtime().block_on(job.run());
        server.join().unwrap();
        assert_eq!(std::fs::read(dir.join("charges_0001.json")).unwrap(), page);
        assert_eq!(
            read_cursor(&dir, ObjectKind::Charges).map(|c| c.complete),
            Some(true)
        );
        assert_eq!(
            std::fs::read(dir.join("charges_0002.json")).unwrap(),
            last.as_bytes()
        );
        assert_eq!((out.fetched, out.objects), (2, 6));
        assert_eq!(out.warnings.len(), 1, "{:?}", out.warnings);
        let w = &out.warnings[0];
        assert!(w.contains("acct_1") && w.contains("charges page 1"), "{w}");
        assert!(w.contains("saved as received"), "{w}");
    }

    /// The client refuses anything but a GET without a body, before sending.
    #[test]
    fn the_client_refuses_every_method_but_get() {
        use stripe_client_core::{RequestBuilder, StripeMethod};
        // nothing listens on port 9: a request that were sent would fail as a network error
        let get = client("http://127.0.0.1:9");
        let rt = runtime();
        for m in [StripeMethod::Post, StripeMethod::Delete] {
            let r = rt.block_on(
                RequestBuilder::new(m, "/refunds")
                    .customize::<stripe_types::List<stripe_shared::Refund>>()
                    .send(&get),
            );
            assert!(matches!(r, Err(StripeFailure::NotGet(_))), "{r:?}");
        }
        let with_body = RequestBuilder::new(StripeMethod::Get, "/charges").form(&[("amount", 1)]);
        let r = rt.block_on(
            with_body
                .customize::<stripe_types::List<stripe_shared::Charge>>()
                .send(&get),
        );
        assert!(matches!(r, Err(StripeFailure::NotGet(_))), "{r:?}");
        assert_eq!(get.requests_sent(), 0, "nothing was sent");
    }

    /// The structural GET-only property: no other source file mentions Stripe's API host, the
    /// `Stripe-Account` header or the transport, and no file sends anything but GET.
    #[test]
    fn only_this_file_talks_to_stripe() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
        let mut files = Vec::new();
        let mut stack = vec![root.clone()];
        while let Some(d) = stack.pop() {
            for e in std::fs::read_dir(&d).unwrap().flatten() {
                let p = e.path();
                if p.is_dir() {
                    stack.push(p);
                } else if p.extension().is_some_and(|x| x == "rs") {
                    files.push(p);
                }
            }
        }
        assert!(files.len() > 10);
        let me = root.join("import/live/stripe.rs");
        let needles_stripe = [
            "api.stripe.com",
            "\"Stripe-Account\"",
            "StripeGet",
            "StripeClient",
            "StripeMethod",
        ];
        let sends = [
            ".post(",
            ".put(",
            ".patch(",
            ".delete(",
            "Method::POST",
            "Method::PUT",
            "Method::DELETE",
            "Method::PATCH",
            ".request(",
        ];
        for f in files {
            let text = std::fs::read_to_string(&f).unwrap();
            let code: String = text
                .lines()
                .filter(|l| !l.trim_start().starts_with("//"))
                .collect::<Vec<_>>()
                .join("\n");
            for s in sends {
                let hits = code.matches(s).count();
                let allowed = if f == me { 1 } else { 0 }; // the list of needles above
                assert!(
                    hits <= allowed,
                    "{} sends `{s}`: gapfill only sends GET",
                    f.display()
                );
            }
            if f != me && !f.ends_with("import/live/mod.rs") {
                for s in needles_stripe {
                    assert!(
                        !code.contains(s),
                        "{} mentions `{s}`: only import/live/stripe.rs talks to Stripe",
                        f.display()
                    );
                }
            }
        }
    }
}
