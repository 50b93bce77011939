//! Running a kernel: the inputs laid out as the generated code reads them (byte-aligned bitmaps,
//! strings as codes), whole chunks of blocks in parallel, the last partial block through padded
//! copies, and the output wrapped as an Arrow array without copying.

use super::typed::{Kind, Layout};
use super::{BLOCK_ROWS, Kernel};
use crate::{Columns, ExprError, ExprResult};
use arrow_array::{Array, ArrayRef, BooleanArray, Float64Array, Int64Array, StringArray};
use arrow_buffer::{BooleanBuffer, Buffer, NullBuffer, ScalarBuffer};
use rayon::prelude::*;
use std::collections::HashMap;
use std::sync::Arc;

/// Rows per parallel task: 2,048 blocks, 128 KiB of each f64 column.
const CHUNK_ROWS: usize = 16 * 1024;

/// One input as the kernel reads it: 8 bytes a row of values (or a bit a row for bools) and a
/// bit a row of validity, both starting at a byte boundary.
struct Input<'a> {
    values: Bytes<'a>,
    validity: Bytes<'a>,
    /// Bytes per row of `values`; 0 for bits.
    width: usize,
}

/// Borrowed from the Arrow array, or made here (aligned copies, codes, all-valid bits).
enum Bytes<'a> {
    Borrowed(&'a [u8]),
    Owned(Vec<u8>),
}

impl Bytes<'_> {
    fn as_slice(&self) -> &[u8] {
        match self {
            Bytes::Borrowed(bytes) => bytes,
            Bytes::Owned(bytes) => bytes,
        }
    }
}

fn mismatch(name: &str) -> ExprError {
    ExprError::new(format!("column `{name}` is not of the type the expression was compiled for"))
}

/// The bits from `bits`'s offset on, starting at a byte boundary (copied only when they do not).
fn aligned_bits(bits: &BooleanBuffer) -> Bytes<'_> {
    if bits.offset() % 8 == 0 {
        let start = bits.offset() / 8;
        let bytes = bits.len().div_ceil(8);
        Bytes::Borrowed(&bits.inner().as_slice()[start..start + bytes])
    } else {
        Bytes::Owned(bits.sliced().as_slice()[..bits.len().div_ceil(8)].to_vec())
    }
}

fn validity_of(array: &dyn Array, rows: usize) -> Bytes<'_> {
    match array.nulls() {
        Some(nulls) => aligned_bits(nulls.inner()),
        None => Bytes::Owned(vec![0xFF; rows.div_ceil(8)]),
    }
}

/// Strings to codes: the expression's literals first (their codes are compiled in), then every
/// other string met, numbered as met.
struct Dictionary<'a> {
    codes: HashMap<&'a str, i64>,
    strings: Vec<&'a str>,
}

impl<'a> Dictionary<'a> {
    fn new(literals: &'a [String]) -> Self {
        let strings: Vec<&str> = literals.iter().map(String::as_str).collect();
        let codes = strings.iter().enumerate().map(|(i, s)| (*s, i as i64)).collect();
        Dictionary { codes, strings }
    }

    fn code(&mut self, text: &'a str) -> i64 {
        if let Some(&code) = self.codes.get(text) {
            return code;
        }
        let code = self.strings.len() as i64;
        self.strings.push(text);
        self.codes.insert(text, code);
        code
    }
}

fn input<'a>(
    name: &str,
    layout: Layout,
    array: &'a ArrayRef,
    rows: usize,
    dictionary: &mut Dictionary<'a>,
) -> ExprResult<Input<'a>> {
    if array.len() != rows {
        return Err(ExprError::new(format!("column `{name}` has {} values for {rows} rows", array.len())));
    }
    let any = array.as_any();
    let validity = validity_of(array.as_ref(), rows);
    let (values, width) = match layout {
        Layout::Float64 => {
            let a = any.downcast_ref::<Float64Array>().ok_or_else(|| mismatch(name))?;
            (Bytes::Borrowed(bytes_of(a.values())), 8)
        }
        Layout::Int64 => {
            let a = any.downcast_ref::<Int64Array>().ok_or_else(|| mismatch(name))?;
            (Bytes::Borrowed(bytes_of(a.values())), 8)
        }
        Layout::Bool => {
            let a = any.downcast_ref::<BooleanArray>().ok_or_else(|| mismatch(name))?;
            (aligned_bits(a.values()), 0)
        }
        Layout::Text => {
            let a = any.downcast_ref::<StringArray>().ok_or_else(|| mismatch(name))?;
            let mut codes = Vec::with_capacity(rows * 8);
            for row in 0..rows {
                let code = if a.is_valid(row) { dictionary.code(a.value(row)) } else { 0 };
                codes.extend_from_slice(&code.to_ne_bytes());
            }
            (Bytes::Owned(codes), 8)
        }
    };
    Ok(Input { values, validity, width })
}

fn bytes_of<T: arrow_buffer::ArrowNativeType>(values: &ScalarBuffer<T>) -> &[u8] {
    values.inner().as_slice()
}

pub fn evaluate(kernel: &Kernel, columns: &Columns) -> ExprResult<ArrayRef> {
    let typed = kernel.typed();
    let rows = columns.rows();
    let mut dictionary = Dictionary::new(&typed.literals);
    let mut inputs = Vec::with_capacity(typed.inputs.len());
    for (name, layout) in &typed.inputs {
        let array = columns.get(name).ok_or_else(|| ExprError::new(format!("no column named `{name}`")))?;
        inputs.push(input(name, *layout, array, rows, &mut dictionary)?);
    }

    let blocks = rows.div_ceil(BLOCK_ROWS);
    let full_blocks = rows / BLOCK_ROWS;
    // Outputs are padded to whole blocks so that the last, partial one is written in place.
    // Values are u64s so that the buffer is aligned for f64 and i64.
    let block_bytes = if typed.kind == Kind::Bool { 1 } else { BLOCK_ROWS * 8 };
    let mut values = vec![0u64; (blocks * block_bytes).div_ceil(8)];
    let mut validity = vec![0u8; blocks];
    let out = Outputs { values: values.as_mut_ptr().cast(), validity: validity.as_mut_ptr(), block_bytes };
    let input_at = |input: &Input, block: usize| -> (*mut u8, *mut u8) {
        let offset = if input.width == 0 { block } else { block * BLOCK_ROWS * input.width };
        (input.values.as_slice()[offset..].as_ptr().cast_mut(), input.validity.as_slice()[block..].as_ptr().cast_mut())
    };

    let chunk_blocks = CHUNK_ROWS / BLOCK_ROWS;
    (0..full_blocks.div_ceil(chunk_blocks)).into_par_iter().for_each(|chunk| {
        let first = chunk * chunk_blocks;
        let count = chunk_blocks.min(full_blocks - first);
        let mut pointers = Vec::with_capacity(2 * inputs.len() + 2);
        for input in &inputs {
            let (v, n) = input_at(input, first);
            pointers.push(v);
            pointers.push(n);
        }
        pointers.extend(out.at(first));
        // SAFETY: the inputs hold `rows` rows, so `count` blocks from `first` lie within them and
        // within the outputs; chunks write disjoint blocks of the outputs.
        unsafe { kernel.call(&pointers, count) };
    });

    if full_blocks < blocks {
        // The last rows, fewer than a block: one block over zero-padded copies of them.
        let mut padded: Vec<([u64; BLOCK_ROWS], [u8; 1])> = inputs
            .iter()
            .map(|input| {
                let mut block = [0u64; BLOCK_ROWS];
                let bytes = if input.width == 0 {
                    &input.values.as_slice()[full_blocks..full_blocks + 1]
                } else {
                    &input.values.as_slice()[full_blocks * BLOCK_ROWS * input.width..rows * input.width]
                };
                as_bytes(&mut block)[..bytes.len()].copy_from_slice(bytes);
                (block, [input.validity.as_slice()[full_blocks]])
            })
            .collect();
        let mut pointers: Vec<*mut u8> = Vec::with_capacity(2 * inputs.len() + 2);
        for (v, n) in &mut padded {
            pointers.push(v.as_mut_ptr().cast());
            pointers.push(n.as_mut_ptr());
        }
        pointers.extend(out.at(full_blocks));
        // SAFETY: one block: each padded copy holds a whole block, and the outputs are padded.
        unsafe { kernel.call(&pointers, 1) };
        // Bits past the last row are 0, as Arrow's builders leave them.
        let used = ((1u16 << (rows % BLOCK_ROWS)) - 1) as u8;
        validity[full_blocks] &= used;
        if typed.kind == Kind::Bool {
            as_bytes(&mut values)[full_blocks] &= used;
        }
    }
    Ok(output(typed.kind, values, validity, rows, &dictionary))
}

/// The bytes of 8-byte words, in memory order.
fn as_bytes(words: &mut [u64]) -> &mut [u8] {
    // SAFETY: u8 has no alignment or validity requirements; the length is the same memory.
    unsafe { std::slice::from_raw_parts_mut(words.as_mut_ptr().cast::<u8>(), words.len() * 8) }
}

/// Where the kernel writes: raw pointers, because parallel chunks write disjoint blocks of
/// one buffer.
struct Outputs {
    values: *mut u8,
    validity: *mut u8,
    block_bytes: usize,
}

// SAFETY: every task writes only its own blocks (see `evaluate`).
unsafe impl Sync for Outputs {}

impl Outputs {
    fn at(&self, block: usize) -> [*mut u8; 2] {
        // SAFETY: callers pass blocks within the buffers.
        unsafe { [self.values.add(block * self.block_bytes), self.validity.add(block)] }
    }
}

/// Wraps the kernel's output as the array the reference evaluator would build.
fn output(kind: Kind, values: Vec<u64>, validity: Vec<u8>, rows: usize, dictionary: &Dictionary) -> ArrayRef {
    let nulls = NullBuffer::new(BooleanBuffer::new(Buffer::from_vec(validity), 0, rows));
    let nulls = (nulls.null_count() > 0).then_some(nulls);
    match kind {
        Kind::Number => {
            let values = ScalarBuffer::<f64>::new(Buffer::from_vec(values), 0, rows);
            Arc::new(Float64Array::new(values, nulls))
        }
        Kind::Bool => {
            // Exactly the bytes the rows need, as Arrow's builders make (the runtime hashes them).
            let bits = Buffer::from_vec(values).slice_with_length(0, rows.div_ceil(8));
            Arc::new(BooleanArray::new(BooleanBuffer::new(bits, 0, rows), nulls))
        }
        Kind::Text => {
            let codes = ScalarBuffer::<i64>::new(Buffer::from_vec(values), 0, rows);
            let strings = (0..rows).map(|row| {
                let valid = nulls.as_ref().is_none_or(|n| n.is_valid(row));
                valid.then(|| dictionary.strings[codes[row] as usize])
            });
            Arc::new(strings.collect::<StringArray>())
        }
    }
}
