// zombienet js-script (CommonJS, as zombienet loads it): resolves 1 once this node's best and
// finalized heads have both advanced by `n` blocks. The logic is in tests/lib/network.mjs,
// on the tests' own @polkadot/api.
module.exports.run = async (nodeName, networkInfo, args) => {
  const { headsAdvance } = await import('../../tests/lib/network.mjs');
  return headsAdvance(networkInfo.nodesByName[nodeName].wsUri, Number(args[0] ?? 3));
};
