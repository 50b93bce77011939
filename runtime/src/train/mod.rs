//! The training stages of a run: baselines fitted (`baseline`), models trained (this module's
//! [`train_network`], with its configuration in `config`), searches (`search`), and what a trained
//! model is and predicts (`trained`).
//!
//! [`train_network`] is the `train_model` step: mini-batch training with the spec's optimizer, loss,
//! regularization and early stopping, deterministic for a seed, stopped by a diagnostic when the
//! loss stops being a finite number.

pub mod baseline;
pub mod batches;
pub mod config;
pub mod device;
pub mod early_stop;
pub mod loss_scale;
pub mod memory;
pub mod network;
pub mod search;
pub mod trained;

use crate::error::{RunError, RunResult};
use crate::prepare::fit::Prepared;
use crate::prepare::target::Target;
use crate::progress::Progress;
use batches::Augmenter;
use candle_core::{DType, Device, Tensor};
use config::TrainConfig;
use device::Placement;
use early_stop::{EarlyStop, Judgement};
use loss_scale::LossScale;
use mlp_compiler::ast::Direction;
use mlp_compiler::codes::Code;
use mlp_compiler::plan::Ranking;
use mlp_compiler::program::{self, Model};
use mlp_compiler::types::Task;
use mlp_stdlib::loss::Loss;
use mlp_stdlib::network::Net;
use mlp_stdlib::optim::Optimizer;
use mlp_stdlib::rng::Rng;
use network::{NetworkInput, forward_chunked, network_input};
use trained::{EpochLog, TrainedNetwork, ValScore, prediction_from_logits, to_tensor};

/// Trains `model` on `prepared`'s training split, watching the validation split, on the device
/// and in the precision of `placement`.
///
/// The training inputs are uploaded to the device once; each step uploads only the batch's row
/// indices (and dropout masks) and gathers the batch there. On the CPU the loss is read every
/// step (a NaN stops at the exact batch); on a GPU it is summed on the device and read once per
/// epoch, so steps never wait for the host.
#[allow(clippy::too_many_arguments)]
pub fn train_network(
    label: &str,
    config: &TrainConfig,
    prepared: &Prepared,
    placement: &Placement,
    watch: Option<&Ranking>,
    progress: &dyn Progress,
) -> RunResult<TrainedNetwork> {
    let model = &config.model;
    let settings = &model.settings;
    let device = placement.device.clone();
    let failed = |e: candle_core::Error| {
        RunError::new(Code::E0803, format!("training `{label}` failed inside Candle: {e}")).for_definition(&model.name)
    };
    let task = prepared.task;
    let classes = prepared.classes.len();
    let loss = loss_of(task, model.loss);
    // One logit per class the training data holds (the checker's sample may have seen fewer).
    let outputs = match (task, loss) {
        (Task::Multiclass, _) | (Task::Binary, Loss::CrossEntropy) => classes,
        _ => 1,
    };
    let input = network_input(model, prepared)?;
    let mut rng = Rng::new(config.seed);
    debug_assert_eq!(model.network.input, input.shape);
    let spec = model.network.clone().with_outputs(outputs);
    if device.is_cpu() {
        memory::check(label, model, &spec, prepared.splits[0].rows.len())?;
    }
    let mut network = Net::new(&spec, &mut rng, &device).map_err(failed)?;
    network.set_compute_dtype(crate::train::device::dtype(placement.precision));
    let mut optimizer = Optimizer::new(settings.optimizer, network.vars()).map_err(failed)?;
    let train = &prepared.splits[0];
    let x_train = input.select(&train.x);
    let x_all = to_tensor(&x_train, &device).map_err(failed)?;
    let target_scaler = prepared.state.target;
    let y_all = target_tensor(&train.y, loss, target_scaler, &device).map_err(failed)?;
    let validation = Validation::new(prepared, &input, loss, &device).map_err(failed)?;
    let augmentation = Augmenter::new(&config.augment, &input, config.seed);
    let n = train.rows.len();
    let mut order: Vec<u32> = (0..n as u32).collect();
    let weights = network.weights();
    let vars = network.vars();
    let read_every_step = device.is_cpu();
    let mut scaler = LossScale::new(placement.precision);

    let mut trained = TrainedNetwork {
        network,
        input: input.clone(),
        device: device.clone(),
        device_name: placement.name.clone(),
        precision: crate::train::device::precision_name(placement.precision),
        task,
        target: target_scaler,
        outputs,
        history: Vec::new(),
        best_epoch: 0,
        stopped_by: "epochs".into(),
        best_score: None,
        hyperparameters: serde_json::Value::Null,
        samples_per_second: 0.0,
    };
    let mut best: Option<(ValScore, Vec<(String, Tensor)>)> = None;
    let mut early_stop = EarlyStop::of(settings.early_stop, direction_of(watch));
    let mut training_seconds = 0.0;
    progress.training_started(label, settings.epochs);
    let mut step = 0usize;
    for epoch in 1..=settings.epochs {
        let epoch_started = std::time::Instant::now();
        rng.shuffle(&mut order);
        let mut total = 0.0;
        let mut device_total: Option<Tensor> = None;
        let batches: Vec<&[u32]> = order.chunks(settings.batch).collect();
        let mut augmented = augmentation.as_ref().map(|a| a.epoch(&x_train, &batches, epoch));
        for (batch_index, chunk) in batches.iter().enumerate() {
            step += 1;
            let index = Tensor::new(*chunk, &device).map_err(failed)?;
            let x = match augmented.as_mut() {
                Some(batches) => {
                    let rows = batches.next().expect("one augmented batch per batch");
                    Tensor::from_vec(rows, (chunk.len(), x_train.cols), &device).map_err(failed)?
                }
                None => x_all.index_select(&index, 0).map_err(failed)?,
            };
            let y = y_all.index_select(&index, 0).map_err(failed)?;
            let out = trained.network.forward_train(&x, &mut rng).map_err(failed)?;
            let mut value = loss.compute(&out, &y).map_err(failed)?;
            value = add_penalties(value, &weights, settings.l1, settings.l2).map_err(failed)?;
            if read_every_step {
                let scalar: f32 = value.to_dtype(DType::F32).and_then(|t| t.to_scalar()).map_err(failed)?;
                if !scalar.is_finite() {
                    return Err(diverged(model, label, epoch, Some(batch_index + 1), step, scalar, config));
                }
                total += scalar as f64 * chunk.len() as f64;
            } else {
                let weighted = (value.detach() * chunk.len() as f64).map_err(failed)?;
                device_total = Some(match device_total {
                    Some(sum) => (sum + weighted).map_err(failed)?,
                    None => weighted,
                });
            }
            let grads = scaler.backward(&value, &vars).map_err(failed)?;
            if let Some(grads) = grads {
                optimizer.step(&grads).map_err(failed)?;
            }
        }
        if let Some(sum) = device_total {
            let sum: f32 = sum.to_dtype(DType::F32).and_then(|t| t.to_scalar()).map_err(failed)?;
            if !sum.is_finite() {
                return Err(diverged(model, label, epoch, None, step, sum, config));
            }
            total = sum as f64;
        }
        training_seconds += epoch_started.elapsed().as_secs_f64();
        let train_loss = total / n.max(1) as f64;
        let watched = validation.score(&trained, watch).map_err(failed)?;
        let val_score = watched.map(|w| w.objective.unwrap_or(w.loss));
        trained.history.push(EpochLog {
            epoch,
            train_loss,
            val_score,
            val_loss: watched.map(|w| w.loss),
            seconds: training_seconds,
        });
        progress.epoch(label, epoch, train_loss, val_score);
        match (early_stop.as_mut(), watched) {
            (Some(rule), Some(score)) => match rule.judge(&score, best.as_ref().map(|(b, _)| b)) {
                Judgement::Best => {
                    best = Some((score, trained.network.snapshot().map_err(failed)?));
                    trained.best_epoch = epoch;
                    trained.best_score = Some(score);
                }
                Judgement::Wait => {}
                Judgement::Stop => {
                    trained.stopped_by = "early_stop".into();
                    break;
                }
            },
            _ => {
                trained.best_epoch = epoch;
                trained.best_score = watched;
            }
        }
    }
    if let Some((_, weights)) = best {
        trained.network.load_from(&weights).map_err(failed)?;
    }
    let samples = n * trained.history.len();
    trained.samples_per_second = if training_seconds > 0.0 { samples as f64 / training_seconds } else { 0.0 };
    progress.training_finished(label, trained.history.len());
    Ok(trained)
}

/// The loss a model trains with: the checked loss, as the label's task computes it (a multi-class
/// label always takes softmax cross-entropy).
pub(crate) fn loss_of(task: Task, loss: program::Loss) -> Loss {
    match (task, loss) {
        (Task::Regression, program::Loss::Huber { delta }) => Loss::Huber { delta },
        (Task::Regression, _) => Loss::Mse,
        (Task::Binary, program::Loss::CrossEntropy) => Loss::CrossEntropy,
        (Task::Binary, _) => Loss::Bce,
        (Task::Multiclass, _) => Loss::CrossEntropy,
    }
}

/// Which way the watched number improves: the objective's direction, or lower validation loss.
fn direction_of(watch: Option<&Ranking>) -> Direction {
    watch.map_or(Direction::Minimize, |w| w.direction)
}

/// L2 adds `l2/2 · Σw²` and L1 adds `l1 · Σ|w|` over the weight matrices (not biases) to the
/// mean batch loss.
fn add_penalties(loss: Tensor, weights: &[candle_core::Var], l1: f64, l2: f64) -> candle_core::Result<Tensor> {
    let mut total = loss;
    for w in weights {
        if l2 > 0.0 {
            total = (total + (w.as_tensor().sqr()?.sum_all()? * (l2 / 2.0))?)?;
        }
        if l1 > 0.0 {
            total = (total + (w.as_tensor().abs()?.sum_all()? * l1)?)?;
        }
    }
    Ok(total)
}

fn target_tensor(
    target: &Target,
    loss: Loss,
    scaler: Option<mlp_stdlib::transform::Scaler>,
    device: &Device,
) -> candle_core::Result<Tensor> {
    match (target, loss) {
        (Target::Classes(c), Loss::CrossEntropy) => {
            Tensor::new(c.iter().map(|&v| v as u32).collect::<Vec<_>>(), device)
        }
        (Target::Classes(c), _) => {
            let v: Vec<f32> = c.iter().map(|&v| v as f32).collect();
            Tensor::from_vec(v, (c.len(), 1), device)
        }
        (Target::Values(values), _) => {
            let s = scaler.unwrap_or(mlp_stdlib::transform::Scaler::Identity);
            let v: Vec<f32> = values.iter().map(|&y| s.apply(y) as f32).collect();
            Tensor::from_vec(v, (values.len(), 1), device)
        }
    }
}

/// The validation split on the device, uploaded once: each epoch scores it with one forward pass
/// that gives both the loss and the predictions the objective needs.
struct Validation<'a> {
    x: Option<Tensor>,
    y: Option<Tensor>,
    truth: &'a Target,
    loss: Loss,
}

impl<'a> Validation<'a> {
    fn new(prepared: &'a Prepared, input: &NetworkInput, loss: Loss, device: &Device) -> candle_core::Result<Self> {
        let val = &prepared.splits[1];
        let (x, y) = if val.rows.is_empty() {
            (None, None)
        } else {
            (
                Some(to_tensor(&input.select(&val.x), device)?),
                Some(target_tensor(&val.y, loss, prepared.state.target, device)?),
            )
        };
        Ok(Validation { x, y, truth: &val.y, loss })
    }

    /// The validation objective and loss, or `None` without validation rows.
    fn score(&self, trained: &TrainedNetwork, watch: Option<&Ranking>) -> candle_core::Result<Option<ValScore>> {
        let (Some(x), Some(y)) = (&self.x, &self.y) else { return Ok(None) };
        let logits = forward_chunked(&trained.network, x)?;
        let loss: f32 = self.loss.compute(&logits, y)?.to_dtype(DType::F32)?.to_scalar()?;
        let mut objective = None;
        if let Some(watch) = watch {
            let prediction = prediction_from_logits(trained, &logits)?;
            objective = crate::train::trained::metric_value(&watch.metric.kind, &prediction, self.truth)
                .ok()
                .filter(|v| v.is_finite());
        }
        Ok(Some(ValScore { objective, loss: loss as f64 }))
    }
}

/// A loss that stopped being finite; `batch` is known when the loss is read every step (CPU),
/// and only the epoch when it is summed on a GPU.
fn diverged(
    model: &Model,
    label: &str,
    epoch: usize,
    batch: Option<usize>,
    step: usize,
    value: f32,
    config: &TrainConfig,
) -> RunError {
    let when = match batch {
        Some(batch) => format!("at epoch {epoch}, batch {batch} (step {step})"),
        None => format!("during epoch {epoch} (by step {step})"),
    };
    RunError::new(Code::E0801, format!("training `{label}` diverged: the loss became {value} {when}"))
        .with_help(format!(
            "lower the learning rate (now {}), normalize the inputs (`normalize = zscore`), or add `l2` regularization",
            readable(config.learning_rate())
        ))
        .for_definition(&model.name)
}

/// A learning rate as a person would write it: `0.001`, `3e-4`, `1e30`.
fn readable(value: f64) -> String {
    if value != 0.0 && !(1e-3..1e4).contains(&value.abs()) { format!("{value:e}") } else { value.to_string() }
}
