//! The bundle being served and its atomic swap. Requests take the current model (an `Arc`) when
//! they arrive and keep it to the end, so a swap never mixes two bundles in one reply; the swap
//! itself replaces one pointer. A reload (SIGHUP or `POST /admin/reload`) loads the new bundle on a
//! blocking thread while the old one keeps serving, one reload at a time; a reload that fails keeps
//! the old bundle.

use crate::model::Served;
use mlp_data::RunError;
use std::sync::{Arc, RwLock};

/// Loads the bundle to serve (again): in `mlpc serve SPEC`, the latest passing run's; with
/// `--bundle DIR`, that directory's.
pub type Loader = Arc<dyn Fn() -> Result<Served, RunError> + Send + Sync>;

/// What asked for a reload.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Trigger {
    Hangup,
    Admin,
    /// A monitor's `retrain` action ran the pipeline and its gates passed.
    Retrain,
    /// A monitor's `rollback` action.
    Rollback,
}

/// The slot holding the served model; empty until one is loaded.
#[derive(Default)]
pub struct Slot {
    current: RwLock<Option<Served>>,
    /// The bundle served before the last swap (what `rollback` serves again).
    previous: RwLock<Option<Served>>,
    reloading: tokio::sync::Mutex<()>,
}

/// A swap that happened.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Swapped {
    pub from: Option<String>,
    pub to: String,
}

impl Slot {
    pub fn new(model: Option<Served>) -> Slot {
        Slot { current: RwLock::new(model), previous: RwLock::new(None), reloading: tokio::sync::Mutex::new(()) }
    }

    /// The model served now.
    pub fn get(&self) -> Option<Served> {
        self.current.read().unwrap_or_else(|p| p.into_inner()).clone()
    }

    /// Serves `model` from now on; returns the one it replaces.
    pub fn set(&self, model: Served) -> Option<Served> {
        let old = self.current.write().unwrap_or_else(|p| p.into_inner()).replace(model);
        if let Some(old) = &old {
            *self.previous.write().unwrap_or_else(|p| p.into_inner()) = Some(old.clone());
        }
        old
    }

    /// Serves the bundle served before the last swap again (the current one becomes the
    /// previous one); `None` when there was none.
    pub fn rollback(&self) -> Option<Swapped> {
        let previous = self.previous.read().unwrap_or_else(|p| p.into_inner()).clone()?;
        let to = previous.id().to_string();
        let from = self.set(previous).map(|old| old.id().to_string());
        Some(Swapped { from, to })
    }

    /// Loads with `loader` and swaps the result in.
    pub async fn reload(&self, loader: &Loader) -> Result<Swapped, RunError> {
        let _one_at_a_time = self.reloading.lock().await;
        let load = loader.clone();
        let loaded = tokio::task::spawn_blocking(move || load()).await.map_err(|_| {
            RunError::new(mlp_compiler::codes::Code::E0842, "loading the bundle failed unexpectedly")
                .with_help("the bundle served before keeps serving; see the server's log")
        })??;
        let to = loaded.id().to_string();
        let from = self.set(loaded).map(|old| old.id().to_string());
        Ok(Swapped { from, to })
    }
}
