//! Parsing `#[prompt(...)]` and `#[resource("uri", ...)]` options.

use syn::ext::IdentExt;
use syn::parse::{Parse, ParseStream};
use syn::punctuated::Punctuated;
use syn::{Expr, Ident, LitStr, Meta, Token};

use super::kind::Kind;
use crate::attr::{
    count_value, duration_value, rate_value, set_once_in, string_value, Count, DurationForm,
    Millis, Rate,
};

/// The options of one `#[prompt]` or `#[resource]`, as written.
#[derive(Default)]
pub(crate) struct PrimitiveOptions {
    /// The URI or URI template of a resource (its first, unnamed, argument).
    pub uri: Option<LitStr>,
    pub name: Option<LitStr>,
    pub title: Option<LitStr>,
    pub description: Option<LitStr>,
    /// `mime_type = "..."` (resources only).
    pub mime_type: Option<LitStr>,
    /// `complete(argument = completer, ...)`, in the order written.
    pub completions: Vec<Completion>,
    /// `timeout = "5s"`: bounds each read or get.
    pub timeout: Option<Millis>,
    /// `cache_ttl = 60` (resources only): caches successful reads.
    pub cache_ttl: Option<Millis>,
    /// `concurrency = N`: at most N reads or gets at once; more wait.
    pub concurrency: Option<Count>,
    /// `rate_limit = "10/s"`: at most that many reads or gets start in any window.
    pub rate_limit: Option<Rate>,
}

/// `argument = completer` in `complete(...)`.
pub(crate) struct Completion {
    pub argument: Ident,
    pub completer: Expr,
}

/// `#[prompt(...)]`.
pub(crate) struct PromptOptions(pub PrimitiveOptions);

/// `#[resource("uri", ...)]`.
pub(crate) struct ResourceOptions(pub PrimitiveOptions);

impl Parse for PromptOptions {
    fn parse(input: ParseStream<'_>) -> syn::Result<Self> {
        let mut options = PrimitiveOptions::default();
        options.parse_named(input, Kind::Prompt)?;
        Ok(PromptOptions(options))
    }
}

impl Parse for ResourceOptions {
    fn parse(input: ParseStream<'_>) -> syn::Result<Self> {
        const FIRST: &str = "#[resource] takes the resource's URI (or URI template) first, \
                             as in `#[resource(\"docs://readme\")]` or `#[resource(\"users://{id}/profile\")]`";
        if input.is_empty() {
            return Err(syn::Error::new(proc_macro2::Span::call_site(), FIRST));
        }
        if !input.peek(LitStr) {
            return Err(input.error(FIRST));
        }
        let mut options = PrimitiveOptions {
            uri: Some(input.parse()?),
            ..PrimitiveOptions::default()
        };
        if !input.is_empty() {
            input.parse::<Token![,]>()?;
            options.parse_named(input, Kind::Resource)?;
        }
        Ok(ResourceOptions(options))
    }
}

impl PrimitiveOptions {
    fn parse_named(&mut self, input: ParseStream<'_>, kind: Kind) -> syn::Result<()> {
        for meta in Punctuated::<Meta, Token![,]>::parse_terminated(input)? {
            self.set(&meta, kind)?;
        }
        Ok(())
    }

    fn set(&mut self, meta: &Meta, kind: Kind) -> syn::Result<()> {
        let within = kind.attribute();
        let expected = match kind {
            Kind::Prompt => "name, title, description, complete, timeout, concurrency, rate_limit",
            Kind::Resource => {
                "name, title, description, mime_type, complete, timeout, cache_ttl, concurrency, \
                 rate_limit"
            }
        };
        let path = meta.path();
        let key = path.get_ident().map(ToString::to_string);
        match key.as_deref() {
            Some("name") => set_once_in(
                within,
                &mut self.name,
                string_value(meta, kind.example_name())?,
                meta,
            ),
            Some("title") => set_once_in(
                within,
                &mut self.title,
                string_value(meta, "title = \"Code review\"")?,
                meta,
            ),
            Some("description") => set_once_in(
                within,
                &mut self.description,
                string_value(meta, "description = \"Reviews a piece of code.\"")?,
                meta,
            ),
            Some("mime_type") if kind == Kind::Resource => set_once_in(
                within,
                &mut self.mime_type,
                string_value(meta, "mime_type = \"application/json\"")?,
                meta,
            ),
            Some("complete") => {
                self.completions.extend(completions(meta)?);
                Ok(())
            }
            Some("timeout") => set_once_in(
                within,
                &mut self.timeout,
                duration_value(meta, DurationForm::Text)?,
                meta,
            ),
            Some("concurrency") => {
                set_once_in(within, &mut self.concurrency, count_value(meta)?, meta)
            }
            Some("rate_limit") => {
                set_once_in(within, &mut self.rate_limit, rate_value(meta)?, meta)
            }
            Some("cache_ttl") if kind == Kind::Resource => set_once_in(
                within,
                &mut self.cache_ttl,
                duration_value(meta, DurationForm::SecondsOrText)?,
                meta,
            ),
            Some(key) => Err(syn::Error::new_spanned(
                path,
                format!("unknown {within} option `{key}`; expected one of: {expected}"),
            )),
            None => Err(syn::Error::new_spanned(
                path,
                format!("unknown {within} option; expected one of: {expected}"),
            )),
        }
    }
}

/// `complete(city = cities, style = values(["warm", "formal"]))`.
fn completions(meta: &Meta) -> syn::Result<Vec<Completion>> {
    const FORM: &str = "write `complete(argument = completer)`, as in `complete(city = cities)` \
                        with `async fn cities(req: CompletionRequest) -> Vec<String>`";
    let Meta::List(list) = meta else {
        return Err(syn::Error::new_spanned(meta, FORM));
    };
    let items = list.parse_args_with(Punctuated::<Meta, Token![,]>::parse_terminated)?;
    if items.is_empty() {
        return Err(syn::Error::new_spanned(list, FORM));
    }
    items
        .into_iter()
        .map(|item| match item {
            Meta::NameValue(nv) => match nv.path.get_ident() {
                Some(argument) => Ok(Completion {
                    argument: argument.clone(),
                    completer: nv.value,
                }),
                None => Err(syn::Error::new_spanned(nv.path, FORM)),
            },
            other => Err(syn::Error::new_spanned(other, FORM)),
        })
        .collect()
}

impl Completion {
    /// The argument's name, as clients see it (`r#type` is `type`).
    pub(crate) fn name(&self) -> String {
        self.argument.unraw().to_string()
    }
}
