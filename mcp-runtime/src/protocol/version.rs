//! Protocol versions and the two eras they belong to.

/// The stateless revision: every request carries its version and capabilities in `_meta`.
pub const MODERN_VERSION: &str = "2026-07-28";

/// The `initialize`-based revisions, newest first. An `initialize` asking for anything else is
/// answered with the first one.
pub const LEGACY_VERSIONS: [&str; 4] = ["2025-11-25", "2025-06-18", "2025-03-26", "2024-11-05"];

/// Every version this server speaks, newest first.
pub const SUPPORTED_VERSIONS: [&str; 5] = [
    MODERN_VERSION,
    LEGACY_VERSIONS[0],
    LEGACY_VERSIONS[1],
    LEGACY_VERSIONS[2],
    LEGACY_VERSIONS[3],
];

/// How a request is being served.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Era {
    /// `2026-07-28`: stateless, per-request `_meta`, `resultType` on every result.
    Modern,
    /// A version negotiated by `initialize`.
    Legacy(&'static str),
}

impl Era {
    /// The protocol version string.
    pub fn version(self) -> &'static str {
        match self {
            Era::Modern => MODERN_VERSION,
            Era::Legacy(version) => version,
        }
    }

    /// Whether results must carry `resultType` and cache hints.
    pub fn is_modern(self) -> bool {
        matches!(self, Era::Modern)
    }
}

/// The legacy version to answer an `initialize` with: the client's own when we speak it,
/// else our newest.
pub fn negotiate_legacy(requested: &str) -> &'static str {
    LEGACY_VERSIONS
        .iter()
        .copied()
        .find(|v| *v == requested)
        .unwrap_or(LEGACY_VERSIONS[0])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn negotiation_echoes_known_versions_and_falls_back_to_newest() {
        assert_eq!(negotiate_legacy("2025-06-18"), "2025-06-18");
        assert_eq!(negotiate_legacy("2024-11-05"), "2024-11-05");
        assert_eq!(negotiate_legacy("2026-07-28"), "2025-11-25");
        assert_eq!(negotiate_legacy("1999-01-01"), "2025-11-25");
    }
}
