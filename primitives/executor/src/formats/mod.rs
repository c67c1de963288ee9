//! Tensor file formats: ONNX TensorProto (`.pb`), NumPy (`.npy`), JSON, and SCALE (on-chain
//! inline inputs).

pub mod json;
pub mod npy;
pub mod pb;
pub mod scale;

use crate::{
	error::{ExecutorError, Result},
	tensor::Tensor,
};

/// A tensor file format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
	/// ONNX `TensorProto`.
	Pb,
	/// NumPy `.npy`.
	Npy,
	/// `{"inputs":[{"name","dtype","shape","data"}]}`.
	Json,
	/// SCALE `Vec<InputTensor>` (see `mosaic_primitives::onnx::InputTensor`): jobs' inline
	/// inputs.
	Scale,
}

impl Format {
	/// The format a file name's extension implies.
	pub fn from_path(path: &str) -> Result<Format> {
		let lower = path.to_ascii_lowercase();
		if lower.ends_with(".pb") {
			Ok(Format::Pb)
		} else if lower.ends_with(".npy") {
			Ok(Format::Npy)
		} else if lower.ends_with(".json") {
			Ok(Format::Json)
		} else if lower.ends_with(".scale") {
			Ok(Format::Scale)
		} else {
			Err(ExecutorError::MalformedInput(format!(
				"{path}: unknown extension (expected .pb, .npy, .json or .scale)"
			)))
		}
	}
}

/// Decodes tensors from a file's bytes. `.pb` files carry their tensor's name; `.npy` files
/// do not, so `default_name` names them; JSON files may hold several tensors.
pub fn decode(format: Format, bytes: &[u8], default_name: &str) -> Result<Vec<Tensor>> {
	match format {
		Format::Pb => pb::decode(bytes, default_name).map(|t| vec![t]),
		Format::Npy => npy::decode(default_name, bytes).map(|t| vec![t]),
		Format::Json => json::decode_inputs(bytes),
		Format::Scale => scale::decode(bytes),
	}
}
