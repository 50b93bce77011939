//! End-to-end tests of the CLI contracts (README, docs/running.md, docs/diagnostics.md): exit codes, JSON on stdout, human output
//! on stderr without colour when not a terminal, paths relative to the spec, globs and
//! directories, and every subcommand on the bundled examples.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn mlpc(args: &[&str], cwd: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_mlpc"))
        .args(args)
        .current_dir(cwd)
        .env_remove("NO_COLOR")
        .output()
        .expect("mlpc runs")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// A fresh directory under the system temp dir for one test.
fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("mlpc-cli-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("temp dir");
    dir
}

#[test]
fn examples_check_clean_with_exit_zero() {
    for example in ["breast_cancer", "iris", "titanic", "digits"] {
        let spec = format!("examples/{example}/{example}.mlp");
        let out = mlpc(&["check", &spec], &root());
        assert_eq!(out.status.code(), Some(0), "{spec}: {}", text(&out.stderr));
        assert!(text(&out.stderr).contains("no problems"), "{}", text(&out.stderr));
    }
}

#[test]
fn globs_and_directories_expand_to_every_spec() {
    let out = mlpc(&["check", "examples/*/*.mlp"], &root());
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(text(&out.stderr).contains("checked 4 files"), "{}", text(&out.stderr));
    let out = mlpc(&["check", "examples"], &root());
    assert!(text(&out.stderr).contains("checked 4 files"), "{}", text(&out.stderr));
}

#[test]
fn paths_in_a_spec_are_relative_to_the_spec_not_the_working_directory() {
    let spec = root().join("examples/iris/iris.mlp");
    let out = mlpc(&["check", spec.to_str().unwrap()], &std::env::temp_dir());
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
}

#[test]
fn missing_files_are_usage_errors_with_exit_two() {
    let out = mlpc(&["check", "no/such/spec.mlp"], &root());
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("no such file"), "{}", text(&out.stderr));
    let out = mlpc(&["check", "examples/*.nothing"], &root());
    assert_eq!(out.status.code(), Some(2));
    let out = mlpc(&["frobnicate"], &root());
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn every_file_is_checked_and_every_error_reported() {
    let dir = scratch("many");
    std::fs::write(dir.join("a.mlp"), "source s = csv(\"x.csv\")\nmetric m = acuracy()\n").unwrap();
    std::fs::write(dir.join("b.mlp"), "pipeline p {\n  sed = 1\n}\n").unwrap();
    let out = mlpc(&["check", "--format", "json", "a.mlp", "b.mlp"], &dir);
    assert_eq!(out.status.code(), Some(1));
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).expect("one JSON document on stdout");
    let codes: Vec<&str> =
        json["diagnostics"].as_array().unwrap().iter().map(|d| d["code"].as_str().unwrap()).collect();
    assert!(codes.contains(&"E0302"), "{codes:?}"); // x.csv is missing
    assert!(codes.contains(&"E0103"), "{codes:?}"); // acuracy
    assert!(codes.contains(&"E0201"), "{codes:?}"); // sed
    let first = &json["diagnostics"][0];
    for field in ["severity", "code", "message", "file", "span", "labels", "help"] {
        assert!(first.get(field).is_some(), "missing `{field}` in {first}");
    }
    for field in ["start", "end", "line", "column"] {
        assert!(first["span"][field].is_u64(), "span.{field} in {first}");
    }
    assert!(out.stderr.is_empty(), "JSON mode keeps stderr quiet: {}", text(&out.stderr));
}

#[test]
fn human_output_has_no_colour_when_not_a_terminal() {
    let dir = scratch("colour");
    std::fs::write(dir.join("bad.mlp"), "pipeline p {\n  sed = 1\n}\n").unwrap();
    let out = mlpc(&["check", "bad.mlp"], &dir);
    assert_eq!(out.status.code(), Some(1));
    let stderr = text(&out.stderr);
    assert!(!stderr.contains('\u{1b}'), "escape codes in {stderr:?}");
    assert!(stderr.contains("E0201") && stderr.contains("did you mean `seed`?"), "{stderr}");
    assert!(out.stdout.is_empty());
}

#[test]
fn warnings_exit_zero_unless_denied() {
    let dir = scratch("warn");
    std::fs::copy(root().join("examples/iris/data/iris.csv"), dir.join("iris.csv")).unwrap();
    // A spec with something to run (E0209 otherwise) and a source nothing uses (W0001).
    let spec = "source flowers = csv(\"iris.csv\") {\n  label = species\n}\n\
                source unused = csv(\"iris.csv\") {\n  label = species\n}\n\
                dataset d = flowers\nobjective maximize accuracy\nbaseline majority = majority_class()\n";
    std::fs::write(dir.join("w.mlp"), spec).unwrap();
    let out = mlpc(&["check", "w.mlp"], &dir);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(text(&out.stderr).contains("W0001"));
    let out = mlpc(&["check", "--deny-warnings", "w.mlp"], &dir);
    assert_eq!(out.status.code(), Some(1));
}

#[test]
fn a_ten_thousand_deep_expression_is_a_diagnostic_not_a_crash() {
    let dir = scratch("deep");
    let spec = format!("feature f = {}x{}\n", "(".repeat(10_000), ")".repeat(10_000));
    std::fs::write(dir.join("deep.mlp"), spec).unwrap();
    let out = mlpc(&["check", "deep.mlp"], &dir);
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stderr).contains("E0002"), "{}", text(&out.stderr));
}

#[test]
fn graph_prints_the_plan_in_three_formats() {
    let spec = "examples/breast_cancer/breast_cancer.mlp";
    let dot = mlpc(&["graph", spec], &root());
    assert_eq!(dot.status.code(), Some(0), "{}", text(&dot.stderr));
    assert!(text(&dot.stdout).starts_with("digraph"), "{}", text(&dot.stdout));
    let mermaid = mlpc(&["graph", spec, "--format", "mermaid"], &root());
    assert!(text(&mermaid.stdout).starts_with("flowchart TD"));
    let json = mlpc(&["graph", spec, "--format", "json"], &root());
    let plan: serde_json::Value = serde_json::from_slice(&json.stdout).expect("plan JSON");
    let nodes = plan["nodes"].as_array().unwrap();
    let kinds: Vec<&str> = nodes.iter().map(|n| n["kind"].as_str().unwrap()).collect();
    for kind in [
        "load",
        "validate",
        "split",
        "fit_transform",
        "train_model",
        "search_trial",
        "evaluate",
        "gate",
        "export",
        "deploy",
        "monitor",
    ] {
        assert!(kinds.contains(&kind), "no {kind} node in {kinds:?}");
    }
    // Every input is listed before the node that consumes it.
    let ids: Vec<&str> = nodes.iter().map(|n| n["id"].as_str().unwrap()).collect();
    for (position, node) in nodes.iter().enumerate() {
        for input in node["inputs"].as_array().unwrap() {
            let at = ids.iter().position(|id| Some(*id) == input.as_str()).unwrap();
            assert!(at < position, "{input} after {}", node["id"]);
        }
    }
    // Deterministic: the same spec gives the same fingerprints.
    let again = mlpc(&["graph", spec, "--format", "json"], &root());
    assert_eq!(json.stdout, again.stdout);
}

#[test]
fn graph_of_a_spec_with_errors_exits_one() {
    let dir = scratch("graph-bad");
    std::fs::write(dir.join("bad.mlp"), "model m = mlp()\n").unwrap();
    let out = mlpc(&["graph", "bad.mlp"], &dir);
    assert_eq!(out.status.code(), Some(1));
    assert!(out.stdout.is_empty());
}

#[test]
fn fmt_check_passes_on_examples_and_fmt_rewrites_in_place() {
    let out = mlpc(&["fmt", "--check", "examples"], &root());
    assert_eq!(out.status.code(), Some(0), "{}{}", text(&out.stdout), text(&out.stderr));

    let dir = scratch("fmt");
    let messy = "pipeline p { seed=1 } // note\nmetric m=f1( )\n";
    std::fs::write(dir.join("messy.mlp"), messy).unwrap();
    let check = mlpc(&["fmt", "--check", "messy.mlp"], &dir);
    assert_eq!(check.status.code(), Some(1));
    assert!(text(&check.stdout).contains("messy.mlp"));
    assert_eq!(std::fs::read_to_string(dir.join("messy.mlp")).unwrap(), messy, "--check changes nothing");
    let write = mlpc(&["fmt", "messy.mlp"], &dir);
    assert_eq!(write.status.code(), Some(0));
    let formatted = std::fs::read_to_string(dir.join("messy.mlp")).unwrap();
    assert_eq!(formatted, "pipeline p {\n  seed = 1\n}  // note\n\nmetric m = f1()\n");
    assert_eq!(mlpc(&["fmt", "--check", "messy.mlp"], &dir).status.code(), Some(0));
}

#[test]
fn fmt_formats_standard_input_to_standard_output() {
    use std::io::Write;
    let mut child = Command::new(env!("CARGO_BIN_EXE_mlpc"))
        .args(["fmt", "-"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("mlpc runs");
    child.stdin.take().unwrap().write_all(b"metric m=f1( )\n").unwrap();
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(text(&out.stdout), "metric m = f1()\n");
}

#[test]
fn fmt_refuses_files_with_syntax_errors_and_keeps_them() {
    let dir = scratch("fmt-bad");
    let broken = "source s : csv(\"x\")\n";
    std::fs::write(dir.join("broken.mlp"), broken).unwrap();
    let out = mlpc(&["fmt", "broken.mlp"], &dir);
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stderr).contains("E0001"));
    assert_eq!(std::fs::read_to_string(dir.join("broken.mlp")).unwrap(), broken);
}

#[test]
fn explain_prints_the_long_explanation() {
    let out = mlpc(&["explain", "e0102"], &root());
    assert_eq!(out.status.code(), Some(0));
    assert!(text(&out.stdout).starts_with("# E0102"), "{}", text(&out.stdout));
    let out = mlpc(&["explain", "E0103x"], &root());
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("unknown diagnostic code"));
}

#[test]
fn sources_infer_schemas_from_json_lines_globs_and_bom_prefixed_csv() {
    let dir = scratch("formats");
    let iris = std::fs::read_to_string(root().join("examples/iris/data/iris.csv")).unwrap();
    let mut lines = iris.lines();
    let header: Vec<&str> = lines.next().unwrap().split(',').collect();
    let rows: Vec<Vec<&str>> = lines.map(|l| l.split(',').collect()).collect();
    // JSON lines: numbers as numbers, the label as a string.
    let jsonl: String = rows
        .iter()
        .map(|row| {
            let fields: Vec<String> = header
                .iter()
                .zip(row)
                .map(|(k, v)| if *k == "species" { format!("\"{k}\": \"{v}\"") } else { format!("\"{k}\": {v}") })
                .collect();
            format!("{{{}}}\n", fields.join(", "))
        })
        .collect();
    std::fs::write(dir.join("iris.jsonl"), jsonl).unwrap();
    // The same rows split over two CSV files, the first with a byte-order mark and CRLF endings.
    std::fs::create_dir_all(dir.join("parts")).unwrap();
    let (first, second) = rows.split_at(75);
    let csv = |rows: &[Vec<&str>], bom: &str, eol: &str| {
        let mut text = format!("{bom}{}{eol}", header.join(","));
        for row in rows {
            text.push_str(&row.join(","));
            text.push_str(eol);
        }
        text
    };
    std::fs::write(dir.join("parts/a.csv"), csv(first, "\u{feff}", "\r\n")).unwrap();
    std::fs::write(dir.join("parts/b.csv"), csv(second, "", "\n")).unwrap();
    for source in ["jsonl(\"iris.jsonl\")", "csv(\"parts/*.csv\")"] {
        // `sepal_length` is the first column: with the BOM left in, it would be unknown.
        let spec = format!(
            "source flowers = {source} {{\n  label = species\n}}\n\ndataset d = flowers {{\n  exclude = [sepal_length]\n}}\n\n\
             objective maximize accuracy\n\nbaseline majority = majority_class()\n"
        );
        std::fs::write(dir.join("spec.mlp"), spec).unwrap();
        let out = mlpc(&["check", "spec.mlp"], &dir);
        assert_eq!(out.status.code(), Some(0), "{source}: {}", text(&out.stderr));
    }
    // A glob that matches nothing is a missing data file.
    std::fs::write(dir.join("spec.mlp"), "source s = csv(\"none/*.csv\") {\n  label = y\n}\n").unwrap();
    let out = mlpc(&["check", "spec.mlp"], &dir);
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stderr).contains("E0302"), "{}", text(&out.stderr));
}
