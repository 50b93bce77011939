//! The `search_trial` step: hyperparameter search over a model's space with the `grid`, `random`
//! or `bayesian` (tree-structured Parzen estimator) strategy, optionally refined coarse to fine.
//! Every trial trains the model with the same seed and is scored by the objective on the
//! validation split (or the validation loss), so trials differ only in their hyperparameters.

use crate::error::{RunError, RunResult};
use crate::prepare::fit::Prepared;
use crate::progress::Progress;
use crate::train;
use crate::train::config::TrainConfig;
use crate::train::device::Placement;
use crate::train::trained::ValScore;
use mlp_compiler::ast::Direction;
use mlp_compiler::codes::Code;
use mlp_compiler::plan::SearchStep;
use mlp_compiler::program::{Distribution, Strategy, Value};
use mlp_stdlib::rng::Rng;
use rayon::prelude::*;
use serde::Serialize;
use std::collections::BTreeMap;

/// One trial: its hyperparameters and validation score.
#[derive(Clone, Debug, Serialize)]
pub struct Trial {
    pub round: usize,
    pub params: BTreeMap<String, Value>,
    /// The validation objective of the trial's kept epoch (the loss without an objective).
    pub score: Option<f64>,
    #[serde(skip)]
    pub val: Option<ValScore>,
}

#[derive(Clone, Debug, Serialize)]
pub struct SearchOutcome {
    pub strategy: String,
    pub direction: Direction,
    /// The best trial's hyperparameters (empty when no trial finished).
    pub best: BTreeMap<String, Value>,
    pub best_score: Option<f64>,
    pub trials: Vec<Trial>,
}

impl SearchOutcome {
    pub fn best_json(&self) -> serde_json::Value {
        serde_json::to_value(&self.best).unwrap_or_default()
    }
}

/// A searched parameter's distribution.
#[derive(Clone, Debug)]
enum Dist {
    Choice(Vec<Value>),
    Uniform(f64, f64),
    LogUniform(f64, f64),
    IntRange(i64, i64, i64),
}

impl Dist {
    fn of(distribution: &Distribution) -> Dist {
        match distribution {
            Distribution::Choice { values } => Dist::Choice(values.clone()),
            &Distribution::Uniform { low, high } => Dist::Uniform(low, high),
            &Distribution::Loguniform { low, high } => Dist::LogUniform(low, high),
            &Distribution::IntRange { low, high, step } => Dist::IntRange(low, high, step as i64),
        }
    }

    fn sample(&self, rng: &mut Rng) -> Value {
        match self {
            Dist::Choice(items) => items[rng.below(items.len() as u64) as usize].clone(),
            Dist::Uniform(lo, hi) => Value::Float(lo + (hi - lo) * rng.next_f64()),
            Dist::LogUniform(lo, hi) => Value::Float((lo.ln() + (hi.ln() - lo.ln()) * rng.next_f64()).exp()),
            Dist::IntRange(lo, hi, step) => {
                // In 128 bits: the ends of a range may be any two 64-bit integers.
                let (lo, hi, step) = (*lo as i128, *hi as i128, (*step).max(1) as i128);
                let count = ((hi - lo) / step + 1).clamp(1, u64::MAX as i128) as u64;
                Value::Int((lo + step * rng.below(count) as i128).clamp(lo, hi) as i64)
            }
        }
    }

    /// Points a grid visits: every choice, every step of an integer range, five points of a
    /// continuous range (evenly spaced, in log space for `loguniform`).
    fn grid(&self) -> Vec<Value> {
        match self {
            Dist::Choice(items) => items.clone(),
            Dist::IntRange(lo, hi, step) => {
                let (lo, hi, step) = (*lo as i128, *hi as i128, (*step).max(1) as i128);
                (0..).map(|i| lo + i * step).take_while(|v| *v <= hi).map(|v| Value::Int(v as i64)).collect()
            }
            Dist::Uniform(lo, hi) => (0..5).map(|i| Value::Float(lo + (hi - lo) * i as f64 / 4.0)).collect(),
            Dist::LogUniform(lo, hi) => {
                (0..5).map(|i| Value::Float((lo.ln() + (hi.ln() - lo.ln()) * i as f64 / 4.0).exp())).collect()
            }
        }
    }

    /// How many points [`Dist::grid`] visits; `None` beyond `usize`.
    fn grid_size(&self) -> Option<usize> {
        match *self {
            Dist::Choice(ref items) => Some(items.len()),
            Dist::IntRange(lo, hi, step) => {
                let count = (hi as i128 - lo as i128) / step.max(1) as i128 + 1;
                usize::try_from(count.max(0)).ok()
            }
            Dist::Uniform(..) | Dist::LogUniform(..) => Some(5),
        }
    }

    /// A narrower distribution around `best`: a quarter of the range on each side (continuous
    /// ranges only; choices stay as they are).
    fn around(&self, best: &Value) -> Dist {
        let Some(b) = best.as_f64() else { return self.clone() };
        match *self {
            Dist::Uniform(lo, hi) => {
                let w = (hi - lo) / 4.0;
                Dist::Uniform((b - w).max(lo), (b + w).min(hi))
            }
            Dist::LogUniform(lo, hi) => {
                let w = (hi.ln() - lo.ln()) / 4.0;
                Dist::LogUniform((b.ln() - w).exp().max(lo), (b.ln() + w).exp().min(hi))
            }
            _ => self.clone(),
        }
    }

    /// Position of a value on the distribution's axis, for the Parzen estimator.
    fn coordinate(&self, v: &Value) -> f64 {
        match self {
            Dist::Choice(items) => items.iter().position(|i| i == v).unwrap_or(0) as f64,
            Dist::LogUniform(..) => v.as_f64().unwrap_or(1.0).max(f64::MIN_POSITIVE).ln(),
            _ => v.as_f64().unwrap_or(0.0),
        }
    }

    fn span(&self) -> f64 {
        match *self {
            Dist::Choice(ref items) => items.len() as f64,
            Dist::Uniform(lo, hi) => hi - lo,
            Dist::LogUniform(lo, hi) => hi.ln() - lo.ln(),
            Dist::IntRange(lo, hi, _) => hi as f64 - lo as f64,
        }
        .max(1e-12)
    }
}

pub fn run(
    step: &SearchStep,
    data: &Prepared,
    placement: &Placement,
    progress: &dyn Progress,
) -> RunResult<SearchOutcome> {
    let search = &step.search;
    let space: Vec<(String, Dist)> = search.space.iter().map(|(name, d)| (name.clone(), Dist::of(d))).collect();
    let strategy = search.settings.strategy;
    let direction = step.train.watch.as_ref().map_or(Direction::Minimize, |w| w.direction);
    let mut rng = Rng::new(step.train.seed.value() ^ 0x5EA4_C400);
    let mut outcome = SearchOutcome {
        strategy: strategy.name().to_string(),
        direction,
        best: BTreeMap::new(),
        best_score: None,
        trials: Vec::new(),
    };
    let mut current = space.clone();
    for round in 0..search.settings.refine.rounds() {
        let candidates: Vec<BTreeMap<String, Value>> = match strategy {
            Strategy::Grid => grid(&current, &step.train.model.name)?,
            Strategy::Bayesian { .. } => Vec::new(),
            Strategy::Random { trials } => {
                let mut drawn = reserve(trials, &step.train.model.name)?;
                drawn.extend((0..trials).map(|_| sample(&current, &mut rng)));
                drawn
            }
        };
        if let Strategy::Bayesian { trials } = strategy {
            for t in 0..trials {
                let params = propose(&current, &outcome.trials, direction, t, &mut rng);
                let val = trial(step, data, placement, &params, outcome.trials.len(), progress)?;
                outcome.trials.push(Trial { round, params, score: val.map(|v| v.objective.unwrap_or(v.loss)), val });
            }
        } else {
            let first = outcome.trials.len();
            let scored: Vec<RunResult<Trial>> = candidates
                .into_par_iter()
                .enumerate()
                .map(|(i, params)| {
                    let val = trial(step, data, placement, &params, first + i, progress)?;
                    Ok(Trial { round, params, score: val.map(|v| v.objective.unwrap_or(v.loss)), val })
                })
                .collect();
            for t in scored {
                outcome.trials.push(t?);
            }
        }
        if let Some(best) = best_trial(&outcome.trials, direction) {
            outcome.best = best.params.clone();
            outcome.best_score = best.score;
            current = current
                .iter()
                .map(|(n, d)| (n.clone(), best.params.get(n).map_or(d.clone(), |b| d.around(b))))
                .collect();
        }
    }
    Ok(outcome)
}

/// Trains one trial; its validation scores, or `None` when it diverged or had nothing to score.
fn trial(
    step: &SearchStep,
    data: &Prepared,
    placement: &Placement,
    params: &BTreeMap<String, Value>,
    index: usize,
    progress: &dyn Progress,
) -> RunResult<Option<ValScore>> {
    let config = TrainConfig::resolve(&step.train, params)?;
    let label = format!("{}#{}", step.train.model.name, index + 1);
    match train::train_network(&label, &config, data, placement, step.train.watch.as_ref(), progress) {
        Ok(trained) => Ok(trained.best_score),
        // A diverging trial is a bad trial, not a failed run: the search moves on.
        Err(e) if e.code == Code::E0801 => Ok(None),
        Err(e) => Err(e),
    }
}

fn best_trial(trials: &[Trial], direction: Direction) -> Option<&Trial> {
    trials.iter().filter(|t| t.val.is_some()).reduce(|a, b| match (a.val, b.val) {
        (Some(x), Some(y)) if y.better_than(&x, direction) => b,
        _ => a,
    })
}

fn sample(space: &[(String, Dist)], rng: &mut Rng) -> BTreeMap<String, Value> {
    space.iter().map(|(n, d)| (n.clone(), d.sample(rng))).collect()
}

/// An empty vector with room for `trials` trials, or E0815 when this machine cannot hold them
/// (the checker's `max_trials` keeps a checked spec far below that; the runtime does not abort).
fn reserve<T>(trials: usize, model: &str) -> RunResult<Vec<T>> {
    let mut vec = Vec::new();
    vec.try_reserve_exact(trials).map_err(|_| {
        RunError::new(Code::E0815, format!("the search over `{model}` cannot hold its {trials} trials in memory"))
            .with_help("search fewer values, and keep `max_trials` in the `pipeline` block low")
            .for_definition(model)
    })?;
    Ok(vec)
}

fn grid(space: &[(String, Dist)], model: &str) -> RunResult<Vec<BTreeMap<String, Value>>> {
    let total = space.iter().try_fold(1usize, |n, (_, d)| d.grid_size().and_then(|k| n.checked_mul(k)));
    let mut points = reserve(total.unwrap_or(usize::MAX), model)?;
    points.push(BTreeMap::new());
    for (name, dist) in space {
        let values = dist.grid();
        points = points
            .into_iter()
            .flat_map(|p| {
                values.iter().map(move |v| {
                    let mut q = p.clone();
                    q.insert(name.clone(), v.clone());
                    q
                })
            })
            .collect();
    }
    Ok(points)
}

/// Tree-structured Parzen estimator: after a few random trials, split the finished trials into
/// the best quarter and the rest, draw candidates near the good ones, and keep the candidate
/// with the highest ratio of good to bad density (per parameter, independently).
fn propose(
    space: &[(String, Dist)],
    trials: &[Trial],
    direction: Direction,
    index: usize,
    rng: &mut Rng,
) -> BTreeMap<String, Value> {
    let scored: Vec<&Trial> = trials.iter().filter(|t| t.val.is_some()).collect();
    let startup = 5usize;
    if index < startup || scored.len() < startup {
        return sample(space, rng);
    }
    let mut ranked = scored.clone();
    ranked.sort_by(|a, b| match (a.val, b.val) {
        (Some(x), Some(y)) if y.better_than(&x, direction) => std::cmp::Ordering::Greater,
        (Some(x), Some(y)) if x.better_than(&y, direction) => std::cmp::Ordering::Less,
        _ => std::cmp::Ordering::Equal,
    });
    let cut = ((ranked.len() as f64 * 0.25).ceil() as usize).max(1);
    let (good, bad) = ranked.split_at(cut);
    let mut params = BTreeMap::new();
    for (name, dist) in space {
        let coords = |set: &[&Trial]| -> Vec<f64> {
            set.iter().filter_map(|t| t.params.get(name)).map(|v| dist.coordinate(v)).collect()
        };
        let (g, b) = (coords(good), coords(bad));
        let bandwidth = dist.span() / (1.0 + (g.len() as f64).sqrt()) / 2.0;
        let density = |points: &[f64], x: f64| -> f64 {
            let prior = 1.0 / dist.span();
            let kernels: f64 = points.iter().map(|p| (-(x - p).powi(2) / (2.0 * bandwidth * bandwidth)).exp()).sum();
            (kernels / (bandwidth * (2.0 * std::f64::consts::PI).sqrt()) + prior) / (points.len() as f64 + 1.0)
        };
        let mut best: Option<(f64, Value)> = None;
        for _ in 0..24 {
            // A candidate near a random good trial (or from the prior now and then).
            let candidate = match (dist, g.is_empty() || rng.next_f64() < 0.1) {
                (_, true) => dist.sample(rng),
                (Dist::Choice(items), false) => {
                    let centre = g[rng.below(g.len() as u64) as usize];
                    let jitter = (rng.normal() * bandwidth).round();
                    let i = (centre + jitter).clamp(0.0, items.len() as f64 - 1.0) as usize;
                    items[i].clone()
                }
                (_, false) => {
                    let centre = g[rng.below(g.len() as u64) as usize];
                    let x = centre + rng.normal() * bandwidth;
                    match *dist {
                        Dist::Uniform(lo, hi) => Value::Float(x.clamp(lo, hi)),
                        Dist::LogUniform(lo, hi) => Value::Float(x.exp().clamp(lo, hi)),
                        Dist::IntRange(lo, hi, step) => {
                            let steps = ((x - lo as f64) / step.max(1) as f64).round() as i128;
                            let snapped = lo as i128 + steps * step.max(1) as i128;
                            Value::Int(snapped.clamp(lo as i128, hi as i128) as i64)
                        }
                        Dist::Choice(_) => dist.sample(rng),
                    }
                }
            };
            let x = dist.coordinate(&candidate);
            let ratio = density(&g, x) / density(&b, x);
            if best.as_ref().is_none_or(|(r, _)| ratio > *r) {
                best = Some((ratio, candidate));
            }
        }
        params.insert(name.clone(), best.map_or_else(|| dist.sample(rng), |(_, v)| v));
    }
    params
}
