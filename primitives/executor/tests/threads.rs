//! Two threads give the same bits as one: tract splits matrix products by whole output tiles
//! (each sum over the full inner dimension on one thread) and element-wise work by rows, so
//! a worker's thread count can never split a quorum. Checked on every fixture: the models,
//! the ONNX backend cases, and training runs.

mod common;

use std::path::PathBuf;

use common::*;
use mosaic_executor::{formats::scale, training::TrainSpec, Executor, Kernels, Limits, Tensor};

fn bits(outputs: &[Tensor]) -> Vec<(String, Vec<u64>)> {
	outputs
		.iter()
		.map(|t| (t.name.clone(), as_f64(&t.values).into_iter().map(f64::to_bits).collect()))
		.collect()
}

fn executors(limits: Limits) -> (Executor, Executor) {
	let one = Executor::new(limits.clone(), 256 << 20);
	let two = Executor::new(limits, 256 << 20).with_threads(2);
	assert_eq!((one.threads(), two.threads()), (1, 2));
	(one, two)
}

#[test]
fn models_give_the_same_bits_on_one_and_two_threads() {
	let (one, two) = executors(Limits::default());
	let root = fixtures();
	for name in ["mlp", "cnn", "attention", "big_cnn"] {
		let dir = root.join("models").join(name);
		let model = read(dir.join("model.onnx"));
		let inputs = pb_tensors(&dir, "input");
		let a = one.run_raw(&model, &inputs).expect("runs on one thread");
		let b = two.run_raw(&model, &inputs).expect("runs on two threads");
		assert_eq!(bits(&a), bits(&b), "{name}: outputs differ between one and two threads");
	}
}

#[test]
fn backend_cases_give_the_same_bits_on_one_and_two_threads() {
	let (one, two) = executors(Limits { max_opset: 25, ..Limits::default() });
	let root = fixtures();
	let index = json(root.join("backend/INDEX.json"));
	let mut compared = 0;
	for case in index["cases"].as_array().expect("cases") {
		let name = case["name"].as_str().unwrap();
		let dir = root.join("backend").join(name);
		let model = read(dir.join("model.onnx"));
		let mut inputs = pb_tensors(&dir.join("test_data_set_0"), "input");
		for (tensor, spec) in inputs.iter_mut().zip(case["inputs"].as_array().unwrap()) {
			tensor.name = spec["name"].as_str().unwrap().to_string();
		}
		match (one.run_raw(&model, &inputs), two.run_raw(&model, &inputs)) {
			(Ok(a), Ok(b)) => {
				assert_eq!(bits(&a), bits(&b), "{name}: outputs differ");
				compared += 1;
			},
			(Err(a), Err(b)) => assert_eq!(a.to_string(), b.to_string(), "{name}: errors differ"),
			(a, b) => panic!("{name}: one thread {a:?}, two threads {b:?}"),
		}
	}
	assert!(compared >= 40, "only {compared} cases compared");
}

#[test]
fn training_gives_the_same_bits_on_one_and_two_threads() {
	let (one, two) = executors(Limits::default());
	let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("fixtures/training");
	let tensors = |name: &str| scale::decode(&read(dir.join(name))).expect("fixture decodes");
	for model in ["logreg", "mlp"] {
		let step = read(dir.join(format!("{model}_step.onnx")));
		let init = tensors(&format!("{model}_init.scale"));
		let data = tensors("train.scale");
		let spec = TrainSpec { epochs: 2, batch_size: 32 };
		let a = one.train(&step, &init, &data, spec).expect("trains on one thread");
		let b = two.train(&step, &init, &data, spec).expect("trains on two threads");
		assert_eq!(bits(&a), bits(&b), "{model}: trained parameters differ");
	}
}

/// The sandbox child runs two threads under its confinement (seccomp lets threads through)
/// and answers with the bits of one.
#[test]
fn a_two_thread_sandbox_child_gives_the_same_bits() {
	let child = |threads| sandbox(Limits::default(), Kernels::Native, threads);
	let dir = fixtures().join("models/big_cnn");
	let (model, inputs) = (read(dir.join("model.onnx")), pb_tensors(&dir, "input"));
	let a = child(1).run(&model, &inputs, 4).expect("one thread");
	let b = child(2).run(&model, &inputs, 4).expect("two threads");
	assert_eq!(bits(&a.outputs), bits(&b.outputs));
}
