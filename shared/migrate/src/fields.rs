//! Reading the fields of a Mongoose document whatever BSON type the
//! original system stored them with: ids as `ObjectId` (or their hex
//! text), times as `Date` (or ISO text, or epoch milliseconds), money as
//! `Decimal128`, `Double`, `Int32`, `Int64` or text, converted to
//! hundredths from its decimal text, never through floating point.

use bson::{Bson, Document};
use chrono::{DateTime, Utc};

/// A record's id: its `_id` as 24 hex digits (an `ObjectId`), or its text.
pub fn id_of(doc: &Document) -> Option<String> {
    doc.get("_id").and_then(reference)
}

/// A reference (`partner`, `lead`...): an `ObjectId`'s hex or an id as
/// text (plain letters, digits, `_` and `-` only: ids go into keys and paths).
pub fn reference(value: &Bson) -> Option<String> {
    let text = match value {
        Bson::ObjectId(oid) => return Some(oid.to_hex()),
        Bson::String(s) => s.trim(),
        // A populated reference (`{_id: ..., name: ...}`).
        Bson::Document(d) => return d.get("_id").and_then(reference),
        _ => return None,
    };
    let plain = !text.is_empty()
        && text.len() <= 64
        && text
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
    plain.then(|| text.to_owned())
}

/// The reference in `field`: `Ok(None)` when absent or null, `Err` when
/// present but not an id.
pub fn reference_field(doc: &Document, field: &str) -> Result<Option<String>, String> {
    match doc.get(field) {
        None | Some(Bson::Null) | Some(Bson::Undefined) => Ok(None),
        Some(value) => reference(value)
            .map(Some)
            .ok_or_else(|| format!("`{field}` is not an id")),
    }
}

/// A text field, trimmed; empty or absent is `None`. Numbers are written
/// as text (a phone stored as a number).
pub fn text(doc: &Document, field: &str) -> Option<String> {
    let text = match doc.get(field)? {
        Bson::String(s) => s.trim().to_owned(),
        Bson::Int32(n) => n.to_string(),
        Bson::Int64(n) => n.to_string(),
        Bson::ObjectId(oid) => oid.to_hex(),
        _ => return None,
    };
    (!text.is_empty()).then_some(text)
}

pub fn boolean(doc: &Document, field: &str) -> Option<bool> {
    match doc.get(field)? {
        Bson::Boolean(b) => Some(*b),
        Bson::Int32(n) => Some(*n != 0),
        Bson::Int64(n) => Some(*n != 0),
        Bson::String(s) => match s.trim() {
            "true" => Some(true),
            "false" => Some(false),
            _ => None,
        },
        _ => None,
    }
}

/// A time: `Date`, ISO-8601 text, or epoch milliseconds. `Ok(None)` when
/// absent or null, `Err` when present but not a time.
pub fn time(doc: &Document, field: &str) -> Result<Option<DateTime<Utc>>, String> {
    let bad = || format!("`{field}` is not a date");
    match doc.get(field) {
        None | Some(Bson::Null) | Some(Bson::Undefined) => Ok(None),
        Some(Bson::DateTime(at)) => DateTime::from_timestamp_millis(at.timestamp_millis())
            .map(Some)
            .ok_or_else(bad),
        Some(Bson::Int64(ms)) => DateTime::from_timestamp_millis(*ms)
            .map(Some)
            .ok_or_else(bad),
        Some(Bson::String(s)) if s.trim().is_empty() => Ok(None),
        Some(Bson::String(s)) => DateTime::parse_from_rfc3339(s.trim())
            .map(|t| Some(t.with_timezone(&Utc)))
            .map_err(|_| bad()),
        Some(_) => Err(bad()),
    }
}

/// When the record was created: `createdAt`, else its `ObjectId`'s own
/// creation second, else `fallback`.
pub fn created_at(doc: &Document) -> Result<Option<DateTime<Utc>>, String> {
    if let Some(at) = time(doc, "createdAt")? {
        return Ok(Some(at));
    }
    Ok(match doc.get("_id") {
        Some(Bson::ObjectId(oid)) => {
            DateTime::from_timestamp_millis(oid.timestamp().timestamp_millis())
        }
        _ => None,
    })
}

/// The decimal text of a number as stored: `Decimal128` through its own
/// decimal string, integers as they are, a `Double` through its shortest
/// round-trip text (what the original system's JavaScript printed).
pub fn decimal_text(value: &Bson) -> Option<String> {
    match value {
        Bson::Decimal128(d) => Some(d.to_string()),
        Bson::Int32(n) => Some(n.to_string()),
        Bson::Int64(n) => Some(n.to_string()),
        Bson::Double(f) if f.is_finite() => Some(format!("{f}")),
        Bson::String(s) => Some(s.trim().to_owned()),
        _ => None,
    }
}

/// A decimal text as exact hundredths (`125.5` → 12550): at most two
/// decimals (trailing zeros aside), optionally negative, no exponent
/// except `E+0`-style ones Decimal128 writes for whole numbers.
pub fn hundredths(text: &str) -> Option<i64> {
    let text = text.trim();
    let (negative, digits) = match text.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, text.strip_prefix('+').unwrap_or(text)),
    };
    // Decimal128 writes `1.5E+3`; scale the mantissa's point instead.
    let (mantissa, exponent) = match digits.split_once(['e', 'E']) {
        Some((m, e)) => (m, e.parse::<i32>().ok()?),
        None => (digits, 0),
    };
    let (whole, fraction) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    if (whole.is_empty() && fraction.is_empty())
        || !whole
            .chars()
            .chain(fraction.chars())
            .all(|c| c.is_ascii_digit())
    {
        return None;
    }
    let mut all: String = format!("{whole}{fraction}");
    // The value is all × 10^(exponent - fraction.len()); we want × 100.
    let mut scale = exponent - fraction.len() as i32 + 2;
    while scale < 0 {
        // Only zeros may be dropped: hundredths must be exact.
        if !all.ends_with('0') {
            return None;
        }
        all.pop();
        scale += 1;
    }
    if scale > 18 {
        return None;
    }
    all.extend(std::iter::repeat_n('0', scale as usize));
    let all = all.trim_start_matches('0');
    let n: i64 = if all.is_empty() { 0 } else { all.parse().ok()? };
    Some(if negative { -n } else { n })
}

/// Money in `field` as cents: `Ok(None)` when absent or null.
pub fn cents(doc: &Document, field: &str) -> Result<Option<i64>, String> {
    match doc.get(field) {
        None | Some(Bson::Null) | Some(Bson::Undefined) => Ok(None),
        Some(value) => decimal_text(value)
            .as_deref()
            .and_then(hundredths)
            .map(Some)
            .ok_or_else(|| format!("`{field}` is not an amount with at most two decimals")),
    }
}

/// A whole number (an `Int32`, `Int64`, integral `Double` or text).
pub fn integer(value: &Bson) -> Option<i64> {
    match value {
        Bson::Int32(n) => Some(i64::from(*n)),
        Bson::Int64(n) => Some(*n),
        other => {
            let h = hundredths(&decimal_text(other)?)?;
            (h % 100 == 0).then_some(h / 100)
        }
    }
}

/// The documents of an array field (absent: none); other entries are
/// counted in the second value.
pub fn documents<'a>(doc: &'a Document, field: &str) -> (Vec<&'a Document>, usize) {
    match doc.get(field) {
        Some(Bson::Array(values)) => {
            let docs: Vec<_> = values.iter().filter_map(Bson::as_document).collect();
            let others = values.len() - docs.len();
            (docs, others)
        }
        _ => (Vec::new(), 0),
    }
}

/// The strings of an array field (absent: none).
pub fn strings(doc: &Document, field: &str) -> Vec<String> {
    match doc.get(field) {
        Some(Bson::Array(values)) => values
            .iter()
            .filter_map(Bson::as_str)
            .map(|s| s.trim().to_owned())
            .filter(|s| !s.is_empty())
            .collect(),
        _ => Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hundredths_are_exact_from_decimal_text() {
        assert_eq!(hundredths("125.5"), Some(12550));
        assert_eq!(hundredths("125.50"), Some(12550));
        assert_eq!(hundredths("0.01"), Some(1));
        assert_eq!(hundredths("1500"), Some(150000));
        assert_eq!(hundredths("-3.2"), Some(-320));
        assert_eq!(hundredths("1.5E+3"), Some(150000));
        assert_eq!(hundredths("12.345"), None);
        assert_eq!(hundredths("12.340"), Some(1234));
        assert_eq!(hundredths("abc"), None);
        assert_eq!(hundredths(""), None);
        assert_eq!(hundredths("0.1"), Some(10));
    }

    #[test]
    fn decimal128_goes_through_its_decimal_string() {
        let d: bson::Decimal128 = "19999.99".parse().expect("a decimal");
        let value = Bson::Decimal128(d);
        assert_eq!(
            decimal_text(&value).as_deref().and_then(hundredths),
            Some(1999999)
        );
        // A double prints its shortest round-trip text: 0.1 + 0.2 is not 0.3.
        assert_eq!(hundredths(&format!("{}", 0.1f64 + 0.2)), None);
        assert_eq!(
            decimal_text(&Bson::Double(250.75))
                .as_deref()
                .and_then(hundredths),
            Some(25075)
        );
    }
}
