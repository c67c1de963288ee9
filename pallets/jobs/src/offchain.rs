//! The off-chain worker: runs the jobs assigned to this node's workers, commits, reveals.
//!
//! For every worker key in the node's keystore that a registered worker signs with, and for
//! every job that worker holds, it moves the job one step per block:
//!
//! - commit phase, nothing started: start the run on the node's executor (`mosaic_onnx`);
//! - run finished: draw a salt, keep salt and outcome in persistent off-chain storage, submit
//!   the commitment;
//! - reveal phase: submit the kept outcome and salt;
//! - opening phase (jobs with more than one worker): submit the kept outcome's digest (or
//!   the whole abstention) and salt; then, when the job discloses this worker's attempt,
//!   submit the outcome.
//!
//! The per-job record in off-chain storage makes every step happen once: a run is started
//! again only if the node lost it (restarted) before collecting its result, and a commitment
//! or reveal is sent again only if it has not landed [`RESEND_AFTER`] blocks after it was
//! sent (the pool dropped it, or the node stopped before sending), or the next block in the
//! last blocks of a commit phase. A lock per worker keeps overlapping off-chain worker runs
//! (of consecutive blocks) apart. Records of jobs the worker no longer holds are deleted.

use super::*;
use frame_system::offchain::{AppCrypto, CreateSignedTransaction, SubmitTransaction};
use mosaic_onnx_host::mosaic_onnx;
use mosaic_primitives::onnx::{
	InputFormat, InputSource, RunRequest, RunStatus, RunTask, StartError, REMOTE_BLOB_REJECTED,
};
use sp_runtime::{
	offchain::{
		storage::StorageValueRef,
		storage_lock::{Lockable, StorageLock},
		Duration, StorageKind, Timestamp,
	},
	traits::{IdentifyAccount, One},
	RuntimeAppPublic,
};

/// How long one off-chain worker run waits for a run it just started, in milliseconds: small
/// models finish within it, so they commit one block earlier.
const WAIT_FOR_RUN_MS: u64 = 1_500;
/// How often it polls meanwhile.
const POLL_EVERY_MS: u64 = 50;
/// A locally tracked nonce is trusted for this many blocks; after that the chain's is used.
const NONCE_MEMORY: u32 = 10;
/// A commitment or reveal not on chain this many blocks after it was sent is sent again.
pub const RESEND_AFTER: u32 = 2;

/// Blocks before the end of its commit phase at which a worker that still has no outcome (an
/// input not fetched, a run not done) abstains, at most the phase's length less one. Its
/// commitment then has four blocks to land, sent again in each while it is not on chain. With
/// one block of slack, an abstention that did not reach the next block's author in time (three
/// validators, blocks forking) missed the phase, and the worker was slashed for silence; with
/// three and one re-send, a loaded machine's CI run still saw one miss (session 18).
pub const ABSTAIN_BEFORE_END: u32 = 5;

/// Whether `now` is a worker's last chance to commit before `until` (see
/// [`ABSTAIN_BEFORE_END`]).
fn last_chance<T: Config>(now: BlockNumberFor<T>, until: BlockNumberFor<T>) -> bool {
	let period = T::CommitPeriod::get();
	let margin = BlockNumberFor::<T>::from(ABSTAIN_BEFORE_END)
		.min(period.saturating_sub(One::one()))
		.max(2u32.into());
	now.saturating_add(margin) >= until
}

/// A worker's lock (one off-chain worker run at a time per worker) expires this long after it
/// was last renewed. A run renews it before each job's step, whose longest waits are
/// [`WAIT_FOR_RUN_MS`] for a run and a submission (downloads are the node's, not the run's):
/// ample margin, so it never expires under a live run even on a loaded machine. A lock taken
/// before the node last started is free at once ([`RunLock`]); the expiry frees one a run
/// left behind without dying with its node (a trap).
const LOCK_EXPIRES_MS: u64 = 25_000;

/// What this node did for one worker on one job attempt.
#[derive(Encode, Decode, Clone, PartialEq, Eq, Debug)]
pub enum LocalRun<Outcome, BlockNumber> {
	/// The run was handed to the executor.
	Started,
	/// The outcome is known and the commitment was sent at `sent_at`.
	Committed { salt: Salt, outcome: Outcome, sent_at: BlockNumber },
	/// The reveal was sent at `sent_at`.
	Revealed { salt: Salt, outcome: Outcome, sent_at: BlockNumber },
	/// The opening was sent at `sent_at`.
	Opened { salt: Salt, outcome: Outcome, sent_at: BlockNumber },
}

type LocalRunOf<T> = LocalRun<OutcomeOf<T>, BlockNumberFor<T>>;

/// Off-chain storage key of the list of a worker's job records.
pub(crate) fn records_key<AccountId: Encode>(worker: &AccountId) -> Vec<u8> {
	let mut key = b"mosaic/jobs/records/".to_vec();
	worker.encode_to(&mut key);
	key
}

/// Off-chain storage key of a worker's record for a job attempt.
pub fn local_key<AccountId: Encode>(job: JobId, attempt: u8, worker: &AccountId) -> Vec<u8> {
	let mut key = b"mosaic/jobs/run/".to_vec();
	(job, attempt, worker).encode_to(&mut key);
	key
}

/// The executor ticket of a worker's run of a job attempt.
pub fn ticket<AccountId: Encode>(job: JobId, attempt: u8, worker: &AccountId) -> [u8; 32] {
	(b"mosaic/job-run", job, attempt, worker).using_encoded(sp_io::hashing::blake2_256)
}

/// Entry point, called from `offchain_worker`.
pub fn run<T: Config>(now: BlockNumberFor<T>) {
	if !mosaic_onnx::available() {
		return;
	}
	let keys = <T::AuthorityId as AppCrypto<T::Public, T::Signature>>::RuntimeAppPublic::all();
	for key in keys {
		let generic =
			<T::AuthorityId as AppCrypto<T::Public, T::Signature>>::GenericPublic::from(key);
		let public: T::Public = generic.into();
		let account = public.clone().into_account();
		let Some(worker) = WorkerKeys::<T>::get(&account) else { continue };

		let lock_key = mosaic_primitives::worker::lock_key(&account);
		let mut lock = worker_lock(&lock_key);
		let Ok(mut guard) = lock.try_lock() else { continue };
		forget_finished::<T>(&worker);
		for job in Assignments::<T>::iter_key_prefix(&worker) {
			let _ = guard.extend_lock();
			if let Err(why) = step::<T>(job, &worker, &public, &account, now) {
				log::debug!(target: LOG_TARGET, "job {job}: {why}");
			}
		}
	}
}

/// The lock that keeps overlapping off-chain worker runs of one worker apart (see
/// [`RunLock`]).
pub(crate) fn worker_lock(key: &[u8]) -> StorageLock<'_, RunLock> {
	StorageLock::with_lockable(key, RunLock)
}

/// A lock only a run of the node's current process can hold. It is timed, not counted in
/// blocks (a restarted node may wait for blocks while its commit phase runs out), and names
/// the node's start ([`mosaic_primitives::worker::NODE_START_KEY`], written anew by the node
/// each time it starts): a lock taken before the node last started was left by a run that
/// died with it, and is free. Kept in the persistent off-chain database, a plain timed lock
/// outlived a node killed mid-run, whose restarted worker then sat idle for most of a commit
/// phase (on a loaded CI machine, all of one).
pub(crate) struct RunLock;

/// Until when, and under which start of the node, a [`RunLock`] is held.
#[derive(Encode, Decode, Clone, Debug)]
pub(crate) struct RunDeadline {
	start: Option<Vec<u8>>,
	until: Timestamp,
}

/// What the node wrote when it last started.
fn node_start() -> Option<Vec<u8>> {
	sp_io::offchain::local_storage_get(
		StorageKind::PERSISTENT,
		mosaic_primitives::worker::NODE_START_KEY,
	)
}

impl Lockable for RunLock {
	type Deadline = RunDeadline;

	fn deadline(&self) -> RunDeadline {
		let until = sp_io::offchain::timestamp().add(Duration::from_millis(LOCK_EXPIRES_MS));
		RunDeadline { start: node_start(), until }
	}

	fn has_expired(deadline: &RunDeadline) -> bool {
		deadline.start != node_start() || sp_io::offchain::timestamp() > deadline.until
	}
}

/// Deletes the records of jobs the worker no longer holds.
fn forget_finished<T: Config>(worker: &T::AccountId) {
	let key = records_key(worker);
	let index = StorageValueRef::persistent(&key);
	let Ok(Some(records)) = index.get::<Vec<(JobId, u8)>>() else { return };
	let (keep, done): (Vec<_>, Vec<_>) = records
		.into_iter()
		.partition(|(job, _)| Assignments::<T>::contains_key(worker, job));
	if done.is_empty() {
		return;
	}
	for (job, attempt) in done {
		let key = local_key(job, attempt, worker);
		StorageValueRef::persistent(&key).clear();
	}
	index.set(&keep);
}

/// Remembers that the worker has a record for a job attempt, so it can be deleted later.
fn remember<T: Config>(worker: &T::AccountId, job: JobId, attempt: u8) {
	let key = records_key(worker);
	let index = StorageValueRef::persistent(&key);
	let mut records = index.get::<Vec<(JobId, u8)>>().ok().flatten().unwrap_or_default();
	if !records.contains(&(job, attempt)) {
		records.push((job, attempt));
		index.set(&records);
	}
}

/// Moves one job one step for one worker.
fn step<T: Config>(
	job: JobId,
	worker: &T::AccountId,
	public: &T::Public,
	key_account: &T::AccountId,
	now: BlockNumberFor<T>,
) -> Result<(), &'static str> {
	let info = Jobs::<T>::get(job).ok_or("job gone")?;
	let Some(assignee) = info.assignees.iter().find(|a| a.worker == *worker) else {
		return Ok(());
	};
	let attempt = assignee.attempt;
	let key = local_key(job, attempt, worker);
	let store = StorageValueRef::persistent(&key);
	let local = store.get::<LocalRunOf<T>>().map_err(|_| "undecodable local record")?;
	let due = |sent_at: BlockNumberFor<T>| now >= sent_at.saturating_add(RESEND_AFTER.into());
	match (info.status, local) {
		(JobStatus::Committing { until }, None) if attempt == info.attempt => {
			// Never waits for a download: one run serves every job of the worker, and a wait
			// here would push the others' commitments toward their phases' ends.
			match fetch_blobs::<T>(job, &info) {
				Ok(Ok(())) => {},
				// Every honest worker finds the same bytes wrong: a deterministic outcome.
				Ok(Err(rejected)) => {
					remember::<T>(worker, job, attempt);
					return commit::<T>(job, worker, public, key_account, now, &store, rejected);
				},
				// The node has not got the bytes (still downloading, or the server failed) and a
				// later try would leave a commitment too little time to land before `until`
				// (`last_chance`): abstain rather than miss the phase.
				Err(_) if last_chance::<T>(now, until) => {
					log::info!(target: LOG_TARGET, "job {job}: an input could not be fetched in time; abstaining");
					remember::<T>(worker, job, attempt);
					let code = mosaic_primitives::onnx::REMOTE_BLOB_UNAVAILABLE;
					let outcome = Outcome::CouldNotRun { code };
					return commit::<T>(job, worker, public, key_account, now, &store, outcome);
				},
				Err(why) => return Err(why),
			}
			start::<T>(job, attempt, worker, &info)?;
			remember::<T>(worker, job, attempt);
			store.set(&LocalRunOf::<T>::Started);
			// Small models finish at once: collect in this run rather than the next block's.
			let deadline = sp_io::offchain::timestamp().add(Duration::from_millis(WAIT_FOR_RUN_MS));
			loop {
				if let Some(outcome) = collect::<T>(job, attempt, worker, &info)? {
					return commit::<T>(job, worker, public, key_account, now, &store, outcome);
				}
				if sp_io::offchain::timestamp() >= deadline {
					return Ok(());
				}
				sp_io::offchain::sleep_until(
					sp_io::offchain::timestamp().add(Duration::from_millis(POLL_EVERY_MS)),
				);
			}
		},
		(JobStatus::Committing { until }, Some(LocalRun::Started)) if attempt == info.attempt => {
			match collect::<T>(job, attempt, worker, &info)? {
				Some(outcome) => {
					commit::<T>(job, worker, public, key_account, now, &store, outcome)
				},
				// The node's executor is behind (runs ahead of this one took their whole
				// budget) and the phase is about to end: abstain rather than miss it.
				None if last_chance::<T>(now, until) => {
					log::info!(target: LOG_TARGET, "job {job}: the run is not done as the commit phase ends; abstaining");
					mosaic_onnx::cancel(&ticket(job, attempt, worker));
					let code = mosaic_primitives::onnx::RUN_NOT_FINISHED_IN_TIME;
					let outcome = Outcome::CouldNotRun { code };
					commit::<T>(job, worker, public, key_account, now, &store, outcome)
				},
				None => Ok(()),
			}
		},
		// In its last blocks the phase leaves no room to wait for the usual resend: a
		// commitment not on chain goes again every block.
		(JobStatus::Committing { until }, Some(LocalRun::Committed { salt, outcome, sent_at }))
			if attempt == info.attempt
				&& (due(sent_at) || (last_chance::<T>(now, until) && now > sent_at))
				&& !Commitments::<T>::contains_key(job, worker) =>
		{
			log::info!(target: LOG_TARGET, "job {job}: commitment not on chain; sending it again");
			let commitment = commitment_of::<T>(&info, worker, &salt, &outcome)?;
			send::<T>(public, key_account, now, Call::commit { job, commitment }, Attempt::Again)?;
			store.set(&LocalRunOf::<T>::Committed { salt, outcome, sent_at: now });
			Ok(())
		},
		(JobStatus::Revealing { .. }, Some(LocalRun::Committed { salt, outcome, .. })) => {
			if Reveals::<T>::contains_key(job, worker)
				|| !Commitments::<T>::contains_key(job, worker)
			{
				return Ok(());
			}
			reveal::<T>(job, public, key_account, now, &store, salt, outcome, Attempt::First)
		},
		(JobStatus::Opening { .. }, Some(LocalRun::Committed { salt, outcome, .. })) => {
			if !Commitments::<T>::contains_key(job, worker) {
				return Ok(());
			}
			open::<T>(job, public, key_account, now, &store, salt, outcome, Attempt::First)
		},
		(JobStatus::Opening { .. }, Some(LocalRun::Opened { salt, outcome, sent_at }))
			if due(sent_at)
				&& !Openings::<T>::contains_key(job, worker)
				&& !Reveals::<T>::contains_key(job, worker) =>
		{
			log::info!(target: LOG_TARGET, "job {job}: opening not on chain; sending it again");
			open::<T>(job, public, key_account, now, &store, salt, outcome, Attempt::Again)
		},
		(
			JobStatus::Disclosing { attempt: disclosing, .. },
			Some(LocalRun::Opened { salt, outcome, .. }),
		) if disclosing == attempt => {
			if Reveals::<T>::contains_key(job, worker) || !Openings::<T>::contains_key(job, worker)
			{
				return Ok(());
			}
			reveal::<T>(job, public, key_account, now, &store, salt, outcome, Attempt::First)
		},
		(status, Some(LocalRun::Revealed { salt, outcome, sent_at }))
			if due(sent_at)
				&& !Reveals::<T>::contains_key(job, worker)
				&& match status {
					JobStatus::Revealing { .. } => true,
					JobStatus::Disclosing { attempt: disclosing, .. } => disclosing == attempt,
					_ => false,
				} =>
		{
			log::info!(target: LOG_TARGET, "job {job}: reveal not on chain; sending it again");
			reveal::<T>(job, public, key_account, now, &store, salt, outcome, Attempt::Again)
		},
		_ => Ok(()),
	}
}

/// Asks the node for every blob a run needs (the version's model and parameters, the job's
/// input, parameters and manifest): remote ones it has not got and sealed ones it lacks (after
/// warp sync) it downloads on its own tasks, all at once, from its peers and a remote blob's
/// URI. Until it has every one, the run waits for a later block (`Err`), up to the last chance
/// to commit (then the worker abstains, see `step`); bytes that are not what a remote blob
/// claims end the run with [`REMOTE_BLOB_REJECTED`] (`Ok(Err(outcome))`).
fn fetch_blobs<T: Config>(
	job: JobId,
	info: &JobInfoOf<T>,
) -> Result<Result<(), OutcomeOf<T>>, &'static str> {
	use mosaic_primitives::blob::FetchError;
	let view = T::Models::version(info.model, info.version).ok_or("version gone")?;
	let [parameters, manifest] = info.kind.blobs();
	let mut waiting = false;
	let needed = [Some(view.blob), view.parameters, info.input.blob(), parameters, manifest];
	for hash in needed.into_iter().flatten() {
		match T::Blobs::ensure_local(&hash) {
			Ok(()) | Err(FetchError::Unknown | FetchError::NotRemote) => {},
			Err(why) if why.is_rejection() => {
				log::warn!(target: LOG_TARGET, "job {job}: remote blob rejected: {why:?}");
				return Ok(Err(Outcome::Error { code: REMOTE_BLOB_REJECTED, model_fault: false }));
			},
			Err(FetchError::Pending) => waiting = true,
			Err(why) => {
				log::info!(target: LOG_TARGET, "job {job}: a blob is not fetched ({why:?}); asking again next block");
				waiting = true;
			},
		}
	}
	if waiting {
		return Err("blobs not fetched yet");
	}
	Ok(Ok(()))
}

/// Hands the job to the node's executor.
fn start<T: Config>(
	job: JobId,
	attempt: u8,
	worker: &T::AccountId,
	info: &JobInfoOf<T>,
) -> Result<(), &'static str> {
	let view = T::Models::version(info.model, info.version).ok_or("version gone")?;
	let (input, format) = match &info.input {
		JobInput::Blob { hash, format } => (InputSource::Blob(*hash), *format),
		JobInput::Inline(tensors) => {
			(InputSource::Inline(to_input_tensors(tensors).encode()), InputFormat::Scale)
		},
	};
	let request = RunRequest {
		ticket: ticket(job, attempt, worker),
		model: view.blob,
		input,
		format,
		precision: view.precision,
		task: match info.kind {
			JobKind::Inference => RunTask::Infer,
			JobKind::Training(spec) => RunTask::Train {
				parameters: spec.parameters,
				epochs: spec.epochs.into(),
				batch_size: spec.batch_size,
			},
			JobKind::Aggregation(spec) => {
				RunTask::Aggregate { parameters: spec.parameters, manifest: spec.manifest }
			},
		},
	};
	match mosaic_onnx::start(request.encode()) {
		Ok(()) | Err(StartError::DuplicateTicket) => Ok(()),
		Err(StartError::Busy) => Err("executor busy; retrying next block"),
		Err(StartError::Unavailable) => Err("executor unavailable"),
	}
}

/// The run's outcome if it finished; restarts a run the node lost.
fn collect<T: Config>(
	job: JobId,
	attempt: u8,
	worker: &T::AccountId,
	info: &JobInfoOf<T>,
) -> Result<Option<OutcomeOf<T>>, &'static str> {
	match mosaic_onnx::poll(&ticket(job, attempt, worker)) {
		RunStatus::Pending => Ok(None),
		RunStatus::Unknown => {
			// Lost (the node restarted): run it again.
			start::<T>(job, attempt, worker, info)?;
			Ok(None)
		},
		// The machine failed, not the job: no verdict (see `Outcome::CouldNotRun`).
		RunStatus::Failed { code, .. } if mosaic_primitives::onnx::is_machine_failure(code) => {
			Ok(Some(Outcome::CouldNotRun { code }))
		},
		RunStatus::Failed { code, model_fault, .. } => {
			Ok(Some(Outcome::Error { code, model_fault }))
		},
		RunStatus::Done(result) => finished::<T>(info, result.digest, Some(result.outputs)),
		RunStatus::DoneDigestOnly { digest, .. } => finished::<T>(info, digest, None),
	}
}

/// The outcome of a finished run: its outputs when they fit a reveal (`outputs` is `None`
/// when the node kept them, being more than `MAX_VALUES_FROM_HOST` values, which is more
/// than `MaxOutputValues`: see `integrity_test`), else its digest.
fn finished<T: Config>(
	info: &JobInfoOf<T>,
	digest: [u8; 32],
	outputs: Option<Vec<mosaic_primitives::digest::QuantizedTensor>>,
) -> Result<Option<OutcomeOf<T>>, &'static str> {
	let outcome = outputs
		.filter(|outputs| {
			let values: u64 = outputs.iter().map(|o| o.values.len() as u64).sum();
			values <= T::MaxOutputValues::get() as u64
		})
		.and_then(from_quantized)
		.map(Outcome::Outputs);
	if outcome.is_none() {
		// The chain refuses a digest for outputs its schema says fit a reveal: a model
		// that produces more than it declares is at fault, the same on every machine.
		let view = T::Models::version(info.model, info.version).ok_or("version gone")?;
		let sizes = Pallet::<T>::inline_sizes(&info.input, &view.inputs);
		if Pallet::<T>::outputs_fit_a_reveal(&info.kind, &view.outputs, &sizes) {
			return Ok(Some(Outcome::Error {
				code: mosaic_primitives::onnx::OUTPUTS_EXCEED_DECLARED,
				model_fault: true,
			}));
		}
	}
	Ok(Some(outcome.unwrap_or(Outcome::Digest(digest))))
}

/// Keeps the outcome with a fresh salt, then submits the commitment.
fn commit<T: Config>(
	job: JobId,
	worker: &T::AccountId,
	public: &T::Public,
	key_account: &T::AccountId,
	now: BlockNumberFor<T>,
	store: &StorageValueRef,
	outcome: OutcomeOf<T>,
) -> Result<(), &'static str> {
	let info = Jobs::<T>::get(job).ok_or("job gone")?;
	let salt = sp_io::offchain::random_seed();
	let commitment = commitment_of::<T>(&info, worker, &salt, &outcome)?;
	// Kept before sending: a crash after sending must not lose the salt.
	store.set(&LocalRunOf::<T>::Committed { salt, outcome, sent_at: now });
	send::<T>(public, key_account, now, Call::commit { job, commitment }, Attempt::First)
}

/// Reveals the kept outcome.
#[allow(clippy::too_many_arguments)]
fn reveal<T: Config>(
	job: JobId,
	public: &T::Public,
	key_account: &T::AccountId,
	now: BlockNumberFor<T>,
	store: &StorageValueRef,
	salt: Salt,
	outcome: OutcomeOf<T>,
	attempt: Attempt,
) -> Result<(), &'static str> {
	let call = Call::reveal { job, salt, outcome: outcome.clone() };
	send::<T>(public, key_account, now, call, attempt)?;
	store.set(&LocalRunOf::<T>::Revealed { salt, outcome, sent_at: now });
	Ok(())
}

/// Opens the kept outcome's commitment: its digest, or the whole abstention.
#[allow(clippy::too_many_arguments)]
fn open<T: Config>(
	job: JobId,
	public: &T::Public,
	key_account: &T::AccountId,
	now: BlockNumberFor<T>,
	store: &StorageValueRef,
	salt: Salt,
	outcome: OutcomeOf<T>,
	attempt: Attempt,
) -> Result<(), &'static str> {
	let info = Jobs::<T>::get(job).ok_or("job gone")?;
	let opening = match outcome {
		Outcome::CouldNotRun { code } => Opening::CouldNotRun { code },
		_ => {
			let view = T::Models::version(info.model, info.version).ok_or("version gone")?;
			let digest =
				Pallet::<T>::outcome_digest(&outcome, view.precision).map_err(|_| "bad outcome")?;
			Opening::Digest(digest)
		},
	};
	send::<T>(public, key_account, now, Call::open { job, salt, opening }, attempt)?;
	store.set(&LocalRunOf::<T>::Opened { salt, outcome, sent_at: now });
	Ok(())
}

/// The commitment to `outcome` with `salt`, at the job version's precision.
fn commitment_of<T: Config>(
	info: &JobInfoOf<T>,
	worker: &T::AccountId,
	salt: &Salt,
	outcome: &OutcomeOf<T>,
) -> Result<Digest, &'static str> {
	let view = T::Models::version(info.model, info.version).ok_or("version gone")?;
	let digest = Pallet::<T>::outcome_digest(outcome, view.precision).map_err(|_| "bad outcome")?;
	Ok(commitment(&digest, salt, worker))
}

/// Whether a transaction is sent for the first time or again because it did not land.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Attempt {
	First,
	Again,
}

/// Signs `call` with the worker key and submits it. A first attempt takes the nonce after this
/// node's own earlier submissions still in the pool. A transaction sent again takes the
/// chain's nonce: something this node sent did not land, and if the pool dropped it (a fork
/// invalidated it, eviction, a restart) every later nonce waits behind the gap it left. Should
/// the chain's nonce still be taken by a valid transaction in the pool, the pool refuses this
/// one and the kept nonce stays. Either skips the nonces this block's run already used: two
/// transactions sent again in one run shared the chain's nonce, the pool refused the second,
/// and a commitment sent again near its phase's end missed it.
fn send<T: Config>(
	public: &T::Public,
	account: &T::AccountId,
	now: BlockNumberFor<T>,
	call: Call<T>,
	attempt: Attempt,
) -> Result<(), &'static str> {
	let chain_nonce = frame_system::Pallet::<T>::account_nonce(account);
	let nonce_key = [b"mosaic/jobs/nonce/".as_slice(), &account.encode()].concat();
	let store = StorageValueRef::persistent(&nonce_key);
	let kept = store.get::<(T::Nonce, BlockNumberFor<T>)>().ok().flatten();
	let mut nonce = match kept {
		Some((next, at))
			if attempt == Attempt::First
				&& next > chain_nonce
				&& now.saturating_sub(at) <= NONCE_MEMORY.into() =>
		{
			next
		},
		_ => chain_nonce,
	};
	let used_key = [b"mosaic/jobs/nonces-used/".as_slice(), &account.encode()].concat();
	let used_store = StorageValueRef::persistent(&used_key);
	let mut used = match used_store.get::<(BlockNumberFor<T>, Vec<T::Nonce>)>() {
		Ok(Some((at, used))) if at == now => used,
		_ => Vec::new(),
	};
	while used.contains(&nonce) {
		nonce += One::one();
	}
	let xt = <T as CreateSignedTransaction<Call<T>>>::create_signed_transaction::<T::AuthorityId>(
		call.into(),
		public.clone(),
		account.clone(),
		nonce,
	)
	.ok_or("signing failed")?;
	SubmitTransaction::<T, Call<T>>::submit_transaction(xt).map_err(|_| "submission failed")?;
	let next = match kept {
		Some((next, at)) if at == now => next.max(nonce + One::one()),
		_ => nonce + One::one(),
	};
	store.set(&(next, now));
	used.push(nonce);
	used_store.set(&(now, used));
	Ok(())
}
