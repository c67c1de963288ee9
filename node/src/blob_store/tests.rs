//! The blob files: what is kept, what never is, and what survives a restart.

use super::*;

/// A directory of its own under the system's temporary one, removed when dropped.
pub(crate) struct TempDir(pub PathBuf);

impl TempDir {
	pub(crate) fn new(name: &str) -> TempDir {
		let dir = std::env::temp_dir().join(format!(
			"mosaic-blob-files-{name}-{}-{}",
			std::process::id(),
			unique()
		));
		let _ = fs::remove_dir_all(&dir);
		TempDir(dir)
	}
}

impl Drop for TempDir {
	fn drop(&mut self) {
		let _ = fs::remove_dir_all(&self.0);
	}
}

fn bytes(n: usize, seed: u8) -> Vec<u8> {
	(0..n).map(|i| (i as u8).wrapping_mul(31).wrapping_add(seed)).collect()
}

/// Writes `bytes` as blob `hash` in pieces of `piece` bytes.
fn write(
	files: &Arc<FileBlobs>,
	hash: BlobHash,
	bytes: &[u8],
	piece: usize,
) -> Result<(), FetchError> {
	let mut partial = files.begin(hash, bytes.len() as u64)?;
	for p in bytes.chunks(piece) {
		partial.write(p)?;
	}
	partial.finish()
}

fn partial_files(dir: &TempDir) -> usize {
	fs::read_dir(dir.0.join("partial")).unwrap().count()
}

#[test]
fn a_blob_written_in_pieces_is_kept_under_its_hash() {
	let dir = TempDir::new("kept");
	let files = FileBlobs::open(&dir.0, BlobFileLimits::default()).unwrap();
	let blob = bytes(3 << 20, 1);
	let hash = content_hash(&blob);
	assert!(!files.holds(&hash));
	assert_eq!(write(&files, hash, &blob, 64 << 10), Ok(()));
	assert!(files.holds(&hash));
	assert_eq!(files.read(&hash), Some(blob.clone()));
	assert_eq!(files.held(), vec![(hash, blob.len() as u64)]);
	assert_eq!(fs::read(dir.0.join(hex(&hash))).unwrap(), blob);
	assert_eq!(partial_files(&dir), 0);
}

#[test]
fn bytes_that_are_not_the_claimed_ones_leave_no_file() {
	let dir = TempDir::new("refused");
	let files = FileBlobs::open(&dir.0, BlobFileLimits::default()).unwrap();
	let claimed = bytes(1000, 2);
	let hash = content_hash(&claimed);
	assert_eq!(write(&files, hash, &bytes(1000, 3), 100), Err(FetchError::HashMismatch));
	let mut short = files.begin(hash, 1000).unwrap();
	short.write(&claimed[..999]).unwrap();
	assert_eq!(short.finish(), Err(FetchError::WrongSize));
	let mut long = files.begin(hash, 1000).unwrap();
	long.write(&claimed).unwrap();
	assert_eq!(long.write(&[0]), Err(FetchError::TooLarge));
	drop(long);
	// Abandoned half way (a download that timed out).
	let mut abandoned = files.begin(hash, 1000).unwrap();
	abandoned.write(&claimed[..500]).unwrap();
	assert_eq!(partial_files(&dir), 1);
	drop(abandoned);

	assert!(!files.holds(&hash));
	assert_eq!(partial_files(&dir), 0);
	assert_eq!(fs::read_dir(&dir.0).unwrap().count(), 1, "only partial/");
}

/// A node keeps no blob larger than all it keeps: `Busy`, not a rejection of the blob (another
/// node may keep it).
#[test]
fn a_blob_larger_than_the_node_keeps_is_busy_not_rejected() {
	let dir = TempDir::new("large");
	let files = FileBlobs::open(&dir.0, BlobFileLimits { bytes: 100, blobs: 10 }).unwrap();
	let Err(e) = files.begin([1; 32], 101) else { panic!("a 101-byte blob begun") };
	assert_eq!(e, FetchError::Busy);
	assert!(!e.is_rejection());
}

#[test]
fn files_are_bounded_and_the_least_recently_used_go_first() {
	let dir = TempDir::new("bounded");
	let files = FileBlobs::open(&dir.0, BlobFileLimits { bytes: 120, blobs: 10 }).unwrap();
	let blobs: Vec<_> = (0..3).map(|seed| bytes(50, 20 + seed)).collect();
	let [a, b, c] = [0, 1, 2].map(|i| content_hash(&blobs[i]));
	assert_eq!(write(&files, a, &blobs[0], 50), Ok(()));
	assert_eq!(write(&files, b, &blobs[1], 50), Ok(()));
	assert!(files.read(&a).is_some(), "used again: now b is the least recent");
	assert_eq!(write(&files, c, &blobs[2], 50), Ok(()));
	assert_eq!(files.held(), vec![(a, 50), (c, 50)], "150 bytes would pass 120");
	assert!(!dir.0.join(hex(&b)).exists(), "its file is gone");

	let counted = TempDir::new("counted");
	let files = FileBlobs::open(&counted.0, BlobFileLimits { bytes: 1000, blobs: 2 }).unwrap();
	for (hash, blob) in [a, b, c].iter().zip(&blobs) {
		assert_eq!(write(&files, *hash, blob, 7), Ok(()));
	}
	assert_eq!(files.held(), vec![(b, 50), (c, 50)]);
}

/// Reopened (the node restarted), the store finds its files in the order they were last used,
/// and sweeps what a crash left half written.
#[test]
fn a_restart_keeps_the_files_and_their_order_and_sweeps_partial_ones() {
	let dir = TempDir::new("restart");
	let blobs: Vec<_> = (0..2).map(|seed| bytes(40, 30 + seed)).collect();
	let [a, b] = [0, 1].map(|i| content_hash(&blobs[i]));
	{
		let files = FileBlobs::open(&dir.0, BlobFileLimits::default()).unwrap();
		assert_eq!(write(&files, a, &blobs[0], 40), Ok(()));
		assert_eq!(write(&files, b, &blobs[1], 40), Ok(()));
		std::thread::sleep(std::time::Duration::from_millis(20));
		files.touch(&a);
		// A crash mid-download: the partial file stays on disk.
		let mut crashed = files.begin([9; 32], 100).unwrap();
		crashed.write(&[1; 10]).unwrap();
		std::mem::forget(crashed);
		fs::write(dir.0.join("notes.txt"), b"not a blob").unwrap();
	}
	assert_eq!(partial_files(&dir), 1);
	let files = FileBlobs::open(&dir.0, BlobFileLimits::default()).unwrap();
	assert_eq!(files.held(), vec![(b, 40), (a, 40)]);
	assert_eq!(partial_files(&dir), 0);
	assert!(dir.0.join("notes.txt").exists(), "files that are not blobs are left alone");
}

/// A file altered on disk is not served: it is removed when read.
#[test]
fn an_altered_file_is_removed_not_served() {
	let dir = TempDir::new("altered");
	let files = FileBlobs::open(&dir.0, BlobFileLimits::default()).unwrap();
	let blob = bytes(64, 40);
	let hash = content_hash(&blob);
	assert_eq!(write(&files, hash, &blob, 64), Ok(()));
	fs::write(dir.0.join(hex(&hash)), bytes(64, 41)).unwrap();
	assert_eq!(files.read(&hash), None);
	assert!(!files.holds(&hash));
	assert!(!dir.0.join(hex(&hash)).exists());
}
