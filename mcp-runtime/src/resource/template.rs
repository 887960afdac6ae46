//! URI templates (RFC 6570, the forms resource templates use): `{name}` matches one path
//! segment, `{+name}` any text; matching a URI gives each variable its (percent-decoded) value.

use std::fmt;

/// A parsed URI template such as `test://template/{id}/data`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UriTemplate {
    text: String,
    parts: Vec<Part>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
enum Part {
    Literal(String),
    /// `{name}`: one segment (no `/`, `?` or `#`); `{+name}`: anything.
    Variable {
        name: String,
        reserved: bool,
    },
}

/// Why a URI template could not be parsed.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("invalid URI template `{template}`: {reason}")]
pub struct TemplateError {
    template: String,
    reason: &'static str,
}

impl UriTemplate {
    /// Parses a template.
    ///
    /// ```
    /// use mcp_runtime::resource::UriTemplate;
    /// let template = UriTemplate::parse("test://template/{id}/data").unwrap();
    /// let vars = template.matches("test://template/123/data").unwrap();
    /// assert_eq!(vars, [("id".to_owned(), "123".to_owned())]);
    /// assert!(template.matches("test://template/1/2/data").is_none());
    /// ```
    ///
    /// # Errors
    /// Unclosed or empty braces, two variables side by side (nothing tells them apart), or a
    /// variable name that is not `A-Z a-z 0-9 _`.
    pub fn parse(text: &str) -> Result<UriTemplate, TemplateError> {
        let error = |reason| TemplateError {
            template: text.to_owned(),
            reason,
        };
        let mut parts = Vec::new();
        let mut rest = text;
        while let Some(open) = rest.find('{') {
            if open > 0 {
                parts.push(Part::Literal(rest[..open].to_owned()));
            } else if matches!(parts.last(), Some(Part::Variable { .. })) {
                return Err(error("two variables side by side cannot be told apart"));
            }
            let close = rest[open..]
                .find('}')
                .ok_or_else(|| error("a `{` is not closed"))?
                + open;
            let inner = &rest[open + 1..close];
            let (name, reserved) = match inner.strip_prefix('+') {
                Some(name) => (name, true),
                None => (inner, false),
            };
            if name.is_empty() || !name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_') {
                return Err(error("variable names are A-Z a-z 0-9 _ (forms other than {name} and {+name} are not supported)"));
            }
            parts.push(Part::Variable {
                name: name.to_owned(),
                reserved,
            });
            rest = &rest[close + 1..];
        }
        if rest.contains('}') {
            return Err(error("a `}` without its `{`"));
        }
        if !rest.is_empty() {
            parts.push(Part::Literal(rest.to_owned()));
        }
        Ok(UriTemplate {
            text: text.to_owned(),
            parts,
        })
    }

    /// The template as written.
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// The names of its variables, in order.
    pub fn variables(&self) -> impl Iterator<Item = &str> {
        self.parts.iter().filter_map(|part| match part {
            Part::Variable { name, .. } => Some(name.as_str()),
            Part::Literal(_) => None,
        })
    }

    /// Matches `uri`: each variable's decoded value, in order; `None` when it does not match.
    pub fn matches(&self, uri: &str) -> Option<Vec<(String, String)>> {
        let mut values = Vec::new();
        let mut rest = uri;
        let mut parts = self.parts.iter().peekable();
        while let Some(part) = parts.next() {
            match part {
                Part::Literal(literal) => rest = rest.strip_prefix(literal.as_str())?,
                Part::Variable { name, reserved } => {
                    // A variable runs to the next literal (or to the end).
                    let end = match parts.peek() {
                        Some(Part::Literal(next)) => rest.find(next.as_str())?,
                        _ => rest.len(),
                    };
                    let value = &rest[..end];
                    if value.is_empty() || (!reserved && value.contains(['/', '?', '#'])) {
                        return None;
                    }
                    values.push((name.clone(), percent_decode(value)?));
                    rest = &rest[end..];
                }
            }
        }
        rest.is_empty().then_some(values)
    }
}

impl fmt::Display for UriTemplate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

/// Decodes `%XX` escapes; `None` for a malformed escape or bytes that are not UTF-8.
fn percent_decode(text: &str) -> Option<String> {
    if !text.contains('%') {
        return Some(text.to_owned());
    }
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = text.get(i + 1..i + 3)?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

/// The copy of the parse rules `#[resource]` checks templates with at compile time.
#[cfg(test)]
#[path = "../../../mcp-macros/src/primitive/template.rs"]
mod macro_rules;

#[cfg(test)]
mod tests {
    use super::*;

    fn vars(template: &str, uri: &str) -> Option<Vec<(String, String)>> {
        UriTemplate::parse(template).unwrap().matches(uri)
    }

    #[test]
    fn variables_match_segments_and_reserved_ones_match_anything() {
        let pair = |n: &str, v: &str| (n.to_owned(), v.to_owned());
        assert_eq!(
            vars("a://{x}/b/{y}", "a://1/b/2"),
            Some(vec![pair("x", "1"), pair("y", "2")])
        );
        assert_eq!(
            vars("a://{x}", "a://hello%20world"),
            Some(vec![pair("x", "hello world")])
        );
        assert_eq!(
            vars("file:///{+path}", "file:///a/b/c.txt"),
            Some(vec![pair("path", "a/b/c.txt")])
        );
        assert_eq!(vars("a://{x}", "a://1/2"), None);
        assert_eq!(vars("a://{x}/data", "a:///data"), None);
        assert_eq!(vars("a://{x}/data", "a://1/data/more"), None);
        assert_eq!(vars("a://{x}", "b://1"), None);
        assert_eq!(vars("a://{x}", "a://%zz"), None);
        assert_eq!(vars("a://static", "a://static"), Some(vec![]));
    }

    #[test]
    fn bad_templates_are_refused() {
        for bad in [
            "a://{x",
            "a://x}",
            "a://{}",
            "a://{x}{y}",
            "a://{x-y}",
            "a://{?q}",
        ] {
            assert!(UriTemplate::parse(bad).is_err(), "{bad}");
        }
        let template = UriTemplate::parse("a://{x}/{+rest}").unwrap();
        assert_eq!(template.variables().collect::<Vec<_>>(), ["x", "rest"]);
    }

    #[test]
    fn the_macro_checks_templates_with_the_same_rules() {
        for text in [
            "a://static",
            "",
            "a://{x}",
            "a://{x}/b/{y}",
            "file:///{+path}",
            "a://{x}{y}",
            "a://{x}/{y}",
            "{x}",
            "{x}{+y}",
            "a://{x",
            "a://x}",
            "a://{x}}",
            "a://{}",
            "a://{+}",
            "a://{x-y}",
            "a://{?q}",
            "a://{#f}",
            "a://{x,y}",
            "a://{a{b}",
            "a://{x}/{x}",
            "a://{_1}/{Z9}",
            "a://{é}",
        ] {
            let runtime = UriTemplate::parse(text)
                .map(|t| t.variables().map(str::to_owned).collect::<Vec<_>>())
                .map_err(|err| err.reason);
            assert_eq!(runtime, macro_rules::variables(text), "{text:?}");
        }
    }
}
