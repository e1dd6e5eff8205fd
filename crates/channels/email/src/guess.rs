//! Which service a mail is about, from its own words, or none (then it goes to the mailbox's
//! service, which its entity triages). A mail is not a search query: each of its words is
//! looked up alone in the catalogue's names and descriptions with the catalogue search's own
//! scoring (`service_search::score`), counting only exact words and prefixes, names twice.

use tawasul_domain::catalogue::Service;
use tawasul_domain::service_search::score;
use tawasul_domain::text::search_words;

/// Words that say nothing about a service, after the search normalisation.
const STOP: &[&str] = &[
    "the",
    "and",
    "for",
    "from",
    "with",
    "this",
    "that",
    "there",
    "your",
    "our",
    "have",
    "has",
    "had",
    "not",
    "are",
    "was",
    "were",
    "been",
    "please",
    "dear",
    "sir",
    "madam",
    "thank",
    "thanks",
    "you",
    "regards",
    "kind",
    "hello",
    "since",
    "still",
    "would",
    "could",
    "like",
    "about",
    "they",
    "them",
    "their",
    "what",
    "when",
    "which",
    "will",
    "sent",
    "iphone",
    "android",
    "get",
    "outlook",
    "very",
    "near",
    "street",
    "road",
    "area",
    "report",
    "complaint",
    "في",
    "من",
    "على",
    "الى",
    "عن",
    "هذا",
    "هذه",
    "ذلك",
    "التي",
    "الذي",
    "مع",
    "تم",
    "لم",
    "منذ",
    "حتى",
    "عند",
    "كان",
    "كانت",
    "يوجد",
    "وجود",
    "السلام",
    "عليكم",
    "ورحمه",
    "وبركاته",
    "تحيه",
    "شكرا",
    "مرسل",
    "ارجو",
    "نرجو",
    "الرجاء",
    "يرجى",
    "بلاغ",
    "شكوى",
    "شارع",
    "منطقه",
    "امام",
    "بجانب",
    "قرب",
    "جدا",
    "ايام",
    "اسبوع",
    "لدي",
];

/// How many of a mail's words are looked at (subject first): enough for any complaint.
const MAX_WORDS: usize = 200;
/// The least total that counts as a guess: one exact word of a name, or two prefixes.
const THRESHOLD: u32 = 4;

/// The service whose words the mail uses most, among `catalogue`; `None` when no service
/// reaches the threshold or two tie at the top.
pub fn guess<'a>(catalogue: &'a [Service], subject: &str, text: &str) -> Option<&'a Service> {
    let mut words: Vec<String> = vec![];
    for w in search_words(subject).into_iter().chain(search_words(text)) {
        if w.chars().count() >= 3
            && !STOP.contains(&w.as_str())
            && !w.chars().all(|c| c.is_ascii_digit())
            && !words.contains(&w)
        {
            words.push(w);
        }
        if words.len() == MAX_WORDS {
            break;
        }
    }
    let mut scored: Vec<(u32, &Service)> = catalogue
        .iter()
        .map(|service| {
            let name = format!("{} {}", service.name_ar, service.name_en);
            let description = format!("{} {}", service.description_ar, service.description_en);
            let total = words
                .iter()
                .map(|w| {
                    // A short word is the prefix of too many others ("مهم" of "مهملة"): it
                    // counts only when it is a whole word.
                    let least = if w.chars().count() < 4 { 3 } else { 2 };
                    let counted = |points: u32| if points >= least { points } else { 0 };
                    let in_name = counted(score(w, &name));
                    let in_description = counted(score(w, &description));
                    let name_points = if in_name >= 2 { 2 * in_name } else { 0 };
                    let description_points = if in_description >= 2 { in_description } else { 0 };
                    name_points.max(description_points)
                })
                .sum();
            (total, service)
        })
        .filter(|(total, _)| *total >= THRESHOLD)
        .collect();
    scored.sort_by_key(|(total, _)| std::cmp::Reverse(*total));
    match scored.as_slice() {
        [] => None,
        [(first, _), (second, _), ..] if first == second => None,
        [(_, best), ..] => Some(best),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn service(code: &str, name: (&str, &str), description: (&str, &str)) -> Service {
        Service {
            id: 0,
            code: code.into(),
            entity: "cap".into(),
            entity_id: 1,
            name_ar: name.0.into(),
            name_en: name.1.into(),
            description_ar: description.0.into(),
            description_en: description.1.into(),
            kinds: vec![],
            fields: vec![],
            default_department: None,
            default_department_id: None,
            default_priority: tawasul_domain::vocab::Priority::Normal,
        }
    }

    #[test]
    fn the_words_of_a_mail_find_the_service_and_silence_finds_none() {
        let catalogue = [
            service(
                "water-leak",
                ("تسرب مياه", "Water leak"),
                ("تسرب المياه من الشبكة", "Water leaking from the network"),
            ),
            service(
                "pothole",
                ("حفرة في الطريق", "Pothole"),
                ("الحفر والتشققات في الطرق", "Holes and cracks in roads"),
            ),
        ];
        let found = guess(&catalogue, "تسرب مياه أمام المنزل", "يوجد تسرب للمياه منذ يومين");
        assert_eq!(found.map(|s| s.code.as_str()), Some("water-leak"));
        let found = guess(&catalogue, "Big pothole", "There is a pothole on our road");
        assert_eq!(found.map(|s| s.code.as_str()), Some("pothole"));
        assert!(guess(&catalogue, "Hello", "Thank you very much").is_none());
        assert!(guess(&catalogue, "", "").is_none());
    }
}
