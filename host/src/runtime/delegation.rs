//! Delegation: a component that imports an interface of its own world
//! (`ocipipe:image/naming@V` in a tagging component) has each imported
//! function answered by the same function of the next implementation of
//! its operation: the component named after it on the command line, or the
//! built-in. Each such call runs the next layer in a fresh instance in its
//! own store, under the same limits, through the one dynamic call
//! ([`super::Runtime::call_values`]); a failure there fails the outer call
//! with the inner error, which names the inner component.
//!
//! The functions to define are read from the component's own import types,
//! so no list is written by hand. WASI is the base linker's; an import of
//! anything else is refused at load, naming it.
//!
//! Must not: convert or look into the values passed on.

use super::bound::Loaded;
use super::{Error, Runtime, Sandbox, versions};
use std::sync::Arc;
use wasmtime::Engine;
use wasmtime::component::types::ComponentItem;
use wasmtime::component::{Component, Linker};

/// One imported interface of the component's own world, to be answered
/// by the next layer.
pub(super) struct Delegated {
    /// The import's full name, e.g. `ocipipe:image/naming@0.2.0`.
    import: String,
    /// The interface, e.g. `naming`.
    interface: String,
    /// The functions the component imports of it.
    functions: Vec<String>,
}

/// The imports of `component` the next layer answers, given the
/// interfaces its world exports (`own`). Refused, with a message naming
/// it: an import that is neither WASI, nor an interface of `own`, nor an
/// interface of the package that declares only types (`types`).
pub(super) fn imports(
    engine: &Engine,
    component: &Component,
    own: &[&str],
) -> Result<Vec<Delegated>, String> {
    let mut delegated = Vec::new();
    for (name, import) in component.component_type().imports(engine) {
        if name.starts_with("wasi:") {
            continue;
        }
        let ComponentItem::ComponentInstance(instance) = import.ty else {
            return Err(refused(name, own));
        };
        let functions: Vec<String> = instance
            .exports(engine)
            .filter(|(_, item)| matches!(item.ty, ComponentItem::ComponentFunc(_)))
            .map(|(function, _)| function.to_string())
            .collect();
        match versions::split_name(name) {
            Some((_, _)) if functions.is_empty() => {}
            Some((interface, _)) if own.contains(&interface) => delegated.push(Delegated {
                import: name.to_string(),
                interface: interface.to_string(),
                functions,
            }),
            _ => return Err(refused(name, own)),
        }
    }
    Ok(delegated)
}

fn refused(name: &str, own: &[&str]) -> String {
    format!(
        "it imports {name}, which the host does not provide (a component may import WASI \
         and its own world's interfaces, {}, to delegate to the next implementation)",
        own.join(", ")
    )
}

/// A linker for a component importing `delegated`: `base` (WASI) with
/// every imported function answered by the same function of `next`.
pub(super) fn linker(
    base: &Linker<Sandbox>,
    runtime: &Arc<Runtime>,
    next: Loaded,
    delegated: &[Delegated],
) -> wasmtime::Result<Linker<Sandbox>> {
    let mut linker = base.clone();
    let next = Arc::new(next);
    for Delegated {
        import,
        interface,
        functions,
    } in delegated
    {
        let mut instance = linker.instance(import)?;
        for function in functions {
            let (runtime, next) = (runtime.clone(), next.clone());
            let (interface, name) = (interface.clone(), function.clone());
            instance.func_new(function, move |_store, _ty, params, results| {
                let answer = runtime
                    .call_values(&next, &interface, &name, params)
                    .map_err(|e| wasmtime::Error::new(Failed(e)))?;
                if answer.len() != results.len() {
                    return Err(wasmtime::Error::new(super::bound::OutOfStep(format!(
                        "{name} of the next implementation, {}, answers {} values, the import \
                         takes {}",
                        next.name,
                        answer.len(),
                        results.len()
                    ))));
                }
                results.clone_from_slice(&answer);
                Ok(())
            })?;
        }
    }
    Ok(linker)
}

/// The next layer failed: the outer call fails with this error as it is.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub(super) struct Failed(pub(super) Error);
