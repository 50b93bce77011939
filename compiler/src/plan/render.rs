//! Text views of a [`Plan`]: Graphviz DOT and Mermaid for reading and reviewing, and a
//! serializable view the CLI prints as JSON (the compiler itself has no JSON dependency).
//!
//! Every view lists nodes in [`Plan::topological_order`] and edges sorted by id, so the output
//! is byte-for-byte stable and diffs between two specs show only what changed.

use super::{Node, NodeKind, Plan};
use serde::Serialize;
use std::collections::{HashMap, HashSet};
use std::fmt::Write;

/// The plan as data: what the CLI prints as JSON.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct PlanJson {
    pub nodes: Vec<NodeJson>,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct NodeJson {
    pub id: String,
    pub kind: NodeKind,
    pub name: String,
    pub fingerprint: String,
    pub config: super::NodeConfig,
    /// Ids of the nodes it reads from, sorted.
    pub inputs: Vec<String>,
}

impl Plan {
    /// Nodes in topological order, ties broken by id. A lowered plan has no cycle; should a
    /// hand-built one have one, the views fall back to creation order rather than fail.
    fn ordered(&self) -> Vec<&Node> {
        self.topological_order().unwrap_or_else(|_| self.nodes().collect())
    }

    /// Edges as id pairs in the order the views print them: by the position of their source in
    /// the node order, then of their target, so a rendered plan reads top-down.
    fn ordered_edges<'a>(&'a self, nodes: &[&'a Node]) -> Vec<(&'a str, &'a str)> {
        let position: HashMap<&str, usize> = nodes.iter().enumerate().map(|(i, n)| (n.id.as_str(), i)).collect();
        let mut edges: Vec<(&str, &str)> = self.edges().into_iter().map(|(from, to, _)| (from, to)).collect();
        edges.sort_by_key(|(from, to)| (position[from], position[to]));
        edges
    }

    pub fn to_json_view(&self) -> PlanJson {
        let nodes = self
            .ordered()
            .into_iter()
            .map(|node| NodeJson {
                id: node.id.to_string(),
                kind: node.kind,
                name: node.name.clone(),
                fingerprint: node.fingerprint.clone(),
                config: node.config.clone(),
                inputs: self.inputs(&node.id).into_iter().map(|n| n.id.to_string()).collect(),
            })
            .collect();
        PlanJson { nodes }
    }

    /// Graphviz: nodes labelled `kind\nname`, shaped by kind.
    pub fn to_dot(&self) -> String {
        let name = if self.pipeline.is_empty() { "plan" } else { &self.pipeline };
        let mut out = String::new();
        let _ = writeln!(out, "digraph \"{}\" {{", dot_escape(name));
        out.push_str("  rankdir=TB;\n");
        out.push_str("  node [fontname=\"Helvetica\", fontsize=11];\n");
        let nodes = self.ordered();
        for node in &nodes {
            let _ = writeln!(
                out,
                "  \"{}\" [label=\"{}\\n{}\", shape={}];",
                dot_escape(node.id.as_str()),
                node.kind.as_str(),
                dot_escape(&node.name),
                dot_shape(node.kind)
            );
        }
        for (from, to) in self.ordered_edges(&nodes) {
            let _ = writeln!(out, "  \"{}\" -> \"{}\";", dot_escape(from), dot_escape(to));
        }
        out.push_str("}\n");
        out
    }

    /// Mermaid `flowchart TD`, with ids reduced to the characters Mermaid accepts.
    pub fn to_mermaid(&self) -> String {
        let nodes = self.ordered();
        let ids = mermaid_ids(&nodes);
        let mut out = String::from("flowchart TD\n");
        for node in &nodes {
            let (open, close) = mermaid_shape(node.kind);
            let label = format!("{}<br/>{}", node.kind.as_str(), mermaid_escape(&node.name));
            let _ = writeln!(out, "    {}{open}\"{label}\"{close}", ids[node.id.as_str()]);
        }
        for (from, to) in self.ordered_edges(&nodes) {
            let _ = writeln!(out, "    {} --> {}", ids[from], ids[to]);
        }
        out
    }
}

fn dot_shape(kind: NodeKind) -> &'static str {
    match kind {
        NodeKind::Load => "cylinder",
        NodeKind::Validate => "hexagon",
        NodeKind::Derive => "parallelogram",
        NodeKind::Split => "trapezium",
        NodeKind::FitTransform => "box",
        NodeKind::TrainBaseline => "component",
        NodeKind::SearchTrial => "tab",
        NodeKind::TrainModel => "box3d",
        NodeKind::Evaluate => "ellipse",
        NodeKind::Gate => "diamond",
        NodeKind::Export => "folder",
        NodeKind::Deploy => "house",
        NodeKind::Monitor => "octagon",
    }
}

fn dot_escape(text: &str) -> String {
    text.replace('\\', "\\\\").replace('"', "\\\"")
}

fn mermaid_shape(kind: NodeKind) -> (&'static str, &'static str) {
    match kind {
        NodeKind::Load => ("[(", ")]"),
        NodeKind::Validate => ("{{", "}}"),
        NodeKind::Derive => ("[/", "/]"),
        NodeKind::Split => ("[/", "\\]"),
        NodeKind::FitTransform => ("[", "]"),
        NodeKind::TrainBaseline | NodeKind::TrainModel => ("[[", "]]"),
        NodeKind::SearchTrial => (">", "]"),
        NodeKind::Evaluate => ("([", "])"),
        NodeKind::Gate => ("{", "}"),
        NodeKind::Export => ("[\\", "\\]"),
        NodeKind::Deploy => ("((", "))"),
        NodeKind::Monitor => ("(", ")"),
    }
}

/// Mermaid's entity codes for the characters that would end a quoted label or start markup.
fn mermaid_escape(text: &str) -> String {
    text.replace('"', "#quot;").replace('<', "#lt;").replace('>', "#gt;")
}

/// `train_model:mlp` → `train_model_mlp`; a suffix keeps two ids that sanitize alike apart.
fn mermaid_ids<'a>(nodes: &[&'a Node]) -> HashMap<&'a str, String> {
    let mut used = HashSet::new();
    let mut ids = HashMap::new();
    for node in nodes {
        let base: String =
            node.id.as_str().chars().map(|c| if c.is_ascii_alphanumeric() || c == '_' { c } else { '_' }).collect();
        let mut id = base.clone();
        let mut n = 2;
        while !used.insert(id.clone()) {
            id = format!("{base}_{n}");
            n += 1;
        }
        ids.insert(node.id.as_str(), id);
    }
    ids
}
