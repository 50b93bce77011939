//! mlp-expr: the column expressions of `.mlp` specs (`feature` definitions and `rule(...)`
//! baselines) evaluated over Arrow columns.
//!
//! Two engines give the same answers to the bit:
//! - [`reference`], a tree walk one row at a time, is the *specification*: its module
//!   documentation states every rule (missing values, IEEE behaviour, the functions);
//! - [`jit`] (cargo feature `jit`, on by default) compiles an expression once with Cranelift into
//!   one native function that loops over blocks of rows with SIMD vectors, and runs chunks of
//!   rows in parallel on rayon.
//!
//! [`Expression`] picks between them: the JIT unless `MLPC_JIT=0` or the platform has no
//! Cranelift backend, in which case [`Expression::fallback`] says why.
//!
//! The numeric functions (`log`, `exp`, `pow`, ...) are mlpc's own, in [`math`]: plain IEEE
//! operations in a fixed order, so both engines, and every machine, give the same bits.

use arrow_array::ArrayRef;
use arrow_schema::DataType;
use std::fmt;

pub mod engine;
#[cfg(feature = "jit")]
pub mod jit;
pub mod math;
pub mod reference;

pub use engine::{Engine, Expression};

/// The named columns an expression reads, all of `rows` values. A later column hides an earlier
/// one of the same name (a feature hides the data column it replaces).
#[derive(Clone, Default)]
pub struct Columns<'a> {
    rows: usize,
    named: Vec<(&'a str, &'a ArrayRef)>,
}

impl<'a> Columns<'a> {
    pub fn new(rows: usize) -> Self {
        Columns { rows, named: Vec::new() }
    }

    /// Adds a column; it hides any earlier one of the same name.
    pub fn with(mut self, name: &'a str, array: &'a ArrayRef) -> Self {
        self.named.push((name, array));
        self
    }

    pub fn push(&mut self, name: &'a str, array: &'a ArrayRef) {
        self.named.push((name, array));
    }

    pub fn rows(&self) -> usize {
        self.rows
    }

    pub fn get(&self, name: &str) -> Option<&'a ArrayRef> {
        self.named.iter().rev().find(|(n, _)| *n == name).map(|(_, a)| *a)
    }

    /// The Arrow type of each visible column, by name (what a compiled expression is specialised on).
    pub fn data_type(&self, name: &str) -> Option<&'a DataType> {
        self.get(name).map(|a| a.data_type())
    }
}

/// Why an expression cannot be evaluated: the runtime reports it as E0809.
#[derive(Clone, Debug, PartialEq)]
pub struct ExprError {
    pub message: String,
    pub help: Option<String>,
}

impl ExprError {
    pub fn new(message: impl Into<String>) -> Self {
        ExprError { message: message.into(), help: None }
    }

    pub fn with_help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }
}

impl fmt::Display for ExprError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for ExprError {}

pub type ExprResult<T> = Result<T, ExprError>;
