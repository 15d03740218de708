//! Pair scoring: how strongly two items say they are the same booking. Points are
//! log-odds-like: agreement on a rare attribute adds much, disagreement on a stable one
//! subtracts much. Weights were set by reasoning about how often each attribute agrees by
//! chance, not fitted to a data set.

use crate::extract::config::Vocab;
use crate::link::keys::Keys;

const DAY: i64 = 86_400;

pub fn pair(a: &Keys, b: &Keys, vocab: &Vocab) -> f32 {
    if a.tenant != b.tenant {
        return f32::MIN;
    }
    if let (Some(x), Some(y)) = (&a.booking_ref, &b.booking_ref) {
        if x != y {
            return f32::MIN;
        }
    }
    let mut s = 0.0;
    match (&a.email, &b.email) {
        (Some(x), Some(y)) if x == y => s += 6.0,
        (Some(_), Some(_)) => s -= 4.0,
        _ => {}
    }
    match (&a.phone, &b.phone) {
        (Some(x), Some(y)) if x == y => s += 5.0,
        (Some(_), Some(_)) => s -= 1.5,
        _ => {}
    }
    s += names(&a.name, &b.name, vocab);
    s += when(
        a.pickup,
        a.pickup_day_only,
        a.pday,
        b.pickup,
        b.pickup_day_only,
        b.pday,
        4.0,
    );
    s += when(
        a.ret,
        a.return_day_only,
        a.rday,
        b.ret,
        b.return_day_only,
        b.rday,
        2.0,
    );
    if let (Some(x), Some(y)) = (&a.vehicle, &b.vehicle) {
        s += vehicles(x, y);
    }
    if let (Some(x), Some(y)) = (&a.location, &b.location) {
        if x == y {
            s += 1.0;
        }
    }
    if a.amounts
        .as_slice()
        .iter()
        .any(|x| b.amounts.as_slice().contains(x))
    {
        s += 2.0;
    }
    // booked at the same moment (the deposit charge and the confirmation mail minutes apart),
    // or at least the same day
    match (a.seen, b.seen) {
        (Some(x), Some(y)) if (x - y).abs() <= SAME_MOMENT => s += 3.0,
        _ if a.oday.is_some() && a.oday == b.oday => s += 1.0,
        _ => {}
    }
    s
}

/// Seconds within which two first sightings are one act of booking.
const SAME_MOMENT: i64 = 15 * 60;

/// Pick-up/return agreement: same instant, same day, or far apart.
fn when(
    a: Option<i64>,
    a_day_only: bool,
    ad: Option<i32>,
    b: Option<i64>,
    b_day_only: bool,
    bd: Option<i32>,
    full: f32,
) -> f32 {
    let (Some(x), Some(y)) = (a, b) else {
        return 0.0;
    };
    let (Some(dx), Some(dy)) = (ad, bd) else {
        return 0.0;
    };
    if !a_day_only && !b_day_only && (x - y).abs() <= 60 {
        return full;
    }
    if dx == dy {
        return full * 0.6;
    }
    if (dx - dy).abs() <= 1 && (a_day_only || b_day_only || (x - y).abs() < DAY) {
        return 0.0;
    }
    -full * 1.25
}

/// Surname similarity (typos allowed), first names by nickname group or initial. `a` and `b`
/// are folded names, tokens separated by single spaces ([`Keys::name`]).
pub fn names(a: &str, b: &str, vocab: &Vocab) -> f32 {
    let (Some(sa), Some(sb)) = (tokens(a).last(), tokens(b).last()) else {
        return 0.0;
    };
    let surname = if sa == sb {
        3.0
    } else if tokens(a).any(|t| t == sb) || tokens(b).any(|t| t == sa) {
        2.5
    } else {
        let jw = strsim::jaro_winkler(sa, sb) as f32;
        if jw >= 0.9 {
            2.0
        } else if jw >= 0.8 {
            0.5
        } else {
            -3.0
        }
    };
    let first = match (tokens(a).nth(1).is_some(), tokens(b).nth(1).is_some()) {
        (true, true) => {
            let (fa, fb) = (
                tokens(a).next().unwrap_or(""),
                tokens(b).next().unwrap_or(""),
            );
            if fa == fb {
                1.5
            } else if (fa.len() == 1 && fb.starts_with(fa)) || (fb.len() == 1 && fa.starts_with(fb))
            {
                0.75
            } else if same_nick(fa, fb, vocab) {
                1.25
            } else if strsim::jaro_winkler(fa, fb) >= 0.88 {
                0.75
            } else {
                -1.5
            }
        }
        _ => 0.0,
    };
    surname + first
}

/// The tokens of a folded name.
fn tokens(name: &str) -> impl Iterator<Item = &str> {
    name.split(' ').filter(|w| !w.is_empty())
}

fn same_nick(a: &str, b: &str, vocab: &Vocab) -> bool {
    match (vocab.nicknames.get(a), vocab.nicknames.get(b)) {
        (Some(x), Some(y)) => x.iter().any(|g| y.contains(g)),
        _ => false,
    }
}

fn vehicles(x: &str, y: &str) -> f32 {
    if x == y {
        return 2.0;
    }
    if x.contains(y) || y.contains(x) {
        return 1.5;
    }
    let wx: Vec<&str> = x.split(' ').collect();
    let wy: Vec<&str> = y.split(' ').collect();
    let shared = wx.iter().filter(|w| wy.contains(w)).count();
    if shared > 0 {
        return 0.5;
    }
    -3.0
}
