//! Benchmarks of the rounds pallet (benchmarks v2), each at its worst case: a round's jobs go
//! through the real jobs pallet and its new version through the real registry when run in
//! the runtime.

use super::*;
use crate::Pallet as RoundsPallet;
use frame_benchmarking::v2::*;
use frame_support::traits::fungible::Mutate;
use frame_system::RawOrigin;
use mosaic_primitives::rounds::{JobEnd, JobObserver};

fn funded<T: Config>(who: &T::AccountId) {
	let amount = T::Currency::minimum_balance().saturating_mul(1_000_000_000u32.into());
	let _ = T::Currency::set_balance(who, amount);
}

fn settings<T: Config>(min_shards: u32) -> RoundSettingsOf<T> {
	RoundSettings {
		epochs: 1,
		batch_size: 1,
		clip_milli: u32::MAX,
		trim: 1,
		min_shards,
		replication: 1,
		fee_per_worker: T::Currency::minimum_balance().saturating_mul(1_000u32.into()),
		job_period: 100u32.into(),
	}
}

/// A budget that covers every job of a round of `MaxShards` public shards.
fn budget<T: Config>() -> BalanceOf<T> {
	T::Currency::minimum_balance().saturating_mul(1_000_000u32.into())
}

/// A round by a funded model owner with a budget, open for `MaxJoinPeriod` blocks.
fn open_round<T: Config>(min_shards: u32) -> (T::AccountId, RoundId) {
	let creator: T::AccountId = account("creator", 0, 0);
	// After registering: the registry's helper sets the owner's balance for the model.
	let (model, base) = T::BenchmarkHelper::version_with_parameters(&creator);
	funded::<T>(&creator);
	let validation = T::BenchmarkHelper::sealed_blob(&creator, 1_000);
	let round = NextRoundId::<T>::get();
	let join_until =
		frame_system::Pallet::<T>::block_number().saturating_add(T::MaxJoinPeriod::get());
	RoundsPallet::<T>::create_round(
		RawOrigin::Signed(creator.clone()).into(),
		model,
		base,
		validation,
		settings::<T>(min_shards),
		budget::<T>(),
		join_until,
	)
	.expect("a valid round opens");
	(creator, round)
}

/// `count` private shards, each of its own funded owner, committed to their updates; returns
/// the owners and their updates.
fn join_private_shards<T: Config>(round: RoundId, count: u32) -> Vec<(T::AccountId, BlobHash)> {
	(0..count)
		.map(|i| {
			let owner: T::AccountId = account("owner", i, 0);
			funded::<T>(&owner);
			let update = T::BenchmarkHelper::sealed_blob(&owner, 2_000 + i);
			let commitment = update_commitment(round, &update, &owner);
			RoundsPallet::<T>::join_private(
				RawOrigin::Signed(owner.clone()).into(),
				round,
				commitment,
				100 + i,
			)
			.expect("joins");
			(owner, update)
		})
		.collect()
}

/// Closes joining; then each of `shards` reveals its update.
fn close_joining<T: Config>(round: RoundId, shards: &[(T::AccountId, BlobHash)]) {
	let info = Rounds::<T>::get(round).expect("round exists");
	frame_system::Pallet::<T>::set_block_number(info.join_until.saturating_add(1u32.into()));
	for (owner, update) in shards {
		RoundsPallet::<T>::reveal_update(RawOrigin::Signed(owner.clone()).into(), round, *update)
			.expect("reveals");
	}
}

#[benchmarks]
mod benchmarks {
	use super::*;

	// A sponsor's round: the owner's consent is read too.
	#[benchmark]
	fn create_round() {
		let owner: T::AccountId = account("owner", 0, 0);
		let (model, base) = T::BenchmarkHelper::version_with_parameters(&owner);
		RoundsPallet::<T>::set_base_open(
			RawOrigin::Signed(owner.clone()).into(),
			model,
			base,
			true,
		)
		.expect("the owner opens its base");
		let sponsor: T::AccountId = whitelisted_caller();
		funded::<T>(&sponsor);
		let validation = T::BenchmarkHelper::sealed_blob(&sponsor, 1_000);
		let join_until =
			frame_system::Pallet::<T>::block_number().saturating_add(T::MaxJoinPeriod::get());

		#[extrinsic_call]
		_(
			RawOrigin::Signed(sponsor),
			model,
			base,
			validation,
			settings::<T>(T::MaxShards::get()),
			budget::<T>(),
			join_until,
		);

		assert!(Rounds::<T>::contains_key(NextRoundId::<T>::get() - 1));
	}

	#[benchmark]
	fn set_base_open() {
		let owner: T::AccountId = whitelisted_caller();
		let (model, base) = T::BenchmarkHelper::version_with_parameters(&owner);

		#[extrinsic_call]
		_(RawOrigin::Signed(owner.clone()), model, base, true);

		assert_eq!(OpenBases::<T>::get(model, base), Some(owner));
	}

	// A training job is submitted through the jobs pallet.
	#[benchmark]
	fn join_public() {
		let (_, round) = open_round::<T>(1);
		let owner: T::AccountId = whitelisted_caller();
		funded::<T>(&owner);
		let dataset = T::BenchmarkHelper::sealed_blob(&owner, 3_000);

		#[extrinsic_call]
		_(RawOrigin::Signed(owner.clone()), round, dataset, u32::MAX);

		assert!(Joined::<T>::contains_key(round, &owner));
		assert_eq!(Rounds::<T>::get(round).expect("round").training, 1);
	}

	#[benchmark]
	fn join_private() {
		let (_, round) = open_round::<T>(1);
		let owner: T::AccountId = whitelisted_caller();
		funded::<T>(&owner);

		#[extrinsic_call]
		_(RawOrigin::Signed(owner.clone()), round, [3; 32], u32::MAX);

		assert!(Joined::<T>::contains_key(round, &owner));
	}

	// The last of `MaxShards` private shards reveals.
	#[benchmark]
	fn reveal_update() {
		let (_, round) = open_round::<T>(1);
		let mut shards = join_private_shards::<T>(round, T::MaxShards::get());
		let (owner, update) = shards.pop().expect("MaxShards is positive");
		close_joining::<T>(round, &shards);

		#[extrinsic_call]
		_(RawOrigin::Signed(owner), round, update);

		assert!(RevealedUpdates::<T>::contains_key(round, update));
	}

	// `s` updates: a manifest of `s` entries is stored and the aggregation job submitted.
	#[benchmark]
	fn aggregate(s: Linear<1, { T::MaxShards::get() }>) {
		let (_, round) = open_round::<T>(1);
		let shards = join_private_shards::<T>(round, s);
		close_joining::<T>(round, &shards);
		let caller: T::AccountId = whitelisted_caller();

		#[extrinsic_call]
		_(RawOrigin::Signed(caller), round);

		assert!(matches!(
			Rounds::<T>::get(round).expect("round").status,
			RoundStatus::Aggregating { .. }
		));
	}

	// `s` accepted updates: a new version, `s + 1` payments and `s + 1` attestations.
	#[benchmark]
	fn finalize(s: Linear<1, { T::MaxShards::get() }>) {
		let (creator, round) = open_round::<T>(1);
		let shards = join_private_shards::<T>(round, s);
		close_joining::<T>(round, &shards);
		RoundsPallet::<T>::aggregate(RawOrigin::Signed(creator.clone()).into(), round)
			.expect("starts");
		let RoundStatus::Aggregating { job } = Rounds::<T>::get(round).expect("round").status
		else {
			panic!("aggregating")
		};
		let parameters = T::BenchmarkHelper::sealed_blob(&creator, 4_000);
		RoundsPallet::<T>::job_ended(
			job,
			JobEnd::Settled {
				parameters: Some(parameters),
				verdicts: alloc::vec![true; s as usize],
				rows: None,
			},
		);
		let caller: T::AccountId = whitelisted_caller();

		#[extrinsic_call]
		_(RawOrigin::Signed(caller), round);

		assert!(matches!(
			Rounds::<T>::get(round).expect("round").status,
			RoundStatus::Completed { .. }
		));
	}

	// `on_idle` with a finished round in the queue whose retention is not over: it reads the
	// queue's bounds and first entry, and stops.
	#[benchmark]
	fn on_idle_base() {
		let (_, round) = open_round::<T>(1);
		close_joining::<T>(round, &[]);
		RoundsPallet::<T>::aggregate(RawOrigin::Signed(account("caller", 0, 0)).into(), round)
			.expect("fails the round for want of shards");
		let now = frame_system::Pallet::<T>::block_number();
		let mut meter = frame_support::weights::WeightMeter::new();

		#[block]
		{
			RoundsPallet::<T>::purge_finished(now, &mut meter);
		}

		assert!(Rounds::<T>::contains_key(round));
	}

	// One finished round purged.
	#[benchmark]
	fn purge_round() {
		let (_, round) = open_round::<T>(1);
		close_joining::<T>(round, &[]);
		RoundsPallet::<T>::aggregate(RawOrigin::Signed(account("caller", 0, 0)).into(), round)
			.expect("fails the round for want of shards");
		let due =
			frame_system::Pallet::<T>::block_number().saturating_add(T::RoundRetention::get());
		let mut meter = frame_support::weights::WeightMeter::new();

		#[block]
		{
			RoundsPallet::<T>::purge_finished(due, &mut meter);
		}

		assert!(!Rounds::<T>::contains_key(round));
	}

	impl_benchmark_test_suite!(RoundsPallet, crate::mock::new_test_ext(), crate::mock::Test);
}
