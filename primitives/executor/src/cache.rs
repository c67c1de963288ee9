//! A least-recently-used cache bounded by the memory its entries claim.

use std::collections::{HashMap, VecDeque};

/// Cache from a content hash to a value that costs `bytes` of memory.
pub struct LruCache<V> {
	entries: HashMap<[u8; 32], (V, usize)>,
	/// Keys, least recently used first.
	order: VecDeque<[u8; 32]>,
	used: usize,
	capacity: usize,
}

impl<V: Clone> LruCache<V> {
	/// An empty cache that holds at most `capacity` bytes.
	pub fn new(capacity: usize) -> Self {
		Self { entries: HashMap::new(), order: VecDeque::new(), used: 0, capacity }
	}

	/// The value for `key`, marking it most recently used.
	pub fn get(&mut self, key: &[u8; 32]) -> Option<V> {
		let value = self.entries.get(key).map(|(v, _)| v.clone())?;
		self.touch(key);
		Some(value)
	}

	/// Inserts `value`, evicting least recently used entries until it fits. A value larger
	/// than the whole capacity is not cached.
	pub fn insert(&mut self, key: [u8; 32], value: V, bytes: usize) {
		if bytes > self.capacity {
			return;
		}
		if let Some((_, old)) = self.entries.remove(&key) {
			self.used -= old;
			self.order.retain(|k| *k != key);
		}
		while self.used + bytes > self.capacity {
			let Some(oldest) = self.order.pop_front() else { break };
			if let Some((_, freed)) = self.entries.remove(&oldest) {
				self.used -= freed;
			}
		}
		self.entries.insert(key, (value, bytes));
		self.order.push_back(key);
		self.used += bytes;
	}

	/// Whether `key` is cached (without marking it used).
	pub fn contains(&self, key: &[u8; 32]) -> bool {
		self.entries.contains_key(key)
	}

	/// Bytes the cached entries claim.
	pub fn used_bytes(&self) -> usize {
		self.used
	}

	/// Number of cached entries.
	pub fn len(&self) -> usize {
		self.entries.len()
	}

	/// Whether the cache is empty.
	pub fn is_empty(&self) -> bool {
		self.entries.is_empty()
	}

	fn touch(&mut self, key: &[u8; 32]) {
		if let Some(pos) = self.order.iter().position(|k| k == key) {
			self.order.remove(pos);
			self.order.push_back(*key);
		}
	}
}

#[cfg(test)]
mod tests {
	use super::*;

	fn key(n: u8) -> [u8; 32] {
		[n; 32]
	}

	#[test]
	fn evicts_least_recently_used_first() {
		let mut cache = LruCache::new(100);
		cache.insert(key(1), "one", 40);
		cache.insert(key(2), "two", 40);
		assert_eq!(cache.get(&key(1)), Some("one"));
		cache.insert(key(3), "three", 40);
		assert_eq!(cache.get(&key(2)), None, "2 was least recently used");
		assert_eq!(cache.get(&key(1)), Some("one"));
		assert_eq!(cache.get(&key(3)), Some("three"));
		assert_eq!(cache.used_bytes(), 80);
	}

	#[test]
	fn never_exceeds_capacity() {
		let mut cache = LruCache::new(100);
		for n in 0..50u8 {
			cache.insert(key(n), n, 7 + (n as usize % 13));
			assert!(cache.used_bytes() <= 100);
		}
		cache.insert(key(200), 200, 101);
		assert_eq!(cache.get(&key(200)), None, "larger than capacity is not cached");
	}

	#[test]
	fn reinserting_replaces_the_entry() {
		let mut cache = LruCache::new(100);
		cache.insert(key(1), 1, 60);
		cache.insert(key(1), 2, 30);
		assert_eq!(cache.len(), 1);
		assert_eq!(cache.used_bytes(), 30);
		assert_eq!(cache.get(&key(1)), Some(2));
	}
}
