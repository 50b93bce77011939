//! Golden tests of the diagnostics: every `tests/diagnostics/*.mlp` fixture is checked with the
//! built `mlpc` binary, and the fixture's source, the exit status and the rendered diagnostics are
//! compared with a snapshot in `tests/snapshots/`. Each fixture is named `<code>_<what>.mlp` after
//! the code it exists for; helper files (imported by fixtures) live in subfolders and are not cases.
//!
//! Review changed snapshots with `cargo insta review`, or accept them all with
//! `INSTA_UPDATE=always cargo test --test diagnostics` and read the diff.
//!
//! Also here: every code has a fixture and a long explanation, codes are typed (no string
//! literals) and every compile-time code is raised somewhere, and the JSON output of
//! `mlpc check --format json` keeps its contract (docs/diagnostics.md).

use mlp_compiler::codes::Code;
use serde_json::Value;
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// The fixtures: `.mlp` files directly in `tests/diagnostics/`, sorted, as paths relative to the root.
fn fixtures() -> Vec<PathBuf> {
    let dir = root().join("tests/diagnostics");
    let mut found: Vec<PathBuf> = std::fs::read_dir(&dir)
        .expect("tests/diagnostics exists")
        .map(|entry| entry.expect("readable directory entry").path())
        .filter(|path| path.is_file() && path.extension().is_some_and(|e| e == "mlp"))
        .map(|path| path.strip_prefix(root()).expect("under the root").to_path_buf())
        .collect();
    found.sort();
    assert!(found.len() >= Code::ALL.len(), "expected at least one fixture per code, found {} fixtures", found.len());
    found
}

fn stem(fixture: &Path) -> String {
    fixture.file_stem().expect("a file name").to_string_lossy().into_owned()
}

/// The code a fixture exists for: its file name up to the first `_`, upper-cased.
fn expected_code(fixture: &Path) -> String {
    let stem = stem(fixture);
    stem.split('_').next().unwrap_or_default().to_ascii_uppercase()
}

/// `mlpc <args>` run from the repository root, without colour.
fn mlpc(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_mlpc"))
        .args(args)
        .current_dir(root())
        .env("NO_COLOR", "1")
        .env_remove("CLICOLOR_FORCE")
        .output()
        .expect("mlpc runs")
}

fn root_text() -> String {
    root().display().to_string()
}

/// Makes rendered output independent of where the repository is checked out. A few diagnostics
/// print absolute paths in their help (see the report on E0010 and E0302); miette wraps help at 100
/// columns, so where the line breaks depends on the path's length. Help paragraphs that mention the
/// repository root are therefore joined into one line (a break after `/` or `-` is inside a word,
/// any other break was a space), and the root is replaced by `[ROOT]` everywhere.
fn machine_independent(text: &str) -> String {
    let root = root_text();
    let lines: Vec<&str> = text.lines().collect();
    let mut out: Vec<String> = Vec::with_capacity(lines.len());
    let mut i = 0;
    while i < lines.len() {
        let line = lines[i];
        if let Some(first) = line.strip_prefix("  help: ") {
            let mut joined = first.to_string();
            let mut j = i + 1;
            while j < lines.len() && lines[j].starts_with("        ") && !lines[j].trim().is_empty() {
                if !(joined.ends_with('/') || joined.ends_with('-')) {
                    joined.push(' ');
                }
                joined.push_str(lines[j].trim_start());
                j += 1;
            }
            if joined.contains(&root) {
                out.push(format!("  help: {}", joined.replace(&root, "[ROOT]")));
                i = j;
                continue;
            }
        }
        out.push(line.replace(&root, "[ROOT]"));
        i += 1;
    }
    let mut text = out.join("\n");
    text.push('\n');
    text
}

/// The leading `// ...` comment of a fixture: what the case shows.
fn description(source: &str) -> String {
    source.lines().next().and_then(|l| l.strip_prefix("//")).map(|l| l.trim().to_string()).unwrap_or_default()
}

#[test]
fn golden_diagnostics() {
    let mut failures = Vec::new();
    for fixture in fixtures() {
        let name = stem(&fixture);
        let code = expected_code(&fixture);
        let source = std::fs::read_to_string(root().join(&fixture)).expect("readable fixture");
        let output = mlpc(&["check", fixture.to_str().expect("UTF-8 path")]);
        let status = output.status.code().expect("mlpc exits normally (no signal)");
        let stderr = String::from_utf8(output.stderr).expect("UTF-8 stderr");
        let stdout = String::from_utf8(output.stdout).expect("UTF-8 stdout");

        let wanted_status = if code.starts_with('E') { 1 } else { 0 };
        if status != wanted_status {
            failures.push(format!("{name}: exit status {status}, expected {wanted_status}"));
        }
        if !stdout.is_empty() {
            failures.push(format!("{name}: human output belongs on stderr, found on stdout: {stdout}"));
        }
        // miette prints the code on its own line above the message.
        if !stderr.lines().any(|l| l.trim() == code) {
            failures.push(format!("{name}: code {code} does not appear in the output"));
        }
        if stderr.contains("panicked") {
            failures.push(format!("{name}: mlpc panicked"));
        }

        let text = format!(
            "--- {} ---\n{}--- exit status: {status} ---\n{}",
            fixture.display(),
            if source.ends_with('\n') { source.clone() } else { format!("{source}\n") },
            machine_independent(&stderr),
        );
        let mut settings = insta::Settings::clone_current();
        settings.set_input_file(root().join(&fixture));
        settings.set_description(description(&source));
        settings.set_omit_expression(true);
        let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            settings.bind(|| insta::assert_snapshot!(name.as_str(), text));
        }));
        if result.is_err() {
            failures.push(format!("{name}: snapshot differs"));
        }
    }
    assert!(failures.is_empty(), "{} problem(s):\n{}", failures.len(), failures.join("\n"));
}

#[test]
fn helper_files_are_not_cases() {
    // Files under tests/diagnostics/imports/ are imported by fixtures; they must not be picked up
    // as cases (they have no code prefix) and must exist for the import fixtures.
    let fixtures = fixtures();
    assert!(fixtures.iter().all(|f| f.parent() == Some(Path::new("tests/diagnostics"))));
    for helper in ["tests/diagnostics/imports/cycle_partner.mlp", "tests/diagnostics/imports/unused_source.mlp"] {
        assert!(root().join(helper).is_file(), "{helper} is missing");
    }
}

#[test]
fn every_snapshot_belongs_to_a_fixture() {
    // A renamed or deleted fixture leaves its snapshot behind; insta does not notice.
    let names: BTreeSet<String> = fixtures().iter().map(|f| stem(f)).collect();
    for entry in std::fs::read_dir(root().join("tests/snapshots")).expect("tests/snapshots exists") {
        let file = entry.expect("readable entry").file_name().to_string_lossy().into_owned();
        let Some(name) = file.strip_prefix("diagnostics__").and_then(|f| f.strip_suffix(".snap")) else { continue };
        assert!(
            names.contains(name) || name.starts_with("json_"),
            "tests/snapshots/{file} has no fixture tests/diagnostics/{name}.mlp: delete it"
        );
    }
}

#[test]
fn every_fixture_is_named_after_a_known_code() {
    let known: BTreeSet<&str> = Code::ALL.iter().map(|c| c.as_str()).collect();
    for fixture in fixtures() {
        let code = expected_code(&fixture);
        assert!(
            known.contains(code.as_str()),
            "{}: `{code}` is not a code in compiler/src/codes.rs",
            fixture.display()
        );
        let source = std::fs::read_to_string(root().join(&fixture)).expect("readable fixture");
        assert!(
            source.trim_start_matches('\u{feff}').starts_with(&format!("// {code}")),
            "{}: start the fixture with a `// {code}: what this case shows` comment",
            fixture.display()
        );
    }
}

/// Run-time codes (E07xx data, E08xx execution) come from `mlpc run`, not `mlpc check`: their
/// cases are folders under tests/run_failures/ (see tests/run_failures.rs).
fn is_runtime_code(code: &str) -> bool {
    code.starts_with("E07") || code.starts_with("E08")
}

/// Run-time codes no spec and data file can provoke, each tested where it can be.
const RUNTIME_CODES_WITHOUT_CASE: &[(&str, &str)] = &[
    ("E0803", "a numeric failure inside a fit: covered by mlp-stdlib's linear tests"),
    ("E0804", "an unwritable run directory: tests/run.rs points --runs-dir at a file"),
    ("E0805", "an internal invariant of hand-built plans; no checked spec reaches it"),
    ("E0806", "the checker rejects unknown distributions first (E0103)"),
    ("E0809", "the checker resolves every column an expression reads, and loading checks they exist"),
    ("E0718", "the checker reads IDX headers first (E0311): tests/images.rs writes bad files after the check"),
    ("E0720", "the checker compares the IDX headers' counts first (E0311): tests/images.rs"),
    ("E0721", "the checker reads the labels header first (E0311): tests/images.rs"),
    (
        "E0723",
        "the checker lists the class folders first (E0312), and git keeps no empty folder: runtime/tests/tensors.rs",
    ),
    ("E0724", "the checker lists the class folders first (E0312): runtime/tests/tensors.rs"),
    ("E0811", "needs a CUDA build on a machine whose GPU is missing or busy: runtime/src/device.rs"),
    ("E0840", "a serving-time code (`mlpc serve`, not `mlpc run`): tests/serve.rs binds a port already taken"),
    ("E0841", "a serving-time code (`mlpc serve`, not `mlpc run`): tests/serve.rs serves without the token variable"),
    ("E0842", "the operating system refusing threads or signal handlers, or a reload that panics: no test provokes it"),
    ("E0830", "raised by `mlpc predict`, `deploy` and `serve` loading a bundle: tests/predict.rs"),
    ("E0831", "raised by loading a bundle changed after it was written: tests/predict.rs"),
    ("E0832", "raised by rows given for prediction: tests/predict.rs and tests/serve.rs"),
    ("E0833", "raised by JSON rows given for prediction: tests/serve.rs and mlp-infer's tests"),
    ("E0834", "raised by rows given for prediction: tests/predict.rs and tests/serve.rs"),
    ("E0835", "raised by `mlpc predict SPEC` without a passing run: tests/predict.rs"),
    ("E0836", "raised by an unwritable prediction output: tests/predict.rs"),
];

/// Check-time codes no fixture can hold, each tested where it can be.
const CHECK_CODES_WITHOUT_FIXTURE: &[(&str, &str)] = &[
    ("E0013", "needs a spec file over 16 MiB: tests/imports_and_data.rs writes a sparse one"),
    ("E0321", "needs a glob over 100,000 entries: tests/imports_and_data.rs builds a tree of links"),
];

fn run_failure_cases() -> Vec<String> {
    std::fs::read_dir(root().join("tests/run_failures"))
        .map(|entries| {
            entries
                .flatten()
                .filter(|e| e.path().is_dir())
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default()
}

#[test]
fn every_code_has_a_fixture_and_an_explanation() {
    let fixtures = fixtures();
    let mut missing = Vec::new();
    for code in Code::ALL {
        if is_runtime_code(code.as_str()) {
            let has_case = run_failure_cases().iter().any(|case| case.starts_with(&code.as_str().to_ascii_lowercase()));
            if !has_case && !RUNTIME_CODES_WITHOUT_CASE.iter().any(|(c, _)| *c == code.as_str()) {
                missing.push(format!(
                    "{}: no case tests/run_failures/{}_*/ (run-time codes are tested through `mlpc run`)",
                    code.as_str(),
                    code.as_str().to_ascii_lowercase()
                ));
            }
        } else if !fixtures.iter().any(|f| expected_code(f) == code.as_str())
            && !CHECK_CODES_WITHOUT_FIXTURE.iter().any(|(c, _)| *c == code.as_str())
        {
            missing.push(format!(
                "{}: no fixture tests/diagnostics/{}_*.mlp",
                code.as_str(),
                code.as_str().to_ascii_lowercase()
            ));
        }
        let path = root().join("docs/errors").join(format!("{}.md", code.as_str()));
        let Ok(text) = std::fs::read_to_string(&path) else {
            missing.push(format!("{}: no docs/errors/{}.md", code.as_str(), code.as_str()));
            continue;
        };
        let title = format!("# {}: {}", code.as_str(), code.title());
        if text.lines().next() != Some(title.as_str()) {
            missing.push(format!("{}: docs/errors/{}.md must start with `{title}`", code.as_str(), code.as_str()));
        }
        if text.lines().count() < 10 {
            missing.push(format!(
                "{}: docs/errors/{}.md holds only {} lines",
                code.as_str(),
                code.as_str(),
                text.lines().count()
            ));
        }
        if !text.contains("```mlp") {
            missing.push(format!("{}: docs/errors/{}.md has no ```mlp example", code.as_str(), code.as_str()));
        }
        if code.explanation() != text {
            missing.push(format!("{}: the embedded explanation is stale; rebuild", code.as_str()));
        }
    }
    assert!(missing.is_empty(), "{}", missing.join("\n"));
}

#[test]
fn every_explanation_file_belongs_to_a_code() {
    let known: BTreeSet<&str> = Code::ALL.iter().map(|c| c.as_str()).collect();
    for entry in std::fs::read_dir(root().join("docs/errors")).expect("docs/errors exists") {
        let path = entry.expect("readable entry").path();
        let stem = path.file_stem().unwrap_or_default().to_string_lossy().into_owned();
        assert!(known.contains(stem.as_str()), "{} explains no code in compiler/src/codes.rs", path.display());
    }
}

#[test]
fn the_index_lists_every_code() {
    let index = std::fs::read_to_string(root().join("docs/diagnostics.md")).expect("docs/diagnostics.md exists");
    for code in Code::ALL {
        let row = format!("| [{}](errors/{}.md) | {} |", code.as_str(), code.as_str(), code.title());
        assert!(index.contains(&row), "docs/diagnostics.md lacks the row starting `{row}`");
    }
}

#[test]
fn explain_prints_the_explanation() {
    for code in Code::ALL {
        let output = mlpc(&["explain", &code.as_str().to_ascii_lowercase()]);
        assert_eq!(output.status.code(), Some(0), "mlpc explain {}", code.as_str());
        let stdout = String::from_utf8(output.stdout).expect("UTF-8");
        assert_eq!(stdout.trim_end(), code.explanation().trim_end(), "mlpc explain {}", code.as_str());
    }
    let output = mlpc(&["explain", "E0999"]);
    assert_eq!(output.status.code(), Some(2), "an unknown code is a usage error");
}

/// In the Rust sources under `dir` (codes.rs aside): every `"E0123"` / `"W0123"` string literal (with where it
/// is), and every code used as `Code::E0123`.
fn codes_in_source(dir: &Path, literals: &mut BTreeSet<(String, String)>, typed: &mut BTreeSet<String>) {
    for entry in std::fs::read_dir(dir).expect("readable source directory") {
        let path = entry.expect("readable entry").path();
        if path.is_dir() {
            codes_in_source(&path, literals, typed);
            continue;
        }
        // codes.rs defines the codes (and tests their text form).
        if path.extension().is_none_or(|e| e != "rs") || path.ends_with("compiler/src/codes.rs") {
            continue;
        }
        let text = std::fs::read_to_string(&path).expect("readable source");
        let bytes = text.as_bytes();
        let is_code = |w: &[u8]| matches!(w[0], b'E' | b'W') && w[1..5].iter().all(u8::is_ascii_digit);
        for (i, window) in bytes.windows(7).enumerate() {
            if window[0] == b'"' && is_code(&window[1..6]) && window[6] == b'"' {
                let line = text[..i].matches('\n').count() + 1;
                let shown = path.strip_prefix(root()).unwrap_or(&path).display().to_string();
                literals.insert((text[i + 1..i + 6].to_string(), format!("{shown}:{line}")));
            }
        }
        for (i, window) in bytes.windows(11).enumerate() {
            if window.starts_with(b"Code::") && is_code(&window[6..11]) {
                typed.insert(text[i + 6..i + 11].to_string());
            }
        }
    }
}

#[test]
fn codes_are_typed_and_every_code_is_raised() {
    // Every crate names codes as `Code::E0123`: a typo is a compile error and there is no code
    // outside compiler/src/codes.rs. A string literal would slip past both.
    let mut literals = BTreeSet::new();
    let mut typed = BTreeSet::new();
    for dir in [
        "compiler/src",
        "lsp/src",
        "src",
        "data/src",
        "runtime/src",
        "stdlib/src",
        "expr/src",
        "infer/src",
        "serve/src",
    ] {
        codes_in_source(&root().join(dir), &mut literals, &mut typed);
    }
    let literals: Vec<String> = literals.iter().map(|(code, at)| format!("{code} at {at}")).collect();
    assert!(literals.is_empty(), "write these codes as `Code::…` (mlp_compiler::codes):\n{}", literals.join("\n"));
    // Every documented code is one the checker or the runtime can raise.
    let unraised: Vec<&str> = Code::ALL.iter().map(|c| c.as_str()).filter(|c| !typed.contains(*c)).collect();
    assert!(unraised.is_empty(), "codes listed but never raised: {unraised:?}");
}

fn line_column(text: &str, offset: usize) -> (u64, u64) {
    let before = &text[..offset];
    let line = before.matches('\n').count() + 1;
    // A byte order mark at the start of a file is not a column (docs/diagnostics.md).
    let line_start = before.rfind('\n').map_or(mlp_compiler::span::bom_len(text), |n| n + 1);
    let column = text[line_start..offset].chars().count() + 1;
    (line as u64, column as u64)
}

/// Checks one `span` object against the file it points into.
fn check_span(span: &Value, file: &str, what: &str) {
    let text =
        std::fs::read_to_string(root().join(file)).unwrap_or_else(|e| panic!("{what}: cannot read `{file}`: {e}"));
    let field = |key: &str| span[key].as_u64().unwrap_or_else(|| panic!("{what}: span.{key} is not a number: {span}"));
    let (start, end, line, column) = (field("start"), field("end"), field("line"), field("column"));
    assert!(
        start <= end && end as usize <= text.len(),
        "{what}: span {start}..{end} outside `{file}` ({} bytes)",
        text.len()
    );
    assert!(
        text.is_char_boundary(start as usize) && text.is_char_boundary(end as usize),
        "{what}: span splits a character"
    );
    assert_eq!(
        (line, column),
        line_column(&text, start as usize),
        "{what}: line/column do not match byte offset {start}"
    );
    assert_eq!(span.as_object().map(|o| o.len()), Some(4), "{what}: span has exactly start, end, line, column: {span}");
}

/// Checks `mlpc check --format json` output against the contract; returns the diagnostics' codes.
fn check_json_contract(fixture: &str, stdout: &[u8]) -> Vec<String> {
    let value: Value = serde_json::from_slice(stdout).unwrap_or_else(|e| panic!("{fixture}: stdout is not JSON: {e}"));
    let object = value.as_object().expect("a JSON object");
    assert_eq!(object.keys().collect::<Vec<_>>(), ["diagnostics"], "{fixture}: top level holds only `diagnostics`");
    let diagnostics = value["diagnostics"].as_array().expect("`diagnostics` is an array");
    let known: BTreeSet<&str> = Code::ALL.iter().map(|c| c.as_str()).collect();
    let mut codes = Vec::new();
    for (n, d) in diagnostics.iter().enumerate() {
        let what = format!("{fixture} diagnostic {n}");
        let keys: BTreeSet<&str> =
            d.as_object().expect("a diagnostic is an object").keys().map(String::as_str).collect();
        assert_eq!(
            keys,
            BTreeSet::from(["severity", "code", "message", "file", "span", "labels", "help"]),
            "{what}: fields"
        );
        let code = d["code"].as_str().expect("code is a string");
        assert!(known.contains(code), "{what}: unknown code {code}");
        let severity = d["severity"].as_str().expect("severity is a string");
        assert_eq!(severity, if code.starts_with('E') { "error" } else { "warning" }, "{what}: severity of {code}");
        let message = d["message"].as_str().expect("message is a string");
        assert!(
            !message.is_empty() && !message.ends_with('.'),
            "{what}: message `{message}` is empty or ends with a period"
        );
        assert!(
            message.chars().next().is_some_and(|c| !c.is_uppercase()),
            "{what}: message `{message}` starts lowercase"
        );
        let file = d["file"].as_str().expect("file is a string");
        assert!(Path::new(file).is_relative(), "{what}: `{file}` is shown relative to the working directory");
        check_span(&d["span"], file, &what);
        assert!(
            d["help"].is_null() || d["help"].as_str().is_some_and(|h| !h.is_empty()),
            "{what}: help is a string or null"
        );
        let labels = d["labels"].as_array().expect("labels is an array");
        let primaries: Vec<&Value> = labels.iter().filter(|l| l["primary"] == Value::Bool(true)).collect();
        assert_eq!(primaries.len(), 1, "{what}: exactly one primary label");
        assert_eq!(primaries[0]["span"], d["span"], "{what}: the primary label has the diagnostic's span");
        assert_eq!(primaries[0]["file"], d["file"], "{what}: the primary label is in the diagnostic's file");
        for label in labels {
            assert!(label["message"].is_string() && label["primary"].is_boolean(), "{what}: label fields: {label}");
            let label_file = label["file"].as_str().expect("label file is a string");
            check_span(&label["span"], label_file, &format!("{what} label"));
        }
        codes.push(code.to_string());
    }
    codes
}

#[test]
fn json_output_keeps_the_contract() {
    let fixture = "tests/diagnostics/e0405_conv_kernel_too_big.mlp";
    let output = mlpc(&["check", "--format", "json", fixture]);
    assert_eq!(output.status.code(), Some(1));
    assert!(output.stderr.is_empty(), "JSON mode prints nothing on stderr");
    let codes = check_json_contract(fixture, &output.stdout);
    assert_eq!(codes, ["E0405"]);

    let value: Value = serde_json::from_slice(&output.stdout).expect("JSON");
    let d = &value["diagnostics"][0];
    assert_eq!(d["file"], fixture);
    assert_eq!(d["message"], "a 5×5 kernel does not fit the 3×3 input");
    // The primary span is the layer call on line 18, column 5; the secondary label the pooling before it.
    assert_eq!((d["span"]["line"].as_u64(), d["span"]["column"].as_u64()), (Some(18), Some(5)));
    let source = std::fs::read_to_string(root().join(fixture)).expect("fixture");
    let span = |v: &Value| &source[v["start"].as_u64().unwrap() as usize..v["end"].as_u64().unwrap() as usize];
    assert_eq!(span(&d["span"]), "conv2d(filters: 16, kernel: 5)");
    assert_eq!(span(&d["labels"][1]["span"]), "maxpool(2)");
    assert_eq!(d["labels"][1]["message"], "output shape [6, 3, 3] comes from here");
    insta::assert_snapshot!("json_e0405_conv_kernel_too_big", serde_json::to_string_pretty(&value).expect("JSON"));
}

#[test]
fn json_output_of_every_fixture_keeps_the_contract() {
    // The same contract over every fixture, including labels in other files (imports) and
    // warnings-only output; the codes must match those of the human output.
    for fixture in fixtures() {
        let fixture = fixture.to_str().expect("UTF-8 path").to_string();
        let output = mlpc(&["check", "--format", "json", &fixture]);
        let codes = check_json_contract(&fixture, &output.stdout);
        let expected = expected_code(Path::new(&fixture));
        assert!(codes.contains(&expected), "{fixture}: JSON lacks {expected}: {codes:?}");
        let errors = codes.iter().any(|c| c.starts_with('E'));
        assert_eq!(output.status.code(), Some(if errors { 1 } else { 0 }), "{fixture}: exit status");
    }
}
