//! `mlpc predict BUNDLE|SPEC INPUT...`: predictions for the rows of CSV (or JSON-lines) files,
//! streamed a chunk at a time through the bundle (a spec means the bundle of its latest passing
//! run), written beside each row's id to stdout or to `-o OUT` (atomically). Rows that cannot be
//! predicted stop the command (`--on-error fail`, the default) or are listed with why in a
//! rejects file (`--on-error skip`). Exit status: 0 done, 1 the spec has errors, 2 usage or I/O
//! error, 4 a row or the bundle failed.

use super::deployed;
use crate::out::errln;
use crate::render;
use mlp_compiler::codes::Code;
use mlp_infer::batch::{self, FileSummary, OnError, OutputFormat, PredictOptions, RowSink, TextSink};
use mlp_infer::error::{RunError, RunResult};
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
    let result = match (args.output, args.format) {
        (None, OutputFormat::Parquet) => {
            return super::usage_error("`--format parquet` writes a file: give it with `-o OUT`");
        }
        (Some(out), OutputFormat::Parquet) => write_atomically(out, |file| {
            let id = options.id_column.as_deref().unwrap_or("line");
            let mut sink =
                mlp_infer::parquet_out::ParquetSink::new(file, &bundle, id).map_err(|e| unwritable(out, e))?;
            let summary = predict_all(&bundle, &inputs, &mut sink, rejects_path.as_deref(), &options)?;
            sink.finish().map_err(|e| unwritable(out, e))?;
            Ok(summary)
        }),
        (Some(out), _) => write_atomically(out, |file| {
            let mut file = file;
            let mut sink = TextSink::new(&mut file, &bundle, &options).map_err(|e| unwritable(out, e))?;
            let summary = predict_all(&bundle, &inputs, &mut sink, rejects_path.as_deref(), &options)?;
            sink.finish().map_err(|e| unwritable(out, e))?;
            Ok(summary)
        }),
        (None, _) => {
            let mut stdout = std::io::BufWriter::with_capacity(1 << 16, crate::out::Stdout);
            let result = TextSink::new(&mut stdout, &bundle, &options)
                .map_err(|e| unwritable(Path::new("standard output"), e))
                .and_then(|mut sink| {
                    let summary = predict_all(&bundle, &inputs, &mut sink, rejects_path.as_deref(), &options)?;
                    let _ = sink.finish();
                    Ok(summary)
                });
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

fn unwritable(path: &Path, e: impl std::fmt::Display) -> RunError {
    RunError::new(Code::E0836, format!("cannot write `{}`: {e}", path.display()))
        .with_help("write to a folder you can write to, with room for the output")
}

/// Writes through a temporary file beside `path`, renamed over it once complete (and removed
/// on failure, so nothing partial is ever under `path`).
fn write_atomically(
    path: &Path,
    write: impl FnOnce(&mut std::io::BufWriter<std::fs::File>) -> RunResult<FileSummary>,
) -> RunResult<FileSummary> {
    // A device, pipe or socket (`-o /dev/null`, `-o /dev/stdout`) is written as it is: renaming
    // a file over it would replace the device.
    if std::fs::metadata(path).is_ok_and(|m| !m.is_file() && !m.is_dir()) {
        let file = std::fs::OpenOptions::new().write(true).open(path).map_err(|e| unwritable(path, e))?;
        let mut out = std::io::BufWriter::with_capacity(1 << 20, file);
        let summary = write(&mut out)?;
        out.flush().map_err(|e| unwritable(path, e))?;
        return Ok(summary);
    }
    let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let temp = path.with_file_name(format!(".{name}.partial"));
    let file = std::fs::File::create(&temp).map_err(|e| unwritable(path, e))?;
    let mut out = std::io::BufWriter::with_capacity(1 << 20, file);
    let result = write(&mut out).and_then(|summary| {
        out.flush().map_err(|e| unwritable(&temp, e))?;
        out.get_ref().sync_all().map_err(|e| unwritable(&temp, e))?;
        std::fs::rename(&temp, path).map_err(|e| unwritable(path, e))?;
        Ok(summary)
    });
    if result.is_err() {
        let _ = std::fs::remove_file(&temp);
    }
    result
}

/// Every input in turn into `sink`; rejects to `rejects_path` or stderr.
fn predict_all(
    bundle: &mlp_infer::Bundle,
    inputs: &[PathBuf],
    sink: &mut dyn RowSink,
    rejects_path: Option<&Path>,
    options: &PredictOptions,
) -> RunResult<FileSummary> {
    let mut total = FileSummary::default();
    let mut rejects_text: Vec<u8> = Vec::new();
    for input in inputs {
        let size = std::fs::metadata(input).map(|m| m.len()).unwrap_or(0);
        let bar = crate::progress::bytes_bar(size, &render::display_path(input));
        let mut rejects: Vec<u8> = Vec::new();
        let summary = batch::predict_file(bundle, input, sink, &mut rejects, options, &|read| bar.set_position(read));
        bar.finish_and_clear();
        let summary = summary?;
        // The rejects' header once.
        let skip =
            if rejects_text.is_empty() { 0 } else { rejects.iter().position(|&b| b == b'\n').map_or(0, |p| p + 1) };
        rejects_text.extend_from_slice(&rejects[skip..]);
        total.rows += summary.rows;
        total.predicted += summary.predicted;
        total.rejected += summary.rejected;
    }
    if total.rejected > 0 {
        match rejects_path {
            Some(path) => std::fs::write(path, &rejects_text).map_err(|e| unwritable(path, e))?,
            None => errln!("rejected rows (id,column,code,message):\n{}", String::from_utf8_lossy(&rejects_text)),
        }
    }
    Ok(total)
}
