/* The registry of manifest kinds: one line per kind, RF_KIND(c_name), where
 * lib/manifest/kind_<c_name>.c defines `const rf_manifest_kind
 * rf_kind_<c_name>`.  Adding a kind = its file plus one line here
 * (CONTRIBUTING.md, "Adding a manifest kind"). */
RF_KIND(training_config)
RF_KIND(hardware_manifest)
RF_KIND(cost_ledger)
RF_KIND(claims)
RF_KIND(replay_recipe)
