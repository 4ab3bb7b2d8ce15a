//! A loaded component bound to its operation's world: what every wrapper
//! holds, and the one way a wrapper calls a function (fresh instance,
//! limits, refusals and answers converted by `convert`).
//!
//! Must not: know any particular operation; wrappers opt in with
//! [`bind!`].

use super::bindings::types;
use super::convert::Origin;
use super::{CacheOutcome, Error, Runtime, Sandbox};
use std::sync::Arc;
use wasmtime::Store;
use wasmtime::component::InstancePre;

/// A component compiled and pre-instantiated, not yet bound to a world.
#[derive(Clone)]
pub struct Loaded {
    /// The component as errors name it: `tagging (built-in)`,
    /// `tagging (./my.wasm)`.
    pub(super) name: String,
    /// The world it was loaded for.
    pub(super) world: &'static str,
    pub(super) pre: InstancePre<Sandbox>,
    /// What the compile cache did; `None` without a cache.
    pub(super) cache: Option<CacheOutcome>,
}

/// The private half of [`super::Operation`]: how a wrapper is made from a
/// loaded component. Public in a private module, so only this crate can
/// implement it.
pub trait Bind: Sized {
    /// Binds `loaded` to the wrapper's world.
    fn bind(runtime: Arc<Runtime>, loaded: Loaded) -> Result<Self, Error>;

    /// The loaded component.
    fn loaded(&self) -> &Loaded;
}

/// What a component function answers: a value or its WIT `error`.
pub(super) type Answer<T> = wasmtime::Result<Result<T, types::Error>>;

/// A component bound to a world whose generated bindings are `W`, with
/// their pre-instantiated form `P`.
pub(super) struct Bound<P, W> {
    runtime: Arc<Runtime>,
    pub(super) loaded: Loaded,
    pre: P,
    instantiate: fn(&P, &mut Store<Sandbox>) -> wasmtime::Result<W>,
}

impl<P, W> Bound<P, W> {
    /// Binds `loaded` with the generated `*Pre::new`; a component that does
    /// not implement the world is refused here.
    pub(super) fn new(
        runtime: Arc<Runtime>,
        loaded: Loaded,
        bind: fn(InstancePre<Sandbox>) -> wasmtime::Result<P>,
        instantiate: fn(&P, &mut Store<Sandbox>) -> wasmtime::Result<W>,
    ) -> Result<Self, Error> {
        let pre = bind(loaded.pre.clone()).map_err(|e| Error::Invalid {
            component: loaded.name.clone(),
            world: loaded.world,
            message: format!("{e:#}"),
        })?;
        Ok(Self {
            runtime,
            loaded,
            pre,
            instantiate,
        })
    }

    /// Calls `function`, which answers `result<T, error>`, on a fresh
    /// instance: a WIT `error` becomes [`Error::Refused`], a value goes
    /// through `convert`, which checks it keeps the contract.
    pub(super) fn invoke<T, U>(
        &self,
        function: &'static str,
        call: impl FnOnce(&W, &mut Store<Sandbox>) -> Answer<T>,
        convert: impl FnOnce(Origin<'_>, T) -> Result<U, Error>,
    ) -> Result<U, Error> {
        self.call(function, call, |at, answer| {
            convert(at, answer.map_err(|e| at.refused(e))?)
        })
    }

    /// Calls `function`, which cannot refuse, on a fresh instance; its
    /// answer goes through `convert`.
    pub(super) fn call<T, U>(
        &self,
        function: &'static str,
        call: impl FnOnce(&W, &mut Store<Sandbox>) -> wasmtime::Result<T>,
        convert: impl FnOnce(Origin<'_>, T) -> Result<U, Error>,
    ) -> Result<U, Error> {
        let answer = self.runtime.run(&self.loaded, function, |store| {
            let world = (self.instantiate)(&self.pre, store)?;
            call(&world, store)
        })?;
        convert(Origin::new(&self.loaded.name, function), answer)
    }
}

/// Makes the wrapper `$wrapper(Bound<$pre<Sandbox>, _>)` the
/// [`super::Operation`] declared by `$declaration` in the table.
macro_rules! bind {
    ($wrapper:ident, $declaration:path, $pre:ident) => {
        impl super::Operation for $wrapper {
            const DECLARATION: &'static super::Declaration = &$declaration;
        }

        impl super::bound::Bind for $wrapper {
            fn bind(
                runtime: std::sync::Arc<super::Runtime>,
                loaded: super::bound::Loaded,
            ) -> Result<Self, super::Error> {
                super::bound::Bound::new(runtime, loaded, $pre::new, |pre, store| {
                    pre.instantiate(store)
                })
                .map(Self)
            }

            fn loaded(&self) -> &super::bound::Loaded {
                &self.0.loaded
            }
        }

        #[cfg(test)]
        #[test]
        fn the_operation_is_declared_in_the_table() {
            use super::Operation as _;
            assert!(super::operations::ALL.contains($wrapper::DECLARATION));
        }
    };
}
pub(super) use bind;
