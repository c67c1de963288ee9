//! Runs the executor in a child process, so that what no in-process check can stop (an
//! allocation the operating system refuses, an operator that runs far past its budget)
//! costs a killed child and a typed error, never the node.
//!
//! The child is a long-lived `serve` loop (in the node: `mosaic-node onnx serve`) that keeps
//! its own plan cache. It limits its own address space at start; the parent kills it when a
//! request outruns the wall-time budget, and starts a new one on the next request.
//!
//! Protocol on the child's stdin/stdout: frames of a u32 little-endian length and bytes.
//! Request: kind (`run` | `train` | `check`), model bytes, precision (one byte), input count
//! (u32), then per input its name and its `.npy` bytes; `train` adds a frame of three u32:
//! epochs, batch size, and how many of the inputs are parameters (the rest is the dataset).
//! Response: `ok` then, for `run` and `train`, the output count and per output its name and
//! `.npy` bytes, for `check` the summary as JSON; or `err` then the error as JSON.

use std::{
	io::{self, BufReader, BufWriter, Read, Write},
	path::PathBuf,
	process::{Child, ChildStdin, Command, Stdio},
	sync::{mpsc, Mutex},
	time::Duration,
};

use crate::{
	digest_outputs,
	error::ExecutorError,
	formats::npy,
	select_kernels,
	training::{RoundUpdate, TrainSpec},
	Executor, Kernels, Limits, ModelSummary, Result, RunOutput, Tensor,
};

/// Time allowed on top of the wall-time budget for moving the request and building a plan.
pub const PLAN_SLACK: Duration = Duration::from_secs(5);

/// Largest frame either side accepts: bounds what a broken peer can make us allocate.
const MAX_FRAME: usize = 256 * 1024 * 1024;

fn write_frame(w: &mut impl Write, bytes: &[u8]) -> io::Result<()> {
	w.write_all(&(bytes.len() as u32).to_le_bytes())?;
	w.write_all(bytes)
}

fn read_frame(r: &mut impl Read) -> io::Result<Vec<u8>> {
	let mut len = [0u8; 4];
	r.read_exact(&mut len)?;
	let len = u32::from_le_bytes(len) as usize;
	if len > MAX_FRAME {
		return Err(io::Error::new(io::ErrorKind::InvalidData, "frame too large"));
	}
	let mut bytes = vec![0u8; len];
	r.read_exact(&mut bytes)?;
	Ok(bytes)
}

fn read_u32(r: &mut impl Read) -> io::Result<u32> {
	let frame = read_frame(r)?;
	frame
		.try_into()
		.map(u32::from_le_bytes)
		.map_err(|_| io::Error::new(io::ErrorKind::InvalidData, "expected a u32"))
}

fn protocol(e: impl std::fmt::Display) -> ExecutorError {
	ExecutorError::SandboxFailure(e.to_string())
}

/// How to start the sandbox child and what it may use.
#[derive(Debug, Clone)]
pub struct SandboxConfig {
	/// Program to start; it must call [`serve`] (e.g. `mosaic-node`).
	pub program: PathBuf,
	/// Arguments that make it serve (e.g. `["onnx", "serve"]`).
	pub args: Vec<String>,
	/// Address-space limit of the child, in bytes.
	pub memory_limit_bytes: u64,
	/// Limits the child enforces; its wall time is also the parent's deadline per request.
	pub limits: Limits,
	/// CPU kernels the child lets tract use.
	pub kernels: Kernels,
}

struct Running {
	child: Child,
	stdin: BufWriter<ChildStdin>,
	responses: mpsc::Receiver<io::Result<Vec<Vec<u8>>>>,
}

/// A supervised sandbox child. One request at a time.
pub struct Sandbox {
	config: SandboxConfig,
	running: Mutex<Option<Running>>,
}

impl Sandbox {
	/// A sandbox; the child starts with the first request.
	pub fn new(config: SandboxConfig) -> Self {
		Sandbox { config, running: Mutex::new(None) }
	}

	/// Checks a model in the child.
	pub fn check(&self, model: &[u8]) -> Result<ModelSummary> {
		let frames = self.request(b"check", model, 0, &[], None)?;
		let summary = frames.first().ok_or_else(|| protocol("empty check response"))?;
		serde_json::from_slice(summary).map_err(protocol)
	}

	/// Runs a model in the child and digests the outputs here.
	pub fn run(&self, model: &[u8], inputs: &[Tensor], precision: u8) -> Result<RunOutput> {
		let frames = self.request(b"run", model, precision, inputs, None)?;
		outputs_from_frames(frames, precision)
	}

	/// Trains in the child (see [`Executor::train`]) and digests the trained parameters and
	/// loss curve here.
	pub fn train(
		&self,
		step: &[u8],
		parameters: &[Tensor],
		dataset: &[Tensor],
		spec: TrainSpec,
		precision: u8,
	) -> Result<RunOutput> {
		let mut inputs = parameters.to_vec();
		inputs.extend_from_slice(dataset);
		let mut extra = spec.epochs.to_le_bytes().to_vec();
		extra.extend_from_slice(&spec.batch_size.to_le_bytes());
		extra.extend_from_slice(&(parameters.len() as u32).to_le_bytes());
		let frames = self.request(b"train", step, precision, &inputs, Some(&extra))?;
		outputs_from_frames(frames, precision)
	}

	/// Checks and combines a round's updates in the child (see [`Executor::aggregate_round`])
	/// and digests the result here.
	#[allow(clippy::too_many_arguments)]
	pub fn aggregate_round(
		&self,
		step: &[u8],
		base: &[Tensor],
		validation: &[Tensor],
		updates: &[RoundUpdate],
		clip: f64,
		trim: u32,
		precision: u8,
	) -> Result<RunOutput> {
		let mut inputs = base.to_vec();
		inputs.extend_from_slice(validation);
		let mut extra = Vec::new();
		for word in [base.len() as u32, validation.len() as u32, trim, updates.len() as u32] {
			extra.extend_from_slice(&word.to_le_bytes());
		}
		extra.extend_from_slice(&clip.to_bits().to_le_bytes());
		for update in updates {
			inputs.extend_from_slice(&update.parameters);
			extra.extend_from_slice(&(update.parameters.len() as u32).to_le_bytes());
			extra.extend_from_slice(&update.weight.to_le_bytes());
			extra.push(update.checked as u8);
		}
		let frames = self.request(b"aggregate", step, precision, &inputs, Some(&extra))?;
		outputs_from_frames(frames, precision)
	}

	fn request(
		&self,
		kind: &[u8],
		model: &[u8],
		precision: u8,
		inputs: &[Tensor],
		extra: Option<&[u8]>,
	) -> Result<Vec<Vec<u8>>> {
		let mut guard = self.running.lock().unwrap_or_else(|p| p.into_inner());
		if guard.is_none() {
			*guard = Some(self.spawn()?);
		}
		let running = guard.as_mut().expect("just started");
		let sent = (|| -> io::Result<()> {
			write_frame(&mut running.stdin, kind)?;
			write_frame(&mut running.stdin, model)?;
			write_frame(&mut running.stdin, &[precision])?;
			write_frame(&mut running.stdin, &(inputs.len() as u32).to_le_bytes())?;
			for input in inputs {
				write_frame(&mut running.stdin, input.name.as_bytes())?;
				write_frame(&mut running.stdin, &npy::encode(input))?;
			}
			if let Some(extra) = extra {
				write_frame(&mut running.stdin, extra)?;
			}
			running.stdin.flush()
		})();
		// The budget covers inference; the slack covers transfer and building the plan.
		let deadline = self.config.limits.max_wall_time + PLAN_SLACK;
		let outcome = match sent {
			Err(e) => Err(protocol(format!("child did not take the request: {e}"))),
			Ok(()) => match running.responses.recv_timeout(deadline) {
				Ok(Ok(frames)) => Ok(frames),
				Ok(Err(e)) => Err(protocol(format!("child died: {e}"))),
				Err(mpsc::RecvTimeoutError::Timeout) => {
					Err(ExecutorError::Timeout { millis: deadline.as_millis() as u64 })
				},
				Err(mpsc::RecvTimeoutError::Disconnected) => Err(protocol("child died")),
			},
		};
		let frames = match outcome {
			Ok(frames) => frames,
			Err(e) => {
				// Whatever state the child is in, it is not trusted again.
				let mut dead = guard.take().expect("running");
				let _ = dead.child.kill();
				let status = dead.child.wait().ok();
				return Err(match (e, status) {
					(ExecutorError::SandboxFailure(why), Some(status)) => {
						ExecutorError::SandboxFailure(format!("{why} ({status})"))
					},
					(e, _) => e,
				});
			},
		};
		let (status, rest) = frames.split_first().ok_or_else(|| protocol("empty response"))?;
		match status.as_slice() {
			b"ok" => Ok(rest.to_vec()),
			b"err" => {
				let error = rest.first().ok_or_else(|| protocol("missing error"))?;
				Err(serde_json::from_slice(error).map_err(protocol)?)
			},
			_ => Err(protocol("unknown response status")),
		}
	}

	fn spawn(&self) -> Result<Running> {
		let limits = &self.config.limits;
		// An empty environment: tract reads `TRACT_*` variables to choose kernels, and other
		// kernels give other bits, so the node's environment must not reach its results.
		let mut child = Command::new(&self.config.program)
			.env_clear()
			.args(&self.config.args)
			.arg(format!("--memory-limit={}", self.config.memory_limit_bytes))
			.arg(format!("--max-model-bytes={}", limits.max_model_bytes))
			.arg(format!("--max-tensor-elements={}", limits.max_tensor_elements))
			.arg(format!("--max-memory-bytes={}", limits.max_memory_bytes))
			.arg(format!("--max-wall-time-ms={}", limits.max_wall_time.as_millis()))
			.arg(format!("--max-train-steps={}", limits.max_train_steps))
			.arg(format!(
				"--kernels={}",
				match self.config.kernels {
					Kernels::Native => "native",
					Kernels::Generic => "generic",
				}
			))
			.stdin(Stdio::piped())
			.stdout(Stdio::piped())
			.stderr(Stdio::inherit())
			.spawn()
			.map_err(|e| {
				protocol(format!("cannot start {}: {e}", self.config.program.display()))
			})?;
		let stdin = BufWriter::new(child.stdin.take().expect("piped"));
		let mut stdout = BufReader::new(child.stdout.take().expect("piped"));
		let (tx, responses) = mpsc::channel();
		std::thread::Builder::new()
			.name("onnx-sandbox-reader".into())
			.spawn(move || loop {
				let response = read_response(&mut stdout);
				let failed = response.is_err();
				if tx.send(response).is_err() || failed {
					break;
				}
			})
			.map_err(protocol)?;
		Ok(Running { child, stdin, responses })
	}
}

impl Drop for Sandbox {
	fn drop(&mut self) {
		if let Some(mut running) = self.running.lock().unwrap_or_else(|p| p.into_inner()).take() {
			let _ = running.child.kill();
			let _ = running.child.wait();
		}
	}
}

fn outputs_from_frames(frames: Vec<Vec<u8>>, precision: u8) -> Result<RunOutput> {
	let mut frames = frames.into_iter();
	let count = frames
		.next()
		.and_then(|f| f.try_into().ok().map(u32::from_le_bytes))
		.ok_or_else(|| protocol("missing output count"))?;
	let mut outputs = Vec::with_capacity(count as usize);
	for _ in 0..count {
		let name = frames.next().ok_or_else(|| protocol("missing output name"))?;
		let data = frames.next().ok_or_else(|| protocol("missing output data"))?;
		let name = String::from_utf8(name).map_err(protocol)?;
		outputs.push(npy::decode(&name, &data)?);
	}
	digest_outputs(outputs, precision)
}

/// A response is a count frame followed by that many frames.
fn read_response(r: &mut impl Read) -> io::Result<Vec<Vec<u8>>> {
	let count = read_u32(r)? as usize;
	if count > 1 << 16 {
		return Err(io::Error::new(io::ErrorKind::InvalidData, "too many frames"));
	}
	(0..count).map(|_| read_frame(r)).collect()
}

fn write_response(w: &mut impl Write, frames: &[Vec<u8>]) -> io::Result<()> {
	write_frame(w, &(frames.len() as u32).to_le_bytes())?;
	for frame in frames {
		write_frame(w, frame)?;
	}
	w.flush()
}

/// What the child is told on its command line (see [`Sandbox`]'s spawn).
#[derive(Debug, Clone)]
pub struct ChildOptions {
	/// Limits to enforce.
	pub limits: Limits,
	/// Address-space cap, if any.
	pub memory_limit_bytes: Option<u64>,
	/// CPU kernels for tract.
	pub kernels: Kernels,
}

/// Parses the child's `--key=value` arguments.
pub fn parse_child_args(args: &[String]) -> std::result::Result<ChildOptions, String> {
	let mut options = ChildOptions {
		limits: Limits::default(),
		memory_limit_bytes: None,
		kernels: Kernels::Native,
	};
	for arg in args {
		let (key, value) = arg.split_once('=').ok_or_else(|| format!("bad argument {arg}"))?;
		let number = || value.parse::<u64>().map_err(|_| format!("bad number in {arg}"));
		match key {
			"--memory-limit" => options.memory_limit_bytes = Some(number()?),
			"--max-model-bytes" => options.limits.max_model_bytes = number()?,
			"--max-tensor-elements" => options.limits.max_tensor_elements = number()?,
			"--max-memory-bytes" => options.limits.max_memory_bytes = number()?,
			"--max-wall-time-ms" => options.limits.max_wall_time = Duration::from_millis(number()?),
			"--max-train-steps" => options.limits.max_train_steps = number()?,
			"--kernels" => {
				options.kernels = match value {
					"native" => Kernels::Native,
					"generic" => Kernels::Generic,
					_ => return Err(format!("unknown kernels {value}")),
				}
			},
			_ => return Err(format!("unknown argument {arg}")),
		}
	}
	Ok(options)
}

/// Applies `options` to this process and serves requests: the whole life of a child.
pub fn child_main(options: ChildOptions) -> io::Result<()> {
	if let Some(bytes) = options.memory_limit_bytes {
		limit_address_space(bytes)?;
	}
	select_kernels(options.kernels);
	serve(options.limits)
}

/// Caps this process's address space. Called by the child before it loads any model.
pub fn limit_address_space(bytes: u64) -> io::Result<()> {
	#[cfg(unix)]
	{
		let limit =
			libc::rlimit { rlim_cur: bytes as libc::rlim_t, rlim_max: bytes as libc::rlim_t };
		// SAFETY: setrlimit reads a valid, initialised rlimit struct.
		if unsafe { libc::setrlimit(libc::RLIMIT_AS, &limit) } != 0 {
			return Err(io::Error::last_os_error());
		}
	}
	#[cfg(not(unix))]
	let _ = bytes;
	Ok(())
}

/// An aggregation request as the child reads it.
struct AggregationRequest {
	base: Vec<Tensor>,
	validation: Vec<Tensor>,
	updates: Vec<RoundUpdate>,
	clip: f64,
	trim: usize,
}

/// Splits the inputs of an `aggregate` request by its spec frame: base, validation set and
/// each update's tensors; `None` if they do not add up.
fn parse_aggregation(spec: &[u8], inputs: Vec<Tensor>) -> Option<AggregationRequest> {
	let mut at = 0usize;
	let mut take = |n: usize| -> Option<&[u8]> {
		let bytes = spec.get(at..at + n)?;
		at += n;
		Some(bytes)
	};
	let mut word = || -> Option<u32> { Some(u32::from_le_bytes(take(4)?.try_into().ok()?)) };
	let (params, data, trim, count) = (word()?, word()?, word()?, word()?);
	let clip = f64::from_bits(u64::from_le_bytes(take(8)?.try_into().ok()?));
	let mut inputs = inputs.into_iter();
	let base: Vec<Tensor> = inputs.by_ref().take(params as usize).collect();
	let validation: Vec<Tensor> = inputs.by_ref().take(data as usize).collect();
	let mut updates = Vec::new();
	for _ in 0..count {
		let tensors = u32::from_le_bytes(take(4)?.try_into().ok()?) as usize;
		let weight = u64::from_le_bytes(take(8)?.try_into().ok()?);
		let checked = take(1)?[0] != 0;
		let parameters: Vec<Tensor> = inputs.by_ref().take(tensors).collect();
		if parameters.len() != tensors {
			return None;
		}
		updates.push(RoundUpdate { parameters, weight, checked });
	}
	(inputs.next().is_none() && at == spec.len()).then_some(AggregationRequest {
		base,
		validation,
		updates,
		clip,
		trim: trim as usize,
	})
}

/// The child's loop: answers requests on stdin until it closes.
pub fn serve(limits: Limits) -> io::Result<()> {
	let executor = Executor::new(limits, 256 * 1024 * 1024);
	let mut stdin = BufReader::new(io::stdin().lock());
	let mut stdout = BufWriter::new(io::stdout().lock());
	loop {
		let kind = match read_frame(&mut stdin) {
			Ok(kind) => kind,
			Err(e) if e.kind() == io::ErrorKind::UnexpectedEof => return Ok(()),
			Err(e) => return Err(e),
		};
		let model = read_frame(&mut stdin)?;
		// Outputs are quantised and digested by the parent; the precision frame is kept for
		// the protocol's shape.
		let _precision = read_frame(&mut stdin)?;
		let count = read_u32(&mut stdin)?;
		let mut inputs = Vec::new();
		let mut decode_error = None;
		for _ in 0..count {
			let name = String::from_utf8_lossy(&read_frame(&mut stdin)?).into_owned();
			let data = read_frame(&mut stdin)?;
			match npy::decode(&name, &data) {
				Ok(t) => inputs.push(t),
				Err(e) => decode_error = Some(e),
			}
		}
		let spec_frame = if matches!(kind.as_slice(), b"train" | b"aggregate") {
			Some(read_frame(&mut stdin)?)
		} else {
			None
		};
		let encode_outputs = |outputs: Vec<Tensor>| {
			let mut frames = vec![(outputs.len() as u32).to_le_bytes().to_vec()];
			for t in &outputs {
				frames.push(t.name.as_bytes().to_vec());
				frames.push(npy::encode(t));
			}
			frames
		};
		let result: Result<Vec<Vec<u8>>> = match (decode_error, kind.as_slice()) {
			(Some(e), _) => Err(e),
			(None, b"aggregate") => {
				match parse_aggregation(&spec_frame.unwrap_or_default(), inputs) {
					Some(request) => executor
						.aggregate_round(
							&model,
							&request.base,
							&request.validation,
							&request.updates,
							request.clip,
							request.trim,
						)
						.map(encode_outputs),
					None => Err(protocol("malformed aggregation request")),
				}
			},
			(None, b"train") => {
				let spec = spec_frame.unwrap_or_default();
				let word = |i: usize| {
					spec.get(i * 4..i * 4 + 4)
						.map(|b| u32::from_le_bytes(b.try_into().expect("four bytes")))
				};
				match (word(0), word(1), word(2)) {
					(Some(epochs), Some(batch_size), Some(params))
						if params as usize <= inputs.len() =>
					{
						let (parameters, dataset) = inputs.split_at(params as usize);
						executor
							.train(&model, parameters, dataset, TrainSpec { epochs, batch_size })
							.map(encode_outputs)
					},
					_ => Err(protocol("malformed training spec")),
				}
			},
			(None, b"check") => executor
				.check(&model)
				.and_then(|s| serde_json::to_vec(&s).map_err(protocol))
				.map(|json| vec![json]),
			(None, b"run") => executor.run_raw(&model, &inputs).map(encode_outputs),
			(None, other) => {
				Err(protocol(format!("unknown request {}", String::from_utf8_lossy(other))))
			},
		};
		let response = match result {
			Ok(mut frames) => {
				frames.insert(0, b"ok".to_vec());
				frames
			},
			Err(e) => vec![b"err".to_vec(), serde_json::to_vec(&e).unwrap_or_default()],
		};
		write_response(&mut stdout, &response)?;
	}
}
