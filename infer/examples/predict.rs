//! Using a bundle from a program, without the mlpc CLI and without the training data:
//!
//! ```sh
//! cargo run -p mlp-infer --example predict -- runs/<run-id>/bundles/<model> rows.json
//! ```
//!
//! `rows.json` holds one JSON object (a row) or an array of them; each prediction is printed as
//! one JSON line. Bad rows are reported field by field, as `mlpc serve` answers them.

use mlp_infer::Bundle;
use std::process::ExitCode;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [bundle, rows] = args.as_slice() else {
        eprintln!("usage: predict BUNDLE_DIR ROWS.json");
        return ExitCode::from(2);
    };
    let bundle = match Bundle::load(bundle) {
        Ok(b) => b,
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::from(4);
        }
    };
    let text = match std::fs::read_to_string(rows) {
        Ok(t) => t,
        Err(e) => {
            eprintln!("cannot read `{rows}`: {e}");
            return ExitCode::from(2);
        }
    };
    let rows = match serde_json::from_str::<serde_json::Value>(&text) {
        Ok(serde_json::Value::Array(rows)) => rows,
        Ok(row) => vec![row],
        Err(e) => {
            eprintln!("`{}` is not JSON: {e}", args[1]);
            return ExitCode::from(2);
        }
    };
    match bundle.predict_json(&rows) {
        Ok(predictions) => {
            for i in 0..predictions.len() {
                println!("{}", predictions.row_json(i));
            }
            ExitCode::SUCCESS
        }
        Err(errors) => {
            for error in errors {
                eprintln!("{error}");
            }
            ExitCode::from(4)
        }
    }
}
