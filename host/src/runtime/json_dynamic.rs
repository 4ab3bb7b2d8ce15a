//! Test-only: a built-in component called with dynamic values through
//! [`Components::call_values`], for the tests of [`super`] and of
//! `crate::conformance`.

use crate::runtime::operations::Declaration;
use crate::runtime::{Components, FunctionInfo, Limits, Runtime};
use std::sync::Arc;
use wasmtime::component::Val;

/// A built-in component with its functions' types.
pub(crate) struct Dynamic {
    components: Components,
    operation: &'static Declaration,
}

impl Dynamic {
    /// `operation`'s built-in component.
    pub(crate) fn builtin(operation: &'static Declaration) -> Self {
        let runtime = Arc::new(Runtime::new(Limits::default(), None).unwrap());
        Self {
            components: Components::builtin(runtime),
            operation,
        }
    }

    /// Its functions.
    pub(crate) fn infos(&self) -> Vec<FunctionInfo> {
        self.components.functions(self.operation).unwrap()
    }

    /// Calls `interface.function` with `params` in a fresh instance.
    pub(crate) fn call(
        &self,
        interface: &str,
        function: &str,
        params: &[Val],
    ) -> Result<Vec<Val>, String> {
        (self.components)
            .call_values(self.operation, interface, function, params)
            .map_err(|e| e.to_string())
    }
}
