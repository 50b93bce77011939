//! Prediction over files: [`predict_file`] streams one CSV or JSON-lines file through a bundle a
//! chunk of rows at a time (memory bounded by the chunk, not the file) and writes each row's
//! prediction beside its id; [`run_batch`] does that for every input file of a batch target, one
//! output per input, each written under a temporary name and renamed when complete, with a
//! manifest (`batch.json`) of what was written — so a batch stopped midway (even by `kill -9`)
//! resumes where it stopped, skipping inputs already predicted with the same bundle.

use crate::bundle::{Bundle, Predictions};
use crate::error::{RunError, RunResult};
use crate::input::{RawChunk, RecordReader, parse_records};
use crate::predict::Prediction;
use crate::rows::{FieldError, from_json};
use mlp_compiler::codes::Code;
use mlp_compiler::types::{Column, ColumnType};
use mlp_data::Table;
use mlp_data::column_view::{cell_text, view};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};

/// Rows read, predicted and written at a time.
pub const CHUNK_ROWS: usize = 8192;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OutputFormat {
    Csv,
    Jsonl,
    /// Through `parquet_out::ParquetSink` (the `parquet` feature).
    Parquet,
}

impl OutputFormat {
    pub fn extension(self) -> &'static str {
        match self {
            OutputFormat::Csv => "csv",
            OutputFormat::Jsonl => "jsonl",
            OutputFormat::Parquet => "parquet",
        }
    }
}

/// What to do with a row that cannot be predicted.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OnError {
    /// Stop at the first such row, writing nothing under the output's name.
    Fail,
    /// Leave it out of the predictions and list it, with why, in the rejects.
    Skip,
}

#[derive(Clone, Debug)]
pub struct PredictOptions {
    pub chunk_rows: usize,
    pub on_error: OnError,
    pub format: OutputFormat,
    /// An input column copied beside each prediction; the row's line in its file otherwise.
    pub id_column: Option<String>,
}

impl Default for PredictOptions {
    fn default() -> Self {
        PredictOptions { chunk_rows: CHUNK_ROWS, on_error: OnError::Fail, format: OutputFormat::Csv, id_column: None }
    }
}

/// What predicting one file did.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct FileSummary {
    pub rows: usize,
    pub predicted: usize,
    pub rejected: usize,
}

fn read_error(path: &Path, e: impl std::fmt::Display) -> RunError {
    RunError::new(Code::E0725, format!("cannot read `{}`: {e}", path.display())).in_file(path, None, None)
}

fn write_error(path: &Path, e: impl std::fmt::Display) -> RunError {
    RunError::new(Code::E0836, format!("cannot write `{}`: {e}", path.display()))
        .with_help("write to a folder you can write to, with room for the output")
}

/// Whether `path` holds JSON lines (by its extension); CSV otherwise.
fn is_jsonl(path: &Path) -> bool {
    path.extension().is_some_and(|e| e == "jsonl" || e == "ndjson")
}

/// One chunk of input rows: the table of those that could be read, each one's id, and the
/// rows that could not, with why.
struct Chunk {
    table: Table,
    ids: Vec<String>,
    rejects: Vec<(String, FieldError)>,
}

/// Where predictions go, a chunk of rows at a time.
pub trait RowSink {
    fn rows(&mut self, predictions: &Predictions, ids: &[&str]) -> std::io::Result<()>;
    /// Completes the output (a Parquet footer); text needs only a flush.
    fn finish(&mut self) -> std::io::Result<()>;
}

/// CSV or JSON lines into a writer; the CSV header is written when the sink is made.
pub struct TextSink<'a> {
    out: &'a mut dyn Write,
    options: PredictOptions,
}

impl<'a> TextSink<'a> {
    pub fn new(out: &'a mut dyn Write, bundle: &Bundle, options: &PredictOptions) -> std::io::Result<TextSink<'a>> {
        out.write_all(header_line(bundle, options).as_bytes())?;
        Ok(TextSink { out, options: options.clone() })
    }
}

impl RowSink for TextSink<'_> {
    fn rows(&mut self, predictions: &Predictions, ids: &[&str]) -> std::io::Result<()> {
        self.out.write_all(format_rows(predictions, ids, &self.options).as_bytes())
    }

    fn finish(&mut self) -> std::io::Result<()> {
        self.out.flush()
    }
}

/// Streams `input` through `bundle`: predictions to `sink`, rows that cannot be predicted to
/// `rejects` (with `OnError::Skip`; a header first). `progress` hears the bytes read so far.
pub fn predict_file(
    bundle: &Bundle,
    input: &Path,
    sink: &mut dyn RowSink,
    rejects: &mut dyn Write,
    options: &PredictOptions,
    progress: &dyn Fn(u64),
) -> RunResult<FileSummary> {
    let file = std::fs::File::open(input).map_err(|e| read_error(input, e))?;
    let counted = CountingReader { inner: file, read: 0 };
    let reader = BufReader::with_capacity(1 << 20, counted);
    let mut summary = FileSummary::default();
    rejects.write_all(b"id,column,code,message\n").map_err(|e| write_error(Path::new("rejects"), e))?;
    let mut source = if is_jsonl(input) {
        Source::Jsonl(JsonlChunks { reader, line: 0, done: false })
    } else {
        Source::Csv(RecordReader::new(reader).map_err(|e| read_error(input, e))?)
    };
    // CSV chunks are parsed and predicted on every core at once, then written in order.
    let parallel = rayon::current_num_threads().max(1);
    loop {
        let (processed, read): (Vec<RunResult<Processed>>, u64) = match &mut source {
            Source::Csv(reader) => {
                let mut raws = Vec::with_capacity(parallel);
                while raws.len() < parallel {
                    match reader.next_raw(options.chunk_rows).map_err(|e| read_error(input, e))? {
                        Some(raw) => raws.push(raw),
                        None => break,
                    }
                }
                if raws.is_empty() {
                    break;
                }
                let header = &reader.header;
                let processed = raws
                    .par_iter()
                    .map(|raw| csv_chunk(header, raw, bundle, input, options).and_then(|c| process(bundle, c)))
                    .collect();
                (processed, reader.inner().get_ref().read)
            }
            Source::Jsonl(chunks) => {
                let Some(chunk) = chunks.next(bundle, input, options)? else { break };
                (vec![process(bundle, chunk)], chunks.reader.get_ref().read)
            }
        };
        for one in processed {
            let Processed { chunk, predictions, rows, errors } = one?;
            let unreadable: std::collections::BTreeSet<&str> =
                chunk.rejects.iter().map(|(id, _)| id.as_str()).collect();
            summary.rows += chunk.table.rows + unreadable.len();
            let mut bad = chunk.rejects;
            for error in errors {
                let Some(row) = error.row else { continue };
                bad.push((chunk.ids[row].clone(), error));
            }
            if !bad.is_empty() && options.on_error == OnError::Fail {
                let (id, error) = &bad[0];
                let mut failure = RunError::new(error.code, error.message.clone()).in_file(
                    input,
                    id.parse().ok().filter(|_| options.id_column.is_none()),
                    error.column.as_deref(),
                );
                failure.help = Some(format!(
                    "{}; or pass `--on-error skip` to predict the other rows and list the bad ones in a rejects file",
                    error.help.clone().unwrap_or_else(|| "fix the row".into())
                ));
                return Err(failure);
            }
            summary.rejected += bad.iter().map(|(id, _)| id.as_str()).collect::<std::collections::BTreeSet<_>>().len();
            let mut text = String::new();
            for (id, error) in &bad {
                let _ = writeln!(
                    text,
                    "{},{},{},{}",
                    quote(id),
                    quote(error.column.as_deref().unwrap_or("")),
                    error.code,
                    quote(&error.message)
                );
            }
            rejects.write_all(text.as_bytes()).map_err(|e| write_error(Path::new("rejects"), e))?;
            if let Some(predictions) = predictions {
                let ids: Vec<&str> = rows.iter().map(|&r| chunk.ids[r].as_str()).collect();
                sink.rows(&predictions, &ids).map_err(|e| write_error(Path::new("output"), e))?;
                summary.predicted += predictions.len();
            }
        }
        progress(read);
    }
    Ok(summary)
}

/// A chunk of rows with its predictions: of the rows `rows` (those that could be predicted), and
/// an error for each row that could not.
struct Processed {
    chunk: Chunk,
    predictions: Option<Predictions>,
    rows: Vec<usize>,
    errors: Vec<FieldError>,
}

fn process(bundle: &Bundle, chunk: Chunk) -> RunResult<Processed> {
    if chunk.table.rows == 0 {
        return Ok(Processed { chunk, predictions: None, rows: Vec::new(), errors: Vec::new() });
    }
    let (predictions, rows, errors) = bundle.predict_valid(&chunk.table)?;
    Ok(Processed { chunk, predictions: Some(predictions), rows, errors })
}

enum Source {
    Csv(RecordReader<Reader>),
    Jsonl(JsonlChunks),
}

/// The output's first line: the id column, then the class and each class's probability, or the
/// value (CSV only; JSON lines have none).
pub fn header_line(bundle: &Bundle, options: &PredictOptions) -> String {
    if options.format != OutputFormat::Csv {
        return String::new();
    }
    let id = options.id_column.clone().unwrap_or_else(|| "line".into());
    let manifest = bundle.manifest();
    let mut header = quote(&id);
    if manifest.classes.is_empty() {
        header.push_str(",value");
    } else {
        header.push_str(",class");
        for class in &manifest.classes {
            let _ = write!(header, ",{}", quote(&format!("p_{class}")));
        }
    }
    header.push('\n');
    header
}

/// Predictions as output rows, each after its id. Numbers are the shortest text that reads
/// back to the same 64-bit float.
pub fn format_rows(predictions: &Predictions, ids: &[&str], options: &PredictOptions) -> String {
    let format = options.format;
    let id_key = options.id_column.as_deref().unwrap_or("line");
    let mut text = String::with_capacity(ids.len() * 48);
    for (i, id) in ids.iter().enumerate() {
        match format {
            OutputFormat::Csv => {
                text.push_str(&quote(id));
                match &predictions.prediction {
                    Prediction::Classes(m) => {
                        let _ = write!(text, ",{}", quote(predictions.class_of(i).unwrap_or("")));
                        for p in m.row(i) {
                            let _ = write!(text, ",{p}");
                        }
                    }
                    Prediction::Values(v) => {
                        let _ = write!(text, ",{}", v[i]);
                    }
                }
            }
            OutputFormat::Jsonl | OutputFormat::Parquet => {
                let mut row = predictions.row_json(i);
                if let Some(object) = row.as_object_mut() {
                    object.insert(id_key.to_string(), serde_json::Value::String((*id).to_string()));
                }
                text.push_str(&row.to_string());
            }
        }
        text.push('\n');
    }
    text
}

/// A CSV field: quoted when it holds a comma, quote or line break.
pub fn quote(text: &str) -> String {
    if text.contains([',', '"', '\n', '\r']) { format!("\"{}\"", text.replace('"', "\"\"")) } else { text.to_string() }
}

/// Counts the bytes read through it (for progress on a multi-GB file).
struct CountingReader<R> {
    inner: R,
    read: u64,
}

impl<R: std::io::Read> std::io::Read for CountingReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.read += n as u64;
        Ok(n)
    }
}

type Reader = BufReader<CountingReader<std::fs::File>>;

/// Parses one chunk of CSV records (see [`parse_records`]): the table of those that parse, each
/// row's id, and each record set aside with why.
fn csv_chunk(
    header: &[u8],
    raw: &RawChunk,
    bundle: &Bundle,
    input: &Path,
    options: &PredictOptions,
) -> RunResult<Chunk> {
    let mut schema = bundle.input_schema();
    if let Some(id) = &options.id_column {
        if !schema.columns.iter().any(|c| c.name == *id) {
            schema.columns.push(Column { name: id.clone(), ty: ColumnType::Text, nullable: true });
        }
    }
    let delimiter = if input.extension().is_some_and(|e| e == "tsv") { b'\t' } else { b',' };
    // The common case first: every record of the chunk parses, in one pass over its bytes.
    let mut body = Vec::with_capacity(header.len() + raw.bytes.len() + 1);
    body.extend_from_slice(header);
    if body.last() != Some(&b'\n') {
        body.push(b'\n');
    }
    let header_lines = body.iter().filter(|&&b| b == b'\n').count() as u64;
    body.extend_from_slice(&raw.bytes);
    if let Ok(mut table) = mlp_data::parse_csv(&body, delimiter, &schema, input) {
        // Lines of the body are lines of the input from the chunk's first on.
        for file in &mut table.files {
            for line in &mut file.lines {
                *line = raw.first_line + line.saturating_sub(1 + header_lines);
            }
        }
        let ids = match &options.id_column {
            Some(id) => {
                let column = view(&table, id)?;
                (0..table.rows).map(|r| cell_text(&column, r).unwrap_or_default()).collect()
            }
            None => table.files.iter().flat_map(|f| f.lines.iter().map(u64::to_string)).collect(),
        };
        return Ok(Chunk { table, ids, rejects: Vec::new() });
    }
    drop(body);
    let records = &raw.records();
    let max_rejects = match options.on_error {
        OnError::Fail => 0,
        OnError::Skip => usize::MAX,
    };
    let parsed = parse_records(header, records, delimiter, &schema, input, max_rejects)
        .map_err(|e| with_skip_help(e, options))?;
    let ids = match &options.id_column {
        Some(id) => {
            let column = view(&parsed.table, id)?;
            (0..parsed.table.rows).map(|r| cell_text(&column, r).unwrap_or_default()).collect()
        }
        None => parsed.kept.iter().map(|&k| records[k].line.to_string()).collect(),
    };
    // A record that did not parse keeps its id when the id cell itself can be read.
    let id_at =
        options.id_column.as_ref().and_then(|id| cells(header, delimiter).iter().position(|h| h.trim() == id.as_str()));
    let rejects = parsed
        .rejected
        .iter()
        .map(|(k, e)| {
            let id = match id_at {
                Some(at) => cells(&records[*k].bytes, delimiter).get(at).cloned().unwrap_or_default(),
                None => records[*k].line.to_string(),
            };
            (id, FieldError::from_run_error(Some(*k), e))
        })
        .collect();
    Ok(Chunk { table: parsed.table, ids, rejects })
}

/// The cells of one CSV record (quotes removed, `""` read as `"`), for the id of a record the
/// parser refused.
fn cells(record: &[u8], delimiter: u8) -> Vec<String> {
    let text = String::from_utf8_lossy(record);
    let text = text.trim_end_matches(['\n', '\r']);
    let mut out = Vec::new();
    let mut cell = String::new();
    let mut quoted = false;
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '"' if quoted && chars.peek() == Some(&'"') => {
                cell.push('"');
                chars.next();
            }
            '"' => quoted = !quoted,
            c if !quoted && c == char::from(delimiter) => out.push(std::mem::take(&mut cell)),
            c => cell.push(c),
        }
    }
    out.push(cell);
    out
}

fn with_skip_help(error: RunError, options: &PredictOptions) -> RunError {
    if options.on_error == OnError::Fail && error.location.as_ref().and_then(|l| l.line).unwrap_or(0) > 1 {
        let help = error.help.clone().unwrap_or_else(|| "fix the row".into());
        error.with_help(format!("{help}; or pass `--on-error skip` to predict the other rows and list the bad ones"))
    } else {
        error
    }
}

struct JsonlChunks {
    reader: Reader,
    line: u64,
    done: bool,
}

impl JsonlChunks {
    /// The next chunk of rows; `None` at the end.
    fn next(&mut self, bundle: &Bundle, input: &Path, options: &PredictOptions) -> RunResult<Option<Chunk>> {
        if self.done {
            return Ok(None);
        }
        let manifest = bundle.manifest();
        let mut values = Vec::new();
        let mut lines = Vec::new();
        let mut rejects = Vec::new();
        let mut text = String::new();
        while values.len() < options.chunk_rows {
            text.clear();
            if self.reader.read_line(&mut text).map_err(|e| read_error(input, e))? == 0 {
                self.done = true;
                break;
            }
            self.line += 1;
            if text.trim().is_empty() {
                continue;
            }
            match serde_json::from_str::<serde_json::Value>(&text) {
                Ok(mut value) => {
                    if let (Some(id), Some(object)) = (&options.id_column, value.as_object_mut()) {
                        let id_value = object.get(id).map(|v| match v {
                            serde_json::Value::String(s) => s.clone(),
                            other => other.to_string(),
                        });
                        if !manifest.inputs.iter().any(|c| c.name == *id) {
                            object.remove(id);
                        }
                        lines.push(id_value.unwrap_or_default());
                    } else {
                        lines.push(self.line.to_string());
                    }
                    values.push(value);
                }
                Err(e) => {
                    let error = FieldError::new(values.len(), None, Code::E0832, format!("the line is not JSON: {e}"));
                    if options.on_error == OnError::Fail {
                        return Err(RunError::new(Code::E0832, error.message).in_file(input, Some(self.line), None));
                    }
                    rejects.push((self.line.to_string(), error));
                }
            }
        }
        if values.is_empty() && rejects.is_empty() {
            return Ok(None);
        }
        // The rows with a wrong field are set aside (every error of each), and the others read
        // again; each pass removes at least one row, so this ends.
        let ignored = [manifest.label.as_str()];
        let mut ids = lines;
        let table = loop {
            let errors = match from_json(&values, &manifest.inputs, &ignored) {
                Ok(table) => break table,
                Err(errors) => errors,
            };
            if options.on_error == OnError::Fail {
                let e = &errors[0];
                let line = e.row.and_then(|r| ids[r].parse().ok());
                return Err(RunError::new(e.code, e.message.clone()).in_file(input, line, e.column.as_deref()));
            }
            let mut bad: Vec<usize> = errors.iter().filter_map(|e| e.row).collect();
            bad.sort_unstable();
            bad.dedup();
            rejects.extend(errors.into_iter().filter_map(|e| Some((ids[e.row?].clone(), e))));
            let kept = |i: &usize| bad.binary_search(i).is_err();
            values = values.into_iter().enumerate().filter(|(i, _)| kept(i)).map(|(_, v)| v).collect();
            ids = ids.into_iter().enumerate().filter(|(i, _)| kept(i)).map(|(_, id)| id).collect();
        };
        Ok(Some(Chunk { table, ids, rejects }))
    }
}

/// One output file of a batch, as `batch.json` records it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct BatchFile {
    pub input: PathBuf,
    pub output: PathBuf,
    /// The input's size and modification time when it was predicted: an input that changed is
    /// predicted again.
    pub input_bytes: u64,
    pub input_modified: u128,
    pub bundle: String,
    #[serde(flatten)]
    pub summary: FileSummary,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rejects: Option<PathBuf>,
}

/// `batch.json`: the outputs a batch has written, by input.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct BatchManifest {
    pub files: BTreeMap<String, BatchFile>,
}

pub const BATCH_MANIFEST: &str = "batch.json";

/// What one batch did: each input predicted now, and each skipped as already predicted.
#[derive(Clone, Debug, Default, Serialize)]
pub struct BatchOutcome {
    pub predicted: Vec<BatchFile>,
    pub skipped: Vec<BatchFile>,
}

fn modified(meta: &std::fs::Metadata) -> u128 {
    meta.modified().ok().and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok()).map_or(0, |d| d.as_nanos())
}

/// Writes `bytes` to `path` through a temporary file renamed over it (synced first).
fn write_atomic(path: &Path, bytes: &[u8]) -> RunResult<()> {
    let temp = temporary(path);
    let mut file = std::fs::File::create(&temp).map_err(|e| write_error(&temp, e))?;
    file.write_all(bytes).and_then(|()| file.sync_all()).map_err(|e| write_error(&temp, e))?;
    std::fs::rename(&temp, path).map_err(|e| write_error(path, e))
}

fn temporary(path: &Path) -> PathBuf {
    let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    path.with_file_name(format!(".{name}.partial"))
}

/// Predicts every file of `inputs` into `output_dir` (created): `<stem>.predictions.<ext>` per
/// input, and `<stem>.rejects.csv` when rows were skipped. `progress` hears the input being
/// predicted and the bytes read of it.
pub fn run_batch(
    bundle: &Bundle,
    inputs: &[PathBuf],
    output_dir: &Path,
    options: &PredictOptions,
    progress: &dyn Fn(&Path, u64, u64),
) -> RunResult<BatchOutcome> {
    std::fs::create_dir_all(output_dir).map_err(|e| write_error(output_dir, e))?;
    let manifest_path = output_dir.join(BATCH_MANIFEST);
    let mut manifest: BatchManifest =
        std::fs::read(&manifest_path).ok().and_then(|bytes| serde_json::from_slice(&bytes).ok()).unwrap_or_default();
    let mut outcome = BatchOutcome::default();
    let mut stems: BTreeMap<String, &Path> = BTreeMap::new();
    for input in inputs {
        let stem = input.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default();
        if let Some(other) = stems.insert(stem.clone(), input) {
            return Err(RunError::new(
                Code::E0836,
                format!(
                    "`{}` and `{}` would both write `{stem}.predictions.{}`",
                    other.display(),
                    input.display(),
                    options.format.extension()
                ),
            )
            .with_help("give the input files different names, or predict them into different folders"));
        }
        let meta = std::fs::metadata(input).map_err(|e| read_error(input, e))?;
        let key = input.display().to_string();
        let output = output_dir.join(format!("{stem}.predictions.{}", options.format.extension()));
        if let Some(done) = manifest.files.get(&key) {
            if done.bundle == bundle.id()
                && done.input_bytes == meta.len()
                && done.input_modified == modified(&meta)
                && done.output == output
                && output.is_file()
            {
                outcome.skipped.push(done.clone());
                continue;
            }
        }
        let rejects_path = output_dir.join(format!("{stem}.rejects.csv"));
        let temp = temporary(&output);
        let temp_rejects = temporary(&rejects_path);
        let summary = {
            let mut out = std::io::BufWriter::new(std::fs::File::create(&temp).map_err(|e| write_error(&temp, e))?);
            let mut rejects = std::io::BufWriter::new(
                std::fs::File::create(&temp_rejects).map_err(|e| write_error(&temp_rejects, e))?,
            );
            let total = meta.len();
            let result =
                TextSink::new(&mut out, bundle, options).map_err(|e| write_error(&temp, e)).and_then(|mut sink| {
                    predict_file(bundle, input, &mut sink, &mut rejects, options, &|read| progress(input, read, total))
                });
            let result = result.and_then(|summary| {
                out.flush().map_err(|e| write_error(&temp, e))?;
                rejects.flush().map_err(|e| write_error(&temp_rejects, e))?;
                out.get_ref().sync_all().map_err(|e| write_error(&temp, e))?;
                Ok(summary)
            });
            if result.is_err() {
                let _ = std::fs::remove_file(&temp);
                let _ = std::fs::remove_file(&temp_rejects);
            }
            result?
        };
        std::fs::rename(&temp, &output).map_err(|e| write_error(&output, e))?;
        let rejects = if summary.rejected > 0 {
            std::fs::rename(&temp_rejects, &rejects_path).map_err(|e| write_error(&rejects_path, e))?;
            Some(rejects_path)
        } else {
            let _ = std::fs::remove_file(&temp_rejects);
            let _ = std::fs::remove_file(&rejects_path);
            None
        };
        let done = BatchFile {
            input: input.clone(),
            output,
            input_bytes: meta.len(),
            input_modified: modified(&meta),
            bundle: bundle.id().to_string(),
            summary,
            rejects,
        };
        manifest.files.insert(key, done.clone());
        let mut text = serde_json::to_string_pretty(&manifest).unwrap_or_default();
        text.push('\n');
        write_atomic(&manifest_path, text.as_bytes())?;
        outcome.predicted.push(done);
    }
    if let Ok(dir) = std::fs::File::open(output_dir) {
        let _ = dir.sync_all();
    }
    Ok(outcome)
}
