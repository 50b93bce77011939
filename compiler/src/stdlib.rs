//! The built-ins, read from the `extern` declarations in `stdlib/*.mlp` (embedded at build time).
//! These files are the single source of truth for signatures, defaults and documentation: the
//! checker, `docs/stdlib.md` and editor hovers all read them through [`Stdlib`].

use crate::ast::{Expr, ExprKind, Item, TypeExpr};
use crate::diagnostic::FileId;
use std::collections::BTreeMap;
use std::sync::OnceLock;

/// The declaration files, in the order `docs/stdlib.md` presents them.
pub const FILES: [(&str, &str); 9] = [
    ("settings.mlp", include_str!("../../stdlib/settings.mlp")),
    ("data.mlp", include_str!("../../stdlib/data.mlp")),
    ("metrics.mlp", include_str!("../../stdlib/metrics.mlp")),
    ("baselines.mlp", include_str!("../../stdlib/baselines.mlp")),
    ("models.mlp", include_str!("../../stdlib/models.mlp")),
    ("training.mlp", include_str!("../../stdlib/training.mlp")),
    ("search.mlp", include_str!("../../stdlib/search.mlp")),
    ("deploy.mlp", include_str!("../../stdlib/deploy.mlp")),
    ("functions.mlp", include_str!("../../stdlib/functions.mlp")),
];

/// The type of a built-in's parameter or of a setting.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ParamType {
    Int,
    Float,
    Bool,
    String,
    /// An identifier: a column, a definition or a category level.
    Name,
    /// A float in [0, 1].
    Fraction,
    /// A float in [0, 1): a dropout rate, where 1 would drop everything.
    OpenFraction,
    /// An integer of at least 1.
    Count,
    /// An integer of at least 0 (sizes and indices where 0 means something).
    Natural,
    /// A float above 0.
    Rate,
    /// An expression over columns (rules).
    Expr,
    /// `metric >= number` where `metric` is the named one.
    Bound(&'static str),
    Any,
    List(Box<ParamType>),
    /// A value of another built-in kind: a call such as `adam(lr: 1e-3)` or a bare name.
    Kind(String),
}

impl ParamType {
    fn from_type_expr(ty: &TypeExpr) -> ParamType {
        match ty {
            TypeExpr::List { element, .. } => ParamType::List(Box::new(ParamType::from_type_expr(element))),
            TypeExpr::Named { name, .. } => match name.name.as_str() {
                "int" => ParamType::Int,
                "float" => ParamType::Float,
                "bool" => ParamType::Bool,
                "string" => ParamType::String,
                "name" => ParamType::Name,
                "fraction" => ParamType::Fraction,
                "open_fraction" => ParamType::OpenFraction,
                "count" => ParamType::Count,
                "natural" => ParamType::Natural,
                "rate" => ParamType::Rate,
                "expr" => ParamType::Expr,
                "any" => ParamType::Any,
                "bound_on_recall" => ParamType::Bound("recall"),
                "bound_on_precision" => ParamType::Bound("precision"),
                other => ParamType::Kind(other.to_string()),
            },
        }
    }

    /// The type in the plural, for list element types: "whole numbers of at least 1".
    fn plural(&self) -> String {
        match self {
            ParamType::Int => "integers".into(),
            ParamType::Float => "numbers".into(),
            ParamType::Bool => "booleans".into(),
            ParamType::String => "strings".into(),
            ParamType::Name => "names".into(),
            ParamType::Fraction => "fractions in [0, 1]".into(),
            ParamType::OpenFraction => "fractions in [0, 1)".into(),
            ParamType::Count => "whole numbers of at least 1".into(),
            ParamType::Natural => "whole numbers of at least 0".into(),
            ParamType::Rate => "numbers above 0".into(),
            ParamType::List(inner) => format!("lists of {}", inner.plural()),
            ParamType::Kind(kind) => format!("{kind}s"),
            _ => "values".into(),
        }
    }

    /// How the type reads in messages and docs.
    pub fn describe(&self) -> String {
        match self {
            ParamType::Int => "an integer".into(),
            ParamType::Float => "a number".into(),
            ParamType::Bool => "`true` or `false`".into(),
            ParamType::String => "a string".into(),
            ParamType::Name => "a name".into(),
            ParamType::Fraction => "a fraction in [0, 1]".into(),
            ParamType::OpenFraction => "a fraction in [0, 1)".into(),
            ParamType::Count => "a whole number of at least 1".into(),
            ParamType::Natural => "a whole number of at least 0".into(),
            ParamType::Rate => "a number above 0".into(),
            ParamType::Expr => "an expression".into(),
            ParamType::Bound(metric) => format!("a bound such as `{metric} >= 0.6`"),
            ParamType::Any => "a value".into(),
            ParamType::List(element) => format!("a list of {}", element.plural()),
            ParamType::Kind(kind) => format!("{} {kind}", article(kind)),
        }
    }
}

fn article(word: &str) -> &'static str {
    if word.starts_with(['a', 'e', 'i', 'o', 'u']) { "an" } else { "a" }
}

#[derive(Clone, Debug)]
pub struct ParamSpec {
    pub name: String,
    pub ty: ParamType,
    /// The declared type as written, for docs and hovers.
    pub ty_text: String,
    pub default: Option<Expr>,
    pub default_text: Option<String>,
}

#[derive(Clone, Debug)]
pub struct Builtin {
    /// `metric`, `layer`, `optimizer`, `settings`, ...
    pub kind: String,
    pub name: String,
    pub params: Vec<ParamSpec>,
    pub returns: Option<String>,
    /// `tasks = [...]`, `direction = maximize`, `input = image`, ...
    pub attributes: BTreeMap<String, Expr>,
    pub doc: String,
    /// The declaring file, e.g. `metrics.mlp`.
    pub file: &'static str,
}

impl Builtin {
    pub fn param(&self, name: &str) -> Option<&ParamSpec> {
        self.params.iter().find(|p| p.name == name)
    }

    /// The names listed in a list attribute such as `tasks = [binary, multiclass]`.
    pub fn list_attribute(&self, key: &str) -> Vec<&str> {
        match self.attributes.get(key).map(|e| &e.kind) {
            Some(ExprKind::List(items)) => items.iter().filter_map(Expr::as_name).collect(),
            _ => Vec::new(),
        }
    }

    /// Whether the built-in's `tasks` attribute lists the task (metrics, baselines, losses).
    pub fn applies_to(&self, task: crate::types::Task) -> bool {
        self.list_attribute("tasks").contains(&task.as_str())
    }

    pub fn name_attribute(&self, key: &str) -> Option<&str> {
        self.attributes.get(key).and_then(Expr::as_name)
    }

    /// `name(param: type = default, ...)`, for docs and hovers.
    pub fn signature(&self) -> String {
        let params: Vec<String> = self
            .params
            .iter()
            .map(|p| match &p.default_text {
                Some(d) => format!("{}: {} = {d}", p.name, p.ty_text),
                None => format!("{}: {}", p.name, p.ty_text),
            })
            .collect();
        let returns = self.returns.as_ref().map(|r| format!(" -> {r}")).unwrap_or_default();
        format!("{}({}){returns}", self.name, params.join(", "))
    }
}

#[derive(Debug, Default)]
pub struct Stdlib {
    builtins: Vec<Builtin>,
    /// Kind → name → position in `builtins`; looked up with borrowed strings on every check.
    index: std::collections::HashMap<String, std::collections::HashMap<String, usize>>,
}

impl Stdlib {
    /// The built-ins, parsed once per process.
    pub fn get() -> &'static Stdlib {
        static STDLIB: OnceLock<Stdlib> = OnceLock::new();
        STDLIB.get_or_init(|| Stdlib::from_sources(&FILES))
    }

    /// Parses declaration files. The embedded files are verified by tests to parse cleanly.
    pub fn from_sources(files: &[(&'static str, &'static str)]) -> Stdlib {
        let mut stdlib = Stdlib::default();
        for (file, text) in files {
            let (ast, _) = crate::syntax::parse(text, FileId(u32::MAX));
            for item in ast.items {
                let Item::Extern(ext) = item else { continue };
                let slice = |span: crate::Span| text[span.start..span.end].to_string();
                let params = ext
                    .params
                    .iter()
                    .map(|p| ParamSpec {
                        name: p.name.name.clone(),
                        ty: ParamType::from_type_expr(&p.ty),
                        ty_text: slice(p.ty.span()),
                        default: p.default.clone(),
                        default_text: p.default.as_ref().map(|d| slice(d.span)),
                    })
                    .collect();
                let attributes = ext
                    .body
                    .iter()
                    .flat_map(|b| &b.items)
                    .filter_map(|item| match item {
                        crate::ast::BlockItem::Setting { key, value, .. } => Some((key.name.clone(), value.clone())),
                        _ => None,
                    })
                    .collect();
                let builtin = Builtin {
                    kind: ext.kind.name.clone(),
                    name: ext.name.name.clone(),
                    params,
                    returns: ext.returns.as_ref().map(|r| slice(r.span())),
                    attributes,
                    doc: ext.doc.clone().unwrap_or_default(),
                    file,
                };
                stdlib
                    .index
                    .entry(builtin.kind.clone())
                    .or_default()
                    .insert(builtin.name.clone(), stdlib.builtins.len());
                stdlib.builtins.push(builtin);
            }
        }
        stdlib
    }

    pub fn lookup(&self, kind: &str, name: &str) -> Option<&Builtin> {
        self.index.get(kind)?.get(name).map(|&i| &self.builtins[i])
    }

    /// All built-ins of one kind, in declaration order.
    pub fn of_kind<'a>(&'a self, kind: &'a str) -> impl Iterator<Item = &'a Builtin> + 'a {
        self.builtins.iter().filter(move |b| b.kind == kind)
    }

    pub fn all(&self) -> &[Builtin] {
        &self.builtins
    }

    /// Names of the built-ins of one kind that apply to a task, for "use ..." help lines.
    pub fn applying_to<'a>(&'a self, kind: &'a str, task: crate::types::Task) -> Vec<&'a str> {
        self.of_kind(kind).filter(|b| b.applies_to(task)).map(|b| b.name.as_str()).collect()
    }

    /// The settings a block kind accepts (`extern settings model(...)`).
    pub fn settings(&self, block: &str) -> Option<&Builtin> {
        self.lookup("settings", block)
    }
}

/// `docs/stdlib.md`, generated from the declarations; a test keeps the committed file current.
pub fn reference_markdown() -> String {
    let stdlib = Stdlib::get();
    let mut out = String::from(
        "# Standard library reference\n\n<!-- Generated from stdlib/*.mlp by `mlpc stdlib-docs`; do not edit. -->\n\n\
         Every built-in is declared once, with its signature, defaults and documentation, in \
         `stdlib/*.mlp`. Settings blocks list what each kind of definition accepts.\n",
    );
    for (file, _) in FILES {
        out.push_str(&format!("\n## {file}\n"));
        let mut kind_seen = String::new();
        for builtin in stdlib.builtins.iter().filter(|b| b.file == file) {
            if builtin.kind != kind_seen {
                out.push_str(&format!("\n### {}\n", heading(&builtin.kind)));
                kind_seen = builtin.kind.clone();
            }
            out.push_str(&format!("\n#### `{}`\n\n```\n{}\n```\n", builtin.name, builtin.signature()));
            if !builtin.doc.is_empty() {
                out.push_str(&format!("\n{}\n", builtin.doc.replace('\n', " ")));
            }
            let attrs: Vec<String> = builtin
                .attributes
                .iter()
                .map(|(k, v)| match &v.kind {
                    ExprKind::List(items) => {
                        format!("{k}: {}", items.iter().filter_map(Expr::as_name).collect::<Vec<_>>().join(", "))
                    }
                    _ => format!("{k}: {}", v.as_name().unwrap_or("?")),
                })
                .collect();
            if !attrs.is_empty() {
                out.push_str(&format!("\n{}\n", attrs.join(" · ")));
            }
        }
    }
    out
}

fn heading(kind: &str) -> &str {
    match kind {
        "settings" => "Settings",
        "format" => "Source formats",
        "split" => "Splits",
        "normalizer" => "Normalizers",
        "encoding" => "Category encodings",
        "missing" => "Missing-value policies",
        "sampling" => "Sampling",
        "augmentation" => "Image augmentations",
        "windowing" => "Windows over time series",
        "tokenizer" => "Tokenizers",
        "metric" => "Metrics",
        "baseline" => "Baselines",
        "model" => "Models",
        "layer" => "Layers",
        "activation" => "Activations",
        "init" => "Initializations",
        "optimizer" => "Optimizers",
        "loss" => "Losses",
        "stopping" => "Early stopping",
        "device" => "Devices",
        "precision" => "Precisions",
        "strategy" => "Search strategies",
        "refinement" => "Search refinement",
        "distribution" => "Search distributions",
        "target" => "Deploy targets",
        "auth" => "Deploy authentication",
        "statistic" => "Drift statistics",
        "action" => "Monitor actions",
        "function" => "Expression functions",
        other => other,
    }
}
