//! The `mosaic_onnx` host functions: how a runtime off-chain worker runs an ONNX model on
//! the node it executes on.
//!
//! The runtime is Wasm and cannot run tract, so it asks the node. The native side looks up
//! an [`OnnxExt`] externalities extension, which the node registers for off-chain workers
//! only: block import and execution never see it, so consensus can never depend on a model
//! run. Without the extension every call answers "unavailable".
//!
//! Runs can take longer than an off-chain worker should block, so the interface is
//! start/poll: `start` queues a run and returns at once, a later off-chain worker run
//! `poll`s for the result by ticket.
#![cfg_attr(not(feature = "std"), no_std)]

extern crate alloc;

use alloc::vec::Vec;
#[cfg(feature = "std")]
use codec::Decode;
use mosaic_primitives::onnx::{RunStatus, StartError, Ticket};
#[cfg(feature = "std")]
use sp_externalities::ExternalitiesExt;
use sp_runtime_interface::{
	pass_by::{AllocateAndReturnByCodec, PassFatPointerAndRead, PassPointerAndRead},
	runtime_interface,
};

#[cfg(feature = "std")]
pub use backend::{OnnxBackend, OnnxExt};

#[cfg(feature = "std")]
mod backend {
	use super::*;
	use mosaic_primitives::onnx::RunRequest;
	use std::sync::Arc;

	/// What the node provides behind the host functions.
	pub trait OnnxBackend: Send + Sync {
		/// Queues a run; must return quickly.
		fn start(&self, request: RunRequest) -> Result<(), StartError>;
		/// Reports a run's state; a finished run is handed over once.
		fn poll(&self, ticket: Ticket) -> RunStatus;
		/// Drops a run that has not started; one in progress finishes as usual.
		fn cancel(&self, ticket: Ticket);
	}

	sp_externalities::decl_extension! {
		/// The node's executor, registered for off-chain workers only.
		pub struct OnnxExt(Arc<dyn OnnxBackend>);
	}
}

/// Host functions available to the runtime (see the crate documentation).
#[runtime_interface]
pub trait MosaicOnnx {
	/// Queues a run described by a SCALE-encoded `RunRequest`.
	fn start(
		&mut self,
		request: PassFatPointerAndRead<Vec<u8>>,
	) -> AllocateAndReturnByCodec<Result<(), StartError>> {
		let Some(ext) = self.extension::<OnnxExt>() else {
			return Err(StartError::Unavailable);
		};
		match mosaic_primitives::onnx::RunRequest::decode(&mut &request[..]) {
			Ok(request) => ext.0.start(request),
			// The runtime encodes requests itself; a malformed one is a bug, not a job error.
			Err(_) => Err(StartError::Unavailable),
		}
	}

	/// The state of the run with `ticket`.
	fn poll(
		&mut self,
		ticket: PassPointerAndRead<&Ticket, 32>,
	) -> AllocateAndReturnByCodec<RunStatus> {
		match self.extension::<OnnxExt>() {
			Some(ext) => ext.0.poll(*ticket),
			None => RunStatus::Unknown,
		}
	}

	/// Drops the run with `ticket` if it has not started (the worker gave up waiting for
	/// it); a run in progress finishes, and its result is kept as any other.
	fn cancel(&mut self, ticket: PassPointerAndRead<&Ticket, 32>) {
		if let Some(ext) = self.extension::<OnnxExt>() {
			ext.0.cancel(*ticket);
		}
	}

	/// Whether this context can run models at all (an off-chain worker on a node with an
	/// executor).
	fn available(&mut self) -> bool {
		self.extension::<OnnxExt>().is_some()
	}
}

#[cfg(test)]
mod tests {
	use super::*;
	use codec::Encode;
	use mosaic_primitives::onnx::{InputFormat, InputSource, RunRequest, RunResult, RunTask};
	use std::sync::{Arc, Mutex};

	/// A backend that finishes every run at once with a digest derived from its ticket.
	#[derive(Default)]
	struct Instant(Mutex<Vec<Ticket>>);

	impl OnnxBackend for Instant {
		fn start(&self, request: RunRequest) -> Result<(), StartError> {
			let mut queued = self.0.lock().unwrap();
			if queued.contains(&request.ticket) {
				return Err(StartError::DuplicateTicket);
			}
			queued.push(request.ticket);
			Ok(())
		}

		fn poll(&self, ticket: Ticket) -> RunStatus {
			let mut queued = self.0.lock().unwrap();
			match queued.iter().position(|t| *t == ticket) {
				Some(i) => {
					queued.remove(i);
					RunStatus::Done(RunResult { digest: ticket, outputs: Vec::new() })
				},
				None => RunStatus::Unknown,
			}
		}

		fn cancel(&self, ticket: Ticket) {
			self.0.lock().unwrap().retain(|t| *t != ticket);
		}
	}

	fn request(ticket: u8) -> Vec<u8> {
		RunRequest {
			ticket: [ticket; 32],
			model: [9; 32],
			input: InputSource::Inline(vec![1, 2, 3]),
			format: InputFormat::Npy,
			precision: 4,
			task: RunTask::Infer,
		}
		.encode()
	}

	#[test]
	fn without_the_extension_nothing_runs() {
		sp_io::TestExternalities::default().execute_with(|| {
			assert!(!mosaic_onnx::available());
			assert_eq!(mosaic_onnx::start(request(1)), Err(StartError::Unavailable));
			assert_eq!(mosaic_onnx::poll(&[1; 32]), RunStatus::Unknown);
		});
	}

	#[test]
	fn start_then_poll_goes_through_the_extension() {
		let mut ext = sp_io::TestExternalities::default();
		ext.register_extension(OnnxExt(Arc::new(Instant::default())));
		ext.execute_with(|| {
			assert!(mosaic_onnx::available());
			assert_eq!(mosaic_onnx::start(request(7)), Ok(()));
			assert_eq!(mosaic_onnx::start(request(7)), Err(StartError::DuplicateTicket));
			assert_eq!(
				mosaic_onnx::poll(&[7; 32]),
				RunStatus::Done(RunResult { digest: [7; 32], outputs: Vec::new() })
			);
			assert_eq!(mosaic_onnx::poll(&[7; 32]), RunStatus::Unknown, "collected once");
			assert_eq!(mosaic_onnx::start(vec![0xff]), Err(StartError::Unavailable));
		});
	}
}
