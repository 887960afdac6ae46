use mcp_toolkit::tool;
use schemars::JsonSchema;
use serde::Serialize;

#[derive(Serialize, JsonSchema)]
struct Quotient {
    value: f64,
}

/// Divide `dividend` by `divisor`, blocking.
#[tool(idempotent, open_world = false)]
fn divide(dividend: f64, divisor: f64) -> Result<Quotient, String> {
    if divisor == 0.0 {
        return Err("cannot divide by zero".into());
    }
    Ok(Quotient {
        value: dividend / divisor,
    })
}

fn main() {
    // The function itself is untouched.
    assert_eq!(divide(6.0, 3.0).unwrap().value, 2.0);

    let tool = divide::tool();
    assert_eq!(tool.name(), "divide");
    assert!(tool.def().output_schema.is_some());

    let runtime = tokio::runtime::Runtime::new().unwrap();
    let ok = runtime.block_on(tool.call_json(serde_json::json!({"dividend": 6.0, "divisor": 3.0})));
    assert!(!ok.is_error());
    let err = runtime.block_on(tool.call_json(serde_json::json!({"dividend": 6.0, "divisor": 0.0})));
    assert!(err.is_error());
}
