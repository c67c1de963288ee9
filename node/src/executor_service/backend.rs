//! What runs one request to the end: the sandbox ([`SandboxBackend`]) and, for tests of
//! misbehaviour only, [`Dishonest`] around it.

use std::sync::Arc;

use codec::Decode;
use mosaic_executor::{
	formats::{self, Format},
	sandbox::{Sandbox, SandboxConfig},
	training::{RoundUpdate, TrainSpec},
	ExecutorError, Kernels, Limits, RunOutput, Tensor,
};
use mosaic_primitives::{
	digest::canonical_digest,
	onnx::{InputFormat, InputSource, RunRequest, RunTask},
	rounds::{AggregationManifest, MAX_MANIFEST_UPDATES, MAX_MANIFEST_UPDATE_BYTES},
};

use super::{hex, BlobSource};

/// Address space of the sandbox child.
const SANDBOX_MEMORY_LIMIT: u64 = 4 << 30;

/// A sandbox that runs `mosaic-node onnx serve` (this very binary).
pub fn node_sandbox(limits: Limits, kernels: Kernels) -> std::io::Result<Sandbox> {
	Ok(Sandbox::new(SandboxConfig {
		program: std::env::current_exe()?,
		args: vec!["onnx".into(), "serve".into()],
		memory_limit_bytes: SANDBOX_MEMORY_LIMIT,
		limits,
		kernels,
	}))
}

/// Runs requests for the executor service's queue thread, one at a time.
pub trait RunBackend: Send + 'static {
	/// Runs `request` to the end.
	fn run(&self, request: &RunRequest) -> Result<RunOutput, ExecutorError>;
}

/// Runs requests in a sandbox child, with their blobs read by hash.
pub struct SandboxBackend {
	sandbox: Sandbox,
	blobs: Arc<dyn BlobSource>,
}

impl SandboxBackend {
	/// Runs in `sandbox`, reading blobs from `blobs`.
	pub fn new(sandbox: Sandbox, blobs: Arc<dyn BlobSource>) -> Self {
		SandboxBackend { sandbox, blobs }
	}

	/// A blob the run needs beyond its model: missing, it is the input's fault.
	fn input_blob(&self, hash: &[u8; 32], what: &str) -> Result<Vec<u8>, ExecutorError> {
		self.blobs
			.blob(hash)
			.ok_or_else(|| ExecutorError::MalformedInput(missing(what, hash)))
	}

	/// Runs an aggregation job: the manifest and the base must be here and decode; an update
	/// whose blob is missing or malformed goes in empty, to be rejected by the check. A
	/// manifest of more than [`MAX_MANIFEST_UPDATES`] updates, or whose update blobs add up to
	/// more than [`MAX_MANIFEST_UPDATE_BYTES`], is refused before any update is decoded.
	fn aggregate(
		&self,
		step: &[u8],
		validation: &[Tensor],
		base: &[u8; 32],
		manifest: &[u8; 32],
		precision: u8,
	) -> Result<RunOutput, ExecutorError> {
		let manifest =
			AggregationManifest::decode(&mut &self.input_blob(manifest, "manifest")?[..])
				.map_err(|e| ExecutorError::MalformedInput(format!("manifest: {e}")))?;
		if manifest.updates.len() > MAX_MANIFEST_UPDATES as usize {
			return Err(ExecutorError::MalformedInput(format!(
				"manifest: {} updates, at most {MAX_MANIFEST_UPDATES}",
				manifest.updates.len()
			)));
		}
		let base = formats::decode(Format::Scale, &self.input_blob(base, "base parameter")?, "")?;
		let mut updates = Vec::with_capacity(manifest.updates.len());
		let mut loaded = 0u64;
		for entry in &manifest.updates {
			let bytes = self.blobs.blob(&entry.parameters);
			loaded += bytes.as_ref().map_or(0, |bytes| bytes.len() as u64);
			if loaded > MAX_MANIFEST_UPDATE_BYTES {
				return Err(ExecutorError::MalformedInput(format!(
					"manifest: more than {MAX_MANIFEST_UPDATE_BYTES} bytes of updates"
				)));
			}
			updates.push(RoundUpdate {
				parameters: bytes
					.and_then(|bytes| formats::decode(Format::Scale, &bytes, "").ok())
					.unwrap_or_default(),
				weight: entry.weight,
				checked: entry.checked,
			});
		}
		let clip = manifest.clip_milli as f64 / 1000.0;
		self.sandbox.aggregate_round(
			step,
			&base,
			validation,
			&updates,
			clip,
			manifest.trim as u32,
			precision,
		)
	}
}

impl RunBackend for SandboxBackend {
	fn run(&self, request: &RunRequest) -> Result<RunOutput, ExecutorError> {
		let model = self
			.blobs
			.blob(&request.model)
			.ok_or_else(|| ExecutorError::MalformedModel(missing("model", &request.model)))?;
		let input = match &request.input {
			InputSource::Inline(bytes) => bytes.clone(),
			InputSource::Blob(hash) => self.input_blob(hash, "input")?,
		};
		let inputs = decode_input(&self.sandbox, &model, request.format, &input)?;
		match request.task {
			RunTask::Infer => self.sandbox.run(&model, &inputs, request.precision),
			RunTask::Train { parameters, epochs, batch_size } => {
				let bytes = self.input_blob(&parameters, "parameter")?;
				let parameters = formats::decode(Format::Scale, &bytes, "")?;
				self.sandbox.train(
					&model,
					&parameters,
					&inputs,
					TrainSpec { epochs, batch_size },
					request.precision,
				)
			},
			RunTask::Aggregate { parameters, manifest } => {
				self.aggregate(&model, &inputs, &parameters, &manifest, request.precision)
			},
		}
	}
}

fn missing(what: &str, hash: &[u8; 32]) -> String {
	format!("{what} blob 0x{} is not on this node", hex(hash))
}

/// TEST ONLY (`--test-only-dishonest-worker`): the inner backend's results with every
/// quantised value one step off and a digest that matches them, so a quorum must outvote it.
pub struct Dishonest<B>(pub B);

impl<B: RunBackend> RunBackend for Dishonest<B> {
	fn run(&self, request: &RunRequest) -> Result<RunOutput, ExecutorError> {
		let mut output = self.0.run(request)?;
		for tensor in &mut output.quantized {
			for value in &mut tensor.values {
				*value = value.wrapping_add(1);
			}
		}
		output.digest = canonical_digest(&output.quantized, request.precision)
			.map_err(ExecutorError::Digest)?;
		Ok(output)
	}
}

/// Decodes an input; an unnamed `.npy` tensor is the model's first input.
pub fn decode_input(
	sandbox: &Sandbox,
	model: &[u8],
	format: InputFormat,
	bytes: &[u8],
) -> Result<Vec<Tensor>, ExecutorError> {
	let (format, default_name) = match format {
		InputFormat::TensorProto => (Format::Pb, String::new()),
		InputFormat::Json => (Format::Json, String::new()),
		InputFormat::Npy => (Format::Npy, first_input_name(sandbox, model)?),
		InputFormat::Scale => (Format::Scale, String::new()),
	};
	formats::decode(format, bytes, &default_name)
}

/// The name of the model's first input: what an unnamed `.npy` tensor feeds.
pub fn first_input_name(sandbox: &Sandbox, model: &[u8]) -> Result<String, ExecutorError> {
	sandbox
		.check(model)?
		.inputs
		.first()
		.map(|input| input.name.clone())
		.ok_or_else(|| ExecutorError::InputMismatch("the model takes no inputs".into()))
}
