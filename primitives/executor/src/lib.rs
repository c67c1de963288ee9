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
use tract_onnx::prelude::multithread;

pub use error::{ExecutorError, Result};
pub use inspect::{Dim, ModelSummary, TensorSpec};
pub use limits::Limits;
pub use tensor::{Tensor, Values};

/// blake2-256 of `bytes`: how models and blobs are addressed on-chain.
pub fn content_hash(bytes: &[u8]) -> [u8; 32] {
	Blake2b::<U32>::digest(bytes).into()
}

/// [`content_hash`] of bytes that arrive in pieces (a download streamed to disk): the same
/// hash whatever the split.
#[derive(Clone, Default)]
pub struct ContentHasher(Blake2b<U32>);

impl ContentHasher {
	/// Hashes the next piece.
	pub fn update(&mut self, piece: &[u8]) {
		Digest::update(&mut self.0, piece);
	}

	/// The hash of every piece so far, in order.
	pub fn finish(self) -> [u8; 32] {
		self.0.finalize().into()
	}
}

/// Which CPU kernels tract may use. Applied once per process by [`select_kernels`], before
/// the first model is built. Every set gives the same digests at the default precision
/// (`tests/kernels.rs`); the raw output bits differ between sets (docs/executor.md).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kernels {
	/// The set measured fastest for this CPU family ([`Kernels::native_choice`]).
	Native,
	/// Every instruction set the CPU has, AVX-512 included, as tract chooses on its own.
	All,
	/// AVX2 and FMA, never AVX-512 (on x86_64; elsewhere the same as `All`).
	Avx2,
	/// Portable kernels only: no AVX, FMA or F16C.
	Generic,
}

/// x86_64 features that make up AVX-512 as tract's kernels use it.
const AVX512: &str = "-avx512f,-avx512fp16,-avx512vnni";

impl Kernels {
	/// What `Native` means on this CPU: AVX2 kernels on AMD family 19h (Zen 3 and Zen 4),
	/// whose AVX-512 runs on 256-bit units and whose convolutions ran 25-35 % faster with
	/// AVX2 kernels than with the AVX-512 ones tract's cost model picks (docs/performance.md);
	/// everything the CPU has elsewhere (tract's cost models were fitted on Zen 5 and on
	/// Intel). Decided from the CPU itself, never from the environment.
	pub fn native_choice() -> Kernels {
		match cpu_family() {
			Some(CpuFamily { amd: true, family: 0x19 }) => Kernels::Avx2,
			_ => Kernels::All,
		}
	}

	/// The instruction-set edit this set makes to what tract detects (`TRACT_CPU_ISA`).
	fn isa_edit(self) -> String {
		match self {
			Kernels::Native => Kernels::native_choice().isa_edit(),
			Kernels::All => String::new(),
			Kernels::Avx2 if cfg!(target_arch = "x86_64") => AVX512.to_string(),
			Kernels::Avx2 => String::new(),
			Kernels::Generic if cfg!(target_arch = "x86_64") => {
				format!("-avx,-avx2,-fma,-f16c,-avxvnni,{AVX512}")
			},
			// Elsewhere tract's SIMD kernels are the baseline of the architecture.
			Kernels::Generic => String::new(),
		}
	}

	/// How the set is named on command lines and in logs.
	pub fn name(self) -> &'static str {
		match self {
			Kernels::Native => "native",
			Kernels::All => "all",
			Kernels::Avx2 => "avx2",
			Kernels::Generic => "generic",
		}
	}

	/// The set named `name` (see [`Kernels::name`]).
	pub fn from_name(name: &str) -> Option<Kernels> {
		[Kernels::Native, Kernels::All, Kernels::Avx2, Kernels::Generic]
			.into_iter()
			.find(|k| k.name() == name)
	}
}

/// Vendor and family of the CPU, from `cpuid`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct CpuFamily {
	amd: bool,
	/// Base family plus extended family, as AMD and Intel number them (19h is Zen 3/4).
	family: u32,
}

#[cfg(target_arch = "x86_64")]
fn cpu_family() -> Option<CpuFamily> {
	// SAFETY: `cpuid` leaves 0 and 1 exist on every x86_64 CPU.
	#[allow(unused_unsafe)]
	let (vendor, signature) =
		unsafe { (core::arch::x86_64::__cpuid(0), core::arch::x86_64::__cpuid(1)) };
	let amd = [vendor.ebx, vendor.edx, vendor.ecx] == [0x6874_7541, 0x6974_6e65, 0x444d_4163];
	let base = (signature.eax >> 8) & 0xf;
	let family = if base == 0xf { base + ((signature.eax >> 20) & 0xff) } else { base };
	Some(CpuFamily { amd, family })
}

#[cfg(not(target_arch = "x86_64"))]
fn cpu_family() -> Option<CpuFamily> {
	None
}

/// Fixes every setting tract reads to choose its kernels and rewrites, so that nothing but
/// `kernels` and the CPU decides them: each knob with a value is pinned to its compiled-in
/// default (a programmatic setting wins over the environment), then Mosaic's own choices are
/// applied. The first call in a process decides (an [`Executor`] makes it with
/// [`Kernels::Native`] if nothing did before); returns the set in force. The sandbox child
/// also starts with an empty environment, for the variables tract reads outside its knobs
/// (`TRACT_X86_KIND`).
pub fn select_kernels(kernels: Kernels) -> Kernels {
	static SELECTED: std::sync::OnceLock<Kernels> = std::sync::OnceLock::new();
	*SELECTED.get_or_init(|| {
		apply_kernels(kernels);
		kernels
	})
}

fn apply_kernels(kernels: Kernels) {
	use tract_onnx::tract_core::knobs;
	for knob in knobs::all() {
		let default = (knob.default)();
		// Unset optional knobs cannot be pinned to "unset"; Mosaic sets the one it needs.
		if default != "(unset)" {
			knobs::set_str(knob.name, &default);
		}
	}
	for (name, value) in TRACT_SETTINGS {
		let known = knobs::set_str(name, value);
		debug_assert!(known, "tract has no knob {name}");
	}
	tract_onnx::prelude::tract_linalg::knobs::TRACT_CPU_ISA.set(Some(kernels.isa_edit()));
}

/// Knob values Mosaic sets, each measured on `big_cnn` (docs/performance.md):
/// - tract lowers f32 NCHW 3×3 convolutions with output width ≥ 128 to a direct spatial
///   convolution whose only x86 kernel runs scalar tails and borders at W = 128, pad 1: off,
///   the same convolutions take im2col and a matrix product, 2.2-2.5× faster;
/// - the lossy bf16 AMX kernel (operands truncated to bf16) stays off whatever tract's
///   default becomes.
const TRACT_SETTINGS: &[(&str, &str)] =
	&[("TRACT_DISABLE_DIRECT_SPATIAL", "true"), ("TRACT_AMX_BF16", "false")];

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
	/// Size of the model's bytes.
	bytes: usize,
}

/// Runs models under [`Limits`], caching inspected models and optimised plans.
pub struct Executor {
	limits: Limits,
	/// tract's matrix products and element-wise kernels run on this pool when it has more
	/// than one thread.
	threads: Option<multithread::Executor>,
	models: Mutex<cache::LruCache<Arc<CachedModel>>>,
	plans: Mutex<cache::LruCache<Arc<engine::Plan>>>,
}

/// Most threads one run may use: what a worker's share of a small validator allows.
pub const MAX_THREADS: usize = 2;

impl Executor {
	/// A one-thread executor whose caches hold at most `cache_bytes` of plans (and as much
	/// again of parsed models).
	pub fn new(limits: Limits, cache_bytes: usize) -> Self {
		select_kernels(Kernels::Native);
		Executor {
			limits,
			threads: None,
			models: Mutex::new(cache::LruCache::new(cache_bytes)),
			plans: Mutex::new(cache::LruCache::new(cache_bytes)),
		}
	}

	/// Runs on `threads` threads (1 to [`MAX_THREADS`]). tract splits its work by whole
	/// output tiles and rows, never inside a sum, so the outputs are the same bits whatever
	/// the count (`tests/threads.rs`).
	pub fn with_threads(mut self, threads: usize) -> Self {
		let threads = threads.clamp(1, MAX_THREADS);
		// `multithread(1)` is no single thread: it falls through to rayon's global pool.
		self.threads = (threads > 1).then(|| multithread::Executor::multithread(threads));
		self
	}

	/// Threads a run uses.
	pub fn threads(&self) -> usize {
		match &self.threads {
			Some(multithread::Executor::MultiThread(pool)) => pool.current_num_threads(),
			_ => 1,
		}
	}

	/// The limits this executor enforces.
	pub fn limits(&self) -> &Limits {
		&self.limits
	}

	/// Whether a model is acceptable, and what it takes and returns.
	pub fn check(&self, model: &[u8]) -> Result<ModelSummary> {
		self.model(&content_hash(model), model).map(|m| m.summary.clone())
	}

	/// Runs a model on named inputs and digests the outputs at `precision` decimal digits.
	pub fn run(&self, model: &[u8], inputs: &[Tensor], precision: u8) -> Result<RunOutput> {
		digest_outputs(self.run_raw(model, inputs)?, precision)
	}

	/// Runs a model on named inputs; the outputs as they come, in the graph's order.
	pub fn run_raw(&self, model: &[u8], inputs: &[Tensor]) -> Result<Vec<Tensor>> {
		self.run_hashed(&content_hash(model), model, inputs)
	}

	/// [`Executor::run_raw`] for a caller that knows the model's [`content_hash`] (a node
	/// reads blobs by their checked hash; a training run hashes its step graph once, not
	/// once per step). A wrong hash would let one model's plan run another's inputs: only
	/// ever pass the hash `model` was checked against.
	pub fn run_hashed(
		&self,
		hash: &[u8; 32],
		model: &[u8],
		inputs: &[Tensor],
	) -> Result<Vec<Tensor>> {
		let cached = self.model(hash, model)?;
		let ordered = engine::order_inputs(&cached.summary, inputs)?;
		let plan = self.plan(hash, cached.bytes, &cached, &ordered)?;
		contain(|| match &self.threads {
			Some(pool) => multithread::multithread_tract_scope(pool.clone(), || plan.run(&ordered)),
			None => plan.run(&ordered),
		})
	}

	/// Whether the model whose content hash is `hash` is cached: [`Executor::run_hashed`] and
	/// [`Executor::summary_hashed`] then need only its hash (its bytes may be empty).
	pub fn holds_model(&self, hash: &[u8; 32]) -> bool {
		lock(&self.models).contains(hash)
	}

	/// The summary of `model`, whose content hash is `hash` (checked by the caller), from the
	/// cache when it is there.
	pub fn summary_hashed(&self, hash: &[u8; 32], model: &[u8]) -> Result<ModelSummary> {
		self.model(hash, model).map(|m| m.summary.clone())
	}

	fn model(&self, hash: &[u8; 32], bytes: &[u8]) -> Result<Arc<CachedModel>> {
		if let Some(hit) = lock(&self.models).get(hash) {
			return Ok(hit);
		}
		let (proto, summary) = contain(|| inspect::inspect(bytes, &self.limits))?;
		let cached = Arc::new(CachedModel { proto, summary, bytes: bytes.len() });
		lock(&self.models).insert(*hash, cached.clone(), bytes.len());
		Ok(cached)
	}

	fn plan(
		&self,
		hash: &[u8; 32],
		model_bytes: usize,
		model: &CachedModel,
		inputs: &[&Tensor],
	) -> Result<Arc<engine::Plan>> {
		let key = plan_key(hash, inputs);
		if let Some(hit) = lock(&self.plans).get(&key) {
			return Ok(hit);
		}
		let plan = Arc::new(contain(|| {
			engine::build_plan(&model.proto, &model.summary, inputs, &self.limits)
		})?);
		let cost = (plan.memory_bytes as usize).saturating_add(model_bytes);
		lock(&self.plans).insert(key, plan.clone(), cost);
		Ok(plan)
	}
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
	// A panic while holding the lock leaves the cache consistent (every update is one call).
	mutex.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// A plan depends on the model and on the input shapes and types it was specialised to.
fn plan_key(model_hash: &[u8; 32], inputs: &[&Tensor]) -> [u8; 32] {
	let mut key = model_hash.to_vec();
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

#[cfg(test)]
mod tests {
	use super::*;

	#[test]
	fn content_hasher_gives_content_hash_over_any_split() {
		let bytes: Vec<u8> = (0..10_000u32).map(|i| (i * 7 + i / 13) as u8).collect();
		for piece in [1, 7, 64, 4096, 9_999, 10_000, 20_000] {
			let mut hasher = ContentHasher::default();
			bytes.chunks(piece).for_each(|p| hasher.update(p));
			assert_eq!(hasher.finish(), content_hash(&bytes), "pieces of {piece}");
		}
		assert_eq!(ContentHasher::default().finish(), content_hash(&[]));
	}
}
