//! The draw of a job's workers, as a pure function: distinct picks, weighted by stake,
//! determined by the seed.

use super::*;

fn seed(n: u32) -> [u8; 32] {
	n.using_encoded(sp_io::hashing::blake2_256)
}

#[test]
fn draws_are_distinct_and_determined_by_the_seed() {
	let candidates: Vec<(u64, u128)> = (0..10).map(|w| (w, 100)).collect();
	let a = draw_by_stake(candidates.clone(), 5, &seed(1));
	assert_eq!(a.len(), 5);
	let mut sorted = a.clone();
	sorted.sort();
	sorted.dedup();
	assert_eq!(sorted.len(), 5, "no candidate is drawn twice");
	assert_eq!(draw_by_stake(candidates.clone(), 5, &seed(1)), a);
	assert_ne!(draw_by_stake(candidates, 5, &seed(2)), a);
}

#[test]
fn fewer_candidates_than_asked_yields_them_all() {
	let mut drawn = draw_by_stake(vec![(1u64, 5), (2, 0), (3, 7)], 5, &seed(3));
	drawn.sort();
	assert_eq!(drawn, vec![1, 2, 3]);
	assert!(draw_by_stake(Vec::<(u64, u128)>::new(), 3, &seed(3)).is_empty());
}

#[test]
fn zero_stake_is_drawn_only_when_nothing_else_is_left() {
	for n in 0..200 {
		let drawn = draw_by_stake(vec![(1u64, 0), (2, 50), (3, 50)], 2, &seed(n));
		assert!(!drawn.contains(&1), "seed {n} drew a zero stake before the others");
	}
}

#[test]
fn picks_follow_stake() {
	// One candidate holds 3/4 of the stake: over 4,000 single draws it is picked about
	// 3,000 times (a binomial with standard deviation about 27).
	let candidates = vec![(1u64, 300u128), (2, 50), (3, 50)];
	let heavy = (0..4_000)
		.filter(|n| draw_by_stake(candidates.clone(), 1, &seed(*n)) == vec![1])
		.count();
	assert!((2_850..=3_150).contains(&heavy), "heavy candidate drawn {heavy} times of 4000");
}
