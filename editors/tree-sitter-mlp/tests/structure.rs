//! What the corpus S-expressions cannot show: anonymous tokens (operators, keywords) and inputs
//! that must be rejected.

use tree_sitter::{Node, Parser, Tree};

fn parse(code: &str) -> Tree {
    let mut parser = Parser::new();
    parser.set_language(&tree_sitter_mlp::LANGUAGE.into()).unwrap();
    parser.parse(code, None).unwrap()
}

/// The value of the first definition.
fn value(tree: &Tree) -> Node<'_> {
    let def = tree.root_node().named_child(0).unwrap();
    def.child_by_field_name("value").unwrap()
}

fn text<'a>(node: Node<'_>, code: &'a str) -> &'a str {
    node.utf8_text(code.as_bytes()).unwrap()
}

#[test]
fn operator_fields_name_the_operator() {
    let code = "feature f = a - b * c or d in [1]\n";
    let tree = parse(code);
    let or = value(&tree);
    assert_eq!(or.kind(), "binary_expression");
    assert_eq!(text(or.child_by_field_name("operator").unwrap(), code), "or");
    let minus = or.child_by_field_name("left").unwrap();
    assert_eq!(text(minus.child_by_field_name("operator").unwrap(), code), "-");
    let times = minus.child_by_field_name("right").unwrap();
    assert_eq!(text(times.child_by_field_name("operator").unwrap(), code), "*");
    let member = or.child_by_field_name("right").unwrap();
    assert_eq!(member.kind(), "comparison_expression");
    assert_eq!(text(member.child_by_field_name("operator").unwrap(), code), "in");
}

#[test]
fn gate_and_objective_keywords() {
    let code = "objective minimize log_loss\ngate g { m.auc on test >= 0.9 }\n";
    let tree = parse(code);
    assert!(!tree.root_node().has_error());
    let objective = tree.root_node().named_child(0).unwrap();
    assert_eq!(text(objective.child_by_field_name("direction").unwrap(), code), "minimize");
    let sexp = tree.root_node().to_sexp();
    assert!(sexp.contains("split: (on_split split: (identifier) threshold: (number))"), "{sexp}");
    let on_split = tree
        .root_node()
        .named_child(1)
        .unwrap()
        .child_by_field_name("body")
        .unwrap()
        .named_child(0)
        .unwrap()
        .child_by_field_name("split")
        .unwrap();
    assert_eq!(text(on_split.child_by_field_name("operator").unwrap(), code), ">=");
}

#[test]
fn definition_keyword_field() {
    let code = "deploy api = http(m)\n";
    let tree = parse(code);
    let def = tree.root_node().named_child(0).unwrap();
    assert_eq!(def.kind(), "deploy_definition");
    assert_eq!(text(def.child_by_field_name("keyword").unwrap(), code), "deploy");
}

#[test]
fn comparisons_do_not_chain() {
    // E0003 in the compiler; a syntax error here, as tree-sitter has no non-associative
    // operators other than by leaving the chain out of the grammar.
    for code in ["feature f = 0 < x < 1\n", "feature f = a in b == c\n"] {
        assert!(parse(code).root_node().has_error(), "{code}");
    }
    assert!(!parse("feature f = (0 < x) == y\n").root_node().has_error());
}

#[test]
fn reserved_words_are_not_names() {
    for code in ["feature and = 1\n", "model m = mlp() { if = 1 }\n", "feature true = 1\n", "feature f = g(in: 1)\n"] {
        assert!(parse(code).root_node().has_error(), "{code}");
    }
}

#[test]
fn comments_are_extras() {
    let code = "/// doc\n// plain\nmetric m = f1() // trailing\n";
    let tree = parse(code);
    let root = tree.root_node();
    assert!(!root.has_error());
    let kinds: Vec<&str> = (0..root.named_child_count()).map(|i| root.named_child(i as u32).unwrap().kind()).collect();
    assert_eq!(kinds, ["doc_comment", "comment", "metric_definition", "comment"]);
}
