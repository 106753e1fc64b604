/* The built-in derivation sources: one line per source, RF_SOURCE(name),
 * where lib/claims/source_<file>.c defines `const rf_source_def
 * rf_source_<name>`.  check.c reads this table (registration, the from:
 * keys it checks, the rows a source makes of manifests); adding a source =
 * its file plus one line here (CONTRIBUTING.md). */
RF_SOURCE(ledger)
RF_SOURCE(claim)
RF_SOURCE(config)
RF_SOURCE(flops)
RF_SOURCE(energy)
