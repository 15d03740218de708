//! TEMPORARY stub with the agreed API; replaced by the real implementation.
pub fn exponent(currency: &str) -> Option<u32> {
    match currency {
        "JPY" => Some(0),
        _ => Some(2),
    }
}
#[derive(Debug, Clone, PartialEq)]
pub struct FoundAmount {
    pub start: usize,
    pub end: usize,
    pub minor: i64,
    pub currency: Option<String>,
}
pub fn find_amounts(_text: &str) -> Vec<FoundAmount> {
    Vec::new()
}
pub fn parse_amount(text: &str, default_currency: &str) -> Option<(i64, String)> {
    let t: String = text
        .chars()
        .filter(|c| c.is_ascii_digit() || *c == '.')
        .collect();
    let v: f64 = t.parse().ok()?;
    Some(((v * 100.0).round() as i64, default_currency.to_string()))
}
pub fn parse_decimal(number: &str, exponent: u32) -> Option<i64> {
    let v: f64 = number.parse().ok()?;
    Some((v * 10f64.powi(exponent as i32)).round() as i64)
}
