//! The restored database (`restored.sqlite`): the platform's state at T0, i.e. every booking
//! made before the backup, as it was then.

use std::io;
use std::path::Path;

use rusqlite::{params, Connection};

use super::fmt;
use super::model::{Class, World};

pub const SCHEMA: &str = "
CREATE TABLE companies (id INTEGER PRIMARY KEY, slug TEXT NOT NULL UNIQUE, name TEXT NOT NULL);
CREATE TABLE bookings (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  company_id INTEGER NOT NULL REFERENCES companies(id),
  confirmation_code TEXT NOT NULL,
  status TEXT NOT NULL CHECK (status IN ('booked','canceled')),
  customer_name TEXT NOT NULL, customer_email TEXT, customer_phone TEXT, vehicle TEXT,
  pickup_at TEXT NOT NULL,
  return_at TEXT NOT NULL,
  pickup_location TEXT, return_location TEXT,
  total_cents INTEGER, currency TEXT NOT NULL,
  paid_cents INTEGER NOT NULL DEFAULT 0, refunded_cents INTEGER NOT NULL DEFAULT 0,
  created_at TEXT NOT NULL,
  UNIQUE (company_id, confirmation_code)
);
";

fn db_err(e: rusqlite::Error) -> io::Error {
    io::Error::other(e)
}

/// Writes the database; returns the number of booking rows.
pub fn write(w: &World, path: &Path) -> io::Result<usize> {
    if path.exists() {
        std::fs::remove_file(path)?;
    }
    let mut conn = Connection::open(path).map_err(db_err)?;
    conn.execute_batch(SCHEMA).map_err(db_err)?;
    let tx = conn.transaction().map_err(db_err)?;
    let mut rows = 0;
    {
        let mut c = tx
            .prepare("INSERT INTO companies (id, slug, name) VALUES (?1, ?2, ?3)")
            .map_err(db_err)?;
        for t in &w.tenants {
            c.execute(params![t.idx as i64 + 1, t.slug, t.name])
                .map_err(db_err)?;
        }
        let mut ins = tx
            .prepare(
                "INSERT INTO bookings (company_id, confirmation_code, status, customer_name, \
                 customer_email, customer_phone, vehicle, pickup_at, return_at, pickup_location, \
                 return_location, total_cents, currency, paid_cents, refunded_cents, created_at) \
                 VALUES (?1, ?2, 'booked', ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15)",
            )
            .map_err(db_err)?;
        for b in &w.bookings {
            if b.class == Class::Gap {
                continue;
            }
            let t = &w.tenants[b.tenant];
            let s = &b.orig;
            let refunded: i64 = b
                .refunds
                .iter()
                .filter(|r| r.created <= w.t0)
                .map(|r| r.amount)
                .sum();
            ins.execute(params![
                t.idx as i64 + 1,
                b.booking_ref,
                b.cust.full(),
                b.cust.email,
                b.cust.phone_intl,
                t.vehicle(s.vehicle),
                fmt::rfc3339_z(s.pickup),
                fmt::rfc3339_z(s.ret),
                t.branch(s.pickup_loc),
                t.branch(s.return_loc),
                s.total,
                t.currency,
                b.paid_before(w.t0 + 1),
                refunded,
                fmt::rfc3339_z(b.booked_at),
            ])
            .map_err(db_err)?;
            rows += 1;
        }
    }
    tx.commit().map_err(db_err)?;
    Ok(rows)
}
