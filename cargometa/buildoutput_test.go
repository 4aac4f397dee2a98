package cargometa

import (
	"errors"
	"reflect"
	"strings"
	"testing"
)

func kv(k, v string) [2]string { return [2]string{k, v} }

func TestParseBuildOutput(t *testing.T) {
	tests := []struct {
		name   string
		stdout string
		newOK  bool
		want   BuildOutput
	}{
		{
			name:   "empty",
			stdout: "",
			newOK:  true,
			want:   BuildOutput{},
		},
		{
			name: "memchr 2.5 old syntax cfgs",
			stdout: "cargo:rustc-cfg=memchr_runtime_simd\n" +
				"cargo:rustc-cfg=memchr_runtime_sse2\n" +
				"cargo:rustc-cfg=memchr_runtime_sse42\n" +
				"cargo:rustc-cfg=memchr_runtime_avx\n",
			want: BuildOutput{Cfgs: []string{"memchr_runtime_simd", "memchr_runtime_sse2", "memchr_runtime_sse42", "memchr_runtime_avx"}},
		},
		{
			name: "libc 0.2 rerun, cfgs and check-cfgs",
			stdout: "cargo:rerun-if-changed=build.rs\n" +
				"cargo:rerun-if-env-changed=RUST_LIBC_UNSTABLE_FREEBSD_VERSION\n" +
				"cargo:rerun-if-env-changed=RUST_LIBC_UNSTABLE_MUSL_V1_2_3\n" +
				"cargo:rustc-cfg=freebsd11\n" +
				"cargo:rustc-cfg=libc_const_extern_fn\n" +
				"cargo:rustc-check-cfg=cfg(emscripten_old_stat_abi)\n" +
				"cargo:rustc-check-cfg=cfg(target_os,values(\"switch\",\"aix\",\"ohos\",\"hurd\",\"rtems\",\"visionos\",\"nuttx\"))\n" +
				"cargo:rustc-check-cfg=cfg(target_env,values(\"illumos\",\"wasi\",\"aix\",\"ohos\"))\n",
			want: BuildOutput{
				RerunIfChanged:    []string{"build.rs"},
				RerunIfEnvChanged: []string{"RUST_LIBC_UNSTABLE_FREEBSD_VERSION", "RUST_LIBC_UNSTABLE_MUSL_V1_2_3"},
				Cfgs:              []string{"freebsd11", "libc_const_extern_fn"},
				CheckCfgs: []string{
					"cfg(emscripten_old_stat_abi)",
					`cfg(target_os,values("switch","aix","ohos","hurd","rtems","visionos","nuttx"))`,
					`cfg(target_env,values("illumos","wasi","aix","ohos"))`,
				},
			},
		},
		{
			name: "serde 1.0 new syntax",
			stdout: "cargo::rerun-if-changed=build.rs\n" +
				"cargo::rustc-check-cfg=cfg(no_core_cstr)\n" +
				"cargo::rustc-check-cfg=cfg(no_core_error)\n" +
				"cargo::rustc-check-cfg=cfg(no_diagnostic_namespace)\n" +
				"cargo::rustc-cfg=if_docsrs_then_no_serde_core\n",
			newOK: true,
			want: BuildOutput{
				RerunIfChanged: []string{"build.rs"},
				CheckCfgs:      []string{"cfg(no_core_cstr)", "cfg(no_core_error)", "cfg(no_diagnostic_namespace)"},
				Cfgs:           []string{"if_docsrs_then_no_serde_core"},
			},
		},
		{
			name: "proc-macro2 1.0 probe",
			stdout: "cargo:rustc-check-cfg=cfg(fuzzing)\n" +
				"cargo:rustc-check-cfg=cfg(no_is_available)\n" +
				"cargo:rustc-check-cfg=cfg(proc_macro_span)\n" +
				"cargo:rustc-check-cfg=cfg(procmacro2_backtrace)\n" +
				"cargo:rustc-check-cfg=cfg(procmacro2_nightly_testing)\n" +
				"cargo:rustc-check-cfg=cfg(procmacro2_semver_exempt)\n" +
				"cargo:rustc-check-cfg=cfg(randomize_layout)\n" +
				"cargo:rustc-check-cfg=cfg(span_locations)\n" +
				"cargo:rustc-check-cfg=cfg(super_unstable)\n" +
				"cargo:rustc-check-cfg=cfg(wrap_proc_macro)\n" +
				"cargo:rerun-if-changed=src/probe/proc_macro_span.rs\n" +
				"cargo:rustc-cfg=wrap_proc_macro\n" +
				"cargo:rerun-if-env-changed=RUSTC_BOOTSTRAP\n",
			want: BuildOutput{
				CheckCfgs: []string{"cfg(fuzzing)", "cfg(no_is_available)", "cfg(proc_macro_span)", "cfg(procmacro2_backtrace)",
					"cfg(procmacro2_nightly_testing)", "cfg(procmacro2_semver_exempt)", "cfg(randomize_layout)",
					"cfg(span_locations)", "cfg(super_unstable)", "cfg(wrap_proc_macro)"},
				RerunIfChanged:    []string{"src/probe/proc_macro_span.rs"},
				Cfgs:              []string{"wrap_proc_macro"},
				RerunIfEnvChanged: []string{"RUSTC_BOOTSTRAP"},
			},
		},
		{
			name: "sys crate using cc: noise, CRLF, leading and trailing whitespace, metadata",
			stdout: "TARGET = Some(\"x86_64-unknown-linux-gnu\")\n" +
				"OPT_LEVEL = Some(\"0\")\n" +
				"HOST = Some(\"x86_64-unknown-linux-gnu\")\n" +
				"cargo:rerun-if-env-changed=CC_x86_64-unknown-linux-gnu\r\n" +
				"CC_x86_64-unknown-linux-gnu = None\n" +
				"cargo:rerun-if-env-changed=CFLAGS\n" +
				"running: \"cc\" \"-O0\" \"-c\" \"csrc/add.c\"\n" +
				"   cargo:warning=csrc/add.c:3:5: warning: unused variable 'x'   \n" +
				"\tcargo:rustc-link-lib=static=sysxc\n" +
				"cargo:rustc-link-search=native=/ws/exp/target/debug/build/sysx-b6125a23430d91be/out\n" +
				"cargo:include=/ws/exp/target/debug/build/sysx-b6125a23430d91be/out/include   \n" +
				"cargo:version=1.2.3\n" +
				"cargo:error=not an error in the old syntax\n" +
				"cargo:metadata=looks=new\n" +
				"cargo:empty=\n" +
				"cargo:rustc-link-arg-foo=-lbar\n",
			want: BuildOutput{
				RerunIfEnvChanged: []string{"CC_x86_64-unknown-linux-gnu", "CFLAGS"},
				Warnings:          []string{"csrc/add.c:3:5: warning: unused variable 'x'"},
				LibLinks:          []string{"static=sysxc"},
				LibPaths:          []string{"native=/ws/exp/target/debug/build/sysx-b6125a23430d91be/out"},
				Metadata: [][2]string{
					kv("include", "/ws/exp/target/debug/build/sysx-b6125a23430d91be/out/include"),
					kv("version", "1.2.3"),
					kv("error", "not an error in the old syntax"),
					kv("metadata", "looks=new"),
					kv("empty", ""),
					kv("rustc-link-arg-foo", "-lbar"),
				},
			},
		},
		{
			name: "openssl-sys style rustc-flags and link-lib forms",
			stdout: "cargo:rustc-flags=-L /usr/lib/x86_64-linux-gnu -lssl   -l crypto\t-L/opt/ssl/lib -Lnative=/x\n" +
				"cargo:rustc-link-lib=dylib:+verbatim=libfoo.so.1\n" +
				"cargo:rustc-link-lib=static:-bundle,+whole-archive=bar:renamed\n" +
				"cargo:rustc-link-search=framework=/Library/Frameworks\n" +
				"cargo:rustc-link-search=relative/dir\n" +
				"cargo:rustc-flags=\n" +
				"cargo:conf=OPENSSL_NO_SSL3_METHOD\n" +
				"cargo:version_number=30000020\n",
			want: BuildOutput{
				LibPaths: []string{"/usr/lib/x86_64-linux-gnu", "/opt/ssl/lib", "native=/x", "framework=/Library/Frameworks", "relative/dir"},
				LibLinks: []string{"ssl", "crypto", "dylib:+verbatim=libfoo.so.1", "static:-bundle,+whole-archive=bar:renamed"},
				Metadata: [][2]string{kv("conf", "OPENSSL_NO_SSL3_METHOD"), kv("version_number", "30000020")},
			},
		},
		{
			name: "every link-arg directive, old syntax",
			stdout: "cargo:rustc-link-arg=-Wl,-rpath,$ORIGIN\n" +
				"cargo:rustc-link-arg-cdylib=-Wl,-soname,libdyl.so\n" +
				"cargo:rustc-cdylib-link-arg=-Wl,--no-undefined\n" +
				"cargo:rustc-link-arg-bins=-Wl,-z,stack-size=1048576\n" +
				"cargo:rustc-link-arg-bin=app-cli=-Wl,--defsym=VERSION=3\n" +
				"cargo:rustc-link-arg-tests=-Wl,--gc-sections\n" +
				"cargo:rustc-link-arg-benches=-lprofiler\n" +
				"cargo:rustc-link-arg-examples=-Wl,-Map=example.map\n",
			want: BuildOutput{LinkArgs: []LinkArg{
				{Target: LinkAll, Arg: "-Wl,-rpath,$ORIGIN"},
				{Target: LinkCdylib, Arg: "-Wl,-soname,libdyl.so"},
				{Target: LinkCdylib, Arg: "-Wl,--no-undefined"},
				{Target: LinkBins, Arg: "-Wl,-z,stack-size=1048576"},
				{Target: LinkSingleBin, Bin: "app-cli", Arg: "-Wl,--defsym=VERSION=3"},
				{Target: LinkTests, Arg: "-Wl,--gc-sections"},
				{Target: LinkBenches, Arg: "-lprofiler"},
				{Target: LinkExamples, Arg: "-Wl,-Map=example.map"},
			}},
		},
		{
			name: "every directive, new syntax",
			stdout: "cargo::rustc-flags=-l z -L /opt/z\n" +
				"cargo::rustc-link-lib=static=sysxc\n" +
				"cargo::rustc-link-search=native=/out\n" +
				"cargo::rustc-link-arg=-Wl,-O1\n" +
				"cargo::rustc-link-arg-cdylib=-Wl,-soname,x\n" +
				"cargo::rustc-cdylib-link-arg=-Wl,-z,defs\n" +
				"cargo::rustc-link-arg-bins=-Wl,-E\n" +
				"cargo::rustc-link-arg-bin=tool=-Wl,-E\n" +
				"cargo::rustc-link-arg-tests=-Wl,-t\n" +
				"cargo::rustc-link-arg-benches=-Wl,-b\n" +
				"cargo::rustc-link-arg-examples=-Wl,-x\n" +
				"cargo::rustc-cfg=has_foo\n" +
				"cargo::rustc-cfg=foo_version=\"3\"\n" +
				"cargo::rustc-check-cfg=cfg(has_foo)\n" +
				"cargo::rustc-env=BUILD_TAG=v1=x   \n" +
				"cargo::rustc-env=EMPTY=\n" +
				"cargo::metadata=include=/out/include\n" +
				"cargo::metadata=flags=-DX=1  \n" +
				"cargo::rerun-if-changed=src/probe.rs\n" +
				"cargo::rerun-if-changed=csrc\n" +
				"cargo::rerun-if-env-changed=FOO_NO_PKG_CONFIG\n" +
				"cargo::warning=pkg-config not found, using bundled copy\n" +
				"cargo::warning=\n" +
				"cargo::error=libfoo >= 3 is required\n" +
				"cargo::error=second error\n",
			newOK: true,
			want: BuildOutput{
				LibPaths: []string{"/opt/z", "native=/out"},
				LibLinks: []string{"z", "static=sysxc"},
				LinkArgs: []LinkArg{
					{Target: LinkAll, Arg: "-Wl,-O1"},
					{Target: LinkCdylib, Arg: "-Wl,-soname,x"},
					{Target: LinkCdylib, Arg: "-Wl,-z,defs"},
					{Target: LinkBins, Arg: "-Wl,-E"},
					{Target: LinkSingleBin, Bin: "tool", Arg: "-Wl,-E"},
					{Target: LinkTests, Arg: "-Wl,-t"},
					{Target: LinkBenches, Arg: "-Wl,-b"},
					{Target: LinkExamples, Arg: "-Wl,-x"},
				},
				Cfgs:              []string{"has_foo", `foo_version="3"`},
				CheckCfgs:         []string{"cfg(has_foo)"},
				Env:               [][2]string{kv("BUILD_TAG", "v1=x"), kv("EMPTY", "")},
				Metadata:          [][2]string{kv("include", "/out/include"), kv("flags", "-DX=1")},
				RerunIfChanged:    []string{"src/probe.rs", "csrc"},
				RerunIfEnvChanged: []string{"FOO_NO_PKG_CONFIG"},
				Warnings:          []string{"pkg-config not found, using bundled copy", ""},
				Errors:            []string{"libfoo >= 3 is required", "second error"},
			},
		},
		{
			name: "lines that are not directives, and non-UTF-8 lines",
			stdout: "cargo\n" +
				"cargo-feature=1\n" +
				"Cargo:rustc-cfg=upper\n" +
				"# cargo:rustc-cfg=comment\n" +
				"cargo :rustc-cfg=space\n" +
				"cargo:rustc-cfg=\xff\xfe\n" +
				"\xffcargo::frobnicate=1\n" +
				"cargo:rustc-cfg=ok\n" +
				"\n\n",
			want: BuildOutput{Cfgs: []string{"ok"}},
		},
		{
			name:   "old syntax is fine when the new one is not allowed",
			stdout: "cargo:rustc-cfg=a\ncargo:rustc-env=K=V\ncargo:k=v\ncargo:warning=w\n",
			want:   BuildOutput{Cfgs: []string{"a"}, Env: [][2]string{kv("K", "V")}, Metadata: [][2]string{kv("k", "v")}, Warnings: []string{"w"}},
		},
		{
			name:   "rustc-env value keeps inner whitespace, loses trailing",
			stdout: "cargo:rustc-env=GREETING= hello  world \t\n",
			want:   BuildOutput{Env: [][2]string{kv("GREETING", " hello  world")}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseBuildOutput([]byte(tt.stdout), "pkg@1.0.0", tt.newOK)
			if err != nil {
				t.Fatalf("unexpected error: %v", err)
			}
			if !reflect.DeepEqual(*got, tt.want) {
				t.Errorf("got  %+v\nwant %+v", *got, tt.want)
			}
		})
	}
}

func TestParseBuildOutputErrors(t *testing.T) {
	tests := []struct {
		name     string
		stdout   string
		newOK    bool
		lineNo   int
		contains string
	}{
		{"new syntax without =", "cargo::rustc-cfg\n", true, 1, "`=`"},
		{"new syntax metadata without =", "cargo::metadata=include\n", true, 1, "cargo::metadata=KEY=VALUE"},
		{"unknown new key", "cargo:rustc-cfg=x\ncargo::frobnicate=1\n", true, 2, "unknown key: `frobnicate`"},
		{"new-only key spelled like old metadata", "cargo::include=/x\n", true, 1, "unknown key: `include`"},
		{"unknown link-arg flavour", "cargo::rustc-link-arg-foo=x\n", true, 1, "unknown key"},
		{"new syntax not allowed", "cargo:rustc-cfg=a\n\ncargo::rustc-cfg=b\n", false, 3, "added in Rust 1.77.0"},
		{"new syntax not allowed, hint", "cargo::rustc-cfg=b\n", false, 1, "old `cargo:rustc-cfg=b`"},
		{"new metadata not allowed, hint", "cargo::metadata=k=v\n", false, 1, "old `cargo:k=v`"},
		{"new syntax not allowed beats missing =", "cargo::bogus\n", false, 1, "1.77.0"},
		{"new error directive not allowed", "cargo::error=x\n", false, 1, "1.77.0"},
		{"rustc-flags with other flag", "cargo:rustc-flags=-L /x -Wl,--as-needed\n", true, 1, "only `-l` and `-L`"},
		{"rustc-flags -C", "cargo::rustc-flags=-C link-arg=x\n", true, 1, "only `-l` and `-L`"},
		{"rustc-flags missing value", "cargo:rustc-flags=-lfoo -L\n", true, 1, "has no value"},
		{"rustc-flags missing value, trailing spaces", "cargo:rustc-flags=-l   \n", true, 1, "has no value"},
		{"rustc-env without =", "cargo:rustc-env=NOVALUE\n", true, 1, "rustc-env has no value"},
		{"rustc-env RUSTC_BOOTSTRAP old", "cargo:rustc-env=RUSTC_BOOTSTRAP=1\n", false, 1, "RUSTC_BOOTSTRAP=1"},
		{"rustc-env RUSTC_BOOTSTRAP new", "cargo::rustc-env=RUSTC_BOOTSTRAP=mycrate\n", true, 1, "cannot set `RUSTC_BOOTSTRAP=mycrate`"},
		{"link-arg-bin without bin", "cargo:rustc-link-arg-bin=-Wl,-E\n", true, 1, "cargo:rustc-link-arg-bin=BIN=ARG"},
		{"old metadata without =", "cargo:rustc-cfg=x\ncargo:not-a-pair\n", true, 2, "cargo:KEY=VALUE"},
		{"bare cargo:", "cargo:\n", true, 1, "cargo:KEY=VALUE"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseBuildOutput([]byte(tt.stdout), "sysx@0.3.1", tt.newOK)
			if err == nil {
				t.Fatalf("no error, got %+v", *got)
			}
			msg := err.Error()
			if !strings.Contains(msg, "sysx@0.3.1") {
				t.Errorf("error does not name the package: %s", msg)
			}
			if !strings.Contains(msg, tt.contains) {
				t.Errorf("error %q does not contain %q", msg, tt.contains)
			}
			var be *BuildOutputError
			if !errors.As(err, &be) {
				t.Fatalf("error is %T, not *BuildOutputError", err)
			}
			if be.LineNo != tt.lineNo {
				t.Errorf("LineNo = %d, want %d", be.LineNo, tt.lineNo)
			}
			wantLine := strings.TrimSpace(strings.Split(tt.stdout, "\n")[tt.lineNo-1])
			if be.Line != wantLine || !strings.Contains(msg, wantLine) {
				t.Errorf("Line = %q, want %q (msg %s)", be.Line, wantLine, msg)
			}
		})
	}
}

func TestLinkArgAppliesTo(t *testing.T) {
	type target struct {
		kind, name string
		crateTypes []string
		test       bool
	}
	var (
		lib        = target{"lib", "dyl", []string{"lib"}, false}
		rlibCdylib = target{"lib", "dyl", []string{"rlib", "cdylib"}, false}
		cdylibTest = target{"lib", "dyl", []string{"rlib", "cdylib"}, true}
		cdylibKind = target{"cdylib", "dyl", nil, false}
		bin        = target{"bin", "app-cli", []string{"bin"}, false}
		binTest    = target{"bin", "app-cli", []string{"bin"}, true}
		otherBin   = target{"bin", "other", []string{"bin"}, false}
		test       = target{"test", "integration", []string{"bin"}, true}
		bench      = target{"bench", "speed", []string{"bin"}, true}
		example    = target{"example", "demo", []string{"bin"}, false}
		exampleNil = target{"example", "demo", nil, false}
		exampleLib = target{"example", "plugin", []string{"cdylib"}, false}
		script     = target{"custom-build", "build-script-build", []string{"bin"}, false}
	)
	all := []target{lib, rlibCdylib, cdylibTest, cdylibKind, bin, binTest, otherBin, test, bench, example, exampleNil, exampleLib, script}
	tests := []struct {
		arg  LinkArg
		want []target
	}{
		{LinkArg{Target: LinkAll}, all},
		{LinkArg{Target: LinkCdylib}, []target{rlibCdylib, cdylibKind}},
		{LinkArg{Target: LinkBins}, []target{bin, binTest, otherBin}},
		{LinkArg{Target: LinkSingleBin, Bin: "app-cli"}, []target{bin, binTest}},
		{LinkArg{Target: LinkTests}, []target{test}},
		{LinkArg{Target: LinkBenches}, []target{bench}},
		{LinkArg{Target: LinkExamples}, []target{example, exampleNil}},
	}
	for _, tt := range tests {
		for _, tg := range all {
			want := false
			for _, w := range tt.want {
				if reflect.DeepEqual(w, tg) {
					want = true
				}
			}
			if got := tt.arg.AppliesTo(tg.kind, tg.name, tg.crateTypes, tg.test); got != want {
				t.Errorf("%v %q .AppliesTo(%+v) = %v, want %v", tt.arg.Target, tt.arg.Bin, tg, got, want)
			}
		}
	}
}

func TestStripLinkKind(t *testing.T) {
	for in, want := range map[string]string{
		"native=/out":             "/out",
		"crate=/a":                "/a",
		"dependency=/t/deps":      "/t/deps",
		"framework=/Library/F":    "/Library/F",
		"all=/x":                  "/x",
		"/plain":                  "/plain",
		"relative/dir":            "relative/dir",
		"native=native=/x":        "native=/x",
		"static=/x":               "static=/x",
		"C:/windows=path":         "C:/windows=path",
		"":                        "",
		"native=":                 "",
		"nativeX=/no-such-prefix": "nativeX=/no-such-prefix",
	} {
		if got := StripLinkKind(in); got != want {
			t.Errorf("StripLinkKind(%q) = %q, want %q", in, got, want)
		}
	}
}
