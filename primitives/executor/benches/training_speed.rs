//! Training throughput of the executor on the committed training fixtures: a whole
//! training run (epochs over the training set, batch by batch) with a warm plan cache, in
//! process and through the sandbox child.
//!
//! `cargo bench -p mosaic-executor --bench training_speed -- [--json] [--iterations N]`
//! scripts/bench-onnx.sh runs this beside the same loop on onnxruntime
//! (scripts/training/bench_ort_training.py) and prints the ratios (docs/training.md).

use std::{
	path::PathBuf,
	time::{Duration, Instant},
};

use mosaic_executor::{
	formats::scale, sandbox, training::TrainSpec, Executor, Kernels, Limits, Tensor,
};

const SPEC: TrainSpec = TrainSpec { epochs: 5, batch_size: 32 };

fn fixture(name: &str) -> Vec<u8> {
	let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("fixtures/training").join(name);
	std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn tensors(name: &str) -> Vec<Tensor> {
	scale::decode(&fixture(name)).expect("fixture decodes")
}

fn median(mut samples: Vec<Duration>) -> f64 {
	samples.sort();
	samples[samples.len() / 2].as_secs_f64() * 1e3
}

fn main() {
	let args: Vec<String> = std::env::args().collect();
	let json = args.iter().any(|a| a == "--json");
	let iterations: usize = args
		.iter()
		.position(|a| a == "--iterations")
		.and_then(|i| args.get(i + 1))
		.and_then(|n| n.parse().ok())
		.unwrap_or(20);
	let sandbox_bin = std::env::current_exe()
		.expect("current exe")
		.parent()
		.and_then(|deps| deps.parent())
		.expect("target dir")
		.join("mosaic-executor-sandbox");
	let child = sandbox::Sandbox::new(sandbox::SandboxConfig {
		program: sandbox_bin,
		args: vec![],
		memory_limit_bytes: 2 << 30,
		limits: Limits::default(),
		kernels: Kernels::Native,
		threads: 1,
	});
	let executor = Executor::new(Limits::default(), 64 << 20);
	let data = tensors("train.scale");
	let rows = data[0].shape[0];
	let steps = SPEC.epochs as usize * rows.div_ceil(SPEC.batch_size as usize);
	let mut rows_out = Vec::new();
	for model in ["logreg", "mlp"] {
		let step = fixture(&format!("{model}_step.onnx"));
		let init = tensors(&format!("{model}_init.scale"));
		let time = |run: &dyn Fn()| {
			run(); // warm the plan cache
			median(
				(0..iterations)
					.map(|_| {
						let started = Instant::now();
						run();
						started.elapsed()
					})
					.collect(),
			)
		};
		let in_process = time(&|| {
			executor.train(&step, &init, &data, SPEC).expect("trains");
		});
		let sandboxed = time(&|| {
			child.train(&step, &init, &data, SPEC, 5).expect("trains");
		});
		rows_out.push((model, in_process, sandboxed));
	}
	if json {
		let rows: Vec<_> = rows_out
			.iter()
			.map(|(m, p, s)| serde_json::json!({"model": m, "steps": steps, "train_ms": p, "sandbox_train_ms": s}))
			.collect();
		println!("{}", serde_json::Value::Array(rows));
	} else {
		println!(
			"{} epochs x {} rows, batch {} ({steps} steps); medians of {iterations} runs:",
			SPEC.epochs, rows, SPEC.batch_size
		);
		for (m, p, s) in rows_out {
			println!(
				"  {m:<7} in process {p:>8.3} ms ({:.1} µs/step)   sandbox {s:>8.3} ms",
				p * 1e3 / steps as f64
			);
		}
	}
}
