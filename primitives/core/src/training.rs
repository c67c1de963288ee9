//! Training results: how agreed (quantised) trained parameters become a parameter blob.
//!
//! Workers agree on the quantised parameters of a training run, not on raw floats. The
//! parameter blob is made from those quantised values alone, so every node that agrees
//! builds byte for byte the same blob, and the runtime can build it from a reveal.

use alloc::vec::Vec;
use codec::Encode;

use crate::{
	digest::{ElementType, QuantizedTensor},
	onnx::InputTensor,
};

/// Name of the per-epoch loss curve among a training run's outputs (it is not a parameter).
pub const LOSS_CURVE: &str = "loss_curve";
/// Name of a training run's report of its dataset's rows (`i64`, one value): what a round
/// weighs a public shard by, measured by the job's quorum rather than declared by its owner.
pub const DATASET_ROWS: &str = "dataset_rows";
/// Suffix of a parameter's updated value among a training-step graph's outputs.
pub const NEXT_SUFFIX: &str = "_next";

/// Outputs of training and aggregation runs that are reports, not parameters.
pub const REPORT_OUTPUTS: [&str; 5] = [
	LOSS_CURVE,
	DATASET_ROWS,
	crate::rounds::VERDICTS,
	crate::rounds::VALIDATION_LOSS,
	crate::rounds::UPDATE_NORMS,
];

/// The parameter blob of a training or aggregation result: its outputs but the reports
/// ([`REPORT_OUTPUTS`]), as a SCALE
/// `Vec<InputTensor>` of `f32` values `q / 10^precision`. `None` if an output is not a
/// float tensor or its shape does not match its values.
pub fn parameters_blob(outputs: &[QuantizedTensor], precision: u8) -> Option<Vec<u8>> {
	let mut scale = 1f64;
	for _ in 0..precision {
		scale *= 10.0;
	}
	let mut tensors = Vec::with_capacity(outputs.len());
	let is_report = |name: &[u8]| REPORT_OUTPUTS.iter().any(|r| r.as_bytes() == name);
	for output in outputs.iter().filter(|o| !is_report(&o.name)) {
		if !matches!(output.element_type, ElementType::F32 | ElementType::F64) {
			return None;
		}
		let count = output.shape.iter().try_fold(1u64, |acc, d| acc.checked_mul(*d))?;
		if count != output.values.len() as u64 {
			return None;
		}
		let mut data = Vec::with_capacity(output.values.len() * 4);
		for q in &output.values {
			// Division is correctly rounded in IEEE 754, in Wasm as natively: deterministic.
			data.extend_from_slice(&(((*q as f64) / scale) as f32).to_le_bytes());
		}
		tensors.push(InputTensor {
			name: output.name.clone(),
			element_type: ElementType::F32,
			shape: output.shape.clone(),
			data,
		});
	}
	(!tensors.is_empty()).then(|| tensors.encode())
}

#[cfg(test)]
mod tests {
	use super::*;
	use codec::Decode;

	fn tensor(name: &[u8], values: Vec<i64>) -> QuantizedTensor {
		QuantizedTensor {
			name: name.to_vec(),
			element_type: ElementType::F32,
			shape: alloc::vec![values.len() as u64],
			values,
		}
	}

	#[test]
	fn the_blob_holds_the_dequantised_parameters_without_the_reports() {
		let mut verdicts = tensor(b"update_verdicts", alloc::vec![1, 0]);
		verdicts.element_type = ElementType::I64;
		let outputs = [
			tensor(b"w", alloc::vec![1500, -25]),
			tensor(b"loss_curve", alloc::vec![7]),
			verdicts,
			tensor(b"validation_loss", alloc::vec![3, 2, 9]),
			tensor(b"update_norms", alloc::vec![4, 5]),
		];
		let blob = parameters_blob(&outputs, 3).unwrap();
		let decoded = Vec::<InputTensor>::decode(&mut &blob[..]).unwrap();
		assert_eq!(decoded.len(), 1);
		assert_eq!(decoded[0].name, b"w");
		let values: Vec<f32> = decoded[0]
			.data
			.chunks(4)
			.map(|c| f32::from_le_bytes(c.try_into().unwrap()))
			.collect();
		assert_eq!(values, [1.5, -0.025]);
	}

	#[test]
	fn integer_or_malformed_outputs_make_no_blob() {
		let mut ints = tensor(b"w", alloc::vec![1]);
		ints.element_type = ElementType::I64;
		assert_eq!(parameters_blob(&[ints], 3), None);
		let mut bad = tensor(b"w", alloc::vec![1, 2]);
		bad.shape = alloc::vec![3];
		assert_eq!(parameters_blob(&[bad], 3), None);
		assert_eq!(parameters_blob(&[tensor(b"loss_curve", alloc::vec![1])], 3), None);
	}
}
