// Token amounts: text such as `1.5` to plancks and back, with the decimals and symbol passed
// in (read them from the chain with `tokenOf`).

/** The chain's token: `{ decimals, symbol }` from its properties. */
export function tokenOf(api) {
  return { decimals: api.registry.chainDecimals[0] ?? 12, symbol: api.registry.chainTokens[0] ?? 'MSC' };
}

/** `text` (whole units, e.g. `1.5`) in plancks of a token with `decimals` decimals. */
export function parseAmount(text, decimals) {
  if (!/^\d+(\.\d+)?$/.test(text ?? '')) throw new RangeError(`not an amount: ${text}`);
  const [whole, frac = ''] = text.split('.');
  if (frac.length > decimals) throw new RangeError(`${text}: at most ${decimals} decimals`);
  return BigInt(whole) * 10n ** BigInt(decimals) + BigInt(frac.padEnd(decimals, '0'));
}

/** `value` plancks as whole units and the symbol, without trailing zeros: `1.5 MSC`. */
export function formatAmount(value, { decimals, symbol }) {
  const v = BigInt(value.toString());
  const unit = 10n ** BigInt(decimals);
  const frac = (v % unit).toString().padStart(decimals, '0').replace(/0+$/, '');
  return `${v / unit}${frac ? `.${frac}` : ''} ${symbol}`;
}
