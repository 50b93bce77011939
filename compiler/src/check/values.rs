//! Checking values against declared types: arguments of built-in calls and settings of blocks,
//! with defaults from the declarations in stdlib/*.mlp filled in.

use super::Checker;
use super::names::{did_you_mean, list_names};
use crate::ast::{Arg, Block, BlockItem, Expr, ExprKind, Ident, UnOp};
use crate::codes::Code;
use crate::diagnostic::{Diagnostic, FileId};
use crate::program::{Config, Value};
use crate::span::Span;
use crate::stdlib::{Builtin, ParamSpec, ParamType};
use std::collections::{BTreeMap, HashMap};

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

/// The integer a literal denotes, if it is one (`3`, `-2`).
fn int_literal(expr: &Expr) -> Option<i64> {
    match &expr.kind {
        ExprKind::Number { value, is_int: true, percent: false, .. } => Some(*value as i64),
        ExprKind::Unary { op: UnOp::Neg, operand } => int_literal(operand).map(|v| -v),
        ExprKind::Paren(inner) => int_literal(inner),
        _ => None,
    }
}

impl<'a> Checker<'a> {
    fn type_error(&mut self, file: FileId, expr: &Expr, ty: &ParamType, what: &str) {
        self.error(
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
        self.error(
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
        if let ExprKind::Paren(inner) = &expr.kind {
            if !matches!(ty, ParamType::Expr) {
                return self.value(file, ty, inner, what);
            }
        }
        match ty {
            ParamType::Int | ParamType::Count | ParamType::Natural => {
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
            ParamType::Float | ParamType::Fraction | ParamType::Rate => {
                let Some(v) = expr.as_number() else {
                    self.type_error(file, expr, ty, what);
                    return None;
                };
                let ok = match ty {
                    ParamType::Fraction => (0.0..=1.0).contains(&v),
                    ParamType::Rate => v > 0.0 && v.is_finite(),
                    _ => v.is_finite(),
                };
                if !ok {
                    self.range_error(file, expr, ty, what);
                    return None;
                }
                Some(Value::Float(v))
            }
            ParamType::Bool => match expr.kind {
                ExprKind::Bool(b) => Some(Value::Bool(b)),
                _ => {
                    self.type_error(file, expr, ty, what);
                    None
                }
            },
            ParamType::String => match &expr.kind {
                ExprKind::String(s) => Some(Value::String(s.clone())),
                _ => {
                    self.type_error(file, expr, ty, what);
                    None
                }
            },
            ParamType::Name => match &expr.kind {
                ExprKind::Name(n) => Some(Value::Name(n.clone())),
                ExprKind::String(s) => Some(Value::Name(s.clone())),
                ExprKind::Bool(b) => Some(Value::Name(b.to_string())),
                // Class levels may be numbers (`positive = 1` for a 0/1 label, digits 0..9).
                ExprKind::Number { text, is_int: true, percent: false, .. } => Some(Value::Name(text.clone())),
                _ => {
                    self.type_error(file, expr, ty, what);
                    None
                }
            },
            ParamType::Expr => Some(Value::Expr(expr.to_string())),
            ParamType::Bound(metric) => {
                let bound =
                    match &expr.kind {
                        ExprKind::Binary {
                            op: op @ (crate::ast::BinOp::Ge | crate::ast::BinOp::Gt), lhs, rhs, ..
                        } if lhs.as_name() == Some(metric) => rhs.as_number().map(|v| (op.as_str(), v, rhs.as_ref())),
                        _ => None,
                    };
                let Some((op, v, rhs)) = bound else {
                    self.type_error(file, expr, ty, what);
                    return None;
                };
                if !(0.0..=1.0).contains(&v) {
                    self.error(
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
            ParamType::Any => Some(self.literal(expr)),
            ParamType::List(element) => match &expr.kind {
                ExprKind::List(items) => {
                    let values: Vec<Option<Value>> =
                        items.iter().map(|item| self.value(file, element, item, what)).collect();
                    values.into_iter().collect::<Option<Vec<_>>>().map(Value::List)
                }
                _ => {
                    self.type_error(file, expr, ty, what);
                    None
                }
            },
            ParamType::Kind(kind) => self.builtin_call(file, kind, expr).map(|(_, v)| v),
        }
    }

    /// A value taken as written, for parameters of any type (e.g. `choice(...)` values).
    fn literal(&mut self, expr: &Expr) -> Value {
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
            ExprKind::List(items) => Value::List(items.iter().map(|i| self.literal(i)).collect()),
            ExprKind::Paren(inner) => self.literal(inner),
            _ => Value::Expr(expr.to_string()),
        }
    }

    /// Resolves `name` or `name(args)` to a built-in of `kind` and binds its arguments.
    pub fn builtin_call(&mut self, file: FileId, kind: &str, expr: &Expr) -> Option<(&'static Builtin, Value)> {
        let stdlib = self.stdlib;
        let (name, name_span, args): (&str, Span, &[Arg]) = match &expr.kind {
            ExprKind::Name(n) => (n, expr.span, &[]),
            ExprKind::Call { callee, args } if callee.as_name().is_some() => {
                (callee.as_name().unwrap_or_default(), callee.span, args)
            }
            _ => {
                let names: Vec<&str> = stdlib.of_kind(kind).map(|b| b.name.as_str()).collect();
                self.error(
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
            let help = match did_you_mean(name, names.iter().copied()) {
                Some(close) => format!("did you mean `{close}`?"),
                None => format!("the built-in {kind}s are {}", list_names(names)),
            };
            self.error(
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
        let mut bound: BTreeMap<String, Value> = BTreeMap::new();
        let mut seen: HashMap<&str, Span> = HashMap::new();
        let mut ok = true;
        // `choice(a, b, c)`: a single `any` parameter named `values` takes every positional argument.
        let variadic =
            builtin.params.len() == 1 && builtin.params[0].ty == ParamType::Any && builtin.params[0].name == "values";
        if variadic {
            if args.is_empty() {
                self.error(
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
            let values = args.iter().map(|a| self.literal(&a.value)).collect();
            bound.insert("values".into(), Value::List(values));
            return Some(bound);
        }
        let mut positional = 0;
        for arg in args {
            let (param, key_span): (Option<&ParamSpec>, Span) = match &arg.name {
                Some(name) => {
                    let found = builtin.param(&name.name);
                    if found.is_none() {
                        let names: Vec<&str> = builtin.params.iter().map(|p| p.name.as_str()).collect();
                        let help = match did_you_mean(&name.name, names.iter().copied()) {
                            Some(close) => format!("did you mean `{close}`?"),
                            None if names.is_empty() => format!("`{}` takes no arguments", builtin.name),
                            None => format!("`{}` takes {}", builtin.name, list_names(names)),
                        };
                        self.error(
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
                        ok = false;
                        continue;
                    }
                    (found, name.span)
                }
                None => {
                    let found = builtin.params.get(positional);
                    positional += 1;
                    if found.is_none() {
                        self.error(
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
                        ok = false;
                        continue;
                    }
                    (found, arg.value.span)
                }
            };
            let Some(param) = param else { continue };
            if let Some(&first) = seen.get(param.name.as_str()) {
                self.error(
                    Diagnostic::error(Code::E0205, file, key_span, format!("`{}` is given twice", param.name))
                        .with_primary("given again here")
                        .with_label(first, "first given here")
                        .with_help(format!("keep one value for `{}`", param.name)),
                );
                ok = false;
                continue;
            }
            seen.insert(param.name.as_str(), key_span);
            match self.value(file, &param.ty, &arg.value, &param.name) {
                Some(v) => {
                    bound.insert(param.name.clone(), v);
                }
                None => ok = false,
            }
        }
        for param in &builtin.params {
            if bound.contains_key(&param.name) || seen.contains_key(param.name.as_str()) {
                continue;
            }
            match &param.default {
                Some(default) => {
                    if let Some(v) = self.default_value(param, default) {
                        bound.insert(param.name.clone(), v);
                    }
                }
                None if ok => {
                    self.error(
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
        ok.then_some(bound)
    }

    /// A declaration's default, checked against its own type (stdlib tests keep these valid).
    pub fn default_value(&mut self, param: &ParamSpec, default: &Expr) -> Option<Value> {
        // Declarations live for the whole process, so a parameter's address identifies it.
        let key = param as *const ParamSpec as usize;
        if let Some(cached) = self.defaults.get(&key) {
            return cached.clone();
        }
        let mark = self.diagnostics.len();
        let value = self.value(FileId(u32::MAX), &param.ty, default, &param.name);
        self.diagnostics.truncate(mark);
        self.defaults.insert(key, value.clone());
        value
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
        let declaration = self.stdlib.settings(kind).expect("every block kind declares its settings");
        let mut out = Settings::default();
        for item in block.iter().flat_map(|b| &b.items) {
            let BlockItem::Setting { key, value, .. } = item else {
                out.other.push(item);
                continue;
            };
            if let Some(&first) = out.key_spans.get(&key.name) {
                self.error(
                    Diagnostic::error(Code::E0205, file, key.span, format!("`{}` is set twice", key.name))
                        .with_primary("set again here")
                        .with_label(first, "first set here")
                        .with_help(format!("keep one `{} = ...` line", key.name)),
                );
                continue;
            }
            out.key_spans.insert(key.name.clone(), key.span);
            out.spans.insert(key.name.clone(), value.span);
            let Some(param) = declaration.param(&key.name) else {
                if accept_unknown {
                    out.unknown.push((key, value));
                    continue;
                }
                let names: Vec<&str> = declaration.params.iter().map(|p| p.name.as_str()).collect();
                let help = match did_you_mean(&key.name, names.iter().copied()) {
                    Some(close) => format!("did you mean `{close}`?"),
                    None => format!("a {kind} accepts {}", list_names(names)),
                };
                self.error(
                    Diagnostic::error(
                        Code::E0201,
                        file,
                        key.span,
                        format!("unknown setting `{}` for a {kind}", key.name),
                    )
                    .with_primary("not a setting of this block")
                    .with_help(help),
                );
                continue;
            };
            match self.value(file, &param.ty, value, &key.name) {
                Some(v) => {
                    out.values.insert(key.name.clone(), v);
                }
                // The error is reported; the declared default stands in so that the block still
                // has every setting and the checks after this one report nothing that follows
                // from it.
                None => {
                    if let Some(v) = param.default.as_ref().and_then(|d| self.default_value(param, d)) {
                        out.values.insert(key.name.clone(), v);
                    }
                }
            }
        }
        if with_defaults {
            for param in &declaration.params {
                if out.values.contains_key(&param.name) || out.key_spans.contains_key(&param.name) {
                    continue;
                }
                if let Some(default) = &param.default {
                    if let Some(v) = self.default_value(param, default) {
                        out.values.insert(param.name.clone(), v);
                    }
                }
            }
        }
        out
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
        ParamType::Fraction => "0.2",
        ParamType::Rate => "0.001",
        ParamType::Bool => "true",
        ParamType::String => "\"text\"",
        ParamType::Name => "column_name",
        ParamType::List(inner) if **inner == ParamType::Count => "[64, 32]",
        _ => return None,
    })
}
