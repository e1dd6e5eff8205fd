//! Finding a service from a resident's own words, in Arabic or English, with typos and
//! spelling variants forgiven: text goes through the one search normalisation, the Arabic
//! article is set aside, and a word matches a service word it begins, or one a small number of
//! edits away. Every channel finds services this way (through `App::find_services`): the
//! portal's search box, and a caller's or a chat's "say it in your words".

use crate::text::search_words as words;

/// Levenshtein distance over characters, giving up (returning `limit + 1`) beyond `limit`.
fn distance(a: &[char], b: &[char], limit: usize) -> usize {
    if a.len().abs_diff(b.len()) > limit {
        return limit + 1;
    }
    let mut previous: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.iter().enumerate() {
        let mut current = vec![i + 1; b.len() + 1];
        for (j, cb) in b.iter().enumerate() {
            let substitution = previous[j] + usize::from(ca != cb);
            current[j + 1] = substitution.min(previous[j + 1] + 1).min(current[j] + 1);
        }
        if current.iter().min().is_some_and(|m| *m > limit) {
            return limit + 1;
        }
        previous = current;
    }
    previous[b.len()]
}

/// How well a query word matches a text word: 3 exact, 2 prefix, 1 near, 0 not at all.
fn word_score(query: &str, word: &str) -> u32 {
    if query == word {
        return 3;
    }
    let (q, w): (Vec<char>, Vec<char>) = (query.chars().collect(), word.chars().collect());
    if q.len() >= 2 && word.starts_with(query) {
        return 2;
    }
    let allowed = match q.len() {
        0..=2 => 0,
        3..=6 => 1,
        _ => 2,
    };
    // A prefix of the text word a typo away also counts: "ناره" finds "انارة".
    let near_whole = allowed > 0 && distance(&q, &w, allowed) <= allowed;
    let near_prefix = allowed > 0 && w.len() > q.len() && distance(&q, &w[..q.len()], allowed) <= allowed;
    u32::from(near_whole || near_prefix)
}

/// The score of a text for a query: the sum over query words of their best match, or 0 when
/// some query word matches nothing.
pub fn score(query: &str, text: &str) -> u32 {
    let text_words = words(text);
    let mut total = 0;
    for q in words(query) {
        let best = text_words.iter().map(|w| word_score(&q, w)).max().unwrap_or(0);
        if best == 0 {
            return 0;
        }
        total += best;
    }
    total
}

#[cfg(test)]
mod tests {
    use super::*;

    const LIGHTING: &str = "إنارة الشوارع Street lighting أعمدة الإنارة المعطلة broken street lights";
    const WATER: &str = "تسرب مياه Water leak تسرب المياه في الشارع";

    #[test]
    fn arabic_spelling_variants_and_the_article_are_forgiven() {
        assert!(score("اناره", LIGHTING) > 0);
        assert!(score("الإنارة", LIGHTING) > 0);
        assert!(score("إنارة", LIGHTING) > 0);
        assert!(score("المياه", WATER) > 0);
        assert_eq!(score("اناره", WATER), 0);
    }

    #[test]
    fn typos_and_prefixes_are_forgiven_in_both_languages() {
        assert!(score("ligting", LIGHTING) > 0);
        assert!(score("stre", LIGHTING) > 0);
        assert!(score("watr lek", WATER) > 0);
        assert!(score("تسريب", WATER) > 0);
        assert_eq!(score("ligting", WATER), 0);
    }

    #[test]
    fn exact_words_rank_above_near_ones() {
        assert!(score("water", WATER) > score("watr", WATER));
    }
}
