//! The model card (`card.md`): what the model is for and what it is not, in the words of the
//! spec's own comments, the data it learnt from, and how it scored on each split against the
//! baselines of the run that released it.

use crate::manifest::Manifest;
use std::fmt::Write as _;

/// The comment lines (`// ...`) directly above the definition `keyword name` in `source`, and
/// the file's leading comment block when `keyword` is empty; without the slashes.
pub fn doc_comments(source: &str, keyword: &str, name: &str) -> Vec<String> {
    let lines: Vec<&str> = source.lines().collect();
    let end = if keyword.is_empty() {
        lines.iter().position(|l| !l.trim_start().starts_with("//")).unwrap_or(lines.len())
    } else {
        let Some(at) = lines.iter().position(|l| {
            let mut words = l.split_whitespace();
            words.next() == Some(keyword)
                && words.next().is_some_and(|w| w == name || w.starts_with(&format!("{name}=")))
        }) else {
            return Vec::new();
        };
        at
    };
    let mut start = end;
    while start > 0 && lines[start - 1].trim_start().starts_with("//") {
        start -= 1;
    }
    lines[start..end].iter().map(|l| l.trim_start().trim_start_matches('/').trim().to_string()).collect()
}

fn metric(value: Option<f64>) -> String {
    value.map_or_else(|| "–".to_string(), |v| format!("{v:.4}"))
}

/// The card of a bundle: `about` (the pipeline's leading comments) and `notes` (the model's).
pub fn render(manifest: &Manifest, about: &[String], notes: &[String]) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "# Model card: `{}` ({})\n", manifest.model, manifest.architecture);
    let _ = writeln!(
        out,
        "Pipeline `{}`, run `{}`, created {} by mlpc {}.\n",
        manifest.pipeline, manifest.run_id, manifest.created, manifest.mlpc_version
    );
    if !about.is_empty() || !notes.is_empty() {
        let _ = writeln!(out, "## Intended use and limits\n");
        for line in about.iter().chain(notes) {
            let _ = writeln!(out, "{line}");
        }
        out.push('\n');
    } else {
        let _ = writeln!(
            out,
            "## Intended use and limits\n\nThe spec declares none: add `//` comments above its `pipeline` and `model` definitions.\n"
        );
    }
    let _ = writeln!(out, "## Task\n");
    let task = match manifest.task {
        mlp_compiler::types::Task::Binary => "binary classification",
        mlp_compiler::types::Task::Multiclass => "multi-class classification",
        mlp_compiler::types::Task::Regression => "regression",
    };
    let _ = writeln!(out, "Predicts `{}` ({task}) from {} input columns.", manifest.label, manifest.inputs.len());
    if !manifest.classes.is_empty() {
        let classes: Vec<String> = manifest.classes.iter().map(|c| format!("`{c}`")).collect();
        let _ = write!(out, " Classes: {}.", classes.join(", "));
    }
    if let Some(positive) = &manifest.positive {
        let _ = write!(out, " Positive class `{positive}` at probability ≥ {}.", manifest.threshold);
    }
    out.push_str("\n\n## Data\n\n| source | path | rows | content hash |\n|---|---|---|---|\n");
    for data in &manifest.data {
        let _ = writeln!(out, "| `{}` | `{}` | {} | `{}` |", data.source, data.path, data.rows, data.hash);
    }
    let splits = ["train", "val", "test"];
    let metrics: Vec<&String> = manifest.metrics.get("test").map(|m| m.keys().collect()).unwrap_or_default();
    out.push_str("\n## Metrics\n\nValidation chose; test is reported only.\n\n| model | metric | train | val | test |\n|---|---|---|---|---|\n");
    for name in &metrics {
        let row: Vec<String> = splits
            .iter()
            .map(|s| metric(manifest.metrics.get(*s).and_then(|m| m.get(*name)).copied().flatten()))
            .collect();
        let _ = writeln!(out, "| **{}** | {name} | {} |", manifest.model, row.join(" | "));
        for (baseline, scores) in &manifest.baselines {
            let row: Vec<String> =
                splits.iter().map(|s| metric(scores.get(*s).and_then(|m| m.get(*name)).copied().flatten())).collect();
            let _ = writeln!(out, "| {baseline} | {name} | {} |", row.join(" | "));
        }
    }
    let _ = writeln!(
        out,
        "\n## Provenance\n\nSpec fingerprint `{}`, plan fingerprint `{}`, bundle format {} version {}.",
        manifest.spec_fingerprint, manifest.plan_fingerprint, manifest.format, manifest.version
    );
    out
}

#[cfg(test)]
mod tests {
    use super::doc_comments;

    #[test]
    fn comments_above_a_definition_and_at_the_top_are_its_doc() {
        let source = "// Breast cancer.\n// Second line.\n\npipeline p {}\n// The network.\nmodel mlp = mlp()\n";
        assert_eq!(doc_comments(source, "", ""), vec!["Breast cancer.", "Second line."]);
        assert_eq!(doc_comments(source, "model", "mlp"), vec!["The network."]);
        assert!(doc_comments(source, "model", "other").is_empty());
    }
}
