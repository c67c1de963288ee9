//! What agrees with what, which reveal leads a quorum, and which reveals must carry their
//! outputs.

use super::*;

type MockDim = Dim<BoundedVec<u8, NameLen>>;

/// Declares version 1 of model 0's outputs: float tensors of the given shapes.
fn declare_outputs(outputs: Vec<(&str, Vec<MockDim>)>) {
	let tensors: MockTensors = outputs
		.into_iter()
		.map(|(name, shape)| schema(name, ElementType::F32, shape))
		.collect::<Vec<_>>()
		.try_into()
		.unwrap();
	Versions::mutate(|v| v.get_mut(&(0, 1)).unwrap().outputs = tensors);
}

fn symbolic() -> MockDim {
	Dim::Symbolic(b"n".to_vec().try_into().unwrap())
}

/// The tie-break draw of a reveal with `digest` when the parent block's hash is `parent`.
fn draw(outcome: &OutcomeOf<Test>, parent: sp_core::H256) -> [u8; 32] {
	let digest = MosaicJobs::outcome_digest(outcome, 3).unwrap();
	(digest, parent).using_encoded(sp_io::hashing::blake2_256)
}

/// A parent hash under which `a` draws lower than `b`.
fn parent_favouring(a: &OutcomeOf<Test>, b: &OutcomeOf<Test>) -> sp_core::H256 {
	(0u8..=255)
		.map(sp_core::H256::repeat_byte)
		.find(|p| draw(a, *p) < draw(b, *p))
		.expect("some parent hash favours each")
}

/// Submits a job of `k` workers, assigns it, and has each of `plan`'s workers commit, open
/// and reveal its outcome, the last reveal with `parent` as the parent block's hash. Returns the
/// job.
fn decide(k: u8, plan: &[(u64, OutcomeOf<Test>)], parent: sp_core::H256) -> JobId {
	let job = submit(k);
	run_to(System::block_number() + 1);
	for (w, outcome) in plan {
		assert_ok!(commit_as(*w, job, outcome));
	}
	System::set_parent_hash(parent);
	open_and_reveal(job, plan.iter().map(|(w, outcome)| (*w, outcome)));
	job
}

fn result_of(job: JobId) -> JobResult<OutputsOf<Test>> {
	MosaicJobs::job_view(job).unwrap().job.result.unwrap()
}

#[test]
fn with_equal_agreement_outputs_lead_over_a_digest() {
	build_and_execute(|| {
		unbounded_outputs();
		register_all(10..=12);
		let full = outputs(&[1, 2]);
		let digest = digest_of(&full);
		for parent in [1u8, 2, 3] {
			let parent = sp_core::H256::repeat_byte(parent);
			// One reveal of outputs and two of their digest: all three agree, and the digests
			// outnumber the outputs, but the outputs lead, so the result records them. (All
			// three share a digest, so nothing else tells them apart.)
			for with_outputs in 10..=12 {
				let plan: Vec<_> = (10..=12)
					.map(|w| (w, if w == with_outputs { full.clone() } else { digest.clone() }))
					.collect();
				let job = decide(3, &plan, parent);
				assert_eq!(status(job), JobStatus::Settled);
				let result = result_of(job);
				assert_eq!((result.agreeing, result.outcome), (3, full.clone()));
			}
		}
		assert!(!anyone_slashed());
	});
}

#[test]
fn among_equals_more_identical_digests_lead() {
	build_and_execute(|| {
		add_version(0, 1, OWNER, Some(1));
		register_all(10..=12);
		let (common, odd) = (outputs(&[1000]), outputs(&[1001]));
		// Even under a parent hash whose draw favours the odd one out, the outputs two
		// workers revealed identically lead; all three agree within the tolerance.
		let parent = parent_favouring(&odd, &common);
		for odd_one in 10..=12 {
			let plan: Vec<_> = (10..=12)
				.map(|w| (w, if w == odd_one { odd.clone() } else { common.clone() }))
				.collect();
			let job = decide(3, &plan, parent);
			let result = result_of(job);
			assert_eq!((result.agreeing, result.outcome), (3, common.clone()));
			assert_eq!(result.digest, MosaicJobs::outcome_digest(&common, 3).unwrap());
		}
		assert!(!anyone_slashed());
	});
}

#[test]
fn the_parent_hash_draw_breaks_what_is_left() {
	build_and_execute(|| {
		add_version(0, 1, OWNER, Some(1));
		register_all(10..=11);
		let (a, b) = (outputs(&[1000]), outputs(&[1001]));
		// Two reveals agreeing within the tolerance, each identical to itself only: the one
		// whose digest hashes lowest with the parent hash leads, whoever revealed it.
		for (leader, other) in [(&a, &b), (&b, &a)] {
			let parent = parent_favouring(leader, other);
			for plan in [[(10, a.clone()), (11, b.clone())], [(10, b.clone()), (11, a.clone())]] {
				let job = decide(2, &plan, parent);
				let result = result_of(job);
				assert_eq!((result.agreeing, &result.outcome), (2, leader));
			}
		}
		// Both always agreed: both paid for each of the four jobs, nobody slashed.
		assert_eq!((owed(10), owed(11)), (4 * 90, 4 * 90));
		assert!(!anyone_slashed());
	});
}

#[test]
fn tolerance_applies_to_floats_only() {
	build_and_execute(|| {
		add_version(0, 1, OWNER, Some(1));
		register_all(10..=12);
		let parent = sp_core::H256::repeat_byte(7);
		// Floats one step apart agree.
		let plan: Vec<_> = [(10, 5), (11, 5), (12, 6)]
			.into_iter()
			.map(|(w, v)| (w, typed_outputs(ElementType::F32, &[v])))
			.collect();
		let job = decide(3, &plan, parent);
		assert_eq!(result_of(job).agreeing, 3);
		assert!(!anyone_slashed());
		// Integers one apart (another class, another token) do not: the odd one out is a
		// dissenter (a different worker each time, so that none falls below the minimum
		// stake).
		for (ty, odd) in [(ElementType::I64, 12), (ElementType::I32, 11), (ElementType::Bool, 10)] {
			let (common, other) = if ty == ElementType::Bool { (0, 1) } else { (5, 6) };
			let plan: Vec<_> = (10..=12)
				.map(|w| (w, typed_outputs(ty, &[if w == odd { other } else { common }])))
				.collect();
			let job = decide(3, &plan, parent);
			let result = result_of(job);
			assert_eq!((result.agreeing, result.outcome), (2, typed_outputs(ty, &[common])));
			assert!(events().contains(&Event::WorkerSlashed {
				worker: odd,
				job,
				amount: DISSENT,
				reason: SlashReason::Dissent
			}));
		}
		// Equal integers agree.
		let same = typed_outputs(ElementType::I64, &[5, 9]);
		let plan: Vec<_> = (10..=12).map(|w| (w, same.clone())).collect();
		let job = decide(3, &plan, parent);
		assert_eq!(result_of(job).agreeing, 3);
	});
}

#[test]
fn an_error_never_agrees_with_outputs_or_a_digest() {
	build_and_execute(|| {
		// Any tolerance at all: it never bridges an error and outputs.
		add_version(0, 1, OWNER, Some(u64::MAX));
		unbounded_outputs();
		register_all(10..=11);
		let parent = sp_core::H256::repeat_byte(3);
		let error = Outcome::Error { code: 4, model_fault: false };
		let error_as_digest = Outcome::Digest(error_digest(4, false));
		assert_eq!(
			MosaicJobs::outcome_digest(&error, 3).unwrap(),
			MosaicJobs::outcome_digest(&error_as_digest, 3).unwrap()
		);
		for other in [error_as_digest, outputs(&[0]), digest_of(&outputs(&[0]))] {
			let job = decide(2, &[(10, error.clone()), (11, other)], parent);
			// One against one, nobody to escalate to.
			assert_eq!(status(job), JobStatus::Failed(FailReason::NoQuorum));
			assert!(MosaicJobs::job_view(job).unwrap().job.result.is_none());
		}
		assert!(!anyone_slashed());
		assert_eq!((owed(10), owed(11)), (0, 0));
		// The same error agrees with itself.
		let job = decide(2, &[(10, error.clone()), (11, error.clone())], parent);
		let reason = FailReason::Executor { code: 4, model_fault: false };
		assert_eq!(status(job), JobStatus::Failed(reason));
		assert_eq!(result_of(job).agreeing, 2);
		assert_eq!((owed(10), owed(11)), (FEE, FEE));
		// A fault of the input is no fault of the model.
		assert!(Invalidated::get().is_empty());
	});
}

#[test]
fn outputs_fit_a_reveal_when_all_fixed_and_small_enough() {
	new_test_ext().execute_with(|| {
		let fits = |kind: JobKind, outputs: Vec<(&str, Vec<MockDim>)>| {
			declare_outputs(outputs);
			let view = Versions::get()[&(0, 1)].clone();
			MosaicJobs::outputs_fit_a_reveal(&kind, &view.outputs, &[])
		};
		let f = Dim::Fixed;
		let inference = JobKind::Inference;
		assert!(fits(inference, vec![("y", vec![f(2)])]));
		assert!(fits(inference, vec![("y", vec![f(4), f(4)])]));
		assert!(fits(inference, vec![("y", vec![f(8)]), ("z", vec![f(8)])]));
		// A scalar is one value.
		assert!(fits(inference, vec![("y", vec![])]));
		// More than `MaxOutputValues` in all.
		assert!(!fits(inference, vec![("y", vec![f(MAX_OUTPUT_VALUES as u64 + 1)])]));
		assert!(!fits(inference, vec![("y", vec![f(8)]), ("z", vec![f(9)])]));
		assert!(!fits(inference, vec![("y", vec![f(u64::MAX), f(u64::MAX)])]));
		// A symbolic dimension may be anything, unless the inline input sizes it.
		assert!(!fits(inference, vec![("y", vec![f(2), symbolic()])]));
		let sized = |n: u64| {
			declare_outputs(vec![("y", vec![f(2), symbolic()])]);
			let view = Versions::get()[&(0, 1)].clone();
			MosaicJobs::outputs_fit_a_reveal(&inference, &view.outputs, &[(b"n".to_vec(), n)])
		};
		assert!(sized(8));
		assert!(!sized(MAX_OUTPUT_VALUES as u64));
		assert!(!fits(inference, vec![("y", vec![f(2)]), ("z", vec![symbolic()])]));
		// A training job's parameters are not the declared outputs.
		assert!(!fits(training(1, 1), vec![("y", vec![f(2)])]));
	});
}

#[test]
fn a_digest_only_reveal_is_refused_when_the_outputs_fit_a_reveal() {
	build_and_execute(|| {
		declare_outputs(vec![("y", vec![Dim::Fixed(2)])]);
		register(10);
		let job = submit(1);
		run_to(2);
		let full = outputs(&[1, 2]);
		let digest = digest_of(&full);
		// Committing to the digest is committing to the outputs: the same commitment.
		assert_ok!(commit_as(10, job, &digest));
		assert_noop!(reveal_as(10, job, &digest), Error::<Test>::OutputsFitAReveal);
		// The outputs must be revealed, and they match the commitment.
		assert_ok!(reveal_as(10, job, &full));
		assert_eq!(status(job), JobStatus::Settled);
		assert_eq!(result_of(job).outcome, full);
		// An error needs no outputs.
		let job = submit(1);
		run_to(3);
		let error = Outcome::Error { code: 4, model_fault: false };
		assert_ok!(commit_as(10, job, &error));
		assert_ok!(reveal_as(10, job, &error));
		// Outputs too large to reveal may come as a digest.
		declare_outputs(vec![("y", vec![Dim::Fixed(MAX_OUTPUT_VALUES as u64 + 1)])]);
		let job = submit(1);
		run_to(4);
		let digest = Outcome::Digest([9; 32]);
		assert_ok!(commit_as(10, job, &digest));
		assert_ok!(reveal_as(10, job, &digest));
		assert_eq!(status(job), JobStatus::Settled);
	});
}
