//! `tools/call` requests, built once as templates so each call only writes its numbers.
//!
//! Arguments may hold two placeholders, as whole JSON strings: `"$id"` becomes the call's
//! request id (unique in a run: a key no cache has seen) and `"$rand:N"` a number below `N`
//! drawn for each call (a key space of `N`: a cache then hits once each key was seen).

use std::io::Write;

use crate::era::Era;

/// One piece of a request line.
#[derive(Clone, Debug, PartialEq)]
enum Piece {
    Text(Vec<u8>),
    /// The request id.
    Id,
    /// A number below this bound.
    Rand(u64),
}

/// One tool with its arguments, ready to write as request lines.
#[derive(Clone, Debug)]
pub struct Template {
    /// The tool's name (also the `Mcp-Name` header over HTTP).
    pub tool: String,
    pieces: Vec<Piece>,
}

impl Template {
    /// The template of `tools/call` for `tool` with `arguments` (a JSON object) in `era`.
    pub fn new(tool: &str, arguments: &serde_json::Value, era: Era) -> Result<Template, String> {
        if !arguments.is_object() {
            return Err(format!(
                "the arguments of {tool:?} must be a JSON object, not {arguments}"
            ));
        }
        let name = serde_json::to_string(tool).expect("a string serializes");
        let mut pieces = vec![
            Piece::Text(br#"{"jsonrpc":"2.0","id":"#.to_vec()),
            Piece::Id,
        ];
        let mut text = format!(r#","method":"tools/call","params":{{"name":{name},"arguments":"#);
        split_placeholders(&arguments.to_string(), &mut text, &mut pieces)?;
        if let Some(meta) = era.meta() {
            text.push(',');
            text.push_str(&meta);
        }
        text.push_str("}}");
        pieces.push(Piece::Text(text.into_bytes()));
        Ok(Template {
            tool: tool.to_owned(),
            pieces,
        })
    }

    /// Appends the request with `id` (no newline); `rand` draws the `"$rand:N"` numbers.
    pub fn write(&self, id: u64, rand: &mut Rng, out: &mut Vec<u8>) {
        let mut digits = itoa::Buffer::new();
        for piece in &self.pieces {
            match piece {
                Piece::Text(text) => out.extend_from_slice(text),
                Piece::Id => out.extend_from_slice(digits.format(id).as_bytes()),
                Piece::Rand(bound) => {
                    let _ = write!(out, "{}", rand.below(*bound));
                }
            }
        }
    }
}

/// Moves `json` into `text`, cutting it at each placeholder string into `pieces`.
fn split_placeholders(
    json: &str,
    text: &mut String,
    pieces: &mut Vec<Piece>,
) -> Result<(), String> {
    let mut rest = json;
    while let Some(at) = rest.find("\"$") {
        let end = rest[at + 1..]
            .find('"')
            .map(|len| at + 1 + len)
            .ok_or_else(|| format!("an unterminated string in {json}"))?;
        let placeholder = &rest[at + 1..end];
        let piece = if placeholder == "$id" {
            Some(Piece::Id)
        } else if let Some(bound) = placeholder.strip_prefix("$rand:") {
            let bound: u64 = bound
                .parse()
                .ok()
                .filter(|&bound| bound > 0)
                .ok_or_else(|| format!("{placeholder:?}: $rand:N takes a positive integer N"))?;
            Some(Piece::Rand(bound))
        } else {
            None
        };
        text.push_str(&rest[..at]);
        match piece {
            Some(piece) => {
                pieces.push(Piece::Text(std::mem::take(text).into_bytes()));
                pieces.push(piece);
            }
            // Any other string that starts with `$` is just text.
            None => text.push_str(&rest[at..=end]),
        }
        rest = &rest[end + 1..];
    }
    text.push_str(rest);
    Ok(())
}

/// A small, fast, seeded generator (xorshift64*): runs repeat exactly.
#[derive(Clone, Debug)]
pub struct Rng(u64);

impl Rng {
    /// A generator from `seed` (any value).
    pub fn new(seed: u64) -> Rng {
        Rng(seed ^ 0x9e37_79b9_7f4a_7c15 | 1)
    }

    /// The next number.
    pub fn next_u64(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    /// A number below `bound` (not zero).
    pub fn below(&mut self, bound: u64) -> u64 {
        ((u128::from(self.next_u64()) * u128::from(bound)) >> 64) as u64
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn line(template: &Template, id: u64) -> serde_json::Value {
        let mut out = Vec::new();
        template.write(id, &mut Rng::new(1), &mut out);
        serde_json::from_slice(&out).unwrap()
    }

    #[test]
    fn modern_calls_carry_meta_and_their_id() {
        let template = Template::new("add", &json!({"a": 1, "b": 2}), Era::Modern).unwrap();
        let request = line(&template, 42);
        assert_eq!(request["id"], 42);
        assert_eq!(request["method"], "tools/call");
        assert_eq!(request["params"]["name"], "add");
        assert_eq!(request["params"]["arguments"], json!({"a": 1, "b": 2}));
        assert_eq!(
            request["params"]["_meta"]["io.modelcontextprotocol/protocolVersion"],
            "2026-07-28"
        );
        let legacy = line(&Template::new("add", &json!({}), Era::Legacy).unwrap(), 7);
        assert!(legacy["params"].get("_meta").is_none());
    }

    #[test]
    fn placeholders_become_numbers() {
        let args = json!({"k": "$id", "r": "$rand:10", "s": "$other"});
        let template = Template::new("t", &args, Era::Legacy).unwrap();
        for id in 1..100 {
            let arguments = &line(&template, id)["params"]["arguments"];
            assert_eq!(arguments["k"], id);
            assert!(arguments["r"].as_u64().unwrap() < 10);
            assert_eq!(arguments["s"], "$other");
        }
        assert!(Template::new("t", &json!({"k": "$rand:0"}), Era::Modern).is_err());
        assert!(Template::new("t", &json!([1]), Era::Modern).is_err());
    }

    #[test]
    fn rand_covers_its_range_evenly() {
        let mut rng = Rng::new(7);
        let mut seen = [0_u32; 10];
        for _ in 0..10_000 {
            seen[rng.below(10) as usize] += 1;
        }
        assert!(seen.iter().all(|&n| (800..1200).contains(&n)), "{seen:?}");
    }
}
