//! Helpers for unit tests: a small plan, the shipped vocabulary, evidence builders.
#![cfg(test)]

use std::path::Path;

use crate::evidence::{Evidence, Field, Fields, Kind, Source};
use crate::extract::config::Vocab;
use crate::plan::Plan;

pub fn vocab() -> Vocab {
    Vocab::load(&Path::new(env!("CARGO_MANIFEST_DIR")).join("mappings/fields.toml"))
        .expect("shipped vocabulary loads")
}

pub fn plan() -> (tempfile::TempDir, Plan) {
    let dir = tempfile::tempdir().expect("temp dir");
    let text = r#"
[window]
since = "2026-06-01T00:00:00Z"
until = "2026-09-01T00:00:00Z"

[[tenants]]
slug = "alpen"
name = "Alpen Autos"
timezone = "Europe/Berlin"
currency = "EUR"
stripe_account = "acct_alpen"
"#;
    let p = dir.path().join("plan.toml");
    std::fs::write(&p, text).expect("write plan");
    let plan = Plan::load(&p).expect("plan loads");
    (dir, plan)
}

/// An evidence item of tenant `alpen` with the given fields set at confidence 0.9.
pub fn ev(id: &str, source: Source, kind: Kind, observed: i64, f: Fields) -> Evidence {
    let mut fields = f;
    for fl in Field::ALL {
        if fields.has(fl) && fields.conf[fl as usize] == 0.0 {
            fields.conf[fl as usize] = 0.9;
        }
    }
    Evidence {
        id: id.into(),
        source,
        kind,
        tenant: Some("alpen".into()),
        observed_at: Some(observed),
        first_seen: Some(observed),
        file: "test".into(),
        position: "1".into(),
        extractor: "test".into(),
        confidence: 0.9,
        fields,
        note: None,
    }
}

/// The shipped mappings folder.
pub fn mappings() -> crate::extract::config::Mappings {
    crate::extract::config::Mappings::load(&Path::new(env!("CARGO_MANIFEST_DIR")).join("mappings"))
        .expect("shipped mappings load")
}

/// A plan with tenants in Berlin (EUR), New York (USD, mdy) and Paris (EUR).
pub fn plan3() -> (tempfile::TempDir, Plan) {
    let dir = tempfile::tempdir().expect("temp dir");
    let text = r#"
[window]
since = "2026-01-01T00:00:00Z"
until = "2026-12-01T00:00:00Z"

[[tenants]]
slug = "alpen"
name = "Alpen Autos"
timezone = "Europe/Berlin"
currency = "EUR"
email_senders = ["alpen-autos.example"]

[[tenants]]
slug = "liberty"
name = "Liberty Car Rental"
timezone = "America/New_York"
currency = "USD"
email_senders = ["bookings@liberty.example"]

[[tenants]]
slug = "riviera"
name = "Riviera Location"
timezone = "Europe/Paris"
currency = "EUR"
"#;
    let p = dir.path().join("plan.toml");
    std::fs::write(&p, text).expect("write plan");
    let plan = Plan::load(&p).expect("plan loads");
    (dir, plan)
}
