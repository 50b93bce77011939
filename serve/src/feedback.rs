//! `POST /feedback`: true labels for earlier predictions. The body is one object or an array of
//! them, each `{"id": "...", "label": ...}` (the prediction with that id, from a `/predict` reply)
//! or `{"row": {...}, "label": ...}` (the row is predicted now, then labelled). Every item is
//! checked before any is applied: an unknown id, a label that is not one of the bundle's classes
//! (or not a number, for regression), a field of the wrong type, a row the model cannot take —
//! each is listed, with its item's index, in one 400, and nothing is applied.

use crate::app::Shared;
use crate::batching::Outcome;
use crate::live::{Label, Labels, label_text};
use crate::model::Served;
use serde_json::{Value, json};
use std::sync::Arc;

/// A refusal: every error, each `{"item", "field", "message"}` (and a row's field errors).
pub type Errors = Vec<Value>;

enum Item {
    Known { id: String, row: Value, prediction: Value, label: Value },
    Row { row: Value, label: Value },
}

fn error(item: usize, field: &str, message: String) -> Value {
    json!({ "item": item, "field": field, "message": message })
}

/// Checks and applies a feedback body: `{"labelled": n, "total": labels kept, "ids": [...]}`.
pub async fn apply(shared: &Arc<Shared>, model: &Served, body: Value) -> Result<Value, Errors> {
    let Some(live) = &shared.live else {
        return Err(vec![json!({ "message": "this server does not monitor" })]);
    };
    let items = match body {
        Value::Array(items) => items,
        Value::Object(_) => vec![body],
        _ => return Err(vec![json!({ "message": "the body must be a JSON object or an array of objects" })]),
    };
    if items.is_empty() {
        return Err(vec![json!({ "message": "the body holds no feedback" })]);
    }
    let labels = Labels::of(model);
    let mut errors = Vec::new();
    let mut checked = Vec::new();
    for (i, item) in items.into_iter().enumerate() {
        let Value::Object(mut fields) = item else {
            errors.push(error(i, "", "each feedback must be an object with `label` and `id` or `row`".into()));
            continue;
        };
        for key in fields.keys() {
            if !["id", "row", "label"].contains(&key.as_str()) {
                errors.push(error(i, key, format!("`{key}` is not a feedback field: `id` or `row`, and `label`")));
            }
        }
        let label = fields.remove("label");
        let label_ok = match &label {
            None => {
                errors.push(error(i, "label", "`label` is missing".into()));
                false
            }
            Some(l) if labels.classes.is_empty() => {
                let ok = l.as_f64().is_some_and(f64::is_finite);
                if !ok {
                    errors.push(error(
                        i,
                        "label",
                        format!("the label must be a number (the model predicts values), not {l}"),
                    ));
                }
                ok
            }
            Some(l) => {
                let ok = label_text(l).is_some_and(|t| labels.classes.contains(&t));
                if !ok {
                    errors.push(error(
                        i,
                        "label",
                        format!("{l} is not a class of the bundle: one of {}", labels.classes.join(", ")),
                    ));
                }
                ok
            }
        };
        match (fields.remove("id"), fields.remove("row")) {
            (Some(_), Some(_)) => errors.push(error(i, "id", "give `id` or `row`, not both".into())),
            (None, None) => errors.push(error(i, "id", "`id` (of a prediction) or `row` is missing".into())),
            (Some(Value::String(id)), None) => match live.prediction(&id) {
                Some((_, row, prediction)) if label_ok => {
                    checked.push(Item::Known { id, row, prediction, label: label.unwrap_or(Value::Null) })
                }
                Some(_) => {}
                None => errors.push(error(i, "id", format!("no prediction has the id `{id}`"))),
            },
            (Some(other), None) => errors.push(error(i, "id", format!("`id` must be a string, not {other}"))),
            (None, Some(row @ Value::Object(_))) => {
                if label_ok {
                    checked.push(Item::Row { row, label: label.unwrap_or(Value::Null) });
                }
            }
            (None, Some(other)) => errors.push(error(i, "row", format!("`row` must be an object, not {other}"))),
        }
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    // Rows: predicted now, as one request (item indexes kept for their errors).
    let (positions, rows): (Vec<usize>, Vec<Value>) = checked
        .iter()
        .enumerate()
        .filter_map(|(i, item)| match item {
            Item::Row { row, .. } => Some((i, row.clone())),
            Item::Known { .. } => None,
        })
        .unzip();
    let mut predicted = Vec::new();
    let mut ids = Vec::new();
    if !rows.is_empty() {
        match shared.batcher.predict(model.clone(), rows).await {
            (Outcome::Predicted(predictions), rows) => {
                ids = shared.ids.take(predictions.len());
                if let Err(e) = live.record(model, rows, &predictions, ids.clone(), false).await {
                    return Err(vec![json!({ "message": e })]);
                }
                predicted = predictions;
            }
            (Outcome::Rejected(field_errors), _) => {
                return Err(field_errors
                    .into_iter()
                    .map(|e| {
                        let mut v = serde_json::to_value(&e).unwrap_or(Value::Null);
                        let item = e.row.and_then(|r| positions.get(r).copied());
                        v["item"] = json!(item);
                        v["field"] = json!("row");
                        v
                    })
                    .collect());
            }
            (Outcome::Failed(message), _) => return Err(vec![json!({ "message": message })]),
        }
    }
    let mut fresh = predicted.into_iter().zip(ids.iter());
    let labels_applied: Vec<Label> = checked
        .into_iter()
        .map(|item| match item {
            Item::Known { id, row, prediction, label } => Label { id, row, label, prediction, appended: false },
            Item::Row { row, label } => {
                let (p, id) = fresh.next().map(|(p, id)| (p.json, id.clone())).unwrap_or_default();
                Label { id, row, label, prediction: p, appended: false }
            }
        })
        .collect();
    let n = labels_applied.len();
    live.label(model.id(), labels_applied).await.map_err(|e| vec![json!({ "message": e })])?;
    Ok(json!({ "labelled": n, "ids": ids }))
}
