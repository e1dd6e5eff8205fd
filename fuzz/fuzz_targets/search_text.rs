//! The one normalisation of text for search and duplicate detection, and the words cut from
//! it, on any Unicode: normalising twice is normalising once, and words are what they say.
#![no_main]

use libfuzzer_sys::fuzz_target;
use tawasul_domain::text::{normalise_for_search, query_words, search_words, CaseText};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let once = normalise_for_search(text);
    assert_eq!(
        normalise_for_search(&once),
        once,
        "normalising {text:?} again changed it"
    );
    assert!(!once.starts_with(' ') && !once.ends_with(' ') && !once.contains("  "));
    let words = search_words(text);
    for word in &words {
        assert!(!word.is_empty() && !word.contains(' '));
        assert_eq!(
            search_words(word),
            [word.clone()],
            "the word {word:?} of {text:?} is not one word"
        );
    }
    for word in query_words(text) {
        assert!(!word.is_empty() && !word.contains(' '));
    }
    if let Ok(parsed) = CaseText::parse(text, "description", 5_000) {
        assert!(parsed.as_str().chars().count() <= 5_000);
        assert!(!parsed.as_str().trim().is_empty());
        let again = CaseText::parse(parsed.as_str(), "description", 5_000).expect("parsed text parses again");
        assert_eq!(again, parsed, "parsing {text:?} again changed it");
    }
});
