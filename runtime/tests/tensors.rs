//! Image and sequence (tensor) columns: CSV pixel columns fused into one column, their
//! diagnostics, and per-channel normalization fitted on the training split.

use mlp_compiler::check::compile_text;
use mlp_compiler::plan::{FitStep, LoadStep, SplitStep};
use mlp_compiler::program::Program;
use mlp_compiler::program::Seed;
use mlp_data::FsWorld;
use mlp_data::column_view::{ColumnView, tensor, view};
use mlp_data::load;
use mlp_runtime::prepare::{self, Prepared};
use std::path::{Path, PathBuf};
use std::sync::Arc;

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// A fresh directory under the system's temporary directory.
fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("mlp-tensors-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("temporary directory");
    dir
}

/// Checks `spec` (written into `dir`) and returns its program.
fn program(dir: &Path, spec: &str) -> Program {
    let path = dir.join("spec.mlp");
    std::fs::write(&path, spec).expect("spec written");
    let compilation = compile_text(&FsWorld, &path, spec);
    let messages: Vec<String> = compilation.diagnostics.iter().map(|d| format!("{} {}", d.code, d.message)).collect();
    compilation.program.unwrap_or_else(|| panic!("the spec checks: {messages:?}"))
}

/// Loads, splits and prepares the program's first dataset.
fn prepared(program: &Program) -> Prepared {
    let table = load(&LoadStep::of(&program.sources[0])).expect("the data loads");
    let dataset = &program.datasets[0];
    let rows = prepare::split(&SplitStep::of(dataset, Seed(42)), Arc::new(table)).expect("split");
    prepare::fit_transform(&FitStep::of(dataset), &rows).expect("fit_transform")
}

const RGB_SPEC: &str = r#"
source s = csv("data.csv") {
  label = y
  schema {
    px: image(2, 1, 2)
    y: category(a, b)
  }
}
dataset d = s {
  split = random(train: 0.5, val: 0.25, test: 0.25)
  normalize = zscore
}
objective maximize accuracy
baseline b = majority_class()
"#;

#[test]
fn pixel_columns_fuse_into_one_channel_first_column() {
    let dir = scratch("fuse");
    // Channel 0 is px_0, px_1; channel 1 is px_2, px_3 (another order in the file on purpose).
    std::fs::write(dir.join("data.csv"), "y,px_3,px_0,px_1,px_2\na,4,1,2,3\nb,8,5,6,7\na,12,9,10,11\nb,16,13,14,15\n")
        .unwrap();
    let program = program(&dir, RGB_SPEC);
    let table = load(&LoadStep::of(&program.sources[0])).expect("loads");
    assert_eq!(table.names, ["px", "y"]);
    let t = tensor(table.column("px").unwrap()).expect("a tensor column");
    assert_eq!(t.width, 4);
    assert_eq!(t.rows(), 4);
    assert_eq!(t.row(1), [5.0, 6.0, 7.0, 8.0]);
    assert!(matches!(view(&table, "px").unwrap(), ColumnView::Tensor(_)));
}

#[test]
fn a_missing_or_non_numeric_pixel_is_an_error_naming_it() {
    let dir = scratch("holes");
    let program = program(&dir, &RGB_SPEC.replace("data.csv", "holes.csv"));
    std::fs::write(dir.join("holes.csv"), "px_0,px_1,px_2,px_3,y\n1,2,3,4,a\n1,,3,4,b\n").unwrap();
    let error = load(&LoadStep::of(&program.sources[0])).expect_err("a hole");
    assert_eq!(error.code, "E0717", "{error:?}");
    assert!(error.message.contains("`px_1`"), "{}", error.message);
    assert_eq!(error.location.as_ref().and_then(|l| l.line), Some(3));

    std::fs::write(dir.join("holes.csv"), "px_0,px_1,px_2,px_3,y\n1,2,3,4,a\n1,2,x,4,b\n").unwrap();
    let error = load(&LoadStep::of(&program.sources[0])).expect_err("text");
    assert_eq!(error.code, "E0717", "{error:?}");
    assert!(error.message.contains("`x`") && error.message.contains("`px_2`"), "{}", error.message);

    std::fs::write(dir.join("holes.csv"), "px_0,px_1,px_3,y\n1,2,4,a\n1,2,4,b\n").unwrap();
    let error = load(&LoadStep::of(&program.sources[0])).expect_err("a missing column");
    assert_eq!(error.code, "E0716", "{error:?}");
    assert!(error.message.contains("`px_2`"), "{}", error.message);
}

#[test]
fn normalization_is_fitted_per_channel_on_the_training_split() {
    let dir = scratch("channels");
    // Channel 0 around 100, channel 1 around -3: one scaler for both would leave both off centre.
    let mut csv = String::from("px_0,px_1,px_2,px_3,y\n");
    for i in 0..40 {
        let a = 100.0 + f64::from(i % 7);
        let b = -3.0 + 0.1 * f64::from(i % 5);
        csv.push_str(&format!("{a},{},{b},{},{}\n", a + 1.0, b * 2.0, if i % 2 == 0 { "a" } else { "b" }));
    }
    std::fs::write(dir.join("data.csv"), csv).unwrap();
    let prepared = prepared(&program(&dir, RGB_SPEC));
    let input = prepared.tensor.clone().expect("a tensor input");
    assert_eq!((input.column.as_str(), input.offset, input.width), ("px", 0, 4));
    assert_eq!(input.shape, [2, 1, 2]);
    assert_eq!(prepared.features, ["px[0]", "px[1]", "px[2]", "px[3]"]);
    let train = &prepared.splits[0].x;
    for channel in 0..2 {
        let values: Vec<f64> = (0..train.rows)
            .flat_map(|r| (0..2).map(move |j| (r, channel * 2 + j)))
            .map(|(r, c)| train.data[r * train.cols + c])
            .collect();
        let mean = values.iter().sum::<f64>() / values.len() as f64;
        let var = values.iter().map(|v| (v - mean) * (v - mean)).sum::<f64>() / values.len() as f64;
        assert!(mean.abs() < 1e-6, "channel {channel} mean {mean}");
        assert!((var - 1.0).abs() < 1e-6, "channel {channel} variance {var}");
    }
    let fitted = prepared.state.columns[0].tensor.as_ref().expect("recorded");
    assert_eq!(fitted.scalers.len(), 2);
    let json = serde_json::to_value(&prepared.state).unwrap();
    assert_eq!(json["columns"][0]["tensor"]["per"], "channel");
    assert_eq!(json["columns"][0]["tensor"]["shape"], serde_json::json!([2, 1, 2]));
}

#[test]
fn sequences_are_normalized_per_feature() {
    let dir = scratch("sequence");
    let spec = RGB_SPEC.replace("px: image(2, 1, 2)", "px: sequence(2, 2)").replace("zscore", "minmax");
    // Steps are [px_0, px_1] and [px_2, px_3]: feature 0 is px_0 and px_2.
    let mut csv = String::from("px_0,px_1,px_2,px_3,y\n");
    for i in 0..20 {
        let f0 = f64::from(i);
        csv.push_str(&format!(
            "{f0},{},{},{},{}\n",
            1000.0 + f0,
            f0 + 0.5,
            2000.0 - f0,
            if i % 2 == 0 { "a" } else { "b" }
        ));
    }
    std::fs::write(dir.join("data.csv"), csv).unwrap();
    let prepared = prepared(&program(&dir, &spec));
    assert_eq!(prepared.tensor.as_ref().unwrap().shape, [2, 2]);
    let fitted = prepared.state.columns[0].tensor.as_ref().unwrap();
    assert_eq!(fitted.per, mlp_runtime::prepare::fit::Per::Feature);
    let train = &prepared.splits[0].x;
    for c in 0..4 {
        let column: Vec<f64> = (0..train.rows).map(|r| train.data[r * train.cols + c]).collect();
        let (lo, hi) = column.iter().fold((f64::MAX, f64::MIN), |(l, h), &v| (l.min(v), h.max(v)));
        assert!(lo >= -1e-9 && hi <= 1.0 + 1e-9, "column {c}: {lo}..{hi}");
    }
}

#[test]
fn the_digits_example_loads_as_8x8_images() {
    let path = repo().join("examples/digits/digits.mlp");
    let text = std::fs::read_to_string(&path).unwrap();
    let compilation = compile_text(&FsWorld, &path, &text);
    let program = compilation.program.expect("examples/digits/digits.mlp checks");
    let prepared = prepared(&program);
    assert_eq!(prepared.table.rows, 1797);
    assert_eq!(prepared.classes, ["0", "1", "2", "3", "4", "5", "6", "7", "8", "9"]);
    let input = prepared.tensor.as_ref().unwrap();
    assert_eq!((input.offset, input.width, input.shape.clone()), (0, 64, vec![1, 8, 8]));
    assert_eq!(prepared.features.len(), 64);
    let train = &prepared.splits[0].x;
    let mean = train.data.iter().sum::<f64>() / train.data.len() as f64;
    assert!(mean.abs() < 1e-9, "train mean {mean}");
}

/// `dir/<class>/<n>.png`: uniform images of the given colour and size.
fn write_images(dir: &Path, class: &str, count: usize, rgb: [u8; 3], size: u32) {
    let folder = dir.join(class);
    std::fs::create_dir_all(&folder).unwrap();
    for n in 0..count {
        let image = image::RgbImage::from_pixel(size, size, image::Rgb(rgb));
        let name = if n % 2 == 0 { format!("{n}.png") } else { format!("{n}.JPG") };
        image.save(folder.join(name)).expect("image written");
    }
}

const FOLDER_SPEC: &str = r#"
source pictures = images("pictures", channels: 3, height: 4, width: 4) {
  label = label
}
dataset d = pictures {
  split = stratified(train: 0.5, val: 0.25, test: 0.25)
  normalize = none
}
objective maximize accuracy
baseline b = majority_class()
"#;

#[test]
fn a_folder_per_class_gives_resized_channel_first_images() {
    let dir = scratch("folders");
    write_images(&dir.join("pictures"), "cat", 4, [10, 20, 30], 8);
    write_images(&dir.join("pictures"), "dog", 4, [200, 100, 0], 5);
    std::fs::write(dir.join("pictures/notes.txt"), "not a class").unwrap();
    let rgb = program(&dir, FOLDER_SPEC);
    let schema = &rgb.sources[0].schema;
    assert_eq!(schema.columns[0].ty, mlp_compiler::types::ColumnType::Image { channels: 3, height: 4, width: 4 });
    let table = load(&LoadStep::of(&rgb.sources[0])).expect("the images load");
    assert_eq!(table.rows, 8);
    let image = tensor(table.column("image").unwrap()).unwrap();
    assert_eq!(image.width, 48);
    // PNG is lossless: a cat is exactly (10, 20, 30), one plane per channel.
    let cat = image.row(0);
    assert!(cat[..16].iter().all(|&v| v == 10.0) && cat[16..32].iter().all(|&v| v == 20.0), "{cat:?}");
    assert!(cat[32..].iter().all(|&v| v == 30.0));
    // JPEG is not, but close.
    let dog = image.row(5);
    assert!((dog[0] - 200.0).abs() < 8.0 && dog[40].abs() < 8.0, "{dog:?}");
    let ColumnView::Text(labels) = view(&table, "label").unwrap() else { panic!("labels are text") };
    assert_eq!((labels.value(0), labels.value(7)), ("cat", "dog"));
    assert!(table.origin(5).unwrap().path.ends_with("dog/1.JPG"));

    let grey = program(&dir, &FOLDER_SPEC.replace("channels: 3", "channels: 1"));
    let table = load(&LoadStep::of(&grey.sources[0])).unwrap();
    let image = tensor(table.column("image").unwrap()).unwrap();
    assert_eq!(image.width, 16);
    // Luma of (10, 20, 30) by the Rec. 709 weights the image crate uses.
    assert!((image.row(0)[0] - 18.0).abs() <= 1.0, "{:?}", image.row(0));
}

#[test]
fn broken_images_and_folders_fail_with_their_codes() {
    let dir = scratch("broken");
    write_images(&dir.join("pictures"), "cat", 2, [1, 2, 3], 4);
    write_images(&dir.join("pictures"), "dog", 2, [1, 2, 3], 4);
    let program = program(&dir, FOLDER_SPEC);
    std::fs::write(dir.join("pictures/dog/broken.png"), b"\x89PNG not really").unwrap();
    let error = load(&LoadStep::of(&program.sources[0])).expect_err("undecodable");
    assert_eq!(error.code, "E0722");
    assert!(error.message.contains("`broken.png`"), "{}", error.message);
    std::fs::remove_file(dir.join("pictures/dog/broken.png")).unwrap();

    std::fs::create_dir_all(dir.join("pictures/empty")).unwrap();
    assert_eq!(load(&LoadStep::of(&program.sources[0])).expect_err("an empty class").code, "E0723");
    let compilation = compile_text(&FsWorld, &dir.join("spec.mlp"), FOLDER_SPEC);
    assert!(compilation.diagnostics.iter().any(|d| d.code == "E0312" && d.message.contains("`empty`")));
    std::fs::remove_dir(dir.join("pictures/empty")).unwrap();

    std::fs::remove_dir_all(dir.join("pictures/dog")).unwrap();
    assert_eq!(load(&LoadStep::of(&program.sources[0])).expect_err("one class").code, "E0724");
    let compilation = compile_text(&FsWorld, &dir.join("spec.mlp"), FOLDER_SPEC);
    assert!(compilation.diagnostics.iter().any(|d| d.code == "E0312" && d.message.contains("only `cat`")));
}

#[cfg(feature = "parquet")]
#[test]
fn parquet_images_are_element_columns_or_one_list_column() {
    use arrow_array::builder::{FixedSizeListBuilder, ListBuilder, UInt8Builder};
    use arrow_array::{ArrayRef, RecordBatch, StringArray, UInt8Array};
    let dir = scratch("parquet");
    let write = |name: &str, columns: Vec<(&str, ArrayRef)>| {
        let batch = RecordBatch::try_from_iter(columns).unwrap();
        let file = std::fs::File::create(dir.join(name)).unwrap();
        let mut writer = parquet::arrow::ArrowWriter::try_new(file, batch.schema(), None).unwrap();
        writer.write(&batch).unwrap();
        writer.close().unwrap();
    };
    let labels: ArrayRef = Arc::new(StringArray::from(vec!["a", "b", "a"]));
    // u8 element columns px_0 … px_3.
    let mut columns: Vec<(&str, ArrayRef)> = vec![("y", labels.clone())];
    let names = ["px_0", "px_1", "px_2", "px_3"];
    for (i, name) in names.iter().enumerate() {
        let values: Vec<u8> = (0..3).map(|r| (r * 10 + i) as u8).collect();
        columns.push((name, Arc::new(UInt8Array::from(values))));
    }
    write("elements.parquet", columns);
    // The same images as one fixed-size list column, and as a variable list column.
    let mut fixed = FixedSizeListBuilder::new(UInt8Builder::new(), 4);
    let mut list = ListBuilder::new(UInt8Builder::new());
    for r in 0..3u8 {
        for i in 0..4u8 {
            fixed.values().append_value(r * 10 + i);
            list.values().append_value(r * 10 + i);
        }
        fixed.append(true);
        list.append(true);
    }
    write("fixed.parquet", vec![("px", Arc::new(fixed.finish())), ("y", labels.clone())]);
    write("list.parquet", vec![("px", Arc::new(list.finish())), ("y", labels.clone())]);
    let spec = RGB_SPEC.replace("csv(\"data.csv\")", "parquet(\"FILE\")").replace("image(2, 1, 2)", "image(1, 2, 2)");
    for file in ["elements.parquet", "fixed.parquet", "list.parquet"] {
        let program = program(&dir, &spec.replace("FILE", file));
        let table = load(&LoadStep::of(&program.sources[0])).unwrap_or_else(|e| panic!("{file}: {e:?}"));
        let image = tensor(table.column("px").unwrap()).expect("a tensor column");
        assert_eq!(image.row(2), [20.0, 21.0, 22.0, 23.0], "{file}");
    }
    // A row of three values in a variable list is an error naming the row.
    let mut short = ListBuilder::new(UInt8Builder::new());
    for r in 0..3u8 {
        for i in 0..if r == 1 { 3 } else { 4 } {
            short.values().append_value(i);
        }
        short.append(true);
    }
    write("short.parquet", vec![("px", Arc::new(short.finish())), ("y", labels)]);
    let program = program(&dir, &spec.replace("FILE", "short.parquet"));
    let error = load(&LoadStep::of(&program.sources[0])).expect_err("a short row");
    assert_eq!(error.code, "E0717");
    assert!(error.message.contains("row 2") && error.message.contains("3 values"), "{}", error.message);
}
