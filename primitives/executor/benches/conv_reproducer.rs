//! A reproducer for tract's maintainers, written against tract's own API only (no Mosaic
//! code): one 3×3 convolution (`scripts/onnx/conv_reproducer.py` writes it) timed on one
//! thread with tract's default choices, with the direct spatial convolution off, and with
//! AVX-512 kernels removed. One configuration per process: the instruction set is read once.
//!
//! `cargo bench -p mosaic-executor --bench conv_reproducer -- MODEL [--direct on|off]
//! [--isa EDIT] [--knob NAME=VALUE]... [--iterations N]`; prints one JSON line (GFLOP/s
//! assume the reproducer's single convolution). scripts/bench-conv.sh runs the
//! configurations beside onnxruntime.

use std::time::{Duration, Instant};

use tract_onnx::{prelude::*, tract_core::knobs};

fn main() -> TractResult<()> {
	let args: Vec<String> = std::env::args().skip(1).filter(|a| a != "--bench").collect();
	let value = |name: &str| args.iter().position(|a| a == name).and_then(|i| args.get(i + 1));
	let model_path = args.first().expect("MODEL");
	let direct = value("--direct").map(|v| v == "on").unwrap_or(true);
	let isa = value("--isa").cloned().unwrap_or_default();
	let iterations: usize = value("--iterations").map(|n| n.parse().unwrap()).unwrap_or(30);
	knobs::set_str("TRACT_DISABLE_DIRECT_SPATIAL", if direct { "false" } else { "true" });
	let extra: Vec<&String> = args.windows(2).filter(|w| w[0] == "--knob").map(|w| &w[1]).collect();
	for knob in &extra {
		let (name, value) = knob.split_once('=').expect("--knob NAME=VALUE");
		assert!(knobs::set_str(name, value), "tract has no knob {name}");
	}
	tract_linalg::knobs::TRACT_CPU_ISA.set(Some(isa.clone()));

	let model = tract_onnx::onnx().model_for_path(model_path)?.into_optimized()?;
	let shape: Vec<usize> = model.input_fact(0)?.shape.as_concrete().expect("fixed shape").to_vec();
	let ops: Vec<String> = model.nodes().iter().map(|n| n.op().name().to_string()).collect();
	let plan = model.into_runnable()?;
	let len: usize = shape.iter().product();
	let values: Vec<f32> = (0..len).map(|i| ((i * 7919) % 1000) as f32 / 1000.0).collect();
	let input = Tensor::from_shape(&shape, &values)?;
	plan.run(tvec!(input.clone().into_tvalue()))?;
	let mut samples: Vec<Duration> = (0..iterations)
		.map(|_| {
			let started = Instant::now();
			plan.run(tvec!(input.clone().into_tvalue())).expect("runs");
			started.elapsed()
		})
		.collect();
	samples.sort();
	let ms = samples[samples.len() / 2].as_secs_f64() * 1e3;
	let (cout, cin, width) = (shape[1], shape[1], shape[3]);
	let flops = 2.0 * (cout * cin * 9 * width * width) as f64;
	println!(
		"{{\"engine\":\"tract\",\"direct\":{direct},\"isa\":{isa:?},\"knobs\":{extra:?},\"ms\":{ms:.3},\"gflops\":{:.1},\"ops\":{ops:?}}}",
		flops / ms / 1e6
	);
	Ok(())
}
