//! Attack-first tests of federated rounds: each plays a party to a round (its creator, the
//! model's owner, a data owner) against the protocol and asserts what the protocol must do.
//! Each failed against the code before its fix; the issue notes keep those red runs.

use super::{
	federated_round::{rounds_event, run_job, settings, BUDGET, JOIN_UNTIL},
	*,
};
use codec::Encode;
use frame_support::{assert_noop, assert_ok};
use mosaic_primitives::blob::BlobHash;
use mosaic_primitives::rounds::{AggregationManifest, ManifestEntry};
use rounds::RoundSettings;

const ANN_ROWS: u32 = 30;
const BEN_ROWS: u32 = 10;
const CAL_ROWS: u32 = 20;

/// Registers model 0 as a training-step graph whose version 1 has `base_bytes` as
/// parameters, with a validation set; returns the validation set's blob.
fn trainable_model(base_bytes: &[u8]) -> BlobHash {
	let model_blob = store_blob(OWNER, b"a training-step graph for w");
	let base = store_blob(OWNER, base_bytes);
	let validation = store_blob(OWNER, b"validation rows");
	assert_eq!(register_model("mlp", version_spec(model_blob, Some(base))), 0);
	validation
}

/// [`OWNER`] opens round 0 on version 1 of model 0 with `settings`.
fn create_round(
	validation: BlobHash,
	settings: rounds::RoundSettingsOf<Runtime>,
) -> frame_support::dispatch::DispatchResult {
	Rounds::create_round(
		RuntimeOrigin::signed(OWNER),
		0,
		1,
		validation,
		settings,
		BUDGET,
		JOIN_UNTIL,
	)
}

/// The federated round's start: [`ANN`] and [`BEN`] join with public shards whose training
/// jobs settle on `[550, -230]` and `[520, -240]`, [`CAL`] with a private update, and anyone
/// starts the aggregation. Returns the updates in shard order and the manifest's hash.
fn round_up_to_aggregation() -> ([BlobHash; 3], BlobHash) {
	let validation = trainable_model(&parameters([500, -250]));
	WORKERS.iter().for_each(|w| register_worker(*w));
	let ann_data = store_blob(ANN, b"ann's thirty rows");
	let ben_data = store_blob(BEN, b"ben's ten rows");
	let cal_update = store_blob(CAL, &parameters([580, -210]));
	assert_ok!(create_round(validation, settings()));
	assert_ok!(Rounds::join_public(RuntimeOrigin::signed(ANN), 0, ann_data, ANN_ROWS));
	assert_ok!(Rounds::join_public(RuntimeOrigin::signed(BEN), 0, ben_data, BEN_ROWS));
	let commitment = rounds::update_commitment(0, &cal_update, &CAL);
	assert_ok!(Rounds::join_private(RuntimeOrigin::signed(CAL), 0, commitment, CAL_ROWS));
	run_to_block(2);
	let training = [(0, [550, -230], ANN_ROWS), (1, [520, -240], BEN_ROWS)];
	for (job, w, rows) in training {
		run_job(job, &trained_on(w, rows.into()));
	}
	run_to_block(3);
	for (job, w, rows) in training {
		let outcome = trained_on(w, rows.into());
		let outcomes: Vec<_> = assignees(job).into_iter().map(|a| (a, outcome.clone())).collect();
		open_and_reveal(job, &outcomes);
	}
	assert_ok!(Rounds::reveal_update(RuntimeOrigin::signed(CAL), 0, cal_update));
	take_events();
	assert_ok!(Rounds::aggregate(RuntimeOrigin::signed(ALICE), 0));
	let manifest = mosaic_events()
		.into_iter()
		.find_map(|e| match e {
			RuntimeEvent::Rounds(rounds::Event::AggregationStarted { manifest, .. }) => {
				Some(manifest)
			},
			_ => None,
		})
		.expect("the aggregation started");
	let [ann, ben] = training.map(|(_, w, _)| sp_io::hashing::blake2_256(&parameters(w)));
	([ann, ben, cal_update], manifest)
}

// ---------------------------------------------------------------- 1. declared rows

/// **Attacker**: a data owner, public ([`ANN`]) or private ([`CAL`]).
///
/// **Attack**: it joins declaring `u32::MAX` rows; Ann's dataset has 30, Cal's nobody can
/// count. An honest [`BEN`] joins with 10 rows.
///
/// **Gain before the fix**: the declared rows weighed both the average and the budget's
/// split, so the two took almost the whole data pool and dominated the published model. Now a
/// public shard weighs the rows its training job measured, and a private shard at most the
/// largest public shard's: weights 30, 10 and 30.
#[test]
fn attack_declared_rows_take_the_pool() {
	build_and_execute(|| {
		let validation = trainable_model(&parameters([500, -250]));
		WORKERS.iter().for_each(|w| register_worker(*w));
		let ann_data = store_blob(ANN, b"ann's thirty rows");
		let ben_data = store_blob(BEN, b"ben's ten rows");
		assert_ok!(create_round(validation, settings()));
		assert_ok!(Rounds::join_public(RuntimeOrigin::signed(ANN), 0, ann_data, u32::MAX));
		assert_ok!(Rounds::join_public(RuntimeOrigin::signed(BEN), 0, ben_data, BEN_ROWS));
		let cal_update = store_blob(CAL, &parameters([580, -210]));
		let commitment = rounds::update_commitment(0, &cal_update, &CAL);
		assert_ok!(Rounds::join_private(RuntimeOrigin::signed(CAL), 0, commitment, u32::MAX));
		run_to_block(2);
		let training = [(0, [550, -230], ANN_ROWS), (1, [520, -240], BEN_ROWS)];
		for (job, w, rows) in training {
			run_job(job, &trained_on(w, rows.into()));
		}
		run_to_block(3);
		for (job, w, rows) in training {
			let outcome = trained_on(w, rows.into());
			let outcomes: Vec<_> =
				assignees(job).into_iter().map(|a| (a, outcome.clone())).collect();
			open_and_reveal(job, &outcomes);
		}
		assert_ok!(Rounds::reveal_update(RuntimeOrigin::signed(CAL), 0, cal_update));
		take_events();
		assert_ok!(Rounds::aggregate(RuntimeOrigin::signed(ALICE), 0));
		// The average weighs the three 30, 10 and 30.
		let [ann_update, ben_update] =
			[[550, -230], [520, -240]].map(|w| sp_io::hashing::blake2_256(&parameters(w)));
		let weighted = AggregationManifest {
			updates: [(ann_update, 30), (ben_update, 10), (cal_update, 30)]
				.map(|(parameters, weight)| ManifestEntry { parameters, weight, checked: true })
				.to_vec(),
			clip_milli: settings().clip_milli,
			trim: settings().trim,
		};
		let events = mosaic_events();
		assert!(events.iter().any(|e| matches!(
			e,
			RuntimeEvent::Rounds(rounds::Event::AggregationStarted { manifest, .. })
				if *manifest == sp_io::hashing::blake2_256(&weighted.encode())
		)));
		assert!(events.contains(&rounds_event(rounds::Event::ShardRowsCapped {
			round: 0,
			shard: 2,
			rows: 30
		})));
		settle_aggregation();
		take_events();
		assert_ok!(Rounds::finalize(RuntimeOrigin::signed(ALICE), 0));
		let shares = shard_rewards();
		let pool: Balance = shares.iter().map(|(_, amount)| amount).sum();
		for (owner, amount) in shares {
			let fair = if owner == BEN { 10 } else { 30 };
			assert!(
				amount <= pool * fair / 70 + 1,
				"{owner} took {amount} of {pool}, more than its {fair} rows of 70"
			);
		}
	});
}

// ---------------------------------------------------------------- 2. every update checked

/// **Attacker**: a data owner with a public shard whose rows are poisoned (flipped labels).
///
/// **Attack**: it joins with the shard; the workers train on it faithfully and agree, so the
/// training job settles on parameters that fit the poison.
///
/// **Gain before the fix**: the aggregation manifest listed public updates as `checked:
/// false`, so the workers' aggregation accepted them whatever they did to the validation loss:
/// the poisoned update was averaged into the published model and paid its share by rows. Now
/// every entry is checked, public or private, and an update the check rejects is unpaid.
#[test]
fn attack_a_poisoned_public_update_skips_the_validation_check() {
	build_and_execute(|| {
		let (updates, manifest) = round_up_to_aggregation();
		let all_checked = AggregationManifest {
			updates: updates
				.iter()
				.zip([ANN_ROWS, BEN_ROWS, CAL_ROWS])
				.map(|(update, rows)| ManifestEntry {
					parameters: *update,
					weight: rows.into(),
					checked: true,
				})
				.collect(),
			clip_milli: settings().clip_milli,
			trim: settings().trim,
		};
		assert_eq!(
			manifest,
			sp_io::hashing::blake2_256(&all_checked.encode()),
			"the manifest asks the workers to check every update, public ones included"
		);

		// The workers' check rejects Ann's update: it is not paid, the others are.
		run_to_block(4);
		let verdicts = jobs::Outcome::Outputs(
			vec![
				output("w", mosaic_primitives::digest::ElementType::F32, &[540, -235]),
				output(
					mosaic_primitives::rounds::VERDICTS,
					mosaic_primitives::digest::ElementType::I64,
					&[0, 1, 1],
				),
			]
			.try_into()
			.unwrap(),
		);
		run_job(2, &verdicts);
		run_to_block(5);
		let outcomes: Vec<_> = assignees(2).into_iter().map(|a| (a, verdicts.clone())).collect();
		open_and_reveal(2, &outcomes);
		take_events();
		assert_ok!(Rounds::finalize(RuntimeOrigin::signed(ALICE), 0));
		let events = mosaic_events();
		assert!(events.contains(&rounds_event(rounds::Event::UpdateRejected {
			round: 0,
			shard: 0,
			owner: ANN
		})));
		let rewarded: Vec<_> = events
			.iter()
			.filter_map(|e| match e {
				RuntimeEvent::Rounds(rounds::Event::ShardRewarded { owner, .. }) => Some(*owner),
				_ => None,
			})
			.collect();
		assert_eq!(rewarded, vec![BEN, CAL]);
		assert_eq!(pending(ANN), 0);
	});
}

// ---------------------------------------------------------------- 3. sabotage at the end

/// The aggregation job of [`round_up_to_aggregation`] settles on `[540, -235]` with every
/// update accepted.
fn settle_aggregation() {
	settle_aggregation_judging([1, 1, 1]);
}

/// The aggregation job of [`round_up_to_aggregation`] settles on `[540, -235]` with the
/// updates accepted or rejected as `verdicts` say.
fn settle_aggregation_judging(verdicts: [i64; 3]) {
	run_to_block(System::block_number() + 1);
	let combined = super::federated_round::judged([540, -235], verdicts);
	run_job(2, &combined);
	run_to_block(System::block_number() + 1);
	let outcomes: Vec<_> = assignees(2).into_iter().map(|a| (a, combined.clone())).collect();
	open_and_reveal(2, &outcomes);
}

/// The shards' owners credited since the events were last taken, and how much.
fn shard_rewards() -> Vec<(AccountId, Balance)> {
	mosaic_events()
		.into_iter()
		.filter_map(|e| match e {
			RuntimeEvent::Rounds(rounds::Event::ShardRewarded { owner, amount, .. }) => {
				Some((owner, amount))
			},
			_ => None,
		})
		.collect()
}

/// Anyone finalizes round 0, which completes and credits each of its three shards' owners.
fn finalize_completes_and_pays_every_shard() {
	take_events();
	assert_ok!(Rounds::finalize(RuntimeOrigin::signed(ALICE), 0));
	let status = rounds::Rounds::<Runtime>::get(0).unwrap().status;
	assert!(matches!(status, rounds::RoundStatus::Completed { .. }), "{status:?}");
	let credited: Vec<_> = shard_rewards().into_iter().map(|(owner, _)| owner).collect();
	assert_eq!(credited, vec![ANN, BEN, CAL]);
}

/// **Attacker**: the round's creator, who owns the model.
///
/// **Attack**: once the data owners have trained and the aggregation has combined their
/// updates, it publishes versions of its own until the model has `MaxVersions` (8), so the
/// round's version cannot be published.
///
/// **Gain before the fix**: the round failed (`NotPublished`) and the whole rest of the
/// budget went back to the creator, who kept the trained updates and the combined
/// parameters (its own blob) to publish later: the data for free. Now the round's version is
/// secured when the round opens, and the owner's eighth version is refused.
#[test]
fn attack_the_owner_fills_the_version_slots_before_finalize() {
	build_and_execute(|| {
		round_up_to_aggregation();
		settle_aggregation();
		let model_blob = models::Versions::<Runtime>::get(0, 1).unwrap().spec.blob;
		while Models::publish_version(
			RuntimeOrigin::signed(OWNER),
			0,
			version_spec(model_blob, None),
		)
		.is_ok()
		{}
		finalize_completes_and_pays_every_shard();
	});
}

/// **Attacker**: the round's creator, who owns the model.
///
/// **Attack**: once the shards have trained, it deprecates the base version, so the
/// aggregation job cannot be submitted (no new jobs on a deprecated version).
///
/// **Gain before the fix**: the round failed (`AggregationNotSubmitted`) and the rest of the
/// budget went back; the public shards' trained updates stayed public. Now a round's jobs run
/// on its base whatever its owner does to it later (a model found at fault excepted).
#[test]
fn attack_the_owner_deprecates_the_base_before_aggregation() {
	build_and_execute(|| {
		let validation = trainable_model(&parameters([500, -250]));
		WORKERS.iter().for_each(|w| register_worker(*w));
		let ann_data = store_blob(ANN, b"ann's thirty rows");
		assert_ok!(create_round(validation, rounds::RoundSettings { min_shards: 1, ..settings() }));
		assert_ok!(Rounds::join_public(RuntimeOrigin::signed(ANN), 0, ann_data, ANN_ROWS));
		run_to_block(2);
		run_job(0, &trained([550, -230]));
		run_to_block(3);
		let outcomes: Vec<_> =
			assignees(0).into_iter().map(|a| (a, trained([550, -230]))).collect();
		open_and_reveal(0, &outcomes);
		assert_ok!(Models::deprecate_version(RuntimeOrigin::signed(OWNER), 0, 1));
		take_events();
		assert_ok!(Rounds::aggregate(RuntimeOrigin::signed(ALICE), 0));
		let status = rounds::Rounds::<Runtime>::get(0).unwrap().status;
		assert!(matches!(status, rounds::RoundStatus::Aggregating { .. }), "{status:?}");
		// Nor can the owner remove the model while the round runs.
		assert!(Models::remove_model(RuntimeOrigin::signed(OWNER), 0).is_err());
	});
}

/// **Attacker**: the round's creator, who owns the model.
///
/// **Attack**: before `finalize`, it moves all its free balance away, so the new version's
/// deposit cannot be held from it.
///
/// **Gain before the fix**: the round failed (`NotPublished`) and the budget went back to the
/// creator (onto its now empty account). Now the deposit is held when the round opens.
#[test]
fn attack_the_owner_spends_the_version_deposit_before_finalize() {
	build_and_execute(|| {
		round_up_to_aggregation();
		settle_aggregation();
		assert_ok!(Balances::transfer_all(RuntimeOrigin::signed(OWNER), ALICE, false));
		finalize_completes_and_pays_every_shard();
	});
}

/// **Attacker**: the round's creator, with two sybil data owners.
///
/// **Attack**: its sybils [`BEN`] (a public shard of poisoned rows) and [`CAL`] (a private
/// update that fails the check) join beside the honest [`ANN`]; the aggregation rejects their
/// updates, so fewer than `min_shards` (2) are accepted.
///
/// **Gain before the fix**: the round failed (`TooFewAccepted`): the whole rest of the budget
/// went back to the creator, Ann was paid nothing, and the combined parameters, the work of
/// her data, stayed the creator's blob (red run in the issue note). Now the accepted data
/// owners are paid the rest of the budget as when publishing fails, and a failed round's
/// combined parameters are removed from the creator's blobs.
#[test]
fn attack_the_creator_fails_the_round_with_rejected_sybils() {
	build_and_execute(|| {
		round_up_to_aggregation();
		settle_aggregation_judging([1, 0, 0]);
		let info = rounds::Rounds::<Runtime>::get(0).unwrap();
		let rounds::RoundStatus::Aggregated { parameters: Some(combined), .. } = info.status else {
			panic!("not aggregated: {:?}", info.status)
		};
		assert_eq!(blobs::Blobs::<Runtime>::get(combined).map(|b| b.owner), Some(OWNER));
		let left = info.budget - info.spent;
		take_events();
		assert_ok!(Rounds::finalize(RuntimeOrigin::signed(ALICE), 0));

		let status = rounds::Rounds::<Runtime>::get(0).unwrap().status;
		assert_eq!(status, rounds::RoundStatus::Failed(rounds::RoundFailure::TooFewAccepted));
		let rewarded = shard_rewards();
		assert_eq!(rewarded, vec![(ANN, left)], "the accepted data owner is paid the rest");
		assert!(blobs::Blobs::<Runtime>::get(combined).is_none(), "the combined parameters stayed");
	});
}

// ---------------------------------------------------------------- 4. copied updates

/// **Attacker**: anyone (here [`BEN`]) with no data, in a round with a private shard.
///
/// **Attack**: [`CAL`] joins with her privately trained update. Ben waits to see it, changes
/// one value by one step, and joins with the copy.
///
/// **Gain before the fix**: a private shard joined with its update's blob, public from the
/// moment it was stored; both updates passed the check (the copy is as good as the original)
/// and Ben was paid a data owner's share for data he never had, out of Cal's (red run in the
/// issue note). Now a private shard joins with a commitment to its update and stores and
/// reveals it only once joining has closed: Ben has nothing to copy while he can join, and a
/// commitment made blind matches no copy made later.
#[test]
fn attack_a_private_update_is_copied_before_joining_closes() {
	build_and_execute(|| {
		let validation = trainable_model(&parameters([500, -250]));
		WORKERS.iter().for_each(|w| register_worker(*w));
		assert_ok!(create_round(validation, RoundSettings { min_shards: 1, ..settings() }));
		let cal_bytes = parameters([580, -210]);
		let cal_update = sp_io::hashing::blake2_256(&cal_bytes);
		let commit = rounds::update_commitment(0, &cal_update, &CAL);
		assert_ok!(Rounds::join_private(RuntimeOrigin::signed(CAL), 0, commit, CAL_ROWS));
		// All Ben can see is Cal's commitment. He commits to it as his own, blind.
		assert_ok!(Rounds::join_private(RuntimeOrigin::signed(BEN), 0, commit, CAL_ROWS));

		run_to_block(JOIN_UNTIL + 1);
		store_blob(CAL, &cal_bytes);
		let copy = store_blob(BEN, &parameters([580, -209]));
		for update in [cal_update, copy] {
			assert_noop!(
				Rounds::reveal_update(RuntimeOrigin::signed(BEN), 0, update),
				rounds::Error::<Runtime>::WrongReveal
			);
		}
		assert_ok!(Rounds::reveal_update(RuntimeOrigin::signed(CAL), 0, cal_update));
		run_to_block(JOIN_UNTIL + 5 + 1);
		take_events();
		assert_ok!(Rounds::aggregate(RuntimeOrigin::signed(ALICE), 0));
		assert!(mosaic_events().iter().any(|e| matches!(
			e,
			RuntimeEvent::Rounds(rounds::Event::AggregationStarted { updates: 1, .. })
		)));
	});
}

// ---------------------------------------------------------------- 5. the reveal bound

/// A parameter blob of `count` values of `w`.
fn wide_parameters(count: usize) -> Vec<u8> {
	let tensor = mosaic_primitives::digest::QuantizedTensor {
		name: b"w".to_vec(),
		element_type: mosaic_primitives::digest::ElementType::F32,
		shape: vec![count as u64],
		values: vec![250; count],
	};
	mosaic_primitives::training::parameters_blob(&[tensor], PRECISION).unwrap()
}

/// **Attacker**: none: a model owner who opens a round the chain cannot finish.
///
/// **Attack**: a round on a model whose parameters, with an aggregation's reports, do not fit
/// in a reveal (`MaxOutputValues`, 64 here): every training job and the aggregation are agreed
/// by digest only, so no result is stored.
///
/// **Loss before the fix**: the round was accepted, held its creator's budget and its
/// joiners' deposits, paid for every job, and then dropped every shard (their parameters were
/// never stored): nobody's data earned anything. Now `create_round` refuses it.
#[test]
fn attack_a_round_on_a_model_too_large_to_reveal_is_refused() {
	build_and_execute(|| {
		// 60 values and the aggregation's 3 * MaxShards (4) + 1 reports exceed 64.
		let validation = trainable_model(&wide_parameters(60));
		assert_noop!(
			create_round(validation, settings()),
			rounds::Error::<Runtime>::ModelTooLargeForRound
		);
	});
}

/// The reveal bound is not set too low: a round on a model at the bound is accepted, and the
/// epochs' loss curve counts too.
#[test]
fn a_round_on_a_model_at_the_reveal_bound_is_accepted() {
	build_and_execute(|| {
		// The blob's bytes over four bound its values: 51 values of four bytes each, and the
		// name and shape, stay within 64 - 13.
		let bytes = wide_parameters(40);
		assert!(bytes.len() / 4 <= 51, "{} bytes", bytes.len());
		let validation = trainable_model(&bytes);
		assert_ok!(create_round(validation, settings()));
		let long_curve = RoundSettings { epochs: 60, ..settings() };
		assert_noop!(
			create_round(validation, long_curve),
			rounds::Error::<Runtime>::ModelTooLargeForRound
		);
	});
}

// ---------------------------------------------------------------- 6. bounded state

/// **Attacker**: a model owner.
///
/// **Attack**: it opens a base version to rounds by anyone, then removes the model (taking its
/// whole deposit back), registers it again and does the same, or hands the model to another
/// account it controls.
///
/// **Gain before the fix**: the consent (`OpenBases`) outlived its model and its owner: state
/// that grows for free, one entry per round of the loop.
#[test]
fn attack_a_consent_outlives_its_model_and_its_owner() {
	build_and_execute(|| {
		trainable_model(&parameters([500, -250]));
		assert_ok!(Rounds::set_base_open(RuntimeOrigin::signed(OWNER), 0, 1, true));
		assert_ok!(Models::transfer_ownership(RuntimeOrigin::signed(OWNER), 0, ANN));
		assert_ok!(Models::accept_ownership(RuntimeOrigin::signed(ANN), 0));
		assert!(
			rounds::OpenBases::<Runtime>::iter_prefix(0).next().is_none(),
			"the previous owner's consent is gone with its ownership"
		);

		assert_ok!(Rounds::set_base_open(RuntimeOrigin::signed(ANN), 0, 1, true));
		assert_ok!(Models::deprecate_version(RuntimeOrigin::signed(ANN), 0, 1));
		assert_ok!(Models::remove_model(RuntimeOrigin::signed(ANN), 0));
		assert!(
			rounds::OpenBases::<Runtime>::iter_prefix(0).next().is_none(),
			"the consent is gone with its model"
		);
	});
}

/// Blocks a finished round's record stays: the runtime of these tests keeps it 20 blocks.
const ROUND_RETENTION: u64 = 20;

/// **Attacker**: anyone with a model and a little balance.
///
/// **Attack**: it opens rounds that end at once (nobody joins; `aggregate` fails them), one
/// after another: each costs only the transaction fees, the budget comes back.
///
/// **Gain before the fix**: every round's record stayed in state forever. Now a finished
/// round is purged a retention period after it ended.
#[test]
fn attack_finished_rounds_are_kept_forever() {
	build_and_execute(|| {
		let validation = trainable_model(&parameters([500, -250]));
		assert_ok!(create_round(validation, settings()));
		run_to_block(JOIN_UNTIL + 1);
		assert_ok!(Rounds::aggregate(RuntimeOrigin::signed(ALICE), 0));
		assert!(matches!(
			rounds::Rounds::<Runtime>::get(0).unwrap().status,
			rounds::RoundStatus::Failed(_)
		));
		let ended = System::block_number();
		run_to_block(ended + ROUND_RETENTION - 1);
		assert!(rounds::Rounds::<Runtime>::get(0).is_some(), "kept for the retention period");
		run_to_block(ended + ROUND_RETENTION + 1);
		assert!(rounds::Rounds::<Runtime>::get(0).is_none(), "purged after it");
	});
}
