//! A bundle (`mlp_infer::Bundle`) is what the server serves, with its training reference for the
//! live drift window; [`Loaded`] wraps one for the CLI.

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

    fn reference(&self) -> Option<&Reference> {
        Some(Bundle::reference(self))
    }
}

/// A loaded bundle, served (its training reference, `Bundle::reference`, feeds the drift window).
pub struct Loaded {
    bundle: Bundle,
}

impl Loaded {
    pub fn new(bundle: Bundle) -> Loaded {
        Loaded { bundle }
    }

    /// Loads the bundle in `dir`, ready to serve.
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
        Some(Bundle::reference(&self.bundle))
    }
}

fn each(predictions: Predictions) -> Vec<Prediction> {
    (0..predictions.len())
        .map(|i| Prediction { json: predictions.row_json(i), class: predictions.class_of(i).map(str::to_string) })
        .collect()
}
