//! The world's `recovery.toml`, in the format of gapfill's plan (`src/plan.rs`).

use std::fmt::Write as _;
use std::path::Path;

use super::fmt;
use super::model::World;
use super::stripe;

/// A TOML basic string.
fn q(s: &str) -> String {
    let mut o = String::from("\"");
    for c in s.chars() {
        match c {
            '\\' => o.push_str("\\\\"),
            '"' => o.push_str("\\\""),
            '\n' => o.push_str("\\n"),
            _ => o.push(c),
        }
    }
    o.push('"');
    o
}

fn list(xs: &[String]) -> String {
    let items: Vec<String> = xs.iter().map(|x| q(x)).collect();
    format!("[{}]", items.join(", "))
}

pub fn render(w: &World, mappings: &Path) -> String {
    let m = mappings.to_string_lossy().to_string();
    let target = mappings.join("target").join("samples.toml");
    let mut s = String::new();
    let _ = writeln!(
        s,
        "# Synthetic world (seed {}): evidence of a lost booking window.",
        w.seed
    );
    let _ = writeln!(s, "mappings = {}", q(&m));
    let _ = writeln!(s, "output = \"out\"");
    let _ = writeln!(s);
    let _ = writeln!(s, "[window]");
    let _ = writeln!(s, "since = {}", q(&fmt::rfc3339_z(w.t0)));
    let _ = writeln!(s, "until = {}", q(&fmt::rfc3339_z(w.t1)));
    let _ = writeln!(s);
    let _ = writeln!(s, "[database]");
    let _ = writeln!(s, "kind = \"sqlite\"");
    let _ = writeln!(s, "path = \"restored.sqlite\"");
    let _ = writeln!(s, "mapping = {}", q(&target.to_string_lossy()));
    let _ = writeln!(s);
    let _ = writeln!(s, "[sources]");
    let _ = writeln!(s, "stripe_json = [\"stripe/*/*.json\"]");
    let _ = writeln!(
        s,
        "emails = [\"mail/*.mbox\", \"mail/maildir\", \"mail/eml\"]"
    );
    for t in &w.tenants {
        let _ = writeln!(s);
        let _ = writeln!(s, "[[tenants]]");
        let _ = writeln!(s, "slug = {}", q(&t.slug));
        let _ = writeln!(s, "name = {}", q(&t.name));
        let _ = writeln!(s, "stripe_account = {}", q(&t.acct));
        let _ = writeln!(s, "timezone = {}", q(t.tz_name));
        let _ = writeln!(s, "currency = {}", q(t.currency));
        let _ = writeln!(s, "email_senders = {}", list(&t.email_senders()));
        let _ = writeln!(
            s,
            "calendars = {}",
            list(&[format!("calendars/{}.ics", t.slug)])
        );
        if t.stripe_csv() {
            let _ = writeln!(s, "stripe_csv = {}", list(&[stripe::csv_path(t)]));
        }
    }
    s
}
