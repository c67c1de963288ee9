//! `mosaic-node onnx run|check|bench-host`: the real binary, on the fixture models, against the
//! outputs onnxruntime produced for the same inputs.

use std::{
	path::PathBuf,
	process::{Command, Output},
};

fn fixtures() -> PathBuf {
	let dir = std::env::var_os("MOSAIC_FIXTURES").map(PathBuf::from).unwrap_or_else(|| {
		PathBuf::from(std::env::var_os("HOME").expect("HOME is set"))
			.join(".cache/mosaic/onnx-fixtures")
	});
	assert!(dir.join("MANIFEST.json").is_file(), "run scripts/onnx/gen_fixtures.sh first");
	dir
}

fn node(args: &[&str]) -> Output {
	Command::new(env!("CARGO_BIN_EXE_mosaic-node"))
		.args(args)
		.output()
		.expect("node runs")
}

fn json_stdout(output: &Output) -> serde_json::Value {
	assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
	serde_json::from_slice(&output.stdout).expect("stdout is one JSON object")
}

#[test]
fn run_prints_outputs_matching_onnxruntime_and_a_stable_digest() {
	let dir = fixtures().join("models/cnn");
	let model = dir.join("model.onnx");
	let model = model.to_str().unwrap();
	let expected: serde_json::Value =
		serde_json::from_slice(&std::fs::read(dir.join("output.json")).unwrap()).unwrap();

	let mut digests = Vec::new();
	for input in ["input_0.pb", "input_0.npy", "input.json"] {
		let input = dir.join(input);
		let out = json_stdout(&node(&[
			"onnx",
			"run",
			"--model",
			model,
			"--input",
			input.to_str().unwrap(),
			"--json",
		]));
		let output = &out["outputs"][0];
		let want = &expected["outputs"][0];
		assert_eq!(output["name"], want["name"]);
		assert_eq!(output["dtype"], "float32");
		assert_eq!(output["shape"], want["shape"]);
		for (got, want) in
			output["data"].as_array().unwrap().iter().zip(want["data"].as_array().unwrap())
		{
			let (got, want) = (got.as_f64().unwrap(), want.as_f64().unwrap());
			assert!((got - want).abs() <= 1e-5 + 1e-4 * want.abs(), "{got} vs onnxruntime {want}");
		}
		digests.push(out["digest"].as_str().unwrap().to_string());
	}
	assert!(digests.iter().all(|d| d == &digests[0] && d.len() == 66), "{digests:?}");

	let input = dir.join("input_0.pb");
	let generic = json_stdout(&node(&[
		"onnx",
		"run",
		"--model",
		model,
		"--input",
		input.to_str().unwrap(),
		"--json",
		"--kernels",
		"generic",
	]));
	assert_eq!(
		generic["digest"].as_str().unwrap(),
		digests[0],
		"portable kernels agree at precision 4"
	);
	for options in [["--kernels", "all"], ["--kernels", "avx2"], ["--threads", "2"]] {
		let mut args = vec!["onnx", "run", "--model", model, "--input", input.to_str().unwrap()];
		args.extend(["--json"].iter().chain(&options));
		let other = json_stdout(&node(&args));
		assert_eq!(other["digest"].as_str().unwrap(), digests[0], "{options:?}");
	}
	let refused = node(&["onnx", "run", "--model", model, "--input", "x.pb", "--threads", "3"]);
	assert!(!refused.status.success(), "three threads are refused");
}

/// Outputs that cannot be digested (NaN here) are still shown, with why there is no digest.
#[test]
fn run_shows_outputs_that_cannot_be_digested() {
	let dir = fixtures().join("hostile");
	let (model, input) = (dir.join("nan.onnx"), dir.join("nan.input_0.pb"));
	let args = ["onnx", "run", "--model", model.to_str().unwrap(), "--input"];
	let mut json = args.to_vec();
	json.extend([input.to_str().unwrap(), "--json"]);
	let out = json_stdout(&node(&json));
	assert!(!out["outputs"].as_array().unwrap().is_empty(), "{out}");
	assert!(out["digest"].is_null(), "{out}");
	assert!(out["digest_error"].as_str().unwrap().contains("NaN or infinity"), "{out}");
	let mut plain = args.to_vec();
	plain.push(input.to_str().unwrap());
	let printed = node(&plain);
	assert!(printed.status.success());
	let text = String::from_utf8_lossy(&printed.stdout);
	assert!(text.contains("no digest"), "{text}");
}

#[test]
fn check_explains_why_a_model_is_refused() {
	let root = fixtures();
	let good = node(&[
		"onnx",
		"check",
		"--model",
		root.join("models/mlp/model.onnx").to_str().unwrap(),
		"--json",
	]);
	let summary = json_stdout(&good);
	assert_eq!(summary["acceptable"], true);
	assert_eq!(summary["inputs"][0]["shape"][0], "N");

	let bad = node(&[
		"onnx",
		"check",
		"--model",
		root.join("hostile/unsupported_op.onnx").to_str().unwrap(),
	]);
	assert_eq!(bad.status.code(), Some(1));
	let stderr = String::from_utf8_lossy(&bad.stderr);
	assert!(
		stderr.starts_with("error: model is not acceptable") && stderr.contains("NoSuchOp"),
		"{stderr}"
	);

	let missing = node(&["onnx", "run", "--model", "/nonexistent.onnx", "--input", "x.pb"]);
	assert_eq!(missing.status.code(), Some(1));
}

#[test]
fn bench_host_times_the_three_paths() {
	let dir = fixtures().join("models/mlp");
	let model = dir.join("model.onnx");
	let input = dir.join("input_0.pb");
	let out = json_stdout(&node(&[
		"onnx",
		"bench-host",
		"--model",
		model.to_str().unwrap(),
		"--input",
		input.to_str().unwrap(),
		"--iterations",
		"3",
		"--json",
	]));
	assert_eq!(out["iterations"], 3);
	for path in ["in_process_ms", "sandbox_ms", "host_path_ms"] {
		let ms = out[path].as_f64().unwrap_or_else(|| panic!("{path} in {out}"));
		assert!(ms > 0.0 && ms < 10_000.0, "{path}: {ms}");
	}
}

#[test]
fn bench_host_reports_a_model_that_does_not_run() {
	let dir = fixtures().join("models/mlp");
	let input = dir.join("input_0.pb");
	let garbage =
		std::env::temp_dir().join(format!("mosaic-not-a-model-{}.onnx", std::process::id()));
	std::fs::write(&garbage, b"not an onnx model").unwrap();
	let out = node(&[
		"onnx",
		"bench-host",
		"--model",
		garbage.to_str().unwrap(),
		"--input",
		input.to_str().unwrap(),
	]);
	std::fs::remove_file(&garbage).unwrap();
	assert!(!out.status.success());
	assert!(
		String::from_utf8_lossy(&out.stderr).starts_with("error: "),
		"{}",
		String::from_utf8_lossy(&out.stderr)
	);
}

fn training_fixture(name: &str) -> String {
	PathBuf::from(env!("CARGO_MANIFEST_DIR"))
		.join("../primitives/executor/fixtures/training")
		.join(name)
		.to_str()
		.unwrap()
		.to_string()
}

#[test]
fn train_writes_the_parameters_a_training_job_would_store() {
	let dir = std::env::temp_dir().join(format!("mosaic-train-{}", std::process::id()));
	std::fs::create_dir_all(&dir).unwrap();
	let train = |out: &str, epochs: &str| {
		let out = dir.join(out);
		let output = node(&[
			"onnx",
			"train",
			"--model",
			&training_fixture("logreg_step.onnx"),
			"--params",
			&training_fixture("logreg_init.scale"),
			"--data",
			&training_fixture("shard_0.scale"),
			"--epochs",
			epochs,
			"--batch",
			"16",
			"--precision",
			"5",
			"--out",
			out.to_str().unwrap(),
			"--json",
		]);
		(output, out)
	};
	let (output, first) = train("a.scale", "4");
	let result = json_stdout(&output);
	let curve: Vec<f64> = result["loss_curve"]
		.as_array()
		.unwrap()
		.iter()
		.map(|v| v.as_f64().unwrap())
		.collect();
	assert_eq!(curve.len(), 4);
	assert!(curve.windows(2).all(|w| w[1] < w[0]), "the loss falls: {curve:?}");
	let bytes = std::fs::read(&first).unwrap();
	let tensors = mosaic_executor::formats::scale::decode(&bytes).unwrap();
	assert_eq!(
		tensors.iter().map(|t| t.name.as_str()).collect::<Vec<_>>(),
		["w", "b"],
		"parameters, no loss curve"
	);
	let hash = format!(
		"0x{}",
		mosaic_executor::content_hash(&bytes)
			.iter()
			.map(|b| format!("{b:02x}"))
			.collect::<String>()
	);
	assert_eq!(result["blob"], hash.as_str());

	// Reproducible: the same run writes the same bytes.
	let (again, second) = train("b.scale", "4");
	assert_eq!(json_stdout(&again)["digest"], result["digest"]);
	assert_eq!(std::fs::read(&second).unwrap(), bytes);

	// Bad requests fail with a message and no file.
	let (refused, third) = train("c.scale", "0");
	assert!(!refused.status.success());
	assert!(
		String::from_utf8_lossy(&refused.stderr).contains("epochs"),
		"{}",
		String::from_utf8_lossy(&refused.stderr)
	);
	assert!(!third.exists());
	std::fs::remove_dir_all(&dir).ok();
}
