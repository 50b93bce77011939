//! A bundle (`mlp_infer::Bundle`) is what the server serves.

use crate::model::{FieldError, Prediction, Predictor};
use mlp_infer::{Bundle, Predictions};
use serde_json::Value;

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

fn each(predictions: Predictions) -> Vec<Prediction> {
    (0..predictions.len())
        .map(|i| Prediction { json: predictions.row_json(i), class: predictions.class_of(i).map(str::to_string) })
        .collect()
}
