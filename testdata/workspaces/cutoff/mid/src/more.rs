//! Uses every item of `up::more`.

use up::more::{Greeter, Shadowed};

pub struct Local;

impl Greeter for Local {}

pub fn report() -> String {
    format!(
        "cfg_inlined={} from_macro={} shadowed={} greet={} tag={} width={} inner={} helper={} unmangled={} c_abi={} op={} speak={} data={:?} flavor={:?} checked={} side={}",
        up::more::cfg_inlined(1),
        up::more::from_macro(1),
        up::more::Marker::value(),
        Local.greet(),
        up::more::Wrapper(1u8).tag(),
        up::more::generic_width(3u8),
        up::more::via_inner(),
        up::via_helper!(1),
        up::more::up_unmangled(1),
        up::more::c_abi(1),
        (up::more::OP)(1),
        up::more::speaker().speak(),
        up::more::DATA,
        up::more::FLAVOR,
        up::more::checked(1),
        up::more::uses_side(),
    )
}
