use mcp_toolkit::tool;

struct Point {
    x: f64,
    y: f64,
}

#[tool]
async fn norm(point: Point) -> f64 {
    point.x.hypot(point.y)
}

fn main() {}
