//! The components a pipeline step uses, taken from the command's registry
//! of loaded components ([`runtime::Components`]): the only way an
//! [`Operations`] is made.
//!
//! Must not: load a component itself or choose where one comes from; the
//! registry does both, from the table and `--component`.

use super::Operations;
use crate::model::Progress;
use crate::runtime::{self, Components, ManifestGeneration, Tagging, TarAssembly};

impl<'a> Operations<'a> {
    /// The components of `components` a pipeline step uses (loading those
    /// not loaded yet, so a bad one is refused before any work), reporting
    /// progress to `progress`.
    pub fn new(
        components: &'a Components,
        progress: &'a dyn Progress,
    ) -> Result<Self, runtime::Error> {
        Ok(Self {
            tagging: components.get::<Tagging>()?,
            tar_assembly: components.get::<TarAssembly>()?,
            manifest_generation: components.get::<ManifestGeneration>()?,
            progress,
        })
    }
}
