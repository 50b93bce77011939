//! `mlpc monitor --html FILE`: the drift report as one self-contained HTML page (no scripts, no
//! external files): the verdicts, each condition, and per column a bar chart of the reference's and
//! the current rows' share in each bin or level, drifted columns first.

use mlp_infer::reference::Reference;
use mlp_monitor::conditions::Outcome;
use mlp_monitor::drift::{ColumnDrift, DriftReport};
use std::fmt::Write;

/// HTML-escaped text.
fn escape(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

pub fn page(describe: &str, reference: &Reference, report: &DriftReport, outcomes: &[Outcome]) -> String {
    let mut html = String::new();
    let drifted = report.columns.iter().filter(|c| c.drifted).count();
    let _ = write!(
        html,
        "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>mlpc monitor: {title}</title>\n\
         <style>body{{font-family:system-ui,sans-serif;margin:2rem;color:#222}}table{{border-collapse:collapse}}\
         td,th{{padding:.25rem .6rem;border-bottom:1px solid #ddd;text-align:left}}.drifted{{color:#b00020;font-weight:600}}\
         .ok{{color:#2e7d32}}figure{{display:inline-block;margin:.5rem 1rem .5rem 0;vertical-align:top}}\
         figcaption{{font-size:.85rem}}</style></head><body>\n",
        title = escape(describe)
    );
    let _ = writeln!(
        html,
        "<h1>Drift report</h1>\n<p>{} current rows against {} training rows of {}.</p>",
        report.rows,
        reference.rows,
        escape(describe)
    );
    let _ = writeln!(
        html,
        "<p id=\"verdict\" class=\"{}\">{drifted} of {} columns drifted ({:.0}%; the dataset drifts at {:.0}%): {}.</p>",
        if report.drifted { "drifted" } else { "ok" },
        report.columns.len(),
        report.share * 100.0,
        report.share_threshold * 100.0,
        if report.drifted { "dataset drift" } else { "no dataset drift" }
    );
    if !outcomes.is_empty() {
        html.push_str(
            "<h2>Conditions</h2>\n<table id=\"conditions\"><tr><th>condition</th><th>value</th><th>outcome</th></tr>\n",
        );
        for o in outcomes {
            let value = match (o.value, &o.column) {
                (Some(v), Some(c)) => format!("{v:.4} ({})", escape(c)),
                (Some(v), None) => format!("{v:.4}"),
                (None, _) => escape(o.note.as_deref().unwrap_or("")),
            };
            let outcome = if o.fired { format!("fired: {}", o.action.name()) } else { "ok".into() };
            let _ = writeln!(
                html,
                "<tr><td><code>{}</code></td><td>{value}</td><td class=\"{}\">{outcome}</td></tr>",
                escape(&o.condition),
                if o.fired { "drifted" } else { "ok" }
            );
        }
        html.push_str("</table>\n");
    }
    html.push_str("<h2>Columns</h2>\n<table id=\"columns\"><tr><th>column</th><th>kind</th><th>test</th><th>value</th><th>threshold</th><th>PSI</th><th>drift</th></tr>\n");
    let mut columns: Vec<&ColumnDrift> = report.columns.iter().collect();
    columns.sort_by_key(|c| !c.drifted);
    for c in &columns {
        let _ = writeln!(
            html,
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{:.4}</td><td>{}{}</td><td>{:.4}</td><td class=\"{}\">{}</td></tr>",
            escape(&c.column),
            c.kind,
            c.method.name(),
            c.value,
            if c.method.is_test() { "p &lt; " } else { "&gt; " },
            c.threshold,
            c.statistics.psi,
            if c.drifted { "drifted" } else { "ok" },
            if c.drifted { "drifted" } else { "no" }
        );
    }
    html.push_str("</table>\n<h2>Distributions</h2>\n<p>Grey: training reference; blue: current rows.</p>\n");
    for c in &columns {
        html.push_str(&chart(c));
    }
    html.push_str("</body></html>\n");
    html
}

/// A bar chart of one column's histogram as inline SVG.
fn chart(column: &ColumnDrift) -> String {
    let h = &column.histogram;
    let bins = h.bins.len().max(1);
    let (width, height, bar) = (24 * bins + 20, 120.0, 10);
    let top = h.reference.iter().chain(&h.current).copied().fold(0.0f64, f64::max).max(1e-9);
    let mut svg = format!(
        "<figure><svg width=\"{width}\" height=\"{height}\" role=\"img\" aria-label=\"{}\">",
        escape(&column.column)
    );
    for i in 0..h.bins.len() {
        let x = 10 + 24 * i;
        for (k, (value, colour)) in
            [(h.reference.get(i), "#9e9e9e"), (h.current.get(i), "#1e88e5")].into_iter().enumerate()
        {
            let v = value.copied().unwrap_or(0.0);
            let tall = (v / top) * (height - 10.0);
            let _ = write!(
                svg,
                "<rect x=\"{}\" y=\"{:.1}\" width=\"{bar}\" height=\"{tall:.1}\" fill=\"{colour}\"><title>{}: {:.1}%</title></rect>",
                x + k * bar,
                height - tall,
                escape(&h.bins[i]),
                v * 100.0
            );
        }
    }
    let _ = writeln!(
        svg,
        "</svg><figcaption class=\"{}\">{}</figcaption></figure>",
        if column.drifted { "drifted" } else { "ok" },
        escape(&column.column)
    );
    svg
}
