//! Commitments and the digests workers commit to.

use super::*;

/// Domain separator of error outcomes' digests.
const ERROR_DOMAIN: &[u8] = b"mosaic/executor-error/v1";
/// Domain separator of abstentions' digests.
const ABSTAIN_DOMAIN: &[u8] = b"mosaic/could-not-run/v1";
/// Domain separator of commitments.
const COMMIT_DOMAIN: &[u8] = b"mosaic/job-commitment/v1";

/// The digest a worker commits to for an executor error.
pub fn error_digest(code: u16, model_fault: bool) -> Digest {
	let mut bytes = Vec::with_capacity(ERROR_DOMAIN.len() + 3);
	bytes.extend_from_slice(ERROR_DOMAIN);
	bytes.extend_from_slice(&code.to_le_bytes());
	bytes.push(model_fault as u8);
	sp_io::hashing::blake2_256(&bytes)
}

/// The digest a worker commits to when it could not run a job ([`Outcome::CouldNotRun`]).
pub fn could_not_run_digest(code: u16) -> Digest {
	let mut bytes = Vec::with_capacity(ABSTAIN_DOMAIN.len() + 2);
	bytes.extend_from_slice(ABSTAIN_DOMAIN);
	bytes.extend_from_slice(&code.to_le_bytes());
	sp_io::hashing::blake2_256(&bytes)
}

/// The commitment a worker submits: `blake2_256(domain ++ digest ++ salt ++ worker)`. Binding
/// the worker's account means nobody can copy another worker's commitment.
pub fn commitment<AccountId: Encode>(digest: &Digest, salt: &Salt, worker: &AccountId) -> Digest {
	let mut bytes = Vec::with_capacity(COMMIT_DOMAIN.len() + 64 + 32);
	bytes.extend_from_slice(COMMIT_DOMAIN);
	bytes.extend_from_slice(digest);
	bytes.extend_from_slice(salt);
	worker.encode_to(&mut bytes);
	sp_io::hashing::blake2_256(&bytes)
}

impl<T: Config> Pallet<T> {
	/// The digest an outcome commits to.
	pub fn outcome_digest(outcome: &OutcomeOf<T>, precision: u8) -> Result<Digest, DispatchError> {
		match outcome {
			Outcome::Outputs(outputs) => {
				let values: u64 = outputs.iter().map(|o| o.elements.len() as u64).sum();
				ensure!(values <= T::MaxOutputValues::get() as u64, Error::<T>::OutputsTooLarge);
				mosaic_primitives::digest::canonical_digest(&to_quantized(outputs), precision)
					.map_err(|_| Error::<T>::MalformedOutputs.into())
			},
			Outcome::Digest(digest) => Ok(*digest),
			Outcome::Error { code, model_fault } => Ok(error_digest(*code, *model_fault)),
			Outcome::CouldNotRun { code } => Ok(could_not_run_digest(*code)),
		}
	}
}
