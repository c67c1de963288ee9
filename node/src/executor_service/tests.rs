//! The executor service without a node: its queue and polling with a stand-in backend, the
//! sandbox backend's blob look-ups (which fail before any sandbox starts), and the
//! dishonest wrapper.

use std::{
	sync::{Arc, Condvar, Mutex},
	time::{Duration, Instant},
};

use mosaic_executor::{
	content_hash,
	sandbox::{Sandbox, SandboxConfig},
	ExecutorError, Kernels, Limits, RunOutput,
};
use mosaic_onnx_host::OnnxBackend;
use mosaic_primitives::{
	digest::{canonical_digest, ElementType, QuantizedTensor},
	onnx::{InputFormat, InputSource, RunRequest, RunResult, RunStatus, RunTask, StartError},
};
use sp_core::offchain::{storage::InMemOffchainStorage, OffchainStorage, STORAGE_PREFIX};

use super::*;
use crate::blob_store::FileBlobs;

fn request(n: u64) -> RunRequest {
	let mut ticket = [0u8; 32];
	ticket[..8].copy_from_slice(&n.to_le_bytes());
	RunRequest {
		ticket,
		model: [1; 32],
		input: InputSource::Inline(n.to_le_bytes().to_vec()),
		format: InputFormat::Scale,
		precision: 4,
		task: RunTask::Infer,
	}
}

/// What [`Echo`] answers to a request: one tensor holding the input's bytes.
fn echoed(request: &RunRequest) -> RunOutput {
	let InputSource::Inline(bytes) = &request.input else { panic!("inline inputs only") };
	let quantized = vec![QuantizedTensor {
		name: b"echo".to_vec(),
		element_type: ElementType::I64,
		shape: vec![bytes.len() as u64],
		values: bytes.iter().map(|b| *b as i64).collect(),
	}];
	let digest = canonical_digest(&quantized, request.precision).unwrap();
	RunOutput { outputs: Vec::new(), quantized, digest, precision: request.precision }
}

/// Answers every request at once with its input; an empty input fails as malformed.
struct Echo;

impl RunBackend for Echo {
	fn run(&self, request: &RunRequest) -> Result<RunOutput, ExecutorError> {
		match &request.input {
			InputSource::Inline(bytes) if bytes.is_empty() => {
				Err(ExecutorError::MalformedInput("empty".into()))
			},
			_ => Ok(echoed(request)),
		}
	}
}

/// [`Echo`] that waits until the gate opens.
struct Gated(Arc<(Mutex<bool>, Condvar)>);

impl Gated {
	fn open(gate: &(Mutex<bool>, Condvar)) {
		*gate.0.lock().unwrap() = true;
		gate.1.notify_all();
	}
}

impl RunBackend for Gated {
	fn run(&self, request: &RunRequest) -> Result<RunOutput, ExecutorError> {
		let (open, changed) = &*self.0;
		let _open = changed.wait_while(open.lock().unwrap(), |open| !*open).unwrap();
		Echo.run(request)
	}
}

/// Polls until the run is no longer pending.
fn finished(service: &ExecutorService, request: &RunRequest) -> RunStatus {
	let deadline = Instant::now() + Duration::from_secs(10);
	loop {
		match service.poll(request.ticket) {
			RunStatus::Pending if Instant::now() < deadline => {
				std::thread::sleep(Duration::from_millis(1))
			},
			status => return status,
		}
	}
}

fn wait_until_idle(service: &ExecutorService) {
	let deadline = Instant::now() + Duration::from_secs(10);
	while service.pending() > 0 {
		assert!(Instant::now() < deadline, "the queue never drained");
		std::thread::sleep(Duration::from_millis(1));
	}
}

#[test]
fn a_queued_run_completes_and_its_result_is_collected_by_one_poll() {
	let service = ExecutorService::spawn(Echo);
	let run = request(7);
	assert_eq!(service.start(run.clone()), Ok(()));
	let expected = echoed(&run);
	assert_eq!(
		finished(&service, &run),
		RunStatus::Done(RunResult { digest: expected.digest, outputs: expected.quantized })
	);
	assert_eq!(service.poll(run.ticket), RunStatus::Unknown, "polling collected the result");
	assert_eq!(service.pending(), 0);
}

#[test]
fn a_ticket_never_started_is_unknown() {
	let service = ExecutorService::spawn(Echo);
	assert_eq!(service.poll([9; 32]), RunStatus::Unknown);
}

#[test]
fn a_failed_run_reports_the_executor_code_and_message() {
	let service = ExecutorService::spawn(Echo);
	let mut run = request(1);
	run.input = InputSource::Inline(Vec::new());
	service.start(run.clone()).unwrap();
	let error = ExecutorError::MalformedInput("empty".into());
	assert_eq!(
		finished(&service, &run),
		RunStatus::Failed { code: 9, model_fault: false, message: error.to_string().into_bytes() }
	);
}

#[test]
fn a_full_queue_is_busy_and_a_ticket_in_use_is_refused() {
	let gate = Arc::new((Mutex::new(false), Condvar::new()));
	let service = ExecutorService::spawn(Gated(gate.clone()));
	for n in 0..MAX_PENDING as u64 {
		assert_eq!(service.start(request(n)), Ok(()));
	}
	assert_eq!(service.pending(), MAX_PENDING);
	assert_eq!(service.start(request(0)), Err(StartError::DuplicateTicket));
	assert_eq!(service.start(request(MAX_PENDING as u64)), Err(StartError::Busy));
	assert_eq!(service.poll(request(3).ticket), RunStatus::Pending);

	Gated::open(&gate);
	wait_until_idle(&service);
	for n in 0..MAX_PENDING as u64 {
		assert!(matches!(service.poll(request(n).ticket), RunStatus::Done(_)), "run {n}");
	}
	assert_eq!(service.start(request(MAX_PENDING as u64)), Ok(()), "room again");
}

#[test]
fn finished_runs_nobody_polls_are_dropped_oldest_first() {
	let service = ExecutorService::spawn(Echo);
	let runs = (MAX_FINISHED + 1) as u64;
	for n in 0..runs {
		if service.pending() == MAX_PENDING {
			wait_until_idle(&service);
		}
		service.start(request(n)).unwrap();
	}
	wait_until_idle(&service);
	assert_eq!(service.poll(request(0).ticket), RunStatus::Unknown, "the oldest is gone");
	for n in 1..runs {
		assert!(matches!(service.poll(request(n).ticket), RunStatus::Done(_)), "run {n}");
	}
}

/// A sandbox that is never started: the backend must fail before it needs one.
fn unstartable_sandbox() -> Sandbox {
	Sandbox::new(SandboxConfig {
		program: "/nonexistent/mosaic-node".into(),
		args: Vec::new(),
		memory_limit_bytes: 1 << 30,
		limits: Limits::default(),
		kernels: Kernels::Generic,
		threads: 1,
	})
}

/// A blob the chain holds but this node does not (a sealed blob it never indexed, as after
/// warp sync) is this node's failure, not the model's or the input's: every node that has the
/// blob runs the job, so a verdict of "malformed" from this one would be outvoted and slashed
/// (and, on a quorum of such nodes, mark a good model invalid). The worker abstains (code 17,
/// a machine failure).
#[test]
fn a_model_blob_this_node_lacks_makes_the_worker_abstain() {
	// A real child: an inference goes to it by the model's hash, and it asks for the bytes.
	let backend = SandboxBackend::new(node_binary_sandbox(), Arc::new(MemoryBlobs::new([])));
	let run = request(1);
	let error = backend.run(&run).unwrap_err();
	assert!(error
		.to_string()
		.contains(&format!("model blob 0x{} is not on this node", hex(&run.model))));
	let service = ExecutorService::spawn(backend);
	service.start(run.clone()).unwrap();
	let RunStatus::Failed { code, model_fault, .. } = finished(&service, &run) else {
		panic!("failed")
	};
	assert_eq!((code, model_fault), (mosaic_primitives::onnx::REMOTE_BLOB_UNAVAILABLE, false));
	assert!(mosaic_primitives::onnx::is_machine_failure(code), "an abstention, not a verdict");
}

#[test]
fn an_input_parameter_or_update_blob_this_node_lacks_makes_the_worker_abstain() {
	let model = b"model bytes".to_vec();
	let blobs = Arc::new(MemoryBlobs::new([model.clone()]));
	let backend = SandboxBackend::new(unstartable_sandbox(), blobs);
	let mut run = request(1);
	run.model = mosaic_executor::content_hash(&model);
	run.input = InputSource::Blob([2; 32]);
	let error = backend.run(&run).unwrap_err();
	assert_eq!((error.code(), error.is_model_fault()), (17, false), "{error}");
	assert!(error
		.to_string()
		.contains(&format!("input blob 0x{} is not on this node", hex(&[2; 32]))));
	run.input = InputSource::Inline(vec![1]);
	run.task = RunTask::Train { parameters: [3; 32], epochs: 1, batch_size: 1 };
	let error = backend.run(&run).unwrap_err();
	assert_eq!((error.code(), error.is_model_fault()), (17, false), "{error}");

	// An aggregation whose manifest names an update this node lacks.
	let (error, _) = aggregate_with_manifest(2, b"an update the node lacks".to_vec(), false);
	assert_eq!((error.code(), error.is_model_fault()), (17, false), "{error}");
}

/// The child the node really starts: this crate's `mosaic-node onnx serve`, found next to
/// the test binary (`cargo nextest run --workspace` builds it for the CLI's tests).
fn node_binary_sandbox() -> Sandbox {
	let test_binary = std::env::current_exe().unwrap();
	let node = test_binary.parent().and_then(|deps| deps.parent()).unwrap().join("mosaic-node");
	assert!(node.is_file(), "{} missing: build mosaic-node first", node.display());
	Sandbox::new(SandboxConfig {
		program: node,
		args: vec!["onnx".into(), "serve".into()],
		memory_limit_bytes: 4 << 30,
		limits: Limits::default(),
		kernels: Kernels::Native,
		threads: 1,
	})
}

/// This process's peak resident memory, in bytes. Tests that read it assume a process of
/// their own, as cargo-nextest gives each test.
fn peak_memory() -> u64 {
	let status = std::fs::read_to_string("/proc/self/status").unwrap();
	let kib = status.lines().find_map(|l| l.strip_prefix("VmHWM:")).unwrap();
	kib.trim().trim_end_matches(" kB").parse::<u64>().unwrap() * 1024
}

/// Runs `run` on a backend with the real child and `blobs`; the error it ends with and how
/// much this process's peak memory grew meanwhile.
fn fail_with_peak(blobs: Vec<Vec<u8>>, run: &RunRequest) -> (ExecutorError, u64) {
	let backend = SandboxBackend::new(node_binary_sandbox(), Arc::new(MemoryBlobs::new(blobs)));
	let before = peak_memory();
	let error = backend.run(run).unwrap_err();
	(error, peak_memory() - before)
}

/// What the node itself may allocate for one run beyond the blobs it reads: copies of the
/// blobs in transit, never a decoded form of them.
const NODE_SIDE_BOUND: u64 = 96 << 20;

/// 16 MiB of JSON zeros decode to 8 M values of 32 bytes each before a tensor is built; the
/// node must leave that to the child.
#[test]
fn a_requesters_input_is_decoded_in_the_child_never_in_the_node() {
	let zeros = 8 << 20;
	let mut json = String::from(r#"{"inputs":[{"name":"x","dtype":"float32","shape":["#);
	json += &format!("{zeros}],\"data\":[0");
	json += &",0".repeat(zeros - 1);
	json += "]}]}";
	let model = b"not a model".to_vec();
	let mut run = request(1);
	run.model = mosaic_executor::content_hash(&model);
	run.input = InputSource::Blob(mosaic_executor::content_hash(json.as_bytes()));
	run.format = InputFormat::Json;
	let (error, grown) = fail_with_peak(vec![model, json.into_bytes()], &run);
	assert!(matches!(error, ExecutorError::MalformedModel(_)), "{error}");
	assert!(grown < NODE_SIDE_BOUND, "the node grew by {} MiB", grown >> 20);
}

/// An aggregation whose manifest names `entries` updates, all the blob `update` (which the
/// node holds if `held`); the run's error and how much the node's peak memory grew.
fn aggregate_with_manifest(entries: usize, update: Vec<u8>, held: bool) -> (ExecutorError, u64) {
	use codec::Encode;
	use mosaic_primitives::rounds::{AggregationManifest, ManifestEntry};
	let model = b"aggregation step".to_vec();
	let no_tensors = Vec::<u8>::from([0]);
	let entry = ManifestEntry {
		parameters: mosaic_executor::content_hash(&update),
		weight: 1,
		checked: true,
	};
	let manifest =
		AggregationManifest { updates: vec![entry; entries], clip_milli: 1_000, trim: 0 }.encode();
	let mut run = request(1);
	run.model = mosaic_executor::content_hash(&model);
	run.input = InputSource::Inline(no_tensors.clone());
	run.task = RunTask::Aggregate {
		parameters: mosaic_executor::content_hash(&no_tensors),
		manifest: mosaic_executor::content_hash(&manifest),
	};
	let mut blobs = vec![model, no_tensors, manifest];
	if held {
		blobs.push(update);
	}
	fail_with_peak(blobs, &run)
}

/// A manifest naming one large blob ten thousand times is refused by the child that decodes
/// it; one within the entry bound whose updates add up to more than the byte bound is
/// refused as they are read (each read once); updates that do not decode go in empty, and
/// the run ends with the step model's error. The node stays within its bound throughout.
#[test]
fn a_manifest_beyond_its_bounds_or_of_garbage_ends_the_run_with_an_error() {
	use mosaic_primitives::rounds::{MAX_MANIFEST_UPDATES, MAX_MANIFEST_UPDATE_BYTES};
	let large = vec![7u8; (MAX_MANIFEST_UPDATE_BYTES / MAX_MANIFEST_UPDATES as u64 + 1) as usize];
	let (error, grown) = aggregate_with_manifest(10_000, large.clone(), true);
	assert_eq!(
		error,
		ExecutorError::MalformedInput(format!(
			"manifest: 10000 updates, at most {MAX_MANIFEST_UPDATES}"
		))
	);
	assert!(grown < NODE_SIDE_BOUND, "the node grew by {} MiB", grown >> 20);

	let (error, grown) = aggregate_with_manifest(MAX_MANIFEST_UPDATES as usize, large, true);
	assert_eq!(
		error,
		ExecutorError::MalformedInput(format!(
			"manifest: more than {MAX_MANIFEST_UPDATE_BYTES} bytes of updates"
		))
	);
	assert!(grown < NODE_SIDE_BOUND, "the node grew by {} MiB", grown >> 20);

	let (error, _) =
		aggregate_with_manifest(MAX_MANIFEST_UPDATES as usize, b"garbage".to_vec(), true);
	assert!(matches!(error, ExecutorError::MalformedModel(_)), "{error}");
}

#[test]
fn node_blobs_are_returned_only_when_their_bytes_match_the_hash() {
	let (stored, other, in_file) =
		(b"a stored blob".to_vec(), b"different bytes".to_vec(), b"a fetched blob".to_vec());
	let [hash, other_hash, file_hash] = [&stored, &other, &in_file].map(|b| content_hash(b));
	let mut db = InMemOffchainStorage::default();
	db.set(STORAGE_PREFIX, &mosaic_primitives::blob::offchain_key(&hash), &stored);
	// Bytes under a key they do not hash to: corrupt or planted, never served.
	db.set(STORAGE_PREFIX, &mosaic_primitives::blob::offchain_key(&other_hash), &stored);
	let dir = crate::blob_store::tests::TempDir::new("node-blobs");
	let files = FileBlobs::open(&dir.0, Default::default()).unwrap();
	let mut partial = files.begin(file_hash, in_file.len() as u64).unwrap();
	partial.write(&in_file).unwrap();
	partial.finish().unwrap();
	let blobs = NodeBlobs { files, db };
	assert_eq!(blobs.blob(&hash), Some(stored));
	assert_eq!(blobs.blob(&file_hash), Some(in_file));
	assert_eq!(blobs.blob(&other_hash), None);
	assert_eq!(blobs.blob(&[0; 32]), None);
}

#[test]
fn a_dishonest_backend_reports_every_value_one_step_off_with_a_matching_digest() {
	let run = request(0x0102);
	let honest = Echo.run(&run).unwrap();
	let dishonest = Dishonest(Echo).run(&run).unwrap();
	assert_eq!(honest.quantized[0].values[..2], [2, 1]);
	for (lie, truth) in dishonest.quantized.iter().zip(&honest.quantized) {
		let expected: Vec<i64> = truth.values.iter().map(|v| v + 1).collect();
		assert_eq!(lie.values, expected);
	}
	assert_eq!(dishonest.digest, canonical_digest(&dishonest.quantized, run.precision).unwrap());
	assert_ne!(dishonest.digest, honest.digest);
	// Failures pass through untouched.
	let mut failing = request(1);
	failing.input = InputSource::Inline(Vec::new());
	assert_eq!(Dishonest(Echo).run(&failing).unwrap_err().code(), 9);
}

/// [`Gated`] that records the order it ran requests in.
struct Recording(Gated, Arc<Mutex<Vec<u64>>>);

impl RunBackend for Recording {
	fn run(&self, request: &RunRequest) -> Result<RunOutput, ExecutorError> {
		let output = self.0.run(request);
		self.1
			.lock()
			.unwrap()
			.push(u64::from_le_bytes(request.ticket[..8].try_into().unwrap()));
		output
	}
}

type Gate = Arc<(Mutex<bool>, Condvar)>;

/// A service over [`Recording`]: the service, its gate, and the order it ran tickets in.
fn recording() -> (Arc<ExecutorService>, Gate, Arc<Mutex<Vec<u64>>>) {
	let gate = Arc::new((Mutex::new(false), Condvar::new()));
	let order = Arc::new(Mutex::new(Vec::new()));
	let service = ExecutorService::spawn(Recording(Gated(gate.clone()), order.clone()));
	(service, gate, order)
}

/// Waits until the service's thread has taken a run (the gate holds it there).
fn wait_until_running(service: &ExecutorService) {
	let deadline = Instant::now() + Duration::from_secs(10);
	while lock(&service.runs.0).running.is_none() {
		assert!(Instant::now() < deadline, "nothing started");
		std::thread::sleep(Duration::from_millis(1));
	}
}

#[test]
fn workers_runs_are_served_before_previews_queued_ahead_of_them() {
	let (service, gate, order) = recording();
	service.start(request(1)).unwrap();
	wait_until_running(&service);
	service.start_preview(request(2)).unwrap();
	assert_eq!(service.start_preview(request(3)), Err(StartError::Busy), "one preview waits");
	service.start(request(4)).unwrap();
	service.start(request(5)).unwrap();
	Gated::open(&gate);
	wait_until_idle(&service);
	assert_eq!(*order.lock().unwrap(), vec![1, 4, 5, 2]);
	assert!(matches!(service.poll(request(2).ticket), RunStatus::Done(_)));
}

#[test]
fn a_queued_run_is_cancelled_and_a_running_one_finishes() {
	let (service, gate, order) = recording();
	service.start(request(1)).unwrap();
	wait_until_running(&service);
	service.start(request(2)).unwrap();
	service.cancel(request(2).ticket);
	assert_eq!(service.poll(request(2).ticket), RunStatus::Unknown, "dropped");
	service.cancel(request(1).ticket);
	assert_eq!(service.poll(request(1).ticket), RunStatus::Pending, "running on");
	Gated::open(&gate);
	wait_until_idle(&service);
	assert_eq!(*order.lock().unwrap(), vec![1]);
	assert!(matches!(service.poll(request(1).ticket), RunStatus::Done(_)));
	assert_eq!(service.start(request(2)), Ok(()), "a dropped ticket may be started again");
}

/// A run of `values` echoed values.
fn wide(n: u64, values: usize) -> RunRequest {
	let mut run = request(n);
	run.input = InputSource::Inline((0..values).map(|i| (i % 251) as u8).collect());
	run
}

/// A worker's run whose outputs are too many for the runtime is settled by digest: the node
/// keeps their canonical encoding, which hashes to that digest, for the requester. A
/// preview's is not kept.
#[test]
fn a_workers_output_too_large_for_the_runtime_is_kept_for_its_requester() {
	let results =
		Arc::new(OffchainResults::new(InMemOffchainStorage::default(), ResultLimits::default()));
	let service = ExecutorService::spawn_keeping_results(Echo, Some(results.clone()));
	let run = wide(1, 3 * RESULT_PIECE / 8);
	assert_eq!(service.start(run.clone()), Ok(()));
	let RunStatus::DoneDigestOnly { digest, values } = finished(&service, &run) else {
		panic!("settled by digest")
	};
	assert_eq!(values, 3 * RESULT_PIECE as u64 / 8);
	let mut kept = Vec::new();
	loop {
		let (size, piece) = results.piece(&digest, kept.len() as u64, RESULT_PIECE as u64).unwrap();
		kept.extend(piece);
		if kept.len() as u64 == size {
			break;
		}
	}
	assert_eq!(mosaic_executor::content_hash(&kept), digest, "what is served is what was agreed");
	assert_eq!(
		kept,
		mosaic_primitives::digest::canonical_bytes(&echoed(&run).quantized, 4).unwrap()
	);

	let preview = wide(2, 70_000);
	assert_eq!(service.start_preview(preview.clone()), Ok(()));
	let RunStatus::DoneDigestOnly { digest, .. } = finished(&service, &preview) else {
		panic!("settled by digest")
	};
	assert_eq!(results.piece(&digest, 0, 1), None, "a preview's outputs are the caller's");
}

/// Outputs of more values than a reveal carries, but few enough for the runtime, reach the
/// runtime (which reveals them by digest) and are kept all the same; outputs a reveal
/// carries are not.
#[test]
fn a_workers_output_too_large_for_a_reveal_is_kept_for_its_requester() {
	let results =
		Arc::new(OffchainResults::new(InMemOffchainStorage::default(), ResultLimits::default()));
	let service = ExecutorService::spawn_keeping_results(Echo, Some(results.clone()));
	for (n, values, kept) in [(1, MAX_REVEALED_VALUES as usize + 1, true), (2, 4096, false)] {
		let run = wide(n, values);
		assert_eq!(service.start(run.clone()), Ok(()));
		let RunStatus::Done(result) = finished(&service, &run) else { panic!("{values}: done") };
		let (size, bytes) = match results.piece(&result.digest, 0, RESULT_PIECE as u64) {
			Some(piece) => piece,
			None => {
				assert!(!kept, "{values} values: not kept");
				continue;
			},
		};
		assert!(kept, "{values} values: kept, though a reveal carries them");
		assert_eq!(size, bytes.len() as u64);
		assert_eq!(mosaic_executor::content_hash(&bytes), result.digest);
	}
}

/// Kept results are read piece by piece, across the stored pieces' bounds, and bounded by
/// bytes: keeping one that would pass the bound evicts the oldest first.
#[test]
fn kept_results_are_served_in_pieces_and_bounded() {
	let limits = ResultLimits { bytes: 3 * RESULT_PIECE as u64, results: 8 };
	let results = OffchainResults::new(InMemOffchainStorage::default(), limits);
	let bytes =
		|n: usize, seed: u8| (0..n).map(|i| (i as u8).wrapping_add(seed)).collect::<Vec<u8>>();
	let (first, second) = (bytes(2 * RESULT_PIECE + 10, 1), bytes(RESULT_PIECE, 2));
	results.keep([1; 32], &first);
	let across = RESULT_PIECE as u64 - 5;
	assert_eq!(
		results.piece(&[1; 32], across, 10),
		Some((first.len() as u64, first[across as usize..across as usize + 10].to_vec()))
	);
	assert_eq!(
		results.piece(&[1; 32], 2 * RESULT_PIECE as u64, 100).unwrap().1,
		first[2 * RESULT_PIECE..]
	);
	assert_eq!(results.piece(&[1; 32], first.len() as u64 + 1, 1).unwrap().1, Vec::<u8>::new());
	results.keep([2; 32], &second);
	assert_eq!(results.piece(&[1; 32], 0, 1), None, "the oldest went to make room");
	assert_eq!(results.piece(&[2; 32], 0, 3).unwrap().1, second[..3]);
	results.keep([3; 32], &bytes(4 * RESULT_PIECE, 3));
	assert_eq!(results.piece(&[3; 32], 0, 1), None, "larger than the whole bound: not kept");
	assert!(results.piece(&[2; 32], 0, 1).is_some());
}
