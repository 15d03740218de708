//! Database URLs: which database to connect to, and how to name it in a message without its
//! password. A URL is only ever shown through [`DbUrl::redacted`] (and `Debug` is redacted too),
//! and driver messages go through [`DbUrl::scrub`] before they reach an error.

use std::fmt;
use std::path::PathBuf;

use super::sql::Dialect;
use crate::error::{Error, Result};

/// The environment variable the URL is read from when none is given.
pub const DEFAULT_URL_ENV: &str = "DATABASE_URL";

#[derive(Clone)]
pub struct DbUrl {
    pub dialect: Dialect,
    raw: String,
    /// The file of a `sqlite://` URL.
    pub sqlite_path: Option<PathBuf>,
}

impl fmt::Debug for DbUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "DbUrl({})", self.redacted())
    }
}

impl DbUrl {
    /// `postgres://…`, `postgresql://…`, `mysql://…`, `mariadb://…`, `sqlite://PATH` or
    /// `sqlite:PATH`.
    pub fn parse(raw: &str) -> Result<DbUrl> {
        let raw = raw.trim();
        let lower = raw.to_ascii_lowercase();
        let bad = |m: &str| Error::Database {
            what: redact(raw),
            message: m.to_string(),
        };
        if lower.starts_with("postgres://") || lower.starts_with("postgresql://") {
            return Ok(DbUrl {
                dialect: Dialect::Postgres,
                raw: raw.to_string(),
                sqlite_path: None,
            });
        }
        if let Some(rest) = lower
            .strip_prefix("mysql://")
            .or_else(|| lower.strip_prefix("mariadb://"))
        {
            let _ = rest;
            let after = raw.split_once("://").map(|(_, r)| r).unwrap_or("");
            return Ok(DbUrl {
                dialect: Dialect::Mysql,
                raw: format!("mysql://{after}"),
                sqlite_path: None,
            });
        }
        if lower.starts_with("sqlite:") {
            let rest = &raw["sqlite:".len()..];
            let path = rest.strip_prefix("//").unwrap_or(rest);
            if path.is_empty() {
                return Err(bad("a sqlite URL needs a file: sqlite://path/to/db.sqlite"));
            }
            return Ok(DbUrl {
                dialect: Dialect::Sqlite,
                raw: raw.to_string(),
                sqlite_path: Some(PathBuf::from(path)),
            });
        }
        Err(bad(
            "unsupported URL: use postgres://, mysql:// (MariaDB too) or sqlite://PATH",
        ))
    }

    /// A SQLite file named directly (the plan's `[database] path`).
    pub fn sqlite_file(path: PathBuf) -> DbUrl {
        DbUrl {
            dialect: Dialect::Sqlite,
            raw: format!("sqlite://{}", path.display()),
            sqlite_path: Some(path),
        }
    }

    /// The URL itself: only for handing to a driver.
    pub(crate) fn raw(&self) -> &str {
        &self.raw
    }

    /// The URL with its password (if any) replaced by `***`.
    pub fn redacted(&self) -> String {
        redact(&self.raw)
    }

    /// A driver message with the URL's password (plain or percent-encoded) removed.
    pub fn scrub(&self, message: &str) -> String {
        let mut m = message.replace(&self.raw, &self.redacted());
        if let Some(p) = password(&self.raw) {
            if !p.is_empty() {
                m = m.replace(p, "***");
                let decoded = percent_decode(p);
                if !decoded.is_empty() {
                    m = m.replace(&decoded, "***");
                }
            }
        }
        m
    }
}

/// The `user:PASSWORD@` part of a URL, if there is one.
fn password(url: &str) -> Option<&str> {
    let (_, rest) = url.split_once("://")?;
    let authority = rest.split(['/', '?']).next().unwrap_or("");
    let (userinfo, _) = authority.rsplit_once('@')?;
    userinfo.split_once(':').map(|(_, p)| p)
}

/// Replaces the password of `scheme://user:password@host/…` and any `password=` query value.
pub fn redact(url: &str) -> String {
    let mut out = match (url.split_once("://"), password(url)) {
        (Some((scheme, rest)), Some(_)) => {
            let cut = rest.find(['/', '?']).unwrap_or(rest.len());
            let (authority, tail) = rest.split_at(cut);
            match authority.rsplit_once('@') {
                Some((userinfo, host)) => {
                    let user = userinfo.split(':').next().unwrap_or("");
                    format!("{scheme}://{user}:***@{host}{tail}")
                }
                None => url.to_string(),
            }
        }
        _ => url.to_string(),
    };
    for key in ["password=", "pass=", "pwd="] {
        let lower = out.to_ascii_lowercase();
        if let Some(i) = lower.find(key) {
            let start = i + key.len();
            let end = out[start..]
                .find(['&', ' '])
                .map(|e| start + e)
                .unwrap_or(out.len());
            out.replace_range(start..end, "***");
        }
    }
    out
}

fn percent_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' && i + 2 < b.len() {
            let hex = std::str::from_utf8(&b[i + 1..i + 3]).unwrap_or("");
            if let Ok(v) = u8::from_str_radix(hex, 16) {
                out.push(v);
                i += 3;
                continue;
            }
        }
        out.push(b[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redacts_passwords() {
        assert_eq!(
            redact("postgres://app:s3cr%21t@db.example:5432/prod"),
            "postgres://app:***@db.example:5432/prod"
        );
        assert_eq!(
            redact("mysql://root@127.0.0.1:3306/test"),
            "mysql://root@127.0.0.1:3306/test"
        );
        assert_eq!(
            redact("postgres://db/prod?user=a&password=hunter2&x=1"),
            "postgres://db/prod?user=a&password=***&x=1"
        );
        let u = DbUrl::parse("postgres://app:s3cr%21t@db:5432/prod").expect("url");
        assert_eq!(u.dialect, Dialect::Postgres);
        let m = u.scrub("failed for postgres://app:s3cr%21t@db:5432/prod (password s3cr!t)");
        assert!(!m.contains("s3cr"), "{m}");
        assert!(!format!("{u:?}").contains("s3cr"));
    }

    #[test]
    fn schemes() {
        let u = DbUrl::parse("mariadb://root@127.0.0.1/test").expect("url");
        assert_eq!(u.dialect, Dialect::Mysql);
        assert_eq!(u.raw(), "mysql://root@127.0.0.1/test");
        let u = DbUrl::parse("sqlite:///tmp/x.sqlite").expect("url");
        assert_eq!(u.sqlite_path, Some(PathBuf::from("/tmp/x.sqlite")));
        let u = DbUrl::parse("sqlite://rel/x.sqlite").expect("url");
        assert_eq!(u.sqlite_path, Some(PathBuf::from("rel/x.sqlite")));
        let e = DbUrl::parse("oracle://scott:tiger@x").expect_err("unsupported");
        assert!(!e.to_string().contains("tiger"), "{e}");
    }
}
