//! Early stopping (`early_stop = patience(...)`): after each epoch, whether its validation score is
//! the best so far (its weights are kept) and whether training has waited long enough for a
//! better one.

use crate::train::trained::ValScore;
use mlp_compiler::ast::Direction;
use mlp_compiler::program::Stopping;

/// What one epoch's validation score means for the run.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Judgement {
    /// The best score so far: keep these weights.
    Best,
    /// Not better; keep training.
    Wait,
    /// Not better for as many epochs as the rule waits: stop and restore the best weights.
    Stop,
}

/// The early-stopping rule of one training run and the epochs since its best score.
pub struct EarlyStop {
    epochs: usize,
    /// How much better than the best a score must be to count (in the watched number's units).
    min_delta: f64,
    direction: Direction,
    since_best: usize,
}

impl EarlyStop {
    /// The rule a `stopping` setting asks for; `None` when training runs every epoch.
    pub fn of(stopping: Stopping, direction: Direction) -> Option<EarlyStop> {
        match stopping {
            Stopping::Never => None,
            Stopping::Patience { epochs, min_delta } => Some(EarlyStop { epochs, min_delta, direction, since_best: 0 }),
        }
    }

    /// Judges an epoch's score against the best so far (`None` before the first).
    pub fn judge(&mut self, score: &ValScore, best: Option<&ValScore>) -> Judgement {
        if best.is_none_or(|best| self.improvement(score, best) > self.min_delta) {
            self.since_best = 0;
            return Judgement::Best;
        }
        self.since_best += 1;
        if self.since_best >= self.epochs { Judgement::Stop } else { Judgement::Wait }
    }

    /// How much better `score` is than `best`: on the objective, or on the validation loss when
    /// the objectives tie (as [`ValScore::better_than`] ranks them); negative when worse.
    fn improvement(&self, score: &ValScore, best: &ValScore) -> f64 {
        match (score.objective, best.objective) {
            (Some(a), Some(b)) if (a - b).abs() > 1e-12 => match self.direction {
                Direction::Maximize => a - b,
                Direction::Minimize => b - a,
            },
            _ => best.loss - score.loss,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn score(objective: f64) -> ValScore {
        ValScore { objective: Some(objective), loss: 1.0 }
    }

    #[test]
    fn patience_waits_its_epochs_after_the_best() {
        let mut stop = EarlyStop::of(Stopping::Patience { epochs: 2, min_delta: 0.0 }, Direction::Maximize).unwrap();
        assert_eq!(stop.judge(&score(0.5), None), Judgement::Best);
        assert_eq!(stop.judge(&score(0.6), Some(&score(0.5))), Judgement::Best);
        assert_eq!(stop.judge(&score(0.55), Some(&score(0.6))), Judgement::Wait);
        assert_eq!(stop.judge(&score(0.6), Some(&score(0.6))), Judgement::Stop, "a tie is not better");
        assert!(EarlyStop::of(Stopping::Never, Direction::Maximize).is_none());
    }

    #[test]
    fn an_improvement_within_min_delta_does_not_count() {
        let mut stop = EarlyStop::of(Stopping::Patience { epochs: 2, min_delta: 0.05 }, Direction::Minimize).unwrap();
        assert_eq!(stop.judge(&score(0.50), None), Judgement::Best);
        assert_eq!(stop.judge(&score(0.47), Some(&score(0.50))), Judgement::Wait, "0.03 lower is within 0.05");
        assert_eq!(stop.judge(&score(0.40), Some(&score(0.50))), Judgement::Best);
        assert_eq!(stop.judge(&score(0.39), Some(&score(0.40))), Judgement::Wait);
        assert_eq!(stop.judge(&score(0.36), Some(&score(0.40))), Judgement::Stop);
    }
}
