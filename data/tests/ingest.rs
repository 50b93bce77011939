//! Data ingestion: the malformed-data corpus under tests/run_failures (each case's spec passes
//! `mlpc check`, and loading its source fails with the code its folder names, at the line and
//! column its `// expect:` comment names), the real datasets, CSV dialect details, globs, JSON
//! lines, Parquet, parallel chunking, and random bytes.

use arrow_array::cast::AsArray;
use arrow_array::types::{Float64Type, Int64Type};
use arrow_array::{Array, ArrayRef};
use arrow_schema::DataType;
use mlp_compiler::plan::LoadStep;
use mlp_compiler::program::{Delimiter, Format};
use mlp_compiler::types::{Column, ColumnType, Schema};
use mlp_compiler::world::World;
use mlp_data::FsWorld;
use mlp_data::{Table, load, parse_csv};
use proptest::prelude::*;
use std::path::{Path, PathBuf};

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// A fresh directory under the system's temporary directory.
fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("mlp-ingest-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("temporary directory");
    dir
}

/// The load step of a source of `format` (`csv`, `jsonl`, `parquet`) at `path`.
fn source(format: &str, path: &Path, schema: Schema) -> LoadStep {
    let path_text = path.display().to_string();
    let format = match format {
        "csv" => Format::Csv { path: path_text, delimiter: Delimiter(b',') },
        "jsonl" => Format::Jsonl { path: path_text },
        "parquet" => Format::Parquet { path: path_text },
        other => panic!("no test source of format `{other}`"),
    };
    LoadStep { source: "s".into(), format, schema, path: path.to_path_buf(), labels: None }
}

fn schema(columns: &[(&str, ColumnType)]) -> Schema {
    Schema {
        columns: columns.iter().map(|(n, t)| Column { name: n.to_string(), ty: t.clone(), nullable: true }).collect(),
        inferred: false,
    }
}

/// The schema the checker would infer for a CSV file.
fn inferred(path: &Path) -> Schema {
    let csv = Format::Csv { path: path.display().to_string(), delimiter: Delimiter(b',') };
    FsWorld.sample(&csv, path, 1000).expect("sample").inferred_schema()
}

fn floats(table: &Table, name: &str) -> Vec<Option<f64>> {
    table.column(name).expect("column").as_primitive::<Float64Type>().iter().collect()
}

fn strings(table: &Table, name: &str) -> Vec<Option<String>> {
    table.column(name).expect("column").as_string::<i32>().iter().map(|s| s.map(str::to_string)).collect()
}

fn csv_table(text: &[u8], columns: &[(&str, ColumnType)]) -> Table {
    parse_csv(text, b',', &schema(columns), Path::new("inline.csv")).expect("loads")
}

#[test]
fn every_corpus_case_fails_with_its_code_line_and_column() {
    let root = repo().join("tests/run_failures");
    // The loader's codes; other cases of the corpus fail in later stages (labels, splits, training).
    let loader_codes = ["e0701", "e0702", "e0703", "e0704", "e0705", "e0706", "e0707", "e0708", "e0712", "e0715"];
    let mut cases: Vec<PathBuf> = std::fs::read_dir(&root)
        .expect("corpus")
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.is_dir())
        .filter(|p| {
            p.file_name().and_then(|n| n.to_str()).is_some_and(|n| loader_codes.iter().any(|c| n.starts_with(c)))
        })
        .collect();
    cases.sort();
    assert!(cases.len() >= 12, "corpus has {} cases", cases.len());
    for case in cases {
        let name = case.file_name().and_then(|n| n.to_str()).expect("name").to_string();
        let code = name.split('_').next().expect("code").to_uppercase();
        let spec = case.join("spec.mlp");
        let text = std::fs::read_to_string(&spec).expect("spec");
        let compilation = mlp_compiler::compile(&FsWorld, &spec).expect("compiles");
        assert!(!compilation.has_errors(), "{name}: the spec must pass check: {:?}", compilation.diagnostics);
        let program = compilation.program.expect("program");
        let error = match load(&LoadStep::of(&program.sources[0])) {
            Ok(table) => panic!("{name}: loaded {} rows", table.rows),
            Err(error) => error,
        };
        assert_eq!(error.code, code, "{name}: {error:?}");
        assert!(error.help.is_some(), "{name}: no help");
        assert!(!error.message.ends_with('.'), "{name}: {}", error.message);
        assert!(error.message.chars().next().is_some_and(|c| !c.is_uppercase()), "{name}: {}", error.message);
        let location = error.location.clone().expect("location");
        // `// expect: CODE [line N] [column NAME]`
        let expect = text.lines().find_map(|l| l.strip_prefix("// expect: ")).expect("expect comment");
        let words: Vec<&str> = expect.split_whitespace().collect();
        assert_eq!(words[0], code, "{name}: folder and comment disagree");
        for pair in words[1..].chunks(2) {
            match pair {
                ["line", n] => {
                    assert_eq!(location.line, Some(n.parse().expect("line")), "{name}: {error:?}");
                    assert!(location.byte.is_some(), "{name}: no byte offset");
                }
                ["column", c] => assert_eq!(location.column.as_deref(), Some(*c), "{name}: {error:?}"),
                other => panic!("{name}: bad expect words {other:?}"),
            }
        }
        if code != "E0701" {
            assert!(location.line.is_some(), "{name}: no line");
        }
        // The error carries its line's text, except where the file has no such line (an empty
        // file, a header alone).
        if location.byte.is_some() && !["E0702", "E0703"].contains(&code.as_str()) {
            let text = location.text.as_ref().unwrap_or_else(|| panic!("{name}: no line text: {error:?}"));
            assert!(!text.text.is_empty() && !text.cell.is_empty(), "{name}: {text:?}");
        }
    }
}

#[test]
fn the_examples_load_with_their_inferred_types() {
    for (spec, rows, label) in [
        ("examples/breast_cancer/breast_cancer.mlp", 569, "diagnosis"),
        ("examples/iris/iris.mlp", 150, "species"),
        ("examples/titanic/titanic.mlp", 1316, "survived"),
    ] {
        let compilation = mlp_compiler::compile(&FsWorld, &repo().join(spec)).expect("compiles");
        let program = compilation.program.expect("program");
        let source = &program.sources[0];
        let table = load(&LoadStep::of(source)).expect("loads");
        assert_eq!(table.rows, rows, "{spec}");
        assert_eq!(table.names.len(), source.schema.columns.len());
        for (column, array) in source.schema.columns.iter().zip(&table.columns) {
            let expected = match column.ty {
                ColumnType::Float => DataType::Float64,
                ColumnType::Int => DataType::Int64,
                ColumnType::Bool => DataType::Boolean,
                _ => DataType::Utf8,
            };
            assert_eq!(array.data_type(), &expected, "{spec}: {}", column.name);
            assert_eq!(array.len(), rows);
        }
        assert_eq!(table.column(label).expect("label").data_type(), &DataType::Utf8);
        assert_eq!(table.origin(0).map(|o| o.line), Some(2));
        assert_eq!(table.origin(rows - 1).map(|o| o.line), Some(rows as u64 + 1));
    }
}

#[test]
fn the_real_datasets_load_with_the_values_of_the_file() {
    let dir = repo().join("tests/data");
    let table = load(&source("csv", &dir.join("iris.csv"), inferred(&dir.join("iris.csv")))).expect("iris");
    assert_eq!(table.rows, 150);
    assert_eq!(floats(&table, "sepal_length")[0], Some(5.1));
    assert_eq!(floats(&table, "petal_width")[149], Some(1.8));
    assert_eq!(strings(&table, "species")[0].as_deref(), Some("setosa"));

    let path = dir.join("breast_cancer.csv");
    let table = load(&source("csv", &path, inferred(&path))).expect("breast cancer");
    assert_eq!(table.rows, 569);
    assert_eq!(floats(&table, "mean_radius")[0], Some(17.99));
    // Every value agrees with the standard library's parser, cell by cell.
    let text = std::fs::read_to_string(&path).expect("file");
    for (r, line) in text.lines().skip(1).enumerate() {
        for (cell, name) in line.split(',').zip(&table.names).take(30) {
            assert_eq!(floats(&table, name)[r], Some(cell.parse::<f64>().expect("number")), "row {r} {name}");
        }
    }

    let path = dir.join("titanic.csv");
    let table = load(&source("csv", &path, inferred(&path))).expect("titanic");
    assert_eq!(table.rows, 1316);
    assert!(table.columns.iter().all(|c| c.data_type() == &DataType::Utf8 && c.null_count() == 0));
}

#[test]
fn bom_crlf_quotes_and_embedded_newlines_load() {
    let text = b"\xEF\xBB\xBFname,score,note\r\n\"Smith, J\",1.5,\"said \"\"hi\"\"\"\r\n\r\nLee,2,\"two\r\nlines\"\r\n\"Ng\", 3e2 ,plain\r\n";
    let table =
        csv_table(text, &[("name", ColumnType::Text), ("score", ColumnType::Float), ("note", ColumnType::Text)]);
    assert_eq!(table.rows, 3);
    assert_eq!(strings(&table, "name"), vec![Some("Smith, J".into()), Some("Lee".into()), Some("Ng".into())]);
    assert_eq!(floats(&table, "score"), vec![Some(1.5), Some(2.0), Some(300.0)]);
    assert_eq!(strings(&table, "note")[0].as_deref(), Some("said \"hi\""));
    assert_eq!(strings(&table, "note")[1].as_deref(), Some("two\r\nlines"));
    // Lines: the blank line 3 is skipped; the record after the two-line field starts on line 6.
    let lines: Vec<u64> = (0..3).map(|r| table.origin(r).expect("origin").line).collect();
    assert_eq!(lines, vec![2, 4, 6]);
}

#[test]
fn missing_markers_are_nulls_in_every_type() {
    let markers = ["", "NA", "N/A", "NaN", "nan", "null", "NULL", "?", " "];
    let mut text = String::from("f,i,b,c\n");
    for m in markers {
        text.push_str(&format!("{m},{m},{m},{m}\n"));
    }
    text.push_str("1.5,-7,TRUE,x\n");
    let columns = [("f", ColumnType::Float), ("i", ColumnType::Int), ("b", ColumnType::Bool), ("c", ColumnType::Text)];
    let table = csv_table(text.as_bytes(), &columns);
    assert_eq!(table.rows, markers.len() + 1);
    for column in &table.columns {
        assert_eq!(column.null_count(), markers.len());
    }
    let last = markers.len();
    assert_eq!(floats(&table, "f")[last], Some(1.5));
    assert_eq!(table.column("i").expect("i").as_primitive::<Int64Type>().value(last), -7);
    assert!(table.column("b").expect("b").as_boolean().value(last));
}

#[test]
fn the_delimiter_and_unused_columns() {
    let text = b"a;skip;b\n1;\"x;y\";2\n3;;4\n";
    let table =
        parse_csv(text, b';', &schema(&[("b", ColumnType::Int), ("a", ColumnType::Float)]), Path::new("semi.csv"))
            .expect("loads");
    assert_eq!(table.names, vec!["b", "a"]);
    assert_eq!(table.column("b").expect("b").as_primitive::<Int64Type>().values().to_vec(), vec![2, 4]);
    assert_eq!(floats(&table, "a"), vec![Some(1.0), Some(3.0)]);
}

/// A CSV of `rows` rows big enough to be cut into many chunks; `quoted` adds quoted text.
fn big_csv(rows: usize, quoted: bool) -> String {
    let mut text = String::from("id,value,label\n");
    for r in 0..rows {
        let label = if quoted { format!("\"row {r},\nnext\"") } else { format!("row{r}") };
        text.push_str(&format!("{r},{}.25,{label}\n", r / 2));
    }
    text
}

#[test]
fn parallel_chunks_keep_row_order_lines_and_the_first_error() {
    let columns = [("id", ColumnType::Int), ("value", ColumnType::Float), ("label", ColumnType::Text)];
    for quoted in [false, true] {
        let rows = 60_000;
        let text = big_csv(rows, quoted);
        assert!(text.len() > 1 << 20);
        let table = csv_table(text.as_bytes(), &columns);
        assert_eq!(table.rows, rows);
        let ids = table.column("id").expect("id").as_primitive::<Int64Type>();
        assert!(ids.values().iter().enumerate().all(|(i, v)| *v == i as i64));
        let step = if quoted { 2 } else { 1 };
        assert_eq!(table.origin(rows - 1).map(|o| o.line), Some(2 + (rows as u64 - 1) * step));
        assert_eq!(strings(&table, "label")[rows - 1].as_deref().map(|s| s.starts_with("row")), Some(true));

        // Two bad cells far apart: the earlier one is reported, every time.
        let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
        let bad = |lines: &mut Vec<String>, i: usize| {
            let rest = lines[i].split_once(',').map(|(_, r)| r.to_string()).expect("comma");
            lines[i] = format!("oops,{rest}");
        };
        let (early, late) = if quoted { (2 * 40_000 + 1, 2 * 5_000 + 1) } else { (40_000, 5_000) };
        bad(&mut lines, early);
        bad(&mut lines, late);
        let broken = lines.join("\n");
        for _ in 0..3 {
            let error = parse_csv(broken.as_bytes(), b',', &schema(&columns), Path::new("big.csv")).expect_err("bad");
            assert_eq!(error.code, "E0706");
            let location = error.location.expect("location");
            assert_eq!(location.line, Some(late as u64 + 1));
            assert_eq!(location.column.as_deref(), Some("id"));
        }
    }
}

#[test]
fn all_float_files_fall_back_cell_by_cell() {
    let columns = [("a", ColumnType::Float), ("b", ColumnType::Float)];
    let text = b"a,b\r\n1.5,2\r\n,NaN\n\"3\",4e1\n-0.25,+7\n 8 ,9";
    let table = csv_table(text, &columns);
    assert_eq!(floats(&table, "a"), vec![Some(1.5), None, Some(3.0), Some(-0.25), Some(8.0)]);
    assert_eq!(floats(&table, "b"), vec![Some(2.0), None, Some(40.0), Some(7.0), Some(9.0)]);
    let error = parse_csv(b"a,b\n1,2\n1,x\n", b',', &schema(&columns), Path::new("f.csv")).expect_err("x");
    assert_eq!((error.code.as_str(), error.location.and_then(|l| l.column)), ("E0706", Some("b".to_string())));
    let error = parse_csv(b"a,b\n1,2,3\n", b',', &schema(&columns), Path::new("f.csv")).expect_err("ragged");
    assert_eq!(error.code, "E0705");
}

#[test]
fn ragged_rows_say_how_many_fields() {
    let columns = [("a", ColumnType::Float), ("b", ColumnType::Float)];
    let error = parse_csv(b"a,b\n1,2\n1,2,3,4\n", b',', &schema(&columns), Path::new("r.csv")).expect_err("ragged");
    assert_eq!(error.code, "E0705");
    assert!(error.message.contains("4 fields") && error.message.contains("has 2"), "{}", error.message);
    assert_eq!(error.location.and_then(|l| l.byte), Some(8));
}

#[test]
fn globs_read_every_match_in_order() {
    let dir = scratch("glob");
    std::fs::write(dir.join("b.csv"), "x,y\n3,c\n4,d\n").expect("write");
    std::fs::write(dir.join("a.csv"), "x,y\n1,a\n2,b\n").expect("write");
    std::fs::write(dir.join("c.txt"), "not data").expect("write");
    let columns = [("x", ColumnType::Int), ("y", ColumnType::Text)];
    let table = load(&source("csv", &dir.join("*.csv"), schema(&columns))).expect("loads");
    assert_eq!(table.rows, 4);
    assert_eq!(strings(&table, "y"), vec![Some("a".into()), Some("b".into()), Some("c".into()), Some("d".into())]);
    let origin = table.origin(2).expect("origin");
    assert_eq!((origin.path.file_name().and_then(|n| n.to_str()), origin.line), (Some("b.csv"), 2));
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn json_lines_load_by_key() {
    let dir = scratch("jsonl");
    let path = dir.join("events.jsonl");
    std::fs::write(
        &path,
        "{\"x\": 1.5, \"n\": 3, \"ok\": true, \"tag\": \"a\"}\n\n{\"x\": null, \"n\": \"4\", \"ok\": false, \"tag\": 7}\n{\"n\": 5, \"tag\": \"NA\"}\n",
    )
    .expect("write");
    let columns =
        [("x", ColumnType::Float), ("n", ColumnType::Int), ("ok", ColumnType::Bool), ("tag", ColumnType::Text)];
    let table = load(&source("jsonl", &path, schema(&columns))).expect("loads");
    assert_eq!(table.rows, 3);
    assert_eq!(floats(&table, "x"), vec![Some(1.5), None, None]);
    assert_eq!(table.column("n").expect("n").as_primitive::<Int64Type>().values().to_vec(), vec![3, 4, 5]);
    assert_eq!(strings(&table, "tag"), vec![Some("a".into()), Some("7".into()), None]);
    assert_eq!(table.column("ok").expect("ok").null_count(), 1);
    assert_eq!(table.origin(1).map(|o| o.line), Some(3));

    std::fs::write(&path, "{\"x\": \"high\"}\n").expect("write");
    let error = load(&source("jsonl", &path, schema(&[("x", ColumnType::Float)]))).expect_err("text in float");
    assert_eq!(error.code, "E0706");
    std::fs::write(&path, "[1, 2]\n").expect("write");
    let error = load(&source("jsonl", &path, schema(&[("x", ColumnType::Float)]))).expect_err("not an object");
    assert_eq!(error.code, "E0715");
    let _ = std::fs::remove_dir_all(dir);
}

#[cfg(feature = "parquet")]
#[test]
fn parquet_files_load_through_the_arrow_reader() {
    use arrow_array::{Float32Array, Int32Array, RecordBatch, StringArray};
    use std::sync::Arc;
    let dir = scratch("parquet");
    let path = dir.join("data.parquet");
    let batch = RecordBatch::try_from_iter([
        ("w", Arc::new(Float32Array::from(vec![Some(1.5), None, Some(f32::NAN)])) as ArrayRef),
        ("n", Arc::new(Int32Array::from(vec![1, 2, 3])) as ArrayRef),
        ("s", Arc::new(StringArray::from(vec![Some("a"), Some("b"), None])) as ArrayRef),
    ])
    .expect("batch");
    let file = std::fs::File::create(&path).expect("create");
    let mut writer = parquet::arrow::ArrowWriter::try_new(file, batch.schema(), None).expect("writer");
    writer.write(&batch).expect("write");
    writer.close().expect("close");

    let columns = [("s", ColumnType::Category { levels: vec!["a".into(), "b".into()] }), ("w", ColumnType::Float)];
    let table = load(&source("parquet", &path, schema(&columns))).expect("loads");
    assert_eq!(table.rows, 3);
    assert_eq!(floats(&table, "w"), vec![Some(1.5), None, None]);
    assert_eq!(strings(&table, "s"), vec![Some("a".into()), Some("b".into()), None]);

    let error = load(&source("parquet", &path, schema(&[("missing", ColumnType::Float)]))).expect_err("missing");
    assert_eq!(error.code, "E0708");
    let error = load(&source("parquet", &path, schema(&[("s", ColumnType::Float)]))).expect_err("wrong type");
    assert_eq!(error.code, "E0706");
    std::fs::write(&path, b"PAR1 not really").expect("write");
    let error = load(&source("parquet", &path, schema(&[("w", ColumnType::Float)]))).expect_err("corrupt");
    assert_eq!(error.code, "E0701");
    let _ = std::fs::remove_dir_all(dir);
}

fn any_type() -> impl Strategy<Value = ColumnType> {
    prop_oneof![Just(ColumnType::Float), Just(ColumnType::Int), Just(ColumnType::Bool), Just(ColumnType::Text),]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn random_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..2048), types in proptest::collection::vec(any_type(), 1..4)) {
        // Headers `a,b,c` up front make most inputs reach the cell parser.
        let names = ["a", "b", "c"];
        let columns: Vec<(&str, ColumnType)> = names.iter().copied().zip(types).collect();
        let mut text = columns.iter().map(|(n, _)| *n).collect::<Vec<_>>().join(",").into_bytes();
        text.push(b'\n');
        text.extend_from_slice(&bytes);
        let _ = parse_csv(&text, b',', &schema(&columns), Path::new("random.csv"));
        let _ = parse_csv(&bytes, b',', &schema(&columns), Path::new("random.csv"));
    }

    #[test]
    fn quoted_text_round_trips(cells in proptest::collection::vec("[a-z,\"\n\r ]{0,12}", 1..40)) {
        let mut text = String::from("t,n\n");
        for (i, cell) in cells.iter().enumerate() {
            text.push_str(&format!("\"{}\",{i}\n", cell.replace('"', "\"\"")));
        }
        let table = csv_table(text.as_bytes(), &[("t", ColumnType::Text), ("n", ColumnType::Int)]);
        prop_assert_eq!(table.rows, cells.len());
        let got = strings(&table, "t");
        for (cell, got) in cells.iter().zip(got) {
            let trimmed = cell.trim_matches(|c: char| c.is_ascii_whitespace());
            let expected = (!matches!(trimmed, "" | "nan" | "null")).then(|| trimmed.to_string());
            prop_assert_eq!(got, expected);
        }
    }
}
