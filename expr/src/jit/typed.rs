//! An expression made ready for code generation: names resolved to input slots, every node's
//! kind of value known, string literals numbered. Lowering refuses what the checker would have
//! refused; such expressions are left to the reference evaluator, which reports them by row.

use crate::reference::Function;
use crate::{ExprError, ExprResult};
use arrow_schema::DataType;
use mlp_compiler::ast::{BinOp, Expr, ExprKind, UnOp};

/// The kind of value a node yields for each row (missing aside).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Kind {
    Number,
    Bool,
    /// A category level or text, compared by its code in the evaluation's dictionary.
    Text,
}

/// How an input column is laid out, which decides how the kernel loads it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Layout {
    Float64,
    /// Read as f64, as the reference evaluator does.
    Int64,
    /// Arrow's packed bits.
    Bool,
    /// Strings, handed to the kernel as i64 codes.
    Text,
}

impl Layout {
    pub fn of(data_type: &DataType) -> Option<Layout> {
        Some(match data_type {
            DataType::Float64 => Layout::Float64,
            DataType::Int64 => Layout::Int64,
            DataType::Boolean => Layout::Bool,
            DataType::Utf8 => Layout::Text,
            _ => return None,
        })
    }

    pub fn kind(self) -> Kind {
        match self {
            Layout::Float64 | Layout::Int64 => Kind::Number,
            Layout::Bool => Kind::Bool,
            Layout::Text => Kind::Text,
        }
    }
}

/// A node of the typed tree.
#[derive(Clone, Debug, PartialEq)]
pub enum Node {
    Number(f64),
    Bool(bool),
    /// A string literal by its code (its index among the expression's distinct literals).
    Text(i64),
    /// An input column by its slot.
    Input(usize),
    Neg(Box<Node>),
    Not(Box<Node>),
    /// `+ - * /` on numbers.
    Arithmetic(BinOp, Box<Node>, Box<Node>),
    /// `< <= > >= == !=` on two values of the same kind.
    Compare(BinOp, Kind, Box<Node>, Box<Node>),
    And(Box<Node>, Box<Node>),
    Or(Box<Node>, Box<Node>),
    If(Box<[Node; 3]>),
    IsMissing(Box<Node>),
    /// A numeric function on numbers.
    Call(Function, Vec<Node>),
}

/// A lowered expression and what it needs from the data.
#[derive(Clone, Debug)]
pub struct Typed {
    pub root: Node,
    pub kind: Kind,
    /// The columns read, by slot: name and layout.
    pub inputs: Vec<(String, Layout)>,
    /// The distinct string literals; a literal's code is its index here.
    pub literals: Vec<String>,
}

/// Lowers `expr` over columns whose types `type_of` gives.
pub fn lower(expr: &Expr, type_of: &dyn Fn(&str) -> Option<DataType>) -> ExprResult<Typed> {
    let mut lowering = Lowering { type_of, inputs: Vec::new(), literals: Vec::new() };
    let (root, kind) = lowering.node(expr, 0)?;
    Ok(Typed { root, kind, inputs: lowering.inputs, literals: lowering.literals })
}

struct Lowering<'t> {
    type_of: &'t dyn Fn(&str) -> Option<DataType>,
    inputs: Vec<(String, Layout)>,
    literals: Vec<String>,
}

fn refuse(expr: &Expr, why: &str) -> ExprError {
    ExprError::new(format!("`{expr}` cannot be compiled: {why}"))
}

impl Lowering<'_> {
    fn node(&mut self, expr: &Expr, depth: usize) -> ExprResult<(Node, Kind)> {
        if depth > crate::reference::MAX_DEPTH {
            return Err(refuse(expr, "nested too deeply"));
        }
        let mut sub = |e: &Expr| self.node(e, depth + 1).map(|(n, k)| (Box::new(n), k));
        let numbers = |expr: &Expr, kinds: &[Kind]| {
            if kinds.iter().all(|k| *k == Kind::Number) { Ok(()) } else { Err(refuse(expr, "needs numbers")) }
        };
        Ok(match &expr.kind {
            ExprKind::Number { value, .. } => (Node::Number(*value), Kind::Number),
            ExprKind::Bool(b) => (Node::Bool(*b), Kind::Bool),
            ExprKind::String(s) => (Node::Text(self.literal(s)), Kind::Text),
            ExprKind::Name(name) => {
                let slot = self.input(expr, name)?;
                (Node::Input(slot), self.inputs[slot].1.kind())
            }
            ExprKind::Paren(inner) => return self.node(inner, depth + 1),
            ExprKind::Unary { op, operand } => {
                let (operand, kind) = sub(operand)?;
                match (op, kind) {
                    (UnOp::Neg, Kind::Number) => (Node::Neg(operand), Kind::Number),
                    (UnOp::Not, Kind::Bool) => (Node::Not(operand), Kind::Bool),
                    _ => return Err(refuse(expr, "operand of the wrong type")),
                }
            }
            ExprKind::Binary { op: BinOp::In, lhs, rhs, .. } => {
                let ExprKind::List(items) = &rhs.kind else { return Err(refuse(expr, "`in` needs a list")) };
                let (value, kind) = self.node(lhs, depth + 1)?;
                // `x in [a, b]` is `x == a or x == b` under three-valued logic; an empty list is false.
                let mut result: Option<Node> = None;
                for item in items {
                    let (item, item_kind) = self.node(item, depth + 1)?;
                    if item_kind != kind {
                        return Err(refuse(expr, "list items of another type"));
                    }
                    let test = Node::Compare(BinOp::Eq, kind, Box::new(value.clone()), Box::new(item));
                    result = Some(match result {
                        None => test,
                        Some(before) => Node::Or(Box::new(before), Box::new(test)),
                    });
                }
                match result {
                    Some(node) => (node, Kind::Bool),
                    // No items: false, or missing for a missing value, which is what `x != x` gives
                    // (NaN equals nothing, so it is false for NaN too).
                    None => (Node::Compare(BinOp::Ne, kind, Box::new(value.clone()), Box::new(value)), Kind::Bool),
                }
            }
            ExprKind::Binary { op, lhs, rhs, .. } => {
                let (l, lk) = sub(lhs)?;
                let (r, rk) = sub(rhs)?;
                match op {
                    BinOp::Add | BinOp::Sub | BinOp::Mul | BinOp::Div => {
                        numbers(expr, &[lk, rk])?;
                        (Node::Arithmetic(*op, l, r), Kind::Number)
                    }
                    BinOp::Lt | BinOp::Le | BinOp::Gt | BinOp::Ge => {
                        numbers(expr, &[lk, rk])?;
                        (Node::Compare(*op, Kind::Number, l, r), Kind::Bool)
                    }
                    BinOp::Eq | BinOp::Ne if lk == rk => (Node::Compare(*op, lk, l, r), Kind::Bool),
                    BinOp::And | BinOp::Or if lk == Kind::Bool && rk == Kind::Bool => {
                        let node = if *op == BinOp::And { Node::And(l, r) } else { Node::Or(l, r) };
                        (node, Kind::Bool)
                    }
                    _ => return Err(refuse(expr, "operands of the wrong types")),
                }
            }
            ExprKind::If { cond, then, otherwise } => {
                let (c, ck) = self.node(cond, depth + 1)?;
                let (t, tk) = self.node(then, depth + 1)?;
                let (o, ok) = self.node(otherwise, depth + 1)?;
                if ck != Kind::Bool || tk != ok {
                    return Err(refuse(expr, "a condition that is not a bool, or branches of different types"));
                }
                (Node::If(Box::new([c, t, o])), tk)
            }
            ExprKind::Call { .. } => {
                let Some((name, _, args)) = expr.as_call() else { return Err(refuse(expr, "not a function")) };
                let Some((function, arity)) = Function::named(name) else {
                    return Err(refuse(expr, "unknown function"));
                };
                if args.len() != arity || args.iter().any(|a| a.name.is_some()) {
                    return Err(refuse(expr, "wrong arguments"));
                }
                let mut lowered = Vec::with_capacity(args.len());
                for arg in args {
                    let (node, kind) = self.node(&arg.value, depth + 1)?;
                    if function != Function::IsMissing {
                        numbers(expr, &[kind])?;
                    }
                    lowered.push(node);
                }
                if function == Function::IsMissing {
                    let arg = lowered.pop().ok_or_else(|| refuse(expr, "wrong arguments"))?;
                    (Node::IsMissing(Box::new(arg)), Kind::Bool)
                } else {
                    (Node::Call(function, lowered), Kind::Number)
                }
            }
            ExprKind::List(_) | ExprKind::Field { .. } | ExprKind::Error => {
                return Err(refuse(expr, "not a column expression"));
            }
        })
    }

    fn input(&mut self, expr: &Expr, name: &str) -> ExprResult<usize> {
        if let Some(slot) = self.inputs.iter().position(|(n, _)| n == name) {
            return Ok(slot);
        }
        let data_type = (self.type_of)(name).ok_or_else(|| refuse(expr, "no such column"))?;
        let layout = Layout::of(&data_type).ok_or_else(|| refuse(expr, "a column type expressions cannot read"))?;
        self.inputs.push((name.to_string(), layout));
        Ok(self.inputs.len() - 1)
    }

    fn literal(&mut self, text: &str) -> i64 {
        let at = self.literals.iter().position(|l| l == text).unwrap_or_else(|| {
            self.literals.push(text.to_string());
            self.literals.len() - 1
        });
        at as i64
    }
}
