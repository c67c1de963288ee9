//! Attack-first tests of the blob store as the other pallets use it: claiming a hash before
//! its bytes arrive, and front-running a store. Each failed against the code before its fix;
//! the issue notes keep those red runs.

use super::*;
use frame_support::{assert_noop, assert_ok};
use jobs::{JobKind, JobStatus, TrainingSpec};
use mosaic_primitives::blob::BlobHash;
use mosaic_primitives::onnx::InputFormat;

/// [`ALICE`] submits a `k = 2` training job of model 0 from `base` on her dataset, to settle by
/// block 30; returns its id.
fn submit_training(base: BlobHash) -> u64 {
	let dataset = store_blob(ALICE, b"alice's rows");
	let job = jobs::NextJobId::<Runtime>::get();
	assert_ok!(Jobs::submit_job(
		RuntimeOrigin::signed(ALICE),
		0,
		1,
		JobKind::Training(TrainingSpec { parameters: base, epochs: 2, batch_size: 4 }),
		jobs::JobInput::Blob { hash: dataset, format: InputFormat::Scale },
		2,
		FEE,
		30,
	));
	job
}

/// Settles `job` with both assignees agreeing on `outcome`.
fn settle(job: u64, outcome: &jobs::OutcomeOf<Runtime>) {
	run_to_block(System::block_number() + 1);
	let workers = assignees(job);
	workers.iter().for_each(|w| commit(*w, job, outcome));
	run_to_block(System::block_number() + 1);
	let outcomes: Vec<_> = workers.into_iter().map(|w| (w, outcome.clone())).collect();
	open_and_reveal(job, &outcomes);
	assert_eq!(job_info(job).status, JobStatus::Settled);
}

// ---------------------------------------------------------------- 7. squatting a hash

/// **Attacker**: anyone (here [`BEN`]); in a round, its creator, who gets the budget back
/// when the round fails.
///
/// **Attack**: the result of a training job is predictable (the same parameters every
/// worker reveals); before it settles, the attacker begins a chunked upload of their hash. It
/// needs no bytes to do so, only the declared hash, size and a refundable deposit.
///
/// **Gain before the fix**: the upload in progress took the hash's only entry, so the
/// chain's own store of the agreed parameters failed (`AlreadyExists`) and the job's result
/// had no parameters: the requester paid for nothing, and a round's shard was dropped. Now an
/// upload is its uploader's own and takes no hash from anyone.
#[test]
fn attack_squatting_the_hash_of_a_training_result() {
	build_and_execute(|| {
		let model_blob = store_blob(OWNER, b"a training-step graph for w");
		let base = store_blob(OWNER, &parameters([500, -250]));
		assert_eq!(register_model("mlp", version_spec(model_blob, Some(base))), 0);
		[10, 11].iter().for_each(|w| register_worker(*w));
		let job = submit_training(base);
		let result = parameters([550, -230]);
		let hash = sp_io::hashing::blake2_256(&result);
		assert_ok!(Blobs::begin_upload(RuntimeOrigin::signed(BEN), hash, result.len() as u64));

		settle(job, &trained([550, -230]));
		assert_eq!(job_info(job).result.unwrap().parameters, Some(hash), "parameters stored");
		let blob = blobs::Blobs::<Runtime>::get(hash).unwrap();
		assert_eq!(blob.owner, ALICE, "the requester's");
	});
}

/// **Attacker**: anyone who wants to keep a model off the chain (a competitor of its
/// uploader).
///
/// **Attack**: it watches the pool for a `begin_upload` (or knows the hash of a public model)
/// and begins an upload of the same hash first, and again whenever its upload expires.
///
/// **Gain before the fix**: the honest uploader's `begin_upload` failed with `AlreadyExists`
/// for as long as the attacker kept renewing: a large model (above the inline limit) could
/// never be stored. Now both upload side by side; the first to seal stores the blob, and a
/// later seal of the same bytes ends its upload with its deposit back.
#[test]
fn attack_squatting_a_chunked_upload() {
	build_and_execute(|| {
		let bytes: Vec<u8> = (0..600u32).map(|i| (i * 7) as u8).collect();
		let hash = sp_io::hashing::blake2_256(&bytes);
		let size = bytes.len() as u64;
		assert_ok!(Blobs::begin_upload(RuntimeOrigin::signed(BEN), hash, size));
		// The honest uploader is not blocked; its upload is its own.
		assert_ok!(Blobs::begin_upload(RuntimeOrigin::signed(ANN), hash, size));
		for (index, chunk) in bytes.chunks(256).enumerate() {
			assert_ok!(Blobs::upload_chunk(
				RuntimeOrigin::signed(ANN),
				hash,
				index as u32,
				chunk.to_vec().try_into().unwrap()
			));
		}
		assert_ok!(Blobs::seal_upload(RuntimeOrigin::signed(ANN), hash));
		let blob = blobs::Blobs::<Runtime>::get(hash).unwrap();
		assert_eq!(blob.owner, ANN);
		assert_eq!(held(blobs::HoldReason::BlobDeposit, ANN), blob_deposit(bytes.len()));
		// The squatter gets nothing and can take its deposit back.
		assert_ok!(Blobs::abort_upload(RuntimeOrigin::signed(BEN), hash, BEN));
		assert_nothing_held(BEN);
		assert_eq!(blobs::Blobs::<Runtime>::get(hash).unwrap().owner, ANN);
	});
}

/// A second uploader of the same bytes, which seals after the first, ends its upload with
/// its deposit back: the bytes are on the chain already.
#[test]
fn a_second_seal_of_the_same_bytes_refunds_the_later_uploader() {
	build_and_execute(|| {
		let bytes: Vec<u8> = (0..300u32).map(|i| (i * 3) as u8).collect();
		let hash = sp_io::hashing::blake2_256(&bytes);
		for who in [ANN, BEN] {
			assert_ok!(Blobs::begin_upload(RuntimeOrigin::signed(who), hash, bytes.len() as u64));
			for (index, chunk) in bytes.chunks(256).enumerate() {
				assert_ok!(Blobs::upload_chunk(
					RuntimeOrigin::signed(who),
					hash,
					index as u32,
					chunk.to_vec().try_into().unwrap()
				));
			}
		}
		assert_ok!(Blobs::seal_upload(RuntimeOrigin::signed(ANN), hash));
		take_events();
		assert_ok!(Blobs::seal_upload(RuntimeOrigin::signed(BEN), hash));
		assert!(mosaic_events().contains(&RuntimeEvent::Blobs(blobs::Event::UploadSuperseded {
			hash,
			uploader: BEN,
			deposit_released: blob_deposit(bytes.len()),
		})));
		assert_nothing_held(BEN);
		assert_eq!(blobs::Blobs::<Runtime>::get(hash).unwrap().owner, ANN);
		assert!(blobs::Uploads::<Runtime>::iter_prefix(hash).next().is_none());
	});
}

// ---------------------------------------------------------------- 8. front-running a store

/// **Attacker**: anyone watching the transaction pool (here [`ANN`]).
///
/// **Attack**: [`OWNER`] sends `store(model)` and then `register_model`; the attacker sends
/// `store` of the same bytes with a higher tip, so its store comes first and owns the blob.
///
/// **Gain before the fix**: the owner's store failed (`AlreadyExists`) and its registration
/// too (`NotBlobOwner`: a version had to be the blob owner's). The attacker then registered
/// the model under its own name and collected its royalties. Now owning the bytes grants
/// nothing: the owner's registration goes through, is the owner's, and the owner takes over
/// the unreferenced blob and its deposit, so the front-runner's deposit comes back.
#[test]
fn attack_front_running_a_store_takes_the_registration() {
	build_and_execute(|| {
		let blob = store_blob(ANN, MODEL_BYTES);
		assert_noop!(
			Blobs::store(RuntimeOrigin::signed(OWNER), MODEL_BYTES.to_vec().try_into().unwrap()),
			blobs::Error::<Runtime>::AlreadyExists
		);
		assert_eq!(register_model("doubler", version_spec(blob, None)), 0);
		assert_eq!(models::Models::<Runtime>::get(0).unwrap().owner, OWNER);
		let stored = blobs::Blobs::<Runtime>::get(blob).unwrap();
		assert_eq!((stored.owner, stored.refs), (OWNER, 1), "the registrant took the blob over");
		assert_nothing_held(ANN);

		// A job on the model pays its royalty to the owner.
		WORKERS[..2].iter().for_each(|w| register_worker(*w));
		let job = submit_inference(2, 30);
		settle(job, &doubled());
		assert!(pending(OWNER) > 0, "the owner earned the royalty");
		assert_eq!(pending(ANN), 0);
	});
}

// ---------------------------------------------------------------- 8. models too large to upload

/// Registers `claimed` by URI for `who` (a claim of `size` bytes at `https://example.org/…`).
fn register_remote(who: AccountId, claimed: BlobHash, size: u64, path: &str) {
	let uri = format!("https://example.org/{path}").into_bytes();
	assert_ok!(Blobs::register_uri(
		RuntimeOrigin::signed(who),
		claimed,
		size,
		uri.try_into().unwrap()
	));
}

/// **Attacker**: anyone (here [`BEN`]) who sees a model's hash before it is registered.
///
/// **Attack**: register that hash by URI first, with a URI that serves nothing. A model too
/// large to upload can be published only on a remote registration, and no bytes can ever
/// replace one of its size.
///
/// **Gain before the fix** (spec 118): the publisher's `register_uri` failed (`AlreadyExists`)
/// for as long as the attacker kept its deposit held, and a version could not name a remote
/// blob at all. Now an unreferenced remote registration yields to the next one, the publisher
/// registers and publishes in one batch, and the version's reference fixes the URI.
#[test]
fn attack_squatting_the_hash_of_a_model_too_large_to_upload() {
	build_and_execute(|| {
		let model = sp_io::hashing::blake2_256(b"a 117 MB model");
		let size = MAX_BLOB * 4;
		register_remote(BEN, model, size, "never");
		// The publisher's registration and model, in one `utility.batchAll` on the chain.
		register_remote(OWNER, model, size, "big.onnx");
		assert_eq!(register_model("big", version_spec(model, None)), 0);
		assert_nothing_held(BEN);
		let entry = blobs::Blobs::<Runtime>::get(model).unwrap();
		assert_eq!((entry.owner, entry.refs), (OWNER, 1));
		// Referenced by the version, it is nobody's to swap.
		assert_noop!(
			Blobs::register_uri(
				RuntimeOrigin::signed(BEN),
				model,
				size,
				b"https://example.org/never".to_vec().try_into().unwrap()
			),
			blobs::Error::<Runtime>::AlreadyExists
		);
	});
}

/// **Attacker**: anyone (here [`BEN`]) watching a job whose input is registered by URI.
///
/// **Attack**: once remote registrations yield to later ones, re-register the input's hash
/// with a URI that serves other bytes while the job is open, so its workers fetch from the
/// attacker's server and the job fails.
///
/// **Safe**: a job references every blob it names while it is open; a referenced registration
/// does not yield. After the job it is free again.
#[test]
fn attack_swapping_the_uri_of_an_open_jobs_input() {
	build_and_execute(|| {
		doubler();
		[10, 11].iter().for_each(|w| register_worker(*w));
		let input = sp_io::hashing::blake2_256(b"ann's input");
		register_remote(ANN, input, 64, "input");
		let job = jobs::NextJobId::<Runtime>::get();
		assert_ok!(Jobs::submit_job(
			RuntimeOrigin::signed(ALICE),
			0,
			1,
			JobKind::Inference,
			jobs::JobInput::Blob { hash: input, format: InputFormat::Npy },
			2,
			FEE,
			30,
		));
		assert_eq!(blobs::Blobs::<Runtime>::get(input).unwrap().refs, 1);
		assert_noop!(
			Blobs::register_uri(
				RuntimeOrigin::signed(BEN),
				input,
				64,
				b"https://example.org/other".to_vec().try_into().unwrap()
			),
			blobs::Error::<Runtime>::AlreadyExists
		);
		settle(job, &doubled());
		assert_eq!(blobs::Blobs::<Runtime>::get(input).unwrap().refs, 0, "released at the end");
		register_remote(BEN, input, 64, "other");
		assert_nothing_held(ANN);
	});
}

/// A job on a model registered by URI whose server never serves it: its workers abstain, and
/// the model's registrant (the version's publisher) pays them its bond.
#[test]
fn a_model_whose_uri_never_serves_pays_the_workers_its_bond() {
	use mosaic_primitives::onnx::REMOTE_BLOB_UNAVAILABLE;
	build_and_execute(|| {
		let model = sp_io::hashing::blake2_256(b"a model nobody serves");
		register_remote(OWNER, model, 1 << 20, "model");
		assert_eq!(register_model("remote", version_spec(model, None)), 0);
		let workers = [10, 11, 12];
		workers.iter().for_each(|w| register_worker(*w));
		let job = submit_inference(3, 30);
		run_to_block(System::block_number() + 1);
		let unserved = jobs::Outcome::CouldNotRun { code: REMOTE_BLOB_UNAVAILABLE };
		workers.iter().for_each(|w| commit(*w, job, &unserved));
		run_to_block(System::block_number() + 1);
		open_and_reveal(job, &workers.map(|w| (w, unserved.clone())));
		assert_eq!(job_info(job).status, JobStatus::Failed(jobs::FailReason::NoQuorum));
		System::assert_has_event(
			jobs::Event::UnservedBlobBondPaid {
				job,
				blob: model,
				workers: workers.to_vec(),
				each: URI_BOND / 3,
			}
			.into(),
		);
		for w in workers {
			assert_eq!(jobs::Abstentions::<Runtime>::get(w), None, "worker {w}'s draw weight fell");
		}
	});
}
