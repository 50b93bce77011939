//! `mlpc predict BUNDLE|SPEC INPUT...`: predictions for the rows of CSV (or JSON-lines) files,
//! streamed a chunk at a time through the bundle (a spec means the bundle of its latest passing
//! run), written beside each row's id to stdout or to `-o OUT` (atomically). Rows that cannot be
//! predicted stop the command (`--on-error fail`, the default) or are listed with why in a
//! rejects file (`--on-error skip`). Exit status: 0 done, 1 the spec has errors, 2 usage or I/O
//! error, 4 a row or the bundle failed.

use super::deployed;
use crate::out::errln;
use crate::render;
use mlp_infer::batch::{self, FileSummary, OnError, OutputFormat, PredictOptions};
use std::io::Write;
use std::path::{Path, PathBuf};

pub struct Args<'a> {
    pub model: &'a Path,
    pub inputs: &'a [String],
    pub output: Option<&'a Path>,
    pub format: OutputFormat,
    pub on_error: OnError,
    pub rejects: Option<&'a Path>,
    pub id_column: Option<String>,
    pub model_name: Option<&'a str>,
    pub runs_dir: Option<&'a Path>,
    pub chunk_rows: usize,
}

/// The bundle directory `path` names: itself, or a spec's latest passing run's.
pub fn bundle_dir(path: &Path, model: Option<&str>, runs_dir: Option<&Path>) -> Result<PathBuf, u8> {
    if path.is_dir() {
        return Ok(path.to_path_buf());
    }
    if path.extension().is_some_and(|e| e == "mlp") {
        let program = deployed::program(path)?;
        return deployed::latest_bundle(&program, path, model, runs_dir).map(|(dir, _)| dir);
    }
    // Neither: let the loader say what it is not.
    Ok(path.to_path_buf())
}

pub fn run(args: &Args<'_>) -> u8 {
    let color = super::stderr_color();
    let dir = match bundle_dir(args.model, args.model_name, args.runs_dir) {
        Ok(dir) => dir,
        Err(status) => return status,
    };
    let bundle = match deployed::load(&dir) {
        Ok(b) => b,
        Err(status) => return status,
    };
    let inputs = match super::expand_inputs(args.inputs) {
        Ok(files) => files,
        Err(message) => return super::usage_error(&message),
    };
    let options = PredictOptions {
        chunk_rows: args.chunk_rows.max(1),
        on_error: args.on_error,
        format: args.format,
        id_column: args.id_column.clone(),
    };
    // Rejects: the file asked for, or one beside the output; without either, on stderr.
    let rejects_path = args
        .rejects
        .map(Path::to_path_buf)
        .or_else(|| (args.on_error == OnError::Skip).then_some(args.output?).map(|o| o.with_extension("rejects.csv")));
    let result = match args.output {
        Some(out) => write_atomically(out, |w| predict_all(&bundle, &inputs, w, rejects_path.as_deref(), &options)),
        None => {
            let mut stdout = std::io::BufWriter::with_capacity(1 << 16, crate::out::Stdout);
            let result = predict_all(&bundle, &inputs, &mut stdout, rejects_path.as_deref(), &options);
            let _ = stdout.flush();
            result
        }
    };
    match result {
        Ok(summary) => {
            errln!(
                "predicted {} of {} row{} with bundle {} (`{}`){}",
                summary.predicted,
                summary.rows,
                if summary.rows == 1 { "" } else { "s" },
                bundle.id(),
                bundle.manifest().model,
                match (summary.rejected, &rejects_path) {
                    (0, _) => String::new(),
                    (n, Some(path)) => format!("; {n} rejected, listed in `{}`", render::display_path(path)),
                    (n, None) => format!("; {n} rejected (listed above)"),
                }
            );
            0
        }
        Err(error) => {
            errln!("{}", render::run_error(&error, color));
            4
        }
    }
}

/// Writes through a temporary file beside `path`, renamed over it once complete.
fn write_atomically(
    path: &Path,
    write: impl FnOnce(&mut dyn Write) -> mlp_infer::error::RunResult<FileSummary>,
) -> mlp_infer::error::RunResult<FileSummary> {
    let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let temp = path.with_file_name(format!(".{name}.partial"));
    let failed = |p: &Path, e: std::io::Error| {
        mlp_infer::error::RunError::new(
            mlp_compiler::codes::Code::E0836,
            format!("cannot write `{}`: {e}", p.display()),
        )
        .with_help("write to a folder you can write to, with room for the output")
    };
    let file = std::fs::File::create(&temp).map_err(|e| failed(path, e))?;
    let mut out = std::io::BufWriter::with_capacity(1 << 20, file);
    let result = write(&mut out).and_then(|summary| {
        out.flush().map_err(|e| failed(&temp, e))?;
        out.get_ref().sync_all().map_err(|e| failed(&temp, e))?;
        std::fs::rename(&temp, path).map_err(|e| failed(path, e))?;
        Ok(summary)
    });
    if result.is_err() {
        let _ = std::fs::remove_file(&temp);
    }
    result
}

/// Every input in turn into `out` (one header); rejects to `rejects_path` or stderr.
fn predict_all(
    bundle: &mlp_infer::Bundle,
    inputs: &[PathBuf],
    out: &mut dyn Write,
    rejects_path: Option<&Path>,
    options: &PredictOptions,
) -> mlp_infer::error::RunResult<FileSummary> {
    let mut total = FileSummary::default();
    let mut rejects_text: Vec<u8> = Vec::new();
    for (i, input) in inputs.iter().enumerate() {
        let size = std::fs::metadata(input).map(|m| m.len()).unwrap_or(0);
        let bar = crate::progress::bytes_bar(size, &render::display_path(input));
        let mut rejects: Vec<u8> = Vec::new();
        // The header once, for the first file; the others skip theirs.
        let mut sink = HeaderOnce { out: &mut *out, skip: if i == 0 { 0 } else { header_len(bundle, options) } };
        let summary =
            batch::predict_file(bundle, input, &mut sink, &mut rejects, options, &|read| bar.set_position(read));
        bar.finish_and_clear();
        let summary = summary?;
        // Rejects keep their header once too.
        let skip =
            if rejects_text.is_empty() { 0 } else { rejects.iter().position(|&b| b == b'\n').map_or(0, |p| p + 1) };
        rejects_text.extend_from_slice(&rejects[skip..]);
        total.rows += summary.rows;
        total.predicted += summary.predicted;
        total.rejected += summary.rejected;
    }
    if total.rejected > 0 {
        match rejects_path {
            Some(path) => {
                std::fs::write(path, &rejects_text).map_err(|e| {
                    mlp_infer::error::RunError::new(
                        mlp_compiler::codes::Code::E0836,
                        format!("cannot write `{}`: {e}", path.display()),
                    )
                })?;
            }
            None => errln!("rejected rows (id,column,code,message):\n{}", String::from_utf8_lossy(&rejects_text)),
        }
    }
    Ok(total)
}

fn header_len(bundle: &mlp_infer::Bundle, options: &PredictOptions) -> usize {
    batch::header_line(bundle, options).len()
}

/// Drops the first `skip` bytes written through it (a repeated header).
struct HeaderOnce<'a> {
    out: &'a mut dyn Write,
    skip: usize,
}

impl Write for HeaderOnce<'_> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let dropped = self.skip.min(buf.len());
        self.skip -= dropped;
        self.out.write_all(&buf[dropped..])?;
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.out.flush()
    }
}
