//! The counters `/metrics` shows, in the Prometheus text format (version 0.0.4): requests by route
//! and status, request latency by route, batch sizes, predictions by class, reloads by outcome,
//! and the bundle being served. Routes are the router's patterns (`/predict`), never the path a
//! client sent, so a scan of random paths adds one series (`unmatched`), not one per path.

use std::collections::BTreeMap;
use std::fmt::Write;
use std::sync::Mutex;
use std::time::Duration;

/// Upper bounds of the latency buckets, in seconds.
const LATENCY_BUCKETS: &[f64] =
    &[0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1.0, 5.0];

/// Upper bounds of the batch-size buckets, in rows.
const BATCH_BUCKETS: &[f64] = &[1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 64.0, 128.0, 256.0, 512.0, 1024.0, 4096.0];

#[derive(Clone, Debug, Default)]
struct Histogram {
    /// Counts per bucket (not cumulative), one more than the bounds for `+Inf`.
    counts: Vec<u64>,
    sum: f64,
    count: u64,
}

impl Histogram {
    fn observe(&mut self, bounds: &[f64], value: f64) {
        if self.counts.is_empty() {
            self.counts = vec![0; bounds.len() + 1];
        }
        let bucket = bounds.iter().position(|&b| value <= b).unwrap_or(bounds.len());
        self.counts[bucket] += 1;
        self.sum += value;
        self.count += 1;
    }

    fn render(&self, out: &mut String, name: &str, labels: &str, bounds: &[f64]) {
        let mut cumulative = 0;
        for (i, bound) in bounds.iter().map(|b| b.to_string()).chain(["+Inf".to_string()]).enumerate() {
            cumulative += self.counts.get(i).copied().unwrap_or(0);
            let _ = writeln!(out, "{name}_bucket{{{labels}le=\"{bound}\"}} {cumulative}");
        }
        let labels = labels.trim_end_matches(',');
        let braces = if labels.is_empty() { String::new() } else { format!("{{{labels}}}") };
        let _ = writeln!(out, "{name}_sum{braces} {}", self.sum);
        let _ = writeln!(out, "{name}_count{braces} {}", self.count);
    }
}

#[derive(Debug, Default)]
struct Counters {
    requests: BTreeMap<(String, u16), u64>,
    latency: BTreeMap<String, Histogram>,
    batches: Histogram,
    predictions: BTreeMap<String, u64>,
    reloads: BTreeMap<&'static str, u64>,
}

/// Every counter of one server.
#[derive(Debug, Default)]
pub struct Metrics {
    counters: Mutex<Counters>,
}

impl Metrics {
    fn with<R>(&self, f: impl FnOnce(&mut Counters) -> R) -> R {
        // A panic elsewhere while the lock was held leaves counts that are still counts.
        let mut counters = self.counters.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        f(&mut counters)
    }

    /// A request answered.
    pub fn request(&self, route: &str, status: u16, elapsed: Duration) {
        self.with(|c| {
            *c.requests.entry((route.to_string(), status)).or_default() += 1;
            c.latency.entry(route.to_string()).or_default().observe(LATENCY_BUCKETS, elapsed.as_secs_f64());
        });
    }

    /// A batch of `rows` rows predicted together.
    pub fn batch(&self, rows: usize) {
        self.with(|c| c.batches.observe(BATCH_BUCKETS, rows as f64));
    }

    /// Predictions answered: one per class (`value` for regression).
    pub fn predictions<'a>(&self, classes: impl IntoIterator<Item = Option<&'a str>>) {
        self.with(|c| {
            for class in classes {
                *c.predictions.entry(class.unwrap_or("value").to_string()).or_default() += 1;
            }
        });
    }

    /// A bundle reload, `ok` or `failed`.
    pub fn reload(&self, ok: bool) {
        self.with(|c| *c.reloads.entry(if ok { "ok" } else { "failed" }).or_default() += 1);
    }

    /// The Prometheus text; `bundle` and `model` are the ones served now.
    pub fn render(&self, served: Option<(&str, &str)>) -> String {
        self.with(|c| {
            let mut out = String::new();
            out.push_str("# HELP mlpc_requests_total Requests answered, by route and status.\n");
            out.push_str("# TYPE mlpc_requests_total counter\n");
            for ((route, status), n) in &c.requests {
                let _ = writeln!(out, "mlpc_requests_total{{route=\"{}\",status=\"{status}\"}} {n}", escape(route));
            }
            out.push_str(
                "# HELP mlpc_request_duration_seconds Time from a request's arrival to its reply, by route.\n",
            );
            out.push_str("# TYPE mlpc_request_duration_seconds histogram\n");
            for (route, histogram) in &c.latency {
                let labels = format!("route=\"{}\",", escape(route));
                histogram.render(&mut out, "mlpc_request_duration_seconds", &labels, LATENCY_BUCKETS);
            }
            out.push_str("# HELP mlpc_batch_rows Rows per micro-batch given to the model.\n");
            out.push_str("# TYPE mlpc_batch_rows histogram\n");
            c.batches.render(&mut out, "mlpc_batch_rows", "", BATCH_BUCKETS);
            out.push_str("# HELP mlpc_predictions_total Predictions answered, by class (`value` for regression).\n");
            out.push_str("# TYPE mlpc_predictions_total counter\n");
            for (class, n) in &c.predictions {
                let _ = writeln!(out, "mlpc_predictions_total{{class=\"{}\"}} {n}", escape(class));
            }
            out.push_str("# HELP mlpc_reloads_total Bundle reloads (SIGHUP or /admin/reload), by outcome.\n");
            out.push_str("# TYPE mlpc_reloads_total counter\n");
            for (outcome, n) in &c.reloads {
                let _ = writeln!(out, "mlpc_reloads_total{{outcome=\"{outcome}\"}} {n}");
            }
            if let Some((bundle, model)) = served {
                out.push_str("# HELP mlpc_bundle_info The bundle being served.\n");
                out.push_str("# TYPE mlpc_bundle_info gauge\n");
                let _ =
                    writeln!(out, "mlpc_bundle_info{{bundle=\"{}\",model=\"{}\"}} 1", escape(bundle), escape(model));
            }
            out
        })
    }
}

/// A label value as the text format writes it.
fn escape(text: &str) -> String {
    text.replace('\\', "\\\\").replace('"', "\\\"").replace('\n', "\\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn histograms_are_cumulative_and_labels_escaped() {
        let m = Metrics::default();
        m.request("/predict", 200, Duration::from_micros(300));
        m.request("/predict", 200, Duration::from_millis(30));
        m.request("/predict", 400, Duration::from_micros(50));
        m.batch(3);
        m.predictions([Some("a\"b"), None]);
        let text = m.render(Some(("abc", "mlp")));
        assert!(text.contains("mlpc_requests_total{route=\"/predict\",status=\"200\"} 2"), "{text}");
        assert!(text.contains("mlpc_request_duration_seconds_bucket{route=\"/predict\",le=\"0.0001\"} 1"), "{text}");
        assert!(text.contains("mlpc_request_duration_seconds_bucket{route=\"/predict\",le=\"0.0005\"} 2"), "{text}");
        assert!(text.contains("mlpc_request_duration_seconds_bucket{route=\"/predict\",le=\"+Inf\"} 3"), "{text}");
        assert!(text.contains("mlpc_request_duration_seconds_count{route=\"/predict\"} 3"), "{text}");
        assert!(text.contains("mlpc_batch_rows_bucket{le=\"4\"} 1"), "{text}");
        assert!(text.contains("mlpc_batch_rows_count 1"), "{text}");
        assert!(text.contains("mlpc_predictions_total{class=\"a\\\"b\"} 1"), "{text}");
        assert!(text.contains("mlpc_predictions_total{class=\"value\"} 1"), "{text}");
        assert!(text.contains("mlpc_bundle_info{bundle=\"abc\",model=\"mlp\"} 1"), "{text}");
    }
}
