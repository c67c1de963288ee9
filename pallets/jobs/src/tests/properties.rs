//! Property tests: conservation of funds over random job histories.

use super::*;
use proptest::prelude::*;

#[derive(Clone, Copy, Debug, PartialEq)]
enum Behaviour {
	Honest,
	Liar,
	/// Never commits.
	Silent,
	/// Commits and withholds its reveal.
	CommitOnly,
	/// Could not run the job: reveals `CouldNotRun`.
	Abstain,
	/// Its machine failed: reveals an executor error with a machine-failure code, as an
	/// older node does.
	MachineError,
	/// Computes nothing: commits to a digest another worker of the job made public (its
	/// own wrong guess when there is none), and reveals only an outcome it has seen.
	Copier,
}

impl Behaviour {
	fn abstains(self) -> bool {
		matches!(self, Behaviour::Abstain | Behaviour::MachineError)
	}
}

fn behaviour() -> impl Strategy<Value = Behaviour> {
	prop_oneof![
		4 => Just(Behaviour::Honest),
		1 => Just(Behaviour::Liar),
		1 => Just(Behaviour::Silent),
		1 => Just(Behaviour::CommitOnly),
		1 => Just(Behaviour::Abstain),
		1 => Just(Behaviour::MachineError),
		1 => Just(Behaviour::Copier),
	]
}

#[derive(Clone, Debug)]
struct JobPlan {
	k: u8,
	fee: u64,
	cancel: bool,
	submit_at: u64,
	training: bool,
}

fn job_plan() -> impl Strategy<Value = JobPlan> {
	// At least the least fee of a full reveal, so training jobs are accepted too.
	let least = MIN_FEE.max(MAX_OUTPUT_VALUES as u64 * REVEAL_FEE_PER_VALUE);
	(1u8..=4, least..500, prop::bool::weighted(0.15), 0u64..6, prop::bool::weighted(0.4)).prop_map(
		|(k, fee, cancel, submit_at, training)| JobPlan { k, fee, cancel, submit_at, training },
	)
}

/// A [`Behaviour::Copier`]'s move on `job` in `status`. Its commitment is to the first
/// digest another worker made public (opened or revealed), else to a wrong guess of its own;
/// it opens that digest, and reveals only an outcome with that digest that is public.
fn copy(worker: u64, job: JobId, status: &JobStatus<u64>) {
	let guess = outputs(&[100 + worker as i64]);
	match status {
		JobStatus::Committing { .. } => {
			let public = Openings::<Test>::iter_prefix(job)
				.chain(Reveals::<Test>::iter_prefix(job).map(|(w, r)| (w, r.digest)))
				.find(|(w, _)| *w != worker)
				.map(|(_, d)| d);
			let digest = public.unwrap_or_else(|| MosaicJobs::outcome_digest(&guess, 3).unwrap());
			COPIED.with(|c| c.borrow_mut().insert((worker, job), (digest, public.is_some())));
			let _ = MosaicJobs::commit(
				RuntimeOrigin::signed(key_of(worker)),
				job,
				commitment(&digest, &salt(worker), &worker),
			);
		},
		JobStatus::Opening { .. } | JobStatus::Revealing { .. } | JobStatus::Disclosing { .. } => {
			let Some((digest, _)) = COPIED.with(|c| c.borrow().get(&(worker, job)).copied()) else {
				return;
			};
			let seen = Reveals::<Test>::iter_prefix_values(job)
				.map(|r| r.outcome)
				.chain(core::iter::once(guess))
				.find(|o| MosaicJobs::outcome_digest(o, 3).ok() == Some(digest));
			let _ = match (status, seen) {
				(JobStatus::Opening { .. }, _) => MosaicJobs::open(
					RuntimeOrigin::signed(key_of(worker)),
					job,
					salt(worker),
					Opening::Digest(digest),
				),
				(_, Some(outcome)) => reveal_as(worker, job, &outcome),
				// Nothing seen: the digest alone, where the chain takes one.
				(_, None) => reveal_as(worker, job, &Outcome::Digest(digest)),
			};
		},
		_ => {},
	}
}

thread_local! {
	/// The digest each copier committed to, and whether it copied it (rather than guessed),
	/// by (worker, job).
	static COPIED: core::cell::RefCell<alloc::collections::BTreeMap<(u64, JobId), (Digest, bool)>> =
		Default::default();
}

proptest! {
	#![proptest_config(ProptestConfig::with_cases(64))]

	#[test]
	fn funds_are_conserved_and_no_hold_survives(
		plans in prop::collection::vec(job_plan(), 1..6),
		behaviours in prop::collection::vec(behaviour(), 6),
		tolerance in prop::option::of(0u64..2),
	) {
		COPIED.with(|c| c.borrow_mut().clear());
		new_test_ext().execute_with(|| {
			add_version(0, 1, OWNER, tolerance);
			SealedBlobs::mutate(|b| b.insert(PARAMS, 0));
			let workers: Vec<u64> = (10..16).collect();
			for w in &workers {
				register(*w);
			}
			let accounts: Vec<u64> = [ALICE, 2, OWNER, POT, BLOB_DEPOSITS].into_iter().chain(10..=17).chain(110..=117).collect();
			let issuance = total_issuance();
			// Each plan's job is submitted `submit_at` blocks after the one before, the first
			// counted from block 1.
			let submit_blocks: Vec<u64> = plans
				.iter()
				.scan(1u64, |block, plan| {
					*block += plan.submit_at;
					Some(*block)
				})
				.collect();
			let last_submission = submit_blocks.last().copied().unwrap_or(1);
			let mut submitted = Vec::new();
			// Drive every job to its end, each worker behaving as drawn in every block, from
			// the first submission on (so an honest worker never misses a commit phase).
			while System::block_number() <= last_submission + 60 {
				let now = System::block_number();
				for (i, plan) in plans.iter().enumerate().filter(|(i, _)| submit_blocks[*i] == now) {
					let requester = if i % 2 == 0 { ALICE } else { 2 };
					let id = NextJobId::<Test>::get();
					let (kind, input) =
						if plan.training { (training(2, 4), dataset()) } else { (JobKind::Inference, inline_x(&[1.0])) };
					if MosaicJobs::submit_job(RuntimeOrigin::signed(requester), 0, 1, kind,
						input, plan.k, plan.fee, now + 20).is_ok() {
						submitted.push((id, plan.clone(), requester));
					}
				}
				for (id, plan, requester) in &submitted {
					let Some(view) = MosaicJobs::job_view(*id) else { continue };
					let info = view.job;
					if plan.cancel {
						let _ = MosaicJobs::cancel_job(RuntimeOrigin::signed(*requester), *id);
					}
					for a in info.assignees.iter() {
						let w = a.worker;
						let b = behaviours[(w - 10) as usize];
						if b == Behaviour::Copier {
							copy(w, *id, &info.status);
							continue;
						}
						let out = match b {
							Behaviour::Liar => outputs(&[7 + w as i64]),
							Behaviour::Abstain => Outcome::CouldNotRun {
								code: mosaic_primitives::onnx::REMOTE_BLOB_UNAVAILABLE,
							},
							Behaviour::MachineError => Outcome::Error {
								code: mosaic_primitives::onnx::SANDBOX_FAILURE,
								model_fault: true,
							},
							_ => outputs(&[7]),
						};
						match (info.status, b) {
							(_, Behaviour::Silent) => {},
							(JobStatus::Committing { .. }, _) => { let _ = commit_as(w, *id, &out); },
							(JobStatus::Opening { .. }, _) => { let _ = open_as(w, *id, &out); },
							(JobStatus::Revealing { .. } | JobStatus::Disclosing { .. }, Behaviour::CommitOnly) => {},
							(JobStatus::Revealing { .. } | JobStatus::Disclosing { .. }, _) => {
								let _ = reveal_as(w, *id, &out);
							},
							_ => {},
						}
					}
				}
				run_to(now + 1);
			}
			// Six workers are enough for every plan: none is refused.
			prop_assert_eq!(submitted.len(), plans.len());
			let mut slashed = 0u64;
			let mut fees = 0u64;
			let honest_digest = MosaicJobs::outcome_digest(&outputs(&[7]), 3).unwrap();
			let settled: alloc::collections::BTreeMap<JobId, Digest> = events()
				.into_iter()
				.filter_map(|e| match e {
					Event::JobSettled { job, digest, .. } => Some((job, digest)),
					_ => None,
				})
				.collect();
			let protocol_fee = |job| MosaicJobs::job_view(job).map_or(PROTOCOL_FEE, |v| v.job.protocol_fee);
			for e in events() {
				match e {
					Event::WorkerSlashed { amount, worker, reason, .. } => {
						slashed += amount;
						// Abstainers commit and reveal: never slashed.
						prop_assert!(!behaviours[(worker - 10) as usize].abstains(), "abstainer {} slashed", worker);
						// Silent workers never commit; those that commit are slashed as dissenters or
						// for withholding, never for silence. Only those that hide an outcome or
						// cannot produce one withhold.
						let b = behaviours[(worker - 10) as usize];
						prop_assert_eq!(reason == SlashReason::NoReveal, b == Behaviour::Silent);
						if reason == SlashReason::Withheld {
							prop_assert!(matches!(b, Behaviour::CommitOnly | Behaviour::Copier));
						}
					},
					Event::WorkerPaid { worker, job, .. } => {
						let b = behaviours[(worker - 10) as usize];
						prop_assert!(!b.abstains(), "abstainer {} paid", worker);
						// A copied digest's outcome is disclosed after the copier's turn: it is
						// paid only when an honest worker of its own attempt disclosed the
						// same outcome first, so the result is the honest one. (A guess alone
						// on a k = 1 job is paid, as any single worker's result is.)
						let copied = COPIED.with(|c| c.borrow().get(&(worker, job)).is_some_and(|e| e.1));
						if copied {
							prop_assert_eq!(settled.get(&job), Some(&honest_digest), "copier {} decided job {}", worker, job);
						}
					},
					// Settled, failed once workers ran it, or cancelled in the queue: the protocol
					// fee is kept.
					Event::JobSettled { job, .. } | Event::JobCancelled { job, .. } => fees += protocol_fee(job),
					Event::JobFailed { job, reason, .. } if reason != FailReason::NoWorkers =>
						fees += protocol_fee(job),
					_ => {},
				}
			}
			for (id, _, _) in &submitted {
				// Purged jobs were finished.
				if let Some(view) = MosaicJobs::job_view(*id) {
					prop_assert!(view.job.status.is_finished(), "job {} ended as {:?}", id, view.job.status);
				}
			}
			// Nothing is minted or burned: slashes and protocol fees went to the pool, worker
			// fees and royalties are owed in the pot, and the pot holds exactly that.
			prop_assert_eq!(total_issuance(), issuance);
			prop_assert_eq!(pooled(), slashed + fees);
			let owed_total: u64 = Owed::get().values().sum();
			prop_assert_eq!(Balances::free_balance(POT), 1 + pooled() + owed_total);
			let sum: u64 = accounts.iter().map(Balances::total_balance).sum();
			prop_assert_eq!(sum, total_issuance());
			for a in &accounts {
				prop_assert_eq!(Balances::balance_on_hold(&escrow(), a), 0);
			}
			for w in &workers {
				let info = Workers::<Test>::get(w).unwrap();
				prop_assert_eq!(info.assigned, 0);
				// Only abstainers (and copiers of an abstention) have abstentions to make up for.
				let b = behaviours[(*w - 10) as usize];
				if !b.abstains() && b != Behaviour::Copier {
					prop_assert_eq!(Abstentions::<Test>::get(w), None);
				}
				prop_assert_eq!(Balances::balance_on_hold(&stake_reason(), w), info.held());
				prop_assert!(Assignments::<Test>::iter_prefix(w).next().is_none());
			}
			prop_assert_eq!(OpenJobs::<Test>::get(0), 0);
			// Every reference a job took was dropped; stored results paid their deposits.
			prop_assert_eq!(SealedBlobs::get().get(&PARAMS).copied(), Some(0));
			prop_assert_eq!(SealedBlobs::get().get(&DATASET).copied(), Some(0));
			let deposits: u64 = StoredBlobs::get().iter().map(|(_, b)| b.len() as u64 + 5).sum();
			prop_assert_eq!(Balances::free_balance(BLOB_DEPOSITS), 1 + deposits);
			prop_assert_eq!(MosaicJobs::do_try_state(), Ok(()));
			Ok(())
		})?;
	}
}
