//! ONNX `TensorProto` files (`.pb`), as the ONNX test suites store inputs and outputs.

use mosaic_primitives::digest::ElementType;
use prost::Message;
use tract_onnx::pb::{tensor_proto::DataType, TensorProto};

use crate::{
	engine::from_tract,
	error::{ExecutorError, Result},
	inspect::element_type_of,
	tensor::{Tensor, Values},
};

/// Largest tensor a `.pb` file may declare, in elements; larger ones are rejected before
/// any allocation.
pub const MAX_ELEMENTS: u64 = 64 * 1024 * 1024;

fn bad(why: impl Into<String>) -> ExecutorError {
	ExecutorError::MalformedInput(format!(".pb: {}", why.into()))
}

/// Decodes a `TensorProto`. Its own name is used when set, else `default_name`.
pub fn decode(bytes: &[u8], default_name: &str) -> Result<Tensor> {
	let proto = TensorProto::decode(bytes).map_err(|e| bad(format!("not a TensorProto: {e}")))?;
	let declared = element_type_of(proto.data_type)?;
	if proto.data_type == DataType::String as i32 {
		return Err(ExecutorError::UnsupportedElementType("string".into()));
	}
	if proto.data_location == Some(1) || !proto.external_data.is_empty() {
		return Err(bad("external data is not supported"));
	}
	let elements = proto
		.dims
		.iter()
		.try_fold(1u64, |acc, &d| if d < 0 { None } else { acc.checked_mul(d as u64) })
		.ok_or_else(|| bad(format!("invalid dimensions {:?}", proto.dims)))?;
	if elements > MAX_ELEMENTS {
		return Err(bad(format!("{elements} elements is over the limit of {MAX_ELEMENTS}")));
	}
	let name = if proto.name.is_empty() { default_name.to_string() } else { proto.name.clone() };
	let loaded = std::panic::catch_unwind(|| {
		tract_onnx::tensor::load_tensor(&tract_onnx::data_resolver::MmapDataResolver, &proto, None)
	})
	.map_err(|_| bad("tract panicked while loading the tensor"))?
	.map_err(|e| bad(format!("{e:#}")))?;
	let tensor = from_tract(&name, &loaded)?;
	// tract reads some unsigned types into signed tensors: keep only what the file declares.
	// Types without a `Values` variant of their own are widened on purpose.
	let widened = matches!(
		declared,
		ElementType::F16 | ElementType::I16 | ElementType::U16 | ElementType::U32
	);
	if !widened && tensor.element_type() != declared {
		return Err(bad(format!("declared {declared:?}, loaded as {:?}", tensor.element_type())));
	}
	Ok(tensor)
}

/// Encodes a tensor as a `TensorProto` with raw little-endian data.
pub fn encode(tensor: &Tensor) -> Vec<u8> {
	let mut raw = Vec::with_capacity(tensor.byte_size());
	let data_type = match &tensor.values {
		Values::F32(v) => {
			v.iter().for_each(|x| raw.extend_from_slice(&x.to_le_bytes()));
			DataType::Float
		},
		Values::F64(v) => {
			v.iter().for_each(|x| raw.extend_from_slice(&x.to_le_bytes()));
			DataType::Double
		},
		Values::I8(v) => {
			v.iter().for_each(|x| raw.extend_from_slice(&x.to_le_bytes()));
			DataType::Int8
		},
		Values::I32(v) => {
			v.iter().for_each(|x| raw.extend_from_slice(&x.to_le_bytes()));
			DataType::Int32
		},
		Values::I64(v) => {
			v.iter().for_each(|x| raw.extend_from_slice(&x.to_le_bytes()));
			DataType::Int64
		},
		Values::U8(v) => {
			raw.extend_from_slice(v);
			DataType::Uint8
		},
		Values::Bool(v) => {
			v.iter().for_each(|x| raw.push(*x as u8));
			DataType::Bool
		},
	};
	let proto = TensorProto {
		dims: tensor.shape.iter().map(|d| *d as i64).collect(),
		data_type: data_type as i32,
		name: tensor.name.clone(),
		raw_data: raw,
		..Default::default()
	};
	proto.encode_to_vec()
}

#[cfg(test)]
mod tests {
	use super::*;

	#[test]
	fn round_trips_every_type() {
		for tensor in [
			Tensor::new("a", vec![2, 2], Values::F32(vec![1.0, -2.0, 0.5, 3.0])).unwrap(),
			Tensor::new("b", vec![1], Values::F64(vec![2.5])).unwrap(),
			Tensor::new("c", vec![3], Values::I64(vec![-1, 0, i64::MAX])).unwrap(),
			Tensor::new("d", vec![2], Values::I32(vec![7, -7])).unwrap(),
			Tensor::new("e", vec![2], Values::I8(vec![-3, 3])).unwrap(),
			Tensor::new("f", vec![2], Values::U8(vec![0, 200])).unwrap(),
			Tensor::new("g", vec![2], Values::Bool(vec![false, true])).unwrap(),
		] {
			assert_eq!(decode(&encode(&tensor), "unused").unwrap(), tensor);
		}
	}

	#[test]
	fn rejects_hostile_tensors() {
		let string_raw = TensorProto {
			dims: vec![1],
			data_type: DataType::String as i32,
			raw_data: vec![1, 2, 3],
			..Default::default()
		};
		assert!(decode(&string_raw.encode_to_vec(), "x").is_err(), "tract panics on these");
		let huge = TensorProto {
			dims: vec![1 << 20, 1 << 20],
			data_type: DataType::Float as i32,
			..Default::default()
		};
		assert!(decode(&huge.encode_to_vec(), "x").is_err());
		let short = TensorProto {
			dims: vec![4],
			data_type: DataType::Float as i32,
			raw_data: vec![0; 8],
			..Default::default()
		};
		assert!(decode(&short.encode_to_vec(), "x").is_err());
		let negative =
			TensorProto { dims: vec![-1], data_type: DataType::Float as i32, ..Default::default() };
		assert!(decode(&negative.encode_to_vec(), "x").is_err());
		assert!(decode(b"\xff\xff\xff garbage", "x").is_err());
		let complex = TensorProto { dims: vec![1], data_type: 14, ..Default::default() };
		assert!(decode(&complex.encode_to_vec(), "x").is_err());
	}
}
