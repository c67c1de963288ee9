// Must match `mosaic_primitives::token::{SYMBOL, DECIMALS}`; the runtime test
// `metadata_hash_token_matches_primitives` checks that they agree.
const TOKEN_SYMBOL: &str = "MSC";
const TOKEN_DECIMALS: u8 = 12;

fn main() {
	println!("cargo:rustc-env=MOSAIC_METADATA_HASH_TOKEN={TOKEN_SYMBOL}:{TOKEN_DECIMALS}");
	build_wasm();
}

#[cfg(all(feature = "std", feature = "metadata-hash"))]
fn build_wasm() {
	substrate_wasm_builder::WasmBuilder::init_with_defaults()
		.enable_metadata_hash(TOKEN_SYMBOL, TOKEN_DECIMALS)
		.build();
}

#[cfg(all(feature = "std", not(feature = "metadata-hash")))]
fn build_wasm() {
	substrate_wasm_builder::WasmBuilder::build_using_defaults();
}

#[cfg(not(feature = "std"))]
fn build_wasm() {}
