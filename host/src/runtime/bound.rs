//! A loaded component bound to its operation's world: what every wrapper
//! holds, and the one way a wrapper calls a function (fresh instance,
//! limits, `model` types in and out, refusals, answers checked by
//! `checked`).
//!
//! Must not: know any particular operation; wrappers opt in with
//! [`bind!`].

use super::bindings::types;
use super::checked::{Checked, Origin};
use super::{CacheOutcome, Error, Runtime, Sandbox, WIT_PACKAGE, WIT_VERSION};
use std::sync::Arc;
use wasmtime::component::{ComponentNamedList, InstancePre, Lift, Lower};

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

/// A component bound to its operation's world: the generated bindings
/// checked, when it was bound, that it exports every function of the world
/// with the WIT's types.
pub(super) struct Bound {
    runtime: Arc<Runtime>,
    pub(super) loaded: Loaded,
}

/// Which function: its exported interface and its name in WIT, e.g.
/// (`plugins`, `compute-privileges`).
pub(super) type Function = (&'static str, &'static str);

impl Bound {
    /// Binds `loaded` with the generated `*Pre::new` (`check`); a component
    /// that does not implement the world is refused here.
    pub(super) fn new<P>(
        runtime: Arc<Runtime>,
        loaded: Loaded,
        check: fn(InstancePre<Sandbox>) -> wasmtime::Result<P>,
    ) -> Result<Self, Error> {
        check(loaded.pre.clone()).map_err(|e| Error::Invalid {
            component: loaded.name.clone(),
            world: loaded.world,
            message: format!("{e:#}"),
        })?;
        Ok(Self { runtime, loaded })
    }

    /// Calls `function`, which answers `result<T, error>`, on a fresh
    /// instance with `params`. `Params` and `T` are the `model` types of the
    /// WIT's records: wasmtime checks them against the WIT when the function
    /// is looked up, so a type out of step fails the call, naming it. A
    /// WIT `error` becomes [`Error::Refused`]; a value goes through
    /// `convert` (a check against the question from `checked`, or
    /// [`super::checked::as_is`]), then through [`Checked::check`].
    pub(super) fn answer<Params, T, U>(
        &self,
        function: Function,
        params: Params,
        convert: impl FnOnce(Origin<'_>, T) -> Result<U, Error>,
    ) -> Result<U, Error>
    where
        Params: ComponentNamedList + Lower,
        T: Lift + 'static,
        U: Checked,
    {
        let (answer,) = self.call::<Params, (Result<T, types::Error>,)>(function, params)?;
        let at = Origin::new(&self.loaded.name, function.1);
        let answer = convert(at, answer.map_err(|e| at.refused(e))?)?;
        answer.check(at)?;
        Ok(answer)
    }

    /// [`Self::answer`] for a function that cannot refuse.
    pub(super) fn answer_plain<Params, T, U>(
        &self,
        function: Function,
        params: Params,
        convert: impl FnOnce(Origin<'_>, T) -> Result<U, Error>,
    ) -> Result<U, Error>
    where
        Params: ComponentNamedList + Lower,
        T: Lift + 'static,
        U: Checked,
    {
        let (answer,) = self.call::<Params, (T,)>(function, params)?;
        let at = Origin::new(&self.loaded.name, function.1);
        let answer = convert(at, answer)?;
        answer.check(at)?;
        Ok(answer)
    }

    /// Calls `function` with `params` in a fresh instance, under the
    /// limits.
    fn call<Params, Results>(
        &self,
        (interface, function): Function,
        params: Params,
    ) -> Result<Results, Error>
    where
        Params: ComponentNamedList + Lower,
        Results: ComponentNamedList + Lift + 'static,
    {
        super::contract::note(self.loaded.world, interface, function);
        let component = self.loaded.pre.component();
        let name = format!("{WIT_PACKAGE}/{interface}@{WIT_VERSION}");
        let index = component
            .get_export_index(None, &name)
            .and_then(|exported| component.get_export_index(Some(&exported), function));
        self.runtime.run(&self.loaded, function, |store| {
            let index =
                index.ok_or_else(|| wasmtime::format_err!("no export {name}#{function}"))?;
            let instance = self.loaded.pre.instantiate(&mut *store)?;
            let typed = instance
                .get_typed_func::<Params, Results>(&mut *store, &index)
                .map_err(|e| wasmtime::Error::new(OutOfStep(format!("{function}: {e:#}"))))?;
            typed.call(store, params)
        })
    }
}

/// The host's `model` types for a function's parameters or answer do not
/// match the WIT the component was bound with: a host defect, reported
/// as the component not fitting its world rather than as a crash.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub(super) struct OutOfStep(String);

/// Makes the wrapper `$wrapper(Bound)`, checked by `$pre::new`, the
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
                super::bound::Bound::new(runtime, loaded, $pre::<super::Sandbox>::new).map(Self)
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
