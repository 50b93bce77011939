#[test]
fn scratch() {
    let text = std::fs::read_to_string("/tmp/spec.mlp").unwrap();
    let (ast, diags) = mlp_compiler::syntax::parse(&text, mlp_compiler::FileId(0));
    for d in &diags { println!("{:?}", d); }
    for i in &ast.items { println!("{:?}\n", i); }
}
