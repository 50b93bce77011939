//! The column expressions of a run (`feature` definitions, `rule(...)` baselines), each
//! compiled once by mlp-expr's JIT and reused by every dataset and baseline that evaluates it
//! on columns of the same types. `MLPC_JIT=0` runs them all on the reference evaluator instead;
//! both give the same bits, so runs give the same metrics either way.

use crate::error::{RunError, RunResult};
use arrow_array::ArrayRef;
use arrow_schema::DataType;
use mlp_compiler::ast::Expr;
use mlp_compiler::codes::Code;
use mlp_data::Table;
use mlp_expr::{Columns, Engine, Expression};
use serde::Serialize;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

/// The error code of an expression that cannot be evaluated.
pub const CODE: Code = Code::E0809;

/// An expression's text and the types of the columns it was compiled against.
type Key = (String, Vec<(String, DataType)>);

/// The run's compiled expressions.
pub struct Expressions {
    engine: Engine,
    compiled: Mutex<HashMap<Key, Arc<Expression>>>,
}

impl Expressions {
    pub fn new(engine: Engine) -> Self {
        Expressions { engine, compiled: Mutex::new(HashMap::new()) }
    }

    /// The engine chosen for the run: `MLPC_JIT` and whether this machine can run the JIT.
    /// The second value is a warning for the user when the JIT was wanted but cannot run.
    pub fn for_run() -> (Self, Option<String>) {
        let engine = Engine::from_env();
        let warning = match (engine, Engine::unavailable()) {
            (Engine::Jit, Some(why)) => Some(format!("{why}; column expressions run on the reference evaluator")),
            _ => None,
        };
        (Expressions::new(engine), warning)
    }

    pub fn engine(&self) -> Engine {
        self.engine
    }

    /// What evaluating the run's expressions took: the engine, and how many were compiled.
    pub fn timings(&self) -> ExpressionTimings {
        let compiled = self.compiled.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        let compile_times: Vec<_> = compiled.values().filter_map(|e| e.compile_time()).collect();
        ExpressionTimings {
            engine: match self.engine {
                Engine::Jit if Engine::unavailable().is_none() => "jit",
                _ => "reference",
            },
            compiled: compile_times.len(),
            interpreted: compiled.len() - compile_times.len(),
            compile_seconds: compile_times.iter().fold(0.0, |total, t| total + t.as_secs_f64()),
        }
    }

    /// Evaluates `expr` on every row of `table`, with `extra` columns (features derived before)
    /// hiding table columns of the same name.
    pub fn evaluate(&self, expr: &Expr, table: &Table, extra: &[(String, ArrayRef)]) -> RunResult<ArrayRef> {
        let mut columns = Columns::new(table.rows);
        for (name, array) in table.names.iter().zip(&table.columns) {
            columns.push(name, array);
        }
        for (name, array) in extra {
            columns.push(name, array);
        }
        let key: Key = (
            expr.to_string(),
            table
                .names
                .iter()
                .chain(extra.iter().map(|(n, _)| n))
                .filter_map(|n| columns.data_type(n).map(|t| (n.clone(), t.clone())))
                .collect(),
        );
        let expression = {
            let mut compiled = self.compiled.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
            Arc::clone(compiled.entry(key).or_insert_with(|| Arc::new(Expression::new(expr, &columns, self.engine))))
        };
        expression.evaluate(&columns).map_err(|e| {
            let error = RunError::new(CODE, e.message);
            match e.help {
                Some(help) => error.with_help(help),
                None => error,
            }
        })
    }
}

/// The engine that evaluated the run's column expressions and what compiling them cost.
#[derive(Clone, Debug, Serialize)]
pub struct ExpressionTimings {
    /// `jit` or `reference` (`MLPC_JIT=0`, or a machine Cranelift cannot generate code for).
    pub engine: &'static str,
    /// Expressions compiled to native code (each once per run and column types).
    pub compiled: usize,
    /// Expressions the JIT declined, evaluated by the reference evaluator instead.
    pub interpreted: usize,
    pub compile_seconds: f64,
}
