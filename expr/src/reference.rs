//! The reference evaluator of column expressions (`feature` definitions and `rule(...)`
//! baselines): a tree walk, one row at a time, over named Arrow [`Columns`]. It is the
//! specification a compiled evaluator must match, so its semantics are kept simple and are all
//! stated here.
//!
//! **Values.** Every row yields a number (f64), a bool, a string (a category level or text) or
//! *missing* (an Arrow null). Int columns and int literals are read as f64, so all arithmetic is
//! f64 arithmetic: `7 / 2` is 3.5, division by zero gives ±inf or NaN as IEEE 754 says, and
//! NaN is a number, not a missing value. The result is a `Float64Array` for numeric expressions,
//! a `BooleanArray` for conditions and a `StringArray` for category-valued ones, with a null
//! wherever the row's value is missing.
//!
//! **Operators.** `+ - * /` and unary `-` on numbers. `< <= > >= == !=` compare numbers by IEEE
//! rules except that *every* comparison involving NaN is false, `!=` included. `==` and `!=`
//! also compare two strings (a category with a level) or two bools. `x in [a, b]` is
//! `x == a or x == b`, with the same three-valued logic as `or`. `if c then a else b` evaluates
//! only the branch `c` selects.
//!
//! **Missing values.** An arithmetic operator, a comparison, `not`, `in`, a function (except
//! `is_missing`) or an `if` condition with a missing operand gives missing. `and` and `or`
//! follow SQL's three-valued logic and short-circuit: `false and x` is false and `true or x` is
//! true without evaluating `x`; `missing and false` is false, `missing or true` is true, and
//! otherwise a missing operand makes the result missing.
//!
//! **Functions.** `abs`, `log` (natural), `log1p`, `exp`, `sqrt`, `pow`, `floor`, `ceil` as in
//! IEEE / Rust's f64 (`log(0)` is -inf, `sqrt(-1)` NaN); `round` rounds halves away from zero;
//! `min`, `max` and `clamp(x, low, high)` give NaN when any argument is NaN, and `clamp` is
//! `min(max(x, low), high)`, so `high` wins when `low > high`; `is_missing(x)` is true exactly
//! when `x` is missing (never missing itself).
//!
//! **Results.** Every NaN in a numeric result is the one canonical quiet NaN (`f64::NAN`), and a
//! missing row's slot holds 0 (`false` for conditions), so two results that mean the same are the
//! same bits.
//!
//! **Errors** (the runtime reports them as E0809, "expression cannot be evaluated"): a name that
//! is not one of the columns, a column of an unsupported Arrow type or length, an unknown
//! function or wrong number of arguments, and operand types the checker would have refused (for
//! expressions that did not come through it). Type errors found in a row name the row.

use crate::math;
use crate::{Columns, ExprError, ExprResult};
use arrow_array::{Array, ArrayRef, BooleanArray, Float64Array, Int64Array, StringArray};
use mlp_compiler::ast::{BinOp, Expr, ExprKind, UnOp};
use std::sync::Arc;

/// Deeper expression trees are refused instead of risking the stack (the checker allows 256).
pub const MAX_DEPTH: usize = 512;

/// Evaluates `expr` on every row of `columns`.
pub fn evaluate(expr: &Expr, columns: &Columns) -> ExprResult<ArrayRef> {
    let scope = Scope { columns };
    let node = lower(expr, &scope, 0)?;
    let rows = columns.rows();
    match node.kind() {
        Kind::Number => collect(&node, rows, as_number).map(|v| Arc::new(Float64Array::from(v)) as ArrayRef),
        Kind::Bool => collect(&node, rows, as_bool).map(|v| Arc::new(BooleanArray::from(v)) as ArrayRef),
        Kind::Text => collect(&node, rows, as_text).map(|v| Arc::new(StringArray::from(v)) as ArrayRef),
    }
}

fn error(message: impl Into<String>) -> ExprError {
    ExprError::new(message)
}

/// Evaluates every row and converts its value with `convert` (which refuses other kinds).
fn collect<'a, T>(
    node: &Node<'a>,
    rows: usize,
    convert: fn(Value<'a>) -> Option<Option<T>>,
) -> ExprResult<Vec<Option<T>>> {
    (0..rows)
        .map(|row| {
            let value = node.eval(row).map_err(|m| in_row(m, row))?;
            convert(value).ok_or_else(|| in_row("the value's type changes from row to row".into(), row))
        })
        .collect()
}

fn in_row(message: String, row: usize) -> ExprError {
    error(format!("{message} (row {})", row + 1))
        .with_help("check the expression's types with `mlpc check`; column expressions are typed before they run")
}

fn as_number(value: Value) -> Option<Option<f64>> {
    match value {
        Value::Number(x) => Some(Some(math::canonical(x))),
        Value::Missing => Some(None),
        _ => None,
    }
}

fn as_bool(value: Value) -> Option<Option<bool>> {
    match value {
        Value::Bool(b) => Some(Some(b)),
        Value::Missing => Some(None),
        _ => None,
    }
}

fn as_text<'a>(value: Value<'a>) -> Option<Option<&'a str>> {
    match value {
        Value::Text(s) => Some(Some(s)),
        Value::Missing => Some(None),
        _ => None,
    }
}

/// One row's value of a (sub)expression.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Value<'a> {
    Missing,
    Number(f64),
    Bool(bool),
    Text(&'a str),
}

/// The kind of values an expression yields, known before any row is evaluated.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Kind {
    Number,
    Bool,
    Text,
}

/// A column ready to be read by row.
#[derive(Clone, Copy)]
enum Column<'a> {
    Float(&'a Float64Array),
    Int(&'a Int64Array),
    Bool(&'a BooleanArray),
    Text(&'a StringArray),
}

impl<'a> Column<'a> {
    fn of(name: &str, array: &'a ArrayRef, rows: usize) -> ExprResult<Self> {
        if array.len() != rows {
            return Err(error(format!("column `{name}` has {} values for {rows} rows", array.len())));
        }
        let any = array.as_any();
        let column = if let Some(a) = any.downcast_ref::<Float64Array>() {
            Column::Float(a)
        } else if let Some(a) = any.downcast_ref::<Int64Array>() {
            Column::Int(a)
        } else if let Some(a) = any.downcast_ref::<BooleanArray>() {
            Column::Bool(a)
        } else if let Some(a) = any.downcast_ref::<StringArray>() {
            Column::Text(a)
        } else {
            return Err(error(format!(
                "column `{name}` has type {}, which expressions cannot read",
                array.data_type()
            )));
        };
        Ok(column)
    }

    fn kind(self) -> Kind {
        match self {
            Column::Float(_) | Column::Int(_) => Kind::Number,
            Column::Bool(_) => Kind::Bool,
            Column::Text(_) => Kind::Text,
        }
    }

    fn value(self, row: usize) -> Value<'a> {
        match self {
            Column::Float(a) if a.is_valid(row) => Value::Number(a.value(row)),
            Column::Int(a) if a.is_valid(row) => Value::Number(a.value(row) as f64),
            Column::Bool(a) if a.is_valid(row) => Value::Bool(a.value(row)),
            Column::Text(a) if a.is_valid(row) => Value::Text(a.value(row)),
            _ => Value::Missing,
        }
    }
}

/// Where names are looked up.
struct Scope<'s, 'a> {
    columns: &'s Columns<'a>,
}

impl<'a> Scope<'_, 'a> {
    fn column(&self, name: &str) -> ExprResult<Column<'a>> {
        match self.columns.get(name) {
            Some(array) => Column::of(name, array, self.columns.rows()),
            None => Err(error(format!("no column or feature named `{name}` in the data"))
                .with_help("the data read at run time lacks a column the spec's schema declared")),
        }
    }
}

/// The built-in functions of stdlib/functions.mlp.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) enum Function {
    Abs,
    Min,
    Max,
    Clamp,
    Log,
    Log1p,
    Exp,
    Sqrt,
    Pow,
    Floor,
    Ceil,
    Round,
    IsMissing,
}

impl Function {
    /// The function called `name` and its number of arguments.
    pub(crate) fn named(name: &str) -> Option<(Function, usize)> {
        Some(match name {
            "abs" => (Function::Abs, 1),
            "min" => (Function::Min, 2),
            "max" => (Function::Max, 2),
            "clamp" => (Function::Clamp, 3),
            "log" => (Function::Log, 1),
            "log1p" => (Function::Log1p, 1),
            "exp" => (Function::Exp, 1),
            "sqrt" => (Function::Sqrt, 1),
            "pow" => (Function::Pow, 2),
            "floor" => (Function::Floor, 1),
            "ceil" => (Function::Ceil, 1),
            "round" => (Function::Round, 1),
            "is_missing" => (Function::IsMissing, 1),
            _ => return None,
        })
    }

    /// The numeric functions on non-missing arguments (`args` has the declared length).
    fn apply(self, args: &[f64]) -> f64 {
        match (self, args) {
            (Function::Abs, [x]) => x.abs(),
            (Function::Min, [a, b]) => math::min(*a, *b),
            (Function::Max, [a, b]) => math::max(*a, *b),
            (Function::Clamp, [x, low, high]) => math::min(math::max(*x, *low), *high),
            (Function::Log, [x]) => math::ln(*x),
            (Function::Log1p, [x]) => math::ln_1p(*x),
            (Function::Exp, [x]) => math::exp(*x),
            (Function::Sqrt, [x]) => x.sqrt(),
            (Function::Pow, [x, y]) => math::pow(*x, *y),
            (Function::Floor, [x]) => x.floor(),
            (Function::Ceil, [x]) => x.ceil(),
            // Rust's `round` rounds halves away from zero, as the language promises.
            (Function::Round, [x]) => x.round(),
            _ => f64::NAN, // unreachable: arities are checked when lowering
        }
    }
}

/// An expression with its names resolved to columns and its functions to [`Function`]s.
enum Node<'a> {
    Literal(Value<'a>),
    Column(Column<'a>),
    Neg(Box<Node<'a>>),
    Not(Box<Node<'a>>),
    Binary(BinOp, Box<Node<'a>>, Box<Node<'a>>),
    In(Box<Node<'a>>, Vec<Node<'a>>),
    If(Box<[Node<'a>; 3]>),
    Call(Function, Vec<Node<'a>>),
}

/// Resolves names and functions, refusing what cannot be evaluated.
fn lower<'a>(expr: &'a Expr, scope: &Scope<'_, 'a>, depth: usize) -> ExprResult<Node<'a>> {
    if depth > MAX_DEPTH {
        return Err(error(format!("expression is nested more than {MAX_DEPTH} levels deep")));
    }
    let sub = |e: &'a Expr| lower(e, scope, depth + 1).map(Box::new);
    Ok(match &expr.kind {
        ExprKind::Number { value, .. } => Node::Literal(Value::Number(*value)),
        ExprKind::String(s) => Node::Literal(Value::Text(s)),
        ExprKind::Bool(b) => Node::Literal(Value::Bool(*b)),
        ExprKind::Name(name) => Node::Column(scope.column(name)?),
        ExprKind::Paren(inner) => lower(inner, scope, depth + 1)?,
        ExprKind::Unary { op: UnOp::Neg, operand } => Node::Neg(sub(operand)?),
        ExprKind::Unary { op: UnOp::Not, operand } => Node::Not(sub(operand)?),
        ExprKind::Binary { op: BinOp::In, lhs, rhs, .. } => {
            let ExprKind::List(items) = &rhs.kind else {
                return Err(error(format!("`in` needs a list on the right, found `{rhs}`")));
            };
            let items = items.iter().map(|i| lower(i, scope, depth + 1)).collect::<ExprResult<_>>()?;
            Node::In(sub(lhs)?, items)
        }
        ExprKind::Binary { op, lhs, rhs, .. } => Node::Binary(*op, sub(lhs)?, sub(rhs)?),
        ExprKind::If { cond, then, otherwise } => Node::If(Box::new([
            lower(cond, scope, depth + 1)?,
            lower(then, scope, depth + 1)?,
            lower(otherwise, scope, depth + 1)?,
        ])),
        ExprKind::Call { .. } => lower_call(expr, scope, depth)?,
        ExprKind::List(_) | ExprKind::Field { .. } | ExprKind::Error => {
            return Err(error(format!("`{expr}` is not a column expression")));
        }
    })
}

fn lower_call<'a>(expr: &'a Expr, scope: &Scope<'_, 'a>, depth: usize) -> ExprResult<Node<'a>> {
    let Some((name, _, args)) = expr.as_call() else {
        return Err(error(format!("`{expr}` calls something that is not a function")));
    };
    let Some((function, arity)) = Function::named(name) else {
        return Err(error(format!("unknown function `{name}`")));
    };
    if args.len() != arity || args.iter().any(|a| a.name.is_some()) {
        return Err(error(format!("`{name}` takes {arity} positional argument(s), found `{expr}`")));
    }
    let args = args.iter().map(|a| lower(&a.value, scope, depth + 1)).collect::<ExprResult<_>>()?;
    Ok(Node::Call(function, args))
}

impl<'a> Node<'a> {
    /// The kind of every row's value (missing aside).
    fn kind(&self) -> Kind {
        match self {
            Node::Literal(Value::Text(_)) => Kind::Text,
            Node::Literal(Value::Bool(_)) => Kind::Bool,
            Node::Literal(_) => Kind::Number,
            Node::Column(column) => column.kind(),
            Node::Neg(_) => Kind::Number,
            Node::Not(_) | Node::In(..) => Kind::Bool,
            Node::Binary(BinOp::Add | BinOp::Sub | BinOp::Mul | BinOp::Div, ..) => Kind::Number,
            Node::Binary(..) => Kind::Bool,
            Node::If(parts) => parts[1].kind(),
            Node::Call(Function::IsMissing, _) => Kind::Bool,
            Node::Call(..) => Kind::Number,
        }
    }

    /// This node's value in `row`; `Err` holds a message for operand types that do not fit.
    fn eval(&self, row: usize) -> Result<Value<'a>, String> {
        match self {
            Node::Literal(value) => Ok(*value),
            Node::Column(column) => Ok(column.value(row)),
            Node::Neg(operand) => match operand.eval(row)? {
                Value::Number(x) => Ok(Value::Number(-x)),
                other => expect_missing(other, "`-` needs a number"),
            },
            Node::Not(operand) => match operand.eval(row)? {
                Value::Bool(b) => Ok(Value::Bool(!b)),
                other => expect_missing(other, "`not` needs a condition"),
            },
            Node::Binary(BinOp::And, lhs, rhs) => logic(lhs, rhs, row, false),
            Node::Binary(BinOp::Or, lhs, rhs) => logic(lhs, rhs, row, true),
            Node::Binary(op, lhs, rhs) => binary(*op, lhs.eval(row)?, rhs.eval(row)?),
            Node::In(lhs, items) => membership(lhs.eval(row)?, items, row),
            Node::If(parts) => match parts[0].eval(row)? {
                Value::Bool(true) => parts[1].eval(row),
                Value::Bool(false) => parts[2].eval(row),
                other => expect_missing(other, "an `if` condition must be a bool"),
            },
            Node::Call(function, args) => call(*function, args, row),
        }
    }
}

/// `Ok(Missing)` for a missing operand, else the type error `message`.
fn expect_missing<'a>(value: Value<'a>, message: &str) -> Result<Value<'a>, String> {
    match value {
        Value::Missing => Ok(Value::Missing),
        other => Err(format!("{message}, found {}", describe(other))),
    }
}

fn describe(value: Value) -> String {
    match value {
        Value::Missing => "a missing value".into(),
        Value::Number(x) => format!("the number {x}"),
        Value::Bool(b) => format!("`{b}`"),
        Value::Text(s) => format!("the string \"{s}\""),
    }
}

/// `and` (`decisive` = false) or `or` (`decisive` = true): SQL's three-valued logic, evaluating
/// the right side only when the left side does not decide.
fn logic<'a>(lhs: &Node<'a>, rhs: &Node<'a>, row: usize, decisive: bool) -> Result<Value<'a>, String> {
    let message = if decisive { "`or` needs conditions" } else { "`and` needs conditions" };
    let left_missing = match lhs.eval(row)? {
        Value::Bool(b) if b == decisive => return Ok(Value::Bool(decisive)),
        Value::Bool(_) => false,
        other => {
            expect_missing(other, message)?;
            true
        }
    };
    match rhs.eval(row)? {
        Value::Bool(b) if b == decisive => Ok(Value::Bool(decisive)),
        Value::Bool(_) if left_missing => Ok(Value::Missing),
        Value::Bool(b) => Ok(Value::Bool(b)),
        other => expect_missing(other, message),
    }
}

/// Arithmetic and comparisons (`and`, `or` and `in` are handled apart).
fn binary<'a>(op: BinOp, lhs: Value<'a>, rhs: Value<'a>) -> Result<Value<'a>, String> {
    use Value::{Bool, Missing, Number, Text};
    let fail = || Err(format!("`{}` cannot apply to {} and {}", op.as_str(), describe(lhs), describe(rhs)));
    match (op, lhs, rhs) {
        (_, Missing, _) | (_, _, Missing) => Ok(Missing),
        (BinOp::Add, Number(a), Number(b)) => Ok(Number(a + b)),
        (BinOp::Sub, Number(a), Number(b)) => Ok(Number(a - b)),
        (BinOp::Mul, Number(a), Number(b)) => Ok(Number(a * b)),
        (BinOp::Div, Number(a), Number(b)) => Ok(Number(a / b)),
        (BinOp::Lt, Number(a), Number(b)) => Ok(Bool(a < b)),
        (BinOp::Le, Number(a), Number(b)) => Ok(Bool(a <= b)),
        (BinOp::Gt, Number(a), Number(b)) => Ok(Bool(a > b)),
        (BinOp::Ge, Number(a), Number(b)) => Ok(Bool(a >= b)),
        (BinOp::Eq | BinOp::Ne, Number(a), Number(b)) if a.is_nan() || b.is_nan() => Ok(Bool(false)),
        (BinOp::Eq | BinOp::Ne, _, _) => match equal(lhs, rhs) {
            Some(same) => Ok(Bool(same == (op == BinOp::Eq))),
            None => fail(),
        },
        (_, Number(_) | Bool(_) | Text(_), _) => fail(),
    }
}

/// Equality of two non-missing values of the same kind; `None` for different kinds.
fn equal(lhs: Value, rhs: Value) -> Option<bool> {
    match (lhs, rhs) {
        (Value::Number(a), Value::Number(b)) => Some(a == b),
        (Value::Bool(a), Value::Bool(b)) => Some(a == b),
        (Value::Text(a), Value::Text(b)) => Some(a == b),
        _ => None,
    }
}

/// `value in [items]`: true on the first equal item; missing when the value or an item is
/// missing and none is equal; NaN equals nothing.
fn membership<'a>(value: Value<'a>, items: &[Node<'a>], row: usize) -> Result<Value<'a>, String> {
    if value == Value::Missing {
        return Ok(Value::Missing);
    }
    let mut saw_missing = false;
    for item in items {
        match binary(BinOp::Eq, value, item.eval(row)?)? {
            Value::Bool(true) => return Ok(Value::Bool(true)),
            Value::Missing => saw_missing = true,
            _ => {}
        }
    }
    Ok(if saw_missing { Value::Missing } else { Value::Bool(false) })
}

fn call<'a>(function: Function, args: &[Node<'a>], row: usize) -> Result<Value<'a>, String> {
    if function == Function::IsMissing {
        let value = args.first().map_or(Ok(Value::Missing), |a| a.eval(row))?;
        return Ok(Value::Bool(value == Value::Missing));
    }
    let mut numbers = [0.0; 3];
    for (slot, arg) in numbers.iter_mut().zip(args) {
        match arg.eval(row)? {
            Value::Number(x) => *slot = x,
            Value::Missing => return Ok(Value::Missing),
            other => {
                let name = format!("{function:?}").to_lowercase();
                return Err(format!("`{name}` needs numbers, found {}", describe(other)));
            }
        }
    }
    Ok(Value::Number(function.apply(&numbers[..args.len()])))
}

#[cfg(test)]
mod tests {
    use super::*;
    use mlp_compiler::ast::{DefKind, Item};
    use mlp_compiler::diagnostic::FileId;

    /// Parses `text` as the value of a feature definition.
    fn parse(text: &str) -> Expr {
        let (ast, diagnostics) = mlp_compiler::syntax::parse(&format!("feature f = {text}\n"), FileId(0));
        assert!(diagnostics.is_empty(), "{diagnostics:?}");
        match ast.items.into_iter().next() {
            Some(Item::Definition(d)) if d.kind == DefKind::Feature => d.value.expect("a value"),
            other => panic!("not a feature: {other:?}"),
        }
    }

    /// Named columns of equal length, owned (tests build them inline).
    struct Table(Vec<(String, ArrayRef)>);

    impl Table {
        fn columns(&self) -> Columns<'_> {
            let rows = self.0.first().map_or(0, |(_, c)| c.len());
            self.0.iter().fold(Columns::new(rows), |columns, (n, a)| columns.with(n, a))
        }
    }

    fn table(columns: Vec<(&str, ArrayRef)>) -> Table {
        Table(columns.into_iter().map(|(n, c)| (n.to_string(), c)).collect())
    }

    fn eval(expr: &str, table: &Table) -> ExprResult<ArrayRef> {
        evaluate(&parse(expr), &table.columns())
    }

    fn floats(values: &[Option<f64>]) -> ArrayRef {
        Arc::new(Float64Array::from(values.to_vec()))
    }

    fn texts(values: &[Option<&str>]) -> ArrayRef {
        Arc::new(StringArray::from(values.to_vec()))
    }

    fn numbers_of(expr: &str, table: &Table) -> Vec<Option<f64>> {
        let array = eval(expr, table).unwrap();
        let array = array.as_any().downcast_ref::<Float64Array>().expect("a Float64Array");
        array.iter().collect()
    }

    fn bools_of(expr: &str, table: &Table) -> Vec<Option<bool>> {
        let array = eval(expr, table).unwrap();
        let array = array.as_any().downcast_ref::<BooleanArray>().expect("a BooleanArray");
        array.iter().collect()
    }

    fn titanic() -> Table {
        table(vec![
            ("class", texts(&[Some("1st class"), Some("3rd class"), Some("2nd class"), Some("1st class"), None])),
            ("age", texts(&[Some("adults"), Some("child"), Some("child"), Some("adults"), Some("child")])),
            ("sex", texts(&[Some("women"), Some("women"), Some("man"), Some("man"), Some("women")])),
        ])
    }

    #[test]
    fn titanic_sea_rule() {
        let rule = r#"(sex == "women" or age == "child") and class in ["1st class", "2nd class"]"#;
        assert_eq!(bools_of(rule, &titanic()), vec![Some(true), Some(false), Some(true), Some(false), None]);
        let priority = r#"sex == "women" or age == "child""#;
        assert_eq!(bools_of(priority, &titanic()), vec![Some(true), Some(true), Some(true), Some(false), Some(true)]);
    }

    #[test]
    fn breast_cancer_size_rule_with_missing_and_nan() {
        let t = table(vec![
            ("mean_radius", floats(&[Some(17.99), Some(12.0), Some(12.0), None, None, Some(f64::NAN)])),
            ("worst_concave_points", floats(&[Some(0.1), Some(0.2), Some(0.1), Some(0.2), Some(0.1), Some(0.1)])),
        ]);
        let rule = "mean_radius > 15 or worst_concave_points > 0.15";
        assert_eq!(bools_of(rule, &t), vec![Some(true), Some(true), Some(false), Some(true), None, Some(false)]);
    }

    #[test]
    fn arithmetic_is_f64_with_ieee_division() {
        let ints: ArrayRef = Arc::new(Int64Array::from(vec![Some(7), Some(0), None, Some(-3)]));
        let t = table(vec![("n", ints)]);
        assert_eq!(numbers_of("n / 2", &t), vec![Some(3.5), Some(0.0), None, Some(-1.5)]);
        assert_eq!(numbers_of("n * 2 + 1 - -n", &t), vec![Some(22.0), Some(1.0), None, Some(-8.0)]);
        let divided = numbers_of("1 / n", &t);
        assert_eq!(divided[1], Some(f64::INFINITY));
        assert!(numbers_of("n / n", &t)[1].unwrap().is_nan());
    }

    #[test]
    fn comparisons_with_nan_are_false() {
        let t = table(vec![("x", floats(&[Some(f64::NAN), Some(1.0)]))]);
        for op in ["<", "<=", ">", ">=", "==", "!="] {
            assert_eq!(bools_of(&format!("x {op} 1"), &t)[0], Some(false), "NaN {op} 1");
        }
        assert_eq!(bools_of("x != 2", &t)[1], Some(true));
        assert_eq!(bools_of("x in [1, 2]", &t), vec![Some(false), Some(true)]);
        assert_eq!(bools_of("is_missing(x)", &t), vec![Some(false), Some(false)]);
    }

    #[test]
    fn three_valued_logic_and_short_circuit() {
        let b: ArrayRef = Arc::new(BooleanArray::from(vec![Some(true), Some(false), None]));
        let t = table(vec![("b", b)]);
        assert_eq!(bools_of("b and false", &t), vec![Some(false), Some(false), Some(false)]);
        assert_eq!(bools_of("b and true", &t), vec![Some(true), Some(false), None]);
        assert_eq!(bools_of("b or true", &t), vec![Some(true), Some(true), Some(true)]);
        assert_eq!(bools_of("b or false", &t), vec![Some(true), Some(false), None]);
        assert_eq!(bools_of("false and b", &t), vec![Some(false); 3]);
        assert_eq!(bools_of("not b", &t), vec![Some(false), Some(true), None]);
        assert_eq!(bools_of("b == true", &t), vec![Some(true), Some(false), None]);
        // The right side is never evaluated where the left decides: a type error there is not hit.
        assert_eq!(bools_of(r#"true or "oops" + 1 > 0"#, &t), vec![Some(true); 3]);
    }

    #[test]
    fn missing_values_propagate_except_through_is_missing() {
        let t = table(vec![("x", floats(&[Some(4.0), None]))]);
        assert_eq!(numbers_of("sqrt(x) + 1", &t), vec![Some(3.0), None]);
        assert_eq!(bools_of("x > 1", &t), vec![Some(true), None]);
        assert_eq!(bools_of("x in [4, 5]", &t), vec![Some(true), None]);
        assert_eq!(bools_of("is_missing(x)", &t), vec![Some(false), Some(true)]);
        assert_eq!(bools_of("is_missing(x + 1)", &t), vec![Some(false), Some(true)]);
        assert_eq!(numbers_of("if x > 1 then 1 else 0", &t), vec![Some(1.0), None]);
        assert_eq!(numbers_of("if is_missing(x) then 0 else x", &t), vec![Some(4.0), Some(0.0)]);
    }

    #[test]
    fn functions() {
        let t = table(vec![("x", floats(&[Some(2.5), Some(-2.5), Some(0.0), Some(f64::NAN)]))]);
        assert_eq!(numbers_of("round(x)", &t)[..3], [Some(3.0), Some(-3.0), Some(0.0)]);
        assert_eq!(numbers_of("abs(x)", &t)[..3], [Some(2.5), Some(2.5), Some(0.0)]);
        assert_eq!(numbers_of("floor(x)", &t)[..3], [Some(2.0), Some(-3.0), Some(0.0)]);
        assert_eq!(numbers_of("ceil(x)", &t)[..3], [Some(3.0), Some(-2.0), Some(0.0)]);
        assert_eq!(numbers_of("min(x, 1)", &t)[..3], [Some(1.0), Some(-2.5), Some(0.0)]);
        assert_eq!(numbers_of("max(x, 1)", &t)[..3], [Some(2.5), Some(1.0), Some(1.0)]);
        assert_eq!(numbers_of("clamp(x, -1, 1)", &t)[..3], [Some(1.0), Some(-1.0), Some(0.0)]);
        // low > high: high wins, no panic.
        assert_eq!(numbers_of("clamp(x, 1, -1)", &t)[..3], [Some(-1.0); 3]);
        assert!(numbers_of("min(x, 1)", &t)[3].unwrap().is_nan());
        assert!(numbers_of("clamp(x, -1, 1)", &t)[3].unwrap().is_nan());
        assert_eq!(numbers_of("log(x)", &t)[2], Some(f64::NEG_INFINITY));
        assert!(numbers_of("sqrt(x)", &t)[1].unwrap().is_nan());
        assert_eq!(numbers_of("pow(x, 2)", &t)[..3], [Some(6.25), Some(6.25), Some(0.0)]);
        assert_eq!(numbers_of("exp(x) * 0 + log1p(0)", &t)[..3], [Some(0.0); 3]);
    }

    #[test]
    fn categories_numbers_and_conditionals() {
        let t = titanic();
        let array = eval(r#"if sex == "women" then age else class"#, &t).unwrap();
        let strings = array.as_any().downcast_ref::<StringArray>().expect("a StringArray");
        assert_eq!(
            strings.iter().collect::<Vec<_>>(),
            vec![Some("adults"), Some("child"), Some("2nd class"), Some("1st class"), Some("child")]
        );
        assert_eq!(
            bools_of(r#"class != "1st class""#, &t),
            vec![Some(false), Some(true), Some(true), Some(false), None]
        );
        let n = table(vec![("x", floats(&[Some(-1.0), Some(2.0), Some(3.0)]))]);
        assert_eq!(bools_of("x in [-1, 3]", &n), vec![Some(true), Some(false), Some(true)]);
        assert_eq!(numbers_of("if x > 0 then 1 else 0.5", &n), vec![Some(0.5), Some(1.0), Some(1.0)]);
        assert_eq!(numbers_of("5%", &n), vec![Some(0.05); 3]);
    }

    #[test]
    fn extra_columns_hide_table_columns() {
        let t = table(vec![
            ("x", floats(&[Some(1.0), Some(2.0)])),
            ("x", floats(&[Some(10.0), Some(20.0)])),
            ("y", floats(&[Some(1.0), None])),
        ]);
        let array = eval("x + y", &t).unwrap();
        let array = array.as_any().downcast_ref::<Float64Array>().unwrap();
        assert_eq!(array.iter().collect::<Vec<_>>(), vec![Some(11.0), None]);
    }

    #[test]
    fn what_cannot_be_evaluated_is_an_error() {
        let t = table(vec![("x", floats(&[Some(1.0)])), ("s", texts(&[Some("a")]))]);
        for expr in ["y + 1", "nope(x)", "min(x)", "a.b", r#"s + 1"#, "not x", r#"x == "a""#] {
            assert!(eval(expr, &t).is_err(), "{expr}");
        }
        assert!(eval("y", &t).unwrap_err().message.contains("`y`"));
        assert!(eval("s + 1", &t).unwrap_err().message.contains("row 1"));
        let short = floats(&[]);
        let columns = t.columns().with("z", &short);
        assert!(evaluate(&parse("z"), &columns).is_err());
        let empty = table(vec![("x", floats(&[]))]);
        assert_eq!(eval("x > 1", &empty).unwrap().len(), 0);
    }
}
