/tmp/rbuild depinfo/target/debug/deps/depcrate-fedcba9876543210.d: /work/main/cutoff/testdata/depcrate/src/lib.rs /work/main/cutoff/testdata/depcrate/src/sub/mod.rs /work/main/cutoff/testdata/depcrate/src/sub/inner.rs /work/main/cutoff/testdata/depcrate/src/sub/../data\ file.txt /work/main/cutoff/testdata/depcrate/src/data\ file.txt /tmp/rbuild-depinfo/target/debug/build/depcrate-1f9c846903850b6d/out/gen.txt

/tmp/rbuild depinfo/target/debug/deps/libdepcrate-fedcba9876543210.rmeta: /work/main/cutoff/testdata/depcrate/src/lib.rs /work/main/cutoff/testdata/depcrate/src/sub/mod.rs /work/main/cutoff/testdata/depcrate/src/sub/inner.rs /work/main/cutoff/testdata/depcrate/src/sub/../data\ file.txt /work/main/cutoff/testdata/depcrate/src/data\ file.txt /tmp/rbuild-depinfo/target/debug/build/depcrate-1f9c846903850b6d/out/gen.txt

/work/main/cutoff/testdata/depcrate/src/lib.rs:
/work/main/cutoff/testdata/depcrate/src/sub/mod.rs:
/work/main/cutoff/testdata/depcrate/src/sub/inner.rs:
/work/main/cutoff/testdata/depcrate/src/sub/../data\ file.txt:
/work/main/cutoff/testdata/depcrate/src/data\ file.txt:
/tmp/rbuild-depinfo/target/debug/build/depcrate-1f9c846903850b6d/out/gen.txt:

# env-dep:CARGO_PKG_NAME=depcrate
# env-dep:OUT_DIR=/tmp/rbuild-depinfo/target/debug/build/depcrate-1f9c846903850b6d/out
# env-dep:RBUILD_MULTILINE
# env-dep:UNSET_VAR_X
