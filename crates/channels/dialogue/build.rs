//! Embeds every `messages/*.ftl` file, so that adding a language is adding a file.

use std::fmt::Write as _;
use std::path::PathBuf;
use std::{env, fs};

fn main() {
    let dir = PathBuf::from(env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR")).join("messages");
    // The directory itself too: its modification time changes when a file is added or removed.
    println!("cargo:rerun-if-changed={}", dir.display());
    let mut files: Vec<(String, PathBuf)> = fs::read_dir(&dir)
        .expect("crates/channels/dialogue/messages is readable")
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
