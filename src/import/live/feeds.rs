//! Calendar feeds, live: each tenant's `calendar_urls` (a Google Calendar "secret address in
//! iCal format", an Outlook "published calendar" ICS link, any `https://` or `webcal://` feed) are
//! fetched with GET, following redirects, accepting gzip, with timeouts, and saved exactly as
//! received to `<cache>/calendars/<tenant>/feed_<n>.ics`. A feed that answers 401/403/404, an HTML
//! page (a sign-in or error page) or anything that is not iCalendar is a warning naming the
//! tenant and the feed, and the copy cached by an earlier run (if any) is used. URLs are never
//! printed with their path: secret addresses carry the secret there.

use std::io::Read as _;
use std::path::{Path, PathBuf};
use std::time::Duration;

use super::{redact_url, write_atomic, LiveError};
use crate::plan::Plan;
use crate::progress::Progress;

/// Checks a feed URL and returns the URL to fetch (`webcal://` → `https://`). Plain `http://`
/// is only accepted for loopback addresses (local test servers): a secret address must not
/// travel unencrypted.
pub fn feed_url(url: &str) -> Result<String, String> {
    let u = url.trim();
    let lower = u.to_ascii_lowercase();
    let fetch = if let Some(rest) = lower
        .strip_prefix("webcal://")
        .or_else(|| lower.strip_prefix("webcals://"))
    {
        let cut = u.len() - rest.len();
        format!("https://{}", &u[cut..])
    } else if lower.starts_with("https://") {
        u.to_string()
    } else if let Some(rest) = lower.strip_prefix("http://") {
        let host = rest.split(['/', ':', '?']).next().unwrap_or("");
        if !matches!(host, "127.0.0.1" | "localhost" | "[") && !host.starts_with("127.") {
            return Err(format!(
                "{}: plain http:// is refused (use https:// or webcal://)",
                redact_url(u)
            ));
        }
        u.to_string()
    } else {
        return Err(format!(
            "{}: a calendar feed URL starts with https:// or webcal://",
            redact_url(u)
        ));
    };
    Ok(fetch)
}

/// `<cache>/calendars/<tenant>`.
pub fn tenant_dir(cache: &Path, slug: &str) -> PathBuf {
    cache.join("calendars").join(slug)
}

/// The cache file of the `i`-th feed of a tenant (by position, never by URL).
pub fn feed_file(dir: &Path, i: usize) -> PathBuf {
    dir.join(format!("feed_{i}.ics"))
}

/// Fetches every tenant's feeds. Returns warnings; never stops the run.
pub async fn fetch(
    plan: &Plan,
    cache: &Path,
    timeout: Duration,
    progress: &Progress,
) -> crate::Result<Vec<String>> {
    let total: usize = plan.tenants.iter().map(|t| t.calendar_urls.len()).sum();
    let step = progress.step("calendar feeds", Some(total as u64));
    let http = client(timeout)?;
    let mut warnings = Vec::new();
    let mut ok = 0;
    for t in &plan.tenants {
        for (i, url) in t.calendar_urls.iter().enumerate() {
            let label = format!(
                "calendar feed {i} of tenant {} ({})",
                t.slug,
                redact_url(url)
            );
            let result = match feed_url(url) {
                Ok(u) => get_ics(&http, &u).await,
                Err(e) => Err(e),
            };
            match result {
                Ok(bytes) => {
                    write_atomic(&feed_file(&tenant_dir(cache, &t.slug), i), &bytes)?;
                    ok += 1;
                }
                Err(e) => {
                    let f = feed_file(&tenant_dir(cache, &t.slug), i);
                    let old = if f.is_file() {
                        "the copy cached by an earlier run is used"
                    } else {
                        "no earlier copy is cached: its events are missing from this run"
                    };
                    let w = format!("{label}: {e}; {old}");
                    eprintln!("warning: {w}");
                    warnings.push(w);
                }
            }
            step.inc(1);
        }
    }
    step.finish(&format!("{ok} of {total} feeds fetched"));
    Ok(warnings)
}

fn client(timeout: Duration) -> Result<reqwest::Client, LiveError> {
    reqwest::Client::builder()
        .user_agent(concat!("gapfill/", env!("CARGO_PKG_VERSION")))
        .connect_timeout(timeout.min(Duration::from_secs(15)))
        .timeout(timeout)
        .redirect(reqwest::redirect::Policy::limited(10))
        .build()
        .map_err(|e| LiveError::Config(format!("cannot set up HTTPS: {e}")))
}

/// GETs one feed and checks that it is iCalendar; gzip bodies are decoded.
async fn get_ics(http: &reqwest::Client, url: &str) -> Result<Vec<u8>, String> {
    let resp = http
        .get(url)
        .header(reqwest::header::ACCEPT, "text/calendar, */*;q=0.5")
        .header(reqwest::header::ACCEPT_ENCODING, "gzip")
        .send()
        .await
        .map_err(|e| {
            if e.is_timeout() {
                "timed out".to_string()
            } else if e.is_redirect() {
                "too many redirects".to_string()
            } else if e.is_connect() {
                "cannot connect".to_string()
            } else {
                "request failed".to_string()
            }
        })?;
    let status = resp.status().as_u16();
    let ctype = resp
        .headers()
        .get(reqwest::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_ascii_lowercase();
    let gzip = resp
        .headers()
        .get(reqwest::header::CONTENT_ENCODING)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.to_ascii_lowercase().contains("gzip"));
    match status {
        200..=299 => {}
        401 | 403 => {
            return Err(format!(
                "HTTP {status}: access denied (a private address needs the secret iCal address, \
                 or the calendar is no longer published)"
            ))
        }
        404 | 410 => {
            return Err(format!(
                "HTTP {status}: not found (the address was mistyped, reset or unpublished)"
            ))
        }
        _ => return Err(format!("HTTP {status}")),
    }
    let raw = resp
        .bytes()
        .await
        .map_err(|_| "the answer was cut off".to_string())?;
    let body = if gzip || raw.starts_with(&[0x1f, 0x8b]) {
        let mut out = Vec::new();
        flate2::read::MultiGzDecoder::new(&raw[..])
            .read_to_end(&mut out)
            .map_err(|e| format!("bad gzip body: {e}"))?;
        out
    } else {
        raw.to_vec()
    };
    check_ics(&body, &ctype)?;
    Ok(body)
}

/// Accepts a body that starts (after a BOM and blank space) with `BEGIN:VCALENDAR`.
fn check_ics(body: &[u8], ctype: &str) -> Result<(), String> {
    let b = body.strip_prefix(&[0xEF, 0xBB, 0xBF][..]).unwrap_or(body);
    let start = b
        .iter()
        .position(|c| !c.is_ascii_whitespace())
        .unwrap_or(b.len());
    let head: String = String::from_utf8_lossy(&b[start..b.len().min(start + 64)]).to_string();
    if head.to_ascii_uppercase().starts_with("BEGIN:VCALENDAR") {
        return Ok(());
    }
    if ctype.contains("html") || head.starts_with('<') {
        return Err(
            "got an HTML page instead of an iCalendar feed (a sign-in or error page: \
                    use the calendar's secret/published ICS address, not its web page)"
                .into(),
        );
    }
    if b.is_empty() {
        return Err("the feed is empty".into());
    }
    Err(format!(
        "not an iCalendar feed (content type `{ctype}`, no BEGIN:VCALENDAR)"
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn webcal_becomes_https_and_plain_http_only_on_loopback() {
        assert_eq!(
            feed_url("webcal://p12-caldav.icloud.com/published/2/abc").unwrap(),
            "https://p12-caldav.icloud.com/published/2/abc"
        );
        assert_eq!(
            feed_url("WEBCAL://Example.com/A.ics").unwrap(),
            "https://Example.com/A.ics"
        );
        assert!(
            feed_url("https://calendar.google.com/calendar/ical/x/private-y/basic.ics").is_ok()
        );
        assert!(feed_url("http://127.0.0.1:8080/a.ics").is_ok());
        let e = feed_url("http://calendar.example/private-secret/basic.ics").unwrap_err();
        assert!(!e.contains("private-secret"), "{e}");
        assert!(feed_url("ftp://x/a.ics").is_err());
    }

    #[test]
    fn html_and_junk_are_not_calendars() {
        assert!(check_ics(b"\xEF\xBB\xBF\r\nBEGIN:VCALENDAR\r\n", "text/calendar").is_ok());
        assert!(check_ics(b"<!DOCTYPE html><html>", "text/html")
            .unwrap_err()
            .contains("HTML"));
        assert!(check_ics(b"hello", "text/plain").is_err());
        assert!(check_ics(b"", "text/calendar").is_err());
    }
}
