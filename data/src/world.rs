//! The file-system [`World`]: how the CLI and the runtime give the compiler source files and data
//! samples. A sample is read by the loader's own CSV and JSON-lines code (`csv::sample`,
//! `jsonl::sample`), so the checker infers a schema from the cells the loader will read.

use crate::paths::{self, GLOB_LIMITS, GlobError};
use mlp_compiler::program::Format;
use mlp_compiler::world::{DirEntry, MAX_SOURCE_BYTES, Sample, SampleError, SourceError, World};
use std::io::Read;
use std::path::{Path, PathBuf};

pub struct FsWorld;

impl World for FsWorld {
    fn read_source(&self, path: &Path) -> Result<String, String> {
        self.read_spec(path).map_err(|e| e.to_string())
    }

    /// A regular file of at most [`MAX_SOURCE_BYTES`]: the metadata is read first, so a FIFO or
    /// a device is never opened, and the read stops one byte past the limit whatever the
    /// metadata said (a `/proc` file reports size 0).
    fn read_spec(&self, path: &Path) -> Result<String, SourceError> {
        let metadata = std::fs::metadata(path).map_err(|e| SourceError::Unreadable(io_reason(&e)))?;
        if !metadata.is_file() {
            return Err(SourceError::NotRegular(paths::kind_of(&metadata)));
        }
        if metadata.len() > MAX_SOURCE_BYTES {
            return Err(SourceError::TooLarge(metadata.len()));
        }
        let file = std::fs::File::open(path).map_err(|e| SourceError::Unreadable(io_reason(&e)))?;
        let mut bytes = Vec::new();
        file.take(MAX_SOURCE_BYTES + 1).read_to_end(&mut bytes).map_err(|e| SourceError::Unreadable(io_reason(&e)))?;
        if bytes.len() as u64 > MAX_SOURCE_BYTES {
            return Err(SourceError::TooLarge(bytes.len() as u64));
        }
        String::from_utf8(bytes).map_err(|e| {
            SourceError::Unreadable(format!("the file is not valid UTF-8 (byte {})", e.utf8_error().valid_up_to()))
        })
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
        regular(path)?;
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

/// `Ok` for a regular file; otherwise why not, from its metadata (it is never opened).
fn regular(path: &Path) -> Result<(), SampleError> {
    match paths::irregular(path) {
        Ok(None) => Ok(()),
        Ok(Some(kind)) => Err(SampleError::NotRegular(kind)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Err(SampleError::NotFound),
        Err(e) => Err(SampleError::Unreadable(io_reason(&e))),
    }
}

/// The path itself when it is a regular file, or the first regular file (in sorted order) a
/// glob matches, walking no more than [`GLOB_LIMITS`].
fn first_match(path: &Path) -> Result<PathBuf, SampleError> {
    let text = path.to_string_lossy();
    if !paths::is_glob(&text) {
        regular(path)?;
        return Ok(path.to_path_buf());
    }
    let matches = paths::glob_files(path, GLOB_LIMITS).map_err(|e| match e {
        GlobError::Invalid(why) => SampleError::Unreadable(format!("invalid glob: {why}")),
        GlobError::TooBroad(bound) => SampleError::GlobTooBroad(bound),
    })?;
    matches.into_iter().next().ok_or(SampleError::NotFound)
}

/// Reads the start of `file`, more and more of it, until `sample` has what it needs: it gets the
/// bytes read so far and whether they are the whole file, and answers `None` for more. The
/// checker asks for 1,000 rows, so most files are read in one 64 KiB step, never mapped or read
/// whole.
fn sample_prefix(
    file: &Path,
    sample: impl Fn(&[u8], bool) -> Option<Result<Sample, SampleError>>,
) -> Result<Sample, SampleError> {
    let mut reader = std::fs::File::open(file).map_err(|e| SampleError::Unreadable(io_reason(&e)))?;
    let mut bytes = Vec::new();
    let mut want: usize = 64 << 10;
    loop {
        let missing = want - bytes.len();
        let read = (&mut reader)
            .take(missing as u64)
            .read_to_end(&mut bytes)
            .map_err(|e| SampleError::Unreadable(io_reason(&e)))?;
        let complete = read < missing;
        if let Some(sampled) = sample(&bytes, complete) {
            return sampled;
        }
        if complete {
            // Unreachable: a sample of the whole file always has an answer.
            return Err(SampleError::Unreadable("the file could not be sampled".to_string()));
        }
        want = want.saturating_mul(2);
    }
}

fn sample_csv(file: &Path, delimiter: u8, max_rows: usize) -> Result<Sample, SampleError> {
    sample_prefix(file, |bytes, complete| crate::csv::sample(file, bytes, complete, delimiter, max_rows))
}

fn sample_jsonl(file: &Path, max_rows: usize) -> Result<Sample, SampleError> {
    sample_prefix(file, |bytes, complete| crate::jsonl::sample(file, bytes, complete, max_rows))
}
