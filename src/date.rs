//! The date of service: a real calendar date, written `YYYY-MM-DD` or `YYYYMMDD`.
//!
//! A leaf module (no medcode imports) so that the CLI, JSONL records, the pipeline's options and
//! the dictionary's checks share one type, and an impossible date (2026-02-30) is refused where
//! it is read instead of being treated as absent later. Calendar arithmetic is jiff's.

use std::fmt;
use std::str::FromStr;

/// A date of service.
///
/// ```
/// use medcode::date::ServiceDate;
/// let date: ServiceDate = "20260115".parse().unwrap();
/// assert_eq!(date.to_string(), "2026-01-15");
/// assert!("2026-02-30".parse::<ServiceDate>().is_err());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ServiceDate(jiff::civil::Date);

/// Why a date of service was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "`{text}` is not a date of service: expected a calendar date as YYYY-MM-DD or YYYYMMDD ({why})"
)]
pub struct DateError {
    /// What was given (cut to 40 characters).
    pub text: String,
    /// What is wrong with it.
    pub why: String,
}

impl FromStr for ServiceDate {
    type Err = DateError;

    fn from_str(text: &str) -> Result<Self, DateError> {
        let trimmed = text.trim();
        let error = |why: String| DateError {
            text: trimmed.chars().take(40).collect(),
            why,
        };
        let shape_ok = match trimmed.len() {
            8 => trimmed.bytes().all(|b| b.is_ascii_digit()),
            10 => trimmed.bytes().enumerate().all(|(i, b)| match i {
                4 | 7 => b == b'-',
                _ => b.is_ascii_digit(),
            }),
            _ => false,
        };
        if !shape_ok {
            return Err(error("not of that shape".into()));
        }
        let digits: String = trimmed.chars().filter(char::is_ascii_digit).collect();
        let number = |range: std::ops::Range<usize>| digits[range].parse::<i16>().unwrap_or(0);
        let (year, month, day) = (number(0..4), number(4..6), number(6..8));
        jiff::civil::Date::new(year, month as i8, day as i8)
            .map(ServiceDate)
            .map_err(|e| error(e.to_string()))
    }
}

impl fmt::Display for ServiceDate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{:04}-{:02}-{:02}",
            self.0.year(),
            self.0.month(),
            self.0.day()
        )
    }
}

impl serde::Serialize for ServiceDate {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> serde::Deserialize<'de> for ServiceDate {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = <std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_of_service_are_calendar_dates() {
        let cases: &[(&str, Option<&str>)] = &[
            ("2026-01-15", Some("2026-01-15")),
            ("20260115", Some("2026-01-15")),
            (" 2024-02-29 ", Some("2024-02-29")),
            ("2026-02-29", None),
            ("2026-02-30", None),
            ("20261399", None),
            ("2026-1-15", None),
            ("January 15", None),
            ("", None),
            ("ÉÉÉÉ-ÉÉ-ÉÉ", None),
        ];
        for (text, expected) in cases {
            let got = text.parse::<ServiceDate>().ok().map(|d| d.to_string());
            assert_eq!(got.as_deref(), *expected, "{text:?}");
        }
        let err = "2026-02-30".parse::<ServiceDate>().unwrap_err().to_string();
        assert!(
            err.contains("2026-02-30") && err.contains("YYYY-MM-DD"),
            "{err}"
        );
    }
}
