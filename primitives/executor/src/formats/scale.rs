//! SCALE-encoded `Vec<InputTensor>`: the form jobs carry small inputs in on-chain.

use codec::{Decode, Encode};
use mosaic_primitives::{digest::ElementType, onnx::InputTensor};

use crate::{
	error::{ExecutorError, Result},
	tensor::{Tensor, Values},
};

fn bad(why: impl Into<String>) -> ExecutorError {
	ExecutorError::MalformedInput(format!("SCALE input: {}", why.into()))
}

/// Decodes a SCALE `Vec<InputTensor>` into tensors. Every byte must be used.
pub fn decode(bytes: &[u8]) -> Result<Vec<Tensor>> {
	let mut rest = bytes;
	let inputs = Vec::<InputTensor>::decode(&mut rest).map_err(|e| bad(e.to_string()))?;
	if !rest.is_empty() {
		return Err(bad(format!("{} bytes after the tensor list", rest.len())));
	}
	inputs.into_iter().map(tensor).collect()
}

fn tensor(input: InputTensor) -> Result<Tensor> {
	let name = String::from_utf8(input.name).map_err(|_| bad("a tensor name is not UTF-8"))?;
	let shape = input
		.shape
		.iter()
		.map(|d| usize::try_from(*d).map_err(|_| bad(format!("{name}: dimension {d} too large"))))
		.collect::<Result<Vec<_>>>()?;
	let size = input.element_type.size();
	if !input.data.len().is_multiple_of(size) {
		return Err(bad(format!(
			"{name}: {} data bytes is not a whole number of elements",
			input.data.len()
		)));
	}
	let data = &input.data;
	let values = match input.element_type {
		ElementType::F32 => Values::F32(read(data, f32::from_le_bytes)),
		ElementType::F64 => Values::F64(read(data, f64::from_le_bytes)),
		ElementType::I8 => Values::I8(read(data, i8::from_le_bytes)),
		ElementType::I32 => Values::I32(read(data, i32::from_le_bytes)),
		ElementType::I64 => Values::I64(read(data, i64::from_le_bytes)),
		ElementType::U8 => Values::U8(data.clone()),
		ElementType::Bool => Values::Bool(data.iter().map(|b| *b != 0).collect()),
		other => {
			return Err(bad(format!("{name}: element type {other:?} is not supported as input")))
		},
	};
	Tensor::new(name, shape, values)
}

fn read<const N: usize, T>(data: &[u8], from: fn([u8; N]) -> T) -> Vec<T> {
	data.chunks_exact(N)
		.map(|c| from(c.try_into().expect("chunks_exact gives N bytes")))
		.collect()
}

/// Encodes tensors as a SCALE `Vec<InputTensor>` (for tests and tools).
pub fn encode(tensors: &[Tensor]) -> Vec<u8> {
	let inputs: Vec<InputTensor> = tensors
		.iter()
		.map(|t| InputTensor {
			name: t.name.as_bytes().to_vec(),
			element_type: t.element_type(),
			shape: t.shape.iter().map(|d| *d as u64).collect(),
			data: match &t.values {
				Values::F32(v) => v.iter().flat_map(|x| x.to_le_bytes()).collect(),
				Values::F64(v) => v.iter().flat_map(|x| x.to_le_bytes()).collect(),
				Values::I8(v) => v.iter().flat_map(|x| x.to_le_bytes()).collect(),
				Values::I32(v) => v.iter().flat_map(|x| x.to_le_bytes()).collect(),
				Values::I64(v) => v.iter().flat_map(|x| x.to_le_bytes()).collect(),
				Values::U8(v) => v.clone(),
				Values::Bool(v) => v.iter().map(|b| *b as u8).collect(),
			},
		})
		.collect();
	inputs.encode()
}

#[cfg(test)]
mod tests {
	use super::*;

	#[test]
	fn round_trips_and_rejects_bad_input() {
		let tensors = vec![
			Tensor::new("x", vec![2, 2], Values::F32(vec![1.0, -2.5, 3.25, 0.0])).unwrap(),
			Tensor::new("ids", vec![3], Values::I64(vec![1, 2, -3])).unwrap(),
		];
		let bytes = encode(&tensors);
		assert_eq!(decode(&bytes).unwrap(), tensors);

		let mut trailing = bytes.clone();
		trailing.push(0);
		assert!(matches!(decode(&trailing), Err(ExecutorError::MalformedInput(_))));
		assert!(matches!(decode(&bytes[..bytes.len() - 1]), Err(ExecutorError::MalformedInput(_))));

		let short = vec![InputTensor {
			name: b"x".to_vec(),
			element_type: ElementType::F32,
			shape: vec![2],
			data: vec![0; 7],
		}]
		.encode();
		assert!(matches!(decode(&short), Err(ExecutorError::MalformedInput(_))));
	}
}
