//! Shared by tests/load_*.rs: a fresh database per test on the real servers of this machine
//! (PostgreSQL 127.0.0.1:5432, MariaDB 127.0.0.1:3306) or a temporary SQLite file, a plan and
//! mapping, a reviewed `bookings.csv` with hostile values, and the real binary.
//!
//! A server that cannot be reached fails the test when `CI` is set; otherwise the test prints
//! `SKIPPED: … not reachable at …` and returns.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::atomic::{AtomicUsize, Ordering};

use mysql::prelude::Queryable;

pub const PG_ADMIN: &str = "postgres://postgres@127.0.0.1:5432/test";
pub const MY_ADMIN: &str = "mysql://root@127.0.0.1:3306/test";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Pg,
    My,
    Lite,
}

impl Kind {
    pub fn dialect(self) -> &'static str {
        match self {
            Kind::Pg => "postgres",
            Kind::My => "mysql",
            Kind::Lite => "sqlite",
        }
    }
}

static COUNTER: AtomicUsize = AtomicUsize::new(0);

/// A database of one test, dropped at the end.
pub struct TestDb {
    pub kind: Kind,
    /// The URL the binary gets (DATABASE_URL).
    pub url: String,
    pub name: String,
    pub dir: tempfile::TempDir,
}

fn unreachable(what: &str, at: &str, err: &str) -> Option<TestDb> {
    if std::env::var_os("CI").is_some() {
        panic!("{what} not reachable at {at} (CI is set, so this fails): {err}");
    }
    eprintln!("SKIPPED: {what} not reachable at {at}: {err}");
    None
}

impl TestDb {
    /// A fresh database with the test schema and two tenants, or `None` when skipped.
    pub fn create(kind: Kind, tag: &str) -> Option<TestDb> {
        let dir = tempfile::tempdir().expect("tempdir");
        let n = COUNTER.fetch_add(1, Ordering::SeqCst);
        let name = format!("gapfill_t_{}_{}_{n}", std::process::id(), tag);
        let url = match kind {
            Kind::Pg => {
                let mut c = match postgres::Client::connect(PG_ADMIN, postgres::NoTls) {
                    Ok(c) => c,
                    Err(e) => return unreachable("PostgreSQL", PG_ADMIN, &e.to_string()),
                };
                c.batch_execute(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                    .expect("drop old test db");
                c.batch_execute(&format!("CREATE DATABASE {name}"))
                    .expect("create test db");
                format!("postgres://postgres@127.0.0.1:5432/{name}")
            }
            Kind::My => {
                let mut c =
                    match mysql::Conn::new(mysql::Opts::from_url(MY_ADMIN).expect("admin url")) {
                        Ok(c) => c,
                        Err(e) => return unreachable("MariaDB", MY_ADMIN, &e.to_string()),
                    };
                c.query_drop(format!("DROP DATABASE IF EXISTS {name}"))
                    .expect("drop old test db");
                c.query_drop(format!(
                    "CREATE DATABASE {name} CHARACTER SET utf8mb4 COLLATE utf8mb4_bin"
                ))
                .expect("create test db");
                format!("mysql://root@127.0.0.1:3306/{name}")
            }
            Kind::Lite => {
                let p = dir.path().join("restored.sqlite");
                rusqlite::Connection::open(&p).expect("create sqlite");
                format!("sqlite://{}", p.display())
            }
        };
        let db = TestDb {
            kind,
            url,
            name,
            dir,
        };
        db.exec(&schema(kind));
        db.exec(&seed(kind));
        Some(db)
    }

    pub fn sqlite_path(&self) -> PathBuf {
        self.dir.path().join("restored.sqlite")
    }

    /// Runs statements (separated by `;` at line ends).
    pub fn exec(&self, sql: &str) {
        match self.kind {
            Kind::Pg => {
                let mut c = postgres::Client::connect(&self.url, postgres::NoTls).expect("pg");
                c.batch_execute(sql).expect("pg exec");
            }
            Kind::My => {
                let mut c =
                    mysql::Conn::new(mysql::Opts::from_url(&self.url).expect("url")).expect("my");
                for stmt in sql.split(";\n").map(str::trim).filter(|s| !s.is_empty()) {
                    c.query_drop(stmt).unwrap_or_else(|e| panic!("{stmt}: {e}"));
                }
            }
            Kind::Lite => {
                let c = rusqlite::Connection::open(self.sqlite_path()).expect("sqlite");
                c.execute_batch(sql).expect("sqlite exec");
            }
        }
    }

    /// Every value as text (NULL as `None`).
    pub fn rows(&self, sql: &str) -> Vec<Vec<Option<String>>> {
        match self.kind {
            Kind::Pg => {
                let mut c = postgres::Client::connect(&self.url, postgres::NoTls).expect("pg");
                c.simple_query(sql)
                    .expect("pg query")
                    .into_iter()
                    .filter_map(|m| match m {
                        postgres::SimpleQueryMessage::Row(r) => {
                            Some((0..r.len()).map(|i| r.get(i).map(str::to_string)).collect())
                        }
                        _ => None,
                    })
                    .collect()
            }
            Kind::My => {
                let mut c =
                    mysql::Conn::new(mysql::Opts::from_url(&self.url).expect("url")).expect("my");
                let rows: Vec<mysql::Row> = c.query(sql).expect("my query");
                rows.into_iter()
                    .map(|r| {
                        (0..r.len())
                            .map(|i| match r.as_ref(i) {
                                Some(mysql::Value::NULL) | None => None,
                                Some(mysql::Value::Bytes(b)) => {
                                    Some(String::from_utf8(b.clone()).expect("utf8"))
                                }
                                Some(v) => Some(v.as_sql(true)),
                            })
                            .collect()
                    })
                    .collect()
            }
            Kind::Lite => {
                let c = rusqlite::Connection::open(self.sqlite_path()).expect("sqlite");
                let mut s = c.prepare(sql).expect("prepare");
                let n = s.column_count();
                let mut rows = s.query([]).expect("query");
                let mut out = Vec::new();
                while let Some(r) = rows.next().expect("row") {
                    out.push(
                        (0..n)
                            .map(|i| match r.get_ref(i).expect("value") {
                                rusqlite::types::ValueRef::Null => None,
                                rusqlite::types::ValueRef::Integer(i) => Some(i.to_string()),
                                rusqlite::types::ValueRef::Real(f) => Some(f.to_string()),
                                rusqlite::types::ValueRef::Text(t) => {
                                    Some(String::from_utf8(t.to_vec()).expect("utf8"))
                                }
                                rusqlite::types::ValueRef::Blob(b) => Some(format!("{b:?}")),
                            })
                            .collect(),
                    );
                }
                out
            }
        }
    }

    /// The whole bookings table, in id order: the "checksum" compared before and after.
    pub fn dump(&self) -> Vec<Vec<Option<String>>> {
        self.rows("SELECT * FROM bookings ORDER BY id")
    }

    pub fn has_audit(&self) -> bool {
        let sql = match self.kind {
            Kind::Pg => "SELECT count(*) FROM information_schema.schemata WHERE schema_name = 'gapfill'",
            Kind::My => "SELECT count(*) FROM information_schema.tables WHERE table_schema = DATABASE() AND table_name = 'gapfill_batches'",
            Kind::Lite => "SELECT count(*) FROM sqlite_master WHERE name = 'gapfill_batches'",
        };
        self.rows(sql)[0][0].as_deref() != Some("0")
    }

    /// Batches recorded (0 when there is no audit table).
    pub fn batches(&self) -> usize {
        if !self.has_audit() {
            return 0;
        }
        let t = if self.kind == Kind::Pg {
            "gapfill.batches"
        } else {
            "gapfill_batches"
        };
        self.rows(&format!("SELECT batch_id FROM {t}")).len()
    }

    /// Writes plan, mapping and bookings.csv into the test folder; returns the plan path.
    pub fn world(&self, bookings: &[Rec]) -> PathBuf {
        let d = self.dir.path();
        std::fs::create_dir_all(d.join("out")).expect("out dir");
        std::fs::write(d.join("mapping.toml"), mapping(self.kind)).expect("mapping");
        let kind = self.kind.dialect();
        let path_line = if self.kind == Kind::Lite {
            "path = \"restored.sqlite\"\n"
        } else {
            ""
        };
        std::fs::write(
            d.join("recovery.toml"),
            format!(
                "output = \"out\"\n\n[window]\nsince = \"2026-06-01T00:00:00Z\"\nuntil = \
                 \"2026-09-01T00:00:00Z\"\n\n[database]\nkind = \"{kind}\"\n{path_line}mapping = \
                 \"mapping.toml\"\n\n{TENANTS}"
            ),
        )
        .expect("plan");
        write_bookings(&d.join("out/bookings.csv"), bookings);
        d.join("recovery.toml")
    }

    /// The binary with DATABASE_URL set to this database.
    pub fn gapfill(&self, args: &[&str]) -> Output {
        self.command(args).output().expect("run gapfill")
    }

    pub fn command(&self, args: &[&str]) -> Command {
        let mut c = Command::new(env!("CARGO_BIN_EXE_gapfill"));
        c.args(args)
            .current_dir(self.dir.path())
            .env("DATABASE_URL", &self.url)
            .env_remove("GAPFILL_PAUSE_BEFORE_COMMIT");
        c
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        match self.kind {
            Kind::Pg => {
                if let Ok(mut c) = postgres::Client::connect(PG_ADMIN, postgres::NoTls) {
                    let _ = c.batch_execute(&format!(
                        "DROP DATABASE IF EXISTS {} WITH (FORCE)",
                        self.name
                    ));
                }
            }
            Kind::My => {
                if let Ok(mut c) =
                    mysql::Conn::new(mysql::Opts::from_url(MY_ADMIN).expect("admin url"))
                {
                    let _ = c.query_drop(format!("DROP DATABASE IF EXISTS {}", self.name));
                }
            }
            Kind::Lite => {}
        }
    }
}

pub const TENANTS: &str = r#"[[tenants]]
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

/// The platform's schema in each dialect. PostgreSQL stores times as `timestamptz` and cents as
/// integers; MariaDB times as `DATETIME` (UTC) and amounts as `DECIMAL`; SQLite as the samples
/// (RFC 3339 text, integer cents).
pub fn schema(kind: Kind) -> String {
    let (id, ts, money, txt, tail) = match kind {
        Kind::Pg => (
            "BIGSERIAL PRIMARY KEY",
            "TIMESTAMPTZ",
            "INTEGER",
            "TEXT",
            "",
        ),
        Kind::My => (
            "BIGINT AUTO_INCREMENT PRIMARY KEY",
            "DATETIME",
            "DECIMAL(12,2)",
            "VARCHAR(255)",
            " ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin",
        ),
        Kind::Lite => (
            "INTEGER PRIMARY KEY AUTOINCREMENT",
            "TEXT",
            "INTEGER",
            "TEXT",
            "",
        ),
    };
    format!(
        "CREATE TABLE companies (id INTEGER PRIMARY KEY, slug {txt} NOT NULL UNIQUE, name {txt} \
         NOT NULL){tail};\n\
         CREATE TABLE bookings (id {id}, company_id INTEGER NOT NULL REFERENCES companies(id), \
         confirmation_code {txt} NOT NULL, status {txt} NOT NULL CHECK (status IN \
         ('booked','canceled')), customer_name {txt} NOT NULL, customer_email {txt}, \
         customer_phone {txt}, vehicle {txt}, pickup_at {ts} NOT NULL, return_at {ts} NOT NULL, \
         pickup_location {txt}, return_location {txt}, total_cents {money}, currency {txt} NOT \
         NULL, paid_cents {money} NOT NULL DEFAULT 0, refunded_cents {money} NOT NULL DEFAULT 0, \
         created_at {ts} NOT NULL, UNIQUE (company_id, confirmation_code)){tail};\n"
    )
}

/// Two tenants and one other company; two bookings the restored database already has.
pub fn seed(kind: Kind) -> String {
    let t = |v: &str| match kind {
        Kind::My => v.replace('T', " ").replace('Z', ""),
        _ => v.to_string(),
    };
    format!(
        "INSERT INTO companies (id, slug, name) VALUES (1, 'alpen-autos', 'Alpen Autos GmbH'), \
         (2, 'sunset-cars', 'Sunset Cars LLC'), (3, 'other-co', 'Other Co');\n\
         INSERT INTO bookings (company_id, confirmation_code, status, customer_name, \
         customer_email, pickup_at, return_at, total_cents, currency, paid_cents, \
         refunded_cents, created_at) VALUES (1, 'AA-1001', 'booked', 'Jürgen Müller', \
         'j.mueller@example.de', '{}', '{}', 450, 'EUR', 450, 0, '{}'), (2, 'SC-501', 'booked', \
         'Mary O''Neil', 'mary@example.com', '{}', '{}', 520, 'USD', 520, 0, '{}');\n",
        t("2026-06-10T07:00:00Z"),
        t("2026-06-14T21:30:00Z"),
        t("2026-05-20T10:00:00Z"),
        t("2026-07-01T15:00:00Z"),
        t("2026-07-03T15:00:00Z"),
        t("2026-06-20T10:00:00Z"),
    )
}

pub fn mapping(kind: Kind) -> String {
    let (amounts, timestamps) = match kind {
        Kind::Pg => ("minor_units", "rfc3339_utc"),
        Kind::My => ("decimal", "naive_utc"),
        Kind::Lite => ("minor_units", "rfc3339_utc"),
    };
    format!(
        r#"table = "bookings"
key = ["company_id", "confirmation_code"]

[columns]
booking_ref = "confirmation_code"
status = "status"
customer_name = "customer_name"
customer_email = "customer_email"
customer_phone = "customer_phone"
vehicle = "vehicle"
pickup_at = "pickup_at"
return_at = "return_at"
pickup_location = "pickup_location"
return_location = "return_location"
total_amount = "total_cents"
currency = "currency"
amount_paid = "paid_cents"
amount_refunded = "refunded_cents"
booked_at = "created_at"

[conversions]
amounts = "{amounts}"
timestamps = "{timestamps}"

[conversions.status]
confirmed = "booked"
cancelled = "canceled"

[tenant]
column = "company_id"
fill = "lookup"
query = "SELECT id FROM companies WHERE slug = ?"

[ids]
strategy = "database"
column = "id"
"#
    )
}

/// One row of bookings.csv.
#[derive(Debug, Clone)]
pub struct Rec {
    pub id: &'static str,
    pub tenant: &'static str,
    pub booking_ref: &'static str,
    pub status: &'static str,
    pub name: &'static str,
    pub email: &'static str,
    pub pickup: &'static str,
    pub ret: &'static str,
    pub location: &'static str,
    pub total: &'static str,
    pub currency: &'static str,
    pub booked_at: &'static str,
}

pub fn write_bookings(path: &Path, recs: &[Rec]) {
    let mut w = csv::Writer::from_path(path).expect("csv");
    // bookings.csv up to `confidence`: what a reviewer hands back
    w.write_record(&gapfill::export::BOOKING_COLUMNS[..18])
        .expect("header");
    for r in recs {
        w.write_record([
            r.id,
            r.tenant,
            r.booking_ref,
            r.status,
            r.name,
            r.email,
            "+49 89 1234567",
            "VW Golf",
            r.pickup,
            r.ret,
            r.location,
            r.location,
            r.total,
            r.currency,
            r.total,
            "0.00",
            r.booked_at,
            "0.950",
        ])
        .expect("row");
    }
    w.flush().expect("flush");
}

/// The hostile names and addresses that must round-trip exactly.
pub const HOSTILE_NAME: &str = "Robert'); DROP TABLE bookings;-- O'Brien \"Bobby\" \\ 🚗";
pub const HOSTILE_EMAIL: &str = "x'or'1'='1\\@example.com";
pub const HOSTILE_LOCATION: &str = "C:\\Temp\\ Zoë 北京 \\'; DELETE FROM companies; --\ttab";
pub const BACKSLASH_END: &str = "Trailing backslash \\";

/// The reviewed recovery: two bookings the database has (one by reference, one by customer and
/// days), four to insert (hostile values among them).
pub fn gap_bookings() -> Vec<Rec> {
    let base = Rec {
        id: "",
        tenant: "alpen-autos",
        booking_ref: "",
        status: "confirmed",
        name: "Anna Schmidt",
        email: "anna@example.de",
        pickup: "2026-07-10T09:00:00+02:00",
        ret: "2026-07-12T18:00:00+02:00",
        location: "München Hbf",
        total: "123.45",
        currency: "EUR",
        booked_at: "2026-06-15T12:00:00+02:00",
    };
    vec![
        Rec {
            id: "alpen-autos-AA1001",
            booking_ref: "AA-1001",
            name: "Jürgen Müller",
            ..base.clone()
        },
        Rec {
            id: "sunset-cars-mary",
            tenant: "sunset-cars",
            booking_ref: "SC-777",
            name: "Mary O'Neil",
            email: "MARY@example.com",
            pickup: "2026-07-01T11:00:00-04:00",
            ret: "2026-07-03T11:00:00-04:00",
            currency: "USD",
            ..base.clone()
        },
        Rec {
            id: "alpen-autos-AA2001",
            booking_ref: "AA-2001",
            name: HOSTILE_NAME,
            email: HOSTILE_EMAIL,
            location: HOSTILE_LOCATION,
            ..base.clone()
        },
        Rec {
            id: "alpen-autos-AA2002",
            booking_ref: "AA-2002",
            status: "cancelled",
            name: BACKSLASH_END,
            email: "",
            location: "Line one\nLine two",
            total: "",
            ..base.clone()
        },
        Rec {
            id: "sunset-cars-SC900",
            tenant: "sunset-cars",
            booking_ref: "SC-900",
            name: "Zoë Ünïcødé 北京 🚙",
            currency: "USD",
            total: "99.90",
            ..base.clone()
        },
        Rec {
            id: "sunset-cars-SC901",
            tenant: "sunset-cars",
            booking_ref: "SC'901\\",
            name: "Ñandú \"quoted\"",
            currency: "USD",
            ..base
        },
    ]
}

/// The refs of [`gap_bookings`] that are new.
pub const NEW_REFS: [&str; 4] = ["AA-2001", "AA-2002", "SC-900", "SC'901\\"];

pub fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

pub fn ok(o: &Output) -> String {
    assert!(
        o.status.success(),
        "gapfill failed: {}\n{}",
        stderr(o),
        stdout(o)
    );
    stdout(o)
}

/// Rows of the new bookings, by reference: (name, email, location, status).
pub fn new_rows(db: &TestDb) -> Vec<Vec<Option<String>>> {
    db.rows(
        "SELECT confirmation_code, customer_name, customer_email, pickup_location, \
         return_location, status FROM bookings WHERE id > 2 ORDER BY confirmation_code",
    )
}

/// What [`new_rows`] must be after a load.
pub fn expected_new_rows() -> Vec<Vec<Option<String>>> {
    let s = |v: &str| Some(v.to_string());
    let mut v = vec![
        vec![
            s("AA-2001"),
            s(HOSTILE_NAME),
            s(HOSTILE_EMAIL),
            s(HOSTILE_LOCATION),
            s(HOSTILE_LOCATION),
            s("booked"),
        ],
        vec![
            s("AA-2002"),
            s(BACKSLASH_END),
            None,
            s("Line one\nLine two"),
            s("Line one\nLine two"),
            s("canceled"),
        ],
        vec![
            s("SC-900"),
            s("Zoë Ünïcødé 北京 🚙"),
            s("anna@example.de"),
            s("München Hbf"),
            s("München Hbf"),
            s("booked"),
        ],
        vec![
            s("SC'901\\"),
            s("Ñandú \"quoted\""),
            s("anna@example.de"),
            s("München Hbf"),
            s("München Hbf"),
            s("booked"),
        ],
    ];
    v.sort();
    v
}

fn totals(out: &str) -> Vec<String> {
    out.lines()
        .find(|l| l.starts_with("total "))
        .map(|l| l.split_whitespace().skip(1).map(str::to_string).collect())
        .unwrap_or_default()
}

fn batch_id(out: &str) -> String {
    out.lines()
        .find_map(|l| l.strip_prefix("batch "))
        .and_then(|l| l.split(':').next())
        .map(str::to_string)
        .unwrap_or_else(|| panic!("no batch id in: {out}"))
}

fn p(path: &Path) -> &str {
    path.to_str().expect("utf-8 path")
}

/// Dry run: the plan is printed, the table is unchanged, no gapfill table appears.
pub fn dry_run_changes_nothing(kind: Kind) {
    let Some(db) = TestDb::create(kind, "dry") else {
        return;
    };
    let plan = db.world(&gap_bookings());
    let before = db.dump();
    let out = ok(&db.gapfill(&["load", p(&plan)]));
    assert!(out.contains("dry run: nothing was changed"), "{out}");
    assert_eq!(
        totals(&out),
        ["4", "2", "0"],
        "insert/present/conflict: {out}"
    );
    assert!(out.contains("matched on booking_ref"), "{out}");
    assert!(out.contains("matched on customer+dates"), "{out}");
    assert_eq!(db.dump(), before, "a dry run changed the table");
    assert!(!db.has_audit(), "a dry run created gapfill tables");
}

/// Apply inserts exactly the gap bookings (hostile values intact), a second load inserts 0,
/// undo restores the exact prior table.
pub fn apply_rerun_undo(kind: Kind) {
    let Some(db) = TestDb::create(kind, "apply") else {
        return;
    };
    let plan = db.world(&gap_bookings());
    let before = db.dump();
    let out = ok(&db.gapfill(&["load", p(&plan), "--apply"]));
    assert!(out.contains("inserted 4 rows, committed"), "{out}");
    let batch = batch_id(&out);
    let after = db.dump();
    assert_eq!(after.len(), before.len() + 4);
    assert_eq!(&after[..before.len()], &before[..], "existing rows changed");
    assert_eq!(
        new_rows(&db),
        expected_new_rows(),
        "values did not round-trip"
    );
    assert!(db.batches() == 1);

    let again = ok(&db.gapfill(&["load", p(&plan), "--apply"]));
    assert!(again.contains("inserted 0 rows"), "{again}");
    assert_eq!(totals(&again), ["0", "6", "0"], "{again}");
    assert_eq!(db.dump(), after, "the second load changed the table");

    let dry = ok(&db.gapfill(&["undo", &batch, "--plan", p(&plan)]));
    assert!(dry.contains("4 still in bookings"), "{dry}");
    assert_eq!(db.dump(), after, "undo without --apply changed the table");
    let undo = ok(&db.gapfill(&["undo", &batch, "--plan", p(&plan), "--apply"]));
    assert!(undo.contains("deleted 4 rows"), "{undo}");
    assert_eq!(db.dump(), before, "undo did not restore the table exactly");
    let twice = db.gapfill(&["undo", &batch, "--plan", p(&plan), "--apply"]);
    assert!(!twice.status.success(), "a batch was undone twice");
    assert!(
        stderr(&twice).contains("already undone"),
        "{}",
        stderr(&twice)
    );
}

/// The real binary, killed (SIGKILL) after staging and copying but before COMMIT, leaves the
/// table as it was and records no batch.
pub fn killed_load_leaves_db_unchanged(kind: Kind) {
    use std::io::BufRead;
    let Some(db) = TestDb::create(kind, "kill") else {
        return;
    };
    let plan = db.world(&gap_bookings());
    let before = db.dump();
    let mut child = db
        .command(&["load", p(&plan), "--apply"])
        .env("GAPFILL_PAUSE_BEFORE_COMMIT", "120")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("spawn gapfill");
    let err = child.stderr.take().expect("stderr");
    let mut seen = String::new();
    for line in std::io::BufReader::new(err).lines() {
        let line = line.expect("stderr line");
        seen.push_str(&line);
        seen.push('\n');
        if line.contains("paused before commit") {
            break;
        }
    }
    assert!(
        seen.contains("paused before commit"),
        "the load ended before the pause: {seen}"
    );
    child.kill().expect("SIGKILL");
    let status = child.wait().expect("wait");
    assert!(!status.success());
    // The server rolls back the dead connection's transaction; wait until it has let go.
    let t0 = std::time::Instant::now();
    while db.dump() != before && t0.elapsed().as_secs() < 20 {
        std::thread::sleep(std::time::Duration::from_millis(200));
    }
    assert_eq!(db.dump(), before, "a killed load left rows behind");
    assert_eq!(db.batches(), 0, "a killed load left a batch record");
    let out = ok(&db.gapfill(&["load", p(&plan), "--apply"]));
    assert!(out.contains("inserted 4 rows"), "{out}");
}

/// A booking the database refuses (NULL customer_name on a NOT NULL column) aborts the whole
/// batch, and the message names it.
pub fn constraint_violation_aborts(kind: Kind) {
    let Some(db) = TestDb::create(kind, "constraint") else {
        return;
    };
    let mut recs = gap_bookings();
    let bad = Rec {
        id: "alpen-autos-BAD3001",
        booking_ref: "AA-3001",
        name: "",
        ..recs[2].clone()
    };
    recs.insert(3, bad);
    let plan = db.world(&recs);
    let before = db.dump();
    let out = db.gapfill(&["load", p(&plan), "--apply"]);
    let err = stderr(&out);
    assert!(
        !out.status.success(),
        "the load did not fail: {}",
        stdout(&out)
    );
    for needle in [
        "alpen-autos-BAD3001",
        "AA-3001",
        "tenant alpen-autos",
        "nothing was loaded",
    ] {
        assert!(err.contains(needle), "no `{needle}` in: {err}");
    }
    assert_eq!(db.dump(), before, "a failed batch left rows behind");
    assert_eq!(db.batches(), 0);
}

/// `gapfill sql` → the dialect's own client → exactly the new rows, hostile values intact;
/// running the file twice inserts nothing the second time.
pub fn sql_file_round_trips(kind: Kind) {
    let Some(db) = TestDb::create(kind, "sqlfile") else {
        return;
    };
    // The bookings file of a recovery is the gap already; AA-1001 is in the database by key.
    let recs: Vec<Rec> = gap_bookings()
        .into_iter()
        .filter(|r| r.booking_ref != "SC-777")
        .collect();
    let plan = db.world(&recs);
    let before = db.dump();
    let file = db.dir.path().join("load.sql");
    ok(&db.gapfill(&["sql", p(&plan), "--dialect", kind.dialect(), "-o", p(&file)]));
    let run = || {
        let input = std::fs::File::open(&file).expect("sql file");
        let out = match kind {
            Kind::Pg => Command::new("psql")
                .args(["-X", "-q", "-d", &db.url, "-f", p(&file)])
                .output(),
            Kind::My => Command::new("mariadb")
                .args(["-h", "127.0.0.1", "-u", "root", &db.name])
                .stdin(input)
                .output(),
            Kind::Lite => Command::new("sqlite3")
                .arg(db.sqlite_path())
                .stdin(input)
                .output(),
        }
        .expect("run the dialect's client");
        assert!(
            out.status.success(),
            "client failed: {}\n{}",
            stderr(&out),
            stdout(&out)
        );
    };
    run();
    let after = db.dump();
    assert_eq!(after.len(), before.len() + 4);
    assert_eq!(&after[..before.len()], &before[..]);
    assert_eq!(
        new_rows(&db),
        expected_new_rows(),
        "values did not round-trip"
    );
    run();
    assert_eq!(db.dump(), after, "running the file twice inserted again");
}

/// The gap diff of `recover` reads the server through the same mapping: the seeded rows come
/// back with their references, times and amounts converted (`timestamptz`, `DATETIME`,
/// `DECIMAL`). The URL comes from the variable the plan's `url_env` names.
pub fn gap_diff_reads_the_database(kind: Kind) {
    let Some(db) = TestDb::create(kind, "gapdiff") else {
        return;
    };
    let plan_path = db.world(&gap_bookings());
    let var = format!("GAPFILL_TEST_URL_{}", kind.dialect().to_uppercase());
    if kind != Kind::Lite {
        let text = std::fs::read_to_string(&plan_path).expect("plan");
        let text = text.replace(
            "mapping = \"mapping.toml\"",
            &format!("mapping = \"mapping.toml\"\nurl_env = \"{var}\""),
        );
        std::fs::write(&plan_path, text).expect("plan");
        std::env::set_var(&var, &db.url);
    }
    let plan = gapfill::plan::Plan::load(&plan_path).expect("plan loads");
    let dbcfg = plan.database.clone().expect("[database]");
    let existing = gapfill::gap::read_existing(&plan, &dbcfg).expect("read the database");
    assert_eq!(existing.len(), 2, "warnings: {:?}", existing.warnings);
    assert!(existing.warnings.is_empty(), "{:?}", existing.warnings);
    let aa = existing
        .find_by_ref("alpen-autos", " aa-1001 ")
        .expect("AA-1001 found by normalized ref");
    assert_eq!(aa.pickup_at, Some(1_781_074_800)); // 2026-06-10T07:00:00Z
    assert_eq!(aa.booked_at, Some(1_779_271_200)); // 2026-05-20T10:00:00Z
    let minor = if kind == Kind::My { 45_000 } else { 450 };
    assert_eq!(aa.total, Some(minor));
    assert_eq!(aa.customer_name.as_deref(), Some("Jürgen Müller"));
    assert!(existing.find_by_ref("sunset-cars", "SC-501").is_some());
    assert!(existing.find_by_ref("alpen-autos", "SC-501").is_none());
}

/// A password in the URL is never printed: not in the plan output, not in a batch message, not
/// in a connection error.
pub fn password_is_never_printed(kind: Kind) {
    let Some(db) = TestDb::create(kind, "secret") else {
        return;
    };
    let plan = db.world(&gap_bookings());
    let secret = "Sekr3t-Pw_42";
    let (good, bad) = match kind {
        // trust auth: the password is not checked, so the load works with it in the URL
        Kind::Pg => (
            Some(db.url.replace("postgres@", &format!("postgres:{secret}@"))),
            db.url
                .replace("postgres@", &format!("postgres:{secret}@"))
                .replace(&db.name, "no_such_database_here"),
        ),
        Kind::My => (None, db.url.replace("root@", &format!("root:{secret}@"))),
        Kind::Lite => return,
    };
    if let Some(url) = &good {
        for args in [vec!["load", p(&plan)], vec!["load", p(&plan), "--apply"]] {
            let mut c = db.command(&args);
            let o = c.env("DATABASE_URL", url).output().expect("run");
            let all = format!("{}{}", stdout(&o), stderr(&o));
            assert!(o.status.success(), "{all}");
            assert!(!all.contains(secret), "password printed: {all}");
            assert!(all.contains("***"), "no redacted URL in: {all}");
        }
    }
    let o = db
        .command(&["load", p(&plan)])
        .env("DATABASE_URL", &bad)
        .output()
        .expect("run");
    let all = format!("{}{}", stdout(&o), stderr(&o));
    assert!(!o.status.success(), "{all}");
    assert!(!all.contains(secret), "password printed: {all}");
}

/// A row that another unique constraint (not the key) would reject: `ON CONFLICT DO NOTHING`
/// would skip it silently, so the count check catches it and the booking is named.
pub fn other_unique_constraint_aborts(kind: Kind) {
    let Some(db) = TestDb::create(kind, "unique") else {
        return;
    };
    db.exec("CREATE UNIQUE INDEX bookings_name ON bookings (customer_name);\n");
    let mut recs = gap_bookings();
    recs.push(Rec {
        id: "alpen-autos-AA4001",
        tenant: "alpen-autos",
        currency: "EUR",
        booking_ref: "AA-4001",
        name: "Jürgen Müller",
        email: "juergen@example.org",
        ..recs[4].clone()
    });
    let plan = db.world(&recs);
    let before = db.dump();
    let out = db.gapfill(&["load", p(&plan), "--apply"]);
    let err = stderr(&out);
    assert!(!out.status.success(), "{}", stdout(&out));
    assert!(err.contains("alpen-autos-AA4001"), "{err}");
    assert!(err.contains("nothing was loaded"), "{err}");
    assert_eq!(db.dump(), before);
    assert_eq!(db.batches(), 0);
}
