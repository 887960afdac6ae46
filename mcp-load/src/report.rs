//! `--report FILE.html`: one self-contained page (inline SVG, no scripts, nothing fetched) with
//! the run's figures, latency over time (p50, p99 and max per slice of the run) and the latency
//! distribution (the summary's doubling buckets), plotted with `plotters`.

use plotters::prelude::*;

use crate::output::Report;
use crate::timeline::{Bin, Timeline};

/// Slices of the run in the latency-over-time chart.
const BINS: usize = 120;
const SIZE: (u32, u32) = (960, 420);

/// The page for `report`, whose correct answers over time are `timeline`.
pub fn html(report: &Report, timeline: &Timeline) -> Result<String, String> {
    let bins = timeline.bins(BINS);
    let over_time = if bins.is_empty() {
        "<p>No call was answered correctly: nothing to plot.</p>".to_owned()
    } else {
        over_time(&bins).map_err(|err| format!("plotting latency over time: {err}"))?
    };
    let distribution = if report.buckets.is_empty() {
        String::new()
    } else {
        distribution(&report.buckets).map_err(|err| format!("plotting the distribution: {err}"))?
    };
    let json = serde_json::to_string_pretty(report).expect("a report serializes");
    Ok(format!(
        r#"<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>mcp-load: {title}</title>
<style>body{{font-family:sans-serif;max-width:1000px;margin:2em auto;color:#222}}
pre{{background:#f4f4f4;padding:1em;overflow-x:auto}}</style></head>
<body><h1>mcp-load</h1>
<pre>{summary}</pre>
<h2>Latency over time</h2>
<p>Correct answers only, by when they ended; each point is one of up to {BINS} equal slices of the run.</p>
{over_time}
<h2>Latency distribution</h2>
{distribution}
<h2>Figures (as <code>--json</code> prints them)</h2>
<pre>{json}</pre>
</body></html>
"#,
        title = escape(&report.target),
        summary = escape(&report.summary()),
        json = escape(&json),
    ))
}

type Plotted = Result<String, Box<dyn std::error::Error>>;

/// A line of the latency-over-time chart: its label, colour and value in a slice.
type Line = (&'static str, RGBColor, fn(&Bin) -> u32);

fn over_time(bins: &[Bin]) -> Plotted {
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, SIZE).into_drawing_area();
        root.fill(&WHITE)?;
        let end = bins.last().map_or(1.0, |b| b.at_s) * 1.02;
        let top = bins.iter().map(|b| b.max).max().unwrap_or(1).max(2) as f64 * 1.5;
        let bottom = bins.iter().map(|b| b.p50).min().unwrap_or(1).max(1) as f64 / 1.5;
        let mut chart = ChartBuilder::on(&root)
            .margin(12)
            .x_label_area_size(40)
            .y_label_area_size(70)
            .build_cartesian_2d(0.0..end, (bottom..top).log_scale())?;
        chart
            .configure_mesh()
            .x_desc("seconds into the run")
            .y_desc("latency (µs)")
            .draw()?;
        let lines: [Line; 3] = [
            ("max", RGBColor(200, 200, 200), |b| b.max),
            ("p99", RGBColor(214, 96, 77), |b| b.p99),
            ("p50", RGBColor(33, 102, 172), |b| b.p50),
        ];
        for (label, color, value) in lines {
            chart
                .draw_series(LineSeries::new(
                    bins.iter().map(|b| (b.at_s, f64::from(value(b).max(1)))),
                    color.stroke_width(2),
                ))?
                .label(label)
                .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], color));
        }
        chart
            .configure_series_labels()
            .background_style(WHITE.mix(0.8))
            .border_style(BLACK)
            .draw()?;
        root.present()?;
    }
    Ok(svg)
}

fn distribution(buckets: &[(f64, f64, u64)]) -> Plotted {
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, SIZE).into_drawing_area();
        root.fill(&WHITE)?;
        let total = buckets.iter().map(|b| b.2).sum::<u64>().max(1) as f64;
        let (from, to) = (buckets[0].0, buckets[buckets.len() - 1].1);
        let most = buckets.iter().map(|b| b.2).max().unwrap_or(1) as f64 / total;
        let mut chart = ChartBuilder::on(&root)
            .margin(12)
            .x_label_area_size(40)
            .y_label_area_size(70)
            .build_cartesian_2d((from..to).log_scale(), 0.0..most * 110.0)?;
        chart
            .configure_mesh()
            .x_desc("latency (µs), buckets doubling in width")
            .y_desc("% of correct answers")
            .draw()?;
        chart.draw_series(buckets.iter().map(|&(from, to, count)| {
            Rectangle::new(
                [(from, 0.0), (to, 100.0 * count as f64 / total)],
                RGBColor(33, 102, 172).mix(0.7).filled(),
            )
        }))?;
        root.present()?;
    }
    Ok(svg)
}

/// Text made safe for HTML.
fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_markup() {
        assert_eq!(escape("<a & b>"), "&lt;a &amp; b&gt;");
    }
}
