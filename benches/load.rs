//! Loading 100k recovered bookings into PostgreSQL (`cargo bench --bench load`), compared with
//! `psql \copy` of the same rows as CSV into an identical empty table.
//!
//! gapfill's figure is the whole `load --apply`: read bookings.csv, read the table through the
//! mapping (gap diff), plan, COPY into staging, checks, insert-if-absent, ids read back, audit
//! rows, commit. `\copy` only moves the rows. Needs the PostgreSQL server at 127.0.0.1:5432
//! (trust auth); prints `SKIPPED` without it. Set `GAPFILL_BENCH_ROWS` for another size.

use std::path::Path;
use std::time::Instant;

const ADMIN: &str = "postgres://postgres@127.0.0.1:5432/test";

const SCHEMA: &str = "
CREATE TABLE companies (id INTEGER PRIMARY KEY, slug TEXT NOT NULL UNIQUE, name TEXT NOT NULL);
CREATE TABLE bookings (id BIGSERIAL PRIMARY KEY, company_id INTEGER NOT NULL REFERENCES companies(id),
  confirmation_code TEXT NOT NULL, status TEXT NOT NULL CHECK (status IN ('booked','canceled')),
  customer_name TEXT NOT NULL, customer_email TEXT, customer_phone TEXT, vehicle TEXT,
  pickup_at TIMESTAMPTZ NOT NULL, return_at TIMESTAMPTZ NOT NULL, pickup_location TEXT,
  return_location TEXT, total_cents INTEGER, currency TEXT NOT NULL,
  paid_cents INTEGER NOT NULL DEFAULT 0, refunded_cents INTEGER NOT NULL DEFAULT 0,
  created_at TIMESTAMPTZ NOT NULL, UNIQUE (company_id, confirmation_code));
INSERT INTO companies VALUES (1, 'alpen-autos', 'Alpen Autos GmbH'), (2, 'sunset-cars', 'Sunset Cars LLC');
";

const PLAN: &str = r#"output = "out"

[window]
since = "2026-01-01T00:00:00Z"
until = "2027-01-01T00:00:00Z"

[database]
kind = "postgres"
mapping = "../mappings/target/samples.toml"

[[tenants]]
slug = "alpen-autos"
name = "Alpen Autos GmbH"
timezone = "Europe/Berlin"
currency = "EUR"

[[tenants]]
slug = "sunset-cars"
name = "Sunset Cars LLC"
timezone = "America/New_York"
currency = "USD"
"#;

fn main() {
    if let Err(e) = run() {
        eprintln!("bench failed: {e:#}");
        std::process::exit(1);
    }
}

fn fresh_db(admin: &mut postgres::Client, name: &str) -> anyhow::Result<String> {
    admin.batch_execute(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))?;
    admin.batch_execute(&format!("CREATE DATABASE {name}"))?;
    let url = format!("postgres://postgres@127.0.0.1:5432/{name}");
    let mut c = postgres::Client::connect(&url, postgres::NoTls)?;
    c.batch_execute(SCHEMA)?;
    Ok(url)
}

fn run() -> anyhow::Result<()> {
    let n: usize = std::env::var("GAPFILL_BENCH_ROWS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(100_000);
    let mut admin = match postgres::Client::connect(ADMIN, postgres::NoTls) {
        Ok(c) => c,
        Err(e) => {
            println!("SKIPPED: PostgreSQL not reachable at {ADMIN}: {e}");
            return Ok(());
        }
    };
    let tmp = tempfile::tempdir()?;
    let root = tmp.path();
    std::fs::create_dir_all(root.join("plan/out"))?;
    std::fs::create_dir_all(root.join("mappings/target"))?;
    std::fs::copy(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("mappings/target/samples.toml"),
        root.join("mappings/target/samples.toml"),
    )?;
    let plan = root.join("plan/recovery.toml");
    std::fs::write(&plan, PLAN)?;
    let bookings = root.join("plan/out/bookings.csv");
    let rows_csv = root.join("rows.csv");
    write_inputs(n, &bookings, &rows_csv)?;

    let pid = std::process::id();
    let url_a = fresh_db(&mut admin, &format!("gapfill_bench_load_{pid}"))?;
    let url_b = fresh_db(&mut admin, &format!("gapfill_bench_copy_{pid}"))?;

    let opts = |apply| gapfill::load::apply::LoadOptions {
        plan: plan.clone(),
        bookings: None,
        database_url: Some(url_a.clone()),
        apply,
    };
    // Where a dry run's time goes: reading the CSV, reading the table, deciding the rows.
    let plan_v = gapfill::plan::Plan::load(&plan)?;
    let mapping = gapfill::load::plan_mapping(&plan_v)?;
    let t = Instant::now();
    let input = gapfill::load::input::read_bookings(&bookings, &plan_v)?;
    let read_csv_s = t.elapsed().as_secs_f64();
    let t = Instant::now();
    let url = gapfill::load::url::DbUrl::parse(&url_a)?;
    let mut conn = gapfill::load::db::Conn::connect(&url, gapfill::load::db::Access::ReadOnly)?;
    let resolved = gapfill::gap::read_conn(&mut conn, &mapping, &plan_v)?;
    let read_db_s = t.elapsed().as_secs_f64();
    let t = Instant::now();
    let resolver = gapfill::load::tenant_resolver(&resolved.tenants, &mapping);
    let planned = gapfill::load::plan_rows(
        &input.bookings,
        &mapping,
        &plan_v,
        Some(&resolved.existing),
        &resolver,
    );
    let plan_s = t.elapsed().as_secs_f64();
    anyhow::ensure!(
        planned.insert.len() == n,
        "planned {}",
        planned.insert.len()
    );
    drop(conn);

    let t = Instant::now();
    let dry = gapfill::load::apply::load(&opts(false))?;
    let dry_s = t.elapsed().as_secs_f64();
    let t = Instant::now();
    let applied = gapfill::load::apply::load(&opts(true))?;
    let apply_s = t.elapsed().as_secs_f64();
    anyhow::ensure!(
        applied.inserted == n,
        "inserted {} of {n}",
        applied.inserted
    );
    let _ = dry;

    let cols = "company_id, confirmation_code, status, customer_name, customer_email, \
                customer_phone, vehicle, pickup_at, return_at, pickup_location, return_location, \
                total_cents, currency, paid_cents, refunded_cents, created_at";
    let t = Instant::now();
    let out = std::process::Command::new("psql")
        .args(["-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", &url_b, "-c"])
        .arg(format!(
            "\\copy bookings ({cols}) FROM '{}' WITH (FORMAT csv, HEADER true)",
            rows_csv.display()
        ))
        .output()?;
    let copy_s = t.elapsed().as_secs_f64();
    anyhow::ensure!(
        out.status.success(),
        "psql \\copy failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let mut b = postgres::Client::connect(&url_b, postgres::NoTls)?;
    let copied: i64 = b.query_one("SELECT count(*) FROM bookings", &[])?.get(0);
    anyhow::ensure!(copied as usize == n, "\\copy loaded {copied} of {n}");

    let t = Instant::now();
    let again = gapfill::load::apply::load(&opts(true))?;
    let again_s = t.elapsed().as_secs_f64();
    anyhow::ensure!(again.inserted == 0, "re-run inserted {}", again.inserted);

    println!("load into PostgreSQL, {n} bookings:");
    println!(
        "  gapfill load (dry run: read csv + table, plan)   {dry_s:>7.2} s  {:>9.0} rows/s",
        n as f64 / dry_s
    );
    println!(
        "    of which: read bookings.csv {read_csv_s:.2} s, read table {read_db_s:.2} s, plan \
         rows {plan_s:.2} s"
    );
    println!(
        "  gapfill load --apply (COPY staging, one tx)      {apply_s:>7.2} s  {:>9.0} rows/s",
        n as f64 / apply_s
    );
    println!(
        "  psql \\copy of the same rows as CSV               {copy_s:>7.2} s  {:>9.0} rows/s",
        n as f64 / copy_s
    );
    println!("  gapfill load --apply again (inserts 0)           {again_s:>7.2} s",);
    println!(
        "  apply / \\copy: {:.2}x",
        apply_s / copy_s.max(f64::EPSILON)
    );
    for name in ["load", "copy"] {
        admin.batch_execute(&format!(
            "DROP DATABASE IF EXISTS gapfill_bench_{name}_{pid} WITH (FORCE)"
        ))?;
    }
    Ok(())
}

/// bookings.csv for gapfill, and the same rows in the table's own columns for `\copy`.
fn write_inputs(n: usize, bookings: &Path, rows: &Path) -> anyhow::Result<()> {
    let mut b = csv::Writer::from_path(bookings)?;
    let mut r = csv::Writer::from_path(rows)?;
    // the booking columns of bookings.csv, without the reviewer's ones after them
    b.write_record(&gapfill::export::BOOKING_COLUMNS[..17])?;
    r.write_record(["h"; 16])?;
    let names = [
        "Jürgen Müller",
        "Mary O'Neil",
        "Zoë \"Z\" Ünïcødé 🚗",
        "Seán \\ Ó Briain",
    ];
    let base = 1_780_000_000i64; // 2026-05-28
    for i in 0..n {
        let (tenant, cid, cur) = if i % 2 == 0 {
            ("alpen-autos", "1", "EUR")
        } else {
            ("sunset-cars", "2", "USD")
        };
        let reference = format!("BN-{i:07}");
        let name = format!("{} {i}", names[i % names.len()]);
        let email = format!("customer{i}@example.com");
        let pickup = base + 86_400 * 40 + (i as i64 % 5000) * 3600;
        let ret = pickup + 3 * 86_400;
        let booked = base + 86_400 * 10 + i as i64;
        let cents = 10_000 + (i as i64 % 90_000);
        let rfc = |t: i64| {
            chrono::DateTime::from_timestamp(t, 0)
                .map(|d| d.to_rfc3339_opts(chrono::SecondsFormat::Secs, true))
                .unwrap_or_default()
        };
        let dec = format!("{}.{:02}", cents / 100, cents % 100);
        let status = if i % 10 == 0 {
            "cancelled"
        } else {
            "confirmed"
        };
        b.write_record([
            &format!("{tenant}-{reference}"),
            tenant,
            &reference,
            status,
            &name,
            &email,
            "+49 89 1234567",
            "VW Golf",
            &rfc(pickup),
            &rfc(ret),
            "München Hbf",
            "Flughafen",
            &dec,
            cur,
            &dec,
            "0.00",
            &rfc(booked),
        ])?;
        r.write_record([
            cid,
            &reference,
            if i % 10 == 0 { "canceled" } else { "booked" },
            &name,
            &email,
            "+49 89 1234567",
            "VW Golf",
            &rfc(pickup),
            &rfc(ret),
            "München Hbf",
            "Flughafen",
            &cents.to_string(),
            cur,
            &cents.to_string(),
            "0",
            &rfc(booked),
        ])?;
    }
    b.flush()?;
    r.flush()?;
    Ok(())
}
