//! The features pass: derived columns (`feature name = expression`) in dependency order, with
//! cycles reported (E0105), typed against the first dataset; then [`derive_columns`] adds them
//! to every dataset whose columns they read.

use super::context::{Context, Def};
use super::datasets::input_width;
use super::expr::{ExprType, Scope, mismatch, reads, type_expr};
use super::pass::{Checked, Pass};
use crate::ast::DefKind;
use crate::codes::Code;
use crate::diagnostic::Diagnostic;
use crate::program::{Dataset, Expression, Feature};
use crate::types::{Column, ColumnType};
use std::collections::{BTreeSet, HashMap};

/// Checks every feature against `datasets` (checked, features not yet added).
pub(super) fn check<'a>(cx: &'a Context<'a>, datasets: &[Dataset]) -> Checked<Vec<Feature>> {
    let mut p = Pass::new(cx);
    let defs = cx.symbols.of_kind(DefKind::Feature);
    if defs.is_empty() {
        return p.finish(Vec::new());
    }
    let Order { order, in_cycle, reads_of } = order(&mut p, defs, datasets.first());

    // Type every feature against the first dataset (features are derived on every dataset
    // whose columns they read).
    let Some(dataset) = datasets.first() else {
        if !cx.symbols.of_kind(DefKind::Dataset).is_empty() || cx.symbols.broken_kinds.contains("dataset") {
            return p.finish(Vec::new()); // the dataset's own errors explain this
        }
        for def in defs {
            p.report(
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
        return p.finish(Vec::new());
    };
    let mut typed: HashMap<String, ColumnType> = HashMap::new();
    let mut features = Vec::new();
    for i in order {
        if in_cycle[i] {
            continue;
        }
        if let Some(feature) = feature(&mut p, defs[i], dataset, &typed, &reads_of[i]) {
            typed.insert(feature.name.clone(), feature.ty.clone());
            p.refer(&feature.name);
            features.push(feature);
        }
    }
    p.finish(features)
}

/// The order to type features in, which are in a cycle, and what each reads.
struct Order {
    order: Vec<usize>,
    in_cycle: Vec<bool>,
    reads_of: Vec<BTreeSet<String>>,
}

/// Dependency order among features, with cycles reported (iteratively: specs may hold thousands).
fn order(p: &mut Pass<'_>, defs: &[Def<'_>], first_dataset: Option<&Dataset>) -> Order {
    let names: HashMap<&str, usize> = defs.iter().enumerate().map(|(i, d)| (d.def.name.name.as_str(), i)).collect();
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
            let reads_shadowed_column =
                *name == def.def.name.name && first_dataset.is_some_and(|d| d.schema.get(name).is_some());
            if let (Some(&j), false) = (names.get(name.as_str()), reads_shadowed_column) {
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
        p.report(d);
        for i in members {
            in_cycle[i] = true;
        }
    }
    let order = match petgraph::algo::toposort(&graph, None) {
        Ok(order) => order.into_iter().map(|n| graph[n]).collect::<Vec<_>>(),
        Err(_) => (0..defs.len()).filter(|&i| !in_cycle[i]).collect(),
    };
    Order { order, in_cycle, reads_of }
}

/// One feature, typed in the dataset's columns and the features typed before it.
fn feature<'a>(
    p: &mut Pass<'a>,
    def: Def<'a>,
    dataset: &Dataset,
    typed: &HashMap<String, ColumnType>,
    reads: &BTreeSet<String>,
) -> Option<Feature> {
    let name = def.def.name.name.clone();
    let value = p.required_value(def, &format!("feature {name} = column_a / column_b"))?;
    if def.def.body.is_some() {
        p.report(
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
        p.report(
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
    let scope = Scope { schema: &dataset.schema, features: typed, described: format!("dataset `{}`", dataset.name) };
    let ty = match type_expr(p, def.file, value, &scope) {
        ExprType::Column(ty) => ty,
        ExprType::Error => return None,
        other => {
            p.report(mismatch(
                def.file,
                value,
                format!("a feature must be a number, a bool or a category, found {}", other.describe()),
                "not a column value".into(),
                "compute a number or a condition from columns",
            ));
            return None;
        }
    };
    let reads: Vec<String> = reads.iter().cloned().collect();
    Some(Feature { name, expression: Expression::new(value.clone()), ty, reads })
}

/// Features become columns of every dataset whose columns they read (by name lookups: specs may
/// hold thousands of features).
pub(super) fn derive_columns(datasets: &mut [Dataset], features: &[Feature]) {
    let typed: std::collections::HashSet<&str> = features.iter().map(|f| f.name.as_str()).collect();
    for ds in datasets {
        let encode = ds.settings.encode;
        let mut position: HashMap<String, usize> =
            ds.schema.columns.iter().enumerate().map(|(i, c)| (c.name.clone(), i)).collect();
        for feature in features {
            let readable = feature.reads.iter().all(|r| position.contains_key(r) || typed.contains(r.as_str()));
            if !readable {
                continue;
            }
            // A feature named like a column replaces it (W0004 says so).
            if let Some(&at) = position.get(&feature.name) {
                let column = &mut ds.schema.columns[at];
                if column.name != ds.label {
                    ds.input_width -= input_width(&column.ty, encode);
                    ds.input_width += input_width(&feature.ty, encode);
                }
                column.ty = feature.ty.clone();
                continue;
            }
            position.insert(feature.name.clone(), ds.schema.columns.len());
            ds.schema.columns.push(Column { name: feature.name.clone(), ty: feature.ty.clone(), nullable: false });
            ds.inputs.push(feature.name.clone());
            ds.input_width += input_width(&feature.ty, encode);
        }
    }
}
