//! Checking values against declared types: arguments of built-in calls and settings of blocks,
//! with defaults from the declarations in stdlib/*.mlp filled in. Every pass checks values
//! through these methods on its [`Pass`], reporting into its own report.

use super::context::Context;
use super::names::{did_you_mean, list_names};
use super::pass::Pass;
use crate::ast::{Arg, BinOp, Block, BlockItem, Expr, ExprKind, Ident, UnOp};
use crate::codes::Code;
use crate::diagnostic::{Diagnostic, FileId};
use crate::program::{Config, Value};
use crate::span::Span;
use crate::stdlib::{Builtin, ParamSpec, ParamType, Stdlib};
use std::collections::{BTreeMap, HashMap};
use std::sync::OnceLock;

/// What a block's settings resolved to.
#[derive(Default)]
pub struct Settings<'a> {
    pub values: Config,
    /// Span of each setting's value, by key, for later diagnostics.
    pub spans: HashMap<String, Span>,
    /// Key spans, by key.
    pub key_spans: HashMap<String, Span>,
    /// Settings that the declaration does not list, when the caller accepts them.
    pub unknown: Vec<(&'a Ident, &'a Expr)>,
    /// Items that are not `key = value` settings (nested blocks, statements, columns).
    pub other: Vec<&'a BlockItem>,
}

/// "a string", "the name `x`", ... for "found ..." in messages.
pub fn describe_expr(expr: &Expr) -> String {
    match &expr.kind {
        ExprKind::Number { text, .. } => format!("the number `{text}`"),
        ExprKind::String(s) => format!("the string \"{s}\""),
        ExprKind::Bool(b) => format!("`{b}`"),
        ExprKind::Name(n) => format!("the name `{n}`"),
        ExprKind::List(_) => "a list".to_string(),
        ExprKind::Call { callee, .. } => format!("a call to `{callee}`"),
        ExprKind::Unary { op: UnOp::Neg, operand } if operand.as_number().is_some() => format!("the number `{expr}`"),
        _ => "an expression".to_string(),
    }
}

/// The integer a literal denotes, if it is one (`3`, `-2`), read from its text so that every
/// 64-bit integer is exact.
fn int_literal(expr: &Expr) -> Option<i64> {
    match &expr.kind {
        ExprKind::Number { text, is_int: true, percent: false, .. } => text.parse().ok(),
        ExprKind::Unary { op: UnOp::Neg, operand } => int_literal(operand).and_then(i64::checked_neg),
        ExprKind::Paren(inner) => int_literal(inner),
        _ => None,
    }
}

/// Whether `expr` is an integer literal beyond 64 bits, which the parser reported (E0005): the
/// checker says nothing more about it.
fn oversized_int(expr: &Expr) -> bool {
    match &expr.kind {
        ExprKind::Number { text, is_int: true, percent: false, .. } => text.parse::<i64>().is_err(),
        ExprKind::Unary { op: UnOp::Neg, operand } => oversized_int(operand),
        ExprKind::Paren(inner) => oversized_int(inner),
        _ => false,
    }
}

/// A value taken as written, for parameters of any type (e.g. `choice(...)` values).
fn literal(expr: &Expr) -> Value {
    match &expr.kind {
        ExprKind::Number { .. } | ExprKind::Unary { .. } if int_literal(expr).is_some() => {
            Value::Int(int_literal(expr).unwrap_or_default())
        }
        ExprKind::Number { .. } | ExprKind::Unary { .. } if expr.as_number().is_some() => {
            Value::Float(expr.as_number().unwrap_or_default())
        }
        ExprKind::String(s) => Value::String(s.clone()),
        ExprKind::Bool(b) => Value::Bool(*b),
        ExprKind::Name(n) => Value::Name(n.clone()),
        ExprKind::List(items) => Value::List(items.iter().map(literal).collect()),
        ExprKind::Paren(inner) => literal(inner),
        _ => Value::Expr(expr.to_string()),
    }
}

/// A declaration's default as a checked value. Declarations live for the whole process and a
/// default depends on nothing but them, so each is checked once per process (its diagnostics,
/// of which stdlib tests keep there being none, are dropped) and shared by every compilation.
pub fn default_value(param: &ParamSpec, default: &Expr) -> Option<Value> {
    // One cell per parameter of the standard library, by address. The table is built empty, so
    // filling a cell may fill others (a default that is a call with defaults of its own).
    static CELLS: OnceLock<HashMap<usize, OnceLock<Option<Value>>>> = OnceLock::new();
    let cells = CELLS.get_or_init(|| {
        let params = Stdlib::get().all().iter().flat_map(|b| &b.params);
        params.map(|p| (p as *const ParamSpec as usize, OnceLock::new())).collect()
    });
    let check = || {
        let cx = Context::detached();
        let mut scratch = Pass::new(&cx);
        scratch.value(FileId(u32::MAX), &param.ty, default, &param.name)
    };
    match cells.get(&(param as *const ParamSpec as usize)) {
        Some(cell) => cell.get_or_init(check).clone(),
        None => check(),
    }
}

/// `choice(a, b, c)`: a single `any` parameter named `values` takes every positional argument.
fn is_variadic(builtin: &Builtin) -> bool {
    builtin.params.len() == 1 && builtin.params[0].ty == ParamType::Any && builtin.params[0].name == "values"
}

impl<'a> Pass<'a> {
    fn type_error(&mut self, file: FileId, expr: &Expr, ty: &ParamType, what: &str) {
        self.report(
            Diagnostic::error(
                Code::E0202,
                file,
                expr.span,
                format!("`{what}` expects {}, found {}", ty.describe(), describe_expr(expr)),
            )
            .with_primary(format!("expected {}", ty.describe()))
            .with_help(example_for(ty).map_or_else(
                || format!("give `{what}` {}", ty.describe()),
                |e| format!("give `{what}` {}, for example `{e}`", ty.describe()),
            )),
        );
    }

    fn range_error(&mut self, file: FileId, expr: &Expr, ty: &ParamType, what: &str) {
        self.report(
            Diagnostic::error(
                Code::E0206,
                file,
                expr.span,
                format!("`{what}` must be {}, found `{expr}`", ty.describe()),
            )
            .with_primary("out of range")
            .with_help(format!("choose a value that is {}", ty.describe())),
        );
    }

    /// Checks `expr` against a declared type; `what` names the setting or parameter in messages.
    pub fn value(&mut self, file: FileId, ty: &ParamType, expr: &Expr, what: &str) -> Option<Value> {
        if oversized_int(expr) {
            return None;
        }
        if let ExprKind::Paren(inner) = &expr.kind {
            if !matches!(ty, ParamType::Expr) {
                return self.value(file, ty, inner, what);
            }
        }
        let value = match (ty, &expr.kind) {
            (ParamType::Int | ParamType::Count | ParamType::Natural, _) => return self.integer(file, ty, expr, what),
            (ParamType::Float | ParamType::Fraction | ParamType::OpenFraction | ParamType::Rate, _) => {
                return self.number(file, ty, expr, what);
            }
            (ParamType::Bool, ExprKind::Bool(b)) => Some(Value::Bool(*b)),
            (ParamType::String, ExprKind::String(s)) => Some(Value::String(s.clone())),
            (ParamType::Name, ExprKind::Name(n) | ExprKind::String(n)) => Some(Value::Name(n.clone())),
            (ParamType::Name, ExprKind::Bool(b)) => Some(Value::Name(b.to_string())),
            // Class levels may be numbers (`positive = 1` for a 0/1 label, digits 0..9).
            (ParamType::Name, ExprKind::Number { text, is_int: true, percent: false, .. }) => {
                Some(Value::Name(text.clone()))
            }
            (ParamType::Expr, _) => Some(Value::Expr(expr.to_string())),
            (ParamType::Bound(metric), _) => return self.bound(file, metric, ty, expr, what),
            (ParamType::Any, _) => Some(literal(expr)),
            (ParamType::List(element), ExprKind::List(items)) => {
                let values: Vec<Option<Value>> =
                    items.iter().map(|item| self.value(file, element, item, what)).collect();
                return values.into_iter().collect::<Option<Vec<_>>>().map(Value::List);
            }
            (ParamType::Kind(kind), _) => return self.builtin_call(file, kind, expr).map(|(_, v)| v),
            (ParamType::Bool | ParamType::String | ParamType::Name | ParamType::List(_), _) => None,
        };
        if value.is_none() {
            self.type_error(file, expr, ty, what);
        }
        value
    }

    /// An `int`, `count` or `natural`.
    fn integer(&mut self, file: FileId, ty: &ParamType, expr: &Expr, what: &str) -> Option<Value> {
        let Some(v) = int_literal(expr) else {
            self.type_error(file, expr, ty, what);
            return None;
        };
        if (*ty == ParamType::Count && v < 1) || (*ty == ParamType::Natural && v < 0) {
            self.range_error(file, expr, ty, what);
            return None;
        }
        Some(Value::Int(v))
    }

    /// A `float`, `fraction` or `rate`.
    fn number(&mut self, file: FileId, ty: &ParamType, expr: &Expr, what: &str) -> Option<Value> {
        let Some(v) = expr.as_number() else {
            self.type_error(file, expr, ty, what);
            return None;
        };
        let ok = match ty {
            ParamType::Fraction => (0.0..=1.0).contains(&v),
            ParamType::OpenFraction => (0.0..1.0).contains(&v),
            ParamType::Rate => v > 0.0 && v.is_finite(),
            _ => v.is_finite(),
        };
        if !ok {
            self.range_error(file, expr, ty, what);
            return None;
        }
        Some(Value::Float(v))
    }

    /// `metric >= number` (or `>`) on the named metric, with the number in [0, 1].
    fn bound(&mut self, file: FileId, metric: &str, ty: &ParamType, expr: &Expr, what: &str) -> Option<Value> {
        let bound = match &expr.kind {
            ExprKind::Binary { op: op @ (BinOp::Ge | BinOp::Gt), lhs, rhs, .. } if lhs.as_name() == Some(metric) => {
                rhs.as_number().map(|v| (op.as_str(), v, rhs.as_ref()))
            }
            _ => None,
        };
        let Some((op, v, rhs)) = bound else {
            self.type_error(file, expr, ty, what);
            return None;
        };
        if !(0.0..=1.0).contains(&v) {
            self.report(
                Diagnostic::error(
                    Code::E0206,
                    file,
                    rhs.span,
                    format!("a bound on `{metric}` must lie in [0, 1], found `{rhs}`"),
                )
                .with_primary("out of range")
                .with_help(format!("{metric} is a fraction: write e.g. `{metric} >= 0.6`")),
            );
            return None;
        }
        let mut args = BTreeMap::new();
        args.insert("metric".to_string(), Value::Name(metric.to_string()));
        args.insert("op".to_string(), Value::String(op.to_string()));
        args.insert("value".to_string(), Value::Float(v));
        Some(Value::Call { call: "bound".into(), args })
    }

    /// Resolves `name` or `name(args)` to a built-in of `kind` and binds its arguments.
    pub fn builtin_call(&mut self, file: FileId, kind: &str, expr: &Expr) -> Option<(&'static Builtin, Value)> {
        let stdlib = self.cx.stdlib;
        let (name, name_span, args): (&str, Span, &[Arg]) = match &expr.kind {
            ExprKind::Name(n) => (n, expr.span, &[]),
            ExprKind::Call { callee, args } if callee.as_name().is_some() => {
                (callee.as_name().unwrap_or_default(), callee.span, args)
            }
            _ => {
                let names: Vec<&str> = stdlib.of_kind(kind).map(|b| b.name.as_str()).collect();
                self.report(
                    Diagnostic::error(
                        Code::E0202,
                        file,
                        expr.span,
                        format!("expected {} {kind}, found {}", article(kind), describe_expr(expr)),
                    )
                    .with_primary(format!("not {} {kind}", article(kind)))
                    .with_help(format!("use one of {}", list_names(names))),
                );
                return None;
            }
        };
        let Some(builtin) = stdlib.lookup(kind, name) else {
            let names: Vec<&str> = stdlib.of_kind(kind).map(|b| b.name.as_str()).collect();
            let other_kind = stdlib.all().iter().find(|b| b.name == name && b.kind != "settings");
            let help = match (did_you_mean(name, names.iter().copied()), other_kind) {
                (Some(close), _) => format!("did you mean `{close}`?"),
                (None, Some(other)) => format!(
                    "`{name}` is {} {}, not {} {kind}: the built-in {} are {}",
                    article(&other.kind),
                    other.kind,
                    article(kind),
                    plural(kind),
                    list_names(names)
                ),
                (None, None) => format!("the built-in {} are {}", plural(kind), list_names(names)),
            };
            self.report(
                Diagnostic::error(Code::E0103, file, name_span, format!("unknown {kind} `{name}`"))
                    .with_primary(format!("no {kind} named `{name}`"))
                    .with_help(help),
            );
            return None;
        };
        let args = self.bind_args(file, builtin, name_span, args)?;
        Some((builtin, Value::Call { call: builtin.name.clone(), args }))
    }

    /// Binds positional and named arguments to a built-in's parameters, filling defaults.
    pub fn bind_args(
        &mut self,
        file: FileId,
        builtin: &'static Builtin,
        call_span: Span,
        args: &[Arg],
    ) -> Option<BTreeMap<String, Value>> {
        if is_variadic(builtin) {
            if args.is_empty() {
                self.report(
                    Diagnostic::error(
                        Code::E0203,
                        file,
                        call_span,
                        format!("`{}` needs at least one value", builtin.name),
                    )
                    .with_primary("no values given")
                    .with_help(format!("list the candidates, e.g. `{}(32, 64, 128)`", builtin.name)),
                );
                return None;
            }
            let values = args.iter().map(|a| literal(&a.value)).collect();
            return Some(BTreeMap::from([("values".into(), Value::List(values))]));
        }
        let mut bound: BTreeMap<String, Value> = BTreeMap::new();
        let mut seen: HashMap<&str, Span> = HashMap::new();
        let mut ok = true;
        let mut positional = 0;
        for arg in args {
            let Some((param, key_span)) = self.parameter_of(file, builtin, call_span, arg, &mut positional) else {
                ok = false;
                continue;
            };
            if let Some(&first) = seen.get(param.name.as_str()) {
                self.report(
                    Diagnostic::error(Code::E0205, file, key_span, format!("`{}` is given twice", param.name))
                        .with_primary("given again here")
                        .with_label(first, "first given here")
                        .with_help(format!("keep one value for `{}`", param.name)),
                );
                ok = false;
                continue;
            }
            seen.insert(param.name.as_str(), key_span);
            // Messages name the call too: `epochs` of `patience` is not the model's `epochs`.
            let what = format!("{}` of `{}", param.name, builtin.name);
            match self.value(file, &param.ty, &arg.value, &what) {
                Some(v) => {
                    bound.insert(param.name.clone(), v);
                }
                None => ok = false,
            }
        }
        let ok = self.fill_defaults(file, builtin, call_span, &mut bound, &seen, ok);
        ok.then_some(bound)
    }

    /// The parameter an argument is for (by name, or the next by position) and the span to report
    /// it at; `None` after an E0204 for an unknown or extra argument.
    fn parameter_of(
        &mut self,
        file: FileId,
        builtin: &'static Builtin,
        call_span: Span,
        arg: &Arg,
        positional: &mut usize,
    ) -> Option<(&'static ParamSpec, Span)> {
        if let Some(name) = &arg.name {
            if let Some(found) = builtin.param(&name.name) {
                return Some((found, name.span));
            }
            let names: Vec<&str> = builtin.params.iter().map(|p| p.name.as_str()).collect();
            let help = match did_you_mean(&name.name, names.iter().copied()) {
                Some(close) => format!("did you mean `{close}`?"),
                None if names.is_empty() => format!("`{}` takes no arguments", builtin.name),
                None => format!("`{}` takes {}", builtin.name, list_names(names)),
            };
            self.report(
                Diagnostic::error(
                    Code::E0204,
                    file,
                    name.span,
                    format!("`{}` has no parameter `{}`", builtin.name, name.name),
                )
                .with_primary("unknown parameter")
                .with_label(call_span, format!("signature: {}", builtin.signature()))
                .with_help(help),
            );
            return None;
        }
        let found = builtin.params.get(*positional);
        *positional += 1;
        if let Some(found) = found {
            return Some((found, arg.value.span));
        }
        self.report(
            Diagnostic::error(
                Code::E0204,
                file,
                arg.value.span,
                format!(
                    "`{}` takes {} argument{}, but more were given",
                    builtin.name,
                    builtin.params.len(),
                    if builtin.params.len() == 1 { "" } else { "s" }
                ),
            )
            .with_primary("extra argument")
            .with_label(call_span, format!("signature: {}", builtin.signature()))
            .with_help("remove the extra argument, or name the parameter it is meant for"),
        );
        None
    }

    /// Fills the defaults of the parameters no argument gave; a parameter without a default is
    /// an E0203 (the first one only, and only when the arguments were fine). Returns whether the
    /// call is still fine.
    fn fill_defaults(
        &mut self,
        file: FileId,
        builtin: &'static Builtin,
        call_span: Span,
        bound: &mut BTreeMap<String, Value>,
        seen: &HashMap<&str, Span>,
        mut ok: bool,
    ) -> bool {
        for param in &builtin.params {
            if bound.contains_key(&param.name) || seen.contains_key(param.name.as_str()) {
                continue;
            }
            match &param.default {
                Some(default) => {
                    if let Some(v) = default_value(param, default) {
                        bound.insert(param.name.clone(), v);
                    }
                }
                None if ok => {
                    self.report(
                        Diagnostic::error(
                            Code::E0203,
                            file,
                            call_span,
                            format!("`{}` needs a value for `{}`", builtin.name, param.name),
                        )
                        .with_primary(format!("`{}` is missing", param.name))
                        .with_help(format!("signature: {}", builtin.signature())),
                    );
                    ok = false;
                }
                None => {}
            }
        }
        ok
    }

    /// Checks a block's `key = value` settings against `extern settings <kind>`. Unknown keys
    /// are errors unless `accept_unknown`, in which case they are returned for the caller.
    pub fn settings(
        &mut self,
        file: FileId,
        kind: &str,
        block: Option<&'a Block>,
        accept_unknown: bool,
        with_defaults: bool,
    ) -> Settings<'a> {
        let declaration = self.cx.stdlib.settings(kind).expect("every block kind declares its settings");
        let mut out = Settings::default();
        for item in block.iter().flat_map(|b| &b.items) {
            let BlockItem::Setting { key, value, .. } = item else {
                out.other.push(item);
                continue;
            };
            if let Some(&first) = out.key_spans.get(&key.name) {
                self.report(
                    Diagnostic::error(Code::E0205, file, key.span, format!("`{}` is set twice", key.name))
                        .with_primary("set again here")
                        .with_label(first, "first set here")
                        .with_help(format!("keep one `{} = ...` line", key.name)),
                );
                continue;
            }
            out.key_spans.insert(key.name.clone(), key.span);
            out.spans.insert(key.name.clone(), value.span);
            match declaration.param(&key.name) {
                Some(param) => self.setting(file, param, key, value, &mut out.values),
                None if accept_unknown => out.unknown.push((key, value)),
                None => self.unknown_setting(file, kind, declaration, key),
            }
        }
        if with_defaults {
            for param in &declaration.params {
                if out.values.contains_key(&param.name) || out.key_spans.contains_key(&param.name) {
                    continue;
                }
                if let Some(v) = param.default.as_ref().and_then(|d| default_value(param, d)) {
                    out.values.insert(param.name.clone(), v);
                }
            }
        }
        out
    }

    /// One declared setting. When its value is wrong (and reported), the declared default stands
    /// in, so that the block still has every setting and the checks after this one report nothing
    /// that follows from it.
    fn setting(&mut self, file: FileId, param: &ParamSpec, key: &Ident, value: &Expr, values: &mut Config) {
        let checked = self.value(file, &param.ty, value, &key.name);
        if let Some(v) = checked.or_else(|| param.default.as_ref().and_then(|d| default_value(param, d))) {
            values.insert(key.name.clone(), v);
        }
    }

    fn unknown_setting(&mut self, file: FileId, kind: &str, declaration: &Builtin, key: &Ident) {
        let names: Vec<&str> = declaration.params.iter().map(|p| p.name.as_str()).collect();
        let help = match did_you_mean(&key.name, names.iter().copied()) {
            Some(close) => format!("did you mean `{close}`?"),
            None => format!("a {kind} accepts {}", list_names(names)),
        };
        self.report(
            Diagnostic::error(Code::E0201, file, key.span, format!("unknown setting `{}` for a {kind}", key.name))
                .with_primary("not a setting of this block")
                .with_help(help),
        );
    }
}

fn article(word: &str) -> &'static str {
    if word.starts_with(['a', 'e', 'i', 'o', 'u']) { "an" } else { "a" }
}

fn example_for(ty: &ParamType) -> Option<&'static str> {
    Some(match ty {
        ParamType::Int => "3",
        ParamType::Count => "32",
        ParamType::Natural => "0",
        ParamType::Float => "0.5",
        ParamType::Fraction | ParamType::OpenFraction => "0.2",
        ParamType::Rate => "0.001",
        ParamType::Bool => "true",
        ParamType::String => "\"text\"",
        ParamType::Name => "column_name",
        ParamType::List(inner) if **inner == ParamType::Count => "[64, 32]",
        _ => return None,
    })
}

/// A kind of built-in in the plural, for "the built-in strategies are ...".
fn plural(kind: &str) -> String {
    match kind {
        "missing" => "missing-value rules".to_string(),
        _ if kind.ends_with('s') => format!("{kind}es"),
        _ if kind.ends_with('y') && !kind.ends_with("ey") => format!("{}ies", &kind[..kind.len() - 1]),
        _ => format!("{kind}s"),
    }
}
