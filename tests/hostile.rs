//! The hostile-input suite: the bundled examples' specs, mutated the way a careless edit, a bad
//! merge or an adversary would (lines deleted, duplicated and swapped, bytes flipped, numbers
//! replaced by extreme values, lists blown up, files cut short), go through `mlpc check` and a
//! short `mlpc run` of the built binary. Whatever the input, mlpc must answer with a status of its
//! own: never 101 (a panic), never death by a signal (an abort, a stack overflow), never a hang.
//!
//! The mutations are drawn by proptest from a fixed seed with a bounded number of cases, so the
//! suite is the same on every machine and stays well under a minute on two cores; a failure
//! shrinks to the fewest mutations that still break mlpc and prints the mutated spec.

use proptest::prelude::*;
use proptest::test_runner::{Config, RngSeed, TestCaseError, TestRunner};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// Numbers a mutation puts in place of one in the spec: zero, negative, beyond 64 bits, beyond
/// f64's integers, huge floats, tiny floats, and sizes that only a limit stops.
const EXTREME: [&str; 10] = [
    "0",
    "-1",
    "18446744073709551615",
    "1e308",
    "99999999999999999999",
    "4294967297",
    "100000000",
    "1e-308",
    "9223372036854775807",
    "-9223372036854775808",
];

/// The extreme numbers that cannot make a valid spec train for hours (a count of 0 or -1 is
/// refused, the others are not integers or do not fit 64 bits): the ones a run is tried with.
const EXTREME_FOR_RUNS: [&str; 5] = ["0", "-1", "18446744073709551615", "1e308", "99999999999999999999"];

#[derive(Clone, Debug)]
enum Mutation {
    DeleteLine(usize),
    DuplicateLine(usize),
    SwapLines(usize, usize),
    FlipByte(usize, u8),
    /// Replaces the n-th number with `EXTREME[k]` (`EXTREME_FOR_RUNS` in runs).
    Number(usize, usize),
    /// Puts 3,000 entries into the n-th list.
    HugeList(usize),
    /// Keeps the first n bytes.
    Truncate(usize),
}

fn mutation(for_runs: bool) -> BoxedStrategy<Mutation> {
    let any = any::<usize>();
    let common = prop_oneof![
        any.prop_map(Mutation::DeleteLine),
        any.prop_map(Mutation::DuplicateLine),
        (any, any).prop_map(|(a, b)| Mutation::SwapLines(a, b)),
        (any, 1u8..=255).prop_map(|(at, bits)| Mutation::FlipByte(at, bits)),
        (any, any).prop_map(|(n, k)| Mutation::Number(n, k)),
    ];
    if for_runs {
        common.boxed()
    } else {
        prop_oneof![4 => common, 1 => any.prop_map(Mutation::HugeList), 1 => any.prop_map(Mutation::Truncate)].boxed()
    }
}

/// Byte ranges of the numbers in `text` (digits with their fraction and exponent).
fn numbers(text: &str) -> Vec<(usize, usize)> {
    let bytes = text.as_bytes();
    let mut found = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        let starts =
            bytes[i].is_ascii_digit() && (i == 0 || !(bytes[i - 1].is_ascii_alphanumeric() || bytes[i - 1] == b'_'));
        if !starts {
            i += 1;
            continue;
        }
        let start = i;
        while i < bytes.len() && (bytes[i].is_ascii_alphanumeric() || bytes[i] == b'.' || bytes[i] == b'-') {
            i += 1;
        }
        found.push((start, i));
    }
    found
}

fn apply(text: &str, m: &Mutation, for_runs: bool) -> String {
    let lines: Vec<&str> = text.split_inclusive('\n').collect();
    let n = lines.len().max(1);
    match *m {
        Mutation::DeleteLine(at) => lines.iter().enumerate().filter(|(i, _)| *i != at % n).map(|(_, l)| *l).collect(),
        Mutation::DuplicateLine(at) => {
            let mut out: Vec<&str> = lines.clone();
            if let Some(line) = lines.get(at % n) {
                out.insert(at % n, line);
            }
            out.concat()
        }
        Mutation::SwapLines(a, b) => {
            let mut out = lines.clone();
            if !out.is_empty() {
                out.swap(a % n, b % n);
            }
            out.concat()
        }
        Mutation::FlipByte(at, bits) => {
            let mut bytes = text.as_bytes().to_vec();
            if !bytes.is_empty() {
                let at = at % bytes.len();
                bytes[at] ^= bits;
            }
            // A spec is read as UTF-8 text; a flip that breaks the encoding is a different
            // failure (an unreadable file), so the flipped byte becomes a replacement character.
            String::from_utf8_lossy(&bytes).into_owned()
        }
        Mutation::Number(which, value) => {
            let found = numbers(text);
            let Some(&(start, end)) = found.get(which % found.len().max(1)) else { return text.to_string() };
            let value = if for_runs {
                EXTREME_FOR_RUNS[value % EXTREME_FOR_RUNS.len()]
            } else {
                EXTREME[value % EXTREME.len()]
            };
            format!("{}{value}{}", &text[..start], &text[end..])
        }
        Mutation::HugeList(which) => {
            let opens: Vec<usize> = text.match_indices('[').map(|(i, _)| i).collect();
            let Some(&at) = opens.get(which % opens.len().max(1)) else { return text.to_string() };
            format!("{}{}{}", &text[..=at], "4, ".repeat(3000), &text[at + 1..])
        }
        Mutation::Truncate(keep) => {
            let mut keep = keep % (text.len() + 1);
            while !text.is_char_boundary(keep) {
                keep -= 1;
            }
            text[..keep].to_string()
        }
    }
}

/// A copy of each example (its spec and data) in a scratch directory, where mutated specs are
/// written next to the data they read.
struct Example {
    dir: PathBuf,
    spec: String,
}

fn examples(scratch: &Path) -> Vec<Example> {
    let mut found = Vec::new();
    for name in ["iris", "titanic", "breast_cancer", "digits"] {
        let from = root().join("examples").join(name);
        let dir = scratch.join(name);
        copy_dir(&from, &dir);
        let spec = std::fs::read_to_string(from.join(format!("{name}.mlp"))).expect("the example's spec");
        found.push(Example { dir, spec });
    }
    found
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("scratch directory");
    for entry in std::fs::read_dir(from).expect("example directory").flatten() {
        let path = entry.path();
        let name = entry.file_name();
        if path.is_dir() {
            if name != "runs" && name != ".mlp" {
                copy_dir(&path, &to.join(&name));
            }
        } else if path.extension().is_some_and(|e| e == "csv") {
            std::fs::copy(&path, to.join(&name)).expect("copying example data");
        }
    }
}

/// An example made quick to run: no search, three epochs.
fn quick(spec: &str) -> String {
    let mut out = String::new();
    let mut in_search = false;
    for line in spec.split_inclusive('\n') {
        if line.starts_with("search ") {
            in_search = true;
        }
        if !in_search {
            let trimmed = line.trim_start();
            if trimmed.starts_with("epochs = ") {
                out.push_str("  epochs = 3\n");
            } else {
                out.push_str(line);
            }
        }
        if in_search && line.starts_with('}') {
            in_search = false;
        }
    }
    out
}

/// `mlpc ARGS` with a deadline: its status code, or the reason it is a failure.
fn mlpc(args: &[&str], dir: &Path, limit: Duration) -> Result<i32, String> {
    let mut child = Command::new(env!("CARGO_BIN_EXE_mlpc"))
        .args(args)
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .env("RAYON_NUM_THREADS", "1")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("cannot start mlpc: {e}"))?;
    let started = Instant::now();
    let status = loop {
        match child.try_wait().map_err(|e| e.to_string())? {
            Some(status) => break status,
            None if started.elapsed() > limit => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(format!("`mlpc {}` did not finish within {limit:?}", args.join(" ")));
            }
            None => std::thread::sleep(Duration::from_millis(20)),
        }
    };
    let mut stderr = String::new();
    if let Some(mut pipe) = child.stderr.take() {
        use std::io::Read;
        let _ = pipe.read_to_string(&mut stderr);
    }
    let tail: String =
        stderr.lines().rev().take(12).collect::<Vec<_>>().into_iter().rev().collect::<Vec<_>>().join("\n");
    match status.code() {
        Some(101) => Err(format!("`mlpc {}` exited with 101 (a panic):\n{tail}", args.join(" "))),
        Some(_) if stderr.contains("panicked") => Err(format!("`mlpc {}` panicked:\n{tail}", args.join(" "))),
        Some(code) => Ok(code),
        None => Err(format!("`mlpc {}` was killed by a signal ({status}):\n{tail}", args.join(" "))),
    }
}

fn runner(cases: u32, seed: u64) -> TestRunner {
    TestRunner::new(Config {
        cases,
        rng_seed: RngSeed::Fixed(seed),
        failure_persistence: None,
        max_shrink_iters: 64,
        ..Config::default()
    })
}

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("mlpc-hostile-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("scratch directory");
    dir
}

#[test]
fn mutated_specs_never_crash_mlpc_check() {
    let dir = scratch("check");
    let examples = examples(&dir);
    let strategy = (0..examples.len(), proptest::collection::vec(mutation(false), 1..4));
    let accepted = std::cell::Cell::new(0);
    let result = runner(240, 0x5ECC_4EC0).run(&strategy, |(which, mutations)| {
        let example = &examples[which];
        let text = mutations.iter().fold(example.spec.clone(), |t, m| apply(&t, m, false));
        let path = example.dir.join("mutant.mlp");
        std::fs::write(&path, &text).expect("writing the mutant");
        let code = mlpc(&["check", "mutant.mlp"], &example.dir, Duration::from_secs(30))
            .map_err(|why| TestCaseError::fail(format!("{why}\n--- spec ---\n{}", excerpt(&text))))?;
        prop_assert!(code == 0 || code == 1, "`mlpc check` exited with {code}");
        accepted.set(accepted.get() + usize::from(code == 0));
        Ok(())
    });
    let _ = std::fs::remove_dir_all(&dir);
    if let Err(failure) = result {
        panic!("{failure}");
    }
    // Mutants the checker accepts are the ones that reach deeper code: the suite needs some.
    assert!(accepted.get() >= 20, "only {} of the mutated specs passed `mlpc check`", accepted.get());
}

#[test]
fn mutated_specs_never_crash_or_hang_mlpc_run() {
    let dir = scratch("run");
    let examples: Vec<Example> = examples(&dir)
        .into_iter()
        .filter(|e| e.dir.ends_with("iris") || e.dir.ends_with("breast_cancer"))
        .map(|e| Example { spec: quick(&e.spec), dir: e.dir })
        .collect();
    let strategy = (0..examples.len(), proptest::collection::vec(mutation(true), 1..3));
    let trained = std::cell::Cell::new(0);
    let result = runner(24, 0x0C4A_54E5).run(&strategy, |(which, mutations)| {
        let example = &examples[which];
        let text = mutations.iter().fold(example.spec.clone(), |t, m| apply(&t, m, true));
        let path = example.dir.join("mutant.mlp");
        std::fs::write(&path, &text).expect("writing the mutant");
        let runs = example.dir.join("runs");
        let args = ["run", "mutant.mlp", "--runs-dir", runs.to_str().expect("a UTF-8 path")];
        let code = mlpc(&args, &example.dir, Duration::from_secs(120))
            .map_err(|why| TestCaseError::fail(format!("{why}\n--- spec ---\n{}", excerpt(&text))))?;
        // 0 passed, 1 spec errors, 3 a gate failed, 4 a run-time diagnostic; 2 is a usage error,
        // which a mutated spec cannot cause.
        prop_assert!(matches!(code, 0 | 1 | 3 | 4), "`mlpc run` exited with {code}");
        trained.set(trained.get() + usize::from(code != 1));
        Ok(())
    });
    let _ = std::fs::remove_dir_all(&dir);
    if let Err(failure) = result {
        panic!("{failure}");
    }
    // A run that stops at the checker tests nothing of the runtime: most mutants must get past it.
    assert!(trained.get() >= 6, "only {} of the mutated specs got past `mlpc check` to run", trained.get());
}

/// The spec as a failure message shows it: long lines (a blown-up list) cut short.
fn excerpt(text: &str) -> String {
    let cut = |l: &str| {
        let mut at = 200;
        while !l.is_char_boundary(at) {
            at -= 1;
        }
        format!("{}… ({} bytes)", &l[..at], l.len())
    };
    text.lines().map(|l| if l.len() > 200 { cut(l) } else { l.to_string() }).collect::<Vec<_>>().join("\n")
}

#[test]
fn the_extreme_cases_of_the_issue_are_diagnostics() {
    // Each of these once panicked, aborted or passed as a green build; each is now a coded
    // diagnostic with exit 1 from both `mlpc check` and `mlpc run`.
    let dir = scratch("cases");
    let examples = examples(&dir);
    let iris = &examples[0];
    let base = quick(&iris.spec);
    let cases: Vec<(&str, String)> = vec![
        ("E0004", String::new()),
        ("E0004", " \n\t\n".into()),
        ("E0004", "\r\r\r".into()),
        ("E0004", "\u{feff}// only a comment\n".into()),
        ("E0209", base.split("source ").next().unwrap_or_default().to_string()),
        ("E0005", base.replace("seed = 7", "seed = 99999999999999999999")),
        ("E0206", base.replace("batch = 16", "batch = 16\n  dropout = 1.0")),
        ("E0206", base.replace("patience(20)", "patience(0)")),
        ("E0410", base.replace("hidden: [64]", "hidden: [100000, 100000]")),
        ("E0410", base.replace("hidden: [64]", "hidden: [100000000]")),
        ("E0411", base.replace("hidden: [64]", &format!("hidden: [{}]", ["4"; 3000].join(", ")))),
        (
            "E0503",
            format!(
                "{base}\nsearch mlp {{\n  strategy = random(trials: 1000000000000)\n  lr = loguniform(1e-4, 1e-2)\n}}\n"
            ),
        ),
        ("E0503", format!("{base}\nsearch mlp {{\n  strategy = grid()\n  epochs = int_range(1, 100000000)\n}}\n")),
    ];
    let mut failures = Vec::new();
    for (code, text) in &cases {
        std::fs::write(iris.dir.join("case.mlp"), text).expect("writing the case");
        let runs = iris.dir.join("runs");
        for args in [
            vec!["check", "--format", "json", "case.mlp"],
            vec!["run", "case.mlp", "--runs-dir", runs.to_str().unwrap()],
        ] {
            let out = Command::new(env!("CARGO_BIN_EXE_mlpc"))
                .args(&args)
                .current_dir(&iris.dir)
                .output()
                .expect("mlpc runs");
            let all = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
            if out.status.code() != Some(1) || !all.contains(code) {
                failures.push(format!("{code} `mlpc {}`: exit {:?}\n{}", args[0], out.status.code(), excerpt(&all)));
            }
        }
    }
    // A spec that starts with a byte order mark is accepted.
    std::fs::write(iris.dir.join("bom.mlp"), format!("\u{feff}{}", iris.spec)).expect("writing the spec");
    let out = Command::new(env!("CARGO_BIN_EXE_mlpc"))
        .args(["check", "bom.mlp"])
        .current_dir(&iris.dir)
        .output()
        .expect("mlpc runs");
    if out.status.code() != Some(0) {
        failures.push(format!("a spec with a BOM: {}", String::from_utf8_lossy(&out.stderr)));
    }
    // Its columns count from after the mark, in the rendered header as in JSON: `sed` is column 14.
    std::fs::write(iris.dir.join("bom_error.mlp"), "\u{feff}pipeline p { sed = 1 }\n").expect("writing the spec");
    let out = Command::new(env!("CARGO_BIN_EXE_mlpc"))
        .args(["check", "bom_error.mlp"])
        .current_dir(&iris.dir)
        .output()
        .expect("mlpc runs");
    let stderr = String::from_utf8_lossy(&out.stderr);
    if !stderr.contains("bom_error.mlp:1:14") {
        failures.push(format!("a BOM shifts the rendered column: {stderr}"));
    }
    let _ = std::fs::remove_dir_all(&dir);
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

#[test]
fn a_library_needs_nothing_to_run_when_a_checked_spec_imports_it() {
    let dir = scratch("library");
    std::fs::copy(root().join("tests/data/iris.csv"), dir.join("iris.csv")).expect("copying data");
    std::fs::create_dir_all(dir.join("lib")).expect("lib directory");
    std::fs::write(dir.join("lib/data.mlp"), "source flowers = csv(\"../iris.csv\") {\n  label = species\n}\n")
        .expect("writing the library");
    let main = "import \"lib/data.mlp\"\n\ndataset d = flowers\nobjective maximize accuracy\nbaseline majority = majority_class()\n";
    std::fs::write(dir.join("main.mlp"), main).expect("writing the spec");
    let check = |args: &[&str]| {
        let out = Command::new(env!("CARGO_BIN_EXE_mlpc")).args(args).current_dir(&dir).output().expect("mlpc runs");
        (out.status.code(), String::from_utf8_lossy(&out.stderr).into_owned())
    };
    // The directory: the library is checked as part of the spec that imports it.
    let (code, stderr) = check(&["check", "."]);
    assert_eq!(code, Some(0), "{stderr}");
    // On its own, the library has nothing to run.
    let (code, stderr) = check(&["check", "lib/data.mlp"]);
    assert_eq!(code, Some(1), "{stderr}");
    assert!(stderr.contains("E0209"), "{stderr}");
    let _ = std::fs::remove_dir_all(&dir);
}
