//! Live sources against local servers (127.0.0.1 only): the fake Stripe API and calendar feed
//! servers in `live_support`, and the real binary.
//!
//! - Stripe paging crosses pages (> 250 objects per account), `created` filtering, the
//!   `Stripe-Account` header, 429 retries, a 500 with `Stripe-Should-Retry: false` (not retried,
//!   resumed on the next run from the saved cursor), a 403 account named in the warnings while the
//!   others complete, GET only, the key never written or printed, `--offline` with no request.
//! - `recover` on the samples with Stripe and calendars served live gives byte-identical
//!   bookings to the run on the files, and `--offline` gives the same again.
//! - Calendar feed errors: gzip and redirects work; 404 and HTML pages are clear warnings.

mod live_support;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use live_support::{fake_stripe, gzip, objects_of_file, ok, recover, static_server, Faults, Store};
use serde_json::Value;

const KEY: &str = "rk_test_51LiveTestKeyThatMustNeverBeWritten";

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn run(plan: &Path, out: &Path, extra: &[&str], key: &str) -> Output {
    recover(plan, out, extra)
        .env("STRIPE_API_KEY", key)
        .env_remove("STRIPE_API_BASE")
        .output()
        .expect("binary runs")
}

fn read(p: &Path) -> Vec<u8> {
    std::fs::read(p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

fn summary(out: &Path) -> Value {
    serde_json::from_slice(&read(&out.join("summary.json"))).expect("summary.json")
}

fn template(rel: &str, object: &str) -> Value {
    objects_of_file(&repo().join(rel))
        .into_iter()
        .map(|(_, v)| v)
        .find(|v| v["object"] == object)
        .unwrap_or_else(|| panic!("no {object} in {rel}"))
}

/// `n` objects like `t`, ids `<prefix>_<acct-tag><i>`, created from `start` every `step` s.
fn clones(t: &Value, prefix: &str, tag: &str, n: usize, start: i64, step: i64) -> Vec<Value> {
    (0..n)
        .map(|i| {
            let mut v = t.clone();
            v["id"] = Value::from(format!("{prefix}_{tag}{i:05}"));
            v["created"] = Value::from(start + step * i as i64);
            v
        })
        .collect()
}

/// Every file under `dir`, recursively.
fn all_files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).into_iter().flatten().flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else {
                out.push(p);
            }
        }
    }
    out.sort();
    out
}

const SINCE: i64 = 1_771_210_800; // 2026-02-16T03:00:00Z
const UNTIL: i64 = 1_779_000_000; // 2026-05-17T06:40:00Z

fn plan_text(base: &str, margin_days: u32, tenants: &[(&str, &str)], extra: &str) -> String {
    let mut s = format!(
        r#"mappings = "{maps}"
output = "out"

[window]
since = "2026-02-16T03:00:00Z"
until = "2026-05-17T06:40:00Z"

[live]
margin_days = {margin_days}
timeout_secs = 20

[stripe]
api_base = "{base}"
rate_limit = 50
backoff_ms = 20
concurrency = 3
{extra}
"#,
        maps = repo().join("mappings").display()
    );
    for (slug, acct) in tenants {
        s.push_str(&format!(
            "\n[[tenants]]\nslug = \"{slug}\"\nname = \"{slug} GmbH\"\nstripe_account = \"{acct}\"\n\
             timezone = \"Europe/Berlin\"\ncurrency = \"EUR\"\nemail_senders = [\"{slug}.example\"]\n"
        ));
    }
    s
}

#[test]
fn stripe_paging_retries_denied_account_resume_and_offline() {
    let charge = template(
        "samples/stripe/acct_16um5Eb0Upa0CElG/charges_1.json",
        "charge",
    );
    let refund = template(
        "samples/stripe/acct_16um5Eb0Upa0CElG/refunds.json",
        "refund",
    );
    let pi = template(
        "samples/stripe/acct_1Ucs9l7yFHJP6E3N/payment_intents_1.json",
        "payment_intent",
    );
    let session = template("tests/fixtures/stripe/mixed_array.json", "checkout.session");
    let (a, b, c) = (
        "acct_1AAAAliveTest01",
        "acct_1BBBBliveTest02",
        "acct_1CCCCliveTest03",
    );
    let margin = 3 * 86_400;
    let mut store: Store = BTreeMap::new();
    for (acct, tag) in [(a, "a"), (b, "b"), (c, "c")] {
        let mut lists: BTreeMap<String, Vec<Value>> = BTreeMap::new();
        // 260 charges inside window ± margin, 15 before it and 15 after it
        let step = (UNTIL - SINCE) / 260;
        let mut ch = clones(&charge, "ch", tag, 260, SINCE, step);
        ch.extend(clones(
            &charge,
            "ch_early",
            tag,
            15,
            SINCE - margin - 20 * 86_400,
            3600,
        ));
        ch.extend(clones(
            &charge,
            "ch_late",
            tag,
            15,
            UNTIL + margin + 86_400,
            3600,
        ));
        // objects exactly on the bounds are in
        ch.push(clones(&charge, "ch_edge_lo", tag, 1, SINCE - margin, 0).remove(0));
        ch.push(clones(&charge, "ch_edge_hi", tag, 1, UNTIL + margin, 0).remove(0));
        lists.insert("/v1/charges".into(), ch);
        lists.insert(
            "/v1/refunds".into(),
            clones(&refund, "re", tag, 120, SINCE + 50, 40_000),
        );
        lists.insert(
            "/v1/payment_intents".into(),
            clones(&pi, "pi", tag, 30, SINCE + 70, 90_000),
        );
        lists.insert(
            "/v1/checkout/sessions".into(),
            clones(&session, "cs_test", tag, 5, SINCE + 90, 400_000),
        );
        store.insert(acct.to_string(), lists);
    }
    let server = fake_stripe(
        store,
        vec![
            KEY.to_string(),
            "sk_test_51FullSecretKeyForTheWarning".into(),
        ],
        Faults {
            denied: vec![c.to_string()],
            rate_limited: vec![
                (a.into(), "/v1/charges".into(), 2),
                (b.into(), "/v1/refunds".into(), 1),
            ],
            fail_once_no_retry: vec![(a.into(), "/v1/charges".into(), 3)],
            slow: vec![],
        },
    );
    let dir = tempfile::tempdir().expect("tmp");
    let plan = dir.path().join("plan.toml");
    std::fs::write(
        &plan,
        plan_text(
            &server.base(),
            3,
            &[("alpha", a), ("bravo", b), ("charlie", c)],
            "",
        ),
    )
    .expect("plan");
    let out = dir.path().join("out");

    // run 1: everything but a's charges page 3 (500, Stripe-Should-Retry: false) and account c
    let err1 = ok(&run(&plan, &out, &["--quiet"], KEY));
    let cache = out.join("cache/stripe");
    let s1 = summary(&out);
    let warnings = s1["warnings"].to_string();
    assert!(
        warnings.contains(c) && warnings.contains("403") && warnings.contains("permission_error"),
        "the denied account is named: {warnings}"
    );
    assert!(
        warnings.contains(&format!("{a} (tenant alpha): charges not fully fetched")),
        "{warnings}"
    );
    assert!(err1.contains(c), "stderr names the denied account: {err1}");
    let reqs1 = server.requests();
    // the 429 was retried, the no-retry 500 was not
    let count =
        |reqs: &[live_support::Request], acct: &str, path: &str, page_after: Option<&str>| {
            reqs.iter()
                .filter(|r| {
                    r.headers.get("stripe-account").map(String::as_str) == Some(acct)
                        && r.path == path
                        && r.query.get("starting_after").map(String::as_str) == page_after
                })
                .count()
        };
    assert_eq!(count(&reqs1, b, "/v1/refunds", None), 2, "429 retried once");
    // accounts are fetched concurrently, all within the rate limit (50/s in this plan)
    let first: std::collections::BTreeSet<_> = reqs1
        .iter()
        .take(6)
        .filter_map(|r| r.headers.get("stripe-account"))
        .collect();
    assert!(first.len() >= 2, "accounts interleave: {first:?}");
    for (i, r) in reqs1.iter().enumerate() {
        let in_a_second = reqs1[i..]
            .iter()
            .take_while(|q| q.at.duration_since(r.at) < std::time::Duration::from_secs(1))
            .count();
        assert!(
            in_a_second <= 51,
            "{in_a_second} requests within one second"
        );
    }
    // every request: GET, limit=100, the window ± margin, a Stripe-Account header
    for r in &reqs1 {
        assert_eq!(r.method, "GET");
        assert_eq!(
            r.query.get("limit").map(String::as_str),
            Some("100"),
            "{r:?}"
        );
        assert_eq!(
            r.query.get("created[gte]"),
            Some(&(SINCE - margin).to_string()),
            "{r:?}"
        );
        assert_eq!(
            r.query.get("created[lte]"),
            Some(&(UNTIL + margin).to_string())
        );
        assert!(!r.query.contains_key("ending_before"));
        assert!(r.headers.contains_key("stripe-account"));
    }
    let b_dir = cache.join(b);
    let names = |d: &Path| -> Vec<String> {
        all_files(d)
            .iter()
            .filter_map(|p| p.file_name().map(|n| n.to_string_lossy().to_string()))
            .collect()
    };
    assert_eq!(
        names(&b_dir),
        [
            "charges.cursor",
            "charges_0001.json",
            "charges_0002.json",
            "charges_0003.json",
            "checkout_sessions.cursor",
            "checkout_sessions_0001.json",
            "payment_intents.cursor",
            "payment_intents_0001.json",
            "refunds.cursor",
            "refunds_0001.json",
            "refunds_0002.json",
        ]
    );
    // pages are saved exactly as received, and hold exactly the objects of the range
    let mut ids = Vec::new();
    for n in 1..=3 {
        let v: Value = serde_json::from_slice(&read(&b_dir.join(format!("charges_000{n}.json"))))
            .expect("page");
        assert_eq!(v["object"], "list");
        assert_eq!(v["has_more"], n < 3);
        for o in v["data"].as_array().expect("data") {
            ids.push(o["id"].as_str().unwrap_or("").to_string());
        }
    }
    assert_eq!(ids.len(), 262, "260 + the two on the bounds");
    assert!(ids
        .iter()
        .all(|i| !i.starts_with("ch_early") && !i.starts_with("ch_late")));
    let mut sorted = ids.clone();
    sorted.sort();
    sorted.dedup();
    assert_eq!(sorted.len(), ids.len(), "no object twice");
    assert!(!cache.join(c).join("charges_0001.json").exists());
    // a's charges stopped after page 2
    let a_dir = cache.join(a);
    assert!(a_dir.join("charges_0002.json").exists());
    assert!(!a_dir.join("charges_0003.json").exists());
    let cursor: Value =
        serde_json::from_slice(&read(&a_dir.join("charges.cursor"))).expect("cursor");
    assert_eq!(cursor["complete"], false);
    let last_of_page2 = {
        let v: Value =
            serde_json::from_slice(&read(&a_dir.join("charges_0002.json"))).expect("page");
        v["data"][99]["id"].as_str().unwrap_or("").to_string()
    };
    assert_eq!(cursor["starting_after"], last_of_page2.as_str());

    // --offline on that cache says what it lacks: the unfinished list and the denied account
    let out_partial = dir.path().join("out-partial");
    copy_dir(&out.join("cache"), &out_partial.join("cache"));
    ok(&run(&plan, &out_partial, &["--offline", "--quiet"], "none"));
    let w = summary(&out_partial)["warnings"].to_string();
    assert!(
        w.contains(&format!(
            "{a} (tenant alpha): the charges list in the cache is incomplete (2 pages)"
        )),
        "{w}"
    );
    assert!(
        w.contains(&format!(
            "Stripe account {c} (tenant charlie): nothing in the cache"
        )),
        "{w}"
    );

    // run 2 (with a full secret key: warned about): resumes a's charges at page 3 and fetches
    // nothing that is complete
    let before = server.requests().len();
    let err2 = ok(&run(
        &plan,
        &out,
        &[],
        "sk_test_51FullSecretKeyForTheWarning",
    ));
    assert!(
        err2.contains("secret test key") && err2.contains("restricted key"),
        "{err2}"
    );
    let reqs2: Vec<_> = server.requests()[before..].to_vec();
    assert_eq!(
        count(&reqs2, a, "/v1/charges", Some(&last_of_page2)),
        1,
        "resumed"
    );
    assert_eq!(
        count(&reqs2, a, "/v1/charges", None),
        0,
        "not from the start"
    );
    assert_eq!(
        count(&reqs2, b, "/v1/charges", None),
        0,
        "complete lists are kept"
    );
    assert!(reqs2
        .iter()
        .all(|r| r.headers.get("stripe-account").map(String::as_str) != Some(b)));
    assert!(a_dir.join("charges_0003.json").exists());
    let s2 = summary(&out);
    assert!(!s2["warnings"]
        .to_string()
        .contains("charges not fully fetched"));
    assert!(s2["warnings"].to_string().contains(c), "c is still denied");
    assert_eq!(s2["accounting"]["adds_up"], true);
    let stripe_items = s2["evidence_by_source"]["stripe"].as_u64().unwrap_or(0);
    assert!(stripe_items >= 2 * (262 + 120 + 30), "{s2:#}");
    let bookings2 = read(&out.join("bookings.csv"));

    // run 3: --offline contacts nothing and gives the same outputs
    let before = server.requests().len();
    let out3 = dir.path().join("out3");
    std::fs::create_dir_all(&out3).expect("mkdir");
    copy_dir(&out.join("cache"), &out3.join("cache"));
    ok(&run(&plan, &out3, &["--offline", "--quiet"], "none"));
    assert_eq!(
        server.requests().len(),
        before,
        "--offline sends no request"
    );
    assert_eq!(read(&out3.join("bookings.csv")), bookings2);

    // run 4: --refresh fetches the complete lists again
    let before = server.requests().len();
    ok(&run(&plan, &out, &["--refresh", "--quiet"], KEY));
    let reqs4: Vec<_> = server.requests()[before..].to_vec();
    assert!(count(&reqs4, b, "/v1/charges", None) >= 1);
    assert_eq!(read(&out.join("bookings.csv")), bookings2);

    // GET only, and the key is never written anywhere
    assert!(server.violations().is_empty(), "{:?}", server.violations());
    for f in all_files(dir.path()) {
        let bytes = read(&f);
        let text = String::from_utf8_lossy(&bytes);
        assert!(
            !text.contains("LiveTestKey"),
            "{} holds the key",
            f.display()
        );
        assert!(
            !text.contains("FullSecretKey"),
            "{} holds the key",
            f.display()
        );
    }
    for e in [&err1, &err2] {
        assert!(!e.contains("LiveTestKey") && !e.contains("FullSecretKey"));
    }
}

#[test]
fn a_key_in_the_plan_is_refused_and_a_missing_key_is_clear() {
    let dir = tempfile::tempdir().expect("tmp");
    let plan = dir.path().join("plan.toml");
    std::fs::write(
        &plan,
        plan_text(
            "http://127.0.0.1:9",
            3,
            &[("alpha", "acct_1AAAAliveTest01")],
            // put together at run time: no key-shaped text in the sources
            &format!(
                "api_key = \"{}_51SomethingSecretAbcdefghijklmnop\"",
                ["rk", "live"].join("_")
            ),
        ),
    )
    .expect("plan");
    let o = run(&plan, &dir.path().join("out"), &["--quiet"], KEY);
    assert!(!o.status.success());
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("refused"), "{err}");
    assert!(!err.contains("SomethingSecret"), "{err}");

    std::fs::write(
        &plan,
        plan_text(
            "http://127.0.0.1:9",
            3,
            &[("alpha", "acct_1AAAAliveTest01")],
            "",
        ),
    )
    .expect("plan");
    let o = Command::new(env!("CARGO_BIN_EXE_gapfill"))
        .args(["recover", "--quiet"])
        .arg(&plan)
        .env_remove("STRIPE_API_KEY")
        .output()
        .expect("runs");
    assert!(!o.status.success());
    assert!(String::from_utf8_lossy(&o.stderr).contains("STRIPE_API_KEY"));
}

fn copy_dir(from: &Path, to: &Path) {
    for f in all_files(from) {
        let rel = f.strip_prefix(from).expect("under");
        let dest = to.join(rel);
        std::fs::create_dir_all(dest.parent().expect("parent")).expect("mkdir");
        std::fs::copy(&f, &dest).expect("copy");
    }
}

/// The samples, once from their files and once with Stripe and the calendars served live:
/// byte-identical bookings, and `--offline` from the cache gives them again.
#[test]
fn live_recovery_equals_the_run_on_files() {
    let samples = repo().join("samples");
    let files_out = tempfile::tempdir().expect("tmp");
    ok(&Command::new(env!("CARGO_BIN_EXE_gapfill"))
        .args(["recover", "--quiet"])
        .arg(samples.join("recovery.toml"))
        .arg("--out")
        .arg(files_out.path())
        .output()
        .expect("runs"));

    // Stripe: every object of samples/stripe/acct_*/ served by account
    let mut store: Store = BTreeMap::new();
    for f in all_files(&samples.join("stripe")) {
        let Some(acct) = f
            .parent()
            .and_then(|p| p.file_name())
            .map(|n| n.to_string_lossy().to_string())
            .filter(|n| n.starts_with("acct_"))
        else {
            continue;
        };
        if f.extension().is_some_and(|x| x == "json") {
            for (path, v) in objects_of_file(&f) {
                store
                    .entry(acct.clone())
                    .or_default()
                    .entry(path)
                    .or_default()
                    .push(v);
            }
        }
    }
    let stripe = fake_stripe(store, vec![KEY.to_string()], Faults::default());

    // calendars: gzip for one, a redirect for another, plain for the rest
    let mut routes = BTreeMap::new();
    let plan_src = std::fs::read_to_string(samples.join("recovery.toml")).expect("plan");
    let mut plan = String::new();
    let mut k = 0;
    for line in plan_src.lines() {
        let l = line.trim();
        if l.starts_with("stripe_json") {
            continue; // from the API now
        }
        if let Some(rest) = l.strip_prefix("calendars = [\"") {
            let rel = rest.trim_end_matches("\"]");
            let body = read(&samples.join(rel));
            let path = format!("/cal/{k}/basic.ics");
            let ct = (
                "Content-Type".to_string(),
                "text/calendar; charset=utf-8".to_string(),
            );
            match k % 3 {
                0 => {
                    routes.insert(
                        path.clone(),
                        (
                            200,
                            vec![ct, ("Content-Encoding".into(), "gzip".into())],
                            gzip(&body),
                        ),
                    );
                }
                1 => {
                    let target = format!("/moved/{k}.ics");
                    routes.insert(
                        path.clone(),
                        (302, vec![("Location".into(), target.clone())], Vec::new()),
                    );
                    routes.insert(target, (200, vec![ct], body));
                }
                _ => {
                    routes.insert(path.clone(), (200, vec![ct], body));
                }
            }
            plan.push_str(&format!("calendar_urls = [\"PLACEHOLDER{path}\"]\n"));
            k += 1;
            continue;
        }
        let line = line
            .replace(
                "\"../mappings",
                &format!("\"{}", repo().join("mappings").display()),
            )
            .replace(
                "\"restored.sqlite\"",
                &format!("\"{}\"", samples.join("restored.sqlite").display()),
            )
            .replace("\"mail/", &format!("\"{}/mail/", samples.display()))
            .replace(
                "\"stripe/exports",
                &format!("\"{}/stripe/exports", samples.display()),
            );
        plan.push_str(&line);
        plan.push('\n');
        if l == "[database]" {
            // nothing
        }
    }
    assert_eq!(k, 4, "four calendars in the samples");
    let feeds = static_server(routes);
    let plan = plan.replace("PLACEHOLDER", &feeds.base());
    let plan = plan.replace(
        "[window]",
        &format!(
            "[live]\nmargin_days = 200\n\n[stripe]\napi_base = \"{}\"\nbackoff_ms = 20\n\n[window]",
            stripe.base()
        ),
    );
    let dir = tempfile::tempdir().expect("tmp");
    let plan_path = dir.path().join("live.toml");
    std::fs::write(&plan_path, &plan).expect("plan");
    let out = dir.path().join("out");
    let err = ok(&run(&plan_path, &out, &["--quiet"], KEY));
    let s = summary(&out);
    assert!(
        !s["warnings"].to_string().contains("calendar feed"),
        "{err}\n{:#}",
        s["warnings"]
    );
    let expected = read(&files_out.path().join("bookings.csv"));
    assert!(expected.len() > 1000);
    assert_eq!(
        String::from_utf8_lossy(&read(&out.join("bookings.csv"))),
        String::from_utf8_lossy(&expected),
        "live bookings differ from the run on files"
    );
    for t in [
        "alpen-autos",
        "liberty-car-rental",
        "riviera-location",
        "sol-rent",
    ] {
        let rel = format!("tenants/{t}/bookings.csv");
        assert_eq!(
            read(&out.join(&rel)),
            read(&files_out.path().join(&rel)),
            "{rel}"
        );
    }
    let files_summary = summary(files_out.path());
    assert_eq!(s["evidence_by_source"], files_summary["evidence_by_source"]);
    assert_eq!(s["recovered"], files_summary["recovered"]);

    // --offline: no request, same bookings
    let (n_stripe, n_feeds) = (stripe.requests().len(), feeds.requests().len());
    let out2 = dir.path().join("out2");
    copy_dir(&out.join("cache"), &out2.join("cache"));
    ok(&run(&plan_path, &out2, &["--offline", "--quiet"], "none"));
    assert_eq!(stripe.requests().len(), n_stripe);
    assert_eq!(feeds.requests().len(), n_feeds);
    assert_eq!(read(&out2.join("bookings.csv")), expected);
    assert!(stripe.violations().is_empty() && feeds.violations().is_empty());
    // gzip was asked for
    assert!(feeds.requests().iter().all(|r| r
        .headers
        .get("accept-encoding")
        .is_some_and(|v| v.contains("gzip"))));
}

#[test]
fn calendar_feed_errors_are_clear_and_do_not_stop_the_run() {
    let ics = read(&repo().join("samples/calendars/alpen-autos.ics"));
    let mut routes = BTreeMap::new();
    let cal = ("Content-Type".to_string(), "text/calendar".to_string());
    routes.insert("/ok.ics".to_string(), (200, vec![cal], ics));
    routes.insert(
        "/login".to_string(),
        (
            200,
            vec![("Content-Type".into(), "text/html; charset=utf-8".into())],
            b"<!DOCTYPE html><html><body>Sign in</body></html>".to_vec(),
        ),
    );
    routes.insert(
        "/slow.ics".to_string(),
        (
            200,
            vec![("X-Test-Delay-Ms".into(), "4000".into())],
            b"BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n".to_vec(),
        ),
    );
    routes.insert(
        "/private".to_string(),
        (401, vec![], b"Unauthorized".to_vec()),
    );
    let feeds = static_server(routes);
    let b = feeds.base();
    let dir = tempfile::tempdir().expect("tmp");
    let plan = dir.path().join("plan.toml");
    let text = format!(
        r#"mappings = "{maps}"

[window]
since = "2026-02-16T03:00:00Z"
until = "2026-05-17T03:00:00Z"

[[tenants]]
slug = "alpen-autos"
name = "Alpen Autos GmbH"
timezone = "Europe/Berlin"
currency = "EUR"
calendar_urls = ["{b}/ok.ics", "{b}/gone/secret-part.ics", "{b}/login", "{b}/private", "{b}/slow.ics"]

[live]
timeout_secs = 2
"#,
        maps = repo().join("mappings").display()
    );
    std::fs::write(&plan, text).expect("plan");
    let out = dir.path().join("out");
    let err = ok(&run(&plan, &out, &["--quiet"], KEY));
    let w = summary(&out)["warnings"].to_string();
    assert!(
        w.contains("calendar feed 1 of tenant alpen-autos") && w.contains("HTTP 404"),
        "{w}"
    );
    assert!(
        w.contains("calendar feed 2") && w.contains("HTML page"),
        "{w}"
    );
    assert!(
        w.contains("calendar feed 3") && w.contains("HTTP 401"),
        "{w}"
    );
    assert!(
        w.contains("calendar feed 4") && w.contains("timed out"),
        "{w}"
    );
    assert!(
        !w.contains("secret-part") && !err.contains("secret-part"),
        "URL paths are not shown"
    );
    assert!(out.join("cache/calendars/alpen-autos/feed_0.ics").is_file());
    assert!(!out.join("cache/calendars/alpen-autos/feed_1.ics").exists());
    let s = summary(&out);
    assert!(
        s["evidence_by_source"]["calendar"].as_u64().unwrap_or(0) > 10,
        "{s:#}"
    );
}

/// A pull killed (SIGKILL) in the middle of a list resumes after the last saved page.
#[test]
fn a_killed_pull_resumes_after_the_last_saved_page() {
    let charge = template(
        "samples/stripe/acct_16um5Eb0Upa0CElG/charges_1.json",
        "charge",
    );
    let a = "acct_1KILLliveTest04";
    let mut store: Store = BTreeMap::new();
    let step = (UNTIL - SINCE) / 350;
    store.entry(a.to_string()).or_default().insert(
        "/v1/charges".into(),
        clones(&charge, "ch", "k", 350, SINCE, step),
    );
    let server = fake_stripe(
        store,
        vec![KEY.to_string()],
        Faults {
            slow: vec![(a.into(), "/v1/charges".into(), 3, 6_000)],
            ..Faults::default()
        },
    );
    let dir = tempfile::tempdir().expect("tmp");
    let plan = dir.path().join("plan.toml");
    std::fs::write(&plan, plan_text(&server.base(), 3, &[("kilo", a)], "")).expect("plan");
    let out = dir.path().join("out");
    let mut child = Command::new(env!("CARGO_BIN_EXE_gapfill"))
        .arg("recover")
        .arg(&plan)
        .arg("--out")
        .arg(&out)
        .arg("--quiet")
        .env("STRIPE_API_KEY", KEY)
        .env_remove("HTTP_PROXY")
        .env_remove("http_proxy")
        .env_remove("ALL_PROXY")
        .env_remove("all_proxy")
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("spawn");
    let acct_dir = out.join("cache/stripe").join(a);
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    while !acct_dir.join("charges_0002.json").exists() || !acct_dir.join("charges.cursor").exists()
    {
        assert!(std::time::Instant::now() < deadline, "page 2 never arrived");
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    // page 3 is being served slowly: kill the run now (our own child, by its pid)
    std::thread::sleep(std::time::Duration::from_millis(300));
    child.kill().expect("kill");
    let _ = child.wait();
    assert!(!acct_dir.join("charges_0003.json").exists());
    let cursor: Value =
        serde_json::from_slice(&read(&acct_dir.join("charges.cursor"))).expect("cursor");
    assert_eq!(cursor["pages"], 2);
    let after = cursor["starting_after"].as_str().unwrap_or("").to_string();
    let before = server.requests().len();
    // the next run (page 3 still slow, but answered) resumes there
    ok(&run(&plan, &out, &["--quiet"], KEY));
    let reqs: Vec<_> = server.requests()[before..]
        .iter()
        .filter(|r| r.path == "/v1/charges")
        .cloned()
        .collect();
    assert!(!reqs.is_empty());
    assert_eq!(
        reqs[0].query.get("starting_after").map(String::as_str),
        Some(after.as_str()),
        "resumed after the last saved page"
    );
    assert!(reqs.iter().all(|r| r.query.contains_key("starting_after")));
    let mut ids = std::collections::BTreeSet::new();
    for n in 1..=4 {
        let v: Value =
            serde_json::from_slice(&read(&acct_dir.join(format!("charges_000{n}.json"))))
                .expect("page");
        for o in v["data"].as_array().expect("data") {
            assert!(
                ids.insert(o["id"].as_str().unwrap_or("").to_string()),
                "no object twice"
            );
        }
    }
    assert_eq!(ids.len(), 350);
    assert!(server.violations().is_empty());
}
