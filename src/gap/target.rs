//! The target-schema mapping (`mappings/target/*.toml`): where the platform keeps its bookings
//! in its own schema, and how a recovered value is written there and read back.
//!
//! The mapping is dialect-neutral on purpose: it names a table, columns and value conversions,
//! never SQL of one dialect (the only SQL is the tenant lookup, a plain `SELECT` with one `?`).
//! The same file drives the read of the restored SQLite database now and the SQL load into
//! PostgreSQL or MariaDB later. Table and column names are interpolated into SQL, so they are
//! checked to be plain identifiers when the mapping is loaded, before any SQL is built.
//!
//! Every mistake stops the run at start with the file, the line and the reason: a wrong
//! mapping would otherwise silently compare against the wrong column (and re-insert bookings
//! the database already has).

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};

use chrono::{DateTime, NaiveDateTime, TimeZone};
use serde::{Deserialize, Deserializer};
use toml::Spanned;

use crate::error::{Error, Result};
use crate::evidence::Timestamp;
use crate::rebuild::Status;

/// A field of a recovered [`Booking`](crate::rebuild::Booking) that can have a column.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum RecoveredField {
    BookingRef,
    Status,
    CustomerName,
    CustomerEmail,
    CustomerPhone,
    Vehicle,
    PickupAt,
    ReturnAt,
    PickupLocation,
    ReturnLocation,
    TotalAmount,
    Currency,
    AmountPaid,
    AmountRefunded,
    BookedAt,
}

impl RecoveredField {
    /// Every field, in the order of `bookings.csv` (also the order of columns in SQL).
    pub const ALL: [RecoveredField; 15] = [
        RecoveredField::BookingRef,
        RecoveredField::Status,
        RecoveredField::CustomerName,
        RecoveredField::CustomerEmail,
        RecoveredField::CustomerPhone,
        RecoveredField::Vehicle,
        RecoveredField::PickupAt,
        RecoveredField::ReturnAt,
        RecoveredField::PickupLocation,
        RecoveredField::ReturnLocation,
        RecoveredField::TotalAmount,
        RecoveredField::Currency,
        RecoveredField::AmountPaid,
        RecoveredField::AmountRefunded,
        RecoveredField::BookedAt,
    ];

    /// The name used in mappings and in `bookings.csv`.
    pub fn as_str(self) -> &'static str {
        match self {
            RecoveredField::BookingRef => "booking_ref",
            RecoveredField::Status => "status",
            RecoveredField::CustomerName => "customer_name",
            RecoveredField::CustomerEmail => "customer_email",
            RecoveredField::CustomerPhone => "customer_phone",
            RecoveredField::Vehicle => "vehicle",
            RecoveredField::PickupAt => "pickup_at",
            RecoveredField::ReturnAt => "return_at",
            RecoveredField::PickupLocation => "pickup_location",
            RecoveredField::ReturnLocation => "return_location",
            RecoveredField::TotalAmount => "total_amount",
            RecoveredField::Currency => "currency",
            RecoveredField::AmountPaid => "amount_paid",
            RecoveredField::AmountRefunded => "amount_refunded",
            RecoveredField::BookedAt => "booked_at",
        }
    }

    fn is_amount(self) -> bool {
        matches!(
            self,
            RecoveredField::TotalAmount
                | RecoveredField::AmountPaid
                | RecoveredField::AmountRefunded
        )
    }

    fn is_timestamp(self) -> bool {
        matches!(
            self,
            RecoveredField::PickupAt | RecoveredField::ReturnAt | RecoveredField::BookedAt
        )
    }
}

impl fmt::Display for RecoveredField {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// How money is stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AmountConversion {
    /// Major units as a decimal (`NUMERIC(10,2)`, `REAL` or text `"123.45"`).
    Decimal,
    /// Integer minor units of the currency (cents).
    MinorUnits,
}

/// How a point in time is stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TimestampConversion {
    /// Text in RFC 3339, written in UTC (`2026-06-01T10:00:00Z`); any offset is read.
    Rfc3339Utc,
    /// Integer seconds since 1970-01-01 UTC.
    UnixSeconds,
    /// Text `YYYY-MM-DD HH:MM:SS` meaning UTC (SQL `TIMESTAMP` columns of a UTC server).
    NaiveUtc,
    /// Text `YYYY-MM-DD HH:MM:SS` meaning the tenant's own zone (wall-clock time).
    NaiveLocal,
}

/// The database's words for the two recovered statuses.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StatusVocabulary {
    pub confirmed: String,
    pub cancelled: String,
}

impl StatusVocabulary {
    /// The database value for a recovered status.
    pub fn write(&self, s: Status) -> &str {
        match s {
            Status::Confirmed => &self.confirmed,
            Status::Cancelled => &self.cancelled,
        }
    }
}

/// How one mapped column's value is converted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Conversion {
    /// Copied as text.
    Text,
    /// ISO 4217 code, upper-cased when read.
    Currency,
    Status(StatusVocabulary),
    Amount(AmountConversion),
    Timestamp(TimestampConversion),
}

/// One recovered field and the column that holds it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ColumnMapping {
    pub field: RecoveredField,
    pub column: String,
    pub conversion: Conversion,
}

/// A value written into the tenant column, or returned by the tenant lookup.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum SqlValue {
    Integer(i64),
    Text(String),
}

impl SqlValue {
    /// The comparison form: SQL engines convert `1` and `'1'` into each other by column
    /// affinity, so a tenant value is recognised whichever of the two the database returns.
    pub fn canonical(&self) -> String {
        match self {
            SqlValue::Integer(i) => i.to_string(),
            SqlValue::Text(s) => s.clone(),
        }
    }
}

impl fmt::Display for SqlValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SqlValue::Integer(i) => write!(f, "{i}"),
            SqlValue::Text(s) => write!(f, "'{s}'"),
        }
    }
}

impl<'de> Deserialize<'de> for SqlValue {
    fn deserialize<D: Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        struct V;
        impl serde::de::Visitor<'_> for V {
            type Value = SqlValue;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an integer or a string")
            }
            fn visit_i64<E: serde::de::Error>(self, v: i64) -> std::result::Result<SqlValue, E> {
                Ok(SqlValue::Integer(v))
            }
            fn visit_u64<E: serde::de::Error>(self, v: u64) -> std::result::Result<SqlValue, E> {
                i64::try_from(v)
                    .map(SqlValue::Integer)
                    .map_err(|_| E::custom("integer too large"))
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> std::result::Result<SqlValue, E> {
                Ok(SqlValue::Text(v.to_string()))
            }
        }
        d.deserialize_any(V)
    }
}

/// How the tenant column gets its value for a plan tenant.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TenantFill {
    /// A fixed value per tenant slug, written in the mapping.
    Literal(BTreeMap<String, SqlValue>),
    /// A `SELECT` with one `?` placeholder, bound to the tenant slug; its first column of its
    /// first row is the value.
    Lookup(String),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TenantColumn {
    pub column: String,
    pub fill: TenantFill,
}

/// How the primary key of an inserted row is made (used by the loader).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IdStrategy {
    /// The database assigns it (autoincrement, sequence, identity). `column`, when given, is
    /// read back after the insert.
    Database { column: Option<String> },
    /// gapfill writes a UUID derived from the recovered id into `column`.
    Uuid { column: String },
    /// gapfill writes its stable recovered id (text) into `column`.
    Generated { column: String },
}

/// A checked target-schema mapping.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TargetMapping {
    /// The file it was loaded from (named in messages).
    pub path: PathBuf,
    /// Table of bookings, plain or schema-qualified (`public.bookings`).
    pub table: String,
    /// Mapped fields, in [`RecoveredField::ALL`] order.
    pub columns: Vec<ColumnMapping>,
    pub tenant: TenantColumn,
    pub ids: IdStrategy,
    /// Columns that identify a booking (the unique key the loader checks for conflicts).
    pub key: Vec<String>,
}

impl TargetMapping {
    /// Reads and checks a mapping file. Errors name the file, the line and the reason.
    pub fn load(path: &Path) -> Result<TargetMapping> {
        let text = std::fs::read_to_string(path).map_err(|e| Error::io(path, e))?;
        TargetMapping::parse(&text, path)
    }

    /// Checks mapping text; `path` is only used in messages.
    pub fn parse(text: &str, path: &Path) -> Result<TargetMapping> {
        let at = Located { text, path };
        let raw: RawMapping =
            toml::from_str(text).map_err(|e| at.error(e.span().map(|s| s.start), e.message()))?;
        raw.check(&at)
    }

    /// The column of a field, if mapped.
    pub fn column(&self, field: RecoveredField) -> Option<&ColumnMapping> {
        self.columns.iter().find(|c| c.field == field)
    }
}

/// Identifiers are interpolated into SQL: only `[A-Za-z_][A-Za-z0-9_]*` can be, whatever the
/// dialect, without quoting rules that differ between SQLite, PostgreSQL and MariaDB.
pub fn is_plain_identifier(s: &str) -> bool {
    let mut chars = s.chars();
    match chars.next() {
        Some(c) if c.is_ascii_alphabetic() || c == '_' => {}
        _ => return false,
    }
    chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// A plain identifier, or `schema.name` of two plain identifiers.
pub fn is_table_identifier(s: &str) -> bool {
    let parts: Vec<&str> = s.split('.').collect();
    parts.len() <= 2 && parts.iter().all(|p| is_plain_identifier(p))
}

/// The mapping text and file, to turn byte offsets into `file: line N: reason` errors.
struct Located<'a> {
    text: &'a str,
    path: &'a Path,
}

impl Located<'_> {
    fn line(&self, offset: usize) -> usize {
        let end = offset.min(self.text.len());
        self.text.as_bytes()[..end]
            .iter()
            .filter(|&&b| b == b'\n')
            .count()
            + 1
    }

    fn error(&self, offset: Option<usize>, message: &str) -> Error {
        let message = message.trim();
        let message = match offset {
            Some(o) => format!("line {}: {message}", self.line(o)),
            None => message.to_string(),
        };
        Error::Mapping {
            path: self.path.to_path_buf(),
            message,
        }
    }

    fn at<T>(&self, s: &Spanned<T>, message: &str) -> Error {
        self.error(Some(s.span().start), message)
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawMapping {
    table: Spanned<String>,
    key: Spanned<Vec<Spanned<String>>>,
    columns: RawColumns,
    #[serde(default)]
    conversions: RawConversions,
    tenant: RawTenant,
    #[serde(default)]
    ids: Option<Spanned<RawIds>>,
}

/// One optional column per recovered field; serde rejects any other key (with its line).
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawColumns {
    booking_ref: Option<Spanned<String>>,
    status: Option<Spanned<String>>,
    customer_name: Option<Spanned<String>>,
    customer_email: Option<Spanned<String>>,
    customer_phone: Option<Spanned<String>>,
    vehicle: Option<Spanned<String>>,
    pickup_at: Option<Spanned<String>>,
    return_at: Option<Spanned<String>>,
    pickup_location: Option<Spanned<String>>,
    return_location: Option<Spanned<String>>,
    total_amount: Option<Spanned<String>>,
    currency: Option<Spanned<String>>,
    amount_paid: Option<Spanned<String>>,
    amount_refunded: Option<Spanned<String>>,
    booked_at: Option<Spanned<String>>,
}

impl RawColumns {
    fn get(&self, f: RecoveredField) -> Option<&Spanned<String>> {
        match f {
            RecoveredField::BookingRef => self.booking_ref.as_ref(),
            RecoveredField::Status => self.status.as_ref(),
            RecoveredField::CustomerName => self.customer_name.as_ref(),
            RecoveredField::CustomerEmail => self.customer_email.as_ref(),
            RecoveredField::CustomerPhone => self.customer_phone.as_ref(),
            RecoveredField::Vehicle => self.vehicle.as_ref(),
            RecoveredField::PickupAt => self.pickup_at.as_ref(),
            RecoveredField::ReturnAt => self.return_at.as_ref(),
            RecoveredField::PickupLocation => self.pickup_location.as_ref(),
            RecoveredField::ReturnLocation => self.return_location.as_ref(),
            RecoveredField::TotalAmount => self.total_amount.as_ref(),
            RecoveredField::Currency => self.currency.as_ref(),
            RecoveredField::AmountPaid => self.amount_paid.as_ref(),
            RecoveredField::AmountRefunded => self.amount_refunded.as_ref(),
            RecoveredField::BookedAt => self.booked_at.as_ref(),
        }
    }
}

#[derive(Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawConversions {
    amounts: Option<AmountConversion>,
    timestamps: Option<TimestampConversion>,
    status: Option<StatusVocabulary>,
    #[serde(default)]
    fields: RawFieldConversions,
}

/// Per-field overrides of the defaults; typed per field so that a timestamp conversion on an
/// amount (or a conversion on a text field) is rejected by serde with its line.
#[derive(Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFieldConversions {
    total_amount: Option<Spanned<AmountConversion>>,
    amount_paid: Option<Spanned<AmountConversion>>,
    amount_refunded: Option<Spanned<AmountConversion>>,
    pickup_at: Option<Spanned<TimestampConversion>>,
    return_at: Option<Spanned<TimestampConversion>>,
    booked_at: Option<Spanned<TimestampConversion>>,
}

impl RawFieldConversions {
    fn amount(&self, f: RecoveredField) -> Option<&Spanned<AmountConversion>> {
        match f {
            RecoveredField::TotalAmount => self.total_amount.as_ref(),
            RecoveredField::AmountPaid => self.amount_paid.as_ref(),
            RecoveredField::AmountRefunded => self.amount_refunded.as_ref(),
            _ => None,
        }
    }

    fn timestamp(&self, f: RecoveredField) -> Option<&Spanned<TimestampConversion>> {
        match f {
            RecoveredField::PickupAt => self.pickup_at.as_ref(),
            RecoveredField::ReturnAt => self.return_at.as_ref(),
            RecoveredField::BookedAt => self.booked_at.as_ref(),
            _ => None,
        }
    }
}

#[derive(Deserialize, Clone, Copy, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
enum FillKind {
    Literal,
    Lookup,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawTenant {
    column: Spanned<String>,
    fill: Spanned<FillKind>,
    query: Option<Spanned<String>>,
    values: Option<Spanned<BTreeMap<String, Spanned<SqlValue>>>>,
}

#[derive(Deserialize, Clone, Copy, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
enum IdKind {
    Database,
    Uuid,
    Generated,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawIds {
    strategy: IdKind,
    column: Option<Spanned<String>>,
}

impl RawMapping {
    fn check(self, at: &Located<'_>) -> Result<TargetMapping> {
        if !is_table_identifier(self.table.get_ref()) {
            return Err(at.at(
                &self.table,
                &format!(
                    "table `{}` is not a plain identifier ([A-Za-z_][A-Za-z0-9_]*, optionally \
                     schema.table): it would be interpolated into SQL",
                    self.table.get_ref()
                ),
            ));
        }
        let tenant = check_tenant(&self.tenant, at)?;
        let columns = check_columns(&self.columns, &self.conversions, &tenant.column, at)?;
        let ids = check_ids(self.ids.as_ref(), at)?;
        let key = check_key(&self.key, &columns, &tenant.column, at)?;
        Ok(TargetMapping {
            path: at.path.to_path_buf(),
            table: self.table.into_inner(),
            columns,
            tenant,
            ids,
            key,
        })
    }
}

fn check_column_name(name: &Spanned<String>, what: &str, at: &Located<'_>) -> Result<String> {
    if is_plain_identifier(name.get_ref()) {
        Ok(name.get_ref().clone())
    } else {
        Err(at.at(
            name,
            &format!(
                "{what} column `{}` is not a plain identifier ([A-Za-z_][A-Za-z0-9_]*): it would \
                 be interpolated into SQL",
                name.get_ref()
            ),
        ))
    }
}

fn check_columns(
    raw: &RawColumns,
    conv: &RawConversions,
    tenant_column: &str,
    at: &Located<'_>,
) -> Result<Vec<ColumnMapping>> {
    let mut out = Vec::new();
    let mut used: BTreeMap<String, RecoveredField> = BTreeMap::new();
    for field in RecoveredField::ALL {
        let Some(col) = raw.get(field) else {
            check_unused_override(field, conv, at)?;
            continue;
        };
        let column = check_column_name(col, field.as_str(), at)?;
        if column == tenant_column {
            return Err(at.at(
                col,
                &format!("`{column}` is the tenant column; it cannot also hold {field}"),
            ));
        }
        if let Some(other) = used.insert(column.clone(), field) {
            return Err(at.at(
                col,
                &format!("column `{column}` is mapped twice ({other} and {field})"),
            ));
        }
        let conversion = conversion_for(field, col, conv, at)?;
        out.push(ColumnMapping {
            field,
            column,
            conversion,
        });
    }
    Ok(out)
}

/// An override for a field without a column is a typo or a leftover: say so rather than
/// ignore it.
fn check_unused_override(
    field: RecoveredField,
    conv: &RawConversions,
    at: &Located<'_>,
) -> Result<()> {
    let span = conv
        .fields
        .amount(field)
        .map(|s| s.span())
        .or_else(|| conv.fields.timestamp(field).map(|s| s.span()));
    match span {
        Some(s) => Err(at.error(
            Some(s.start),
            &format!("conversions.fields.{field} is set but [columns] maps no {field}"),
        )),
        None => Ok(()),
    }
}

/// Amount and timestamp conversions have no default: cents read as euros, or local time read
/// as UTC, would silently compare wrong values.
fn conversion_for(
    field: RecoveredField,
    col: &Spanned<String>,
    conv: &RawConversions,
    at: &Located<'_>,
) -> Result<Conversion> {
    if field.is_amount() {
        let c = conv
            .fields
            .amount(field)
            .map(|s| *s.get_ref())
            .or(conv.amounts);
        return c.map(Conversion::Amount).ok_or_else(|| {
            at.at(
                col,
                &format!(
                    "{field} is mapped but [conversions] has no `amounts` (decimal or \
                     minor_units)"
                ),
            )
        });
    }
    if field.is_timestamp() {
        let c = conv
            .fields
            .timestamp(field)
            .map(|s| *s.get_ref())
            .or(conv.timestamps);
        return c.map(Conversion::Timestamp).ok_or_else(|| {
            at.at(
                col,
                &format!(
                    "{field} is mapped but [conversions] has no `timestamps` (rfc3339_utc, \
                     unix_seconds, naive_utc or naive_local)"
                ),
            )
        });
    }
    match field {
        RecoveredField::Status => {
            let v = conv.status.clone().ok_or_else(|| {
                at.at(
                    col,
                    "status is mapped but there is no [conversions.status] (the database's \
                     words for confirmed and cancelled)",
                )
            })?;
            if v.confirmed.trim().is_empty()
                || v.cancelled.trim().is_empty()
                || v.confirmed == v.cancelled
            {
                return Err(at.at(
                    col,
                    "[conversions.status]: confirmed and cancelled must be two different, \
                     non-empty values",
                ));
            }
            Ok(Conversion::Status(v))
        }
        RecoveredField::Currency => Ok(Conversion::Currency),
        _ => Ok(Conversion::Text),
    }
}

fn check_tenant(raw: &RawTenant, at: &Located<'_>) -> Result<TenantColumn> {
    let column = check_column_name(&raw.column, "tenant", at)?;
    let fill = match raw.fill.get_ref() {
        FillKind::Lookup => {
            if let Some(v) = &raw.values {
                return Err(at.at(v, "tenant.values is only for fill = \"literal\""));
            }
            let q = raw.query.as_ref().ok_or_else(|| {
                at.at(
                    &raw.fill,
                    "fill = \"lookup\" needs `query` (a SELECT with one `?` for the tenant slug)",
                )
            })?;
            check_lookup_query(q.get_ref()).map_err(|m| at.at(q, &m))?;
            TenantFill::Lookup(q.get_ref().trim().trim_end_matches(';').trim().to_string())
        }
        FillKind::Literal => {
            if let Some(q) = &raw.query {
                return Err(at.at(q, "tenant.query is only for fill = \"lookup\""));
            }
            let v = raw.values.as_ref().ok_or_else(|| {
                at.at(
                    &raw.fill,
                    "fill = \"literal\" needs [tenant.values] (tenant slug = value)",
                )
            })?;
            check_literal_values(v, at)?;
            TenantFill::Literal(
                v.get_ref()
                    .iter()
                    .map(|(slug, value)| (slug.clone(), value.get_ref().clone()))
                    .collect(),
            )
        }
    };
    Ok(TenantColumn { column, fill })
}

fn check_literal_values(
    v: &Spanned<BTreeMap<String, Spanned<SqlValue>>>,
    at: &Located<'_>,
) -> Result<()> {
    if v.get_ref().is_empty() {
        return Err(at.at(v, "[tenant.values] is empty"));
    }
    let mut seen: BTreeMap<String, &str> = BTreeMap::new();
    for (slug, value) in v.get_ref() {
        if let Some(other) = seen.insert(value.get_ref().canonical(), slug) {
            return Err(at.at(
                value,
                &format!(
                    "tenants `{other}` and `{slug}` have the same value {value}: their bookings \
                     could not be told apart"
                ),
            ));
        }
    }
    Ok(())
}

/// The lookup is run as a prepared statement with the slug bound, on a read-only connection;
/// these checks catch mapping mistakes early (a second statement, a missing or extra
/// placeholder) with the mapping's line rather than a driver error later.
fn check_lookup_query(q: &str) -> std::result::Result<(), String> {
    let trimmed = q.trim();
    let first = trimmed
        .split(|c: char| !c.is_ascii_alphabetic())
        .next()
        .unwrap_or("")
        .to_ascii_uppercase();
    if first != "SELECT" && first != "WITH" {
        return Err(format!("tenant.query must be a SELECT, not `{trimmed}`"));
    }
    let mut placeholders = 0;
    let mut quote: Option<char> = None;
    let chars: Vec<char> = trimmed.trim_end_matches(';').chars().collect();
    for (i, &c) in chars.iter().enumerate() {
        match quote {
            Some(qc) if c == qc => quote = None,
            Some(_) => {}
            None => match c {
                '\'' | '"' | '`' => quote = Some(c),
                ';' => return Err("tenant.query must be a single statement (a `;` inside)".into()),
                '?' => {
                    if chars.get(i + 1).is_some_and(|n| n.is_ascii_digit()) {
                        return Err("tenant.query: use a plain `?`, not a numbered one".into());
                    }
                    placeholders += 1;
                }
                _ => {}
            },
        }
    }
    if placeholders != 1 {
        return Err(format!(
            "tenant.query must have exactly one `?` (bound to the tenant slug), it has \
             {placeholders}"
        ));
    }
    Ok(())
}

fn check_ids(raw: Option<&Spanned<RawIds>>, at: &Located<'_>) -> Result<IdStrategy> {
    let Some(raw) = raw else {
        return Ok(IdStrategy::Database { column: None });
    };
    let column = match &raw.get_ref().column {
        Some(c) => Some(check_column_name(c, "ids", at)?),
        None => None,
    };
    let need = |column: Option<String>, what: &str| {
        column.ok_or_else(|| {
            at.at(
                raw,
                &format!("ids.strategy = \"{what}\" needs `column` (the id column it writes)"),
            )
        })
    };
    Ok(match raw.get_ref().strategy {
        IdKind::Database => IdStrategy::Database { column },
        IdKind::Uuid => IdStrategy::Uuid {
            column: need(column, "uuid")?,
        },
        IdKind::Generated => IdStrategy::Generated {
            column: need(column, "generated")?,
        },
    })
}

fn check_key(
    raw: &Spanned<Vec<Spanned<String>>>,
    columns: &[ColumnMapping],
    tenant_column: &str,
    at: &Located<'_>,
) -> Result<Vec<String>> {
    if raw.get_ref().is_empty() {
        return Err(at.at(
            raw,
            "key is empty: name the columns that identify a booking (e.g. [\"company_id\", \
             \"confirmation_code\"])",
        ));
    }
    let mut key = Vec::new();
    for k in raw.get_ref() {
        let name = check_column_name(k, "key", at)?;
        let mapped = name == tenant_column || columns.iter().any(|c| c.column == name);
        if !mapped {
            return Err(at.at(
                k,
                &format!(
                    "key column `{name}` is not mapped: it must be the tenant column or a \
                     column in [columns]"
                ),
            ));
        }
        if key.contains(&name) {
            return Err(at.at(k, &format!("key column `{name}` is named twice")));
        }
        key.push(name);
    }
    Ok(key)
}

/// A database value, whatever the driver: conversions read these so that they work the same
/// for SQLite now and other databases later.
#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    Null,
    Integer(i64),
    Real(f64),
    Text(String),
    /// A value that cannot be a booking field (a blob, text that is not UTF-8).
    Unreadable(String),
}

impl fmt::Display for Cell {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Cell::Null => f.write_str("NULL"),
            Cell::Integer(i) => write!(f, "{i}"),
            Cell::Real(r) => write!(f, "{r}"),
            Cell::Text(s) => write!(f, "'{s}'"),
            Cell::Unreadable(what) => f.write_str(what),
        }
    }
}

impl Cell {
    /// The integer a value stands for, if it is one exactly (`3`, `3.0`, `'3'`).
    fn as_exact_integer(&self) -> Option<i64> {
        match self {
            Cell::Integer(i) => Some(*i),
            Cell::Real(r) if r.fract() == 0.0 && r.abs() < 9.0e15 => Some(*r as i64),
            Cell::Text(s) => s.trim().parse().ok(),
            _ => None,
        }
    }
}

/// Why a value could not be converted (goes into a warning with the row key).
pub type ConversionError = String;

/// Text fields: empty text is no value.
pub fn read_text(cell: &Cell) -> std::result::Result<Option<String>, ConversionError> {
    match cell {
        Cell::Null => Ok(None),
        Cell::Integer(i) => Ok(Some(i.to_string())),
        Cell::Real(r) => Ok(Some(r.to_string())),
        Cell::Text(s) => {
            let t = s.trim();
            Ok((!t.is_empty()).then(|| t.to_string()))
        }
        Cell::Unreadable(what) => Err(format!("{what} is not text")),
    }
}

impl StatusVocabulary {
    /// The recovered status of a database value; exact first, then ignoring case and spaces.
    pub fn read(&self, cell: &Cell) -> std::result::Result<Option<Status>, ConversionError> {
        let Some(v) = read_text(cell)? else {
            return Ok(None);
        };
        for (word, status) in [
            (&self.confirmed, Status::Confirmed),
            (&self.cancelled, Status::Cancelled),
        ] {
            if v == *word || v.eq_ignore_ascii_case(word.trim()) {
                return Ok(Some(status));
            }
        }
        Err(format!(
            "status '{v}' is neither '{}' (confirmed) nor '{}' (cancelled)",
            self.confirmed, self.cancelled
        ))
    }
}

/// Minor units of an amount; `exponent` is the currency's decimal exponent (2 for EUR).
pub fn read_amount(
    conv: AmountConversion,
    cell: &Cell,
    exponent: u32,
) -> std::result::Result<Option<i64>, ConversionError> {
    if *cell == Cell::Null {
        return Ok(None);
    }
    match conv {
        AmountConversion::MinorUnits => cell
            .as_exact_integer()
            .map(Some)
            .ok_or_else(|| format!("{cell} is not an integer amount in minor units")),
        AmountConversion::Decimal => decimal_to_minor(cell, exponent).map(Some),
    }
}

fn decimal_to_minor(cell: &Cell, exponent: u32) -> std::result::Result<i64, ConversionError> {
    let scale = 10i64.pow(exponent.min(6));
    let bad = || format!("{cell} is not a decimal amount");
    match cell {
        Cell::Integer(i) => i.checked_mul(scale).ok_or_else(bad),
        Cell::Real(r) => {
            let v = (r * scale as f64).round();
            if v.is_finite() && v.abs() < 9.0e15 {
                Ok(v as i64)
            } else {
                Err(bad())
            }
        }
        Cell::Text(s) => parse_decimal(s.trim(), exponent.min(6)).ok_or_else(bad),
        _ => Err(bad()),
    }
}

/// Exact decimal text → minor units; more decimals than the currency has must be zeros (a
/// `12.345` EUR is a wrong value, not one to round).
fn parse_decimal(s: &str, exponent: u32) -> Option<i64> {
    let (neg, digits) = match s.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, s.strip_prefix('+').unwrap_or(s)),
    };
    let (int, frac) = digits.split_once('.').unwrap_or((digits, ""));
    if int.is_empty() && frac.is_empty() {
        return None;
    }
    if !int.bytes().all(|b| b.is_ascii_digit()) || !frac.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let exp = exponent as usize;
    let (kept, extra) = if frac.len() > exp {
        (&frac[..exp], &frac[exp..])
    } else {
        (frac, "")
    };
    if extra.bytes().any(|b| b != b'0') {
        return None;
    }
    let mut value: i64 = 0;
    for b in int.bytes().chain(kept.bytes()) {
        value = value.checked_mul(10)?.checked_add(i64::from(b - b'0'))?;
    }
    for _ in kept.len()..exp {
        value = value.checked_mul(10)?;
    }
    Some(if neg { -value } else { value })
}

/// Epoch seconds of a stored time; `tz` is the tenant's zone (for `naive_local`).
pub fn read_timestamp(
    conv: TimestampConversion,
    cell: &Cell,
    tz: chrono_tz::Tz,
) -> std::result::Result<Option<Timestamp>, ConversionError> {
    if *cell == Cell::Null {
        return Ok(None);
    }
    let text = || match cell {
        Cell::Text(s) => Ok(s.trim()),
        _ => Err(format!("{cell} is not a text time")),
    };
    let t = match conv {
        TimestampConversion::UnixSeconds => cell
            .as_exact_integer()
            .ok_or_else(|| format!("{cell} is not a number of seconds since 1970"))?,
        TimestampConversion::Rfc3339Utc => DateTime::parse_from_rfc3339(text()?)
            .map_err(|_| format!("{cell} is not an RFC 3339 time"))?
            .timestamp(),
        TimestampConversion::NaiveUtc => parse_naive(text()?)
            .ok_or_else(|| format!("{cell} is not a YYYY-MM-DD HH:MM:SS time"))?
            .and_utc()
            .timestamp(),
        TimestampConversion::NaiveLocal => {
            let naive = parse_naive(text()?)
                .ok_or_else(|| format!("{cell} is not a YYYY-MM-DD HH:MM:SS time"))?;
            // A repeated hour (autumn DST change) is read as its first occurrence; an hour that
            // does not exist (spring change) cannot have been written by a correct system.
            tz.from_local_datetime(&naive)
                .earliest()
                .ok_or_else(|| format!("{cell} does not exist in {tz} (DST change)"))?
                .timestamp()
        }
    };
    Ok(Some(t))
}

fn parse_naive(s: &str) -> Option<NaiveDateTime> {
    ["%Y-%m-%d %H:%M:%S%.f", "%Y-%m-%dT%H:%M:%S%.f"]
        .iter()
        .find_map(|f| NaiveDateTime::parse_from_str(s, f).ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn samples_path() -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("mappings/target/samples.toml")
    }

    fn parse(text: &str) -> Result<TargetMapping> {
        TargetMapping::parse(text, Path::new("/maps/target/bad.toml"))
    }

    /// A valid mapping to break one line at a time; line numbers below count from 1 here.
    const BASE: &str = r#"table = "bookings"
key = ["company_id", "confirmation_code"]

[columns]
booking_ref = "confirmation_code"
status = "status"
customer_name = "customer_name"
pickup_at = "pickup_at"
return_at = "return_at"
total_amount = "total_cents"

[conversions]
amounts = "minor_units"
timestamps = "rfc3339_utc"

[conversions.status]
confirmed = "booked"
cancelled = "canceled"

[tenant]
column = "company_id"
fill = "lookup"
query = "SELECT id FROM companies WHERE slug = ?"
"#;

    fn assert_error(text: &str, line: usize, needle: &str) {
        let err = parse(text)
            .expect_err("mapping should be rejected")
            .to_string();
        assert!(err.contains("/maps/target/bad.toml"), "no file in: {err}");
        assert!(
            err.contains(&format!("line {line}:")),
            "no line {line} in: {err}"
        );
        assert!(err.contains(needle), "no `{needle}` in: {err}");
    }

    #[test]
    fn samples_mapping_loads() {
        let m = TargetMapping::load(&samples_path()).expect("samples.toml loads");
        assert_eq!(m.table, "bookings");
        assert_eq!(m.key, vec!["company_id", "confirmation_code"]);
        assert_eq!(m.columns.len(), 15, "every recovered field has a column");
        let col = |f| m.column(f).map(|c| c.column.as_str());
        assert_eq!(col(RecoveredField::BookingRef), Some("confirmation_code"));
        assert_eq!(col(RecoveredField::TotalAmount), Some("total_cents"));
        assert_eq!(col(RecoveredField::AmountPaid), Some("paid_cents"));
        assert_eq!(col(RecoveredField::BookedAt), Some("created_at"));
        assert_eq!(
            m.column(RecoveredField::TotalAmount).map(|c| &c.conversion),
            Some(&Conversion::Amount(AmountConversion::MinorUnits))
        );
        assert_eq!(
            m.column(RecoveredField::PickupAt).map(|c| &c.conversion),
            Some(&Conversion::Timestamp(TimestampConversion::Rfc3339Utc))
        );
        match m.column(RecoveredField::Status).map(|c| &c.conversion) {
            Some(Conversion::Status(v)) => {
                assert_eq!(v.write(Status::Confirmed), "booked");
                assert_eq!(v.write(Status::Cancelled), "canceled");
            }
            other => panic!("status conversion: {other:?}"),
        }
        assert_eq!(m.tenant.column, "company_id");
        assert_eq!(
            m.tenant.fill,
            TenantFill::Lookup("SELECT id FROM companies WHERE slug = ?".into())
        );
        assert_eq!(
            m.ids,
            IdStrategy::Database {
                column: Some("id".into())
            }
        );
    }

    #[test]
    fn base_mapping_is_valid() {
        let m = parse(BASE).expect("base parses");
        assert_eq!(m.columns.len(), 6);
    }

    #[test]
    fn unknown_top_level_key_names_file_and_line() {
        let text = BASE.replace("[columns]", "colums_extra = 1\n[columns]");
        assert_error(&text, 4, "unknown field `colums_extra`");
    }

    #[test]
    fn unknown_recovered_field_names_file_and_line() {
        let text = BASE.replace("status = \"status\"", "deposit = \"deposit_cents\"");
        assert_error(&text, 6, "unknown field `deposit`");
    }

    #[test]
    fn unknown_conversion_names_file_and_line() {
        let text = BASE.replace("amounts = \"minor_units\"", "amounts = \"cents\"");
        assert_error(&text, 13, "unknown variant `cents`");
        let text = BASE.replace("timestamps = \"rfc3339_utc\"", "timestamps = \"iso\"");
        assert_error(&text, 14, "unknown variant `iso`");
    }

    #[test]
    fn timestamp_conversion_on_an_amount_is_rejected() {
        let text = format!("{BASE}\n[conversions.fields]\ntotal_amount = \"unix_seconds\"\n");
        assert_error(&text, 26, "unknown variant `unix_seconds`");
    }

    #[test]
    fn identifier_with_semicolon_is_rejected() {
        let text = BASE.replace(
            "customer_name = \"customer_name\"",
            "customer_name = \"customer_name; DROP TABLE bookings\"",
        );
        assert_error(&text, 7, "not a plain identifier");
        let text = BASE.replace("table = \"bookings\"", "table = \"bookings;--\"");
        assert_error(&text, 1, "not a plain identifier");
    }

    #[test]
    fn schema_qualified_table_is_accepted() {
        let text = BASE.replace("table = \"bookings\"", "table = \"public.bookings\"");
        assert_eq!(
            parse(&text).map(|m| m.table).ok(),
            Some("public.bookings".into())
        );
        assert!(!is_table_identifier("a.b.c"));
        assert!(!is_table_identifier("1bookings"));
        assert!(!is_plain_identifier("public.bookings"));
    }

    #[test]
    fn key_column_not_mapped_is_rejected() {
        let text = BASE.replace(
            "key = [\"company_id\", \"confirmation_code\"]",
            "key = [\"company_id\", \"code\"]",
        );
        assert_error(&text, 2, "key column `code` is not mapped");
    }

    #[test]
    fn missing_amount_conversion_is_rejected() {
        let text = BASE.replace("amounts = \"minor_units\"\n", "");
        assert_error(&text, 10, "no `amounts`");
    }

    #[test]
    fn lookup_query_checks() {
        let text = BASE.replace("slug = ?", "slug = 'x'");
        assert_error(&text, 23, "exactly one `?`");
        let text = BASE.replace("slug = ?", "slug = ?; DELETE FROM companies");
        assert_error(&text, 23, "single statement");
        let text = BASE.replace("SELECT id", "DELETE");
        assert_error(&text, 23, "must be a SELECT");
        // A `?` or `;` inside a string literal is not a placeholder or a statement end.
        let text = BASE.replace("slug = ?", "slug = ? AND name <> 'why?;'");
        assert!(parse(&text).is_ok());
    }

    #[test]
    fn literal_tenant_values() {
        let text = BASE.replace(
            "fill = \"lookup\"\nquery = \"SELECT id FROM companies WHERE slug = ?\"\n",
            "fill = \"literal\"\n[tenant.values]\nalpen-autos = 1\nsunset-cars = \"SC\"\n",
        );
        let m = parse(&text).expect("literal mapping parses");
        let TenantFill::Literal(v) = &m.tenant.fill else {
            panic!("expected literal fill");
        };
        assert_eq!(v.get("alpen-autos"), Some(&SqlValue::Integer(1)));
        assert_eq!(v.get("sunset-cars"), Some(&SqlValue::Text("SC".into())));

        let dup = text.replace("sunset-cars = \"SC\"", "sunset-cars = \"1\"");
        assert_error(&dup, 25, "the same value");
    }

    #[test]
    fn id_strategy_needs_a_column() {
        let text = format!("{BASE}\n[ids]\nstrategy = \"uuid\"\n");
        assert_error(&text, 25, "needs `column`");
        let text = format!("{BASE}\n[ids]\nstrategy = \"uuid\"\ncolumn = \"public_id\"\n");
        assert_eq!(
            parse(&text).map(|m| m.ids).ok(),
            Some(IdStrategy::Uuid {
                column: "public_id".into()
            })
        );
        let text = format!("{BASE}\n[ids]\nstrategy = \"serial\"\n");
        assert_error(&text, 26, "unknown variant `serial`");
    }

    #[test]
    fn column_mapped_twice_is_rejected() {
        let text = BASE.replace(
            "customer_name = \"customer_name\"",
            "customer_name = \"status\"",
        );
        assert_error(&text, 7, "mapped twice");
    }

    #[test]
    fn reads_amounts() {
        let dec = AmountConversion::Decimal;
        let minor = AmountConversion::MinorUnits;
        assert_eq!(
            read_amount(minor, &Cell::Integer(12345), 2),
            Ok(Some(12345))
        );
        assert_eq!(read_amount(minor, &Cell::Null, 2), Ok(None));
        assert_eq!(
            read_amount(dec, &Cell::Text("123.45".into()), 2),
            Ok(Some(12345))
        );
        assert_eq!(
            read_amount(dec, &Cell::Text("-7.5".into()), 2),
            Ok(Some(-750))
        );
        assert_eq!(
            read_amount(dec, &Cell::Text("12.300".into()), 2),
            Ok(Some(1230))
        );
        assert_eq!(read_amount(dec, &Cell::Real(99.99), 2), Ok(Some(9999)));
        assert_eq!(read_amount(dec, &Cell::Integer(80), 0), Ok(Some(80)));
        assert!(read_amount(dec, &Cell::Text("12.345".into()), 2).is_err());
        assert!(read_amount(dec, &Cell::Text("€12".into()), 2).is_err());
        assert!(read_amount(minor, &Cell::Text("12.5".into()), 2).is_err());
    }

    #[test]
    fn reads_timestamps() {
        let berlin: chrono_tz::Tz = chrono_tz::Europe::Berlin;
        let utc = chrono_tz::UTC;
        let t = 1_780_308_000; // 2026-06-01T10:00:00Z
        let ts = |c, cell: &str| read_timestamp(c, &Cell::Text(cell.into()), berlin);
        assert_eq!(
            ts(TimestampConversion::Rfc3339Utc, "2026-06-01T10:00:00Z"),
            Ok(Some(t))
        );
        assert_eq!(
            ts(TimestampConversion::Rfc3339Utc, "2026-06-01T12:00:00+02:00"),
            Ok(Some(t))
        );
        assert_eq!(
            ts(TimestampConversion::NaiveUtc, "2026-06-01 10:00:00"),
            Ok(Some(t))
        );
        assert_eq!(
            ts(TimestampConversion::NaiveLocal, "2026-06-01 12:00:00"),
            Ok(Some(t))
        );
        assert_eq!(
            read_timestamp(TimestampConversion::UnixSeconds, &Cell::Integer(t), utc),
            Ok(Some(t))
        );
        // 02:30 on the spring DST change does not exist in Berlin.
        assert!(ts(TimestampConversion::NaiveLocal, "2026-03-29 02:30:00").is_err());
        assert!(ts(TimestampConversion::Rfc3339Utc, "yesterday").is_err());
        assert!(read_timestamp(TimestampConversion::Rfc3339Utc, &Cell::Integer(t), utc).is_err());
    }

    #[test]
    fn reads_status() {
        let v = StatusVocabulary {
            confirmed: "booked".into(),
            cancelled: "canceled".into(),
        };
        assert_eq!(
            v.read(&Cell::Text("booked".into())),
            Ok(Some(Status::Confirmed))
        );
        assert_eq!(
            v.read(&Cell::Text("CANCELED".into())),
            Ok(Some(Status::Cancelled))
        );
        assert!(v.read(&Cell::Text("pending".into())).is_err());
    }
}
