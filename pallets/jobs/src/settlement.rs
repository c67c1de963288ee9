//! Settlement: deciding a job from its reveals, paying, slashing, refunding, and a job's end.

use super::*;
use frame_support::traits::Randomness as _;
use mosaic_primitives::onnx::{REMOTE_BLOB_REJECTED, REMOTE_BLOB_UNAVAILABLE};

impl<T: Config> Pallet<T> {
	/// Closes a commit phase: updates the attempt's workers' liveness, then opens the reveal
	/// phase (or settles at once if nobody has anything left to reveal). A job with more
	/// than one worker goes to the opening phase instead (see [`Self::start_opening`]).
	pub(crate) fn end_commit_phase(job: JobId, info: &mut JobInfoOf<T>, now: BlockNumberFor<T>) {
		for assignee in info.assignees.iter().filter(|a| a.attempt == info.attempt) {
			let Some(mut worker) = Workers::<T>::get(&assignee.worker) else { continue };
			if Commitments::<T>::contains_key(job, &assignee.worker) {
				worker.missed = 0;
			} else {
				worker.missed = worker.missed.saturating_add(1);
				if worker.missed >= T::MaxMissed::get() && worker.status == WorkerStatus::Active {
					worker.status = WorkerStatus::Inactive;
					Self::deposit_event(Event::WorkerInactive {
						worker: assignee.worker.clone(),
						missed: worker.missed,
					});
				}
			}
			Self::store_worker(&assignee.worker, worker);
		}
		// When the attempt's last commitment ends the phase, its scheduled end is stale.
		if let JobStatus::Committing { until } = info.status {
			Self::unschedule(until, job, DeadlineKind::CommitEnd);
		}
		if info.assignees.len() > 1 {
			Self::start_opening(job, info, now);
			return;
		}
		let pending =
			Commitments::<T>::iter_key_prefix(job).any(|w| !Reveals::<T>::contains_key(job, &w));
		if pending {
			let until = now.saturating_add(T::RevealPeriod::get());
			Self::schedule(until, job, DeadlineKind::RevealEnd);
			info.status = JobStatus::Revealing { until };
			Self::deposit_event(Event::RevealStarted { job, until });
		} else {
			// Nothing left to reveal.
			Self::settle(job, info, now);
		}
	}

	/// Starts the opening phase of a job with more than one worker: its committed workers
	/// open their digests, not their outcomes, so that an escalation's workers see nothing
	/// they could reproduce without computing. Ends it at once if nobody has anything to open.
	pub(crate) fn start_opening(job: JobId, info: &mut JobInfoOf<T>, now: BlockNumberFor<T>) {
		if Self::waits_for_openings(job) {
			let until = now.saturating_add(T::RevealPeriod::get());
			Self::schedule(until, job, DeadlineKind::OpenEnd);
			info.status = JobStatus::Opening { until };
			Self::deposit_event(Event::OpeningStarted { job, until });
		} else {
			Self::end_opening(job, info, now);
		}
	}

	/// Whether a committed worker of `job` has neither opened nor revealed.
	pub(crate) fn waits_for_openings(job: JobId) -> bool {
		Commitments::<T>::iter_key_prefix(job)
			.any(|w| !Openings::<T>::contains_key(job, &w) && !Reveals::<T>::contains_key(job, &w))
	}

	/// Closes an opening phase. A quorum of identical digests goes to disclosure; without
	/// one, the job escalates while only digests are public; when it cannot, every opened
	/// outcome is disclosed and settlement decides (within the version's tolerance).
	pub(crate) fn end_opening(job: JobId, info: &mut JobInfoOf<T>, now: BlockNumberFor<T>) {
		if let JobStatus::Opening { until } = info.status {
			Self::unschedule(until, job, DeadlineKind::OpenEnd);
		}
		if !Self::openings_agree(job, info) && Self::escalate(job, info, now) {
			return;
		}
		Self::start_disclosure(job, info, info.attempt, now);
	}

	/// Whether a quorum of `info`'s assigned workers opened the same digest.
	pub(crate) fn openings_agree(job: JobId, info: &JobInfoOf<T>) -> bool {
		let quorum = info.assignees.len() / 2 + 1;
		let digests: Vec<Digest> = Openings::<T>::iter_prefix_values(job).collect();
		digests.iter().any(|d| digests.iter().filter(|e| *e == d).count() >= quorum)
	}

	/// Moves the end of `info`'s opening or reveal phase to the next block, whose
	/// `on_initialize` then ends it. An extrinsic that would end a phase early calls this when
	/// the end may draw workers (an escalation): a draw must only read state fixed by an
	/// earlier block, with randomness its author cannot see in advance of that state (see
	/// [`Config::Randomness`]). Every worker already answered, so the phase gives nobody more
	/// time.
	pub(crate) fn end_phase_next_block(
		job: JobId,
		info: &mut JobInfoOf<T>,
		now: BlockNumberFor<T>,
	) {
		let next = now.saturating_add(One::one());
		match info.status {
			JobStatus::Opening { until } => {
				Self::unschedule(until, job, DeadlineKind::OpenEnd);
				Self::schedule(next, job, DeadlineKind::OpenEnd);
				info.status = JobStatus::Opening { until: next };
			},
			JobStatus::Revealing { until } => {
				Self::unschedule(until, job, DeadlineKind::RevealEnd);
				Self::schedule(next, job, DeadlineKind::RevealEnd);
				info.status = JobStatus::Revealing { until: next };
			},
			_ => {},
		}
	}

	/// Adds an attempt of `EscalationWorkers` when the job may still escalate and a whole
	/// attempt fits before its deadline; whether it did.
	pub(crate) fn escalate(job: JobId, info: &mut JobInfoOf<T>, now: BlockNumberFor<T>) -> bool {
		let next = info.attempt.saturating_add(1);
		let room = now.saturating_add(Self::attempt_length(next)) <= info.deadline;
		if info.attempt >= T::MaxEscalations::get() || !room {
			return false;
		}
		let random = Self::assignment_randomness();
		if !Self::assign_attempt(job, info, T::EscalationWorkers::get(), now, random) {
			return false;
		}
		Self::deposit_event(Event::JobEscalated { job, attempt: info.attempt });
		true
	}

	/// Starts the disclosure of the latest attempt, at most `from`, that has an opened
	/// outcome still to disclose; settles when none has. Later attempts disclose first: a
	/// worker that committed to a digest it copied cannot disclose its outcome before the
	/// worker it copied has.
	pub(crate) fn start_disclosure(
		job: JobId,
		info: &mut JobInfoOf<T>,
		from: u8,
		now: BlockNumberFor<T>,
	) {
		let mut stage = Some(from);
		while let Some(attempt) = stage {
			if Self::waits_for_disclosure(job, info, attempt) {
				let until = now.saturating_add(T::RevealPeriod::get());
				Self::schedule(until, job, DeadlineKind::RevealEnd);
				info.status = JobStatus::Disclosing { until, attempt };
				Self::deposit_event(Event::DisclosureStarted { job, attempt, until });
				return;
			}
			stage = attempt.checked_sub(1);
		}
		Self::settle(job, info, now);
	}

	/// Whether a worker of `attempt` opened a digest and has not disclosed its outcome.
	pub(crate) fn waits_for_disclosure(job: JobId, info: &JobInfoOf<T>, attempt: u8) -> bool {
		info.assignees.iter().filter(|a| a.attempt == attempt).any(|a| {
			Openings::<T>::contains_key(job, &a.worker)
				&& !Reveals::<T>::contains_key(job, &a.worker)
		})
	}

	/// Closes `attempt`'s disclosure: the attempt before discloses next, then the job
	/// settles.
	pub(crate) fn end_disclosure(
		job: JobId,
		info: &mut JobInfoOf<T>,
		attempt: u8,
		now: BlockNumberFor<T>,
	) {
		if let JobStatus::Disclosing { until, .. } = info.status {
			Self::unschedule(until, job, DeadlineKind::RevealEnd);
		}
		match attempt.checked_sub(1) {
			Some(earlier) => Self::start_disclosure(job, info, earlier, now),
			None => Self::settle(job, info, now),
		}
	}

	/// Decides a job from its reveals: pays out on a quorum, escalates or fails without.
	///
	/// Abstentions ([`Outcome::is_abstention`]) are no votes. Two reveals agree when their
	/// digests are equal, or when both carry outputs that agree within the version's
	/// tolerance (floating-point values only); an error agrees only with the same error. The
	/// leading reveal is the one most others agree with; among equals, one carrying outputs
	/// beats a digest (so the stored result carries what the quorum computed), then the one
	/// with more identical digests, then the one whose digest hashes lowest with
	/// [`Config::Randomness`] ([`TIE_BREAK_SUBJECT`]): nothing an account chooses. A quorum
	/// is a majority of every worker assigned, abstainers included (they are replaced by
	/// escalation, never left out).
	///
	/// Only a job with one worker escalates here (its reveal is an abstention, or missing):
	/// with more, the opening phase's end decided that, and their outcomes are public now, for
	/// a new attempt to copy.
	pub(crate) fn settle(job: JobId, info: &mut JobInfoOf<T>, now: BlockNumberFor<T>) {
		if let JobStatus::Revealing { until } = info.status {
			// When the last reveal settles, the scheduled end is stale.
			Self::unschedule(until, job, DeadlineKind::RevealEnd);
		}
		let reveals: Vec<(T::AccountId, RevealOf<T>)> = Reveals::<T>::iter_prefix(job).collect();
		let opened: Vec<(T::AccountId, Digest)> = Openings::<T>::iter_prefix(job).collect();
		let votes: Vec<usize> = (0..reveals.len())
			.filter(|i| {
				!reveals[*i].1.outcome.is_abstention()
					&& !Self::may_be_copied(info, &reveals, &opened, *i)
			})
			.collect();
		let no_votes: Vec<T::AccountId> = (0..reveals.len())
			.filter(|i| !votes.contains(i))
			.map(|i| reveals[i].0.clone())
			.collect();
		let tolerance = T::Models::version(info.model, info.version).and_then(|v| v.tolerance);
		let quantized: Vec<Option<Vec<mosaic_primitives::digest::QuantizedTensor>>> = reveals
			.iter()
			.map(|(_, r)| match (&r.outcome, tolerance) {
				(Outcome::Outputs(outputs), Some(_)) => Some(to_quantized(outputs)),
				_ => None,
			})
			.collect();
		let agree = |a: usize, b: usize| -> bool {
			let (x, y) = (&reveals[a].1, &reveals[b].1);
			let errors = [&x.outcome, &y.outcome]
				.iter()
				.filter(|o| matches!(o, Outcome::Error { .. }))
				.count();
			match errors {
				0 if x.digest == y.digest => true,
				0 => match (&quantized[a], &quantized[b], tolerance) {
					(Some(p), Some(q), Some(t)) => {
						mosaic_primitives::digest::within_tolerance(p, q, t)
					},
					_ => false,
				},
				2 => x.digest == y.digest,
				_ => false,
			}
		};
		let (tie_seed, _) = T::Randomness::random(TIE_BREAK_SUBJECT);
		let rank = |a: usize| {
			let count = votes.iter().filter(|b| agree(a, **b)).count();
			let outputs = matches!(reveals[a].1.outcome, Outcome::Outputs(_));
			let identical =
				votes.iter().filter(|b| reveals[**b].1.digest == reveals[a].1.digest).count();
			let draw = (reveals[a].1.digest, &tie_seed).using_encoded(sp_io::hashing::blake2_256);
			// Higher is better; the draw breaks what is left, lowest first.
			(count, outputs, identical, core::cmp::Reverse(draw))
		};
		let leader = votes.iter().copied().max_by_key(|a| rank(*a));
		let quorum = info.assignees.len() / 2 + 1;
		let agreeing_with = |leader: usize| -> Vec<T::AccountId> {
			votes
				.iter()
				.filter(|b| agree(leader, **b))
				.map(|b| reveals[*b].0.clone())
				.collect()
		};
		match leader.map(|l| (l, agreeing_with(l))) {
			Some((leader, agreeing)) if agreeing.len() >= quorum => {
				let (_, leading) = &reveals[leader];
				let result = JobResult {
					digest: leading.digest,
					outcome: leading.outcome.clone(),
					agreeing: agreeing.len() as u32,
					parameters: None,
				};
				let mut no_votes = no_votes;
				no_votes.extend(Self::served_wrong_bytes(info, &agreeing, &reveals));
				Self::slash_outliers(job, info, &agreeing, &reveals, &no_votes);
				let excused = Self::pay_bond_of_unserved_blob(job, info, &reveals, quorum);
				no_votes.retain(|worker| !excused.contains(worker));
				Self::count_abstentions(&agreeing, &reveals, &no_votes);
				Self::release_assignees(job, info);
				match leading.outcome {
					Outcome::Error { code, model_fault } => {
						// One machine's or a small group's verdict must not end a model: only
						// a quorum of at least `MODEL_FAULT_QUORUM` independent workers does
						// (copies were no votes).
						if model_fault && agreeing.len() >= MODEL_FAULT_QUORUM as usize {
							let version = (info.model, info.version);
							if T::Models::mark_invalid(version.0, version.1, code).is_ok()
								&& !FaultedJobs::<T>::contains_key(version)
							{
								// What the owner's re-check will run again.
								FaultedJobs::<T>::insert(version, (info.kind, info.input.clone()));
							}
						}
						info.result = Some(result);
						Self::pay_for_failure(job, info, &agreeing, code, model_fault);
					},
					_ => {
						let version = (info.model, info.version);
						// The job that found the version at fault ran, for as many workers as
						// it takes to find a fault: it was not the model's.
						if Rechecks::<T>::get(version) == Some(job)
							&& agreeing.len() >= MODEL_FAULT_QUORUM as usize
							&& T::Models::revalidate(version.0, version.1).is_ok()
						{
							FaultedJobs::<T>::remove(version);
						}
						let digest = result.digest;
						info.result = Some(result);
						Self::pay_out(job, info, &agreeing, digest);
					},
				}
			},
			_ => {
				if info.assignees.len() == 1 && Self::escalate(job, info, now) {
					return;
				}
				// Without a quorum nobody can be called a dissenter; only silence is slashed.
				Self::slash_outliers(job, info, &[], &reveals, &no_votes);
				let excused = Self::pay_bond_of_unserved_blob(job, info, &reveals, quorum);
				let mut no_votes = no_votes;
				no_votes.retain(|worker| !excused.contains(worker));
				Self::count_abstentions(&[], &reveals, &no_votes);
				Self::release_assignees(job, info);
				Self::fail(job, info, FailReason::NoQuorum, true);
			},
		}
	}

	/// Revealers outside `agreeing` that report [`REMOTE_BLOB_REJECTED`] on a job naming a
	/// remote blob: a server may give different bytes to different workers, so one that got
	/// bytes not matching the hash while a quorum got the right ones was served, not lying.
	/// They are no votes (neither paid nor slashed; they count an abstention). On a job whose
	/// blobs are all on-chain nobody can be served wrong bytes, and the report is a dissent.
	pub(crate) fn served_wrong_bytes(
		info: &JobInfoOf<T>,
		agreeing: &[T::AccountId],
		reveals: &[(T::AccountId, RevealOf<T>)],
	) -> Vec<T::AccountId> {
		let rejecting: Vec<T::AccountId> = reveals
			.iter()
			.filter(|(worker, reveal)| {
				!agreeing.contains(worker)
					&& matches!(reveal.outcome, Outcome::Error { code: REMOTE_BLOB_REJECTED, .. })
			})
			.map(|(worker, _)| worker.clone())
			.collect();
		if rejecting.is_empty() {
			return rejecting;
		}
		// Charged in `end_weight` (`remote_rejection_weight`).
		if Self::names_a_remote_blob(info) {
			rejecting
		} else {
			Vec::new()
		}
	}

	/// When at least `quorum` workers report that the job's remote blob did not serve its
	/// claimed bytes (they could not get any, [`REMOTE_BLOB_UNAVAILABLE`], or got others,
	/// [`REMOTE_BLOB_REJECTED`]), the blob's registrant pays for their wasted draw: its bond
	/// ([`RemoteBlobBond`]) is shared among them through the rewards pot, and their
	/// abstentions are not held against them, even when the bond is gone (taken before, or
	/// the blob removed). Returns those workers (none without such a quorum, or on a job
	/// naming no remote blob). A job naming several remote blobs takes the bond of the first
	/// (input, then parameters, then manifest, then the version's model): the reports do not
	/// say which failed. Charged in `end_weight` (`unserved_blob_weight`).
	pub(crate) fn pay_bond_of_unserved_blob(
		job: JobId,
		info: &JobInfoOf<T>,
		reveals: &[(T::AccountId, RevealOf<T>)],
		quorum: usize,
	) -> Vec<T::AccountId> {
		let mut unserved: Vec<T::AccountId> = reveals
			.iter()
			.filter(|(_, reveal)| {
				matches!(
					reveal.outcome,
					Outcome::CouldNotRun { code: REMOTE_BLOB_UNAVAILABLE }
						| Outcome::Error { code: REMOTE_BLOB_REJECTED, .. }
				)
			})
			.map(|(worker, _)| worker.clone())
			.collect();
		if unserved.is_empty() || unserved.len() < quorum {
			return Vec::new();
		}
		unserved.sort();
		// Referenced while the job is open, a remote blob is still the registration the
		// workers were asked to fetch.
		let Some(blob) = Self::remote_blobs_of(info).next() else {
			return Vec::new();
		};
		let bond = T::Blobs::forfeit_bond(&blob, &T::Rewards::account());
		let each = bond / BalanceOf::<T>::from(unserved.len() as u32);
		for worker in &unserved {
			if !each.is_zero() {
				T::Rewards::credit(worker, each, RewardSource::RemoteBlobBond);
			}
		}
		let rest = bond.saturating_sub(each.saturating_mul((unserved.len() as u32).into()));
		if !rest.is_zero() {
			T::Rewards::fund(rest, RewardSource::RemoteBlobBond);
		}
		Self::deposit_event(Event::UnservedBlobBondPaid {
			job,
			blob,
			workers: unserved.clone(),
			each,
		});
		unserved
	}

	/// Whether the job's input, parameters or manifest, or its version's model, is a remote
	/// blob: bytes a server gives each worker, which may differ between workers or never come.
	pub(crate) fn names_a_remote_blob(info: &JobInfoOf<T>) -> bool {
		Self::remote_blobs_of(info).next().is_some()
	}

	/// The job's remote blobs: of its input, parameters, manifest and version's model blob
	/// (in that order), those registered by URI.
	pub(crate) fn remote_blobs_of(info: &JobInfoOf<T>) -> impl Iterator<Item = BlobHash> {
		let [parameters, manifest] = info.kind.blobs();
		let model = T::Models::version(info.model, info.version).map(|view| view.blob);
		[info.input.blob(), parameters, manifest, model]
			.into_iter()
			.flatten()
			.filter(|hash| T::Blobs::blob(hash).is_some_and(|b| b.kind == BlobKind::Remote))
	}

	/// What a dissent or a withheld reveal costs on `info`'s job: [`Config::DissentSlash`]
	/// plus the fee the worker tried to earn, so that lying for a fee never pays (the slash
	/// is bounded by what the worker holds).
	pub(crate) fn dissent_slash(info: &JobInfoOf<T>) -> BalanceOf<T> {
		T::DissentSlash::get().saturating_add(info.fee_per_worker)
	}

	/// Whether `reveals[i]` shows nothing its worker could not have copied: an executor error
	/// or a digest-only reveal whose digest a worker of an earlier attempt had opened or
	/// revealed before this one committed. An error's digest is easily inverted (a code and a
	/// flag), and a digest-only reveal is nothing but the digest, so either may be a copy of
	/// what the worker never computed: it is no vote, neither paid nor slashed, and counts as
	/// an abstention.
	pub(crate) fn may_be_copied(
		info: &JobInfoOf<T>,
		reveals: &[(T::AccountId, RevealOf<T>)],
		opened: &[(T::AccountId, Digest)],
		i: usize,
	) -> bool {
		let (worker, reveal) = &reveals[i];
		if !matches!(reveal.outcome, Outcome::Error { .. } | Outcome::Digest(_)) {
			return false;
		}
		let attempt_of =
			|w: &T::AccountId| info.assignees.iter().find(|a| a.worker == *w).map(|a| a.attempt);
		let Some(attempt) = attempt_of(worker) else { return false };
		let earlier = |w: &T::AccountId| attempt_of(w).is_some_and(|a| a < attempt);
		opened.iter().any(|(w, digest)| *digest == reveal.digest && earlier(w))
			|| reveals.iter().any(|(w, r)| r.digest == reveal.digest && earlier(w))
	}

	/// Slashes revealers outside `agreeing` (when a quorum formed), committed workers that
	/// withheld their reveal (as much as a dissent: withholding must not be the cheaper way
	/// out of a losing lie) and assignees that neither committed nor revealed. Abstainers and
	/// the other revealers of `no_votes` are never slashed.
	pub(crate) fn slash_outliers(
		job: JobId,
		info: &JobInfoOf<T>,
		agreeing: &[T::AccountId],
		reveals: &[(T::AccountId, RevealOf<T>)],
		no_votes: &[T::AccountId],
	) {
		let quorum_formed = !agreeing.is_empty();
		for assignee in info.assignees.iter() {
			let reveal = reveals.iter().find(|(w, _)| *w == assignee.worker).map(|(_, r)| r);
			let (amount, reason) = match reveal {
				None if Commitments::<T>::contains_key(job, &assignee.worker) => {
					(Self::dissent_slash(info), SlashReason::Withheld)
				},
				None => (T::NoRevealSlash::get(), SlashReason::NoReveal),
				Some(_) if no_votes.contains(&assignee.worker) => continue,
				Some(_) if quorum_formed && !agreeing.contains(&assignee.worker) => {
					(Self::dissent_slash(info), SlashReason::Dissent)
				},
				Some(_) => continue,
			};
			Self::slash(&assignee.worker, job, amount, reason);
		}
	}

	/// Counts each abstention (and each reveal of `no_votes`, which abstentions are among)
	/// against its worker, and each agreement for it (see [`Abstentions`]).
	pub(crate) fn count_abstentions(
		agreeing: &[T::AccountId],
		reveals: &[(T::AccountId, RevealOf<T>)],
		no_votes: &[T::AccountId],
	) {
		for (worker, _) in reveals {
			let abstained = no_votes.contains(worker);
			if !abstained && !agreeing.contains(worker) {
				continue;
			}
			let before = Abstentions::<T>::get(worker).unwrap_or(0);
			let after = if abstained { before.saturating_add(1) } else { before.saturating_sub(1) };
			if after == before {
				continue;
			}
			Abstentions::<T>::set(worker, (after > 0).then_some(after));
			// The draw weight changed with it.
			if let Some(info) = Workers::<T>::get(worker) {
				Self::store_worker(worker, info);
			}
		}
	}

	/// Frees every assignee's slot and drops the job's commitments, openings and reveals.
	pub(crate) fn release_assignees(job: JobId, info: &JobInfoOf<T>) {
		for assignee in info.assignees.iter() {
			Assignments::<T>::remove(&assignee.worker, job);
			if let Some(mut w) = Workers::<T>::get(&assignee.worker) {
				w.assigned = w.assigned.saturating_sub(1);
				Self::store_worker(&assignee.worker, w);
			}
		}
		let limit = T::MaxAssignees::get();
		let _ = Commitments::<T>::clear_prefix(job, limit, None);
		let _ = Openings::<T>::clear_prefix(job, limit, None);
		let _ = Reveals::<T>::clear_prefix(job, limit, None);
	}

	/// Moves `amount` of the job's escrow into the rewards pot, owed to `who`; false if it
	/// could not be moved (then nothing is owed).
	pub(crate) fn escrow_to_pot(
		info: &JobInfoOf<T>,
		who: &T::AccountId,
		amount: BalanceOf<T>,
		source: RewardSource,
	) -> bool {
		let moved = T::Currency::transfer_on_hold(
			&HoldReason::JobEscrow.into(),
			&info.requester,
			&T::Rewards::account(),
			amount,
			Precision::Exact,
			Restriction::Free,
			Fortitude::Force,
		)
		.is_ok();
		if moved {
			T::Rewards::credit(who, amount, source);
		}
		moved
	}

	/// Pays the agreeing workers and the royalty into the rewards pot, the protocol fee to
	/// its pool, refunds the rest, and records the contributions.
	pub(crate) fn pay_out(
		job: JobId,
		info: &mut JobInfoOf<T>,
		agreeing: &[T::AccountId],
		digest: Digest,
	) {
		let fees = info.held.saturating_sub(info.protocol_fee).saturating_sub(info.result_deposit);
		let mut paid: BalanceOf<T> = Zero::zero();
		let mut workers_share = fees;
		if let Some((owner, royalty)) = T::Models::royalty(info.model, info.version, fees) {
			let royalty = royalty.min(fees);
			if !royalty.is_zero()
				&& Self::escrow_to_pot(info, &owner, royalty, RewardSource::Royalty)
			{
				paid = paid.saturating_add(royalty);
				workers_share = workers_share.saturating_sub(royalty);
				Self::deposit_event(Event::RoyaltyPaid { job, owner, amount: royalty });
			}
		}
		paid = paid.saturating_add(Self::pay_workers(job, info, agreeing, workers_share));
		Self::record_contributions(job, info, agreeing, digest);
		// The result deposit is released with the rest, then held again for the blob.
		let refunded = Self::close_escrow(info, paid, info.protocol_fee);
		Self::store_trained_parameters(job, info);
		let agreeing = agreeing.len() as u32;
		info.status = JobStatus::Settled;
		Self::deposit_event(Event::JobSettled { job, digest, agreeing, refunded });
	}

	/// Shares `share` of the escrow equally among `agreeing` into the rewards pot; returns
	/// what was paid.
	pub(crate) fn pay_workers(
		job: JobId,
		info: &JobInfoOf<T>,
		agreeing: &[T::AccountId],
		share: BalanceOf<T>,
	) -> BalanceOf<T> {
		let mut paid: BalanceOf<T> = Zero::zero();
		let each = share / BalanceOf::<T>::from(agreeing.len().max(1) as u32);
		for worker in agreeing {
			if each.is_zero() {
				break;
			}
			if Self::escrow_to_pot(info, worker, each, RewardSource::Fee) {
				paid = paid.saturating_add(each);
				Self::deposit_event(Event::WorkerPaid {
					job,
					worker: worker.clone(),
					amount: each,
				});
			}
		}
		paid
	}

	/// Ends a job a quorum found the executor fails: the requester's model or input caused
	/// the failure, so the agreeing workers are paid for their time as for a result (no
	/// royalty, no contribution points: a failure is no model use and earns no emission).
	pub(crate) fn pay_for_failure(
		job: JobId,
		info: &mut JobInfoOf<T>,
		agreeing: &[T::AccountId],
		code: u16,
		model_fault: bool,
	) {
		let fees = info.held.saturating_sub(info.protocol_fee).saturating_sub(info.result_deposit);
		let paid = Self::pay_workers(job, info, agreeing, fees);
		let refunded = Self::close_escrow(info, paid, info.protocol_fee);
		let reason = FailReason::Executor { code, model_fault };
		info.status = JobStatus::Failed(reason);
		Self::deposit_event(Event::JobFailed { job, reason, refunded });
	}

	/// Stores a settled training or aggregation job's agreed parameters as a blob of its
	/// requester. Outputs revealed by digest only cannot be stored (the chain never saw
	/// them); a store that fails is logged, and the deposit stays with the requester.
	pub(crate) fn store_trained_parameters(job: JobId, info: &mut JobInfoOf<T>) {
		if !info.kind.yields_parameters() {
			return;
		}
		let Some(result) = info.result.as_mut() else { return };
		let Outcome::Outputs(outputs) = &result.outcome else {
			log::info!(target: LOG_TARGET, "job {job}: trained parameters revealed by digest only, not stored");
			return;
		};
		let precision = T::Models::version(info.model, info.version).map_or(0, |v| v.precision);
		let Some(bytes) =
			mosaic_primitives::training::parameters_blob(&to_quantized(outputs), precision)
		else {
			log::warn!(target: LOG_TARGET, "job {job}: the agreed outputs are not float parameters");
			return;
		};
		match <T::Blobs as BlobStore<_, _>>::store(&info.requester, bytes) {
			Ok(blob) => {
				result.parameters = Some(blob);
				Self::deposit_event(Event::TrainedParametersStored { job, blob });
			},
			Err(e) => {
				log::warn!(target: LOG_TARGET, "job {job}: trained parameters not stored: {e:?}")
			},
		}
	}

	/// Records a settled job in the attestation ledger: compute for every agreeing worker,
	/// validation for each of them when several agreed, and the model for its owner. A
	/// record the ledger refuses is logged and skipped: settlement never depends on it.
	pub(crate) fn record_contributions(
		job: JobId,
		info: &JobInfoOf<T>,
		agreeing: &[T::AccountId],
		digest: Digest,
	) {
		let subject = Subject::Job(job);
		let record = |who: &T::AccountId, kind, points, evidence| {
			if points > 0 {
				if let Err(e) = T::Contributions::record(who, kind, subject, points, evidence) {
					log::warn!(target: LOG_TARGET, "job {job}: {kind:?} contribution not recorded: {e:?}");
				}
			}
		};
		for worker in agreeing {
			record(worker, ContributionKind::Compute, T::ComputePoints::get(), digest);
			if agreeing.len() > 1 {
				record(worker, ContributionKind::Validation, T::ValidationPoints::get(), digest);
			}
		}
		if let Some(version) = T::Models::version(info.model, info.version) {
			record(&version.owner, ContributionKind::Model, T::ModelPoints::get(), version.blob);
		}
	}

	/// Ends a job as failed, refunding everything but the protocol fee if `charge` (workers
	/// ran it), everything otherwise.
	pub(crate) fn fail(job: JobId, info: &mut JobInfoOf<T>, reason: FailReason, charge: bool) {
		let fee = if charge { info.protocol_fee } else { Zero::zero() };
		let refunded = Self::close_escrow(info, Zero::zero(), fee);
		info.status = JobStatus::Failed(reason);
		Self::deposit_event(Event::JobFailed { job, reason, refunded });
	}

	/// Moves `fee` from the job's escrow to the rewards pool and releases what is left after
	/// `paid`; returns the amount released.
	pub(crate) fn close_escrow(
		info: &JobInfoOf<T>,
		paid: BalanceOf<T>,
		fee: BalanceOf<T>,
	) -> BalanceOf<T> {
		let reason = HoldReason::JobEscrow.into();
		let remaining = info.held.saturating_sub(paid);
		let kept = T::Currency::transfer_on_hold(
			&reason,
			&info.requester,
			&T::Rewards::account(),
			fee.min(remaining),
			Precision::BestEffort,
			Restriction::Free,
			Fortitude::Force,
		)
		.unwrap_or_else(|_| Zero::zero());
		T::Rewards::fund(kept, RewardSource::ProtocolFee);
		let rest = remaining.saturating_sub(kept);
		T::Currency::release(&reason, &info.requester, rest, Precision::BestEffort)
			.unwrap_or_else(|_| Zero::zero())
	}

	/// Stores a job, or, if it just finished, records its end (see [`Self::finish`]).
	pub(crate) fn store_or_finish(job: JobId, info: JobInfoOf<T>) {
		if info.status.is_finished() {
			Self::finish(job, info);
		} else {
			Jobs::<T>::insert(job, info);
		}
	}

	/// Bookkeeping for a job that just finished: input reference, open count, purge date,
	/// and the observer.
	pub(crate) fn finish(job: JobId, info: JobInfoOf<T>) {
		T::Observer::job_ended(job, Self::job_end(&info));
		Rechecks::<T>::mutate_exists((info.model, info.version), |open| {
			if *open == Some(job) {
				*open = None;
			}
		});
		for hash in info.blob_refs.iter() {
			let _ = T::Blobs::remove_ref(hash);
		}
		OpenJobs::<T>::mutate_exists(info.model, |open| {
			*open = (*open).and_then(|n| n.checked_sub(1)).filter(|n| *n > 0);
		});
		let purge_at =
			frame_system::Pallet::<T>::block_number().saturating_add(T::Retention::get());
		Self::schedule(purge_at, job, DeadlineKind::Purge);
		Jobs::<T>::insert(job, info);
	}

	/// How a finished job ended, as the observer hears it.
	pub(crate) fn job_end(info: &JobInfoOf<T>) -> JobEnd {
		match (&info.status, &info.result) {
			(JobStatus::Settled, Some(result)) => {
				let output = |name: &str| match &result.outcome {
					Outcome::Outputs(outputs) => {
						outputs.iter().find(|o| o.name.as_slice() == name.as_bytes())
					},
					_ => None,
				};
				let verdicts = output(mosaic_primitives::rounds::VERDICTS)
					.map(|o| o.elements.iter().map(|v| *v == 1).collect())
					.unwrap_or_default();
				let rows = output(mosaic_primitives::training::DATASET_ROWS)
					.filter(|o| o.elements.len() == 1)
					.and_then(|o| o.elements.first())
					.and_then(|rows| u64::try_from(*rows).ok());
				JobEnd::Settled { parameters: result.parameters, verdicts, rows }
			},
			_ => JobEnd::Failed,
		}
	}
}
