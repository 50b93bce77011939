//! mlp-data: the one place that reads data files. The loader turns a source's files (CSV, JSON
//! lines, Parquet, IDX, image folders) into a typed Arrow [`Table`] for the runtime; [`FsWorld`]
//! gives the compiler its source files and the data samples it infers schemas from; run-time data
//! failures are [`RunError`]s with a code, a location and one help line.
//!
//! No Candle here: `mlpc check`, `fmt`, `graph` and `lsp` need only this crate and the compiler,
//! and a test over `cargo metadata` (tests/crate_graph.rs in the workspace root) keeps it so.

// `RunError` carries a location (with the line's text) and help text (about 220 bytes). Failures are rare and end the
// run, so returning it by value costs nothing that matters; boxing it would only add noise.
#![allow(clippy::result_large_err)]

pub mod column_view;
mod columns;
mod csv;
mod diag;
pub mod error;
mod excerpt;
mod folder;
mod idx;
mod jsonl;
mod load;
pub mod missing;
#[cfg(feature = "parquet")]
mod parquet;
pub mod paths;
mod records;
mod table;
mod time_order;
mod world;

pub use columns::tensor_array;
pub use csv::cells as csv_cells;
pub use error::{Location, RunError, RunResult};
pub use excerpt::{Layout, LineText};
pub use load::{data_files, load, parse_csv};
pub use table::{FileRows, Origin, Table};
pub use time_order::time_order;
pub use world::FsWorld;
