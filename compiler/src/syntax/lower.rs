//! Lowers pest's parse tree of one chunk into our [`crate::ast`] types, shifting spans from the
//! chunk to the file, attaching doc comments and applying operator precedence to the flat operator
//! sequences the grammar produces. Precedence is applied with explicit stacks (no recursion), so a
//! long chain of operators cannot overflow the stack; trees deeper than [`MAX_EXPR_DEPTH`] are refused.

use super::Rule;
use crate::ast::*;
use crate::codes::Code;
use crate::diagnostic::{Diagnostic, FileId};
use crate::span::Span;
use pest::iterators::Pair;

/// Deepest expression tree accepted, counting operators as well as brackets.
pub const MAX_EXPR_DEPTH: u32 = 256;

pub(super) struct Lowerer<'a> {
    file: FileId,
    offset: usize,
    text: &'a str,
    comments: &'a [Comment],
    pub diagnostics: Vec<Diagnostic>,
}

/// Operators waiting on the precedence stack.
#[derive(Clone, Copy)]
enum Pending {
    Binary(BinOp, Span),
    Not(Span),
}

impl Pending {
    /// Doubled precedences so `not` can sit between `and` and the comparisons, as in Python.
    fn strength(self) -> u8 {
        match self {
            Pending::Binary(op, _) => op.precedence() * 2,
            Pending::Not(_) => 5,
        }
    }
}

impl<'a> Lowerer<'a> {
    pub fn new(file: FileId, offset: usize, text: &'a str, comments: &'a [Comment]) -> Self {
        Lowerer { file, offset, text, comments, diagnostics: Vec::new() }
    }

    /// The pair's span in the file, without the blanks and comments pest lets trail a rule.
    fn span(&self, pair: &Pair<Rule>) -> Span {
        let s = pair.as_span();
        let start = s.start() + self.offset;
        let mut end = s.end() + self.offset;
        loop {
            end = start + self.text[start..end].trim_end().len();
            let at = self.comments.partition_point(|c| c.span.end < end);
            match self.comments.get(at) {
                Some(c) if c.span.end == end && c.span.start >= start => end = c.span.start,
                _ => break,
            }
        }
        Span::new(start, end)
    }

    fn ident(&self, pair: Pair<Rule>) -> Ident {
        Ident { name: pair.as_str().to_string(), span: self.span(&pair) }
    }

    /// The `///` lines directly above `start`, without their slashes.
    fn doc_before(&self, start: usize) -> Option<String> {
        let mut lines = Vec::new();
        let mut limit = start;
        // Comments are sorted: only those ending before `start` can be above it.
        let before = self.comments.partition_point(|c| c.span.end <= start);
        for comment in self.comments[..before].iter().rev() {
            let between = &self.text[comment.span.end..limit];
            if comment.trailing
                || !comment.text.starts_with("///")
                || between.matches('\n').count() > 1
                || !between.trim().is_empty()
            {
                break;
            }
            let line = comment.text.trim_start_matches("///");
            lines.push(line.strip_prefix(' ').unwrap_or(line).to_string());
            limit = comment.span.start;
        }
        if lines.is_empty() {
            return None;
        }
        lines.reverse();
        Some(lines.join("\n"))
    }

    pub fn definition(&mut self, chunk: Pair<Rule>) -> Item {
        let def = chunk.into_inner().next().expect("chunk holds a definition");
        let span = self.span(&def);
        let doc = self.doc_before(span.start);
        let rule = def.as_rule();
        let mut inner = def.into_inner().peekable();
        match rule {
            Rule::import_def => {
                inner.next(); // keyword
                let path = self.string(inner.next().expect("import path"));
                Item::Import(Import { path, span })
            }
            Rule::objective_def => {
                inner.next();
                let dir = inner.next().expect("direction");
                let direction_span = self.span(&dir);
                let direction = if dir.as_str() == "maximize" { Direction::Maximize } else { Direction::Minimize };
                let metric = self.expr(inner.next().expect("objective metric"));
                Item::Objective(Objective { direction, direction_span, metric, doc, span })
            }
            Rule::extern_def => {
                inner.next();
                let kind = self.ident(inner.next().expect("extern kind"));
                let name = self.ident(inner.next().expect("extern name"));
                let params = inner
                    .next()
                    .expect("params")
                    .into_inner()
                    .filter(|p| p.as_rule() == Rule::param)
                    .map(|p| self.param(p))
                    .collect();
                let mut returns = None;
                let mut body = None;
                for pair in inner {
                    match pair.as_rule() {
                        Rule::type_expr => returns = Some(self.type_expr(pair)),
                        Rule::block => body = Some(self.block(pair)),
                        _ => {}
                    }
                }
                Item::Extern(Extern { kind, name, params, returns, body, doc, span })
            }
            Rule::block_def => {
                let kw = inner.next().expect("keyword");
                let kind_span = self.span(&kw);
                let kind = DefKind::from_keyword(kw.as_str()).expect("grammar only admits known keywords");
                let name = self.ident(inner.next().expect("definition name"));
                let mut value = None;
                let mut body = None;
                for pair in inner {
                    match pair.as_rule() {
                        Rule::expr => value = Some(self.expr(pair)),
                        Rule::block => body = Some(self.block(pair)),
                        _ => {}
                    }
                }
                Item::Definition(Definition { kind, kind_span, name, value, body, doc, span })
            }
            other => unreachable!("definition rule {other:?}"),
        }
    }

    fn param(&mut self, pair: Pair<Rule>) -> Param {
        let span = self.span(&pair);
        let mut inner = pair.into_inner().filter(|p| !matches!(p.as_rule(), Rule::colon | Rule::assign));
        let name = self.ident(inner.next().expect("param name"));
        let ty = self.type_expr(inner.next().expect("param type"));
        let default = inner.next().map(|p| self.expr(p));
        Param { name, ty, default, span }
    }

    fn type_expr(&mut self, pair: Pair<Rule>) -> TypeExpr {
        let inner = pair.into_inner().next().expect("type");
        let span = self.span(&inner);
        match inner.as_rule() {
            Rule::list_type => {
                let element = inner.into_inner().find(|p| p.as_rule() == Rule::type_expr).expect("element type");
                TypeExpr::List { element: Box::new(self.type_expr(element)), span }
            }
            _ => {
                let mut parts = inner.into_inner();
                let name = self.ident(parts.next().expect("type name"));
                let args = parts.next().map(|a| self.args(a));
                TypeExpr::Named { name, args, span }
            }
        }
    }

    fn block(&mut self, pair: Pair<Rule>) -> Block {
        let span = self.span(&pair);
        let items = pair
            .into_inner()
            .filter(|p| !matches!(p.as_rule(), Rule::lbrace | Rule::rbrace | Rule::comma))
            .map(|p| self.block_item(p))
            .collect();
        Block { items, span }
    }

    fn block_item(&mut self, pair: Pair<Rule>) -> BlockItem {
        let span = self.span(&pair);
        let rule = pair.as_rule();
        let mut inner = pair.into_inner().filter(|p| !matches!(p.as_rule(), Rule::assign | Rule::colon));
        match rule {
            Rule::setting => {
                let key = self.ident(inner.next().expect("key"));
                let value = self.expr(inner.next().expect("value"));
                BlockItem::Setting { key, value, span }
            }
            Rule::nested => {
                let name = self.ident(inner.next().expect("name"));
                let block = self.block(inner.next().expect("block"));
                BlockItem::Nested { name, block, span }
            }
            Rule::column_decl => {
                let name = self.ident(inner.next().expect("column"));
                let ty = self.type_expr(inner.next().expect("type"));
                BlockItem::Column { name, ty, span }
            }
            Rule::beats_item => {
                let mut names = inner.filter(|p| p.as_rule() == Rule::name || p.as_rule() == Rule::expr);
                let model = self.ident(names.next().expect("model"));
                let baseline = self.ident(names.next().expect("baseline"));
                let metric = self.ident(names.next().expect("metric"));
                let margin = names.next().map(|p| self.expr(p));
                BlockItem::Beats { model, baseline, metric, margin, span }
            }
            Rule::drift_item | Rule::rule_item => {
                let drift = rule == Rule::drift_item;
                if drift {
                    inner.next(); // the `drift` keyword
                }
                let subject = self.expr(inner.next().expect("subject"));
                let mut rule = Rule_ { drift, subject, on: None, over: None, action: None, span };
                for clause in inner {
                    match clause.as_rule() {
                        Rule::on_split => {
                            let mut parts = clause.into_inner().skip(1);
                            let split = self.ident(parts.next().expect("split"));
                            let op_pair = parts.next().expect("comparison");
                            let op_span = self.span(&op_pair);
                            let op = BinOp::from_symbol(op_pair.as_str()).expect("comparison operator");
                            let bound = self.expr(parts.next().expect("bound"));
                            rule.on = Some(OnSplit { split, op, op_span, bound });
                        }
                        Rule::over_window => {
                            let mut parts = clause.into_inner().skip(1);
                            let count = self.expr(parts.next().expect("count"));
                            let unit = self.ident(parts.next().expect("unit"));
                            rule.over = Some((count, unit));
                        }
                        Rule::action => rule.action = Some(self.action(clause)),
                        _ => {}
                    }
                }
                BlockItem::Rule(rule)
            }
            other => unreachable!("block item rule {other:?}"),
        }
    }

    fn action(&mut self, pair: Pair<Rule>) -> Expr {
        let expr = pair.into_inner().find(|p| p.as_rule() == Rule::expr).expect("action expression");
        self.expr(expr)
    }

    fn string(&mut self, pair: Pair<Rule>) -> StringLit {
        let span = self.span(&pair);
        StringLit { value: unescape(pair.as_str()), span }
    }

    fn args(&mut self, pair: Pair<Rule>) -> Vec<Arg> {
        pair.into_inner()
            .filter(|p| p.as_rule() == Rule::arg)
            .map(|arg| {
                let mut parts = arg.into_inner().filter(|p| p.as_rule() != Rule::colon).collect::<Vec<_>>();
                let value = self.expr(parts.pop().expect("argument value"));
                let name = parts.pop().map(|n| self.ident(n));
                Arg { name, value }
            })
            .collect()
    }

    fn error_expr(&mut self, span: Span) -> (Expr, u32) {
        self.diagnostics.push(
            Diagnostic::error(Code::E0002, self.file, span, "this expression nests too deeply")
                .with_primary(format!("more than {MAX_EXPR_DEPTH} levels of operators"))
                .with_help("split the expression into named `feature` definitions"),
        );
        (Expr { kind: ExprKind::Error, span }, 1)
    }

    pub fn expr(&mut self, pair: Pair<Rule>) -> Expr {
        self.expr_with_depth(pair).0
    }

    /// Applies precedence to `prefix* operand (infix prefix* operand)*`.
    fn expr_with_depth(&mut self, pair: Pair<Rule>) -> (Expr, u32) {
        let whole = self.span(&pair);
        let mut operands: Vec<(Expr, u32)> = Vec::new();
        let mut pending: Vec<Pending> = Vec::new();
        let mut negations: Vec<Span> = Vec::new();
        let mut failed = false;
        let mut chained = false;
        for part in pair.into_inner() {
            match part.as_rule() {
                Rule::prefix_op => {
                    let span = self.span(&part);
                    if part.as_str() == "-" { negations.push(span) } else { pending.push(Pending::Not(span)) }
                }
                Rule::operand => {
                    let (mut operand, mut depth) = self.operand(part);
                    if negations.len() as u32 + depth > MAX_EXPR_DEPTH {
                        failed = true;
                    }
                    while let Some(neg) = negations.pop() {
                        if failed {
                            break;
                        }
                        let span = neg.to(operand.span);
                        operand = Expr { kind: ExprKind::Unary { op: UnOp::Neg, operand: Box::new(operand) }, span };
                        depth += 1;
                    }
                    negations.clear();
                    operands.push((operand, depth));
                }
                Rule::infix_op => {
                    let span = self.span(&part);
                    // `"-" ~ !">"` is a sequence, so the pair may end with the blanks and comments
                    // pest skipped before the lookahead (`a - // note`); the trimmed span does not.
                    let op = BinOp::from_symbol(&self.text[span.start..span.end])
                        .expect("grammar admits only known operators");
                    let incoming = Pending::Binary(op, span);
                    while let Some(&top) = pending.last() {
                        if top.strength() < incoming.strength() {
                            break;
                        }
                        if let (Pending::Binary(prev, prev_span), true) = (top, op.is_comparison()) {
                            if prev.is_comparison() {
                                self.diagnostics.push(
                                    Diagnostic::error(Code::E0003, self.file, span, "comparisons cannot be chained")
                                        .with_primary("second comparison")
                                        .with_label(prev_span, "first comparison")
                                        .with_help("join the two comparisons with `and`, e.g. `a < b and b < c`"),
                                );
                                chained = true;
                            }
                        }
                        pending.pop();
                        self.reduce(top, &mut operands, &mut failed);
                    }
                    pending.push(incoming);
                }
                _ => {}
            }
            if failed {
                break;
            }
        }
        while let Some(top) = pending.pop() {
            if failed {
                break;
            }
            self.reduce(top, &mut operands, &mut failed);
        }
        if failed || operands.len() != 1 {
            return self.error_expr(whole);
        }
        if chained {
            // Already reported as E0003; an error node keeps type errors from piling on.
            return (Expr { kind: ExprKind::Error, span: whole }, 1);
        }
        operands.pop().expect("one operand left")
    }

    fn reduce(&mut self, op: Pending, operands: &mut Vec<(Expr, u32)>, failed: &mut bool) {
        let result = match op {
            Pending::Not(span) => {
                let Some((operand, depth)) = operands.pop() else { return };
                let span = span.to(operand.span);
                (Expr { kind: ExprKind::Unary { op: UnOp::Not, operand: Box::new(operand) }, span }, depth + 1)
            }
            Pending::Binary(op, op_span) => {
                let (Some((rhs, rd)), Some((lhs, ld))) = (operands.pop(), operands.pop()) else { return };
                let span = lhs.span.to(rhs.span);
                let kind = ExprKind::Binary { op, op_span, lhs: Box::new(lhs), rhs: Box::new(rhs) };
                (Expr { kind, span }, ld.max(rd) + 1)
            }
        };
        if result.1 > MAX_EXPR_DEPTH {
            *failed = true;
        }
        operands.push(result);
    }

    fn operand(&mut self, pair: Pair<Rule>) -> (Expr, u32) {
        let mut parts = pair.into_inner();
        let (mut expr, mut depth) = self.primary(parts.next().expect("primary"));
        for postfix in parts {
            // The caller refuses an operand past the limit; building on would only make a tree
            // too deep to drop (`a.b.b.b…` a hundred thousand times overflows the stack).
            if depth > MAX_EXPR_DEPTH {
                break;
            }
            let span = expr.span.to(self.span(&postfix));
            match postfix.as_rule() {
                Rule::call => {
                    let args_pair = postfix.into_inner().next().expect("args");
                    let args = self.args(args_pair);
                    expr = Expr { kind: ExprKind::Call { callee: Box::new(expr), args }, span };
                }
                Rule::field => {
                    let name = postfix.into_inner().find(|p| p.as_rule() == Rule::name).expect("field name");
                    let field = self.ident(name);
                    expr = Expr { kind: ExprKind::Field { base: Box::new(expr), field }, span };
                }
                _ => continue,
            }
            depth += 1;
        }
        // Argument and list depths are folded in by `primary` and `args` through recursion that the
        // chunker's bracket limit bounds; the operator depth is what matters here.
        (expr, depth)
    }

    fn primary(&mut self, pair: Pair<Rule>) -> (Expr, u32) {
        let span = self.span(&pair);
        let kind = match pair.as_rule() {
            Rule::number => {
                let text = pair.as_str().to_string();
                let percent = text.ends_with('%');
                let digits = text.trim_end_matches('%');
                let is_int = !digits.contains(['.', 'e', 'E']);
                if is_int && !percent && digits.parse::<i64>().is_err() {
                    // An integer is 64 bits: a bigger one would silently become another number.
                    self.diagnostics.push(
                        Diagnostic::error(
                            Code::E0005,
                            self.file,
                            span,
                            format!("the integer `{digits}` is out of range"),
                        )
                        .with_primary(format!("larger than {}", i64::MAX))
                        .with_help(format!(
                            "integers are 64-bit: write one of at most {}, or a decimal such as `1e20` where any number will do",
                            i64::MAX
                        )),
                    );
                }
                let mut value: f64 = digits.parse().unwrap_or(f64::NAN);
                if percent {
                    value /= 100.0;
                }
                ExprKind::Number { text, value, is_int, percent }
            }
            Rule::string => ExprKind::String(unescape(pair.as_str())),
            Rule::boolean => ExprKind::Bool(pair.as_str() == "true"),
            Rule::name => ExprKind::Name(pair.as_str().to_string()),
            Rule::list => {
                let items = pair.into_inner().filter(|p| p.as_rule() == Rule::expr).map(|p| self.expr(p)).collect();
                ExprKind::List(items)
            }
            Rule::paren => {
                let inner = pair.into_inner().find(|p| p.as_rule() == Rule::expr).expect("parenthesized expression");
                let (inner, depth) = self.expr_with_depth(inner);
                return (Expr { kind: ExprKind::Paren(Box::new(inner)), span }, depth + 1);
            }
            Rule::if_expr => {
                let mut exprs = pair.into_inner().filter(|p| p.as_rule() == Rule::expr);
                let (cond, d1) = self.expr_with_depth(exprs.next().expect("condition"));
                let (then, d2) = self.expr_with_depth(exprs.next().expect("then branch"));
                let (otherwise, d3) = self.expr_with_depth(exprs.next().expect("else branch"));
                let kind = ExprKind::If { cond: Box::new(cond), then: Box::new(then), otherwise: Box::new(otherwise) };
                return (Expr { kind, span }, d1.max(d2).max(d3) + 1);
            }
            other => unreachable!("primary rule {other:?}"),
        };
        (Expr { kind, span }, 1)
    }
}

// `Rule` is pest's rule enum in this module; the AST's statement type is reached through this alias.
type Rule_ = crate::ast::Rule;

/// Resolves `\"`, `\\`, `\n` and `\t` in a quoted string literal (quotes included in `raw`).
pub fn unescape(raw: &str) -> String {
    let body = raw.strip_prefix('"').and_then(|s| s.strip_suffix('"')).unwrap_or(raw);
    let mut out = String::with_capacity(body.len());
    let mut chars = body.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('n') => out.push('\n'),
            Some('t') => out.push('\t'),
            Some(other) => out.push(other),
            None => out.push('\\'),
        }
    }
    out
}
