//! Compiles the vendored Hubble protocol (`proto/observer/observer.proto`
//! and `proto/flow/flow.proto`) into Rust: prost messages, the tonic
//! Observer client and server, and pbjson serde impls that keep the proto
//! field names (`IP`, `source_port`, `traffic_direction`), so a Flow
//! serializes to the JSON `hubble observe -o json` prints.
//!
//! protox parses the files in pure Rust; no `protoc` binary is needed.

use std::io;
use std::path::Path;

fn other(err: impl std::fmt::Display) -> io::Error {
    io::Error::other(err.to_string())
}

/// Writes `observer.rs`, `flow.rs` (prost + tonic) and `observer.serde.rs`,
/// `flow.serde.rs` (pbjson) into `out_dir`.
pub fn compile(proto_root: &Path, out_dir: &Path) -> io::Result<()> {
    let observer = proto_root.join("observer/observer.proto");
    let flow = proto_root.join("flow/flow.proto");
    for file in [&observer, &flow] {
        println!("cargo:rerun-if-changed={}", file.display());
    }
    let descriptors = protox::compile([&observer], [proto_root]).map_err(other)?;
    let descriptor_bytes = prost::Message::encode_to_vec(&descriptors);

    tonic_prost_build::configure()
        .build_client(true)
        .build_server(true)
        .build_transport(true)
        .compile_well_known_types(true)
        .extern_path(".google.protobuf", "::pbjson_types")
        .out_dir(out_dir)
        .compile_fds(descriptors)?;

    pbjson_build::Builder::new()
        .register_descriptors(&descriptor_bytes)?
        .out_dir(out_dir)
        .preserve_proto_field_names()
        .ignore_unknown_fields()
        .build(&[".observer", ".flow"])?;
    Ok(())
}
