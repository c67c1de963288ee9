//! Shared helpers: where the fixtures are and how to read them.
#![allow(dead_code)]

use std::path::{Path, PathBuf};

use mosaic_executor::{formats, sandbox::Sandbox, Kernels, Limits, Tensor, Values};

/// The fixtures scripts/onnx/gen_fixtures.sh generates (scripts/setup.sh runs it).
pub fn fixtures() -> PathBuf {
	let dir = std::env::var_os("MOSAIC_FIXTURES").map(PathBuf::from).unwrap_or_else(|| {
		PathBuf::from(std::env::var_os("HOME").expect("HOME is set"))
			.join(".cache/mosaic/onnx-fixtures")
	});
	assert!(
		dir.join("MANIFEST.json").is_file(),
		"ONNX fixtures missing in {}: run scripts/onnx/gen_fixtures.sh (scripts/setup.sh does)",
		dir.display()
	);
	dir
}

/// A sandbox running this crate's child binary with a 4 GiB address space.
pub fn sandbox(limits: Limits, kernels: Kernels, threads: usize) -> Sandbox {
	Sandbox::new(mosaic_executor::sandbox::SandboxConfig {
		program: env!("CARGO_BIN_EXE_mosaic-executor-sandbox").into(),
		args: vec![],
		memory_limit_bytes: 4 << 30,
		limits,
		kernels,
		threads,
	})
}

pub fn read(path: impl AsRef<Path>) -> Vec<u8> {
	let path = path.as_ref();
	std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

pub fn json(path: impl AsRef<Path>) -> serde_json::Value {
	serde_json::from_slice(&read(path)).expect("valid JSON")
}

/// `input_0.pb`, `input_1.pb`, ... (or `output_*`) in `dir`, decoded in order.
pub fn pb_tensors(dir: &Path, prefix: &str) -> Vec<Tensor> {
	let mut tensors = Vec::new();
	for i in 0.. {
		let path = dir.join(format!("{prefix}_{i}.pb"));
		if !path.is_file() {
			break;
		}
		let name = format!("{prefix}_{i}");
		tensors.push(formats::pb::decode(&read(&path), &name).expect("fixture decodes"));
	}
	tensors
}

pub fn as_f64(values: &Values) -> Vec<f64> {
	match values {
		Values::F32(v) => v.iter().map(|x| *x as f64).collect(),
		Values::F64(v) => v.clone(),
		Values::I8(v) => v.iter().map(|x| *x as f64).collect(),
		Values::I32(v) => v.iter().map(|x| *x as f64).collect(),
		Values::I64(v) => v.iter().map(|x| *x as f64).collect(),
		Values::U8(v) => v.iter().map(|x| *x as f64).collect(),
		Values::Bool(v) => v.iter().map(|x| *x as u8 as f64).collect(),
	}
}

/// Asserts `actual` matches `expected` element-wise within `rtol`/`atol` (numpy.allclose).
pub fn assert_close(what: &str, actual: &Tensor, expected: &Tensor, rtol: f64, atol: f64) {
	assert_eq!(actual.shape, expected.shape, "{what}: shape");
	assert_eq!(actual.element_type(), expected.element_type(), "{what}: element type");
	let (a, e) = (as_f64(&actual.values), as_f64(&expected.values));
	for (i, (x, y)) in a.iter().zip(&e).enumerate() {
		let ok = (x - y).abs() <= atol + rtol * y.abs() || (x.is_nan() && y.is_nan());
		assert!(ok, "{what}[{i}]: {x} vs expected {y}");
	}
}
