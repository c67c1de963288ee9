//! Hostile and broken models: each gives a typed error; nothing panics, aborts, exhausts
//! memory or hangs. Cases that in-process checks stop are also run through the sandbox.

mod common;

use std::time::{Duration, Instant};

use common::*;
use mosaic_executor::{sandbox, Executor, ExecutorError, Kernels, Limits};

fn executor() -> Executor {
	Executor::new(Limits::default(), 64 << 20)
}

fn hostile(name: &str) -> (Vec<u8>, Vec<mosaic_executor::Tensor>) {
	let root = fixtures();
	let index = json(root.join("hostile/INDEX.json"));
	let case = &index[name];
	let model = read(root.join(case["file"].as_str().expect("case exists")));
	let inputs = case["inputs"]
		.as_array()
		.unwrap()
		.iter()
		.map(|spec| {
			let bytes = read(root.join(spec["file"].as_str().unwrap()));
			let mut t = mosaic_executor::formats::pb::decode(&bytes, "x").unwrap();
			t.name = spec["name"].as_str().unwrap().to_string();
			t
		})
		.collect();
	(model, inputs)
}

fn sandbox_with(limits: Limits) -> sandbox::Sandbox {
	sandbox::Sandbox::new(sandbox::SandboxConfig {
		program: env!("CARGO_BIN_EXE_mosaic-executor-sandbox").into(),
		args: vec![],
		memory_limit_bytes: 2 << 30,
		limits,
		kernels: Kernels::Native,
		threads: 1,
	})
}

#[test]
fn truncated_and_garbage_bytes_are_malformed_models() {
	for name in ["truncated", "garbage"] {
		let (model, _) = hostile(name);
		let err = executor().check(&model).unwrap_err();
		assert!(matches!(err, ExecutorError::MalformedModel(_)), "{name}: {err}");
	}
	assert!(matches!(executor().check(&[]), Err(ExecutorError::MalformedModel(_))));
}

#[test]
fn unknown_operator_is_named() {
	let (model, inputs) = hostile("unsupported_op");
	let err = executor().run(&model, &inputs, 3).unwrap_err();
	match err {
		ExecutorError::UnsupportedOperator(op) => assert!(op.contains("NoSuchOp"), "{op}"),
		other => panic!("expected UnsupportedOperator, got {other}"),
	}
}

#[test]
fn opset_outside_the_range_is_refused() {
	let (model, _) = hostile("opset_too_new");
	let err = executor().check(&model).unwrap_err();
	assert!(matches!(err, ExecutorError::OpsetOutOfRange { opset: 99, .. }), "{err}");
}

#[test]
fn huge_constant_shape_is_refused_before_any_allocation() {
	let (model, inputs) = hostile("huge_shape");
	let started = Instant::now();
	let err = executor().run(&model, &inputs, 3).unwrap_err();
	assert!(matches!(err, ExecutorError::TensorTooLarge { .. }), "{err}");
	assert!(started.elapsed() < Duration::from_secs(5));
}

#[test]
fn endless_loop_model_is_refused() {
	let (model, inputs) = hostile("infinite_loop");
	let err = executor().run(&model, &inputs, 3).unwrap_err();
	assert!(matches!(err, ExecutorError::UnsupportedOperator(_)), "{err}");
}

#[test]
fn deeply_nested_model_is_refused() {
	let (model, _) = hostile("deep_recursion");
	let err = executor().check(&model).unwrap_err();
	assert!(
		matches!(err, ExecutorError::MalformedModel(_) | ExecutorError::UnsupportedOperator(_)),
		"{err}"
	);
}

#[test]
fn nan_outputs_are_an_error() {
	let (model, inputs) = hostile("nan");
	let err = executor().run(&model, &inputs, 3).unwrap_err();
	assert!(matches!(err, ExecutorError::NonFiniteOutput { .. }), "{err}");
}

#[test]
fn oversized_model_is_refused_by_size() {
	let (model, _) = hostile("big_initializer");
	let node = Limits { max_model_bytes: 32 << 20, ..Limits::default() };
	let err = Executor::new(node, 1 << 20).check(&model).unwrap_err();
	assert!(matches!(err, ExecutorError::ModelTooLarge { .. }), "{err}");
	// The node's limit, not the model's fault: an abstention, nothing against the version.
	assert!(!err.is_model_fault());
	assert!(mosaic_primitives::onnx::is_machine_failure(err.code()), "code {}", err.code());
	// The default limits take it (192 MiB); allowed by size, its weights must still fit the
	// tensor limit.
	assert!(executor().check(&model).is_ok());
	let limits =
		Limits { max_model_bytes: 128 << 20, max_tensor_elements: 1 << 20, ..Limits::default() };
	let err = Executor::new(limits, 1 << 20).check(&model).unwrap_err();
	assert!(matches!(err, ExecutorError::TensorTooLarge { .. }), "{err}");
}

#[test]
fn sandbox_reports_hostile_models_and_keeps_serving() {
	let sandbox = sandbox_with(Limits::default());
	for name in ["truncated", "garbage", "unsupported_op", "huge_shape", "infinite_loop", "nan"] {
		let (model, inputs) = hostile(name);
		let err = sandbox.run(&model, &inputs, 3).unwrap_err();
		assert!(!matches!(err, ExecutorError::SandboxFailure(_)), "{name}: {err}");
	}
	let root = fixtures();
	let model = read(root.join("models/mlp/model.onnx"));
	let inputs = pb_tensors(&root.join("models/mlp"), "input");
	sandbox.run(&model, &inputs, 3).expect("still serving after hostile models");
}

/// A model whose one node is `ConstantOfShape(shape)`, built here so sizes can be chosen.
fn constant_of_shape_model(shape: &[i64]) -> Vec<u8> {
	use prost::Message;
	use tract_onnx::pb;
	let shape_tensor = pb::TensorProto {
		name: "shape".into(),
		dims: vec![shape.len() as i64],
		data_type: pb::tensor_proto::DataType::Int64 as i32,
		int64_data: shape.to_vec(),
		..Default::default()
	};
	let output = pb::ValueInfoProto {
		name: "y".into(),
		r#type: Some(pb::TypeProto {
			value: Some(pb::type_proto::Value::TensorType(pb::type_proto::Tensor {
				elem_type: pb::tensor_proto::DataType::Float as i32,
				shape: None,
			})),
			..Default::default()
		}),
		..Default::default()
	};
	let model = pb::ModelProto {
		ir_version: 8,
		opset_import: vec![pb::OperatorSetIdProto { domain: String::new(), version: 17 }],
		graph: Some(pb::GraphProto {
			name: "alloc".into(),
			node: vec![pb::NodeProto {
				op_type: "ConstantOfShape".into(),
				input: vec!["shape".into()],
				output: vec!["y".into()],
				..Default::default()
			}],
			initializer: vec![shape_tensor],
			output: vec![output],
			..Default::default()
		}),
		..Default::default()
	};
	model.encode_to_vec()
}

#[test]
fn sandbox_survives_a_child_that_runs_out_of_memory() {
	// With the executor's own checks off, the child really tries to allocate 2 GiB under a
	// 1 GiB address-space limit. The parent must get an error and keep working.
	let limits =
		Limits { max_tensor_elements: u64::MAX, max_memory_bytes: u64::MAX, ..Limits::default() };
	let sandbox = sandbox::Sandbox::new(sandbox::SandboxConfig {
		program: env!("CARGO_BIN_EXE_mosaic-executor-sandbox").into(),
		args: vec![],
		memory_limit_bytes: 1 << 30,
		limits,
		kernels: Kernels::Native,
		threads: 1,
	});
	let model = constant_of_shape_model(&[512, 1024, 1024]);
	let err = sandbox.run(&model, &[], 3).unwrap_err();
	assert!(
		matches!(
			err,
			ExecutorError::SandboxFailure(_)
				| ExecutorError::EnginePanic(_)
				| ExecutorError::Engine(_)
		),
		"{err}"
	);
	let root = fixtures();
	let model = read(root.join("models/mlp/model.onnx"));
	let inputs = pb_tensors(&root.join("models/mlp"), "input");
	sandbox.run(&model, &inputs, 3).expect("the sandbox serves the next request");
}

#[test]
fn constant_of_shape_within_limits_still_runs() {
	let model = constant_of_shape_model(&[2, 3]);
	let run = executor().run(&model, &[], 3).expect("small ConstantOfShape is fine");
	assert_eq!(run.outputs[0].shape, vec![2, 3]);
	let err = executor()
		.run(&constant_of_shape_model(&[1 << 20, 1 << 20]), &[], 3)
		.unwrap_err();
	assert!(matches!(err, ExecutorError::TensorTooLarge { .. }), "{err}");
}

fn stuck_child(max_wall_time: Duration) -> sandbox::Sandbox {
	// A child that never answers stands in for an operator that runs forever.
	sandbox::Sandbox::new(sandbox::SandboxConfig {
		program: "sh".into(),
		args: vec!["-c".into(), "exec sleep 600".into()],
		memory_limit_bytes: 1 << 30,
		limits: Limits { max_wall_time, ..Limits::default() },
		kernels: Kernels::Native,
		threads: 1,
	})
}

#[test]
fn sandbox_kills_a_child_past_its_wall_time() {
	let sandbox = stuck_child(Duration::from_millis(500));
	let root = fixtures();
	let model = read(root.join("models/mlp/model.onnx"));
	let inputs = pb_tensors(&root.join("models/mlp"), "input");
	let started = Instant::now();
	let err = sandbox.run(&model, &inputs, 3).unwrap_err();
	let waited = started.elapsed();
	assert!(matches!(err, ExecutorError::Timeout { .. }), "{err}");
	let deadline = Duration::from_millis(500) + sandbox::PLAN_SLACK;
	assert!(waited >= deadline && waited < deadline + Duration::from_secs(3), "{waited:?}");
}

#[test]
fn sandbox_reports_a_child_that_dies() {
	let sandbox = sandbox::Sandbox::new(sandbox::SandboxConfig {
		program: "sh".into(),
		args: vec!["-c".into(), "exit 3".into()],
		memory_limit_bytes: 1 << 30,
		limits: Limits::default(),
		kernels: Kernels::Native,
		threads: 1,
	});
	let err = sandbox.check(b"anything").unwrap_err();
	assert!(matches!(err, ExecutorError::SandboxFailure(_)), "{err}");
}
