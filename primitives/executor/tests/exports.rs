//! Models as real exporters write them (`fixtures/exports`, scripts/onnx/gen_exports.py):
//! skl2onnx, tf2onnx and paddle2onnx output, dynamic dimensions written as names, empty
//! names, 0 and -1, weights that are also graph inputs, unnamed input files bound by
//! position. Each must pass the checker and match onnxruntime, in process and in the
//! sandbox.

mod common;

use std::path::PathBuf;

use common::*;
use mosaic_executor::{formats, Dim, Executor, Kernels, Limits, Tensor};

fn exports() -> PathBuf {
	PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("fixtures/exports")
}

/// The case's inputs as its files carry them: named or not.
fn inputs(case: &serde_json::Value) -> Vec<Tensor> {
	let dir = exports().join(case["name"].as_str().unwrap());
	case["inputs"]
		.as_array()
		.unwrap()
		.iter()
		.map(|input| {
			let file = input["file"].as_str().unwrap();
			formats::pb::decode(&read(dir.join(file)), "").expect("input decodes")
		})
		.collect()
}

fn expected(case: &serde_json::Value) -> Vec<Tensor> {
	let dir = exports().join(case["name"].as_str().unwrap());
	case["outputs"]
		.as_array()
		.unwrap()
		.iter()
		.map(|output| formats::pb::decode(&read(dir.join(output["file"].as_str().unwrap())), "x"))
		.collect::<Result<_, _>>()
		.expect("outputs decode")
}

#[test]
fn exported_models_match_onnxruntime_in_process_and_in_the_sandbox() {
	let index = json(exports().join("INDEX.json"));
	let cases = index["cases"].as_array().expect("cases");
	assert!(cases.len() >= 15, "only {} cases", cases.len());
	let executor = Executor::new(Limits::default(), 64 << 20);
	let sandbox = sandbox(Limits::default(), Kernels::Native, 1);
	let mut failures = Vec::new();
	for case in cases {
		let name = case["name"].as_str().unwrap();
		let model = read(exports().join(name).join("model.onnx"));
		let (inputs, expected) = (inputs(case), expected(case));
		let named = case["input_pb_names"].as_bool().unwrap();
		assert_eq!(inputs.iter().all(|t| !t.name.is_empty()), named, "{name}: input names");
		let in_process = executor.run_raw(&model, &inputs);
		let sandboxed = sandbox.run_raw(&model, &inputs);
		for (path, outputs) in [("in process", in_process), ("sandbox", sandboxed)] {
			let outputs = match outputs {
				Ok(outputs) => outputs,
				Err(e) => {
					failures.push(format!("{name} ({path}): {e}"));
					continue;
				},
			};
			assert_eq!(outputs.len(), expected.len(), "{name}: output count");
			for (actual, expected) in outputs.iter().zip(&expected) {
				let compared =
					std::panic::catch_unwind(|| assert_close(name, actual, expected, 1e-4, 1e-5));
				if compared.is_err() {
					failures.push(format!("{name} ({path}): outputs differ from onnxruntime's"));
				}
			}
		}
	}
	assert!(failures.is_empty(), "{} failures:\n{}", failures.len(), failures.join("\n"));
}

/// Every way of writing "chosen at run time" becomes a dimension of its own in the schema,
/// never a fixed 0 or -1, and two unnamed ones are never bound together.
#[test]
fn dynamic_dimensions_are_free_however_they_are_written() {
	let executor = Executor::new(Limits::default(), 64 << 20);
	for name in [
		"quirk_batch_dim_param_empty",
		"quirk_batch_dim_value_0",
		"quirk_batch_dim_value_neg1",
		"skl_mlp_regressor",
		"skl_mlp_regressor_dim_neg1",
	] {
		let summary = executor.check(&read(exports().join(name).join("model.onnx"))).unwrap();
		let batch = &summary.inputs[0].shape[0];
		assert!(matches!(batch, Dim::Symbolic(_)), "{name}: batch dimension {batch:?}");
		let out_batch = &summary.outputs[0].shape[0];
		assert!(matches!(out_batch, Dim::Symbolic(_)), "{name}: output batch {out_batch:?}");
	}
	// Batches of other sizes run too.
	let case = "quirk_batch_dim_value_neg1";
	let model = read(exports().join(case).join("model.onnx"));
	let input = &inputs(
		&json(exports().join("INDEX.json"))["cases"]
			.as_array()
			.unwrap()
			.iter()
			.find(|c| c["name"] == case)
			.unwrap()
			.clone(),
	)[0];
	let two_rows = mosaic_executor::training::slice_rows(input, 0, 2).unwrap();
	let outputs = executor.run_raw(&model, &[two_rows]).expect("a batch of two runs");
	assert_eq!(outputs[0].shape[0], 2);
}

/// Unnamed tensors feed the graph inputs in order; a named one keeps its input and the
/// unnamed one takes what is left.
#[test]
fn unnamed_inputs_are_bound_by_position() {
	let index = json(exports().join("INDEX.json"));
	let case = index["cases"]
		.as_array()
		.unwrap()
		.iter()
		.find(|c| c["name"] == "quirk_two_inputs_unnamed")
		.expect("the two-input case")
		.clone();
	let model = read(exports().join("quirk_two_inputs_unnamed/model.onnx"));
	let executor = Executor::new(Limits::default(), 64 << 20);
	let graph_inputs: Vec<String> =
		executor.check(&model).unwrap().inputs.into_iter().map(|i| i.name).collect();
	let unnamed = inputs(&case);
	let by_position = executor.run_raw(&model, &unnamed).unwrap();
	let mut named = unnamed.clone();
	named[0].name = graph_inputs[0].clone();
	named[1].name = graph_inputs[1].clone();
	assert_eq!(executor.run_raw(&model, &named).unwrap(), by_position);
	// The second tensor named as the first input: the unnamed one feeds the second input.
	let mut swapped = unnamed.clone();
	swapped[1].name = graph_inputs[0].clone();
	let swapped_run = executor.run_raw(&model, &swapped).unwrap();
	assert_ne!(swapped_run, by_position, "(a - b) @ W changes when a and b swap");
}
