//! The syntax tree of one `.mlp` file: our own types, independent of pest, with a span on every
//! node. Comments are not in the tree: they live in a side table ([`Comment`]) so the formatter
//! can keep them and the checker never sees them.

use crate::span::Span;

#[derive(Clone, Debug, Default, PartialEq)]
pub struct Ast {
    pub items: Vec<Item>,
    pub comments: Vec<Comment>,
}

/// A `//` or `///` comment, in source order.
#[derive(Clone, Debug, PartialEq)]
pub struct Comment {
    pub span: Span,
    /// The comment's text including its leading slashes, without the line break.
    pub text: String,
    /// True when code precedes the comment on its line (`x = 1  // note`).
    pub trailing: bool,
}

#[derive(Clone, Debug, PartialEq)]
pub enum Item {
    Import(Import),
    Objective(Objective),
    Definition(Definition),
    Extern(Extern),
    /// A top-level chunk that did not parse; its diagnostic was already reported.
    Error(Span),
}

impl Item {
    pub fn span(&self) -> Span {
        match self {
            Item::Import(i) => i.span,
            Item::Objective(o) => o.span,
            Item::Definition(d) => d.span,
            Item::Extern(e) => e.span,
            Item::Error(span) => *span,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Ident {
    pub name: String,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Import {
    pub path: StringLit,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq)]
pub struct StringLit {
    /// The value with escapes resolved.
    pub value: String,
    pub span: Span,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Direction {
    Maximize,
    Minimize,
}

impl Direction {
    pub fn as_str(self) -> &'static str {
        match self {
            Direction::Maximize => "maximize",
            Direction::Minimize => "minimize",
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct Objective {
    pub direction: Direction,
    pub direction_span: Span,
    pub metric: Expr,
    pub doc: Option<String>,
    pub span: Span,
}

/// The kinds of top-level block definitions.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum DefKind {
    Pipeline,
    Source,
    Dataset,
    Feature,
    Metric,
    Baseline,
    Model,
    Search,
    Gate,
    Deploy,
    Monitor,
}

impl DefKind {
    pub const ALL: [DefKind; 11] = [
        DefKind::Pipeline,
        DefKind::Source,
        DefKind::Dataset,
        DefKind::Feature,
        DefKind::Metric,
        DefKind::Baseline,
        DefKind::Model,
        DefKind::Search,
        DefKind::Gate,
        DefKind::Deploy,
        DefKind::Monitor,
    ];

    pub fn keyword(self) -> &'static str {
        match self {
            DefKind::Pipeline => "pipeline",
            DefKind::Source => "source",
            DefKind::Dataset => "dataset",
            DefKind::Feature => "feature",
            DefKind::Metric => "metric",
            DefKind::Baseline => "baseline",
            DefKind::Model => "model",
            DefKind::Search => "search",
            DefKind::Gate => "gate",
            DefKind::Deploy => "deploy",
            DefKind::Monitor => "monitor",
        }
    }

    pub fn from_keyword(word: &str) -> Option<DefKind> {
        DefKind::ALL.into_iter().find(|k| k.keyword() == word)
    }
}

/// `KIND name [= value] [{ body }]`
#[derive(Clone, Debug, PartialEq)]
pub struct Definition {
    pub kind: DefKind,
    pub kind_span: Span,
    pub name: Ident,
    pub value: Option<Expr>,
    pub body: Option<Block>,
    /// Text of the `///` comments directly above the definition, without the slashes.
    pub doc: Option<String>,
    pub span: Span,
}

/// `extern KIND name(params) [-> type] [{ attributes }]`: a built-in's declaration in stdlib/*.mlp.
#[derive(Clone, Debug, PartialEq)]
pub struct Extern {
    pub kind: Ident,
    pub name: Ident,
    pub params: Vec<Param>,
    pub returns: Option<TypeExpr>,
    pub body: Option<Block>,
    pub doc: Option<String>,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Param {
    pub name: Ident,
    pub ty: TypeExpr,
    pub default: Option<Expr>,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq)]
pub enum TypeExpr {
    /// `float`, `category(male, female)`, `image(1, 28, 28)`
    Named { name: Ident, args: Option<Vec<Arg>>, span: Span },
    /// `[int]`
    List { element: Box<TypeExpr>, span: Span },
}

impl TypeExpr {
    pub fn span(&self) -> Span {
        match self {
            TypeExpr::Named { span, .. } | TypeExpr::List { span, .. } => *span,
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct Block {
    pub items: Vec<BlockItem>,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq)]
pub enum BlockItem {
    /// `key = value`
    Setting { key: Ident, value: Expr, span: Span },
    /// `name { ... }`, e.g. `schema { ... }` or `layers { ... }`
    Nested { name: Ident, block: Block, span: Span },
    /// `name: type` inside `schema { ... }`
    Column { name: Ident, ty: TypeExpr, span: Span },
    /// `model beats baseline on metric [by margin]`
    Beats { model: Ident, baseline: Ident, metric: Ident, margin: Option<Expr>, span: Span },
    /// A statement: a condition or a call, with optional clauses.
    Rule(Rule),
}

impl BlockItem {
    pub fn span(&self) -> Span {
        match self {
            BlockItem::Setting { span, .. }
            | BlockItem::Nested { span, .. }
            | BlockItem::Column { span, .. }
            | BlockItem::Beats { span, .. } => *span,
            BlockItem::Rule(rule) => rule.span,
        }
    }
}

/// `[drift] subject [on split OP bound] [over N unit] [-> action]`
#[derive(Clone, Debug, PartialEq)]
pub struct Rule {
    pub drift: bool,
    pub subject: Expr,
    /// `on test >= 0.9`: the split the subject is measured on, the comparison and its bound.
    pub on: Option<OnSplit>,
    /// `over 500 labelled`
    pub over: Option<(Expr, Ident)>,
    pub action: Option<Expr>,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq)]
pub struct OnSplit {
    pub split: Ident,
    pub op: BinOp,
    pub op_span: Span,
    pub bound: Expr,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Arg {
    pub name: Option<Ident>,
    pub value: Expr,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Expr {
    pub kind: ExprKind,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq)]
pub enum ExprKind {
    /// A number exactly as written (`3e-4`, `0.02`, `5%`), with its value (`5%` is 0.05).
    Number {
        text: String,
        value: f64,
        is_int: bool,
        percent: bool,
    },
    String(String),
    Bool(bool),
    Name(String),
    /// `base.field`
    Field {
        base: Box<Expr>,
        field: Ident,
    },
    Call {
        callee: Box<Expr>,
        args: Vec<Arg>,
    },
    List(Vec<Expr>),
    Paren(Box<Expr>),
    Unary {
        op: UnOp,
        operand: Box<Expr>,
    },
    Binary {
        op: BinOp,
        op_span: Span,
        lhs: Box<Expr>,
        rhs: Box<Expr>,
    },
    If {
        cond: Box<Expr>,
        then: Box<Expr>,
        otherwise: Box<Expr>,
    },
    /// Could not be built (e.g. nested too deeply); a diagnostic was reported.
    Error,
}

impl Expr {
    /// The name when this expression is a bare identifier.
    pub fn as_name(&self) -> Option<&str> {
        match &self.kind {
            ExprKind::Name(n) => Some(n),
            _ => None,
        }
    }

    /// The callee's name and the arguments when this expression is `name(args)`.
    pub fn as_call(&self) -> Option<(&str, Span, &[Arg])> {
        match &self.kind {
            ExprKind::Call { callee, args } => callee.as_name().map(|n| (n, callee.span, args.as_slice())),
            _ => None,
        }
    }

    pub fn as_number(&self) -> Option<f64> {
        match &self.kind {
            ExprKind::Number { value, .. } => Some(*value),
            ExprKind::Unary { op: UnOp::Neg, operand } => operand.as_number().map(|v| -v),
            ExprKind::Paren(inner) => inner.as_number(),
            _ => None,
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum UnOp {
    Neg,
    Not,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum BinOp {
    Or,
    And,
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
    In,
    Add,
    Sub,
    Mul,
    Div,
}

impl BinOp {
    pub fn as_str(self) -> &'static str {
        match self {
            BinOp::Or => "or",
            BinOp::And => "and",
            BinOp::Eq => "==",
            BinOp::Ne => "!=",
            BinOp::Lt => "<",
            BinOp::Le => "<=",
            BinOp::Gt => ">",
            BinOp::Ge => ">=",
            BinOp::In => "in",
            BinOp::Add => "+",
            BinOp::Sub => "-",
            BinOp::Mul => "*",
            BinOp::Div => "/",
        }
    }

    pub fn from_symbol(text: &str) -> Option<BinOp> {
        Some(match text {
            "or" => BinOp::Or,
            "and" => BinOp::And,
            "==" => BinOp::Eq,
            "!=" => BinOp::Ne,
            "<" => BinOp::Lt,
            "<=" => BinOp::Le,
            ">" => BinOp::Gt,
            ">=" => BinOp::Ge,
            "in" => BinOp::In,
            "+" => BinOp::Add,
            "-" => BinOp::Sub,
            "*" => BinOp::Mul,
            "/" => BinOp::Div,
            _ => return None,
        })
    }

    /// Binding strength: higher binds tighter. All binary operators are left-associative except
    /// comparisons, which do not chain.
    pub fn precedence(self) -> u8 {
        match self {
            BinOp::Or => 1,
            BinOp::And => 2,
            BinOp::Eq | BinOp::Ne | BinOp::Lt | BinOp::Le | BinOp::Gt | BinOp::Ge | BinOp::In => 3,
            BinOp::Add | BinOp::Sub => 4,
            BinOp::Mul | BinOp::Div => 5,
        }
    }

    pub fn is_comparison(self) -> bool {
        self.precedence() == 3
    }
}

/// Canonical one-line text of an expression: what the formatter prints and what plans and run
/// records store. Parentheses appear exactly where the source has them.
impl std::fmt::Display for Expr {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.kind {
            ExprKind::Number { text, .. } => f.write_str(text),
            ExprKind::String(s) => write!(f, "\"{}\"", escape(s)),
            ExprKind::Bool(b) => write!(f, "{b}"),
            ExprKind::Name(n) => f.write_str(n),
            ExprKind::Field { base, field } => write!(f, "{base}.{}", field.name),
            ExprKind::Call { callee, args } => {
                write!(f, "{callee}(")?;
                write_args(f, args)?;
                f.write_str(")")
            }
            ExprKind::List(items) => {
                f.write_str("[")?;
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    write!(f, "{item}")?;
                }
                f.write_str("]")
            }
            ExprKind::Paren(inner) => write!(f, "({inner})"),
            ExprKind::Unary { op: UnOp::Neg, operand } => write!(f, "-{operand}"),
            ExprKind::Unary { op: UnOp::Not, operand } => write!(f, "not {operand}"),
            ExprKind::Binary { op, lhs, rhs, .. } => write!(f, "{lhs} {} {rhs}", op.as_str()),
            ExprKind::If { cond, then, otherwise } => write!(f, "if {cond} then {then} else {otherwise}"),
            ExprKind::Error => f.write_str("<error>"),
        }
    }
}

/// `a, name: b` — call arguments as written canonically.
pub fn write_args(f: &mut impl std::fmt::Write, args: &[Arg]) -> std::fmt::Result {
    for (i, arg) in args.iter().enumerate() {
        if i > 0 {
            f.write_str(", ")?;
        }
        if let Some(name) = &arg.name {
            write!(f, "{}: ", name.name)?;
        }
        write!(f, "{}", arg.value)?;
    }
    Ok(())
}

/// Escapes a string's content for printing between double quotes.
pub fn escape(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for c in value.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            other => out.push(other),
        }
    }
    out
}
