//! The MCP endpoint inside your own web stack: an axum router serves it at `/mcp` behind a
//! bearer-token check (any tower layer works the same way), next to a `/health` route.
//!
//! ```text
//! MCP_TOKEN=s3cret cargo run --example http_auth -- 127.0.0.1:3000
//! npx @modelcontextprotocol/inspector --cli http://127.0.0.1:3000/mcp --transport http \
//!     --header "Authorization: Bearer s3cret" --method tools/list
//! ```
//!
//! Without `MCP_TOKEN`, a random token is made and printed on stderr.

use std::sync::Arc;

use axum::extract::{Request, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use mcp_toolkit::transport::http::HttpConfig;
use mcp_toolkit::transport::shutdown_signal;
use mcp_toolkit::{tool, Server};

/// Add two numbers.
#[tool(read_only)]
async fn add(a: i64, b: i64) -> i64 {
    a + b
}

/// The token requests must carry as `Authorization: Bearer <token>`.
#[derive(Clone)]
struct Token(Arc<str>);

/// Lets a request through only with the right bearer token; otherwise 401 with the
/// `WWW-Authenticate` challenge clients expect (RFC 6750).
async fn require_token(State(token): State<Token>, request: Request, next: Next) -> Response {
    let presented = request
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.strip_prefix("Bearer "));
    match presented {
        Some(presented) if same_secret(presented.as_bytes(), token.0.as_bytes()) => {
            next.run(request).await
        }
        _ => {
            let challenge = if presented.is_some() {
                r#"Bearer realm="mcp", error="invalid_token""#
            } else {
                r#"Bearer realm="mcp""#
            };
            let mut response =
                (StatusCode::UNAUTHORIZED, "a bearer token is required\n").into_response();
            response.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static(challenge),
            );
            response
        }
    }
}

/// Compares in time that does not depend on where the inputs differ, so the token cannot be
/// guessed byte by byte from response times.
fn same_secret(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |diff, (x, y)| diff | (x ^ y)) == 0
}

/// 128 random bits from the operating system, as hex.
fn random_token() -> String {
    let mut bytes = [0u8; 16];
    getrandom::fill(&mut bytes).expect("the operating system's random source works");
    bytes.iter().map(|byte| format!("{byte:02x}")).collect()
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let addr = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "127.0.0.1:3000".to_owned());
    let token = std::env::var("MCP_TOKEN").unwrap_or_else(|_| {
        let token = random_token();
        eprintln!("http_auth: MCP_TOKEN not set; using the token {token}");
        token
    });

    let server = Server::builder("http_auth", env!("CARGO_PKG_VERSION"))
        .tool(add::tool())
        .build()?;
    // The router decides the path; the MCP service answers whatever reaches it.
    let mcp = server.http_service(HttpConfig::default().any_path());
    let app = Router::new()
        .route_service("/mcp", mcp)
        .route_layer(middleware::from_fn_with_state(
            Token(token.into()),
            require_token,
        ))
        // Routes added after `route_layer` are not behind it: health checks need no token.
        .route("/health", get(|| async { "ok\n" }));

    let listener = tokio::net::TcpListener::bind(&addr).await?;
    eprintln!("http_auth: serving http://{}/mcp", listener.local_addr()?);
    axum::serve(listener, app)
        .with_graceful_shutdown(shutdown_signal())
        .await?;
    Ok(())
}
