//! [`Expression`]: a column expression (a `feature` or a `rule(...)`) as the runtime evaluates it,
//! with its canonical text, which is what fingerprints and the run record show.

use crate::ast::Expr;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq)]
pub struct Expression {
    pub expr: Expr,
    /// The canonical text of `expr` (`Display` of the AST).
    pub text: String,
}

impl Expression {
    pub fn new(expr: Expr) -> Expression {
        let text = expr.to_string();
        Expression { expr, text }
    }
}

impl Serialize for Expression {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.text)
    }
}

/// An expression reads back from its canonical text (the formatter's round trip guarantees the
/// same tree, spans aside).
impl<'de> Deserialize<'de> for Expression {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Expression, D::Error> {
        let text = String::deserialize(deserializer)?;
        crate::syntax::parse_expression(&text)
            .map(Expression::new)
            .ok_or_else(|| serde::de::Error::custom(format!("`{text}` is not an expression")))
    }
}
