/// Whether cargo named this package on the command line when it was
/// compiled (`-p flag` or `--workspace`): rustc records the read as an
/// env-dep, so a change must recompile it although rbuild keeps the
/// variable out of the command's key.
pub fn primary() -> bool {
    option_env!("CARGO_PRIMARY_PACKAGE").is_some()
}
