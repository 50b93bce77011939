//! Typing of column expressions (derived features and rule baselines): arithmetic, comparisons,
//! boolean logic, if-then-else, category literals and membership, and the built-in functions.
//! [`type_expr`] is the entry point; a [`Typer`] holds what one expression is typed against.

use super::names::{did_you_mean, list_names};
use super::pass::Pass;
use crate::ast::{Arg, BinOp, Expr, ExprKind, UnOp};
use crate::codes::Code;
use crate::diagnostic::{Diagnostic, FileId};
use crate::span::Span;
use crate::types::{ColumnType, Schema};
use std::collections::{BTreeSet, HashMap};

/// The type of an expression over columns; `Str` is a string literal waiting to meet a category.
#[derive(Clone, Debug, PartialEq)]
pub enum ExprType {
    Column(ColumnType),
    Str(String),
    List(Vec<ExprType>),
    /// Already reported; suppresses follow-on errors.
    Error,
}

impl ExprType {
    pub fn describe(&self) -> String {
        match self {
            ExprType::Column(ty) => ty.to_string(),
            ExprType::Str(_) => "a string".into(),
            ExprType::List(_) => "a list".into(),
            ExprType::Error => "an error".into(),
        }
    }

    fn is_numeric(&self) -> bool {
        matches!(self, ExprType::Column(ty) if ty.is_numeric())
    }
}

/// The names an expression may use: a dataset's columns and the features typed so far.
pub struct Scope<'s> {
    pub schema: &'s Schema,
    pub features: &'s HashMap<String, ColumnType>,
    /// What the scope is called in messages: "dataset `cells`".
    pub described: String,
}

impl Scope<'_> {
    fn lookup(&self, name: &str) -> Option<ColumnType> {
        self.features.get(name).cloned().or_else(|| self.schema.get(name).map(|c| c.ty.clone()))
    }

    fn names(&self) -> Vec<&str> {
        let mut names: Vec<&str> = self.schema.names().chain(self.features.keys().map(String::as_str)).collect();
        names.sort();
        names.dedup();
        names
    }
}

/// Names an expression reads (columns and features), for dependency order.
pub fn reads(expr: &Expr, out: &mut BTreeSet<String>) {
    let mut stack = vec![expr];
    while let Some(e) = stack.pop() {
        match &e.kind {
            ExprKind::Name(n) => {
                out.insert(n.clone());
            }
            ExprKind::Field { base, .. } => stack.push(base),
            // A callee names a function, not a column.
            ExprKind::Call { args, .. } => stack.extend(args.iter().map(|a| &a.value)),
            ExprKind::List(items) => stack.extend(items),
            ExprKind::Paren(inner) | ExprKind::Unary { operand: inner, .. } => stack.push(inner),
            ExprKind::Binary { lhs, rhs, .. } => {
                stack.push(lhs);
                stack.push(rhs);
            }
            ExprKind::If { cond, then, otherwise } => {
                stack.push(cond);
                stack.push(then);
                stack.push(otherwise);
            }
            ExprKind::Number { .. } | ExprKind::String(_) | ExprKind::Bool(_) | ExprKind::Error => {}
        }
    }
}

/// E0401 at `expr`: the diagnostic for a type mismatch.
pub fn mismatch(file: FileId, expr: &Expr, message: String, primary: String, help: &str) -> Diagnostic {
    Diagnostic::error(Code::E0401, file, expr.span, message).with_primary(primary).with_help(help.to_string())
}

/// Types an expression in a scope, reporting every error found into the pass.
pub fn type_expr(p: &mut Pass<'_>, file: FileId, expr: &Expr, scope: &Scope) -> ExprType {
    Typer { p, file, scope }.ty(expr)
}

/// What an expression is typed against: the pass it reports into, its file and its scope.
struct Typer<'t, 'a, 's> {
    p: &'t mut Pass<'a>,
    file: FileId,
    scope: &'s Scope<'s>,
}

impl Typer<'_, '_, '_> {
    fn mismatch(&mut self, expr: &Expr, message: String, primary: String, help: &str) -> ExprType {
        self.p.report(mismatch(self.file, expr, message, primary, help));
        ExprType::Error
    }

    /// Reports a string literal that is not a level of the category it is compared with.
    fn check_level(&mut self, literal: &Expr, level: &str, levels: &[String], column: &str) {
        if levels.iter().any(|l| l == level) {
            return;
        }
        let help = match did_you_mean(level, levels.iter().map(String::as_str)) {
            Some(close) => format!("did you mean \"{close}\"?"),
            None => format!("the levels of `{column}` are {}", list_names(levels.iter().map(String::as_str))),
        };
        self.p.report(
            Diagnostic::error(
                Code::E0402,
                self.file,
                literal.span,
                format!("\"{level}\" is not a level of `{column}`"),
            )
            .with_primary("unknown category level")
            .with_help(help),
        );
    }

    fn ty(&mut self, expr: &Expr) -> ExprType {
        match &expr.kind {
            ExprKind::Number { is_int: true, percent: false, .. } => ExprType::Column(ColumnType::Int),
            ExprKind::Number { .. } => ExprType::Column(ColumnType::Float),
            ExprKind::Bool(_) => ExprType::Column(ColumnType::Bool),
            ExprKind::String(s) => ExprType::Str(s.clone()),
            ExprKind::Error => ExprType::Error,
            ExprKind::Paren(inner) => self.ty(inner),
            ExprKind::Name(name) => match self.scope.lookup(name) {
                Some(ty) => ExprType::Column(ty),
                None => {
                    let names = self.scope.names();
                    self.p.unknown_column(self.file, expr.span, name, names.into_iter(), &self.scope.described);
                    ExprType::Error
                }
            },
            ExprKind::List(items) => ExprType::List(items.iter().map(|i| self.ty(i)).collect()),
            ExprKind::Field { .. } => self.mismatch(
                expr,
                "fields are not available in column expressions".into(),
                "not a column".into(),
                "refer to columns and features by name",
            ),
            ExprKind::Unary { op, operand } => self.unary(*op, operand),
            ExprKind::If { cond, then, otherwise } => self.conditional(cond, then, otherwise),
            ExprKind::Call { callee, args } => self.call(expr, callee, args),
            ExprKind::Binary { op, lhs, rhs, op_span } => {
                let l = self.ty(lhs);
                let r = self.ty(rhs);
                if l == ExprType::Error || r == ExprType::Error {
                    return ExprType::Error;
                }
                match op {
                    BinOp::Add | BinOp::Sub | BinOp::Mul | BinOp::Div => {
                        self.arithmetic(*op, *op_span, (lhs, &l), (rhs, &r))
                    }
                    BinOp::And | BinOp::Or => self.logical(*op, (lhs, &l), (rhs, &r)),
                    BinOp::Lt | BinOp::Le | BinOp::Gt | BinOp::Ge => self.ordering(*op, *op_span, &l, &r),
                    BinOp::Eq | BinOp::Ne => self.equality(*op_span, (lhs, &l), (rhs, &r)),
                    BinOp::In => self.membership((lhs, &l), (rhs, &r)),
                }
            }
        }
    }

    fn unary(&mut self, op: UnOp, operand: &Expr) -> ExprType {
        let ty = self.ty(operand);
        match (op, &ty) {
            (_, ExprType::Error) => ExprType::Error,
            (UnOp::Neg, t) if t.is_numeric() => ty,
            (UnOp::Not, ExprType::Column(ColumnType::Bool)) => ty,
            (UnOp::Neg, t) => self.mismatch(
                operand,
                format!("cannot negate {}", t.describe()),
                "not a number".into(),
                "`-` applies to numbers",
            ),
            (UnOp::Not, t) => self.mismatch(
                operand,
                format!("`not` needs a condition, found {}", t.describe()),
                "not a bool".into(),
                "compare first, e.g. `not (age > 30)`",
            ),
        }
    }

    /// `if cond then a else b`: a bool condition and branches of one type (numbers mix).
    fn conditional(&mut self, cond: &Expr, then: &Expr, otherwise: &Expr) -> ExprType {
        let c = self.ty(cond);
        if !matches!(c, ExprType::Column(ColumnType::Bool) | ExprType::Error) {
            self.mismatch(
                cond,
                format!("an `if` condition must be a bool, found {}", c.describe()),
                "not a condition".into(),
                "compare the value, e.g. `if age > 30 then ...`",
            );
        }
        let t = self.ty(then);
        let o = self.ty(otherwise);
        match (&t, &o) {
            (ExprType::Error, _) | (_, ExprType::Error) => ExprType::Error,
            (a, b) if a.is_numeric() && b.is_numeric() => {
                if a == b {
                    t
                } else {
                    ExprType::Column(ColumnType::Float)
                }
            }
            (a, b) if a == b => t,
            (a, b) => self.mismatch(
                otherwise,
                format!("`if` branches have different types: {} and {}", a.describe(), b.describe()),
                format!("this branch is {}", b.describe()),
                "make both branches numbers, or both bools",
            ),
        }
    }

    /// A call of a built-in function: positional arguments, as many as it declares, numbers
    /// where it takes `float`.
    fn call(&mut self, expr: &Expr, callee: &Expr, args: &[Arg]) -> ExprType {
        let Some(name) = callee.as_name() else {
            return self.mismatch(
                callee,
                "only built-in functions can be called here".into(),
                "not a function".into(),
                "call a function such as `log(x)` or `abs(x)`",
            );
        };
        let stdlib = self.p.cx.stdlib;
        let Some(function) = stdlib.lookup("function", name) else {
            let names: Vec<&str> = stdlib.of_kind("function").map(|f| f.name.as_str()).collect();
            let help = match did_you_mean(name, names.iter().copied()) {
                Some(close) => format!("did you mean `{close}`?"),
                None => format!("the functions are {}", list_names(names)),
            };
            self.p.report(
                Diagnostic::error(Code::E0103, self.file, callee.span, format!("unknown function `{name}`"))
                    .with_primary("no such function")
                    .with_help(help),
            );
            return ExprType::Error;
        };
        if let Some(named) = args.iter().find_map(|a| a.name.as_ref()) {
            self.p.report(
                Diagnostic::error(
                    Code::E0204,
                    self.file,
                    named.span,
                    format!("`{name}` takes positional arguments only"),
                )
                .with_primary("named argument")
                .with_help(format!("signature: {}; drop `{}:`", function.signature(), named.name)),
            );
            return ExprType::Error;
        }
        if args.len() != function.params.len() {
            self.p.report(
                Diagnostic::error(
                    Code::E0204,
                    self.file,
                    expr.span,
                    format!(
                        "`{name}` takes {} argument{}, found {}",
                        function.params.len(),
                        if function.params.len() == 1 { "" } else { "s" },
                        args.len()
                    ),
                )
                .with_primary("wrong number of arguments")
                .with_help(format!("signature: {}", function.signature())),
            );
            return ExprType::Error;
        }
        for (arg, param) in args.iter().zip(&function.params) {
            let ty = self.ty(&arg.value);
            if param.ty_text == "float" && !ty.is_numeric() && ty != ExprType::Error {
                self.mismatch(
                    &arg.value,
                    format!("`{name}` needs a number, found {}", ty.describe()),
                    "not a number".into(),
                    "pass a numeric column or expression",
                );
            }
        }
        match function.returns.as_deref() {
            Some("bool") => ExprType::Column(ColumnType::Bool),
            _ => ExprType::Column(ColumnType::Float),
        }
    }

    /// `+ - * /` on numbers: int when both sides are (but for `/`), else float.
    fn arithmetic(&mut self, op: BinOp, op_span: Span, (lhs, l): Typed, (rhs, r): Typed) -> ExprType {
        if l.is_numeric() && r.is_numeric() {
            let both_int = *l == ExprType::Column(ColumnType::Int) && *r == ExprType::Column(ColumnType::Int);
            return ExprType::Column(if both_int && op != BinOp::Div { ColumnType::Int } else { ColumnType::Float });
        }
        let bad = if l.is_numeric() { rhs } else { lhs };
        let bad_ty = if l.is_numeric() { r } else { l };
        self.p.report(
            Diagnostic::error(
                Code::E0401,
                self.file,
                op_span,
                format!("`{}` needs numbers on both sides, found {} and {}", op.as_str(), l.describe(), r.describe()),
            )
            .with_primary("cannot apply to these types")
            .with_label(bad.span, format!("this is {}", bad_ty.describe()))
            .with_help("arithmetic works on float and int columns; compare categories with `==` or `in`"),
        );
        ExprType::Error
    }

    /// `and`, `or` on conditions.
    fn logical(&mut self, op: BinOp, left: Typed, right: Typed) -> ExprType {
        for (side, ty) in [left, right] {
            if *ty != BOOL {
                return self.mismatch(
                    side,
                    format!("`{}` needs conditions on both sides, found {}", op.as_str(), ty.describe()),
                    "not a bool".into(),
                    "compare the value first, e.g. `age > 30`",
                );
            }
        }
        BOOL
    }

    /// `< <= > >=` on numbers.
    fn ordering(&mut self, op: BinOp, op_span: Span, l: &ExprType, r: &ExprType) -> ExprType {
        if l.is_numeric() && r.is_numeric() {
            return BOOL;
        }
        self.p.report(
            Diagnostic::error(
                Code::E0401,
                self.file,
                op_span,
                format!("`{}` compares numbers, found {} and {}", op.as_str(), l.describe(), r.describe()),
            )
            .with_primary("cannot order these types")
            .with_help("order comparisons work on numbers; test categories with `==` or `in`"),
        );
        ExprType::Error
    }

    /// `==`, `!=`: numbers with numbers, a category with one of its levels, like with like.
    fn equality(&mut self, op_span: Span, (lhs, l): Typed, (rhs, r): Typed) -> ExprType {
        match (l, r) {
            (ExprType::Column(ColumnType::Category { levels }), ExprType::Str(s)) => {
                self.check_level(rhs, s, levels, &lhs.to_string());
            }
            (ExprType::Str(s), ExprType::Column(ColumnType::Category { levels })) => {
                self.check_level(lhs, s, levels, &rhs.to_string());
            }
            (a, b) if a.is_numeric() && b.is_numeric() => {}
            (ExprType::Str(_), ExprType::Str(_)) => {}
            (a, b) if a == b => {}
            (a, b) => {
                self.p.report(
                    Diagnostic::error(
                        Code::E0401,
                        self.file,
                        op_span,
                        format!("cannot compare {} with {}", a.describe(), b.describe()),
                    )
                    .with_primary("incompatible types")
                    .with_help("compare a category with one of its levels as a string, e.g. `sex == \"female\"`"),
                );
                return ExprType::Error;
            }
        }
        BOOL
    }

    /// `x in [...]`: levels of a category, or numbers for a numeric column.
    fn membership(&mut self, (lhs, l): Typed, (rhs, r): Typed) -> ExprType {
        let ExprType::List(items) = r else {
            return self.mismatch(
                rhs,
                format!("`in` needs a list on the right, found {}", r.describe()),
                "not a list".into(),
                "write the values in brackets: `plan in [\"pro\", \"team\"]`",
            );
        };
        let ExprKind::List(item_exprs) = &rhs.kind else { return BOOL };
        for (item, item_expr) in items.iter().zip(item_exprs) {
            match (l, item) {
                (ExprType::Column(ColumnType::Category { levels }), ExprType::Str(s)) => {
                    self.check_level(item_expr, s, levels, &lhs.to_string());
                }
                (a, b) if a.is_numeric() && b.is_numeric() => {}
                (a, b) => {
                    return self.mismatch(
                        item_expr,
                        format!("cannot test {} for membership among {}", a.describe(), b.describe()),
                        "wrong kind of value".into(),
                        "list levels of the category as strings, or numbers for a numeric column",
                    );
                }
            }
        }
        BOOL
    }
}

/// An operand and its type.
type Typed<'e> = (&'e Expr, &'e ExprType);

const BOOL: ExprType = ExprType::Column(ColumnType::Bool);
