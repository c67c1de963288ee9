//! Training: a training-step graph run over a dataset for some epochs, and what federated
//! rounds need around it (loss on a validation set, update norms, robust aggregation).
//!
//! A training-step graph takes parameters and one batch and returns the updated parameters
//! and the batch's mean loss. Its inputs are matched by name: an input `p` with an output
//! `p_next` is a parameter, every other input is a batch input, fed from the dataset tensor
//! of the same name. The output `loss` is the batch's mean loss, a scalar.
//!
//! The loop is deterministic: batches are taken in dataset order (no shuffling: a shuffle
//! seed would be one more thing workers must agree on), the last batch of an epoch may be
//! shorter, parameters stay `f32` between steps. The result's outputs are the parameters in
//! graph order, then [`LOSS_CURVE`], the mean loss of each epoch, and [`DATASET_ROWS`], the
//! dataset's rows: what workers digest.

use std::time::Instant;

use crate::{
	content_hash,
	error::{ExecutorError, Result},
	tensor::{Tensor, Values},
	Executor,
};

/// Name of the step graph's loss output.
pub const LOSS: &str = "loss";
pub use mosaic_primitives::rounds::{UPDATE_NORMS, VALIDATION_LOSS, VERDICTS};
pub use mosaic_primitives::training::{DATASET_ROWS, LOSS_CURVE, NEXT_SUFFIX, REPORT_OUTPUTS};

/// How long to train.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TrainSpec {
	/// Passes over the dataset. Positive.
	pub epochs: u32,
	/// Samples per step (the last batch of an epoch may be shorter). Positive.
	pub batch_size: u32,
}

/// One parameter update of a federated round, as [`Executor::aggregate_round`] weighs it.
#[derive(Debug, Clone, PartialEq)]
pub struct RoundUpdate {
	/// The updated parameters (empty if the update's blob did not decode).
	pub parameters: Vec<Tensor>,
	/// Its weight in the average (the shard's rows).
	pub weight: u64,
	/// Whether it must pass the validation check.
	pub checked: bool,
}

/// Which of a step graph's inputs are parameters and which are batch inputs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StepSignature {
	/// Parameter inputs, in graph order.
	pub parameters: Vec<String>,
	/// Batch inputs, in graph order.
	pub batch: Vec<String>,
}

impl Executor {
	/// What a training-step graph trains and what it reads from a dataset.
	pub fn step_signature(&self, step: &[u8]) -> Result<StepSignature> {
		let summary = self.check(step)?;
		let has_output = |name: &str| summary.outputs.iter().any(|o| o.name == name);
		if !has_output(LOSS) {
			return Err(ExecutorError::InputMismatch(format!(
				"a training-step graph must have a `{LOSS}` output"
			)));
		}
		let (parameters, batch): (Vec<_>, Vec<_>) = summary
			.inputs
			.iter()
			.map(|i| i.name.clone())
			.partition(|name| has_output(&format!("{name}{NEXT_SUFFIX}")));
		if parameters.is_empty() || batch.is_empty() {
			return Err(ExecutorError::InputMismatch(
				"a training-step graph needs parameter inputs `p` (with outputs `p_next`) and batch inputs"
					.into(),
			));
		}
		Ok(StepSignature { parameters, batch })
	}

	/// Trains `parameters` with the step graph over `dataset` (one tensor per batch input,
	/// all with the same number of rows). Returns the trained parameters followed by the
	/// per-epoch loss curve.
	pub fn train(
		&self,
		step: &[u8],
		parameters: &[Tensor],
		dataset: &[Tensor],
		spec: TrainSpec,
	) -> Result<Vec<Tensor>> {
		let started = Instant::now();
		let signature = self.step_signature(step)?;
		let mut params = by_names(&signature.parameters, parameters, "parameter")?;
		let data = by_names(&signature.batch, dataset, "dataset tensor")?;
		let rows = dataset_rows(&data)?;
		if spec.epochs == 0 || spec.batch_size == 0 {
			return Err(ExecutorError::InputMismatch(
				"epochs and batch size must be positive".into(),
			));
		}
		let batch_size = spec.batch_size as usize;
		let steps = (spec.epochs as u64).saturating_mul(rows.div_ceil(batch_size) as u64);
		if steps > self.limits().max_train_steps {
			return Err(ExecutorError::InputMismatch(format!(
				"{steps} training steps, the limit is {}",
				self.limits().max_train_steps
			)));
		}

		let hash = content_hash(step);
		let mut curve = Vec::with_capacity(spec.epochs as usize);
		for _ in 0..spec.epochs {
			let mut weighted_loss = 0f64;
			for start in (0..rows).step_by(batch_size) {
				let end = (start + batch_size).min(rows);
				let mut inputs = params.clone();
				for tensor in &data {
					inputs.push(slice_rows(tensor, start, end)?);
				}
				let (next, loss) = self.step(&hash, step, &signature, &params, &inputs)?;
				params = next;
				weighted_loss += loss * (end - start) as f64;
				if started.elapsed() > self.limits().max_wall_time {
					return Err(ExecutorError::Timeout {
						millis: self.limits().max_wall_time.as_millis() as u64,
					});
				}
			}
			curve.push((weighted_loss / rows as f64) as f32);
		}
		params.push(Tensor::new(LOSS_CURVE, vec![curve.len()], Values::F32(curve))?);
		params.push(Tensor::new(DATASET_ROWS, vec![1], Values::I64(vec![rows as i64]))?);
		Ok(params)
	}

	/// Mean loss of `parameters` over the whole of `dataset`, as one batch (the updated
	/// parameters the step also computes are discarded).
	pub fn evaluate_loss(
		&self,
		step: &[u8],
		parameters: &[Tensor],
		dataset: &[Tensor],
	) -> Result<f64> {
		let signature = self.step_signature(step)?;
		let params = by_names(&signature.parameters, parameters, "parameter")?;
		let data = by_names(&signature.batch, dataset, "dataset tensor")?;
		dataset_rows(&data)?;
		let mut inputs = params.clone();
		inputs.extend(data);
		self.step(&content_hash(step), step, &signature, &params, &inputs)
			.map(|(_, loss)| loss)
	}

	/// A federated round's aggregation: checks each update on `validation` and combines the
	/// accepted ones with [`aggregate`] (clip `clip`, trim `trim`, lowered to what the
	/// accepted count allows).
	///
	/// A checked update is accepted when it lowers the validation loss of `base` and its
	/// distance from `base` is at most `clip`; an unchecked one (agreed by a quorum) when it
	/// is well formed. An update that is malformed (wrong names or shapes, non-finite values)
	/// is rejected, never an error: one bad update must not sink the round. So is an update
	/// that nearly duplicates one accepted before it (within [`NEAR_DUPLICATE`] of the larger
	/// of their distances from `base`): a sybil's second account, or a copy, earns nothing.
	/// Fails only when the step graph, `base` or `validation` is bad, or when nothing is
	/// accepted.
	///
	/// Returns the combined parameters (named as `base`), then [`VERDICTS`] (`i64`, 1 for
	/// accepted), [`VALIDATION_LOSS`] (base, then each update; -1 if it could not be
	/// evaluated) and [`UPDATE_NORMS`] (-1 if malformed).
	pub fn aggregate_round(
		&self,
		step: &[u8],
		base: &[Tensor],
		validation: &[Tensor],
		updates: &[RoundUpdate],
		clip: f64,
		trim: usize,
	) -> Result<Vec<Tensor>> {
		let signature = self.step_signature(step)?;
		let base = by_names(&signature.parameters, base, "parameter")?;
		let base_loss = self.evaluate_loss(step, &base, validation)?;
		let mut verdicts = Vec::with_capacity(updates.len());
		let mut losses = vec![base_loss as f32];
		let mut norms = Vec::with_capacity(updates.len());
		let mut accepted = Vec::new();
		for update in updates {
			let norm = update_norm(&base, &update.parameters)
				.ok()
				.filter(|n| n.is_finite() && update.parameters.len() == base.len());
			let loss = match norm {
				Some(_) => self.evaluate_loss(step, &update.parameters, validation).ok(),
				None => None,
			};
			let accept = match (norm, loss) {
				(Some(norm), Some(loss)) => {
					(!update.checked || (loss < base_loss && norm <= clip))
						&& !accepted.iter().any(
							|(earlier, _, earlier_norm): &(Vec<Tensor>, u64, f64)| {
								update_norm(earlier, &update.parameters).is_ok_and(|distance| {
									distance <= NEAR_DUPLICATE * norm.max(*earlier_norm)
								})
							},
						)
				},
				_ => false,
			};
			verdicts.push(accept as i64);
			losses.push(loss.map_or(-1.0, |l| l as f32));
			norms.push(norm.map_or(-1.0, |n| n as f32));
			if accept {
				accepted.push((update.parameters.clone(), update.weight, norm.unwrap_or(0.0)));
			}
		}
		if accepted.is_empty() {
			return Err(ExecutorError::InputMismatch(
				"no update passed the validation check".into(),
			));
		}
		let trim = trim.min((accepted.len() - 1) / 2);
		let accepted: Vec<_> = accepted.into_iter().map(|(p, weight, _)| (p, weight)).collect();
		let mut outputs = aggregate(&base, &accepted, clip, trim)?;
		let n = updates.len();
		outputs.push(Tensor::new(VERDICTS, vec![n], Values::I64(verdicts))?);
		outputs.push(Tensor::new(VALIDATION_LOSS, vec![n + 1], Values::F32(losses))?);
		outputs.push(Tensor::new(UPDATE_NORMS, vec![n], Values::F32(norms))?);
		Ok(outputs)
	}

	/// One step: the updated parameters (named as the inputs) and the batch loss.
	fn step(
		&self,
		hash: &[u8; 32],
		step: &[u8],
		signature: &StepSignature,
		params: &[Tensor],
		inputs: &[Tensor],
	) -> Result<(Vec<Tensor>, f64)> {
		let outputs = self.run_hashed(hash, step, inputs)?;
		let output = |name: &str| {
			outputs.iter().find(|o| o.name == name).ok_or_else(|| {
				ExecutorError::Engine(format!("the step graph did not produce `{name}`"))
			})
		};
		let loss = match &output(LOSS)?.values {
			Values::F32(v) if v.len() == 1 => v[0] as f64,
			Values::F64(v) if v.len() == 1 => v[0],
			_ => return Err(ExecutorError::Engine(format!("`{LOSS}` must be one float"))),
		};
		if !loss.is_finite() {
			return Err(ExecutorError::NonFiniteOutput { name: LOSS.into() });
		}
		let mut next = Vec::with_capacity(params.len());
		for (name, old) in signature.parameters.iter().zip(params) {
			let new = output(&format!("{name}{NEXT_SUFFIX}"))?;
			if new.shape != old.shape || new.element_type() != old.element_type() {
				return Err(ExecutorError::Engine(format!(
					"`{name}{NEXT_SUFFIX}` is {:?} {:?}, the parameter is {:?} {:?}",
					new.element_type(),
					new.shape,
					old.element_type(),
					old.shape
				)));
			}
			if !all_finite(&new.values) {
				return Err(ExecutorError::NonFiniteOutput { name: new.name.clone() });
			}
			next.push(Tensor {
				name: name.clone(),
				shape: new.shape.clone(),
				values: new.values.clone(),
			});
		}
		Ok((next, loss))
	}
}

/// `tensors` ordered as `names`; every name must be there exactly once, and nothing else.
fn by_names(names: &[String], tensors: &[Tensor], what: &str) -> Result<Vec<Tensor>> {
	if tensors.len() != names.len() {
		let given: Vec<_> = tensors.iter().map(|t| t.name.as_str()).collect();
		return Err(ExecutorError::InputMismatch(format!(
			"the step graph takes {what}s {names:?}, got {given:?}"
		)));
	}
	names
		.iter()
		.map(|name| {
			tensors
				.iter()
				.find(|t| &t.name == name)
				.cloned()
				.ok_or_else(|| ExecutorError::InputMismatch(format!("missing {what} `{name}`")))
		})
		.collect()
}

/// The number of rows all dataset tensors share (their first dimension); positive.
fn dataset_rows(data: &[Tensor]) -> Result<usize> {
	let rows = data.first().and_then(|t| t.shape.first().copied()).unwrap_or(0);
	for t in data {
		if t.shape.first().copied() != Some(rows) {
			return Err(ExecutorError::InputMismatch(format!(
				"dataset tensor `{}` has shape {:?}; every dataset tensor needs {rows} rows",
				t.name, t.shape
			)));
		}
	}
	if rows == 0 {
		return Err(ExecutorError::InputMismatch("the dataset is empty".into()));
	}
	Ok(rows)
}

/// Rows `start..end` of `t` (along its first dimension).
pub fn slice_rows(t: &Tensor, start: usize, end: usize) -> Result<Tensor> {
	let row: usize = t.shape[1..].iter().product();
	let (a, b) = (start * row, end * row);
	let values = match &t.values {
		Values::F32(v) => Values::F32(v[a..b].to_vec()),
		Values::F64(v) => Values::F64(v[a..b].to_vec()),
		Values::I8(v) => Values::I8(v[a..b].to_vec()),
		Values::I32(v) => Values::I32(v[a..b].to_vec()),
		Values::I64(v) => Values::I64(v[a..b].to_vec()),
		Values::U8(v) => Values::U8(v[a..b].to_vec()),
		Values::Bool(v) => Values::Bool(v[a..b].to_vec()),
	};
	let mut shape = t.shape.clone();
	shape[0] = end - start;
	Tensor::new(t.name.clone(), shape, values)
}

fn all_finite(values: &Values) -> bool {
	match values {
		Values::F32(v) => v.iter().all(|x| x.is_finite()),
		Values::F64(v) => v.iter().all(|x| x.is_finite()),
		_ => true,
	}
}

/// The float values of a tensor, or an error for integer tensors.
fn floats(t: &Tensor) -> Result<Vec<f64>> {
	match &t.values {
		Values::F32(v) => Ok(v.iter().map(|x| *x as f64).collect()),
		Values::F64(v) => Ok(v.clone()),
		_ => Err(ExecutorError::InputMismatch(format!(
			"parameter `{}` is not a float tensor",
			t.name
		))),
	}
}

/// Two updates nearer each other than this fraction of the larger of their distances from the
/// base are near-duplicates: only the first is accepted. Honest updates trained on different
/// data differ by far more (two logistic-regression shards of the tests by 22 %); a
/// copy must move at least this far from what it copies to be paid.
pub const NEAR_DUPLICATE: f64 = 0.01;

/// The L2 norm of `update - base` over all parameters, which must match by name and shape.
pub fn update_norm(base: &[Tensor], update: &[Tensor]) -> Result<f64> {
	let mut sum = 0f64;
	for b in base {
		let u = matching(b, update)?;
		for (x, y) in floats(u)?.iter().zip(floats(b)?) {
			sum += (x - y) * (x - y);
		}
	}
	Ok(sum.sqrt())
}

fn matching<'a>(base: &Tensor, update: &'a [Tensor]) -> Result<&'a Tensor> {
	let u = update.iter().find(|u| u.name == base.name).ok_or_else(|| {
		ExecutorError::InputMismatch(format!("update lacks parameter `{}`", base.name))
	})?;
	if u.shape != base.shape {
		return Err(ExecutorError::InputMismatch(format!(
			"update's `{}` has shape {:?}, the base has {:?}",
			u.name, u.shape, base.shape
		)));
	}
	Ok(u)
}

/// Robust federated averaging. Each update's difference from `base` is clipped to L2 norm
/// `clip` (scaled down, never up); then, coordinate by coordinate, the `trim` largest and
/// `trim` smallest differences are dropped and the rest averaged with weights (the shard
/// sizes). The result is `base` plus that average, as `f32` parameters named as `base`.
pub fn aggregate(
	base: &[Tensor],
	updates: &[(Vec<Tensor>, u64)],
	clip: f64,
	trim: usize,
) -> Result<Vec<Tensor>> {
	if updates.len() <= 2 * trim {
		return Err(ExecutorError::InputMismatch(format!(
			"{} updates cannot lose {trim} from each end",
			updates.len()
		)));
	}
	let mut deltas = Vec::with_capacity(updates.len());
	for (update, weight) in updates {
		let norm = update_norm(base, update)?;
		let scale = if norm > clip && norm > 0.0 { clip / norm } else { 1.0 };
		let mut delta = Vec::new();
		for b in base {
			let u = matching(b, update)?;
			delta.extend(floats(u)?.iter().zip(floats(b)?).map(|(x, y)| (x - y) * scale));
		}
		deltas.push((delta, *weight as f64));
	}
	let mut result = Vec::with_capacity(base.len());
	let mut offset = 0;
	for b in base {
		let base_values = floats(b)?;
		let mut values = Vec::with_capacity(base_values.len());
		for (i, base_value) in base_values.iter().enumerate() {
			let mut column: Vec<(f64, f64)> =
				deltas.iter().map(|(d, w)| (d[offset + i], *w)).collect();
			column.sort_by(|x, y| x.0.total_cmp(&y.0));
			let kept = &column[trim..column.len() - trim];
			let total: f64 = kept.iter().map(|(_, w)| w).sum();
			let mean = if total > 0.0 {
				kept.iter().map(|(d, w)| d * w).sum::<f64>() / total
			} else {
				kept.iter().map(|(d, _)| d).sum::<f64>() / kept.len() as f64
			};
			values.push((base_value + mean) as f32);
		}
		offset += base_values.len();
		result.push(Tensor::new(b.name.clone(), b.shape.clone(), Values::F32(values))?);
	}
	Ok(result)
}
