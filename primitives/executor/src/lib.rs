//! Mosaic's ONNX executor: loads a model from bytes with tract, checks it against hard
//! limits, optimises it once per content hash and input shapes, runs it single-threaded,
//! and hashes its outputs canonically.
//!
//! No Substrate dependency: the node wraps this crate for off-chain workers and the CLI.
//! A hostile model gets a typed [`ExecutorError`]: inspection stops most before tract sees
//! them, panics inside tract are contained, and [`sandbox`] runs models in a child process
//! with a memory limit and a wall-time budget for what only the operating system can stop.

pub mod cache;
pub mod confine;
pub mod engine;
pub mod error;
pub mod formats;
pub mod inspect;
pub mod limits;
pub mod sandbox;
pub mod tensor;
pub mod training;

use std::{
	panic::{catch_unwind, AssertUnwindSafe},
	sync::{Arc, Mutex},
};

use blake2::{digest::consts::U32, Blake2b, Digest};
use mosaic_primitives::digest::{canonical_digest, quantize, ElementType, QuantizedTensor};

pub use error::{ExecutorError, Result};
pub use inspect::{Dim, ModelSummary, TensorSpec};
pub use limits::Limits;
pub use tensor::{Tensor, Values};

/// blake2-256 of `bytes`: how models and blobs are addressed on-chain.
pub fn content_hash(bytes: &[u8]) -> [u8; 32] {
	Blake2b::<U32>::digest(bytes).into()
}

/// Which CPU kernels tract may use. Read once per process, before the first model loads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kernels {
	/// The best the CPU offers (AVX2/FMA/AVX-512 where present).
	Native,
	/// Portable kernels only: no AVX, FMA or F16C.
	Generic,
}

/// Restricts tract to `kernels`. Must be called before any model is built in this process;
/// later calls have no effect on kernels already chosen.
pub fn select_kernels(kernels: Kernels) {
	#[cfg(target_arch = "x86_64")]
	{
		let isa = match kernels {
			Kernels::Native => None,
			Kernels::Generic => {
				Some("-avx,-avx2,-fma,-f16c,-avx512f,-avx512fp16,-avx512vnni,-avxvnni".to_string())
			},
		};
		tract_onnx::prelude::tract_linalg::knobs::TRACT_CPU_ISA.set(isa);
	}
	#[cfg(not(target_arch = "x86_64"))]
	let _ = kernels;
}

/// Outputs of a run and their canonical digest.
#[derive(Debug, Clone, PartialEq)]
pub struct RunOutput {
	/// Raw outputs, in the graph's order.
	pub outputs: Vec<Tensor>,
	/// Outputs quantised to `precision`, as workers reveal them.
	pub quantized: Vec<QuantizedTensor>,
	/// Canonical digest of `quantized`.
	pub digest: [u8; 32],
	/// Decimal digits kept for floating-point outputs.
	pub precision: u8,
}

struct CachedModel {
	proto: tract_onnx::pb::ModelProto,
	summary: ModelSummary,
}

/// Runs models under [`Limits`], caching inspected models and optimised plans.
pub struct Executor {
	limits: Limits,
	models: Mutex<cache::LruCache<Arc<CachedModel>>>,
	plans: Mutex<cache::LruCache<Arc<engine::Plan>>>,
}

impl Executor {
	/// An executor whose caches hold at most `cache_bytes` of plans (and as much again of
	/// parsed models).
	pub fn new(limits: Limits, cache_bytes: usize) -> Self {
		Executor {
			limits,
			models: Mutex::new(cache::LruCache::new(cache_bytes)),
			plans: Mutex::new(cache::LruCache::new(cache_bytes)),
		}
	}

	/// The limits this executor enforces.
	pub fn limits(&self) -> &Limits {
		&self.limits
	}

	/// Whether a model is acceptable, and what it takes and returns.
	pub fn check(&self, model: &[u8]) -> Result<ModelSummary> {
		self.model(model).map(|m| m.summary.clone())
	}

	/// Runs a model on named inputs and digests the outputs at `precision` decimal digits.
	pub fn run(&self, model: &[u8], inputs: &[Tensor], precision: u8) -> Result<RunOutput> {
		digest_outputs(self.run_raw(model, inputs)?, precision)
	}

	/// Runs a model on named inputs; the outputs as they come, in the graph's order.
	pub fn run_raw(&self, model: &[u8], inputs: &[Tensor]) -> Result<Vec<Tensor>> {
		let cached = self.model(model)?;
		let ordered = engine::order_inputs(&cached.summary, inputs)?;
		let plan = self.plan(model, &cached, &ordered)?;
		contain(|| plan.run(&ordered))
	}

	fn model(&self, bytes: &[u8]) -> Result<Arc<CachedModel>> {
		let key = content_hash(bytes);
		if let Some(hit) = lock(&self.models).get(&key) {
			return Ok(hit);
		}
		let (proto, summary) = contain(|| inspect::inspect(bytes, &self.limits))?;
		let cached = Arc::new(CachedModel { proto, summary });
		lock(&self.models).insert(key, cached.clone(), bytes.len());
		Ok(cached)
	}

	fn plan(
		&self,
		bytes: &[u8],
		model: &CachedModel,
		inputs: &[&Tensor],
	) -> Result<Arc<engine::Plan>> {
		let key = plan_key(bytes, inputs);
		if let Some(hit) = lock(&self.plans).get(&key) {
			return Ok(hit);
		}
		let plan = Arc::new(contain(|| {
			engine::build_plan(&model.proto, &model.summary, inputs, &self.limits)
		})?);
		let cost = (plan.memory_bytes as usize).saturating_add(bytes.len());
		lock(&self.plans).insert(key, plan.clone(), cost);
		Ok(plan)
	}
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
	// A panic while holding the lock leaves the cache consistent (every update is one call).
	mutex.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// A plan depends on the model and on the input shapes and types it was specialised to.
fn plan_key(model: &[u8], inputs: &[&Tensor]) -> [u8; 32] {
	let mut key = content_hash(model).to_vec();
	for input in inputs {
		key.extend_from_slice(input.name.as_bytes());
		key.push(0);
		key.push(input.element_type() as u8);
		for d in &input.shape {
			key.extend_from_slice(&(*d as u64).to_le_bytes());
		}
		if engine::is_baked(input) {
			match &input.values {
				Values::I64(v) => v.iter().for_each(|x| key.extend_from_slice(&x.to_le_bytes())),
				Values::I32(v) => v.iter().for_each(|x| key.extend_from_slice(&x.to_le_bytes())),
				_ => {},
			}
		}
		key.push(0xff);
	}
	content_hash(&key)
}

/// Runs `f`, turning a panic inside tract into [`ExecutorError::EnginePanic`].
fn contain<T>(f: impl FnOnce() -> Result<T>) -> Result<T> {
	catch_unwind(AssertUnwindSafe(f)).unwrap_or_else(|payload| {
		let message = payload
			.downcast_ref::<&str>()
			.map(|s| s.to_string())
			.or_else(|| payload.downcast_ref::<String>().cloned())
			.unwrap_or_else(|| "unknown panic".into());
		Err(ExecutorError::EnginePanic(message))
	})
}

/// Quantises outputs at `precision` and computes their canonical digest. NaN and infinite
/// outputs are an error: no two engines agree on them, and they are never a useful result.
pub fn digest_outputs(outputs: Vec<Tensor>, precision: u8) -> Result<RunOutput> {
	let quantized = outputs
		.iter()
		.map(|t| quantize_tensor(t, precision))
		.collect::<Result<Vec<_>>>()?;
	let digest = canonical_digest(&quantized, precision)?;
	Ok(RunOutput { outputs, quantized, digest, precision })
}

fn quantize_tensor(t: &Tensor, precision: u8) -> Result<QuantizedTensor> {
	let floats = |values: &mut dyn Iterator<Item = f64>| -> Result<Vec<i64>> {
		values
			.map(|x| {
				if !x.is_finite() {
					return Err(ExecutorError::NonFiniteOutput { name: t.name.clone() });
				}
				Ok(quantize(x, precision)?)
			})
			.collect()
	};
	let values = match &t.values {
		Values::F32(v) => floats(&mut v.iter().map(|x| *x as f64))?,
		Values::F64(v) => floats(&mut v.iter().copied())?,
		Values::I8(v) => v.iter().map(|x| *x as i64).collect(),
		Values::I32(v) => v.iter().map(|x| *x as i64).collect(),
		Values::I64(v) => v.clone(),
		Values::U8(v) => v.iter().map(|x| *x as i64).collect(),
		Values::Bool(v) => v.iter().map(|x| *x as i64).collect(),
	};
	Ok(QuantizedTensor {
		name: t.name.as_bytes().to_vec(),
		element_type: match t.element_type() {
			ElementType::F16 => ElementType::F32,
			other => other,
		},
		shape: t.shape.iter().map(|d| *d as u64).collect(),
		values,
	})
}
