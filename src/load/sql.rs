//! SQL text for the three dialects: identifier quoting, value literals, placeholders.
//!
//! Identifiers come from the target mapping and were checked to be plain
//! (`[A-Za-z_][A-Za-z0-9_]*`, optionally `schema.table`) when it was loaded; quoting them only
//! guards against reserved words. Values are bound as parameters wherever a driver allows it;
//! literals are only written for the reviewable `.sql` file and for pinpointing the booking a
//! failed bulk insert choked on.

use std::fmt;

/// A value written into a column.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum Val {
    Null,
    Int(i64),
    Text(String),
}

impl Val {
    /// The text form (COPY, key records): `None` for NULL.
    pub fn as_text(&self) -> Option<String> {
        match self {
            Val::Null => None,
            Val::Int(i) => Some(i.to_string()),
            Val::Text(s) => Some(s.clone()),
        }
    }
}

impl fmt::Display for Val {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Val::Null => f.write_str("NULL"),
            Val::Int(i) => write!(f, "{i}"),
            Val::Text(s) => write!(f, "{s:?}"),
        }
    }
}

/// The SQL dialect of a database.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Dialect {
    /// PostgreSQL (`postgres://`).
    Postgres,
    /// MariaDB or MySQL (`mysql://`).
    Mysql,
    /// SQLite (`sqlite://PATH`).
    Sqlite,
}

impl Dialect {
    pub fn name(self) -> &'static str {
        match self {
            Dialect::Postgres => "postgres",
            Dialect::Mysql => "mysql",
            Dialect::Sqlite => "sqlite",
        }
    }

    /// The plan's `[database] kind` (a few spellings are accepted).
    pub fn from_kind(kind: &str) -> Option<Dialect> {
        match kind.trim().to_ascii_lowercase().as_str() {
            "postgres" | "postgresql" | "pg" => Some(Dialect::Postgres),
            "mysql" | "mariadb" => Some(Dialect::Mysql),
            "sqlite" | "sqlite3" => Some(Dialect::Sqlite),
            _ => None,
        }
    }

    /// A quoted identifier; `schema.table` becomes two quoted parts.
    pub fn ident(self, name: &str) -> String {
        let q = match self {
            Dialect::Mysql => '`',
            _ => '"',
        };
        name.split('.')
            .map(|p| {
                let doubled = p.replace(q, &format!("{q}{q}"));
                format!("{q}{doubled}{q}")
            })
            .collect::<Vec<_>>()
            .join(".")
    }

    /// `expr` as text, for comparing values of unknown column type with text parameters.
    pub fn text_cast(self, expr: &str) -> String {
        match self {
            Dialect::Mysql => format!("CAST({expr} AS CHAR)"),
            _ => format!("CAST({expr} AS TEXT)"),
        }
    }

    /// A literal for a value. Text with a NUL character is refused: PostgreSQL cannot store it,
    /// SQLite literals cannot hold it, and in a name or an address it is damage, not data.
    ///
    /// - PostgreSQL: standard string (`'` doubled, backslash literal); the `.sql` file sets
    ///   `standard_conforming_strings = on` so this holds whatever the server default.
    /// - MySQL/MariaDB: backslash is an escape character there, so `\` and `'` are escaped,
    ///   and the file sets an `sql_mode` without `NO_BACKSLASH_ESCAPES`.
    /// - SQLite: `'` doubled, nothing else is special.
    pub fn literal(self, v: &Val) -> Result<String, String> {
        match v {
            Val::Null => Ok("NULL".into()),
            Val::Int(i) => Ok(i.to_string()),
            Val::Text(s) => self.string_literal(s),
        }
    }

    pub fn string_literal(self, s: &str) -> Result<String, String> {
        if s.contains('\0') {
            return Err("contains a NUL character (cannot be stored as text)".into());
        }
        let mut out = String::with_capacity(s.len() + 2);
        out.push('\'');
        match self {
            Dialect::Postgres | Dialect::Sqlite => {
                for c in s.chars() {
                    if c == '\'' {
                        out.push('\'');
                    }
                    out.push(c);
                }
            }
            Dialect::Mysql => {
                for c in s.chars() {
                    match c {
                        '\\' => out.push_str("\\\\"),
                        '\'' => out.push_str("\\'"),
                        '\n' => out.push_str("\\n"),
                        '\r' => out.push_str("\\r"),
                        '\u{1a}' => out.push_str("\\Z"),
                        c => out.push(c),
                    }
                }
            }
        }
        out.push('\'');
        Ok(out)
    }

    /// Rewrites `?` placeholders (outside quotes) for the dialect: `$1, $2, …` for PostgreSQL.
    pub fn placeholders(self, sql: &str) -> String {
        if self != Dialect::Postgres {
            return sql.to_string();
        }
        let mut out = String::with_capacity(sql.len() + 8);
        let mut quote: Option<char> = None;
        let mut n = 0;
        for c in sql.chars() {
            match quote {
                Some(q) if c == q => quote = None,
                Some(_) => {}
                None if c == '\'' || c == '"' => quote = Some(c),
                None if c == '?' => {
                    n += 1;
                    out.push_str(&format!("${n}"));
                    continue;
                }
                None => {}
            }
            out.push(c);
        }
        out
    }

    /// Replaces the single `?` (outside quotes) of a tenant lookup with a literal: the
    /// subselect the `.sql` file uses for the tenant column.
    pub fn bind_lookup(self, query: &str, slug: &str) -> Result<String, String> {
        let lit = self.string_literal(slug)?;
        let mut out = String::with_capacity(query.len() + lit.len());
        let mut quote: Option<char> = None;
        for c in query.chars() {
            match quote {
                Some(q) if c == q => quote = None,
                Some(_) => {}
                None if c == '\'' || c == '"' || c == '`' => quote = Some(c),
                None if c == '?' => {
                    out.push_str(&lit);
                    continue;
                }
                None => {}
            }
            out.push(c);
        }
        Ok(out)
    }

    /// Statement that opens a transaction.
    pub fn begin(self) -> &'static str {
        match self {
            Dialect::Postgres => "BEGIN",
            Dialect::Mysql => "START TRANSACTION",
            Dialect::Sqlite => "BEGIN IMMEDIATE",
        }
    }
}

/// Escapes a value for PostgreSQL `COPY ... FROM STDIN` text format (`\N` is NULL).
pub fn copy_text(v: &Val, out: &mut String) {
    match v {
        Val::Null => out.push_str("\\N"),
        Val::Int(i) => out.push_str(&i.to_string()),
        Val::Text(s) => {
            for c in s.chars() {
                match c {
                    '\\' => out.push_str("\\\\"),
                    '\t' => out.push_str("\\t"),
                    '\n' => out.push_str("\\n"),
                    '\r' => out.push_str("\\r"),
                    c => out.push(c),
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn literals_per_dialect() {
        let v = Val::Text("O'Brien \\ 🚗".into());
        assert_eq!(
            Dialect::Postgres.literal(&v).as_deref(),
            Ok("'O''Brien \\ 🚗'")
        );
        assert_eq!(
            Dialect::Sqlite.literal(&v).as_deref(),
            Ok("'O''Brien \\ 🚗'")
        );
        assert_eq!(
            Dialect::Mysql.literal(&v).as_deref(),
            Ok("'O\\'Brien \\\\ 🚗'")
        );
        assert!(Dialect::Mysql.literal(&Val::Text("a\0b".into())).is_err());
        assert_eq!(Dialect::Mysql.literal(&Val::Int(-5)).as_deref(), Ok("-5"));
        assert_eq!(Dialect::Postgres.literal(&Val::Null).as_deref(), Ok("NULL"));
    }

    #[test]
    fn idents_and_placeholders() {
        assert_eq!(
            Dialect::Postgres.ident("public.bookings"),
            "\"public\".\"bookings\""
        );
        assert_eq!(Dialect::Mysql.ident("bookings"), "`bookings`");
        assert_eq!(
            Dialect::Postgres.placeholders("SELECT id FROM t WHERE a = ? AND b = '?' AND c = ?"),
            "SELECT id FROM t WHERE a = $1 AND b = '?' AND c = $2"
        );
        assert_eq!(Dialect::Sqlite.placeholders("a = ?"), "a = ?");
        assert_eq!(
            Dialect::Mysql
                .bind_lookup(
                    "SELECT id FROM companies WHERE slug = ? AND x <> '?'",
                    "a'b"
                )
                .as_deref(),
            Ok("SELECT id FROM companies WHERE slug = 'a\\'b' AND x <> '?'")
        );
    }

    #[test]
    fn copy_escapes() {
        let mut s = String::new();
        copy_text(&Val::Text("a\tb\\c\nd".into()), &mut s);
        s.push('\t');
        copy_text(&Val::Null, &mut s);
        assert_eq!(s, "a\\tb\\\\c\\nd\t\\N");
    }
}
