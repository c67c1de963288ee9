//! Real models (MLP, CNN, attention, and a 117 MB MLP) against onnxruntime's outputs,
//! through every input format, in process and in the sandbox.

mod common;

use common::*;
use mosaic_executor::{formats, Executor, Kernels, Limits};
use mosaic_primitives::onnx::InputFormat;

const PRECISION: u8 = 4;

#[test]
fn small_models_match_onnxruntime_in_every_input_format() {
	let root = fixtures();
	let index = json(root.join("models/INDEX.json"));
	let executor = Executor::new(Limits::default(), 64 << 20);
	let sandbox = sandbox(Limits::default(), Kernels::Native, 1);
	let mut checked = 0;
	for (name, model) in index["models"].as_object().expect("models") {
		let bytes = read(root.join(model["path"].as_str().unwrap()));
		let rtol = model["tolerance"]["rtol"].as_f64().unwrap();
		let atol = model["tolerance"]["atol"].as_f64().unwrap();
		let summary = executor.check(&bytes).expect("model is acceptable");
		assert_eq!(summary.inputs.len(), model["inputs"].as_array().unwrap().len());

		for data_set in model["data_sets"].as_array().unwrap() {
			let dir = root.join(data_set["dir"].as_str().unwrap());
			let input_name = summary.inputs[0].name.clone();
			let expected = pb_tensors(&dir, "output");

			let from_pb = pb_tensors(&dir, "input");
			let from_npy =
				vec![formats::npy::decode(&input_name, &read(dir.join("input_0.npy"))).unwrap()];
			let from_json = formats::json::decode_inputs(&read(dir.join("input.json"))).unwrap();
			assert_eq!(from_pb, from_npy, "{name}: .pb and .npy inputs agree");
			assert_eq!(from_pb, from_json, "{name}: .pb and JSON inputs agree");

			let run = executor.run(&bytes, &from_pb, PRECISION).expect("runs");
			assert_eq!(run.outputs.len(), expected.len());
			for (actual, expected) in run.outputs.iter().zip(&expected) {
				assert_close(&format!("{name} {}", dir.display()), actual, expected, rtol, atol);
			}
			let in_sandbox =
				sandbox.run(&bytes, &from_json, PRECISION).expect("runs in the sandbox");
			assert_eq!(in_sandbox.digest, run.digest, "{name}: sandbox and in-process agree");
			assert_eq!(in_sandbox.outputs, run.outputs);
			checked += 1;
		}
	}
	assert!(checked >= 5, "only {checked} data sets checked");
}

/// A model of real size (117 MB, `large/big_mlp`) under the default limits, through the
/// sandbox as a worker runs it: onnxruntime's outputs, the same digest on a second (warm) run.
#[test]
fn a_117_mb_model_runs_in_the_sandbox_with_onnxruntimes_output() {
	let dir = fixtures().join("large/big_mlp");
	let bytes = read(dir.join("model.onnx"));
	assert!(bytes.len() > 100_000_000, "{} bytes", bytes.len());
	let sandbox = sandbox(Limits::default(), Kernels::Native, 1);
	let inputs = pb_tensors(&dir, "input");
	let started = std::time::Instant::now();
	let cold = sandbox.run(&bytes, &inputs, PRECISION).expect("runs in the sandbox");
	let first = started.elapsed();
	let started = std::time::Instant::now();
	let warm = sandbox.run(&bytes, &inputs, PRECISION).expect("runs again");
	println!(
		"big_mlp ({} bytes): first run {:.0} ms (load, plan, run), warm {:.1} ms",
		bytes.len(),
		first.as_secs_f64() * 1e3,
		started.elapsed().as_secs_f64() * 1e3
	);
	assert_eq!(warm.digest, cold.digest);

	// As a node runs it: by hash, the bytes read only when the child lacks the model.
	let sandbox = common::sandbox(Limits::default(), Kernels::Native, 1);
	let (hash, input) = (mosaic_executor::content_hash(&bytes), read(dir.join("input_0.npy")));
	let reads = std::cell::Cell::new(0);
	let model = || {
		reads.set(reads.get() + 1);
		Ok(bytes.clone())
	};
	let infer = |model| sandbox.infer_cached(model, &hash, InputFormat::Npy, &input, PRECISION);
	let first = infer(&model).expect("runs by hash");
	assert_eq!(reads.get(), 1, "a new child asks for the model");
	let started = std::time::Instant::now();
	let again = infer(&model).expect("runs again");
	println!("big_mlp by hash, warm: {:.1} ms", started.elapsed().as_secs_f64() * 1e3);
	assert_eq!(reads.get(), 1, "a warm child needs only the hash");
	assert_eq!((first.digest, again.digest), (cold.digest, cold.digest));

	let expected = pb_tensors(&dir, "output");
	assert_eq!(cold.outputs.len(), expected.len());
	for (actual, expected) in cold.outputs.iter().zip(&expected) {
		assert_close("big_mlp", actual, expected, 1e-4, 1e-4);
	}
}

#[test]
fn symbolic_batch_dimension_takes_any_size_but_must_be_consistent() {
	let root = fixtures();
	let bytes = read(root.join("models/mlp/model.onnx"));
	let executor = Executor::new(Limits::default(), 64 << 20);
	let one = pb_tensors(&root.join("models/mlp"), "input");
	let four = pb_tensors(&root.join("models/mlp/batch4"), "input");
	let a = executor.run(&bytes, &one, PRECISION).unwrap();
	let b = executor.run(&bytes, &four, PRECISION).unwrap();
	assert_eq!(a.outputs[0].shape, vec![1, 8]);
	assert_eq!(b.outputs[0].shape, vec![4, 8]);
	assert_ne!(a.digest, b.digest);
}

#[test]
fn outputs_digest_the_same_on_every_run_and_differ_by_precision() {
	let root = fixtures();
	let bytes = read(root.join("models/cnn/model.onnx"));
	let inputs = pb_tensors(&root.join("models/cnn"), "input");
	let executor = Executor::new(Limits::default(), 64 << 20);
	let first = executor.run(&bytes, &inputs, 4).unwrap();
	let again = Executor::new(Limits::default(), 64 << 20).run(&bytes, &inputs, 4).unwrap();
	assert_eq!(first.digest, again.digest, "a fresh executor (cold cache) agrees");
	let coarser = executor.run(&bytes, &inputs, 2).unwrap();
	assert_ne!(first.digest, coarser.digest);
	// The digest recomputes from the quantised values alone, as the runtime does on reveal.
	assert_eq!(
		mosaic_primitives::digest::canonical_digest(&first.quantized, 4).unwrap(),
		first.digest
	);
}

#[test]
fn wrong_inputs_are_rejected_with_a_reason() {
	use mosaic_executor::{ExecutorError, Tensor, Values};
	let root = fixtures();
	let bytes = read(root.join("models/mlp/model.onnx"));
	let executor = Executor::new(Limits::default(), 64 << 20);
	let cases: Vec<Vec<Tensor>> = vec![
		vec![],
		vec![Tensor::new("y", vec![1, 16], Values::F32(vec![0.0; 16])).unwrap()],
		vec![Tensor::new("x", vec![1, 15], Values::F32(vec![0.0; 15])).unwrap()],
		vec![Tensor::new("x", vec![16], Values::F32(vec![0.0; 16])).unwrap()],
		vec![Tensor::new("x", vec![1, 16], Values::I64(vec![0; 16])).unwrap()],
	];
	for inputs in cases {
		let err = executor.run(&bytes, &inputs, PRECISION).unwrap_err();
		assert!(matches!(err, ExecutorError::InputMismatch(_)), "{inputs:?}: {err}");
	}
}
