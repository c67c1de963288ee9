//! Inference latency of the executor on the fixture models: cold (inspect, type, optimise,
//! run, digest) and warm (cached plan, model hash known, outputs digested), in process and
//! through the sandbox child.
//!
//! `cargo bench -p mosaic-executor --bench latency -- [--json] [--iterations N]
//! [--kernels native|avx2|generic] [--threads 1|2]` (`--kernels generic`: portable kernels
//! only, to see what the CPU-specific kernels are worth)
//! scripts/bench-onnx.sh runs this beside onnxruntime on the same models and writes the
//! ratios to docs/performance.md.

use std::{
	path::PathBuf,
	time::{Duration, Instant},
};

use mosaic_executor::{formats, sandbox, Executor, Kernels, Limits, Tensor};
use mosaic_primitives::onnx::InputFormat;

fn fixtures() -> PathBuf {
	std::env::var_os("MOSAIC_FIXTURES").map(PathBuf::from).unwrap_or_else(|| {
		PathBuf::from(std::env::var_os("HOME").expect("HOME")).join(".cache/mosaic/onnx-fixtures")
	})
}

fn inputs(dir: &std::path::Path) -> Vec<Tensor> {
	(0..)
		.map(|i| dir.join(format!("input_{i}.pb")))
		.take_while(|p| p.is_file())
		.map(|p| formats::pb::decode(&std::fs::read(&p).expect("read"), "x").expect("decode"))
		.collect()
}

fn median(mut samples: Vec<Duration>) -> Duration {
	samples.sort();
	samples[samples.len() / 2]
}

fn millis(d: Duration) -> f64 {
	d.as_secs_f64() * 1e3
}

fn main() {
	let args: Vec<String> = std::env::args().collect();
	let json = args.iter().any(|a| a == "--json");
	let iterations: usize = args
		.iter()
		.position(|a| a == "--iterations")
		.and_then(|i| args.get(i + 1))
		.and_then(|n| n.parse().ok())
		.unwrap_or(50);
	let sandbox_bin =
		std::env::var_os("MOSAIC_SANDBOX_BIN").map(PathBuf::from).unwrap_or_else(|| {
			std::env::current_exe()
				.expect("current exe")
				.parent()
				.and_then(|deps| deps.parent())
				.expect("target dir")
				.join("mosaic-executor-sandbox")
		});

	let value = |name: &str| args.iter().position(|a| a == name).and_then(|i| args.get(i + 1));
	let kernels = value("--kernels")
		.map(|name| Kernels::from_name(name).expect("--kernels native|avx2|generic"))
		.unwrap_or(Kernels::Native);
	let threads: usize = value("--threads").map(|n| n.parse().expect("--threads N")).unwrap_or(1);
	mosaic_executor::select_kernels(kernels);
	let root = fixtures();
	let mut results = Vec::new();
	let models = [
		("models", "mlp"),
		("models", "cnn"),
		("models", "attention"),
		("models", "big_cnn"),
		("large", "big_mlp"),
	];
	for (group, name) in models {
		let dir = root.join(group).join(name);
		let model = std::fs::read(dir.join("model.onnx")).expect("fixture model");
		let inputs = inputs(&dir);

		// Cold: a fresh executor each time, so nothing is cached.
		let cold = median(
			(0..5)
				.map(|_| {
					let executor =
						Executor::new(Limits::default(), 256 << 20).with_threads(threads);
					let started = Instant::now();
					executor.run(&model, &inputs, 4).expect("runs");
					started.elapsed()
				})
				.collect(),
		);
		let executor = Executor::new(Limits::default(), 256 << 20).with_threads(threads);
		executor.run(&model, &inputs, 4).expect("warm-up");
		// Warm as a worker runs: the node knows the model's hash (it read the blob by it).
		let hash = mosaic_executor::content_hash(&model);
		let warm = median(
			(0..iterations)
				.map(|_| {
					let started = Instant::now();
					let outputs = executor.run_hashed(&hash, &model, &inputs).expect("runs");
					mosaic_executor::digest_outputs(outputs, 4).expect("digests");
					started.elapsed()
				})
				.collect(),
		);
		let sandbox = sandbox::Sandbox::new(sandbox::SandboxConfig {
			program: sandbox_bin.clone(),
			args: vec![],
			memory_limit_bytes: 4 << 30,
			limits: Limits::default(),
			kernels,
			threads,
		});
		// As the node sends a job: by hash, the model's bytes only to a child that lacks it.
		let input = std::fs::read(dir.join("input.json")).expect("fixture input");
		let job = || {
			sandbox
				.infer_cached(|| Ok(model.clone()), &hash, InputFormat::Json, &input, 4)
				.expect("runs")
		};
		job();
		let sandboxed = median(
			(0..iterations)
				.map(|_| {
					let started = Instant::now();
					job();
					started.elapsed()
				})
				.collect(),
		);
		results.push((name, cold, warm, sandboxed));
	}

	if json {
		let rows: Vec<String> = results
			.iter()
			.map(|(name, cold, warm, sandboxed)| {
				format!(
					"{{\"model\":\"{name}\",\"cold_ms\":{:.4},\"warm_ms\":{:.4},\"sandbox_warm_ms\":{:.4}}}",
					millis(*cold),
					millis(*warm),
					millis(*sandboxed)
				)
			})
			.collect();
		println!("[{}]", rows.join(","));
	} else {
		println!("{:<10} {:>10} {:>10} {:>14}", "model", "cold ms", "warm ms", "sandbox ms");
		for (name, cold, warm, sandboxed) in results {
			println!(
				"{name:<10} {:>10.3} {:>10.3} {:>14.3}",
				millis(cold),
				millis(warm),
				millis(sandboxed)
			);
		}
	}
}
