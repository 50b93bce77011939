//! Typed columns while they are being filled, the parsing of one text cell into a column's type,
//! and the conversion of finished columns into Arrow arrays.
//!
//! Numbers are parsed straight from the file's bytes (no `String` per cell); missing cells are
//! kept as a sparse list of row indices because real data has few of them, which also makes
//! joining the parts read by parallel chunks or by several files a matter of adding an offset.

use crate::missing::is_missing;
use arrow_array::{ArrayRef, BooleanArray, FixedSizeListArray, Float32Array, Float64Array, Int64Array, StringArray};
use arrow_buffer::{BooleanBufferBuilder, NullBuffer, OffsetBuffer, ScalarBuffer};
use arrow_schema::{DataType, Field};
use mlp_compiler::types::ColumnType;
use std::sync::Arc;

/// How a schema column is stored in Arrow.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Kind {
    Float,
    Int,
    Bool,
    /// Category and text columns.
    Str,
}

impl Kind {
    /// The storage of a column type, or `None` for types a table column cannot hold (images,
    /// sequences: those are read by dedicated loaders).
    pub(crate) fn of(ty: &ColumnType) -> Option<Kind> {
        match ty {
            ColumnType::Float => Some(Kind::Float),
            ColumnType::Int => Some(Kind::Int),
            ColumnType::Bool => Some(Kind::Bool),
            ColumnType::Category { .. } | ColumnType::Text => Some(Kind::Str),
            ColumnType::Image { .. } | ColumnType::Sequence { .. } => None,
        }
    }
}

/// The values of one column; a missing row holds a placeholder (0, false, "").
#[derive(Debug)]
pub(crate) enum Values {
    Float(Vec<f64>),
    Int(Vec<i64>),
    Bool(Vec<bool>),
    /// UTF-8 bytes of all cells back to back, and where each cell ends.
    Str {
        bytes: Vec<u8>,
        ends: Vec<usize>,
    },
    /// An image or sequence column: `width` numbers per row, rows back to back (row-major, an
    /// image channel-first). A tensor row is never missing: a missing element is an error.
    Tensor {
        width: usize,
        values: Vec<f32>,
    },
}

/// A column being filled: values plus the rows that are missing.
#[derive(Debug)]
pub(crate) struct ColumnData {
    pub values: Values,
    /// Row indices of missing cells, ascending.
    pub nulls: Vec<usize>,
}

impl ColumnData {
    pub(crate) fn new(kind: Kind) -> Self {
        let values = match kind {
            Kind::Float => Values::Float(Vec::new()),
            Kind::Int => Values::Int(Vec::new()),
            Kind::Bool => Values::Bool(Vec::new()),
            Kind::Str => Values::Str { bytes: Vec::new(), ends: Vec::new() },
        };
        ColumnData { values, nulls: Vec::new() }
    }

    pub(crate) fn len(&self) -> usize {
        match &self.values {
            Values::Float(v) => v.len(),
            Values::Int(v) => v.len(),
            Values::Bool(v) => v.len(),
            Values::Str { ends, .. } => ends.len(),
            Values::Tensor { width, values } => values.len() / (*width).max(1),
        }
    }

    /// A finished tensor column of `width` numbers per row.
    pub(crate) fn tensor(width: usize, values: Vec<f32>) -> Self {
        ColumnData { values: Values::Tensor { width, values }, nulls: Vec::new() }
    }

    /// Appends one parsed cell (`None` for a missing one). The cell's kind always matches the
    /// column's, because both come from the same schema column.
    pub(crate) fn push(&mut self, cell: Cell<'_>) {
        let row = self.len();
        match (&mut self.values, cell) {
            (Values::Float(v), Cell::Float(x)) => v.push(x),
            (Values::Int(v), Cell::Int(x)) => v.push(x),
            (Values::Bool(v), Cell::Bool(x)) => v.push(x),
            (Values::Str { bytes, ends }, Cell::Str(s)) => {
                bytes.extend_from_slice(s.as_bytes());
                ends.push(bytes.len());
            }
            (values, _) => {
                self.nulls.push(row);
                push_placeholder(values);
            }
        }
    }

    /// Appends another part of the same column (the next file of a glob).
    pub(crate) fn append(&mut self, other: ColumnData) {
        let offset = self.len();
        self.nulls.extend(other.nulls.into_iter().map(|r| r + offset));
        match (&mut self.values, other.values) {
            (Values::Float(a), Values::Float(b)) => a.extend_from_slice(&b),
            (Values::Int(a), Values::Int(b)) => a.extend_from_slice(&b),
            (Values::Bool(a), Values::Bool(b)) => a.extend_from_slice(&b),
            (Values::Str { bytes, ends }, Values::Str { bytes: more, ends: more_ends }) => {
                let base = bytes.len();
                bytes.extend_from_slice(&more);
                ends.extend(more_ends.into_iter().map(|e| e + base));
            }
            (Values::Tensor { values, .. }, Values::Tensor { values: more, .. }) => values.extend_from_slice(&more),
            // Parts of one column share its kind; nothing else can reach here.
            _ => {}
        }
    }

    /// The Arrow array. Fails only when a string column exceeds Arrow's 2 GiB offsets.
    pub(crate) fn finish(self) -> Result<ArrayRef, String> {
        let len = self.len();
        let nulls = null_buffer(len, &self.nulls);
        Ok(match self.values {
            Values::Float(v) => Arc::new(Float64Array::new(ScalarBuffer::from(v), nulls)),
            Values::Int(v) => Arc::new(Int64Array::new(ScalarBuffer::from(v), nulls)),
            Values::Bool(v) => Arc::new(BooleanArray::new(v.into_iter().collect(), nulls)),
            Values::Str { bytes, ends } => {
                let mut offsets = Vec::with_capacity(ends.len() + 1);
                offsets.push(0i32);
                for end in ends {
                    offsets.push(i32::try_from(end).map_err(|_| "a text column holds more than 2 GiB".to_string())?);
                }
                let offsets = OffsetBuffer::new(ScalarBuffer::from(offsets));
                let array = StringArray::try_new(offsets, bytes.into(), nulls).map_err(|e| e.to_string())?;
                Arc::new(array)
            }
            Values::Tensor { width, values } => tensor_array(width, values)?,
        })
    }
}

/// An Arrow column of `width` f32 numbers per row (a `FixedSizeList<Float32>` without nulls):
/// how the table holds image and sequence columns.
pub fn tensor_array(width: usize, values: Vec<f32>) -> Result<ArrayRef, String> {
    if width == 0 || values.len() % width != 0 {
        return Err(format!("{} numbers do not make rows of {width}", values.len()));
    }
    let size = i32::try_from(width).map_err(|_| format!("a row of {width} numbers is too wide"))?;
    let item = Arc::new(Field::new("item", DataType::Float32, false));
    let child = Arc::new(Float32Array::new(ScalarBuffer::from(values), None));
    FixedSizeListArray::try_new(item, size, child, None).map(|a| Arc::new(a) as ArrayRef).map_err(|e| e.to_string())
}

fn push_placeholder(values: &mut Values) {
    match values {
        Values::Float(v) => v.push(0.0),
        Values::Int(v) => v.push(0),
        Values::Bool(v) => v.push(false),
        Values::Str { bytes, ends } => ends.push(bytes.len()),
        Values::Tensor { width, values } => values.extend(std::iter::repeat_n(0.0, *width)),
    }
}

/// A validity bitmap from the sorted rows that are missing; `None` when nothing is.
pub(crate) fn null_buffer(len: usize, nulls: &[usize]) -> Option<NullBuffer> {
    if nulls.is_empty() {
        return None;
    }
    let mut valid = BooleanBufferBuilder::new(len);
    valid.append_n(len, true);
    for &row in nulls {
        if row < len {
            valid.set_bit(row, false);
        }
    }
    Some(NullBuffer::new(valid.finish()))
}

/// One parsed cell.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) enum Cell<'a> {
    Missing,
    Float(f64),
    Int(i64),
    Bool(bool),
    Str(&'a str),
}

/// Why a cell does not fit its column.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum CellProblem {
    /// Not a value of the column's type.
    Type,
    /// `inf`, `-inf`, `Infinity` in a numeric column.
    Infinite,
}

/// Trims ASCII whitespace (spaces, tabs, a stray `\r`) around a cell, as inference does.
pub(crate) fn trim(cell: &[u8]) -> &[u8] {
    cell.trim_ascii()
}

/// Parses one whole cell (already unquoted) into `kind`. Text cells must be valid UTF-8; the CSV
/// reader validates the file before it trusts any cell, other callers pass `&str`s.
pub(crate) fn parse_cell(kind: Kind, raw: &[u8]) -> Result<Cell<'_>, CellProblem> {
    let cell = trim(raw);
    if is_missing(cell) {
        return Ok(Cell::Missing);
    }
    match kind {
        Kind::Float => parse_float(cell),
        Kind::Int => match parse_int(cell) {
            Some(v) => Ok(Cell::Int(v)),
            None => match parse_float(cell) {
                Err(CellProblem::Infinite) => Err(CellProblem::Infinite),
                // NaN in any spelling is missing, as in a float column.
                Ok(Cell::Missing) => Ok(Cell::Missing),
                _ => Err(CellProblem::Type),
            },
        },
        Kind::Bool => {
            if cell.eq_ignore_ascii_case(b"true") {
                Ok(Cell::Bool(true))
            } else if cell.eq_ignore_ascii_case(b"false") {
                Ok(Cell::Bool(false))
            } else {
                Err(CellProblem::Type)
            }
        }
        Kind::Str => std::str::from_utf8(cell).map(Cell::Str).map_err(|_| CellProblem::Type),
    }
}

/// A whole trimmed cell as a float: NaN is missing, infinities are an error.
pub(crate) fn parse_float(cell: &[u8]) -> Result<Cell<'static>, CellProblem> {
    match parse_float_prefix(cell) {
        Some((v, used)) if used == cell.len() => float_cell(v),
        _ => Err(CellProblem::Type),
    }
}

#[inline]
pub(crate) fn float_cell(v: f64) -> Result<Cell<'static>, CellProblem> {
    if v.is_nan() {
        Ok(Cell::Missing)
    } else if v.is_infinite() {
        Err(CellProblem::Infinite)
    } else {
        Ok(Cell::Float(v))
    }
}

/// Powers of ten that an `f64` holds exactly.
const POW10: [f64; 23] = [
    1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20,
    1e21, 1e22,
];

/// The float at the start of `bytes` and how many bytes it took (`inf` and `nan` included).
///
/// Most measurements are plain decimals with at most 15 significant digits, like `-62.00228`.
/// For those the value is the integer of their digits divided by a power of ten, both exact in an
/// `f64`, and one IEEE division rounds correctly (Clinger's fast path): no need for the general
/// algorithm. Exponents, long digit strings and words go to `fast_float2`, which is exact too.
#[inline(always)]
pub(crate) fn parse_float_prefix(bytes: &[u8]) -> Option<(f64, usize)> {
    match parse_plain_decimal(bytes) {
        Some(parsed) => Some(parsed),
        None => parse_float_general(bytes),
    }
}

/// The fast path of [`parse_float_prefix`] alone: `None` for anything but a plain decimal it can
/// convert exactly (so never NaN nor an infinity).
#[inline(always)]
pub(crate) fn parse_plain_decimal(bytes: &[u8]) -> Option<(f64, usize)> {
    // The sign without branches: in measured data it is as often `-` as not, and a mispredicted
    // branch per cell costs more than the rest of the number.
    let first = bytes.first().copied().unwrap_or(0);
    let negative = first == b'-';
    let start = usize::from(negative | (first == b'+'));
    let mut mantissa: u64 = 0;
    let integer_digits = digits(bytes, start, &mut mantissa);
    let mut i = start + integer_digits;
    let mut fraction_digits = 0;
    if bytes.get(i) == Some(&b'.') {
        fraction_digits = digits(bytes, i + 1, &mut mantissa);
        i += 1 + fraction_digits;
    }
    let digits = integer_digits + fraction_digits;
    let exact = digits > 0
        && digits <= 19
        && mantissa <= 1 << 53
        && fraction_digits < POW10.len()
        && !matches!(bytes.get(i), Some(b'e' | b'E'));
    if !exact {
        return None;
    }
    // The quotient is +0 or positive, so setting the sign bit negates it (-0 for `-0.0`, as `-`).
    let value = mantissa as f64 / POW10[fraction_digits];
    Some((f64::from_bits(value.to_bits() | (u64::from(negative) << 63)), i))
}

/// The general (rarer, slower) case: exponents, many digits, `inf`, `nan`.
#[cold]
#[inline(never)]
fn parse_float_general(bytes: &[u8]) -> Option<(f64, usize)> {
    fast_float2::parse_partial::<f64, _>(bytes).ok()
}

/// Reads the run of ASCII digits at `bytes[i..]` into `mantissa` (wrapping past 19 digits, which
/// the caller rejects) and returns how many there were.
#[inline(always)]
fn digits(bytes: &[u8], mut i: usize, mantissa: &mut u64) -> usize {
    let start = i;
    // Eight bytes at a time while eight are available: numbers are mostly 4 to 12 digits, and a
    // byte-at-a-time loop is a chain of dependent multiply-adds.
    while let Some(word) = bytes.get(i..i + 8) {
        let mut raw = [0u8; 8];
        raw.copy_from_slice(word);
        let (value, count) = swar_digits(u64::from_le_bytes(raw));
        if count == 0 {
            return i - start;
        }
        *mantissa = mantissa.wrapping_mul(POW10_INT[count]).wrapping_add(value);
        i += count;
        if count < 8 {
            return i - start;
        }
    }
    while let Some(&b) = bytes.get(i) {
        let digit = b.wrapping_sub(b'0');
        if digit > 9 {
            break;
        }
        *mantissa = mantissa.wrapping_mul(10).wrapping_add(u64::from(digit));
        i += 1;
    }
    i - start
}

const POW10_INT: [u64; 9] = [1, 10, 100, 1_000, 10_000, 100_000, 1_000_000, 10_000_000, 100_000_000];

/// The leading digits of eight bytes (first byte lowest): their value and how many there are.
#[inline]
fn swar_digits(word: u64) -> (u64, usize) {
    const ONES: u64 = 0x0101_0101_0101_0101;
    let shifted = word.wrapping_sub(ONES * b'0' as u64);
    // A byte's top bit ends up set when it is below '0' (the subtraction wraps) or above '9'
    // (adding 0x76 carries past 0x7F). Borrows and carries only move towards later bytes, which
    // come after the first non-digit and are not used.
    let non_digit = (shifted | shifted.wrapping_add(ONES * 0x76)) & (ONES * 0x80);
    let count = (non_digit.trailing_zeros() / 8) as usize;
    if count == 0 {
        return (0, 0);
    }
    // Keep the leading `count` digits in the top bytes (zeros in front change nothing), then
    // combine pairs, quads and halves.
    let v = if count == 8 { shifted } else { shifted << (64 - 8 * count) };
    let v = (v & 0x0F0F_0F0F_0F0F_0F0F).wrapping_mul(2561) >> 8;
    let v = (v & 0x00FF_00FF_00FF_00FF).wrapping_mul(6_553_601) >> 16;
    let v = (v & 0x0000_FFFF_0000_FFFF).wrapping_mul(42_949_672_960_001) >> 32;
    (v, count)
}

/// A whole cell as an `i64` with an optional sign, like `str::parse::<i64>` (which inference uses).
pub(crate) fn parse_int(cell: &[u8]) -> Option<i64> {
    let (value, used) = parse_int_prefix(cell)?;
    (used == cell.len()).then_some(value)
}

/// The integer at the start of `bytes` and how many bytes it took; `None` without digits or on
/// overflow. Used by the CSV fast path, which then checks that a delimiter follows.
#[inline]
pub(crate) fn parse_int_prefix(bytes: &[u8]) -> Option<(i64, usize)> {
    // The sign without branches: in measured data it is as often `-` as not, and a mispredicted
    // branch per cell costs more than the rest of the number.
    let first = bytes.first().copied().unwrap_or(0);
    let negative = first == b'-';
    let start = usize::from(negative | (first == b'+'));
    let mut i = start;
    // Accumulate negatively so that i64::MIN parses too.
    let mut acc: i64 = 0;
    while let Some(&b) = bytes.get(i) {
        if !b.is_ascii_digit() {
            break;
        }
        acc = acc.checked_mul(10)?.checked_sub(i64::from(b - b'0'))?;
        i += 1;
    }
    if i == start {
        return None;
    }
    let value = if negative { acc } else { acc.checked_neg()? };
    Some((value, i))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cells_parse_like_inference() {
        assert_eq!(parse_cell(Kind::Float, b" 1.5 "), Ok(Cell::Float(1.5)));
        assert_eq!(parse_cell(Kind::Float, b"NA"), Ok(Cell::Missing));
        assert_eq!(parse_cell(Kind::Float, b"NaN"), Ok(Cell::Missing));
        assert_eq!(parse_cell(Kind::Float, b"-inf"), Err(CellProblem::Infinite));
        assert_eq!(parse_cell(Kind::Float, b"Infinity"), Err(CellProblem::Infinite));
        assert_eq!(parse_cell(Kind::Float, b"abc"), Err(CellProblem::Type));
        assert_eq!(parse_cell(Kind::Int, b"-9223372036854775808"), Ok(Cell::Int(i64::MIN)));
        assert_eq!(parse_cell(Kind::Int, b"9223372036854775808"), Err(CellProblem::Type));
        assert_eq!(parse_cell(Kind::Int, b"+7"), Ok(Cell::Int(7)));
        assert_eq!(parse_cell(Kind::Int, b"1.5"), Err(CellProblem::Type));
        assert_eq!(parse_cell(Kind::Int, b"inf"), Err(CellProblem::Infinite));
        assert_eq!(parse_cell(Kind::Bool, b"TRUE"), Ok(Cell::Bool(true)));
        assert_eq!(parse_cell(Kind::Bool, b"yes"), Err(CellProblem::Type));
        assert_eq!(parse_cell(Kind::Str, b" setosa"), Ok(Cell::Str("setosa")));
    }

    #[test]
    fn the_fast_float_path_agrees_with_the_standard_library() {
        let mut state = 0x2545_F491_4F6C_DD1Du64;
        for _ in 0..200_000 {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            let decimals = (state % 12) as usize;
            let magnitude = 10f64.powi((state >> 8) as i32 % 12 - 4);
            let v = ((state >> 11) as f64 / (1u64 << 53) as f64 - 0.5) * magnitude;
            let text = format!("{v:.decimals$}");
            let parsed = parse_float_prefix(text.as_bytes()).map(|(x, used)| (x.to_bits(), used));
            let expected = text.parse::<f64>().expect("formatted float").to_bits();
            assert_eq!(parsed, Some((expected, text.len())), "{text}");
        }
        for text in ["1.", ".5", "+.5", "-0", "12345678901234567890.5", "1e5", "-inf", "nan", "9007199254740993"] {
            let parsed = parse_float_prefix(text.as_bytes()).map(|(x, used)| (x.to_bits(), used));
            let expected = text.parse::<f64>().expect("float").to_bits();
            assert_eq!(parsed, Some((expected, text.len())), "{text}");
        }
        assert_eq!(parse_float_prefix(b"."), None);
        assert_eq!(parse_float_prefix(b"-"), None);
        assert_eq!(parse_float_prefix(b"1.5,2").map(|(_, n)| n), Some(3));
    }

    #[test]
    fn parts_join_with_their_nulls() {
        let mut a = ColumnData::new(Kind::Float);
        a.push(Cell::Float(1.0));
        a.push(Cell::Missing);
        let mut b = ColumnData::new(Kind::Float);
        b.push(Cell::Missing);
        b.push(Cell::Float(2.0));
        a.append(b);
        let array = a.finish().expect("small column");
        assert_eq!(array.len(), 4);
        assert_eq!(array.null_count(), 2);
        assert!(array.is_null(1) && array.is_null(2));
    }
}
