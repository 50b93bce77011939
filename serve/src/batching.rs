//! The micro-batcher: requests of JSON rows queue here, and one task gathers them, up to
//! `max_batch` rows or until `max_wait` has passed since the first, into a single
//! `predict_rows` call on a blocking thread, then splits the predictions back to each request.
//! Up to one batch per core (at least two) is predicted at a time; while they are, the next one
//! gathers, so batches grow with the load and one slow batch does not hold up the others.
//!
//! When a batch fails with field errors, each error belongs to one request (by row offset): those
//! requests get their own errors, with rows counted from their own first row, and the requests
//! without errors are predicted again without them. A model that panics fails only the requests of
//! that batch (a 500), never the server.

use crate::metrics::Metrics;
use crate::model::{FieldError, Prediction, Served};
use serde_json::Value;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{Semaphore, mpsc, oneshot};
use tokio::time::Instant;

/// How a request's rows fared.
#[derive(Debug)]
pub enum Outcome {
    Predicted(Vec<Prediction>),
    Rejected(Vec<FieldError>),
    /// The model failed (a panic or a wrong number of predictions): a 500, with a message.
    Failed(String),
}

/// One request's rows, the model it was admitted with, and where its outcome goes.
struct Job {
    model: Served,
    rows: Vec<Value>,
    /// The outcome, and the rows given back (the monitor's window takes them without a copy).
    reply: oneshot::Sender<(Outcome, Vec<Value>)>,
}

/// The sending side: cheap to clone, one per server.
#[derive(Clone)]
pub struct Batcher {
    jobs: mpsc::Sender<Job>,
}

/// Gathering limits.
#[derive(Clone, Copy, Debug)]
pub struct Limits {
    pub max_batch: usize,
    pub max_wait: Duration,
}

/// Requests that may wait for the batcher before the next one waits for room (backpressure).
const QUEUE: usize = 4096;

impl Batcher {
    /// Starts the batching task on the current runtime.
    pub fn start(limits: Limits, metrics: Arc<Metrics>) -> Batcher {
        let (jobs, queue) = mpsc::channel(QUEUE);
        tokio::spawn(gather(queue, limits, metrics));
        Batcher { jobs }
    }

    /// Predicts `rows` with `model` in the next batch. The outcome is `Failed` when the batcher
    /// is gone (only while the server stops). The rows come back with it (empty when the model
    /// panicked).
    pub async fn predict(&self, model: Served, rows: Vec<Value>) -> (Outcome, Vec<Value>) {
        let (reply, outcome) = oneshot::channel();
        if self.jobs.send(Job { model, rows, reply }).await.is_err() {
            return (Outcome::Failed("the server is stopping".into()), Vec::new());
        }
        outcome.await.unwrap_or_else(|_| (Outcome::Failed("the prediction was abandoned".into()), Vec::new()))
    }
}

/// The batching loop: ends when every sender is gone.
async fn gather(mut queue: mpsc::Receiver<Job>, limits: Limits, metrics: Arc<Metrics>) {
    let workers = std::thread::available_parallelism().map_or(2, |n| n.get().max(2));
    let idle = Arc::new(Semaphore::new(workers));
    let mut held: Option<Job> = None;
    loop {
        // Gather only when a worker is free: meanwhile requests queue and make the next batch.
        let Ok(worker) = idle.clone().acquire_owned().await else { return };
        let first = match held.take() {
            Some(job) => job,
            None => match queue.recv().await {
                Some(job) => job,
                None => return,
            },
        };
        let deadline = Instant::now() + limits.max_wait;
        let mut rows = first.rows.len();
        let mut batch = vec![first];
        while rows < limits.max_batch {
            let next = if limits.max_wait.is_zero() {
                queue.try_recv().ok()
            } else {
                tokio::time::timeout_at(deadline, queue.recv()).await.ok().flatten()
            };
            let Some(job) = next else { break };
            // One model per batch: a job admitted after a swap waits for the next batch, and so
            // does one that would overfill this batch.
            if !Arc::ptr_eq(&job.model, &batch[0].model) || rows + job.rows.len() > limits.max_batch {
                held = Some(job);
                break;
            }
            rows += job.rows.len();
            batch.push(job);
        }
        metrics.batch(rows);
        tokio::spawn(run(batch, worker));
    }
}

/// Predicts one batch on a blocking thread and answers its requests; `worker` is released after.
async fn run(batch: Vec<Job>, worker: tokio::sync::OwnedSemaphorePermit) {
    let model = batch[0].model.clone();
    let (replies, inputs): (Vec<_>, Vec<_>) = batch.into_iter().map(|j| (j.reply, j.rows)).unzip();
    let predicted = tokio::task::spawn_blocking(move || {
        let outcomes = predict_batch(model.as_ref(), &inputs);
        (outcomes, inputs)
    })
    .await;
    let (outcomes, inputs) = match predicted {
        Ok(both) => both,
        Err(e) => {
            let message =
                if e.is_panic() { "the model panicked on this batch" } else { "the prediction was cancelled" };
            (replies.iter().map(|_| Outcome::Failed(message.into())).collect(), vec![Vec::new(); replies.len()])
        }
    };
    drop(worker);
    for ((reply, outcome), rows) in replies.into_iter().zip(outcomes).zip(inputs) {
        // A request that timed out no longer listens.
        let _ = reply.send((outcome, rows));
    }
}

/// The outcome of each request of a batch (`inputs` holds each request's rows).
pub fn predict_batch(model: &dyn crate::model::Predictor, inputs: &[Vec<Value>]) -> Vec<Outcome> {
    // The rows of every request, borrowed: a batch predicts them without copying them.
    let rows: Vec<&Value> = inputs.iter().flatten().collect();
    match model.predict_rows(&rows) {
        Ok(predictions) => split(predictions, inputs),
        // One request: its errors, whatever they name.
        Err(errors) if inputs.len() == 1 => vec![Outcome::Rejected(errors)],
        // An error about no row in particular cannot be given to one request: each on its own.
        Err(errors) if errors.iter().any(|e| e.row.is_none()) => {
            inputs.iter().flat_map(|rows| predict_batch(model, std::slice::from_ref(rows))).collect()
        }
        Err(errors) => {
            let mut own: Vec<Vec<FieldError>> = vec![Vec::new(); inputs.len()];
            let starts = starts(inputs);
            for mut error in errors {
                let row = error.row.unwrap_or(0);
                // The request whose rows hold this row: the last one starting at or before it.
                let index = starts.partition_point(|&s| s <= row).saturating_sub(1);
                error.row = Some(row - starts[index]);
                own[index].push(error);
            }
            let clean: Vec<usize> = (0..inputs.len()).filter(|&i| own[i].is_empty()).collect();
            let mut outcomes: Vec<Option<Outcome>> = own
                .into_iter()
                .map(|errors| if errors.is_empty() { None } else { Some(Outcome::Rejected(errors)) })
                .collect();
            if !clean.is_empty() {
                // The requests without errors, again without the others (fewer requests each time).
                let again: Vec<Vec<Value>> = clean.iter().map(|&i| inputs[i].clone()).collect();
                for (&i, outcome) in clean.iter().zip(predict_batch(model, &again)) {
                    outcomes[i] = Some(outcome);
                }
            }
            outcomes.into_iter().map(|o| o.unwrap_or_else(|| Outcome::Failed("no outcome".into()))).collect()
        }
    }
}

/// The index of each request's first row in the batch.
fn starts(inputs: &[Vec<Value>]) -> Vec<usize> {
    let mut start = 0;
    inputs
        .iter()
        .map(|rows| {
            let s = start;
            start += rows.len();
            s
        })
        .collect()
}

/// The predictions of a batch, cut back into each request's.
fn split(predictions: Vec<Prediction>, inputs: &[Vec<Value>]) -> Vec<Outcome> {
    let total: usize = inputs.iter().map(Vec::len).sum();
    if predictions.len() != total {
        let message = format!("the model returned {} predictions for {total} rows", predictions.len());
        return inputs.iter().map(|_| Outcome::Failed(message.clone())).collect();
    }
    let mut rest = predictions.into_iter();
    inputs.iter().map(|rows| Outcome::Predicted(rest.by_ref().take(rows.len()).collect())).collect()
}
