//! The cache key: what it means, that it is canonical, and where its depth cap falls.

use serde_json::value::RawValue;
use serde_json::Value;

use crate::layer::cache::canonical_key;
use crate::layer::cache::key::MAX_DEPTH;

/// Checks the cache key of `json` (when it is JSON): it is produced for every value serde_json
/// reads and for none nested deeper than the key's cap (`MAX_DEPTH`), means the same value,
/// and is its own key.
pub fn check_canonical_key(json: &str) {
    let Ok(raw) = serde_json::from_str::<&RawValue>(json) else {
        return;
    };
    // Stricter than `RawValue` (lone surrogate escapes), and stops at 128 levels: values it
    // refuses are checked for the cap, for not crashing and, when keyed, as keys only.
    let value = serde_json::from_str::<Value>(raw.get()).ok();
    // `RawValue` reads any depth (without recursing), so deeper values do reach the key.
    let depth = nesting_depth(raw.get());
    let Some(key) = canonical_key(Some(raw)) else {
        assert!(value.is_none(), "no cache key for {json}");
        return;
    };
    assert!(
        depth <= MAX_DEPTH,
        "a cache key for arguments nested {depth} deep, beyond the cap of {MAX_DEPTH}: {json}"
    );
    let key_raw = serde_json::from_str::<&RawValue>(&key)
        .unwrap_or_else(|err| panic!("the cache key {key} of {json} is not JSON: {err}"));
    assert_eq!(
        canonical_key(Some(key_raw)).as_deref(),
        Some(&*key),
        "the cache key of {json} is not its own key"
    );
    if let Some(value) = value {
        // Absent and null arguments key like `{}`.
        let value = if value.is_null() {
            Value::Object(Default::default())
        } else {
            value
        };
        let from_key: Value = serde_json::from_str(&key)
            .unwrap_or_else(|err| panic!("the cache key {key} of {json} does not parse: {err}"));
        assert_eq!(
            value, from_key,
            "the cache key {key} means another value than {json}"
        );
    }
}

/// How deeply arrays and objects nest in valid JSON text.
fn nesting_depth(json: &str) -> usize {
    let (mut depth, mut deepest, mut in_string, mut escaped) = (0usize, 0, false, false);
    for b in json.bytes() {
        match b {
            _ if escaped => escaped = false,
            b'\\' if in_string => escaped = true,
            b'"' => in_string = !in_string,
            _ if in_string => {}
            b'[' | b'{' => {
                depth += 1;
                deepest = deepest.max(depth);
            }
            b']' | b'}' => depth -= 1,
            _ => {}
        }
    }
    deepest
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `depth` levels: objects and arrays in turn, brackets in strings along the way.
    fn nested(depth: usize) -> String {
        let mut json = String::new();
        for level in 0..depth {
            json.push_str(if level % 2 == 0 {
                r#"{"[k{":"#
            } else {
                r#"["]}","#
            });
        }
        json.push('1');
        for level in (0..depth).rev() {
            json.push(if level % 2 == 0 { '}' } else { ']' });
        }
        json
    }

    #[test]
    fn depth_counts_containers_not_brackets_in_strings() {
        assert_eq!(nesting_depth(r#""[{""#), 0);
        assert_eq!(nesting_depth(r#"[1,{"a\"]":[]}]"#), 3);
        assert_eq!(nesting_depth(&nested(129)), 129);
    }

    #[test]
    fn the_key_check_passes_at_and_beyond_the_cap() {
        for depth in [1, 127, MAX_DEPTH, MAX_DEPTH + 1, 100_000] {
            let json = nested(depth);
            let raw: &RawValue = serde_json::from_str(&json).unwrap();
            assert_eq!(canonical_key(Some(raw)).is_some(), depth <= MAX_DEPTH);
            check_canonical_key(&json);
        }
    }
}
