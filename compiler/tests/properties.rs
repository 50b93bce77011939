//! Properties of the parser and formatter over real and generated input: formatting is idempotent
//! and keeps a file's meaning (its tree up to spans, its comments in order), and the parser never
//! panics or overflows the stack, whatever it is given.

use mlp_compiler::format::{format, syntax_shape};
use mlp_compiler::syntax::parse;
use mlp_compiler::{Diagnostic, FileId};
use proptest::prelude::*;
use std::path::{Path, PathBuf};

/// Formats `text` and checks both properties; a text with syntax errors is only parsed.
/// Returns whether the text was formatted.
fn check_format_properties(text: &str) -> Result<bool, TestCaseError> {
    let (before, diagnostics) = parse(text, FileId(0));
    let formatted = match format(text) {
        Ok(formatted) => formatted,
        Err(errors) => {
            prop_assert_eq!(&errors, &diagnostics);
            return Ok(false);
        }
    };
    let (after, after_diagnostics) = parse(&formatted, FileId(0));
    prop_assert!(
        after_diagnostics.is_empty(),
        "formatted text has errors: {after_diagnostics:?}\n--- input\n{text}\n--- formatted\n{formatted}"
    );
    prop_assert_eq!(
        syntax_shape(&after),
        syntax_shape(&before),
        "meaning changed\n--- input\n{}\n--- formatted\n{}",
        text,
        formatted
    );
    let again = format(&formatted).expect("formatted text parses");
    prop_assert_eq!(&again, &formatted, "not idempotent\n--- input\n{}", text);
    Ok(true)
}

fn error_codes(diagnostics: &[Diagnostic]) -> Vec<&'static str> {
    diagnostics.iter().filter(|d| d.is_error()).map(|d| d.code.as_str()).collect()
}

// ---- (a.i) every .mlp file in the repository ---------------------------------------------------

fn mlp_files(dir: &Path, found: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            mlp_files(&path, found);
        } else if path.extension().is_some_and(|e| e == "mlp") {
            found.push(path);
        }
    }
}

/// The examples (which may not exist yet), the formatter's fixtures and the standard library.
fn corpus() -> Vec<(PathBuf, String)> {
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut paths = Vec::new();
    for dir in [manifest.join("../examples"), manifest.join("tests/format"), manifest.join("../stdlib")] {
        mlp_files(&dir, &mut paths);
    }
    paths.sort();
    paths
        .into_iter()
        .map(|p| {
            let text = std::fs::read_to_string(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
            (p, text)
        })
        .collect()
}

#[test]
fn repository_files_format_idempotently_and_keep_their_meaning() {
    let files = corpus();
    assert!(!files.is_empty(), "the formatter fixtures at least are there");
    let mut formatted = 0;
    for (path, text) in &files {
        match check_format_properties(text) {
            Ok(true) => formatted += 1,
            Ok(false) => {}
            Err(e) => panic!("{}: {e}", path.display()),
        }
    }
    // Only deliberately broken fixtures are refused.
    assert!(formatted + 1 >= files.len(), "only {formatted} of {} files formatted", files.len());
}

// ---- (a.ii) generated well-formed programs -----------------------------------------------------

fn pick(options: &'static [&'static str]) -> BoxedStrategy<String> {
    prop::sample::select(options).prop_map(str::to_string).boxed()
}

/// Names, some of them close to keywords so that keyword boundaries are exercised.
fn name() -> BoxedStrategy<String> {
    pick(&[
        "a",
        "b",
        "x",
        "y2",
        "mean_area",
        "lr",
        "test",
        "relu",
        "_hidden",
        "iffy",
        "notable",
        "andy",
        "order",
        "truth",
        "into",
        "onward",
        "driftwood",
    ])
}

/// Setting and block names, including words that are keywords elsewhere.
fn key() -> BoxedStrategy<String> {
    prop_oneof![4 => name(), 1 => pick(&["model", "source", "on", "over", "by", "beats", "drift", "schema", "layers", "extern", "import"])].boxed()
}

fn comment() -> BoxedStrategy<String> {
    pick(&[
        "// note",
        "/// doc line",
        "//",
        "////",
        "// \"quoted\" { brace ( paren",
        "//tight",
        "// ünïcode ✓",
        "///",
        "// x = 1, y",
    ])
}

/// Blanks that may separate two tokens, line breaks and comments included. Continuation lines are
/// indented: a definition keyword in column 0 would start a new definition.
fn gap() -> BoxedStrategy<String> {
    prop_oneof![
        6 => Just(" ".to_string()),
        1 => Just("  ".to_string()),
        1 => Just("\t".to_string()),
        1 => Just("\n    ".to_string()),
        1 => comment().prop_map(|c| format!(" {c}\n    ")),
        1 => comment().prop_map(|c| format!("\n   {c}\n\n   ")),
    ]
    .boxed()
}

/// Like [`gap`], but may also be empty (around punctuation).
fn maybe_gap() -> BoxedStrategy<String> {
    prop_oneof![3 => Just(String::new()), 3 => gap()].boxed()
}

fn number() -> BoxedStrategy<String> {
    pick(&["0", "1", "42", "0.5", "3e-4", "1E+5", "5%", "0.02", "12.5e3%", "007"])
}

fn string_literal() -> BoxedStrategy<String> {
    let piece = pick(&["a", " ", "z9", "\\\"", "\\\\", "\\n", "\\t", "\\q", "//", "{", "(", "[", "if", "é", "\u{1}"]);
    prop::collection::vec(piece, 0..5).prop_map(|pieces| format!("\"{}\"", pieces.concat())).boxed()
}

/// Items joined by `, ` with optional line breaks and comments, as in argument lists.
fn comma_list(items: BoxedStrategy<String>, max: usize) -> BoxedStrategy<String> {
    (prop::collection::vec((items, maybe_gap(), maybe_gap()), 0..max), any::<bool>(), maybe_gap())
        .prop_map(|(items, trailing_comma, end)| {
            let mut out = String::new();
            let count = items.len();
            for (n, (item, before, after)) in items.into_iter().enumerate() {
                out.push_str(&before);
                out.push_str(&item);
                if n + 1 < count || trailing_comma {
                    out.push(',');
                }
                out.push_str(&after);
            }
            if count == 0 {
                return end.trim_matches(' ').to_string();
            }
            out
        })
        .boxed()
}

fn args(expr: BoxedStrategy<String>) -> BoxedStrategy<String> {
    let arg = (prop::option::of(name()), expr).prop_map(|(name, value)| match name {
        Some(name) => format!("{name}: {value}"),
        None => value,
    });
    comma_list(arg.boxed(), 4).prop_map(|list| format!("({list})")).boxed()
}

/// Expression text. Comparisons never chain (the parser rejects `a < b < c`): operands of an
/// operator are atoms, and an `if`, whose `else` branch would swallow what follows, only stands
/// where an expression ends.
fn expr() -> BoxedStrategy<String> {
    let leaf = prop_oneof![3 => name(), 2 => number(), 1 => string_literal(), 1 => pick(&["true", "false"])];
    leaf.boxed()
        .prop_recursive(3, 24, 3, |full| {
            let atom = prop_oneof![
                4 => prop_oneof![name(), number(), string_literal()],
                1 => (full.clone(), maybe_gap(), maybe_gap()).prop_map(|(e, a, b)| format!("({a}{e}{b})")),
                1 => comma_list(full.clone(), 4).prop_map(|l| format!("[{l}]")),
                2 => (name(), args(full.clone())).prop_map(|(f, a)| format!("{f}{a}")),
                1 => (name(), name(), maybe_gap()).prop_map(|(a, b, g)| format!("{a}{g}.{b}")),
                1 => (name(), args(full.clone()), name(), args(full.clone())).prop_map(|(a, x, b, y)| format!("{a}{x}.{b}{y}")),
                1 => (pick(&["-", "- ", "--", "not ", "not not "]), name()).prop_map(|(op, a)| format!("{op}{a}")),
                1 => (pick(&["-", "not "]), full.clone()).prop_map(|(op, e)| format!("{op}({e})")),
            ]
            .boxed();
            let arith_op = pick(&["+", "-", "*", "/"]);
            let arith = (atom.clone(), prop::collection::vec((gap(), arith_op, gap(), atom), 0..3)).prop_map(|(first, rest)| {
                rest.into_iter().fold(first, |acc, (g1, op, g2, next)| format!("{acc}{g1}{op}{g2}{next}"))
            });
            let cmp_op = pick(&["==", "!=", "<", "<=", ">", ">=", "in"]);
            let cmp = (arith.clone(), prop::option::of((gap(), cmp_op, gap(), arith)), prop::bool::weighted(0.2)).prop_map(|(lhs, rhs, not)| {
                let base = match rhs {
                    Some((g1, op, g2, rhs)) => format!("{lhs}{g1}{op}{g2}{rhs}"),
                    None => lhs,
                };
                if not { format!("not {base}") } else { base }
            });
            let logic_op = pick(&["and", "or"]);
            let logic = (cmp.clone(), prop::collection::vec((gap(), logic_op, gap(), cmp), 0..2)).prop_map(|(first, rest)| {
                rest.into_iter().fold(first, |acc, (g1, op, g2, next)| format!("{acc}{g1}{op}{g2}{next}"))
            });
            let if_expr = (full.clone(), full.clone(), full).prop_map(|(c, t, e)| format!("if {c} then {t} else {e}"));
            prop_oneof![5 => logic, 1 => if_expr]
        })
        .boxed()
}

fn type_expr() -> BoxedStrategy<String> {
    let named = (name(), prop::option::of(args(prop_oneof![name(), number()].boxed())))
        .prop_map(|(n, a)| format!("{n}{}", a.unwrap_or_default()));
    named.boxed().prop_recursive(2, 4, 1, |inner| inner.prop_map(|t| format!("[{t}]"))).boxed()
}

fn rule() -> BoxedStrategy<String> {
    let on = (gap(), name(), pick(&["==", "!=", "<", "<=", ">", ">="]), gap(), expr())
        .prop_map(|(g1, s, op, g2, b)| format!("{g1}on {s} {op}{g2}{b}"));
    let over = (gap(), expr(), gap(), name()).prop_map(|(g1, n, g2, unit)| format!("{g1}over {n}{g2}{unit}"));
    let action = (gap(), expr()).prop_map(|(g, a)| format!("{g}-> {a}"));
    (expr(), prop::option::of(on), prop::option::of(over), prop::option::of(action))
        .prop_map(|(subject, on, over, action)| {
            format!("{subject}{}{}{}", on.unwrap_or_default(), over.unwrap_or_default(), action.unwrap_or_default())
        })
        .boxed()
}

/// One block item, `depth` levels of nested blocks allowed inside it.
fn block_item(depth: u32) -> BoxedStrategy<String> {
    let setting = (key(), maybe_gap(), maybe_gap(), expr()).prop_map(|(k, g1, g2, v)| format!("{k}{g1}={g2}{v}"));
    let column = (key(), maybe_gap(), type_expr()).prop_map(|(k, g, t)| format!("{k}{g}: {t}"));
    let beats = (name(), gap(), name(), gap(), name(), prop::option::of((gap(), expr()))).prop_map(
        |(m, g1, b, g2, metric, margin)| match margin {
            Some((g3, margin)) => format!("{m}{g1}beats {b}{g2}on {metric}{g3}by {margin}"),
            None => format!("{m}{g1}beats {b}{g2}on {metric}"),
        },
    );
    let drift = (gap(), expr(), gap(), expr()).prop_map(|(g1, c, g2, a)| format!("drift{g1}{c}{g2}-> {a}"));
    let mut options =
        vec![(4, setting.boxed()), (1, column.boxed()), (1, beats.boxed()), (1, drift.boxed()), (2, rule())];
    if depth > 0 {
        options.push((1, (key(), block(depth - 1)).prop_map(|(k, b)| format!("{k} {b}")).boxed()));
    }
    prop::strategy::Union::new_weighted(options).boxed()
}

/// Where a line break alone would join two items, the generator separates them with a comma.
fn continues_previous(item: &str) -> bool {
    item.starts_with(['(', '-'])
}

fn block(depth: u32) -> BoxedStrategy<String> {
    let separator = pick(&["\n  ", "\n\n  ", "\n\n\n    ", ", ", " ", ",\n  ", "\t"]);
    let leading = prop_oneof![4 => Just(String::new()), 1 => comment().prop_map(|c| format!("{c}\n  ")), 1 => comment().prop_map(|c| format!("\n  {c}\n\n  "))];
    let trailing = prop_oneof![4 => Just(String::new()), 1 => comment().prop_map(|c| format!("  {c}\n  "))];
    let entry = (leading, block_item(depth), trailing, separator);
    (maybe_gap(), prop::collection::vec(entry, 0..5), maybe_gap())
        .prop_map(|(open, entries, close)| {
            let mut out = format!("{{{open}");
            let count = entries.len();
            for n in 0..count {
                let (leading, item, trailing, separator) = &entries[n];
                out.push_str(leading);
                out.push_str(item);
                out.push_str(trailing);
                if n + 1 < count {
                    let next = &entries[n + 1];
                    // A comment in between does not separate tokens: only a comma does.
                    if continues_previous(&next.1) {
                        out.push_str(", ");
                    } else {
                        out.push_str(separator);
                    }
                }
            }
            // Gaps and trailing comments end their line, so no comment swallows the brace.
            out.push_str(&close);
            out.push('}');
            out
        })
        .boxed()
}

fn definition() -> BoxedStrategy<String> {
    let kinds = pick(&[
        "pipeline", "source", "dataset", "feature", "metric", "baseline", "model", "search", "gate", "deploy",
        "monitor",
    ]);
    // Only blanks may follow the keyword: the chunker looks for `keyword name` on one line.
    let block_def = (
        kinds,
        pick(&[" ", "\t", "   "]),
        name(),
        prop::option::of((maybe_gap(), maybe_gap(), expr())),
        maybe_gap(),
        prop::option::of(block(2)),
    )
        .prop_map(|(kind, blank, name, value, gap, body)| {
            let mut out = format!("{kind}{blank}{name}");
            if let Some((g1, g2, value)) = value {
                out.push_str(&format!("{g1}={g2}{value}"));
            }
            if let Some(body) = body {
                out.push_str(if gap.is_empty() { " " } else { &gap });
                out.push_str(&body);
            }
            out
        });
    let param = (name(), type_expr(), prop::option::of(expr())).prop_map(|(n, t, d)| match d {
        Some(d) => format!("{n}: {t} = {d}"),
        None => format!("{n}: {t}"),
    });
    let extern_def = (
        name(),
        gap(),
        name(),
        comma_list(param.boxed(), 4),
        prop::option::of((gap(), type_expr())),
        prop::option::of(block(1)),
    )
        .prop_map(|(kind, gap, name, params, returns, body)| {
            let mut out = format!("extern {kind}{gap}{name}({params})");
            if let Some((gap, returns)) = returns {
                out.push_str(&gap);
                out.push_str("-> ");
                out.push_str(&returns);
            }
            if let Some(body) = body {
                out.push(' ');
                out.push_str(&body);
            }
            out
        });
    let objective =
        (pick(&["maximize", "minimize"]), gap(), expr()).prop_map(|(d, g, e)| format!("objective {d}{g}{e}"));
    let import = string_literal().prop_map(|s| format!("import {s}"));
    prop_oneof![6 => block_def, 2 => extern_def, 1 => objective, 1 => import].boxed()
}

fn program() -> BoxedStrategy<String> {
    let before = prop_oneof![
        3 => Just(String::new()),
        1 => comment().prop_map(|c| format!("{c}\n")),
        1 => comment().prop_map(|c| format!("{c}\n\n")),
        1 => Just("/// first doc line\n/// second\n".to_string()),
    ];
    let after = prop_oneof![3 => Just(String::new()), 1 => comment().prop_map(|c| format!("  {c}"))];
    let separator = pick(&["\n", "\n\n", "\n\n\n", "\n  \n"]);
    (
        prop::collection::vec((before, definition(), after, separator), 0..6),
        prop_oneof![Just(String::new()), comment().prop_map(|c| format!("{c}\n"))],
    )
        .prop_map(|(defs, end)| {
            let mut out = String::new();
            for (before, def, after, separator) in defs {
                out.push_str(&before);
                out.push_str(&def);
                out.push_str(&after);
                out.push_str(&separator);
            }
            out.push_str(&end);
            out
        })
        .boxed()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn generated_programs_format_idempotently_and_keep_their_meaning(text in program()) {
        let (_, diagnostics) = parse(&text, FileId(0));
        // Many `if`s in one definition trip the nesting guard; everything else must parse.
        prop_assume!(!error_codes(&diagnostics).contains(&"E0002"));
        prop_assert!(diagnostics.is_empty(), "generated program does not parse: {diagnostics:?}\n{text}");
        prop_assert!(check_format_properties(&text)?);
    }
}

/// Items that a line break alone would join to the item before them (`x = a` then `(b)` reads
/// as `x = a(b)`), in every order and with every separator: the formatter must keep the commas
/// that hold such pairs apart, and only those.
fn joinable_items() -> BoxedStrategy<String> {
    let item = pick(&[
        "on",
        "over",
        "by",
        "beats",
        "drift",
        "(b)",
        "-b",
        "- 1",
        "x = a",
        "c",
        "5",
        "unit",
        "m beats b on acc",
        "col: int",
        "col: cat(a)",
        "n {}",
        "on = 1",
        "over: int",
        "x > 1",
        "c on test >= 1",
        "c over 5 rows",
        "drift d > 1 -> warn",
        "-> a",
    ]);
    let separator = pick(&[", ", ",\n  ", "\n  ", " ", " // c\n  ", ", // c\n  "]);
    prop::collection::vec((item, separator), 1..7)
        .prop_map(|items| {
            let body: String = items.into_iter().map(|(item, separator)| format!("{item}{separator}")).collect();
            format!("gate g {{\n  {body}\n}}\n")
        })
        .boxed()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn commas_between_joinable_items_are_kept(text in joinable_items()) {
        check_format_properties(&text)?;
    }
}

// ---- (b) the parser never panics ---------------------------------------------------------------

/// Tokens of the language, for random sequences that get further into the parser than bytes do.
fn token_soup() -> BoxedStrategy<String> {
    let token = pick(&[
        "\nmodel ",
        "\nfeature ",
        "\nimport ",
        "\nextern ",
        "\nobjective ",
        "maximize",
        "\ngate ",
        "m",
        "x",
        "on",
        "over",
        "by",
        "beats",
        "drift",
        "if",
        "then",
        "else",
        "not",
        "and",
        "in",
        "=",
        "==",
        "<",
        ">=",
        "->",
        "-",
        "+",
        "*",
        "(",
        ")",
        "[",
        "]",
        "{",
        "}",
        ",",
        ":",
        ".",
        "1",
        "2.5",
        "5%",
        "\"s\"",
        "\"",
        "// c\n",
        "/// d\n",
        "\n",
        " ",
        "\n\n",
    ]);
    prop::collection::vec(token, 0..60).prop_map(|tokens| tokens.join(" ").trim_start().to_string()).boxed()
}

#[derive(Clone, Debug)]
enum Mutation {
    Delete(usize, usize),
    Insert(usize, u8),
    Duplicate(usize, usize),
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        (any::<usize>(), 1..8usize).prop_map(|(at, len)| Mutation::Delete(at, len)),
        (any::<usize>(), prop_oneof![any::<u8>(), prop::sample::select(b"{}()[]\"/\n,=-:.".to_vec())])
            .prop_map(|(at, b)| Mutation::Insert(at, b)),
        (any::<usize>(), 1..40usize).prop_map(|(at, len)| Mutation::Duplicate(at, len)),
    ]
}

fn mutate(text: &str, mutations: &[Mutation]) -> String {
    let mut bytes = text.as_bytes().to_vec();
    for m in mutations {
        let len = bytes.len().max(1);
        match *m {
            Mutation::Delete(at, n) => {
                let at = at % len;
                let end = (at + n).min(bytes.len());
                bytes.drain(at.min(end)..end);
            }
            Mutation::Insert(at, b) => bytes.insert(at % (bytes.len() + 1), b),
            Mutation::Duplicate(at, n) => {
                let at = at % len;
                let end = (at + n).min(bytes.len());
                let copy = bytes[at.min(end)..end].to_vec();
                bytes.splice(end..end, copy);
            }
        }
    }
    String::from_utf8_lossy(&bytes).into_owned()
}

/// Inputs that once crashed the parser.
#[test]
fn parser_regressions() {
    // The minus operator is a sequence in the grammar, so pest let the comment into its token.
    let text = "feature f = a - // note\n  b\n";
    let (_, diagnostics) = parse(text, FileId(0));
    assert!(diagnostics.is_empty(), "{diagnostics:?}");
    assert_eq!(format(text).unwrap(), "feature f = a - b  // note\n");
}

fn sample_spec() -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/format/spec.mlp");
    std::fs::read_to_string(path).expect("tests/format/spec.mlp")
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn parser_never_panics_on_random_bytes(bytes in any::<Vec<u8>>()) {
        let text = String::from_utf8_lossy(&bytes);
        check_format_properties(&text)?;
    }

    #[test]
    fn parser_never_panics_on_token_soup(text in token_soup()) {
        check_format_properties(&text)?;
    }

    #[test]
    fn parser_never_panics_on_mutated_examples(mutations in prop::collection::vec(mutation(), 1..6)) {
        let text = mutate(&sample_spec(), &mutations);
        check_format_properties(&text)?;
    }
}

// ---- (c) pathological nesting is refused, not a crash ------------------------------------------

const DEEP: usize = 10_000;

fn assert_too_deep(text: &str) {
    let (ast, diagnostics) = parse(text, FileId(0));
    assert!(error_codes(&diagnostics).contains(&"E0002"), "expected E0002, got {diagnostics:?}");
    assert!(format(text).is_err());
    drop(ast);
}

#[test]
fn deeply_nested_parentheses_are_refused() {
    assert_too_deep(&format!("feature f = {}x{}", "(".repeat(DEEP), ")".repeat(DEEP)));
}

#[test]
fn long_prefix_chains_are_refused() {
    assert_too_deep(&format!("feature f = {}x", "-".repeat(DEEP)));
    assert_too_deep(&format!("feature f = {}x", "not ".repeat(DEEP)));
    assert_too_deep(&format!("feature f = {}x", "not -".repeat(DEEP / 2)));
}

#[test]
fn long_operator_chains_are_refused() {
    assert_too_deep(&format!("feature f = a{}", " + a".repeat(DEEP)));
    assert_too_deep(&format!("feature f = a{}", " and a".repeat(DEEP)));
}

#[test]
fn deeply_nested_ifs_are_refused() {
    assert_too_deep(&format!("feature f = {}x{}", "if x then ".repeat(DEEP), " else x".repeat(DEEP)));
    assert_too_deep(&format!("feature f = {}x", "if x then x else ".repeat(DEEP)));
}

#[test]
fn long_postfix_chains_are_refused() {
    assert_too_deep(&format!("feature f = a{}", ".b".repeat(DEEP)));
    assert_too_deep(&format!("feature f = a{}", "()".repeat(DEEP)));
    // Long enough that the tree, had it been built, would overflow the stack when dropped.
    assert_too_deep(&format!("feature f = a{}", ".b".repeat(100 * DEEP)));
}

#[test]
fn deeply_nested_blocks_lists_and_calls_are_refused() {
    let blocks = format!("model m {}{}", "{ n ".repeat(DEEP), "}".repeat(DEEP)).replacen("{ n ", "{", 1);
    assert_too_deep(&blocks);
    assert_too_deep(&format!("feature f = {}1{}", "[".repeat(DEEP), "]".repeat(DEEP)));
    assert_too_deep(&format!("feature f = {}1{}", "f(".repeat(DEEP), ")".repeat(DEEP)));
}

/// Just inside the limits, everything parses and formats on the default test thread's stack.
#[test]
fn nesting_at_the_limit_parses_and_formats() {
    let limit = mlp_compiler::syntax::MAX_NESTING;
    let cases = [
        format!("feature f = {}x{}", "(".repeat(limit), ")".repeat(limit)),
        format!("feature f = {}1{}", "[".repeat(limit), "]".repeat(limit)),
        format!("feature f = {}1{}", "f(a: ".repeat(limit), ")".repeat(limit)),
        format!("feature f = {}x{}", "if x then ".repeat(limit), " else x".repeat(limit)),
        format!("model m {{{}x = 1{}}}", "n { ".repeat(limit - 1), "}".repeat(limit - 1)),
        format!("feature f = a{}", " + a".repeat(200)),
    ];
    for text in &cases {
        let (_, diagnostics) = parse(text, FileId(0));
        assert!(diagnostics.is_empty(), "{diagnostics:?}");
        check_format_properties(text).unwrap_or_else(|e| panic!("{e}"));
    }
}
