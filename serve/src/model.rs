//! What the server needs of a loaded model, as a trait: `mlp_infer::Bundle` implements it
//! (`bundle.rs`), and the tests of this crate implement it with small fakes (a slow model, a model
//! that rejects a column) to reach every status without training anything.

pub use mlp_infer::FieldError;
use mlp_infer::reference::Reference;
use serde_json::Value;
use std::sync::Arc;

/// One prediction: its JSON (`{"class": ..., "probabilities": {...}}` or `{"value": ...}`) and its
/// class, when the model classifies (counted in `/metrics`).
#[derive(Clone, Debug, PartialEq)]
pub struct Prediction {
    pub json: Value,
    pub class: Option<String>,
}

/// A loaded model the server can predict with. Implementations must not panic on any row a
/// client sends (the server answers a panic with a 500 all the same, and keeps serving).
pub trait Predictor: Send + Sync + 'static {
    /// The bundle's content id.
    fn id(&self) -> &str;
    /// The name of the model the bundle holds.
    fn model(&self) -> &str;
    /// The bundle's manifest, as `/metadata` shows it.
    fn manifest(&self) -> Value;
    /// The model card (markdown).
    fn card(&self) -> &str;
    /// One prediction per row (each a JSON object of column values), in order, or every field error.
    fn predict_rows(&self, rows: &[&Value]) -> Result<Vec<Prediction>, Vec<FieldError>>;
    /// One prediction per record of a CSV text with a header, or every field error.
    fn predict_csv(&self, body: &[u8]) -> Result<Vec<Prediction>, Vec<FieldError>>;
    /// The training reference that live drift compares the inputs with (`None`: no drift window).
    fn reference(&self) -> Option<&Reference> {
        None
    }
}

/// A loaded model, shared by the requests that use it.
pub type Served = Arc<dyn Predictor>;
