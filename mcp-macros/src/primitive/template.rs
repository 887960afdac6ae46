//! The rules of `mcp_runtime::resource::UriTemplate::parse`, checked at compile time.
//!
//! Plain `std` on purpose: the runtime's tests include this file and check that both accept
//! and refuse the same templates (and find the same variables).

/// The variable names of a URI template, in order; or why it does not parse (the runtime's
/// words).
pub(crate) fn variables(text: &str) -> Result<Vec<String>, &'static str> {
    let mut variables = Vec::new();
    let mut rest = text;
    // Whether the last part was a variable (two side by side cannot be told apart).
    let mut after_variable = false;
    while let Some(open) = rest.find('{') {
        if open == 0 && after_variable {
            return Err("two variables side by side cannot be told apart");
        }
        let close = match rest[open..].find('}') {
            Some(close) => close + open,
            None => return Err("a `{` is not closed"),
        };
        let inner = &rest[open + 1..close];
        let name = inner.strip_prefix('+').unwrap_or(inner);
        if name.is_empty() || !name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_') {
            return Err("variable names are A-Z a-z 0-9 _ (forms other than {name} and {+name} are not supported)");
        }
        variables.push(name.to_owned());
        after_variable = true;
        rest = &rest[close + 1..];
    }
    if rest.contains('}') {
        return Err("a `}` without its `{`");
    }
    Ok(variables)
}
