//! Uses every item of `up`; `report` shows what it saw.

use std::future::Future;
use std::pin::pin;
use std::task::{Context, Poll, Waker};
use up::Describe;

pub const MID: u32 = up::doubled(3);

fn run<F: Future<Output = u32>>(f: F) -> u32 {
    let mut f = pin!(f);
    match f.as_mut().poll(&mut Context::from_waker(Waker::noop())) {
        Poll::Ready(v) => v,
        Poll::Pending => 0,
    }
}

pub fn report() -> String {
    let bag = up::Bag::new("b");
    let mut items: Vec<up::Item> = Vec::new();
    items.push(up::Item(5));
    let it = &items[0];
    format!(
        "limit={} total={} shape={} public={} pick={} bump={} mid={} adder={} later={} twice={} describe={} item={}/{} count={} size={}",
        up::LIMIT,
        bag.total(),
        up::shape_len(&up::Shape::Line(4)) + up::shape_len(&up::Shape::Dot),
        up::public_value(2),
        up::pick(8, 9),
        up::bump(1),
        MID,
        up::adder()(1),
        run(up::later()),
        up::twice!(21),
        bag.describe(),
        it.first(),
        it.second(),
        up::item_count(),
        std::mem::size_of::<up::Bag>() + std::mem::size_of::<up::Shape>(),
    )
}

pub mod more;
