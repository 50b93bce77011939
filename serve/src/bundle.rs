//! A bundle (`mlp_infer::Bundle`) is what the server serves; [`Loaded`] is a bundle with its
//! training reference (`reference.json`), read once at load, for the live drift window.

use crate::model::{FieldError, Prediction, Predictor, Served};
use mlp_data::RunError;
use mlp_infer::reference::Reference;
use mlp_infer::{Bundle, Predictions};
use serde_json::Value;
use std::path::Path;
use std::sync::Arc;

impl Predictor for Bundle {
    fn id(&self) -> &str {
        Bundle::id(self)
    }

    fn model(&self) -> &str {
        &self.manifest().model
    }

    fn manifest(&self) -> Value {
        serde_json::to_value(Bundle::manifest(self)).unwrap_or(Value::Null)
    }

    fn card(&self) -> &str {
        Bundle::card(self)
    }

    fn predict_rows(&self, rows: &[&Value]) -> Result<Vec<Prediction>, Vec<FieldError>> {
        self.predict_json(rows).map(each)
    }

    fn predict_csv(&self, body: &[u8]) -> Result<Vec<Prediction>, Vec<FieldError>> {
        Bundle::predict_csv(self, body).map(each)
    }
}

/// A bundle and its training reference (none when the bundle lists no `reference.json`).
pub struct Loaded {
    bundle: Bundle,
    reference: Option<Reference>,
}

impl Loaded {
    /// Reads the reference of a loaded bundle (its hash was checked when the bundle loaded).
    pub fn new(bundle: Bundle) -> Loaded {
        let listed = Bundle::manifest(&bundle).files.contains_key(mlp_infer::bundle::REFERENCE);
        let reference = listed
            .then(|| std::fs::read(bundle.dir().join(mlp_infer::bundle::REFERENCE)).ok())
            .flatten()
            .and_then(|bytes| serde_json::from_slice(&bytes).ok());
        Loaded { bundle, reference }
    }

    /// Loads the bundle in `dir` with its reference, ready to serve.
    pub fn load(dir: &Path) -> Result<Served, RunError> {
        Ok(Arc::new(Loaded::new(Bundle::load(dir)?)))
    }
}

impl Predictor for Loaded {
    fn id(&self) -> &str {
        Bundle::id(&self.bundle)
    }
    fn model(&self) -> &str {
        &Bundle::manifest(&self.bundle).model
    }
    fn manifest(&self) -> Value {
        Predictor::manifest(&self.bundle)
    }
    fn card(&self) -> &str {
        Bundle::card(&self.bundle)
    }
    fn predict_rows(&self, rows: &[&Value]) -> Result<Vec<Prediction>, Vec<FieldError>> {
        Predictor::predict_rows(&self.bundle, rows)
    }
    fn predict_csv(&self, body: &[u8]) -> Result<Vec<Prediction>, Vec<FieldError>> {
        Predictor::predict_csv(&self.bundle, body)
    }
    fn reference(&self) -> Option<&Reference> {
        self.reference.as_ref()
    }
}

fn each(predictions: Predictions) -> Vec<Prediction> {
    (0..predictions.len())
        .map(|i| Prediction { json: predictions.row_json(i), class: predictions.class_of(i).map(str::to_string) })
        .collect()
}
