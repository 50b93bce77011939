//! Live monitoring: every predicted row of a bundle with a training reference enters the drift
//! window (the last `window` rows; with `window_seconds` > 0 only those younger than that), under
//! a short lock and with no statistics on the request path. Drift is recomputed on a blocking
//! thread each time `max(window / 10, 1)` new rows arrived, after feedback, and when `GET /monitor`
//! finds the figures stale; every monitor condition is evaluated then. Drift conditions count once
//! the window is full (count windows), or once it spans `window_seconds` (time windows: its first
//! row entered at least that long ago) or holds `window` rows. A condition fires its action when it
//! becomes true (edge-triggered) and fires again only after it was false once; each firing is
//! recorded with its figures. Labelled feedback feeds the metric conditions.

use crate::app::Shared;
use crate::model::{Prediction, Served};
pub use crate::store::Firing;
use crate::store::{Restored, Store, StoredFeedback, StoredPrediction};
use mlp_compiler::program::{Metric, Monitor, MonitorSettings, Watch};
use mlp_infer::reference::Reference;
use mlp_monitor::conditions::{self, Inputs, Outcome};
use mlp_monitor::drift::{self, DriftReport};
use mlp_monitor::labelled::Labelled;
use mlp_monitor::profile::Profile;
use serde_json::{Value, json};
use std::collections::{BTreeMap, BTreeSet, HashMap, VecDeque};
use std::fmt::Write as _;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{SystemTime, UNIX_EPOCH};

/// Runs the spec's pipeline again (in `mlpc serve SPEC`, `mlpc run SPEC` as a child process): its
/// exit status (0 passed, 3 a gate failed), or why it could not run.
pub type Retrainer = Arc<dyn Fn() -> Result<i32, String> + Send + Sync>;

/// How a server monitors: the CLI builds it from the spec's monitor block for the deploy.
pub struct Monitoring {
    /// The deploy the state belongs to (rows of the database are scoped to it).
    pub deploy: String,
    /// The monitor block (`None`: the declared settings and no conditions).
    pub monitor: Option<Monitor>,
    /// The program's metrics, by which metric conditions are scored.
    pub metrics: Vec<Metric>,
    /// The SQLite database (`None`: state in memory only).
    pub state: Option<PathBuf>,
    /// The directory `retrain(append: ...)` paths are relative to (the spec's).
    pub base: PathBuf,
    /// Runs the pipeline for `retrain`.
    pub retrainer: Option<Retrainer>,
}

/// Predictions remembered for feedback by id.
const REMEMBER: usize = 100_000;
/// Firings shown by `/monitor`.
const RECENT: usize = 100;

/// Seconds since the epoch.
pub fn now() -> f64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_secs_f64()).unwrap_or(0.0)
}

/// Prediction ids: a random prefix per start and a counter, unique across restarts.
pub struct Ids {
    prefix: String,
    next: AtomicU64,
}

impl Default for Ids {
    fn default() -> Ids {
        use std::hash::{BuildHasher, Hasher};
        let mut hasher = std::collections::hash_map::RandomState::new().build_hasher();
        hasher.write_u128(SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_nanos()).unwrap_or(0));
        hasher.write_u32(std::process::id());
        Ids { prefix: format!("{:012x}", hasher.finish() & 0xffff_ffff_ffff), next: AtomicU64::new(1) }
    }
}

impl Ids {
    pub fn take(&self, n: usize) -> Vec<String> {
        let first = self.next.fetch_add(n as u64, Ordering::Relaxed);
        (0..n as u64).map(|i| format!("{}-{}", self.prefix, first + i)).collect()
    }
}

/// What the monitor knows of a bundle's labels.
#[derive(Clone, Debug, Default)]
pub struct Labels {
    pub label: String,
    pub classes: Vec<String>,
    pub threshold: f64,
    pub inputs: Vec<String>,
}

impl Labels {
    pub fn of(model: &Served) -> Labels {
        let manifest = model.manifest();
        let strings = |v: &Value| -> Vec<String> {
            v.as_array().map(|a| a.iter().filter_map(|c| c.as_str().map(str::to_string)).collect()).unwrap_or_default()
        };
        Labels {
            label: manifest["label"].as_str().unwrap_or("label").to_string(),
            classes: strings(&manifest["classes"]),
            threshold: manifest["threshold"].as_f64().unwrap_or(0.5),
            inputs: manifest["inputs"]
                .as_array()
                .map(|a| a.iter().filter_map(|c| c["name"].as_str().map(str::to_string)).collect())
                .unwrap_or_default(),
        }
    }
}

/// One labelled prediction.
#[derive(Clone, Debug)]
pub struct Label {
    pub id: String,
    pub row: Value,
    pub label: Value,
    pub prediction: Value,
    pub appended: bool,
}

#[derive(Default)]
struct State {
    bundle: String,
    window: VecDeque<(f64, Arc<Value>)>,
    fresh: usize,
    labels: VecDeque<Label>,
    remembered: HashMap<String, (String, Arc<Value>, Value)>,
    order: VecDeque<String>,
    drift: Option<DriftReport>,
    outcomes: Vec<Outcome>,
    fired: BTreeSet<String>,
    firings: VecDeque<Value>,
    feedback_total: u64,
    actions: BTreeMap<(String, String), u64>,
    started: f64,
}

/// The live monitor of one server.
pub struct Live {
    pub deploy: String,
    pub monitor: Monitor,
    pub metrics: Vec<Metric>,
    pub capacity: usize,
    pub seconds: f64,
    pub store: Option<Store>,
    pub base: PathBuf,
    pub retrainer: Option<Retrainer>,
    /// Each rule's resolved webhook, by condition (`None`: unconfigured).
    pub webhooks: HashMap<String, Option<crate::webhook::Url>>,
    state: Mutex<State>,
    computing: AtomicBool,
    again: AtomicBool,
    pub retraining: tokio::sync::Mutex<()>,
}

impl Live {
    /// The monitor of `monitoring`, its state read back from the database for `model`. Returns
    /// warnings for the start (alerts without a URL).
    pub fn start(monitoring: Monitoring, model: Option<&Served>) -> Result<(Live, Vec<String>), String> {
        let monitor = monitoring.monitor.unwrap_or_else(|| Monitor {
            deploy: monitoring.deploy.clone(),
            settings: MonitorSettings::declared_defaults(),
            rules: Vec::new(),
        });
        let mut warnings = Vec::new();
        let mut webhooks = HashMap::new();
        for rule in &monitor.rules {
            if let mlp_compiler::program::Action::Alert { url, env } = &rule.action {
                let condition = conditions::describe(rule);
                let from_env = (!env.is_empty()).then(|| std::env::var(env).ok()).flatten();
                let resolved =
                    Some(url.clone()).filter(|u| !u.is_empty()).or(from_env.filter(|u| !u.trim().is_empty()));
                match resolved {
                    Some(u) => {
                        let parsed =
                            crate::webhook::parse(&u).map_err(|e| format!("the alert of `{condition}`: {e}"))?;
                        webhooks.insert(condition, Some(parsed));
                    }
                    None => {
                        let from = if env.is_empty() { String::new() } else { format!(" and `{env}` is not set") };
                        warnings.push(format!(
                            "the alert of `{condition}` has no URL{from}: its firings are recorded as alert_unconfigured"
                        ));
                        webhooks.insert(condition, None);
                    }
                }
            }
        }
        let capacity = usize::try_from(monitor.settings.window.max(1)).unwrap_or(usize::MAX);
        let seconds = monitor.settings.window_seconds.max(0) as f64;
        let store = match &monitoring.state {
            Some(path) => Some(Store::open(path, &monitoring.deploy)?),
            None => None,
        };
        let live = Live {
            deploy: monitoring.deploy,
            monitor,
            metrics: monitoring.metrics,
            capacity,
            seconds,
            store,
            base: monitoring.base,
            retrainer: monitoring.retrainer,
            webhooks,
            state: Mutex::new(State { started: now(), ..State::default() }),
            computing: AtomicBool::new(false),
            again: AtomicBool::new(false),
            retraining: tokio::sync::Mutex::new(()),
        };
        if let Some(model) = model {
            live.restore(model)?;
        }
        Ok((live, warnings))
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn labelled_keep(&self) -> usize {
        let mut keep = usize::try_from(self.monitor.settings.labelled.max(1)).unwrap_or(usize::MAX);
        for rule in &self.monitor.rules {
            if let (Watch::Metric { .. }, Some(w)) = (&rule.watch, &rule.window) {
                keep = keep.max(usize::try_from(w.count).unwrap_or(0));
            }
        }
        keep
    }

    /// Reads the state of the deploy back (the window of `model`'s bundle).
    fn restore(&self, model: &Served) -> Result<(), String> {
        let restored = match &self.store {
            Some(store) => store.restore(model.id(), self.capacity, self.labelled_keep())?,
            None => Restored::default(),
        };
        let mut state = self.lock();
        state.bundle = model.id().to_string();
        if model.reference().is_some() {
            state.window = restored.window.into_iter().map(|(t, row)| (t, Arc::new(row))).collect();
        }
        state.fresh = state.window.len();
        state.labels = restored
            .feedback
            .into_iter()
            .map(|(id, row, label, prediction, appended)| Label { id, row, label, prediction, appended })
            .collect();
        state.firings = restored.firings.into();
        state.fired = restored.fired.into_iter().collect();
        state.feedback_total = restored.feedback_total;
        Ok(())
    }

    /// A new bundle is served: the drift window starts again (it compares with that bundle's
    /// reference); labels and firings are the deploy's and stay.
    pub fn swapped(&self, model: &Served) {
        let mut state = self.lock();
        if state.bundle != model.id() {
            state.bundle = model.id().to_string();
            state.window.clear();
            state.drift = None;
            state.fresh = 1;
        }
    }

    /// The request path: rows predicted by `model` get ids, enter the window (when the bundle has
    /// a reference and `windowed`), are remembered for feedback and committed to the database
    /// (the reply waits for that). Returns the ids, or why the rows could not be stored.
    pub async fn record(
        &self,
        model: &Served,
        rows: Vec<Value>,
        predictions: &[Prediction],
        ids: Vec<String>,
        windowed: bool,
    ) -> Result<bool, String> {
        let time = now();
        let windowed = windowed && model.reference().is_some();
        let rows: Vec<Arc<Value>> = rows.into_iter().map(Arc::new).collect();
        let due = {
            let mut state = self.lock();
            if state.bundle != model.id() {
                // Rows of a bundle swapped out meanwhile do not enter the new one's window.
                drop(state);
                self.swapped(model);
                state = self.lock();
            }
            if windowed {
                for row in &rows {
                    state.window.push_back((time, row.clone()));
                }
                while state.window.len() > self.capacity {
                    state.window.pop_front();
                }
                state.fresh += rows.len();
            }
            for ((id, row), p) in ids.iter().zip(&rows).zip(predictions) {
                state.remembered.insert(id.clone(), (model.id().to_string(), row.clone(), p.json.clone()));
                state.order.push_back(id.clone());
            }
            while state.order.len() > REMEMBER {
                if let Some(old) = state.order.pop_front() {
                    state.remembered.remove(&old);
                }
            }
            state.fresh >= (self.capacity / 10).max(1)
        };
        if let Some(store) = &self.store {
            let stored = ids
                .iter()
                .zip(&rows)
                .zip(predictions)
                .map(|((id, row), p)| StoredPrediction {
                    id: id.clone(),
                    time,
                    bundle: model.id().to_string(),
                    row: row.to_string(),
                    prediction: p.json.to_string(),
                    windowed,
                })
                .collect();
            if !store.predictions(stored).await {
                return Err(format!("the prediction could not be recorded in `{}`", store.path().display()));
            }
        }
        Ok(due)
    }

    /// A remembered prediction: (bundle, row, prediction JSON).
    pub fn prediction(&self, id: &str) -> Option<(String, Value, Value)> {
        if let Some((b, row, p)) = self.lock().remembered.get(id) {
            return Some((b.clone(), row.as_ref().clone(), p.clone()));
        }
        self.store.as_ref().and_then(|s| s.prediction(id))
    }

    /// Labels applied (already validated): stored, then counted.
    pub async fn label(&self, bundle: &str, labels: Vec<Label>) -> Result<(), String> {
        if let Some(store) = &self.store {
            let time = now();
            let stored = labels
                .iter()
                .map(|l| StoredFeedback {
                    time,
                    bundle: bundle.to_string(),
                    id: l.id.clone(),
                    row: l.row.to_string(),
                    label: l.label.to_string(),
                    prediction: l.prediction.to_string(),
                })
                .collect();
            if !store.feedback(stored).await {
                return Err(format!("the feedback could not be recorded in `{}`", store.path().display()));
            }
        }
        let keep = self.labelled_keep();
        let mut state = self.lock();
        state.feedback_total += labels.len() as u64;
        state.labels.extend(labels);
        // Labels not yet appended to a retrain source are kept until they are (when a `retrain`
        // appends them).
        let appends = self
            .monitor
            .rules
            .iter()
            .any(|r| matches!(&r.action, mlp_compiler::program::Action::Retrain { append } if !append.is_empty()));
        while state.labels.len() > keep && state.labels.front().is_some_and(|l| l.appended || !appends) {
            state.labels.pop_front();
        }
        state.fresh = state.fresh.max(1);
        Ok(())
    }

    /// Labels not yet appended to a retrain source.
    pub fn unappended(&self) -> Vec<Label> {
        self.lock().labels.iter().filter(|l| !l.appended).cloned().collect()
    }

    pub fn mark_appended(&self, ids: &[String]) {
        let set: BTreeSet<&String> = ids.iter().collect();
        for l in self.lock().labels.iter_mut() {
            if set.contains(&l.id) {
                l.appended = true;
            }
        }
        if let Some(store) = &self.store {
            store.appended(ids.to_vec());
        }
    }

    /// Whether the figures are older than the window's rows or labels.
    pub fn stale(&self) -> bool {
        let state = self.lock();
        state.fresh > 0 || (state.drift.is_none() && !state.window.is_empty())
    }

    fn labelled(&self, state: &State, labels: &Labels) -> Option<Labelled> {
        if state.labels.is_empty() {
            return None;
        }
        if labels.classes.is_empty() {
            let (mut predicted, mut truth) = (Vec::new(), Vec::new());
            for l in &state.labels {
                if let (Some(p), Some(t)) = (l.prediction["value"].as_f64(), l.label.as_f64()) {
                    predicted.push(p);
                    truth.push(t);
                }
            }
            return Some(Labelled::Values { predicted, truth });
        }
        let (mut probabilities, mut truth) = (Vec::new(), Vec::new());
        for l in &state.labels {
            let Some(t) = labels.classes.iter().position(|c| Some(c.as_str()) == label_text(&l.label).as_deref())
            else {
                continue;
            };
            let p: Vec<f64> =
                labels.classes.iter().map(|c| l.prediction["probabilities"][c].as_f64().unwrap_or(0.0)).collect();
            probabilities.push(p);
            truth.push(t);
        }
        Some(Labelled::Classes { classes: labels.classes.clone(), probabilities, truth })
    }

    /// Recomputes drift and every condition (blocking: call it off the request path). Returns
    /// the outcomes that became true now (the edge), to fire.
    pub fn recompute(&self, model: Option<&Served>) -> Vec<Outcome> {
        let time = now();
        let labels = model.map(Labels::of).unwrap_or_default();
        let (rows, labelled, first) = {
            let mut state = self.lock();
            if self.seconds > 0.0 {
                while state.window.front().is_some_and(|(t, _)| *t < time - self.seconds) {
                    state.window.pop_front();
                }
            }
            state.fresh = 0;
            let rows: Vec<Arc<Value>> = state.window.iter().map(|(_, r)| r.clone()).collect();
            let first = state.window.front().map(|(t, _)| *t).unwrap_or(time).min(state.started);
            (rows, self.labelled(&state, &labels), first)
        };
        let share = self.monitor.settings.drift_share;
        let reference = model.and_then(|m| m.reference());
        let empty = Reference { rows: 0, columns: BTreeMap::new() };
        let reference_or_empty = reference.unwrap_or(&empty);
        let drift_of = |n: Option<usize>| -> DriftReport {
            let from = n.map_or(0, |n| rows.len().saturating_sub(n));
            let profile = Profile::of_json(reference_or_empty, rows[from..].iter().map(|r| r.as_ref()));
            drift::compare(reference_or_empty, &profile, share)
        };
        let report = reference.map(|_| drift_of(None));
        let whole = |n: Option<usize>| match (n, &report) {
            (None, Some(r)) => r.clone(),
            _ => drift_of(n),
        };
        let full = if self.seconds > 0.0 {
            rows.len() >= self.capacity || (!rows.is_empty() && time - first >= self.seconds)
        } else {
            rows.len() >= self.capacity
        };
        let inputs = Inputs {
            drift: &whole,
            rows: rows.len(),
            labelled: labelled.as_ref(),
            metrics: &self.metrics,
            threshold: labels.threshold,
        };
        let mut outcomes = conditions::evaluate(&self.monitor, &inputs);
        for (rule, outcome) in self.monitor.rules.iter().zip(outcomes.iter_mut()) {
            if matches!(rule.watch, Watch::Drift { .. }) {
                if reference.is_none() {
                    outcome.fired = false;
                    outcome.value = None;
                    outcome.note = Some("the bundle has no training reference".into());
                } else if !full && outcome.note.is_none() {
                    outcome.fired = false;
                    outcome.note =
                        Some(format!("waiting for the window to fill ({} of {} rows)", rows.len(), self.capacity));
                }
            }
        }
        let mut state = self.lock();
        let mut edges = Vec::new();
        for outcome in &outcomes {
            if outcome.fired {
                if state.fired.insert(outcome.condition.clone()) {
                    if let Some(store) = &self.store {
                        store.fired(&outcome.condition, true);
                    }
                    edges.push(outcome.clone());
                }
            } else if outcome.value.is_some() && state.fired.remove(&outcome.condition) {
                // Only a figure that no longer holds re-arms a condition (not a window refilling).
                if let Some(store) = &self.store {
                    store.fired(&outcome.condition, false);
                }
            }
        }
        state.drift = report;
        state.outcomes = outcomes;
        edges
    }

    /// Records a firing (memory, database, counter).
    pub fn record_firing(&self, firing: &Firing, outcome: &str) {
        if let Some(store) = &self.store {
            store.firing(firing.clone());
        }
        let mut state = self.lock();
        *state.actions.entry((firing.action.clone(), outcome.to_string())).or_default() += 1;
        state.firings.push_back(serde_json::to_value(firing).unwrap_or(Value::Null));
        while state.firings.len() > RECENT {
            state.firings.pop_front();
        }
    }

    pub fn bundle(&self) -> String {
        self.lock().bundle.clone()
    }

    /// `GET /monitor`'s body.
    pub fn report(&self) -> Value {
        let state = self.lock();
        json!({
            "bundle": state.bundle,
            "deploy": self.deploy,
            "window": {
                "rows": state.window.len(),
                "capacity": self.capacity,
                "seconds": self.monitor.settings.window_seconds,
            },
            "drift": state.drift,
            "conditions": state.outcomes,
            "labelled": state.labels.len(),
            "feedback": state.feedback_total,
            "firings": state.firings,
        })
    }

    /// The monitor's gauges and counters in the Prometheus text format.
    pub fn render(&self, out: &mut String) {
        let state = self.lock();
        let esc = |t: &str| t.replace('\\', "\\\\").replace('"', "\\\"").replace('\n', "\\n");
        if let Some(drift) = &state.drift {
            out.push_str("# HELP mlpc_drift_share Share of the monitored columns that drifted in the window.\n");
            out.push_str("# TYPE mlpc_drift_share gauge\n");
            let _ = writeln!(out, "mlpc_drift_share {}", drift.share);
            out.push_str("# HELP mlpc_drift_dataset 1 when the window's dataset drifted (share over drift_share).\n");
            out.push_str("# TYPE mlpc_drift_dataset gauge\n");
            let _ = writeln!(out, "mlpc_drift_dataset {}", u8::from(drift.drifted));
            out.push_str("# HELP mlpc_drift_column Each column's figure of its default drift test.\n");
            out.push_str("# TYPE mlpc_drift_column gauge\n");
            for c in &drift.columns {
                let _ = writeln!(
                    out,
                    "mlpc_drift_column{{column=\"{}\",method=\"{}\"}} {}",
                    esc(&c.column),
                    c.method.name(),
                    c.value
                );
            }
        }
        out.push_str("# HELP mlpc_monitor_condition 1 while a monitor condition holds, else 0.\n");
        out.push_str("# TYPE mlpc_monitor_condition gauge\n");
        for o in &state.outcomes {
            let _ =
                writeln!(out, "mlpc_monitor_condition{{condition=\"{}\"}} {}", esc(&o.condition), u8::from(o.fired));
        }
        out.push_str("# HELP mlpc_monitor_actions_total Monitor actions run, by action and outcome.\n");
        out.push_str("# TYPE mlpc_monitor_actions_total counter\n");
        for ((action, outcome), n) in &state.actions {
            let _ = writeln!(out, "mlpc_monitor_actions_total{{action=\"{action}\",outcome=\"{}\"}} {n}", esc(outcome));
        }
        out.push_str("# HELP mlpc_feedback_total Labels received on POST /feedback.\n");
        out.push_str("# TYPE mlpc_feedback_total counter\n");
        let _ = writeln!(out, "mlpc_feedback_total {}", state.feedback_total);
        let scored: Vec<&Outcome> = self
            .monitor
            .rules
            .iter()
            .zip(&state.outcomes)
            .filter(|(r, o)| matches!(r.watch, Watch::Metric { .. }) && o.value.is_some())
            .map(|(_, o)| o)
            .collect();
        if !scored.is_empty() {
            out.push_str(
                "# HELP mlpc_labelled_metric A metric over the labelled predictions of its condition's window.\n",
            );
            out.push_str("# TYPE mlpc_labelled_metric gauge\n");
            let mut seen = BTreeSet::new();
            for (rule, o) in self.monitor.rules.iter().zip(&state.outcomes) {
                if let (Watch::Metric { metric }, Some(v)) = (&rule.watch, o.value)
                    && seen.insert(metric.clone())
                {
                    let _ = writeln!(out, "mlpc_labelled_metric{{metric=\"{}\"}} {v}", esc(metric));
                }
            }
        }
    }
}

/// A label's text as a class name (`"malignant"`, `1`, `true`).
pub fn label_text(label: &Value) -> Option<String> {
    match label {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

/// The least time between two recomputes the request path asks for: under load the window fills
/// its tenth many times a second, and drift over a window of a thousand rows moves little in a
/// second, while each recompute takes a core for milliseconds (`GET /monitor` still recomputes
/// stale figures at once).
const MIN_INTERVAL: std::time::Duration = std::time::Duration::from_millis(1000);

/// Recomputes off the request path: one computation at a time, at most one per [`MIN_INTERVAL`];
/// asks made meanwhile run once more.
pub fn spawn_recompute(shared: &Arc<Shared>) {
    let Some(live) = &shared.live else { return };
    if live.computing.swap(true, Ordering::AcqRel) {
        live.again.store(true, Ordering::Release);
        return;
    }
    let shared = shared.clone();
    tokio::spawn(async move {
        loop {
            let started = tokio::time::Instant::now();
            recompute_now(&shared).await;
            tokio::time::sleep_until(started + MIN_INTERVAL).await;
            let Some(live) = &shared.live else { return };
            if !live.again.swap(false, Ordering::AcqRel) {
                live.computing.store(false, Ordering::Release);
                return;
            }
        }
    });
}

/// Recomputes on a blocking thread and fires the conditions that became true.
pub async fn recompute_now(shared: &Arc<Shared>) {
    let model = shared.slot.get();
    let worker = shared.clone();
    let edges = tokio::task::spawn_blocking(move || {
        worker.live.as_ref().map(|live| live.recompute(model.as_ref())).unwrap_or_default()
    })
    .await
    .unwrap_or_default();
    for outcome in edges {
        tokio::spawn(crate::actions::fire(shared.clone(), outcome));
    }
}
