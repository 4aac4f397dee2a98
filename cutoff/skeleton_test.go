package cutoff

import (
	"flag"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

var updateGolden = flag.Bool("update", false, "rewrite testdata/skeleton/*.golden")

// skeletonOf hashes src as the single file src/lib.rs (plus extra files).
func skeletonOf(t *testing.T, src string, opt SkeletonOptions, extra ...SkeletonFile) Skeleton {
	t.Helper()
	files := append([]SkeletonFile{{Path: "src/lib.rs", Src: []byte(src)}}, extra...)
	s, err := CrateSkeleton(files, opt)
	if err != nil {
		t.Fatalf("CrateSkeleton: %v\nsource:\n%s", err, src)
	}
	return s
}

// skeletonPairs are edits of crate a: same says a dependent may skip
// recompiling (the skeleton hash must not change), rows name rustc-facts.md §2.
var skeletonPairs = []struct {
	name          string
	before, after string
	same          bool
}{
	// Comments, layout, docs.
	{"comment-only edit", "fn a() -> u32 { 1 } // one", "fn a() -> u32 { 1 } /* uno */", true},
	{"whitespace and reformat", "pub fn a(x:u32)->u32{x+1}", "pub fn a(\n    x: u32\n) -> u32 {\n    x + 1\n}\n", true},
	{"doc comment on a fn", "/// Adds one.\npub fn a(x: u32) -> u32 { x + 1 }", "/// Adds 1.\n/** more */\npub fn a(x: u32) -> u32 { x + 1 }", true},
	{"doc comment on a struct field with builtin derive", "#[derive(Debug, Clone)] pub struct S { /// a\n pub x: u8 }", "#[derive(Debug, Clone)] pub struct S { /// b\n pub x: u8 }", true},
	{"doc comment seen by a derive macro", "#[derive(Parser)] pub struct A { /// help a\n x: u8 }", "#[derive(Parser)] pub struct A { /// help b\n x: u8 }", false},
	{"doc comment inside a macro invocation", "m! { /// one\n fn f() {} }", "m! { /// two\n fn f() {} }", false},
	{"inner doc comment of the crate", "//! Crate a.\nfn f() {}", "//! Crate A.\nfn f() {}", true},

	// Row 1: bodies of non-generic, non-inline fns.
	{"private fn body", "fn a() -> u32 { 1 }", "fn a() -> u32 { 2 + 3 }", true},
	{"pub fn body", "pub fn a(x: u32) -> u32 { x }", "pub fn a(x: u32) -> u32 { let y = x * 2; y / 2 }", true},
	{"pub(crate) unsafe fn body", "pub(crate) unsafe fn a() {}", "pub(crate) unsafe fn a() { let _ = 1; }", true},
	{"pub(in path) fn with where clause", "pub(in crate::m) fn a<'a>(x: &'a u8) -> u8 where u8: Copy { *x }", "pub(in crate::m) fn a<'a>(x: &'a u8) -> u8 where u8: Copy { *x + 1 }", true},
	{"extern \"C\" fn body (row 25)", "pub extern \"C\" fn a() -> i32 { 1 }", "pub extern \"C\" fn a() -> i32 { 2 }", true},
	{"#[no_mangle] fn body (row 25)", "#[no_mangle] pub fn a() -> i32 { 1 }", "#[no_mangle] pub fn a() -> i32 { 2 }", true},
	{"#[unsafe(no_mangle)] fn body", "#[unsafe(no_mangle)] pub fn a() -> i32 { 1 }", "#[unsafe(no_mangle)] pub fn a() -> i32 { 2 }", true},
	{"#[inline(never)] body", "#[inline(never)] pub fn a() -> u8 { 1 }", "#[inline(never)] pub fn a() -> u8 { 2 }", true},
	{"inert attributes on the fn", "#[must_use] #[cfg(unix)] #[allow(x)] #[rustfmt::skip] #[cfg_attr(test, allow(y))] #[track_caller] #[cold] fn a() -> u8 { 1 }",
		"#[must_use] #[cfg(unix)] #[allow(x)] #[rustfmt::skip] #[cfg_attr(test, allow(y))] #[track_caller] #[cold] fn a() -> u8 { 2 }", true},
	{"impl<'a> lifetime-only method", "pub struct S<'a>(&'a u8); impl<'a> S<'a> { pub fn get(&self) -> u8 { 1 } }", "pub struct S<'a>(&'a u8); impl<'a> S<'a> { pub fn get(&self) -> u8 { *self.0 } }", true},
	{"method of a non-generic trait impl", "impl std::fmt::Display for S { fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result { write!(f, \"a\") } }",
		"impl std::fmt::Display for S { fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result { write!(f, \"b\") } }", true},
	{"default fn in a non-generic impl", "impl Tr for S { default fn a() -> u8 { 1 } }", "impl Tr for S { default fn a() -> u8 { 2 } }", true},
	{"#[cfg_attr(…, no_mangle)] fn", "#[cfg_attr(unix, no_mangle)] pub extern \"C\" fn a() -> u8 { 1 }", "#[cfg_attr(unix, no_mangle)] pub extern \"C\" fn a() -> u8 { 2 }", true},
	{"fn in a module", "mod m { pub fn a() -> u8 { 1 } }", "mod m { pub fn a() -> u8 { 2 } }", true},
	{"#[test] fn", "#[cfg(test)] mod tests { use super::*; #[test] fn t() { assert_eq!(1, 1); } }", "#[cfg(test)] mod tests { use super::*; #[test] fn t() { assert_eq!(2, 2); } }", true},
	{"std macros in the body", "fn a() -> String { let v = vec![1]; println!(\"{:?}\", v); format!(\"{}\", 1) }", "fn a() -> String { let v = vec![2, 3]; println!(\"{}\", v.len()); format!(\"{}\", 2) }", true},
	{"std-qualified macro", "fn a() { std::println!(\"a\"); ::core::panic!(\"x\") }", "fn a() { std::println!(\"b\"); ::core::panic!(\"y\") }", true},
	{"use std::env keeps env!", "use std::env; fn a() -> &'static str { env!(\"A\") }", "use std::env; fn a() -> &'static str { env!(\"B\") }", true},
	{"unary not is no macro", "fn a(x: bool) -> bool { if !x { return !x; } while !x {} match !x { _ => x != true } }", "fn a(x: bool) -> bool { if !x { return x; } x }", true},
	{"body-local items", "fn a() { struct L; const C: u8 = 1; static S: u8 = 2; use std::fmt; let _ = (L, C, S); fn inner<T>(t: T) {} }", "fn a() { struct L2; }", true},
	{"glob import of a local enum", "enum E { A } fn a(e: E) -> u8 { use E::*; match e { A => 1 } }", "enum E { A } fn a(e: E) -> u8 { use E::*; match e { A => vec![2][0] } }", true},

	// What must stay: signatures and items (rows 18-24).
	{"new private fn (row 22)", "fn a() {}", "fn a() {}\nfn b() {}", false},
	{"pub fn signature (row 18)", "pub fn a(x: u32) -> u32 { x }", "pub fn a(x: u64) -> u32 { x as u32 }", false},
	{"private fn signature (row 19)", "fn a() -> u32 { 1 }", "fn a() -> [u64; 4] { [1; 4] }", false},
	{"private field of a pub struct (row 23)", "pub struct S { pub a: u8 }", "pub struct S { pub a: u8, b: u64 }", false},
	{"enum variant (row 23)", "pub enum E { A, B }", "pub enum E { A, B, C }", false},
	{"const value (row 23)", "pub const N: usize = 4;", "pub const N: usize = 5;", false},
	{"static initializer (row 24)", "pub static N: usize = 4;", "pub static N: usize = 5;", false},
	{"new trait impl (row 20)", "pub struct S; impl S { pub fn a(&self) {} }", "pub struct S; impl Clone for S { fn clone(&self) -> S { S } } impl S { pub fn a(&self) {} }", false},
	{"reordered impl blocks (row 20)", "impl A { fn a() {} } impl B { fn b() {} }", "impl B { fn b() {} } impl A { fn a() {} }", false},
	{"renamed private module (row 21)", "mod m { pub fn a() {} }", "mod n { pub fn a() {} }", false},
	{"exported macro_rules! (row 23)", "#[macro_export] macro_rules! m { () => { 1 } }", "#[macro_export] macro_rules! m { () => { 2 } }", false},
	{"literal spelled differently", "pub const N: u32 = 0x10;", "pub const N: u32 = 16;", false},

	// Rule 1: generic bodies (rows 10, 11).
	{"generic fn body (row 11)", "pub fn a<T: Into<u32>>(t: T) -> u32 { t.into() }", "pub fn a<T: Into<u32>>(t: T) -> u32 { t.into() + 1 }", false},
	{"const generic fn body", "pub fn a<const N: usize>() -> usize { N }", "pub fn a<const N: usize>() -> usize { N + 1 }", false},
	{"impl Trait argument", "pub fn a(x: impl Into<u8>) -> u8 { x.into() }", "pub fn a(x: impl Into<u8>) -> u8 { x.into() + 1 }", false},
	{"trait default method (row 10)", "pub trait T { fn d(&self) -> u8 { 1 } }", "pub trait T { fn d(&self) -> u8 { 2 } }", false},
	{"method of impl<T> G<T> (row 10)", "pub struct G<T>(T); impl<T> G<T> { pub fn a(&self) -> u8 { 1 } }", "pub struct G<T>(T); impl<T> G<T> { pub fn a(&self) -> u8 { 2 } }", false},
	{"method of impl<const N>", "impl<const N: usize> G<N> { fn a() -> u8 { 1 } }", "impl<const N: usize> G<N> { fn a() -> u8 { 2 } }", false},
	{"nested fn in a kept body", "pub fn a<T>() { fn inner() -> u8 { 1 } }", "pub fn a<T>() { fn inner() -> u8 { 2 } }", false},

	// Rule 2: inlining signals (rows 7, 8).
	{"#[inline] (row 7)", "#[inline] pub fn a() -> u8 { 1 }", "#[inline] pub fn a() -> u8 { 2 }", false},
	{"#[inline(always)] (row 7)", "#[inline(always)] pub fn a() -> u8 { 1 }", "#[inline(always)] pub fn a() -> u8 { 2 }", false},
	{"#[cfg_attr(all(), inline)] (row 8)", "#[cfg_attr(all(), inline)] pub fn a() -> u8 { 1 }", "#[cfg_attr(all(), inline)] pub fn a() -> u8 { 2 }", false},
	{"#[inline] inside unsafe(…)", "#[unsafe(inline)] pub fn a() -> u8 { 1 }", "#[unsafe(inline)] pub fn a() -> u8 { 2 }", false},
	{"attribute macro on the fn (row 8)", "#[tokio::main] async fn main() { run(1) }", "#[tokio::main] async fn main() { run(2) }", false},
	{"attribute macro on a non-async fn", "#[instrument] pub fn a() -> u8 { 1 }", "#[instrument] pub fn a() -> u8 { 2 }", false},
	{"attribute macro on the impl (row 8)", "#[my_macro] impl S { pub fn a(&self) -> u8 { 1 } }", "#[my_macro] impl S { pub fn a(&self) -> u8 { 2 } }", false},
	{"attribute macro on the module", "#[my_macro] mod m { pub fn a() -> u8 { 1 } }", "#[my_macro] mod m { pub fn a() -> u8 { 2 } }", false},
	{"non-inert inner attribute of the crate", "#![my_macro]\nfn a() -> u8 { 1 }", "#![my_macro]\nfn a() -> u8 { 2 }", false},
	{"target_feature", "#[target_feature(enable = \"avx2\")] unsafe fn a() -> u8 { 1 }", "#[target_feature(enable = \"avx2\")] unsafe fn a() -> u8 { 2 }", false},
	{"#[test] shadowed by an import", "use tokio::test; #[test] fn t() { f(1) }", "use tokio::test; #[test] fn t() { f(2) }", false},

	// Rule 3: const, async, impl Trait, f16/f128 (rows 5, 23).
	{"const fn body (row 23)", "pub const fn a() -> u8 { 1 }", "pub const fn a() -> u8 { 2 }", false},
	{"async unsafe fn body", "pub async unsafe fn a() -> u8 { 1 }", "pub async unsafe fn a() -> u8 { 2 }", false},
	{"method of impl const Trait", "impl const Tr for S { fn a() -> u8 { 1 } }", "impl const Tr for S { fn a() -> u8 { 2 } }", false},
	{"const unsafe fn body", "pub const unsafe fn a() -> u8 { 1 }", "pub const unsafe fn a() -> u8 { 2 }", false},
	{"async fn body (row 23)", "pub async fn a() -> u8 { 1 }", "pub async fn a() -> u8 { let b = [0u8; 4096]; b[0] }", false},
	{"-> impl Fn body (row 23)", "pub fn a() -> impl Fn() -> u8 { || 1 }", "pub fn a() -> impl Fn() -> u8 { let x = 2u64; move || x as u8 }", false},
	{"f16 signature (row 5)", "pub fn a(x: f16) -> u8 { 1 }", "pub fn a(x: f16) -> u8 { 2 }", false},
	{"f128 through a type alias", "type H = f128; pub fn a(x: H) -> u8 { 1 }", "type H = f128; pub fn a(x: H) -> u8 { 2 }", false},
	{"Self is f16", "impl Tr for f16 { fn a(self) -> u8 { 1 } }", "impl Tr for f16 { fn a(self) -> u8 { 2 } }", false},
	{"impl Trait type alias", "type Fut = impl Future; pub fn a() -> Fut { async { 1 } }", "type Fut = impl Future; pub fn a() -> Fut { async { 2 } }", false},
	{"macro in the signature", "pub fn a(x: ty!()) -> u8 { 1 }", "pub fn a(x: ty!()) -> u8 { 2 }", false},

	// Rule 4: inside macro invocations (rows 8, 9).
	{"fn inside a macro_rules! definition", "macro_rules! m { () => { fn f() -> u8 { 1 } } } m!();", "macro_rules! m { () => { fn f() -> u8 { 2 } } } m!();", false},
	{"fn inside a macro invocation", "my_macro! { pub fn a() -> u8 { 1 } }", "my_macro! { pub fn a() -> u8 { 2 } }", false},
	{"fn inside cfg_if!", "cfg_if::cfg_if! { if #[cfg(unix)] { pub fn a() -> u8 { 1 } } }", "cfg_if::cfg_if! { if #[cfg(unix)] { pub fn a() -> u8 { 2 } } }", false},

	// Rule 5: leaking items (rows 20, 25).
	{"body containing impl", "pub fn a() { struct L; impl L { fn x() {} } }", "pub fn a() { struct L; impl L { fn y() {} } }", false},
	{"body containing extern block", "pub fn a() { extern \"C\" { fn x(); } }", "pub fn a() { extern \"C\" { fn y(); } }", false},
	{"body containing #[no_mangle]", "pub fn a() { #[no_mangle] pub extern \"C\" fn x() {} }", "pub fn a() { #[no_mangle] pub extern \"C\" fn y() {} }", false},
	{"body containing #[used]", "pub fn a() { #[used] static X: u8 = 1; }", "pub fn a() { #[used] static X: u8 = 2; }", false},
	{"body containing a module", "pub fn a() { mod m {} }", "pub fn a() { mod n {} }", false},
	{"body containing macro_rules!", "pub fn a() { macro_rules! m { () => {} } }", "pub fn a() { macro_rules! m { () => {()} } }", false},
	{"body with a derive", "pub fn a() { #[derive(Debug)] struct L; }", "pub fn a() { #[derive(Debug)] struct L(u8); }", false},
	{"raw identifier macro_rules", "pub fn a() { r#macro_rules! m { () => {} } }", "pub fn a() { r#macro_rules! m { () => {()} } }", false},

	// Rule 6: macros (rows 8, 9).
	{"log::info! in the body", "pub fn a() { log::info!(\"a\") }", "pub fn a() { log::info!(\"b\") }", false},
	{"foo! in the body", "pub fn a() { foo!(1) }", "pub fn a() { foo!(2) }", false},
	{"crate-local macro_rules! vec (row 9)", "macro_rules! vec { ($e:expr) => { 0 } }\nfn a() -> u8 { vec![1] }", "macro_rules! vec { ($e:expr) => { 0 } }\nfn a() -> u8 { vec![2] }", false},
	{"use my::println", "use my::println; fn a() { println!(\"a\") }", "use my::println; fn a() { println!(\"b\") }", false},
	{"println renamed from std", "use std::include as println; fn a() { println!(\"a\") }", "use std::include as println; fn a() { println!(\"b\") }", false},
	{"glob import of another crate", "use other::*; fn a() { println!(\"a\") }", "use other::*; fn a() { println!(\"b\") }", false},
	{"#[macro_use] extern crate", "#[macro_use] extern crate log; fn a() { println!(\"a\") }", "#[macro_use] extern crate log; fn a() { println!(\"b\") }", false},
	{"glob import of super is fine", "use super::*; fn a() { println!(\"a\") }", "use super::*; fn a() { println!(\"b\") }", true},
	{"extern crate renamed to std", "extern crate fake as std; fn a() { std::println!(\"a\") }", "extern crate fake as std; fn a() { std::println!(\"b\") }", false},
	{"local module named core", "mod core {} fn a() { core::panic!(\"a\") }", "mod core {} fn a() { core::panic!(\"b\") }", false},
	{"macro defining a macro named by its argument", "define!(vec); fn a() -> u8 { vec![1] }", "define!(vec); fn a() -> u8 { vec![2] }", false},
	{"include! may define macros", "include!(\"m.rs\"); fn a() -> u8 { vec![1] }", "include!(\"m.rs\"); fn a() -> u8 { vec![2] }", false},

	// Lexer torture: the body boundaries must survive tricky literals.
	{"raw strings in a droppable body", "fn a() -> &'static str { r##\"}\"# {\"## }", "fn a() -> &'static str { r##\"{\"# }\"## }", true},
	{"comment markers in strings", "fn a() -> &'static str { \"/* }\" } fn b() {}", "fn a() -> &'static str { \"// }\" } fn b() {}", true},
	{"nested comments", "fn a() /* } /* } */ { */ -> u8 { 1 }", "fn a() -> u8 { 2 }", true},
	{"lifetimes next to chars", "fn a<'a>(x: &'a u8) -> char { let _: &'a u8 = x; '}' }", "fn a<'a>(x: &'a u8) -> char { '{' }", true},
	{"escaped quote char", "fn a() -> char { '\\'' } pub struct S;", "fn a() -> char { '}' } pub struct S;", true},
	{"byte strings", "fn a() -> &'static [u8] { b\"}\" } fn b() -> u8 { b'}' }", "fn a() -> &'static [u8] { br#\"{\"# } fn b() -> u8 { b'{' }", true},
	{"raw identifiers", "fn r#match() -> u8 { let r#impl = 1; r#impl }", "fn r#match() -> u8 { 2 }", true},
	{"tuple index", "fn a(x: ((u8, u8), u8)) -> u8 { x.0.1 }", "fn a(x: ((u8, u8), u8)) -> u8 { x.1 }", true},
	{"kept item after a tricky literal", "fn a() -> &'static str { r#\"\"}\"# } pub struct S(u8);", "fn a() -> &'static str { r#\"\"}\"# } pub struct S(u16);", false},
	{"shebang line", "#!/usr/bin/env rust-script\nfn a() {}", "#!/usr/bin/env other\nfn a() {}", true},
}

func TestSkeletonPairs(t *testing.T) {
	for _, tt := range skeletonPairs {
		t.Run(tt.name, func(t *testing.T) {
			before := skeletonOf(t, tt.before, SkeletonOptions{})
			after := skeletonOf(t, tt.after, SkeletonOptions{})
			if same := before.Hash == after.Hash; same != tt.same {
				b, _ := RenderSkeleton([]SkeletonFile{{Path: "src/lib.rs", Src: []byte(tt.before)}}, SkeletonOptions{})
				a, _ := RenderSkeleton([]SkeletonFile{{Path: "src/lib.rs", Src: []byte(tt.after)}}, SkeletonOptions{})
				t.Errorf("same hash = %v, want %v\nbefore:\n%s\nafter:\n%s", same, tt.same, b, a)
			}
		})
	}
}

// TestSkeletonCrateWide: a macro defined or imported in another file of
// the crate still shadows the allowlisted name (rule 6).
func TestSkeletonCrateWide(t *testing.T) {
	body := func(n string) string { return "pub fn a() -> Vec<u8> { vec![" + n + "] }" }
	for _, tt := range []struct {
		name, other string
		same        bool
	}{
		{"plain other file", "pub fn b() {}", true},
		{"macro_rules! vec in another file", "macro_rules! vec { ($e:expr) => { Vec::new() } }", false},
		{"use of vec in another file", "pub use my::vec;", false},
		{"#[macro_use] extern crate in another file", "#[macro_use] extern crate dep;", false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			other := SkeletonFile{Path: "src/m.rs", Src: []byte(tt.other)}
			same := skeletonOf(t, body("1"), SkeletonOptions{}, other).Hash == skeletonOf(t, body("2"), SkeletonOptions{}, other).Hash
			if same != tt.same {
				t.Errorf("same hash = %v, want %v", same, tt.same)
			}
		})
	}
	t.Run("non-inert attribute on mod m; keeps the module file's bodies", func(t *testing.T) {
		root := SkeletonFile{Path: "src/lib.rs", Src: []byte("#[my_macro] mod m;")}
		a := skeletonOf(t, "pub fn f() -> u8 { 1 }", SkeletonOptions{}, root)
		b := skeletonOf(t, "pub fn f() -> u8 { 2 }", SkeletonOptions{}, root)
		if a.Hash == b.Hash || a.Dropped != 0 {
			t.Errorf("body dropped under #[my_macro] mod m; (%d dropped)", a.Dropped)
		}
	})
	t.Run("file path is hashed", func(t *testing.T) {
		a, _ := CrateSkeleton([]SkeletonFile{{Path: "src/a.rs", Src: []byte("fn f() {}")}}, SkeletonOptions{})
		b, _ := CrateSkeleton([]SkeletonFile{{Path: "src/b.rs", Src: []byte("fn f() {}")}}, SkeletonOptions{})
		if a.Hash == b.Hash {
			t.Error("moving a file did not change the hash")
		}
	})
}

// TestSkeletonStrict: in strict mode kept fn items carry their positions
// (rows 30-32), droppable ones do not; the default mode has none.
func TestSkeletonStrict(t *testing.T) {
	for _, tt := range []struct {
		name, src               string
		sameDefault, sameStrict bool
	}{
		{"line above a generic fn", "pub fn g<T>(t: T) -> T { t }", true, false},
		{"line above an #[inline] fn", "#[inline] pub fn g() { panic!() }", true, false},
		{"line above a droppable fn", "pub fn d() -> u8 { 1 }", true, true},
		{"line above a struct", "pub struct S { a: u8 }", true, true},
		{"line above a macro invocation", "m! { fn g<T>() {} }", true, false},
		{"line above a const block with a fn", "const _: () = { fn g<T>() {} };", true, false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			for _, strict := range []bool{false, true} {
				opt := SkeletonOptions{Strict: strict}
				same := skeletonOf(t, tt.src, opt).Hash == skeletonOf(t, "\n"+tt.src, opt).Hash
				want := tt.sameDefault
				if strict {
					want = tt.sameStrict
				}
				if same != want {
					t.Errorf("strict=%v: same hash = %v, want %v", strict, same, want)
				}
			}
		})
	}
	t.Run("column shift inside a kept body", func(t *testing.T) {
		opt := SkeletonOptions{Strict: true}
		if skeletonOf(t, "fn g<T>() { panic!() }", opt).Hash == skeletonOf(t, "fn g<T>() {  panic!() }", opt).Hash {
			t.Error("strict: a column shift in a kept body did not change the hash")
		}
	})
}

// TestSkeletonItemKinds: every item form parses, and only the plain fn's
// body is dropped.
func TestSkeletonItemKinds(t *testing.T) {
	src := `#!/usr/bin/env rust-script
#![no_std]
//! docs
extern crate alloc;
pub extern crate core as kore;
use alloc::{vec::Vec, string::String as S};
pub(crate) use self::m::*;
pub(self) struct Unit;
pub(super) struct Tuple<T>(T) where T: Copy;
struct Braced<const N: usize = { 3 }> { a: [u8; N] }
union U { a: u8, b: i8 }
enum E<'a> { A(&'a u8), B { x: u8 } = 3, }
type Alias<T> = Vec<T>;
const C: Option<fn(u8) -> u8> = None;
static mut M: u8 = 0;
pub unsafe auto trait Auto {}
trait Alias2 = Clone + Send;
pub trait Tr<T: ?Sized>: Sized where T: Copy { const K: u8; type Out; fn req(&self); unsafe fn req2() -> Self::Out; }
unsafe impl<T> Send for Tuple<T> {}
impl<T> !Sync for Tuple<T> {}
impl dyn Tr<u8, Out = ()> {}
impl Tr<u8> for Unit { const K: u8 = 1; type Out = (); fn req(&self) {} unsafe fn req2() {} }
unsafe extern "C" { safe fn f(x: i32) -> i32; pub safe static X: u8; fn v(fmt: *const u8, ...); }
extern { type Opaque; }
macro_rules! m { ($($t:tt)*) => { $($t)* } }
m!(fn in_macro() {});
m! { struct InMacro; }
crate::m![struct Path;];
pub(in crate) mod inline { #![allow(dead_code)] pub fn plain() -> u8 { 1 } }
mod file;
#[cfg(test)] mod tests {}
;
`
	w, err := renderCrate([]SkeletonFile{{Path: "src/lib.rs", Src: []byte(src)}}, SkeletonOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if w.dropped != 3 || w.kept != 0 {
		t.Errorf("kept %d, dropped %d; want 0, 3 (req, req2, plain): %+v", w.kept, w.dropped, w.decisions)
	}
}

func TestSkeletonCounts(t *testing.T) {
	s := skeletonOf(t, "fn a() {} fn b<T>() {} trait T { fn r(); fn d() {} } extern \"C\" { fn e(); } m! { fn f() {} }", SkeletonOptions{})
	if s.Kept != 2 || s.Dropped != 1 {
		t.Errorf("Kept, Dropped = %d, %d; want 2, 1", s.Kept, s.Dropped)
	}
}

// TestSkeletonReasons checks the reason given for keeping bodies, so a
// body kept for the wrong reason shows up.
func TestSkeletonReasons(t *testing.T) {
	src := `
pub fn plain() {}
pub fn generic<T>() {}
#[inline] pub fn inl() {}
pub const fn c() {}
pub async fn asy() {}
pub fn ret() -> impl Sized {}
pub fn half(x: f16) {}
pub fn leaks() { impl S {} }
pub fn mac() { foo!() }
impl<T> G<T> { fn m() {} }
trait Tr { fn d() {} }
#[my_attr] impl S { fn n() {} }
`
	w, err := renderCrate([]SkeletonFile{{Path: "lib.rs", Src: []byte(src)}}, SkeletonOptions{})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"", "type or const parameter", "attribute #[inline]", "const fn", "async fn",
		"impl Trait in the signature", "signature mentions f16", "body contains impl", "body invokes foo!",
		"method of a generic impl", "trait method (default body)", "enclosing item has attribute #[my_attr]"}
	if len(w.decisions) != len(want) {
		t.Fatalf("%d decisions, want %d: %+v", len(w.decisions), len(want), w.decisions)
	}
	for i, d := range w.decisions {
		if d.Reason != want[i] {
			t.Errorf("%s: reason %q, want %q", d.Fn, d.Reason, want[i])
		}
	}
}

func TestSkeletonErrors(t *testing.T) {
	for _, tt := range []struct{ name, src, want string }{
		{"unbalanced", "fn a() { (", "src/lib.rs:1:10: unclosed"},
		{"mismatched", "fn a() { ) }", "src/lib.rs:1:10: \")\" does not close"},
		{"lexing error", "fn a() { \"x }", "src/lib.rs:1:10: unterminated string"},
		{"not an item", "fn a() {} 42", "src/lib.rs:1:11: unexpected \"42\""},
		{"attribute without item", "#[cfg(x)]", "src/lib.rs:1:1: attribute or doc comment without an item"},
		{"inner attribute after items", "fn a() {} #![x]", "inner attribute after items"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := CrateSkeleton([]SkeletonFile{{Path: "src/lib.rs", Src: []byte(tt.src)}}, SkeletonOptions{})
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %v, want one containing %q", err, tt.want)
			}
		})
	}
}

// TestSkeletonGolden pins the canonical text for a sample crate file, in
// both modes (go test -update rewrites the golden files).
func TestSkeletonGolden(t *testing.T) {
	src, err := os.ReadFile("testdata/skeleton/sample.rs")
	if err != nil {
		t.Fatal(err)
	}
	for _, mode := range []struct {
		golden string
		opt    SkeletonOptions
	}{{"sample.golden", SkeletonOptions{}}, {"sample.strict.golden", SkeletonOptions{Strict: true}}} {
		got, err := RenderSkeleton([]SkeletonFile{{Path: "src/sample.rs", Src: src}}, mode.opt)
		if err != nil {
			t.Fatal(err)
		}
		path := filepath.Join("testdata/skeleton", mode.golden)
		if *updateGolden {
			if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		want, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		if got != string(want) {
			t.Errorf("%s differs (go test -run TestSkeletonGolden -update to accept):\n%s", path, got)
		}
	}
}

// TestSkeletonRegistry runs the skeleton over the Debian crate sources, one
// crate (the .rs files under its src/) at a time: the lexer must accept
// every file, and the time is logged.
func TestSkeletonRegistry(t *testing.T) {
	const root = "/usr/share/cargo/registry"
	dirs, err := os.ReadDir(root)
	if err != nil {
		t.Skipf("no crate sources: %v", err)
	}
	if testing.Short() {
		t.Skip("-short")
	}
	var files, bytes, kept, dropped, crates, failed int
	var elapsed time.Duration
	for _, d := range dirs {
		var crate []SkeletonFile
		err := filepath.WalkDir(filepath.Join(root, d.Name()), func(p string, e fs.DirEntry, err error) error {
			if err != nil || e.IsDir() || filepath.Ext(p) != ".rs" {
				return err
			}
			src, err := os.ReadFile(p)
			crate = append(crate, SkeletonFile{Path: p, Src: src})
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range crate {
			if _, err := LexRust(f.Path, f.Src); err != nil {
				t.Errorf("lex: %v", err)
			}
			bytes += len(f.Src)
		}
		start := time.Now()
		s, err := CrateSkeleton(crate, SkeletonOptions{})
		elapsed += time.Since(start)
		files += len(crate)
		crates++
		kept += s.Kept
		dropped += s.Dropped
		if err == nil {
			continue
		}
		// Files that are not modules (include!d expressions) cannot be
		// rendered as items: the caller falls back to no cutoff.
		for _, f := range crate {
			if _, err := CrateSkeleton([]SkeletonFile{f}, SkeletonOptions{}); err != nil {
				t.Logf("not a module: %v", err)
				failed++
			}
		}
	}
	t.Logf("%d crates, %d files, %.1f MB: CrateSkeleton took %v; fn bodies kept %d, dropped %d; %d files not modules",
		crates, files, float64(bytes)/1e6, elapsed.Round(time.Millisecond), kept, dropped, failed)
}

func TestFnBodies(t *testing.T) {
	src := "pub fn api() -> u8 { helper() }\nfn helper() -> u8 { 1 }\n#[inline]\npub(crate) fn hot() {}\n"
	got, err := FnBodies([]SkeletonFile{{Path: "src/lib.rs", Src: []byte(src)}}, SkeletonOptions{})
	if err != nil {
		t.Fatal(err)
	}
	want := []FnBody{
		{Path: "src/lib.rs", Line: 1, Name: "api", Public: true, Open: strings.Index(src, "{"), Keep: ""},
		{Path: "src/lib.rs", Line: 2, Name: "helper", Open: strings.Index(src, "{ 1"), Keep: ""},
		{Path: "src/lib.rs", Line: 4, Name: "hot", Public: true, Open: strings.LastIndex(src, "{"), Keep: "attribute #[inline]"},
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("got  %+v\nwant %+v", got, want)
	}
}
