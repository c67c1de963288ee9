//! The node's executor service: what off-chain workers reach through the `mosaic_onnx` host
//! functions and what `mosaic_previewRun` runs on. One thread runs one request at a time
//! ([`RunBackend`]), matching the single-threaded execution profile, from two lanes: the
//! workers' runs, served first and in order, and previews, served only when no worker's run
//! waits. Finished runs are kept until polled; the outputs of a worker's run too large for
//! the runtime are kept for the requester ([`ResultStore`]).

mod backend;
mod blobs;
mod results;
#[cfg(test)]
mod tests;

pub use backend::{node_sandbox, Dishonest, RunBackend, SandboxBackend};
pub use blobs::{BlobSource, MemoryBlobs, NodeBlobs};
pub use results::{OffchainResults, ResultLimits, ResultStore, RESULT_PIECE};

use std::{
	collections::{HashMap, VecDeque},
	sync::{Arc, Condvar, Mutex, MutexGuard},
	time::Instant,
};

use mosaic_onnx_host::OnnxBackend;
use mosaic_primitives::onnx::{
	RunRequest, RunResult, RunStatus, StartError, Ticket, MAX_REVEALED_VALUES, MAX_VALUES_FROM_HOST,
};

/// Workers' runs waiting or in progress on one node, at most.
const MAX_PENDING: usize = 32;
/// Previews waiting on one node, at most (`mosaic_previewRun` runs one at a time anyway).
const MAX_PENDING_PREVIEWS: usize = 1;
/// Finished runs kept for polling, at most; the oldest are dropped first.
const MAX_FINISHED: usize = 256;

/// Which lane a run waits in.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Lane {
	Worker,
	Preview,
}

type Queued = (RunRequest, Instant);

#[derive(Default)]
struct Runs {
	workers: VecDeque<Queued>,
	previews: VecDeque<Queued>,
	running: Option<(Ticket, Lane)>,
	status: HashMap<Ticket, RunStatus>,
	finished_order: VecDeque<Ticket>,
}

impl Runs {
	fn waiting_in(&self, lane: Lane) -> usize {
		let queued = match lane {
			Lane::Worker => self.workers.len(),
			Lane::Preview => self.previews.len(),
		};
		queued + usize::from(self.running.is_some_and(|(_, running)| running == lane))
	}

	/// The next run to execute: a worker's before any preview.
	fn next(&mut self) -> Option<(Queued, Lane)> {
		let (lane, (request, queued_at)) = match self.workers.pop_front() {
			Some(run) => (Lane::Worker, run),
			None => (Lane::Preview, self.previews.pop_front()?),
		};
		self.running = Some((request.ticket, lane));
		Some(((request, queued_at), lane))
	}

	fn finish(&mut self, ticket: Ticket, status: RunStatus) {
		self.running = None;
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
	runs: Arc<(Mutex<Runs>, Condvar)>,
}

impl ExecutorService {
	/// Starts the thread that serves the queue with `backend`, keeping no results.
	pub fn spawn(backend: impl RunBackend) -> Arc<Self> {
		Self::spawn_keeping_results(backend, None)
	}

	/// Starts the thread that serves the queue with `backend`; the outputs of workers' runs too
	/// large for the runtime go to `results`.
	pub fn spawn_keeping_results(
		backend: impl RunBackend,
		results: Option<Arc<dyn ResultStore>>,
	) -> Arc<Self> {
		let runs = Arc::new((Mutex::new(Runs::default()), Condvar::new()));
		let served = runs.clone();
		std::thread::Builder::new()
			.name("mosaic-onnx".into())
			.spawn(move || loop {
				let ((request, queued_at), lane) = {
					let (runs, arrived) = &*served;
					let mut runs = lock(runs);
					loop {
						match runs.next() {
							Some(next) => break next,
							None => runs = arrived.wait(runs).unwrap_or_else(|p| p.into_inner()),
						}
					}
				};
				let keep = results.as_deref().filter(|_| lane == Lane::Worker);
				let status = execute(&backend, &request, queued_at, keep);
				lock(&served.0).finish(request.ticket, status);
			})
			.expect("spawning a thread at start-up");
		Arc::new(ExecutorService { runs })
	}

	/// Runs waiting for or in the executor, in both lanes.
	pub fn pending(&self) -> usize {
		let runs = lock(&self.runs.0);
		runs.waiting_in(Lane::Worker) + runs.waiting_in(Lane::Preview)
	}

	/// Queues a preview: it runs when no worker's run waits.
	pub fn start_preview(&self, request: RunRequest) -> Result<(), StartError> {
		self.enqueue(request, Lane::Preview)
	}

	fn enqueue(&self, request: RunRequest, lane: Lane) -> Result<(), StartError> {
		let (runs, arrived) = &*self.runs;
		let mut runs = lock(runs);
		if runs.status.contains_key(&request.ticket) {
			return Err(StartError::DuplicateTicket);
		}
		let most = match lane {
			Lane::Worker => MAX_PENDING,
			Lane::Preview => MAX_PENDING_PREVIEWS,
		};
		if runs.waiting_in(lane) >= most {
			return Err(StartError::Busy);
		}
		runs.status.insert(request.ticket, RunStatus::Pending);
		let queued = (request, Instant::now());
		match lane {
			Lane::Worker => runs.workers.push_back(queued),
			Lane::Preview => runs.previews.push_back(queued),
		}
		arrived.notify_one();
		Ok(())
	}
}

/// Runs one request and says how it ended, keeping outputs too large for a reveal in
/// `results`.
fn execute(
	backend: &impl RunBackend,
	request: &RunRequest,
	queued_at: Instant,
	results: Option<&dyn ResultStore>,
) -> RunStatus {
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
			let values: u64 = output.quantized.iter().map(|t| t.values.len() as u64).sum();
			// Agreed by digest, as the runtime will reveal them: the requester gets them here.
			if values > MAX_REVEALED_VALUES {
				if let Some(results) = results {
					keep_result(results, &output.quantized, request.precision, output.digest);
				}
			}
			// Dropped here, not at the poll: a finished run keeps only what the runtime gets.
			if values > MAX_VALUES_FROM_HOST {
				RunStatus::DoneDigestOnly { digest: output.digest, values }
			} else {
				RunStatus::Done(RunResult { digest: output.digest, outputs: output.quantized })
			}
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

/// Keeps the canonical encoding of `outputs` if it hashes to the digest the run reported
/// (the child computed that one; a mismatch is the child's bug, and nothing to serve).
fn keep_result(
	results: &dyn ResultStore,
	outputs: &[mosaic_primitives::digest::QuantizedTensor],
	precision: u8,
	digest: [u8; 32],
) {
	match mosaic_primitives::digest::canonical_bytes(outputs, precision) {
		Ok(bytes) if mosaic_executor::content_hash(&bytes) == digest => {
			results.keep(digest, &bytes)
		},
		_ => {
			log::warn!(target: "mosaic-onnx", "result 0x{}: not kept (no matching encoding)", hex(&digest[..4]))
		},
	}
}

impl OnnxBackend for ExecutorService {
	fn start(&self, request: RunRequest) -> Result<(), StartError> {
		self.enqueue(request, Lane::Worker)
	}

	fn poll(&self, ticket: Ticket) -> RunStatus {
		let mut runs = lock(&self.runs.0);
		match runs.status.get(&ticket) {
			None => RunStatus::Unknown,
			Some(RunStatus::Pending) => RunStatus::Pending,
			Some(_) => {
				runs.finished_order.retain(|t| *t != ticket);
				runs.status.remove(&ticket).unwrap_or(RunStatus::Unknown)
			},
		}
	}

	fn cancel(&self, ticket: Ticket) {
		let mut runs = lock(&self.runs.0);
		let before = runs.workers.len() + runs.previews.len();
		runs.workers.retain(|(request, _)| request.ticket != ticket);
		runs.previews.retain(|(request, _)| request.ticket != ticket);
		// A run in progress cannot be stopped; it finishes and is kept as any other.
		if runs.workers.len() + runs.previews.len() < before {
			runs.status.remove(&ticket);
		}
	}
}

pub(crate) fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
	m.lock().unwrap_or_else(|p| p.into_inner())
}

/// Lower-case hex without a prefix, for logs and messages.
pub fn hex(bytes: &[u8]) -> String {
	bytes.iter().map(|b| format!("{b:02x}")).collect()
}
