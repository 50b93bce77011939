//! How the runtime reports long work: a callback the CLI implements with progress bars (on
//! stderr), and tests with nothing. The runtime itself never prints.

/// Receives progress events; every method has a do-nothing default.
pub trait Progress: Send + Sync {
    /// A plan node started (e.g. `load:tumors`).
    fn node_started(&self, _id: &str) {}
    /// A plan node finished after `seconds`.
    fn node_finished(&self, _id: &str, _seconds: f64) {}
    /// Training of `model` (or one search trial, `model#trial`) started for up to `epochs` epochs.
    fn training_started(&self, _model: &str, _epochs: usize) {}
    /// One epoch ended with the mean training loss and the validation score early stopping
    /// watches, if any.
    fn epoch(&self, _model: &str, _epoch: usize, _train_loss: f64, _val_score: Option<f64>) {}
    /// Training ended (after `epochs` epochs).
    fn training_finished(&self, _model: &str, _epochs: usize) {}
    /// A one-line remark for the user, e.g. that `device = auto` fell back to the CPU.
    fn note(&self, _text: &str) {}
    /// A one-line warning, e.g. that column expressions cannot be compiled on this machine.
    fn warning(&self, _text: &str) {}
}

/// Reports nothing.
pub struct Silent;

impl Progress for Silent {}
