//! Choosing the engine for an expression: compiled once when possible, the reference evaluator
//! otherwise. `MLPC_JIT=0` forces the reference evaluator everywhere (to rule the JIT out when
//! hunting a discrepancy, or on a machine where it misbehaves).

use crate::{Columns, ExprResult, reference};
use arrow_array::ArrayRef;
use mlp_compiler::ast::Expr;

/// From this many rows on, code generation spends about 200 µs more for code that runs about
/// twice as fast, which pays off past roughly 30,000 rows.
#[cfg(feature = "jit")]
pub const OPTIMIZE_FROM_ROWS: usize = 65_536;

#[cfg(feature = "jit")]
use crate::jit::Tier;

/// Which engine evaluates expressions.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Engine {
    /// Cranelift-compiled native code, where the platform and the expression allow it.
    Jit,
    /// The tree-walking reference evaluator.
    Reference,
}

impl Engine {
    /// `Reference` when the environment variable `MLPC_JIT` is `0`, `false` or `off`.
    pub fn from_env() -> Engine {
        match std::env::var("MLPC_JIT") {
            Ok(v) if matches!(v.trim().to_ascii_lowercase().as_str(), "0" | "false" | "off" | "no") => {
                Engine::Reference
            }
            _ => Engine::Jit,
        }
    }

    /// Why the JIT cannot run on this machine at all (a build without the `jit` feature, or a
    /// platform Cranelift has no backend for); `None` when it can.
    pub fn unavailable() -> Option<String> {
        #[cfg(feature = "jit")]
        {
            crate::jit::available().err().map(|why| format!("Cranelift cannot generate code for this machine ({why})"))
        }
        #[cfg(not(feature = "jit"))]
        {
            Some("this build of mlpc has no JIT (cargo feature `jit`)".to_string())
        }
    }
}

/// An expression prepared for evaluation: compiled once, evaluated on any number of tables
/// with the same column types.
pub struct Expression {
    expr: Expr,
    #[cfg(feature = "jit")]
    kernel: Option<crate::jit::Kernel>,
}

impl Expression {
    /// Prepares `expr` for columns of the types in `columns` (their values are not read).
    pub fn new(expr: &Expr, columns: &Columns, engine: Engine) -> Expression {
        #[cfg(feature = "jit")]
        {
            let kernel = match engine {
                Engine::Jit => {
                    let type_of = |name: &str| columns.data_type(name).cloned();
                    let tier = if columns.rows() >= OPTIMIZE_FROM_ROWS { Tier::Optimized } else { Tier::Quick };
                    crate::jit::Kernel::compile(expr, &type_of, tier).ok()
                }
                Engine::Reference => None,
            };
            Expression { expr: expr.clone(), kernel }
        }
        #[cfg(not(feature = "jit"))]
        {
            let _ = (columns, engine);
            Expression { expr: expr.clone() }
        }
    }

    /// The engine that evaluates this expression.
    pub fn engine(&self) -> Engine {
        #[cfg(feature = "jit")]
        if self.kernel.is_some() {
            return Engine::Jit;
        }
        Engine::Reference
    }

    /// How long compiling took, when the expression was compiled.
    pub fn compile_time(&self) -> Option<std::time::Duration> {
        #[cfg(feature = "jit")]
        if let Some(kernel) = &self.kernel {
            return Some(kernel.compile_time());
        }
        None
    }

    /// Evaluates on every row of `columns`. The compiled kernel runs when the columns have the
    /// types it was compiled for; otherwise, and for expressions the JIT declined (ones that
    /// would fail to type), the reference evaluator does, and reports any error by row.
    pub fn evaluate(&self, columns: &Columns) -> ExprResult<ArrayRef> {
        #[cfg(feature = "jit")]
        if let Some(kernel) = &self.kernel {
            if let Ok(result) = kernel.evaluate(columns) {
                return Ok(result);
            }
        }
        reference::evaluate(&self.expr, columns)
    }
}
