//! JSON-RPC methods the node serves besides Substrate's built-in ones: account nonces,
//! fee estimates, and Mosaic's own `mosaic_` methods ([`mosaic`]).

pub mod mosaic;

use std::sync::Arc;

use jsonrpsee::RpcModule;
use mosaic_runtime::{opaque::Block, AccountId, Balance, Nonce};
use sc_transaction_pool_api::TransactionPool;
use sp_api::ProvideRuntimeApi;
use sp_block_builder::BlockBuilder;
use sp_blockchain::{Error as BlockChainError, HeaderBackend, HeaderMetadata};

/// What the RPC methods need from the node.
pub struct FullDeps<C, P, S> {
	/// Client to query chain state through.
	pub client: Arc<C>,
	/// Transaction pool, for `system_accountNextIndex`.
	pub pool: Arc<P>,
	/// What the `mosaic_` methods need.
	pub mosaic: mosaic::MosaicDeps<C, S>,
}

/// All of the node's extra RPC methods: `system_*` account nonces, `payment_*` fees and
/// `mosaic_*`.
pub fn create_full<C, P, S>(
	deps: FullDeps<C, P, S>,
) -> Result<RpcModule<()>, Box<dyn std::error::Error + Send + Sync>>
where
	C: ProvideRuntimeApi<Block>
		+ HeaderBackend<Block>
		+ HeaderMetadata<Block, Error = BlockChainError>
		+ Send
		+ Sync
		+ 'static,
	C::Api: substrate_frame_rpc_system::AccountNonceApi<Block, AccountId, Nonce>
		+ pallet_transaction_payment_rpc::TransactionPaymentRuntimeApi<Block, Balance>
		+ BlockBuilder<Block>
		+ pallet_mosaic_jobs::JobsApi<
			Block,
			AccountId,
			pallet_mosaic_jobs::JobViewOf<mosaic_runtime::Runtime>,
			pallet_mosaic_jobs::WorkerInfoOf<mosaic_runtime::Runtime>,
		> + pallet_mosaic_models::ModelsApi<
			Block,
			pallet_mosaic_models::ModelViewOf<mosaic_runtime::Runtime>,
		>,
	P: TransactionPool + 'static,
	S: sp_core::offchain::OffchainStorage + 'static,
{
	use pallet_transaction_payment_rpc::{TransactionPayment, TransactionPaymentApiServer};
	use substrate_frame_rpc_system::{System, SystemApiServer};

	let mut module = RpcModule::new(());
	let FullDeps { client, pool, mosaic } = deps;

	module.merge(System::new(client.clone(), pool).into_rpc())?;
	module.merge(TransactionPayment::new(client).into_rpc())?;
	module.merge(mosaic::module(mosaic)?)?;

	Ok(module)
}
