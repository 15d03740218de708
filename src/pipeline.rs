//! The whole recovery, stage by stage: import → extract → link → rebuild → gap → export →
//! report. Each stage is a module of its own; this file only moves data between them and
//! counts, so that the summary adds up.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use rayon::prelude::*;

use crate::error::Result;
use crate::evidence::{Evidence, Kind, Rejected, Source};
use crate::export::{self, ReviewRow};
use crate::extract::config::Mappings;
use crate::extract::{self, Ctx};
use crate::gap::{self, GapDecision};
use crate::import;
use crate::plan::Plan;
use crate::progress::Progress;
use crate::rebuild::{self, Booking};
use crate::report::Summary;

/// Bookings below this confidence are listed in review.csv too.
pub const REVIEW_CONFIDENCE: f32 = 0.6;

#[derive(Debug, Clone, Default)]
pub struct Options {
    pub out: Option<PathBuf>,
    pub quiet: bool,
    /// Live sources: read the cache only, contact nothing (`--offline`).
    pub offline: bool,
    /// Live sources: fetch completed lists and feeds again (`--refresh`).
    pub refresh: bool,
}

/// What one input file is and whom it belongs to.
#[derive(Debug, Clone)]
enum Input {
    StripeJson(PathBuf, Option<String>),
    StripeCsv(PathBuf, Option<String>),
    Calendar(PathBuf, Option<String>),
    Email(PathBuf, Option<String>),
}

/// The result of a run, for callers and tests.
pub struct Outcome {
    pub out_dir: PathBuf,
    pub summary: Summary,
}

/// Runs a recovery from a plan file.
pub fn recover(plan_path: &Path, opts: &Options) -> Result<Outcome> {
    let plan = Plan::load(plan_path)?;
    let maps = Mappings::load(&plan.resolve(&plan.mappings))?;
    let out_dir = opts
        .out
        .clone()
        .unwrap_or_else(|| plan.resolve(&plan.output));
    let progress = Progress::new(opts.quiet);
    let mut summary = Summary::default();

    let live = import::live::run(
        &plan,
        &out_dir,
        import::live::Options {
            offline: opts.offline,
            refresh: opts.refresh,
        },
        &progress,
    )?;
    if let Some(secs) = live.secs {
        summary.timings.push(("fetch".into(), secs));
    }
    summary.warnings.extend(live.warnings);
    let (mut inputs, warnings) = collect_inputs(&plan)?;
    summary.warnings.extend(warnings);
    let cached = live.inputs;
    inputs.extend(
        cached
            .stripe_json
            .into_iter()
            .map(|(p, t)| Input::StripeJson(p, t)),
    );
    inputs.extend(
        cached
            .calendars
            .into_iter()
            .map(|(p, t)| Input::Calendar(p, t)),
    );
    inputs.extend(cached.emails.into_iter().map(|(p, t)| Input::Email(p, t)));
    let ctx = Ctx::new(&plan, &maps);
    let (evidence, mut rejected, secs) = import_and_extract(&inputs, &ctx, &progress)?;
    summary.timings.push(("import+extract".into(), secs));
    run_from_evidence(
        &plan,
        &maps,
        evidence,
        &mut rejected,
        &out_dir,
        &progress,
        summary,
    )
}

/// Expands the plan's globs into inputs; a glob that matches nothing is a warning.
fn collect_inputs(plan: &Plan) -> Result<(Vec<Input>, Vec<String>)> {
    let mut inputs = Vec::new();
    let mut warnings = Vec::new();
    let mut add = |pats: &[String],
                   tenant: Option<&str>,
                   make: &dyn Fn(PathBuf, Option<String>) -> Input|
     -> Result<()> {
        for (pat, files) in plan.expand(pats)? {
            if files.is_empty() {
                warnings.push(format!("{}: `{pat}` matches no file", plan.path.display()));
            }
            for f in files {
                inputs.push(make(f, tenant.map(str::to_string)));
            }
        }
        Ok(())
    };
    add(&plan.sources.stripe_json, None, &Input::StripeJson)?;
    add(&plan.sources.stripe_csv, None, &Input::StripeCsv)?;
    add(&plan.sources.calendars, None, &Input::Calendar)?;
    add(&plan.sources.emails, None, &Input::Email)?;
    for t in &plan.tenants {
        add(&t.stripe_json, Some(&t.slug), &Input::StripeJson)?;
        add(&t.stripe_csv, Some(&t.slug), &Input::StripeCsv)?;
        add(&t.calendars, Some(&t.slug), &Input::Calendar)?;
        add(&t.emails, Some(&t.slug), &Input::Email)?;
    }
    // a file named twice (global and per tenant) is read once, with the tenant
    let mut seen: BTreeMap<PathBuf, usize> = BTreeMap::new();
    let mut unique: Vec<Input> = Vec::new();
    for i in inputs {
        let (p, t) = match &i {
            Input::StripeJson(p, t)
            | Input::StripeCsv(p, t)
            | Input::Calendar(p, t)
            | Input::Email(p, t) => (p.clone(), t.is_some()),
        };
        match seen.get(&p) {
            Some(&k) if t => unique[k] = i,
            Some(_) => {}
            None => {
                seen.insert(p, unique.len());
                unique.push(i);
            }
        }
    }
    Ok((unique, warnings))
}

fn account_of(plan: &Plan, tenant: &Option<String>) -> Option<String> {
    tenant
        .as_deref()
        .and_then(|t| plan.tenant(t))
        .and_then(|t| t.stripe_account.clone())
}

/// Mails travel from the reader thread to the parsers in batches of this many: big enough
/// that the channel costs nothing, small enough that both cores always have work.
const MAIL_BATCH: usize = 256;
/// Batches read ahead of the parsers; bounds the memory a large mbox can take.
const MAIL_BATCHES_AHEAD: usize = 8;

/// One unit of parallel work: a whole Stripe/calendar file, or a batch of raw mails.
enum Work<'a> {
    File(&'a Input),
    Mails(Vec<import::email::MailBlob>, Option<&'a str>),
}

/// Reads every input and turns each record into evidence, in parallel; order is restored by
/// sorting on the evidence id afterwards.
///
/// Splitting mboxes is sequential by nature, so one thread does only that and streams the
/// messages in batches; every other file and every batch of mails is a work item that rayon
/// spreads over the cores, so parsing never waits for reading and large files never wait
/// for each other.
fn import_and_extract(
    inputs: &[Input],
    ctx: &Ctx,
    progress: &Progress,
) -> Result<(Vec<Evidence>, Vec<Rejected>, f64)> {
    let step = progress.step("import", Some(inputs.len() as u64));
    let (files, mails): (Vec<&Input>, Vec<&Input>) =
        inputs.iter().partition(|i| !matches!(i, Input::Email(..)));
    let (tx, rx) = std::sync::mpsc::sync_channel::<Work>(MAIL_BATCHES_AHEAD);
    let (read_rejected, per_work) = std::thread::scope(|scope| {
        let step = &step;
        let reader = scope.spawn(move || -> Result<Vec<Rejected>> {
            let mut rejected = Vec::new();
            for input in mails {
                let Input::Email(path, tenant) = input else {
                    continue;
                };
                let tenant = tenant.as_deref();
                let mut batch = Vec::with_capacity(MAIL_BATCH);
                import::email::read_path(path, &mut |item| match item {
                    Ok(blob) => {
                        batch.push(blob);
                        if batch.len() >= MAIL_BATCH {
                            let full =
                                std::mem::replace(&mut batch, Vec::with_capacity(MAIL_BATCH));
                            // the receiver only goes away when the run failed
                            let _ = tx.send(Work::Mails(full, tenant));
                        }
                    }
                    Err(r) => rejected.push(r),
                })?;
                if !batch.is_empty() {
                    let _ = tx.send(Work::Mails(batch, tenant));
                }
                step.inc(1);
            }
            Ok(rejected)
        });
        // each finished work item is appended at once: the evidence is never held twice
        let sink = std::sync::Mutex::new((Vec::<Evidence>::new(), Vec::<Rejected>::new()));
        files
            .into_iter()
            .map(Work::File)
            .chain(rx)
            .par_bridge()
            .for_each(|work| {
                let is_file = matches!(work, Work::File(_));
                let (mut e, mut r) = run_work(work, ctx);
                if is_file {
                    step.inc(1);
                }
                let mut sink = sink.lock().unwrap_or_else(|p| p.into_inner());
                sink.0.append(&mut e);
                sink.1.append(&mut r);
            });
        let read = reader
            .join()
            .unwrap_or_else(|_| Err(crate::Error::Pipeline("the mail reader stopped".into())));
        (read, sink.into_inner().unwrap_or_else(|p| p.into_inner()))
    });
    let (evidence, mut rejected) = per_work;
    rejected.extend(read_rejected?);
    let n = evidence.len();
    let secs = step.finish(&format!(
        "{n} evidence items, {} rejected records from {} inputs",
        rejected.len(),
        inputs.len()
    ));
    Ok((evidence, rejected, secs))
}

/// Imports and extracts one work item.
fn run_work(work: Work, ctx: &Ctx) -> (Vec<Evidence>, Vec<Rejected>) {
    let plan = ctx.plan;
    match work {
        Work::Mails(blobs, tenant) => {
            let mut evidence = Vec::with_capacity(blobs.len());
            let mut rejected = Vec::new();
            let tenant: Option<crate::evidence::Shared> =
                tenant.map(|t| plan.tenant(t).map_or_else(|| t.into(), |p| p.key.clone()));
            for b in &blobs {
                match import::email::parse(b) {
                    Ok(m) => {
                        let mut ev = extract::email::extract(&m, ctx);
                        if let Some(t) = &tenant {
                            ev.tenant = Some(t.clone());
                        }
                        evidence.push(ev);
                    }
                    Err(r) => rejected.push(r),
                }
            }
            (evidence, rejected)
        }
        Work::File(input) => {
            let (ev, rej) = match input {
                Input::StripeJson(p, t) => {
                    let (recs, rej) = import::stripe_json::read_file(
                        p,
                        account_of(plan, t).as_deref(),
                        t.as_deref(),
                    );
                    (
                        recs.iter()
                            .map(|r| extract::stripe::extract(r, ctx))
                            .collect(),
                        rej,
                    )
                }
                Input::StripeCsv(p, t) => {
                    let (recs, rej) = import::stripe_csv::read_file(
                        p,
                        account_of(plan, t).as_deref(),
                        t.as_deref(),
                    );
                    (
                        recs.iter()
                            .map(|r| extract::stripe::extract(r, ctx))
                            .collect(),
                        rej,
                    )
                }
                Input::Calendar(p, t) => {
                    let (evs, rej) = import::calendar::read_file(p, t.as_deref());
                    (
                        evs.iter()
                            .map(|e| extract::calendar::extract(e, ctx))
                            .collect(),
                        rej,
                    )
                }
                Input::Email(..) => (Vec::new(), Vec::new()),
            };
            (ev, rej)
        }
    }
}

/// Keeps one item per evidence id (the same mail twice, the same charge in JSON and CSV);
/// returns the kept items and, per kept index, how many copies were merged into it.
fn dedup(mut ev: Vec<Evidence>) -> (Vec<Evidence>, Vec<usize>) {
    let richness = |e: &Evidence| {
        crate::evidence::Field::ALL
            .iter()
            .filter(|f| e.fields.has(**f))
            .count()
    };
    // ids are almost always unique: richness is only counted for the rare equal ids. Items
    // equal in all four keys are the same record, so an unstable sort is deterministic.
    ev.par_sort_unstable_by(|a, b| {
        a.id.cmp(&b.id)
            .then_with(|| richness(b).cmp(&richness(a)))
            .then_with(|| a.file.cmp(&b.file))
            .then_with(|| a.position.cmp(&b.position))
    });
    // copies per kept item, counted before the (in-place) dedup: the items are never moved
    // into a second vector
    let copies: Vec<usize> = ev.chunk_by(|a, b| a.id == b.id).map(<[_]>::len).collect();
    ev.dedup_by(|later, kept| later.id == kept.id);
    (ev, copies)
}

/// Everything after import: link, rebuild, gap, export, report.
pub fn run_from_evidence(
    plan: &Plan,
    maps: &Mappings,
    evidence: Vec<Evidence>,
    rejected: &mut [Rejected],
    out_dir: &Path,
    progress: &Progress,
    mut summary: Summary,
) -> Result<Outcome> {
    for e in &evidence {
        *summary
            .evidence_by_source
            .entry(e.source.as_str().to_string())
            .or_default() += 1;
    }
    for r in rejected.iter() {
        *summary
            .rejected_by_source
            .entry(r.source.as_str().to_string())
            .or_default() += 1;
    }
    summary.evidence_items = evidence.len();
    release_free_memory();
    let (mut evidence, copies) = dedup(evidence);
    extract::drop_shared_contacts(&mut evidence);
    extract::flag_internal_events(&mut evidence);
    summary.duplicates_merged = copies.iter().map(|c| c - 1).sum();

    let mut review: Vec<ReviewRow> = Vec::new();
    let mut booking_idx: Vec<usize> = Vec::new();
    for (i, e) in evidence.iter().enumerate() {
        if e.kind == Kind::NotBooking {
            summary.not_booking += copies[i];
            review.push(ReviewRow::evidence(
                e,
                e.note.as_deref().unwrap_or("not booking evidence"),
                copies[i],
            ));
        } else if e.tenant.is_none() {
            summary.no_tenant += copies[i];
            review.push(ReviewRow::evidence(
                e,
                "no tenant: sender, account or business name not in the plan",
                copies[i],
            ));
        } else {
            booking_idx.push(i);
        }
    }
    let items: Vec<&Evidence> = booking_idx.iter().map(|&i| &evidence[i]).collect();
    let item_copies: Vec<usize> = booking_idx.iter().map(|&i| copies[i]).collect();

    // the restored database is read while link runs: it needs nothing but the plan
    let existing = read_existing_in_background(plan);
    let step = progress.step("link", None);
    let linked = crate::link::link(&items, &maps.vocab, plan)?;
    summary.candidate_pairs = linked.candidate_pairs;
    summary.clusters = linked.clusters.len();
    summary.timings.push((
        "link".into(),
        step.finish(&format!(
            "{} items → {} clusters from {} candidate pairs",
            items.len(),
            linked.clusters.len(),
            linked.candidate_pairs
        )),
    ));
    for (i, reason) in &linked.ambiguous {
        summary.ambiguous += item_copies[*i];
        review.push(ReviewRow::evidence(items[*i], reason, item_copies[*i]));
    }

    release_free_memory();
    let existing = existing
        .join()
        .unwrap_or_else(|_| Err(crate::Error::Pipeline("the database reader stopped".into())))?;
    summary.warnings.extend(existing.warnings.iter().cloned());
    let step = progress.step("rebuild", Some(linked.clusters.len() as u64));
    // each booking is classified as soon as it is rebuilt: only the recovered ones are kept
    let placed: Vec<Placed> = linked
        .clusters
        .par_iter()
        .zip(linked.weakest.par_iter())
        .map(|(members, weakest)| {
            let refs: Vec<&Evidence> = members.iter().map(|&i| items[i]).collect();
            let Some(b) = rebuild::rebuild(&refs, plan, &maps.vocab, *weakest) else {
                return Placed::NotABooking;
            };
            match gap::classify(&b, &existing, plan) {
                GapDecision::Recovered => Placed::Recovered(b),
                decision => Placed::Elsewhere {
                    review: (decision == GapDecision::UnknownBookedAt).then(|| {
                        ReviewRow::booking(
                            &b,
                            "booking date unknown: cannot tell whether it is in the gap",
                        )
                    }),
                    decision,
                    tenant: b.tenant,
                },
            }
        })
        .collect();
    drop(existing);
    step.inc(placed.len() as u64);
    let rebuilt = placed
        .iter()
        .filter(|p| !matches!(p, Placed::NotABooking))
        .count();
    summary.bookings_rebuilt = rebuilt;
    summary.timings.push((
        "rebuild".into(),
        step.finish(&format!("{rebuilt} bookings")),
    ));

    let step = progress.step("gap", Some(rebuilt as u64));
    let mut recovered: Vec<Booking> = Vec::with_capacity(placed.len());
    for (members, placed) in linked.clusters.iter().zip(placed) {
        let n: usize = members.iter().map(|&i| item_copies[i]).sum();
        match placed {
            Placed::NotABooking => {
                for &i in members {
                    summary.unplaced += item_copies[i];
                    review.push(ReviewRow::evidence(
                        items[i],
                        rebuild::NOT_A_BOOKING,
                        item_copies[i],
                    ));
                }
            }
            Placed::Recovered(b) => {
                summary.items_in_bookings += n;
                let t = summary.tenants.entry(b.tenant.clone()).or_default();
                t.recovered += 1;
                if b.status == rebuild::Status::Cancelled {
                    t.cancelled += 1;
                }
                if b.confidence < REVIEW_CONFIDENCE {
                    t.low_confidence += 1;
                    review.push(ReviewRow::booking(
                        &b,
                        &format!("low confidence {:.2}: check before loading", b.confidence),
                    ));
                }
                recovered.push(b);
            }
            Placed::Elsewhere {
                decision,
                tenant,
                review: row,
            } => match decision {
                GapDecision::Recovered => {}
                GapDecision::AlreadyInDatabase { .. } => {
                    summary.items_in_bookings += n;
                    summary.already_in_database += 1;
                    summary
                        .tenants
                        .entry(tenant)
                        .or_default()
                        .already_in_database += 1;
                }
                GapDecision::BookedBeforeWindow => {
                    summary.items_in_bookings += n;
                    summary.booked_before_window += 1;
                }
                GapDecision::BookedAfterWindow => {
                    summary.items_in_bookings += n;
                    summary.booked_after_window += 1;
                }
                GapDecision::UnknownBookedAt => {
                    summary.unknown_booked_at += 1;
                    summary.items_in_review_bookings += n;
                    review.extend(row);
                }
            },
        }
    }
    recovered.sort_by(|a, b| {
        (
            a.tenant.as_str(),
            a.pickup_at,
            a.booking_ref.as_deref(),
            a.recovered_id.as_str(),
        )
            .cmp(&(
                b.tenant.as_str(),
                b.pickup_at,
                b.booking_ref.as_deref(),
                b.recovered_id.as_str(),
            ))
    });
    summary.recovered = recovered.len();
    summary.timings.push((
        "gap".into(),
        step.finish(&format!("{} bookings in the gap", recovered.len())),
    ));

    // the evidence is not read after this point: freeing a million items takes seconds,
    // which another thread spends while this one writes the outputs
    drop(items);
    drop(linked);
    drop_in_background(evidence);
    let step = progress.step("export", None);
    rejected.sort();
    summary.rejected = rejected.len();
    summary.in_review = review
        .iter()
        .filter(|r| r.is_evidence())
        .map(|r| r.copies)
        .sum::<usize>()
        + summary.items_in_review_bookings;
    for t in &plan.tenants {
        summary.tenants.entry(t.slug.clone()).or_default();
    }
    summary.finish_accounting();
    export::write_all(out_dir, plan, &recovered, &mut review, rejected, &summary)?;
    summary.timings.push((
        "export".into(),
        step.finish(&format!("written to {}", out_dir.display())),
    ));
    drop_in_background((recovered, review));
    Ok(Outcome {
        out_dir: out_dir.to_path_buf(),
        summary,
    })
}

/// What became of one cluster once rebuilt and compared with the restored database.
enum Placed {
    /// The evidence does not make a booking: it goes to review.
    NotABooking,
    /// A lost booking.
    Recovered(Booking),
    /// A booking that is not recovered, and why; only its tenant and, when a person must
    /// decide, its review row are kept.
    Elsewhere {
        decision: GapDecision,
        tenant: String,
        review: Option<ReviewRow>,
    },
}

/// Reads what the restored database already has, on a thread of its own.
fn read_existing_in_background(plan: &Plan) -> std::thread::JoinHandle<Result<gap::Existing>> {
    let plan = plan.clone();
    std::thread::spawn(move || match &plan.database {
        Some(db) => gap::read_existing(&plan, db),
        None => {
            let mut none = gap::Existing::default();
            none.warnings.push(
                "no [database] in the plan: nothing is compared with the restored database".into(),
            );
            Ok(none)
        }
    })
}

/// Frees `value` on a thread of its own, so that the caller does not wait for it; when the
/// process ends first, the operating system takes the memory back in one go.
fn drop_in_background<T: Send + 'static>(value: T) {
    // when no thread can be had, the failed spawn drops the closure and the memory is freed
    // here instead
    let _ = std::thread::Builder::new()
        .name("gapfill-free".into())
        .spawn(move || drop(value));
}

/// Hands the memory a finished stage freed back to the system. The parsers' scratch memory
/// is freed interleaved with the evidence that stays, and glibc keeps such holes resident;
/// without this the next stage's peak stacks on top of them.
pub(crate) fn release_free_memory() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: malloc_trim takes no pointers; it only returns unused heap pages to the kernel.
    unsafe {
        libc::malloc_trim(0);
    }
}

/// Short name of a source for messages.
pub fn source_name(s: Source) -> &'static str {
    s.as_str()
}
