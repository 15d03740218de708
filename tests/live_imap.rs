//! IMAP against a real Dovecot on 127.0.0.1: the test writes a Maildir (INBOX and a `Bookings`
//! folder of more than 1,000 messages, some outside the window, with mixed flags), starts its own
//! Dovecot with a throw-away CA and server certificate, runs `gapfill recover` with an `[imap]`
//! section, and checks that exactly the messages of the window ± margin were cached byte for byte,
//! that a second run fetches nothing again, that `--offline` gives the same bookings, and that no
//! flag changed on the server.
//!
//! Dovecot comes from Debian's `dovecot-imapd` (`.ci/run` installs it). Without it the test prints
//! `SKIPPED: …`, except in CI (`CI` set), where it fails.

mod live_support;

use std::collections::BTreeMap;
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output};
use std::time::{Duration, Instant, SystemTime};

use live_support::{ok, recover};

const PASSWORD_ENV: &str = "GAPFILL_TEST_IMAP_PASSWORD";
const PASSWORD: &str = "dovecot-test-secret";

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// In CI a missing or broken Dovecot fails the test; elsewhere it is skipped, loudly.
fn skip_or_fail(why: &str) {
    if std::env::var_os("CI").is_some() {
        panic!("Dovecot test cannot run in CI: {why}");
    }
    println!("SKIPPED: IMAP test against Dovecot: {why}");
    eprintln!("SKIPPED: IMAP test against Dovecot: {why}");
}

fn dovecot_bin() -> Option<PathBuf> {
    ["/usr/sbin/dovecot", "/usr/local/sbin/dovecot"]
        .iter()
        .map(PathBuf::from)
        .find(|p| p.is_file())
}

struct Dovecot {
    child: Child,
}

impl Drop for Dovecot {
    fn drop(&mut self) {
        // SIGTERM lets the master stop its own children; only our process id is signalled
        let _ = Command::new("kill")
            .arg("-TERM")
            .arg(self.child.id().to_string())
            .status();
        let deadline = Instant::now() + Duration::from_secs(5);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn sh(cmd: &mut Command) -> Result<(), String> {
    let o = cmd.output().map_err(|e| format!("{cmd:?}: {e}"))?;
    if o.status.success() {
        Ok(())
    } else {
        Err(format!(
            "{cmd:?} failed: {}",
            String::from_utf8_lossy(&o.stderr)
        ))
    }
}

/// A CA and a server certificate for 127.0.0.1 signed by it (PEM files in `dir`).
fn make_certs(dir: &Path) -> Result<(), String> {
    let d = |f: &str| dir.join(f);
    sh(Command::new("openssl")
        .args([
            "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
        ])
        .args(["-subj", "/CN=gapfill test CA", "-keyout"])
        .arg(d("ca.key"))
        .arg("-out")
        .arg(d("ca.pem")))?;
    sh(Command::new("openssl")
        .args([
            "req",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-subj",
            "/CN=127.0.0.1",
            "-keyout",
        ])
        .arg(d("server.key"))
        .arg("-out")
        .arg(d("server.csr")))?;
    std::fs::write(
        d("ext.cnf"),
        "subjectAltName=IP:127.0.0.1,DNS:localhost\nbasicConstraints=CA:FALSE\n\
         keyUsage=digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\n",
    )
    .map_err(|e| e.to_string())?;
    sh(Command::new("openssl")
        .args(["x509", "-req", "-days", "2", "-CAcreateserial", "-in"])
        .arg(d("server.csr"))
        .arg("-CA")
        .arg(d("ca.pem"))
        .arg("-CAkey")
        .arg(d("ca.key"))
        .arg("-out")
        .arg(d("server.pem"))
        .arg("-extfile")
        .arg(d("ext.cnf")))?;
    Ok(())
}

fn id_of(user: &str, flag: &str) -> Option<u32> {
    let mut cmd = Command::new("id");
    cmd.arg(flag);
    if !user.is_empty() {
        cmd.arg(user);
    }
    let o = cmd.output().ok()?;
    String::from_utf8_lossy(&o.stdout).trim().parse().ok()
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .unwrap_or(39_931)
}

const DAY: u64 = 86_400;
/// 2026-02-16T03:00:00Z and 2026-05-17T03:00:00Z: the plan's window.
const SINCE: u64 = 1_771_210_800;
const UNTIL: u64 = 1_779_001_200;

fn message(folder: &str, n: usize) -> Vec<u8> {
    let refno = format!("AA-{}{n:05}", &folder[..1]);
    format!(
        "From: \"Alpen Autos\" <bookings@alpen-autos.example>\r\n\
         To: \"Kunde {n}\" <kunde{n}@mail.example>\r\n\
         Subject: Buchungsbestätigung {refno}\r\n\
         Message-ID: <{refno}@alpen-autos.example>\r\n\
         Date: Mon, 02 Mar 2026 10:00:00 +0100\r\n\
         MIME-Version: 1.0\r\n\
         Content-Type: text/plain; charset=utf-8\r\n\
         Content-Transfer-Encoding: 8bit\r\n\
         \r\n\
         Buchungsnummer: {refno}\r\n\
         Fahrzeug: VW Golf\r\n\
         Abholung: 12.04.2026 10:00, München Hbf\r\n\
         Rückgabe: 15.04.2026 10:00, München Hbf\r\n\
         Gesamtpreis: 240,00 EUR\r\n"
    )
    .into_bytes()
}

/// Writes `n_in` messages received inside the window and `n_out` outside it into a Maildir
/// folder, with mixed flags (new/, cur/ unseen, cur/ seen, flagged+answered). Returns the
/// originals of the ones inside, by Message-ID.
fn fill_maildir(dir: &Path, folder: &str, n_in: usize, n_out: usize) -> BTreeMap<String, Vec<u8>> {
    for sub in ["cur", "new", "tmp"] {
        std::fs::create_dir_all(dir.join(sub)).expect("maildir");
    }
    let mut inside = BTreeMap::new();
    for n in 0..n_in + n_out {
        let body = message(folder, n);
        let received = if n < n_in {
            SINCE + DAY + (n as u64 * (UNTIL - SINCE - 2 * DAY)) / n_in as u64
        } else {
            SINCE - 120 * DAY + n as u64 * 60
        };
        let base = format!("{received}.M{n}P1.gapfilltest");
        let path = match n % 4 {
            0 => dir.join("new").join(&base),
            1 => dir.join("cur").join(format!("{base}:2,")),
            2 => dir.join("cur").join(format!("{base}:2,S")),
            _ => dir.join("cur").join(format!("{base}:2,FRS")),
        };
        std::fs::write(&path, &body).expect("write");
        let f = std::fs::File::options()
            .write(true)
            .open(&path)
            .expect("open");
        f.set_modified(SystemTime::UNIX_EPOCH + Duration::from_secs(received))
            .expect("mtime");
        if n < n_in {
            let refno = format!("AA-{}{n:05}", &folder[..1]);
            inside.insert(refno, body);
        }
    }
    inside
}

/// Unique message name → flags, for every message of every folder under `root`
/// (a message in new/ has no flags; `\Recent` is not stored).
fn flags(root: &Path) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).into_iter().flatten().flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
                continue;
            }
            let name = e.file_name().to_string_lossy().to_string();
            if !name.contains(".gapfilltest") {
                continue;
            }
            let (unique, fl) = match name.split_once(":2,") {
                Some((u, f)) => (u.to_string(), f.to_string()),
                None => (name.clone(), String::new()),
            };
            let key = format!(
                "{}/{unique}",
                d.parent()
                    .map(|p| p.display().to_string())
                    .unwrap_or_default()
            );
            out.insert(key, fl);
        }
    }
    out
}

fn run(plan: &Path, out: &Path, extra: &[&str]) -> Output {
    recover(plan, out, extra)
        .env(PASSWORD_ENV, PASSWORD)
        .output()
        .expect("binary runs")
}

/// A running Dovecot with its own certificates on 127.0.0.1, serving the Maildir that `fill`
/// writes (given `mail/tester`). `None` when skipped (never in CI).
fn start_dovecot<T>(fill: impl FnOnce(&Path) -> T) -> Option<(tempfile::TempDir, Dovecot, u16, T)> {
    let Some(bin) = dovecot_bin() else {
        skip_or_fail("dovecot is not installed (apt-get install dovecot-imapd)");
        return None;
    };
    let tmp = tempfile::tempdir().expect("tmp");
    let d = tmp.path().to_path_buf();
    // Dovecot's auth and mail processes run as other users: they must reach the files
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&d, std::fs::Permissions::from_mode(0o755)).expect("chmod");
    if let Err(e) = make_certs(&d) {
        skip_or_fail(&format!("cannot make test certificates with openssl: {e}"));
        return None;
    }
    let filled = fill(&d.join("mail/tester"));
    let root = euid_is_root();
    let (uid, gid) = if root {
        match (id_of("dovecot", "-u"), id_of("dovecot", "-g")) {
            (Some(u), Some(g)) => (u, g),
            _ => {
                skip_or_fail("no `dovecot` system user");
                return None;
            }
        }
    } else {
        (
            id_of("", "-u").unwrap_or(1000),
            id_of("", "-g").unwrap_or(1000),
        )
    };
    if root {
        let _ = Command::new("chown")
            .arg("-R")
            .arg(format!("{uid}:{gid}"))
            .arg(d.join("mail"))
            .status();
    }
    std::fs::write(d.join("passwd"), format!("tester:{{PLAIN}}{PASSWORD}\n")).expect("passwd");
    std::fs::set_permissions(d.join("passwd"), std::fs::Permissions::from_mode(0o644))
        .expect("chmod");
    for sub in ["run", "state"] {
        std::fs::create_dir_all(d.join(sub)).expect("mkdir");
    }
    let port = free_port();
    let p = |f: &str| d.join(f).display().to_string();
    let conf = format!(
        "base_dir = {run}\nstate_dir = {state}\nlog_path = {log}\ninfo_log_path = {log}\n\
         protocols = imap\nlisten = 127.0.0.1\nssl = required\nssl_cert = <{cert}\n\
         ssl_key = <{key}\nauth_mechanisms = plain\nfirst_valid_uid = 1\n\
         passdb {{\n  driver = passwd-file\n  args = scheme=PLAIN username_format=%u {passwd}\n}}\n\
         userdb {{\n  driver = static\n  args = uid={uid} gid={gid} home={home}/%u\n}}\n\
         mail_location = maildir:{mail}/%u\n\
         service imap-login {{\n  chroot =\n  inet_listener imap {{\n    port = 0\n  }}\n  \
         inet_listener imaps {{\n    port = {port}\n    ssl = yes\n  }}\n}}\n\
         service anvil {{\n  chroot =\n}}\n",
        run = p("run"),
        state = p("state"),
        log = p("dovecot.log"),
        cert = p("server.pem"),
        key = p("server.key"),
        passwd = p("passwd"),
        home = p("home"),
        mail = p("mail"),
    );
    std::fs::write(d.join("dovecot.conf"), conf).expect("conf");
    let child = match Command::new(&bin)
        .arg("-F")
        .arg("-c")
        .arg(d.join("dovecot.conf"))
        .spawn()
    {
        Ok(c) => c,
        Err(e) => {
            skip_or_fail(&format!("cannot start {}: {e}", bin.display()));
            return None;
        }
    };
    let server = Dovecot { child };
    let deadline = Instant::now() + Duration::from_secs(20);
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        if Instant::now() > deadline {
            let log = std::fs::read_to_string(d.join("dovecot.log")).unwrap_or_default();
            skip_or_fail(&format!(
                "Dovecot did not listen on 127.0.0.1:{port}:\n{log}"
            ));
            return None;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    Some((tmp, server, port, filled))
}

#[test]
fn imap_fetch_from_dovecot_is_read_only_and_complete() {
    let Some((tmp, _server, port, (inbox, bookings, before))) = start_dovecot(|mail| {
        let inbox = fill_maildir(mail, "INBOX", 30, 10);
        let bookings = fill_maildir(&mail.join(".Bookings"), "Bookings", 1_100, 20);
        let before = flags(mail);
        assert_eq!(before.len(), 1_160);
        (inbox, bookings, before)
    }) else {
        return;
    };
    let d = tmp.path().to_path_buf();
    let mail = d.join("mail/tester");

    let plan = d.join("plan.toml");
    std::fs::write(
        &plan,
        format!(
            r#"mappings = "{maps}"

[window]
since = "2026-02-16T03:00:00Z"
until = "2026-05-17T03:00:00Z"

[imap]
host = "127.0.0.1"
port = {port}
user = "tester"
password_env = "{PASSWORD_ENV}"
folders = ["INBOX", "Bookings"]
ca_file = "ca.pem"

[[tenants]]
slug = "alpen-autos"
name = "Alpen Autos GmbH"
timezone = "Europe/Berlin"
currency = "EUR"
email_senders = ["alpen-autos.example"]
"#,
            maps = repo().join("mappings").display()
        ),
    )
    .expect("plan");
    let out = d.join("out");
    let err = ok(&run(&plan, &out, &[]));
    assert!(err.contains("1130 messages fetched"), "{err}");
    assert!(!err.contains(PASSWORD), "the password is never printed");

    for (folder, originals) in [("INBOX", &inbox), ("Bookings", &bookings)] {
        let dir = out.join("cache/mail").join(folder);
        let files: Vec<PathBuf> = std::fs::read_dir(&dir)
            .expect("cache folder")
            .flatten()
            .map(|e| e.path())
            .collect();
        assert_eq!(
            files.len(),
            originals.len(),
            "{folder}: messages of the window only"
        );
        let mut got = BTreeMap::new();
        for f in files {
            let bytes = std::fs::read(&f).expect("read");
            let text = String::from_utf8_lossy(&bytes).to_string();
            let refno = text
                .lines()
                .find_map(|l| l.strip_prefix("Buchungsnummer: "))
                .unwrap_or("")
                .trim()
                .to_string();
            got.insert(refno, bytes);
        }
        assert_eq!(&got, originals, "{folder}: cached byte for byte");
    }
    let summary: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.join("summary.json")).expect("summary"))
            .expect("json");
    assert_eq!(summary["evidence_by_source"]["email"], 1130, "{summary:#}");
    assert_eq!(summary["accounting"]["adds_up"], true);

    // second run: everything is cached, nothing is fetched again
    let err2 = ok(&run(&plan, &out, &[]));
    assert!(
        err2.contains("0 messages fetched, 1130 already cached"),
        "{err2}"
    );
    let bookings_csv = std::fs::read(out.join("bookings.csv")).expect("bookings");
    // --offline: same bookings without the server
    let out3 = d.join("out3");
    std::fs::create_dir_all(out3.join("cache")).expect("mkdir");
    let _ = Command::new("cp")
        .arg("-r")
        .arg(out.join("cache/mail"))
        .arg(out3.join("cache/"))
        .status();
    ok(&run(&plan, &out3, &["--offline", "--quiet"]));
    assert_eq!(
        std::fs::read(out3.join("bookings.csv")).expect("bookings"),
        bookings_csv
    );

    // a wrong password is a warning naming the server, and the cache is still used
    let o = Command::new(env!("CARGO_BIN_EXE_gapfill"))
        .arg("recover")
        .arg(&plan)
        .arg("--out")
        .arg(&out)
        .arg("--quiet")
        .env(PASSWORD_ENV, "wrong")
        .output()
        .expect("runs");
    ok(&o);
    let s: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.join("summary.json")).expect("summary"))
            .expect("json");
    let w = s["warnings"].to_string();
    assert!(
        w.contains("IMAP tester@127.0.0.1") && w.contains("LOGIN failed"),
        "{w}"
    );
    assert_eq!(s["evidence_by_source"]["email"], 1130);

    // nothing changed on the server: every message is still there with its flags
    let after = flags(&mail);
    assert_eq!(before, after, "flags on the server changed");
    let log = std::fs::read_to_string(d.join("dovecot.log")).unwrap_or_default();
    assert!(
        !log.contains("expunged=1") && !log.contains("Error"),
        "dovecot log: {log}"
    );
}

fn euid_is_root() -> bool {
    id_of("", "-u") == Some(0)
}

/// The samples' mails served by Dovecot instead of read from their mbox, Maildir and .eml files
/// (Stripe and calendars still from files): the same bookings, byte for byte.
#[test]
fn imap_recovery_equals_the_run_on_mail_files() {
    let samples = repo().join("samples");
    let Some((tmp, _server, port, n)) = start_dovecot(|mail| {
        for sub in ["cur", "new", "tmp"] {
            std::fs::create_dir_all(mail.join(sub)).expect("maildir");
        }
        let mut blobs: Vec<Vec<u8>> = Vec::new();
        let mut files: Vec<PathBuf> = Vec::new();
        for dir in ["mail", "mail/maildir/cur", "mail/eml"] {
            for e in std::fs::read_dir(samples.join(dir))
                .expect("samples")
                .flatten()
            {
                if e.path().is_file() {
                    files.push(e.path());
                }
            }
        }
        files.sort();
        for f in files {
            let bytes = std::fs::read(&f).expect("read");
            if f.extension().is_some_and(|x| x == "mbox") {
                gapfill::import::email::split_mbox(&bytes[..], "x.mbox", &mut |r| {
                    if let Ok(b) = r {
                        blobs.push(b.bytes);
                    }
                });
            } else if !bytes.starts_with(&[0xD0, 0xCF, 0x11, 0xE0]) {
                blobs.push(bytes); // (an Outlook .msg is no IMAP message)
            }
        }
        for (i, b) in blobs.iter().enumerate() {
            let p = mail
                .join("cur")
                .join(format!("{}.M{i}P1.gapfilltest:2,S", SINCE + DAY));
            std::fs::write(&p, b).expect("write");
            std::fs::File::options()
                .write(true)
                .open(&p)
                .and_then(|f| {
                    f.set_modified(SystemTime::UNIX_EPOCH + Duration::from_secs(SINCE + DAY))
                })
                .expect("mtime");
        }
        blobs.len()
    }) else {
        return;
    };
    assert!(n > 150, "{n} sample mails");
    let d = tmp.path();
    let files_out = d.join("files-out");
    ok(&Command::new(env!("CARGO_BIN_EXE_gapfill"))
        .args(["recover", "--quiet"])
        .arg(samples.join("recovery.toml"))
        .arg("--out")
        .arg(&files_out)
        .output()
        .expect("runs"));

    let src = std::fs::read_to_string(samples.join("recovery.toml")).expect("plan");
    let mut plan = String::new();
    for line in src.lines() {
        if line.trim_start().starts_with("emails = ") {
            continue; // from IMAP now
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
            .replace("\"stripe/", &format!("\"{}/stripe/", samples.display()))
            .replace(
                "\"calendars/",
                &format!("\"{}/calendars/", samples.display()),
            );
        if line.trim() == "[window]" {
            plan.push_str(&format!(
                "[imap]\nhost = \"127.0.0.1\"\nport = {port}\nuser = \"tester\"\n\
                 password_env = \"{PASSWORD_ENV}\"\nca_file = \"{}\"\n\n",
                d.join("ca.pem").display()
            ));
        }
        plan.push_str(&line);
        plan.push('\n');
    }
    let plan_path = d.join("imap.toml");
    std::fs::write(&plan_path, plan).expect("plan");
    let out = d.join("imap-out");
    let err = ok(&run(&plan_path, &out, &[]));
    assert!(err.contains(&format!("{n} messages fetched")), "{err}");
    assert_eq!(
        String::from_utf8_lossy(&std::fs::read(out.join("bookings.csv")).expect("bookings")),
        String::from_utf8_lossy(&std::fs::read(files_out.join("bookings.csv")).expect("bookings")),
        "bookings from IMAP differ from the run on the mail files"
    );
}
