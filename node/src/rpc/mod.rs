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
use sp_keystore::KeystorePtr;

use crate::executor_service::{BlobSource, ExecutorService, ResultStore};

/// What the RPC methods need from the node.
pub struct FullDeps<C, P> {
	/// Client to query chain state through.
	pub client: Arc<C>,
	/// Transaction pool, for `system_accountNextIndex`.
	pub pool: Arc<P>,
	/// The blobs in the off-chain database, if the node keeps one (`mosaic_blob`).
	pub blobs: Option<Arc<dyn BlobSource>>,
	/// The node's keystore (`mosaic_workerStatus`).
	pub keystore: KeystorePtr,
	/// The executor the off-chain workers use, if they run (`mosaic_previewRun`).
	pub executor: Option<Arc<ExecutorService>>,
	/// The results the executor keeps, if it runs (`mosaic_result`).
	pub results: Option<Arc<dyn ResultStore>>,
}

/// All of the node's extra RPC methods: `system_*` account nonces, `payment_*` fees and
/// `mosaic_*`.
pub fn create_full<C, P>(
	deps: FullDeps<C, P>,
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
{
	use mosaic::{Mosaic, MosaicApiServer};
	use pallet_transaction_payment_rpc::{TransactionPayment, TransactionPaymentApiServer};
	use substrate_frame_rpc_system::{System, SystemApiServer};

	let mut module = RpcModule::new(());
	let FullDeps { client, pool, blobs, keystore, executor, results } = deps;

	module.merge(System::new(client.clone(), pool).into_rpc())?;
	module.merge(TransactionPayment::new(client.clone()).into_rpc())?;
	module.merge(Mosaic::new(client, blobs, keystore, executor, results).into_rpc())?;

	Ok(module)
}
