//! The tests, by area: a job's whole life through every pallet, jobs that fail, and a whole
//! federated round.

mod attacks;
mod blob_attacks;
mod federated_round;
mod job_failures;
mod job_life;
mod round_attacks;

use crate::mock::*;
use mosaic_primitives::digest::{ElementType, QuantizedTensor};

/// The Mosaic pallets' events since the last [`take_events`] (System's and Balances' left out:
/// balances are asserted directly).
pub fn mosaic_events() -> Vec<RuntimeEvent> {
	take_events()
		.into_iter()
		.filter(|e| !matches!(e, RuntimeEvent::System(_) | RuntimeEvent::Balances(_)))
		.collect()
}

/// Asserts that the Mosaic pallets' events since the last [`take_events`] are exactly
/// `expected`, in any order: which agreeing worker is paid first follows the storage order of
/// their accounts' hashes, which is no part of the behaviour under test.
#[track_caller]
pub fn assert_mosaic_events(expected: Vec<RuntimeEvent>) {
	let mut actual = mosaic_events();
	for event in &expected {
		let position = actual
			.iter()
			.position(|e| e == event)
			.unwrap_or_else(|| panic!("missing {event:?}\namong {actual:#?}"));
		actual.remove(position);
	}
	assert!(actual.is_empty(), "unexpected events: {actual:#?}");
}

/// Everything held from `who`, for any reason, is zero.
#[track_caller]
pub fn assert_nothing_held(who: AccountId) {
	assert_eq!(total_held(who), 0, "{who} still has funds on hold");
}

/// The model every job test runs: [`OWNER`] stores [`MODEL_BYTES`] and registers it as
/// `doubler` version 1 (`y = 2 * x`, exact, 10 % royalty). Returns the model's blob.
pub fn doubler() -> mosaic_primitives::blob::BlobHash {
	let blob = store_blob(OWNER, MODEL_BYTES);
	assert_eq!(register_model("doubler", version_spec(blob, None)), 0);
	blob
}

/// Fee per worker of the jobs in these tests.
pub const FEE: Balance = 100;

/// [`ALICE`] submits `y = doubler(x)` for `x = [1, 2]` to `k` workers at [`FEE`] each, to
/// settle by `deadline`; returns the job's id.
pub fn submit_inference(k: u8, deadline: u64) -> u64 {
	let id = jobs::NextJobId::<Runtime>::get();
	frame_support::assert_ok!(Jobs::submit_job(
		RuntimeOrigin::signed(ALICE),
		0,
		1,
		jobs::JobKind::Inference,
		inline_x(&[1.0, 2.0]),
		k,
		FEE,
		deadline,
	));
	id
}

/// The right answer to [`submit_inference`]'s job: `[2.0, 4.0]` at precision 3.
pub fn doubled() -> jobs::OutcomeOf<Runtime> {
	outputs_y(&[2000, 4000])
}

/// A parameter blob as workers and the chain build it: `w` at precision 3.
pub fn parameters(w: [i64; 2]) -> Vec<u8> {
	let tensor = QuantizedTensor {
		name: b"w".to_vec(),
		element_type: ElementType::F32,
		shape: vec![2],
		values: w.to_vec(),
	};
	mosaic_primitives::training::parameters_blob(&[tensor], PRECISION).unwrap()
}

/// A training run's outcome: the trained `w`, the loss per epoch and the dataset's rows (10).
pub fn trained(w: [i64; 2]) -> jobs::OutcomeOf<Runtime> {
	trained_on(w, 10)
}

/// A training run's outcome on a dataset of `rows` rows: the trained `w`, the loss per
/// epoch and the rows.
pub fn trained_on(w: [i64; 2], rows: i64) -> jobs::OutcomeOf<Runtime> {
	jobs::Outcome::Outputs(
		vec![
			output("w", ElementType::F32, &w),
			output("loss_curve", ElementType::F32, &[690, 310]),
			output(mosaic_primitives::training::DATASET_ROWS, ElementType::I64, &[rows]),
		]
		.try_into()
		.unwrap(),
	)
}
