//! The compiler's only window on the outside: source files and samples of data files arrive
//! through [`World`], which the CLI, the language server and tests implement. This keeps the
//! compiler free of I/O and makes every check reproducible from in-memory inputs.

use crate::program::Format;
use std::path::{Path, PathBuf};

/// A header and the first rows of a data file, as text cells: `None` for a missing cell (empty,
/// or a marker such as `NA`: the world reads the file as the loader will, and the loader decides
/// what is missing).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Sample {
    /// The file the sample was read from (the first match of a glob).
    pub path: PathBuf,
    pub columns: Vec<String>,
    pub rows: Vec<Vec<Option<String>>>,
    /// The 1-based line of each row in the file, when the world knows it (empty otherwise).
    pub lines: Vec<u64>,
}

impl Sample {
    /// The schema the sampled cells imply: each column's type inferred from its cells
    /// ([`crate::types::infer_column`]), in header order.
    pub fn inferred_schema(&self) -> crate::types::Schema {
        let columns = self
            .inferred()
            .into_iter()
            .zip(&self.columns)
            .map(|(inferred, name)| crate::types::Column {
                name: name.clone(),
                ty: inferred.ty,
                nullable: inferred.nullable,
            })
            .collect();
        crate::types::Schema { columns, inferred: true }
    }

    /// Each column's inferred type with its [`crate::types::Note`], in header order.
    pub fn inferred(&self) -> Vec<crate::types::Inferred> {
        (0..self.columns.len())
            .map(|i| {
                let cells: Vec<Option<&str>> = self.rows.iter().map(|r| r.get(i).and_then(|c| c.as_deref())).collect();
                crate::types::infer(&cells)
            })
            .collect()
    }

    /// Where sampled row `row` is, for a message: `line 12`, or `row 12 of the sample` when the
    /// world gave no lines.
    pub fn where_is(&self, row: usize) -> String {
        match self.lines.get(row) {
            Some(line) => format!("line {line}"),
            None => format!("data row {}", row + 1),
        }
    }
}

/// Why a data sample could not be read.
#[derive(Clone, Debug, PartialEq)]
pub enum SampleError {
    /// No file matches the path or glob.
    NotFound,
    /// The path names something other than a regular file (a directory, a FIFO, a device): what
    /// it is, in words. It is never opened, so a FIFO cannot block the check.
    NotRegular(String),
    /// A glob visited more directory entries, or took longer, than a check allows.
    GlobTooBroad(GlobBound),
    /// The bytes are not UTF-8: the 1-based line and the byte offset in the file of the first
    /// invalid byte.
    NotUtf8 { line: u64, byte: u64 },
    /// The file exists but has no header row.
    Empty,
    /// The format cannot be sampled by this world (e.g. Parquet without the runtime).
    Unsupported(String),
    /// Anything else, in words.
    Unreadable(String),
}

/// Where a glob's walk stopped: the entries it visited, and whether the time budget ran out
/// (otherwise the entry budget did).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GlobBound {
    pub visited: usize,
    pub timed_out: bool,
}

/// Why a spec file cannot be read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SourceError {
    /// Missing, unreadable, not UTF-8: why, in words.
    Unreadable(String),
    /// Not a regular file: what it is, in words ("a directory", "a FIFO"). It is never opened.
    NotRegular(String),
    /// Larger than [`MAX_SOURCE_BYTES`]: the size found (at least), in bytes.
    TooLarge(u64),
}

impl std::fmt::Display for SourceError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SourceError::Unreadable(why) => f.write_str(why),
            SourceError::NotRegular(what) => write!(f, "it is {what}, not a regular file"),
            SourceError::TooLarge(size) => {
                write!(
                    f,
                    "it holds at least {size} bytes, over the limit of {} MiB for a spec file",
                    MAX_SOURCE_BYTES >> 20
                )
            }
        }
    }
}

/// The largest spec file read (16 MiB): a spec is text written by people, and a crafted path
/// (`/dev/zero`) must not make a check read without bound.
pub const MAX_SOURCE_BYTES: u64 = 16 << 20;

/// An entry of a folder.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DirEntry {
    pub name: String,
    pub is_dir: bool,
}

pub trait World {
    /// The text of a source file.
    fn read_source(&self, path: &Path) -> Result<String, String>;

    /// The text of a spec file, with why it cannot be read as data: imports are read through
    /// this, so a world that reads files can refuse what is not a regular file (E0012) or is too
    /// large (E0013) before it opens it. Worlds without files keep the default.
    fn read_spec(&self, path: &Path) -> Result<String, SourceError> {
        self.read_source(path).map_err(SourceError::Unreadable)
    }

    /// Header and up to `max_rows` rows of the data file(s) at `path` (a path or a glob, resolved
    /// from the format's own path) in a table format (`csv`, `parquet`, `jsonl`) with its
    /// options, such as a CSV delimiter.
    fn sample(&self, format: &Format, path: &Path, max_rows: usize) -> Result<Sample, SampleError>;

    /// Up to `max_bytes` bytes from the start of the file at `path` (an `idx` source's header, its
    /// labels). Worlds without data files keep the default.
    fn read_bytes(&self, path: &Path, max_bytes: usize) -> Result<Vec<u8>, SampleError> {
        let _ = (path, max_bytes);
        Err(SampleError::Unsupported("this context reads no data files".into()))
    }

    /// The entries of the folder at `path`, sorted by name (an `images` source's class folders).
    fn list_dir(&self, path: &Path) -> Result<Vec<DirEntry>, SampleError> {
        let _ = path;
        Err(SampleError::Unsupported("this context reads no data files".into()))
    }
}

/// Rows read to infer a schema: enough to see every level of a categorical column in practice.
pub const SAMPLE_ROWS: usize = 1000;
