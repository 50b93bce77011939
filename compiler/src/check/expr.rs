//! Typing of column expressions (derived features and rule baselines): arithmetic, comparisons,
//! boolean logic, if-then-else, category literals and membership, and the built-in functions.

use super::Checker;
use super::names::{did_you_mean, list_names};
use crate::ast::{BinOp, DefKind, Expr, ExprKind, UnOp};
use crate::codes::Code;
use crate::diagnostic::{Diagnostic, FileId};
use crate::program::{Expression, Feature};
use crate::types::{Column, ColumnType, Schema};
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

impl<'a> Checker<'a> {
    fn mismatch(&mut self, file: FileId, expr: &Expr, message: String, primary: String, help: &str) -> ExprType {
        self.error(
            Diagnostic::error(Code::E0401, file, expr.span, message).with_primary(primary).with_help(help.to_string()),
        );
        ExprType::Error
    }

    /// Reports a string literal that is not a level of the category it is compared with.
    fn check_level(&mut self, file: FileId, literal: &Expr, level: &str, levels: &[String], column: &str) {
        if levels.iter().any(|l| l == level) {
            return;
        }
        let help = match did_you_mean(level, levels.iter().map(String::as_str)) {
            Some(close) => format!("did you mean \"{close}\"?"),
            None => format!("the levels of `{column}` are {}", list_names(levels.iter().map(String::as_str))),
        };
        self.error(
            Diagnostic::error(Code::E0402, file, literal.span, format!("\"{level}\" is not a level of `{column}`"))
                .with_primary("unknown category level")
                .with_help(help),
        );
    }

    /// Types an expression in a scope, reporting every error found.
    pub fn type_expr(&mut self, file: FileId, expr: &Expr, scope: &Scope) -> ExprType {
        match &expr.kind {
            ExprKind::Number { is_int: true, percent: false, .. } => ExprType::Column(ColumnType::Int),
            ExprKind::Number { .. } => ExprType::Column(ColumnType::Float),
            ExprKind::Bool(_) => ExprType::Column(ColumnType::Bool),
            ExprKind::String(s) => ExprType::Str(s.clone()),
            ExprKind::Error => ExprType::Error,
            ExprKind::Paren(inner) => self.type_expr(file, inner, scope),
            ExprKind::Name(name) => match scope.lookup(name) {
                Some(ty) => ExprType::Column(ty),
                None => {
                    let names = scope.names();
                    self.unknown_column(file, expr.span, name, names.into_iter(), &scope.described);
                    ExprType::Error
                }
            },
            ExprKind::List(items) => ExprType::List(items.iter().map(|i| self.type_expr(file, i, scope)).collect()),
            ExprKind::Field { .. } => self.mismatch(
                file,
                expr,
                "fields are not available in column expressions".into(),
                "not a column".into(),
                "refer to columns and features by name",
            ),
            ExprKind::Unary { op, operand } => {
                let ty = self.type_expr(file, operand, scope);
                match (op, &ty) {
                    (_, ExprType::Error) => ExprType::Error,
                    (UnOp::Neg, t) if t.is_numeric() => ty,
                    (UnOp::Not, ExprType::Column(ColumnType::Bool)) => ty,
                    (UnOp::Neg, t) => self.mismatch(
                        file,
                        operand,
                        format!("cannot negate {}", t.describe()),
                        "not a number".into(),
                        "`-` applies to numbers",
                    ),
                    (UnOp::Not, t) => self.mismatch(
                        file,
                        operand,
                        format!("`not` needs a condition, found {}", t.describe()),
                        "not a bool".into(),
                        "compare first, e.g. `not (age > 30)`",
                    ),
                }
            }
            ExprKind::If { cond, then, otherwise } => {
                let c = self.type_expr(file, cond, scope);
                if !matches!(c, ExprType::Column(ColumnType::Bool) | ExprType::Error) {
                    self.mismatch(
                        file,
                        cond,
                        format!("an `if` condition must be a bool, found {}", c.describe()),
                        "not a condition".into(),
                        "compare the value, e.g. `if age > 30 then ...`",
                    );
                }
                let t = self.type_expr(file, then, scope);
                let o = self.type_expr(file, otherwise, scope);
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
                        file,
                        otherwise,
                        format!("`if` branches have different types: {} and {}", a.describe(), b.describe()),
                        format!("this branch is {}", b.describe()),
                        "make both branches numbers, or both bools",
                    ),
                }
            }
            ExprKind::Call { callee, args } => {
                let Some(name) = callee.as_name() else {
                    return self.mismatch(
                        file,
                        callee,
                        "only built-in functions can be called here".into(),
                        "not a function".into(),
                        "call a function such as `log(x)` or `abs(x)`",
                    );
                };
                let Some(function) = self.stdlib.lookup("function", name) else {
                    let names: Vec<&str> = self.stdlib.of_kind("function").map(|f| f.name.as_str()).collect();
                    let help = match did_you_mean(name, names.iter().copied()) {
                        Some(close) => format!("did you mean `{close}`?"),
                        None => format!("the functions are {}", list_names(names)),
                    };
                    self.error(
                        Diagnostic::error(Code::E0103, file, callee.span, format!("unknown function `{name}`"))
                            .with_primary("no such function")
                            .with_help(help),
                    );
                    return ExprType::Error;
                };
                if let Some(named) = args.iter().find_map(|a| a.name.as_ref()) {
                    self.error(
                        Diagnostic::error(
                            Code::E0204,
                            file,
                            named.span,
                            format!("`{name}` takes positional arguments only"),
                        )
                        .with_primary("named argument")
                        .with_help(format!(
                            "signature: {}; drop `{}:`",
                            function.signature(),
                            named.name
                        )),
                    );
                    return ExprType::Error;
                }
                if args.len() != function.params.len() {
                    self.error(
                        Diagnostic::error(
                            Code::E0204,
                            file,
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
                    let ty = self.type_expr(file, &arg.value, scope);
                    if param.ty_text == "float" && !ty.is_numeric() && ty != ExprType::Error {
                        self.mismatch(
                            file,
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
            ExprKind::Binary { op, lhs, rhs, op_span } => {
                let l = self.type_expr(file, lhs, scope);
                let r = self.type_expr(file, rhs, scope);
                if l == ExprType::Error || r == ExprType::Error {
                    return ExprType::Error;
                }
                let bool_ty = ExprType::Column(ColumnType::Bool);
                match op {
                    BinOp::Add | BinOp::Sub | BinOp::Mul | BinOp::Div => {
                        if l.is_numeric() && r.is_numeric() {
                            let both_int =
                                l == ExprType::Column(ColumnType::Int) && r == ExprType::Column(ColumnType::Int);
                            return ExprType::Column(if both_int && *op != BinOp::Div {
                                ColumnType::Int
                            } else {
                                ColumnType::Float
                            });
                        }
                        let bad = if l.is_numeric() { rhs } else { lhs };
                        let bad_ty = if l.is_numeric() { &r } else { &l };
                        self.error(
                            Diagnostic::error(
                                Code::E0401,
                                file,
                                *op_span,
                                format!(
                                    "`{}` needs numbers on both sides, found {} and {}",
                                    op.as_str(),
                                    l.describe(),
                                    r.describe()
                                ),
                            )
                            .with_primary("cannot apply to these types")
                            .with_label(bad.span, format!("this is {}", bad_ty.describe()))
                            .with_help(
                                "arithmetic works on float and int columns; compare categories with `==` or `in`",
                            ),
                        );
                        ExprType::Error
                    }
                    BinOp::And | BinOp::Or => {
                        for (side, ty) in [(lhs, &l), (rhs, &r)] {
                            if *ty != bool_ty {
                                self.mismatch(
                                    file,
                                    side,
                                    format!(
                                        "`{}` needs conditions on both sides, found {}",
                                        op.as_str(),
                                        ty.describe()
                                    ),
                                    "not a bool".into(),
                                    "compare the value first, e.g. `age > 30`",
                                );
                                return ExprType::Error;
                            }
                        }
                        bool_ty
                    }
                    BinOp::Lt | BinOp::Le | BinOp::Gt | BinOp::Ge => {
                        if l.is_numeric() && r.is_numeric() {
                            return bool_ty;
                        }
                        self.error(
                            Diagnostic::error(
                                Code::E0401,
                                file,
                                *op_span,
                                format!(
                                    "`{}` compares numbers, found {} and {}",
                                    op.as_str(),
                                    l.describe(),
                                    r.describe()
                                ),
                            )
                            .with_primary("cannot order these types")
                            .with_help("order comparisons work on numbers; test categories with `==` or `in`"),
                        );
                        ExprType::Error
                    }
                    BinOp::Eq | BinOp::Ne => {
                        match (&l, &r) {
                            (ExprType::Column(ColumnType::Category { levels }), ExprType::Str(s)) => {
                                let column = lhs.to_string();
                                self.check_level(file, rhs, s, levels, &column);
                            }
                            (ExprType::Str(s), ExprType::Column(ColumnType::Category { levels })) => {
                                let column = rhs.to_string();
                                self.check_level(file, lhs, s, levels, &column);
                            }
                            (a, b) if a.is_numeric() && b.is_numeric() => {}
                            (ExprType::Str(_), ExprType::Str(_)) => {}
                            (a, b) if a == b => {}
                            (a, b) => {
                                self.error(
                                    Diagnostic::error(Code::E0401, file, *op_span, format!("cannot compare {} with {}", a.describe(), b.describe()))
                                        .with_primary("incompatible types")
                                        .with_help("compare a category with one of its levels as a string, e.g. `sex == \"female\"`"),
                                );
                                return ExprType::Error;
                            }
                        }
                        bool_ty
                    }
                    BinOp::In => {
                        let ExprType::List(items) = &r else {
                            self.mismatch(
                                file,
                                rhs,
                                format!("`in` needs a list on the right, found {}", r.describe()),
                                "not a list".into(),
                                "write the values in brackets: `plan in [\"pro\", \"team\"]`",
                            );
                            return ExprType::Error;
                        };
                        let ExprKind::List(item_exprs) = &rhs.kind else { return bool_ty };
                        for (item, item_expr) in items.iter().zip(item_exprs) {
                            match (&l, item) {
                                (ExprType::Column(ColumnType::Category { levels }), ExprType::Str(s)) => {
                                    let column = lhs.to_string();
                                    self.check_level(file, item_expr, s, levels, &column);
                                }
                                (a, b) if a.is_numeric() && b.is_numeric() => {}
                                (a, b) => {
                                    self.mismatch(
                                        file,
                                        item_expr,
                                        format!("cannot test {} for membership among {}", a.describe(), b.describe()),
                                        "wrong kind of value".into(),
                                        "list levels of the category as strings, or numbers for a numeric column",
                                    );
                                    return ExprType::Error;
                                }
                            }
                        }
                        bool_ty
                    }
                }
            }
        }
    }

    pub(super) fn check_features(&mut self) {
        let defs = self.defs_of(DefKind::Feature);
        if defs.is_empty() {
            return;
        }
        let names: HashMap<String, usize> =
            defs.iter().enumerate().map(|(i, d)| (d.def.name.name.clone(), i)).collect();
        // Dependency order among features, with cycles reported (iteratively: specs may hold thousands).
        let mut graph = petgraph::graph::DiGraph::<usize, ()>::new();
        let nodes: Vec<_> = (0..defs.len()).map(|i| graph.add_node(i)).collect();
        let mut reads_of: Vec<BTreeSet<String>> = Vec::with_capacity(defs.len());
        for (i, def) in defs.iter().enumerate() {
            let mut r = BTreeSet::new();
            if let Some(value) = &def.def.value {
                reads(value, &mut r);
            }
            for name in &r {
                // A feature that shadows a column reads the column under its own name.
                let reads_shadowed_column = *name == def.def.name.name
                    && self.program.datasets.first().is_some_and(|d| d.schema.get(name).is_some());
                if let (Some(&j), false) = (names.get(name), reads_shadowed_column) {
                    graph.add_edge(nodes[j], nodes[i], ());
                }
            }
            reads_of.push(r);
        }
        let mut in_cycle = vec![false; defs.len()];
        for component in petgraph::algo::tarjan_scc(&graph) {
            let cyclic = component.len() > 1 || graph.contains_edge(component[0], component[0]);
            if !cyclic {
                continue;
            }
            let mut members: Vec<usize> = component.iter().map(|n| graph[*n]).collect();
            members.sort();
            let chain: Vec<String> = members.iter().map(|&i| format!("`{}`", defs[i].def.name.name)).collect();
            let first = defs[members[0]];
            let mut d = Diagnostic::error(
                Code::E0105,
                first.file,
                first.def.name.span,
                format!("feature `{}` depends on itself", first.def.name.name),
            )
            .with_primary(format!("cycle through {}", chain.join(" → ")))
            .with_help("break the cycle: define one of these features from columns only");
            for &i in &members[1..] {
                if defs[i].file == first.file {
                    d = d.with_label(defs[i].def.name.span, "part of the cycle");
                }
            }
            self.error(d);
            for i in members {
                in_cycle[i] = true;
            }
        }
        let order = match petgraph::algo::toposort(&graph, None) {
            Ok(order) => order.into_iter().map(|n| graph[n]).collect::<Vec<_>>(),
            Err(_) => (0..defs.len()).filter(|&i| !in_cycle[i]).collect(),
        };

        // Type every feature against the first dataset (features are derived on every dataset
        // whose columns they read).
        let Some(dataset) = self.program.datasets.first().cloned() else {
            if !self.defs_of(DefKind::Dataset).is_empty() || self.broken_kinds.contains("dataset") {
                return; // the dataset's own errors explain this
            }
            for def in &defs {
                self.error(
                    Diagnostic::error(
                        Code::E0203,
                        def.file,
                        def.def.name.span,
                        format!("feature `{}` needs a dataset to be derived on", def.def.name.name),
                    )
                    .with_primary("no dataset in this spec")
                    .with_help("define a dataset: `dataset name = source_name { ... }`"),
                );
            }
            return;
        };
        let mut typed: HashMap<String, ColumnType> = HashMap::new();
        let mut features = Vec::new();
        for i in order {
            if in_cycle[i] {
                continue;
            }
            let def = defs[i];
            let name = def.def.name.name.clone();
            let Some(value) = self.required_value(def, &format!("feature {name} = column_a / column_b")) else {
                continue;
            };
            if def.def.body.is_some() {
                self.error(
                    Diagnostic::error(
                        Code::E0207,
                        def.file,
                        def.def.body.as_ref().map_or(def.def.span, |b| b.span),
                        "a feature takes no block",
                    )
                    .with_primary("unexpected block")
                    .with_help(format!("a feature is one expression: `feature {name} = ...`")),
                );
            }
            if dataset.schema.get(&name).is_some() {
                self.diagnostics.push(
                    Diagnostic::warning(
                        Code::W0004,
                        def.file,
                        def.def.name.span,
                        format!("feature `{name}` hides the column of the same name"),
                    )
                    .with_primary("shadows a data column")
                    .with_help("rename the feature; models would see it instead of the column"),
                );
            }
            let scope =
                Scope { schema: &dataset.schema, features: &typed, described: format!("dataset `{}`", dataset.name) };
            let ty = match self.type_expr(def.file, value, &scope) {
                ExprType::Column(ty) => ty,
                ExprType::Error => continue,
                other => {
                    self.mismatch(
                        def.file,
                        value,
                        format!("a feature must be a number, a bool or a category, found {}", other.describe()),
                        "not a column value".into(),
                        "compute a number or a condition from columns",
                    );
                    continue;
                }
            };
            typed.insert(name.clone(), ty.clone());
            let reads: Vec<String> = reads_of[i].iter().cloned().collect();
            features.push(Feature { name, expression: Expression::new(value.clone()), ty, reads });
            self.referenced.insert(def.def.name.name.clone());
        }
        // Features become columns of every dataset whose columns they read (by name lookups:
        // specs may hold thousands of features).
        for ds in &mut self.program.datasets {
            let encode = ds.settings.encode;
            let mut position: HashMap<String, usize> =
                ds.schema.columns.iter().enumerate().map(|(i, c)| (c.name.clone(), i)).collect();
            for feature in &features {
                let readable = feature.reads.iter().all(|r| position.contains_key(r) || typed.contains_key(r));
                if !readable {
                    continue;
                }
                // A feature named like a column replaces it (W0004 says so).
                if let Some(&at) = position.get(&feature.name) {
                    let column = &mut ds.schema.columns[at];
                    if column.name != ds.label {
                        ds.input_width -= super::data::input_width(&column.ty, encode);
                        ds.input_width += super::data::input_width(&feature.ty, encode);
                    }
                    column.ty = feature.ty.clone();
                    continue;
                }
                position.insert(feature.name.clone(), ds.schema.columns.len());
                ds.schema.columns.push(Column { name: feature.name.clone(), ty: feature.ty.clone(), nullable: false });
                ds.inputs.push(feature.name.clone());
                ds.input_width += super::data::input_width(&feature.ty, encode);
            }
        }
        self.program.features = features;
    }
}
