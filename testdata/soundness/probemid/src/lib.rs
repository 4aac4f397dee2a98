//! Reads every probe item of the two edited crates, compiled against their
//! interfaces: what a stale cutoff would get wrong shows up in `report`.

macro_rules! report_for {
    ($krate:ident, $mac:ident) => {{
        use $krate::rbuild_probe as p;
        use p::Describe;
        const USED: u32 = p::const_fn(2) * p::LIMIT;
        let mut items = p::items();
        items.push(p::Layout::new(3));
        let waker = std::task::Waker::noop();
        let mut cx = std::task::Context::from_waker(&waker);
        let mut fut = std::pin::pin!(p::later());
        let later = match fut.as_mut().poll(&mut cx) {
            std::task::Poll::Ready(v) => v,
            std::task::Poll::Pending => 0,
        };
        format!(
            "{}: const={} body={} inline={} generic={} constfn={} size={} default={} closure={} async={} macro={} items={}",
            stringify!($krate),
            p::LIMIT,
            p::public_body(3),
            p::inlined(3),
            p::generic(3u32),
            USED,
            std::mem::size_of::<p::Layout>(),
            items[0].describe(),
            p::adder()(3),
            later,
            $krate::$mac!(3),
            items.len()
        )
    }};
}

use std::future::Future;

pub fn report() -> String {
    format!(
        "{}\n{}",
        report_for!(memchr, memchr_probe_macro),
        report_for!(regex_syntax, regex_syntax_probe_macro)
    )
}
