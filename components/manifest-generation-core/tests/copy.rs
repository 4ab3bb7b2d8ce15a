//! `copied_blobs`: which blobs of an image a copy transfers.

use manifest_generation_core::*;

fn digest(n: u8) -> String {
    ocipipe_sdk::digest::sha256(&[n])
}

#[test]
fn a_copy_transfers_the_config_then_every_layer_in_order() {
    let config = Descriptor::new(MEDIA_TYPE_OCI_CONFIG, digest(0), 2);
    let layers: Vec<Descriptor> = (1..=3)
        .map(|n| Descriptor::new(MEDIA_TYPE_OCI_LAYER_GZIP, digest(n), 10))
        .collect();
    let mut expected = vec![config.clone()];
    expected.extend(layers.iter().cloned());
    assert_eq!(copied_blobs(&config, &layers), expected);
}

#[test]
fn a_foreign_layer_is_not_transferred() {
    let config = Descriptor::new(MEDIA_TYPE_DOCKER_CONFIG, digest(0), 2);
    let own = Descriptor::new(MEDIA_TYPE_DOCKER_LAYER_GZIP, digest(1), 10);
    let mut foreign = Descriptor::new(
        "application/vnd.docker.image.rootfs.foreign.diff.tar.gzip",
        digest(2),
        10,
    );
    foreign.urls = vec!["https://example.com/base.tar.gz".into()];
    let mut nondistributable = Descriptor::new(
        "application/vnd.oci.image.layer.nondistributable.v1.tar+gzip",
        digest(3),
        10,
    );
    nondistributable.urls = vec!["https://example.com/layer".into()];
    let copied = copied_blobs(&config, &[foreign, own.clone(), nondistributable]);
    assert_eq!(copied, [config, own]);
}

#[test]
fn a_blob_listed_twice_is_transferred_once() {
    let config = Descriptor::new(MEDIA_TYPE_OCI_CONFIG, digest(0), 2);
    let layer = Descriptor::new(MEDIA_TYPE_OCI_LAYER, digest(1), 10);
    let empty = Descriptor::new(MEDIA_TYPE_OCI_LAYER, digest(0), 2);
    let copied = copied_blobs(&config, &[layer.clone(), layer.clone(), empty]);
    assert_eq!(copied, [config, layer]);
}

#[test]
fn a_compressed_base_layer_goes_as_stored_and_a_plain_one_is_made_again() {
    assert!(base_layer_as_stored(Compression::Gzip));
    assert!(base_layer_as_stored(Compression::Zstd));
    assert!(!base_layer_as_stored(Compression::None));
}
