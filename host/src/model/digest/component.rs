//! [`Digest`] as the WIT `digest`, a `string`, for wasmtime's typed calls.
//! wasmtime's derives only make records, variants and enums, so these
//! implementations forward to `String`'s, adding the one check: a string
//! lifted out of a component must be a digest. A malformed one fails the
//! call with the [`DigestError`], which the runtime reports as the
//! component breaking its contract.

use super::{Digest, DigestError};
use std::mem::MaybeUninit;
use wasmtime::component::__internal::{
    CanonicalAbiInfo, InstanceType, InterfaceType, LiftContext, LowerContext,
};
use wasmtime::component::{ComponentType, Lift, Lower};

// SAFETY: the layout, type check and lowered form are `String`'s, to
// which every method forwards.
unsafe impl ComponentType for Digest {
    type Lower = <String as ComponentType>::Lower;

    const ABI: CanonicalAbiInfo = <String as ComponentType>::ABI;

    fn typecheck(ty: &InterfaceType, types: &InstanceType<'_>) -> wasmtime::Result<()> {
        <String as ComponentType>::typecheck(ty, types)
    }
}

// SAFETY: lowers the digest's string exactly as `String` does.
unsafe impl Lower for Digest {
    fn linear_lower_to_flat<T>(
        &self,
        cx: &mut LowerContext<'_, T>,
        ty: InterfaceType,
        dst: &mut MaybeUninit<Self::Lower>,
    ) -> wasmtime::Result<()> {
        self.0.linear_lower_to_flat(cx, ty, dst)
    }

    fn linear_lower_to_memory<T>(
        &self,
        cx: &mut LowerContext<'_, T>,
        ty: InterfaceType,
        offset: usize,
    ) -> wasmtime::Result<()> {
        self.0.linear_lower_to_memory(cx, ty, offset)
    }
}

// SAFETY: lifts a `String` as `String` does, then validates it.
unsafe impl Lift for Digest {
    fn linear_lift_from_flat(
        cx: &mut LiftContext<'_>,
        ty: InterfaceType,
        src: &Self::Lower,
    ) -> wasmtime::Result<Self> {
        checked(String::linear_lift_from_flat(cx, ty, src)?)
    }

    fn linear_lift_from_memory(
        cx: &mut LiftContext<'_>,
        ty: InterfaceType,
        bytes: &[u8],
    ) -> wasmtime::Result<Self> {
        checked(String::linear_lift_from_memory(cx, ty, bytes)?)
    }
}

/// The digest `s` names, or the [`DigestError`] that fails the call.
fn checked(s: String) -> wasmtime::Result<Digest> {
    Digest::parse(&s).map_err(|e: DigestError| wasmtime::Error::new(e))
}
