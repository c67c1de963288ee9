//! The node's ONNX executor: what off-chain workers reach through the `mosaic_onnx` host
//! functions, and the `mosaic-node onnx` subcommand. Both run models the same way: in the
//! sandbox child (`mosaic-node onnx serve`) under the executor's limits.

use std::{
	collections::{HashMap, VecDeque},
	path::PathBuf,
	sync::{mpsc, Arc, Mutex},
};

use codec::Decode;
use mosaic_executor::{
	formats::{self, Format},
	sandbox::{Sandbox, SandboxConfig},
	training::{RoundUpdate, TrainSpec},
	ExecutorError, Kernels, Limits, RunOutput, Tensor,
};
use mosaic_onnx_host::OnnxBackend;
use mosaic_primitives::onnx::{
	InputFormat, InputSource, RunRequest, RunResult, RunStatus, RunTask, StartError, Ticket,
};
use mosaic_primitives::rounds::AggregationManifest;

/// Runs waiting or in progress on one node, at most.
const MAX_PENDING: usize = 32;
/// Finished runs kept for polling, at most; the oldest are dropped first.
const MAX_FINISHED: usize = 256;
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

/// Reads blobs by hash, checking that the bytes hash to what was asked for.
pub trait BlobSource: Send + Sync {
	/// The blob's bytes, if this node has them.
	fn blob(&self, hash: &[u8; 32]) -> Option<Vec<u8>>;
}

/// Blobs in the node's off-chain database, put there by off-chain indexing.
pub struct OffchainBlobs<S>(pub S);

impl<S: sp_core::offchain::OffchainStorage> BlobSource for OffchainBlobs<S> {
	fn blob(&self, hash: &[u8; 32]) -> Option<Vec<u8>> {
		let bytes = self
			.0
			.get(sp_core::offchain::STORAGE_PREFIX, &mosaic_primitives::blob::offchain_key(hash))?;
		(mosaic_executor::content_hash(&bytes) == *hash).then_some(bytes)
	}
}

#[derive(Default)]
struct Runs {
	pending: usize,
	status: HashMap<Ticket, RunStatus>,
	finished_order: VecDeque<Ticket>,
}

/// The executor behind the host functions: a queue served by one thread and one sandbox,
/// matching the single-threaded execution profile.
pub struct NodeOnnx {
	runs: Arc<Mutex<Runs>>,
	queue: Mutex<mpsc::Sender<(RunRequest, std::time::Instant)>>,
}

impl NodeOnnx {
	/// Starts the worker thread.
	/// With `dishonest` (`--test-only-dishonest-worker`), every finished run's outputs are
	/// falsified: each value is off by one quantisation step.
	pub fn start(sandbox: Sandbox, blobs: Arc<dyn BlobSource>, dishonest: bool) -> Arc<Self> {
		let runs = Arc::new(Mutex::new(Runs::default()));
		let (queue, requests) = mpsc::channel::<(RunRequest, std::time::Instant)>();
		let worker_runs = runs.clone();
		std::thread::Builder::new()
			.name("mosaic-onnx".into())
			.spawn(move || {
				for (request, queued_at) in requests {
					let ticket = request.ticket;
					let started_at = std::time::Instant::now();
					let result = execute(&sandbox, blobs.as_ref(), &request);
					log::info!(
						target: "mosaic-onnx",
						"run {} done in {:.1} ms after {:.1} ms in the queue",
						hex(&ticket[..4]),
						started_at.elapsed().as_secs_f64() * 1e3,
						(started_at - queued_at).as_secs_f64() * 1e3,
					);
					let status = match result {
						Ok(output) if dishonest => falsify(output.quantized, request.precision),
						Ok(output) => RunStatus::Done(RunResult {
							digest: output.digest,
							outputs: output.quantized,
						}),
						Err(e) => {
							log::info!(target: "mosaic-onnx", "run {} failed: {e}", hex(&ticket));
							RunStatus::Failed {
								code: e.code(),
								model_fault: e.is_model_fault(),
								message: e.to_string().into_bytes(),
							}
						},
					};
					let mut runs = lock(&worker_runs);
					runs.pending -= 1;
					runs.status.insert(ticket, status);
					runs.finished_order.push_back(ticket);
					while runs.finished_order.len() > MAX_FINISHED {
						if let Some(old) = runs.finished_order.pop_front() {
							runs.status.remove(&old);
						}
					}
				}
			})
			.expect("spawning a thread at start-up");
		Arc::new(NodeOnnx { runs, queue: Mutex::new(queue) })
	}
}

impl NodeOnnx {
	/// Runs waiting for or in the executor.
	pub fn pending(&self) -> usize {
		lock(&self.runs).pending
	}
}

/// A dishonest worker's result: every value one step off, with a matching digest.
fn falsify(
	mut outputs: Vec<mosaic_primitives::digest::QuantizedTensor>,
	precision: u8,
) -> RunStatus {
	for output in &mut outputs {
		for value in &mut output.values {
			*value = value.wrapping_add(1);
		}
	}
	match mosaic_primitives::digest::canonical_digest(&outputs, precision) {
		Ok(digest) => RunStatus::Done(RunResult { digest, outputs }),
		Err(_) => RunStatus::Failed { code: 0, model_fault: false, message: b"falsify".to_vec() },
	}
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
	m.lock().unwrap_or_else(|p| p.into_inner())
}

fn hex(bytes: &[u8]) -> String {
	bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn execute(
	sandbox: &Sandbox,
	blobs: &dyn BlobSource,
	request: &RunRequest,
) -> Result<RunOutput, ExecutorError> {
	let model = blobs.blob(&request.model).ok_or_else(|| {
		ExecutorError::MalformedModel(format!(
			"model blob 0x{} is not on this node",
			hex(&request.model)
		))
	})?;
	let input = match &request.input {
		InputSource::Inline(bytes) => bytes.clone(),
		InputSource::Blob(hash) => blobs.blob(hash).ok_or_else(|| {
			ExecutorError::MalformedInput(format!("input blob 0x{} is not on this node", hex(hash)))
		})?,
	};
	let inputs = decode_input(sandbox, &model, request.format, &input)?;
	match request.task {
		RunTask::Infer => sandbox.run(&model, &inputs, request.precision),
		RunTask::Train { parameters, epochs, batch_size } => {
			let bytes = blobs.blob(&parameters).ok_or_else(|| {
				ExecutorError::MalformedInput(format!(
					"parameter blob 0x{} is not on this node",
					hex(&parameters)
				))
			})?;
			let parameters = formats::decode(Format::Scale, &bytes, "")?;
			sandbox.train(
				&model,
				&parameters,
				&inputs,
				TrainSpec { epochs, batch_size },
				request.precision,
			)
		},
		RunTask::Aggregate { parameters, manifest } => {
			aggregate(sandbox, blobs, &model, &inputs, &parameters, &manifest, request.precision)
		},
	}
}

/// Runs an aggregation job: the manifest and the base must be here and decode; an update
/// whose blob is missing or malformed goes in empty, to be rejected by the check.
fn aggregate(
	sandbox: &Sandbox,
	blobs: &dyn BlobSource,
	step: &[u8],
	validation: &[Tensor],
	base: &[u8; 32],
	manifest: &[u8; 32],
	precision: u8,
) -> Result<RunOutput, ExecutorError> {
	let blob = |hash: &[u8; 32], what: &str| {
		blobs.blob(hash).ok_or_else(|| {
			ExecutorError::MalformedInput(format!(
				"{what} blob 0x{} is not on this node",
				hex(hash)
			))
		})
	};
	let manifest = AggregationManifest::decode(&mut &blob(manifest, "manifest")?[..])
		.map_err(|e| ExecutorError::MalformedInput(format!("manifest: {e}")))?;
	let base = formats::decode(Format::Scale, &blob(base, "base parameter")?, "")?;
	let updates: Vec<RoundUpdate> = manifest
		.updates
		.iter()
		.map(|entry| RoundUpdate {
			parameters: blobs
				.blob(&entry.parameters)
				.and_then(|bytes| formats::decode(Format::Scale, &bytes, "").ok())
				.unwrap_or_default(),
			weight: entry.weight,
			checked: entry.checked,
		})
		.collect();
	let clip = manifest.clip_milli as f64 / 1000.0;
	sandbox.aggregate_round(
		step,
		&base,
		validation,
		&updates,
		clip,
		manifest.trim as u32,
		precision,
	)
}

/// Decodes an input; an unnamed `.npy` tensor is the model's first input.
fn decode_input(
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
fn first_input_name(sandbox: &Sandbox, model: &[u8]) -> Result<String, ExecutorError> {
	sandbox
		.check(model)?
		.inputs
		.first()
		.map(|input| input.name.clone())
		.ok_or_else(|| ExecutorError::InputMismatch("the model takes no inputs".into()))
}

impl OnnxBackend for NodeOnnx {
	fn start(&self, request: RunRequest) -> Result<(), StartError> {
		let mut runs = lock(&self.runs);
		if runs.status.contains_key(&request.ticket) {
			return Err(StartError::DuplicateTicket);
		}
		if runs.pending >= MAX_PENDING {
			return Err(StartError::Busy);
		}
		let ticket = request.ticket;
		lock(&self.queue)
			.send((request, std::time::Instant::now()))
			.map_err(|_| StartError::Unavailable)?;
		runs.pending += 1;
		runs.status.insert(ticket, RunStatus::Pending);
		Ok(())
	}

	fn poll(&self, ticket: Ticket) -> RunStatus {
		let mut runs = lock(&self.runs);
		match runs.status.get(&ticket) {
			None => RunStatus::Unknown,
			Some(RunStatus::Pending) => RunStatus::Pending,
			Some(_) => {
				runs.finished_order.retain(|t| *t != ticket);
				runs.status.remove(&ticket).unwrap_or(RunStatus::Unknown)
			},
		}
	}
}

/// `mosaic-node onnx ...`: run or check a model from files, with the worker's code path.
#[derive(Debug, clap::Subcommand)]
pub enum OnnxCmd {
	/// Run a model on inputs and print its outputs and canonical digest.
	Run(RunCmd),
	/// Say whether a model is acceptable under the executor's limits, and why not.
	Check(CheckCmd),
	/// Train locally with a training-step graph, exactly as a training job does, and write
	/// the trained parameters as the blob a job would store (e.g. a private shard's update).
	Train(TrainCmd),
	/// Measure the host-function path (runtime interface → node queue → sandbox) against
	/// the sandbox alone and the executor in process, in one run.
	BenchHost(BenchHostCmd),
	/// Internal: serve the sandbox protocol on stdin/stdout (started by the node itself).
	#[command(hide = true)]
	Serve {
		/// `--key=value` options from the parent.
		#[arg(allow_hyphen_values = true, trailing_var_arg = true)]
		options: Vec<String>,
	},
}

/// Which kernels tract may use.
#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum KernelsArg {
	/// Whatever the CPU offers (AVX2, FMA, ...).
	Native,
	/// Portable kernels only.
	Generic,
}

/// `onnx run`.
#[derive(Debug, clap::Args)]
pub struct RunCmd {
	/// The ONNX model.
	#[arg(long)]
	pub model: PathBuf,
	/// An input file: `.pb` (TensorProto), `.npy` (for the first input unless named as
	/// `name=path.npy`) or `.json`. Repeat for several inputs.
	#[arg(long = "input", required = true)]
	pub inputs: Vec<String>,
	/// Decimal digits kept for the canonical digest.
	#[arg(long, default_value_t = 4)]
	pub precision: u8,
	/// Print one JSON object: `{"outputs":[{"name","dtype","shape","data"}],"digest"}`.
	#[arg(long)]
	pub json: bool,
	/// CPU kernels.
	#[arg(long, value_enum, default_value_t = KernelsArg::Native)]
	pub kernels: KernelsArg,
}

/// `onnx train`.
#[derive(Debug, clap::Args)]
pub struct TrainCmd {
	/// The training-step graph.
	#[arg(long)]
	pub model: PathBuf,
	/// Initial parameters: a `.scale` tensor list (or `.json`), one tensor per parameter.
	#[arg(long)]
	pub params: PathBuf,
	/// The dataset: a `.scale` tensor list (or `.json`), one tensor per batch input.
	#[arg(long)]
	pub data: PathBuf,
	/// Passes over the dataset.
	#[arg(long, default_value_t = 5)]
	pub epochs: u32,
	/// Samples per step.
	#[arg(long, default_value_t = 32)]
	pub batch: u32,
	/// Decimal digits kept: the model version's precision.
	#[arg(long, default_value_t = 4)]
	pub precision: u8,
	/// Where to write the trained parameters (SCALE tensor list, as a job would store them).
	#[arg(long)]
	pub out: PathBuf,
	/// Print one JSON object: `{"loss_curve", "digest", "blob"}`.
	#[arg(long)]
	pub json: bool,
}

/// `onnx check`.
#[derive(Debug, clap::Args)]
pub struct CheckCmd {
	/// The ONNX model.
	#[arg(long)]
	pub model: PathBuf,
	/// Print the result as JSON.
	#[arg(long)]
	pub json: bool,
}

/// `onnx bench-host`.
#[derive(Debug, clap::Args)]
pub struct BenchHostCmd {
	/// The ONNX model.
	#[arg(long)]
	pub model: PathBuf,
	/// One input file (`.pb`, `.npy` for the first input, or `.json`).
	#[arg(long)]
	pub input: PathBuf,
	/// Timed runs per path (after one warm-up run).
	#[arg(long, default_value_t = 50)]
	pub iterations: usize,
	/// Print one JSON object instead of a table.
	#[arg(long)]
	pub json: bool,
}

impl OnnxCmd {
	/// Runs the subcommand. Failures print one line on stderr and exit with status 1.
	pub fn run(&self) -> sc_cli::Result<()> {
		let result = match self {
			OnnxCmd::Serve { options } => mosaic_executor::sandbox::parse_child_args(options)
				.and_then(|options| {
					mosaic_executor::sandbox::child_main(options).map_err(|e| e.to_string())
				}),
			OnnxCmd::Check(cmd) => cmd.execute(),
			OnnxCmd::Run(cmd) => cmd.execute(),
			OnnxCmd::Train(cmd) => cmd.execute(),
			OnnxCmd::BenchHost(cmd) => cmd.execute(),
		};
		if let Err(message) = result {
			eprintln!("error: {message}");
			std::process::exit(1);
		}
		Ok(())
	}
}

fn read(path: &std::path::Path) -> Result<Vec<u8>, String> {
	std::fs::read(path).map_err(|e| format!("{}: {e}", path.display()))
}

impl CheckCmd {
	fn execute(&self) -> Result<(), String> {
		let model = read(&self.model)?;
		let sandbox =
			node_sandbox(Limits::default(), Kernels::Native).map_err(|e| e.to_string())?;
		match sandbox.check(&model) {
			Ok(summary) => {
				if self.json {
					let value = serde_json::json!({
						"acceptable": true,
						"opset": summary.opset,
						"operators": summary.operators,
						"nodes": summary.node_count,
						"parameters": summary.parameter_count,
						"inputs": summary.inputs.iter().map(spec_json).collect::<Vec<_>>(),
						"outputs": summary.outputs.iter().map(spec_json).collect::<Vec<_>>(),
					});
					println!("{value}");
				} else {
					println!(
						"acceptable: opset {}, {} nodes, {} parameters",
						summary.opset, summary.node_count, summary.parameter_count
					);
					println!("operators: {}", summary.operators.join(", "));
					for spec in &summary.inputs {
						println!("input  {}", describe_spec(spec));
					}
					for spec in &summary.outputs {
						println!("output {}", describe_spec(spec));
					}
				}
				Ok(())
			},
			Err(e) => {
				if self.json {
					println!(
						"{}",
						serde_json::json!({ "acceptable": false, "code": e.code(), "reason": e.to_string() })
					);
				}
				Err(format!("model is not acceptable: {e}"))
			},
		}
	}
}

fn spec_json(spec: &mosaic_executor::TensorSpec) -> serde_json::Value {
	serde_json::json!({
		"name": spec.name,
		"dtype": mosaic_executor::tensor::element_type_name(spec.element_type),
		"shape": spec.shape.iter().map(|d| match d {
			mosaic_executor::Dim::Fixed(n) => serde_json::json!(n),
			mosaic_executor::Dim::Symbolic(s) => serde_json::json!(s),
		}).collect::<Vec<_>>(),
	})
}

fn describe_spec(spec: &mosaic_executor::TensorSpec) -> String {
	let dims: Vec<String> = spec
		.shape
		.iter()
		.map(|d| match d {
			mosaic_executor::Dim::Fixed(n) => n.to_string(),
			mosaic_executor::Dim::Symbolic(s) => s.clone(),
		})
		.collect();
	format!(
		"{} {} [{}]",
		spec.name,
		mosaic_executor::tensor::element_type_name(spec.element_type),
		dims.join(", ")
	)
}

impl TrainCmd {
	fn execute(&self) -> Result<(), String> {
		let model = read(&self.model)?;
		let tensors = |path: &std::path::Path| {
			let text = path.to_string_lossy();
			let format = Format::from_path(&text).map_err(|e| e.to_string())?;
			formats::decode(format, &read(path)?, "").map_err(|e| format!("{text}: {e}"))
		};
		let (params, data) = (tensors(&self.params)?, tensors(&self.data)?);
		let sandbox =
			node_sandbox(Limits::default(), Kernels::Native).map_err(|e| e.to_string())?;
		let spec = TrainSpec { epochs: self.epochs, batch_size: self.batch };
		let output = sandbox
			.train(&model, &params, &data, spec, self.precision)
			.map_err(|e| e.to_string())?;
		let blob = mosaic_primitives::training::parameters_blob(&output.quantized, self.precision)
			.ok_or("the step graph's parameters are not float tensors")?;
		std::fs::write(&self.out, &blob).map_err(|e| format!("{}: {e}", self.out.display()))?;
		let curve: Vec<f64> = output
			.outputs
			.iter()
			.find(|t| t.name == mosaic_executor::training::LOSS_CURVE)
			.map(|t| match &t.values {
				mosaic_executor::Values::F32(v) => v.iter().map(|x| *x as f64).collect(),
				_ => Vec::new(),
			})
			.unwrap_or_default();
		let blob_hash = format!("0x{}", hex(&mosaic_executor::content_hash(&blob)));
		let digest = format!("0x{}", hex(&output.digest));
		if self.json {
			println!(
				"{}",
				serde_json::json!({ "loss_curve": curve, "digest": digest, "blob": blob_hash })
			);
		} else {
			println!(
				"loss per epoch: {}",
				curve.iter().map(|l| format!("{l:.5}")).collect::<Vec<_>>().join(" ")
			);
			println!("digest {digest}");
			println!("parameters written to {} (blob {blob_hash})", self.out.display());
		}
		Ok(())
	}
}

impl RunCmd {
	fn execute(&self) -> Result<(), String> {
		let model = read(&self.model)?;
		let kernels = match self.kernels {
			KernelsArg::Native => Kernels::Native,
			KernelsArg::Generic => Kernels::Generic,
		};
		let sandbox = node_sandbox(Limits::default(), kernels).map_err(|e| e.to_string())?;
		let mut inputs = Vec::new();
		for spec in &self.inputs {
			let (name, path) = match spec.split_once('=') {
				Some((name, path)) if !path.is_empty() => (Some(name.to_string()), path),
				_ => (None, spec.as_str()),
			};
			let format = Format::from_path(path).map_err(|e| e.to_string())?;
			let default_name = match (&name, format) {
				(Some(name), _) => name.clone(),
				(None, Format::Npy) => {
					first_input_name(&sandbox, &model).map_err(|e| e.to_string())?
				},
				(None, _) => String::new(),
			};
			let mut decoded = formats::decode(format, &read(path.as_ref())?, &default_name)
				.map_err(|e| format!("{path}: {e}"))?;
			if let (Some(name), [single]) = (&name, decoded.as_mut_slice()) {
				single.name = name.clone();
			}
			inputs.extend(decoded);
		}
		let output = sandbox.run(&model, &inputs, self.precision).map_err(|e| e.to_string())?;
		let digest = format!("0x{}", hex(&output.digest));
		if self.json {
			let outputs: Vec<_> = output.outputs.iter().map(formats::json::to_json).collect();
			println!("{}", serde_json::json!({ "outputs": outputs, "digest": digest }));
		} else {
			for t in &output.outputs {
				let json = formats::json::to_json(t);
				let shown: Vec<String> = json.data.iter().take(8).map(|v| v.to_string()).collect();
				let more = if json.data.len() > 8 { ", ..." } else { "" };
				println!(
					"{} {} {:?}: [{}{more}]",
					json.name,
					json.dtype,
					json.shape,
					shown.join(", ")
				);
			}
			println!("digest (precision {}): {digest}", self.precision);
		}
		Ok(())
	}
}

/// Blobs held in memory, for `onnx bench-host`.
struct MemoryBlobs(HashMap<[u8; 32], Vec<u8>>);

impl BlobSource for MemoryBlobs {
	fn blob(&self, hash: &[u8; 32]) -> Option<Vec<u8>> {
		self.0.get(hash).cloned()
	}
}

impl BenchHostCmd {
	fn execute(&self) -> Result<(), String> {
		use codec::Encode;
		use std::time::{Duration, Instant};

		let model = read(&self.model)?;
		let input = read(&self.input)?;
		let path = self.input.to_string_lossy().to_string();
		let format = Format::from_path(&path).map_err(|e| e.to_string())?;
		let wire_format = match format {
			Format::Pb => InputFormat::TensorProto,
			Format::Npy => InputFormat::Npy,
			Format::Json => InputFormat::Json,
			Format::Scale => InputFormat::Scale,
		};
		let sandbox =
			node_sandbox(Limits::default(), Kernels::Native).map_err(|e| e.to_string())?;
		let inputs =
			decode_input(&sandbox, &model, wire_format, &input).map_err(|e| e.to_string())?;
		let median = |mut samples: Vec<Duration>| {
			samples.sort();
			samples[samples.len() / 2].as_secs_f64() * 1e3
		};
		let iterations = self.iterations.max(1);

		// The executor in this process, plan cached.
		let executor = mosaic_executor::Executor::new(Limits::default(), 256 << 20);
		executor.run(&model, &inputs, 4).map_err(|e| e.to_string())?;
		let in_process = median(
			(0..iterations)
				.map(|_| {
					let started = Instant::now();
					let _ = executor.run(&model, &inputs, 4);
					started.elapsed()
				})
				.collect(),
		);

		// The sandbox child alone (its plan cache warm).
		sandbox.run(&model, &inputs, 4).map_err(|e| e.to_string())?;
		let sandboxed = median(
			(0..iterations)
				.map(|_| {
					let started = Instant::now();
					let _ = sandbox.run(&model, &inputs, 4);
					started.elapsed()
				})
				.collect(),
		);

		// What an off-chain worker does: `mosaic_onnx::start`, then `poll` until done, through
		// the node's queue and its own sandbox, with blobs read by hash.
		let model_hash = mosaic_executor::content_hash(&model);
		let input_hash = mosaic_executor::content_hash(&input);
		let blobs =
			MemoryBlobs(HashMap::from([(model_hash, model.clone()), (input_hash, input.clone())]));
		let node_sandbox =
			node_sandbox(Limits::default(), Kernels::Native).map_err(|e| e.to_string())?;
		let onnx = NodeOnnx::start(node_sandbox, Arc::new(blobs), false);
		let mut ext = sp_io::TestExternalities::default();
		ext.register_extension(mosaic_onnx_host::OnnxExt(onnx));
		let host_path = ext.execute_with(|| -> Result<f64, String> {
			let run = |i: usize| -> Result<Duration, String> {
				let mut ticket = [0u8; 32];
				ticket[..8].copy_from_slice(&(i as u64).to_le_bytes());
				let request = RunRequest {
					ticket,
					model: model_hash,
					input: InputSource::Blob(input_hash),
					format: wire_format,
					precision: 4,
					task: RunTask::Infer,
				}
				.encode();
				let started = Instant::now();
				mosaic_onnx_host::mosaic_onnx::start(request)
					.map_err(|e| format!("start: {e:?}"))?;
				loop {
					match mosaic_onnx_host::mosaic_onnx::poll(&ticket) {
						RunStatus::Done(_) => return Ok(started.elapsed()),
						RunStatus::Pending => std::thread::sleep(Duration::from_micros(20)),
						other => return Err(format!("run failed: {other:?}")),
					}
				}
			};
			run(usize::MAX)?;
			Ok(median((0..iterations).map(run).collect::<Result<Vec<_>, _>>()?))
		})?;

		if self.json {
			println!(
				"{}",
				serde_json::json!({
					"in_process_ms": in_process,
					"sandbox_ms": sandboxed,
					"host_path_ms": host_path,
					"iterations": iterations,
				})
			);
		} else {
			println!("warm medians over {iterations} runs:");
			println!("  executor in process        {in_process:>9.3} ms");
			println!(
				"  sandbox child              {sandboxed:>9.3} ms  (+{:.3} ms)",
				sandboxed - in_process
			);
			println!(
				"  host functions (OCW path)  {host_path:>9.3} ms  (+{:.3} ms over the sandbox)",
				host_path - sandboxed
			);
		}
		Ok(())
	}
}
