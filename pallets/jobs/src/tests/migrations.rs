//! Storage migrations.

use super::*;
use frame_support::traits::{GetStorageVersion, OnRuntimeUpgrade, StorageVersion};

#[test]
fn v1_moves_the_eligible_workers_out_of_pool() {
	build_and_execute(|| {
		register(10);
		register(11);
		let listed = EligibleWorkers::<Test>::take();
		assert_eq!(listed.len(), 2);
		// The layout of version 0: the same list under the name `Pool`.
		frame_support::storage::migration::put_storage_value(
			b"MosaicJobs",
			b"Pool",
			&[],
			listed.clone(),
		);
		StorageVersion::new(0).put::<MosaicJobs>();

		crate::migrations::v1::MigrateV0ToV1::<Test>::on_runtime_upgrade();

		assert_eq!(EligibleWorkers::<Test>::get(), listed);
		assert!(frame_support::storage::migration::get_storage_value::<Vec<(u64, u64)>>(
			b"MosaicJobs",
			b"Pool",
			&[]
		)
		.is_none());
		assert_eq!(MosaicJobs::on_chain_storage_version(), 1);

		// At version 1 it does nothing.
		EligibleWorkers::<Test>::kill();
		crate::migrations::v1::MigrateV0ToV1::<Test>::on_runtime_upgrade();
		assert!(EligibleWorkers::<Test>::get().is_empty());
		EligibleWorkers::<Test>::put(listed);
	});
}

#[test]
fn the_invariants_catch_a_broken_escrow() {
	new_test_ext().execute_with(|| {
		register(10);
		let job = submit(1);
		assert_eq!(MosaicJobs::do_try_state(), Ok(()));
		Jobs::<Test>::mutate(job, |info| info.as_mut().unwrap().held += 1);
		assert!(MosaicJobs::do_try_state().is_err());
	});
}
