//! Parsing `#[tool(...)]` options.

use proc_macro2::Span;
use quote::ToTokens;
use syn::parse::{Parse, ParseStream};
use syn::punctuated::Punctuated;
use syn::{Expr, ExprLit, Lit, LitBool, LitStr, Meta, Token};

const OPTIONS: &str = "name, title, description, read_only, destructive, idempotent, open_world, \
                       cache_ttl, cache_capacity, cache_max_bytes, cache_lock, instance_local, timeout, concurrency, \
                       rate_limit, batch, layer, verbatim_schema, structured, crate";

/// The options of one `#[tool(...)]`, as written.
#[derive(Default)]
pub(crate) struct ToolOptions {
    pub name: Option<LitStr>,
    pub title: Option<LitStr>,
    pub description: Option<LitStr>,
    pub read_only: Option<Hint>,
    pub destructive: Option<Hint>,
    pub idempotent: Option<Hint>,
    pub open_world: Option<Hint>,
    /// Publish the input schema exactly as schemars makes it (`$schema`, `$defs`, ...).
    pub verbatim_schema: Option<Hint>,
    /// `structured = false`: results as text only, with no `outputSchema`.
    pub structured: Option<Hint>,
    pub cache_ttl: Option<Setting<Millis>>,
    pub cache_capacity: Option<Count>,
    pub cache_max_bytes: Option<Count>,
    /// `cache_lock = "5s"`: misses across instances take a Redis lock with this lease.
    pub cache_lock: Option<Millis>,
    /// The cache (and rate budget) stay per instance even on a server with Redis.
    pub instance_local: Option<Hint>,
    pub timeout: Option<Setting<Millis>>,
    pub concurrency: Option<Setting<Count>>,
    pub rate_limit: Option<Setting<Rate>>,
    pub batch: Option<BatchOptions>,
    /// `layer = expr`, in the order written.
    pub layers: Vec<Expr>,
    /// `crate = "path"`: where the generated code finds the runtime (`::mcp_toolkit` unless set).
    pub krate: Option<syn::Path>,
}

/// An option written as a literal (checked here, at compile time) or as code (a const, a
/// config field, any expression: checked when the tool is built).
pub(crate) enum Setting<T> {
    Fixed(T),
    Code(Expr),
}

impl<T: Copy> Setting<T> {
    /// The literal value, when the option was written as one.
    pub(crate) fn fixed(&self) -> Option<T> {
        match self {
            Setting::Fixed(value) => Some(*value),
            Setting::Code(_) => None,
        }
    }
}

/// A duration option, in milliseconds.
#[derive(Clone, Copy)]
pub(crate) struct Millis {
    pub value: u64,
    pub span: Span,
}

/// A positive count option.
#[derive(Clone, Copy)]
pub(crate) struct Count {
    pub value: u64,
    pub span: Span,
}

/// `rate_limit = "10/s"`: at most `calls` calls start per period.
#[derive(Clone, Copy)]
pub(crate) struct Rate {
    pub calls: u32,
    pub period_ms: u64,
}

/// `batch` or `batch(max_size = N, window = "2ms", key = "id")`.
pub(crate) struct BatchOptions {
    pub span: Span,
    pub max_size: Option<Count>,
    pub window: Option<Millis>,
    pub key: Option<LitStr>,
}

/// A boolean annotation: `read_only` or `read_only = false`.
#[derive(Clone, Copy)]
pub(crate) struct Hint {
    pub value: bool,
    pub span: Span,
}

impl Parse for ToolOptions {
    fn parse(input: ParseStream<'_>) -> syn::Result<Self> {
        let mut options = ToolOptions::default();
        for meta in Punctuated::<Meta, Token![,]>::parse_terminated(input)? {
            options.set(&meta)?;
        }
        Ok(options)
    }
}

impl ToolOptions {
    fn set(&mut self, meta: &Meta) -> syn::Result<()> {
        let path = meta.path();
        let Some(key) = path.get_ident().map(ToString::to_string) else {
            return Err(syn::Error::new_spanned(
                path,
                format!("unknown #[tool] option; expected one of: {OPTIONS}"),
            ));
        };
        match key.as_str() {
            "name" => set_once(
                &mut self.name,
                string_value(meta, "name = \"search_docs\"")?,
                meta,
            ),
            "title" => set_once(
                &mut self.title,
                string_value(meta, "title = \"Search the docs\"")?,
                meta,
            ),
            "description" => set_once(
                &mut self.description,
                string_value(meta, "description = \"Searches the docs.\"")?,
                meta,
            ),
            "read_only" => set_once(&mut self.read_only, hint_value(meta)?, meta),
            "destructive" => set_once(&mut self.destructive, hint_value(meta)?, meta),
            "idempotent" => set_once(&mut self.idempotent, hint_value(meta)?, meta),
            "open_world" => set_once(&mut self.open_world, hint_value(meta)?, meta),
            "verbatim_schema" => set_once(&mut self.verbatim_schema, hint_value(meta)?, meta),
            "structured" => set_once(&mut self.structured, hint_value(meta)?, meta),
            "cache_ttl" => set_once(
                &mut self.cache_ttl,
                setting(meta, |meta| {
                    duration_value(meta, DurationForm::SecondsOrText)
                })?,
                meta,
            ),
            "cache_capacity" => set_once(&mut self.cache_capacity, count_value(meta)?, meta),
            "cache_max_bytes" => set_once(&mut self.cache_max_bytes, count_value(meta)?, meta),
            "cache_lock" => set_once(
                &mut self.cache_lock,
                duration_value(meta, DurationForm::Text)?,
                meta,
            ),
            "instance_local" => set_once(&mut self.instance_local, hint_value(meta)?, meta),
            "timeout" => set_once(
                &mut self.timeout,
                setting(meta, |meta| duration_value(meta, DurationForm::Text))?,
                meta,
            ),
            "concurrency" => set_once(&mut self.concurrency, setting(meta, count_value)?, meta),
            "rate_limit" => set_once(&mut self.rate_limit, setting(meta, rate_value)?, meta),
            "crate" => set_once(&mut self.krate, crate_path(meta)?, meta),
            "batch" => set_once(&mut self.batch, batch_value(meta)?, meta),
            "layer" => match meta {
                Meta::NameValue(nv) => {
                    self.layers.push(nv.value.clone());
                    Ok(())
                }
                _ => Err(syn::Error::new_spanned(
                    meta,
                    "expected a tower layer, as in `layer = my_layer()`",
                )),
            },
            _ => Err(syn::Error::new_spanned(
                path,
                format!("unknown #[tool] option `{key}`; expected one of: {OPTIONS}"),
            )),
        }
    }
}

/// A literal read by `literal`, or any other expression kept as code. Literals of the wrong
/// kind (`timeout = 5`) stay errors: they are typos, not code.
fn setting<T>(meta: &Meta, literal: impl Fn(&Meta) -> syn::Result<T>) -> syn::Result<Setting<T>> {
    match meta {
        Meta::NameValue(nv) if !matches!(nv.value, Expr::Lit(_)) => {
            Ok(Setting::Code(nv.value.clone()))
        }
        _ => literal(meta).map(Setting::Fixed),
    }
}

/// `crate = "my_toolkit"`: a path in a string, as serde's `crate` takes it.
pub(crate) fn crate_path(meta: &Meta) -> syn::Result<syn::Path> {
    let lit = string_value(meta, "crate = \"mcp_runtime\"")?;
    lit.parse_with(syn::Path::parse_mod_style).map_err(|_| {
        syn::Error::new_spanned(
            &lit,
            "`crate` takes a path, as in `crate = \"mcp_runtime\"` or `crate = \"::my_toolkit\"`",
        )
    })
}

fn set_once<T>(slot: &mut Option<T>, value: T, meta: &Meta) -> syn::Result<()> {
    set_once_in("#[tool]", slot, value, meta)
}

pub(crate) fn set_once_in<T>(
    within: &str,
    slot: &mut Option<T>,
    value: T,
    meta: &Meta,
) -> syn::Result<()> {
    if slot.is_some() {
        let key = meta
            .path()
            .get_ident()
            .map(ToString::to_string)
            .unwrap_or_default();
        return Err(syn::Error::new_spanned(
            meta,
            format!("duplicate {within} option `{key}`"),
        ));
    }
    *slot = Some(value);
    Ok(())
}

pub(crate) fn string_value(meta: &Meta, example: &str) -> syn::Result<LitStr> {
    match meta {
        Meta::NameValue(nv) => match &nv.value {
            Expr::Lit(ExprLit {
                lit: Lit::Str(lit), ..
            }) => Ok(lit.clone()),
            other => Err(syn::Error::new_spanned(
                other,
                format!("expected a string literal, as in `{example}`"),
            )),
        },
        _ => Err(syn::Error::new_spanned(
            meta,
            format!("expected a value, as in `{example}`"),
        )),
    }
}

fn hint_value(meta: &Meta) -> syn::Result<Hint> {
    let key = meta
        .path()
        .get_ident()
        .map(ToString::to_string)
        .unwrap_or_default();
    match meta {
        Meta::Path(path) => Ok(Hint {
            value: true,
            span: path_span(path),
        }),
        Meta::NameValue(nv) => match &nv.value {
            Expr::Lit(ExprLit {
                lit: Lit::Bool(LitBool { value, span }),
                ..
            }) => Ok(Hint {
                value: *value,
                span: *span,
            }),
            other => Err(syn::Error::new_spanned(
                other,
                format!(
                    "`{key}` takes `true` or `false`, as in `{key} = false`, or no value at all"
                ),
            )),
        },
        Meta::List(list) => Err(syn::Error::new_spanned(
            list,
            format!("`{key}` takes no parentheses: write `{key}` or `{key} = false`"),
        )),
    }
}

fn path_span(path: &syn::Path) -> Span {
    path.segments
        .first()
        .map_or_else(Span::call_site, |segment| segment.ident.span())
}

#[derive(Clone, Copy, PartialEq)]
pub(crate) enum DurationForm {
    /// `"5s"`, `"250ms"`, `"2m"`, `"1h"`.
    Text,
    /// Also a bare integer of seconds: `300`.
    SecondsOrText,
}

pub(crate) fn duration_value(meta: &Meta, form: DurationForm) -> syn::Result<Millis> {
    let key = meta
        .path()
        .get_ident()
        .map(ToString::to_string)
        .unwrap_or_default();
    let example = match (form, key.as_str()) {
        (DurationForm::SecondsOrText, _) => format!("{key} = 300"),
        (DurationForm::Text, "window") => format!("{key} = \"2ms\""),
        (DurationForm::Text, _) => format!("{key} = \"5s\""),
    };
    let Meta::NameValue(nv) = meta else {
        return Err(syn::Error::new_spanned(
            meta,
            format!("expected a value, as in `{example}`"),
        ));
    };
    let (millis, span) = match &nv.value {
        Expr::Lit(ExprLit {
            lit: Lit::Str(lit), ..
        }) => {
            let text = lit.value();
            let millis = parse_duration(&text).ok_or_else(|| match text.bytes().take_while(u8::is_ascii_digit).count() {
                digits if digits > 0 && parse_duration(&format!("1{}", &text[digits..])).is_some() => {
                    "this duration is too long".to_owned()
                }
                _ => "invalid duration: write a whole number followed by `ms`, `s`, `m` or `h`, as in \"5s\" or \"250ms\""
                    .to_owned(),
            });
            (millis, lit.span())
        }
        Expr::Lit(ExprLit {
            lit: Lit::Int(lit), ..
        }) if form == DurationForm::SecondsOrText => {
            let millis = lit.base10_parse::<u64>().ok().and_then(|secs| secs.checked_mul(1000)).ok_or_else(|| {
                format!("`{key}` takes a whole number of seconds (too large here), or a duration string such as \"5m\"")
            });
            (millis, lit.span())
        }
        other => {
            let what = if form == DurationForm::Text {
                "a duration string"
            } else {
                "seconds or a duration string"
            };
            return Err(syn::Error::new_spanned(
                other,
                format!("`{key}` takes {what}, as in `{example}`"),
            ));
        }
    };
    match millis {
        Ok(0) => Err(syn::Error::new(
            span,
            format!("`{key}` must be longer than zero"),
        )),
        Ok(value) => Ok(Millis { value, span }),
        Err(message) => Err(syn::Error::new(span, message)),
    }
}

/// `"250ms"`, `"5s"`, `"2m"`, `"1h"` in milliseconds.
pub(crate) fn parse_duration(text: &str) -> Option<u64> {
    let digits = text.bytes().take_while(u8::is_ascii_digit).count();
    let number: u64 = text[..digits].parse().ok()?;
    let unit = match &text[digits..] {
        "ms" => 1,
        "s" => 1000,
        "m" => 60_000,
        "h" => 3_600_000,
        _ => return None,
    };
    number.checked_mul(unit)
}

pub(crate) fn count_value(meta: &Meta) -> syn::Result<Count> {
    let key = meta
        .path()
        .get_ident()
        .map(ToString::to_string)
        .unwrap_or_default();
    // The example must be a value one would write: a byte budget of 8 is not.
    let example = match key.as_str() {
        "cache_max_bytes" => "`cache_max_bytes = 67_108_864` (64 MiB)".to_owned(),
        _ => format!("`{key} = 8`"),
    };
    let message = format!("`{key}` takes a whole number greater than zero, as in {example}");
    match meta {
        Meta::NameValue(nv) => match &nv.value {
            Expr::Lit(ExprLit {
                lit: Lit::Int(lit), ..
            }) => match lit.base10_parse::<u64>() {
                Ok(value) if value > 0 => Ok(Count {
                    value,
                    span: lit.span(),
                }),
                _ => Err(syn::Error::new_spanned(lit, message)),
            },
            other => Err(syn::Error::new_spanned(other, message)),
        },
        _ => Err(syn::Error::new_spanned(meta, message)),
    }
}

pub(crate) fn rate_value(meta: &Meta) -> syn::Result<Rate> {
    const FORM: &str = "`rate_limit` takes calls per period, as in `rate_limit = \"10/s\"` or \
                        `rate_limit = \"100/5m\"` (periods in `ms`, `s`, `m` or `h`)";
    let lit = string_value(meta, "rate_limit = \"10/s\"")
        .map_err(|err| syn::Error::new(err.span(), FORM))?;
    let text = lit.value();
    let (calls, period) = text.split_once('/').unwrap_or((&text, ""));
    // A bare unit is one of it: "10/s" is ten per second.
    let period = match period.bytes().next() {
        Some(b'0'..=b'9') => parse_duration(period),
        _ => parse_duration(&format!("1{period}")),
    };
    // Digits only: `u32::from_str` would also take a sign.
    let calls = calls
        .bytes()
        .all(|b| b.is_ascii_digit())
        .then(|| calls.parse::<u32>().ok())
        .flatten();
    match (calls, period) {
        (Some(0), _) => Err(syn::Error::new(
            lit.span(),
            "`rate_limit` must let at least one call through per period",
        )),
        (_, Some(0)) => Err(syn::Error::new(
            lit.span(),
            "`rate_limit`'s period must be longer than zero",
        )),
        (Some(calls), Some(period_ms)) => Ok(Rate { calls, period_ms }),
        _ => Err(syn::Error::new(lit.span(), FORM)),
    }
}

fn batch_value(meta: &Meta) -> syn::Result<BatchOptions> {
    let mut options = BatchOptions {
        span: path_span(meta.path()),
        max_size: None,
        window: None,
        key: None,
    };
    match meta {
        Meta::Path(_) => Ok(options),
        Meta::NameValue(nv) => Err(syn::Error::new_spanned(
            nv,
            "write `batch` or `batch(max_size = 100, window = \"2ms\", key = \"id\")`",
        )),
        Meta::List(list) => {
            let inner = list.parse_args_with(Punctuated::<Meta, Token![,]>::parse_terminated)?;
            for item in &inner {
                match item.path().get_ident().map(ToString::to_string).as_deref() {
                    Some("max_size") => {
                        set_once_in("`batch`", &mut options.max_size, count_value(item)?, item)?
                    }
                    Some("window") => set_once(
                        &mut options.window,
                        duration_value(item, DurationForm::Text)?,
                        item,
                    )?,
                    Some("key") => {
                        set_once(&mut options.key, string_value(item, "key = \"id\"")?, item)?
                    }
                    _ => {
                        return Err(syn::Error::new_spanned(
                            item.path(),
                            format!(
                            "unknown `batch` option `{}`; expected one of: max_size, window, key",
                            item.path().to_token_stream()
                        ),
                        ))
                    }
                }
            }
            Ok(options)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{parse_duration, rate_value};

    #[test]
    fn rates() {
        let rate = |text: &str| {
            let meta: syn::Meta = syn::parse_str(&format!("rate_limit = {text:?}")).unwrap();
            rate_value(&meta).map(|r| (r.calls, r.period_ms)).ok()
        };
        assert_eq!(rate("10/s"), Some((10, 1000)));
        assert_eq!(rate("100/5m"), Some((100, 300_000)));
        assert_eq!(rate("1/250ms"), Some((1, 250)));
        for bad in [
            "+5/s", "5/", "/s", "5", "0/s", "5/0s", "5/-1s", "five/s", "5 / s",
        ] {
            assert_eq!(rate(bad), None, "{bad}");
        }
    }

    #[test]
    fn durations() {
        assert_eq!(parse_duration("250ms"), Some(250));
        assert_eq!(parse_duration("5s"), Some(5000));
        assert_eq!(parse_duration("2m"), Some(120_000));
        assert_eq!(parse_duration("1h"), Some(3_600_000));
        for bad in [
            "",
            "5",
            "s",
            "5 s",
            "1.5s",
            "5sec",
            "-1s",
            "99999999999999999999s",
        ] {
            assert_eq!(parse_duration(bad), None, "{bad}");
        }
    }
}
