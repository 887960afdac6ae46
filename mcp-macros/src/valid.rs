//! Checks on a parsed `#[tool]` function, each reported at the offending tokens.

use syn::Type;

use crate::expand::DEFAULT_BATCH_WINDOW_MS;
use crate::model::{vec_item, ParamKind, Receiver, ToolFn};

pub(crate) fn check(tool: &ToolFn) -> syn::Result<()> {
    let mut errors = Errors::default();
    check_signature(tool, &mut errors);
    check_params(tool, &mut errors);
    check_options(tool, &mut errors);
    check_performance_options(tool, &mut errors);
    errors.finish()
}

/// Every error found, reported together.
#[derive(Default)]
pub(crate) struct Errors(Option<syn::Error>);

impl Errors {
    pub(crate) fn push(&mut self, error: syn::Error) {
        match &mut self.0 {
            Some(all) => all.combine(error),
            None => self.0 = Some(error),
        }
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.0.is_none()
    }

    pub(crate) fn finish(self) -> syn::Result<()> {
        self.0.map_or(Ok(()), Err)
    }
}

fn check_signature(tool: &ToolFn, errors: &mut Errors) {
    check_fn(
        &tool.function,
        tool.output.as_ref(),
        "#[tool]",
        "the input schema is derived from concrete types",
        errors,
    );
}

/// Checks of the signature every macro makes: `what` is the attribute (`#[tool]`), `concrete`
/// why its functions cannot be generic.
pub(crate) fn check_fn(
    function: &syn::ItemFn,
    output: Option<&Type>,
    what: &str,
    concrete: &str,
    errors: &mut Errors,
) {
    let sig = &function.sig;
    if !sig.generics.params.is_empty() {
        errors.push(syn::Error::new_spanned(
            &sig.generics,
            format!("{what} functions cannot be generic: {concrete}"),
        ));
    } else if let Some(where_clause) = &sig.generics.where_clause {
        errors.push(syn::Error::new_spanned(
            where_clause,
            format!("{what} functions cannot have a `where` clause: {concrete}"),
        ));
    }
    if let Some(unsafety) = &sig.unsafety {
        errors.push(syn::Error::new_spanned(
            unsafety,
            format!("{what} functions cannot be `unsafe`"),
        ));
    }
    if let Some(constness) = &sig.constness {
        errors.push(syn::Error::new_spanned(
            constness,
            format!("{what} functions cannot be `const`"),
        ));
    }
    if let Some(variadic) = &sig.variadic {
        errors.push(syn::Error::new_spanned(
            variadic,
            format!("{what} functions cannot be variadic"),
        ));
    }
    if let Some(output) = output {
        if contains_impl_trait(output) {
            errors.push(syn::Error::new_spanned(
                output,
                format!("{what} functions must return a named type, not `impl Trait`"),
            ));
        }
    }
}

fn check_params(tool: &ToolFn, errors: &mut Errors) {
    let mut whole_input = None;
    let mut first_property = None;
    for param in &tool.params {
        match &param.kind {
            ParamKind::Receiver(_) if !tool.in_impl => errors.push(syn::Error::new_spanned(
                &param.tokens,
                "a #[tool] method needs `#[tools]` on its impl block, which gathers the tools: \
                 `#[tools] impl MyServer { .. }`, then `Server::builder(..).tools(my_server.tools())`",
            )),
            ParamKind::Receiver(Receiver::Unsupported) => errors.push(syn::Error::new_spanned(
                &param.tokens,
                "a #[tool] method takes `&self` or `self: Arc<Self>`: calls run concurrently, so \
                 keep mutable state behind a lock (for example a `tokio::sync::Mutex` field)",
            )),
            ParamKind::Receiver(_) => {}
            ParamKind::WholeInput { .. } => {
                if whole_input.is_some() {
                    errors.push(syn::Error::new_spanned(
                        &param.tokens,
                        "a #[tool] function takes at most one `Args<T>`",
                    ));
                }
                whole_input = Some(&param.tokens);
            }
            ParamKind::Property { bad_pattern, .. } => {
                first_property.get_or_insert(&param.tokens);
                if let Some(pattern) = bad_pattern {
                    errors.push(syn::Error::new_spanned(
                        pattern,
                        "tool parameters must be plain names: each becomes a property of the input \
                         schema (destructure inside the function, or take the whole input as `Args<T>`)",
                    ));
                }
                if contains_impl_trait(&param.ty) || matches!(param.ty, Type::Reference(_)) {
                    errors.push(syn::Error::new_spanned(
                        &param.ty,
                        "tool parameters must be owned, named types that implement `Deserialize` and \
                         `JsonSchema` (for example `String` rather than `&str`)",
                    ));
                }
            }
            ParamKind::Extracted { schema_attrs } => {
                if let Some(attr) = schema_attrs.first() {
                    errors.push(syn::Error::new_spanned(
                        attr,
                        "`#[serde]` and `#[schemars]` shape input schema properties; this argument \
                         is taken from the call, not from the client's arguments",
                    ));
                }
            }
        }
        if let Some(attr) = &param.extract {
            if !matches!(attr.meta, syn::Meta::Path(_)) {
                errors.push(syn::Error::new_spanned(
                    attr,
                    "`#[extract]` takes no arguments: it marks an argument the tool takes from \
                     the call through `FromToolCall`",
                ));
            }
        }
    }
    if let (Some(args), Some(_)) = (whole_input, first_property) {
        errors.push(syn::Error::new_spanned(
            args,
            "`Args<T>` is the whole input: move the other parameters into `T`",
        ));
    }
}

fn check_options(tool: &ToolFn, errors: &mut Errors) {
    let options = &tool.options;
    let name = options.name.as_ref();
    let valid = (1..=128).contains(&tool.name.len())
        && tool
            .name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.'));
    if !valid {
        let message = format!(
            "`{}` is not a valid tool name: use 1 to 128 characters of A-Z, a-z, 0-9, `_`, `-` and `.`",
            tool.name
        );
        match name {
            Some(lit) => errors.push(syn::Error::new_spanned(lit, message)),
            None => errors.push(syn::Error::new_spanned(&tool.function.sig.ident, message)),
        }
    }
    if let (Some(read_only), Some(destructive)) = (options.read_only, options.destructive) {
        if read_only.value && destructive.value {
            errors.push(syn::Error::new(
                destructive.span,
                "a `read_only` tool cannot be `destructive`: it does not modify anything",
            ));
        }
    }
    for (option, lit) in [
        ("title", &options.title),
        ("description", &options.description),
    ] {
        if lit
            .as_ref()
            .is_some_and(|lit| lit.value().trim().is_empty())
        {
            let message = format!("`{option}` must not be empty: write one, or remove the option");
            errors.push(syn::Error::new_spanned(lit, message));
        }
    }
}

pub(crate) fn contains_impl_trait(ty: &Type) -> bool {
    match ty {
        Type::ImplTrait(_) => true,
        Type::Reference(r) => contains_impl_trait(&r.elem),
        Type::Paren(p) => contains_impl_trait(&p.elem),
        Type::Group(g) => contains_impl_trait(&g.elem),
        _ => false,
    }
}

fn check_performance_options(tool: &ToolFn, errors: &mut Errors) {
    let options = &tool.options;
    for (option, name) in [
        (options.cache_capacity, "cache_capacity"),
        (options.cache_max_bytes, "cache_max_bytes"),
    ] {
        if let (Some(count), None) = (option, &options.cache_ttl) {
            errors.push(syn::Error::new(
                count.span,
                format!("`{name}` needs `cache_ttl`, as in `cache_ttl = 300`"),
            ));
        }
    }
    // (A zero lease is refused where durations are read.)
    if let (Some(lock), None) = (options.cache_lock, &options.cache_ttl) {
        errors.push(syn::Error::new(
            lock.span,
            "`cache_lock` needs `cache_ttl`, as in `cache_ttl = 300, cache_lock = \"5s\"`",
        ));
    }
    if let Some(local) = options.instance_local.filter(|local| local.value) {
        if options.cache_ttl.is_none() && options.rate_limit.is_none() {
            errors.push(syn::Error::new(
                local.span,
                "`instance_local` keeps a tool's cache and rate budget per instance: it needs \
                 `cache_ttl` or `rate_limit`",
            ));
        }
    }
    let Some(batch) = &options.batch else { return };
    if let Some(timeout) = options.timeout.as_ref().and_then(|t| t.fixed()) {
        let window = batch.window.map_or(DEFAULT_BATCH_WINDOW_MS, |w| w.value);
        if window >= timeout.value {
            let span = batch.window.map_or(timeout.span, |w| w.span);
            errors.push(syn::Error::new(
                span,
                "the batch `window` (2ms unless set) must be shorter than the `timeout`",
            ));
        }
    }
    if let Some(key) = batch.key.as_ref().filter(|key| key.value().is_empty()) {
        errors.push(syn::Error::new_spanned(
            key,
            "the batch `key` must not be empty",
        ));
    }
    if tool.output.is_none() {
        errors.push(syn::Error::new(
            batch.span,
            "a `batch` tool returns `Vec<V>` (one per key, in order), `HashMap<K, V>` or a `Result` of either",
        ));
    }
    let mut keys = 0;
    let mut args = false;
    for param in &tool.params {
        match &param.kind {
            ParamKind::Property { .. } => {
                keys += 1;
                if keys > 1 {
                    errors.push(syn::Error::new_spanned(
                        &param.tokens,
                        "a `batch` tool takes one `Vec<K>` of keys: remove this parameter, or make it part of the key type",
                    ));
                    continue;
                }
                match vec_item(&param.ty) {
                    None => errors.push(syn::Error::new_spanned(
                        &param.ty,
                        "a `batch` tool's function takes its keys as `Vec<K>`; the MCP tool then takes one `K`",
                    )),
                    Some(key) if matches!(key, Type::Reference(_) | Type::ImplTrait(_)) => {
                        errors.push(syn::Error::new_spanned(
                            key,
                            "batch keys must be owned, named types that implement `Deserialize`, `JsonSchema` and `Clone`",
                        ))
                    }
                    Some(_) => {}
                }
            }
            ParamKind::WholeInput { .. } => {
                args = true;
                errors.push(syn::Error::new_spanned(&param.tokens, "a `batch` tool takes `Vec<K>` of keys, not `Args<T>`"));
            }
            ParamKind::Extracted { .. } if is_request_context(&param.ty) => errors.push(syn::Error::new_spanned(
                &param.tokens,
                "a `batch` tool serves many requests in one call, so it cannot take a `RequestContext`",
            )),
            ParamKind::Extracted { .. } if param.extract.is_some() => errors.push(syn::Error::new_spanned(
                &param.tokens,
                "a `batch` tool serves many requests in one call, so it can take only `State<T>` from the call, not `#[extract]` arguments",
            )),
            _ => {}
        }
    }
    if keys == 0 && !args {
        errors.push(syn::Error::new(
            batch.span,
            "a `batch` tool's function takes one `Vec<K>` of keys (plus `State<T>` arguments)",
        ));
    }
}

fn is_request_context(ty: &Type) -> bool {
    matches!(ty, Type::Path(path) if path.path.segments.last().is_some_and(|s| s.ident == "RequestContext"))
}
