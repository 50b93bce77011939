//! Snapshots of the formatter's output, one per fixture in `tests/format/`. Each fixture is also
//! checked to format idempotently and to keep its meaning; a file with syntax errors snapshots the
//! diagnostics the formatter returns instead.

use mlp_compiler::FileId;
use mlp_compiler::format::{format, syntax_shape};
use mlp_compiler::syntax::parse;
use std::path::Path;

fn fixture_dir() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/format")
}

/// The snapshot text for one fixture: the formatted file, or the diagnostics that stopped it.
fn formatted(name: &str) -> String {
    let path = fixture_dir().join(name);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    match format(&text) {
        Ok(out) => {
            assert_eq!(format(&out).as_deref(), Ok(out.as_str()), "{name}: formatting is not idempotent");
            let (before, _) = parse(&text, FileId(0));
            let (after, _) = parse(&out, FileId(0));
            assert_eq!(syntax_shape(&after), syntax_shape(&before), "{name}: formatting changed the meaning");
            out
        }
        Err(diagnostics) => {
            let lines: Vec<String> = diagnostics
                .iter()
                .map(|d| format!("error[{}] at {}..{}: {}", d.code, d.span.start, d.span.end, d.message))
                .collect();
            format!("not formatted:\n{}\n", lines.join("\n"))
        }
    }
}

macro_rules! fixtures {
    ($($test:ident => $file:literal,)*) => {
        $(
            #[test]
            fn $test() {
                insta::assert_snapshot!(stringify!($test), formatted($file));
            }
        )*

        /// A fixture without a test would silently go unchecked.
        #[test]
        fn every_fixture_has_a_snapshot_test() {
            let listed = [$($file),*];
            for entry in std::fs::read_dir(fixture_dir()).expect("tests/format exists") {
                let name = entry.expect("readable directory").file_name().to_string_lossy().into_owned();
                if name.ends_with(".mlp") {
                    assert!(listed.contains(&name.as_str()), "add `{name}` to the fixtures! list in tests/format.rs");
                }
            }
        }
    };
}

fixtures! {
    blank_lines => "blank_lines.mlp",
    comments => "comments.mlp",
    constructs => "constructs.mlp",
    messy_spacing => "messy_spacing.mlp",
    multiline_expressions => "multiline_expressions.mlp",
    one_line_blocks => "one_line_blocks.mlp",
    only_comments => "only_comments.mlp",
    pipeline => "pipeline.mlp",
    separators => "separators.mlp",
    spec_with_error => "spec.mlp",
}

#[test]
fn empty_file_formats_to_nothing() {
    assert_eq!(format(""), Ok(String::new()));
    assert_eq!(format("\n\n  \n"), Ok(String::new()));
}

#[test]
fn crlf_line_endings_become_lf() {
    let text = "// note\r\npipeline p {\r\n  seed = 1  // why\r\n}\r\n";
    assert_eq!(format(text).unwrap(), "// note\npipeline p {\n  seed = 1  // why\n}\n");
}

#[test]
fn a_comment_ending_in_a_carriage_return_reads_back_the_same() {
    let text = "// a\r\r\nfeature f = 1  // b\r\r\n";
    let out = format(text).unwrap();
    assert_eq!(out, "// a\r\r\nfeature f = 1  // b\r\r\n");
    let comments = |t: &str| parse(t, FileId(0)).0.comments.into_iter().map(|c| c.text).collect::<Vec<_>>();
    assert_eq!(comments(&out), comments(text));
}
