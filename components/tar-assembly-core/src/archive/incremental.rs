//! Incremental load: which layers of an image the engine already has, so
//! that an archive may carry them as zero-length placeholders.
//!
//! The engine stores a layer only as part of a chain: its ChainID covers the
//! layer and every layer below it. So a layer the engine has in another
//! image at another position, or over other layers, is not the same layer
//! to the engine, and sending it as a placeholder would make the load fail.
//! And only an engine on the classic graph-driver store takes placeholders
//! at all ([`omits_layers`]).

pub use crate::wit::exports::ocipipe::image::archives::ImageStore;

/// Whether an incremental load into an engine keeping its images in
/// `store` may leave any layer out; see the WIT `omits-layers`.
pub fn omits_layers(store: ImageStore) -> bool {
    match store {
        ImageStore::GraphDriver => true,
        // containerd's store does not take zero-length placeholders.
        ImageStore::Containerd => false,
    }
}

/// One flag per layer of `diff_ids`: layer `i` may be omitted when
/// `diff_ids[0..=i]` is a prefix of the diff IDs of one of the `bases`
/// (images the engine has, bottom layer first). The omitted layers are
/// therefore always a prefix of the image's.
pub fn layers_to_omit(diff_ids: &[String], bases: &[Vec<String>]) -> Vec<bool> {
    let shared = bases
        .iter()
        .map(|base| {
            diff_ids
                .iter()
                .zip(base)
                .take_while(|(ours, theirs)| ours == theirs)
                .count()
        })
        .max()
        .unwrap_or(0);
    (0..diff_ids.len()).map(|i| i < shared).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ids(names: &[&str]) -> Vec<String> {
        names
            .iter()
            .map(|n| format!("sha256:{}", n.repeat(64)))
            .collect()
    }

    #[test]
    fn a_shared_bottom_chain_is_omitted() {
        let image = ids(&["a", "b", "c"]);
        assert_eq!(
            layers_to_omit(&image, &[ids(&["a", "b", "d"])]),
            [true, true, false]
        );
        assert_eq!(
            layers_to_omit(&image, &[ids(&["a", "b", "c", "d"])]),
            [true; 3]
        );
    }

    #[test]
    fn a_layer_the_base_holds_at_another_position_is_not_omitted() {
        let image = ids(&["a", "b"]);
        // The base has `b`, but over `x`: another chain.
        assert_eq!(layers_to_omit(&image, &[ids(&["x", "b"])]), [false, false]);
        // The base has both, in the other order.
        assert_eq!(layers_to_omit(&image, &[ids(&["b", "a"])]), [false, false]);
        // A base with a gap in the middle: only the prefix counts.
        let image = ids(&["a", "b", "c"]);
        assert_eq!(
            layers_to_omit(&image, &[ids(&["a", "x", "c"])]),
            [true, false, false]
        );
    }

    #[test]
    fn the_longest_shared_chain_among_the_bases_counts() {
        let image = ids(&["a", "b", "c"]);
        let bases = [ids(&["a"]), ids(&["a", "b"]), ids(&["b", "c"])];
        assert_eq!(layers_to_omit(&image, &bases), [true, true, false]);
    }

    #[test]
    fn only_a_graph_driver_engine_takes_placeholders() {
        assert!(omits_layers(ImageStore::GraphDriver));
        assert!(!omits_layers(ImageStore::Containerd));
    }

    #[test]
    fn no_bases_or_no_layers_omit_nothing() {
        assert_eq!(layers_to_omit(&ids(&["a"]), &[]), [false]);
        assert_eq!(layers_to_omit(&ids(&["a"]), &[vec![]]), [false]);
        assert!(layers_to_omit(&[], &[ids(&["a"])]).is_empty());
    }
}
