//! The ONNX backend node test cases (from the `onnx` package, see scripts/onnx) against
//! their expected outputs.

mod common;

use common::*;
use mosaic_executor::{Executor, Limits};

/// Cases tract cannot type because an operand it needs as a constant is a graph input
/// (real models carry these as weights). Each must keep failing with this reason, so the
/// list stays true when tract changes.
const KNOWN_TRACT_LIMITATIONS: &[(&str, &str)] = &[
	("test_batchnorm_example", "Params are not const"),
	("test_constant_pad", "Pad constant input must be constant"),
];

#[test]
fn onnx_backend_cases_reproduce_expected_outputs() {
	let root = fixtures();
	let index = json(root.join("backend/INDEX.json"));
	// The backend cases are stamped with the newest opsets; the operators' semantics are
	// what is tested here, so the opset ceiling is lifted for this test.
	let limits = Limits { max_opset: 25, ..Limits::default() };
	let executor = Executor::new(limits, 64 << 20);
	let mut failures = Vec::new();
	let mut known = 0;
	let cases = index["cases"].as_array().expect("cases");
	for case in cases {
		let name = case["name"].as_str().unwrap();
		let dir = root.join("backend").join(name);
		let model = read(dir.join("model.onnx"));
		let data = dir.join("test_data_set_0");
		let mut inputs = pb_tensors(&data, "input");
		// Name the inputs as the graph does (the .pb files may carry other names).
		for (tensor, spec) in inputs.iter_mut().zip(case["inputs"].as_array().unwrap()) {
			tensor.name = spec["name"].as_str().unwrap().to_string();
		}
		let expected = pb_tensors(&data, "output");
		if let Some((_, reason)) = KNOWN_TRACT_LIMITATIONS.iter().find(|(case, _)| *case == name) {
			match executor.run(&model, &inputs, 4) {
				Err(e) if e.to_string().contains(reason) => known += 1,
				other => {
					failures.push(format!("{name}: expected to fail with {reason}, got {other:?}"))
				},
			}
			continue;
		}
		match executor.run(&model, &inputs, 4) {
			Ok(run) => {
				for (actual, expected) in run.outputs.iter().zip(&expected) {
					let result = std::panic::catch_unwind(|| {
						assert_close(name, actual, expected, 1e-4, 1e-5)
					});
					if result.is_err() {
						failures.push(format!("{name}: output differs"));
					}
				}
			},
			Err(e) => failures.push(format!("{name}: {e}")),
		}
	}
	assert!(cases.len() >= 40, "only {} cases in the index", cases.len());
	assert_eq!(known, KNOWN_TRACT_LIMITATIONS.len(), "every known limitation was exercised");
	assert!(
		failures.is_empty(),
		"{} of {} cases failed:\n{}",
		failures.len(),
		cases.len(),
		failures.join("\n")
	);
}
