//! mlp-compiler: `.mlp` source → AST → resolved, typed program → execution plan.
//!
//! The compiler does no I/O of its own: source files and data samples arrive through [`World`].
//! It knows nothing of terminals, JSON or the LSP; those live in the CLI.

pub mod ast;
pub mod diagnostic;
pub mod format;
pub mod idx;
pub mod plan;
pub mod span;
pub mod syntax;

pub use diagnostic::{Diagnostic, FileId, Severity};
pub use span::Span;
pub mod check;
pub mod codes;
pub mod program;
pub mod stdlib;
pub mod types;
pub mod value;
pub mod world;

pub use check::{Compilation, compile, compile_text};
