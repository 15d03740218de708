//! IMAP, live: reads the confirmation mails straight from a mailbox over TLS, without changing
//! anything on the server. The client speaks only the few commands in [`Command`]: LOGIN,
//! EXAMINE (the read-only open; there is no SELECT), UID SEARCH SINCE/BEFORE for the window ±
//! margin, UID FETCH with `BODY.PEEK[]` (which never sets `\Seen`) and LOGOUT; a folder whose
//! EXAMINE does not answer `[READ-ONLY]` is not read. Each message is saved raw to
//! `<cache>/mail/<folder>/<uidvalidity>_<uid>.eml`; messages already cached are not fetched
//! again, so an interrupted pull resumes.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpStream, ToSocketAddrs};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use chrono::{Datelike, NaiveDate};
use serde::Deserialize;

use super::{write_atomic, LiveError};
use crate::plan::Plan;
use crate::progress::Progress;

/// UIDs fetched per FETCH command.
const FETCH_CHUNK: usize = 200;

/// `[imap]` in the plan.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ImapConfig {
    pub host: String,
    /// Default 993 (IMAP over TLS).
    #[serde(default = "default_port")]
    pub port: u16,
    pub user: String,
    /// Name of the environment variable that holds the password.
    pub password_env: String,
    /// Refused: a password never belongs in the plan.
    #[serde(default)]
    pub password: Option<toml::Value>,
    /// Folders to read (default `["INBOX"]`).
    #[serde(default = "default_folders")]
    pub folders: Vec<String>,
    /// Implicit TLS (default true); `false` is accepted for a server on 127.0.0.1 only.
    #[serde(default = "default_tls")]
    pub tls: bool,
    /// PEM file of an extra certificate (or CA) to trust, for a server with its own certificate.
    #[serde(default)]
    pub ca_file: Option<PathBuf>,
}

fn default_port() -> u16 {
    993
}
fn default_folders() -> Vec<String> {
    vec!["INBOX".into()]
}
fn default_tls() -> bool {
    true
}

impl ImapConfig {
    pub fn validate(&self) -> Result<(), String> {
        if self.password.is_some() {
            return Err(
                "[imap] password: a password in the plan is refused; name an \
                        environment variable with password_env"
                    .into(),
            );
        }
        if self.host.trim().is_empty() || self.user.trim().is_empty() {
            return Err("[imap] needs host and user".into());
        }
        if self.password_env.trim().is_empty() {
            return Err(
                "[imap] password_env names the environment variable with the password".into(),
            );
        }
        if self.folders.is_empty() {
            return Err("[imap] folders is empty".into());
        }
        for f in &self.folders {
            if f.is_empty()
                || !f.chars().all(|c| c.is_ascii_graphic() || c == ' ')
                || f.contains('"')
            {
                return Err(format!(
                    "[imap] folder `{f}`: only printable ASCII names without quotes are supported"
                ));
            }
        }
        if !self.tls && !is_loopback(&self.host) {
            return Err("[imap] tls = false is only accepted for a server on 127.0.0.1".into());
        }
        Ok(())
    }
}

fn is_loopback(host: &str) -> bool {
    host == "localhost" || host.starts_with("127.") || host == "::1"
}

/// `<cache>/mail/<folder>` (the folder name made safe for a path).
pub fn folder_dir(cache: &Path, folder: &str) -> PathBuf {
    let safe: String = folder
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_') {
                c
            } else {
                '_'
            }
        })
        .collect();
    cache.join("mail").join(safe)
}

/// The only commands this client can send. None of them changes the mailbox.
enum Command<'a> {
    Login { user: &'a str, password: &'a str },
    Examine(&'a str),
    UidSearch { since: NaiveDate, before: NaiveDate },
    UidFetchPeek(&'a [u32]),
    Logout,
}

impl Command<'_> {
    fn render(&self) -> String {
        match self {
            Command::Login { user, password } => {
                format!("LOGIN {} {}", quote(user), quote(password))
            }
            Command::Examine(f) => format!("EXAMINE {}", quote(f)),
            Command::UidSearch { since, before } => {
                format!(
                    "UID SEARCH SINCE {} BEFORE {}",
                    imap_date(*since),
                    imap_date(*before)
                )
            }
            Command::UidFetchPeek(uids) => format!("UID FETCH {} (UID BODY.PEEK[])", uid_set(uids)),
            Command::Logout => "LOGOUT".into(),
        }
    }

    fn name(&self) -> &'static str {
        match self {
            Command::Login { .. } => "LOGIN",
            Command::Examine(_) => "EXAMINE",
            Command::UidSearch { .. } => "UID SEARCH",
            Command::UidFetchPeek(_) => "UID FETCH",
            Command::Logout => "LOGOUT",
        }
    }
}

fn quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        if c == '"' || c == '\\' {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('"');
    out
}

fn imap_date(d: NaiveDate) -> String {
    const M: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    format!("{}-{}-{}", d.day(), M[d.month0() as usize], d.year())
}

/// `1:5,7,9:10` from sorted UIDs.
fn uid_set(uids: &[u32]) -> String {
    let mut out = String::new();
    let mut i = 0;
    while i < uids.len() {
        let start = uids[i];
        let mut end = start;
        while i + 1 < uids.len() && uids[i + 1] == end + 1 {
            i += 1;
            end = uids[i];
        }
        if !out.is_empty() {
            out.push(',');
        }
        if start == end {
            out.push_str(&start.to_string());
        } else {
            out.push_str(&format!("{start}:{end}"));
        }
        i += 1;
    }
    out
}

/// One server response line with its literals (`{n}` blocks) taken out.
struct Response {
    /// The text with each literal replaced by `{n}`.
    text: String,
    literals: Vec<Vec<u8>>,
}

trait Stream: Read + Write {}
impl<T: Read + Write> Stream for T {}

struct Session {
    io: BufReader<Box<dyn Stream>>,
    tag: u32,
}

impl Session {
    fn read_response(&mut self) -> Result<Response, String> {
        let mut text = String::new();
        let mut literals = Vec::new();
        loop {
            let mut line = Vec::new();
            let n = self
                .io
                .read_until(b'\n', &mut line)
                .map_err(|e| format!("connection lost: {e}"))?;
            if n == 0 {
                return Err("the server closed the connection".into());
            }
            let s = String::from_utf8_lossy(&line).to_string();
            let s = s.trim_end_matches(['\r', '\n']);
            // a literal announcement ends the line: `... {123}`
            if let Some(open) = s.rfind('{').filter(|_| s.ends_with('}')) {
                if let Ok(len) = s[open + 1..s.len() - 1]
                    .trim_end_matches('+')
                    .parse::<usize>()
                {
                    let mut buf = vec![0u8; len];
                    self.io
                        .read_exact(&mut buf)
                        .map_err(|e| format!("connection lost in a message: {e}"))?;
                    text.push_str(s);
                    literals.push(buf);
                    continue;
                }
            }
            text.push_str(s);
            return Ok(Response { text, literals });
        }
    }

    /// Sends a command and reads until its tagged answer; returns the untagged responses.
    fn run(&mut self, cmd: &Command) -> Result<(Vec<Response>, String), String> {
        self.tag += 1;
        let tag = format!("g{}", self.tag);
        let line = format!("{tag} {}\r\n", cmd.render());
        let w = self.io.get_mut();
        w.write_all(line.as_bytes())
            .and_then(|_| w.flush())
            .map_err(|e| format!("cannot send {}: {e}", cmd.name()))?;
        let mut untagged = Vec::new();
        loop {
            let r = self.read_response()?;
            if let Some(rest) = r.text.strip_prefix(&format!("{tag} ")) {
                let rest = rest.to_string();
                if rest.starts_with("OK") {
                    return Ok((untagged, rest));
                }
                return Err(format!("{} failed: {rest}", cmd.name()));
            }
            if r.text.starts_with("* BYE") && !matches!(cmd, Command::Logout) {
                return Err(format!("the server hung up: {}", r.text));
            }
            untagged.push(r);
        }
    }
}

/// Fetches every configured folder into the cache. A missing password stops the run; a server
/// that cannot be reached or refuses the login, and a folder that cannot be opened, are
/// warnings (the messages cached by earlier runs are used).
pub fn fetch(
    plan: &Plan,
    cfg: &ImapConfig,
    cache: &Path,
    timeout: Duration,
    progress: &Progress,
) -> crate::Result<Vec<String>> {
    let password = std::env::var(&cfg.password_env).map_err(|_| {
        LiveError::Config(format!(
            "[imap]: the environment variable {} (password_env) is not set (or run with \
             --offline to use the cache)",
            cfg.password_env
        ))
    })?;
    let (since, until) = super::range(plan);
    let since_d = since.date_naive();
    let before_d = until.date_naive() + chrono::Duration::days(1);
    let who = format!("IMAP {}@{}:{}", cfg.user, cfg.host, cfg.port);
    let mut s = match open_session(plan, cfg, &password, timeout) {
        Ok(s) => s,
        Err(e) => {
            let w = format!(
                "{who}: {e}; no mail was fetched, the messages cached by earlier runs are used"
            );
            eprintln!("warning: {w}");
            return Ok(vec![w]);
        }
    };
    let step = progress.step("imap messages", Some(0));
    let mut warnings = Vec::new();
    let mut fetched = 0u64;
    let mut cached = 0u64;
    for folder in &cfg.folders {
        match fetch_folder(&mut s, folder, since_d, before_d, cache, &step) {
            Ok((f, c)) => {
                fetched += f;
                cached += c;
            }
            Err(e) => {
                let w = format!("{who} folder `{folder}`: {e}");
                eprintln!("warning: {w}");
                warnings.push(w);
            }
        }
    }
    let _ = s.run(&Command::Logout);
    step.finish(&format!(
        "{fetched} messages fetched, {cached} already cached, {} folders",
        cfg.folders.len()
    ));
    Ok(warnings)
}

/// Connects, checks the greeting and logs in.
fn open_session(
    plan: &Plan,
    cfg: &ImapConfig,
    password: &str,
    timeout: Duration,
) -> Result<Session, String> {
    let mut s = connect(plan, cfg, timeout)?;
    let greeting = s.read_response()?;
    if !greeting.text.starts_with("* OK") && !greeting.text.starts_with("* PREAUTH") {
        return Err(format!("unexpected greeting `{}`", greeting.text));
    }
    if greeting.text.starts_with("* OK") {
        s.run(&Command::Login {
            user: &cfg.user,
            password,
        })?;
    }
    Ok(s)
}

fn fetch_folder(
    s: &mut Session,
    folder: &str,
    since: NaiveDate,
    before: NaiveDate,
    cache: &Path,
    step: &crate::progress::Step,
) -> Result<(u64, u64), String> {
    let (untagged, ok) = s.run(&Command::Examine(folder))?;
    if !ok.to_ascii_uppercase().contains("[READ-ONLY]") {
        return Err("EXAMINE did not open the folder read-only: not read".into());
    }
    let uidvalidity = untagged
        .iter()
        .find_map(|r| {
            let t = r.text.to_ascii_uppercase();
            let at = t.find("[UIDVALIDITY ")?;
            t[at + 13..]
                .split(']')
                .next()
                .and_then(|n| n.trim().parse::<u64>().ok())
        })
        .unwrap_or(0);
    let (found, _) = s.run(&Command::UidSearch { since, before })?;
    let mut uids: Vec<u32> = found
        .iter()
        .filter_map(|r| r.text.strip_prefix("* SEARCH"))
        .flat_map(|rest| {
            rest.split_whitespace()
                .filter_map(|n| n.parse::<u32>().ok())
        })
        .collect();
    uids.sort_unstable();
    uids.dedup();
    let dir = folder_dir(cache, folder);
    let file = |uid: u32| dir.join(format!("{uidvalidity}_{uid:08}.eml"));
    let (have, todo): (Vec<u32>, Vec<u32>) = uids.iter().partition(|u| file(**u).is_file());
    step.inc_length(todo.len() as u64);
    let mut fetched = 0;
    for chunk in todo.chunks(FETCH_CHUNK) {
        let (resps, _) = s.run(&Command::UidFetchPeek(chunk))?;
        for r in resps {
            if !r.text.contains(" FETCH ") {
                continue;
            }
            let Some(body) = r.literals.first() else {
                continue;
            };
            let upper = r.text.to_ascii_uppercase();
            let uid = upper.find("UID ").and_then(|at| {
                upper[at + 4..]
                    .split(|c: char| !c.is_ascii_digit())
                    .next()
                    .and_then(|n| n.parse::<u32>().ok())
            });
            let Some(uid) = uid else {
                continue;
            };
            write_atomic(&file(uid), body).map_err(|e| e.to_string())?;
            fetched += 1;
            step.inc(1);
        }
    }
    Ok((fetched, have.len() as u64))
}

fn connect(plan: &Plan, cfg: &ImapConfig, timeout: Duration) -> Result<Session, String> {
    let addr = (cfg.host.as_str(), cfg.port)
        .to_socket_addrs()
        .map_err(|e| format!("cannot resolve: {e}"))?
        .next()
        .ok_or("cannot resolve the host")?;
    let tcp = TcpStream::connect_timeout(&addr, timeout.min(Duration::from_secs(20)))
        .map_err(|e| format!("cannot connect: {e}"))?;
    tcp.set_read_timeout(Some(timeout)).ok();
    tcp.set_write_timeout(Some(timeout)).ok();
    let stream: Box<dyn Stream> = if cfg.tls {
        let mut roots = rustls::RootCertStore::empty();
        let native = rustls_native_certs::load_native_certs();
        for c in native.certs {
            let _ = roots.add(c);
        }
        if let Some(f) = &cfg.ca_file {
            use rustls_pki_types::pem::PemObject;
            let path = plan.resolve(f);
            let certs: Vec<_> = rustls_pki_types::CertificateDer::pem_file_iter(&path)
                .map_err(|e| format!("ca_file {}: {e}", path.display()))?
                .collect::<Result<_, _>>()
                .map_err(|e| format!("ca_file {}: {e}", path.display()))?;
            if certs.is_empty() {
                return Err(format!("ca_file {}: no certificate in it", path.display()));
            }
            for c in certs {
                roots
                    .add(c)
                    .map_err(|e| format!("ca_file {}: {e}", path.display()))?;
            }
        }
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let config = rustls::ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map_err(|e| format!("TLS setup: {e}"))?
            .with_root_certificates(roots)
            .with_no_client_auth();
        let name = rustls_pki_types::ServerName::try_from(cfg.host.clone())
            .map_err(|e| format!("bad host name for TLS: {e}"))?;
        let conn = rustls::ClientConnection::new(Arc::new(config), name)
            .map_err(|e| format!("TLS setup: {e}"))?;
        Box::new(rustls::StreamOwned::new(conn, tcp))
    } else {
        Box::new(tcp)
    };
    Ok(Session {
        io: BufReader::new(stream),
        tag: 0,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn commands_render_and_none_can_write() {
        let d = NaiveDate::from_ymd_opt(2026, 3, 5).unwrap();
        let e = NaiveDate::from_ymd_opt(2026, 12, 25).unwrap();
        assert_eq!(
            Command::UidSearch {
                since: d,
                before: e
            }
            .render(),
            "UID SEARCH SINCE 5-Mar-2026 BEFORE 25-Dec-2026"
        );
        assert_eq!(
            Command::UidFetchPeek(&[1, 2, 3, 7, 9, 10]).render(),
            "UID FETCH 1:3,7,9:10 (UID BODY.PEEK[])"
        );
        assert_eq!(Command::Examine("INBOX").render(), "EXAMINE \"INBOX\"");
        assert_eq!(
            Command::Login {
                user: "a\"b",
                password: "p\\q"
            }
            .render(),
            "LOGIN \"a\\\"b\" \"p\\\\q\""
        );
        // the source holds no command that selects or changes a mailbox
        let src = include_str!("imap.rs");
        // (the words are split so that this test does not find itself)
        for word in [
            ["SEL", "ECT "].concat(),
            ["STO", "RE "].concat(),
            ["APP", "END "].concat(),
            ["EXPU", "NGE"].concat(),
            ["CO", "PY "].concat(),
            ["MO", "VE "].concat(),
            ["DELE", "TE "].concat(),
            ["BODY", "[]"].concat(),
        ] {
            assert!(!src.contains(&word), "imap.rs contains {word}");
        }
    }

    #[test]
    fn folder_dirs_are_safe() {
        let d = folder_dir(Path::new("/c"), "Archive/2026 Bookings");
        assert_eq!(d, Path::new("/c/mail/Archive_2026_Bookings"));
    }
}
