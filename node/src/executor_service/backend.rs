//! What runs one request to the end: the sandbox ([`SandboxBackend`]) and, for tests of
//! misbehaviour only, [`Dishonest`] around it.

use std::{collections::BTreeMap, sync::Arc};

use mosaic_executor::{
	sandbox::{JobTask, Sandbox, SandboxConfig},
	ExecutorError, Kernels, Limits, RunOutput,
};
use mosaic_primitives::{
	digest::canonical_digest,
	onnx::{InputFormat, InputSource, RunRequest, RunTask},
	rounds::MAX_MANIFEST_UPDATE_BYTES,
};

use super::{hex, BlobSource};

/// Address space of the sandbox child.
const SANDBOX_MEMORY_LIMIT: u64 = 4 << 30;

/// A sandbox that runs `mosaic-node onnx serve` (this very binary).
pub fn node_sandbox(limits: Limits, kernels: Kernels, threads: usize) -> std::io::Result<Sandbox> {
	Ok(Sandbox::new(SandboxConfig {
		program: std::env::current_exe()?,
		args: vec!["onnx".into(), "serve".into()],
		memory_limit_bytes: SANDBOX_MEMORY_LIMIT,
		limits,
		kernels,
		threads,
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

	/// A blob the run needs. The chain holds every blob a job names, so one missing here is
	/// this node's lack (never indexed, as after warp sync), not the job's fault: the
	/// worker abstains rather than give a verdict the nodes that have it would contradict.
	fn blob(&self, hash: &[u8; 32], what: &str) -> Result<Vec<u8>, ExecutorError> {
		self.blobs.blob(hash).ok_or_else(|| {
			ExecutorError::BlobUnavailable(format!(
				"{what} blob 0x{} is not on this node",
				hex(hash)
			))
		})
	}

	/// Runs an aggregation job: the manifest and the base must be here; the child decodes
	/// the manifest (refusing more than
	/// [`MAX_MANIFEST_UPDATES`](mosaic_primitives::rounds::MAX_MANIFEST_UPDATES) updates) and every update
	/// (a malformed one is rejected by the check; one this node lacks makes it abstain). Update blobs
	/// adding up to more than [`MAX_MANIFEST_UPDATE_BYTES`] are refused as they are read; a
	/// blob named several times is read once.
	fn aggregate(
		&self,
		(step, step_hash): (&[u8], &[u8; 32]),
		format: InputFormat,
		validation: &[u8],
		base: &[u8; 32],
		manifest: &[u8; 32],
		precision: u8,
	) -> Result<RunOutput, ExecutorError> {
		let manifest = self.blob(manifest, "manifest")?;
		let hashes = self.sandbox.manifest_updates(&manifest)?;
		let base = self.blob(base, "base parameter")?;
		let mut read: BTreeMap<[u8; 32], Vec<u8>> = BTreeMap::new();
		let mut loaded = 0u64;
		for hash in &hashes {
			if !read.contains_key(hash) {
				read.insert(*hash, self.blob(hash, "update")?);
			}
			loaded += read[hash].len() as u64;
			if loaded > MAX_MANIFEST_UPDATE_BYTES {
				return Err(ExecutorError::MalformedInput(format!(
					"manifest: more than {MAX_MANIFEST_UPDATE_BYTES} bytes of updates"
				)));
			}
		}
		let updates: Vec<&[u8]> = hashes.iter().map(|hash| read[hash].as_slice()).collect();
		let task = JobTask::Aggregate { base: &base, manifest: &manifest, updates: &updates };
		self.sandbox.job(step, step_hash, format, validation, task, precision)
	}
}

impl RunBackend for SandboxBackend {
	fn run(&self, request: &RunRequest) -> Result<RunOutput, ExecutorError> {
		let input = match &request.input {
			InputSource::Inline(bytes) => bytes.clone(),
			InputSource::Blob(hash) => self.blob(hash, "input")?,
		};
		// Nothing a requester wrote is decoded here: the child decodes, under its limits.
		let (format, precision) = (request.format, request.precision);
		let model = || self.blob(&request.model, "model");
		match request.task {
			RunTask::Infer => {
				// The model is read (and hashed) only if the child has not cached it.
				self.sandbox.infer_cached(model, &request.model, format, &input, precision)
			},
			RunTask::Train { parameters, epochs, batch_size } => {
				let model = model()?;
				let parameters = self.blob(&parameters, "parameter")?;
				let task = JobTask::Train { parameters: &parameters, epochs, batch_size };
				self.sandbox.job(&model, &request.model, format, &input, task, precision)
			},
			RunTask::Aggregate { parameters, manifest } => {
				let model = model()?;
				let model = (model.as_slice(), &request.model);
				self.aggregate(model, format, &input, &parameters, &manifest, precision)
			},
		}
	}
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
