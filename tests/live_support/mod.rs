//! Test servers for the live sources, on 127.0.0.1 only: a minimal HTTP/1.1 server (one thread
//! per connection, `Connection: close`), a fake Stripe API on it that speaks Stripe's wire format
//! (list objects, `has_more`, `starting_after`, `created[gte]/[lte]`, `Stripe-Account`, error
//! bodies, 429 with `Stripe-Should-Retry`) and records every request; any method but GET is
//! recorded as a violation (and answered 405), and the tests assert there is none.
#![allow(dead_code)]

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::{json, Value};

#[derive(Debug, Clone)]
pub struct Request {
    pub method: String,
    pub path: String,
    /// Decoded query parameters (`created[gte]` → value).
    pub query: BTreeMap<String, String>,
    /// Lower-case header names.
    pub headers: BTreeMap<String, String>,
    /// When the request line arrived.
    pub at: Instant,
}

pub struct Response {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Response {
    pub fn json(status: u16, v: &Value) -> Response {
        Response {
            status,
            headers: vec![("Content-Type".into(), "application/json".into())],
            body: serde_json::to_vec_pretty(v).unwrap_or_default(),
        }
    }
}

type Handler = dyn Fn(&Request) -> Response + Send + Sync;

/// A server on 127.0.0.1:<random port>; stops when dropped (and after 10 minutes at most).
pub struct Server {
    pub port: u16,
    stop: Arc<AtomicBool>,
    pub requests: Arc<Mutex<Vec<Request>>>,
    pub violations: Arc<Mutex<Vec<String>>>,
}

impl Server {
    pub fn start(handler: Box<Handler>) -> Server {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1");
        let port = listener.local_addr().expect("addr").port();
        listener.set_nonblocking(true).expect("nonblocking");
        let stop = Arc::new(AtomicBool::new(false));
        let requests = Arc::new(Mutex::new(Vec::new()));
        let violations = Arc::new(Mutex::new(Vec::new()));
        let handler: Arc<Handler> = Arc::from(handler);
        {
            let stop = stop.clone();
            let requests = requests.clone();
            let violations = violations.clone();
            std::thread::spawn(move || {
                let deadline = Instant::now() + Duration::from_secs(600);
                while !stop.load(Ordering::Relaxed) && Instant::now() < deadline {
                    match listener.accept() {
                        Ok((s, _)) => {
                            let h = handler.clone();
                            let r = requests.clone();
                            let v = violations.clone();
                            std::thread::spawn(move || serve(s, &*h, &r, &v));
                        }
                        Err(_) => std::thread::sleep(Duration::from_millis(2)),
                    }
                }
            });
        }
        Server {
            port,
            stop,
            requests,
            violations,
        }
    }

    pub fn base(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    pub fn requests(&self) -> Vec<Request> {
        self.requests.lock().map(|r| r.clone()).unwrap_or_default()
    }

    pub fn violations(&self) -> Vec<String> {
        self.violations
            .lock()
            .map(|r| r.clone())
            .unwrap_or_default()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
    }
}

fn serve(
    s: TcpStream,
    handler: &Handler,
    requests: &Mutex<Vec<Request>>,
    violations: &Mutex<Vec<String>>,
) {
    s.set_nonblocking(false).ok();
    s.set_read_timeout(Some(Duration::from_secs(10))).ok();
    let mut r = BufReader::new(match s.try_clone() {
        Ok(c) => c,
        Err(_) => return,
    });
    let mut line = String::new();
    if r.read_line(&mut line).unwrap_or(0) == 0 {
        return;
    }
    let at = Instant::now();
    let mut parts = line.split_whitespace();
    let method = parts.next().unwrap_or("").to_string();
    let target = parts.next().unwrap_or("").to_string();
    let mut headers = BTreeMap::new();
    loop {
        let mut h = String::new();
        if r.read_line(&mut h).unwrap_or(0) == 0 {
            break;
        }
        let h = h.trim_end();
        if h.is_empty() {
            break;
        }
        if let Some((k, v)) = h.split_once(':') {
            headers.insert(k.trim().to_ascii_lowercase(), v.trim().to_string());
        }
    }
    let len: usize = headers
        .get("content-length")
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    let mut body = vec![0u8; len.min(1 << 20)];
    let _ = r.read_exact(&mut body);
    let (path, q) = target.split_once('?').unwrap_or((&target, ""));
    let mut query = BTreeMap::new();
    for pair in q.split('&').filter(|p| !p.is_empty()) {
        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
        query.insert(decode(k), decode(v));
    }
    let req = Request {
        method: method.clone(),
        path: path.to_string(),
        query,
        headers,
        at,
    };
    if let Ok(mut all) = requests.lock() {
        all.push(req.clone());
    }
    let resp = if method != "GET" {
        if let Ok(mut v) = violations.lock() {
            v.push(format!("{method} {target}"));
        }
        Response::json(
            405,
            &json!({"error": {"type": "invalid_request_error", "message": "GET only"}}),
        )
    } else {
        handler(&req)
    };
    let mut out = Vec::new();
    let reason = match resp.status {
        200 => "OK",
        301 | 302 => "Found",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        429 => "Too Many Requests",
        _ => "Status",
    };
    let _ = write!(out, "HTTP/1.1 {} {reason}\r\n", resp.status);
    for (k, v) in &resp.headers {
        let _ = write!(out, "{k}: {v}\r\n");
    }
    let _ = write!(
        out,
        "Content-Length: {}\r\nConnection: close\r\n\r\n",
        resp.body.len()
    );
    out.extend_from_slice(&resp.body);
    let mut s = s;
    let _ = s.write_all(&out);
    let _ = s.flush();
}

fn decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < b.len() => {
                let hex = std::str::from_utf8(&b[i + 1..i + 3]).unwrap_or("");
                match u8::from_str_radix(hex, 16) {
                    Ok(v) => {
                        out.push(v);
                        i += 2;
                    }
                    Err(_) => out.push(b'%'),
                }
            }
            c => out.push(c),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).to_string()
}

/// Objects per account and list path (`/v1/charges`, ...), any order.
pub type Store = BTreeMap<String, BTreeMap<String, Vec<Value>>>;

/// Fault injection for the fake Stripe.
#[derive(Default)]
pub struct Faults {
    /// Accounts answered 403 permission_error.
    pub denied: Vec<String>,
    /// (account, path, page number 1-based): answered 429 with Stripe-Should-Retry: true the
    /// first time it is asked.
    pub rate_limited: Vec<(String, String, usize)>,
    /// (account, path, page): answered 500 with Stripe-Should-Retry: false the first time.
    pub fail_once_no_retry: Vec<(String, String, usize)>,
    /// (account, path, page, milliseconds): answered that late (every time).
    pub slow: Vec<(String, String, usize, u64)>,
}

/// The path of a list for an object's `object` field.
pub fn list_path(object: &str) -> Option<&'static str> {
    match object {
        "charge" => Some("/v1/charges"),
        "refund" => Some("/v1/refunds"),
        "payment_intent" => Some("/v1/payment_intents"),
        "checkout.session" => Some("/v1/checkout/sessions"),
        _ => None,
    }
}

/// A fake Stripe API over `store`, accepting the bearer keys in `keys`.
pub fn fake_stripe(store: Store, keys: Vec<String>, faults: Faults) -> Server {
    let mut store = store;
    for lists in store.values_mut() {
        for objs in lists.values_mut() {
            // newest first, ties by id (descending), as Stripe lists
            objs.sort_by(|a, b| {
                (b["created"].as_i64(), b["id"].as_str())
                    .cmp(&(a["created"].as_i64(), a["id"].as_str()))
            });
        }
    }
    let seen: Mutex<BTreeMap<(String, String, usize), usize>> = Mutex::new(BTreeMap::new());
    Server::start(Box::new(move |req: &Request| {
        let err = |status: u16, kind: &str, msg: &str| {
            Response::json(status, &json!({"error": {"type": kind, "message": msg}}))
        };
        let auth = req
            .headers
            .get("authorization")
            .cloned()
            .unwrap_or_default();
        let key = auth.strip_prefix("Bearer ").unwrap_or("");
        if !keys.iter().any(|k| k == key) {
            return err(
                401,
                "invalid_request_error",
                "Invalid API Key provided: rk_test_***",
            );
        }
        let Some(account) = req.headers.get("stripe-account").cloned() else {
            return err(
                400,
                "invalid_request_error",
                "no Stripe-Account header (test server needs one)",
            );
        };
        if faults.denied.contains(&account) {
            return err(
                403,
                "permission_error",
                &format!(
                    "The provided key 'rk_test_***' does not have access to account '{account}' (or that account does not exist). Application access may have been revoked."
                ),
            );
        }
        if !matches!(
            req.path.as_str(),
            "/v1/charges" | "/v1/refunds" | "/v1/payment_intents" | "/v1/checkout/sessions"
        ) {
            return err(
                404,
                "invalid_request_error",
                &format!("Unrecognized request URL (GET: {})", req.path),
            );
        }
        if req.query.contains_key("ending_before") && req.query.contains_key("starting_after") {
            return err(
                400,
                "invalid_request_error",
                "You may only specify one of these parameters: ending_before, starting_after.",
            );
        }
        let num = |k: &str| req.query.get(k).and_then(|v| v.parse::<i64>().ok());
        let limit = num("limit").unwrap_or(10).clamp(1, 100) as usize;
        let gte = num("created[gte]").unwrap_or(i64::MIN);
        let lte = num("created[lte]").unwrap_or(i64::MAX);
        let empty = Vec::new();
        let all = store
            .get(&account)
            .and_then(|l| l.get(&req.path))
            .unwrap_or(&empty);
        let matching: Vec<&Value> = all
            .iter()
            .filter(|o| o["created"].as_i64().is_some_and(|c| c >= gte && c <= lte))
            .collect();
        let start = match req.query.get("starting_after") {
            Some(id) => match matching.iter().position(|o| o["id"].as_str() == Some(id)) {
                Some(p) => p + 1,
                None => {
                    return err(
                        400,
                        "invalid_request_error",
                        &format!("No such object: '{id}'"),
                    )
                }
            },
            None => 0,
        };
        let page_no = start / limit + 1;
        let k = (account.clone(), req.path.clone(), page_no);
        let times = {
            let mut s = seen.lock().expect("lock");
            let n = s.entry(k.clone()).or_insert(0);
            *n += 1;
            *n
        };
        if let Some(s) = faults
            .slow
            .iter()
            .find(|s| (&s.0, &s.1, s.2) == (&k.0, &k.1, k.2))
        {
            std::thread::sleep(Duration::from_millis(s.3.min(20_000)));
        }
        if times == 1 && faults.rate_limited.contains(&k) {
            return Response {
                status: 429,
                headers: vec![
                    ("Content-Type".into(), "application/json".into()),
                    ("Stripe-Should-Retry".into(), "true".into()),
                ],
                body: serde_json::to_vec(&json!({"error": {"type": "rate_limit_error", "message": "Request rate limit exceeded."}})).unwrap_or_default(),
            };
        }
        if times == 1 && faults.fail_once_no_retry.contains(&k) {
            return Response {
                status: 500,
                headers: vec![
                    ("Content-Type".into(), "application/json".into()),
                    ("Stripe-Should-Retry".into(), "false".into()),
                ],
                body: serde_json::to_vec(&json!({"error": {"type": "api_error", "message": "Something went wrong on Stripe's end."}})).unwrap_or_default(),
            };
        }
        let page: Vec<Value> = matching
            .iter()
            .skip(start)
            .take(limit)
            .map(|v| (*v).clone())
            .collect();
        let has_more = start + page.len() < matching.len();
        Response::json(
            200,
            &json!({"object": "list", "data": page, "has_more": has_more, "url": req.path}),
        )
    }))
}

/// Objects of saved Stripe JSON files (list pages, arrays, single objects) by list path.
pub fn objects_of_file(path: &Path) -> Vec<(String, Value)> {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let v: Value =
        serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let items: Vec<Value> = match v {
        Value::Array(a) => a,
        Value::Object(ref o) if o.get("object").and_then(Value::as_str) == Some("list") => o
            .get("data")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default(),
        other => vec![other],
    };
    items
        .into_iter()
        .filter_map(|o| {
            let p = list_path(o["object"].as_str().unwrap_or(""))?;
            Some((p.to_string(), o))
        })
        .collect()
}

/// A static file server: path → (status, headers, body).
/// A canned answer: status, headers, body.
pub type Canned = (u16, Vec<(String, String)>, Vec<u8>);

pub fn static_server(routes: BTreeMap<String, Canned>) -> Server {
    Server::start(Box::new(move |req: &Request| match routes.get(&req.path) {
        Some((status, headers, body)) => {
            // a test-only header makes the answer late (timeouts)
            let mut headers = headers.clone();
            if let Some(i) = headers.iter().position(|(k, _)| k == "X-Test-Delay-Ms") {
                let ms: u64 = headers[i].1.parse().unwrap_or(0);
                headers.remove(i);
                std::thread::sleep(Duration::from_millis(ms.min(10_000)));
            }
            Response {
                status: *status,
                headers,
                body: body.clone(),
            }
        }
        None => Response {
            status: 404,
            headers: vec![("Content-Type".into(), "text/html".into())],
            body: b"<html><body>Not Found</body></html>".to_vec(),
        },
    }))
}

pub fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    let _ = e.write_all(bytes);
    e.finish().unwrap_or_default()
}

/// `gapfill recover PLAN --out OUT EXTRA…`, with no proxy variables (every request of the
/// live tests goes to 127.0.0.1 and must not be sent through a proxy of the machine).
pub fn recover(plan: &Path, out: &Path, extra: &[&str]) -> std::process::Command {
    let mut c = std::process::Command::new(env!("CARGO_BIN_EXE_gapfill"));
    c.arg("recover").arg(plan).arg("--out").arg(out).args(extra);
    for v in [
        "HTTP_PROXY",
        "http_proxy",
        "HTTPS_PROXY",
        "https_proxy",
        "ALL_PROXY",
        "all_proxy",
    ] {
        c.env_remove(v);
    }
    c
}

/// The run's stderr, after asserting that it succeeded.
pub fn ok(o: &std::process::Output) -> String {
    let err = String::from_utf8_lossy(&o.stderr).to_string();
    assert!(o.status.success(), "gapfill failed:\n{err}");
    err
}
