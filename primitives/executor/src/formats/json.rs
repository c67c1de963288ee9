//! The JSON form of tensors, for scripts:
//! `{"inputs":[{"name":"x","dtype":"float32","shape":[1,2],"data":[0.5,1.0]}]}` for inputs and
//! `{"outputs":[{"name","dtype","shape","data"}],"digest":"0x..."}` for outputs.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::{
	error::{ExecutorError, Result},
	tensor::{element_type_from_name, element_type_name, Tensor, Values},
};
use mosaic_primitives::digest::ElementType;

/// One tensor in JSON.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct JsonTensor {
	pub name: String,
	pub dtype: String,
	pub shape: Vec<usize>,
	pub data: Vec<Value>,
}

#[derive(Deserialize)]
struct JsonInputs {
	inputs: Vec<JsonTensor>,
}

fn bad(why: impl Into<String>) -> ExecutorError {
	ExecutorError::MalformedInput(format!("JSON: {}", why.into()))
}

/// Decodes `{"inputs":[...]}`.
pub fn decode_inputs(bytes: &[u8]) -> Result<Vec<Tensor>> {
	let parsed: JsonInputs = serde_json::from_slice(bytes).map_err(|e| bad(e.to_string()))?;
	parsed.inputs.into_iter().map(from_json).collect()
}

/// Converts one JSON tensor.
pub fn from_json(t: JsonTensor) -> Result<Tensor> {
	let element_type = element_type_from_name(&t.dtype)
		.ok_or_else(|| bad(format!("{}: unknown dtype {}", t.name, t.dtype)))?;
	let name = t.name.clone();
	let num = |v: &Value| v.as_f64().ok_or_else(|| bad(format!("{name}: {v} is not a number")));
	let int = |v: &Value| v.as_i64().ok_or_else(|| bad(format!("{name}: {v} is not an integer")));
	let ranged = |v: &Value, min: i64, max: i64| {
		int(v).and_then(|x| {
			if (min..=max).contains(&x) {
				Ok(x)
			} else {
				Err(bad(format!("{name}: {x} is out of range for {}", t.dtype)))
			}
		})
	};
	let values = match element_type {
		ElementType::F32 => {
			Values::F32(t.data.iter().map(|v| num(v).map(|x| x as f32)).collect::<Result<_>>()?)
		},
		ElementType::F64 => Values::F64(t.data.iter().map(num).collect::<Result<_>>()?),
		ElementType::I64 => Values::I64(t.data.iter().map(int).collect::<Result<_>>()?),
		ElementType::I32 => Values::I32(
			t.data
				.iter()
				.map(|v| ranged(v, i32::MIN as i64, i32::MAX as i64).map(|x| x as i32))
				.collect::<Result<_>>()?,
		),
		ElementType::I8 => Values::I8(
			t.data
				.iter()
				.map(|v| ranged(v, i8::MIN as i64, i8::MAX as i64).map(|x| x as i8))
				.collect::<Result<_>>()?,
		),
		ElementType::U8 => Values::U8(
			t.data
				.iter()
				.map(|v| ranged(v, 0, u8::MAX as i64).map(|x| x as u8))
				.collect::<Result<_>>()?,
		),
		ElementType::Bool => Values::Bool(
			t.data
				.iter()
				.map(|v| v.as_bool().ok_or_else(|| bad(format!("{name}: {v} is not a boolean"))))
				.collect::<Result<_>>()?,
		),
		other => {
			return Err(ExecutorError::UnsupportedElementType(element_type_name(other).into()))
		},
	};
	Tensor::new(t.name, t.shape, values)
}

/// Converts a tensor to JSON. Non-finite floats become `null` (JSON has no NaN).
pub fn to_json(t: &Tensor) -> JsonTensor {
	let float = |x: f64| serde_json::Number::from_f64(x).map(Value::Number).unwrap_or(Value::Null);
	let data = match &t.values {
		Values::F32(v) => v.iter().map(|x| float(*x as f64)).collect(),
		Values::F64(v) => v.iter().map(|x| float(*x)).collect(),
		Values::I64(v) => v.iter().map(|x| Value::from(*x)).collect(),
		Values::I32(v) => v.iter().map(|x| Value::from(*x)).collect(),
		Values::I8(v) => v.iter().map(|x| Value::from(*x)).collect(),
		Values::U8(v) => v.iter().map(|x| Value::from(*x)).collect(),
		Values::Bool(v) => v.iter().map(|x| Value::from(*x)).collect(),
	};
	JsonTensor {
		name: t.name.clone(),
		dtype: element_type_name(t.element_type()).into(),
		shape: t.shape.clone(),
		data,
	}
}

#[cfg(test)]
mod tests {
	use super::*;

	#[test]
	fn decodes_inputs_of_several_types() {
		let text = br#"{"inputs":[
			{"name":"x","dtype":"float32","shape":[2,2],"data":[1,2.5,-3,4]},
			{"name":"ids","dtype":"int64","shape":[3],"data":[1,2,3]},
			{"name":"mask","dtype":"bool","shape":[2],"data":[true,false]}]}"#;
		let inputs = decode_inputs(text).unwrap();
		assert_eq!(inputs[0].values, Values::F32(vec![1.0, 2.5, -3.0, 4.0]));
		assert_eq!(inputs[1].values, Values::I64(vec![1, 2, 3]));
		assert_eq!(inputs[2].values, Values::Bool(vec![true, false]));
	}

	#[test]
	fn rejects_bad_json() {
		for text in [
			&br#"{"inputs":[{"name":"x","dtype":"float32","shape":[3],"data":[1,2]}]}"#[..],
			br#"{"inputs":[{"name":"x","dtype":"complex64","shape":[1],"data":[1]}]}"#,
			br#"{"inputs":[{"name":"x","dtype":"uint8","shape":[1],"data":[300]}]}"#,
			br#"{"inputs":[{"name":"x","dtype":"int64","shape":[1],"data":[1.5]}]}"#,
			br#"{"inputs":[{"name":"x","dtype":"float32","shape":[1],"data":["a"]}]}"#,
			br#"{"inputs": 3}"#,
			b"not json",
		] {
			assert!(decode_inputs(text).is_err(), "{}", String::from_utf8_lossy(text));
		}
	}

	#[test]
	fn round_trips_through_json() {
		let t = Tensor::new("y", vec![2], Values::F32(vec![0.25, -1.0])).unwrap();
		assert_eq!(from_json(to_json(&t)).unwrap(), t);
	}
}
