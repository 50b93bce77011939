//! mlp-infer: loads a model bundle and turns raw rows into predictions — validate, derive, encode,
//! fill, scale, forward, post-process — with no dependency on training code. `mlpc run`
//! evaluates through the same functions ([`preprocess::transform_rows`],
//! [`predict::network_prediction`], [`derive::derive`], [`tokens::encode`]), so a served model
//! predicts exactly what its run evaluated.
//!
//! ```no_run
//! let bundle = mlp_infer::Bundle::load("runs/20261202-101500-ab12/bundles/mlp")?;
//! let rows = serde_json::json!([{ "sepal_length": 5.1, "sepal_width": 3.5, "petal_length": 1.4, "petal_width": 0.2 }]);
//! let predictions = bundle.predict_json(rows.as_array().unwrap()).map_err(|e| format!("{e:?}"))?;
//! println!("{}", predictions.row_json(0));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

// `RunError` carries a location and help text; failures are rare, so returning it by value costs
// nothing that matters.
#![allow(clippy::result_large_err)]

pub mod batch;
pub mod bundle;
pub mod card;
pub mod derive;
pub mod expressions;
pub mod input;
pub mod manifest;
#[cfg(feature = "parquet")]
pub mod parquet_out;
pub mod predict;
pub mod preprocess;
pub mod reference;
pub mod rows;
pub mod tokens;

pub use bundle::{Bundle, BundleParts, Predictions};
pub use manifest::Manifest;
pub use mlp_data::error;
pub use rows::FieldError;
