//! Which requests may reach the server at all: `Host` and `Origin` checks against DNS
//! rebinding, and the headers a Streamable HTTP POST must carry.

use http::header::{ACCEPT, CONTENT_TYPE, HOST, ORIGIN};
use http::{HeaderMap, Uri};

use super::config::HttpConfig;

/// Names every local server answers to.
const LOOPBACK_HOSTS: [&str; 3] = ["localhost", "127.0.0.1", "[::1]"];

/// Why a request is refused before its body is read.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Refusal {
    /// 403: a `Host` this server does not answer to.
    Host,
    /// 403: a browser page of another origin.
    Origin,
}

/// Checks `Host` (or, in HTTP/2, the URI's authority) and `Origin`.
pub(crate) fn check_peer(
    config: &HttpConfig,
    uri: &Uri,
    headers: &HeaderMap,
) -> Result<(), Refusal> {
    if let Some(allowed) = &config.allowed_hosts {
        let host = headers
            .get(HOST)
            .and_then(|h| h.to_str().ok())
            .or_else(|| uri.authority().map(http::uri::Authority::as_str));
        let ok = host.is_some_and(|host| name_allowed(strip_port(host), allowed));
        if !ok {
            return Err(Refusal::Host);
        }
    }
    if let (Some(allowed), Some(origin)) = (&config.allowed_origins, headers.get(ORIGIN)) {
        let origin = origin.to_str().unwrap_or_default().to_ascii_lowercase();
        if !origin_allowed(&origin, allowed) {
            return Err(Refusal::Origin);
        }
    }
    Ok(())
}

/// `host[:port]` → `host` (IPv6 literals keep their brackets).
fn strip_port(authority: &str) -> &str {
    if authority.starts_with('[') {
        return authority
            .find(']')
            .map_or(authority, |end| &authority[..=end]);
    }
    authority.split(':').next().unwrap_or(authority)
}

fn name_allowed(host: &str, allowed: &[String]) -> bool {
    LOOPBACK_HOSTS
        .iter()
        .any(|name| host.eq_ignore_ascii_case(name))
        || allowed.iter().any(|name| host.eq_ignore_ascii_case(name))
}

/// An origin is allowed when listed exactly, or when it is an `http(s)` page of a loopback name
/// (any port).
fn origin_allowed(origin: &str, allowed: &[String]) -> bool {
    if allowed.iter().any(|a| a == origin) {
        return true;
    }
    let Some((scheme, authority)) = origin.split_once("://") else {
        return false; // "null" (sandboxed pages, files) and anything malformed
    };
    matches!(scheme, "http" | "https")
        && LOOPBACK_HOSTS
            .iter()
            .any(|name| strip_port(authority) == *name)
}

/// Whether the client accepts both answers a POST may get (the spec requires it to list both).
pub(crate) fn accepts_json_and_sse(headers: &HeaderMap) -> bool {
    let (mut json, mut sse) = (false, false);
    for value in headers.get_all(ACCEPT) {
        for media in value.to_str().unwrap_or_default().split(',') {
            let media = media.split(';').next().unwrap_or_default().trim();
            json |= media.eq_ignore_ascii_case("application/json") || media == "*/*";
            sse |= media.eq_ignore_ascii_case("text/event-stream") || media == "*/*";
        }
    }
    json && sse
}

/// Whether the client accepts an SSE stream (a `GET` for a stream must).
pub(crate) fn accepts_sse(headers: &HeaderMap) -> bool {
    headers.get_all(ACCEPT).iter().any(|value| {
        value.to_str().unwrap_or_default().split(',').any(|media| {
            let media = media.split(';').next().unwrap_or_default().trim();
            media.eq_ignore_ascii_case("text/event-stream") || media == "*/*"
        })
    })
}

/// Whether the body is declared as JSON.
pub(crate) fn is_json(headers: &HeaderMap) -> bool {
    headers
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|media| media.trim().eq_ignore_ascii_case("application/json"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use http::HeaderValue;

    fn headers(pairs: &[(&http::HeaderName, &str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.append(*name, HeaderValue::from_str(value).unwrap());
        }
        map
    }

    #[test]
    fn loopback_hosts_pass_and_others_need_listing() {
        let config = HttpConfig::default();
        let uri = Uri::from_static("/mcp");
        for host in ["127.0.0.1:3000", "localhost", "LOCALHOST:1", "[::1]:8080"] {
            assert_eq!(
                check_peer(&config, &uri, &headers(&[(&HOST, host)])),
                Ok(())
            );
        }
        for host in ["evil.example:3000", "127.0.0.1.evil.example", "[::2]:1"] {
            let refused = check_peer(&config, &uri, &headers(&[(&HOST, host)]));
            assert_eq!(refused, Err(Refusal::Host), "{host}");
        }
        assert_eq!(
            check_peer(&config, &uri, &HeaderMap::new()),
            Err(Refusal::Host)
        );
        let listed = HttpConfig::default().allowed_hosts(["mcp.example.com"]);
        let host = headers(&[(&HOST, "MCP.example.com:443")]);
        assert_eq!(check_peer(&listed, &uri, &host), Ok(()));
        let any = HttpConfig::default().allow_any_host();
        assert_eq!(check_peer(&any, &uri, &HeaderMap::new()), Ok(()));
    }

    #[test]
    fn origins_of_loopback_pages_pass_and_others_are_refused() {
        let config = HttpConfig::default();
        let uri = Uri::from_static("/mcp");
        let with_origin = |origin| headers(&[(&HOST, "localhost:3000"), (&ORIGIN, origin)]);
        for origin in [
            "http://localhost:6274",
            "https://127.0.0.1",
            "http://[::1]:1",
        ] {
            assert_eq!(
                check_peer(&config, &uri, &with_origin(origin)),
                Ok(()),
                "{origin}"
            );
        }
        for origin in [
            "http://evil.example",
            "null",
            "http://localhost.evil.example",
            "file://",
        ] {
            let refused = check_peer(&config, &uri, &with_origin(origin));
            assert_eq!(refused, Err(Refusal::Origin), "{origin}");
        }
        let listed = HttpConfig::default().allowed_origins(["https://app.example.com/"]);
        let ok = check_peer(&listed, &uri, &with_origin("https://app.example.com"));
        assert_eq!(ok, Ok(()));
    }

    #[test]
    fn accept_must_list_both_kinds() {
        assert!(accepts_json_and_sse(&headers(&[(
            &ACCEPT,
            "application/json, text/event-stream"
        )])));
        assert!(accepts_json_and_sse(&headers(&[
            (&ACCEPT, "application/json;q=0.9"),
            (&ACCEPT, "text/event-stream")
        ])));
        assert!(accepts_json_and_sse(&headers(&[(&ACCEPT, "*/*")])));
        assert!(!accepts_json_and_sse(&headers(&[(
            &ACCEPT,
            "application/json"
        )])));
        assert!(!accepts_json_and_sse(&HeaderMap::new()));
    }
}
