/tmp/rbuild-depinfo/target/debug/deps/depcrate-0123456789abcdef.d: src/lib.rs src/sub/mod.rs src/sub/inner.rs src/sub/../data\ file.txt src/data\ file.txt /tmp/rbuild-depinfo/target/debug/build/depcrate-1f9c846903850b6d/out/gen.txt

/tmp/rbuild-depinfo/target/debug/deps/libdepcrate-0123456789abcdef.rlib: src/lib.rs src/sub/mod.rs src/sub/inner.rs src/sub/../data\ file.txt src/data\ file.txt /tmp/rbuild-depinfo/target/debug/build/depcrate-1f9c846903850b6d/out/gen.txt

/tmp/rbuild-depinfo/target/debug/deps/libdepcrate-0123456789abcdef.rmeta: src/lib.rs src/sub/mod.rs src/sub/inner.rs src/sub/../data\ file.txt src/data\ file.txt /tmp/rbuild-depinfo/target/debug/build/depcrate-1f9c846903850b6d/out/gen.txt

src/lib.rs:
src/sub/mod.rs:
src/sub/inner.rs:
src/sub/../data\ file.txt:
src/data\ file.txt:
/tmp/rbuild-depinfo/target/debug/build/depcrate-1f9c846903850b6d/out/gen.txt:

# env-dep:CARGO_PKG_NAME=depcrate
# env-dep:OUT_DIR=/tmp/rbuild-depinfo/target/debug/build/depcrate-1f9c846903850b6d/out
# env-dep:RBUILD_MULTILINE=line1\nline2\\x\r
# env-dep:UNSET_VAR_X
