//! Reproducibility across CPU kernel sets: the same model and input run with each kernel set
//! a worker may use (the one chosen for this CPU, all the CPU has, AVX2, portable), in
//! sandbox children.
//! Prints, per model, the largest output difference and the highest precision at which the
//! canonical digests still agree; docs/executor.md records the figures.

mod common;

use common::*;
use mosaic_executor::{Kernels, Limits};

fn sandbox(kernels: Kernels) -> mosaic_executor::sandbox::Sandbox {
	common::sandbox(Limits::default(), kernels, 1)
}

/// The default precision models are registered with must survive a change of CPU kernels.
const REQUIRED_PRECISION: u8 = 4;

#[test]
fn digests_agree_across_kernel_sets_at_the_default_precision() {
	let root = fixtures();
	println!("this CPU's own set: {:?}", Kernels::native_choice());
	let sets = [Kernels::Native, Kernels::All, Kernels::Avx2, Kernels::Generic];
	let sandboxes: Vec<_> = sets.iter().map(|k| sandbox(*k)).collect();
	for name in ["mlp", "cnn", "attention", "big_cnn"] {
		let dir = root.join("models").join(name);
		let model = read(dir.join("model.onnx"));
		let inputs = pb_tensors(&dir, "input");
		let runs: Vec<_> =
			sandboxes.iter().map(|s| s.run(&model, &inputs, 0).expect("runs")).collect();
		for (set, run) in sets.iter().zip(&runs).skip(1) {
			let reference = &runs[0];
			let max_diff = reference
				.outputs
				.iter()
				.zip(&run.outputs)
				.flat_map(|(x, y)| as_f64(&x.values).into_iter().zip(as_f64(&y.values)))
				.map(|(x, y)| (x - y).abs())
				.fold(0.0f64, f64::max);
			let mut agree_up_to = None;
			for precision in 0..=8u8 {
				let a = mosaic_executor::digest_outputs(reference.outputs.clone(), precision);
				let b = mosaic_executor::digest_outputs(run.outputs.clone(), precision);
				if a.unwrap().digest == b.unwrap().digest {
					agree_up_to = Some(precision);
				} else {
					break;
				}
			}
			println!(
				"{name}: max |native - {set:?}| = {max_diff:e}; digests agree up to precision {agree_up_to:?}"
			);
			assert!(
				agree_up_to.is_some_and(|p| p >= REQUIRED_PRECISION),
				"{name}: native and {set:?} digests differ at precision {REQUIRED_PRECISION} (max diff {max_diff:e})"
			);
		}
	}
}

/// Raw output bits of `big_cnn` through a sandbox child.
fn big_cnn_bits(kernels: Kernels) -> Vec<u64> {
	let dir = fixtures().join("models/big_cnn");
	let output = sandbox(kernels)
		.run(&read(dir.join("model.onnx")), &pb_tensors(&dir, "input"), 0)
		.expect("big_cnn runs");
	output
		.outputs
		.iter()
		.flat_map(|t| as_f64(&t.values))
		.map(f64::to_bits)
		.collect()
}

/// Variables tract reads to choose kernels and rewrites. Honoured, the first (portable
/// kernels only) and the last (the direct spatial convolution back on) give other bits on
/// `big_cnn`; the second (Intel's cost model) picks the same kernels here, but may elsewhere.
const KERNEL_VARIABLES: &[(&str, &str)] = &[
	("TRACT_CPU_ISA", "-avx,-avx2,-fma,-f16c,-avx512f"),
	("TRACT_X86_KIND", "intel"),
	("TRACT_DISABLE_DIRECT_SPATIAL", "false"),
];

/// tract reads `TRACT_*` variables to choose kernels, and another kernel gives other bits: a
/// worker node's environment must not reach the child that runs jobs.
#[test]
fn the_parents_environment_does_not_change_the_childs_kernels() {
	let clean = big_cnn_bits(Kernels::Native);
	// What the variables would do if honoured: another kernel set changes the bits.
	let generic = big_cnn_bits(Kernels::Generic);
	assert!(clean.iter().zip(&generic).any(|(a, b)| a != b), "kernels do not change bits");
	// Set in this test's process only (nextest runs each test in its own), where no other
	// thread reads the environment.
	for (name, value) in KERNEL_VARIABLES {
		std::env::set_var(name, value);
	}
	let with_variables = big_cnn_bits(Kernels::Native);
	let differing = clean.iter().zip(&with_variables).filter(|(a, b)| a != b).count();
	assert_eq!(
		differing,
		0,
		"{differing} of {} output values changed with the variables",
		clean.len()
	);
}

/// In a process that runs models itself (the CLI's in-process bench, tests), the kernels
/// Mosaic chose win over the environment too: every knob it relies on is pinned in code.
#[test]
fn pinned_knobs_ignore_the_environment() {
	use tract_onnx::tract_core::knobs;
	for (name, value) in KERNEL_VARIABLES {
		std::env::set_var(name, value);
	}
	std::env::set_var("TRACT_LAZY_IM2COL_MIN_KERNEL", "1");
	mosaic_executor::select_kernels(Kernels::Native);
	let current = |name: &str| {
		let knob = knobs::all().into_iter().find(|k| k.name == name).expect("a tract knob");
		((knob.current)(), (knob.default)())
	};
	assert_eq!(current("TRACT_DISABLE_DIRECT_SPATIAL").0, "true");
	let (isa, _) = current("TRACT_CPU_ISA");
	assert!(!isa.contains("-avx2"), "TRACT_CPU_ISA came from the environment: {isa}");
	let (min_kernel, default) = current("TRACT_LAZY_IM2COL_MIN_KERNEL");
	assert_eq!(min_kernel, default, "a knob left to the environment");
}
