
// Appended by rbuild's soundness test (cmd/rbuild/soundness_test.go):
// one item per change kind of rustc-facts.md §2 whose value a dependent
// observes. The test edits the number after a /*P:kind*/ marker (every
// occurrence of that marker at once) or swaps a /*S:...*/ span.
#[doc(hidden)]
#[allow(missing_docs, dead_code)]
pub mod rbuild_probe {
    pub const LIMIT: u32 = /*P:const*/ 1;

    fn private_part(x: u32) -> u32 {
        x * /*P:private*/ 1
    }

    pub fn public_body(x: u32) -> u32 {
        private_part(x) + /*P:pub*/ 1
    }

    #[inline]
    pub fn inlined(x: u32) -> u32 {
        x + /*P:inline*/ 1
    }

    pub fn generic<T: Into<u64>>(x: T) -> u64 {
        x.into() + /*P:generic*/ 1
    }

    pub const fn const_fn(x: u32) -> u32 {
        x + /*P:constfn*/ 1
    }

    pub struct Layout {
        pub tag: u32,
        pad: [u8; /*P:layout*/ 1],
    }

    impl Layout {
        pub fn new(tag: u32) -> Layout {
            Layout { tag, pad: [0; /*P:layout*/ 1] }
        }
    }

    pub trait Describe {
        fn describe(&self) -> u32 {
            self.base() + /*P:default*/ 1
        }
        fn base(&self) -> u32;
    }

    impl Describe for Layout {
        fn base(&self) -> u32 {
            self.tag
        }
    }

    pub fn adder() -> impl Fn(u32) -> u32 {
        move |x| x + /*P:impltrait*/ 1
    }

    pub async fn later() -> u32 {
        /*P:async*/ 1
    }

    #[macro_export]
    macro_rules! CRATE_probe_macro {
        ($e:expr) => {
            $e + /*P:macro*/ 1
        };
    }

    // A private body instantiating Vec<Layout>::push, which the dependent
    // reuses (share-generics); the test swaps it for one that does not.
    pub fn items() -> ::std::vec::Vec<Layout> {
        /*S:shared*/let mut v = ::std::vec::Vec::new();
        v.push(Layout::new(1));
        v/*S:end*/
    }
}
