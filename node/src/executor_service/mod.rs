//! The node's executor service: what off-chain workers reach through the `mosaic_onnx` host
//! functions and what `mosaic_previewRun` runs on. A queue served by one thread running one
//! request at a time ([`RunBackend`]), matching the single-threaded execution profile, with
//! finished runs kept until polled.

mod backend;
mod blobs;
#[cfg(test)]
mod tests;

pub use backend::{node_sandbox, Dishonest, RunBackend, SandboxBackend};
pub use blobs::{BlobSource, MemoryBlobs, OffchainBlobs};

use std::{
	collections::{HashMap, VecDeque},
	sync::{mpsc, Arc, Mutex, MutexGuard},
	time::Instant,
};

use mosaic_onnx_host::OnnxBackend;
use mosaic_primitives::onnx::{RunRequest, RunResult, RunStatus, StartError, Ticket};

/// Runs waiting or in progress on one node, at most.
const MAX_PENDING: usize = 32;
/// Finished runs kept for polling, at most; the oldest are dropped first.
const MAX_FINISHED: usize = 256;

#[derive(Default)]
struct Runs {
	pending: usize,
	status: HashMap<Ticket, RunStatus>,
	finished_order: VecDeque<Ticket>,
}

impl Runs {
	fn finish(&mut self, ticket: Ticket, status: RunStatus) {
		self.pending -= 1;
		self.status.insert(ticket, status);
		self.finished_order.push_back(ticket);
		while self.finished_order.len() > MAX_FINISHED {
			if let Some(old) = self.finished_order.pop_front() {
				self.status.remove(&old);
			}
		}
	}
}

/// The queue of runs and the thread that serves it.
pub struct ExecutorService {
	runs: Arc<Mutex<Runs>>,
	queue: Mutex<mpsc::Sender<(RunRequest, Instant)>>,
}

impl ExecutorService {
	/// Starts the thread that serves the queue with `backend`.
	pub fn spawn(backend: impl RunBackend) -> Arc<Self> {
		let runs = Arc::new(Mutex::new(Runs::default()));
		let (queue, requests) = mpsc::channel::<(RunRequest, Instant)>();
		let worker_runs = runs.clone();
		std::thread::Builder::new()
			.name("mosaic-onnx".into())
			.spawn(move || {
				for (request, queued_at) in requests {
					let status = execute(&backend, &request, queued_at);
					lock(&worker_runs).finish(request.ticket, status);
				}
			})
			.expect("spawning a thread at start-up");
		Arc::new(ExecutorService { runs, queue: Mutex::new(queue) })
	}

	/// Runs waiting for or in the executor.
	pub fn pending(&self) -> usize {
		lock(&self.runs).pending
	}
}

/// Runs one request and says how it ended.
fn execute(backend: &impl RunBackend, request: &RunRequest, queued_at: Instant) -> RunStatus {
	let ticket = &request.ticket;
	let started_at = Instant::now();
	let result = backend.run(request);
	log::info!(
		target: "mosaic-onnx",
		"run {} done in {:.1} ms after {:.1} ms in the queue",
		hex(&ticket[..4]),
		started_at.elapsed().as_secs_f64() * 1e3,
		(started_at - queued_at).as_secs_f64() * 1e3,
	);
	match result {
		Ok(output) => {
			RunStatus::Done(RunResult { digest: output.digest, outputs: output.quantized })
		},
		Err(e) => {
			log::info!(target: "mosaic-onnx", "run {} failed: {e}", hex(ticket));
			RunStatus::Failed {
				code: e.code(),
				model_fault: e.is_model_fault(),
				message: e.to_string().into_bytes(),
			}
		},
	}
}

impl OnnxBackend for ExecutorService {
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
			.send((request, Instant::now()))
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

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
	m.lock().unwrap_or_else(|p| p.into_inner())
}

/// Lower-case hex without a prefix, for logs and messages.
pub fn hex(bytes: &[u8]) -> String {
	bytes.iter().map(|b| format!("{b:02x}")).collect()
}
