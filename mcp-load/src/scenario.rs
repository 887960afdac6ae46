//! What the load calls: one tool with its arguments, or a weighted mix from a scenario file.
//!
//! A scenario file is JSON:
//!
//! ```json
//! {"calls": [
//!   {"tool": "cached_square", "args": {"k": "$rand:100"}, "weight": 90},
//!   {"tool": "cached_square", "args": {"k": "$id"}, "weight": 10}
//! ]}
//! ```
//!
//! Each call picks an entry with probability `weight / total` (a seeded generator: runs repeat
//! exactly). Here 90% of calls draw from 100 keys (cache hits once seen) and 10% use a key
//! never seen before (misses).

use std::path::Path;

use serde::Deserialize;

use crate::era::Era;
use crate::request::{Rng, Template};

/// The file's shape.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    calls: Vec<Entry>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Entry {
    tool: String,
    #[serde(default = "empty_object")]
    args: serde_json::Value,
    #[serde(default = "one")]
    weight: u32,
}

fn empty_object() -> serde_json::Value {
    serde_json::Value::Object(Default::default())
}

fn one() -> u32 {
    1
}

/// The calls of a run, each with a cumulative weight.
#[derive(Clone, Debug)]
pub struct Mix {
    /// `(cumulative weight, template)`, in file order.
    entries: Vec<(u64, Template)>,
}

impl Mix {
    /// Always `tool` with `args` (a JSON object, as text).
    pub fn single(tool: &str, args: &str, era: Era) -> Result<Mix, String> {
        let args: serde_json::Value =
            serde_json::from_str(args).map_err(|err| format!("--args is not JSON: {err}"))?;
        Ok(Mix {
            entries: vec![(1, Template::new(tool, &args, era)?)],
        })
    }

    /// The mix of a scenario file.
    pub fn from_file(path: &Path, era: Era) -> Result<Mix, String> {
        let text = std::fs::read_to_string(path)
            .map_err(|err| format!("cannot read {}: {err}", path.display()))?;
        Mix::parse(&text, era).map_err(|err| format!("{}: {err}", path.display()))
    }

    /// The mix of a scenario file's text.
    pub fn parse(text: &str, era: Era) -> Result<Mix, String> {
        let file: File = serde_json::from_str(text).map_err(|err| err.to_string())?;
        let mut total = 0_u64;
        let mut entries = Vec::with_capacity(file.calls.len());
        for entry in file.calls {
            if entry.weight == 0 {
                continue;
            }
            total += u64::from(entry.weight);
            entries.push((total, Template::new(&entry.tool, &entry.args, era)?));
        }
        if entries.is_empty() {
            return Err("no calls with a weight above zero".into());
        }
        Ok(Mix { entries })
    }

    /// The template of the next call.
    pub fn pick(&self, rng: &mut Rng) -> &Template {
        if let [(_, only)] = self.entries.as_slice() {
            return only;
        }
        let total = self.entries.last().map_or(1, |(total, _)| *total);
        let draw = rng.below(total);
        let at = self
            .entries
            .partition_point(|(cumulative, _)| *cumulative <= draw);
        &self.entries[at].1
    }

    /// The tools named, without repeats, in file order.
    pub fn tools(&self) -> Vec<&str> {
        let mut tools: Vec<&str> = Vec::new();
        for (_, template) in &self.entries {
            if !tools.contains(&template.tool.as_str()) {
                tools.push(&template.tool);
            }
        }
        tools
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn picks_follow_the_weights() {
        let mix = Mix::parse(
            r#"{"calls": [
                {"tool": "a", "weight": 90},
                {"tool": "b", "args": {"k": "$id"}, "weight": 10},
                {"tool": "never", "weight": 0}
            ]}"#,
            Era::Modern,
        )
        .unwrap();
        let mut rng = Rng::new(3);
        let a = (0..10_000)
            .filter(|_| mix.pick(&mut rng).tool == "a")
            .count();
        assert!((8_800..9_200).contains(&a), "{a} of 10000 picked a");
        assert_eq!(mix.tools(), ["a", "b"]);
    }

    #[test]
    fn bad_files_are_refused() {
        assert!(Mix::parse(r#"{"calls": []}"#, Era::Modern).is_err());
        assert!(Mix::parse(r#"{"calls": [{"tool": "a", "wieght": 2}]}"#, Era::Modern).is_err());
        assert!(Mix::parse(r#"{"calls": [{"tool": "a", "args": 3}]}"#, Era::Modern).is_err());
        assert!(Mix::single("a", "{not json", Era::Modern).is_err());
    }
}
