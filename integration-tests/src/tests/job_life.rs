//! A job's whole life through every pallet: the model's blob and registration, workers, the
//! submission and its escrow, assignment, commit, opening and reveal, settlement into the rewards pot,
//! the contributions in the ledger, the era's emission split by them, and the claims.

use super::*;
use frame_support::{assert_noop, assert_ok};
use jobs::{HoldReason as JobsHold, JobStatus, SlashReason};
use mosaic_primitives::contribution::{ContributionKind, PointsByKind, RewardSource, Subject};

fn jobs_event(e: jobs::Event<Runtime>) -> RuntimeEvent {
	RuntimeEvent::Jobs(e)
}
fn rewards_event(e: rewards::Event<Runtime>) -> RuntimeEvent {
	RuntimeEvent::Rewards(e)
}

/// The ledger's `Recorded` event of attestation `id`, in era 0.
fn recorded(
	id: u64,
	who: AccountId,
	kind: ContributionKind,
	job: u64,
	points: u64,
) -> RuntimeEvent {
	RuntimeEvent::Attestations(attestations::Event::Recorded {
		id,
		contributor: who,
		kind,
		subject: Subject::Job(job),
		points,
		era: 0,
	})
}

#[test]
fn a_job_runs_settles_and_everyone_claims_their_rewards() {
	build_and_execute(|| {
		// The owner stores the model's bytes (holding the blob deposit) and registers them.
		let blob = store_blob(OWNER, MODEL_BYTES);
		let blob_deposit = blob_deposit(MODEL_BYTES.len());
		assert_eq!(held(blobs::HoldReason::BlobDeposit, OWNER), blob_deposit);
		let spec = version_spec(blob, None);
		let metadata_deposit =
			Models::metadata_deposit(b"doubler", b"doubles its input", b"apache-2.0");
		let version_deposit = Models::version_deposit(&spec);
		assert_eq!(register_model("doubler", spec), 0);
		assert_eq!(
			held(models::HoldReason::ModelDeposit, OWNER),
			metadata_deposit + version_deposit
		);
		assert_eq!(refs(&blob), 1, "version 1 references its blob");
		assert_mosaic_events(vec![
			RuntimeEvent::Blobs(blobs::Event::BlobStored {
				hash: blob,
				owner: OWNER,
				byte_len: MODEL_BYTES.len() as u64,
				deposit: blob_deposit,
			}),
			RuntimeEvent::Models(models::Event::ModelRegistered {
				model: 0,
				owner: OWNER,
				name: b"doubler".to_vec().try_into().unwrap(),
				deposit: metadata_deposit,
			}),
			RuntimeEvent::Models(models::Event::VersionPublished {
				model: 0,
				version: 1,
				blob,
				parent: None,
				deposit: version_deposit,
			}),
		]);
		let owner_holds = blob_deposit + metadata_deposit + version_deposit;

		// Three workers bond their stake.
		let workers = [10, 11, 12];
		workers.iter().for_each(|w| register_worker(*w));
		for w in workers {
			assert_eq!(held(JobsHold::WorkerStake, w), WORKER_STAKE);
			assert_eq!(jobs::WorkerKeys::<Runtime>::get(key_of(w)), Some(w));
		}
		assert_mosaic_events(
			workers
				.map(|w| {
					jobs_event(jobs::Event::WorkerRegistered {
						worker: w,
						key: key_of(w),
						stake: WORKER_STAKE,
						capacity: 4,
					})
				})
				.to_vec(),
		);

		// Alice pays three workers to run it: fees and protocol fee go into escrow.
		let issuance = total_issuance();
		let escrow = 3 * FEE + PROTOCOL_FEE;
		let job = submit_inference(3, 30);
		assert_eq!(job, 0);
		assert_eq!(held(JobsHold::JobEscrow, ALICE), escrow);
		assert_eq!(free(ALICE), INITIAL - escrow);
		assert_eq!(jobs::Queue::<Runtime>::get().to_vec(), vec![job]);
		assert_eq!(jobs::OpenJobs::<Runtime>::get(0), 1);
		// The registry sees the open job through `ModelUsage`: the model cannot be removed.
		assert_eq!(
			Models::remove_model(RuntimeOrigin::signed(OWNER), 0).unwrap_err().error,
			models::Error::<Runtime>::ModelInUse.into()
		);
		assert_mosaic_events(vec![jobs_event(jobs::Event::JobSubmitted {
			job,
			requester: ALICE,
			model: 0,
			version: 1,
			replication: 3,
			held: escrow,
		})]);

		// The next block's `on_initialize` assigns all three; they commit within three blocks.
		run_to_block(2);
		assert_eq!(assignees(job), workers.to_vec());
		assert_eq!(job_info(job).status, JobStatus::Committing { until: 2 + COMMIT_PERIOD });
		assert!(jobs::Queue::<Runtime>::get().is_empty());
		let events = mosaic_events();
		assert!(matches!(
			&events[..],
			[RuntimeEvent::Jobs(jobs::Event::JobAssigned { job: 0, attempt: 0, workers, commit_until: 5 })]
				if workers.len() == 3
		));
		for w in workers {
			assert_eq!(jobs::Workers::<Runtime>::get(w).unwrap().assigned, 1);
			assert_eq!(Jobs::worker_jobs(&w), vec![job]);
		}

		// Each worker's node runs it and commits; the last commitment starts the opening
		// phase (more than one worker: digests are opened before outcomes).
		let answer = doubled();
		workers.iter().for_each(|w| commit(*w, job, &answer));
		assert_eq!(job_info(job).status, JobStatus::Opening { until: 2 + REVEAL_PERIOD });
		let mut expected: Vec<_> = workers
			.map(|worker| jobs_event(jobs::Event::Committed { job, worker }))
			.to_vec();
		expected.push(jobs_event(jobs::Event::OpeningStarted { job, until: 2 + REVEAL_PERIOD }));
		assert_mosaic_events(expected);

		// They open their digests in the next block; the last opening finds a quorum and
		// starts the first attempt's disclosure.
		run_to_block(3);
		take_events();
		workers.iter().for_each(|w| open(*w, job, &answer));
		let digest = digest_of(&answer);
		let disclose_until = 3 + REVEAL_PERIOD;
		assert_eq!(
			job_info(job).status,
			JobStatus::Disclosing { until: disclose_until, attempt: 0 }
		);
		let mut expected: Vec<_> = workers
			.map(|worker| jobs_event(jobs::Event::Opened { job, worker, digest }))
			.to_vec();
		expected.push(jobs_event(jobs::Event::DisclosureStarted {
			job,
			attempt: 0,
			until: disclose_until,
		}));
		assert_mosaic_events(expected);

		// They reveal in the same block; the last reveal settles the job.
		workers.iter().for_each(|w| reveal(*w, job, &answer));
		let info = job_info(job);
		assert_eq!(info.status, JobStatus::Settled);
		let result = info.result.unwrap();
		assert_eq!((result.digest, result.agreeing, result.outcome), (digest, 3, answer));
		assert!(jobs::Commitments::<Runtime>::iter_prefix(job).next().is_none());
		assert!(jobs::Reveals::<Runtime>::iter_prefix(job).next().is_none());

		// Settlement: the royalty (10 % of 300) and the workers' shares (90 each) move from
		// Alice's escrow into the pot, owed to them; the protocol fee joins the era's pool.
		let royalty = 3 * FEE * ROYALTY_PERCENT as u64 / 100;
		let share = (3 * FEE - royalty) / 3;
		let mut expected: Vec<_> = workers
			.map(|worker| jobs_event(jobs::Event::Revealed { job, worker, digest }))
			.to_vec();
		expected.extend([
			rewards_event(rewards::Event::Credited {
				who: OWNER,
				amount: royalty,
				source: RewardSource::Royalty,
			}),
			jobs_event(jobs::Event::RoyaltyPaid { job, owner: OWNER, amount: royalty }),
			rewards_event(rewards::Event::Funded {
				amount: PROTOCOL_FEE,
				source: RewardSource::ProtocolFee,
			}),
			jobs_event(jobs::Event::JobSettled { job, digest, agreeing: 3, refunded: 0 }),
		]);
		for worker in workers {
			expected.push(rewards_event(rewards::Event::Credited {
				who: worker,
				amount: share,
				source: RewardSource::Fee,
			}));
			expected.push(jobs_event(jobs::Event::WorkerPaid { job, worker, amount: share }));
		}
		// The ledger attests each worker's compute and its confirmation of the others, then
		// the owner's model: a worker's two records are consecutive, in the (storage) order
		// the workers were paid in.
		let ids_of = |who: AccountId| {
			let mut ids: Vec<u64> =
				attestations::ByAccount::<Runtime>::iter_key_prefix(who).collect();
			ids.sort();
			ids
		};
		for w in workers {
			let ids = ids_of(w);
			assert!(ids.len() == 2 && ids[0] % 2 == 0 && ids[1] == ids[0] + 1, "{ids:?}");
			expected.push(recorded(ids[0], w, ContributionKind::Compute, job, COMPUTE_POINTS));
			expected.push(recorded(
				ids[1],
				w,
				ContributionKind::Validation,
				job,
				VALIDATION_POINTS,
			));
		}
		assert_eq!(ids_of(OWNER), vec![6]);
		expected.push(recorded(6, OWNER, ContributionKind::Model, job, MODEL_POINTS));
		assert_mosaic_events(expected);

		assert_nothing_held(ALICE);
		assert_eq!(free(ALICE), INITIAL - escrow);
		assert_eq!(free(OWNER), INITIAL - owner_holds, "royalties wait in the pot");
		let emitted = 2 * EMISSION; // blocks 2 and 3
		assert_eq!(free(pot()), 1 + escrow + emitted);
		assert_eq!(rewards::Pool::<Runtime>::get(), PROTOCOL_FEE + emitted);
		assert_eq!(rewards::Outstanding::<Runtime>::get(), 3 * FEE);
		assert_eq!(pending(OWNER), royalty);
		for w in workers {
			assert_eq!(pending(w), share);
			let info = jobs::Workers::<Runtime>::get(w).unwrap();
			assert_eq!((info.stake, info.assigned, info.missed), (WORKER_STAKE, 0, 0));
			assert_eq!(free(w), WORKER_INITIAL - WORKER_STAKE);
		}
		assert_eq!(jobs::OpenJobs::<Runtime>::get(0), 0);
		assert_eq!(total_issuance(), issuance + emitted, "only the emission was minted");

		// The contributions, in era 0.
		let worker_points = PointsByKind {
			compute: COMPUTE_POINTS,
			validation: VALIDATION_POINTS,
			..Default::default()
		};
		for w in workers {
			assert_eq!(attestations::AccountPoints::<Runtime>::get(0, w), worker_points);
		}
		let owner_points = PointsByKind { model: MODEL_POINTS, ..Default::default() };
		assert_eq!(attestations::AccountPoints::<Runtime>::get(0, OWNER), owner_points);
		let era_points = attestations::EraPoints::<Runtime>::get(0);
		assert_eq!(era_points.total(), 3 * (COMPUTE_POINTS + VALIDATION_POINTS) + MODEL_POINTS);
		let records = Attestations::by_subject(Subject::Job(job));
		assert_eq!(records.len(), 7);
		for (_, record) in &records {
			let evidence = if record.kind == ContributionKind::Model { blob } else { digest };
			assert_eq!((record.evidence, record.era, record.recorded_at), (evidence, 0, 3));
		}

		// Era 0 ends in block 10: its pool (the protocol fee and eight blocks' emission) is
		// split by points, at most 9 per point (`PointPrice`: a protocol fee for the most
		// points one can buy); 567 of it for 63 points, the rest stays for later eras.
		run_to_block(9);
		let pool = PROTOCOL_FEE + 8 * EMISSION;
		assert_eq!(rewards::Pool::<Runtime>::get(), pool);
		take_events();
		run_to_block(10);
		let total = era_points.total();
		let per_point = PROTOCOL_FEE / MOST_POINTS_PER_PROTOCOL_FEE;
		assert_eq!(per_point, 9);
		assert!(pool / total > per_point, "the cap binds");
		let allocated = per_point * total;
		assert_mosaic_events(vec![
			rewards_event(rewards::Event::EraRewarded { era: 0, points: total, pool, allocated }),
			RuntimeEvent::Attestations(attestations::Event::EraEnded {
				era: 0,
				points: era_points,
			}),
		]);
		assert_eq!(attestations::CurrentEra::<Runtime>::get(), 1);
		assert_eq!(
			rewards::Pool::<Runtime>::get(),
			pool - allocated + EMISSION,
			"what the cap kept, and block 10's emission, are era 1's"
		);
		let worker_total = share + (COMPUTE_POINTS + VALIDATION_POINTS) * per_point;
		let owner_total = royalty + MODEL_POINTS * per_point;
		assert_eq!(pending(OWNER), owner_total);
		workers.iter().for_each(|w| assert_eq!(pending(*w), worker_total));

		// Everyone claims (one worker through someone else); the pot keeps what backs the
		// new era's pool.
		for w in [10, 11] {
			assert_ok!(Rewards::claim(RuntimeOrigin::signed(w)));
		}
		assert_ok!(Rewards::claim_for(RuntimeOrigin::signed(ALICE), 12));
		assert_ok!(Rewards::claim(RuntimeOrigin::signed(OWNER)));
		let mut expected: Vec<_> = workers
			.map(|w| {
				let by = if w == 12 { ALICE } else { w };
				rewards_event(rewards::Event::Claimed { who: w, amount: worker_total, by })
			})
			.to_vec();
		expected.push(rewards_event(rewards::Event::Claimed {
			who: OWNER,
			amount: owner_total,
			by: OWNER,
		}));
		assert_mosaic_events(expected);
		for w in workers {
			assert_eq!(free(w), WORKER_INITIAL - WORKER_STAKE + worker_total);
			assert!(rewards::Ledgers::<Runtime>::get(w).is_none());
		}
		assert_eq!(free(OWNER), INITIAL - owner_holds + owner_total);
		assert_noop!(
			Rewards::claim(RuntimeOrigin::signed(OWNER)),
			rewards::Error::<Runtime>::NothingToClaim
		);
		assert_eq!(rewards::Outstanding::<Runtime>::get(), 0);
		assert_eq!(free(pot()), 1 + rewards::Pool::<Runtime>::get());
		assert_eq!(rewards::Pool::<Runtime>::get(), pool - allocated + EMISSION);
		// Alice paid exactly the fees and the protocol fee; everything paid out was hers or
		// minted.
		assert_eq!(free(ALICE), INITIAL - escrow);
		assert_eq!(total_issuance(), issuance + 9 * EMISSION);

		// The record is purged after the retention period.
		run_to_block(3 + RETENTION - 1);
		assert!(jobs::Jobs::<Runtime>::get(job).is_some());
		take_events();
		run_to_block(3 + RETENTION);
		assert!(jobs::Jobs::<Runtime>::get(job).is_none());
		assert!(mosaic_events().contains(&jobs_event(jobs::Event::JobPurged { job })));

		// Everyone leaves: workers unbond and withdraw, the owner retires and removes the
		// model, then its blob. No hold is left anywhere.
		for w in workers {
			assert_ok!(Jobs::unbond(RuntimeOrigin::signed(w), WORKER_STAKE));
		}
		run_to_block(3 + RETENTION + 5);
		for w in workers {
			assert_ok!(Jobs::withdraw_unbonded(RuntimeOrigin::signed(w)));
			assert!(jobs::Workers::<Runtime>::get(w).is_none());
		}
		assert_ok!(Models::deprecate_version(RuntimeOrigin::signed(OWNER), 0, 1));
		assert_ok!(Models::remove_model(RuntimeOrigin::signed(OWNER), 0));
		assert_eq!(refs(&blob), 0);
		assert_ok!(Blobs::remove(RuntimeOrigin::signed(OWNER), blob));
		for who in [OWNER, ALICE, pot()].into_iter().chain(workers) {
			assert_nothing_held(who);
		}
		assert_eq!(free(OWNER), INITIAL + owner_total);
		workers.iter().for_each(|w| assert_eq!(free(*w), WORKER_INITIAL + worker_total));
	});
}

#[test]
fn a_lying_worker_is_slashed_and_the_honest_ones_are_paid() {
	build_and_execute(|| {
		let blob = doubler();
		let workers = [10, 11, 12];
		workers.iter().for_each(|w| register_worker(*w));
		let issuance = total_issuance();
		let job = submit_inference(3, 30);
		run_to_block(2);
		assert_eq!(assignees(job), workers.to_vec());

		// 11 claims 4.001 where the model gives 4.000.
		let (honest, liar) = ([10, 12], 11);
		let lie = outputs_y(&[2000, 4001]);
		let outcome = |w: AccountId| if w == liar { lie.clone() } else { doubled() };
		workers.iter().for_each(|w| commit(*w, job, &outcome(*w)));
		run_to_block(3);
		take_events();
		open_and_reveal(job, &workers.map(|w| (w, outcome(w))));

		let digest = digest_of(&doubled());
		let result = job_info(job).result.unwrap();
		assert_eq!(job_info(job).status, JobStatus::Settled);
		assert_eq!((result.digest, result.agreeing), (digest, 2));
		// A dissent costs the base slash plus the fee the liar tried to earn.
		let slash = DISSENT_SLASH + FEE;
		let royalty = 3 * FEE * ROYALTY_PERCENT as u64 / 100;
		let share = (3 * FEE - royalty) / 2;
		let events = mosaic_events();
		for e in [
			jobs_event(jobs::Event::WorkerSlashed {
				worker: liar,
				job,
				amount: slash,
				reason: SlashReason::Dissent,
			}),
			rewards_event(rewards::Event::Funded { amount: slash, source: RewardSource::Slash }),
			jobs_event(jobs::Event::RoyaltyPaid { job, owner: OWNER, amount: royalty }),
			jobs_event(jobs::Event::JobSettled { job, digest, agreeing: 2, refunded: 0 }),
		] {
			assert!(events.contains(&e), "missing {e:?}");
		}
		for w in honest {
			assert!(events.contains(&jobs_event(jobs::Event::WorkerPaid {
				job,
				worker: w,
				amount: share
			})));
		}
		assert!(!events.iter().any(|e| matches!(
			e,
			RuntimeEvent::Jobs(jobs::Event::WorkerPaid { worker: 11, .. })
				| RuntimeEvent::Jobs(jobs::Event::WorkerInactive { .. })
		)));

		// The liar's slash leaves its held stake for the pot; it stays a worker above the
		// minimum. The honest share the fees; only they and the owner are attested.
		let liar_info = jobs::Workers::<Runtime>::get(liar).unwrap();
		assert_eq!(liar_info.stake, WORKER_STAKE - slash);
		assert_eq!(liar_info.status, jobs::WorkerStatus::Active);
		assert_eq!(held(JobsHold::WorkerStake, liar), WORKER_STAKE - slash);
		assert_eq!(free(liar), WORKER_INITIAL - WORKER_STAKE);
		for w in honest {
			assert_eq!(held(JobsHold::WorkerStake, w), WORKER_STAKE);
			assert_eq!(pending(w), share);
		}
		assert_eq!(pending(liar), 0);
		assert_eq!(pending(OWNER), royalty);
		assert!(attestations::ByAccount::<Runtime>::iter_prefix(liar).next().is_none());
		let contributors: Vec<_> = Attestations::by_subject(Subject::Job(job))
			.into_iter()
			.map(|(_, a)| (a.contributor, a.kind))
			.collect();
		assert_eq!(contributors.len(), 5);
		assert!(contributors.contains(&(OWNER, ContributionKind::Model)));
		assert_nothing_held(ALICE);
		assert_eq!(free(ALICE), INITIAL - 3 * FEE - PROTOCOL_FEE);
		let emitted = 2 * EMISSION;
		assert_eq!(rewards::Pool::<Runtime>::get(), PROTOCOL_FEE + slash + emitted);
		assert_eq!(free(pot()), 1 + 3 * FEE + PROTOCOL_FEE + slash + emitted);
		assert_eq!(total_issuance(), issuance + emitted, "a slash moves stake, burns nothing");
		assert_eq!(refs(&blob), 1);

		// The slash enlarges era 0's pool, but an era gives at most 9 per point: the honest
		// workers' 20 points earn 180, the owner's 3 earn 27, the liar nothing, and the rest
		// stays in the pool.
		run_to_block(10);
		let pool = PROTOCOL_FEE + slash + 8 * EMISSION;
		assert!(mosaic_events().contains(&rewards_event(rewards::Event::EraRewarded {
			era: 0,
			points: 43,
			pool,
			allocated: 43 * 9,
		})));
		for w in honest {
			assert_eq!(pending(w), share + 180);
			assert_ok!(Rewards::claim(RuntimeOrigin::signed(w)));
			assert_eq!(free(w), WORKER_INITIAL - WORKER_STAKE + share + 180);
		}
		assert_eq!(pending(OWNER), royalty + 27);
		assert_noop!(
			Rewards::claim(RuntimeOrigin::signed(liar)),
			rewards::Error::<Runtime>::NothingToClaim
		);
	});
}
