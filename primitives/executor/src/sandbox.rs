//! Runs the executor in a child process, so that what no in-process check can stop (an
//! allocation the operating system refuses, an operator that runs far past its budget, a
//! decoder bug on a stranger's bytes) costs a killed child and a typed error, never the node.
//!
//! The child is a long-lived `serve` loop (in the node: `mosaic-node onnx serve`) that keeps
//! its own plan cache. It confines itself at start (see [`crate::confine`]: resource limits,
//! Landlock, seccomp) and gets a CPU budget per request; the parent kills it when a request
//! outruns the wall-time budget, and starts a new one on the next request. The child's
//! stderr reaches the parent's stderr line by line, and its last lines are kept
//! ([`Sandbox::child_messages`]).
//!
//! Protocol on the child's stdin/stdout: frames of a u32 little-endian length and bytes.
//! A request is its kind and then:
//! - `run`, `train`, `check`: model bytes, precision (one byte), input count (u32), then per
//!   input its name and its `.npy` bytes; `train` adds a frame of three u32: epochs, batch
//!   size, and how many of the inputs are parameters (the rest is the dataset). These carry
//!   tensors the parent decoded from its operator's own files (`mosaic-node onnx`).
//! - `job`: a job's blobs as stored, decoded by the child only: model (empty for an
//!   inference whose model the child may have cached, see [`Sandbox::infer_cached`]), the
//!   model's hash, precision, input format (SCALE `InputFormat`), input bytes, task (one
//!   byte: 0 infer, 1 train, 2 aggregate); train adds the parameter blob and a frame of two
//!   u32 (epochs, batch size); aggregate adds the base parameter blob, the manifest blob,
//!   the update count (u32) and each update's blob (empty when the node lacks it).
//! - `manifest`: a manifest blob; the answer is the hashes of its updates, 32 bytes each.
//!
//! Response: `ok` then, for `run`, `train` and `job`, the output count and per output its
//! name and `.npy` bytes, for `check` the summary as JSON; or `err` then the error as JSON;
//! or, for a `job` without model bytes whose model the child has not cached, `model`.
//! The parent reads at most [`MAX_FRAME`] bytes per frame and its limits' memory bound (and
//! a little more) per response.

use std::{
	collections::VecDeque,
	io::{self, BufRead, BufReader, BufWriter, Read, Write},
	path::PathBuf,
	process::{Child, ChildStdin, Command, Stdio},
	sync::{mpsc, Arc, Mutex},
	time::Duration,
};

use codec::{Compact, Decode, DecodeAll, Encode};
use mosaic_primitives::{
	onnx::InputFormat,
	rounds::{AggregationManifest, MAX_MANIFEST_UPDATES},
};

use crate::{
	confine, digest_outputs,
	error::ExecutorError,
	formats::{self, npy, Format},
	select_kernels,
	training::{RoundUpdate, TrainSpec},
	Executor, Kernels, Limits, ModelSummary, Result, RunOutput, Tensor,
};

/// Time allowed on top of the wall-time budget for moving the request and building a plan.
pub const PLAN_SLACK: Duration = Duration::from_secs(5);

/// Largest frame either side accepts: bounds what a broken peer can make us allocate.
pub const MAX_FRAME: usize = 256 * 1024 * 1024;

/// What a response may hold beyond its outputs' bytes (names, `.npy` headers, counts).
const RESPONSE_OVERHEAD: u64 = 1024 * 1024;

/// Most lines of the child's stderr kept for [`Sandbox::child_messages`], and the longest.
const KEPT_MESSAGES: usize = 32;
const MAX_MESSAGE_BYTES: u64 = 4096;

fn write_frame(w: &mut impl Write, bytes: &[u8]) -> io::Result<()> {
	w.write_all(&(bytes.len() as u32).to_le_bytes())?;
	w.write_all(bytes)
}

fn read_frame(r: &mut impl Read) -> io::Result<Vec<u8>> {
	read_frame_within(r, MAX_FRAME)
}

fn read_frame_within(r: &mut impl Read, most: usize) -> io::Result<Vec<u8>> {
	let mut len = [0u8; 4];
	r.read_exact(&mut len)?;
	let len = u32::from_le_bytes(len) as usize;
	if len > most.min(MAX_FRAME) {
		return Err(io::Error::new(io::ErrorKind::InvalidData, "frame too large"));
	}
	let mut bytes = vec![0u8; len];
	r.read_exact(&mut bytes)?;
	Ok(bytes)
}

fn read_u32(r: &mut impl Read) -> io::Result<u32> {
	let frame = read_frame_within(r, 4)?;
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
	/// Threads one run may use (1 to [`MAX_THREADS`](crate::MAX_THREADS)); the outputs are
	/// the same bits whatever the count.
	pub threads: usize,
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
	messages: Arc<Mutex<VecDeque<String>>>,
}

/// A job's task with the blobs it names, as stored: the child decodes them.
#[derive(Debug, Clone, Copy)]
pub enum JobTask<'a> {
	/// Run the model on the input.
	Infer,
	/// Train from `parameters` (SCALE tensors) on the input as dataset.
	Train {
		/// The starting parameters' blob.
		parameters: &'a [u8],
		/// Passes over the dataset.
		epochs: u32,
		/// Rows per step.
		batch_size: u32,
	},
	/// Check and combine a round's updates; the input is the validation set.
	Aggregate {
		/// The base parameters' blob (SCALE tensors).
		base: &'a [u8],
		/// The manifest's blob (SCALE `AggregationManifest`).
		manifest: &'a [u8],
		/// Each manifest entry's update blob, in the manifest's order; empty when missing.
		updates: &'a [&'a [u8]],
	},
}

impl Sandbox {
	/// A sandbox; the child starts with the first request.
	pub fn new(config: SandboxConfig) -> Self {
		Sandbox { config, running: Mutex::new(None), messages: Default::default() }
	}

	/// The last lines the sandbox's children wrote to stderr (warnings such as a kernel
	/// without Landlock), oldest first.
	pub fn child_messages(&self) -> Vec<String> {
		lock(&self.messages).iter().cloned().collect()
	}

	/// Checks a model in the child.
	pub fn check(&self, model: &[u8]) -> Result<ModelSummary> {
		let frames = self.request(b"check", &refs(&tensor_frames(model, 0, &[])))?;
		let summary = frames.first().ok_or_else(|| protocol("empty check response"))?;
		serde_json::from_slice(summary).map_err(protocol)
	}

	/// Runs a model in the child and digests the outputs here.
	pub fn run(&self, model: &[u8], inputs: &[Tensor], precision: u8) -> Result<RunOutput> {
		let frames = self.request(b"run", &refs(&tensor_frames(model, precision, inputs)))?;
		outputs_from_frames(frames, precision)
	}

	/// Runs a model in the child; the outputs as they come, not digested (a caller that
	/// shows outputs even when they cannot be digested, such as NaN ones).
	pub fn run_raw(&self, model: &[u8], inputs: &[Tensor]) -> Result<Vec<Tensor>> {
		tensors_from_frames(self.request(b"run", &refs(&tensor_frames(model, 0, inputs)))?)
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
		let mut frames = tensor_frames(step, precision, &inputs);
		let mut spec_frame = spec.epochs.to_le_bytes().to_vec();
		spec_frame.extend_from_slice(&spec.batch_size.to_le_bytes());
		spec_frame.extend_from_slice(&(parameters.len() as u32).to_le_bytes());
		frames.push(spec_frame);
		outputs_from_frames(self.request(b"train", &refs(&frames))?, precision)
	}

	/// Runs a job on its blobs as stored: the child decodes the input (in `format`; an
	/// unnamed `.npy` tensor feeds the model's first input), the parameters and the
	/// manifest, runs the task and the outputs are digested here. `model_hash` is the
	/// model's [`content_hash`](crate::content_hash), which the child keys its caches by
	/// without hashing the model again: only pass a hash the bytes were checked against.
	pub fn job(
		&self,
		model: &[u8],
		model_hash: &[u8; 32],
		format: InputFormat,
		input: &[u8],
		task: JobTask<'_>,
		precision: u8,
	) -> Result<RunOutput> {
		match self.job_request(model, model_hash, format, input, task, precision)? {
			Answer::Frames(frames) => outputs_from_frames(frames, precision),
			Answer::NeedsModel => Err(protocol("the child asked for model bytes it was sent")),
		}
	}

	/// An inference job whose model the child may hold from an earlier run: it is sent by
	/// hash only, and `model` (the bytes, checked against `model_hash`) is read only if the
	/// child asks for it. A warm run of a 117 MB model then moves and hashes no 117 MB.
	pub fn infer_cached(
		&self,
		model: impl FnOnce() -> Result<Vec<u8>>,
		model_hash: &[u8; 32],
		format: InputFormat,
		input: &[u8],
		precision: u8,
	) -> Result<RunOutput> {
		let infer = |bytes: &[u8]| {
			self.job_request(bytes, model_hash, format, input, JobTask::Infer, precision)
		};
		match infer(&[])? {
			Answer::Frames(frames) => outputs_from_frames(frames, precision),
			Answer::NeedsModel => {
				self.job(&model()?, model_hash, format, input, JobTask::Infer, precision)
			},
		}
	}

	fn job_request(
		&self,
		model: &[u8],
		model_hash: &[u8; 32],
		format: InputFormat,
		input: &[u8],
		task: JobTask<'_>,
		precision: u8,
	) -> Result<Answer> {
		// The blobs go to the child as they are, without a copy here.
		let (format, precision_frame) = (format.encode(), [precision]);
		let mut frames: Vec<&[u8]> = vec![model, model_hash, &precision_frame, &format, input];
		let (spec, count);
		match task {
			JobTask::Infer => frames.push(&[0]),
			JobTask::Train { parameters, epochs, batch_size } => {
				spec = [epochs.to_le_bytes(), batch_size.to_le_bytes()].concat();
				frames.extend([&[1][..], parameters, &spec]);
			},
			JobTask::Aggregate { base, manifest, updates } => {
				count = (updates.len() as u32).to_le_bytes();
				frames.extend([&[2][..], base, manifest, &count]);
				frames.extend(updates.iter().copied());
			},
		}
		self.ask(b"job", &frames)
	}

	/// The update hashes a manifest blob names, decoded in the child; a manifest that does
	/// not decode, or names more than [`MAX_MANIFEST_UPDATES`] updates, is malformed input.
	pub fn manifest_updates(&self, manifest: &[u8]) -> Result<Vec<[u8; 32]>> {
		let frames = self.request(b"manifest", &[manifest])?;
		let hashes = frames.first().ok_or_else(|| protocol("empty manifest response"))?;
		if hashes.len() % 32 != 0 || hashes.len() / 32 > MAX_MANIFEST_UPDATES as usize {
			return Err(protocol("malformed manifest response"));
		}
		Ok(hashes.chunks_exact(32).map(|h| h.try_into().expect("32 bytes")).collect())
	}

	fn request(&self, kind: &[u8], frames: &[&[u8]]) -> Result<Vec<Vec<u8>>> {
		match self.ask(kind, frames)? {
			Answer::Frames(frames) => Ok(frames),
			Answer::NeedsModel => {
				Err(protocol("the child asked for a model on a request with one"))
			},
		}
	}

	fn ask(&self, kind: &[u8], frames: &[&[u8]]) -> Result<Answer> {
		let mut guard = lock(&self.running);
		if guard.is_none() {
			*guard = Some(self.spawn()?);
		}
		let running = guard.as_mut().expect("just started");
		let sent = (|| -> io::Result<()> {
			write_frame(&mut running.stdin, kind)?;
			for frame in frames {
				write_frame(&mut running.stdin, frame)?;
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
			b"ok" => Ok(Answer::Frames(rest.to_vec())),
			b"model" => Ok(Answer::NeedsModel),
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
			.arg(format!("--kernels={}", self.config.kernels.name()))
			.arg(format!("--threads={}", self.config.threads))
			.stdin(Stdio::piped())
			.stdout(Stdio::piped())
			// Piped, not inherited: the child may not write files (its file-size limit is 0),
			// and the node's stderr may be one.
			.stderr(Stdio::piped())
			.spawn()
			.map_err(|e| {
				protocol(format!("cannot start {}: {e}", self.config.program.display()))
			})?;
		let stdin = BufWriter::new(child.stdin.take().expect("piped"));
		let mut stdout = BufReader::new(child.stdout.take().expect("piped"));
		let stderr = BufReader::new(child.stderr.take().expect("piped"));
		let most = limits.max_memory_bytes.saturating_add(RESPONSE_OVERHEAD);
		let (tx, responses) = mpsc::channel();
		std::thread::Builder::new()
			.name("onnx-sandbox-reader".into())
			.spawn(move || loop {
				let response = read_response(&mut stdout, most);
				let failed = response.is_err();
				if tx.send(response).is_err() || failed {
					break;
				}
			})
			.map_err(protocol)?;
		let messages = self.messages.clone();
		std::thread::Builder::new()
			.name("onnx-sandbox-stderr".into())
			.spawn(move || forward_messages(stderr, &messages))
			.map_err(protocol)?;
		Ok(Running { child, stdin, responses })
	}
}

/// Copies the child's stderr to ours line by line, keeping the last [`KEPT_MESSAGES`]; a
/// line longer than [`MAX_MESSAGE_BYTES`] is cut.
fn forward_messages(mut stderr: impl BufRead, messages: &Mutex<VecDeque<String>>) {
	let mut line = Vec::new();
	loop {
		line.clear();
		match stderr.by_ref().take(MAX_MESSAGE_BYTES).read_until(b'\n', &mut line) {
			Ok(0) | Err(_) => return,
			Ok(_) => {},
		}
		let text = String::from_utf8_lossy(&line).trim_end().to_string();
		eprintln!("onnx sandbox: {text}");
		let mut kept = lock(messages);
		if kept.len() == KEPT_MESSAGES {
			kept.pop_front();
		}
		kept.push_back(text);
	}
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
	mutex.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

impl Drop for Sandbox {
	fn drop(&mut self) {
		if let Some(mut running) = lock(&self.running).take() {
			let _ = running.child.kill();
			let _ = running.child.wait();
		}
	}
}

/// The frames of a `run`, `train` or `check` request after its kind.
fn tensor_frames(model: &[u8], precision: u8, inputs: &[Tensor]) -> Vec<Vec<u8>> {
	let mut frames =
		vec![model.to_vec(), vec![precision], (inputs.len() as u32).to_le_bytes().to_vec()];
	for input in inputs {
		frames.push(input.name.as_bytes().to_vec());
		frames.push(npy::encode(input));
	}
	frames
}

fn refs(frames: &[Vec<u8>]) -> Vec<&[u8]> {
	frames.iter().map(Vec::as_slice).collect()
}

fn outputs_from_frames(frames: Vec<Vec<u8>>, precision: u8) -> Result<RunOutput> {
	digest_outputs(tensors_from_frames(frames)?, precision)
}

fn tensors_from_frames(frames: Vec<Vec<u8>>) -> Result<Vec<Tensor>> {
	let mut frames = frames.into_iter();
	let count = frames
		.next()
		.and_then(|f| f.try_into().ok().map(u32::from_le_bytes))
		.ok_or_else(|| protocol("missing output count"))?;
	let mut outputs = Vec::with_capacity(count.min(1 << 16) as usize);
	for _ in 0..count {
		let name = frames.next().ok_or_else(|| protocol("missing output name"))?;
		let data = frames.next().ok_or_else(|| protocol("missing output data"))?;
		let name = String::from_utf8(name).map_err(protocol)?;
		outputs.push(npy::decode(&name, &data)?);
	}
	Ok(outputs)
}

/// A response is a count frame followed by that many frames, `most` bytes in all.
fn read_response(r: &mut impl Read, most: u64) -> io::Result<Vec<Vec<u8>>> {
	let count = read_u32(r)? as usize;
	if count > 1 << 16 {
		return Err(io::Error::new(io::ErrorKind::InvalidData, "too many frames"));
	}
	let mut left = most;
	let mut frames = Vec::with_capacity(count);
	for _ in 0..count {
		let frame = read_frame_within(r, usize::try_from(left).unwrap_or(usize::MAX))?;
		left -= frame.len() as u64;
		frames.push(frame);
	}
	Ok(frames)
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
	/// Threads one run may use.
	pub threads: usize,
	/// TEST ONLY: act as on a kernel without Landlock and seccomp.
	pub pretend_unconfinable: bool,
}

/// The argument that makes a child act as on a kernel without Landlock and seccomp, for
/// tests of the fallback.
pub const PRETEND_UNCONFINABLE: &str = "--test-only-pretend-unconfinable";

/// Parses the child's `--key=value` arguments.
pub fn parse_child_args(args: &[String]) -> std::result::Result<ChildOptions, String> {
	let mut options = ChildOptions {
		limits: Limits::default(),
		memory_limit_bytes: None,
		kernels: Kernels::Native,
		threads: 1,
		pretend_unconfinable: false,
	};
	for arg in args {
		if arg == PRETEND_UNCONFINABLE {
			options.pretend_unconfinable = true;
			continue;
		}
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
				options.kernels =
					Kernels::from_name(value).ok_or_else(|| format!("unknown kernels {value}"))?
			},
			"--threads" => match number()? {
				threads @ 1..=MAX_THREADS_U64 => options.threads = threads as usize,
				_ => return Err(format!("threads must be 1 to {MAX_THREADS_U64}")),
			},
			_ => return Err(format!("unknown argument {arg}")),
		}
	}
	Ok(options)
}

/// Applies `options` to this process, confines it and serves requests: the whole life of a
/// child.
pub fn child_main(options: ChildOptions) -> io::Result<()> {
	confine::limit_resources(options.memory_limit_bytes.unwrap_or(u64::MAX))?;
	select_kernels(options.kernels);
	confine::confine(options.pretend_unconfinable);
	serve(options.limits, options.threads)
}

const MAX_THREADS_U64: u64 = crate::MAX_THREADS as u64;

/// Inputs of a `run` or `train` request: names and `.npy` bytes.
type NamedInputs = Vec<(String, Vec<u8>)>;

/// A request as the child reads it.
enum Request {
	Check { model: Vec<u8> },
	Run { model: Vec<u8>, inputs: NamedInputs },
	Train { model: Vec<u8>, inputs: NamedInputs, spec: Vec<u8> },
	Job { model: Vec<u8>, model_hash: [u8; 32], format: Vec<u8>, input: Vec<u8>, task: ChildTask },
	Manifest { manifest: Vec<u8> },
	Unknown(Vec<u8>),
}

/// What the child answered a request with.
enum Answer {
	/// `ok` and the response's frames.
	Frames(Vec<Vec<u8>>),
	/// `model`: send the request again with the model's bytes.
	NeedsModel,
}

/// [`JobTask`] as the child owns it.
enum ChildTask {
	Infer,
	Train { parameters: Vec<u8>, spec: Vec<u8> },
	Aggregate { base: Vec<u8>, manifest: Vec<u8>, updates: Vec<Vec<u8>> },
	Unknown(u8),
}

/// Reads one request; `None` when the parent closed the pipe between requests.
fn read_request(r: &mut impl Read) -> io::Result<Option<Request>> {
	let kind = match read_frame(r) {
		Ok(kind) => kind,
		Err(e) if e.kind() == io::ErrorKind::UnexpectedEof => return Ok(None),
		Err(e) => return Err(e),
	};
	let tensors = |r: &mut dyn Read| -> io::Result<(Vec<u8>, NamedInputs)> {
		let mut r = r;
		let model = read_frame(&mut r)?;
		// Outputs are quantised and digested by the parent; the precision frame is kept for
		// the protocol's shape.
		let _precision = read_frame(&mut r)?;
		let count = read_u32(&mut r)?;
		let mut inputs = Vec::new();
		for _ in 0..count {
			let name = String::from_utf8_lossy(&read_frame(&mut r)?).into_owned();
			inputs.push((name, read_frame(&mut r)?));
		}
		Ok((model, inputs))
	};
	Ok(Some(match kind.as_slice() {
		b"check" => Request::Check { model: tensors(r)?.0 },
		b"run" => {
			let (model, inputs) = tensors(r)?;
			Request::Run { model, inputs }
		},
		b"train" => {
			let (model, inputs) = tensors(r)?;
			Request::Train { model, inputs, spec: read_frame(r)? }
		},
		b"job" => {
			let model = read_frame(r)?;
			let model_hash = read_frame(r)?
				.try_into()
				.map_err(|_| io::Error::new(io::ErrorKind::InvalidData, "model hash"))?;
			let _precision = read_frame(r)?;
			let format = read_frame(r)?;
			let input = read_frame(r)?;
			let task = match read_frame(r)?.as_slice() {
				[0] => ChildTask::Infer,
				[1] => ChildTask::Train { parameters: read_frame(r)?, spec: read_frame(r)? },
				[2] => {
					let base = read_frame(r)?;
					let manifest = read_frame(r)?;
					let count = read_u32(r)?;
					let updates = (0..count).map(|_| read_frame(r)).collect::<io::Result<_>>()?;
					ChildTask::Aggregate { base, manifest, updates }
				},
				other => ChildTask::Unknown(other.first().copied().unwrap_or(u8::MAX)),
			};
			Request::Job { model, model_hash, format, input, task }
		},
		b"manifest" => Request::Manifest { manifest: read_frame(r)? },
		_ => Request::Unknown(kind),
	}))
}

fn decode_npy_inputs(inputs: NamedInputs) -> Result<Vec<Tensor>> {
	inputs.into_iter().map(|(name, data)| npy::decode(&name, &data)).collect()
}

fn encode_outputs(outputs: Vec<Tensor>) -> Vec<Vec<u8>> {
	let mut frames = vec![(outputs.len() as u32).to_le_bytes().to_vec()];
	for t in &outputs {
		frames.push(t.name.as_bytes().to_vec());
		frames.push(npy::encode(t));
	}
	frames
}

/// Decodes a manifest, refusing one of more than [`MAX_MANIFEST_UPDATES`] updates before
/// decoding any of them.
fn decode_manifest(bytes: &[u8]) -> Result<AggregationManifest> {
	let malformed = |why: String| ExecutorError::MalformedInput(format!("manifest: {why}"));
	let Compact(count) =
		Compact::<u32>::decode(&mut &bytes[..]).map_err(|e| malformed(e.to_string()))?;
	if count > MAX_MANIFEST_UPDATES {
		return Err(malformed(format!("{count} updates, at most {MAX_MANIFEST_UPDATES}")));
	}
	AggregationManifest::decode_all(&mut &bytes[..]).map_err(|e| malformed(e.to_string()))
}

/// Decodes a job's blobs and runs its task; `model` comes with its content hash.
fn run_job(
	executor: &Executor,
	(model, model_hash): (&[u8], &[u8; 32]),
	format: &[u8],
	input: &[u8],
	task: ChildTask,
) -> Result<Vec<Tensor>> {
	let format = InputFormat::decode_all(&mut &format[..]).map_err(protocol)?;
	let (format, default_name) = match format {
		InputFormat::TensorProto => (Format::Pb, String::new()),
		InputFormat::Json => (Format::Json, String::new()),
		InputFormat::Npy => (Format::Npy, first_input_name(executor, model_hash, model)?),
		InputFormat::Scale => (Format::Scale, String::new()),
	};
	let inputs = formats::decode(format, input, &default_name)?;
	let spec_word = |spec: &[u8], i: usize| {
		spec.get(i * 4..i * 4 + 4)
			.map(|b| u32::from_le_bytes(b.try_into().expect("four bytes")))
	};
	match task {
		ChildTask::Infer => executor.run_hashed(model_hash, model, &inputs),
		ChildTask::Train { parameters, spec } => {
			let (Some(epochs), Some(batch_size)) = (spec_word(&spec, 0), spec_word(&spec, 1))
			else {
				return Err(protocol("malformed training spec"));
			};
			let parameters = formats::decode(Format::Scale, &parameters, "")?;
			executor.train(model, &parameters, &inputs, TrainSpec { epochs, batch_size })
		},
		ChildTask::Aggregate { base, manifest, updates } => {
			let manifest = decode_manifest(&manifest)?;
			if manifest.updates.len() != updates.len() {
				return Err(protocol("update blobs do not match the manifest"));
			}
			let base = formats::decode(Format::Scale, &base, "")?;
			// An update that does not decode goes in empty, to be rejected by the check.
			let updates: Vec<RoundUpdate> = manifest
				.updates
				.iter()
				.zip(updates)
				.map(|(entry, bytes)| RoundUpdate {
					parameters: formats::decode(Format::Scale, &bytes, "").unwrap_or_default(),
					weight: entry.weight,
					checked: entry.checked,
				})
				.collect();
			let clip = manifest.clip_milli as f64 / 1000.0;
			executor.aggregate_round(model, &base, &inputs, &updates, clip, manifest.trim as usize)
		},
		ChildTask::Unknown(tag) => Err(protocol(format!("unknown job task {tag}"))),
	}
}

/// The name of the model's first input: what an unnamed `.npy` tensor feeds.
fn first_input_name(executor: &Executor, model_hash: &[u8; 32], model: &[u8]) -> Result<String> {
	executor
		.summary_hashed(model_hash, model)?
		.inputs
		.first()
		.map(|input| input.name.clone())
		.ok_or_else(|| ExecutorError::InputMismatch("the model takes no inputs".into()))
}

fn answer(executor: &Executor, request: Request) -> Result<Vec<Vec<u8>>> {
	match request {
		Request::Check { model } => executor
			.check(&model)
			.and_then(|s| serde_json::to_vec(&s).map_err(protocol))
			.map(|json| vec![json]),
		Request::Run { model, inputs } => {
			executor.run_raw(&model, &decode_npy_inputs(inputs)?).map(encode_outputs)
		},
		Request::Train { model, inputs, spec } => {
			let inputs = decode_npy_inputs(inputs)?;
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
		Request::Job { model, model_hash, format, input, task } => {
			run_job(executor, (&model, &model_hash), &format, &input, task).map(encode_outputs)
		},
		Request::Manifest { manifest } => decode_manifest(&manifest)
			.map(|manifest| vec![manifest.updates.iter().flat_map(|u| u.parameters).collect()]),
		Request::Unknown(kind) => {
			Err(protocol(format!("unknown request {}", String::from_utf8_lossy(&kind))))
		},
	}
}

/// The answer to `request`, or `None` for an inference sent by hash whose model is not
/// cached here: the parent then sends its bytes.
fn answer_or_ask(executor: &Executor, request: Request) -> Option<Result<Vec<Vec<u8>>>> {
	match request {
		Request::Job { ref model, model_hash, task: ChildTask::Infer, .. }
			if model.is_empty() && !executor.holds_model(&model_hash) =>
		{
			None
		},
		request => Some(answer(executor, request)),
	}
}

/// The child's loop: answers requests on stdin until it closes. Each request may use the
/// CPU time of its wall-time budget and the plan's slack on each of its `threads`.
pub fn serve(limits: Limits, threads: usize) -> io::Result<()> {
	let wall = (limits.max_wall_time + PLAN_SLACK).as_secs_f64().ceil() as u64;
	let executor = Executor::new(limits, 256 * 1024 * 1024).with_threads(threads);
	let cpu_budget = wall.saturating_mul(executor.threads() as u64);
	let mut stdin = BufReader::new(io::stdin().lock());
	let mut stdout = BufWriter::new(io::stdout().lock());
	while let Some(request) = read_request(&mut stdin)? {
		confine::limit_cpu(cpu_budget)?;
		let response = match answer_or_ask(&executor, request) {
			None => vec![b"model".to_vec()],
			Some(Ok(mut frames)) => {
				frames.insert(0, b"ok".to_vec());
				frames
			},
			Some(Err(e)) => vec![b"err".to_vec(), serde_json::to_vec(&e).unwrap_or_default()],
		};
		write_response(&mut stdout, &response)?;
	}
	Ok(())
}
