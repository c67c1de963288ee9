//! The blobs this node got itself (today the remote blobs its fetch service downloaded), one
//! file each, `<dir>/<hex hash>`: not values in the off-chain database, which reads and writes
//! a value whole and so would hold a blob of gigabytes in memory at once, more than once.
//!
//! A blob is written to `<dir>/partial/` piece by piece ([`Partial`]) while its hash is
//! computed, and moved into place only if its size and hash are the claimed ones: a file under
//! its hash's name always holds those bytes (unless someone edits it, which
//! [`FileBlobs::read`] checks). `partial/` is emptied at every start, so a crash mid-download
//! leaves nothing behind. The files are kept within [`BlobFileLimits`], least recently used
//! evicted first; use order is the files' modification times, so it survives restarts.

#[cfg(test)]
pub(crate) mod tests;

use std::{
	fs::{self, File},
	io::{self, BufWriter, Write},
	path::{Path, PathBuf},
	sync::{Arc, Mutex},
	time::SystemTime,
};

use mosaic_executor::{content_hash, ContentHasher};
use mosaic_primitives::blob::{BlobHash, FetchError};

use crate::executor_service::{hex, lock};

/// How much the node keeps in blob files.
#[derive(Clone, Copy, Debug)]
pub struct BlobFileLimits {
	/// Bytes of all files together; a blob larger than this is not kept at all.
	pub bytes: u64,
	/// Files, whatever their sizes.
	pub blobs: usize,
}

impl Default for BlobFileLimits {
	fn default() -> Self {
		BlobFileLimits { bytes: 32 << 30, blobs: 4096 }
	}
}

/// The node's blob files (see the module documentation). Shared: clones of the `Arc` read and
/// write the same directory.
pub struct FileBlobs {
	dir: PathBuf,
	partial: PathBuf,
	limits: BlobFileLimits,
	/// Every file's hash and size, least recently used first.
	held: Mutex<Vec<(BlobHash, u64)>>,
}

impl FileBlobs {
	/// Opens (creating it if needed) the store in `dir`: empties `partial/` and lists the
	/// files there are, by last use. Files whose names are not hashes are left alone.
	pub fn open(dir: impl Into<PathBuf>, limits: BlobFileLimits) -> io::Result<Arc<Self>> {
		let dir = dir.into();
		let partial = dir.join("partial");
		if partial.exists() {
			fs::remove_dir_all(&partial)?;
		}
		fs::create_dir_all(&partial)?;
		let mut held = Vec::new();
		for entry in fs::read_dir(&dir)? {
			let entry = entry?;
			let Some(hash) = entry.file_name().to_str().and_then(parse_hash) else { continue };
			let metadata = entry.metadata()?;
			if metadata.is_file() {
				let used = metadata.modified().unwrap_or(SystemTime::UNIX_EPOCH);
				held.push((used, hash, metadata.len()));
			}
		}
		held.sort();
		let held = held.into_iter().map(|(_, hash, size)| (hash, size)).collect();
		Ok(Arc::new(FileBlobs { dir, partial, limits, held: Mutex::new(held) }))
	}

	/// Whether a file holds blob `hash`.
	pub fn holds(&self, hash: &BlobHash) -> bool {
		lock(&self.held).iter().any(|(h, _)| h == hash)
	}

	/// The size of blob `hash`, if a file holds it.
	pub fn size(&self, hash: &BlobHash) -> Option<u64> {
		lock(&self.held).iter().find(|(h, _)| h == hash).map(|(_, size)| *size)
	}

	/// Up to `length` bytes of blob `hash` from `offset` (fewer at its end), unchecked: for
	/// serving pieces, which their receiver checks against the whole blob's hash.
	pub fn read_at(&self, hash: &BlobHash, offset: u64, length: u64) -> Option<Vec<u8>> {
		use std::os::unix::fs::FileExt;
		let size = self.size(hash)?;
		let length = length.min(size.saturating_sub(offset)) as usize;
		let mut bytes = vec![0; length];
		File::open(self.path(hash)).ok()?.read_exact_at(&mut bytes, offset).ok()?;
		Some(bytes)
	}

	/// Every file's hash and size, least recently used first.
	#[cfg(test)]
	pub fn held(&self) -> Vec<(BlobHash, u64)> {
		lock(&self.held).clone()
	}

	/// The bytes of blob `hash`, checked against it, and marks it used; `None` if no file holds
	/// it (a file whose bytes are not the blob's is removed).
	pub fn read(&self, hash: &BlobHash) -> Option<Vec<u8>> {
		if !self.holds(hash) {
			return None;
		}
		let bytes = fs::read(self.path(hash)).ok();
		match bytes {
			Some(bytes) if content_hash(&bytes) == *hash => {
				self.touch(hash);
				Some(bytes)
			},
			_ => {
				log::warn!(target: "mosaic-blobs", "blob file 0x{} unreadable or altered: removed", hex(hash));
				self.forget(hash);
				None
			},
		}
	}

	/// Marks blob `hash` as just used (nothing if no file holds it).
	pub fn touch(&self, hash: &BlobHash) {
		let mut held = lock(&self.held);
		let Some(at) = held.iter().position(|(h, _)| h == hash) else { return };
		let entry = held.remove(at);
		held.push(entry);
		drop(held);
		// The order after a restart; in-memory order is what counts until then.
		let _ = File::options()
			.write(true)
			.open(self.path(hash))
			.and_then(|file| file.set_modified(SystemTime::now()));
	}

	/// Starts writing blob `hash`, claimed to be `size` bytes. [`FetchError::Busy`] if this node
	/// keeps no blob that large, or cannot write (a node's own limits never reject a blob).
	pub fn begin(self: &Arc<Self>, hash: BlobHash, size: u64) -> Result<Partial, FetchError> {
		if size > self.limits.bytes {
			log::info!(target: "mosaic-blobs", "blob 0x{}: {size} bytes, more than this node keeps", hex(&hash[..4]));
			return Err(FetchError::Busy);
		}
		let path = self.partial.join(format!("{}.{}", hex(&hash), unique()));
		let file = File::create(&path).map_err(|e| local_failure(&hash, e))?;
		Ok(Partial {
			files: self.clone(),
			hash,
			size,
			written: 0,
			hasher: ContentHasher::default(),
			file: Some(BufWriter::with_capacity(1 << 20, file)),
			path,
		})
	}

	fn path(&self, hash: &BlobHash) -> PathBuf {
		self.dir.join(hex(hash))
	}

	/// Moves the checked file at `from` into place as blob `hash` of `size` bytes, evicting
	/// the least recently used files first.
	fn admit(&self, hash: BlobHash, size: u64, from: &Path) -> io::Result<()> {
		let mut held = lock(&self.held);
		held.retain(|(h, _)| *h != hash);
		let mut total: u64 = held.iter().map(|(_, n)| n).sum();
		while !held.is_empty()
			&& (total.saturating_add(size) > self.limits.bytes || held.len() >= self.limits.blobs)
		{
			let (old, n) = held.remove(0);
			total = total.saturating_sub(n);
			// A reader that opened it keeps reading: unlinking spares open files.
			let _ = fs::remove_file(self.path(&old));
		}
		fs::rename(from, self.path(&hash))?;
		held.push((hash, size));
		Ok(())
	}

	fn forget(&self, hash: &BlobHash) {
		lock(&self.held).retain(|(h, _)| h != hash);
		let _ = fs::remove_file(self.path(hash));
	}
}

/// A blob being written (see [`FileBlobs::begin`]): bytes in order, then
/// [`Partial::finish`]. Dropped unfinished, its file is removed.
pub struct Partial {
	files: Arc<FileBlobs>,
	hash: BlobHash,
	size: u64,
	written: u64,
	hasher: ContentHasher,
	file: Option<BufWriter<File>>,
	path: PathBuf,
}

impl Partial {
	/// Appends `piece`. [`FetchError::TooLarge`] once the bytes pass the claimed size.
	pub fn write(&mut self, piece: &[u8]) -> Result<(), FetchError> {
		self.written = self.written.saturating_add(piece.len() as u64);
		if self.written > self.size {
			return Err(FetchError::TooLarge);
		}
		self.hasher.update(piece);
		let file = self.file.as_mut().ok_or(FetchError::Busy)?;
		file.write_all(piece).map_err(|e| local_failure(&self.hash, e))
	}

	/// Keeps the blob if its bytes are the claimed size ([`FetchError::WrongSize`]) and hash
	/// ([`FetchError::HashMismatch`]); synced to disk before it takes the blob's name.
	pub fn finish(mut self) -> Result<(), FetchError> {
		if self.written != self.size {
			return Err(FetchError::WrongSize);
		}
		let hasher = core::mem::take(&mut self.hasher);
		if hasher.finish() != self.hash {
			return Err(FetchError::HashMismatch);
		}
		let file = self.file.take().ok_or(FetchError::Busy)?;
		let hash = self.hash;
		file.into_inner()
			.map_err(|e| e.into_error())
			.and_then(|file| file.sync_all())
			.and_then(|()| self.files.admit(hash, self.size, &self.path))
			.map_err(|e| local_failure(&hash, e))
	}
}

impl Drop for Partial {
	fn drop(&mut self) {
		self.file = None;
		// Gone already once admitted.
		let _ = fs::remove_file(&self.path);
	}
}

fn local_failure(hash: &BlobHash, e: io::Error) -> FetchError {
	log::warn!(target: "mosaic-blobs", "blob 0x{}: cannot write its file: {e}", hex(&hash[..4]));
	FetchError::Busy
}

fn parse_hash(name: &str) -> Option<BlobHash> {
	if name.len() != 64 {
		return None;
	}
	let mut hash = [0u8; 32];
	for (i, byte) in hash.iter_mut().enumerate() {
		*byte = u8::from_str_radix(name.get(2 * i..2 * i + 2)?, 16).ok()?;
	}
	Some(hash)
}

/// A name part no other partial file of this process has: two downloads of one blob (which
/// the fetch service does not start, but a peer protocol might) never share a file.
fn unique() -> u64 {
	use std::sync::atomic::{AtomicU64, Ordering};
	static NEXT: AtomicU64 = AtomicU64::new(0);
	NEXT.fetch_add(1, Ordering::Relaxed)
}
