//! `#[tool]` options written as code (`timeout = CONFIG.timeout`, `concurrency = POOL_SIZE`,
//! `rate_limit = settings.rate.as_str()`), checked when the tool is built, the moment the value
//! exists. A literal is checked by the macro at compile time; an invalid value from code stops
//! the program at start-up with a message naming the tool and option, as a wrong literal stops
//! the build.

use std::time::Duration;

/// A value `timeout = ...` or `cache_ttl = ...` accepts from code.
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a duration",
    label = "this #[tool] option takes a `std::time::Duration` here",
    note = "for example `timeout = Duration::from_secs(5)`, a `const TIMEOUT: Duration`, or a literal such as `timeout = \"5s\"`"
)]
pub trait DurationOption {
    /// The duration.
    fn into_duration(self) -> Duration;
}

impl DurationOption for Duration {
    fn into_duration(self) -> Duration {
        self
    }
}

impl DurationOption for &Duration {
    fn into_duration(self) -> Duration {
        *self
    }
}

/// A value `concurrency = ...` accepts from code: any integer (checked to be positive).
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a count",
    label = "this #[tool] option takes a whole number here",
    note = "for example `concurrency = POOL_SIZE` with `const POOL_SIZE: usize = 8`, or a literal such as `concurrency = 8`"
)]
pub trait CountOption {
    /// The count, when it fits a `usize` (negative numbers do not).
    fn into_count(self) -> Option<usize>;
}

macro_rules! count_option {
    ($($ty:ty)*) => {$(
        impl CountOption for $ty {
            fn into_count(self) -> Option<usize> {
                usize::try_from(self).ok()
            }
        }
    )*};
}

count_option!(usize u8 u16 u32 u64 u128 isize i8 i16 i32 i64 i128);

/// A value `rate_limit = ...` accepts from code: text such as `"10/s"` (what the literal form
/// takes) or `(calls, period)`.
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a rate",
    label = "this #[tool] option takes calls per period here",
    note = "for example `rate_limit = config.rate.as_str()` holding \"10/s\", or `rate_limit = (10, Duration::from_secs(1))`"
)]
pub trait RateOption {
    /// Calls per period, or why the value is not one.
    fn into_rate(self) -> Result<(u32, Duration), String>;
}

impl RateOption for &str {
    fn into_rate(self) -> Result<(u32, Duration), String> {
        parse_rate(self).ok_or_else(|| {
            format!(
                "{self:?} is not a rate: write calls per period, as in \"10/s\" or \"100/5m\" \
                 (periods in ms, s, m or h)"
            )
        })
    }
}

impl RateOption for String {
    fn into_rate(self) -> Result<(u32, Duration), String> {
        self.as_str().into_rate()
    }
}

impl RateOption for &String {
    fn into_rate(self) -> Result<(u32, Duration), String> {
        self.as_str().into_rate()
    }
}

impl RateOption for (u32, Duration) {
    fn into_rate(self) -> Result<(u32, Duration), String> {
        Ok(self)
    }
}

/// Checks a duration option: it must be longer than zero.
///
/// # Panics
/// When it is zero, naming `tool` and `option`.
pub fn duration_option(tool: &str, option: &str, value: impl DurationOption) -> Duration {
    let duration = value.into_duration();
    assert!(
        !duration.is_zero(),
        "#[tool] `{tool}`: `{option}` must be longer than zero"
    );
    duration
}

/// Checks a count option: a whole number greater than zero.
///
/// # Panics
/// When it is zero or negative, naming `tool` and `option`.
pub fn count_option(tool: &str, option: &str, value: impl CountOption) -> usize {
    match value.into_count() {
        Some(count) if count > 0 => count,
        _ => panic!("#[tool] `{tool}`: `{option}` must be a whole number greater than zero"),
    }
}

/// Checks a rate option: at least one call per period longer than zero.
///
/// # Panics
/// When it is not one, naming `tool`.
pub fn rate_option(tool: &str, value: impl RateOption) -> (u32, Duration) {
    match value.into_rate() {
        Ok((0, _)) => {
            panic!("#[tool] `{tool}`: `rate_limit` must let at least one call through per period")
        }
        Ok((_, period)) if period.is_zero() => {
            panic!("#[tool] `{tool}`: `rate_limit`'s period must be longer than zero")
        }
        Ok(rate) => rate,
        Err(message) => panic!("#[tool] `{tool}`: `rate_limit`: {message}"),
    }
}

/// `"10/s"`, `"100/5m"`, `"1/250ms"`: calls (digits only) per period (a bare unit is one of it).
fn parse_rate(text: &str) -> Option<(u32, Duration)> {
    let (calls, period) = text.split_once('/')?;
    if calls.is_empty() || !calls.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let calls = calls.parse().ok()?;
    let digits = period.bytes().take_while(u8::is_ascii_digit).count();
    let count: u64 = match digits {
        0 => 1,
        _ => period[..digits].parse().ok()?,
    };
    let unit = match &period[digits..] {
        "ms" => 1,
        "s" => 1000,
        "m" => 60_000,
        "h" => 3_600_000,
        _ => return None,
    };
    Some((calls, Duration::from_millis(count.checked_mul(unit)?)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rates_read_as_the_literal_form_does() {
        assert_eq!(parse_rate("10/s"), Some((10, Duration::from_secs(1))));
        assert_eq!(parse_rate("100/5m"), Some((100, Duration::from_secs(300))));
        assert_eq!(parse_rate("1/250ms"), Some((1, Duration::from_millis(250))));
        for bad in ["+5/s", "5/", "/s", "5", "five/s", "5 / s", "5/1.5s", "5/2d"] {
            assert_eq!(parse_rate(bad), None, "{bad}");
        }
    }

    #[test]
    fn values_from_code_are_checked() {
        assert_eq!(count_option("t", "concurrency", 4 * 2), 8);
        assert_eq!(
            duration_option("t", "timeout", Duration::from_secs(5)),
            Duration::from_secs(5)
        );
        assert_eq!(rate_option("t", "3/m"), (3, Duration::from_secs(60)));
        let zero = std::panic::catch_unwind(|| count_option("lookup", "concurrency", 0_usize));
        let message = *zero.unwrap_err().downcast::<String>().unwrap();
        assert_eq!(
            message,
            "#[tool] `lookup`: `concurrency` must be a whole number greater than zero"
        );
        assert!(std::panic::catch_unwind(|| count_option("t", "concurrency", -1)).is_err());
        assert!(
            std::panic::catch_unwind(|| duration_option("t", "timeout", Duration::ZERO)).is_err()
        );
        assert!(std::panic::catch_unwind(|| rate_option("t", "0/s")).is_err());
        assert!(std::panic::catch_unwind(|| rate_option("t", "ten/s")).is_err());
    }
}
