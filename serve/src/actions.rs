//! What a condition does when it becomes true, off the request path; each firing is recorded
//! with the window's figures and its result, and counted by action and outcome:
//! - `warn`: an [`Event::Fired`] for the CLI's log (one JSON line);
//! - `alert`: the event POSTed to the webhook (`webhook.rs`), with retries;
//! - `retrain`: the labelled feedback rows appended to the declared CSV, the pipeline run by the
//!   CLI's retrainer, and on its success the latest passing bundle swapped in (exit 3, a gate
//!   failed, keeps the bundle served); one retrain at a time;
//! - `rollback`: the bundle served before the last swap serves again.

use crate::Event;
use crate::app::Shared;
use crate::live::{Firing, Label, Labels, label_text, now};
use crate::swap::Trigger;
use mlp_compiler::program::Action;
use mlp_monitor::conditions::Outcome;
use std::io::Write as _;
use std::path::Path;
use std::sync::Arc;

/// Runs the action of `outcome` and records the firing.
pub async fn fire(shared: Arc<Shared>, outcome: Outcome) {
    let Some(live) = &shared.live else { return };
    let bundle = shared.slot.get().map(|m| m.id().to_string()).unwrap_or_else(|| live.bundle());
    let mut firing = Firing {
        time: now(),
        deploy: live.deploy.clone(),
        bundle,
        condition: outcome.condition.clone(),
        action: outcome.action.name().to_string(),
        value: outcome.value,
        column: outcome.column.clone(),
        rows: outcome.rows,
        result: String::new(),
    };
    let (label, result) = match &outcome.action {
        Action::Warn => ("logged", "logged".to_string()),
        Action::Alert { .. } => alert(&shared, &firing).await,
        Action::Retrain { append } => retrain(&shared, append).await,
        Action::Rollback => rollback(&shared),
    };
    firing.result = result;
    live.record_firing(&firing, label);
    (shared.events)(Event::Fired { firing });
}

async fn alert(shared: &Shared, firing: &Firing) -> (&'static str, String) {
    let Some(live) = &shared.live else { return ("failed", "no monitor".into()) };
    let Some(Some(url)) = live.webhooks.get(&firing.condition) else {
        return ("alert_unconfigured", "alert_unconfigured".into());
    };
    let body = serde_json::to_string(firing).unwrap_or_default();
    match crate::webhook::post(url, &body, shared.retry).await {
        Ok(status) => ("sent", format!("sent: {status}")),
        Err(e) => ("failed", format!("failed: {e}")),
    }
}

fn rollback(shared: &Shared) -> (&'static str, String) {
    match shared.slot.rollback() {
        Some(swapped) => {
            if let (Some(live), Some(model)) = (&shared.live, shared.slot.get()) {
                live.swapped(&model);
            }
            let to = swapped.to.clone();
            (shared.events)(Event::Reloaded { trigger: Trigger::Rollback, from: swapped.from, to: swapped.to });
            ("ok", format!("serving bundle {to} again"))
        }
        None => ("failed", "failed: no bundle was served before this one".into()),
    }
}

async fn retrain(shared: &Arc<Shared>, append: &str) -> (&'static str, String) {
    let Some(live) = &shared.live else { return ("failed", "no monitor".into()) };
    let Ok(_one) = live.retraining.try_lock() else {
        return ("busy", "skipped: a retrain is running".into());
    };
    let (Some(retrainer), Some(loader)) = (live.retrainer.clone(), shared.loader.clone()) else {
        return ("failed", "failed: this server cannot retrain (no spec)".into());
    };
    let Some(model) = shared.slot.get() else { return ("failed", "failed: no bundle served".into()) };
    if !append.is_empty() {
        let labels = Labels::of(&model);
        let rows = live.unappended();
        let path = live.base.join(append);
        match append_rows(&path, &labels, &rows) {
            Ok(()) => live.mark_appended(&rows.iter().map(|l| l.id.clone()).collect::<Vec<_>>()),
            Err(e) => return ("failed", format!("failed: {e}")),
        }
    }
    let ran = tokio::task::spawn_blocking(move || retrainer()).await;
    match ran {
        Ok(Ok(0)) => match crate::app::reload_with(shared, &loader, Trigger::Retrain).await {
            Ok((from, to)) if from.as_deref() == Some(to.as_str()) => {
                ("ok", format!("retrained; the same bundle {to}"))
            }
            Ok((_, to)) => ("ok", format!("retrained; serving bundle {to}")),
            Err(e) => ("failed", format!("failed: {e}")),
        },
        Ok(Ok(3)) => ("gate_failed", format!("gate_failed: a gate failed; still serving bundle {}", model.id())),
        Ok(Ok(code)) => ("failed", format!("failed: the pipeline exited with status {code}")),
        Ok(Err(e)) => ("failed", format!("failed: {e}")),
        Err(_) => ("failed", "failed: the retrain panicked".into()),
    }
}

/// Appends labelled rows (input columns and the label) to the CSV at `path`: a header first when
/// the file is new or empty; an existing header must be the same.
pub fn append_rows(path: &Path, labels: &Labels, rows: &[Label]) -> Result<(), String> {
    let mut columns = labels.inputs.clone();
    columns.push(labels.label.clone());
    let header = columns.iter().map(|c| cell(c)).collect::<Vec<_>>().join(",");
    let existing = std::fs::read(path).ok().filter(|b| !b.is_empty());
    let mut text = String::new();
    match &existing {
        Some(bytes) => {
            let first =
                String::from_utf8_lossy(bytes).lines().next().unwrap_or_default().trim_end_matches('\r').to_string();
            if first != header {
                return Err(format!(
                    "`{}` has the header `{first}`, not the bundle's columns `{header}`: nothing appended",
                    path.display()
                ));
            }
            if !bytes.ends_with(b"\n") {
                text.push('\n');
            }
        }
        None => {
            text.push_str(&header);
            text.push('\n');
        }
    }
    for l in rows {
        let mut cells: Vec<String> = labels.inputs.iter().map(|c| value_cell(l.row.get(c))).collect();
        cells.push(label_text(&l.label).map(|t| cell(&t)).unwrap_or_default());
        text.push_str(&cells.join(","));
        text.push('\n');
    }
    let mut file = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .map_err(|e| format!("`{}` cannot be opened: {e}", path.display()))?;
    file.write_all(text.as_bytes()).and_then(|()| file.sync_all()).map_err(|e| format!("`{}`: {e}", path.display()))
}

fn value_cell(value: Option<&serde_json::Value>) -> String {
    match value {
        None | Some(serde_json::Value::Null) => String::new(),
        Some(serde_json::Value::String(s)) => cell(s),
        Some(other) => cell(&other.to_string()),
    }
}

fn cell(text: &str) -> String {
    if text.contains([',', '"', '\n', '\r']) { format!("\"{}\"", text.replace('"', "\"\"")) } else { text.to_string() }
}
