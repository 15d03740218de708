//! Stripe evidence: API list pages of charges, refunds and payment intents per connected
//! account (complete, real-shaped objects), and a Dashboard payments CSV export.

use std::collections::BTreeMap;
use std::fs::{self, File};
use std::io::{self, BufWriter, Write};
use std::path::Path;

use serde::Serialize;

use super::data::{self, Profile, MONTHS_EN};
use super::fmt;
use super::model::{Booking, Charge, ChargeKind, Refund, Tenant, World};
use super::rng::{Rng, BASE62};
use super::Ledger;

#[derive(Serialize)]
struct Empty {}

#[derive(Serialize)]
struct Address {
    city: Option<String>,
    country: Option<&'static str>,
    line1: Option<String>,
    line2: Option<String>,
    postal_code: Option<String>,
    state: Option<String>,
}

#[derive(Serialize)]
struct BillingDetails {
    address: Address,
    email: Option<String>,
    name: Option<String>,
    phone: Option<String>,
    tax_id: Option<String>,
}

#[derive(Serialize)]
struct Outcome {
    advice_code: Option<&'static str>,
    network_advice_code: Option<&'static str>,
    network_decline_code: Option<&'static str>,
    network_status: &'static str,
    reason: Option<&'static str>,
    risk_level: &'static str,
    risk_score: i64,
    seller_message: &'static str,
    #[serde(rename = "type")]
    type_: &'static str,
}

#[derive(Serialize)]
struct Status {
    status: &'static str,
}

#[derive(Serialize)]
struct Overcapture {
    maximum_amount_capturable: i64,
    status: &'static str,
}

#[derive(Serialize)]
struct NetworkToken {
    used: bool,
}

#[derive(Serialize)]
struct Checks {
    address_line1_check: Option<&'static str>,
    address_postal_code_check: Option<&'static str>,
    cvc_check: Option<&'static str>,
}

#[derive(Serialize)]
struct CardDetails {
    amount_authorized: Option<i64>,
    authorization_code: Option<String>,
    brand: &'static str,
    checks: Checks,
    country: &'static str,
    exp_month: u32,
    exp_year: i32,
    extended_authorization: Status,
    fingerprint: String,
    funding: &'static str,
    incremental_authorization: Status,
    installments: Option<()>,
    last4: String,
    mandate: Option<()>,
    multicapture: Status,
    network: &'static str,
    network_token: NetworkToken,
    network_transaction_id: Option<String>,
    overcapture: Overcapture,
    regulated_status: &'static str,
    three_d_secure: Option<()>,
    wallet: Option<()>,
}

#[derive(Serialize)]
struct PaymentMethodDetails {
    card: CardDetails,
    #[serde(rename = "type")]
    type_: &'static str,
}

/// A charge as `GET /v1/charges` returns it (API version 2024-06-20 shape).
#[derive(Serialize)]
struct ChargeJson {
    id: String,
    object: &'static str,
    amount: i64,
    amount_captured: i64,
    amount_refunded: i64,
    application: Option<()>,
    application_fee: Option<()>,
    application_fee_amount: Option<i64>,
    balance_transaction: Option<String>,
    billing_details: BillingDetails,
    calculated_statement_descriptor: String,
    captured: bool,
    created: i64,
    currency: String,
    customer: Option<String>,
    description: Option<String>,
    destination: Option<()>,
    dispute: Option<()>,
    disputed: bool,
    failure_balance_transaction: Option<()>,
    failure_code: Option<&'static str>,
    failure_message: Option<&'static str>,
    fraud_details: Empty,
    invoice: Option<()>,
    livemode: bool,
    metadata: BTreeMap<&'static str, String>,
    on_behalf_of: Option<()>,
    order: Option<()>,
    outcome: Outcome,
    paid: bool,
    payment_intent: Option<String>,
    payment_method: String,
    payment_method_details: PaymentMethodDetails,
    radar_options: Empty,
    receipt_email: Option<String>,
    receipt_number: Option<String>,
    receipt_url: String,
    refunded: bool,
    review: Option<()>,
    shipping: Option<()>,
    source: Option<()>,
    source_transfer: Option<()>,
    statement_descriptor: Option<()>,
    statement_descriptor_suffix: Option<()>,
    status: &'static str,
    transfer_data: Option<()>,
    transfer_group: Option<()>,
}

#[derive(Serialize)]
struct RefundJson {
    id: String,
    object: &'static str,
    amount: i64,
    balance_transaction: String,
    charge: String,
    created: i64,
    currency: String,
    destination_details: Option<()>,
    metadata: BTreeMap<&'static str, String>,
    payment_intent: String,
    reason: &'static str,
    receipt_number: Option<()>,
    source_transfer_reversal: Option<()>,
    status: &'static str,
    transfer_reversal: Option<()>,
}

#[derive(Serialize)]
struct Tip {}

#[derive(Serialize)]
struct AmountDetails {
    tip: Tip,
}

#[derive(Serialize)]
struct AutomaticPm {
    allow_redirects: &'static str,
    enabled: bool,
}

#[derive(Serialize)]
struct PmConfig {
    id: String,
    parent: Option<()>,
}

#[derive(Serialize)]
struct PmCardOptions {
    installments: Option<()>,
    mandate_options: Option<()>,
    network: Option<()>,
    request_three_d_secure: &'static str,
}

#[derive(Serialize)]
struct PmOptions {
    card: PmCardOptions,
}

#[derive(Serialize)]
struct PaymentIntentJson {
    id: String,
    object: &'static str,
    amount: i64,
    amount_capturable: i64,
    amount_details: AmountDetails,
    amount_received: i64,
    application: Option<()>,
    application_fee_amount: Option<i64>,
    automatic_payment_methods: AutomaticPm,
    canceled_at: Option<i64>,
    cancellation_reason: Option<()>,
    capture_method: &'static str,
    client_secret: String,
    confirmation_method: &'static str,
    created: i64,
    currency: String,
    customer: Option<String>,
    description: Option<String>,
    invoice: Option<()>,
    last_payment_error: Option<()>,
    latest_charge: String,
    livemode: bool,
    metadata: BTreeMap<&'static str, String>,
    next_action: Option<()>,
    on_behalf_of: Option<()>,
    payment_method: String,
    payment_method_configuration_details: PmConfig,
    payment_method_options: PmOptions,
    payment_method_types: Vec<&'static str>,
    processing: Option<()>,
    receipt_email: Option<String>,
    review: Option<()>,
    setup_future_usage: Option<()>,
    shipping: Option<()>,
    source: Option<()>,
    statement_descriptor: Option<()>,
    statement_descriptor_suffix: Option<()>,
    status: &'static str,
    transfer_data: Option<()>,
    transfer_group: Option<()>,
}

#[derive(Serialize)]
struct Page<'a, T> {
    object: &'static str,
    data: &'a [T],
    has_more: bool,
    url: &'static str,
}

/// Card holder name as typed on the card: a nickname, or capitals without accents.
fn cardholder(b: &Booking) -> String {
    if b.f.stripe_nick {
        if let Some(n) = data::nickname(&b.cust.first) {
            return format!("{n} {}", b.cust.last);
        }
        return format!(
            "{} {}",
            data::ascii_fold(&b.cust.first).to_uppercase(),
            data::ascii_fold(&b.cust.last).to_uppercase()
        );
    }
    b.cust.full()
}

/// `14–17 Mar 2026` or `28 Mar–2 Apr 2026`
fn date_range_gb(t: &Tenant, a: i64, b: i64) -> String {
    use chrono::Datelike;
    let (x, y) = (fmt::local(t.tz, a), fmt::local(t.tz, b));
    let mx = &MONTHS_EN[x.month0() as usize][..3];
    let my = &MONTHS_EN[y.month0() as usize][..3];
    if x.month() == y.month() && x.year() == y.year() {
        format!("{}–{} {my} {}", x.day(), y.day(), y.year())
    } else {
        format!("{} {mx}–{} {my} {}", x.day(), y.day(), y.year())
    }
}

/// Description and metadata of a charge, per tenant; and whether it names the pick-up date
/// together with the reference or the customer's name.
fn describe(
    t: &Tenant,
    b: &Booking,
    c: &Charge,
) -> (Option<String>, BTreeMap<&'static str, String>, bool) {
    let st = if c.final_state {
        b.final_state()
    } else {
        &b.orig
    };
    let r = &b.booking_ref;
    let veh = t.vehicle(st.vehicle);
    let ini: String = b.cust.first.chars().take(1).collect();
    let mut md = BTreeMap::new();
    match t.profile {
        Profile::Alpen => {
            let what = if c.kind == ChargeKind::Balance {
                "Restzahlung"
            } else {
                "Anzahlung"
            };
            let d = if b.f.desc_no_ref {
                format!("{what} Mietwagen")
            } else {
                format!("{what} Buchung {r}")
            };
            (Some(d), md, false)
        }
        Profile::Liberty => {
            if b.f.desc_no_ref {
                let (p, q) = (fmt::local(t.tz, st.pickup), fmt::local(t.tz, st.ret));
                let d = format!(
                    "Reservation {ini}. {} {}-{}",
                    b.cust.last,
                    p.format("%m/%d"),
                    q.format("%m/%d")
                );
                return (Some(d), md, true);
            }
            md.insert("booking_ref", r.clone());
            md.insert("customer_email", b.cust.email.clone());
            md.insert("pickup_at", fmt::rfc3339(t.tz, st.pickup));
            md.insert("return_at", fmt::rfc3339(t.tz, st.ret));
            md.insert("vehicle", veh.to_string());
            let d = if c.kind == ChargeKind::Extra {
                format!("Reservation change {r}")
            } else {
                format!("Reservation {r}")
            };
            (Some(d), md, true)
        }
        Profile::Sol => {
            md.insert("booking_ref", r.clone());
            if c.kind == ChargeKind::Balance {
                md.insert("customer_email", b.cust.email.clone());
                md.insert("pickup_at", fmt::rfc3339(t.tz, st.pickup));
                md.insert("return_at", fmt::rfc3339(t.tz, st.ret));
                md.insert("vehicle", veh.to_string());
                (Some(format!("Pago final reserva {r}")), md, true)
            } else {
                (Some(format!("Señal reserva {r}")), md, false)
            }
        }
        Profile::Thames => {
            if b.f.desc_no_ref {
                let (p, q) = (fmt::local(t.tz, st.pickup), fmt::local(t.tz, st.ret));
                let d = format!(
                    "Reservation {ini}. {} {}-{}",
                    b.cust.last,
                    p.format("%d/%m"),
                    q.format("%d/%m")
                );
                return (Some(d), md, true);
            }
            let d = if c.kind == ChargeKind::Extra {
                format!("Hire amendment {r}")
            } else {
                format!(
                    "Car hire {r} – {veh}, {}",
                    date_range_gb(t, st.pickup, st.ret)
                )
            };
            (Some(d), md, true)
        }
        Profile::Sakura => {
            md.insert("booking_ref", r.clone());
            md.insert("pickup_at", fmt::rfc3339_z(st.pickup));
            md.insert("return_at", fmt::rfc3339_z(st.ret));
            md.insert("customer_name", b.cust.full());
            let d = if c.kind == ChargeKind::Extra {
                format!("Reservation change {r}")
            } else {
                format!("{} reservation {r}", t.brand)
            };
            (Some(d), md, true)
        }
        Profile::Riviera => {
            // Only used by the CSV writer.
            let d = if !b.f.csv_ref {
                "Réservation en ligne".to_string()
            } else if c.kind == ChargeKind::Extra {
                format!("Supplément modification {r}")
            } else {
                format!("Réservation {r} – {veh}")
            };
            if b.f.csv_ref {
                md.insert("booking_ref", r.clone());
            }
            md.insert("customer_name", b.cust.full());
            if b.f.csv_pickup {
                md.insert(
                    "pickup",
                    fmt::local(t.tz, st.pickup)
                        .format("%Y-%m-%d %H:%M")
                        .to_string(),
                );
            }
            (Some(d), md, b.f.csv_pickup)
        }
    }
}

fn statement_descriptor(t: &Tenant) -> String {
    data::ascii_fold(&t.brand)
        .to_uppercase()
        .chars()
        .take(22)
        .collect()
}

fn network(brand: &'static str) -> &'static str {
    match brand {
        "amex" => "amex",
        "jcb" => "jcb",
        "discover" => "discover",
        "mastercard" => "mastercard",
        _ => "visa",
    }
}

fn charge_json(t: &Tenant, b: &Booking, c: &Charge, rng: &mut Rng) -> (ChargeJson, bool) {
    let (description, metadata, carries) = describe(t, b, c);
    let with_email = matches!(
        t.profile,
        Profile::Liberty | Profile::Sol | Profile::Thames | Profile::Sakura
    );
    let receipts = t.receipts();
    let outcome = if c.failed {
        Outcome {
            advice_code: Some("try_again_later"),
            network_advice_code: None,
            network_decline_code: None,
            network_status: "declined_by_network",
            reason: Some(if rng.chance(500) {
                "insufficient_funds"
            } else {
                "generic_decline"
            }),
            risk_level: "normal",
            risk_score: rng.range(5, 70),
            seller_message: "The bank did not return any further details with this decline.",
            type_: "issuer_declined",
        }
    } else {
        Outcome {
            advice_code: None,
            network_advice_code: None,
            network_decline_code: None,
            network_status: "approved_by_network",
            reason: None,
            risk_level: "normal",
            risk_score: rng.range(0, 60),
            seller_message: "Payment complete.",
            type_: "authorized",
        }
    };
    let pm = format!("pm_{}", b.rng(0x9A).chars(24, BASE62));
    let json = ChargeJson {
        id: c.id.clone(),
        object: "charge",
        amount: c.amount,
        amount_captured: if c.failed { 0 } else { c.amount },
        amount_refunded: c.refunded,
        application: None,
        application_fee: None,
        application_fee_amount: None,
        balance_transaction: if c.failed {
            None
        } else {
            Some(format!("txn_{}", rng.chars(24, BASE62)))
        },
        billing_details: BillingDetails {
            address: Address {
                city: None,
                country: Some(b.cust.country.iso()),
                line1: None,
                line2: None,
                postal_code: if rng.chance(500) {
                    Some(rng.digits(5))
                } else {
                    None
                },
                state: None,
            },
            email: if with_email {
                Some(b.cust.email.clone())
            } else {
                None
            },
            name: Some(cardholder(b)),
            phone: if t.profile == Profile::Liberty {
                Some(b.cust.phone_intl.replace([' ', '-'], ""))
            } else {
                None
            },
            tax_id: None,
        },
        calculated_statement_descriptor: statement_descriptor(t),
        captured: !c.failed,
        created: c.created,
        currency: t.currency.to_ascii_lowercase(),
        customer: None,
        description,
        destination: None,
        dispute: None,
        disputed: false,
        failure_balance_transaction: None,
        failure_code: if c.failed {
            Some("card_declined")
        } else {
            None
        },
        failure_message: if c.failed {
            Some("Your card was declined.")
        } else {
            None
        },
        fraud_details: Empty {},
        invoice: None,
        livemode: true,
        metadata,
        on_behalf_of: None,
        order: None,
        outcome,
        paid: !c.failed,
        payment_intent: Some(c.pi.clone()),
        payment_method: pm,
        payment_method_details: PaymentMethodDetails {
            card: CardDetails {
                amount_authorized: if c.failed { None } else { Some(c.amount) },
                authorization_code: if c.failed { None } else { Some(rng.digits(6)) },
                brand: b.card.brand,
                checks: Checks {
                    address_line1_check: None,
                    address_postal_code_check: None,
                    cvc_check: Some("pass"),
                },
                country: b.cust.country.iso(),
                exp_month: b.card.exp_month,
                exp_year: b.card.exp_year,
                extended_authorization: Status { status: "disabled" },
                fingerprint: b.card.fingerprint.clone(),
                funding: b.card.funding,
                incremental_authorization: Status {
                    status: "unavailable",
                },
                installments: None,
                last4: b.card.last4.clone(),
                mandate: None,
                multicapture: Status {
                    status: "unavailable",
                },
                network: network(b.card.brand),
                network_token: NetworkToken { used: false },
                network_transaction_id: Some(rng.digits(15)),
                overcapture: Overcapture {
                    maximum_amount_capturable: c.amount,
                    status: "unavailable",
                },
                regulated_status: "unregulated",
                three_d_secure: None,
                wallet: None,
            },
            type_: "card",
        },
        radar_options: Empty {},
        receipt_email: if receipts {
            Some(b.cust.email.clone())
        } else {
            None
        },
        receipt_number: if receipts && !c.failed {
            Some(c.receipt_number.clone())
        } else {
            None
        },
        receipt_url: format!(
            "https://pay.stripe.com/receipts/payment/CAcaFwoVYWNjdF8x{}",
            rng.chars(60, BASE62)
        ),
        refunded: c.refunded > 0 && c.refunded >= c.amount,
        review: None,
        shipping: None,
        source: None,
        source_transfer: None,
        statement_descriptor: None,
        statement_descriptor_suffix: None,
        status: if c.failed { "failed" } else { "succeeded" },
        transfer_data: None,
        transfer_group: None,
    };
    (json, carries)
}

fn refund_json(t: &Tenant, b: &Booking, r: &Refund, rng: &mut Rng) -> RefundJson {
    let c = &b.charges[r.charge];
    let mut metadata = BTreeMap::new();
    if matches!(t.profile, Profile::Liberty | Profile::Sol | Profile::Sakura) && !b.f.desc_no_ref {
        metadata.insert("booking_ref", b.booking_ref.clone());
    }
    RefundJson {
        id: r.id.clone(),
        object: "refund",
        amount: r.amount,
        balance_transaction: format!("txn_{}", rng.chars(24, BASE62)),
        charge: c.id.clone(),
        created: r.created,
        currency: t.currency.to_ascii_lowercase(),
        destination_details: None,
        metadata,
        payment_intent: c.pi.clone(),
        reason: "requested_by_customer",
        receipt_number: None,
        source_transfer_reversal: None,
        status: "succeeded",
        transfer_reversal: None,
    }
}

/// One payment intent per intent id: the amount of its successful charge (or the failed one).
fn payment_intent_json(
    t: &Tenant,
    b: &Booking,
    charges: &[&Charge],
    rng: &mut Rng,
) -> PaymentIntentJson {
    let ok = charges
        .iter()
        .find(|c| !c.failed)
        .or(charges.last())
        .copied()
        .unwrap_or(&b.charges[0]);
    let (description, metadata, _) = describe(t, b, ok);
    PaymentIntentJson {
        id: ok.pi.clone(),
        object: "payment_intent",
        amount: ok.amount,
        amount_capturable: 0,
        amount_details: AmountDetails { tip: Tip {} },
        amount_received: if ok.failed { 0 } else { ok.amount },
        application: None,
        application_fee_amount: None,
        automatic_payment_methods: AutomaticPm {
            allow_redirects: "always",
            enabled: true,
        },
        canceled_at: None,
        cancellation_reason: None,
        capture_method: "automatic_async",
        client_secret: format!("{}_secret_{}", ok.pi, rng.chars(25, BASE62)),
        confirmation_method: "automatic",
        created: pi_created(b, &ok.pi),
        currency: t.currency.to_ascii_lowercase(),
        customer: None,
        description,
        invoice: None,
        last_payment_error: None,
        latest_charge: ok.id.clone(),
        livemode: true,
        metadata,
        next_action: None,
        on_behalf_of: None,
        payment_method: format!("pm_{}", b.rng(0x9A).chars(24, BASE62)),
        payment_method_configuration_details: PmConfig {
            id: format!("pmc_{}", rng.chars(24, BASE62)),
            parent: None,
        },
        payment_method_options: PmOptions {
            card: PmCardOptions {
                installments: None,
                mandate_options: None,
                network: None,
                request_three_d_secure: "automatic",
            },
        },
        payment_method_types: vec!["card"],
        processing: None,
        receipt_email: Some(b.cust.email.clone()),
        review: None,
        setup_future_usage: None,
        shipping: None,
        source: None,
        statement_descriptor: None,
        statement_descriptor_suffix: None,
        status: if ok.failed {
            "requires_payment_method"
        } else {
            "succeeded"
        },
        transfer_data: None,
        transfer_group: None,
    }
}

/// Writes one list page (`{"object": "list", "data": [...], ...}`) pretty-printed, as the
/// API returns it.
fn write_page<T: Serialize>(
    path: &Path,
    url: &'static str,
    items: &[T],
    has_more: bool,
) -> io::Result<()> {
    let mut w = BufWriter::with_capacity(1 << 16, File::create(path)?);
    serde_json::to_writer_pretty(
        &mut w,
        &Page {
            object: "list",
            data: items,
            has_more,
            url,
        },
    )?;
    w.write_all(b"\n")?;
    w.flush()
}

/// Pages of at most `per_page` objects, built lazily so that a huge world never holds all
/// its JSON objects in memory: `make` turns one key into its object.
fn write_paged<K, T: Serialize>(
    dir: &Path,
    stem: &str,
    url: &'static str,
    keys: &[K],
    per_page: usize,
    make: impl Fn(&K) -> T,
) -> io::Result<usize> {
    let n = keys.len().div_ceil(per_page).max(1);
    for i in 0..n {
        let chunk = &keys[(i * per_page).min(keys.len())..((i + 1) * per_page).min(keys.len())];
        let items: Vec<T> = chunk.iter().map(&make).collect();
        write_page(
            &dir.join(format!("{stem}_{}.json", i + 1)),
            url,
            &items,
            i + 1 < n,
        )?;
    }
    Ok(n)
}

/// A stream for one Stripe object, keyed by its id (independent of the writing order).
fn object_rng(b: &Booking, id: &str) -> Rng {
    b.rng(super::rng::hash_str(id))
}

/// API JSON for every tenant with a Stripe account export.
fn write_json(w: &World, t: &Tenant, out: &Path, ledger: &mut Ledger) -> io::Result<()> {
    let dir = out.join("stripe").join(&t.acct);
    fs::create_dir_all(&dir)?;
    // Keys (created, id, booking, index) sorted newest first, as Stripe lists them.
    let mut charges: Vec<(i64, &str, usize, usize)> = Vec::new();
    let mut refunds: Vec<(i64, &str, usize, usize)> = Vec::new();
    let mut intents: Vec<(i64, &str, usize)> = Vec::new();
    for (bi, b) in w.bookings.iter().enumerate() {
        if b.tenant != t.idx || b.charges.is_empty() {
            continue;
        }
        let mut pi_carries: BTreeMap<&str, bool> = BTreeMap::new();
        for (ci, c) in b.charges.iter().enumerate() {
            let (_, _, carries) = describe(t, b, c);
            ledger.add(bi, format!("stripe:{}", c.id), carries);
            charges.push((c.created, c.id.as_str(), bi, ci));
            *pi_carries.entry(c.pi.as_str()).or_default() |= carries;
        }
        for (ri, r) in b.refunds.iter().enumerate() {
            ledger.add(bi, format!("stripe:{}", r.id), false);
            refunds.push((r.created, r.id.as_str(), bi, ri));
        }
        if t.exports_payment_intents() {
            for (pi, carries) in pi_carries {
                ledger.add(bi, format!("stripe:{pi}"), carries);
                intents.push((pi_created(b, pi), pi, bi));
            }
        }
    }
    charges.sort_by(|a, b| (b.0, b.1).cmp(&(a.0, a.1)));
    refunds.sort_by(|a, b| (b.0, b.1).cmp(&(a.0, a.1)));
    intents.sort_by(|a, b| (b.0, b.1).cmp(&(a.0, a.1)));
    ledger.files += write_paged(
        &dir,
        "charges",
        "/v1/charges",
        &charges,
        100,
        |&(_, id, bi, ci)| {
            let b = &w.bookings[bi];
            charge_json(t, b, &b.charges[ci], &mut object_rng(b, id)).0
        },
    )?;
    let refund_objs: Vec<RefundJson> = refunds
        .iter()
        .map(|&(_, id, bi, ri)| {
            let b = &w.bookings[bi];
            refund_json(t, b, &b.refunds[ri], &mut object_rng(b, id))
        })
        .collect();
    write_page(
        &dir.join("refunds.json"),
        "/v1/refunds",
        &refund_objs,
        false,
    )?;
    ledger.files += 1;
    if t.exports_payment_intents() {
        ledger.files += write_paged(
            &dir,
            "payment_intents",
            "/v1/payment_intents",
            &intents,
            100,
            |&(_, pi, bi)| {
                let b = &w.bookings[bi];
                let cs: Vec<&Charge> = b.charges.iter().filter(|c| c.pi == pi).collect();
                payment_intent_json(t, b, &cs, &mut object_rng(b, pi))
            },
        )?;
    }
    Ok(())
}

/// A payment intent is created a few seconds before its first charge.
fn pi_created(b: &Booking, pi: &str) -> i64 {
    let first = b
        .charges
        .iter()
        .filter(|c| c.pi == pi)
        .map(|c| c.created)
        .min()
        .unwrap_or(b.booked_at);
    first - object_rng(b, pi).fork(1).range(2, 30)
}

pub const CSV_HEADER: [&str; 36] = [
    "id",
    "Description",
    "Seller Message",
    "Created date (UTC)",
    "Amount",
    "Amount Refunded",
    "Currency",
    "Captured",
    "Converted Amount",
    "Converted Amount Refunded",
    "Converted Currency",
    "Decline Reason",
    "Fee",
    "Mode",
    "PaymentIntent ID",
    "Payment Source Type",
    "Refunded date (UTC)",
    "Statement Descriptor",
    "Status",
    "Customer ID",
    "Customer Description",
    "Customer Email",
    "Card ID",
    "Card Last4",
    "Card Brand",
    "Card Funding",
    "Card Exp Month",
    "Card Exp Year",
    "Card Name",
    "Card Address Country",
    "Card Issue Country",
    "Card Fingerprint",
    "Taxes On Fee",
    "booking_ref (metadata)",
    "customer_name (metadata)",
    "pickup (metadata)",
];

fn csv_time(ts: i64) -> String {
    fmt::sql_utc(ts)
}

/// Dashboard "Payments" export of one tenant.
fn write_csv(w: &World, t: &Tenant, out: &Path, ledger: &mut Ledger) -> io::Result<()> {
    let dir = out.join("stripe").join("exports");
    fs::create_dir_all(&dir)?;
    let m = |x: i64| fmt::money(x, t.exp, fmt::Money::Csv);
    // Newest first, like the Dashboard; rows are built while writing.
    let mut keys: Vec<(i64, &str, usize, usize)> = Vec::new();
    for (bi, b) in w.bookings.iter().enumerate() {
        if b.tenant != t.idx {
            continue;
        }
        for (ci, c) in b.charges.iter().enumerate() {
            let (_, _, carries) = describe(t, b, c);
            ledger.add(bi, format!("stripe:{}", c.id), carries);
            keys.push((c.created, c.id.as_str(), bi, ci));
        }
    }
    keys.sort_by(|a, b| (b.0, b.1).cmp(&(a.0, a.1)));
    let path = dir.join(format!("{}-unified_payments.csv", t.slug));
    let mut wtr = csv::WriterBuilder::new()
        .terminator(csv::Terminator::CRLF)
        .from_writer(BufWriter::with_capacity(1 << 20, File::create(path)?));
    wtr.write_record(CSV_HEADER).map_err(io::Error::other)?;
    for &(_, id, bi, ci) in &keys {
        let b = &w.bookings[bi];
        let c = &b.charges[ci];
        let mut rng = object_rng(b, id);
        let cust_id = {
            let mut r = b.rng(0xC5F);
            if r.chance(400) {
                format!("cus_{}", r.chars(14, BASE62))
            } else {
                String::new()
            }
        };
        {
            let (desc, md, _) = describe(t, b, c);
            let last_refund = b
                .refunds
                .iter()
                .filter(|r| r.charge == ci)
                .map(|r| r.created)
                .max();
            let status = if c.failed {
                "Failed"
            } else if c.refunded >= c.amount && c.refunded > 0 {
                "Refunded"
            } else if c.refunded > 0 {
                "Partially refunded"
            } else {
                "Paid"
            };
            let fee = if c.failed {
                0
            } else {
                c.amount * 15 / 1000 + 25
            };
            let sepa = b.card.sepa;
            let card = |s: String| if sepa { String::new() } else { s };
            let row = vec![
                c.id.clone(),
                desc.unwrap_or_default(),
                if c.failed {
                    "The bank did not return any further details with this decline.".into()
                } else {
                    "Payment complete.".into()
                },
                csv_time(c.created),
                m(c.amount),
                m(c.refunded),
                t.currency.to_ascii_lowercase(),
                if c.failed {
                    "false".into()
                } else {
                    "true".into()
                },
                m(c.amount),
                m(c.refunded),
                t.currency.to_ascii_lowercase(),
                if c.failed {
                    "card_declined".into()
                } else {
                    String::new()
                },
                m(fee),
                "Live".into(),
                c.pi.clone(),
                if sepa {
                    "sepa_debit".into()
                } else {
                    "card".into()
                },
                last_refund.map(csv_time).unwrap_or_default(),
                statement_descriptor(t),
                status.into(),
                cust_id.clone(),
                String::new(),
                if rng.chance(600) {
                    b.cust.email.clone()
                } else {
                    String::new()
                },
                card(format!("card_{}", rng.chars(24, BASE62))),
                card(b.card.last4.clone()),
                card(match b.card.brand {
                    "visa" => "Visa".into(),
                    "mastercard" => "MasterCard".into(),
                    "amex" => "American Express".into(),
                    other => other.to_string(),
                }),
                card(b.card.funding.to_string()),
                card(b.card.exp_month.to_string()),
                card(b.card.exp_year.to_string()),
                card(cardholder(b)),
                card(b.cust.country.iso().to_string()),
                card(b.cust.country.iso().to_string()),
                card(b.card.fingerprint.clone()),
                "0.00".into(),
                md.get("booking_ref").cloned().unwrap_or_default(),
                md.get("customer_name").cloned().unwrap_or_default(),
                md.get("pickup").cloned().unwrap_or_default(),
            ];
            wtr.write_record(&row).map_err(io::Error::other)?;
        }
    }
    wtr.flush()?;
    ledger.files += 1;
    Ok(())
}

/// Relative path of a tenant's CSV export (for the plan).
pub fn csv_path(t: &Tenant) -> String {
    format!("stripe/exports/{}-unified_payments.csv", t.slug)
}

pub fn write(w: &World, out: &Path, ledger: &mut Ledger) -> io::Result<()> {
    for t in &w.tenants {
        if t.stripe_csv() {
            write_csv(w, t, out, ledger)?;
        } else {
            write_json(w, t, out, ledger)?;
        }
    }
    Ok(())
}
