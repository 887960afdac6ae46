//! Parsing `#[tool(...)]` options.

use proc_macro2::Span;
use syn::parse::{Parse, ParseStream};
use syn::punctuated::Punctuated;
use syn::{Expr, ExprLit, Lit, LitBool, LitStr, Meta, Token};

const OPTIONS: &str = "name, title, description, read_only, destructive, idempotent, open_world";

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
            _ => Err(syn::Error::new_spanned(
                path,
                format!("unknown #[tool] option `{key}`; expected one of: {OPTIONS}"),
            )),
        }
    }
}

fn set_once<T>(slot: &mut Option<T>, value: T, meta: &Meta) -> syn::Result<()> {
    if slot.is_some() {
        let key = meta
            .path()
            .get_ident()
            .map(ToString::to_string)
            .unwrap_or_default();
        return Err(syn::Error::new_spanned(
            meta,
            format!("duplicate #[tool] option `{key}`"),
        ));
    }
    *slot = Some(value);
    Ok(())
}

fn string_value(meta: &Meta, example: &str) -> syn::Result<LitStr> {
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
