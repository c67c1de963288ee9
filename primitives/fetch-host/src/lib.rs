//! The `mosaic_fetch` host function: how a runtime off-chain worker has the node it executes on
//! fetch a remote blob.
//!
//! A download can take as long as a server makes it (up to
//! [`FETCH_TIMEOUT_MS`](mosaic_primitives::blob::FETCH_TIMEOUT_MS)), far longer than an
//! off-chain worker may block: a worker held by one slow server would miss every other job's
//! window. So the worker only asks, and the node downloads on its own tasks, with bounded
//! concurrency, size and time; the worker asks again in a later block, as it polls for runs.
//!
//! The native side looks up a [`FetchExt`] externalities extension, which the node registers
//! for off-chain workers only. Without it every call answers
//! [`FetchError::Unavailable`].
#![cfg_attr(not(feature = "std"), no_std)]

extern crate alloc;

use alloc::vec::Vec;
#[cfg(feature = "std")]
use codec::Decode;
use mosaic_primitives::blob::FetchError;
#[cfg(feature = "std")]
use sp_externalities::ExternalitiesExt;
use sp_runtime_interface::{
	pass_by::{AllocateAndReturnByCodec, PassFatPointerAndRead},
	runtime_interface,
};

#[cfg(feature = "std")]
pub use backend::{FetchBackend, FetchExt};

#[cfg(feature = "std")]
mod backend {
	use super::*;
	use mosaic_primitives::blob::FetchRequest;
	use std::sync::Arc;

	/// What the node provides behind the host function.
	pub trait FetchBackend: Send + Sync {
		/// `Ok` if the node has the bytes; else starts or follows a download (see
		/// [`mosaic_fetch::fetch`](super::mosaic_fetch::fetch)). Must return quickly.
		fn fetch(&self, request: FetchRequest) -> Result<(), FetchError>;
	}

	sp_externalities::decl_extension! {
		/// The node's fetch service, registered for off-chain workers only.
		pub struct FetchExt(Arc<dyn FetchBackend>);
	}
}

/// Host function available to the runtime (see the crate documentation).
#[runtime_interface]
pub trait MosaicFetch {
	/// Asks the node for the blob a SCALE-encoded `FetchRequest` describes: `Ok` once the node
	/// holds bytes of the claimed size and hash; [`FetchError::Pending`] while it downloads;
	/// a failed download's error once, after which the next call tries again.
	fn fetch(
		&mut self,
		request: PassFatPointerAndRead<Vec<u8>>,
	) -> AllocateAndReturnByCodec<Result<(), FetchError>> {
		let Some(ext) = self.extension::<FetchExt>() else {
			return Err(FetchError::Unavailable);
		};
		match mosaic_primitives::blob::FetchRequest::decode(&mut &request[..]) {
			Ok(request) => ext.0.fetch(request),
			// The runtime encodes requests itself; a malformed one is a bug, not the blob's.
			Err(_) => Err(FetchError::Unavailable),
		}
	}
}

#[cfg(test)]
mod tests {
	use super::*;
	use codec::Encode;
	use mosaic_primitives::blob::FetchRequest;
	use std::sync::{Arc, Mutex};

	/// A backend that remembers what it was asked and has every blob at the second ask.
	#[derive(Default)]
	struct SecondTime(Mutex<Vec<FetchRequest>>);

	impl FetchBackend for SecondTime {
		fn fetch(&self, request: FetchRequest) -> Result<(), FetchError> {
			let mut asked = self.0.lock().unwrap();
			let seen = asked.contains(&request);
			asked.push(request);
			if seen {
				Ok(())
			} else {
				Err(FetchError::Pending)
			}
		}
	}

	fn request() -> Vec<u8> {
		FetchRequest { hash: [7; 32], url: b"http://127.0.0.1/x".to_vec(), size: 3 }.encode()
	}

	#[test]
	fn without_the_extension_nothing_is_fetched() {
		sp_io::TestExternalities::default().execute_with(|| {
			assert_eq!(mosaic_fetch::fetch(request()), Err(FetchError::Unavailable));
		});
	}

	#[test]
	fn requests_go_through_the_extension() {
		let backend = Arc::new(SecondTime::default());
		let mut ext = sp_io::TestExternalities::default();
		ext.register_extension(FetchExt(backend.clone()));
		ext.execute_with(|| {
			assert_eq!(mosaic_fetch::fetch(request()), Err(FetchError::Pending));
			assert_eq!(mosaic_fetch::fetch(request()), Ok(()));
			assert_eq!(mosaic_fetch::fetch(vec![0xff]), Err(FetchError::Unavailable));
		});
		assert_eq!(backend.0.lock().unwrap()[0].url, b"http://127.0.0.1/x");
	}
}
