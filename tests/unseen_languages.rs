//! Mails in languages and layouts the synthetic worlds never use (Italian plain text, Dutch
//! HTML table, Portuguese quoted-printable latin-1) and an Italian calendar: the general extractor and the shipped
//! vocabulary alone must read every field, with no template mapping.

use std::path::PathBuf;
use std::process::Command;

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

const PLAN: &str = r#"
output = "out"
[window]
since = "2026-02-01T00:00:00Z"
until = "2026-05-01T00:00:00Z"
[sources]
emails = ["mail"]
[[tenants]]
slug = "roma"
name = "Roma Noleggi SRL"
timezone = "Europe/Rome"
currency = "EUR"
email_senders = ["romanoleggi.example"]
calendars = ["roma.ics"]
[[tenants]]
slug = "amsterdam"
name = "Grachten Autoverhuur BV"
timezone = "Europe/Amsterdam"
currency = "EUR"
email_senders = ["grachten.example"]
[[tenants]]
slug = "lisboa"
name = "Lisboa Rent"
timezone = "Europe/Lisbon"
currency = "EUR"
email_senders = ["lisboarent.example"]
"#;

#[test]
fn italian_dutch_and_portuguese_mails_are_read_without_a_mapping() {
    let dir = tempfile::tempdir().expect("tmp");
    let mail = dir.path().join("mail");
    std::fs::create_dir(&mail).expect("mkdir");
    for f in ["it1.eml", "nl1.eml", "pt1.eml"] {
        std::fs::copy(repo().join("tests/fixtures/unseen").join(f), mail.join(f)).expect("copy");
    }
    let ics = repo().join("tests/fixtures/unseen/roma.ics");
    std::fs::copy(ics, dir.path().join("roma.ics")).expect("copy");
    let plan = format!(
        "mappings = {:?}\n{PLAN}",
        repo().join("mappings").to_string_lossy()
    );
    std::fs::write(dir.path().join("recovery.toml"), plan).expect("plan");
    let run = Command::new(env!("CARGO_BIN_EXE_gapfill"))
        .arg("recover")
        .arg(dir.path().join("recovery.toml"))
        .arg("-q")
        .output()
        .expect("binary runs");
    assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    let mut rdr = csv::Reader::from_path(dir.path().join("out/bookings.csv")).expect("csv");
    let headers = rdr.headers().expect("headers").clone();
    let mut rows: Vec<csv::StringRecord> = rdr.records().map(|r| r.expect("row")).collect();
    let get = |r: &csv::StringRecord, k: &str| {
        headers
            .iter()
            .position(|h| h == k)
            .and_then(|i| r.get(i))
            .unwrap_or("")
            .to_string()
    };
    // the Italian calendar: one event joins the mail's booking, one is a booking of its own
    // whose note is a line of clauses ("RN-48377 - tel. 339 555 0101 - riconsegna presso …")
    assert_eq!(rows.len(), 4);
    let cal = rows.remove(3);
    assert_eq!(get(&cal, "booking_ref"), "RN-48377");
    assert_eq!(get(&cal, "customer_phone"), "+39 339 555 0101");
    assert_eq!(get(&cal, "vehicle"), "Jeep Renegade");
    assert_eq!(get(&cal, "pickup_location"), "Aeroporto di Ciampino");
    assert_eq!(get(&cal, "return_location"), "Roma Termini");
    assert_eq!(get(&cal, "pickup_at"), "2026-03-20T09:00:00+01:00");
    let want = [
        [
            "amsterdam",
            "GA7731",
            "Pieter de Vries",
            "p.devries@ziggo.nl",
            "Volkswagen Polo",
            "2026-03-20T09:00:00+01:00",
            "2026-03-22T17:00:00+01:00",
            "Schiphol Plaza",
            "Amsterdam Centraal",
            "189.00",
        ],
        [
            "lisboa",
            "LR-2026-0042",
            "João Silva",
            "joao.silva@sapo.pt",
            "Renault Clio",
            "2026-04-02T11:00:00+01:00",
            "2026-04-05T15:00:00+01:00",
            "Aeroporto de Lisboa",
            "Aeroporto de Lisboa",
            "145.50",
        ],
        [
            "roma",
            "RN-48213",
            "Giulia Bianchi",
            "giulia.bianchi@libero.it",
            "Fiat 500X",
            "2026-03-14T10:30:00+01:00",
            "2026-03-17T18:00:00+01:00",
            "Roma Termini",
            "Aeroporto di Fiumicino",
            "312.40",
        ],
    ];
    let cols = [
        "tenant",
        "booking_ref",
        "customer_name",
        "customer_email",
        "vehicle",
        "pickup_at",
        "return_at",
        "pickup_location",
        "return_location",
        "total_amount",
    ];
    for (row, want) in rows.iter().zip(want) {
        for (col, w) in cols.iter().zip(want) {
            assert_eq!(get(row, col), w, "{col} of {}", get(row, "booking_ref"));
        }
    }
    assert_eq!(get(&rows[2], "customer_phone"), "+39 347 123 4567");
}
