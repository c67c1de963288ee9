//! Unit tests of the jobs pallet: every call and error, every transition, the off-chain
//! worker, and property tests of conservation over random job histories.

mod abstentions;
mod agreement;
mod assignment;
mod migrations;
mod offchain;
mod properties;
mod recheck;
mod rounds;
mod schedule;
mod settlement;
mod submission;
mod training;
mod workers;

use crate::{mock::*, *};
use frame_support::{
	assert_noop, assert_ok,
	traits::{
		fungible::{Inspect as _, InspectHold as _},
		Hooks,
	},
};
use mosaic_primitives::onnx::InputFormat;
use mosaic_primitives::{
	contribution::{ContributionKind, RewardSource, Subject},
	digest::ElementType,
};
use sp_runtime::{traits::Dispatchable, BuildStorage};

fn escrow() -> RuntimeHoldReason {
	HoldReason::JobEscrow.into()
}

fn stake_reason() -> RuntimeHoldReason {
	HoldReason::WorkerStake.into()
}

fn register(worker: u64) {
	assert_ok!(MosaicJobs::register_worker(
		RuntimeOrigin::signed(worker),
		key_of(worker),
		2 * MIN_STAKE,
		2,
		key_proof(key_of(worker), worker),
	));
}

fn inline_x(values: &[f32]) -> JobInputOf<Test> {
	JobInput::Inline(
		vec![InlineTensor {
			name: b"x".to_vec().try_into().unwrap(),
			element_type: ElementType::F32,
			shape: vec![values.len() as u64].try_into().unwrap(),
			data: values
				.iter()
				.flat_map(|v| v.to_le_bytes())
				.collect::<Vec<_>>()
				.try_into()
				.unwrap(),
		}]
		.try_into()
		.unwrap(),
	)
}

/// The fee per worker of the jobs [`submit`] submits.
const FEE: u64 = 100;

/// What a dissent or a withheld reveal costs on a job of [`FEE`] per worker: the dissent
/// slash plus the fee the worker tried to earn.
const DISSENT: u64 = DISSENT_SLASH + FEE;

/// Registers each of `workers` (see [`register`]).
fn register_all(workers: impl IntoIterator<Item = u64>) {
	for w in workers {
		register(w);
	}
}

/// Submits a job on model 0 version 1 from ALICE with fee 100 per worker, deadline 30.
fn submit(k: u8) -> JobId {
	let id = NextJobId::<Test>::get();
	assert_ok!(MosaicJobs::submit_job(
		RuntimeOrigin::signed(ALICE),
		0,
		1,
		JobKind::Inference,
		inline_x(&[1.0, 2.0]),
		k,
		FEE,
		30
	));
	id
}

fn outputs(values: &[i64]) -> OutcomeOf<Test> {
	typed_outputs(ElementType::F32, values)
}

/// Outputs `y` of element type `element_type`.
fn typed_outputs(element_type: ElementType, values: &[i64]) -> OutcomeOf<Test> {
	Outcome::Outputs(
		vec![OutputTensor {
			name: b"y".to_vec().try_into().unwrap(),
			element_type,
			shape: vec![values.len() as u64].try_into().unwrap(),
			elements: values.to_vec().try_into().unwrap(),
		}]
		.try_into()
		.unwrap(),
	)
}

fn salt(worker: u64) -> Salt {
	[worker as u8; 32]
}

fn commit_as(worker: u64, job: JobId, outcome: &OutcomeOf<Test>) -> DispatchResultWithPostInfo {
	let digest = MosaicJobs::outcome_digest(outcome, 3).unwrap();
	MosaicJobs::commit(
		RuntimeOrigin::signed(key_of(worker)),
		job,
		commitment(&digest, &salt(worker), &worker),
	)
}

fn reveal_as(worker: u64, job: JobId, outcome: &OutcomeOf<Test>) -> DispatchResultWithPostInfo {
	MosaicJobs::reveal(RuntimeOrigin::signed(key_of(worker)), job, salt(worker), outcome.clone())
}

/// Opens `worker`'s commitment to `outcome` for `job`: its digest, or the whole abstention.
fn open_as(worker: u64, job: JobId, outcome: &OutcomeOf<Test>) -> DispatchResultWithPostInfo {
	let opening = match outcome {
		Outcome::CouldNotRun { code } => Opening::CouldNotRun { code: *code },
		_ => Opening::Digest(MosaicJobs::outcome_digest(outcome, 3).unwrap()),
	};
	MosaicJobs::open(RuntimeOrigin::signed(key_of(worker)), job, salt(worker), opening)
}

/// Opens, then reveals, every `(worker, outcome)` of a job with more than one worker, all in
/// one attempt: the opening phase, then the attempt's disclosure.
fn open_and_reveal<'a>(
	job: JobId,
	outcomes: impl IntoIterator<Item = (u64, &'a OutcomeOf<Test>)> + Clone,
) {
	for (w, out) in outcomes.clone() {
		assert_ok!(open_as(w, job, out));
	}
	end_deferred_opening(job);
	for (w, out) in outcomes {
		if !matches!(out, Outcome::CouldNotRun { .. }) {
			assert_ok!(reveal_as(w, job, out));
		}
	}
}

/// Declares version 1 of model 0's output `y: f32[m]`, where no input gives `m`: nothing on
/// chain bounds the outputs, so digest-only reveals are taken.
fn unbounded_outputs() {
	let m = Dim::Symbolic(b"m".to_vec().try_into().unwrap());
	let y = schema("y", ElementType::F32, vec![m]);
	Versions::mutate(|v| v.get_mut(&(0, 1)).unwrap().outputs = vec![y].try_into().unwrap());
}

/// Runs the next block when the last opening left the end of `job`'s opening phase to it (no
/// quorum of digests: the end may draw workers, which never happens inside an extrinsic). The
/// parent hash stays the one the test chose, for what happens after that block's hooks.
fn end_deferred_opening(job: JobId) {
	if matches!(status(job), JobStatus::Opening { .. }) {
		let parent = System::parent_hash();
		run_to(System::block_number() + 1);
		System::set_parent_hash(parent);
	}
}

fn run_to(n: u64) {
	while System::block_number() < n {
		let next = System::block_number() + 1;
		System::set_block_number(next);
		System::set_parent_hash(sp_core::H256::repeat_byte(next as u8));
		MosaicJobs::on_initialize(next);
	}
}

fn workers_of(job: JobId) -> Vec<u64> {
	MosaicJobs::job_view(job)
		.unwrap()
		.job
		.assignees
		.iter()
		.map(|a| a.worker)
		.collect()
}

fn status(job: JobId) -> JobStatus<u64> {
	MosaicJobs::job_view(job).unwrap().job.status
}

/// A digest-only outcome: the digest of `outcome`'s outputs.
fn digest_of(outcome: &OutcomeOf<Test>) -> OutcomeOf<Test> {
	Outcome::Digest(MosaicJobs::outcome_digest(outcome, 3).unwrap())
}

/// Whether any worker was slashed.
fn anyone_slashed() -> bool {
	events().iter().any(|e| matches!(e, Event::WorkerSlashed { .. }))
}

/// The draw weight `EligibleWorkers` lists for `worker`, if it is listed.
fn weight_of(worker: u64) -> Option<u64> {
	EligibleWorkers::<Test>::get()
		.iter()
		.find(|(w, _)| *w == worker)
		.map(|(_, s)| *s)
}

fn events() -> Vec<Event<Test>> {
	System::events()
		.into_iter()
		.filter_map(|r| if let RuntimeEvent::MosaicJobs(e) = r.event { Some(e) } else { None })
		.collect()
}

fn total_issuance() -> u64 {
	<Balances as frame_support::traits::fungible::Inspect<u64>>::total_issuance()
}

const DATASET: BlobHash = [0xbb; 32];
const PARAMS: BlobHash = [0xcc; 32];

fn training(epochs: u16, batch_size: u32) -> JobKind {
	JobKind::Training(TrainingSpec { parameters: PARAMS, epochs, batch_size })
}

fn dataset() -> JobInputOf<Test> {
	JobInput::Blob { hash: DATASET, format: InputFormat::Scale }
}

fn submit_training(k: u8) -> JobId {
	let id = NextJobId::<Test>::get();
	assert_ok!(MosaicJobs::submit_job(
		RuntimeOrigin::signed(ALICE),
		0,
		1,
		training(3, 8),
		dataset(),
		k,
		100,
		30
	));
	id
}

/// A training outcome: parameter `w` and a two-epoch loss curve, quantised at precision 3.
fn trained(w: &[i64]) -> OutcomeOf<Test> {
	let tensor = |name: &[u8], values: &[i64]| OutputTensor {
		name: name.to_vec().try_into().unwrap(),
		element_type: ElementType::F32,
		shape: vec![values.len() as u64].try_into().unwrap(),
		elements: values.to_vec().try_into().unwrap(),
	};
	Outcome::Outputs(vec![tensor(b"w", w), tensor(b"loss_curve", &[690, 310])].try_into().unwrap())
}
