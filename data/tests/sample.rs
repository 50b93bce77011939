//! The checker's sample ([`FsWorld::sample`]) reads a file as the loader does: the same CSV and
//! JSON-lines code, so the same dialect (byte-order mark, CRLF, quotes, embedded newlines, blank
//! lines, the source's delimiter) and the same missing cells (`None` in the sample, null in the
//! table). It reads only the start of a big file, however its records fall across reads.

use arrow_array::cast::AsArray;
use arrow_array::{Array, ArrayRef};
use mlp_compiler::plan::LoadStep;
use mlp_compiler::program::{Delimiter, Format};
use mlp_compiler::types::{Column, ColumnType, Schema};
use mlp_compiler::world::{Sample, SampleError, World};
use mlp_data::{FsWorld, load};
use std::path::{Path, PathBuf};

/// `text` written to a fresh file named `name`.
fn file(name: &str, text: &[u8]) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("mlp-sample-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("temporary directory");
    let path = dir.join(name);
    std::fs::write(&path, text).expect("data written");
    path
}

fn csv(path: &Path, delimiter: u8) -> Format {
    Format::Csv { path: path.display().to_string(), delimiter: Delimiter(delimiter) }
}

fn jsonl(path: &Path) -> Format {
    Format::Jsonl { path: path.display().to_string() }
}

/// Loads `path` with every sampled column declared `text`, and returns each column as the sample
/// would show it.
fn loaded_as_text(format: Format, path: &Path, sample: &Sample) -> Vec<Vec<Option<String>>> {
    let columns = sample.columns.iter().map(|n| Column { name: n.clone(), ty: ColumnType::Text, nullable: true });
    let schema = Schema { columns: columns.collect(), inferred: false };
    let step = LoadStep { source: "s".into(), format, schema, path: path.to_path_buf(), labels: None };
    let table = load(&step).expect("the file loads");
    let text = |array: &ArrayRef, r: usize| (!array.is_null(r)).then(|| array.as_string::<i32>().value(r).to_string());
    (0..table.rows).map(|r| table.columns.iter().map(|array| text(array, r)).collect()).collect()
}

fn cells(rows: &[&[Option<&str>]]) -> Vec<Vec<Option<String>>> {
    rows.iter().map(|row| row.iter().map(|c| c.map(str::to_string)).collect()).collect()
}

#[test]
fn a_csv_sample_holds_the_cells_the_loader_reads() {
    let text = "\u{feff}name;note;score\r\n\r\n\"Smith; J\";\"said \"\"hi\"\"\";1.5\r\nLee;\"two\r\nlines\";NA\r\n  Ng ; ? ;\r\n";
    let path = file("dialect.csv", text.as_bytes());
    let sample = FsWorld.sample(&csv(&path, b';'), &path, 1000).expect("sampled");
    assert_eq!(sample.columns, vec!["name", "note", "score"]);
    let expected = cells(&[
        &[Some("Smith; J"), Some("said \"hi\""), Some("1.5")],
        &[Some("Lee"), Some("two\r\nlines"), None],
        &[Some("Ng"), None, None],
    ]);
    assert_eq!(sample.rows, expected);
    assert_eq!(loaded_as_text(csv(&path, b';'), &path, &sample), expected);
}

#[test]
fn a_jsonl_sample_holds_the_cells_the_loader_reads() {
    let text = "\u{feff}{\"id\": 1, \"tag\": \" a \", \"ok\": true}\r\n\n{\"id\": 2, \"tag\": \"NA\", \"ok\": null}\n{\"tag\": \"?\", \"more\": 2.5}";
    let path = file("row_lines.jsonl", text.as_bytes());
    let sample = FsWorld.sample(&jsonl(&path), &path, 1000).expect("sampled");
    // Each object's keys in sorted order (serde_json's map), new keys after those seen before.
    assert_eq!(sample.columns, vec!["id", "ok", "tag", "more"]);
    let expected = cells(&[
        &[Some("1"), Some("true"), Some("a"), None],
        &[Some("2"), None, None, None],
        &[None, None, None, Some("2.5")],
    ]);
    assert_eq!(sample.rows, expected);
    assert_eq!(loaded_as_text(jsonl(&path), &path, &sample), expected);
}

#[test]
fn a_sample_of_a_big_file_stops_after_its_rows_wherever_reads_cut_records() {
    // Records of about 100 bytes, every one with a quoted field over two lines: many of them
    // straddle the 64 KiB steps in which the sample reads the file.
    let mut text = String::from("id,note,value\n");
    for r in 0..5000 {
        text.push_str(&format!("{r},\"row {r} {}\nsecond line\",{r}.5\n", "x".repeat(r % 61)));
    }
    let path = file("big.csv", text.as_bytes());
    for (max_rows, rows) in [(1000, 1000), (4999, 4999), (10_000, 5000)] {
        let sample = FsWorld.sample(&csv(&path, b','), &path, max_rows).expect("sampled");
        assert_eq!(sample.rows.len(), rows);
        for (r, row) in sample.rows.iter().enumerate() {
            let note = format!("row {r} {}\nsecond line", "x".repeat(r % 61));
            assert_eq!(row, &vec![Some(r.to_string()), Some(note), Some(format!("{r}.5"))], "row {r}");
        }
    }
    let mut lines = String::new();
    for r in 0..3000 {
        lines.push_str(&format!("{{\"id\": {r}, \"note\": \"{}\"}}\n", "y".repeat(r % 97)));
    }
    let path = file("big.jsonl", lines.as_bytes());
    let sample = FsWorld.sample(&jsonl(&path), &path, 1000).expect("sampled");
    assert_eq!(sample.rows.len(), 1000);
    assert_eq!(sample.rows[999], vec![Some("999".to_string()), Some("y".repeat(999 % 97))]);
}

#[test]
fn a_sample_reports_what_the_loader_would_refuse() {
    let path = file("open.csv", b"a,b\n1,\"x\n2,y\n");
    let error = FsWorld.sample(&csv(&path, b','), &path, 1000).expect_err("unterminated");
    assert_eq!(error, SampleError::Unreadable("line 2: a quoted field is never closed".into()));
    let path = file("latin1.csv", b"a,b\n1,caf\xe9\n");
    let error = FsWorld.sample(&csv(&path, b','), &path, 1000).expect_err("not UTF-8");
    assert_eq!(error, SampleError::NotUtf8 { line: 2, byte: 9 });
    let path = file("latin1.jsonl", b"{\"a\": 1}\n\n{\"a\": \"caf\xe9\"}\n");
    let error = FsWorld.sample(&jsonl(&path), &path, 1000).expect_err("not UTF-8");
    assert_eq!(error, SampleError::NotUtf8 { line: 3, byte: 20 });
    for blank in [&b""[..], b"\xEF\xBB\xBF\n\r\n", b" \n"] {
        let path = file("blank.csv", blank);
        assert_eq!(FsWorld.sample(&csv(&path, b','), &path, 1000), Err(SampleError::Empty), "{blank:?}");
    }
    let path = file("header.csv", b"a,b");
    let sample = FsWorld.sample(&csv(&path, b','), &path, 1000).expect("a header alone");
    assert_eq!((sample.columns.len(), sample.rows.len()), (2, 0));
}

#[test]
fn a_sample_knows_the_line_of_each_row() {
    // Blank lines and a quoted field over two lines move the rows down.
    let path = file("row_lines.csv", b"a,b\n1,x\n\n2,\"y\ny\"\n3,z\n");
    let sample = FsWorld.sample(&csv(&path, b','), &path, 1000).expect("sampled");
    assert_eq!(sample.lines, vec![2, 4, 6]);
    assert_eq!(sample.where_is(2), "line 6");
    let path = file("row_lines.jsonl", b"{\"a\": 1}\n\n{\"a\": 2}\n");
    assert_eq!(FsWorld.sample(&jsonl(&path), &path, 1000).expect("sampled").lines, vec![1, 3]);
}

#[test]
fn only_regular_files_are_sampled_and_never_opened_otherwise() {
    let path = file("here.csv", b"a,b\n1,2\n");
    let folder = path.parent().unwrap().to_path_buf();
    assert_eq!(FsWorld.sample(&csv(&folder, b','), &folder, 1000), Err(SampleError::NotRegular("a directory".into())));
    #[cfg(unix)]
    {
        let fifo = folder.join("pipe.csv");
        if std::process::Command::new("mkfifo").arg(&fifo).status().is_ok_and(|s| s.success()) {
            // Opening a FIFO for reading would block this test forever.
            assert_eq!(
                FsWorld.sample(&csv(&fifo, b','), &fifo, 1000),
                Err(SampleError::NotRegular("a FIFO (named pipe)".into()))
            );
            // A glob skips it.
            let glob = folder.join("*.csv");
            assert_eq!(FsWorld.sample(&csv(&glob, b','), &glob, 1000).expect("the regular file").path, path);
        }
        let device = Path::new("/dev/zero");
        assert_eq!(FsWorld.sample(&csv(device, b','), device, 1000), Err(SampleError::NotRegular("a device".into())));
        assert_eq!(FsWorld.read_bytes(device, 16), Err(SampleError::NotRegular("a device".into())));
    }
}
