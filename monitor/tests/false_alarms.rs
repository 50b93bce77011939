//! Drift on real data: a seeded half of a data set is the reference, and samples of the other half
//! are the current rows. Unshifted samples must rarely drift (the false-alarm rate over 100 samples
//! is printed and bounded) and shifted copies must always drift. The reference comes from a file
//! (`current::reference_of`), as `mlpc monitor --reference` builds it.

use mlp_monitor::current;
use mlp_monitor::drift::{self, P_VALUE};
use mlp_monitor::profile::Profile;
use mlp_stdlib::rng::Rng;
use serde_json::{Map, Value};
use std::path::PathBuf;

const SAMPLES: usize = 100;
const ROWS: usize = 150;

struct Halves {
    reference: mlp_infer::reference::Reference,
    header: Vec<String>,
    pool: Vec<Vec<String>>,
}

/// The reference (a seeded half of the file's rows, written to a scratch CSV) and the other half.
fn halves(name: &str) -> Halves {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../tests/data").join(name);
    let text = std::fs::read_to_string(&path).unwrap();
    let mut lines = text.lines();
    let header_line = lines.next().unwrap();
    let header: Vec<String> = header_line.split(',').map(str::to_string).collect();
    let mut rows: Vec<&str> = lines.filter(|l| !l.contains('"')).collect();
    Rng::new(7).shuffle(&mut rows);
    let half = rows.len() / 2;
    let scratch = std::env::temp_dir().join(format!("mlpc-false-alarms-{}-{name}", std::process::id()));
    std::fs::write(&scratch, format!("{header_line}\n{}\n", rows[..half].join("\n"))).unwrap();
    let reference = current::reference_of(std::slice::from_ref(&scratch)).unwrap();
    let _ = std::fs::remove_file(&scratch);
    let pool = rows[half..].iter().map(|l| l.split(',').map(str::to_string).collect()).collect();
    Halves { reference, header, pool }
}

/// `ROWS` rows drawn without replacement, numbers multiplied by `scale`, as JSON rows.
fn sample(h: &Halves, rng: &mut Rng, scale: f64) -> Profile {
    let mut order: Vec<usize> = (0..h.pool.len()).collect();
    rng.shuffle(&mut order);
    let rows: Vec<Value> = order[..ROWS]
        .iter()
        .map(|&r| {
            let mut row = Map::new();
            for (name, cell) in h.header.iter().zip(&h.pool[r]) {
                let value = match cell.parse::<f64>() {
                    Ok(v) => Value::from(v * scale),
                    Err(_) => Value::from(cell.clone()),
                };
                row.insert(name.clone(), value);
            }
            Value::Object(row)
        })
        .collect();
    Profile::of_json(&h.reference, &rows)
}

/// (dataset false-alarm rate, mean share of columns flagged) over `SAMPLES` samples.
fn rates(h: &Halves, scale: f64) -> (f64, f64) {
    let mut rng = Rng::new(11);
    let (mut datasets, mut columns) = (0usize, 0f64);
    for _ in 0..SAMPLES {
        let report = drift::compare(&h.reference, &sample(h, &mut rng, scale), 0.5);
        datasets += usize::from(report.drifted);
        columns += report.share;
    }
    (datasets as f64 / SAMPLES as f64, columns / SAMPLES as f64)
}

#[test]
fn unshifted_samples_rarely_drift_and_shifted_copies_always_do() {
    // breast_cancer: 30 measurements; titanic: four categorical columns (chi-square).
    for name in ["breast_cancer.csv", "titanic.csv"] {
        let h = halves(name);
        let (dataset, column) = rates(&h, 1.0);
        println!(
            "{name}: over {SAMPLES} unshifted samples of {ROWS} rows, the dataset drifted in {:.0}% and {:.1}% of the \
             columns per sample were flagged (tests at p < {P_VALUE})",
            dataset * 100.0,
            column * 100.0
        );
        assert!(dataset <= 0.02, "{name}: dataset false alarms {dataset}");
        // Each column's test has a 5% false-alarm rate when its p-value is right (less with ties).
        assert!(column <= 0.08, "{name}: columns flagged {column}");
        if name == "breast_cancer.csv" {
            // Every column is a positive measurement: scaling moves every distribution.
            let (shifted, shifted_columns) = rates(&h, 1.3);
            println!(
                "{name}: shifted x1.3, the dataset drifted in {:.0}% ({:.0}% of columns)",
                shifted * 100.0,
                shifted_columns * 100.0
            );
            assert_eq!(shifted, 1.0, "{name}: shifted copies drift every time");
        }
    }
}
