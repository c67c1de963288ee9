//! Storage migrations of this pallet.
//!
//! None yet: the pallet is at [`STORAGE_VERSION`](crate::pallet::STORAGE_VERSION) 0, its first
//! layout. A change of layout adds a `VersionedMigration` from one version to the next here and
//! appends it to [`Unreleased`], which the runtime's `Migrations` already runs.

/// The migrations not yet applied on a live chain, in the order they run: none.
pub type Unreleased = ();
