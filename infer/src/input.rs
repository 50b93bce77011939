//! Input files and bodies as tables of a bundle's input columns, through mlp-data's own CSV
//! parser (the one that read the training data, so a cell means at prediction what it meant in
//! training): records are cut at newlines outside quotes, read a chunk at a time (memory bounded
//! by the chunk, not the file), and a malformed record is set aside with its error while the rest
//! of the chunk is read.

use crate::bundle::input_schema;
use crate::error::{RunError, RunResult};
use crate::manifest::InputColumn;
use crate::rows::FieldError;
use mlp_compiler::codes::Code;
use mlp_compiler::types::Schema;
use mlp_data::Table;
use std::io::BufRead;
use std::path::Path;

/// Records set aside in one body before giving up on it.
pub const MAX_REJECTS: usize = 1000;

/// One CSV record: its bytes (newline included) and the 1-based line it starts on.
#[derive(Clone, Debug)]
pub struct Record {
    pub line: u64,
    pub bytes: Vec<u8>,
}

/// A chunk of records parsed: the table of those that parsed, which records they are (indices
/// into the chunk, in order), and each record set aside with its error.
pub struct Parsed {
    pub table: Table,
    pub kept: Vec<usize>,
    pub rejected: Vec<(usize, RunError)>,
}

/// Whether `bytes` leave a quoted field open (an odd number of quotes).
fn open_quote(bytes: &[u8]) -> bool {
    bytes.iter().filter(|&&b| b == b'"').count() % 2 == 1
}

/// Reads a CSV file or stream a chunk of records at a time.
pub struct RecordReader<R: BufRead> {
    reader: R,
    pub header: Vec<u8>,
    /// The line the next record starts on.
    line: u64,
}

impl<R: BufRead> RecordReader<R> {
    /// Reads the header line. An empty input has an empty header.
    pub fn new(mut reader: R) -> std::io::Result<RecordReader<R>> {
        let mut header = Vec::new();
        let mut line = 1;
        loop {
            let mut part = Vec::new();
            if reader.read_until(b'\n', &mut part)? == 0 {
                break;
            }
            header.extend_from_slice(&part);
            line += 1;
            if !open_quote(&header) {
                break;
            }
        }
        Ok(RecordReader { reader, header, line })
    }

    /// The reader the records come from.
    pub fn inner(&self) -> &R {
        &self.reader
    }

    /// The bytes of up to `max` records in one buffer (cut by [`RawChunk::records`] later, on
    /// any thread); `None` at the end of the input.
    pub fn next_raw(&mut self, max: usize) -> std::io::Result<Option<RawChunk>> {
        let first_line = self.line;
        let mut bytes = Vec::with_capacity(1 << 20);
        let mut records = 0;
        let mut quotes_open = false;
        while records < max {
            let start = bytes.len();
            if self.reader.read_until(b'\n', &mut bytes)? == 0 {
                break;
            }
            self.line += 1;
            let line = &bytes[start..];
            if memchr::memchr(b'"', line).is_some() && open_quote(line) {
                quotes_open = !quotes_open;
            }
            if !quotes_open {
                records += 1;
            }
        }
        if bytes.is_empty() {
            return Ok(None);
        }
        if bytes.last() != Some(&b'\n') {
            bytes.push(b'\n');
        }
        Ok(Some(RawChunk { first_line, bytes }))
    }
}

/// Consecutive records of a CSV input as read, before they are cut apart.
pub struct RawChunk {
    /// The line the first record starts on.
    pub first_line: u64,
    pub bytes: Vec<u8>,
}

impl RawChunk {
    /// The records, each with the line it starts on (newlines inside quotes belong to their
    /// record; blank lines are skipped).
    pub fn records(&self) -> Vec<Record> {
        let mut records = Vec::new();
        let mut line = self.first_line;
        let mut start = 0;
        let mut start_line = line;
        let mut quoted = false;
        for (i, &b) in self.bytes.iter().enumerate() {
            match b {
                b'"' => quoted = !quoted,
                b'\n' => {
                    line += 1;
                    if !quoted {
                        let record = &self.bytes[start..=i];
                        if !record.iter().all(u8::is_ascii_whitespace) {
                            records.push(Record { line: start_line, bytes: record.to_vec() });
                        }
                        start = i + 1;
                        start_line = line;
                    }
                }
                _ => {}
            }
        }
        records
    }
}

/// Parses `records` under `header` with the training data's CSV parser. A record that does not
/// parse is set aside (at most `max_rejects`); a problem with the header (a needed column
/// absent) fails the whole chunk.
pub fn parse_records(
    header: &[u8],
    records: &[Record],
    delimiter: u8,
    schema: &Schema,
    name: &Path,
    max_rejects: usize,
) -> RunResult<Parsed> {
    let mut kept: Vec<usize> = (0..records.len()).collect();
    let mut rejected = Vec::new();
    loop {
        let mut body = header.to_vec();
        if body.last() != Some(&b'\n') {
            body.push(b'\n');
        }
        // Line of each kept record in `body` (the parser numbers from the header's line 1).
        let mut starts = Vec::with_capacity(kept.len());
        let mut line = 1 + header.iter().filter(|&&b| b == b'\n').count().max(1) as u64;
        for &k in &kept {
            starts.push(line);
            body.extend_from_slice(&records[k].bytes);
            line += records[k].bytes.iter().filter(|&&b| b == b'\n').count() as u64;
        }
        match mlp_data::parse_csv(&body, delimiter, schema, name) {
            Ok(mut table) => {
                // Rows point at the lines of the input, not of the chunk.
                for file in &mut table.files {
                    if file.lines.len() == kept.len() {
                        for (l, &k) in file.lines.iter_mut().zip(&kept) {
                            *l = records[k].line;
                        }
                    }
                }
                return Ok(Parsed { table, kept, rejected });
            }
            Err(error) => {
                let at = error.location.as_ref().and_then(|l| l.line).and_then(|l| {
                    // The record holding that line.
                    starts.iter().rposition(|&s| s <= l)
                });
                let Some(i) = at.filter(|_| error.location.as_ref().and_then(|l| l.line).unwrap_or(0) > 1) else {
                    return Err(error);
                };
                let record = kept.remove(i);
                let mut error = error;
                if let Some(location) = &mut error.location {
                    location.line = Some(records[record].line);
                    location.path = name.to_path_buf();
                }
                if max_rejects == 0 {
                    return Err(error);
                }
                rejected.push((record, error));
                if rejected.len() > max_rejects {
                    return Err(RunError::new(
                        Code::E0832,
                        format!("more than {max_rejects} rows of the input cannot be read"),
                    )
                    .with_help("check that the input has the columns and types the model was trained on"));
                }
            }
        }
    }
}

/// A CSV body (header and rows) as a table of `inputs`, or every row that cannot be read (with
/// its 0-based index among the data rows).
pub fn parse_csv_rows(body: &[u8], inputs: &[InputColumn]) -> Result<Table, Vec<FieldError>> {
    let whole = |e: RunError| vec![FieldError::from_run_error(None, &e)];
    let mut reader = RecordReader::new(body).map_err(|e| whole(RunError::new(Code::E0832, e.to_string())))?;
    if reader.header.iter().all(|b| b.is_ascii_whitespace()) {
        return Err(whole(
            RunError::new(Code::E0832, "the CSV body is empty").with_help("send a header line and one row per line"),
        ));
    }
    let raw = reader.next_raw(usize::MAX).map_err(|e| whole(RunError::new(Code::E0832, e.to_string())))?;
    let records = raw.map(|raw| raw.records()).unwrap_or_default();
    let parsed =
        parse_records(&reader.header, &records, b',', &input_schema(inputs), Path::new("<request>"), MAX_REJECTS)
            .map_err(whole)?;
    if parsed.rejected.is_empty() {
        return Ok(parsed.table);
    }
    Err(parsed.rejected.iter().map(|(record, error)| FieldError::from_run_error(Some(*record), error)).collect())
}
