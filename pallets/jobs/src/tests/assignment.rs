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

#[test]
fn picks_follow_stake_over_several_seats() {
	// Successive sampling: with stakes 2:1:1 and two seats, the heavy candidate is drawn with
	// probability 1/2 + 1/4 * 2/3 * 2 = 5/6 (3,333 of 4,000, standard deviation about 24).
	let candidates = vec![(1u64, 200u128), (2, 100), (3, 100)];
	let heavy = (0..4_000)
		.filter(|n| draw_by_stake(candidates.clone(), 2, &seed(*n)).contains(&1))
		.count();
	assert!((3_210..=3_460).contains(&heavy), "heavy candidate drawn {heavy} times of 4000");
}

#[test]
fn a_candidate_changing_its_own_stake_or_leaving_re_rolls_nobody_else() {
	// Against an author who knows the draw's randomness before it fixes the state the draw
	// reads: changing one's stake by a planck, or pausing one's worker, must not give the
	// others a new draw. It moves the candidate's own clock only.
	let candidates: Vec<(u64, u128)> = (0..10).map(|w| (w, 1_000 + w as u128)).collect();
	for n in 0..300 {
		let drawn = draw_by_stake(candidates.clone(), 3, &seed(n));
		for who in 0..10u64 {
			let others = |d: &[u64]| d.iter().copied().filter(|w| *w != who).collect::<Vec<_>>();
			let mut changed = candidates.clone();
			changed[who as usize].1 += 1;
			let after = draw_by_stake(changed, 3, &seed(n));
			if drawn.contains(&who) {
				assert!(after.contains(&who), "seed {n}: more stake lost {who} its seat");
			}
			// The others keep their order; at most the changed candidate moves among them.
			assert!(others(&after).iter().zip(others(&drawn).iter()).all(|(a, b)| a == b));

			let left: Vec<_> = candidates.iter().copied().filter(|(w, _)| *w != who).collect();
			let without = draw_by_stake(left, 3, &seed(n));
			assert_eq!(others(&drawn), without[..others(&drawn).len()], "seed {n}, {who} left");
		}
	}
}

#[test]
fn neg_log2_is_exact_and_monotonic() {
	use crate::assignment::neg_log2;
	let one = 1u64 << 32;
	assert_eq!(neg_log2(1 << 63), one);
	assert_eq!(neg_log2(1 << 62), 2 * one);
	assert_eq!(neg_log2(1), 64 * one);
	// -log2(3/4) = 0.415037...
	let three_quarters = neg_log2(3 << 62) as f64 / one as f64;
	assert!((three_quarters - 0.415_037_499).abs() < 1e-8, "{three_quarters}");
	let mut previous = u64::MAX;
	for x in (1..u64::MAX).step_by(0x0123_4567_89ab_cdef).chain([u64::MAX]) {
		let value = neg_log2(x);
		assert!(value <= previous, "neg_log2 grew at {x}");
		previous = value;
	}
}

#[test]
fn withholding_a_block_gives_the_author_one_more_draw() {
	// What BABE leaves a block author (docs/decisions.md, "Who draws a job's workers"): ten
	// equal workers, three of them the author's, `k = 3`. A draw gives them a majority with
	// probability p = 0.1833 (hypergeometric); an author that withholds the block whenever
	// they do not gets a second, independent draw from the next block's randomness:
	// 1 - (1 - p)^2 = 0.3331. Over 6,000 jobs (standard deviation about 0.006 for each):
	let candidates: Vec<(u64, u128)> = (0..10).map(|w| (w, 100)).collect();
	let majority = |s: [u8; 32]| {
		draw_by_stake(candidates.clone(), 3, &s).iter().filter(|w| **w < 3).count() >= 2
	};
	let jobs = 6_000u32;
	let honest = (0..jobs).filter(|n| majority(seed(2 * n))).count() as f64 / jobs as f64;
	let withheld = (0..jobs).filter(|n| majority(seed(2 * n)) || majority(seed(2 * n + 1))).count()
		as f64 / jobs as f64;
	assert!((honest - 0.1833).abs() < 0.02, "one draw: {honest}");
	assert!((withheld - 0.3331).abs() < 0.02, "with one withholding: {withheld}");
}
