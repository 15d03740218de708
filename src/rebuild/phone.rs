//! Phone numbers in international form. Evidence writes a customer's number the way the
//! customer or the staff typed it ("0176 10591159", "(212) 555-0199", "+44 7306 156026"); the
//! export writes one form, `+<country code> <national number as written>`, so that a reviewer
//! and a database compare like with like. A national number takes the country of the
//! customer's e-mail domain when it has one (`.fr`, `.co.uk`), else the business's country
//! (the plan's `phone_country_code`, or the one its time zone implies); a number already
//! international (`+…`, `00…`) is kept, and one whose country cannot be known is left as written.

/// Calling codes by IANA zone: the country a business in that zone dials from. Only zones
/// whose country is unambiguous; anything else needs `phone_country_code` in the plan.
const ZONES: &[(&str, &str)] = &[
    ("Europe/Amsterdam", "31"),
    ("Europe/Athens", "30"),
    ("Europe/Berlin", "49"),
    ("Europe/Brussels", "32"),
    ("Europe/Budapest", "36"),
    ("Europe/Copenhagen", "45"),
    ("Europe/Dublin", "353"),
    ("Europe/Helsinki", "358"),
    ("Europe/Istanbul", "90"),
    ("Europe/Lisbon", "351"),
    ("Europe/London", "44"),
    ("Europe/Luxembourg", "352"),
    ("Europe/Madrid", "34"),
    ("Europe/Oslo", "47"),
    ("Europe/Paris", "33"),
    ("Europe/Prague", "420"),
    ("Europe/Rome", "39"),
    ("Europe/Stockholm", "46"),
    ("Europe/Vienna", "43"),
    ("Europe/Warsaw", "48"),
    ("Europe/Zurich", "41"),
    ("Atlantic/Canary", "34"),
    ("Asia/Tokyo", "81"),
    ("Asia/Seoul", "82"),
    ("Australia/Sydney", "61"),
    ("Australia/Melbourne", "61"),
    ("Pacific/Auckland", "64"),
];

/// North American zones (country code 1, no trunk prefix).
const NANP_PREFIXES: &[&str] = &[
    "America/New_York",
    "America/Chicago",
    "America/Denver",
    "America/Los_Angeles",
    "America/Phoenix",
    "America/Anchorage",
    "America/Detroit",
    "America/Toronto",
    "America/Vancouver",
    "America/Edmonton",
    "America/Winnipeg",
    "America/Halifax",
    "Pacific/Honolulu",
];

/// Calling codes by the country domain of an e-mail address: a customer at `…@orange.fr` who
/// writes `06 41 95 98 07` gave a French number, whatever country the business is in.
const COUNTRY_DOMAINS: &[(&str, &str)] = &[
    ("at", "43"),
    ("au", "61"),
    ("be", "32"),
    ("br", "55"),
    ("ca", "1"),
    ("ch", "41"),
    ("cz", "420"),
    ("de", "49"),
    ("dk", "45"),
    ("es", "34"),
    ("fi", "358"),
    ("fr", "33"),
    ("gr", "30"),
    ("hu", "36"),
    ("ie", "353"),
    ("it", "39"),
    ("jp", "81"),
    ("kr", "82"),
    ("lu", "352"),
    ("nl", "31"),
    ("no", "47"),
    ("nz", "64"),
    ("pl", "48"),
    ("pt", "351"),
    ("se", "46"),
    ("tr", "90"),
    ("uk", "44"),
    ("us", "1"),
];

/// The calling code an e-mail address's country domain implies (`.fr` → 33); None for
/// generic domains (`.com`, `.net`).
pub fn calling_code_of_email(email: &str) -> Option<&'static str> {
    let tld = email.rsplit('.').next()?.to_ascii_lowercase();
    COUNTRY_DOMAINS
        .iter()
        .find(|(d, _)| *d == tld)
        .map(|(_, c)| *c)
}

/// The calling code a business in `zone` dials from, when the zone names one country.
pub fn calling_code_of_zone(zone: &str) -> Option<&'static str> {
    if NANP_PREFIXES.contains(&zone) || zone.starts_with("America/Indiana/") {
        return Some("1");
    }
    ZONES.iter().find(|(z, _)| *z == zone).map(|(_, c)| *c)
}

/// `phone` in international form for a business whose country code is `cc`.
pub fn international(phone: &str, cc: Option<&str>) -> String {
    let p = phone.trim();
    let digits: String = p.chars().filter(char::is_ascii_digit).collect();
    if p.starts_with('+') || digits.len() < 7 {
        return p.to_string();
    }
    if let Some(rest) = p.strip_prefix("00") {
        return format!("+{}", rest.trim_start());
    }
    let Some(cc) = cc else {
        return p.to_string();
    };
    if cc == "1" {
        // (212) 555-0199, 212-555-0199, 1 212 555 0199
        let national = digits.strip_prefix('1').filter(|_| digits.len() == 11);
        let national = national.unwrap_or(&digits);
        if national.len() != 10 {
            return p.to_string();
        }
        return format!(
            "+1 {}-{}-{}",
            &national[..3],
            &national[3..6],
            &national[6..]
        );
    }
    // a trunk prefix `0` (or Italy's leading 0, which stays part of the number)
    match p.strip_prefix('0') {
        Some(rest) if cc == "39" => format!("+39 0{rest}"),
        Some(rest) if !rest.starts_with('0') => format!("+{cc} {}", rest.trim_start()),
        // Italian mobiles (3xx) and other numbers written without a trunk prefix
        None if cc == "39" && p.starts_with('3') => format!("+39 {p}"),
        None if cc == "34" && p.starts_with(['6', '7', '8', '9']) => format!("+34 {p}"),
        _ => p.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn national_numbers_take_the_business_country() {
        let cases = [
            ("0176 10591159", Some("49"), "+49 176 10591159"),
            ("07306 156026", Some("44"), "+44 7306 156026"),
            ("06 41 95 98 07", Some("33"), "+33 6 41 95 98 07"),
            ("689 897 962", Some("34"), "+34 689 897 962"),
            ("347 123 4567", Some("39"), "+39 347 123 4567"),
            ("06 1234 5678", Some("39"), "+39 06 1234 5678"),
            ("(212) 555-0199", Some("1"), "+1 212-555-0199"),
            ("1-212-555-0199", Some("1"), "+1 212-555-0199"),
            ("070-7934-1924", Some("81"), "+81 70-7934-1924"),
            // already international, or of unknown country: as written
            ("+44 7306 156026", Some("49"), "+44 7306 156026"),
            ("0044 7306 156026", Some("49"), "+44 7306 156026"),
            ("0176 10591159", None, "0176 10591159"),
            ("12345", Some("49"), "12345"),
            ("555-0199", Some("1"), "555-0199"),
        ];
        for (input, cc, want) in cases {
            assert_eq!(international(input, cc), want, "{input}");
        }
    }

    #[test]
    fn email_domains_name_their_country() {
        assert_eq!(calling_code_of_email("jm@orange.fr"), Some("33"));
        assert_eq!(calling_code_of_email("k@btinternet.co.uk"), Some("44"));
        assert_eq!(calling_code_of_email("x@gmail.com"), None);
    }

    #[test]
    fn zones_name_their_country() {
        assert_eq!(calling_code_of_zone("Europe/Berlin"), Some("49"));
        assert_eq!(calling_code_of_zone("America/New_York"), Some("1"));
        assert_eq!(
            calling_code_of_zone("America/Indiana/Indianapolis"),
            Some("1")
        );
        assert_eq!(calling_code_of_zone("America/Mexico_City"), None);
        assert_eq!(calling_code_of_zone("UTC"), None);
    }
}
