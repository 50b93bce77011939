//! One module per subcommand. Each `run` returns the process exit status.

pub mod check;
pub mod deploy;
pub mod deployed;
pub mod explain;
pub mod fmt;
pub mod graph;
pub mod lsp;
pub mod monitor;
pub mod predict;
pub mod run;
pub mod runs;
pub mod serve;

use crate::out::errln;
use std::io::IsTerminal;
use std::path::PathBuf;

/// Expands command-line arguments into spec files: plain paths, globs, and directories (every
/// `.mlp` file below them, sorted). Reports arguments that match nothing.
pub fn expand_inputs(args: &[String]) -> Result<Vec<PathBuf>, String> {
    let mut files = Vec::new();
    for arg in args {
        let path = PathBuf::from(arg);
        if path.is_dir() {
            let mut found = Vec::new();
            collect_specs(&path, &mut found);
            if found.is_empty() {
                return Err(format!("no .mlp files in directory `{arg}`"));
            }
            found.sort();
            files.extend(found);
        } else if arg.contains(['*', '?', '[']) {
            let pattern = glob::glob(arg).map_err(|e| format!("invalid pattern `{arg}`: {e}"))?;
            let mut found: Vec<PathBuf> = pattern.filter_map(Result::ok).filter(|p| p.is_file()).collect();
            if found.is_empty() {
                return Err(format!("no files match `{arg}`"));
            }
            found.sort();
            files.extend(found);
        } else if path.is_file() {
            files.push(path);
        } else {
            return Err(format!("no such file: `{arg}`"));
        }
    }
    files.dedup();
    Ok(files)
}

fn collect_specs(dir: &std::path::Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            collect_specs(&path, out);
        } else if path.extension().is_some_and(|e| e == "mlp") {
            out.push(path);
        }
    }
}

/// Whether human output on stderr may use colour.
pub fn stderr_color() -> bool {
    std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none()
}

/// Absolute form of a path, so that paths inside specs resolve against the spec's directory.
pub fn absolute(path: &std::path::Path) -> PathBuf {
    std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf())
}

pub fn usage_error(message: &str) -> u8 {
    errln!("error: {message}");
    2
}

/// A run-time error about the run history, whose `mlpc runs --repair` hint names the
/// `--runs-dir` the user gave (the history lives there).
pub fn history_hint(mut error: mlp_runtime::RunError, runs_dir: Option<&std::path::Path>) -> mlp_runtime::RunError {
    if let (mlp_compiler::codes::Code::E0813, Some(dir)) = (error.code, runs_dir) {
        let command = format!("mlpc runs --runs-dir {} --repair", dir.display());
        error.help = error.help.map(|h| h.replace("mlpc runs --repair", &command));
    }
    error
}
