//! Reads the restored database's bookings over a connection (PostgreSQL, MariaDB/MySQL, or a
//! SQLite file through the same code), with the same mapping and conversions as
//! [`read_sqlite`](super::read_sqlite).
//!
//! Servers are read inside a read-only transaction: the gap diff (and `gapfill load` without
//! `--apply`) cannot change anything even by mistake.

use std::collections::BTreeMap;

use super::sqlite::{convert_row, tenant_value};
use super::target::{Conversion, SqlValue, TenantFill, TimestampConversion};
use super::{Existing, TargetMapping};
use crate::error::{Error, Result};
use crate::load::db::Conn;
use crate::load::sql::{Dialect, Val};
use crate::plan::Plan;

/// What the database has, and each plan tenant's value of the tenant column.
#[derive(Debug, Default)]
pub struct Resolved {
    pub existing: Existing,
    /// Tenant slug → the values the lookup (or the literal map) gave; an empty list is a
    /// tenant the database does not know.
    pub tenants: BTreeMap<String, Vec<SqlValue>>,
}

fn to_val(v: &SqlValue) -> Val {
    match v {
        SqlValue::Integer(i) => Val::Int(*i),
        SqlValue::Text(s) => Val::Text(s.clone()),
    }
}

/// Reads every booking row of the plan's tenants. The caller opens and closes the
/// transaction.
pub fn read_conn(conn: &mut Conn, mapping: &TargetMapping, plan: &Plan) -> Result<Resolved> {
    let mut out = Resolved::default();
    let mut by_value: BTreeMap<String, String> = BTreeMap::new();
    for t in &plan.tenants {
        let values = match &mapping.tenant.fill {
            TenantFill::Literal(map) => match map.get(&t.slug) {
                Some(v) => vec![v.clone()],
                None => {
                    out.existing.warnings.push(format!(
                        "tenant `{}`: {} has no [tenant.values] entry for it",
                        t.slug,
                        mapping.path.display()
                    ));
                    Vec::new()
                }
            },
            TenantFill::Lookup(q) => {
                let rows = conn.query(q, &[Val::Text(t.slug.clone())])?;
                let vals: Vec<SqlValue> = rows
                    .iter()
                    .filter_map(|r| r.first().and_then(tenant_value))
                    .collect();
                match vals.len() {
                    0 => out.existing.warnings.push(format!(
                        "tenant `{}`: `{q}` finds no row in {}",
                        t.slug,
                        conn.what()
                    )),
                    1 => {}
                    n => out.existing.warnings.push(format!(
                        "tenant `{}`: `{q}` finds {n} rows; the bookings of all of them are read",
                        t.slug
                    )),
                }
                vals
            }
        };
        for v in &values {
            if let Some(other) = by_value.insert(v.canonical(), t.slug.clone()) {
                return Err(Error::Database {
                    what: conn.what(),
                    message: format!(
                        "tenants `{other}` and `{}` both have {} = {v}: their bookings cannot be \
                         told apart",
                        t.slug, mapping.tenant.column
                    ),
                });
            }
        }
        out.tenants.insert(t.slug.clone(), values);
    }
    if by_value.is_empty() {
        return Ok(out);
    }
    let d = conn.dialect();
    let (exprs, read_mapping) = select_exprs(conn, mapping)?;
    let tenant_col = d.ident(&mapping.tenant.column);
    let (filter, params): (String, Vec<Val>) = match d {
        Dialect::Postgres => (
            d.text_cast(&tenant_col),
            by_value.keys().map(|k| Val::Text(k.clone())).collect(),
        ),
        _ => (
            tenant_col,
            out.tenants.values().flatten().map(to_val).collect(),
        ),
    };
    let marks = vec!["?"; params.len()].join(", ");
    let order: Vec<String> = mapping.key.iter().map(|k| d.ident(k)).collect();
    let sql = format!(
        "SELECT {} FROM {} WHERE {filter} IN ({marks}) ORDER BY {}",
        exprs.join(", "),
        d.ident(&mapping.table),
        order.join(", ")
    );
    let rows = conn.query(&sql, &params)?;
    for cells in rows {
        let Some(slug) = cells
            .first()
            .and_then(tenant_value)
            .and_then(|v| by_value.get(&v.canonical()))
        else {
            continue;
        };
        let tenant = plan.tenant(slug);
        let tz = tenant.map(|t| t.tz()).unwrap_or(chrono_tz::UTC);
        let currency = tenant.map(|t| t.currency.as_str()).unwrap_or("");
        let (row, warnings) = convert_row(&read_mapping, slug, &cells, tz, currency);
        out.existing.warnings.extend(warnings);
        out.existing.add(row, tz);
    }
    Ok(out)
}

/// The SELECT list (tenant column first, then the mapped columns) and the mapping to convert
/// what it returns. PostgreSQL `timestamptz` columns are read as UTC RFC 3339 text (whatever the
/// mapping's text form, the instant is exact), `timestamp` columns as text in the mapping's
/// form, and types the driver does not decode (numeric, date, uuid) as text.
fn select_exprs(conn: &mut Conn, mapping: &TargetMapping) -> Result<(Vec<String>, TargetMapping)> {
    let d = conn.dialect();
    let mut read_mapping = mapping.clone();
    let names: Vec<&str> = std::iter::once(mapping.tenant.column.as_str())
        .chain(mapping.columns.iter().map(|c| c.column.as_str()))
        .collect();
    let plain: Vec<String> = names.iter().map(|n| d.ident(n)).collect();
    let probe = format!(
        "SELECT {} FROM {} LIMIT 0",
        plain.join(", "),
        d.ident(&mapping.table)
    );
    let Some(types) = conn.pg_column_types(&probe)? else {
        return Ok((plain, read_mapping));
    };
    let mut exprs = Vec::with_capacity(plain.len());
    for (i, (col, ty)) in plain.iter().zip(&types).enumerate() {
        let conv = i
            .checked_sub(1)
            .and_then(|j| read_mapping.columns.get_mut(j))
            .map(|c| &mut c.conversion);
        let e = match (ty.as_str(), conv) {
            ("timestamptz", Some(c)) => {
                *c = Conversion::Timestamp(TimestampConversion::Rfc3339Utc);
                format!("to_char({col} AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')")
            }
            ("timestamp", Some(Conversion::Timestamp(TimestampConversion::Rfc3339Utc))) => {
                format!("to_char({col}, 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')")
            }
            ("timestamp", Some(_)) => format!("to_char({col}, 'YYYY-MM-DD HH24:MI:SS')"),
            (
                "int2" | "int4" | "int8" | "float4" | "float8" | "bool" | "text" | "varchar"
                | "bpchar" | "name",
                _,
            ) => col.clone(),
            _ => d.text_cast(col),
        };
        exprs.push(e);
    }
    Ok((exprs, read_mapping))
}
