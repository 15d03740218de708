//! One connection type over the three drivers (sync `postgres`, `mysql`, `rusqlite`), with just
//! what the gap diff and the loader need: statements with `?` parameters, queries returning
//! [`Cell`]s, and a bulk insert (COPY for PostgreSQL, multi-row INSERTs elsewhere).
//!
//! Every driver error goes through [`DbUrl::scrub`] so a password never reaches a message.

use std::io::Write;

use mysql::prelude::Queryable;
use rusqlite::types::ValueRef;

use super::sql::{copy_text, Dialect, Val};
use super::url::DbUrl;
use crate::error::{Error, Result};
use crate::gap::target::Cell;

enum Inner {
    Pg(Box<postgres::Client>),
    My(Box<mysql::Conn>),
    Lite(Box<rusqlite::Connection>),
}

pub struct Conn {
    inner: Inner,
    url: DbUrl,
}

/// How a connection is opened.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// Reads only: a SQLite file is opened read-only; servers are read in read-only
    /// transactions by the callers.
    ReadOnly,
    ReadWrite,
}

impl Conn {
    pub fn connect(url: &DbUrl, access: Access) -> Result<Conn> {
        let fail = |m: String| Error::Database {
            what: url.redacted(),
            message: url.scrub(&m),
        };
        let inner = match url.dialect {
            Dialect::Postgres => {
                let client = postgres::Client::connect(url.raw(), postgres::NoTls)
                    .map_err(|e| fail(format!("cannot connect: {}", pg_message(&e))))?;
                Inner::Pg(Box::new(client))
            }
            Dialect::Mysql => {
                let opts =
                    mysql::Opts::from_url(url.raw()).map_err(|e| fail(format!("bad URL: {e}")))?;
                let conn =
                    mysql::Conn::new(opts).map_err(|e| fail(format!("cannot connect: {e}")))?;
                Inner::My(Box::new(conn))
            }
            Dialect::Sqlite => {
                let path = url
                    .sqlite_path
                    .clone()
                    .ok_or_else(|| fail("no SQLite file".into()))?;
                if !path.is_file() {
                    return Err(fail(format!(
                        "no such file {}: gapfill never creates the database",
                        path.display()
                    )));
                }
                use rusqlite::OpenFlags;
                let flags = match access {
                    Access::ReadOnly => OpenFlags::SQLITE_OPEN_READ_ONLY,
                    Access::ReadWrite => OpenFlags::SQLITE_OPEN_READ_WRITE,
                } | OpenFlags::SQLITE_OPEN_NO_MUTEX;
                let c = rusqlite::Connection::open_with_flags(&path, flags)
                    .map_err(|e| fail(format!("cannot open: {e}")))?;
                for cfg in [
                    rusqlite::config::DbConfig::SQLITE_DBCONFIG_DQS_DML,
                    rusqlite::config::DbConfig::SQLITE_DBCONFIG_DQS_DDL,
                ] {
                    c.set_db_config(cfg, false)
                        .map_err(|e| fail(format!("cannot configure: {e}")))?;
                }
                c.busy_timeout(std::time::Duration::from_secs(10))
                    .map_err(|e| fail(format!("cannot configure: {e}")))?;
                Inner::Lite(Box::new(c))
            }
        };
        let mut conn = Conn {
            inner,
            url: url.clone(),
        };
        conn.session_setup()?;
        Ok(conn)
    }

    /// Session settings that make values mean the same everywhere: UTC, UTF-8 (4-byte, for
    /// emoji), strict errors instead of silent truncation, backslash as MySQL's escape.
    fn session_setup(&mut self) -> Result<()> {
        match self.dialect() {
            Dialect::Postgres => self.batch(
                "SET TimeZone = 'UTC'; SET client_encoding = 'UTF8'; \
                 SET standard_conforming_strings = on",
            ),
            Dialect::Mysql => {
                self.batch("SET NAMES utf8mb4")?;
                self.batch("SET time_zone = '+00:00'")?;
                self.batch(MYSQL_SQL_MODE)
            }
            Dialect::Sqlite => self.batch("PRAGMA foreign_keys = ON"),
        }
    }

    pub fn dialect(&self) -> Dialect {
        self.url.dialect
    }

    /// The redacted URL, to name the database in messages.
    pub fn what(&self) -> String {
        self.url.redacted()
    }

    pub fn error(&self, context: &str, message: &str) -> Error {
        Error::Database {
            what: self.what(),
            message: self.url.scrub(&format!("{context}: {message}")),
        }
    }

    /// Statements without parameters.
    pub fn batch(&mut self, sql: &str) -> Result<()> {
        let r = match &mut self.inner {
            Inner::Pg(c) => c.batch_execute(sql).map_err(|e| pg_message(&e)),
            Inner::My(c) => c.query_drop(sql).map_err(|e| e.to_string()),
            Inner::Lite(c) => c.execute_batch(sql).map_err(|e| e.to_string()),
        };
        r.map_err(|m| self.error(&short(sql), &m))
    }

    /// One statement with `?` parameters; returns the affected rows.
    pub fn execute(&mut self, sql: &str, params: &[Val]) -> Result<u64> {
        let sql = self.dialect().placeholders(sql);
        let r = match &mut self.inner {
            Inner::Pg(c) => {
                let owned = pg_params(params);
                let refs: Vec<&(dyn postgres::types::ToSql + Sync)> =
                    owned.iter().map(|p| p.as_ref()).collect();
                c.execute(sql.as_str(), &refs).map_err(|e| pg_message(&e))
            }
            Inner::My(c) => c
                .exec_drop(sql.as_str(), my_params(params))
                .map(|_| c.affected_rows())
                .map_err(|e| e.to_string()),
            Inner::Lite(c) => c
                .execute(&sql, rusqlite::params_from_iter(lite_params(params)))
                .map(|n| n as u64)
                .map_err(|e| e.to_string()),
        };
        r.map_err(|m| self.error(&short(&sql), &m))
    }

    /// A query with `?` parameters; every value as a [`Cell`].
    pub fn query(&mut self, sql: &str, params: &[Val]) -> Result<Vec<Vec<Cell>>> {
        let sql = self.dialect().placeholders(sql);
        let r = match &mut self.inner {
            Inner::Pg(c) => {
                let owned = pg_params(params);
                let refs: Vec<&(dyn postgres::types::ToSql + Sync)> =
                    owned.iter().map(|p| p.as_ref()).collect();
                c.query(sql.as_str(), &refs)
                    .map_err(|e| pg_message(&e))
                    .map(|rows| rows.iter().map(pg_row).collect())
            }
            Inner::My(c) => c
                .exec::<mysql::Row, _, _>(sql.as_str(), my_params(params))
                .map_err(|e| e.to_string())
                .map(|rows| {
                    rows.into_iter()
                        .map(|r| {
                            (0..r.len())
                                .map(|i| {
                                    my_cell(r.as_ref(i).cloned().unwrap_or(mysql::Value::NULL))
                                })
                                .collect()
                        })
                        .collect()
                }),
            Inner::Lite(c) => lite_query(c, &sql, params),
        };
        r.map_err(|m| self.error(&short(&sql), &m))
    }

    /// PostgreSQL only: the type names of a query's result columns (`timestamptz`, `int4`).
    pub fn pg_column_types(&mut self, sql: &str) -> Result<Option<Vec<String>>> {
        let r = match &mut self.inner {
            Inner::Pg(c) => c
                .prepare(sql)
                .map(|s| {
                    Some(
                        s.columns()
                            .iter()
                            .map(|c| c.type_().name().to_string())
                            .collect(),
                    )
                })
                .map_err(|e| pg_message(&e)),
            _ => Ok(None),
        };
        r.map_err(|m| self.error(&short(sql), &m))
    }

    /// Inserts rows into `table` (already quoted) as fast as the driver allows: COPY for
    /// PostgreSQL, multi-row INSERTs of bound parameters elsewhere. Values are given as text
    /// or integers; the database converts them to the column types.
    pub fn bulk_insert(
        &mut self,
        table: &str,
        columns: &[String],
        rows: &[Vec<Val>],
    ) -> Result<()> {
        if rows.is_empty() {
            return Ok(());
        }
        let cols: Vec<String> = columns.iter().map(|c| self.dialect().ident(c)).collect();
        let cols = cols.join(", ");
        if let Inner::Pg(c) = &mut self.inner {
            let sql = format!("COPY {table} ({cols}) FROM STDIN");
            let r = (|| -> std::result::Result<(), String> {
                let mut w = c.copy_in(sql.as_str()).map_err(|e| pg_message(&e))?;
                let mut buf = String::with_capacity(1 << 16);
                for row in rows {
                    for (i, v) in row.iter().enumerate() {
                        if i > 0 {
                            buf.push('\t');
                        }
                        copy_text(v, &mut buf);
                    }
                    buf.push('\n');
                    if buf.len() > (1 << 16) {
                        w.write_all(buf.as_bytes()).map_err(|e| e.to_string())?;
                        buf.clear();
                    }
                }
                w.write_all(buf.as_bytes()).map_err(|e| e.to_string())?;
                w.finish().map_err(|e| pg_message(&e))?;
                Ok(())
            })();
            return r.map_err(|m| self.error(&format!("COPY into {table}"), &m));
        }
        let width = columns.len().max(1);
        let per_stmt = (30_000 / width).clamp(1, 1000);
        let one = format!("({})", vec!["?"; width].join(", "));
        for chunk in rows.chunks(per_stmt) {
            let sql = format!(
                "INSERT INTO {table} ({cols}) VALUES {}",
                vec![one.as_str(); chunk.len()].join(", ")
            );
            let params: Vec<Val> = chunk.iter().flatten().cloned().collect();
            self.execute(&sql, &params)?;
        }
        Ok(())
    }
}

/// The session `sql_mode` gapfill uses on MariaDB/MySQL (and writes into `.sql` files): strict
/// (a value that does not fit is an error, not a silent truncation or a zero date), and without
/// `NO_BACKSLASH_ESCAPES` or `ANSI_QUOTES`, so literals and backtick identifiers mean what the
/// loader wrote.
pub const MYSQL_SQL_MODE: &str = "SET SESSION sql_mode = 'STRICT_ALL_TABLES,NO_ZERO_IN_DATE,\
NO_ZERO_DATE,ERROR_FOR_DIVISION_BY_ZERO,NO_ENGINE_SUBSTITUTION'";

/// The first line of a statement, for messages (a bulk INSERT can be megabytes).
fn short(sql: &str) -> String {
    let line = sql.lines().next().unwrap_or("");
    if line.chars().count() > 120 {
        let cut: String = line.chars().take(120).collect();
        format!("{cut}…")
    } else {
        line.to_string()
    }
}

/// PostgreSQL errors with their detail line (which names the failing key or row).
fn pg_message(e: &postgres::Error) -> String {
    match e.as_db_error() {
        Some(db) => {
            let mut m = db.message().to_string();
            if let Some(d) = db.detail() {
                m.push_str(&format!(" ({d})"));
            }
            if let Some(c) = db.constraint() {
                m.push_str(&format!(" [constraint {c}]"));
            }
            m
        }
        None => match std::error::Error::source(e) {
            Some(src) => format!("{e}: {src}"),
            None => e.to_string(),
        },
    }
}

fn pg_params(params: &[Val]) -> Vec<Box<dyn postgres::types::ToSql + Sync>> {
    params
        .iter()
        .map(|v| -> Box<dyn postgres::types::ToSql + Sync> {
            match v {
                Val::Null => Box::new(Option::<String>::None),
                Val::Int(i) => Box::new(*i),
                Val::Text(s) => Box::new(s.clone()),
            }
        })
        .collect()
}

fn pg_row(row: &postgres::Row) -> Vec<Cell> {
    use postgres::types::Type;
    (0..row.len())
        .map(|i| {
            let ty = row.columns()[i].type_().clone();
            let cell = if ty == Type::INT2 {
                row.try_get::<_, Option<i16>>(i)
                    .map(|v| v.map(|x| Cell::Integer(i64::from(x))))
            } else if ty == Type::INT4 {
                row.try_get::<_, Option<i32>>(i)
                    .map(|v| v.map(|x| Cell::Integer(i64::from(x))))
            } else if ty == Type::INT8 {
                row.try_get::<_, Option<i64>>(i)
                    .map(|v| v.map(Cell::Integer))
            } else if ty == Type::FLOAT8 {
                row.try_get::<_, Option<f64>>(i).map(|v| v.map(Cell::Real))
            } else if ty == Type::FLOAT4 {
                row.try_get::<_, Option<f32>>(i)
                    .map(|v| v.map(|x| Cell::Real(f64::from(x))))
            } else if ty == Type::BOOL {
                row.try_get::<_, Option<bool>>(i)
                    .map(|v| v.map(|x| Cell::Integer(i64::from(x))))
            } else {
                row.try_get::<_, Option<String>>(i)
                    .map(|v| v.map(Cell::Text))
            };
            match cell {
                Ok(Some(c)) => c,
                Ok(None) => Cell::Null,
                Err(_) => Cell::Unreadable(format!("a value of type {}", ty.name())),
            }
        })
        .collect()
}

fn my_params(params: &[Val]) -> mysql::Params {
    if params.is_empty() {
        return mysql::Params::Empty;
    }
    mysql::Params::Positional(
        params
            .iter()
            .map(|v| match v {
                Val::Null => mysql::Value::NULL,
                Val::Int(i) => mysql::Value::Int(*i),
                Val::Text(s) => mysql::Value::Bytes(s.as_bytes().to_vec()),
            })
            .collect(),
    )
}

fn my_cell(v: mysql::Value) -> Cell {
    match v {
        mysql::Value::NULL => Cell::Null,
        mysql::Value::Int(i) => Cell::Integer(i),
        mysql::Value::UInt(u) => match i64::try_from(u) {
            Ok(i) => Cell::Integer(i),
            Err(_) => Cell::Text(u.to_string()),
        },
        mysql::Value::Float(f) => Cell::Real(f64::from(f)),
        mysql::Value::Double(d) => Cell::Real(d),
        mysql::Value::Bytes(b) => match String::from_utf8(b) {
            Ok(s) => Cell::Text(s),
            Err(_) => Cell::Unreadable("text that is not UTF-8".into()),
        },
        mysql::Value::Date(y, mo, d, h, mi, s, _) => {
            Cell::Text(format!("{y:04}-{mo:02}-{d:02} {h:02}:{mi:02}:{s:02}"))
        }
        mysql::Value::Time(..) => Cell::Unreadable("a TIME value".into()),
    }
}

fn lite_params(params: &[Val]) -> Vec<rusqlite::types::Value> {
    params
        .iter()
        .map(|v| match v {
            Val::Null => rusqlite::types::Value::Null,
            Val::Int(i) => rusqlite::types::Value::Integer(*i),
            Val::Text(s) => rusqlite::types::Value::Text(s.clone()),
        })
        .collect()
}

fn lite_query(
    c: &rusqlite::Connection,
    sql: &str,
    params: &[Val],
) -> std::result::Result<Vec<Vec<Cell>>, String> {
    let mut stmt = c.prepare(sql).map_err(|e| e.to_string())?;
    let n = stmt.column_count();
    let mut rows = stmt
        .query(rusqlite::params_from_iter(lite_params(params)))
        .map_err(|e| e.to_string())?;
    let mut out = Vec::new();
    while let Some(r) = rows.next().map_err(|e| e.to_string())? {
        let mut cells = Vec::with_capacity(n);
        for i in 0..n {
            cells.push(match r.get_ref(i).map_err(|e| e.to_string())? {
                ValueRef::Null => Cell::Null,
                ValueRef::Integer(i) => Cell::Integer(i),
                ValueRef::Real(f) => Cell::Real(f),
                ValueRef::Text(b) => match std::str::from_utf8(b) {
                    Ok(s) => Cell::Text(s.to_string()),
                    Err(_) => Cell::Unreadable("text that is not UTF-8".into()),
                },
                ValueRef::Blob(b) => Cell::Unreadable(format!("a blob of {} bytes", b.len())),
            });
        }
        out.push(cells);
    }
    Ok(out)
}
