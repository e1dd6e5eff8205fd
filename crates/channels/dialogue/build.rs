//! Embeds every `messages/*.ftl` file, so that adding a language is adding a file.

fn main() {
    tawasul_build_support::embed_message_files();
}
