//! Link: which pieces of evidence are the same booking.
//!
//! 1. Blocking keys per item (ref, Stripe ids, e-mail, phone, surname + pick-up day,
//!    amount + day, vehicle + pick-up day, surname + amount); oversized blocks are cut into
//!    time-ordered windows; the keys (hashed) go into one long polars frame and ONE lazy plan
//!    self-joins it on the key and returns the unique candidate pairs. Nothing is compared
//!    all-pairs.
//! 2. Exact pairs (same booking ref, Stripe objects that point at each other) are unioned,
//!    unless that would put two different refs in one booking.
//! 3. The other pairs are scored ([`score`]) and merged best-first, with guards: different refs
//!    never merge, a booking holds one calendar event, conflicting e-mails, vehicles or dates
//!    never merge, and an item that fits two bookings equally well is left for review.

pub mod keys;
pub mod score;

use std::collections::BTreeMap;

use rayon::prelude::*;

use polars::prelude::*;

use crate::error::Result;
use crate::evidence::{Evidence, Source};
use crate::extract::config::Vocab;
use crate::plan::{Plan, Tenant};
use keys::Keys;

/// Blocks larger than this (a very common surname on a busy day, a busy tenant's usual
/// amount) are not compared all-pairs: their items are put in time order and cut into
/// overlapping windows of [`WINDOW`] (sorted neighbourhood), so that the pairs stay linear in
/// the evidence however big the world gets, and items of one booking, which are seen close
/// together in time, still meet.
pub const MAX_BLOCK: u32 = 12;
/// An exact key (booking ref, Stripe id) on more items than this is not one booking's.
pub const MAX_EXACT_BLOCK: usize = 64;
/// Window of the sorted neighbourhood in an oversized block; windows overlap by half.
pub const WINDOW: usize = 8;
/// A pair must score at least this (log-odds-like points) to link.
pub const THRESHOLD: f32 = 5.0;
/// An item whose two best bookings score within this margin is ambiguous.
pub const MARGIN: f32 = 2.0;

/// Result of linking: clusters of evidence indices, and items held back with a reason.
#[derive(Debug, Default)]
pub struct Linked {
    /// Each cluster sorted; clusters sorted by their first index.
    pub clusters: Vec<Vec<usize>>,
    /// Items that were not placed in any cluster because they fit several equally.
    pub ambiguous: Vec<(usize, String)>,
    /// Score of the weakest accepted link per cluster (None when only exact links).
    pub weakest: Vec<Option<f32>>,
    pub candidate_pairs: usize,
}

/// Candidate pairs from the blocking plan: (left, right, exact).
pub fn candidate_pairs(keys: &[Keys]) -> Result<Vec<(u32, u32, bool)>> {
    join_blocks(blocked_frame(keys)?)
}

/// The blocking keys of every item as one frame (`idx`, `k`, `exact`, `has_ref`), with the
/// blocks that cannot yield a pair left out and oversized blocks cut into windows.
fn blocked_frame(keys: &[Keys]) -> Result<DataFrame> {
    // every (key, exact, item) occurrence, hashed in parallel and grouped by sorting: no map
    // of blocks, no allocation per block
    let mut occ: Vec<(u64, bool, u32)> = keys
        .par_iter()
        .enumerate()
        .flat_map_iter(|(i, k)| {
            k.block_keys()
                .into_iter()
                .map(move |(h, e)| (h, e, i as u32))
        })
        .collect();
    occ.par_sort_unstable();
    occ.dedup();
    let mut idx: Vec<u32> = Vec::with_capacity(occ.len());
    let mut key: Vec<u64> = Vec::with_capacity(occ.len());
    let mut exact: Vec<bool> = Vec::with_capacity(occ.len());
    let mut has_ref: Vec<bool> = Vec::with_capacity(occ.len());
    let mut push = |i: u32, h: u64, e: bool| {
        idx.push(i);
        key.push(h);
        exact.push(e);
        has_ref.push(keys[i as usize].booking_ref.is_some());
    };
    for block in occ.chunk_by(|a, b| (a.0, a.1) == (b.0, b.1)) {
        let (h, is_exact) = (block[0].0, block[0].1);
        // one item alone on a key pairs with nothing
        if block.len() < 2 {
            continue;
        }
        // a "reference" or id shared by this many items is a template word or a code of the
        // whole business, not one booking's: it only counts as a fuzzy key
        if is_exact && block.len() <= MAX_EXACT_BLOCK {
            block.iter().for_each(|&(_, _, i)| push(i, h, true));
            continue;
        }
        // on a fuzzy key two items with refs never pair (see the plan's filter): a block
        // where every item has a ref yields nothing and stays out of the join
        if block
            .iter()
            .all(|&(_, _, i)| keys[i as usize].booking_ref.is_some())
        {
            continue;
        }
        if block.len() <= MAX_BLOCK as usize {
            block.iter().for_each(|&(_, _, i)| push(i, h, false));
            continue;
        }
        let mut members: Vec<u32> = block.iter().map(|o| o.2).collect();
        members.sort_by_key(|&i| {
            let k = &keys[i as usize];
            (k.seen.or(k.pickup), i)
        });
        for (pos, i) in members.into_iter().enumerate() {
            for (tag, start) in [(1u64, pos / WINDOW), (2, (pos + WINDOW / 2) / WINDOW)] {
                push(i, window_key(h, tag, start as u64), false);
            }
        }
    }
    drop(occ);
    Ok(df!("idx" => idx, "k" => key, "exact" => exact, "has_ref" => has_ref)?)
}

/// The lazy plan: the blocked frame joined with itself on the key, filtered and grouped into
/// unique pairs.
fn join_blocks(blocked: DataFrame) -> Result<Vec<(u32, u32, bool)>> {
    // every block is bounded by now (exact ≤ MAX_EXACT_BLOCK, the rest ≤ MAX_BLOCK or windowed)
    let blocked = blocked.lazy();
    let right = blocked.clone().select([
        col("idx").alias("r"),
        col("k"),
        col("has_ref").alias("r_has_ref"),
    ]);
    // two items that both carry a booking ref are decided by the ref alone: only exact keys
    // pair them, which keeps the number of pairs near linear in the evidence
    let pairs = blocked
        .join(
            right,
            [col("k")],
            [col("k")],
            JoinArgs::new(JoinType::Inner),
        )
        .filter(col("idx").lt(col("r")))
        .filter(
            col("exact")
                .or(col("has_ref").not())
                .or(col("r_has_ref").not()),
        )
        // one u64 per pair (left in the high half): grouping and sorting on one integer
        .select([
            (col("idx").cast(DataType::UInt64) * lit(1u64 << 32) + col("r").cast(DataType::UInt64))
                .alias("pair"),
            col("exact"),
        ])
        .group_by([col("pair")])
        .agg([col("exact").max().alias("exact")])
        .sort(["pair"], SortMultipleOptions::default())
        // streamed in morsels: the join's output (up to a block's size squared per key) is
        // filtered and grouped as it is produced instead of being held whole
        .collect_with_engine(Engine::Streaming)?;
    let p = pairs.column("pair")?.u64()?;
    let e = pairs.column("exact")?.bool()?;
    let out = p
        .into_iter()
        .zip(e)
        .filter_map(|(p, x)| Some(((p? >> 32) as u32, p? as u32, x?)))
        .collect();
    Ok(out)
}

/// The key of window `start` (of kind `tag`) of the oversized block `h` (splitmix64 mix).
fn window_key(h: u64, tag: u64, start: u64) -> u64 {
    let mut z = h ^ (start.wrapping_mul(4) | tag).wrapping_mul(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// What a cluster is known to hold, kept up to date as clusters merge (for the guards).
#[derive(Debug, Clone, Default)]
struct Summary {
    /// Hashes of the normalized refs and e-mails (only compared for equality).
    refs: Hashes,
    calendar_events: u32,
    emails: Hashes,
    members: u32,
}

/// A sorted set of hashes that is almost always empty or of one: a million singletons must
/// not cost a million allocations.
#[derive(Debug, Clone, Default, PartialEq)]
enum Hashes {
    #[default]
    None,
    One(u64),
    Many(Box<[u64]>),
}

impl Hashes {
    fn of(h: Option<u64>) -> Hashes {
        h.map_or(Hashes::None, Hashes::One)
    }

    fn as_slice(&self) -> &[u64] {
        match self {
            Hashes::None => &[],
            Hashes::One(h) => std::slice::from_ref(h),
            Hashes::Many(v) => v,
        }
    }

    fn is_empty(&self) -> bool {
        matches!(self, Hashes::None)
    }

    fn union(&self, other: &Hashes) -> Hashes {
        match (self, other) {
            (_, Hashes::None) => return self.clone(),
            (Hashes::None, _) => return other.clone(),
            (Hashes::One(a), Hashes::One(b)) if a == b => return self.clone(),
            _ => {}
        }
        let mut all: Vec<u64> = self
            .as_slice()
            .iter()
            .chain(other.as_slice())
            .copied()
            .collect();
        all.sort_unstable();
        all.dedup();
        match all.len() {
            0 => Hashes::None,
            1 => Hashes::One(all[0]),
            _ => Hashes::Many(all.into_boxed_slice()),
        }
    }
}

struct Dsu {
    parent: Vec<usize>,
    sum: Vec<Summary>,
}

impl Dsu {
    fn find(&mut self, mut x: usize) -> usize {
        while self.parent[x] != x {
            self.parent[x] = self.parent[self.parent[x]];
            x = self.parent[x];
        }
        x
    }

    /// Two clusters may become one booking.
    fn compatible(&mut self, a: usize, b: usize) -> bool {
        let (ra, rb) = (self.find(a), self.find(b));
        if ra == rb {
            return true;
        }
        let (sa, sb) = (&self.sum[ra], &self.sum[rb]);
        let refs_clash = !sa.refs.is_empty() && !sb.refs.is_empty() && sa.refs != sb.refs;
        let two_events = sa.calendar_events + sb.calendar_events > 1;
        let mail_clash = !sa.emails.is_empty()
            && !sb.emails.is_empty()
            && !sa
                .emails
                .as_slice()
                .iter()
                .any(|e| sb.emails.as_slice().contains(e));
        !(refs_clash || two_events || mail_clash)
    }

    fn union(&mut self, a: usize, b: usize) {
        let (ra, rb) = (self.find(a), self.find(b));
        if ra == rb {
            return;
        }
        let (keep, gone) = if ra < rb { (ra, rb) } else { (rb, ra) };
        self.parent[gone] = keep;
        let g = std::mem::take(&mut self.sum[gone]);
        let s = &mut self.sum[keep];
        s.refs = s.refs.union(&g.refs);
        s.emails = s.emails.union(&g.emails);
        s.calendar_events += g.calendar_events;
        s.members += g.members;
    }
}

/// Links booking evidence (items of `NotBooking` kind or without tenant must not be passed).
pub fn link(items: &[&Evidence], vocab: &Vocab, plan: &Plan) -> Result<Linked> {
    let keys_of = || -> Vec<Keys> {
        items
            .par_iter()
            .map(|e| {
                let tz = e
                    .tenant
                    .as_deref()
                    .and_then(|t| plan.tenant(t))
                    .map(Tenant::tz)
                    .unwrap_or(chrono_tz::UTC);
                Keys::of(e, vocab, tz)
            })
            .collect()
    };
    // The keys are computed twice, so that they are not held while the join runs: at a
    // million items that is the stage's memory peak, and the keys cost a few hundred
    // megabytes against well under a second to compute again.
    // The first keys and the join's hash tables are freed in holes between memory that
    // stays: trimmed, they are not counted twice when the keys are made again (at a million
    // items about 400 MB of resident memory after the join, 170 MB of the run's peak).
    let blocked = blocked_frame(&keys_of())?;
    crate::pipeline::release_free_memory();
    let pairs = join_blocks(blocked)?;
    crate::pipeline::release_free_memory();
    let keys = keys_of();
    let mut dsu = Dsu {
        parent: (0..items.len()).collect(),
        sum: items
            .iter()
            .zip(&keys)
            .map(|(e, k)| Summary {
                refs: Hashes::of(
                    k.booking_ref
                        .as_ref()
                        .map(|r| crate::rebuild::KeyHash::new(b'r').part(r.as_bytes()).0),
                ),
                calendar_events: u32::from(e.source == Source::Calendar),
                emails: Hashes::of(k.email),
                members: 1,
            })
            .collect(),
    };
    // exact links first: same ref, then Stripe objects pointing at each other
    for &(a, b, exact) in &pairs {
        let (a, b) = (a as usize, b as usize);
        if exact && keys[a].booking_ref.is_some() && keys[a].booking_ref == keys[b].booking_ref {
            dsu.union(a, b);
        }
    }
    for &(a, b, exact) in &pairs {
        let (a, b) = (a as usize, b as usize);
        if exact && keys[a].shares_stripe_id(&keys[b]) && dsu.compatible(a, b) {
            dsu.union(a, b);
        }
    }
    // scored links, best first
    // (score, left, right) with u32 indices: millions of pairs, half the memory of usize
    let mut scored: Vec<(f32, u32, u32)> = pairs
        .par_iter()
        .filter(|p| !p.2 || keys[p.0 as usize].booking_ref != keys[p.1 as usize].booking_ref)
        .filter_map(|&(a, b, _)| {
            let s = score::pair(&keys[a as usize], &keys[b as usize], vocab);
            (s >= THRESHOLD).then_some((s, a, b))
        })
        .collect();
    // the keys and the candidate pairs are not read after scoring: hundreds of megabytes at
    // a million items, freed before the merge loop builds the clusters
    let candidate_pairs = pairs.len();
    drop(pairs);
    drop(keys);
    // (a, b) pairs are unique, so the unstable sort is deterministic
    scored.par_sort_unstable_by(|x, y| y.0.total_cmp(&x.0).then(x.1.cmp(&y.1)).then(x.2.cmp(&y.2)));
    let ambiguous = find_ambiguous(&scored, &mut dsu);
    let mut held = vec![false; items.len()];
    for &i in ambiguous.keys() {
        held[i] = true;
    }
    // indexed by cluster root (the smallest member, see `Dsu::union`)
    let mut weakest: Vec<Option<f32>> = vec![None; items.len()];
    for &(s, a, b) in &scored {
        let (a, b) = (a as usize, b as usize);
        if held[a] || held[b] {
            continue;
        }
        if dsu.find(a) != dsu.find(b) && dsu.compatible(a, b) {
            let wa = weakest[dsu.find(a)].take();
            let wb = weakest[dsu.find(b)].take();
            dsu.union(a, b);
            let w = [wa, wb, Some(s)]
                .into_iter()
                .flatten()
                .fold(f32::MAX, f32::min);
            let root = dsu.find(a);
            weakest[root] = Some(w);
        }
    }
    // a root is its cluster's smallest member: walking the items in order meets each
    // cluster first at its root, so the clusters come out sorted by their first index
    let mut cluster_of: Vec<u32> = vec![u32::MAX; items.len()];
    let mut linked = Linked {
        candidate_pairs,
        ..Default::default()
    };
    for (i, _) in held.iter().enumerate().filter(|(_, h)| !**h) {
        let r = dsu.find(i);
        if cluster_of[r] == u32::MAX {
            cluster_of[r] = linked.clusters.len() as u32;
            linked.clusters.push(Vec::new());
            linked.weakest.push(weakest[r]);
        }
        linked.clusters[cluster_of[r] as usize].push(i);
    }
    linked.ambiguous = ambiguous.into_iter().collect();
    Ok(linked)
}

/// Single items (no ref) whose two best candidate clusters score within [`MARGIN`]: placing
/// them would be a coin toss, so a person decides.
fn find_ambiguous(scored: &[(f32, u32, u32)], dsu: &mut Dsu) -> BTreeMap<usize, String> {
    // (single item, position in `scored`, score, root of the other side), grouped by item
    // below; `scored` is best first, so each item's candidates stay best first
    let mut seen: Vec<(usize, usize, f32, usize)> = Vec::new();
    for (k, &(s, a, b)) in scored.iter().enumerate() {
        let (a, b) = (a as usize, b as usize);
        for (me, other) in [(a, b), (b, a)] {
            let root_me = dsu.find(me);
            let single = dsu.sum[root_me].members == 1 && dsu.sum[root_me].refs.is_empty();
            if single {
                seen.push((me, k, s, dsu.find(other)));
            }
        }
    }
    seen.sort_unstable_by_key(|x| (x.0, x.1));
    let mut out = BTreeMap::new();
    for group in seen.chunk_by(|x, y| x.0 == y.0) {
        let me = group[0].0;
        let mut v: Vec<(f32, usize)> = Vec::new();
        for &(_, _, s, ro) in group {
            if !v.iter().any(|(_, r)| *r == ro) {
                v.push((s, ro));
            }
        }
        v.sort_by(|x, y| y.0.total_cmp(&x.0));
        if v.len() >= 2 && v[0].0 - v[1].0 < MARGIN {
            // two candidates that are themselves one booking are no ambiguity
            if dsu.find(v[0].1) != dsu.find(v[1].1) && !dsu.compatible(v[0].1, v[1].1) {
                out.insert(
                    me,
                    format!(
                        "ambiguous: fits two bookings equally (scores {:.1} and {:.1})",
                        v[0].0, v[1].0
                    ),
                );
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::evidence::{Fields, Kind, Source};
    use crate::testutil::{ev, plan, vocab};

    const T: i64 = 1_782_000_000; // 2026-06-21

    fn f(
        r: Option<&str>,
        name: &str,
        email: Option<&str>,
        pickup: i64,
        vehicle: Option<&str>,
    ) -> Fields {
        Fields {
            booking_ref: r.map(str::to_string),
            customer_name: Some(name.into()),
            customer_email: email.map(str::to_string),
            pickup_at: Some(pickup),
            return_at: Some(pickup + 3 * 86_400),
            vehicle: vehicle.map(str::to_string),
            ..Default::default()
        }
    }

    fn clusters_of(items: &[Evidence]) -> Vec<Vec<String>> {
        let (_d, plan) = plan();
        let refs: Vec<&Evidence> = items.iter().collect();
        let l = link(&refs, &vocab(), &plan).expect("link runs");
        l.clusters
            .iter()
            .map(|c| c.iter().map(|&i| items[i].id.clone()).collect())
            .collect()
    }

    #[test]
    fn same_ref_links_and_different_refs_never_merge() {
        let p = T + 10 * 86_400;
        let items = vec![
            ev(
                "email:a",
                Source::Email,
                Kind::Confirmation,
                T,
                f(
                    Some("BK-1001"),
                    "Anna Berg",
                    Some("anna@x.de"),
                    p,
                    Some("VW Golf"),
                ),
            ),
            ev(
                "email:b",
                Source::Email,
                Kind::Modification,
                T + 50,
                f(
                    Some("bk 1001"),
                    "Anna Berg",
                    Some("anna@x.de"),
                    p,
                    Some("VW Golf"),
                ),
            ),
            ev(
                "email:c",
                Source::Email,
                Kind::Confirmation,
                T + 99,
                f(
                    Some("BK-1002"),
                    "Anna Berg",
                    Some("anna@x.de"),
                    p,
                    Some("Tesla Model 3"),
                ),
            ),
        ];
        let c = clusters_of(&items);
        assert_eq!(
            c,
            vec![
                vec!["email:a".to_string(), "email:b".into()],
                vec!["email:c".into()]
            ]
        );
    }

    #[test]
    fn calendar_event_without_ref_joins_the_booking_with_its_vehicle() {
        // one customer, two cars, same dates: the event for the Tesla must not join the Golf
        let p = T + 10 * 86_400;
        let items = vec![
            ev(
                "email:golf",
                Source::Email,
                Kind::Confirmation,
                T,
                f(
                    Some("BK-1"),
                    "Anna Berg",
                    Some("anna@x.de"),
                    p,
                    Some("VW Golf"),
                ),
            ),
            ev(
                "email:tesla",
                Source::Email,
                Kind::Confirmation,
                T,
                f(
                    Some("BK-2"),
                    "Anna Berg",
                    Some("anna@x.de"),
                    p,
                    Some("Tesla Model 3"),
                ),
            ),
            ev(
                "calendar:u1",
                Source::Calendar,
                Kind::CalendarEvent,
                T,
                f(None, "Anna Berg", None, p, Some("Tesla Model 3")),
            ),
            ev(
                "calendar:u2",
                Source::Calendar,
                Kind::CalendarEvent,
                T,
                f(None, "A. Berg", None, p, Some("VW Golf")),
            ),
        ];
        let c = clusters_of(&items);
        assert_eq!(c.len(), 2, "{c:?}");
        assert!(
            c.contains(&vec!["email:golf".to_string(), "calendar:u2".into()]),
            "{c:?}"
        );
        assert!(
            c.contains(&vec!["email:tesla".to_string(), "calendar:u1".into()]),
            "{c:?}"
        );
    }

    #[test]
    fn namesakes_with_other_dates_and_emails_stay_apart() {
        let items = vec![
            ev(
                "email:1",
                Source::Email,
                Kind::Confirmation,
                T,
                f(
                    Some("BK-7"),
                    "John Smith",
                    Some("js1@x.com"),
                    T + 86_400 * 5,
                    None,
                ),
            ),
            ev(
                "calendar:1",
                Source::Calendar,
                Kind::CalendarEvent,
                T,
                f(None, "John Smith", None, T + 86_400 * 20, None),
            ),
        ];
        assert_eq!(clusters_of(&items).len(), 2);
    }

    #[test]
    fn stripe_charge_without_ref_links_by_email_and_amount() {
        let p = T + 10 * 86_400;
        let mut conf = f(
            Some("BK-9"),
            "Robert Miller",
            Some("bob@x.com"),
            p,
            Some("VW Golf"),
        );
        conf.total = Some(30_000);
        conf.deposit = Some(9_000);
        let charge = Fields {
            customer_name: Some("Bob Miller".into()),
            customer_email: Some("bob@x.com".into()),
            amount_paid: Some(9_000),
            stripe_ids: vec!["ch_1".into()],
            ..Default::default()
        };
        let items = vec![
            ev("email:c", Source::Email, Kind::Confirmation, T, conf),
            ev("stripe:ch_1", Source::Stripe, Kind::Payment, T + 30, charge),
        ];
        assert_eq!(clusters_of(&items).len(), 1);
    }

    #[test]
    fn oversized_blocks_compare_time_neighbours_only() {
        // 200 items with one full name on one day: not 19,900 pairs, but each meets the
        // items seen just before and after it
        let p = T + 10 * 86_400;
        let items: Vec<Evidence> = (0..200)
            .map(|i| {
                let fields = f(None, "Anna Schmidt", None, p, None);
                ev(
                    &format!("email:{i:03}"),
                    Source::Email,
                    Kind::Confirmation,
                    T + i * 60,
                    fields,
                )
            })
            .collect();
        let (_d, plan) = plan();
        let keys: Vec<Keys> = items
            .iter()
            .map(|e| Keys::of(e, &vocab(), plan.tenants[0].tz()))
            .collect();
        let pairs = candidate_pairs(&keys).expect("pairs");
        assert!(pairs.len() <= 200 * WINDOW * 2, "{} pairs", pairs.len());
        for i in 0..199u32 {
            assert!(
                pairs.iter().any(|&(a, b, _)| (a, b) == (i, i + 1)),
                "{i} meets {}",
                i + 1
            );
        }
    }

    #[test]
    fn a_deposit_charged_the_minute_the_mail_went_out_links_despite_a_mangled_name() {
        // 23:59 local mail, 00:01 charge: different days, same moment; the mail's charset lost
        // the name's accents, so names say nothing
        let p = T + 10 * 86_400;
        let mut conf = f(Some("AA-7"), "Tomá? ?im?nek", None, p, Some("Opel Corsa"));
        conf.total = Some(4_780);
        conf.deposit = Some(900);
        let charge = Fields {
            customer_name: Some("Tomáš Šimůnek".into()),
            amount_paid: Some(900),
            stripe_ids: vec!["ch_1".into()],
            ..Default::default()
        };
        let at = T - T % 86_400 + 86_400 - 60 - 7_200; // 23:59 in Berlin (CEST)
        let items = vec![
            ev("email:c", Source::Email, Kind::Confirmation, at, conf),
            ev(
                "stripe:ch_1",
                Source::Stripe,
                Kind::Payment,
                at + 120,
                charge.clone(),
            ),
        ];
        assert_eq!(clusters_of(&items).len(), 1);
        // the same charge an hour later is not the same moment: no link on amount alone
        let items = vec![
            ev(
                "email:c",
                Source::Email,
                Kind::Confirmation,
                at,
                items[0].fields.clone(),
            ),
            ev(
                "stripe:ch_1",
                Source::Stripe,
                Kind::Payment,
                at + 3_600,
                charge,
            ),
        ];
        assert_eq!(clusters_of(&items).len(), 2);
    }
}
