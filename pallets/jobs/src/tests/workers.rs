//! Workers: registration, stake, pausing, unbonding, genesis.

use super::*;

#[test]
fn register_worker_holds_stake_and_joins_the_pool() {
	build_and_execute(|| {
		register(10);
		assert_eq!(Balances::balance_on_hold(&stake_reason(), &10), 2 * MIN_STAKE);
		assert_eq!(WorkerKeys::<Test>::get(key_of(10)), Some(10));
		assert_eq!(EligibleWorkers::<Test>::get().into_inner(), vec![(10, 2 * MIN_STAKE)]);
		assert_eq!(WorkerCount::<Test>::get(), 1);
		let info = Workers::<Test>::get(10).unwrap();
		assert_eq!((info.status, info.capacity, info.assigned), (WorkerStatus::Active, 2, 0));
		assert!(events().contains(&Event::WorkerRegistered {
			worker: 10,
			key: key_of(10),
			stake: 2 * MIN_STAKE,
			capacity: 2
		}));
	});
}

#[test]
fn register_worker_errors() {
	build_and_execute(|| {
		register(10);
		let o = |w| RuntimeOrigin::signed(w);
		// The key must sign the registering account's message, and only that.
		assert_noop!(
			MosaicJobs::register_worker(o(11), 211, MIN_STAKE, 1, key_proof(11, 11)),
			Error::<Test>::BadKeyProof
		);
		assert_noop!(
			MosaicJobs::register_worker(o(11), 211, MIN_STAKE, 1, key_proof(211, 12)),
			Error::<Test>::BadKeyProof
		);
		assert_noop!(
			MosaicJobs::register_worker(o(10), 999, MIN_STAKE, 1, key_proof(999, 10)),
			Error::<Test>::AlreadyWorker
		);
		assert_noop!(
			MosaicJobs::register_worker(o(11), key_of(10), MIN_STAKE, 1, key_proof(key_of(10), 11)),
			Error::<Test>::KeyInUse
		);
		assert_noop!(
			MosaicJobs::register_worker(o(11), 211, MIN_STAKE - 1, 1, key_proof(211, 11)),
			Error::<Test>::StakeTooLow
		);
		assert_noop!(
			MosaicJobs::register_worker(o(11), 211, MIN_STAKE, 0, key_proof(211, 11)),
			Error::<Test>::BadCapacity
		);
		assert_noop!(
			MosaicJobs::register_worker(o(11), 211, MIN_STAKE, 5, key_proof(211, 11)),
			Error::<Test>::BadCapacity
		);
		assert_noop!(
			MosaicJobs::register_worker(o(11), 211, 20_000, 1, key_proof(211, 11)),
			Error::<Test>::InsufficientBalance
		);
		for w in 11..=17 {
			register(w);
		}
		assert_noop!(
			MosaicJobs::register_worker(o(2), 202, MIN_STAKE, 1, key_proof(202, 2)),
			Error::<Test>::TooManyWorkers
		);
	});
}

#[test]
fn bond_pause_resume() {
	build_and_execute(|| {
		assert_noop!(
			MosaicJobs::bond_extra(RuntimeOrigin::signed(10), 5),
			Error::<Test>::NotWorker
		);
		register(10);
		assert_noop!(MosaicJobs::bond_extra(RuntimeOrigin::signed(10), 0), Error::<Test>::BadValue);
		assert_noop!(
			MosaicJobs::bond_extra(RuntimeOrigin::signed(10), 9_000),
			Error::<Test>::InsufficientBalance
		);
		assert_ok!(MosaicJobs::bond_extra(RuntimeOrigin::signed(10), 500));
		assert_eq!(EligibleWorkers::<Test>::get().into_inner(), vec![(10, 2 * MIN_STAKE + 500)]);
		assert_eq!(Balances::balance_on_hold(&stake_reason(), &10), 2 * MIN_STAKE + 500);

		assert_noop!(MosaicJobs::resume(RuntimeOrigin::signed(10)), Error::<Test>::BadWorkerStatus);
		assert_ok!(MosaicJobs::pause(RuntimeOrigin::signed(10)));
		assert!(EligibleWorkers::<Test>::get().is_empty());
		assert_noop!(MosaicJobs::pause(RuntimeOrigin::signed(10)), Error::<Test>::BadWorkerStatus);
		assert_ok!(MosaicJobs::resume(RuntimeOrigin::signed(10)));
		assert_eq!(EligibleWorkers::<Test>::get().len(), 1);
		assert!(events().contains(&Event::WorkerPaused { worker: 10 }));
		assert!(events().contains(&Event::WorkerResumed { worker: 10 }));
	});
}

#[test]
fn unbond_and_withdraw() {
	build_and_execute(|| {
		register(10);
		let o = RuntimeOrigin::signed(10);
		assert_noop!(
			MosaicJobs::unbond(o.clone(), 2 * MIN_STAKE + 1),
			Error::<Test>::UnbondTooMuch
		);
		assert_noop!(MosaicJobs::unbond(o.clone(), MIN_STAKE + 1), Error::<Test>::StakeTooLow);
		assert_ok!(MosaicJobs::unbond(o.clone(), 400));
		let info = Workers::<Test>::get(10).unwrap();
		assert_eq!(
			(info.stake, info.unbonding, info.unlock_at),
			(2 * MIN_STAKE - 400, 400, 1 + UNBOND_DELAY)
		);
		// Still held while unbonding.
		assert_eq!(Balances::balance_on_hold(&stake_reason(), &10), 2 * MIN_STAKE);
		assert_noop!(MosaicJobs::withdraw_unbonded(o.clone()), Error::<Test>::NothingToWithdraw);
		run_to(1 + UNBOND_DELAY);
		assert_ok!(MosaicJobs::withdraw_unbonded(o.clone()));
		assert_eq!(Balances::balance_on_hold(&stake_reason(), &10), 2 * MIN_STAKE - 400);
		assert_eq!(Balances::free_balance(10), 10_000 - 2 * MIN_STAKE + 400);

		// Leaving: everything, then withdraw, and the worker is gone with its key.
		assert_ok!(MosaicJobs::unbond(o.clone(), 2 * MIN_STAKE - 400));
		assert_eq!(Workers::<Test>::get(10).unwrap().status, WorkerStatus::Leaving);
		assert!(EligibleWorkers::<Test>::get().is_empty());
		assert_noop!(MosaicJobs::bond_extra(o.clone(), 10), Error::<Test>::BadWorkerStatus);
		run_to(1 + 2 * UNBOND_DELAY);
		assert_ok!(MosaicJobs::withdraw_unbonded(o.clone()));
		assert!(Workers::<Test>::get(10).is_none());
		assert!(WorkerKeys::<Test>::get(key_of(10)).is_none());
		assert_eq!(WorkerCount::<Test>::get(), 0);
		assert_eq!(Balances::balance_on_hold(&stake_reason(), &10), 0);
		assert_eq!(Balances::free_balance(10), 10_000);
		assert!(events().contains(&Event::WorkerRemoved { worker: 10 }));
	});
}

#[test]
fn no_exit_while_holding_work() {
	build_and_execute(|| {
		register(10);
		submit(1);
		run_to(2);
		assert_eq!(workers_of(0), vec![10]);
		assert_noop!(
			MosaicJobs::unbond(RuntimeOrigin::signed(10), 2 * MIN_STAKE),
			Error::<Test>::HoldsAssignedWork
		);
		// A partial unbond is fine.
		assert_ok!(MosaicJobs::unbond(RuntimeOrigin::signed(10), 100));
	});
}

#[test]
fn genesis_registers_workers() {
	let mut storage = frame_system::GenesisConfig::<Test>::default().build_storage().unwrap();
	pallet_balances::GenesisConfig::<Test> { balances: vec![(10, 5_000)], ..Default::default() }
		.assimilate_storage(&mut storage)
		.unwrap();
	crate::GenesisConfig::<Test> { min_replication: 2, workers: vec![(10, 110, 3_000, 3)] }
		.assimilate_storage(&mut storage)
		.unwrap();
	execute_and_check(&mut sp_io::TestExternalities::new(storage), || {
		assert_eq!(MinReplication::<Test>::get(), 2);
		assert_eq!(Workers::<Test>::get(10).unwrap().stake, 3_000);
		assert_eq!(WorkerKeys::<Test>::get(110), Some(10));
		assert_eq!(Balances::balance_on_hold(&stake_reason(), &10), 3_000);
	});
}
