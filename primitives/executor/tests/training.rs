//! Training with the committed fixtures (scripts/training/gen_training.sh): the loss falls,
//! held-out accuracy beats the initial model's, runs are reproducible in and out of the
//! sandbox, bad specs fail with typed errors, and the federated helpers behave.

use std::path::PathBuf;

use mosaic_executor::{
	content_hash,
	formats::scale,
	sandbox::{Sandbox, SandboxConfig},
	training::{
		aggregate, slice_rows, update_norm, RoundUpdate, TrainSpec, DATASET_ROWS, LOSS_CURVE,
		NEAR_DUPLICATE, REPORT_OUTPUTS, VALIDATION_LOSS, VERDICTS,
	},
	Executor, ExecutorError, Kernels, Limits, Tensor, Values,
};

fn fixture(name: &str) -> Vec<u8> {
	let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("fixtures/training").join(name);
	std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn tensors(name: &str) -> Vec<Tensor> {
	scale::decode(&fixture(name)).expect("fixture decodes")
}

fn executor() -> Executor {
	Executor::new(Limits::default(), 64 << 20)
}

const SPEC: TrainSpec = TrainSpec { epochs: 5, batch_size: 32 };

/// Share of held-out samples the forward model classifies right with `params`.
fn accuracy(model: &str, params: &[Tensor]) -> f64 {
	let test = tensors("test.scale");
	let (x, y) = (&test[0], &test[1]);
	let mut inputs = parameters_of(params.to_vec());
	inputs.push(x.clone());
	let out = executor().run_raw(&fixture(&format!("{model}_forward.onnx")), &inputs).unwrap();
	let (Values::F32(prob), Values::F32(labels)) = (&out[0].values, &y.values) else {
		panic!("float outputs and labels")
	};
	let right = prob.iter().zip(labels).filter(|(p, l)| (**p > 0.5) == (**l > 0.5)).count();
	right as f64 / labels.len() as f64
}

fn loss_curve(outputs: &[Tensor]) -> Vec<f32> {
	let curve = &outputs[outputs.len() - 2];
	assert_eq!(curve.name, LOSS_CURVE);
	match &curve.values {
		Values::F32(v) => v.clone(),
		other => panic!("loss curve is {other:?}"),
	}
}

#[test]
fn training_learns_both_models() {
	for model in ["logreg", "mlp"] {
		let init = tensors(&format!("{model}_init.scale"));
		let trained = executor()
			.train(&fixture(&format!("{model}_step.onnx")), &init, &tensors("train.scale"), SPEC)
			.unwrap();
		let curve = loss_curve(&trained);
		assert_eq!(curve.len(), SPEC.epochs as usize);
		assert!(
			curve.windows(2).all(|w| w[1] < w[0]),
			"{model}: loss falls every epoch: {curve:?}"
		);
		let (before, after) = (accuracy(model, &init), accuracy(model, &trained));
		assert!(
			after > before + 0.2 && after > 0.9,
			"{model}: held-out accuracy {before} -> {after}"
		);
		let names: Vec<_> = trained.iter().map(|t| t.name.as_str()).collect();
		let init_names: Vec<_> = init.iter().map(|t| t.name.as_str()).collect();
		assert_eq!(&names[..init.len()], &init_names[..], "parameters keep their names and order");
		// Then the reports: the loss curve, and the rows the run measured.
		assert_eq!(&names[init.len()..], &[LOSS_CURVE, DATASET_ROWS]);
		let rows = trained.last().unwrap();
		assert_eq!(rows.values, Values::I64(vec![tensors("train.scale")[0].shape[0] as i64]));
	}
}

#[test]
fn the_sandbox_trains_exactly_as_in_process() {
	let sandbox = Sandbox::new(SandboxConfig {
		program: env!("CARGO_BIN_EXE_mosaic-executor-sandbox").into(),
		args: vec![],
		memory_limit_bytes: 2 << 30,
		limits: Limits::default(),
		kernels: Kernels::Native,
		threads: 1,
	});
	let (step, init, data) =
		(fixture("mlp_step.onnx"), tensors("mlp_init.scale"), tensors("shard_0.scale"));
	let spec = TrainSpec { epochs: 3, batch_size: 16 };
	let in_process =
		mosaic_executor::digest_outputs(executor().train(&step, &init, &data, spec).unwrap(), 5)
			.unwrap();
	let first = sandbox.train(&step, &init, &data, spec, 5).unwrap();
	let second = sandbox.train(&step, &init, &data, spec, 5).unwrap();
	assert_eq!(first.digest, in_process.digest);
	assert_eq!(second.digest, first.digest, "a cached plan gives the same result");
	let other = sandbox.train(&step, &init, &data, TrainSpec { epochs: 4, ..spec }, 5).unwrap();
	assert_ne!(other.digest, first.digest, "the digest covers the training length");
	let err = sandbox
		.train(&step, &init, &data, TrainSpec { epochs: 0, ..spec }, 5)
		.unwrap_err();
	assert!(matches!(err, ExecutorError::InputMismatch(_)), "{err}");
}

#[test]
fn bad_training_requests_fail_with_typed_errors() {
	let ex = executor();
	let (step, init, data) =
		(fixture("logreg_step.onnx"), tensors("logreg_init.scale"), tensors("shard_1.scale"));
	let mismatch = |r: Result<Vec<Tensor>, ExecutorError>| match r {
		Err(ExecutorError::InputMismatch(why)) => why,
		other => panic!("expected an input mismatch, got {other:?}"),
	};
	mismatch(ex.train(&step, &init, &data, TrainSpec { epochs: 1, batch_size: 0 }));
	mismatch(ex.train(&step, &init[..1], &data, SPEC));
	mismatch(ex.train(&step, &init, &data[..1], SPEC));
	// Labels with fewer rows than features.
	let short = vec![data[0].clone(), slice_rows(&data[1], 0, 10).unwrap()];
	assert!(mismatch(ex.train(&step, &init, &short, SPEC)).contains("rows"));
	// Parameters of the wrong shape.
	let wrong =
		vec![Tensor::new("w", vec![3], Values::F32(vec![0.0; 3])).unwrap(), init[1].clone()];
	assert!(ex.train(&step, &wrong, &data, SPEC).is_err());
	// Too many steps for the limits.
	let tight = Executor::new(Limits { max_train_steps: 10, ..Limits::default() }, 1 << 20);
	assert!(mismatch(tight.train(&step, &init, &data, SPEC)).contains("limit"));
	// An inference graph is not a training-step graph.
	mismatch(ex.train(&fixture("logreg_forward.onnx"), &init, &data, SPEC));
	// Parameters that blow up: non-finite, an error rather than a digest.
	let huge =
		vec![Tensor::new("w", vec![30], Values::F32(vec![f32::MAX; 30])).unwrap(), init[1].clone()];
	let err = ex.train(&step, &huge, &data, SPEC).unwrap_err();
	assert!(matches!(err, ExecutorError::NonFiniteOutput { .. }), "{err}");
}

#[test]
fn validation_loss_tells_a_real_update_from_a_poisoned_one() {
	let ex = executor();
	let step = fixture("logreg_step.onnx");
	let base = tensors("logreg_init.scale");
	let validation = tensors("validation.scale");
	let update = parameters_of(ex.train(&step, &base, &tensors("shard_2.scale"), SPEC).unwrap());
	let before = ex.evaluate_loss(&step, &base, &validation).unwrap();
	let after = ex.evaluate_loss(&step, &update, &validation).unwrap();
	assert!(after < before, "honest update: {before} -> {after}");

	// Sign-flipped: base - (update - base).
	let flipped = flip(&base, &update, 1.0);
	let poisoned = ex.evaluate_loss(&step, &flipped, &validation).unwrap();
	assert!(poisoned > before, "flipped update: {before} -> {poisoned}");
	let norm = update_norm(&base, &update).unwrap();
	assert!((update_norm(&base, &flipped).unwrap() - norm).abs() < 1e-4, "same norm, other sign");
}

#[test]
fn aggregation_is_weighted_clipped_and_trimmed() {
	let t = |v: f32| vec![Tensor::new("w", vec![2], Values::F32(vec![v, -v])).unwrap()];
	let base = t(0.0);
	// Weighted mean of deltas 1 (weight 1) and 4 (weight 2) is 3.
	let out = aggregate(&base, &[(t(1.0), 1), (t(4.0), 2)], 100.0, 0).unwrap();
	assert_eq!(out[0].values, Values::F32(vec![3.0, -3.0]));
	// Clipping scales a long update down to the bound (norm of [v, -v] is v·√2).
	let out = aggregate(&base, &[(t(10.0), 1)], 2f64.sqrt(), 0).unwrap();
	assert_eq!(out[0].values, Values::F32(vec![1.0, -1.0]));
	// Trimming drops an outlier entirely.
	let out = aggregate(&base, &[(t(1.0), 1), (t(1.0), 1), (t(1000.0), 1)], 1e9, 1).unwrap();
	assert_eq!(out[0].values, Values::F32(vec![1.0, -1.0]));
	assert!(
		aggregate(&base, &[(t(1.0), 1), (t(2.0), 1)], 1.0, 1).is_err(),
		"nothing left after trimming"
	);
	let renamed = vec![Tensor::new("v", vec![2], Values::F32(vec![0.0, 0.0])).unwrap()];
	assert!(aggregate(&base, &[(renamed, 1)], 1.0, 0).is_err(), "parameters must match");
}

/// `base - factor * (update - base)`: a poisoned update.
/// A training run's parameters: its outputs but the reports.
fn parameters_of(outputs: Vec<Tensor>) -> Vec<Tensor> {
	outputs
		.into_iter()
		.filter(|t| !REPORT_OUTPUTS.contains(&t.name.as_str()))
		.collect()
}

fn flip(base: &[Tensor], update: &[Tensor], factor: f32) -> Vec<Tensor> {
	base.iter()
		.zip(update)
		.map(|(b, u)| {
			let (Values::F32(bv), Values::F32(uv)) = (&b.values, &u.values) else { unreachable!() };
			let v = bv.iter().zip(uv).map(|(b, u)| b - factor * (u - b)).collect();
			Tensor::new(b.name.clone(), b.shape.clone(), Values::F32(v)).unwrap()
		})
		.collect()
}

/// A second account's copy of an accepted update, moved a little so its bytes differ, is
/// rejected as a near-duplicate; honest updates from different shards are far apart.
#[test]
fn a_near_duplicate_of_an_accepted_update_is_rejected() {
	let ex = executor();
	let step = fixture("logreg_step.onnx");
	let base = tensors("logreg_init.scale");
	let validation = tensors("validation.scale");
	let trained =
		|shard: &str| parameters_of(ex.train(&step, &base, &tensors(shard), SPEC).unwrap());
	let (a, b) = (trained("shard_0.scale"), trained("shard_1.scale"));
	// `a` moved a further 0.2 % of its step: other bytes, the same update.
	let near = flip(&base, &a, -1.002);
	let update = |parameters: Vec<Tensor>| RoundUpdate { parameters, weight: 100, checked: true };
	let updates = [update(a.clone()), update(near), update(b.clone())];
	let out = ex.aggregate_round(&step, &base, &validation, &updates, 1e6, 0).unwrap();
	let verdicts = out.iter().find(|t| t.name == VERDICTS).unwrap().values.clone();
	assert_eq!(verdicts, Values::I64(vec![1, 0, 1]));

	let apart = update_norm(&a, &b).unwrap()
		/ update_norm(&base, &a).unwrap().max(update_norm(&base, &b).unwrap());
	println!("MEASURE honest updates of two shards differ by {apart:.3} of their steps");
	assert!(apart > 10.0 * NEAR_DUPLICATE, "honest updates are no near-duplicates: {apart}");
}

#[test]
fn a_round_accepts_honest_updates_rejects_a_poisoned_one_and_learns() {
	let ex = executor();
	let step = fixture("logreg_step.onnx");
	let base = tensors("logreg_init.scale");
	let validation = tensors("validation.scale");
	let trained =
		|shard: &str| parameters_of(ex.train(&step, &base, &tensors(shard), SPEC).unwrap());
	let (a, b, c) = (trained("shard_0.scale"), trained("shard_1.scale"), trained("shard_2.scale"));
	let poisoned = flip(&base, &c, 3.0);
	let update =
		|parameters: Vec<Tensor>, checked| RoundUpdate { parameters, weight: 100, checked };
	let updates = [
		update(a.clone(), false),
		update(b.clone(), false),
		update(c.clone(), true),
		update(poisoned, true),
		update(vec![], true),
	];
	let out = ex.aggregate_round(&step, &base, &validation, &updates, 1e6, 1).unwrap();
	let named = |name: &str| out.iter().find(|t| t.name == name).unwrap().values.clone();
	assert_eq!(named(VERDICTS), Values::I64(vec![1, 1, 1, 0, 0]));
	let Values::F32(losses) = named(VALIDATION_LOSS) else { panic!("float losses") };
	assert_eq!(losses.len(), 6);
	assert!(
		losses[1] < losses[0] && losses[4] > losses[0],
		"honest lowers, poisoned raises: {losses:?}"
	);
	assert_eq!(losses[5], -1.0, "an empty update cannot be evaluated");
	let params: Vec<Tensor> =
		out.iter().filter(|t| t.name == "w" || t.name == "b").cloned().collect();
	assert_eq!(params.len(), 2);
	assert!(accuracy("logreg", &params) > accuracy("logreg", &base) + 0.2);
	let combined = ex.evaluate_loss(&step, &params, &validation).unwrap();
	assert!((combined as f32) < losses[0], "the combined model is better than the base");

	// A tight clip rejects every checked update; unchecked ones are still clipped in.
	let out = ex.aggregate_round(&step, &base, &validation, &updates, 1e-3, 0).unwrap();
	assert_eq!(
		out.iter().find(|t| t.name == VERDICTS).unwrap().values,
		Values::I64(vec![1, 1, 0, 0, 0])
	);
	let moved = update_norm(&base, &out[..2]).unwrap();
	assert!(moved <= 1e-3 + 1e-6, "clipped: {moved}");

	// Nothing acceptable: an error the quorum can agree on.
	let only_bad = [update(flip(&base, &c, 3.0), true)];
	assert!(matches!(
		ex.aggregate_round(&step, &base, &validation, &only_bad, 1e6, 0),
		Err(ExecutorError::InputMismatch(_))
	));

	// The sandbox combines exactly as in process.
	let sandbox = Sandbox::new(SandboxConfig {
		program: env!("CARGO_BIN_EXE_mosaic-executor-sandbox").into(),
		args: vec![],
		memory_limit_bytes: 2 << 30,
		limits: Limits::default(),
		kernels: Kernels::Native,
		threads: 1,
	});
	let in_process = ex.aggregate_round(&step, &base, &validation, &updates, 1e6, 1).unwrap();
	let in_process = mosaic_executor::digest_outputs(in_process, 5).unwrap();
	// ... from the blobs as a round stores them: the child decodes them all.
	use codec::Encode;
	use mosaic_executor::{formats::scale, sandbox::JobTask};
	use mosaic_primitives::{
		onnx::InputFormat,
		rounds::{AggregationManifest, ManifestEntry},
	};
	let blobs: Vec<Vec<u8>> = updates.iter().map(|u| scale::encode(&u.parameters)).collect();
	let manifest = AggregationManifest {
		updates: updates
			.iter()
			.zip(&blobs)
			.map(|(u, blob)| ManifestEntry {
				parameters: mosaic_executor::content_hash(blob),
				weight: u.weight,
				checked: u.checked,
			})
			.collect(),
		clip_milli: 1_000_000_000,
		trim: 1,
	}
	.encode();
	let hashes: Vec<[u8; 32]> = blobs.iter().map(|b| mosaic_executor::content_hash(b)).collect();
	assert_eq!(sandbox.manifest_updates(&manifest).unwrap(), hashes);
	let task = JobTask::Aggregate {
		base: &scale::encode(&base),
		manifest: &manifest,
		updates: &blobs.iter().map(Vec::as_slice).collect::<Vec<_>>(),
	};
	let sandboxed = sandbox
		.job(&step, &content_hash(&step), InputFormat::Scale, &scale::encode(&validation), task, 5)
		.unwrap();
	assert_eq!(sandboxed.digest, in_process.digest);
}
