//! A recovered booking as a row of the target table: the mapping's columns and conversions
//! applied the other way round (minor units or decimals, the timestamp form, the database's
//! status words, ids).

use chrono::{SecondsFormat, TimeZone};
use sha2::{Digest, Sha256};

use super::sql::Val;
use crate::export::decimal;
use crate::gap::target::{AmountConversion, Conversion, IdStrategy, RecoveredField};
use crate::gap::TargetMapping;
use crate::rebuild::Booking;

/// The columns gapfill writes, in order: the tenant column, the id column (when gapfill makes
/// ids), then the mapped columns.
pub fn columns(mapping: &TargetMapping) -> Vec<String> {
    let mut cols = vec![mapping.tenant.column.clone()];
    if let Some(id) = written_id_column(mapping) {
        cols.push(id.to_string());
    }
    cols.extend(mapping.columns.iter().map(|c| c.column.clone()));
    cols
}

/// The id column gapfill fills itself (uuid or generated strategy).
pub fn written_id_column(mapping: &TargetMapping) -> Option<&str> {
    match &mapping.ids {
        IdStrategy::Uuid { column } | IdStrategy::Generated { column } => Some(column),
        IdStrategy::Database { .. } => None,
    }
}

/// The id column to read back after inserting (any strategy), if the mapping names one.
pub fn id_column(mapping: &TargetMapping) -> Option<&str> {
    match &mapping.ids {
        IdStrategy::Uuid { column } | IdStrategy::Generated { column } => Some(column),
        IdStrategy::Database { column } => column.as_deref(),
    }
}

/// A UUID derived from the recovered id (the same booking always gets the same UUID):
/// sha256 of the id, laid out as an RFC 9562 version 8 (custom) UUID.
pub fn uuid_for(recovered_id: &str) -> String {
    let h = Sha256::digest(recovered_id.as_bytes());
    let mut b = [0u8; 16];
    b.copy_from_slice(&h[..16]);
    b[6] = (b[6] & 0x0f) | 0x80;
    b[8] = (b[8] & 0x3f) | 0x80;
    let x = super::input::hex(&b);
    format!(
        "{}-{}-{}-{}-{}",
        &x[0..8],
        &x[8..12],
        &x[12..16],
        &x[16..20],
        &x[20..32]
    )
}

/// Values of the columns after the tenant column (see [`columns`]). An error says which field
/// cannot be written and why.
pub fn values(b: &Booking, mapping: &TargetMapping, tz: chrono_tz::Tz) -> Result<Vec<Val>, String> {
    let mut out = Vec::with_capacity(mapping.columns.len() + 1);
    match &mapping.ids {
        IdStrategy::Uuid { .. } => out.push(Val::Text(uuid_for(&b.recovered_id))),
        IdStrategy::Generated { .. } => out.push(Val::Text(b.recovered_id.clone())),
        IdStrategy::Database { .. } => {}
    }
    for c in &mapping.columns {
        let v = match &c.conversion {
            Conversion::Text | Conversion::Currency => text(b, c.field),
            Conversion::Status(voc) => Val::Text(voc.write(b.status).to_string()),
            Conversion::Amount(a) => match amount(b, c.field) {
                None => Val::Null,
                Some(minor) => match a {
                    AmountConversion::MinorUnits => Val::Int(minor),
                    AmountConversion::Decimal => Val::Text(decimal(minor, &b.currency)),
                },
            },
            Conversion::Timestamp(t) => match time(b, c.field) {
                None => Val::Null,
                Some(ts) => timestamp(*t, ts, tz)
                    .ok_or_else(|| format!("{}: {ts} is not a valid time", c.field))?,
            },
        };
        if let Val::Text(s) = &v {
            if s.contains('\0') {
                return Err(format!(
                    "{} contains a NUL character (cannot be stored as text)",
                    c.field
                ));
            }
        }
        out.push(v);
    }
    Ok(out)
}

fn timestamp(
    conv: crate::gap::target::TimestampConversion,
    ts: i64,
    tz: chrono_tz::Tz,
) -> Option<Val> {
    use crate::gap::target::TimestampConversion as T;
    let utc = chrono::Utc.timestamp_opt(ts, 0).single()?;
    Some(match conv {
        T::UnixSeconds => Val::Int(ts),
        T::Rfc3339Utc => Val::Text(utc.to_rfc3339_opts(SecondsFormat::Secs, true)),
        T::NaiveUtc => Val::Text(utc.format("%Y-%m-%d %H:%M:%S").to_string()),
        T::NaiveLocal => Val::Text(
            utc.with_timezone(&tz)
                .format("%Y-%m-%d %H:%M:%S")
                .to_string(),
        ),
    })
}

fn text(b: &Booking, f: RecoveredField) -> Val {
    let v = match f {
        RecoveredField::BookingRef => b.booking_ref.clone(),
        RecoveredField::CustomerName => b.customer_name.clone(),
        RecoveredField::CustomerEmail => b.customer_email.clone(),
        RecoveredField::CustomerPhone => b.customer_phone.clone(),
        RecoveredField::Vehicle => b.vehicle.clone(),
        RecoveredField::PickupLocation => b.pickup_location.clone(),
        RecoveredField::ReturnLocation => b.return_location.clone(),
        RecoveredField::Currency => Some(b.currency.clone()),
        _ => None,
    };
    v.map(Val::Text).unwrap_or(Val::Null)
}

fn amount(b: &Booking, f: RecoveredField) -> Option<i64> {
    match f {
        RecoveredField::TotalAmount => b.total,
        RecoveredField::AmountPaid => Some(b.amount_paid),
        RecoveredField::AmountRefunded => Some(b.amount_refunded),
        _ => None,
    }
}

fn time(b: &Booking, f: RecoveredField) -> Option<i64> {
    match f {
        RecoveredField::PickupAt => b.pickup_at,
        RecoveredField::ReturnAt => b.return_at,
        RecoveredField::BookedAt => b.booked_at,
        _ => None,
    }
}

/// Positions of the key columns in [`columns`].
pub fn key_positions(mapping: &TargetMapping) -> Vec<usize> {
    let cols = columns(mapping);
    mapping
        .key
        .iter()
        .filter_map(|k| cols.iter().position(|c| c == k))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uuid_is_stable_and_versioned() {
        let a = uuid_for("rec-1");
        assert_eq!(a, uuid_for("rec-1"));
        assert_ne!(a, uuid_for("rec-2"));
        assert_eq!(a.len(), 36);
        assert_eq!(&a[14..15], "8");
    }
}
