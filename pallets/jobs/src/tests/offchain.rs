//! The off-chain worker: runs, commits and reveals once, across restarts.

use super::*;
use codec::Decode;
use mosaic_onnx_host::{OnnxBackend, OnnxExt};
use mosaic_primitives::{
	digest::QuantizedTensor,
	onnx::{RunRequest, RunResult, RunStatus, StartError, Ticket},
};
use sp_core::offchain::{testing, OffchainDbExt, OffchainWorkerExt, TransactionPoolExt};
use sp_runtime::testing::UintAuthorityId;
use std::sync::{Arc, Mutex};

/// An executor that finishes every run at once with `y = [values]`, recording requests.
/// With `hold` set, runs stay pending; `forget` drops them, as a node restart would.
#[derive(Default)]
struct Instant {
	requests: Mutex<Vec<RunRequest>>,
	done: Mutex<Vec<Ticket>>,
	hold: std::sync::atomic::AtomicBool,
	/// Finish as a node does a run of more than `MAX_VALUES_FROM_HOST` values.
	digest_only: std::sync::atomic::AtomicBool,
	cancelled: Mutex<Vec<Ticket>>,
}

impl Instant {
	fn forget(&self) {
		self.done.lock().unwrap().clear();
	}
}

impl OnnxBackend for Instant {
	fn start(&self, request: RunRequest) -> Result<(), StartError> {
		self.done.lock().unwrap().push(request.ticket);
		self.requests.lock().unwrap().push(request);
		Ok(())
	}
	fn poll(&self, ticket: Ticket) -> RunStatus {
		let mut done = self.done.lock().unwrap();
		if self.hold.load(std::sync::atomic::Ordering::SeqCst) && done.contains(&ticket) {
			return RunStatus::Pending;
		}
		match done.iter().position(|t| *t == ticket) {
			Some(i) => {
				done.remove(i);
				let outputs = vec![QuantizedTensor {
					name: b"y".to_vec(),
					element_type: ElementType::F32,
					shape: vec![2],
					values: vec![1000, 2000],
				}];
				let digest = mosaic_primitives::digest::canonical_digest(&outputs, 3).unwrap();
				if self.digest_only.load(std::sync::atomic::Ordering::SeqCst) {
					return RunStatus::DoneDigestOnly { digest, values: 1 << 20 };
				}
				RunStatus::Done(RunResult { digest, outputs })
			},
			None => RunStatus::Unknown,
		}
	}
	fn cancel(&self, ticket: Ticket) {
		self.done.lock().unwrap().retain(|t| *t != ticket);
		self.cancelled.lock().unwrap().push(ticket);
	}
}

#[test]
fn the_off_chain_worker_runs_commits_and_reveals_once() {
	let mut ext = new_test_ext();
	let (offchain, _state) = testing::TestOffchainExt::new();
	let (pool, pool_state) = testing::TestTransactionPoolExt::new();
	let backend = Arc::new(Instant::default());
	ext.register_extension(OffchainWorkerExt::new(offchain.clone()));
	ext.register_extension(OffchainDbExt::new(offchain));
	ext.register_extension(TransactionPoolExt::new(pool));
	ext.register_extension(OnnxExt(backend.clone()));
	execute_and_check(&mut ext, || {
		UintAuthorityId::set_all_keys(vec![key_of(10), 999]);
		register(10);
		let job = submit(1);
		run_to(2);

		MosaicJobs::offchain_worker(2);
		let requests = backend.requests.lock().unwrap().clone();
		assert_eq!(requests.len(), 1);
		assert_eq!(requests[0].model, [0; 32]);
		assert_eq!(requests[0].format, InputFormat::Scale);
		assert_eq!(requests[0].precision, 3);
		let txs = std::mem::take(&mut pool_state.write().transactions);
		assert_eq!(txs.len(), 1, "one commitment");
		let tx = Extrinsic::decode(&mut &txs[0][..]).unwrap();
		let sp_runtime::generic::Preamble::Signed(signer, _, _) = tx.preamble else {
			panic!("signed")
		};
		assert_eq!(signer, key_of(10));
		assert!(matches!(tx.function, RuntimeCall::MosaicJobs(Call::commit { job: 0, .. })));

		// Nothing twice: another run in the same phase sends nothing and starts nothing.
		MosaicJobs::offchain_worker(2);
		assert!(pool_state.read().transactions.is_empty());
		assert_eq!(backend.requests.lock().unwrap().len(), 1);

		// The commitment lands; the reveal follows in the next run.
		assert_ok!(tx.function.clone().dispatch(RuntimeOrigin::signed(signer)));
		assert!(matches!(status(job), JobStatus::Revealing { .. }));
		MosaicJobs::offchain_worker(3);
		let txs = std::mem::take(&mut pool_state.write().transactions);
		assert_eq!(txs.len(), 1, "one reveal");
		let tx = Extrinsic::decode(&mut &txs[0][..]).unwrap();
		assert_ok!(tx.function.dispatch(RuntimeOrigin::signed(key_of(10))));
		assert_eq!(status(job), JobStatus::Settled);
		let result = MosaicJobs::job_view(job).unwrap().job.result.unwrap();
		assert_eq!(result.outcome, outputs(&[1000, 2000]));
		MosaicJobs::offchain_worker(4);
		assert!(pool_state.read().transactions.is_empty());
	});
}

/// A run whose outputs the node kept (more values than reach the runtime) is judged as a
/// run whose outputs do not fit a reveal: here the version declares two values, so the
/// model produced more than it declares, its fault on every machine.
#[test]
fn outputs_the_node_kept_are_judged_without_their_values() {
	with_ocw(|backend, take| {
		backend.digest_only.store(true, std::sync::atomic::Ordering::SeqCst);
		UintAuthorityId::set_all_keys(vec![key_of(10), 999]);
		register(10);
		let job = submit(1);
		run_to(2);
		for block in [2, 3] {
			MosaicJobs::offchain_worker(block);
			let txs = take();
			assert_eq!(txs.len(), 1, "block {block}: one transaction");
			let tx = Extrinsic::decode(&mut &txs[0][..]).unwrap();
			assert_ok!(tx.function.dispatch(RuntimeOrigin::signed(key_of(10))));
		}
		let code = mosaic_primitives::onnx::OUTPUTS_EXCEED_DECLARED;
		assert_eq!(
			status(job),
			JobStatus::Failed(FailReason::Executor { code, model_fault: true })
		);
	});
}

/// Runs `test` with an off-chain worker environment: the executor, and a function that
/// takes the transactions submitted so far.
fn with_ocw(test: impl FnOnce(&Instant, &dyn Fn() -> Vec<Vec<u8>>)) {
	with_ocw_and_clock(|backend, take, _clock| test(backend, take))
}

/// As [`with_ocw`], with a third argument that moves the off-chain clock on by milliseconds.
fn with_ocw_and_clock(test: impl FnOnce(&Instant, &dyn Fn() -> Vec<Vec<u8>>, &dyn Fn(u64))) {
	let mut ext = new_test_ext();
	let (offchain, state) = testing::TestOffchainExt::new();
	let (pool, pool_state) = testing::TestTransactionPoolExt::new();
	let backend = Arc::new(Instant::default());
	ext.register_extension(OffchainWorkerExt::new(offchain.clone()));
	ext.register_extension(OffchainDbExt::new(offchain));
	ext.register_extension(TransactionPoolExt::new(pool));
	ext.register_extension(OnnxExt(backend.clone()));
	let take = move || std::mem::take(&mut pool_state.write().transactions);
	let clock = move |ms: u64| {
		let mut state = state.write();
		state.timestamp = state.timestamp.add(sp_core::offchain::Duration::from_millis(ms));
	};
	execute_and_check(&mut ext, || test(&backend, &take, &clock));
}

#[test]
fn a_run_lost_in_a_restart_is_started_again_under_the_same_ticket() {
	with_ocw(|backend, take| {
		UintAuthorityId::set_all_keys(vec![key_of(10)]);
		register(10);
		submit(1);
		run_to(2);
		backend.hold.store(true, std::sync::atomic::Ordering::SeqCst);
		MosaicJobs::offchain_worker(2);
		assert!(take().is_empty(), "still running");
		// The node restarts: its executor has no record of the run.
		backend.forget();
		backend.hold.store(false, std::sync::atomic::Ordering::SeqCst);
		MosaicJobs::offchain_worker(3);
		let requests = backend.requests.lock().unwrap().clone();
		assert_eq!(requests.len(), 2, "started again");
		assert_eq!(requests[0].ticket, requests[1].ticket);
		// The next run collects it and commits.
		MosaicJobs::offchain_worker(3);
		assert_eq!(take().len(), 1);
	});
}

#[test]
fn a_commitment_that_never_lands_is_sent_again_with_the_kept_salt() {
	with_ocw(|_backend, take| {
		UintAuthorityId::set_all_keys(vec![key_of(10)]);
		register(10);
		let job = submit(1);
		run_to(2);
		MosaicJobs::offchain_worker(2);
		let first = take();
		assert_eq!(first.len(), 1);
		// The pool dropped it. Not sent again in the same block...
		MosaicJobs::offchain_worker(2);
		assert!(take().is_empty());
		// ...then once per block, with the same commitment (the salt was kept): this mock's
		// three-block phase is all last chance.
		run_to(3);
		MosaicJobs::offchain_worker(3);
		let second = take();
		assert_eq!(second.len(), 1);
		let call = |raw: &Vec<u8>| Extrinsic::decode(&mut &raw[..]).unwrap().function;
		assert_eq!(call(&first[0]), call(&second[0]));
		MosaicJobs::offchain_worker(System::block_number());
		assert!(take().is_empty());
		// It lands; the reveal uses the kept salt and settles the job.
		assert_ok!(call(&second[0]).dispatch(RuntimeOrigin::signed(key_of(10))));
		MosaicJobs::offchain_worker(System::block_number());
		let reveal = take();
		assert_ok!(call(&reveal[0]).dispatch(RuntimeOrigin::signed(key_of(10))));
		assert_eq!(status(job), JobStatus::Settled);
	});
}

/// A transaction the pool dropped leaves a gap in the worker's nonces: the ones sent after it
/// wait behind it. Sending it again takes the chain's nonce and fills the gap (on the
/// four-validator network a fork invalidated a commitment, and every later one waited).
#[test]
fn a_transaction_sent_again_takes_the_chains_nonce_and_fills_the_gap() {
	with_ocw(|_backend, take| {
		UintAuthorityId::set_all_keys(vec![key_of(10)]);
		register(10);
		submit(1);
		run_to(2);
		MosaicJobs::offchain_worker(2);
		assert_eq!(take().len(), 1);
		// The pool drops the first commitment. In the next block (its last chance in this
		// mock's three-block phase) it goes again: it takes the chain's nonce, the gap's, and a
		// second job's first commitment follows it.
		submit(1);
		run_to(3);
		MosaicJobs::offchain_worker(3);
		assert_eq!(take().len(), 2);
		let mut this_block = SignedNonces::get().split_off(1);
		this_block.sort();
		assert_eq!(this_block, vec![0, 1]);
	});
}

/// Two transactions sent again in one run take consecutive nonces from the chain's. Both
/// taking the chain's nonce, the pool refused the second, and a commitment sent again near
/// the phase's end missed it (CI, session 17: an honest worker slashed for silence).
#[test]
fn transactions_sent_again_in_one_run_take_consecutive_nonces() {
	with_ocw(|_backend, take| {
		UintAuthorityId::set_all_keys(vec![key_of(10)]);
		register(10);
		let jobs = [submit(1), submit(1)];
		run_to(2);
		MosaicJobs::offchain_worker(2);
		assert_eq!(take().len(), 2);
		assert_eq!(SignedNonces::get(), vec![0, 1]);
		// A fork dropped both: both go again in one run, from the chain's nonce on.
		run_to(2 + crate::offchain::RESEND_AFTER as u64);
		MosaicJobs::offchain_worker(System::block_number());
		let again = take();
		assert_eq!(again.len(), 2);
		assert_eq!(SignedNonces::get(), vec![0, 1, 0, 1]);
		for raw in again {
			let tx = Extrinsic::decode(&mut &raw[..]).unwrap();
			assert_ok!(tx.function.dispatch(RuntimeOrigin::signed(key_of(10))));
		}
		for job in jobs {
			assert!(Commitments::<Test>::contains_key(job, 10));
		}
	});
}

/// A commitment sent at the worker's last chance (an abstention) has no time to wait for the
/// usual resend: while it is not on chain it goes again every block until the phase ends.
#[test]
fn a_commitment_at_its_last_chance_goes_again_every_block() {
	use mosaic_primitives::blob::FetchError;
	with_ocw(|_backend, take| {
		UintAuthorityId::set_all_keys(vec![key_of(10)]);
		register(10);
		let job = submit_on_the_remote_dataset();
		NotFetched::set(Some(FetchError::Http(503)));
		run_to(2);
		let JobStatus::Committing { until } = status(job) else { panic!("assigned") };
		run_to(until - 2);
		MosaicJobs::offchain_worker(until - 2);
		let first = take();
		assert_eq!(first.len(), 1, "the abstention");
		// It did not land: sent again in the phase's last block, the same commitment.
		run_to(until - 1);
		MosaicJobs::offchain_worker(until - 1);
		let again = take();
		assert_eq!(again.len(), 1, "sent again at once");
		let call = |raw: &Vec<u8>| Extrinsic::decode(&mut &raw[..]).unwrap().function;
		assert_eq!(call(&first[0]), call(&again[0]));
		assert_ok!(call(&again[0]).dispatch(RuntimeOrigin::signed(key_of(10))));
		assert!(Commitments::<Test>::contains_key(job, 10));
	});
}

/// A node killed in the middle of an off-chain worker run leaves its worker's lock taken.
/// Once the node has started again (and marked its new start), the lock is free at once: a
/// timed lock alone kept the restarted worker idle for most of a commit phase.
#[test]
fn a_lock_taken_before_the_node_last_started_is_free_at_once() {
	with_ocw(|_backend, take| {
		UintAuthorityId::set_all_keys(vec![key_of(10)]);
		register(10);
		submit(1);
		run_to(2);
		let node_starts = |bytes: &[u8]| {
			sp_io::offchain::local_storage_set(
				sp_runtime::offchain::StorageKind::PERSISTENT,
				mosaic_primitives::worker::NODE_START_KEY,
				bytes,
			)
		};
		node_starts(b"first start");
		let key = mosaic_primitives::worker::lock_key(&key_of(10));
		std::mem::forget(crate::offchain::worker_lock(&key).try_lock().unwrap());
		MosaicJobs::offchain_worker(2);
		assert!(take().is_empty(), "held by a live run");
		node_starts(b"second start");
		MosaicJobs::offchain_worker(2);
		assert_eq!(take().len(), 1, "the worker commits at once");
	});
}

/// A run that trapped leaves its worker's lock taken while the node lives on: the lock frees
/// itself within the commit phase (an older lock of five blocks and a minute outlived it).
#[test]
fn a_lock_left_by_a_trapped_run_frees_itself_within_the_commit_phase() {
	with_ocw_and_clock(|_backend, take, clock| {
		UintAuthorityId::set_all_keys(vec![key_of(10)]);
		register(10);
		let job = submit(1);
		run_to(2);
		// The run of block 2 took the lock and trapped before releasing it.
		let key = mosaic_primitives::worker::lock_key(&key_of(10));
		std::mem::forget(crate::offchain::worker_lock(&key).try_lock().unwrap());
		// Ten seconds on, the lock still keeps another run out, as it must while a run lives.
		clock(10_000);
		run_to(3);
		MosaicJobs::offchain_worker(3);
		assert!(take().is_empty());
		// Thirty seconds after it was taken, still in the commit
		// phase.
		clock(20_000);
		run_to(4);
		MosaicJobs::offchain_worker(4);
		assert_eq!(take().len(), 1, "the worker commits");
		assert!(matches!(status(job), JobStatus::Committing { until } if until > 4));
	});
}

#[test]
fn without_an_executor_the_off_chain_worker_does_nothing() {
	let mut ext = new_test_ext();
	let (pool, pool_state) = testing::TestTransactionPoolExt::new();
	ext.register_extension(TransactionPoolExt::new(pool));
	execute_and_check(&mut ext, || {
		UintAuthorityId::set_all_keys(vec![key_of(10)]);
		register(10);
		submit(1);
		run_to(2);
		MosaicJobs::offchain_worker(2);
		assert!(pool_state.read().transactions.is_empty());
	});
}

/// A remote input the node has not got (its server fails, or the download is still under way,
/// or the node runs too many) is asked for again while there is time, then the worker abstains:
/// committed and revealed as "could not run", neither a miss nor a slash. The worker never
/// waits for a download: the node fetches on its own tasks.
#[test]
fn an_input_that_cannot_be_fetched_in_time_is_an_abstention_not_a_miss() {
	use mosaic_primitives::blob::FetchError;
	for answer in [FetchError::Http(503), FetchError::Pending, FetchError::Busy] {
		with_ocw(|backend, take| {
			UintAuthorityId::set_all_keys(vec![key_of(10)]);
			register(10);
			let job = submit_on_the_remote_dataset();
			NotFetched::set(Some(answer));
			run_to(2);
			// While there is time, it asks again and nothing is sent or started; at its last
			// chance to commit, it abstains.
			assert_eq!(
				abstain_at_the_last_chance(job, take),
				Outcome::CouldNotRun { code: mosaic_primitives::onnx::REMOTE_BLOB_UNAVAILABLE },
				"{answer:?}"
			);
			assert!(backend.requests.lock().unwrap().is_empty(), "the run never starts");
			assert_eq!(Abstentions::<Test>::get(10), Some(1));
		});
	}
}

/// Before a run, the worker asks its node for every blob the run needs, the version's model
/// among them: a model registered by URI, or a sealed blob a warp-synced node never indexed,
/// comes from the node's peers or the model's URI, and is on the node before the run starts.
#[test]
fn a_worker_asks_its_node_for_every_blob_the_run_needs() {
	with_ocw(|backend, _take| {
		UintAuthorityId::set_all_keys(vec![key_of(10)]);
		register(10);
		submit_on_the_remote_dataset();
		run_to(2);
		MosaicJobs::offchain_worker(2);
		let model = <Test as Config>::Models::version(0, 1).unwrap().blob;
		assert_eq!(FetchAsked::get(), vec![model, DATASET]);
		assert_eq!(backend.requests.lock().unwrap().len(), 1, "then the run starts");
	});
}

/// Bytes the node found not to be what the blob claims end the run at once with code 16:
/// every honest worker finds the same.
#[test]
fn an_input_whose_bytes_are_not_the_claimed_ones_is_rejected_at_once() {
	use mosaic_primitives::blob::FetchError;
	with_ocw(|backend, take| {
		UintAuthorityId::set_all_keys(vec![key_of(10)]);
		register(10);
		submit_on_the_remote_dataset();
		NotFetched::set(Some(FetchError::HashMismatch));
		run_to(2);
		MosaicJobs::offchain_worker(2);
		let txs = take();
		assert_eq!(txs.len(), 1, "committed in the first block");
		let tx = Extrinsic::decode(&mut &txs[0][..]).unwrap();
		assert_ok!(tx.function.dispatch(RuntimeOrigin::signed(key_of(10))));
		MosaicJobs::offchain_worker(2);
		let tx = Extrinsic::decode(&mut &take()[0][..]).unwrap();
		let RuntimeCall::MosaicJobs(Call::reveal { outcome, .. }) = tx.function else {
			panic!("a reveal")
		};
		let code = mosaic_primitives::onnx::REMOTE_BLOB_REJECTED;
		assert_eq!(outcome, Outcome::Error { code, model_fault: false });
		assert!(backend.requests.lock().unwrap().is_empty(), "the run never starts");
	});
}

/// Submits ALICE's one-worker inference job on the remote blob `DATASET`; returns its id.
fn submit_on_the_remote_dataset() -> JobId {
	let job = NextJobId::<Test>::get();
	let input = JobInput::Blob { hash: DATASET, format: InputFormat::Npy };
	assert_ok!(MosaicJobs::submit_job(
		RuntimeOrigin::signed(ALICE),
		0,
		1,
		JobKind::Inference,
		input,
		1,
		100,
		30
	));
	job
}

/// Worker 10's off-chain worker on `job`, block by block through its commit phase: nothing
/// is sent before its last chance (two blocks before the phase ends), then a commitment and a
/// reveal, both dispatched. Returns the revealed outcome, once the job failed for want of a
/// quorum (it could escalate, so it settles in the next block's hooks) and the worker is
/// found to have lost nothing.
fn abstain_at_the_last_chance(job: JobId, take: &dyn Fn() -> Vec<Vec<u8>>) -> OutcomeOf<Test> {
	let JobStatus::Committing { until } = status(job) else { panic!("assigned") };
	for block in 2..until - 2 {
		run_to(block);
		MosaicJobs::offchain_worker(block);
		assert!(take().is_empty(), "block {block}: nothing sent yet");
	}
	run_to(until - 2);
	MosaicJobs::offchain_worker(until - 2);
	let txs = take();
	assert_eq!(txs.len(), 1, "its last chance to commit: one commitment");
	let tx = Extrinsic::decode(&mut &txs[0][..]).unwrap();
	assert_ok!(tx.function.dispatch(RuntimeOrigin::signed(key_of(10))));
	MosaicJobs::offchain_worker(until - 2);
	let tx = Extrinsic::decode(&mut &take()[0][..]).unwrap();
	let RuntimeCall::MosaicJobs(Call::reveal { outcome, .. }) = tx.function.clone() else {
		panic!("a reveal")
	};
	assert_ok!(tx.function.dispatch(RuntimeOrigin::signed(key_of(10))));
	run_to(until - 1);
	assert_eq!(status(job), JobStatus::Failed(FailReason::NoQuorum));
	let worker = Workers::<Test>::get(10).unwrap();
	assert_eq!((worker.stake, worker.missed), (2 * MIN_STAKE, 0));
	outcome
}

/// A run the node's executor has not finished (its queue is behind: runs ahead of it took
/// their whole budget) when the commit phase is about to end: the worker abstains rather than
/// miss the phase, and loses nothing.
#[test]
fn a_run_not_done_as_the_commit_phase_ends_is_an_abstention_not_a_miss() {
	with_ocw(|backend, take| {
		backend.hold.store(true, std::sync::atomic::Ordering::SeqCst);
		UintAuthorityId::set_all_keys(vec![key_of(10)]);
		register(10);
		let job = submit(1);
		run_to(2);
		let code = mosaic_primitives::onnx::RUN_NOT_FINISHED_IN_TIME;
		assert_eq!(abstain_at_the_last_chance(job, take), Outcome::CouldNotRun { code });
		let requests = backend.requests.lock().unwrap();
		assert_eq!(requests.len(), 1, "started once");
		assert_eq!(*backend.cancelled.lock().unwrap(), vec![requests[0].ticket], "dropped");
	});
}

/// The worker's off-chain record of a job, and its entry in the worker's index of records,
/// go with the job: the first run after the job ends deletes them, so they never pile up.
#[test]
fn a_finished_jobs_off_chain_records_are_deleted_by_the_next_run() {
	use sp_core::offchain::StorageKind;
	with_ocw(|_backend, take| {
		UintAuthorityId::set_all_keys(vec![key_of(10)]);
		register(10);
		let job = submit(1);
		run_to(2);
		for block in [2, 3] {
			MosaicJobs::offchain_worker(block);
			let tx = Extrinsic::decode(&mut &take()[0][..]).unwrap();
			assert_ok!(tx.function.dispatch(RuntimeOrigin::signed(key_of(10))));
		}
		assert_eq!(status(job), JobStatus::Settled);
		let record = crate::offchain::local_key(job, 0, &10u64);
		let index = crate::offchain::records_key(&10u64);
		let stored = |key: &[u8]| sp_io::offchain::local_storage_get(StorageKind::PERSISTENT, key);
		assert!(stored(&record).is_some() && stored(&index).is_some());
		MosaicJobs::offchain_worker(4);
		assert_eq!(stored(&record), None);
		assert_eq!(stored(&index), Some(Vec::<(JobId, u8)>::new().encode()));
	});
}
