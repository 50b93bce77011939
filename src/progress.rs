//! Progress bars on stderr (indicatif) for `mlpc run`: one spinner line per running step and one
//! bar per training model, with the epoch, the training loss and the watched validation score.
//! Off a terminal indicatif draws nothing, so logs and tests stay clean.

use crate::out::errln;
use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};
use mlp_runtime::Progress;
use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;

pub struct Bars {
    multi: MultiProgress,
    bars: Mutex<HashMap<String, ProgressBar>>,
}

impl Bars {
    pub fn new() -> Bars {
        Bars { multi: MultiProgress::with_draw_target(ProgressDrawTarget::stderr()), bars: Mutex::new(HashMap::new()) }
    }

    /// Clears every bar that is still drawn.
    pub fn finish(&self) {
        if let Ok(mut bars) = self.bars.lock() {
            for (_, bar) in bars.drain() {
                bar.finish_and_clear();
            }
        }
        let _ = self.multi.clear();
    }

    fn add(&self, key: &str, bar: ProgressBar) {
        if let Ok(mut bars) = self.bars.lock() {
            bars.insert(key.to_string(), self.multi.add(bar));
        }
    }

    fn remove(&self, key: &str) {
        if let Some(bar) = self.bars.lock().ok().and_then(|mut b| b.remove(key)) {
            bar.finish_and_clear();
        }
    }
}

impl Progress for Bars {
    fn note(&self, text: &str) {
        self.multi.suspend(|| errln!("note: {text}"));
    }

    fn warning(&self, text: &str) {
        self.multi.suspend(|| errln!("warning: {text}"));
    }

    fn node_started(&self, id: &str) {
        if id.starts_with("train_model:") || id.starts_with("search_trial:") {
            return; // these get an epoch bar
        }
        let bar = ProgressBar::new_spinner().with_message(id.to_string());
        bar.set_style(
            ProgressStyle::with_template("{spinner} {msg} {elapsed}")
                .unwrap_or_else(|_| ProgressStyle::default_spinner()),
        );
        bar.enable_steady_tick(Duration::from_millis(120));
        self.add(id, bar);
    }

    fn node_finished(&self, id: &str, _seconds: f64) {
        self.remove(id);
    }

    fn training_started(&self, model: &str, epochs: usize) {
        let bar = ProgressBar::new(epochs as u64).with_prefix(model.to_string());
        bar.set_style(
            ProgressStyle::with_template("{prefix:>12} [{bar:30}] epoch {pos}/{len} {msg} ({elapsed})")
                .unwrap_or_else(|_| ProgressStyle::default_bar())
                .progress_chars("=> "),
        );
        self.add(&format!("train:{model}"), bar);
    }

    fn epoch(&self, model: &str, epoch: usize, train_loss: f64, val_score: Option<f64>) {
        if let Some(bar) = self.bars.lock().ok().and_then(|b| b.get(&format!("train:{model}")).cloned()) {
            bar.set_position(epoch as u64);
            match val_score {
                Some(v) => bar.set_message(format!("loss {train_loss:.4} val {v:.4}")),
                None => bar.set_message(format!("loss {train_loss:.4}")),
            }
        }
    }

    fn training_finished(&self, model: &str, _epochs: usize) {
        self.remove(&format!("train:{model}"));
    }
}

/// A bar over the bytes of an input file being predicted (`mlpc predict`, batch targets).
pub fn bytes_bar(total: u64, label: &str) -> ProgressBar {
    let bar = ProgressBar::with_draw_target(Some(total), ProgressDrawTarget::stderr());
    bar.set_style(
        ProgressStyle::with_template("{prefix} [{bar:30}] {bytes}/{total_bytes} {bytes_per_sec} eta {eta}")
            .unwrap_or_else(|_| ProgressStyle::default_bar())
            .progress_chars("=> "),
    );
    bar.set_prefix(label.to_string());
    bar
}
