//! The export step's output: a bundle (mlp-infer's format) for every trained model once every
//! gate passed, written into the run directory as `bundles/<model>/` — its manifest (run, spec
//! and plan fingerprints, the raw input columns, features, network and head, metrics against the
//! baselines, data hashes), fitted preprocessing, weights, training reference and model card.

use crate::error::RunResult;
use crate::exec::{Artifact, Outputs};
use crate::train::trained::Trained;
use mlp_compiler::plan::{NodeConfig, NodeId, NodeKind, Plan};
use mlp_compiler::program::{Model, Program};
use mlp_compiler::types::ColumnType;
use mlp_infer::card;
use mlp_infer::manifest::{DataHash, InputColumn, Manifest, SplitMetrics};
use mlp_infer::reference::Reference;
use mlp_infer::{BundleParts, bundle};
use std::collections::BTreeMap;
use std::path::Path;

/// What the run knows that the bundle records but the plan does not.
pub struct Provenance<'a> {
    pub run_id: &'a str,
    pub created: &'a str,
    /// The spec's text (its fingerprint and the card's doc comments come from it).
    pub spec_text: &'a str,
}

/// What the export step wrote: the files (relative to the run directory), each model's bundle
/// id, and the models it could not bundle with why.
#[derive(Default)]
pub struct Exported {
    pub files: Vec<String>,
    pub ids: BTreeMap<String, String>,
    pub not_bundled: Vec<NotBundled>,
}

/// Why a model was not bundled, for the run's notes.
pub struct NotBundled {
    pub model: String,
    pub reason: String,
}

fn scores_of(outputs: &Outputs, name: &str) -> SplitMetrics {
    match outputs.of(NodeKind::Evaluate, name) {
        Some(Artifact::Scores(s)) => s.metrics.clone(),
        _ => SplitMetrics::new(),
    }
}

/// Writes `dir/bundles/<model>/` for every network model of `program` (call it only when every
/// gate passed).
pub fn write_bundles(
    program: &Program,
    plan: &Plan,
    outputs: &Outputs,
    dir: &Path,
    provenance: &Provenance<'_>,
) -> RunResult<Exported> {
    let mut files = Vec::new();
    let mut ids = BTreeMap::new();
    let mut skipped = Vec::new();
    for model in &program.models {
        let Some(Artifact::Model(trained)) = outputs.of(NodeKind::TrainModel, &model.name) else { continue };
        let Trained::Network(network) = trained.as_ref() else { continue };
        let Some(Artifact::Prepared(prepared)) = outputs.of(NodeKind::FitTransform, &model.dataset) else {
            continue;
        };
        let dataset = program.datasets.iter().find(|d| d.name == model.dataset);
        let Some(dataset) = dataset else { continue };
        if dataset.settings.window.is_some() {
            skipped.push(NotBundled {
                model: model.name.clone(),
                reason: "its dataset is windowed (`window = sliding(...)`): a bundle predicts row by row, and a window spans rows".into(),
            });
            continue;
        }
        let features = match plan.node(&NodeId::new(NodeKind::Derive, &dataset.name)).map(|n| &n.config) {
            Some(NodeConfig::Derive(step)) => step.features.clone(),
            _ => Vec::new(),
        };
        let raw_schema = match plan.node(&NodeId::new(NodeKind::Load, &dataset.source)).map(|n| &n.config) {
            Some(NodeConfig::Load(step)) => Some(step),
            _ => None,
        };
        let Some(load) = raw_schema else { continue };
        let inputs = input_columns(&prepared.state, &features, &load.schema);
        let reference = match outputs.of(NodeKind::Split, &dataset.name) {
            Some(Artifact::Splits(rows)) => {
                let names: Vec<String> = inputs.iter().map(|c| c.name.clone()).collect();
                Reference::fit(&rows.table, &names, &rows.split.train)
            }
            _ => Reference { rows: 0, columns: BTreeMap::new() },
        };
        let load_id = NodeId::new(NodeKind::Load, &dataset.source);
        let data = match (outputs.done.get(&load_id), outputs.get(&load_id)) {
            (Some(done), Some(Artifact::Rows(table))) => vec![DataHash {
                source: dataset.source.clone(),
                path: load.format.path().to_string(),
                hash: done.hash.clone(),
                rows: table.rows,
            }],
            _ => Vec::new(),
        };
        let baselines = program
            .baselines
            .iter()
            .filter(|b| b.dataset == dataset.name)
            .map(|b| (b.name.clone(), scores_of(outputs, &b.name)))
            .collect();
        let manifest = Manifest {
            format: String::new(),
            version: 0,
            id: String::new(),
            model: model.name.clone(),
            architecture: model.architecture.name().to_string(),
            pipeline: program.pipeline.name.clone(),
            dataset: dataset.name.clone(),
            run_id: provenance.run_id.to_string(),
            created: provenance.created.to_string(),
            mlpc_version: env!("CARGO_PKG_VERSION").to_string(),
            spec_fingerprint: blake3::hash(provenance.spec_text.as_bytes()).to_hex()[..16].to_string(),
            plan_fingerprint: plan
                .node(&NodeId::new(NodeKind::TrainModel, &model.name))
                .map(|n| n.fingerprint.clone())
                .unwrap_or_default(),
            task: prepared.task,
            label: dataset.label.clone(),
            classes: prepared.classes.clone(),
            positive: dataset.positive.clone(),
            threshold: 0.5,
            inputs,
            features,
            network: network.network.spec().clone(),
            network_input: network.input.clone(),
            head: network.head(),
            precision: network.precision.to_string(),
            metrics: scores_of(outputs, &model.name),
            baselines,
            data,
            files: BTreeMap::new(),
        };
        let card = card_text(&manifest, model, provenance.spec_text);
        let weights = network.network.named_tensors();
        let relative = format!("bundles/{}", model.name);
        let written = bundle::write(
            &dir.join(&relative),
            BundleParts { manifest, preprocessing: &prepared.state, reference, weights, card },
        )?;
        files.extend(
            [bundle::MANIFEST, bundle::PREPROCESSING, bundle::WEIGHTS, bundle::REFERENCE, bundle::CARD]
                .iter()
                .map(|f| format!("{relative}/{f}")),
        );
        ids.insert(model.name.clone(), written.id);
    }
    Ok(Exported { files, ids, not_bundled: skipped })
}

fn card_text(manifest: &Manifest, model: &Model, spec_text: &str) -> String {
    let about = card::doc_comments(spec_text, "", "");
    let notes = card::doc_comments(spec_text, "model", &model.name);
    card::render(manifest, &about, &notes)
}

/// The raw columns a row must carry: the dataset's inputs that are not derived, and every raw
/// column a derived feature reads, typed as the source reads them (a tokenized text column is
/// text), in the source's order. A column is optional when the fitted preprocessing fills it.
fn input_columns(
    state: &mlp_infer::preprocess::Preprocessing,
    features: &[mlp_compiler::program::Feature],
    raw: &mlp_compiler::types::Schema,
) -> Vec<InputColumn> {
    let derived: Vec<&str> = features.iter().map(|f| f.name.as_str()).collect();
    let mut wanted: Vec<&str> =
        state.columns.iter().map(|c| c.column.as_str()).filter(|c| !derived.contains(c)).collect();
    for feature in features {
        wanted.extend(feature.reads.iter().map(String::as_str).filter(|r| !derived.contains(r)));
    }
    raw.columns
        .iter()
        .filter(|c| wanted.contains(&c.name.as_str()))
        .map(|c| {
            let transform = state.columns.iter().find(|t| t.column == c.name);
            let optional = match (&c.ty, transform) {
                (ColumnType::Image { .. } | ColumnType::Sequence { .. }, _) => false,
                (ColumnType::Text, Some(_)) => true,
                (_, Some(t)) => t.fill.is_some() || t.fill_level.is_some(),
                // Read only by features: a missing value makes the feature missing, which its
                // own fill (or an error) handles.
                (_, None) => c.nullable,
            };
            InputColumn { name: c.name.clone(), ty: c.ty.clone(), optional }
        })
        .collect()
}
