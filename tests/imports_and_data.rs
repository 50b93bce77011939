//! Hostile imports and data paths through `mlpc check` (issue 11): an import of a FIFO, a device,
//! a huge file or a system file, and a glob that would walk without end. Each must end quickly
//! with its code and never show the text of what it refused. Every `mlpc` here runs under a
//! deadline, so a regression that blocks (a FIFO opened for reading) fails the test instead of
//! hanging the suite. Cases that a fixture cannot hold (a FIFO, a 17 MiB file, 100,000 entries)
//! live here; the others are fixtures in tests/diagnostics/.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// A fresh scratch folder for one test.
fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("mlpc-hostile-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// `mlpc check spec` with its exit status and stderr; panics when it has not ended within a
/// minute (it is killed first).
fn check(spec: &Path, env: &[(&str, &str)]) -> (Option<i32>, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_mlpc"))
        .args(["check", spec.to_str().unwrap()])
        .env("NO_COLOR", "1")
        .envs(env.iter().copied())
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("mlpc starts");
    let mut stderr = child.stderr.take().unwrap();
    let reader = std::thread::spawn(move || {
        let mut text = String::new();
        let _ = stderr.read_to_string(&mut text);
        text
    });
    let deadline = Instant::now() + Duration::from_secs(60);
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("`mlpc check {}` did not end within a minute", spec.display());
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    (status.code(), reader.join().unwrap())
}

fn spec_importing(dir: &Path, import: &str) -> PathBuf {
    let spec = dir.join("spec.mlp");
    std::fs::write(&spec, format!("import \"{import}\"\n\nbaseline b = majority_class()\n")).unwrap();
    spec
}

fn assert_code(status: Option<i32>, stderr: &str, code: &str) {
    assert_eq!(status, Some(1), "{stderr}");
    assert!(stderr.lines().any(|l| l.trim() == code), "no {code} in:\n{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
}

#[cfg(unix)]
#[test]
fn importing_a_fifo_is_refused_without_opening_it() {
    let dir = scratch("fifo");
    let fifo = dir.join("pipe.mlp");
    match Command::new("mkfifo").arg(&fifo).status() {
        Ok(status) if status.success() => {}
        _ => {
            eprintln!("skipped: no `mkfifo` on this machine");
            return;
        }
    }
    let (status, stderr) = check(&spec_importing(&dir, "pipe.mlp"), &[]);
    assert_code(status, &stderr, "E0012");
    assert!(stderr.contains("FIFO"), "{stderr}");
    std::fs::remove_dir_all(dir).unwrap();
}

#[cfg(unix)]
#[test]
fn importing_a_device_is_refused_before_reading_it() {
    let dir = scratch("device");
    // By its name: not a `.mlp` file.
    let (status, stderr) = check(&spec_importing(&dir, "/dev/zero"), &[]);
    assert_code(status, &stderr, "E0012");
    // Named like a spec: the metadata says it is a device.
    std::os::unix::fs::symlink("/dev/zero", dir.join("zero.mlp")).unwrap();
    let (status, stderr) = check(&spec_importing(&dir, "zero.mlp"), &[]);
    assert_code(status, &stderr, "E0012");
    assert!(stderr.contains("a device"), "{stderr}");
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn importing_a_huge_file_is_refused_with_its_size() {
    let dir = scratch("huge");
    // Sparse: 17 MiB that take no disk space.
    let file = std::fs::File::create(dir.join("huge.mlp")).unwrap();
    file.set_len(17 << 20).unwrap();
    let (status, stderr) = check(&spec_importing(&dir, "huge.mlp"), &[]);
    assert_code(status, &stderr, "E0013");
    assert!(stderr.contains(&(17u64 << 20).to_string()) && stderr.contains("16 MiB"), "{stderr}");
    std::fs::remove_dir_all(dir).unwrap();
}

#[cfg(unix)]
#[test]
fn system_files_are_never_echoed() {
    let dir = scratch("system");
    let marker = "mlpc-secret-marker-4711";
    for import in ["/etc/passwd", "/proc/self/environ"] {
        let (status, stderr) = check(&spec_importing(&dir, import), &[("MLPC_TEST_SECRET", marker)]);
        assert_code(status, &stderr, "E0012");
        assert!(!stderr.contains(marker) && !stderr.contains("root:"), "{import} leaked into:\n{stderr}");
    }
    std::fs::remove_dir_all(dir).unwrap();
}

#[cfg(unix)]
#[test]
fn a_glob_that_would_walk_without_end_stops_at_its_budget() {
    // Ten links back to the folder itself: `*/*/*/*/*/*` reaches over a million paths.
    let dir = scratch("glob");
    let tree = dir.join("tree");
    std::fs::create_dir_all(&tree).unwrap();
    for name in ["a", "b", "c", "d", "e", "f", "g", "h", "i", "j"] {
        std::os::unix::fs::symlink(".", tree.join(name)).unwrap();
    }
    std::fs::write(tree.join("x.csv"), "x,y\n1,a\n2,b\n").unwrap();
    let spec = dir.join("spec.mlp");
    std::fs::write(
        &spec,
        "source s = csv(\"tree/*/*/*/*/*/*/x.csv\") {\n  label = y\n}\n\ndataset d = s\n\nbaseline b = majority_class()\n",
    )
    .unwrap();
    let (status, stderr) = check(&spec, &[]);
    assert_code(status, &stderr, "E0321");
    assert!(stderr.contains("100000 entries") || stderr.contains("ran out of time"), "{stderr}");
    // The same files through a narrow pattern are fine.
    std::fs::write(&spec, "source s = csv(\"tree/a/x.csv\") {\n  label = y\n}\n").unwrap();
    let (_, stderr) = check(&spec, &[]);
    assert!(!stderr.contains("E0321") && !stderr.contains("E0320"), "{stderr}");
    std::fs::remove_dir_all(dir).unwrap();
}
