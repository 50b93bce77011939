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
}

impl Sample {
    /// The schema the sampled cells imply: each column's type inferred from its cells
    /// ([`crate::types::infer_column`]), in header order.
    pub fn inferred_schema(&self) -> crate::types::Schema {
        let columns = self
            .columns
            .iter()
            .enumerate()
            .map(|(i, name)| {
                let cells: Vec<Option<&str>> = self.rows.iter().map(|r| r.get(i).and_then(|c| c.as_deref())).collect();
                let (ty, nullable) = crate::types::infer_column(&cells);
                crate::types::Column { name: name.clone(), ty, nullable }
            })
            .collect();
        crate::types::Schema { columns, inferred: true }
    }
}

/// Why a data sample could not be read.
#[derive(Clone, Debug, PartialEq)]
pub enum SampleError {
    /// No file matches the path or glob.
    NotFound,
    /// The file exists but has no header row.
    Empty,
    /// The format cannot be sampled by this world (e.g. Parquet without the runtime).
    Unsupported(String),
    /// Anything else, in words.
    Unreadable(String),
}

/// An entry of a folder.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DirEntry {
    pub name: String,
    pub is_dir: bool,
}

pub trait World {
    /// The text of a source file.
    fn read_source(&self, path: &Path) -> Result<String, String>;

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
