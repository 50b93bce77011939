//! The file-system [`World`]: how the CLI and the runtime give the compiler source files and data samples.

use mlp_compiler::program::Format;
use mlp_compiler::world::{DirEntry, Sample, SampleError, World};
use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};

pub struct FsWorld;

impl World for FsWorld {
    fn read_source(&self, path: &Path) -> Result<String, String> {
        let bytes = std::fs::read(path).map_err(|e| io_reason(&e))?;
        String::from_utf8(bytes)
            .map_err(|e| format!("the file is not valid UTF-8 (byte {})", e.utf8_error().valid_up_to()))
    }

    fn sample(&self, format: &Format, path: &Path, max_rows: usize) -> Result<Sample, SampleError> {
        let file = first_match(path)?;
        match format {
            Format::Csv { delimiter, .. } => sample_csv(&file, delimiter.byte(), max_rows),
            Format::Jsonl { .. } => sample_jsonl(&file, max_rows),
            other => Err(SampleError::Unsupported(format!(
                "{} files are read by the runtime, not the checker",
                other.name()
            ))),
        }
    }

    fn read_bytes(&self, path: &Path, max_bytes: usize) -> Result<Vec<u8>, SampleError> {
        let file = std::fs::File::open(path).map_err(|e| match e.kind() {
            std::io::ErrorKind::NotFound => SampleError::NotFound,
            _ => SampleError::Unreadable(io_reason(&e)),
        })?;
        let mut bytes = Vec::new();
        file.take(max_bytes as u64).read_to_end(&mut bytes).map_err(|e| SampleError::Unreadable(io_reason(&e)))?;
        Ok(bytes)
    }

    fn list_dir(&self, path: &Path) -> Result<Vec<DirEntry>, SampleError> {
        let entries = std::fs::read_dir(path).map_err(|e| match e.kind() {
            std::io::ErrorKind::NotFound => SampleError::NotFound,
            _ => SampleError::Unreadable(io_reason(&e)),
        })?;
        let mut listed = Vec::new();
        for entry in entries {
            let entry = entry.map_err(|e| SampleError::Unreadable(io_reason(&e)))?;
            // Follows links, so a class folder may be a symbolic link to the images.
            let is_dir = entry.path().is_dir();
            listed.push(DirEntry { name: entry.file_name().to_string_lossy().into_owned(), is_dir });
        }
        listed.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(listed)
    }
}

fn io_reason(error: &std::io::Error) -> String {
    match error.kind() {
        std::io::ErrorKind::NotFound => "no such file".to_string(),
        std::io::ErrorKind::PermissionDenied => "permission denied".to_string(),
        _ => error.to_string(),
    }
}

/// The path itself, or the first file (in sorted order) a glob matches.
fn first_match(path: &Path) -> Result<PathBuf, SampleError> {
    let text = path.to_string_lossy();
    if !text.contains(['*', '?', '[']) {
        return if path.is_file() { Ok(path.to_path_buf()) } else { Err(SampleError::NotFound) };
    }
    let pattern = glob::glob(&text).map_err(|e| SampleError::Unreadable(format!("invalid glob: {e}")))?;
    let mut matches: Vec<PathBuf> = pattern.filter_map(Result::ok).filter(|p| p.is_file()).collect();
    matches.sort();
    matches.into_iter().next().ok_or(SampleError::NotFound)
}

fn sample_csv(path: &Path, delimiter: u8, max_rows: usize) -> Result<Sample, SampleError> {
    let file = std::fs::File::open(path).map_err(|e| SampleError::Unreadable(io_reason(&e)))?;
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .flexible(true)
        .has_headers(true)
        .from_reader(BufReader::new(file));
    let header = reader.byte_headers().map_err(|e| SampleError::Unreadable(e.to_string()))?.clone();
    if header.is_empty() || (header.len() == 1 && header[0].is_empty()) {
        return Err(SampleError::Empty);
    }
    let decode = |bytes: &[u8]| {
        String::from_utf8(bytes.to_vec()).map_err(|_| SampleError::Unreadable("not valid UTF-8".to_string()))
    };
    let mut columns = Vec::with_capacity(header.len());
    for (i, name) in header.iter().enumerate() {
        // A UTF-8 byte-order mark belongs to the file, not to the first column's name.
        let name = if i == 0 { name.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(name) } else { name };
        columns.push(decode(name)?.trim().to_string());
    }
    let mut rows = Vec::new();
    for record in reader.byte_records().take(max_rows) {
        let record = record.map_err(|e| SampleError::Unreadable(e.to_string()))?;
        let row = record
            .iter()
            .map(|cell| decode(cell).map(|c| Some(c).filter(|c| !c.trim().is_empty())))
            .collect::<Result<Vec<_>, _>>()?;
        rows.push(row);
    }
    Ok(Sample { path: path.to_path_buf(), columns, rows })
}

fn sample_jsonl(path: &Path, max_rows: usize) -> Result<Sample, SampleError> {
    let file = std::fs::File::open(path).map_err(|e| SampleError::Unreadable(io_reason(&e)))?;
    let mut columns: Vec<String> = Vec::new();
    let mut objects = Vec::new();
    for (n, line) in BufReader::new(file).lines().enumerate() {
        let line = line.map_err(|e| SampleError::Unreadable(e.to_string()))?;
        if line.trim().is_empty() {
            continue;
        }
        let value: serde_json::Value =
            serde_json::from_str(&line).map_err(|e| SampleError::Unreadable(format!("line {}: {e}", n + 1)))?;
        let serde_json::Value::Object(map) = value else {
            return Err(SampleError::Unreadable(format!("line {} is not a JSON object", n + 1)));
        };
        for key in map.keys() {
            if !columns.contains(key) {
                columns.push(key.clone());
            }
        }
        objects.push(map);
        if objects.len() >= max_rows {
            break;
        }
    }
    if objects.is_empty() {
        return Err(SampleError::Empty);
    }
    let rows = objects
        .iter()
        .map(|map| {
            columns
                .iter()
                .map(|c| match map.get(c) {
                    None | Some(serde_json::Value::Null) => None,
                    Some(serde_json::Value::String(s)) => Some(s.clone()),
                    Some(other) => Some(other.to_string()),
                })
                .collect()
        })
        .collect();
    Ok(Sample { path: path.to_path_buf(), columns, rows })
}
