//! Cache keys: a call's arguments in canonical form (object keys sorted at every level,
//! whitespace dropped), so equal arguments written differently share a key.
//!
//! Arguments come from clients, so the walk is bounded: one pass over the text builds a flat
//! tree (no recursion while reading), nesting deeper than [`MAX_DEPTH`] gets no key at all
//! (the tool then reads, and rejects, the arguments itself), and writing recurses at most
//! `MAX_DEPTH` levels.

use std::borrow::Cow;

use serde_json::value::RawValue;

/// The deepest nesting keyed: serde_json's own limit when it reads the arguments for the tool,
/// so nothing a tool could accept goes unkeyed.
pub(crate) const MAX_DEPTH: usize = 128;

/// The arguments as compact JSON with object keys sorted at every level; absent and `null`
/// arguments key like `{}`. Scalars keep their exact text (so `1` and `1.0` are different keys:
/// a needless miss at worst, never a wrong hit); of repeated object keys the last counts, as
/// when the tool reads them. `None` when the arguments are not JSON or nest deeper than
/// [`MAX_DEPTH`].
pub(crate) fn canonical_key(arguments: Option<&RawValue>) -> Option<String> {
    let mut key = String::with_capacity(64);
    match arguments.map(RawValue::get) {
        None | Some("null") => key.push_str("{}"),
        Some(raw) => Tree::parse(raw)?.write(&mut key, 0),
    }
    Some(key)
}

/// Appends one extracted value's part of a cache key (see [`CacheKey`](crate::CacheKey)).
/// Each part is a NUL (which canonical JSON never contains) and the part's length, so no two
/// different sets of parts write the same key.
pub(crate) fn push_key_part(key: &mut String, part: &str) {
    use std::fmt::Write as _;
    let _ = write!(key, "\0{}:{part}", part.len());
}

/// JSON text as a flat list of nodes; node 0 is the root.
struct Tree<'a> {
    nodes: Vec<Node<'a>>,
}

enum Node<'a> {
    /// A string, number, `true`, `false` or `null`, as written.
    Scalar(&'a str),
    /// Item nodes, in order.
    Array(Vec<usize>),
    /// Members: the key (unescaped) and the value node, in order.
    Object(Vec<(Cow<'a, str>, usize)>),
}

impl<'a> Tree<'a> {
    fn parse(text: &'a str) -> Option<Tree<'a>> {
        let bytes = text.as_bytes();
        let mut nodes: Vec<Node<'a>> = Vec::new();
        // Open containers, innermost last, each with the key its next value belongs to.
        let mut open: Vec<(usize, Option<Cow<'a, str>>)> = Vec::new();
        let mut at = 0;
        loop {
            at = skip_whitespace(bytes, at);
            let &byte = bytes.get(at)?;
            // Closing a container, or moving past a separator.
            match byte {
                b']' | b'}' => {
                    open.pop()?;
                    at += 1;
                    if open.is_empty() {
                        break;
                    }
                    continue;
                }
                b',' => {
                    at += 1;
                    continue;
                }
                _ => {}
            }
            // In an object, a member starts with its key.
            if let Some((parent, key @ None)) = open.last_mut() {
                if matches!(nodes[*parent], Node::Object(_)) {
                    let end = string_end(bytes, at)?;
                    *key = Some(unescape(&text[at..end])?);
                    at = skip_whitespace(bytes, end);
                    (bytes.get(at) == Some(&b':')).then_some(())?;
                    at = skip_whitespace(bytes, at + 1);
                }
            }
            let index = nodes.len();
            let (node, end, opens) = match bytes.get(at)? {
                b'[' => (Node::Array(Vec::new()), at + 1, true),
                b'{' => (Node::Object(Vec::new()), at + 1, true),
                b'"' => {
                    let end = string_end(bytes, at)?;
                    (Node::Scalar(&text[at..end]), end, false)
                }
                _ => {
                    let end = scalar_end(bytes, at);
                    (end > at).then_some(())?;
                    (Node::Scalar(&text[at..end]), end, false)
                }
            };
            nodes.push(node);
            at = end;
            match open.last_mut() {
                None => {}
                Some((parent, key)) => match &mut nodes[*parent] {
                    Node::Array(items) => items.push(index),
                    Node::Object(members) => members.push((key.take()?, index)),
                    Node::Scalar(_) => return None,
                },
            }
            if opens {
                if open.len() == MAX_DEPTH {
                    return None;
                }
                open.push((index, None));
            } else if open.is_empty() {
                break;
            }
        }
        // Only whitespace may follow the value.
        (skip_whitespace(bytes, at) == bytes.len()).then_some(Tree { nodes })
    }

    fn write(&self, out: &mut String, index: usize) {
        match &self.nodes[index] {
            Node::Scalar(text) => out.push_str(text),
            Node::Array(items) => {
                out.push('[');
                for (i, &item) in items.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    self.write(out, item);
                }
                out.push(']');
            }
            Node::Object(members) => {
                let mut sorted: Vec<&(Cow<'_, str>, usize)> = members.iter().collect();
                // Stable: of equal keys the last written stays last, and is the one kept.
                sorted.sort_by(|a, b| a.0.cmp(&b.0));
                out.push('{');
                let mut first = true;
                for (i, (name, value)) in sorted.iter().map(|m| (&m.0, m.1)).enumerate() {
                    if sorted.get(i + 1).is_some_and(|next| next.0 == *name) {
                        continue;
                    }
                    if !first {
                        out.push(',');
                    }
                    first = false;
                    out.push_str(&serde_json::to_string(&**name).expect("a string serializes"));
                    out.push(':');
                    self.write(out, value);
                }
                out.push('}');
            }
        }
    }
}

fn skip_whitespace(bytes: &[u8], mut at: usize) -> usize {
    while bytes
        .get(at)
        .is_some_and(|b| matches!(b, b' ' | b'\t' | b'\n' | b'\r'))
    {
        at += 1;
    }
    at
}

/// The end (one past the closing quote) of the string starting at `at`.
fn string_end(bytes: &[u8], at: usize) -> Option<usize> {
    (bytes.get(at) == Some(&b'"')).then_some(())?;
    let mut i = at + 1;
    loop {
        match bytes.get(i)? {
            b'"' => return Some(i + 1),
            b'\\' => i += 2,
            _ => i += 1,
        }
    }
}

/// The end of a number, `true`, `false` or `null` starting at `at`.
fn scalar_end(bytes: &[u8], at: usize) -> usize {
    let mut end = at;
    while bytes
        .get(end)
        .is_some_and(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'+' | b'.'))
    {
        end += 1;
    }
    end
}

fn unescape(quoted: &str) -> Option<Cow<'_, str>> {
    let inner = &quoted[1..quoted.len() - 1];
    if !inner.contains('\\') {
        return Some(Cow::Borrowed(inner));
    }
    serde_json::from_str::<String>(quoted).ok().map(Cow::Owned)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn key(raw: &str) -> Option<String> {
        canonical_key(Some(&RawValue::from_string(raw.to_owned()).unwrap()))
    }

    #[test]
    fn keys_ignore_order_and_whitespace() {
        let a = key(r#"{"b": 1, "a": {"y": [1, {"q": 2, "p": 1}], "x": null}}"#);
        let b = key("{\"a\":{\"x\":null,\"y\":[ 1 ,{\"p\":1,\"q\":2}]},\n\t\"b\":1}");
        assert_eq!(a, b);
        assert_eq!(
            a.as_deref(),
            Some(r#"{"a":{"x":null,"y":[1,{"p":1,"q":2}]},"b":1}"#)
        );
        assert_ne!(key(r#"{"a":1}"#), key(r#"{"a":"1"}"#));
        assert_ne!(
            key(r#"{"a":[1,2]}"#),
            key(r#"{"a":[2,1]}"#),
            "arrays keep order"
        );
        assert_eq!(canonical_key(None), key("{}"));
        assert_eq!(key("null"), key("{}"));
        let from_value = serde_json::value::to_raw_value(&json!({"b": [true], "a": "x"})).unwrap();
        assert_eq!(
            canonical_key(Some(&from_value)),
            key(r#"{ "a": "x", "b": [ true ] }"#)
        );
    }

    #[test]
    fn escaped_keys_sort_and_compare_by_their_text() {
        assert_eq!(key(r#"{"\u0062":1,"a":2}"#), key(r#"{"a":2,"b":1}"#));
        assert_eq!(
            key(r#"{"q\"uote":[],"b\\s":{}}"#).as_deref(),
            Some(r#"{"b\\s":{},"q\"uote":[]}"#)
        );
    }

    #[test]
    fn of_repeated_keys_the_last_counts() {
        assert_eq!(
            key(r#"{"a":1,"b":0,"a":2}"#).as_deref(),
            Some(r#"{"a":2,"b":0}"#)
        );
    }

    #[test]
    fn keys_are_canonical_when_keyed_again() {
        for raw in [
            r#"{"z":[{"b":{"d":1,"c":[]}},"s"],"a":-1.5e3}"#,
            "[]",
            r#""s""#,
            "7",
        ] {
            let once = key(raw).unwrap();
            assert_eq!(key(&once).as_ref(), Some(&once), "{raw}");
            let parsed: serde_json::Value = serde_json::from_str(&once).unwrap();
            assert_eq!(
                parsed,
                serde_json::from_str::<serde_json::Value>(raw).unwrap()
            );
        }
    }

    #[test]
    fn nesting_is_keyed_to_serde_jsons_depth_and_no_deeper() {
        let nested = |depth: usize| {
            format!(
                "{{\"a\":{}1{}}}",
                "[".repeat(depth - 1),
                "]".repeat(depth - 1)
            )
        };
        assert!(key(&nested(MAX_DEPTH)).is_some());
        assert!(key(&nested(MAX_DEPTH + 1)).is_none());
        // Far deeper than any stack could recurse: no key, and no crash.
        assert!(key(&nested(1_000_000)).is_none());
    }
}
