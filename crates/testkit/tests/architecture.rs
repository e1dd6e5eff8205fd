//! Dependencies point inwards (ARCHITECTURE.md): this test reads the workspace's own crate
//! graph from `cargo metadata` and fails when a crate depends outward.

use serde_json::Value;
use std::collections::BTreeMap;

/// Each crate's normal (not dev) dependencies on crates of this workspace.
fn inner_dependencies() -> BTreeMap<String, Vec<String>> {
    let output = std::process::Command::new(env!("CARGO"))
        .args(["metadata", "--format-version", "1", "--no-deps", "--offline"])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("cargo metadata runs");
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let metadata: Value = serde_json::from_slice(&output.stdout).expect("metadata is JSON");
    let packages = metadata["packages"].as_array().expect("packages");
    let ours: Vec<&str> = packages.iter().filter_map(|p| p["name"].as_str()).collect();
    packages
        .iter()
        .map(|p| {
            let deps = p["dependencies"]
                .as_array()
                .expect("dependencies")
                .iter()
                .filter(|d| d["kind"].is_null())
                .filter_map(|d| d["name"].as_str())
                .filter(|name| ours.contains(name))
                .map(str::to_owned)
                .collect();
            (p["name"].as_str().expect("name").to_owned(), deps)
        })
        .collect()
}

/// What each layer may depend on, by crate name prefix; a crate not listed here fails the
/// test until its place is decided (and written in ARCHITECTURE.md).
fn allowed(krate: &str) -> Option<&'static [&'static str]> {
    Some(match krate {
        "tawasul-domain" => &[],
        // Printed text and shapes know nothing of the product.
        "tawasul-print" => &[],
        "tawasul-store" | "tawasul-routing" => &["tawasul-domain"],
        "tawasul-notify" => &["tawasul-domain"],
        "tawasul-app" => &["tawasul-domain", "tawasul-store", "tawasul-routing", "tawasul-notify"],
        "tawasul-web" => &[
            "tawasul-domain",
            "tawasul-app",
            "tawasul-channels",
            "tawasul-channels-qr",
            // The monthly report's PDF is printed text.
            "tawasul-print",
            // The website's live chat is a face of the guided dialogue.
            "tawasul-channels-dialogue",
        ],
        "tawasul-http" => &[
            "tawasul-domain",
            "tawasul-app",
            "tawasul-web",
            "tawasul-channels",
            "tawasul-channels-open311",
            "tawasul-channels-messaging",
            "tawasul-channels-ivr",
        ],
        "tawasul-demo" => &["tawasul-domain", "tawasul-app", "tawasul-store"],
        // The server runs the e-mail channel's SMTP receiver beside the HTTP listener.
        "tawasul-server" => &["tawasul-app", "tawasul-http", "tawasul-channels-email"],
        "tawasul" => &[
            "tawasul-domain",
            "tawasul-app",
            "tawasul-server",
            "tawasul-notify",
            "tawasul-demo",
            // `tawasul qr` prints the codes of service points.
            "tawasul-channels-qr",
        ],
        // The adapters of the guided dialogue render the one engine; the messaging ones answer
        // through the providers' API clients that notifications use too (Messenger, X).
        "tawasul-channels-messaging" => &[
            "tawasul-domain",
            "tawasul-app",
            "tawasul-channels-dialogue",
            "tawasul-notify",
            "tawasul-channels-fetch",
        ],
        // The dialogue's adapters render the one engine's replies.
        "tawasul-channels-ivr" => &[
            "tawasul-domain",
            "tawasul-app",
            "tawasul-channels-dialogue",
            "tawasul-channels-fetch",
        ],
        // The labels are printed text.
        "tawasul-channels-qr" => &["tawasul-domain", "tawasul-app", "tawasul-print"],
        // The channels' one guarded fetch of a provider's URL knows nothing of the product.
        "tawasul-channels-fetch" => &[],
        // Channels fetch what providers and clients name through the one guarded fetch.
        k if k.starts_with("tawasul-channels") => &["tawasul-domain", "tawasul-app", "tawasul-channels-fetch"],
        // Build scripts' shared code (embedding message files); only ever a build dependency.
        "tawasul-build-support" => &[],
        // Tools for tests and benchmarks only: they may use anything, nothing ships them.
        "tawasul-testkit" | "tawasul-bench" => return None,
        _ => &["(unplaced)"],
    })
}

#[test]
fn dependencies_point_inwards() {
    let graph = inner_dependencies();
    assert!(
        graph.contains_key("tawasul-domain") && graph.contains_key("tawasul-app"),
        "{graph:?}"
    );
    let mut outward = vec![];
    for (krate, deps) in &graph {
        let Some(allowed) = allowed(krate) else { continue };
        for dep in deps {
            if !allowed.contains(&dep.as_str()) {
                outward.push(format!("{krate} → {dep}"));
            }
        }
        if allowed == ["(unplaced)"] {
            outward.push(format!("{krate} has no place in ARCHITECTURE.md"));
        }
    }
    assert!(outward.is_empty(), "dependencies pointing outward: {outward:?}");
}

#[test]
fn nothing_that_ships_links_the_test_kit() {
    let graph = inner_dependencies();
    let shipped = graph
        .iter()
        .filter(|(krate, _)| !matches!(krate.as_str(), "tawasul-testkit" | "tawasul-bench"));
    for (krate, deps) in shipped {
        assert!(
            !deps.iter().any(|d| d == "tawasul-testkit" || d == "tawasul-bench"),
            "{krate} depends on test or benchmark code: {deps:?}"
        );
    }
}

/// The application is grouped by context (ARCHITECTURE.md): its source holds the context
/// folders, each with its own error enum, and the few files that serve them all; a new file
/// beside them fails here until its place is decided.
#[test]
fn the_application_is_grouped_by_context() {
    let src = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../app/src");
    let contexts = [
        ("cases", "CasesError"),
        ("workflow", "WorkflowError"),
        ("organisation", "OrganisationError"),
        ("catalogue", "CatalogueError"),
        ("conversations", "ConversationsError"),
        ("identity", "IdentityError"),
        ("kpis", "KpisError"),
    ];
    // `operator/` holds the operator's tools too large for `operator.rs` (backup and restore).
    let shared = [
        "lib.rs",
        "error.rs",
        "directory.rs",
        "operator.rs",
        "operator",
        "jobs.rs",
    ];
    let mut unplaced = vec![];
    for entry in std::fs::read_dir(&src).expect("crates/app/src") {
        let name = entry.expect("entry").file_name().to_string_lossy().into_owned();
        if !shared.contains(&name.as_str()) && !contexts.iter().any(|(folder, _)| *folder == name) {
            unplaced.push(name);
        }
    }
    assert!(unplaced.is_empty(), "not in a context folder: {unplaced:?}");
    for (folder, error) in contexts {
        let module = std::fs::read_to_string(src.join(folder).join("mod.rs")).expect("the context's mod.rs");
        assert!(
            module.contains(&format!("pub enum {error} ")),
            "{folder} declares its error enum {error} in its mod.rs"
        );
    }
}
