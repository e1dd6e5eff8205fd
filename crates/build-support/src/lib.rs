//! What the workspace's build scripts share. A crate with messages calls
//! [`embed_message_files`] from its `build.rs` and includes the generated list:
//! `include!(concat!(env!("OUT_DIR"), "/message_files.rs"));`.

use std::fmt::Write as _;
use std::path::PathBuf;
use std::{env, fs};

/// Embeds every `messages/*.ftl` file of the crate being built as `MESSAGE_FILES: &[(&str,
/// &str)]` (language tag, Fluent source) in `$OUT_DIR/message_files.rs`, so that adding a
/// language is adding a file; cargo reruns the script when a file is added, removed or edited.
/// Panics (failing the build) when the directory or a file name cannot be read.
pub fn embed_message_files() {
    let manifest = PathBuf::from(env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR"));
    let dir = manifest.join("messages");
    // The directory itself too: its modification time changes when a file is added or removed.
    println!("cargo:rerun-if-changed={}", dir.display());
    let mut files: Vec<(String, PathBuf)> = fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{} is readable: {e}", dir.display()))
        .map(|entry| entry.expect("a readable directory entry").path())
        .filter(|path| path.extension().is_some_and(|e| e == "ftl"))
        .map(|path| {
            let tag = path
                .file_stem()
                .and_then(|s| s.to_str())
                .expect("message files are named by language tag");
            (tag.to_owned(), path.clone())
        })
        .collect();
    files.sort();
    let mut code = String::from("/// (language tag, Fluent source) of each file in `messages/`.\n");
    code.push_str("const MESSAGE_FILES: &[(&str, &str)] = &[\n");
    for (tag, path) in &files {
        println!("cargo:rerun-if-changed={}", path.display());
        writeln!(code, "    ({tag:?}, include_str!({:?})),", path.display().to_string()).expect("writing to a String");
    }
    code.push_str("];\n");
    let out = PathBuf::from(env::var("OUT_DIR").expect("cargo sets OUT_DIR")).join("message_files.rs");
    fs::write(out, code).expect("OUT_DIR is writable");
}
