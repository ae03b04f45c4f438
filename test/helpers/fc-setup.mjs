// Loaded by test/run.mjs before the tests: every fast-check property in `npm test` runs from one
// fixed seed, so a CI run is reproducible. Set FC_SEED to explore other seeds (npm run fuzz does
// the long random exploration); a failure prints its seed and path for replay.
import fc from 'fast-check';

const seed = Number(process.env.FC_SEED ?? 20261126);
fc.configureGlobal({ seed });
