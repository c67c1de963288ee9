//! Reproducibility across CPU kernel sets: the same model and input run with tract's native
//! kernels (AVX2/FMA where the CPU has them) and with portable kernels only, in two sandbox
//! children. Prints, per model, the largest output difference and the highest precision at
//! which the canonical digests still agree; docs/executor.md records the figures.

mod common;

use common::*;
use mosaic_executor::{sandbox, Kernels, Limits};

fn sandbox(kernels: Kernels) -> sandbox::Sandbox {
	sandbox::Sandbox::new(sandbox::SandboxConfig {
		program: env!("CARGO_BIN_EXE_mosaic-executor-sandbox").into(),
		args: vec![],
		memory_limit_bytes: 4 << 30,
		limits: Limits::default(),
		kernels,
	})
}

/// The default precision models are registered with must survive a change of CPU kernels.
const REQUIRED_PRECISION: u8 = 4;

#[test]
fn digests_agree_across_kernel_sets_at_the_default_precision() {
	let root = fixtures();
	let native = sandbox(Kernels::Native);
	let generic = sandbox(Kernels::Generic);
	for name in ["mlp", "cnn", "attention", "big_cnn"] {
		let dir = root.join("models").join(name);
		let model = read(dir.join("model.onnx"));
		let inputs = pb_tensors(&dir, "input");
		let a = native.run(&model, &inputs, 0).expect("native run");
		let b = generic.run(&model, &inputs, 0).expect("generic run");
		let max_diff = a
			.outputs
			.iter()
			.zip(&b.outputs)
			.flat_map(|(x, y)| as_f64(&x.values).into_iter().zip(as_f64(&y.values)))
			.map(|(x, y)| (x - y).abs())
			.fold(0.0f64, f64::max);
		let mut agree_up_to = None;
		for precision in 0..=8u8 {
			let a = mosaic_executor::digest_outputs(a.outputs.clone(), precision).unwrap();
			let b = mosaic_executor::digest_outputs(b.outputs.clone(), precision).unwrap();
			if a.digest == b.digest {
				agree_up_to = Some(precision);
			} else {
				break;
			}
		}
		println!("{name}: max |native - generic| = {max_diff:e}; digests agree up to precision {agree_up_to:?}");
		assert!(
			agree_up_to.is_some_and(|p| p >= REQUIRED_PRECISION),
			"{name}: digests differ across kernels at precision {REQUIRED_PRECISION} (max diff {max_diff:e})"
		);
	}
}

/// Raw output bits of `big_cnn` through a native sandbox child.
fn big_cnn_bits() -> Vec<u64> {
	let dir = fixtures().join("models/big_cnn");
	let output = sandbox(Kernels::Native)
		.run(&read(dir.join("model.onnx")), &pb_tensors(&dir, "input"), 0)
		.expect("big_cnn runs");
	output
		.outputs
		.iter()
		.flat_map(|t| as_f64(&t.values))
		.map(f64::to_bits)
		.collect()
}

/// tract reads `TRACT_*` variables to choose kernels, and another kernel gives other bits: a
/// worker node's environment must not reach the child that runs jobs. With direct spatial
/// convolution switched off, `big_cnn`'s four 3×3 convolutions take another path.
#[test]
fn the_parents_environment_does_not_change_the_childs_kernels() {
	let clean = big_cnn_bits();
	// The variable is set in this test's process only (nextest runs each test in its own),
	// where no other thread reads the environment.
	std::env::set_var("TRACT_DISABLE_DIRECT_SPATIAL", "1");
	let with_knob = big_cnn_bits();
	let differing = clean.iter().zip(&with_knob).filter(|(a, b)| a != b).count();
	assert_eq!(
		differing,
		0,
		"{differing} of {} output values changed with the variable",
		clean.len()
	);
}
