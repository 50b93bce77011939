//! Image sources end to end: the digits written as MNIST-style IDX files (tests/data/digits-*.idx)
//! are checked, loaded, split and normalized per channel; malformed IDX files fail with their codes.

use mlp_compiler::check::compile_text;
use mlp_compiler::plan::{FitStep, LoadStep, SplitStep};
use mlp_compiler::program::Program;
use mlp_compiler::program::Seed;
use mlp_compiler::types::ColumnType;
use mlp_data::FsWorld;
use mlp_data::column_view::{ColumnView, tensor, view};
use mlp_data::load;
use mlp_runtime::prepare;
use std::path::{Path, PathBuf};
use std::sync::Arc;

fn data() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data")
}

const SPEC: &str = r#"
pipeline digits {
  seed = 3
}
source scans = idx("digits-images.idx", labels: "digits-labels.idx") {
  label = label
}
dataset images = scans {
  split = stratified(train: 0.8, val: 0.1, test: 0.1)
  normalize = zscore
}
objective maximize accuracy
baseline majority = majority_class()
"#;

/// Checks `spec` as if it were a file in `dir`.
fn compile(dir: &Path, spec: &str) -> Result<Program, Vec<String>> {
    let compilation = compile_text(&FsWorld, &dir.join("spec.mlp"), spec);
    let messages = compilation.diagnostics.iter().map(|d| format!("{} {}", d.code, d.message)).collect();
    compilation.program.ok_or(messages)
}

#[test]
fn idx_digits_load_as_8x8_grey_images_with_ten_classes() {
    let program = compile(&data(), SPEC).expect("the spec checks");
    let source = &program.sources[0];
    let names: Vec<&str> = source.schema.names().collect();
    assert_eq!(names, ["image", "label"]);
    assert_eq!(source.schema.columns[0].ty, ColumnType::Image { channels: 1, height: 8, width: 8 });
    let digits: Vec<String> = (0..10).map(|d| d.to_string()).collect();
    assert_eq!(source.schema.columns[1].ty, ColumnType::Category { levels: digits.clone() });

    let table = load(&LoadStep::of(source)).expect("the IDX files load");
    assert_eq!(table.rows, 1797);
    let image = tensor(table.column("image").unwrap()).expect("a tensor column");
    assert_eq!(image.width, 64);
    // The first digit of scikit-learn's `load_digits` is a 0: its first row is 0 0 5 13 9 1 0 0.
    assert_eq!(&image.row(0)[..8], [0.0, 0.0, 5.0, 13.0, 9.0, 1.0, 0.0, 0.0]);
    assert!(image.values.iter().all(|&v| (0.0..=16.0).contains(&v)));

    let dataset = &program.datasets[0];
    let rows = prepare::split(&SplitStep::of(dataset, Seed(3)), Arc::new(table)).expect("split");
    assert_eq!(rows.classes, digits);
    let prepared = prepare::fit_transform(&FitStep::of(dataset), &rows).expect("fit_transform");
    let input = prepared.tensor.as_ref().expect("the image is the tensor input");
    assert_eq!((input.column.as_str(), input.offset, input.width), ("image", 0, 64));
    assert_eq!(input.shape, [1, 8, 8]);
    let [train, val, test] = &prepared.splits;
    assert_eq!(train.x.cols, 64);
    assert_eq!(train.x.rows + val.x.rows + test.x.rows, 1797);
    // One channel: one mean and one standard deviation over all its pixels of the train split.
    let n = train.x.data.len() as f64;
    let mean = train.x.data.iter().sum::<f64>() / n;
    let var = train.x.data.iter().map(|v| (v - mean) * (v - mean)).sum::<f64>() / n;
    assert!(mean.abs() < 1e-9, "train mean {mean}");
    assert!((var - 1.0).abs() < 1e-9, "train variance {var}");
    let fitted = prepared.state.columns[0].tensor.as_ref().expect("the fitted channel scalers");
    assert_eq!(fitted.scalers.len(), 1);
}

/// A fresh directory holding copies of the fixtures, for variants of them.
fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("mlpc-images-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    for file in ["digits-images.idx", "digits-labels.idx"] {
        std::fs::copy(data().join(file), dir.join(file)).unwrap();
    }
    dir
}

fn idx(ty: u8, dims: &[u32], values: &[u8]) -> Vec<u8> {
    let mut bytes = vec![0, 0, ty, dims.len() as u8];
    for d in dims {
        bytes.extend_from_slice(&d.to_be_bytes());
    }
    bytes.extend_from_slice(values);
    bytes
}

#[test]
fn rgb_items_are_read_channel_first_and_tables_as_float_columns() {
    let dir = scratch("rgb");
    // Two 1×2 RGB images, [N, h, w, c]: pixel (0,0) is (1,2,3), pixel (0,1) is (4,5,6).
    std::fs::write(dir.join("rgb.idx"), idx(0x08, &[2, 1, 2, 3], &[1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12])).unwrap();
    std::fs::write(dir.join("two.idx"), idx(0x08, &[2], &[0, 1])).unwrap();
    let spec = SPEC.replace("digits-images.idx", "rgb.idx").replace("digits-labels.idx", "two.idx");
    let program = compile(&dir, &spec).expect("checks");
    assert_eq!(program.sources[0].schema.columns[0].ty, ColumnType::Image { channels: 3, height: 1, width: 2 });
    let table = load(&LoadStep::of(&program.sources[0])).unwrap();
    let image = tensor(table.column("image").unwrap()).unwrap();
    assert_eq!(image.row(0), [1.0, 4.0, 2.0, 5.0, 3.0, 6.0]);

    // A [N, F] f32 matrix: float columns x_0, x_1.
    let values: Vec<u8> = [1.5f32, -2.0, 3.25, 4.0].iter().flat_map(|v| v.to_be_bytes()).collect();
    std::fs::write(dir.join("table.idx"), idx(0x0D, &[2, 2], &values)).unwrap();
    let spec = SPEC.replace("digits-images.idx", "table.idx").replace("digits-labels.idx", "two.idx");
    let program = compile(&dir, &spec).expect("checks");
    let names: Vec<&str> = program.sources[0].schema.names().collect();
    assert_eq!(names, ["x_0", "x_1", "label"]);
    let table = load(&LoadStep::of(&program.sources[0])).unwrap();
    let ColumnView::Numbers(x1) = view(&table, "x_1").unwrap() else { panic!("x_1 is numeric") };
    assert_eq!(x1, [Some(-2.0), Some(4.0)]);
}

#[test]
fn malformed_idx_files_fail_with_their_codes() {
    let dir = scratch("bad");
    let program = compile(&dir, SPEC).expect("checks");
    let source = &program.sources[0];
    let images = std::fs::read(dir.join("digits-images.idx")).unwrap();
    let labels = std::fs::read(dir.join("digits-labels.idx")).unwrap();
    let code = |items: &[u8], labels: &[u8]| {
        std::fs::write(dir.join("digits-images.idx"), items).unwrap();
        std::fs::write(dir.join("digits-labels.idx"), labels).unwrap();
        load(&LoadStep::of(source)).map(|_| ()).expect_err("fails").code
    };
    assert_eq!(code(b"PK\x03\x04 not idx", &labels), "E0718");
    assert_eq!(code(&images[..1000], &labels), "E0719");
    assert_eq!(code(&images, &labels[..100]), "E0719");
    let mut fewer = labels.clone();
    fewer[4..8].copy_from_slice(&1796u32.to_be_bytes());
    assert_eq!(code(&images, &fewer[..fewer.len() - 1]), "E0720");
    assert_eq!(code(&images, &idx(0x08, &[1797, 1], &labels[8..])), "E0721");

    // The checker reads the headers too.
    std::fs::write(dir.join("digits-labels.idx"), &fewer[..fewer.len() - 1]).unwrap();
    let messages = compile(&dir, SPEC).expect_err("the counts differ");
    assert!(messages.iter().any(|m| m.starts_with("E0311") && m.contains("1797 items")), "{messages:?}");
}
