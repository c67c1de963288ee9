//! `mosaic-node onnx ...`: run, check or train a model from files, and time the host-function
//! path, with the workers' own code path (the sandbox child, `onnx serve`, under the
//! executor's limits).

use std::{
	fmt,
	path::{Path, PathBuf},
	time::{Duration, Instant},
};

use codec::Encode;
use mosaic_executor::{
	formats::{self, Format},
	sandbox::Sandbox,
	training::TrainSpec,
	Dim, ExecutorError, Kernels, Limits, Tensor, TensorSpec,
};
use mosaic_onnx_host::mosaic_onnx;
use mosaic_primitives::onnx::{
	InputFormat, InputSource, RunRequest, RunStatus, RunTask, StartError,
};

use crate::executor_service::{hex, node_sandbox, ExecutorService, MemoryBlobs, SandboxBackend};

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
	/// The set chosen for this CPU family (what workers use).
	Native,
	/// Every instruction set the CPU has, as tract chooses on its own.
	All,
	/// AVX2 and FMA, never AVX-512.
	Avx2,
	/// Portable kernels only.
	Generic,
}

impl From<KernelsArg> for Kernels {
	fn from(arg: KernelsArg) -> Kernels {
		match arg {
			KernelsArg::Native => Kernels::Native,
			KernelsArg::All => Kernels::All,
			KernelsArg::Avx2 => Kernels::Avx2,
			KernelsArg::Generic => Kernels::Generic,
		}
	}
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
	/// Threads the run may use (the outputs are the same bits either way).
	#[arg(long, default_value_t = 1,
		value_parser = clap::value_parser!(u8).range(1..=mosaic_executor::MAX_THREADS as i64))]
	pub threads: u8,
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

/// Why an `onnx` subcommand failed. Its `Display` is the one line printed after `error: `.
#[derive(Debug)]
pub enum OnnxCliError {
	/// A file could not be read or written.
	File { path: PathBuf, error: std::io::Error },
	/// The sandbox could not be set up (this binary's own path is unknown).
	Sandbox(std::io::Error),
	/// `onnx check`: the executor refuses the model.
	NotAcceptable(ExecutorError),
	/// An input, parameter or dataset file could not be decoded.
	Decode { path: String, error: ExecutorError },
	/// The executor failed (an unknown file type, a model that does not run, bad options).
	Executor(ExecutorError),
	/// `onnx train`: the step graph's parameters are not float tensors.
	ParametersNotFloat,
	/// `onnx bench-host`: the host functions refused the run.
	HostStart(StartError),
	/// `onnx bench-host`: the run through the host functions did not finish well.
	HostRun(RunStatus),
	/// `onnx serve`: the parent passed options the child does not know.
	ChildOptions(String),
	/// `onnx serve`: the child could not set itself up or talk to its parent.
	Child(std::io::Error),
}

impl fmt::Display for OnnxCliError {
	fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
		match self {
			OnnxCliError::File { path, error } => write!(f, "{}: {error}", path.display()),
			OnnxCliError::Sandbox(error) | OnnxCliError::Child(error) => write!(f, "{error}"),
			OnnxCliError::NotAcceptable(error) => write!(f, "model is not acceptable: {error}"),
			OnnxCliError::Decode { path, error } => write!(f, "{path}: {error}"),
			OnnxCliError::Executor(error) => write!(f, "{error}"),
			OnnxCliError::ParametersNotFloat => {
				write!(f, "the step graph's parameters are not float tensors")
			},
			OnnxCliError::HostStart(error) => write!(f, "start: {error:?}"),
			OnnxCliError::HostRun(status) => write!(f, "run failed: {status:?}"),
			OnnxCliError::ChildOptions(message) => write!(f, "{message}"),
		}
	}
}

impl std::error::Error for OnnxCliError {}

impl From<ExecutorError> for OnnxCliError {
	fn from(error: ExecutorError) -> Self {
		OnnxCliError::Executor(error)
	}
}

type Result<T = ()> = std::result::Result<T, OnnxCliError>;

impl OnnxCmd {
	/// Runs the subcommand.
	pub fn run(&self) -> Result {
		match self {
			OnnxCmd::Serve { options } => {
				let options = mosaic_executor::sandbox::parse_child_args(options)
					.map_err(OnnxCliError::ChildOptions)?;
				mosaic_executor::sandbox::child_main(options).map_err(OnnxCliError::Child)
			},
			OnnxCmd::Check(cmd) => cmd.execute(),
			OnnxCmd::Run(cmd) => cmd.execute(),
			OnnxCmd::Train(cmd) => cmd.execute(),
			OnnxCmd::BenchHost(cmd) => cmd.execute(),
		}
	}
}

fn read(path: &Path) -> Result<Vec<u8>> {
	std::fs::read(path).map_err(|error| OnnxCliError::File { path: path.into(), error })
}

fn sandbox(kernels: Kernels) -> Result<Sandbox> {
	node_sandbox(Limits::default(), kernels, 1).map_err(OnnxCliError::Sandbox)
}

impl CheckCmd {
	fn execute(&self) -> Result {
		let model = read(&self.model)?;
		let summary = match sandbox(Kernels::Native)?.check(&model) {
			Ok(summary) => summary,
			Err(e) => {
				if self.json {
					println!(
						"{}",
						serde_json::json!({ "acceptable": false, "code": e.code(), "reason": e.to_string() })
					);
				}
				return Err(OnnxCliError::NotAcceptable(e));
			},
		};
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
	}
}

fn spec_json(spec: &TensorSpec) -> serde_json::Value {
	serde_json::json!({
		"name": spec.name,
		"dtype": mosaic_executor::tensor::element_type_name(spec.element_type),
		"shape": spec.shape.iter().map(|d| match d {
			Dim::Fixed(n) => serde_json::json!(n),
			Dim::Symbolic(s) => serde_json::json!(s),
		}).collect::<Vec<_>>(),
	})
}

fn describe_spec(spec: &TensorSpec) -> String {
	let dims: Vec<String> = spec
		.shape
		.iter()
		.map(|d| match d {
			Dim::Fixed(n) => n.to_string(),
			Dim::Symbolic(s) => s.clone(),
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
	fn execute(&self) -> Result {
		let model = read(&self.model)?;
		let tensors = |path: &Path| -> Result<Vec<Tensor>> {
			let text = path.to_string_lossy();
			let format = Format::from_path(&text)?;
			formats::decode(format, &read(path)?, "")
				.map_err(|error| OnnxCliError::Decode { path: text.to_string(), error })
		};
		let (params, data) = (tensors(&self.params)?, tensors(&self.data)?);
		let spec = TrainSpec { epochs: self.epochs, batch_size: self.batch };
		let output =
			sandbox(Kernels::Native)?.train(&model, &params, &data, spec, self.precision)?;
		let blob = mosaic_primitives::training::parameters_blob(&output.quantized, self.precision)
			.ok_or(OnnxCliError::ParametersNotFloat)?;
		std::fs::write(&self.out, &blob)
			.map_err(|error| OnnxCliError::File { path: self.out.clone(), error })?;
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
	fn execute(&self) -> Result {
		let model = read(&self.model)?;
		let sandbox = node_sandbox(Limits::default(), self.kernels.into(), self.threads.into())
			.map_err(OnnxCliError::Sandbox)?;
		let mut inputs = Vec::new();
		for spec in &self.inputs {
			let (name, path) = match spec.split_once('=') {
				Some((name, path)) if !path.is_empty() => (Some(name.to_string()), path),
				_ => (None, spec.as_str()),
			};
			let format = Format::from_path(path)?;
			let default_name = match (&name, format) {
				(Some(name), _) => name.clone(),
				(None, Format::Npy) => first_input_name(&sandbox, &model)?,
				(None, _) => String::new(),
			};
			let mut decoded = formats::decode(format, &read(path.as_ref())?, &default_name)
				.map_err(|error| OnnxCliError::Decode { path: path.to_string(), error })?;
			if let (Some(name), [single]) = (&name, decoded.as_mut_slice()) {
				single.name = name.clone();
			}
			inputs.extend(decoded);
		}
		let outputs = sandbox.run_raw(&model, &inputs)?;
		// Outputs that cannot be digested (NaN, infinite, beyond the quantisation range) are
		// still shown: the digest is what a job needs, the values what a person needs.
		let digest = mosaic_executor::digest_outputs(outputs.clone(), self.precision)
			.map(|output| format!("0x{}", hex(&output.digest)));
		if self.json {
			let shown: Vec<_> = outputs.iter().map(formats::json::to_json).collect();
			let json = match &digest {
				Ok(digest) => serde_json::json!({ "outputs": shown, "digest": digest }),
				Err(why) => serde_json::json!({
					"outputs": shown, "digest": null, "digest_error": why.to_string()
				}),
			};
			println!("{json}");
		} else {
			for t in &outputs {
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
			match &digest {
				Ok(digest) => println!("digest (precision {}): {digest}", self.precision),
				Err(why) => println!("no digest: {why} (a job with these outputs fails)"),
			}
		}
		Ok(())
	}
}

/// The name of the model's first input: what an unnamed `.npy` file feeds.
fn first_input_name(sandbox: &Sandbox, model: &[u8]) -> Result<String> {
	sandbox
		.check(model)?
		.inputs
		.first()
		.map(|input| input.name.clone())
		.ok_or_else(|| ExecutorError::InputMismatch("the model takes no inputs".into()).into())
}

fn median(mut samples: Vec<Duration>) -> f64 {
	samples.sort();
	samples[samples.len() / 2].as_secs_f64() * 1e3
}

impl BenchHostCmd {
	fn execute(&self) -> Result {
		let model = read(&self.model)?;
		let input = read(&self.input)?;
		let format = Format::from_path(&self.input.to_string_lossy())?;
		let wire_format = match format {
			Format::Pb => InputFormat::TensorProto,
			Format::Npy => InputFormat::Npy,
			Format::Json => InputFormat::Json,
			Format::Scale => InputFormat::Scale,
		};
		let sandbox = sandbox(Kernels::Native)?;
		let default_name = match format {
			Format::Npy => first_input_name(&sandbox, &model)?,
			_ => String::new(),
		};
		let inputs = formats::decode(format, &input, &default_name)?;
		let iterations = self.iterations.max(1);
		let time = |run: &dyn Fn()| {
			median(
				(0..iterations)
					.map(|_| {
						let started = Instant::now();
						run();
						started.elapsed()
					})
					.collect(),
			)
		};

		// Every path runs the model by its hash, as a node does (hashing a large model would
		// otherwise dominate a warm run).
		let (model_hash, input_hash) =
			(mosaic_executor::content_hash(&model), mosaic_executor::content_hash(&input));

		// The executor in this process, plan cached, with the kernels the sandbox uses.
		mosaic_executor::select_kernels(Kernels::Native);
		let executor = mosaic_executor::Executor::new(Limits::default(), 256 << 20);
		executor.run_hashed(&model_hash, &model, &inputs)?;
		let in_process = time(&|| {
			let _ = executor.run_hashed(&model_hash, &model, &inputs);
		});

		// The sandbox child alone (its caches warm): the job by hash, as the node sends it.
		let by_hash =
			|| sandbox.infer_cached(|| Ok(model.clone()), &model_hash, wire_format, &input, 4);
		by_hash()?;
		let sandboxed = time(&|| {
			let _ = by_hash();
		});

		// What an off-chain worker does: `mosaic_onnx::start`, then `poll` until done, through
		// the node's queue and its own sandbox, with blobs read by hash.
		let blobs = MemoryBlobs::new([model.clone(), input.clone()]);
		let service = ExecutorService::spawn(SandboxBackend::new(
			node_sandbox(Limits::default(), Kernels::Native, 1).map_err(OnnxCliError::Sandbox)?,
			std::sync::Arc::new(blobs),
		));
		let mut ext = sp_io::TestExternalities::default();
		ext.register_extension(mosaic_onnx_host::OnnxExt(service));
		let host_path = ext.execute_with(|| -> Result<f64> {
			let run = |i: usize| -> Result<Duration> {
				let mut ticket = [0u8; 32];
				ticket[..8].copy_from_slice(&(i as u64).to_le_bytes());
				let request = RunRequest {
					ticket,
					model: model_hash,
					input: InputSource::Blob(input_hash),
					format: wire_format,
					precision: 4,
					task: RunTask::Infer,
				};
				let started = Instant::now();
				mosaic_onnx::start(request.encode()).map_err(OnnxCliError::HostStart)?;
				loop {
					match mosaic_onnx::poll(&ticket) {
						RunStatus::Done(_) | RunStatus::DoneDigestOnly { .. } => {
							return Ok(started.elapsed())
						},
						RunStatus::Pending => std::thread::sleep(Duration::from_micros(20)),
						other => return Err(OnnxCliError::HostRun(other)),
					}
				}
			};
			run(usize::MAX)?;
			Ok(median((0..iterations).map(run).collect::<Result<Vec<_>>>()?))
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
				"  sandbox child              {sandboxed:>9.3} ms  ({:+.3} ms)",
				sandboxed - in_process
			);
			println!(
				"  host functions (OCW path)  {host_path:>9.3} ms  ({:+.3} ms over the sandbox)",
				host_path - sandboxed
			);
		}
		Ok(())
	}
}
