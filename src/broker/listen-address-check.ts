/**
 * Node's `net.Server.listen(port, host)` resolves the host and then checks each address with
 * `net.isIPv6` (filterOnlyValidAddress: it skips IPv6 link-local addresses), even for an IP literal
 * such as our default 127.0.0.1. That check is one very large regular expression, and V8 compiles a
 * regular expression twice by default: to bytecode on its first use (≈ 7 ms for this one) and to
 * machine code on its second (≈ 2 ms) — about 9 ms of CPU, 5 % of a broker's start-up, for checking one
 * address (measured on Node 24). Compiled straight to machine code it costs ≈ 2 ms, so before the first
 * bind this compiles it that way, with V8's tier-up switched off for just that one compilation (then
 * switched back on: everything else keeps V8's defaults, which measured faster for the rest of
 * start-up, and the code caches' flag hash stays the default one).
 *
 * Only the time changes: the regular expression, and so what it accepts, is Node's own.
 */
let compiled = false;

export function compileListenAddressCheck(): void {
  if (compiled) return;
  compiled = true;
  const { setFlagsFromString } = process.getBuiltinModule('node:v8');
  const { isIPv6 } = process.getBuiltinModule('node:net');
  setFlagsFromString('--no-regexp-tier-up');
  try {
    isIPv6('');
  } finally {
    setFlagsFromString('--regexp-tier-up');
  }
}
