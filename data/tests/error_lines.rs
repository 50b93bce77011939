//! Run errors carry the data line they point at: the loader (and, for rows found at fault after
//! loading, `Table::locate`) attaches the line's text with the cell marked, cut by the source's own
//! rules, so that nothing downstream reads the file or guesses its delimiter.

use mlp_compiler::plan::LoadStep;
use mlp_compiler::program::{Delimiter, Format};
use mlp_compiler::types::{Column, ColumnType, Schema};
use mlp_data::{LineText, RunError, load, parse_csv};
use std::path::{Path, PathBuf};

fn scratch(name: &str, text: &[u8]) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("mlp-error-lines-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("temporary directory");
    let path = dir.join(name);
    std::fs::write(&path, text).expect("data written");
    path
}

fn schema(columns: &[(&str, ColumnType)]) -> Schema {
    Schema {
        columns: columns.iter().map(|(n, t)| Column { name: n.to_string(), ty: t.clone(), nullable: true }).collect(),
        inferred: false,
    }
}

fn step(format: Format, path: &Path, schema: Schema) -> LoadStep {
    LoadStep { source: "s".into(), format, schema, path: path.to_path_buf(), labels: None }
}

/// The error's line text, and the part of it that is underlined.
fn shown(error: &RunError) -> (&LineText, &str) {
    let text = error.location.as_ref().and_then(|l| l.text.as_ref()).unwrap_or_else(|| panic!("no line: {error:?}"));
    (text, &text.text[text.cell.clone()])
}

#[test]
fn a_bad_cell_of_a_tab_separated_file_shows_its_line_with_the_cell_marked() {
    let path = scratch("tabs.tsv", b"x\tnote\ty\n1.5\t\"a\tb\"\ttrue\n2.5\t\"c\td\"\tnope\n");
    let format = Format::Csv { path: "tabs.tsv".into(), delimiter: Delimiter(b'\t') };
    let columns = schema(&[("x", ColumnType::Float), ("note", ColumnType::Text), ("y", ColumnType::Bool)]);
    let error = load(&step(format, &path, columns)).expect_err("`nope` is not a bool");
    assert_eq!(error.code, "E0706");
    let (text, cell) = shown(&error);
    assert_eq!(text.text, "2.5␉\"c␉d\"␉nope");
    assert_eq!(cell, "nope");
    // The column counts the file's bytes, not the symbols shown for its tabs.
    assert_eq!(text.column, 11);
}

#[test]
fn csv_in_memory_shows_its_lines_without_a_file() {
    let columns = schema(&[("a", ColumnType::Float), ("b", ColumnType::Float)]);
    let error = parse_csv(b"a,b\n1,2\n\"3,x\",4\n", b',', &columns, Path::new("no/such/file.csv"))
        .expect_err("`3,x` is not a float");
    let (text, cell) = shown(&error);
    assert_eq!((text.text.as_str(), cell, text.column), ("\"3,x\",4", "\"3,x\"", 1));
    // A missing element of an image column is found after parsing, by its column's position.
    let columns = schema(&[("px", ColumnType::Image { channels: 1, height: 1, width: 3 })]);
    let error = parse_csv(b"px_0,px_1,px_2\n1,2,3\n4,,6\n", b',', &columns, Path::new("mem.csv"))
        .expect_err("a hole in an image");
    assert_eq!(error.code, "E0717");
    let (text, cell) = shown(&error);
    assert_eq!((text.text.as_str(), cell, text.column), ("4,,6", ",", 2));
}

#[test]
fn json_lines_mark_the_value_of_the_key_at_fault() {
    let path = scratch("rows.jsonl", b"{\"x\": 1, \"y\": true}\n{\"x\": \"many\", \"y\": false}\n");
    let format = Format::Jsonl { path: "rows.jsonl".into() };
    let error = load(&step(format, &path, schema(&[("x", ColumnType::Int), ("y", ColumnType::Bool)])))
        .expect_err("`many` is not an int");
    let (text, cell) = shown(&error);
    assert_eq!((text.text.as_str(), cell), ("{\"x\": \"many\", \"y\": false}", "\"many\""));
}

#[test]
fn rows_found_at_fault_after_loading_are_located_with_their_line() {
    let path = scratch("late.csv", b"\xEF\xBB\xBFid;label\r\n1;a\r\n2;\"b;c\"\r\n3;\r\n");
    let format = Format::Csv { path: "late.csv".into(), delimiter: Delimiter(b';') };
    let table =
        load(&step(format, &path, schema(&[("id", ColumnType::Int), ("label", ColumnType::Text)]))).expect("loads");
    let location = table.locate(1, Some("label")).expect("row 1");
    assert_eq!((location.line, location.column.as_deref()), (Some(3), Some("label")));
    let text = location.text.expect("a CSV row has a line");
    assert_eq!((text.text.as_str(), &text.text[text.cell.clone()]), ("2;\"b;c\"", "\"b;c\""));
    // A missing label: the delimiter before the empty cell.
    let text = table.locate(2, Some("label")).and_then(|l| l.text).expect("row 2");
    assert_eq!((text.text.as_str(), text.cell.clone(), text.column), ("3;", 1..2, 2));
}

#[test]
fn binary_formats_and_lines_a_file_lacks_show_no_line() {
    let path = scratch("empty.csv", b"");
    let format = Format::Csv { path: "empty.csv".into(), delimiter: Delimiter(b',') };
    let error = load(&step(format, &path, schema(&[("a", ColumnType::Float)]))).expect_err("empty");
    assert_eq!(error.code, "E0702");
    assert_eq!(error.location.and_then(|l| l.text), None);
    let path = scratch("header.csv", b"a\n");
    let format = Format::Csv { path: "header.csv".into(), delimiter: Delimiter(b',') };
    let error = load(&step(format, &path, schema(&[("a", ColumnType::Float)]))).expect_err("no rows");
    assert_eq!((error.code.as_str(), error.location.as_ref().and_then(|l| l.line)), ("E0703", Some(2)));
    assert_eq!(error.location.and_then(|l| l.text), None);
}
